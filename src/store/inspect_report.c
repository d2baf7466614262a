/*
 * inspect_report.c — the report of an inspection round to the CISO /
 * 責任者: XLSX (libxlsxwriter: a summary sheet with charts, one sheet per
 * chapter, the improvement actions and the findings), CSV with BOM (one row
 * per answer) and printable HTML (A4; libxml2's tree, so every text is
 * escaped by construction). Answers are streamed from the database row by
 * row: a round of 100,000 answers is never held in memory as JSON.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <libxml/HTMLtree.h>
#include <libxml/tree.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "csv/csv.h"
#include "store/embedded.h"
#include "store/inspect_int.h"
#include "util/wareki.h"

struct report {
	mmr_store *st;
	const mmr_actor *who;
	int64_t round, checklist;
	json_t *head, *rollup, *actions, *findings;
	char tenant_name[256];
	char fiscal[32];
	char made[64];
};

static const char *answer_label(const char *a)
{
	if (!a)
		return "未回答";
	if (!strcmp(a, "yes"))
		return "実施している";
	if (!strcmp(a, "partial"))
		return "一部";
	if (!strcmp(a, "no"))
		return "していない";
	return "該当なし";
}

static const char *severity_label(const char *s)
{
	return !s ? "" : !strcmp(s, "high") ? "高" : !strcmp(s, "medium") ? "中" : "低";
}

static const char *status_label(const char *s)
{
	return !s ? "" : !strcmp(s, "done") || !strcmp(s, "closed") ? "完了" : "対応中";
}

static const char *js(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

/* Evidence as one line of text: "種類 参照 題名; …". */
static void evidence_text(const char *json, char *out, size_t n)
{
	out[0] = '\0';
	json_t *a = json ? json_loads(json, 0, NULL) : NULL;
	size_t l = 0, i;
	json_t *e;
	json_array_foreach (a, i, e) {
		int w = snprintf(out + l, n - l, "%s%s:%s%s%s", l ? "; " : "", js(e, "kind"),
				 js(e, "ref"), *js(e, "title") ? " " : "", js(e, "title"));
		if (w < 0 || (size_t)w >= n - l)
			break;
		l += (size_t)w;
	}
	json_decref(a);
}

static int gather(struct report *r, mmr_error *err)
{
	static const char qh[] =
		"SELECT r.checklist_id, t.name FROM inspection_rounds r JOIN tenants t ON t.id = "
		"r.tenant WHERE r.tenant = $1 AND r.id = $2";
	mmr_stmt *s;
	int rc = mmr_iq_prepare(r->st->db, qh, IPARAMS(IP_S(r->who->tenant), IP_I(r->round)), &s,
				err);
	if (rc)
		return rc;
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_ROW) {
		r->checklist = mmr_col_int(s, 0);
		snprintf(r->tenant_name, sizeof r->tenant_name, "%s", mmr_col_text(s, 1));
	}
	mmr_stmt_reset(s);
	if (rc == MMR_DB_DONE) {
		mmr_error_set(err, MMR_ENOTFOUND, "点検 %" PRId64 " はありません", r->round);
		return MMR_ENOTFOUND;
	}
	if (rc != MMR_DB_ROW)
		return rc;
	json_t *ac, *fi;
	if ((rc = mmr_inspect_round_get(r->st, r->who, r->round, &r->head, err)) ||
	    (rc = mmr_inspect_actions(r->st, r->who, r->round, &ac, err)))
		return rc;
	r->rollup = json_incref(json_object_get(r->head, "rollup"));
	r->actions = json_incref(json_object_get(ac, "items"));
	json_decref(ac);
	if ((rc = mmr_inspect_findings(r->st, r->who, r->round, &fi, err)))
		return rc;
	r->findings = json_incref(json_object_get(fi, "items"));
	json_decref(fi);
	int fy = (int)json_integer_value(json_object_get(r->head, "fiscal_year"));
	if (!mmr_wareki_fiscal_year_label(fy, 4, r->fiscal, sizeof r->fiscal))
		snprintf(r->fiscal, sizeof r->fiscal, "%d年度", fy);
	char now[32];
	mmr_now_iso(now);
	if (mmr_wareki_format_iso(now, 540, r->made, sizeof r->made))
		snprintf(r->made, sizeof r->made, "%s", now);
	return MMR_OK;
}

