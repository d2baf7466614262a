<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">ダッシュボード</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>ダッシュボード</h1>
    <section class="tiles">
      <a class="tile" href="/assets"><strong><xsl:value-of select="counts/assets"/></strong> 情報資産</a>
      <a class="tile" href="/systems"><strong><xsl:value-of select="counts/systems"/></strong> 情報システム</a>
      <div class="tile"><strong><xsl:value-of select="counts/devices"/></strong> 端末・記録媒体</div>
      <a class="tile" href="/units"><strong><xsl:value-of select="counts/units"/></strong> 組織</a>
    </section>
    <section class="card">
      <h2>情報資産の分類（<xsl:value-of select="axis_name"/>）</h2>
      <svg xmlns="http://www.w3.org/2000/svg" width="640" height="{chart_height}" role="img"
           aria-label="分類ごとの情報資産の件数">
        <xsl:for-each select="bars/item">
          <text x="0" y="{ty}" font-size="13" fill="#1f2933"><xsl:value-of select="name"/></text>
          <rect x="200" y="{y}" width="{width}" height="20" fill="#2f6f9f"/>
          <text x="{width + 206}" y="{ty}" font-size="13" fill="#1f2933"><xsl:value-of select="count"/></text>
        </xsl:for-each>
      </svg>
      <p>
        <xsl:for-each select="bars/item">
          <a class="chip" href="/assets?class={axis}:{level}"><xsl:value-of select="name"/>: <xsl:value-of select="count"/> 件</a>
        </xsl:for-each>
      </p>
    </section>
  </xsl:template>
</xsl:stylesheet>
