<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">情報システム台帳</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>情報システム台帳 <small>（<xsl:value-of select="list/total"/> 件）</small></h1>
    <table class="ledger" id="systems">
      <thead><tr><th>番号</th><th>システム名</th><th>ネットワーク</th><th>形態</th><th>所管課</th><th>情報システム管理者</th><th>委託事業者</th><th>保守契約</th></tr></thead>
      <tbody>
        <xsl:for-each select="list/items/item">
          <xsl:variable name="u" select="unit_id"/>
          <tr>
            <td><xsl:value-of select="id"/></td>
            <td><xsl:value-of select="name"/></td>
            <td><xsl:value-of select="segment"/></td>
            <td><xsl:choose><xsl:when test="hosting = 'cloud'">クラウド</xsl:when><xsl:when test="hosting = 'onprem'">庁内設置</xsl:when></xsl:choose></td>
            <td><xsl:value-of select="/page/units/item[id = $u]/name"/></td>
            <td><xsl:value-of select="manager_id"/></td>
            <td><xsl:value-of select="contractor"/></td>
            <td><xsl:value-of select="maintenance_contract"/></td>
          </tr>
        </xsl:for-each>
      </tbody>
    </table>
    <xsl:if test="list/next != ''"><p class="paging"><a href="/systems?after={list/next}" rel="next">次の 50 件 →</a></p></xsl:if>
  </xsl:template>
</xsl:stylesheet>
