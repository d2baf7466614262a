<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">三層の分離の確認 <xsl:value-of select="check/id"/></xsl:template>

  <xsl:template name="flows">
    <xsl:param name="items"/>
    <xsl:param name="id"/>
    <table class="list" id="{$id}">
      <thead><tr><th>送信元</th><th>宛先</th><th>通信</th><th>許可している規則</th><th>理由・根拠</th></tr></thead>
      <tbody>
        <xsl:for-each select="$items/item">
          <tr>
            <td><xsl:value-of select="from"/><xsl:if test="peer"> </xsl:if></td>
            <td><xsl:value-of select="to"/><xsl:if test="peer">（<xsl:value-of select="peer"/>）</xsl:if><xsl:if test="relay">（中継 <xsl:value-of select="relay"/>）</xsl:if></td>
            <td><xsl:for-each select="services/item"><xsl:value-of select="."/><xsl:if test="position() != last()">, </xsl:if></xsl:for-each></td>
            <td><code><xsl:value-of select="rule_text"/></code><xsl:if test="rule/comment"><br/><xsl:value-of select="rule/comment"/></xsl:if></td>
            <td><xsl:value-of select="reason"/>
              <xsl:for-each select="citations/item"><br/><strong><xsl:value-of select="clause"/></strong>「<xsl:value-of select="text"/>」</xsl:for-each></td>
          </tr>
        </xsl:for-each>
      </tbody>
    </table>
  </xsl:template>

  <xsl:template match="page" mode="content">
    <xsl:variable name="c" select="check"/>
    <h1>三層の分離の確認 <xsl:value-of select="$c/id"/></h1>
    <p id="zone-verdict">
      <xsl:choose>
        <xsl:when test="$c/clean = 'true'"><span class="ok">分離が保たれています（違反 0 件）。</span></xsl:when>
        <xsl:otherwise><strong class="late">違反が <xsl:value-of select="$c/violations"/> 件あります。</strong></xsl:otherwise>
      </xsl:choose>
    </p>
    <dl class="fields">
      <dt>確認日時</dt><dd><xsl:value-of select="$c/created_at_wareki"/></dd>
      <dt>規則の形式</dt><dd><xsl:value-of select="$c/result/ruleset/format"/>（チェイン <xsl:value-of select="$c/result/ruleset/chains"/>、規則 <xsl:value-of select="$c/result/ruleset/rules"/>）</dd>
      <dt>ZONES.yaml の SHA-256</dt><dd><code><xsl:value-of select="$c/zones_sha256"/></code></dd>
      <dt>規則の SHA-256</dt><dd><code><xsl:value-of select="$c/rules_sha256"/></code></dd>
    </dl>
    <section class="card">
      <h2>図</h2>
      <img src="/zones/{$c/id}.svg" alt="三つの系、無害化の中継、許可されている通信（違反は赤）" class="diagram"/>
    </section>
    <xsl:if test="$c/result/violations/item">
      <section class="card">
        <h2>違反</h2>
        <xsl:call-template name="flows"><xsl:with-param name="items" select="$c/result/violations"/><xsl:with-param name="id">violations</xsl:with-param></xsl:call-template>
      </section>
    </xsl:if>
    <section class="card">
      <h2>無害化の中継を経る通信（正しく許可）</h2>
      <xsl:call-template name="flows"><xsl:with-param name="items" select="$c/result/relayed"/><xsl:with-param name="id">relayed</xsl:with-param></xsl:call-template>
    </section>
    <section class="card">
      <h2>マイナンバー利用事務系の接続先</h2>
      <xsl:call-template name="flows"><xsl:with-param name="items" select="$c/result/peers"/><xsl:with-param name="id">peers</xsl:with-param></xsl:call-template>
    </section>
    <p><a href="/zones">確認の一覧へ</a></p>
  </xsl:template>
</xsl:stylesheet>
