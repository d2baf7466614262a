<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">緊急時対応計画</xsl:template>
  <xsl:template name="plan-body">
    <xsl:param name="p"/>
    <dl class="plan" id="plan">
      <dt>①関係者の連絡先</dt><dd class="pre"><xsl:value-of select="$p/contacts"/></dd>
      <dt>②発生した事案に係る報告すべき事項</dt><dd class="pre"><xsl:value-of select="$p/report_items"/></dd>
      <dt>③発生した事案への対応措置</dt><dd class="pre"><xsl:value-of select="$p/measures"/></dd>
      <dt>④再発防止措置の策定</dt><dd class="pre"><xsl:value-of select="$p/prevention"/></dd>
    </dl>
  </xsl:template>
  <xsl:template match="page" mode="content">
    <h1>緊急時対応計画</h1>
    <p class="cite">根拠: <xsl:value-of select="plan/clause"/>（緊急時対応計画に盛り込むべき内容）</p>
    <xsl:call-template name="message"/>
    <xsl:choose>
      <xsl:when test="plan/written = 'true'">
        <xsl:call-template name="plan-body"><xsl:with-param name="p" select="plan"/></xsl:call-template>
        <p>最終更新: <xsl:value-of select="plan/updated_at_wareki"/>（<xsl:value-of select="plan/updated_by"/>）</p>
      </xsl:when>
      <xsl:otherwise><p id="plan-missing">緊急時対応計画はまだ作成されていません。</p></xsl:otherwise>
    </xsl:choose>
    <xsl:if test="editable = 'true'">
      <form method="post" action="/plan" class="card" id="plan-form">
        <h2>編集（管理者）</h2>
        <xsl:call-template name="csrf"/>
        <label>①関係者の連絡先 <textarea name="contacts" rows="4" required="required"><xsl:value-of select="plan/contacts"/></textarea></label>
        <label>②報告すべき事項 <textarea name="report_items" rows="4" required="required"><xsl:value-of select="plan/report_items"/></textarea></label>
        <label>③対応措置 <textarea name="measures" rows="4" required="required"><xsl:value-of select="plan/measures"/></textarea></label>
        <label>④再発防止措置 <textarea name="prevention" rows="4" required="required"><xsl:value-of select="plan/prevention"/></textarea></label>
        <button type="submit" id="plan-save">保存する</button>
      </form>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
