<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">情報資産の登録</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>情報資産の登録</h1>
    <xsl:call-template name="message"/>
    <form method="post" action="/assets/new" class="card" id="asset-form">
      <xsl:call-template name="csrf"/>
      <label>名称（必須） <input name="name" id="asset-name-input" required="required" maxlength="200" value="{form/name}"/></label>
      <label>種別（必須）
        <select name="kind" id="asset-kind">
          <xsl:for-each select="policy/kinds/item">
            <option value="{id}"><xsl:if test="id = 'information'"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if><xsl:value-of select="name"/></option>
          </xsl:for-each>
        </select>
      </label>
      <fieldset>
        <legend>分類（必須）</legend>
        <xsl:for-each select="policy/axes/item">
          <label><xsl:value-of select="name"/>
            <select name="class.{id}" id="class-{id}">
              <xsl:for-each select="levels/item"><option value="{id}"><xsl:value-of select="name"/></option></xsl:for-each>
            </select>
          </label>
        </xsl:for-each>
      </fieldset>
      <label>所管課
        <select name="unit_id" id="asset-unit">
          <option value="">（未設定）</option>
          <xsl:for-each select="units/item"><option value="{id}"><xsl:value-of select="name"/></option></xsl:for-each>
        </select>
      </label>
      <label>ネットワーク
        <select name="segment" id="asset-segment">
          <option value="">（未設定）</option>
          <xsl:for-each select="policy/segments/item"><option value="{id}"><xsl:value-of select="name"/></option></xsl:for-each>
        </select>
      </label>
      <label>媒体 <input name="medium" maxlength="100"/></label>
      <label>保管場所 <input name="location" maxlength="200"/></label>
      <label>保存期間 <input name="retention" maxlength="100"/></label>
      <label class="check"><input type="checkbox" name="personal"/> 個人情報を含む</label>
      <label class="check"><input type="checkbox" name="specific_personal"/> 特定個人情報を含む</label>
      <button type="submit" id="asset-save">登録する</button>
    </form>
  </xsl:template>
</xsl:stylesheet>
