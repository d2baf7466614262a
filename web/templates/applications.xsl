<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">申請</xsl:template>

  <xsl:template name="app-table">
    <xsl:param name="items"/>
    <xsl:param name="id"/>
    <xsl:choose>
      <xsl:when test="$items/item">
        <table class="list" id="{$id}">
          <thead><tr><th>番号</th><th>種類</th><th>件名</th><th>申請者</th><th>状態</th><th>返却予定日</th><th>申請日</th></tr></thead>
          <tbody>
            <xsl:for-each select="$items/item">
              <tr>
                <xsl:if test="overdue = 'true'"><xsl:attribute name="class">overdue</xsl:attribute></xsl:if>
                <td><a href="/applications/{id}"><xsl:value-of select="id"/></a></td>
                <td><xsl:value-of select="type_name"/></td>
                <td><a href="/applications/{id}"><xsl:value-of select="title"/></a></td>
                <td><xsl:value-of select="applicant_name"/></td>
                <td><span class="state {state}"><xsl:value-of select="state_name"/></span>
                  <xsl:if test="overdue = 'true'"> <strong class="late">返却期限切れ</strong></xsl:if></td>
                <td><xsl:value-of select="due_on_wareki"/></td>
                <td><xsl:value-of select="created_at_wareki"/></td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>
      </xsl:when>
      <xsl:otherwise><p class="note">ありません。</p></xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="page" mode="content">
    <h1>申請</h1>
    <section class="card">
      <h2>新しい申請</h2>
      <p class="note">申請は団体の情報セキュリティポリシーで判定され、承認の経路と守るべき事項が決まります。</p>
      <ul class="types">
        <xsl:for-each select="types/item">
          <li><a href="/applications/new?type={id}" id="new-{id}"><xsl:value-of select="name"/></a></li>
        </xsl:for-each>
      </ul>
    </section>
    <section class="card">
      <h2>承認待ち（あなたが承認できるもの）</h2>
      <xsl:call-template name="app-table"><xsl:with-param name="items" select="to_approve"/><xsl:with-param name="id">to-approve</xsl:with-param></xsl:call-template>
    </section>
    <xsl:if test="overdue">
      <section class="card">
        <h2>返却期限を過ぎた持ち出し</h2>
        <xsl:call-template name="app-table"><xsl:with-param name="items" select="overdue"/><xsl:with-param name="id">overdue</xsl:with-param></xsl:call-template>
      </section>
    </xsl:if>
    <section class="card">
      <h2>自分の申請</h2>
      <xsl:call-template name="app-table"><xsl:with-param name="items" select="mine"/><xsl:with-param name="id">mine</xsl:with-param></xsl:call-template>
    </section>
  </xsl:template>
</xsl:stylesheet>
