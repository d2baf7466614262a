<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">インシデント #<xsl:value-of select="case/id"/></xsl:template>
  <xsl:template name="case-fields">
    <label>深刻度
      <select name="severity" id="severity">
        <option value="">（選択）</option>
        <option value="low"><xsl:if test="case/severity = 'low'"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if>低</option>
        <option value="medium"><xsl:if test="case/severity = 'medium'"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if>中</option>
        <option value="high"><xsl:if test="case/severity = 'high'"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if>高</option>
        <option value="critical"><xsl:if test="case/severity = 'critical'"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if>重大</option>
      </select>
    </label>
    <label class="check"><input type="checkbox" name="personal" id="personal"><xsl:if test="case/personal = 'true'"><xsl:attribute name="checked">checked</xsl:attribute></xsl:if></input> 個人情報が関係する</label>
    <fieldset>
      <legend>個人情報保護委員会への報告要件（施行規則）</legend>
      <label class="check"><input type="checkbox" name="trigger.sensitive"><xsl:if test="case/ppc_triggers/item = 'sensitive'"><xsl:attribute name="checked">checked</xsl:attribute></xsl:if></input> 要配慮個人情報が含まれる</label>
      <label class="check"><input type="checkbox" name="trigger.financial"><xsl:if test="case/ppc_triggers/item = 'financial'"><xsl:attribute name="checked">checked</xsl:attribute></xsl:if></input> 財産的被害が生じるおそれ</label>
      <label class="check"><input type="checkbox" name="trigger.wrongful"><xsl:if test="case/ppc_triggers/item = 'wrongful'"><xsl:attribute name="checked">checked</xsl:attribute></xsl:if></input> 不正の目的をもって行われたおそれ</label>
      <label class="check"><input type="checkbox" name="trigger.over100"><xsl:if test="case/ppc_triggers/item = 'over100'"><xsl:attribute name="checked">checked</xsl:attribute></xsl:if></input> 本人の数が100人を超える</label>
      <label class="check"><input type="checkbox" name="trigger.ordinance"><xsl:if test="case/ppc_triggers/item = 'ordinance'"><xsl:attribute name="checked">checked</xsl:attribute></xsl:if></input> 条例要配慮個人情報が含まれる</label>
    </fieldset>
    <label>担当者
      <select name="assignee_id" id="assignee">
        <option value="">（未定）</option>
        <xsl:for-each select="users/item">
          <option value="{id}"><xsl:if test="id = /page/case/assignee_id"><xsl:attribute name="selected">selected</xsl:attribute></xsl:if><xsl:value-of select="name"/>（<xsl:value-of select="login"/>）</option>
        </xsl:for-each>
      </select>
    </label>
    <label>対応期限 <input type="datetime-local" name="deadline"/></label>
    <label>記録 <textarea name="note" rows="2"></textarea></label>
  </xsl:template>
  <xsl:template match="page" mode="content">
    <xsl:variable name="c" select="case"/>
    <h1>インシデント #<xsl:value-of select="$c/id"/>: <xsl:value-of select="$c/title"/></h1>
    <p><a href="/incidents">← 一覧へ</a></p>
    <xsl:call-template name="message"/>
    <section class="card">
      <dl class="fields" id="case">
        <dt>状態</dt><dd id="state"><xsl:value-of select="$c/state_name"/></dd>
        <dt>深刻度</dt><dd id="case-severity"><xsl:value-of select="$c/severity_name"/><xsl:if test="not($c/severity_name)">未判定</xsl:if></dd>
        <dt>内容</dt><dd class="pre"><xsl:value-of select="$c/description"/></dd>
        <dt>発生日時</dt><dd><xsl:value-of select="$c/occurred_at_wareki"/></dd>
        <dt>認知日時</dt><dd><xsl:value-of select="$c/aware_at_wareki"/></dd>
        <dt>報告者</dt><dd><xsl:value-of select="$c/reporter/name"/></dd>
        <dt>担当者</dt><dd><xsl:value-of select="$c/assignee/name"/></dd>
        <dt>対応期限</dt><dd><xsl:value-of select="$c/deadline_wareki"/><xsl:if test="$c/overdue = 'true'"> <strong>期限超過</strong></xsl:if></dd>
        <dt>個人情報</dt><dd><xsl:choose><xsl:when test="$c/personal = 'true'">関係する</xsl:when><xsl:otherwise>関係しない（または未判定）</xsl:otherwise></xsl:choose></dd>
        <dt>対象</dt><dd>
          <xsl:for-each select="$c/targets/systems/item">情報システム <xsl:value-of select="."/>　</xsl:for-each>
          <xsl:for-each select="$c/targets/assets/item"><a href="/assets/{.}">情報資産 <xsl:value-of select="."/></a>　</xsl:for-each>
          <xsl:for-each select="$c/targets/devices/item">機器 <xsl:value-of select="."/>　</xsl:for-each>
        </dd>
      </dl>
    </section>
    <xsl:if test="$c/ppc/required = 'true'">
      <section class="card" id="ppc">
        <h2>個人情報保護委員会への報告</h2>
        <p>報告要件: <xsl:for-each select="$c/ppc/trigger_names/item"><span class="chip"><xsl:value-of select="."/></span></xsl:for-each></p>
        <table class="ledger">
          <thead><tr><th>報告</th><th>期限</th><th>状況</th></tr></thead>
          <tbody>
            <tr><td>速報（認知から 3 日以内）</td><td><xsl:value-of select="$c/ppc/prompt_due_wareki"/></td>
              <td><xsl:choose><xsl:when test="$c/ppc/prompt_filed_at != ''">報告済み（<xsl:value-of select="$c/ppc/prompt_filed_at"/>）</xsl:when><xsl:when test="$c/ppc/prompt_overdue = 'true'"><strong>期限超過</strong></xsl:when><xsl:otherwise>未報告</xsl:otherwise></xsl:choose></td></tr>
            <tr><td>確報（認知から <xsl:value-of select="$c/ppc/final_days"/> 日以内）</td><td><xsl:value-of select="$c/ppc/final_due_wareki"/></td>
              <td><xsl:choose><xsl:when test="$c/ppc/final_filed_at != ''">報告済み（<xsl:value-of select="$c/ppc/final_filed_at"/>）</xsl:when><xsl:when test="$c/ppc/final_overdue = 'true'"><strong>期限超過</strong></xsl:when><xsl:otherwise>未報告</xsl:otherwise></xsl:choose></td></tr>
          </tbody>
        </table>
        <xsl:if test="$c/may/triage = 'true'">
          <form method="post" action="/incidents/{$c/id}/ppc" class="inline">
            <xsl:call-template name="csrf"/>
            <select name="report"><option value="prompt">速報</option><option value="final">確報</option></select>
            <button type="submit" id="ppc-filed">報告したことを記録する</button>
          </form>
        </xsl:if>
      </section>
    </xsl:if>
    <xsl:if test="$c/may/triage = 'true' and $c/state = 'reported'">
      <form method="post" action="/incidents/{$c/id}/triage" class="card" id="triage-form">
        <h2>トリアージ（CSIRT）</h2>
        <xsl:call-template name="csrf"/>
        <label>判定
          <select name="incident" id="incident-judgement">
            <option value="yes">インシデントである（封じ込めへ）</option>
            <option value="no">インシデントではない</option>
          </select>
        </label>
        <xsl:call-template name="case-fields"/>
        <button type="submit" id="triage-save">判定する</button>
      </form>
    </xsl:if>
    <xsl:if test="$c/may/advance = 'true' and $c/next_states/item[triage = 'false']">
      <form method="post" action="/incidents/{$c/id}/transition" class="card" id="transition-form">
        <h2>次の段階へ</h2>
        <xsl:call-template name="csrf"/>
        <label>移る先
          <select name="to" id="transition-to">
            <xsl:for-each select="$c/next_states/item[triage = 'false']"><option value="{id}"><xsl:value-of select="name"/></option></xsl:for-each>
          </select>
        </label>
        <label>記録 <textarea name="note" rows="2"></textarea></label>
        <button type="submit" id="transition-save">進める</button>
      </form>
    </xsl:if>
    <xsl:if test="$c/may/triage = 'true' and $c/state != 'reported' and $c/state != 'closed'">
      <details class="card">
        <summary>深刻度・担当者・期限の変更（CSIRT）</summary>
        <form method="post" action="/incidents/{$c/id}/update" id="update-form">
          <xsl:call-template name="csrf"/>
          <xsl:call-template name="case-fields"/>
          <button type="submit">変更する</button>
        </form>
      </details>
      <details class="card">
        <summary>違反時の対応（注意・指導・使用する権利の停止）</summary>
        <form method="post" action="/incidents/{$c/id}/violation" id="violation-form">
          <xsl:call-template name="csrf"/>
          <label>対象者
            <select name="user_id">
              <xsl:for-each select="users/item"><option value="{id}"><xsl:value-of select="name"/>（<xsl:value-of select="login"/>）</option></xsl:for-each>
            </select>
          </label>
          <label>措置
            <select name="step"><option value="warning">注意</option><option value="guidance">指導</option><option value="suspension">使用する権利の停止（アカウントを停止）</option></select>
          </label>
          <label>記録 <textarea name="note" rows="2"></textarea></label>
          <button type="submit">記録する</button>
        </form>
      </details>
    </xsl:if>
    <section class="card">
      <h2>経過（タイムライン）</h2>
      <ol class="timeline" id="timeline">
        <xsl:for-each select="$c/timeline/item">
          <li><span class="when"><xsl:value-of select="at_wareki"/></span>
            <xsl:text> </xsl:text><strong><xsl:value-of select="actor"/></strong>
            <xsl:text> </xsl:text><span class="action"><xsl:value-of select="action_name"/></span>
            <xsl:if test="from_name != '' or to_name != ''">（<xsl:value-of select="from_name"/> → <xsl:value-of select="to_name"/>）</xsl:if>
            <xsl:if test="subject_id != ''"> 対象: 利用者 <xsl:value-of select="subject_id"/></xsl:if>
            <xsl:if test="note != ''"><div class="pre"><xsl:value-of select="note"/></div></xsl:if>
          </li>
        </xsl:for-each>
      </ol>
      <form method="post" action="/incidents/{$c/id}/note" id="note-form">
        <xsl:call-template name="csrf"/>
        <label>記録を追加 <textarea name="note" rows="2" required="required"></textarea></label>
        <button type="submit">追加する</button>
      </form>
    </section>
    <section class="card" id="escalation">
      <h2>報告の経路（ポリシー）</h2>
      <ul>
        <xsl:for-each select="$c/escalation/item">
          <li><strong><xsl:value-of select="when_name"/></strong>: <xsl:for-each select="roles/item"><span class="chip"><xsl:value-of select="."/></span></xsl:for-each>
            <xsl:if test="bodies != ''"> ／ mamori 外: <xsl:value-of select="bodies"/></xsl:if>
            <br/><span class="cite"><xsl:value-of select="clause"/>「<xsl:value-of select="text"/>」</span></li>
        </xsl:for-each>
      </ul>
    </section>
    <section class="card" id="plan">
      <h2>緊急時対応計画</h2>
      <p class="cite">根拠: <xsl:value-of select="plan/clause"/></p>
      <xsl:choose>
        <xsl:when test="plan/written = 'true'">
          <dl class="plan">
            <dt>①関係者の連絡先</dt><dd class="pre"><xsl:value-of select="plan/contacts"/></dd>
            <dt>②報告すべき事項</dt><dd class="pre"><xsl:value-of select="plan/report_items"/></dd>
            <dt>③対応措置</dt><dd class="pre"><xsl:value-of select="plan/measures"/></dd>
            <dt>④再発防止措置</dt><dd class="pre"><xsl:value-of select="plan/prevention"/></dd>
          </dl>
        </xsl:when>
        <xsl:otherwise><p>緊急時対応計画はまだ作成されていません（<a href="/plan">作成する</a>）。</p></xsl:otherwise>
      </xsl:choose>
    </section>
  </xsl:template>
</xsl:stylesheet>
