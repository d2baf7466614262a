<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">エラー</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>操作できませんでした（<xsl:value-of select="status"/>）</h1>
    <p class="message" role="alert"><xsl:value-of select="message"/></p>
    <p><a href="/">ダッシュボードへ戻る</a></p>
  </xsl:template>
</xsl:stylesheet>
