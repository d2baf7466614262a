<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title"><xsl:value-of select="type/name"/>の申請</xsl:template>
  <xsl:template match="page" mode="content">
    <h1><xsl:value-of select="type/name"/>の申請</h1>
    <xsl:call-template name="message"/>
    <form method="post" action="/applications/new" class="card" id="app-form">
      <xsl:call-template name="csrf"/>
      <input type="hidden" name="type" value="{type/id}"/>
      <label>件名 <input type="text" name="title" id="f-title" required="required" maxlength="200" value="{form/title}"/></label>
      <fieldset>
        <legend>対象</legend>
        <label>情報資産台帳の番号（台帳にあるものは分類が台帳から入ります）
          <input type="number" name="asset_id" id="f-asset" min="1" value="{form/asset_id}"/></label>
        <p class="note">台帳にないものは分類を選んでください。</p>
        <xsl:for-each select="policy/axes/item">
          <label><xsl:value-of select="name"/>
            <select name="cls.{id}" id="f-cls-{id}">
              <option value="">指定しない</option>
              <xsl:for-each select="levels/item"><option value="{id}"><xsl:value-of select="name"/></option></xsl:for-each>
            </select>
          </label>
        </xsl:for-each>
        <label>ネットワーク
          <select name="res.segment" id="f-segment">
            <option value="">指定しない</option>
            <xsl:for-each select="policy/segments/item"><option value="{id}"><xsl:value-of select="name"/></option></xsl:for-each>
          </select>
        </label>
      </fieldset>
      <fieldset>
        <legend>申請の内容</legend>
        <xsl:for-each select="type/fields/item[type != 'criteria']">
          <label><xsl:value-of select="name"/><xsl:if test="required = 'true'"> <span class="req">（必須）</span></xsl:if>
            <xsl:choose>
              <xsl:when test="type = 'date'"><input type="date" name="detail.{id}" id="f-{id}"/></xsl:when>
              <xsl:when test="type = 'user'"><input type="number" min="1" name="detail.{id}" id="f-{id}"/></xsl:when>
              <xsl:otherwise><input type="text" name="detail.{id}" id="f-{id}" maxlength="1000"/></xsl:otherwise>
            </xsl:choose>
          </label>
        </xsl:for-each>
        <xsl:if test="type/criteria">
          <h3>クラウドサービス利用判断基準・選定基準の確認</h3>
          <p class="note">重要性分類Ⅰ・Ⅱの情報を扱う場合は、すべてを確認してください。</p>
          <xsl:for-each select="type/criteria/item">
            <label class="check"><input type="checkbox" name="crit.{id}" id="crit-{id}"/> <xsl:value-of select="text"/></label>
          </xsl:for-each>
        </xsl:if>
      </fieldset>
      <fieldset>
        <legend>状況（判定に使います）</legend>
        <xsl:for-each select="policy/context/item[(type = 'enum' or type = 'bool' or type = 'boolean' or type = 'classes') and id != 'approvals']">
          <label><xsl:value-of select="name"/>
            <select name="ctx.{id}" id="ctx-{id}">
              <option value="">指定しない</option>
              <xsl:choose>
                <xsl:when test="type = 'enum'">
                  <xsl:for-each select="values/item"><option value="{.}"><xsl:value-of select="."/></option></xsl:for-each>
                </xsl:when>
                <xsl:when test="type = 'classes'">
                  <xsl:for-each select="/page/policy/axes/item/levels/item"><option value="{id}"><xsl:value-of select="name"/></option></xsl:for-each>
                </xsl:when>
                <xsl:otherwise>
                  <option value="true">はい</option>
                  <option value="false">いいえ</option>
                </xsl:otherwise>
              </xsl:choose>
            </select>
          </label>
        </xsl:for-each>
      </fieldset>
      <button type="submit" id="f-submit">申請する</button>
    </form>
  </xsl:template>
</xsl:stylesheet>