static void report_free(struct report *r)
{
	json_decref(r->head);
	json_decref(r->rollup);
	json_decref(r->actions);
	json_decref(r->findings);
}

/* Every answer of the round in chapter order: calls fn per row. */
struct answer_row {
	const char *chapter, *key, *clause, *question, *unit, *system, *answer, *note, *evidence;
	bool automatic;
};
typedef int (*answer_fn)(void *ud, const struct answer_row *a, mmr_error *err);

static int each_answer(struct report *r, answer_fn fn, void *ud, mmr_error *err)
{
	/* item by item (the round's answers of one item come from the unique
	 * index on round and item), so that no sort of every answer is needed */
	static const char qi[] = "SELECT id, chapter, item_key, clause, question FROM "
				 "inspection_items WHERE tenant = $1 AND checklist_id = $2 "
				 "ORDER BY position";
	static const char qa[] =
		"SELECT u.name, s.name, a.answer, a.note, a.evidence, a.auto FROM "
		"inspection_answers a JOIN units u ON u.tenant = a.tenant AND u.id = a.unit_id "
		"LEFT JOIN systems s ON s.tenant = a.tenant AND s.id = a.system_id WHERE "
		"a.round_id = $2 AND a.item_id = $3 AND a.tenant = $1 ORDER BY u.name, a.id";
	json_t *items;
	int rc = mmr_iq_rows(r->st->db, qi, IPARAMS(IP_S(r->who->tenant), IP_I(r->checklist)),
			     "id:i,chapter:s,key:s,clause:s,question:s", &items, err);
	if (rc)
		return rc;
	size_t i;
	json_t *it;
	json_array_foreach (items, i, it) {
		mmr_stmt *s;
		if ((rc = mmr_iq_prepare(
			     r->st->db, qa,
			     IPARAMS(IP_S(r->who->tenant), IP_I(r->round),
				     IP_I(json_integer_value(json_object_get(it, "id")))),
			     &s, err)))
			break;
		while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
			struct answer_row a = {
				.chapter = js(it, "chapter"),
				.key = js(it, "key"),
				.clause = js(it, "clause"),
				.question = js(it, "question"),
				.unit = mmr_col_text(s, 0),
				.system = mmr_col_text(s, 1),
				.answer = mmr_col_text(s, 2),
				.note = mmr_col_text(s, 3),
				.evidence = mmr_col_text(s, 4),
				.automatic = mmr_col_int(s, 5) != 0,
			};
			if ((rc = fn(ud, &a, err)))
				break;
		}
		mmr_stmt_reset(s);
		if (rc != MMR_DB_DONE)
			break;
		rc = MMR_OK;
	}
	json_decref(items);
	return rc;
}

/* ---- files: created owner-only, written as PATH.partial, renamed at the end ---- */

static int open_partial(const char *path, char *tmp, size_t n, mmr_error *err)
{
	struct stat sb;
	if (!lstat(path, &sb)) {
		mmr_error_set(err, MMR_ECONFLICT, "%s は既にあります（上書きしません）", path);
		return MMR_ECONFLICT;
	}
	if ((size_t)snprintf(tmp, n, "%s.partial", path) >= n) {
		mmr_error_set(err, MMR_EINVAL, "出力先のパスが長すぎます");
		return MMR_EINVAL;
	}
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		mmr_error_set(err, MMR_EIO, "%s を書けません: %s (EIO)", tmp, strerror(errno));
		return MMR_EIO;
	}
	close(fd);
	return MMR_OK;
}

