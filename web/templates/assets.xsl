<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">情報資産台帳</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>情報資産台帳 <small>（<xsl:value-of select="list/total"/> 件）</small></h1>
    <p><a class="button" href="/assets/new" id="new-asset">情報資産を登録する</a></p>
    <form method="get" action="/assets" class="filters">
      <label>所管課
        <select name="unit_id">
          <option value="">すべて</option>
          <xsl:for-each select="units/item">
            <option value="{id}">
              <xsl:if test="id = /page/filter/unit_id"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if>
              <xsl:value-of select="name"/>
            </option>
          </xsl:for-each>
        </select>
      </label>
      <label>ネットワーク
        <select name="segment">
          <option value="">すべて</option>
          <xsl:for-each select="policy/segments/item">
            <option value="{id}">
              <xsl:if test="id = /page/filter/segment"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if>
              <xsl:value-of select="name"/>
            </option>
          </xsl:for-each>
        </select>
      </label>
      <label>分類
        <select name="class">
          <option value="">すべて</option>
          <xsl:for-each select="policy/axes/item">
            <xsl:variable name="axis" select="id"/>
            <xsl:variable name="axisname" select="name"/>
            <xsl:for-each select="levels/item">
              <option value="{$axis}:{id}">
                <xsl:if test="concat($axis, ':', id) = /page/filter/class"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if>
                <xsl:value-of select="$axisname"/>: <xsl:value-of select="name"/>
              </option>
            </xsl:for-each>
          </xsl:for-each>
        </select>
      </label>
      <button type="submit">絞り込む</button>
    </form>
    <table class="ledger" id="assets">
      <thead><tr><th>番号</th><th>名称</th><th>分類</th><th>所管課</th><th>ネットワーク</th><th>個人情報</th></tr></thead>
      <tbody>
        <xsl:for-each select="list/items/item">
          <xsl:variable name="u" select="unit_id"/>
          <tr>
            <td><xsl:value-of select="id"/></td>
            <td><a href="/assets/{id}"><xsl:value-of select="name"/></a></td>
            <td><xsl:for-each select="handling/item"><span class="chip"><xsl:value-of select="level_name"/></span></xsl:for-each></td>
            <td><xsl:value-of select="/page/units/item[id = $u]/name"/></td>
            <td><xsl:value-of select="segment"/></td>
            <td><xsl:if test="specific_personal = 'true'">特定個人情報</xsl:if><xsl:if test="personal = 'true' and specific_personal != 'true'">個人情報</xsl:if></td>
          </tr>
        </xsl:for-each>
      </tbody>
    </table>
    <xsl:if test="list/next != ''">
      <p class="paging">
        <a href="/assets?after={list/next}&amp;unit_id={filter/unit_id}&amp;segment={filter/segment}&amp;class={filter/class}" rel="next">次の 50 件 →</a>
      </p>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
