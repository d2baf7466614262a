<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">通知</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>通知 <small>（未読 <span id="unread"><xsl:value-of select="inbox/unread"/></span> 件）</small></h1>
    <xsl:call-template name="message"/>
    <xsl:if test="inbox/unread != '0'">
      <form method="post" action="/inbox/read" class="inline">
        <xsl:call-template name="csrf"/>
        <button type="submit" id="read-all">すべて既読にする</button>
      </form>
    </xsl:if>
    <ul class="inbox" id="inbox">
      <xsl:for-each select="inbox/items/item">
        <li>
          <xsl:if test="read = 'false'"><xsl:attribute name="class">unread</xsl:attribute></xsl:if>
          <p><strong><xsl:choose><xsl:when test="link != ''"><a href="{link}"><xsl:value-of select="subject"/></a></xsl:when><xsl:otherwise><xsl:value-of select="subject"/></xsl:otherwise></xsl:choose></strong>
            <xsl:text> </xsl:text><small><xsl:value-of select="created_at_wareki"/></small></p>
          <p class="pre"><xsl:value-of select="body"/></p>
          <xsl:if test="read = 'false'">
            <form method="post" action="/inbox/{id}/read" class="inline">
              <xsl:call-template name="csrf"/>
              <button type="submit">既読にする</button>
            </form>
          </xsl:if>
        </li>
      </xsl:for-each>
    </ul>
    <xsl:if test="not(inbox/items/item)"><p>通知はありません。</p></xsl:if>
    <form method="post" action="/inbox/email" class="card" id="email-form">
      <xsl:call-template name="csrf"/>
      <label>通知を受け取るメールアドレス（空欄で解除） <input type="email" name="email" maxlength="254"/></label>
      <button type="submit">設定する</button>
    </form>
  </xsl:template>
</xsl:stylesheet>
