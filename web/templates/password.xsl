<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">パスワードの変更</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>パスワードの変更</h1>
    <xsl:if test="must_change = 'true'">
      <p class="message" role="alert">管理者が発行した仮パスワードです。続けるには、新しいパスワードを設定してください。</p>
    </xsl:if>
    <xsl:call-template name="message"/>
    <form method="post" action="/password" class="card narrow">
      <xsl:call-template name="csrf"/>
      <label>現在のパスワード <input type="password" name="current" autocomplete="current-password" required="required"/></label>
      <label>新しいパスワード <input type="password" name="new" autocomplete="new-password" required="required"/></label>
      <label>新しいパスワード（確認） <input type="password" name="again" autocomplete="new-password" required="required"/></label>
      <button type="submit">変更する</button>
    </form>
  </xsl:template>
</xsl:stylesheet>
