<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">申請 <xsl:value-of select="application/id"/></xsl:template>
  <xsl:template name="role-name">
    <xsl:param name="r"/>
    <xsl:choose>
      <xsl:when test="/page/policy/roles/item[id = $r]"><xsl:value-of select="/page/policy/roles/item[id = $r]/name"/></xsl:when>
      <xsl:otherwise><xsl:value-of select="$r"/></xsl:otherwise>
    </xsl:choose>
  </xsl:template>
  <xsl:template match="page" mode="content">
    <xsl:variable name="a" select="application"/>
    <h1 id="app-title"><xsl:value-of select="$a/type_name"/>: <xsl:value-of select="$a/title"/></h1>
    <xsl:call-template name="message"/>
    <p>状態: <strong id="app-state" class="state {$a/state}"><xsl:value-of select="$a/state_name"/></strong>
      <xsl:if test="$a/overdue = 'true'"> <strong class="late">返却期限を過ぎています</strong></xsl:if></p>
    <section class="card">
      <h2>申請の内容</h2>
      <dl class="fields">
        <dt>番号</dt><dd><xsl:value-of select="$a/id"/></dd>
        <dt>申請者</dt><dd><xsl:value-of select="$a/applicant_name"/></dd>
        <dt>申請日時</dt><dd><xsl:value-of select="$a/created_at_wareki"/></dd>
        <xsl:if test="$a/asset_id != ''"><dt>情報資産</dt><dd><a href="/assets/{$a/asset_id}">情報資産 <xsl:value-of select="$a/asset_id"/></a></dd></xsl:if>
        <xsl:for-each select="$a/detail_list/item[id != 'due_on']">
          <dt><xsl:value-of select="name"/></dt><dd><xsl:value-of select="value"/></dd>
        </xsl:for-each>
        <xsl:if test="$a/due_on_wareki"><dt>返却予定日</dt><dd id="app-due"><xsl:value-of select="$a/due_on_wareki"/></dd></xsl:if>
        <xsl:if test="$a/started_at_wareki"><dt>実施（持ち出し）</dt><dd><xsl:value-of select="$a/started_at_wareki"/></dd></xsl:if>
        <xsl:if test="$a/returned_at_wareki"><dt>返却</dt><dd><xsl:value-of select="$a/returned_at_wareki"/></dd></xsl:if>
      </dl>
    </section>
    <section class="card decision {$a/decision/effect}" id="app-decision">
      <h2>ポリシーによる判定</h2>
      <p><xsl:value-of select="$a/decision/reason"/></p>
      <xsl:if test="$a/decision/exception">
        <p class="note" id="app-exception">例外措置 <xsl:value-of select="$a/decision/exception/id"/>（<xsl:value-of select="$a/decision/exception/reason"/>、<xsl:value-of select="$a/decision/exception/ends_on"/> まで）: <xsl:value-of select="$a/decision/exception/note"/></p>
      </xsl:if>
      <h3>根拠</h3>
      <ul>
        <xsl:for-each select="$a/decision/citations/item">
          <li><strong><xsl:value-of select="document"/> <xsl:value-of select="clause"/></strong>「<xsl:value-of select="text"/>」</li>
        </xsl:for-each>
      </ul>
      <xsl:if test="$a/route/roles/item">
        <h3>承認の経路</h3>
        <ul id="app-route">
          <xsl:for-each select="$a/route/roles/item">
            <li><xsl:call-template name="role-name"><xsl:with-param name="r" select="."/></xsl:call-template></li>
          </xsl:for-each>
        </ul>
      </xsl:if>
    </section>
    <xsl:if test="$a/approvals/item">
      <section class="card">
        <h2>承認の記録</h2>
        <table class="list" id="app-approvals">
          <thead><tr><th>日時</th><th>承認者</th><th>役割</th><th>結果</th><th>コメント</th></tr></thead>
          <tbody>
            <xsl:for-each select="$a/approvals/item">
              <tr>
                <td><xsl:value-of select="at_wareki"/></td>
                <td><xsl:value-of select="approver_name"/><xsl:if test="deputy_for != ''">（代理）</xsl:if></td>
                <td><xsl:call-template name="role-name"><xsl:with-param name="r" select="role"/></xsl:call-template></td>
                <td><xsl:choose><xsl:when test="verdict = 'approve'">承認</xsl:when><xsl:otherwise>却下</xsl:otherwise></xsl:choose></td>
                <td><xsl:value-of select="comment"/></td>
              </tr>
            </xsl:for-each>
          </tbody>
        </table>
      </section>
    </xsl:if>
    <xsl:if test="$a/obligations/item">
      <section class="card" id="app-obligations">
        <h2>守るべき事項（実施の前に確認してください）</h2>
        <form method="post" action="/applications/{$a/id}/confirm">
          <xsl:call-template name="csrf"/>
          <xsl:for-each select="$a/obligations/item">
            <label class="check">
              <xsl:choose>
                <xsl:when test="confirmed_at != ''"><span class="done">確認済み</span> </xsl:when>
                <xsl:otherwise><input type="checkbox" name="obl.{id}" id="obl-{id}"/> </xsl:otherwise>
              </xsl:choose>
              <xsl:value-of select="text"/>
            </label>
          </xsl:for-each>
          <xsl:if test="$a/mine = 'true' and $a/obligations/item[confirmed_at = ''] and ($a/state = 'approved' or $a/state = 'pending')">
            <button type="submit" id="app-confirm">確認しました</button>
          </xsl:if>
        </form>
      </section>
    </xsl:if>
    <section class="card actions">
      <h2>操作</h2>
      <xsl:if test="$a/can_approve = 'true'">
        <form method="post" action="/applications/{$a/id}/approve" class="inline">
          <xsl:call-template name="csrf"/>
          <label>コメント <input type="text" name="comment" maxlength="1000"/></label>
          <button type="submit" id="app-approve">承認する</button>
        </form>
        <form method="post" action="/applications/{$a/id}/reject" class="inline">
          <xsl:call-template name="csrf"/>
          <input type="hidden" name="comment" value=""/>
          <button type="submit" id="app-reject">却下する</button>
        </form>
      </xsl:if>
      <xsl:if test="$a/mine = 'true' and $a/state = 'approved'">
        <form method="post" action="/applications/{$a/id}/start" class="inline">
          <xsl:call-template name="csrf"/>
          <button type="submit" id="app-start"><xsl:choose><xsl:when test="$a/type = 'takeout'">持ち出す</xsl:when><xsl:otherwise>実施した</xsl:otherwise></xsl:choose></button>
        </form>
      </xsl:if>
      <xsl:if test="$a/state = 'active'">
        <form method="post" action="/applications/{$a/id}/return" class="inline">
          <xsl:call-template name="csrf"/>
          <button type="submit" id="app-return">返却した</button>
        </form>
      </xsl:if>
      <xsl:if test="$a/mine = 'true' and $a/state = 'pending'">
        <form method="post" action="/applications/{$a/id}/withdraw" class="inline">
          <xsl:call-template name="csrf"/>
          <button type="submit" id="app-withdraw">取り下げる</button>
        </form>
      </xsl:if>
      <p><a href="/applications">申請の一覧へ</a></p>
    </section>
  </xsl:template>
</xsl:stylesheet>