static int finish_partial(const char *tmp, const char *path, int rc, mmr_error *err)
{
	if (!rc && rename(tmp, path)) {
		mmr_error_set(err, MMR_EIO, "%s を置けません: %s (EIO)", path, strerror(errno));
		rc = MMR_EIO;
	}
	if (rc)
		unlink(tmp);
	return rc;
}

/* ---- CSV ---- */

static int csv_row(void *ud, const struct answer_row *a, mmr_error *err)
{
	char ev[4096];
	evidence_text(a->evidence, ev, sizeof ev);
	const char *f[] = {a->chapter,
			   a->key,
			   a->clause,
			   a->question,
			   a->unit,
			   a->system,
			   answer_label(a->answer),
			   a->note,
			   ev,
			   a->automatic ? "自動" : ""};
	if (mmr_csv_write_bom(ud, 10, f)) {
		mmr_error_set(err, MMR_EIO, "CSV を書けません (EIO)");
		return MMR_EIO;
	}
	return MMR_OK;
}

static int write_csv(struct report *r, const char *tmp, mmr_error *err)
{
	FILE *f = fopen(tmp, "wb");
	if (!f) {
		mmr_error_set(err, MMR_EIO, "%s を書けません (EIO)", tmp);
		return MMR_EIO;
	}
	static const char *const head[] = {"章",       "項目", "条項", "点検項目", "組織",
					   "システム", "回答", "備考", "証跡",	   "自動確認"};
	int rc = mmr_csv_bom(f) || mmr_csv_write_bom(f, 10, head) ? MMR_EIO : MMR_OK;
	if (rc)
		mmr_error_set(err, rc, "CSV を書けません (EIO)");
	if (!rc)
		rc = each_answer(r, csv_row, f, err);
	if (fclose(f) && !rc) {
		mmr_error_set(err, MMR_EIO, "CSV を書けません (EIO)");
		rc = MMR_EIO;
	}
	return rc;
}

/* ---- XLSX ---- */

struct xsheet {
	char chapter[64];
	lxw_worksheet *ws;
	lxw_row_t row;
};

struct xctx {
	lxw_workbook *wb;
	lxw_format *bold, *wrap, *pct;
	struct xsheet *sheets;
	size_t n;
	lxw_error e;
};

static void sheet_name(const char *want, size_t idx, char *out, size_t n)
{
	/* Excel: ≤ 31 characters, none of []:*?/\ ; prefixed with the number to stay unique */
	char clean[64];
	size_t l = 0, chars = 0;
	for (const char *p = want; *p && l + 4 < sizeof clean && chars < 24;) {
		size_t len = 1;
		unsigned char c = (unsigned char)*p;
		if (c >= 0xf0)
			len = 4;
		else if (c >= 0xe0)
			len = 3;
		else if (c >= 0xc0)
			len = 2;
		if (strchr("[]:*?/\\'", *p))
			clean[l++] = '_';
		else {
			memcpy(clean + l, p, len);
			l += len;
		}
		p += len;
		chars++;
	}
	clean[l] = '\0';
	snprintf(out, n, "%02zu %s", idx, clean);
}

static lxw_worksheet *chapter_sheet(struct xctx *x, const char *chapter)
{
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->sheets[i].chapter, chapter)) {
			x->sheets[i].row++;
			return x->sheets[i].ws;
		}
	return NULL;
}

static lxw_row_t chapter_row(struct xctx *x, const char *chapter)
{
	for (size_t i = 0; i < x->n; i++)
		if (!strcmp(x->sheets[i].chapter, chapter))
			return x->sheets[i].row;
	return 0;
}

static void put(struct xctx *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, const char *s,
		lxw_format *f)
{
	if (!x->e && s && *s)
		x->e = worksheet_write_string(ws, r, c, s, f);
}

static void putn(struct xctx *x, lxw_worksheet *ws, lxw_row_t r, lxw_col_t c, double v,
		 lxw_format *f)
{
	if (!x->e)
		x->e = worksheet_write_number(ws, r, c, v, f);
}

