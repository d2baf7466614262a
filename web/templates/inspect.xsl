<?xml version="1.0" encoding="UTF-8"?>
<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
  <xsl:import href="layout.xsl"/>
  <xsl:template match="page" mode="title">自己点検・監査</xsl:template>
  <xsl:template match="page" mode="content">
    <h1>自己点検・監査</h1>
    <section class="card">
      <h2>点検</h2>
      <table class="ledger" id="rounds">
        <thead><tr><th scope="col">点検</th><th scope="col">年度</th><th scope="col">期限</th><th scope="col">点検表</th><th scope="col">状態</th></tr></thead>
        <tbody>
          <xsl:for-each select="rounds/item">
            <tr>
              <td><a href="/inspection/rounds/{id}"><xsl:value-of select="name"/></a></td>
              <td><xsl:value-of select="fiscal_year"/></td>
              <td><xsl:value-of select="deadline"/></td>
              <td>第<xsl:value-of select="checklist_version"/>版</td>
              <td><xsl:choose><xsl:when test="status = 'closed'">締切</xsl:when><xsl:otherwise>実施中</xsl:otherwise></xsl:choose></td>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
      <xsl:if test="manage = 'true' and checklists/item">
        <form method="post" action="/inspection" class="filters" id="new-round">
          <xsl:call-template name="csrf"/>
          <label>名称 <input name="name" required="required" placeholder="令和8年度 自己点検"/></label>
          <label>年度（西暦） <input name="fiscal_year" type="number" min="1900" max="9999" required="required"/></label>
          <label>期限 <input name="deadline" type="date" required="required"/></label>
          <button type="submit">点検を始める</button>
        </form>
      </xsl:if>
    </section>
    <section class="card">
      <h2>点検表</h2>
      <table class="ledger" id="checklists">
        <thead><tr><th scope="col">版</th><th scope="col">項目数</th><th scope="col">作成</th><th scope="col">作成者</th><th scope="col">内容</th></tr></thead>
        <tbody>
          <xsl:for-each select="checklists/item">
            <tr>
              <td><a href="/inspection/checklist?version={version}">第<xsl:value-of select="version"/>版</a></td>
              <td><xsl:value-of select="items"/></td>
              <td><xsl:value-of select="created_at"/></td>
              <td><xsl:value-of select="created_by"/></td>
              <td><xsl:value-of select="note"/></td>
            </tr>
          </xsl:for-each>
        </tbody>
      </table>
      <xsl:if test="manage = 'true'">
        <form method="post" action="/inspection/checklist" class="inline">
          <xsl:call-template name="csrf"/>
          <input type="hidden" name="op" value="generate"/>
          <button type="submit" id="generate">プロファイルから点検表を作る</button>
        </form>
      </xsl:if>
    </section>
    <section class="card">
      <h2>mamori の記録から分かること</h2>
      <table class="ledger figures" id="facts">
        <thead><tr><th scope="col">事実</th><th scope="col">件数</th></tr></thead>
        <tbody>
          <xsl:for-each select="facts/item">
            <tr><th scope="row"><xsl:value-of select="label"/></th>
              <td><xsl:choose><xsl:when test="available = 'true'"><xsl:value-of select="count"/></xsl:when><xsl:otherwise>（記録なし）</xsl:otherwise></xsl:choose></td></tr>
          </xsl:for-each>
        </tbody>
      </table>
    </section>
  </xsl:template>
</xsl:stylesheet>
