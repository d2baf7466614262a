<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">インシデント</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>インシデント（CSIRT 窓口）</h1>
    <p>
      <a class="button" href="/incidents/new" id="new-incident">インシデントを報告する</a>
      <xsl:text> </xsl:text><a href="/plan">緊急時対応計画</a>
    </p>
    <xsl:if test="due/items/item">
      <section class="card" id="ppc-due">
        <h2>個人情報保護委員会への報告（未了）</h2>
        <table class="ledger">
          <thead><tr><th>事案</th><th>報告</th><th>期限</th><th>状況</th></tr></thead>
          <tbody>
            <xsl:for-each select="due/items/item">
              <tr>
                <xsl:if test="overdue = 'true'"><xsl:attribute name="class">overdue</xsl:attribute></xsl:if>
                <td><a href="/incidents/{incident_id}">#<xsl:value-of select="incident_id"/><xsl:text> </xsl:text><xsl:value-of select="title"/></a></td>
                <td><xsl:value-of select="report_name"/></td>
                <td><xsl:value-of select="due_at_wareki"/></td>
                <td><xsl:choose><xsl:when test="overdue = 'true'"><strong>期限超過</strong></xsl:when><xsl:otherwise>期限内</xsl:otherwise></xsl:choose></td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>
      </section>
    </xsl:if>
    <form method="get" action="/incidents" class="filters">
      <label>状態
        <select name="state">
          <option value="">すべて</option>
          <option value="reported">報告受付（トリアージ待ち）</option>
          <option value="containment">封じ込め</option>
          <option value="recovery">復旧</option>
          <option value="cause">原因究明</option>
          <option value="prevention">再発防止</option>
          <option value="closed">終結</option>
          <option value="not_incident">インシデントではない</option>
        </select>
      </label>
      <button type="submit">絞り込む</button>
    </form>
    <table class="ledger" id="incidents">
      <thead><tr><th>番号</th><th>件名</th><th>状態</th><th>深刻度</th><th>個人情報</th><th>担当</th><th>期限</th><th>報告日時</th></tr></thead>
      <tbody>
        <xsl:for-each select="list/items/item">
          <tr>
            <td><xsl:value-of select="id"/></td>
            <td><a href="/incidents/{id}"><xsl:value-of select="title"/></a></td>
            <td><xsl:value-of select="state_name"/></td>
            <td><xsl:value-of select="severity_name"/></td>
            <td><xsl:if test="personal = 'true'">あり</xsl:if></td>
            <td><xsl:value-of select="assignee/name"/></td>
            <td><xsl:value-of select="deadline_wareki"/><xsl:if test="overdue = 'true'"> <strong>（超過）</strong></xsl:if></td>
            <td><xsl:value-of select="created_at_wareki"/></td>
          </tr>
        </xsl:for-each>
      </tbody>
    </table>
    <xsl:if test="not(list/items/item)"><p>表示できる事案はありません。</p></xsl:if>
  </xsl:template>
</xsl:stylesheet>