static int xlsx_row(void *ud, const struct answer_row *a, mmr_error *err)
{
	(void)err;
	struct xctx *x = ud;
	lxw_worksheet *ws = chapter_sheet(x, a->chapter);
	if (!ws)
		return MMR_OK;
	lxw_row_t r = chapter_row(x, a->chapter);
	char ev[4096];
	evidence_text(a->evidence, ev, sizeof ev);
	put(x, ws, r, 0, a->key, NULL);
	put(x, ws, r, 1, a->clause, NULL);
	put(x, ws, r, 2, a->question, x->wrap);
	put(x, ws, r, 3, a->unit, NULL);
	put(x, ws, r, 4, a->system, NULL);
	put(x, ws, r, 5, answer_label(a->answer), NULL);
	put(x, ws, r, 6, a->note, x->wrap);
	put(x, ws, r, 7, ev, x->wrap);
	put(x, ws, r, 8, a->automatic ? "自動" : "", NULL);
	return MMR_OK;
}

/* A table of tallies (chapters or departments) at `row`, with a bar chart of
 * the rates beside it. Returns the row after the table. */
static lxw_row_t tally_table(struct xctx *x, lxw_worksheet *ws, const char *sheet, lxw_row_t row,
			     const char *title, const char *first, const char *namekey,
			     json_t *list, lxw_col_t chart_col)
{
	static const char *const cols[] = {"実施している", "一部",   "していない",
					   "該当なし",	   "未回答", "遵守率"};
	static const char *const keys[] = {"yes", "partial", "no", "na", "open"};
	put(x, ws, row, 0, title, x->bold);
	row++;
	put(x, ws, row, 0, first, x->bold);
	for (lxw_col_t c = 0; c < 6; c++)
		put(x, ws, row, (lxw_col_t)(c + 1), cols[c], x->bold);
	lxw_row_t first_data = row + 1;
	size_t i;
	json_t *t;
	json_array_foreach (list, i, t) {
		row++;
		put(x, ws, row, 0, js(t, namekey), NULL);
		for (lxw_col_t c = 0; c < 5; c++)
			putn(x, ws, row, (lxw_col_t)(c + 1),
			     (double)json_integer_value(json_object_get(t, keys[c])), NULL);
		json_t *rate = json_object_get(t, "rate_permille");
		if (json_is_integer(rate))
			putn(x, ws, row, 6, (double)json_integer_value(rate) / 1000.0, x->pct);
		else
			put(x, ws, row, 6, "—", NULL);
	}
	if (json_array_size(list) && !x->e) {
		lxw_chart *ch = workbook_add_chart(x->wb, LXW_CHART_BAR);
		if (ch) {
			lxw_chart_series *se = chart_add_series(ch, NULL, NULL);
			chart_series_set_categories(se, sheet, first_data, 0, row, 0);
			chart_series_set_values(se, sheet, first_data, 6, row, 6);
			chart_title_set_name(ch, title);
			chart_legend_set_position(ch, LXW_CHART_LEGEND_NONE);
			/* a bar chart's values run along its x axis */
			chart_axis_set_min(ch->x_axis, 0);
			chart_axis_set_max(ch->x_axis, 1);
			chart_axis_set_num_format(ch->x_axis, "0%");
			lxw_chart_fill fill = {.color = 0x2F6F9F};
			chart_series_set_fill(se, &fill);
			lxw_chart_options opt = {.x_scale = 1.3,
						 .y_scale = json_array_size(list) > 8 ? 1.6 : 1.0};
			x->e = worksheet_insert_chart_opt(ws, first_data - 1, chart_col, ch, &opt);
		}
	}
	return row + 2;
}

