<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title"><xsl:value-of select="asset/name"/></xsl:template>
  <xsl:template match="page" mode="content">
    <xsl:variable name="a" select="asset"/>
    <h1 id="asset-name"><xsl:value-of select="$a/name"/></h1>
    <section class="card">
      <h2>台帳の記載</h2>
      <dl class="fields">
        <dt>番号</dt><dd><xsl:value-of select="$a/id"/></dd>
        <dt>種別</dt><dd><xsl:value-of select="$a/kind"/></dd>
        <dt>媒体</dt><dd><xsl:value-of select="$a/medium"/></dd>
        <dt>ネットワーク</dt><dd><xsl:value-of select="/page/policy/segments/item[id = $a/segment]/name"/></dd>
        <dt>保管場所</dt><dd><xsl:value-of select="$a/location"/></dd>
        <dt>保存期間</dt><dd><xsl:value-of select="$a/retention"/></dd>
        <dt>個人情報</dt><dd><xsl:choose><xsl:when test="$a/specific_personal = 'true'">特定個人情報を含む</xsl:when><xsl:when test="$a/personal = 'true'">含む</xsl:when><xsl:otherwise>含まない</xsl:otherwise></xsl:choose></dd>
        <xsl:if test="$a/copy_of != ''"><dt>原本</dt><dd><a href="/assets/{$a/copy_of}">情報資産 <xsl:value-of select="$a/copy_of"/></a>（複製は原本と同じ分類）</dd></xsl:if>
        <dt>登録</dt><dd><xsl:value-of select="$a/created_at_wareki"/></dd>
        <dt>更新</dt><dd><xsl:value-of select="$a/updated_at_wareki"/></dd>
      </dl>
    </section>
    <section class="card" id="handling">
      <h2>分類と取扱制限</h2>
      <p class="note">取扱制限は団体の方針から導かれます（手で入力するものではありません）。</p>
      <xsl:for-each select="$a/handling/item">
        <h3><xsl:value-of select="axis_name"/>: <xsl:value-of select="level_name"/></h3>
        <ul>
          <xsl:for-each select="restrictions/item"><li><xsl:value-of select="."/></li></xsl:for-each>
        </ul>
      </xsl:for-each>
    </section>
    <section class="card" id="check">
      <h2>この操作はできますか？</h2>
      <form method="post" action="/assets/{$a/id}/check">
        <xsl:call-template name="csrf"/>
        <label>操作
          <select name="action" id="check-action">
            <xsl:for-each select="policy/actions/item">
              <option value="{id}">
                <xsl:if test="id = /page/checked_action"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if>
                <xsl:value-of select="name"/>
              </option>
            </xsl:for-each>
          </select>
        </label>
        <xsl:for-each select="policy/context/item[type = 'enum' or type = 'bool' or type = 'boolean']">
          <label><xsl:value-of select="name"/>
            <select name="ctx.{id}" id="ctx-{id}">
              <option value="">指定しない</option>
              <xsl:choose>
                <xsl:when test="type = 'enum'">
                  <xsl:for-each select="values/item"><option value="{.}"><xsl:value-of select="."/></option></xsl:for-each>
                </xsl:when>
                <xsl:otherwise>
                  <option value="true">はい</option>
                  <option value="false">いいえ</option>
                </xsl:otherwise>
              </xsl:choose>
            </select>
          </label>
        </xsl:for-each>
        <button type="submit" id="check-submit">判定する</button>
      </form>
      <xsl:if test="check_error"><p class="message" role="alert"><xsl:value-of select="check_error"/></p></xsl:if>
      <xsl:if test="decision">
        <div class="decision {decision/effect}" id="decision">
          <p class="verdict">
            <xsl:choose>
              <xsl:when test="decision/effect = 'permit'">できます</xsl:when>
              <xsl:when test="decision/effect = 'deny'">できません</xsl:when>
              <xsl:otherwise>承認が必要です</xsl:otherwise>
            </xsl:choose>
          </p>
          <p><xsl:value-of select="decision/reason"/></p>
          <xsl:if test="decision/approvers/item">
            <h3>承認者</h3>
            <ul><xsl:for-each select="decision/approvers/item"><xsl:variable name="r" select="."/><li><xsl:value-of select="/page/policy/roles/item[id = $r]/name"/>（<xsl:value-of select="."/>）</li></xsl:for-each></ul>
          </xsl:if>
          <xsl:if test="decision/obligations/item">
            <h3>守ること</h3>
            <ul><xsl:for-each select="decision/obligations/item"><xsl:variable name="o" select="."/><li><xsl:value-of select="/page/policy/obligations/item[id = $o]/name"/></li></xsl:for-each></ul>
          </xsl:if>
          <h3>根拠</h3>
          <xsl:for-each select="decision/citations/item">
            <blockquote class="citation"><p class="clause"><xsl:value-of select="document"/> <xsl:value-of select="clause"/></p><p><xsl:value-of select="text"/></p></blockquote>
          </xsl:for-each>
        </div>
      </xsl:if>
    </section>
  </xsl:template>
</xsl:stylesheet>
