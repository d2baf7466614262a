<?xml version="1.0" encoding="UTF-8"?>
<!-- layout.xsl: the frame of every page. A page stylesheet imports this and
     defines <xsl:template match="page" mode="title"> and mode="content".
     Every value comes from the data document as text: the processor escapes
     it; nothing here disables output escaping. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:output method="html" encoding="UTF-8" doctype-system="about:legacy-compat" indent="no"/>

  <xsl:template match="/">
    <html lang="ja">
      <head>
        <meta charset="UTF-8"/>
        <meta name="viewport" content="width=device-width, initial-scale=1"/>
        <title><xsl:apply-templates select="page" mode="title"/> — mamori 守り</title>
        <link rel="stylesheet" href="/static/app.css"/>
      </head>
      <body>
        <header class="bar">
          <a class="brand" href="/">mamori <span>守り</span></a>
          <xsl:if test="page/user">
            <nav>
              <a href="/">ダッシュボード</a>
              <a href="/assets">情報資産台帳</a>
              <a href="/systems">情報システム台帳</a>
              <a href="/units">組織</a>
              <a href="/applications">申請</a>
              <a href="/exceptions">例外措置</a>
              <a href="/records">記録</a>
              <a href="/incidents">インシデント</a>
              <a href="/inbox">通知</a>
              <a href="/inspection">自己点検・監査</a>
              <xsl:if test="page/admin = 'true'"><a href="/users">利用者</a></xsl:if>
              <xsl:if test="page/admin = 'true'"><a href="/zones">三層の分離</a></xsl:if>
              <xsl:if test="page/admin = 'true'"><a href="/audit">監査ログ</a></xsl:if>
            </nav>
            <div class="who">
              <span><xsl:value-of select="page/tenant"/> ／ <xsl:value-of select="page/user"/></span>
              <a href="/mfa">二要素認証</a>
              <a href="/password">パスワード変更</a>
              <form method="post" action="/logout" class="inline">
                <input type="hidden" name="csrf" value="{page/csrf}"/>
                <button type="submit">サインアウト</button>
              </form>
            </div>
          </xsl:if>
        </header>
        <main>
          <p class="today"><xsl:value-of select="page/today"/></p>
          <xsl:apply-templates select="page" mode="content"/>
        </main>
        <footer>mamori — 情報セキュリティポリシーの実施を支えるシステム</footer>
      </body>
    </html>
  </xsl:template>

  <!-- a form's CSRF token -->
  <xsl:template name="csrf">
    <input type="hidden" name="csrf" value="{/page/csrf}"/>
  </xsl:template>

  <!-- the classification of an asset as "軸: レベル" chips -->
  <xsl:template match="classification" mode="chips">
    <xsl:for-each select="*">
      <span class="chip">
        <xsl:choose>
          <xsl:when test="@key"><xsl:value-of select="@key"/></xsl:when>
          <xsl:otherwise><xsl:value-of select="local-name()"/></xsl:otherwise>
        </xsl:choose>: <xsl:value-of select="."/></span>
    </xsl:for-each>
  </xsl:template>

  <xsl:template name="message">
    <xsl:if test="/page/message">
      <p class="message" role="alert"><xsl:value-of select="/page/message"/></p>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
