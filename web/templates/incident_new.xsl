<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">インシデントの報告</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>インシデントの報告</h1>
    <p>情報セキュリティに係る事故、不正行為、情報システムの欠陥・障害・誤動作を見つけたら、速やかに報告してください。CSIRT が受け付けて判定します。</p>
    <xsl:call-template name="message"/>
    <form method="post" action="/incidents/new" class="card" id="incident-form">
      <xsl:call-template name="csrf"/>
      <label>件名（必須） <input name="title" id="incident-title" required="required" maxlength="400" value="{form/title}"/></label>
      <label>何が起きたか（必須）
        <textarea name="description" id="incident-description" required="required" rows="6"><xsl:value-of select="form/description"/></textarea>
      </label>
      <label>発生日時（分かれば） <input type="datetime-local" name="occurred_at" id="incident-occurred" value="{form/occurred_at_input}"/></label>
      <label>関係する情報システム
        <select name="system_ids" id="incident-system">
          <option value="">（なし・不明）</option>
          <xsl:for-each select="systems/item"><option value="{id}"><xsl:value-of select="name"/></option></xsl:for-each>
        </select>
      </label>
      <label>関係する情報資産の番号（カンマ区切り） <input name="asset_ids" id="incident-assets" maxlength="400" placeholder="例: 12, 15"/></label>
      <button type="submit" id="incident-save">報告する</button>
    </form>
  </xsl:template>
</xsl:stylesheet>
