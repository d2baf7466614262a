<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">サインイン</xsl:template>
  <xsl:template match="page" mode="content">
    <section class="card narrow">
      <h1>サインイン</h1>
      <xsl:call-template name="message"/>
      <form method="post" action="/login" id="login">
        <label>団体
          <select name="tenant" id="tenant">
            <xsl:for-each select="tenants/item">
              <option value="{id}"><xsl:value-of select="name"/>（<xsl:value-of select="id"/>）</option>
            </xsl:for-each>
          </select>
        </label>
        <label>ログイン名 <input name="login" id="login-name" autocomplete="username" required="required"/></label>
        <label>パスワード <input name="password" id="password" type="password" autocomplete="current-password" required="required"/></label>
        <label>ワンタイムパスワード（登録済みの方） <input name="totp" id="totp" inputmode="numeric" pattern="[0-9]{{6}}" autocomplete="one-time-code"/></label>
        <button type="submit" id="signin">サインイン</button>
      </form>
      <p class="note">5 回続けて誤るとアカウントがロックされます（解除は管理者に依頼してください）。</p>
    </section>
  </xsl:template>
</xsl:stylesheet>
