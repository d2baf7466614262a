<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">組織</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>組織 <small>（<xsl:value-of select="list/total"/>）</small></h1>
    <ul class="tree" id="units">
      <xsl:for-each select="list/items/item[not(parent_id != '')]">
        <xsl:variable name="d" select="id"/>
        <li><xsl:value-of select="name"/>
          <ul>
            <xsl:for-each select="/page/list/items/item[parent_id = $d]">
              <li><a href="/assets?unit_id={id}"><xsl:value-of select="name"/></a></li>
            </xsl:for-each>
          </ul>
        </li>
      </xsl:for-each>
    </ul>
  </xsl:template>
</xsl:stylesheet>