static int write_xlsx(struct report *r, const char *tmp, mmr_error *err)
{
	struct xctx x = {0};
	lxw_workbook_options opt = {.constant_memory = LXW_TRUE};
	x.wb = workbook_new_opt(tmp, &opt);
	if (!x.wb) {
		mmr_error_set(err, MMR_ENOMEM, "XLSX ブックを作れません (ENOMEM)");
		return MMR_ENOMEM;
	}
	x.bold = workbook_add_format(x.wb);
	format_set_bold(x.bold);
	x.wrap = workbook_add_format(x.wb);
	format_set_text_wrap(x.wrap);
	format_set_align(x.wrap, LXW_ALIGN_VERTICAL_TOP);
	x.pct = workbook_add_format(x.wb);
	format_set_num_format(x.pct, "0.0%");
	json_t *chapters = json_object_get(r->rollup, "chapters");
	/* summary */
	const char *summary = "概要";
	lxw_worksheet *ws = workbook_add_worksheet(x.wb, summary);
	worksheet_set_column(ws, 0, 0, 28, NULL);
	worksheet_set_column(ws, 1, 6, 12, NULL);
	lxw_format *title = workbook_add_format(x.wb);
	format_set_bold(title);
	format_set_font_size(title, 16);
	put(&x, ws, 0, 0, "情報セキュリティ自己点検 結果報告", title);
	put(&x, ws, 1, 0, "団体", x.bold);
	put(&x, ws, 1, 1, r->tenant_name, NULL);
	put(&x, ws, 2, 0, "点検", x.bold);
	put(&x, ws, 2, 1, js(r->head, "name"), NULL);
	put(&x, ws, 3, 0, "年度", x.bold);
	put(&x, ws, 3, 1, r->fiscal, NULL);
	put(&x, ws, 4, 0, "作成", x.bold);
	put(&x, ws, 4, 1, r->made, NULL);
	json_t *body = json_object_get(r->rollup, "body");
	json_object_set_new(body, "name", json_string("団体全体"));
	json_t *bl = json_pack("[O]", body);
	lxw_row_t row = tally_table(&x, ws, summary, 6, "団体全体", "", "name", bl, 9);
	json_decref(bl);
	row = tally_table(&x, ws, summary, row + 2, "章ごとの遵守率", "章", "chapter", chapters, 9);
	row = tally_table(&x, ws, summary, row + 12, "部ごとの遵守率", "部", "unit",
			  json_object_get(r->rollup, "departments"), 9);
	tally_table(&x, ws, summary, row + 12, "課ごとの遵守率", "課", "unit",
		    json_object_get(r->rollup, "sections"), 9);
	/* a sheet per chapter */
	size_t nch = json_array_size(chapters);
	x.sheets = calloc(nch ? nch : 1, sizeof *x.sheets);
	if (!x.sheets) {
		workbook_close(x.wb);
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
		return MMR_ENOMEM;
	}
	static const char *const head[] = {"項目", "条項", "点検項目", "組織",	  "システム",
					   "回答", "備考", "証跡",     "自動確認"};
	static const double widths[] = {8, 14, 60, 20, 16, 12, 40, 40, 10};
	for (size_t c = 0; c < nch && !x.e; c++) {
		struct xsheet *s = &x.sheets[x.n++];
		snprintf(s->chapter, sizeof s->chapter, "%s",
			 js(json_array_get(chapters, c), "chapter"));
		char name[96];
		sheet_name(s->chapter, c + 1, name, sizeof name);
		s->ws = workbook_add_worksheet(x.wb, name);
		if (!s->ws) {
			x.e = LXW_ERROR_MEMORY_MALLOC_FAILED;
			break;
		}
		for (lxw_col_t k = 0; k < 9; k++) {
			worksheet_set_column(s->ws, k, k, widths[k], NULL);
			put(&x, s->ws, 0, k, head[k], x.bold);
		}
		worksheet_freeze_panes(s->ws, 1, 0);
	}
	int rc = x.e ? MMR_OK : each_answer(r, xlsx_row, &x, err);
	/* improvement actions and findings */
	if (!rc && !x.e) {
		lxw_worksheet *wa = workbook_add_worksheet(x.wb, "改善策");
		static const char *const ah[] = {"番号",   "項目",   "章",   "条項", "組織",
						 "改善策", "担当者", "期日", "状態", "完了の記録"};
		for (lxw_col_t k = 0; k < 10; k++)
			put(&x, wa, 0, k, ah[k], x.bold);
		worksheet_set_column(wa, 5, 5, 60, NULL);
		size_t i;
		json_t *a;
		json_array_foreach (r->actions, i, a) {
			lxw_row_t rr = (lxw_row_t)i + 1;
			putn(&x, wa, rr, 0, (double)json_integer_value(json_object_get(a, "id")),
			     NULL);
			put(&x, wa, rr, 1, js(a, "key"), NULL);
			put(&x, wa, rr, 2, js(a, "chapter"), NULL);
			put(&x, wa, rr, 3, js(a, "clause"), NULL);
			put(&x, wa, rr, 4, js(a, "unit"), NULL);
			put(&x, wa, rr, 5, js(a, "description"), x.wrap);
			put(&x, wa, rr, 6, js(a, "owner"), NULL);
			put(&x, wa, rr, 7, js(a, "due"), NULL);
			put(&x, wa, rr, 8, status_label(js(a, "status")), NULL);
			put(&x, wa, rr, 9, js(a, "closing_note"), x.wrap);
		}
		lxw_worksheet *wf = workbook_add_worksheet(x.wb, "指摘事項");
		static const char *const fh[] = {
			"番号",	    "項目",	      "章",   "組織",	"重要度",
			"指摘事項", "フォローアップ", "状態", "監査人", "記録日"};
		for (lxw_col_t k = 0; k < 10; k++)
			put(&x, wf, 0, k, fh[k], x.bold);
		worksheet_set_column(wf, 5, 6, 50, NULL);
		json_array_foreach (r->findings, i, a) {
			lxw_row_t rr = (lxw_row_t)i + 1;
			putn(&x, wf, rr, 0, (double)json_integer_value(json_object_get(a, "id")),
			     NULL);
			put(&x, wf, rr, 1, js(a, "key"), NULL);
			put(&x, wf, rr, 2, js(a, "chapter"), NULL);
			put(&x, wf, rr, 3, js(a, "unit"), NULL);
			put(&x, wf, rr, 4, severity_label(js(a, "severity")), NULL);
			put(&x, wf, rr, 5, js(a, "finding"), x.wrap);
			put(&x, wf, rr, 6, js(a, "follow_up"), x.wrap);
			put(&x, wf, rr, 7, status_label(js(a, "status")), NULL);
			put(&x, wf, rr, 8, js(a, "auditor"), NULL);
			put(&x, wf, rr, 9, js(a, "created_at"), NULL);
		}
	}
	free(x.sheets);
	lxw_error ce = workbook_close(x.wb);
	if (!rc && (x.e || ce)) {
		mmr_error_set(err, MMR_EIO, "XLSX を書けません: %s (EIO)",
			      lxw_strerror(x.e ? x.e : ce));
		rc = MMR_EIO;
	}
	return rc;
}

