<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title"><xsl:value-of select="round/name"/> — 自己点検</xsl:template>

  <xsl:template name="answer-label">
    <xsl:param name="a"/>
    <xsl:choose>
      <xsl:when test="$a = 'yes'">実施している</xsl:when>
      <xsl:when test="$a = 'partial'">一部</xsl:when>
      <xsl:when test="$a = 'no'">していない</xsl:when>
      <xsl:when test="$a = 'na'">該当なし</xsl:when>
      <xsl:otherwise>未回答</xsl:otherwise>
    </xsl:choose>
  </xsl:template>

  <xsl:template name="tally">
    <xsl:param name="rows"/><xsl:param name="first"/><xsl:param name="name"/><xsl:param name="id"/>
    <table class="ledger figures" id="{$id}">
      <thead><tr><th scope="col"><xsl:value-of select="$first"/></th><th scope="col">実施</th><th scope="col">一部</th><th scope="col">未実施</th><th scope="col">該当なし</th><th scope="col">未回答</th><th scope="col">遵守率</th></tr></thead>
      <tbody>
        <xsl:for-each select="$rows">
          <tr><th scope="row"><xsl:value-of select="*[local-name() = $name]"/></th><td><xsl:value-of select="yes"/></td><td><xsl:value-of select="partial"/></td><td><xsl:value-of select="no"/></td><td><xsl:value-of select="na"/></td><td><xsl:value-of select="open"/></td><td><xsl:value-of select="rate"/></td></tr>
        </xsl:for-each>
      </tbody>
    </table>
  </xsl:template>

  <xsl:template match="page" mode="content">
    <xsl:variable name="rid" select="round/id"/>
    <h1><xsl:value-of select="round/name"/> <small>（期限 <xsl:value-of select="round/deadline_wareki"/>・<xsl:choose><xsl:when test="round/status = 'closed'">締切</xsl:when><xsl:otherwise>実施中</xsl:otherwise></xsl:choose>）</small></h1>
    <p>
      <a class="button" href="/inspection/rounds/{$rid}/report.xlsx">報告（Excel）</a>
      <xsl:text> </xsl:text><a class="button" href="/inspection/rounds/{$rid}/report.csv">CSV</a>
      <xsl:text> </xsl:text><a class="button" href="/inspection/rounds/{$rid}/report.html">印刷用</a>
    </p>
    <section class="card">
      <h2>遵守率 <strong id="body-rate"><xsl:value-of select="round/rollup/body/rate"/></strong>
        <xsl:if test="compare/body/previous_permille != ''"><small>（前年度 <xsl:value-of select="compare/previous/name"/>: <xsl:value-of select="compare/body/previous_permille div 10"/>%）</small></xsl:if></h2>
      <h3>章ごと</h3>
      <xsl:call-template name="tally"><xsl:with-param name="rows" select="round/rollup/chapters/item"/><xsl:with-param name="first" select="'章'"/><xsl:with-param name="name" select="'chapter'"/><xsl:with-param name="id" select="'by-chapter'"/></xsl:call-template>
      <h3>部ごと</h3>
      <xsl:call-template name="tally"><xsl:with-param name="rows" select="round/rollup/departments/item"/><xsl:with-param name="first" select="'部'"/><xsl:with-param name="name" select="'unit'"/><xsl:with-param name="id" select="'by-department'"/></xsl:call-template>
      <h3>課ごと</h3>
      <xsl:call-template name="tally"><xsl:with-param name="rows" select="round/rollup/sections/item"/><xsl:with-param name="first" select="'課'"/><xsl:with-param name="name" select="'unit'"/><xsl:with-param name="id" select="'by-section'"/></xsl:call-template>
      <form method="get" action="/inspection/rounds/{$rid}" class="filters">
        <label>回答する組織
          <select name="unit">
            <option value="0">すべて</option>
            <xsl:for-each select="round/rollup/sections/item">
              <option value="{unit_id}"><xsl:if test="unit_id = /page/unit"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if><xsl:value-of select="unit"/></option>
            </xsl:for-each>
          </select>
        </label>
        <button type="submit">表示</button>
      </form>
    </section>

    <section class="card">
      <h2>回答 <small>（<xsl:value-of select="count(answers/item)"/> / <xsl:value-of select="answers_total"/>）</small></h2>
      <table class="ledger" id="answers">
        <thead><tr><th scope="col">項目</th><th scope="col">組織</th><th scope="col">点検項目</th><th scope="col">回答</th><th scope="col">備考・証跡</th><th scope="col">回答する</th></tr></thead>
        <tbody>
          <xsl:for-each select="answers/item">
            <tr id="a{id}">
              <td><xsl:value-of select="key"/><br/><small><xsl:value-of select="clause"/></small></td>
              <td><xsl:value-of select="unit"/><xsl:if test="system != ''"><br/><small><xsl:value-of select="system"/></small></xsl:if></td>
              <td><xsl:value-of select="question"/></td>
              <td class="answer-{answer}"><xsl:call-template name="answer-label"><xsl:with-param name="a" select="answer"/></xsl:call-template><xsl:if test="auto = 'true'"> <span class="chip">自動</span></xsl:if></td>
              <td><xsl:value-of select="note"/>
                <xsl:for-each select="evidence/item[kind != 'fact']"><br/><small><xsl:value-of select="kind"/>: <xsl:value-of select="ref"/><xsl:text> </xsl:text><xsl:value-of select="title"/></small></xsl:for-each></td>
              <td>
                <xsl:if test="/page/round/status != 'closed'">
                <form method="post" action="/inspection/answers/{id}" class="answer">
                  <xsl:call-template name="csrf"/>
                  <input type="hidden" name="round" value="{$rid}"/><input type="hidden" name="unit" value="{/page/unit}"/>
                  <select name="answer" aria-label="回答">
                    <option value="yes">実施している</option><option value="partial">一部</option>
                    <option value="no">していない</option><option value="na">該当なし</option>
                  </select>
                  <input name="note" placeholder="備考" aria-label="備考"/>
                  <select name="evidence_kind" aria-label="証跡の種類"><option value="">証跡なし</option><option value="url">リンク</option><option value="file">ファイル名</option><option value="application">申請番号</option><option value="incident">インシデント番号</option><option value="log">ログの範囲</option></select>
                  <input name="evidence_ref" placeholder="証跡" aria-label="証跡"/>
                  <button type="submit">保存</button>
                </form>
                </xsl:if>
              </td>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
    </section>

    <section class="card">
      <h2>改善策</h2>
      <xsl:if test="manage = 'true'">
        <form method="post" action="/inspection/rounds/{$rid}/actions" class="inline">
          <xsl:call-template name="csrf"/>
          <label>期日 <input name="due" type="date"/></label>
          <button type="submit" id="make-actions">未実施・一部の項目から改善策を作る</button>
        </form>
      </xsl:if>
      <table class="ledger" id="actions">
        <thead><tr><th scope="col">項目</th><th scope="col">組織</th><th scope="col">改善策</th><th scope="col">担当者</th><th scope="col">期日</th><th scope="col">状態</th></tr></thead>
        <tbody>
          <xsl:for-each select="actions/item">
            <tr><td><xsl:value-of select="key"/></td><td><xsl:value-of select="unit"/></td><td><xsl:value-of select="description"/></td><td><xsl:value-of select="owner"/></td><td><xsl:value-of select="due"/></td>
              <td><xsl:choose><xsl:when test="status = 'done'">完了 <small><xsl:value-of select="closing_note"/></small></xsl:when><xsl:otherwise>
                <form method="post" action="/inspection/actions/{id}" class="inline">
                  <xsl:call-template name="csrf"/><input type="hidden" name="round" value="{$rid}"/><input type="hidden" name="status" value="done"/>
                  <input name="closing_note" placeholder="完了の記録" aria-label="完了の記録"/><button type="submit">完了</button></form>
              </xsl:otherwise></xsl:choose></td></tr>
          </xsl:for-each>
        </tbody>
      </table>
    </section>

    <section class="card">
      <h2>監査の指摘事項</h2>
      <table class="ledger" id="findings">
        <thead><tr><th scope="col">項目</th><th scope="col">組織</th><th scope="col">重要度</th><th scope="col">指摘事項</th><th scope="col">フォローアップ</th><th scope="col">状態</th></tr></thead>
        <tbody>
          <xsl:for-each select="findings/item">
            <tr><td><xsl:value-of select="key"/></td><td><xsl:value-of select="unit"/></td>
              <td><xsl:choose><xsl:when test="severity = 'high'">高</xsl:when><xsl:when test="severity = 'medium'">中</xsl:when><xsl:otherwise>低</xsl:otherwise></xsl:choose></td>
              <td><xsl:value-of select="finding"/></td><td><xsl:value-of select="follow_up"/></td>
              <td><xsl:choose><xsl:when test="status = 'closed'">完了</xsl:when><xsl:otherwise>対応中</xsl:otherwise></xsl:choose></td></tr>
          </xsl:for-each>
        </tbody>
      </table>
      <xsl:if test="audit = 'true'">
        <form method="post" action="/inspection/rounds/{$rid}/findings" class="filters" id="finding-form">
          <xsl:call-template name="csrf"/>
          <label>項目キー <input name="item" required="required"/></label>
          <label>重要度 <select name="severity"><option value="high">高</option><option value="medium">中</option><option value="low">低</option></select></label>
          <label>指摘事項 <input name="finding" required="required"/></label>
          <label>フォローアップ <input name="follow_up"/></label>
          <button type="submit">指摘を記録する</button>
        </form>
      </xsl:if>
    </section>
  </xsl:template>
</xsl:stylesheet>
