<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">三層の分離の確認</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>三層の分離の確認</h1>
    <xsl:call-template name="message"/>
    <p class="note">ファイアウォールの規則（nftables の JSON: <code>nft -j list ruleset</code>、または <code>iptables-save</code> の出力）と、
      各系のサブネット・無害化の中継・マイナンバー利用事務系の接続先を書いた ZONES.yaml から、系の間で実際に通る通信を求め、
      団体のポリシーに照らして確かめます。結果は自己点検の証跡として保存されます。</p>
    <xsl:if test="may_check = 'true'">
      <form method="post" action="/zones/check" enctype="multipart/form-data" class="card" id="zones-form">
        <xsl:call-template name="csrf"/>
        <label>ZONES.yaml <input type="file" name="zones" id="zones-file" required="required"/></label>
        <label>ファイアウォールの規則 <input type="file" name="rules" id="rules-file" required="required"/></label>
        <button type="submit" id="zones-submit">確認する</button>
      </form>
    </xsl:if>
    <xsl:choose>
      <xsl:when test="items/item">
        <table class="list" id="zone-checks">
          <thead><tr><th>番号</th><th>確認日時</th><th>結果</th><th>違反</th></tr></thead>
          <tbody>
            <xsl:for-each select="items/item">
              <tr>
                <td><a href="/zones/{id}"><xsl:value-of select="id"/></a></td>
                <td><xsl:value-of select="created_at_wareki"/></td>
                <td><xsl:choose><xsl:when test="clean = 'true'"><span class="ok">分離が保たれています</span></xsl:when><xsl:otherwise><strong class="late">違反があります</strong></xsl:otherwise></xsl:choose></td>
                <td><xsl:value-of select="violations"/></td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>
      </xsl:when>
      <xsl:otherwise><p class="note">まだ確認していません。</p></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
