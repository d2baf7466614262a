<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">二要素認証の登録</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>二要素認証（ワンタイムパスワード）の登録</h1>
    <xsl:call-template name="message"/>
    <section class="card narrow">
      <p>認証アプリで次の QR コードを読み取り、表示された 6 桁の数字を入力してください。</p>
      <xsl:if test="qr"><img src="{qr}" alt="ワンタイムパスワード登録用の QR コード" width="240" height="240"/></xsl:if>
      <p class="note">読み取れない場合の鍵: <code id="totp-secret"><xsl:value-of select="secret"/></code></p>
      <form method="post" action="/mfa">
        <xsl:call-template name="csrf"/>
        <input type="hidden" name="secret" value="{secret}"/>
        <label>確認コード <input name="code" id="totp-code" inputmode="numeric" pattern="[0-9]{{6}}" required="required" autocomplete="one-time-code"/></label>
        <button type="submit">登録する</button>
      </form>
    </section>
  </xsl:template>
</xsl:stylesheet>