/* ---- HTML ---- */

static xmlNodePtr el(xmlNodePtr parent, const char *name, const char *text)
{
	return xmlNewTextChild(parent, NULL, BAD_CAST name, text ? BAD_CAST text : NULL);
}

static void attr(xmlNodePtr n, const char *name, const char *v)
{
	xmlNewProp(n, BAD_CAST name, BAD_CAST v);
}

static void html_tally(xmlNodePtr parent, const char *caption, const char *first,
		       const char *namekey, json_t *list)
{
	xmlNodePtr t = el(parent, "table", NULL);
	el(t, "caption", caption);
	xmlNodePtr tr = el(el(t, "thead", NULL), "tr", NULL);
	static const char *const cols[] = {"実施している", "一部",   "していない",
					   "該当なし",	   "未回答", "遵守率"};
	static const char *const keys[] = {"yes", "partial", "no", "na", "open"};
	attr(el(tr, "th", first), "scope", "col");
	for (int c = 0; c < 6; c++)
		attr(el(tr, "th", cols[c]), "scope", "col");
	xmlNodePtr tb = el(t, "tbody", NULL);
	size_t i;
	json_t *o;
	json_array_foreach (list, i, o) {
		tr = el(tb, "tr", NULL);
		attr(el(tr, "th", js(o, namekey)), "scope", "row");
		for (int c = 0; c < 5; c++) {
			char n[32];
			snprintf(n, sizeof n, "%" JSON_INTEGER_FORMAT,
				 json_integer_value(json_object_get(o, keys[c])));
			attr(el(tr, "td", n), "class", "num");
		}
		attr(el(tr, "td", js(o, "rate")), "class", "num");
	}
}

