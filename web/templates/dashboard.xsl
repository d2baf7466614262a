<?xml version="1.0" encoding="UTF-8"?>
<!-- dashboard.xsl: the body at a glance. Every chart is SVG drawn from the
     geometry the server computed (inspect_dash.c), and has its numbers in a
     table beside it for screen readers and for copying into Excel. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform"
                xmlns:svg="http://www.w3.org/2000/svg">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">ダッシュボード</xsl:template>

  <xsl:template name="fill">
    <xsl:param name="i"/>
    <xsl:choose>
      <xsl:when test="$i = 0">#9b1c1c</xsl:when>
      <xsl:when test="$i = 1">#c05621</xsl:when>
      <xsl:when test="$i = 2">#b7791f</xsl:when>
      <xsl:when test="$i = 3">#2f6f9f</xsl:when>
      <xsl:when test="$i = 4">#276749</xsl:when>
      <xsl:when test="$i = 5">#553c9a</xsl:when>
      <xsl:otherwise>#cbd2d9</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template match="page" mode="content">
    <h1>ダッシュボード</h1>
    <section class="tiles">
      <a class="tile" href="/assets"><strong><xsl:value-of select="counts/assets"/></strong> 情報資産</a>
      <a class="tile" href="/systems"><strong><xsl:value-of select="counts/systems"/></strong> 情報システム</a>
      <div class="tile"><strong><xsl:value-of select="counts/devices"/></strong> 端末・記録媒体</div>
      <a class="tile" href="/units"><strong><xsl:value-of select="counts/units"/></strong> 組織</a>
      <xsl:if test="scoped = 'false'"><a class="tile" href="/inspection"><strong><xsl:value-of select="compliance/body/rate"/></strong> 自己点検の遵守率</a></xsl:if>
    </section>

    <xsl:choose>
    <xsl:when test="scoped = 'false'">
    <section class="card chart" id="chart-compliance">
      <h2>部ごとの遵守率<xsl:if test="compliance/name">（<xsl:value-of select="compliance/name"/>）</xsl:if></h2>
      <xsl:choose>
        <xsl:when test="compliance/available = 'true' and compliance/departments/item">
          <div class="chart-row">
            <svg xmlns="http://www.w3.org/2000/svg" width="640" height="{compliance/height}" role="img"
                 aria-labelledby="compliance-table">
              <xsl:for-each select="compliance/departments/item">
                <text x="0" y="{ty}" font-size="13" fill="#1f2933"><xsl:value-of select="unit"/></text>
                <rect x="200" y="{y}" width="360" height="20" fill="#e4ebf1"/>
                <rect x="200" y="{y}" width="{width}" height="20" fill="#2f6f9f"/>
                <text x="{tx}" y="{ty}" font-size="13" fill="#1f2933"><xsl:value-of select="rate"/></text>
              </xsl:for-each>
            </svg>
            <table class="ledger figures" id="compliance-table">
              <caption>部ごとの遵守率（実施=1、一部=½、該当なし・未回答は除く）</caption>
              <thead><tr><th scope="col">部</th><th scope="col">実施</th><th scope="col">一部</th><th scope="col">未実施</th><th scope="col">該当なし</th><th scope="col">未回答</th><th scope="col">遵守率</th></tr></thead>
              <tbody>
                <xsl:for-each select="compliance/departments/item">
                  <tr><th scope="row"><xsl:value-of select="unit"/></th><td><xsl:value-of select="yes"/></td><td><xsl:value-of select="partial"/></td><td><xsl:value-of select="no"/></td><td><xsl:value-of select="na"/></td><td><xsl:value-of select="open"/></td><td><xsl:value-of select="rate"/></td></tr>
                </xsl:for-each>
              </tbody>
            </table>
          </div>
          <p><a href="/inspection/rounds/{compliance/round}">点検の詳細</a></p>
        </xsl:when>
        <xsl:otherwise><p class="note">自己点検はまだ行われていません。<a href="/inspection">自己点検・監査</a>から始めます。</p></xsl:otherwise>
      </xsl:choose>
    </section>

    <section class="card chart" id="chart-incidents">
      <h2>月ごとのインシデント（重大度別）</h2>
      <xsl:choose>
        <xsl:when test="incidents/available = 'true'">
          <div class="chart-row">
            <svg xmlns="http://www.w3.org/2000/svg" width="584" height="{incidents/height}" role="img" aria-labelledby="incidents-table">
              <xsl:for-each select="incidents/months/item">
                <xsl:variable name="mx" select="x"/>
                <xsl:for-each select="bars/item">
                  <rect x="{$mx}" y="{y}" width="36" height="{h}">
                    <xsl:attribute name="fill"><xsl:call-template name="fill"><xsl:with-param name="i" select="color"/></xsl:call-template></xsl:attribute>
                  </rect>
                </xsl:for-each>
                <text x="{x}" y="{/page/incidents/label_y}" font-size="11" fill="#1f2933"><xsl:value-of select="label"/>月</text>
              </xsl:for-each>
            </svg>
            <table class="ledger figures" id="incidents-table">
              <caption>月ごとのインシデント件数</caption>
              <thead><tr><th scope="col">月</th><xsl:for-each select="incidents/severities/item"><th scope="col"><xsl:value-of select="name"/></th></xsl:for-each></tr></thead>
              <tbody>
                <xsl:for-each select="incidents/months/item">
                  <tr><th scope="row"><xsl:value-of select="month"/></th><xsl:for-each select="bars/item"><td><xsl:value-of select="count"/></td></xsl:for-each></tr>
                </xsl:for-each>
              </tbody>
            </table>
          </div>
        </xsl:when>
        <xsl:otherwise><p class="note">インシデントの記録はまだありません。</p></xsl:otherwise>
      </xsl:choose>
    </section>

    <section class="card chart" id="chart-waiting">
      <h2>承認待ちの申請・期限が近い例外措置</h2>
      <xsl:choose>
        <xsl:when test="applications/available = 'true'">
          <div class="chart-row">
            <svg xmlns="http://www.w3.org/2000/svg" width="640" height="82" role="img" aria-labelledby="waiting-table">
              <text x="0" y="16" font-size="13" fill="#1f2933">承認待ちの申請</text>
              <rect x="200" y="0" width="{applications/w_waiting}" height="20" fill="#2f6f9f"/>
              <text x="{applications/w_waiting + 206}" y="16" font-size="13" fill="#1f2933"><xsl:value-of select="applications/waiting"/></text>
              <text x="0" y="44" font-size="13" fill="#1f2933">30 日以内に終わる例外措置</text>
              <rect x="200" y="28" width="{applications/w_expiring}" height="20" fill="#b7791f"/>
              <text x="{applications/w_expiring + 206}" y="44" font-size="13" fill="#1f2933"><xsl:value-of select="applications/expiring"/></text>
              <text x="0" y="72" font-size="13" fill="#1f2933">期限を過ぎた例外措置</text>
              <rect x="200" y="56" width="{applications/w_expired}" height="20" fill="#9b1c1c"/>
              <text x="{applications/w_expired + 206}" y="72" font-size="13" fill="#1f2933"><xsl:value-of select="applications/expired"/></text>
            </svg>
            <table class="ledger figures" id="waiting-table">
              <caption>件数</caption>
              <tbody>
                <tr><th scope="row"><a href="/applications">承認待ちの申請</a></th><td><xsl:value-of select="applications/waiting"/></td></tr>
                <tr><th scope="row"><a href="/exceptions">30 日以内に終わる例外措置</a></th><td><xsl:value-of select="applications/expiring"/></td></tr>
                <tr><th scope="row">期限を過ぎても許可されたままの例外措置</th><td><xsl:value-of select="applications/expired"/></td></tr>
              </tbody>
            </table>
          </div>
        </xsl:when>
        <xsl:otherwise><p class="note">申請・例外措置の記録はまだありません。</p></xsl:otherwise>
      </xsl:choose>
    </section>

    <section class="card chart" id="chart-classes">
      <h2>情報資産台帳の分類の内訳</h2>
      <xsl:for-each select="classes/item">
        <h3><xsl:value-of select="name"/></h3>
        <div class="chart-row">
          <svg xmlns="http://www.w3.org/2000/svg" width="600" height="28" role="img" aria-labelledby="classes-{axis}">
            <xsl:for-each select="levels/item[width &gt; 0]">
              <rect x="{x}" y="2" width="{width}" height="22">
                <xsl:attribute name="fill"><xsl:call-template name="fill"><xsl:with-param name="i" select="color"/></xsl:call-template></xsl:attribute>
                <title><xsl:value-of select="name"/>: <xsl:value-of select="count"/></title>
              </rect>
            </xsl:for-each>
          </svg>
          <table class="ledger figures" id="classes-{axis}">
            <caption><xsl:value-of select="name"/>ごとの情報資産の件数</caption>
            <tbody>
              <xsl:for-each select="levels/item">
                <tr><th scope="row">
                  <svg xmlns="http://www.w3.org/2000/svg" width="10" height="10" aria-hidden="true"><rect width="10" height="10"><xsl:attribute name="fill"><xsl:call-template name="fill"><xsl:with-param name="i" select="color"/></xsl:call-template></xsl:attribute></rect></svg>
                  <xsl:text> </xsl:text><xsl:value-of select="name"/></th>
                  <td><xsl:value-of select="count"/></td></tr>
              </xsl:for-each>
            </tbody>
          </table>
        </div>
      </xsl:for-each>
    </section>

    <section class="card chart" id="chart-segments">
      <h2>三層の対策（ネットワークの区分ごとの情報システムと情報資産）</h2>
      <div class="chart-row">
        <svg xmlns="http://www.w3.org/2000/svg" width="520" height="{segments/height}" role="img" aria-labelledby="segments-table">
          <xsl:for-each select="segments/layers/item">
            <rect x="0" y="{y}" width="500" height="60" rx="6">
              <xsl:attribute name="fill"><xsl:call-template name="fill"><xsl:with-param name="i" select="position() - 1"/></xsl:call-template></xsl:attribute>
            </rect>
            <text x="16" y="{ty}" font-size="15" font-weight="bold" fill="#ffffff"><xsl:value-of select="name"/></text>
            <text x="16" y="{ty2}" font-size="13" fill="#ffffff">情報システム <xsl:value-of select="systems"/> ・ 情報資産 <xsl:value-of select="assets"/></text>
          </xsl:for-each>
        </svg>
        <table class="ledger figures" id="segments-table">
          <caption>区分ごとの件数</caption>
          <thead><tr><th scope="col">区分</th><th scope="col">情報システム</th><th scope="col">情報資産</th></tr></thead>
          <tbody>
            <xsl:for-each select="segments/layers/item">
              <tr><th scope="row"><xsl:value-of select="name"/></th><td><xsl:value-of select="systems"/></td><td><xsl:value-of select="assets"/></td></tr>
            </xsl:for-each>
          </tbody>
        </table>
      </div>
    </section>
    </xsl:when>
    <xsl:otherwise>
      <p class="note" id="scoped-note">件数は、あなたが見ることのできる範囲（所属する課、担当する情報システム、管理する資産）のものです。自己点検の遵守率、インシデント、申請、分類と三層の構成の全庁の集計は、CISO・統括情報セキュリティ責任者・監査の担当者などに表示されます。</p>
    </xsl:otherwise>
    </xsl:choose>
  </xsl:template>
</xsl:stylesheet>
