<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">点検表</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>点検表 <small>第<xsl:value-of select="checklist/version"/>版（<xsl:value-of select="count(checklist/items/item)"/> 項目）</small></h1>
    <p class="note"><xsl:value-of select="checklist/note"/> — <xsl:value-of select="checklist/created_by"/>, <xsl:value-of select="checklist/created_at"/></p>
    <table class="ledger" id="items">
      <thead><tr><th scope="col">項目</th><th scope="col">章</th><th scope="col">条項</th><th scope="col">点検項目</th><th scope="col">条項の文言</th><th scope="col">確認方法</th>
        <xsl:if test="manage = 'true'"><th scope="col">廃止</th></xsl:if></tr></thead>
      <tbody>
        <xsl:for-each select="checklist/items/item">
          <tr>
            <td><xsl:value-of select="key"/></td>
            <td><xsl:value-of select="chapter"/></td>
            <td><xsl:value-of select="clause"/></td>
            <td><xsl:value-of select="question"/></td>
            <td><xsl:value-of select="clause_text"/></td>
            <td><xsl:value-of select="how"/><xsl:if test="fact != ''"> <span class="chip">自動確認</span></xsl:if></td>
            <xsl:if test="/page/manage = 'true'">
              <td><form method="post" action="/inspection/checklist" class="inline">
                <xsl:call-template name="csrf"/>
                <input type="hidden" name="op" value="retire"/><input type="hidden" name="key" value="{key}"/>
                <button type="submit">廃止</button></form></td>
            </xsl:if>
          </tr>
        </xsl:for-each>
      </tbody>
    </table>
    <xsl:if test="manage = 'true'">
      <section class="card narrow">
        <h2>項目を追加・変更する</h2>
        <form method="post" action="/inspection/checklist" id="item-form">
          <xsl:call-template name="csrf"/>
          <label>操作 <select name="op"><option value="add">追加</option><option value="edit">変更（項目キーを指定）</option></select></label>
          <label>項目キー（変更のとき） <input name="key"/></label>
          <label>章 <input name="chapter"/></label>
          <label>条項 <input name="clause"/></label>
          <label>点検項目 <input name="question"/></label>
          <label>条項の文言 <input name="clause_text"/></label>
          <label>確認方法 <input name="how"/></label>
          <button type="submit">新しい版として保存する</button>
        </form>
      </section>
    </xsl:if>
  </xsl:template>
</xsl:stylesheet>