struct hctx {
	xmlNodePtr body, tbody;
	char chapter[64];
};

static int html_row(void *ud, const struct answer_row *a, mmr_error *err)
{
	(void)err;
	struct hctx *h = ud;
	if (strcmp(h->chapter, a->chapter)) {
		snprintf(h->chapter, sizeof h->chapter, "%s", a->chapter);
		xmlNodePtr sec = el(h->body, "section", NULL);
		attr(sec, "class", "chapter");
		el(sec, "h2", a->chapter);
		xmlNodePtr t = el(sec, "table", NULL);
		xmlNodePtr tr = el(el(t, "thead", NULL), "tr", NULL);
		static const char *const head[] = {"項目", "条項", "点検項目", "組織",
						   "回答", "備考", "証跡"};
		for (int c = 0; c < 7; c++)
			attr(el(tr, "th", head[c]), "scope", "col");
		h->tbody = el(t, "tbody", NULL);
	}
	char ev[4096];
	evidence_text(a->evidence, ev, sizeof ev);
	xmlNodePtr tr = el(h->tbody, "tr", NULL);
	el(tr, "td", a->key);
	el(tr, "td", a->clause);
	el(tr, "td", a->question);
	el(tr, "td", a->system ? a->system : a->unit);
	attr(el(tr, "td", answer_label(a->answer)), "class", a->answer ? a->answer : "open");
	el(tr, "td", a->note);
	el(tr, "td", ev);
	return MMR_OK;
}

