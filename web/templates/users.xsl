<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">利用者</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>利用者 <small>（<xsl:value-of select="list/total"/> 人）</small></h1>
    <table class="ledger" id="users">
      <thead><tr><th>ログイン名</th><th>氏名</th><th>所属</th><th>役割</th><th>二要素認証</th><th>状態</th></tr></thead>
      <tbody>
        <xsl:for-each select="list/items/item">
          <xsl:variable name="u" select="unit_id"/>
          <tr>
            <td><xsl:value-of select="login"/></td>
            <td><xsl:value-of select="name"/></td>
            <td><xsl:value-of select="/page/units/item[id = $u]/name"/></td>
            <td><xsl:for-each select="roles/item"><span class="chip"><xsl:value-of select="role"/>（<xsl:value-of select="scope"/>）</span></xsl:for-each></td>
            <td><xsl:choose><xsl:when test="mfa_enrolled = 'true'">登録済み</xsl:when><xsl:otherwise>未登録</xsl:otherwise></xsl:choose></td>
            <td><xsl:if test="locked = 'true'">ロック中 </xsl:if><xsl:if test="password_temporary = 'true'">仮パスワード</xsl:if></td>
          </tr>
        </xsl:for-each>
      </tbody>
    </table>
    <xsl:if test="list/next != ''"><p class="paging"><a href="/users?after={list/next}" rel="next">次の 50 人 →</a></p></xsl:if>
  </xsl:template>
</xsl:stylesheet>
