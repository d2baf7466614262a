<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">作業・入退室等の記録</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>作業・入退室等の記録</h1>
    <xsl:call-template name="message"/>
    <p class="note">
      <a href="/records">すべて</a> ／ <a href="/records?kind=two_person">2名以上での作業</a> ／
      <a href="/records?kind=maintenance">保守作業</a> ／ <a href="/records?kind=room_entry">入退室管理簿</a> ／
      <a href="/records?kind=media_handover">記録媒体の受け渡し</a></p>
    <section class="card">
      <h2>記録する</h2>
      <form method="post" action="/records/new" id="record-form">
        <xsl:call-template name="csrf"/>
        <label>種類
          <select name="kind" id="r-kind">
            <option value="two_person">2名以上での作業（work, started_at, ended_at と相手の作業者）</option>
            <option value="maintenance">保守作業（work, contractor, done_on）</option>
            <option value="room_entry">入退室管理簿（person, affiliation, entered_at, purpose）</option>
            <option value="media_handover">記録媒体の受け渡し（media, from, to, handed_on）</option>
          </select>
        </label>
        <label>相手の作業者（利用者の番号） <input type="number" min="1" name="partner_id" id="r-partner"/></label>
        <label>作業・用件（work / purpose） <input type="text" name="data.work" maxlength="1000"/></label>
        <label>開始（started_at） <input type="text" name="data.started_at" maxlength="40"/></label>
        <label>終了（ended_at） <input type="text" name="data.ended_at" maxlength="40"/></label>
        <label>委託事業者（contractor） <input type="text" name="data.contractor" maxlength="200"/></label>
        <label>実施日（done_on / handed_on） <input type="text" name="data.done_on" maxlength="40"/></label>
        <label>入室者（person） <input type="text" name="data.person" maxlength="200"/></label>
        <label>所属（affiliation） <input type="text" name="data.affiliation" maxlength="200"/></label>
        <label>入室日時（entered_at） <input type="text" name="data.entered_at" maxlength="40"/></label>
        <label>目的（purpose） <input type="text" name="data.purpose" maxlength="1000"/></label>
        <button type="submit">記録する</button>
      </form>
    </section>
    <xsl:choose>
      <xsl:when test="items/item">
        <table class="list" id="records">
          <thead><tr><th>番号</th><th>種類</th><th>内容</th><th>記録者</th><th>記録日時</th><th>相手の確認</th></tr></thead>
          <tbody>
            <xsl:for-each select="items/item">
              <tr>
                <td><xsl:value-of select="id"/></td>
                <td><xsl:value-of select="kind_name"/></td>
                <td><xsl:for-each select="data/*"><xsl:value-of select="local-name()"/>: <xsl:value-of select="."/><br/></xsl:for-each></td>
                <td><xsl:value-of select="recorded_by_name"/></td>
                <td><xsl:value-of select="created_at_wareki"/></td>
                <td>
                  <xsl:choose>
                    <xsl:when test="partner_confirmed_at != ''">確認済み（<xsl:value-of select="partner_confirmed_at_wareki"/>）</xsl:when>
                    <xsl:when test="can_confirm = 'true'">
                      <form method="post" action="/records/{id}/confirm"><xsl:call-template name="csrf"/><button type="submit">確認する</button></form>
                    </xsl:when>
                    <xsl:when test="kind = 'two_person'">未確認</xsl:when>
                    <xsl:otherwise>—</xsl:otherwise>
                  </xsl:choose>
                </td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>
      </xsl:when>
      <xsl:otherwise><p class="note">記録はありません。</p></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