static int write_html(struct report *r, const char *tmp, const char *css_href, mmr_error *err)
{
	htmlDocPtr doc = htmlNewDocNoDtD(NULL, NULL);
	if (!doc) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
		return MMR_ENOMEM;
	}
	xmlCreateIntSubset(doc, BAD_CAST "html", NULL, NULL);
	xmlNodePtr html = xmlNewNode(NULL, BAD_CAST "html");
	xmlDocSetRootElement(doc, html);
	attr(html, "lang", "ja");
	xmlNodePtr head = el(html, "head", NULL);
	attr(el(head, "meta", NULL), "charset", "UTF-8");
	char title[512];
	snprintf(title, sizeof title, "%s %s 自己点検結果報告", r->tenant_name,
		 js(r->head, "name"));
	el(head, "title", title);
	if (css_href) {
		xmlNodePtr l = el(head, "link", NULL);
		attr(l, "rel", "stylesheet");
		attr(l, "href", css_href);
	} else {
		const struct mmr_embedded_file *css = mmr_embedded_find("static/report.css");
		el(head, "style", css ? css->data : "");
	}
	xmlNodePtr body = el(html, "body", NULL);
	xmlNodePtr hd = el(body, "header", NULL);
	el(hd, "h1", "情報セキュリティ自己点検 結果報告");
	xmlNodePtr dl = el(hd, "dl", NULL);
	el(dl, "dt", "団体");
	el(dl, "dd", r->tenant_name);
	el(dl, "dt", "点検");
	el(dl, "dd", js(r->head, "name"));
	el(dl, "dt", "年度");
	el(dl, "dd", r->fiscal);
	el(dl, "dt", "期限");
	el(dl, "dd", js(r->head, "deadline"));
	el(dl, "dt", "作成");
	el(dl, "dd", r->made);
	xmlNodePtr sum = el(body, "section", NULL);
	attr(sum, "class", "summary");
	el(sum, "h2", "概要");
	json_t *b = json_object_get(r->rollup, "body");
	json_object_set_new(b, "name", json_string("団体全体"));
	json_t *bl = json_pack("[O]", b);
	html_tally(sum, "団体全体", "", "name", bl);
	json_decref(bl);
	html_tally(sum, "章ごとの遵守率", "章", "chapter", json_object_get(r->rollup, "chapters"));
	html_tally(sum, "部ごとの遵守率", "部", "unit", json_object_get(r->rollup, "departments"));
	html_tally(sum, "課ごとの遵守率", "課", "unit", json_object_get(r->rollup, "sections"));
	struct hctx h = {.body = body};
	int rc = each_answer(r, html_row, &h, err);
	xmlNodePtr sa = el(body, "section", NULL);
	attr(sa, "class", "actions");
	el(sa, "h2", "改善策");
	xmlNodePtr t = el(sa, "table", NULL);
	xmlNodePtr tr = el(el(t, "thead", NULL), "tr", NULL);
	static const char *const ah[] = {"項目", "組織", "改善策", "担当者", "期日", "状態"};
	for (int c = 0; c < 6; c++)
		attr(el(tr, "th", ah[c]), "scope", "col");
	xmlNodePtr tb = el(t, "tbody", NULL);
	size_t i;
	json_t *a;
	json_array_foreach (r->actions, i, a) {
		tr = el(tb, "tr", NULL);
		el(tr, "td", js(a, "key"));
		el(tr, "td", js(a, "unit"));
		el(tr, "td", js(a, "description"));
		el(tr, "td", js(a, "owner"));
		el(tr, "td", js(a, "due"));
		el(tr, "td", status_label(js(a, "status")));
	}
	xmlNodePtr sf = el(body, "section", NULL);
	attr(sf, "class", "findings");
	el(sf, "h2", "監査の指摘事項");
	t = el(sf, "table", NULL);
	tr = el(el(t, "thead", NULL), "tr", NULL);
	static const char *const fh[] = {"項目",     "組織",	       "重要度",
					 "指摘事項", "フォローアップ", "状態"};
	for (int c = 0; c < 6; c++)
		attr(el(tr, "th", fh[c]), "scope", "col");
	tb = el(t, "tbody", NULL);
	json_array_foreach (r->findings, i, a) {
		tr = el(tb, "tr", NULL);
		el(tr, "td", js(a, "key"));
		el(tr, "td", js(a, "unit"));
		el(tr, "td", severity_label(js(a, "severity")));
		el(tr, "td", js(a, "finding"));
		el(tr, "td", js(a, "follow_up"));
		el(tr, "td", status_label(js(a, "status")));
	}
	if (!rc && htmlSaveFileFormat(tmp, doc, "UTF-8", 1) < 0) {
		mmr_error_set(err, MMR_EIO, "%s を書けません (EIO)", tmp);
		rc = MMR_EIO;
	}
	xmlFreeDoc(doc);
	return rc;
}

int mmr_inspect_report(mmr_store *st, const mmr_actor *who, int64_t round, const char *format,
		       const char *path, const char *css_href, mmr_error *err)
{
	bool xlsx = format && !strcmp(format, "xlsx"), csv = format && !strcmp(format, "csv"),
	     html = format && !strcmp(format, "html");
	if (!xlsx && !csv && !html) {
		mmr_field_error(err, MMR_EINVAL, "format",
				"形式は xlsx, csv, html のどれかです: \"%s\"",
				format ? format : "");
		return MMR_EINVAL;
	}
	struct report r = {.st = st, .who = who, .round = round};
	int rc = gather(&r, err);
	if (rc) {
		report_free(&r);
		return rc;
	}
	char tmp[4200];
	if ((rc = open_partial(path, tmp, sizeof tmp, err))) {
		report_free(&r);
		return rc;
	}
	rc = xlsx  ? write_xlsx(&r, tmp, err)
	     : csv ? write_csv(&r, tmp, err)
		   : write_html(&r, tmp, css_href, err);
	report_free(&r);
	return finish_partial(tmp, path, rc, err);
}
