<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">例外措置</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>例外措置</h1>
    <xsl:call-template name="message"/>
    <p class="note">例外措置は「例外措置」の申請が承認されると記録されます。緊急時の例外措置は、事後に報告してください。<a href="/applications/new?type=exception">例外措置を申請する</a></p>
    <xsl:choose>
      <xsl:when test="items/item">
        <table class="list" id="exceptions">
          <thead><tr><th>番号</th><th>講じる者</th><th>対象の行為</th><th>理由</th><th>期間</th><th>状態</th><th>事後報告</th><th>見直し</th><th>操作</th></tr></thead>
          <tbody>
            <xsl:for-each select="items/item">
              <xsl:variable name="act" select="action"/>
              <tr class="{status}">
                <td><a href="/applications/{application_id}"><xsl:value-of select="id"/></a></td>
                <td><xsl:value-of select="holder_name"/></td>
                <td><xsl:choose><xsl:when test="/page/policy/actions/item[id = $act]"><xsl:value-of select="/page/policy/actions/item[id = $act]/name"/></xsl:when><xsl:otherwise><xsl:value-of select="action"/></xsl:otherwise></xsl:choose></td>
                <td><xsl:value-of select="reason"/></td>
                <td><xsl:value-of select="starts_on"/> 〜 <xsl:value-of select="ends_on"/></td>
                <td><span class="status {status}"><xsl:value-of select="status_name"/></span><xsl:if test="emergency = 'true'">（緊急）</xsl:if></td>
                <td>
                  <xsl:choose>
                    <xsl:when test="emergency != 'true'">—</xsl:when>
                    <xsl:when test="reported_at != ''">報告済み（<xsl:value-of select="reported_at_wareki"/>）</xsl:when>
                    <xsl:otherwise><xsl:value-of select="report_due_on"/> までに報告<xsl:if test="report_overdue = 'true'"> <strong class="late">期限切れ</strong></xsl:if></xsl:otherwise>
                  </xsl:choose>
                </td>
                <td><xsl:value-of select="next_review_on"/><xsl:if test="review_due = 'true'"> <strong class="late">見直しの時期です</strong></xsl:if></td>
                <td>
                  <xsl:if test="mine = 'true' and emergency = 'true' and reported_at = ''">
                    <form method="post" action="/exceptions/{id}/report">
                      <xsl:call-template name="csrf"/>
                      <input type="text" name="text" required="required" maxlength="1000" placeholder="事後の報告"/>
                      <button type="submit">報告する</button>
                    </form>
                  </xsl:if>
                  <xsl:if test="can_oversee = 'true' and state = 'granted'">
                    <form method="post" action="/exceptions/{id}/review" class="inline">
                      <xsl:call-template name="csrf"/>
                      <input type="text" name="text" maxlength="1000" placeholder="見直しの所見"/>
                      <button type="submit">見直した</button>
                    </form>
                    <form method="post" action="/exceptions/{id}/revoke" class="inline">
                      <xsl:call-template name="csrf"/>
                      <input type="hidden" name="text" value="取消し"/>
                      <button type="submit">取り消す</button>
                    </form>
                  </xsl:if>
                </td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>
      </xsl:when>
      <xsl:otherwise><p class="note">例外措置はありません。</p></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
