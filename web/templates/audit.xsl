<?xml version="1.0" encoding="UTF-8"?>
<!-- 監査ログ (issue 4): search by person, object, action and date; an entry's
     inclusion proof; the state of the latest signed checkpoint. -->
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">監査ログ</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>監査ログ <small>（<xsl:value-of select="log_size"/> 件）</small></h1>
    <section id="checkpoint" class="card">
      <h2>最新のチェックポイント</h2>
      <xsl:choose>
        <xsl:when test="checkpoint/size">
          <p>
            <xsl:choose>
              <xsl:when test="checkpoint/verified = 'true'"><span class="ok" id="cp-state">署名を検証しました</span></xsl:when>
              <xsl:when test="checkpoint/verified = 'false'"><span class="bad" id="cp-state">署名が鍵と合いません（改ざんの疑い）</span></xsl:when>
              <xsl:otherwise><span id="cp-state">署名鍵がないため検証していません</span></xsl:otherwise>
            </xsl:choose>
          </p>
          <dl>
            <dt>木の大きさ</dt><dd id="cp-size"><xsl:value-of select="checkpoint/size"/> 件</dd>
            <dt>根のハッシュ</dt><dd><code><xsl:value-of select="checkpoint/root"/></code></dd>
            <dt>作成日時 (UTC)</dt><dd><xsl:value-of select="checkpoint/created_at"/></dd>
          </dl>
          <pre class="note"><xsl:value-of select="checkpoint/note"/></pre>
        </xsl:when>
        <xsl:otherwise><p>チェックポイントはまだありません。</p></xsl:otherwise>
      </xsl:choose>
    </section>
    <form method="get" action="/audit" class="filters">
      <label>人 (ログイン名) <input name="actor" value="{filter/actor}"/></label>
      <label>操作 <input name="action" value="{filter/action}" placeholder="ledger.update"/></label>
      <label>対象の種類 <input name="object_kind" value="{filter/object_kind}" placeholder="assets"/></label>
      <label>対象の ID <input name="object_id" value="{filter/object_id}"/></label>
      <label>から (日付) <input type="date" name="since" value="{filter/since}"/></label>
      <label>まで (日付) <input type="date" name="until" value="{filter/until}"/></label>
      <button type="submit">検索</button>
    </form>
    <xsl:if test="proof/index != ''">
      <section id="proof" class="card">
        <h2>記録 <xsl:value-of select="proof/index"/> の包含証明</h2>
        <p><span class="ok">この記録は大きさ <xsl:value-of select="proof/tree_size"/> の木に含まれていることを確かめました</span></p>
        <dl>
          <dt>葉のハッシュ</dt><dd><code><xsl:value-of select="proof/leaf_hash"/></code></dd>
          <dt>根のハッシュ</dt><dd><code><xsl:value-of select="proof/root"/></code></dd>
          <dt>証明 (兄弟の節点)</dt>
          <dd><ol class="proof"><xsl:for-each select="proof/proof/item"><li><code><xsl:value-of select="."/></code></li></xsl:for-each></ol></dd>
        </dl>
      </section>
    </xsl:if>
    <table class="ledger" id="entries">
      <thead><tr><th>番号</th><th>日時 (UTC)</th><th>人</th><th>操作</th><th>対象</th><th>変更前 / 変更後</th><th></th></tr></thead>
      <tbody>
        <xsl:for-each select="list/items/item">
          <tr>
            <td><xsl:value-of select="index"/></td>
            <td><xsl:value-of select="at"/></td>
            <td><xsl:value-of select="actor"/></td>
            <td><xsl:value-of select="action"/></td>
            <td><xsl:value-of select="object_kind"/><xsl:if test="object_id != ''"> / <xsl:value-of select="object_id"/></xsl:if></td>
            <td><code><xsl:value-of select="substring(before, 1, 12)"/></code><xsl:if test="after != ''"> → <code><xsl:value-of select="substring(after, 1, 12)"/></code></xsl:if></td>
            <td><a href="/audit?index={index}">証明</a></td>
          </tr>
        </xsl:for-each>
      </tbody>
    </table>
    <xsl:if test="list/next != ''"><p class="paging"><a href="/audit?before={list/next}&amp;actor={filter/actor}&amp;action={filter/action}&amp;object_kind={filter/object_kind}&amp;object_id={filter/object_id}&amp;since={filter/since}&amp;until={filter/until}" rel="next">さらに古い記録 →</a></p></xsl:if>
  </xsl:template>
</xsl:stylesheet>
