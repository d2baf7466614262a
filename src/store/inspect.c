/*
 * inspect.c — self-inspection and audit: checklists from the profile (kept
 * in versions), rounds, answers, roll-up, comparison, improvement actions,
 * findings. Facts are in inspect_facts.c, reports in inspect_report.c, the
 * dashboard in inspect_dash.c.
 */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/audit.h"
#include "store/inspect_int.h"
#include "util/utf8.h"

/* ---- query helpers ------------------------------------------------------------ */

int mmr_iq_prepare(mmr_db *db, const char *sql, const struct mmr_iparam *p, size_t n,
		   mmr_stmt **out, mmr_error *err)
{
	int rc = mmr_db_prepare(db, sql, out, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < n; i++) {
		if (p[i].t == 'i')
			mmr_stmt_int(*out, (int)i + 1, p[i].i);
		else if (p[i].t == 's' && p[i].s)
			mmr_stmt_text(*out, (int)i + 1, p[i].s);
		else
			mmr_stmt_null(*out, (int)i + 1);
	}
	return MMR_OK;
}

int mmr_iq_run(mmr_db *db, const char *sql, const struct mmr_iparam *p, size_t n, mmr_error *err)
{
	mmr_stmt *s;
	int rc = mmr_iq_prepare(db, sql, p, n, &s, err);
	return rc ? rc : mmr_stmt_run(s, err);
}

int mmr_iq_int(mmr_db *db, const char *sql, const struct mmr_iparam *p, size_t n, int64_t *v,
	       bool *found, mmr_error *err)
{
	mmr_stmt *s;
	int rc = mmr_iq_prepare(db, sql, p, n, &s, err);
	if (rc)
		return rc;
	rc = mmr_stmt_step(s, err);
	*found = rc == MMR_DB_ROW;
	*v = rc == MMR_DB_ROW && !mmr_col_null(s, 0) ? mmr_col_int(s, 0) : 0;
	mmr_stmt_reset(s);
	return rc == MMR_DB_ROW || rc == MMR_DB_DONE ? MMR_OK : rc;
}

int mmr_iq_rows(mmr_db *db, const char *sql, const struct mmr_iparam *p, size_t n, const char *spec,
		json_t **out, mmr_error *err)
{
	char names[32][40];
	char types[32];
	size_t nc = 0;
	for (const char *q = spec; *q && nc < 32;) {
		const char *colon = strchr(q, ':');
		size_t l = (size_t)(colon - q);
		if (!colon || l >= sizeof names[0])
			abort(); /* a spec is a literal of this module */
		memcpy(names[nc], q, l);
		names[nc][l] = '\0';
		types[nc++] = colon[1];
		q = colon + 2;
		if (*q == ',')
			q++;
	}
	mmr_stmt *s;
	int rc = mmr_iq_prepare(db, sql, p, n, &s, err);
	if (rc)
		return rc;
	json_t *a = json_array();
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		json_t *o = json_object();
		for (size_t c = 0; c < nc; c++) {
			json_t *v;
			if (mmr_col_null(s, (int)c))
				v = json_null();
			else if (types[c] == 'i')
				v = json_integer(mmr_col_int(s, (int)c));
			else if (types[c] == 'b')
				v = json_boolean(mmr_col_int(s, (int)c));
			else if (types[c] == 'j') {
				v = json_loads(mmr_col_text(s, (int)c), 0, NULL);
				if (!v)
					v = json_null();
			} else
				v = json_string(mmr_col_text(s, (int)c));
			json_object_set_new(o, names[c], v);
		}
		json_array_append_new(a, o);
	}
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		json_decref(a);
		return rc;
	}
	*out = a;
	return MMR_OK;
}

/* ---- arithmetic and words ------------------------------------------------------------ */

int64_t mmr_inspect_rate(int64_t yes, int64_t partial, int64_t no)
{
	int64_t d = yes + partial + no;
	if (d <= 0)
		return -1;
	return ((2 * yes + partial) * 1000 + d) / (2 * d);
}

static bool chapter_start(const char *p)
{
	return !strncmp(p, "第", strlen("第")) || (*p >= '0' && *p <= '9');
}

void mmr_inspect_chapter(const char *clause, char *out, size_t n)
{
	const char *p = clause ? clause : "";
	/* skip leading words that are not a chapter ("鶴岡市基本方針 第2条(9)") */
	const char *q = p;
	while (*q) {
		while (*q == ' ')
			q++;
		if (chapter_start(q))
			break;
		const char *sp = strchr(q, ' ');
		if (!sp) {
			q = p;
			break;
		}
		q = sp;
	}
	while (*q == ' ' || *q == '"')
		q++;
	size_t l = strcspn(q, " (（\"");
	if (!l) {
		snprintf(out, n, "%s", "その他");
		return;
	}
	if (l >= n)
		l = n - 1;
	memcpy(out, q, l);
	out[l] = '\0';
}

/* ---- who may do what ---------------------------------------------------------- */

static int denied(mmr_error *err, const char *what)
{
	mmr_error_set(err, MMR_EDENIED, "%sの権限がありません (denied)", what);
	return MMR_EDENIED;
}

static int need_admin(const mmr_actor *who, mmr_error *err)
{
	return who->admin ? MMR_OK : denied(err, "点検の管理");
}

static int unit_parent(mmr_store *st, const char *tenant, int64_t unit, int64_t *parent,
		       mmr_error *err)
{
	static const char q[] = "SELECT parent_id FROM units WHERE tenant = $1 AND id = $2";
	bool found;
	int rc = mmr_iq_int(st->db, q, IPARAMS(IP_S(tenant), IP_I(unit)), parent, &found, err);
	if (!rc && !found)
		*parent = 0;
	return rc;
}

/* May `who` answer for `unit`? */
static int may_answer(mmr_store *st, const mmr_actor *who, int64_t unit, bool *ok, mmr_error *err)
{
	*ok = who->admin || who->body_scope;
	if (*ok)
		return MMR_OK;
	int64_t parent = 0;
	int rc = unit_parent(st, who->tenant, unit, &parent, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < who->n_scopes; i++)
		if (!strcmp(who->scopes[i].kind, "unit") &&
		    (who->scopes[i].id == unit || (parent && who->scopes[i].id == parent)))
			*ok = true;
	if (*ok)
		return MMR_OK;
	static const char q[] = "SELECT unit_id FROM users WHERE tenant = $1 AND id = $2";
	int64_t own = 0;
	bool found;
	rc = mmr_iq_int(st->db, q, IPARAMS(IP_S(who->tenant), IP_I(who->user_id)), &own, &found,
			err);
	if (!rc && found && own == unit)
		*ok = true;
	return rc;
}

/* ---- the audit log ------------------------------------------------------------------ */

/* Record a state change in the tenant's audit log (audit.h), inside the
 * caller's transaction when there is one. `after` is stolen. */
static int audit(mmr_store *st, const mmr_actor *who, const char *action, const char *kind,
		 int64_t id, json_t *after, mmr_error *err)
{
	int rc = mmr_audit_record(st, who, action, kind, id, NULL, after, NULL, err);
	json_decref(after);
	return rc;
}

/* ---- input checks ---------------------------------------------------------------- */

/* Code points of valid UTF-8 s, or SIZE_MAX when s is not valid UTF-8. */
static size_t utf8_chars(const char *s)
{
	size_t n = strlen(s), count = 0;
	if (mmr_utf8_valid_prefix(s, n) != n)
		return SIZE_MAX;
	for (size_t i = 0; i < n; count++) {
		uint32_t cp;
		i += mmr_utf8_decode(s + i, n - i, &cp);
	}
	return count;
}

static int text_field(json_t *o, const char *name, const char *label, bool required, size_t max,
		      const char **out, mmr_error *err)
{
	json_t *v = json_object_get(o, name);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required) {
			mmr_field_error(err, MMR_EINVAL, name, "%s（%s）は必須です", label, name);
			return MMR_EINVAL;
		}
		return MMR_OK;
	}
	const char *s = json_string_value(v);
	if (!s || (required && !*s)) {
		mmr_field_error(err, MMR_EINVAL, name, "%s（%s）は文字列で書きます", label, name);
		return MMR_EINVAL;
	}
	if (utf8_chars(s) > max) {
		mmr_field_error(err, MMR_EINVAL, name, "%s（%s）は %zu 文字までの UTF-8 です",
				label, name, max);
		return MMR_EINVAL;
	}
	*out = s;
	return MMR_OK;
}

/* YYYY-MM-DD, a real date. */
static bool date_valid(const char *s)
{
	int y, m, d;
	char tail;
	if (!s || strlen(s) != 10 || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return false;
	if (y < 1900 || y > 9999 || m < 1 || m > 12 || d < 1)
		return false;
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int max = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
	return d <= max;
}

static int date_field(json_t *o, const char *name, const char *label, bool required,
		      const char **out, mmr_error *err)
{
	int rc = text_field(o, name, label, required, 10, out, err);
	if (rc || !*out)
		return rc;
	if (!date_valid(*out)) {
		mmr_field_error(err, MMR_EINVAL, name, "%s（%s）は YYYY-MM-DD の日付です: \"%s\"",
				label, name, *out);
		return MMR_EINVAL;
	}
	return MMR_OK;
}

/* `date` + `months` (the day clamped to the month's end). */
static void add_months(const char *date, int months, char out[11])
{
	int y = 1970, m = 1, d = 1;
	if (sscanf(date, "%4d-%2d-%2d", &y, &m, &d) != 3 || m < 1 || m > 12 || d < 1)
		y = 1970, m = 1, d = 1;
	m += months;
	y += (m - 1) / 12;
	m = (m - 1) % 12 + 1;
	static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	int max = days[m - 1] + (m == 2 && ((y % 4 == 0 && y % 100) || y % 400 == 0));
	if (d > max)
		d = max;
	char buf[48];
	snprintf(buf, sizeof buf, "%04d-%02d-%02d", y % 10000, m, d);
	memcpy(out, buf, 10);
	out[10] = '\0';
}

/* ---- checklists -------------------------------------------------------------------- */

struct gen_item {
	char key[32];
	char chapter[64];
	const char *clause;
	char *question, *clause_text, *how;
	const char *fact;
};

static char *join_titles(json_t *rules)
{
	size_t n = json_array_size(rules);
	size_t cap = 64;
	for (size_t i = 0; i < n && i < 3; i++)
		cap += strlen(json_string_value(
			       json_object_get(json_array_get(rules, i), "title"))) +
		       8;
	char *s = malloc(cap);
	if (!s)
		return NULL;
	size_t l = 0;
	for (size_t i = 0; i < n && i < 3; i++)
		l += (size_t)snprintf(
			s + l, cap - l, "「%s」",
			json_string_value(json_object_get(json_array_get(rules, i), "title")));
	if (n > 3)
		l += (size_t)snprintf(s + l, cap - l, "ほか%zu件", n - 3);
	snprintf(s + l, cap - l, "%s", "の定めを守っているか。");
	return s;
}

static char *join_texts(json_t *rules)
{
	size_t n = json_array_size(rules), cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += strlen(json_string_value(json_object_get(
			       json_object_get(json_array_get(rules, i), "citation"), "text"))) +
		       1;
	char *s = calloc(1, cap);
	if (!s)
		return NULL;
	size_t l = 0;
	for (size_t i = 0; i < n; i++) {
		const char *t = json_string_value(json_object_get(
			json_object_get(json_array_get(rules, i), "citation"), "text"));
		if (!t || strstr(s, t))
			continue;
		l += (size_t)snprintf(s + l, cap - l, "%s%s", l ? "\n" : "", t);
	}
	return s;
}

/* How to confirm an item, from its rules' effects and obligations. */
static char *how_to_confirm(json_t *rules, json_t *obligations)
{
	bool deny = false, approval = false, permit = false;
	char obl[1024] = "";
	size_t ol = 0;
	size_t i;
	json_t *r;
	json_array_foreach (rules, i, r) {
		const char *e = json_string_value(json_object_get(r, "effect"));
		deny |= e && !strcmp(e, "deny");
		approval |= (e && !strcmp(e, "needs_approval")) ||
			    json_object_get(r, "approvers") != NULL;
		permit |= e && !strcmp(e, "permit");
		size_t j;
		json_t *o;
		json_array_foreach (json_object_get(r, "obligations"), j, o) {
			const char *id = json_string_value(o), *name = id;
			size_t k;
			json_t *ob;
			json_array_foreach (obligations, k, ob)
				if (!strcmp(json_string_value(json_object_get(ob, "id")), id))
					name = json_string_value(json_object_get(ob, "name"));
			if (name && !strstr(obl, name) && ol + strlen(name) + 4 < sizeof obl)
				ol += (size_t)snprintf(obl + ol, sizeof obl - ol, "%s%s",
						       ol ? "、" : "", name);
		}
	}
	char buf[2048];
	size_t l = 0;
	if (deny)
		l += (size_t)snprintf(buf + l, sizeof buf - l, "%s",
				      "禁止された操作が行われていないことを判定の記録と監査ログで"
				      "確かめる。");
	if (approval)
		l += (size_t)snprintf(buf + l, sizeof buf - l, "%s",
				      "申請と承認の記録がそろっていることを確かめる。");
	if (ol)
		l += (size_t)snprintf(buf + l, sizeof buf - l, "義務（%s）の実施を記録で確かめる。",
				      obl);
	if (!l && permit)
		l += (size_t)snprintf(buf + l, sizeof buf - l, "%s",
				      "定めの条件どおりに運用されていることを確かめる。");
	if (!l)
		snprintf(buf, sizeof buf, "%s", "運用の記録で確かめる。");
	return strdup(buf);
}

static int insert_checklist(mmr_store *st, const mmr_actor *who, const char *note, int64_t *id,
			    int64_t *version, mmr_error *err)
{
	static const char qv[] =
		"SELECT COALESCE(MAX(version), 0) FROM inspection_checklists WHERE tenant = $1";
	bool found;
	int rc = mmr_iq_int(st->db, qv, IPARAMS(IP_S(who->tenant)), version, &found, err);
	if (rc)
		return rc;
	(*version)++;
	char now[32];
	mmr_now_iso(now);
	static const char ins[] =
		"INSERT INTO inspection_checklists (tenant, version, note, "
		"created_by, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING id";
	return mmr_iq_int(
		st->db, ins,
		IPARAMS(IP_S(who->tenant), IP_I(*version), IP_S(note), IP_S(who->login), IP_S(now)),
		id, &found, err);
}

static const char item_ins[] =
	"INSERT INTO inspection_items (tenant, checklist_id, item_key, position, chapter, clause, "
	"question, clause_text, how, fact) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)";

int mmr_inspect_checklist_generate(mmr_store *st, const mmr_actor *who, json_t **out,
				   mmr_error *err)
{
	int rc = need_admin(who, err);
	if (rc)
		return rc;
	const mmr_policy *pol;
	if ((rc = mmr_tenant_policy(st, who->tenant, &pol, err)))
		return rc;
	char *js = mmr_policy_describe_json(pol, NULL, NULL, err);
	if (!js)
		return err->code;
	json_t *d = json_loads(js, 0, NULL);
	free(js);
	if (!d) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
		return MMR_ENOMEM;
	}
	/* clauses in the order they first appear, each with its rules */
	json_t *by_clause = json_object(), *order = json_array();
	size_t i;
	json_t *r;
	json_array_foreach (json_object_get(d, "rules"), i, r) {
		const char *c = json_string_value(
			json_object_get(json_object_get(r, "citation"), "clause"));
		if (!c || !*c)
			continue;
		json_t *l = json_object_get(by_clause, c);
		if (!l) {
			l = json_array();
			json_object_set_new(by_clause, c, l);
			json_array_append_new(order, json_string(c));
		}
		json_array_append(l, r);
	}
	size_t n = json_array_size(order);
	struct gen_item *items = calloc(n + mmr_n_facts, sizeof *items);
	size_t ni = 0;
	if (!items) {
		rc = MMR_ENOMEM;
		mmr_error_set(err, rc, "メモリが足りません (ENOMEM)");
		goto done;
	}
	json_t *obligations = json_object_get(d, "obligations");
	for (i = 0; i < n; i++) {
		const char *c = json_string_value(json_array_get(order, i));
		json_t *rules = json_object_get(by_clause, c);
		struct gen_item *it = &items[ni++];
		it->clause = c;
		mmr_inspect_chapter(c, it->chapter, sizeof it->chapter);
		it->question = join_titles(rules);
		it->clause_text = join_texts(rules);
		it->how = how_to_confirm(rules, obligations);
	}
	/* facts answer the item of their clause, or an item of their own */
	for (size_t f = 0; f < mmr_n_facts; f++) {
		const char *c = mmr_facts[f].anchor ? mmr_facts[f].anchor(d) : NULL;
		struct gen_item *hit = NULL;
		for (size_t k = 0; c && k < ni; k++)
			if (!strcmp(items[k].clause, c) && !items[k].fact)
				hit = &items[k];
		if (!hit && !mmr_facts[f].question)
			continue;
		if (!hit) {
			hit = &items[ni++];
			hit->clause = c ? c : "";
			if (c)
				mmr_inspect_chapter(c, hit->chapter, sizeof hit->chapter);
			else
				snprintf(hit->chapter, sizeof hit->chapter, "%s", "記録による確認");
			hit->clause_text =
				strdup(c ? "" : "（プロファイルに対応する条項がありません）");
			hit->question = strdup(mmr_facts[f].question);
			hit->how = NULL;
		}
		hit->fact = mmr_facts[f].id;
		free(hit->how);
		char how[512];
		snprintf(how, sizeof how, "mamori の記録（%s）から自動で確かめる。",
			 mmr_facts[f].label);
		hit->how = strdup(how);
	}
	if ((rc = mmr_db_begin(st->db, err)))
		goto done;
	int64_t id, version;
	rc = insert_checklist(st, who, "プロファイルから生成", &id, &version, err);
	for (i = 0; !rc && i < ni; i++) {
		struct gen_item *it = &items[i];
		if (!it->question || !it->clause_text || !it->how) {
			rc = MMR_ENOMEM;
			mmr_error_set(err, rc, "メモリが足りません (ENOMEM)");
			break;
		}
		snprintf(it->key, sizeof it->key, "K%03zu", i + 1);
		rc = mmr_iq_run(st->db, item_ins,
				IPARAMS(IP_S(who->tenant), IP_I(id), IP_S(it->key), IP_I(i + 1),
					IP_S(it->chapter), IP_S(it->clause), IP_S(it->question),
					IP_S(it->clause_text), IP_S(it->how), IP_S(it->fact)),
				err);
	}
	if (!rc)
		rc = audit(st, who, "inspection.checklist.generate", "inspection_checklists", id,
			   json_pack("{s:I, s:I}", "version", (json_int_t)version, "items",
				     (json_int_t)ni),
			   err);
	if (!(rc = mmr_db_end(st->db, rc, err)))
		*out = json_pack("{s:I, s:I, s:I}", "id", (json_int_t)id, "version",
				 (json_int_t)version, "items", (json_int_t)ni);
done:
	for (i = 0; items && i < ni; i++) {
		free(items[i].question);
		free(items[i].clause_text);
		free(items[i].how);
	}
	free(items);
	json_decref(order);
	json_decref(by_clause);
	json_decref(d);
	return rc;
}

static int checklist_id(mmr_store *st, const char *tenant, int64_t version, int64_t *id,
			int64_t *ver, mmr_error *err)
{
	static const char q[] = "SELECT id, version FROM inspection_checklists WHERE tenant = $1 "
				"AND (CAST($2 AS BIGINT) = 0 OR version = CAST($2 AS BIGINT)) "
				"ORDER BY version DESC LIMIT 1";
	mmr_stmt *s;
	int rc = mmr_iq_prepare(st->db, q, IPARAMS(IP_S(tenant), IP_I(version)), &s, err);
	if (rc)
		return rc;
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_ROW) {
		*id = mmr_col_int(s, 0);
		*ver = mmr_col_int(s, 1);
	}
	mmr_stmt_reset(s);
	if (rc == MMR_DB_DONE) {
		mmr_error_set(err, MMR_ENOTFOUND,
			      "点検表がありません（先に点検表を生成してください）(no checklist)");
		return MMR_ENOTFOUND;
	}
	return rc == MMR_DB_ROW ? MMR_OK : rc;
}

int mmr_inspect_checklist_get(mmr_store *st, const mmr_actor *who, int64_t version, json_t **out,
			      mmr_error *err)
{
	int64_t id = 0, ver = 0;
	int rc = checklist_id(st, who->tenant, version, &id, &ver, err);
	if (rc)
		return rc;
	json_t *head;
	static const char qh[] = "SELECT id, version, created_at, created_by, note FROM "
				 "inspection_checklists WHERE tenant = $1 AND id = $2";
	if ((rc = mmr_iq_rows(st->db, qh, IPARAMS(IP_S(who->tenant), IP_I(id)),
			      "id:i,version:i,created_at:s,created_by:s,note:s", &head, err)))
		return rc;
	static const char qi[] = "SELECT id, item_key, chapter, clause, question, clause_text, "
				 "how, fact FROM inspection_items WHERE tenant = $1 AND "
				 "checklist_id = $2 ORDER BY position";
	json_t *items;
	if ((rc = mmr_iq_rows(st->db, qi, IPARAMS(IP_S(who->tenant), IP_I(id)),
			      "id:i,key:s,chapter:s,clause:s,question:s,clause_text:s,how:s,fact:s",
			      &items, err))) {
		json_decref(head);
		return rc;
	}
	*out = json_incref(json_array_get(head, 0));
	json_decref(head);
	json_object_set_new(*out, "items", items);
	return MMR_OK;
}

int mmr_inspect_checklist_list(mmr_store *st, const mmr_actor *who, json_t **out, mmr_error *err)
{
	static const char q[] =
		"SELECT c.id, c.version, c.created_at, c.created_by, c.note, (SELECT count(*) FROM "
		"inspection_items i WHERE i.tenant = c.tenant AND i.checklist_id = c.id) FROM "
		"inspection_checklists c WHERE c.tenant = $1 ORDER BY c.version DESC";
	return mmr_iq_rows(st->db, q, IPARAMS(IP_S(who->tenant)),
			   "id:i,version:i,created_at:s,created_by:s,note:s,items:i", out, err);
}

int mmr_inspect_checklist_change(mmr_store *st, const mmr_actor *who, const char *op,
				 const char *key, json_t *item, json_t **out, mmr_error *err)
{
	int rc = need_admin(who, err);
	if (rc)
		return rc;
	bool add = op && !strcmp(op, "add"), edit = op && !strcmp(op, "edit"),
	     retire = op && !strcmp(op, "retire");
	if (!add && !edit && !retire) {
		mmr_field_error(err, MMR_EINVAL, "op", "操作は add, edit, retire のどれかです");
		return MMR_EINVAL;
	}
	const char *chapter = NULL, *clause = NULL, *question = NULL, *text = NULL, *how = NULL;
	if (!retire) {
		if (!json_is_object(item)) {
			mmr_field_error(err, MMR_EINVAL, "item",
					"点検項目は JSON オブジェクトです");
			return MMR_EINVAL;
		}
		if ((rc = text_field(item, "chapter", "章", add, 64, &chapter, err)) ||
		    (rc = text_field(item, "clause", "条項", add, 200, &clause, err)) ||
		    (rc = text_field(item, "question", "点検項目", add, 1000, &question, err)) ||
		    (rc = text_field(item, "clause_text", "条項の文言", false, 4000, &text, err)) ||
		    (rc = text_field(item, "how", "確認方法", false, 1000, &how, err)))
			return rc;
	}
	int64_t old, ver;
	if ((rc = checklist_id(st, who->tenant, 0, &old, &ver, err)))
		return rc;
	if (!add) {
		static const char qk[] = "SELECT count(*) FROM inspection_items WHERE tenant = $1 "
					 "AND checklist_id = $2 AND item_key = $3";
		int64_t n;
		bool found;
		if ((rc = mmr_iq_int(st->db, qk, IPARAMS(IP_S(who->tenant), IP_I(old), IP_S(key)),
				     &n, &found, err)))
			return rc;
		if (!n) {
			mmr_field_error(err, MMR_ENOTFOUND, "key", "点検項目 \"%s\" はありません",
					key ? key : "");
			return MMR_ENOTFOUND;
		}
	}
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	int64_t id;
	char note[160];
	snprintf(note, sizeof note, "%s %s", add ? "追加" : edit ? "変更" : "廃止", add ? "" : key);
	rc = insert_checklist(st, who, note, &id, &ver, err);
	static const char copy[] =
		"INSERT INTO inspection_items (tenant, checklist_id, item_key, position, chapter, "
		"clause, question, clause_text, how, fact) SELECT tenant, $2, item_key, position, "
		"chapter, clause, question, clause_text, how, fact FROM inspection_items WHERE "
		"tenant = $1 AND checklist_id = $3 AND item_key <> $4";
	if (!rc)
		rc = mmr_iq_run(
			st->db, copy,
			IPARAMS(IP_S(who->tenant), IP_I(id), IP_I(old), IP_S(retire ? key : "")),
			err);
	if (!rc && edit) {
		static const char upd[] =
			"INSERT INTO inspection_items (tenant, checklist_id, item_key, position, "
			"chapter, clause, question, clause_text, how, fact) SELECT tenant, $2, "
			"item_key, position, COALESCE($5, chapter), COALESCE($6, clause), "
			"COALESCE($7, question), COALESCE($8, clause_text), COALESCE($9, how), "
			"fact "
			"FROM inspection_items WHERE tenant = $1 AND checklist_id = $3 AND "
			"item_key "
			"= $4";
		static const char del[] = "DELETE FROM inspection_items WHERE tenant = $1 AND "
					  "checklist_id = $2 AND item_key = $3";
		rc = mmr_iq_run(st->db, del, IPARAMS(IP_S(who->tenant), IP_I(id), IP_S(key)), err);
		if (!rc)
			rc = mmr_iq_run(st->db, upd,
					IPARAMS(IP_S(who->tenant), IP_I(id), IP_I(old), IP_S(key),
						IP_S(chapter), IP_S(clause), IP_S(question),
						IP_S(text), IP_S(how)),
					err);
	}
	if (!rc && add) {
		static const char qn[] =
			"SELECT COALESCE(MAX(position), 0) + 1, (SELECT count(*) FROM "
			"inspection_items WHERE tenant = $1 AND item_key LIKE 'U%') + 1 FROM "
			"inspection_items WHERE tenant = $1 AND checklist_id = $2";
		mmr_stmt *s;
		int64_t pos = 1, seq = 1;
		rc = mmr_iq_prepare(st->db, qn, IPARAMS(IP_S(who->tenant), IP_I(id)), &s, err);
		if (!rc && (rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
			pos = mmr_col_int(s, 0);
			seq = mmr_col_int(s, 1);
			rc = MMR_OK;
		}
		if (s)
			mmr_stmt_reset(s);
		char k[24];
		snprintf(k, sizeof k, "U%03" PRId64, seq);
		if (!rc)
			rc = mmr_iq_run(st->db, item_ins,
					IPARAMS(IP_S(who->tenant), IP_I(id), IP_S(k), IP_I(pos),
						IP_S(chapter), IP_S(clause), IP_S(question),
						IP_S(text ? text : ""),
						IP_S(how ? how : "運用の記録で確かめる。"),
						IP_NULL),
					err);
	}
	int64_t count = 0;
	bool found;
	static const char qc[] =
		"SELECT count(*) FROM inspection_items WHERE tenant = $1 AND checklist_id = $2";
	if (!rc)
		rc = mmr_iq_int(st->db, qc, IPARAMS(IP_S(who->tenant), IP_I(id)), &count, &found,
				err);
	if (!rc) {
		char action[64];
		snprintf(action, sizeof action, "inspection.checklist.%s", op);
		rc = audit(st, who, action, "inspection_checklists", id,
			   json_pack("{s:I, s:s?, s:O?}", "version", (json_int_t)ver, "key", key,
				     "item", item),
			   err);
	}
	if ((rc = mmr_db_end(st->db, rc, err)))
		return rc;
	*out = json_pack("{s:I, s:I, s:I}", "id", (json_int_t)id, "version", (json_int_t)ver,
			 "items", (json_int_t)count);
	return MMR_OK;
}

/* ---- rounds ------------------------------------------------------------------------- */

static const char round_cols[] =
	"id:i,name:s,fiscal_year:i,deadline:s,status:s,created_at:s,checklist_version:i";

int mmr_inspect_round_list(mmr_store *st, const mmr_actor *who, json_t **out, mmr_error *err)
{
	static const char q[] =
		"SELECT r.id, r.name, r.fiscal_year, r.deadline, r.status, r.created_at, c.version "
		"FROM inspection_rounds r JOIN inspection_checklists c ON c.tenant = r.tenant AND "
		"c.id = r.checklist_id WHERE r.tenant = $1 ORDER BY r.fiscal_year DESC, r.id DESC";
	return mmr_iq_rows(st->db, q, IPARAMS(IP_S(who->tenant)), round_cols, out, err);
}

static int round_head(mmr_store *st, const mmr_actor *who, int64_t round, json_t **out,
		      mmr_error *err)
{
	static const char q[] =
		"SELECT r.id, r.name, r.fiscal_year, r.deadline, r.status, r.created_at, c.version "
		"FROM inspection_rounds r JOIN inspection_checklists c ON c.tenant = r.tenant AND "
		"c.id = r.checklist_id WHERE r.tenant = $1 AND r.id = $2";
	json_t *a;
	int rc = mmr_iq_rows(st->db, q, IPARAMS(IP_S(who->tenant), IP_I(round)), round_cols, &a,
			     err);
	if (rc)
		return rc;
	if (!json_array_size(a)) {
		json_decref(a);
		mmr_error_set(err, MMR_ENOTFOUND, "点検 %" PRId64 " はありません (no such round)",
			      round);
		return MMR_ENOTFOUND;
	}
	*out = json_incref(json_array_get(a, 0));
	json_decref(a);
	return MMR_OK;
}

int mmr_inspect_round_find(mmr_store *st, const mmr_actor *who, const char *ref, int64_t *id,
			   mmr_error *err)
{
	static const char q[] = "SELECT id FROM inspection_rounds WHERE tenant = $1 AND (name = "
				"$2 OR CAST(id AS TEXT) = $2)";
	bool found;
	int rc = mmr_iq_int(st->db, q, IPARAMS(IP_S(who->tenant), IP_S(ref ? ref : "")), id, &found,
			    err);
	if (!rc && !found) {
		mmr_error_set(err, MMR_ENOTFOUND, "点検 \"%s\" はありません (no such round)",
			      ref ? ref : "");
		return MMR_ENOTFOUND;
	}
	return rc;
}

int mmr_inspect_round_create(mmr_store *st, const mmr_actor *who, json_t *in, json_t **out,
			     mmr_error *err)
{
	int rc = need_admin(who, err);
	if (rc)
		return rc;
	const char *name, *deadline;
	if (!json_is_object(in)) {
		mmr_error_set(err, MMR_EINVAL, "点検は JSON オブジェクトで書きます");
		return MMR_EINVAL;
	}
	if ((rc = text_field(in, "name", "点検の名称", true, 200, &name, err)) ||
	    (rc = date_field(in, "deadline", "期限", true, &deadline, err)))
		return rc;
	json_t *fy = json_object_get(in, "fiscal_year");
	if (!json_is_integer(fy) || json_integer_value(fy) < 1900 ||
	    json_integer_value(fy) > 9999) {
		mmr_field_error(err, MMR_EINVAL, "fiscal_year",
				"年度（fiscal_year）は西暦の整数です");
		return MMR_EINVAL;
	}
	json_t *units = json_object_get(in, "units");
	if (units && !json_is_array(units)) {
		mmr_field_error(err, MMR_EINVAL, "units", "units は組織 id の配列です");
		return MMR_EINVAL;
	}
	int64_t cl, ver;
	if ((rc = checklist_id(st, who->tenant, 0, &cl, &ver, err)))
		return rc;
	json_t *ulist = NULL;
	if (units && json_array_size(units)) {
		ulist = json_array();
		size_t i;
		json_t *u;
		json_array_foreach (units, i, u) {
			static const char qu[] =
				"SELECT count(*) FROM units WHERE tenant = $1 AND id = $2";
			int64_t n = 0;
			bool found;
			if (json_is_integer(u) &&
			    (rc = mmr_iq_int(
				     st->db, qu,
				     IPARAMS(IP_S(who->tenant), IP_I(json_integer_value(u))), &n,
				     &found, err))) {
				json_decref(ulist);
				return rc;
			}
			if (!n) {
				char f[32];
				snprintf(f, sizeof f, "units.%zu", i);
				mmr_field_error(err, MMR_EINVAL, f, "組織 %s はありません",
						json_is_integer(u) ? "（id）" : "（整数でない）");
				json_decref(ulist);
				return MMR_EINVAL;
			}
			json_array_append_new(ulist, json_pack("{s:O}", "id", u));
		}
	} else {
		static const char qs[] = "SELECT id FROM units WHERE tenant = $1 AND (kind = "
					 "'section' OR NOT EXISTS (SELECT 1 FROM units WHERE "
					 "tenant = $1 AND kind = 'section')) ORDER BY id";
		if ((rc = mmr_iq_rows(st->db, qs, IPARAMS(IP_S(who->tenant)), "id:i", &ulist, err)))
			return rc;
	}
	if (!json_array_size(ulist)) {
		json_decref(ulist);
		mmr_field_error(err, MMR_EINVAL, "units", "点検する組織がありません");
		return MMR_EINVAL;
	}
	if ((rc = mmr_db_begin(st->db, err))) {
		json_decref(ulist);
		return rc;
	}
	char now[32];
	mmr_now_iso(now);
	static const char ins[] = "INSERT INTO inspection_rounds (tenant, name, fiscal_year, "
				  "checklist_id, deadline, created_at) VALUES ($1, $2, $3, $4, "
				  "$5, $6) RETURNING id";
	int64_t id = 0;
	bool found;
	rc = mmr_iq_int(st->db, ins,
			IPARAMS(IP_S(who->tenant), IP_S(name), IP_I(json_integer_value(fy)),
				IP_I(cl), IP_S(deadline), IP_S(now)),
			&id, &found, err);
	static const char assign[] =
		"INSERT INTO inspection_answers (tenant, round_id, item_id, unit_id) SELECT $1, "
		"$2, "
		"id, $3 FROM inspection_items WHERE tenant = $1 AND checklist_id = $4";
	size_t i;
	json_t *u;
	json_array_foreach (ulist, i, u) {
		if (rc)
			break;
		rc = mmr_iq_run(st->db, assign,
				IPARAMS(IP_S(who->tenant), IP_I(id),
					IP_I(json_integer_value(json_object_get(u, "id"))),
					IP_I(cl)),
				err);
	}
	json_decref(ulist);
	/* items also assigned to a system: one more answer for the system's section */
	json_t *sys = json_object_get(in, "systems");
	json_array_foreach (sys, i, u) {
		if (rc)
			break;
		static const char qa[] =
			"INSERT INTO inspection_answers (tenant, round_id, item_id, unit_id, "
			"system_id) SELECT $1, $2, i.id, s.unit_id, s.id FROM inspection_items i, "
			"systems s WHERE i.tenant = $1 AND i.checklist_id = $3 AND i.item_key = $4 "
			"AND s.tenant = $1 AND s.id = $5 AND s.unit_id IS NOT NULL";
		const char *key = json_string_value(json_object_get(u, "item"));
		json_t *sid = json_object_get(u, "system");
		if (!key || !json_is_integer(sid)) {
			char f[32];
			snprintf(f, sizeof f, "systems.%zu", i);
			mmr_field_error(err, MMR_EINVAL, f,
					"{\"item\": 項目キー, \"system\": システム id} で書きます");
			rc = MMR_EINVAL;
			break;
		}
		mmr_stmt *s;
		rc = mmr_iq_prepare(st->db, qa,
				    IPARAMS(IP_S(who->tenant), IP_I(id), IP_I(cl), IP_S(key),
					    IP_I(json_integer_value(sid))),
				    &s, err);
		if (!rc && !(rc = mmr_stmt_run(s, err)) && mmr_stmt_changes(s) != 1) {
			char f[32];
			snprintf(f, sizeof f, "systems.%zu", i);
			mmr_field_error(err, MMR_EINVAL, f,
					"項目 \"%s\" か、所管課のあるシステムが見つかりません",
					key);
			rc = MMR_EINVAL;
		}
	}
	size_t answered = 0;
	if (!rc)
		rc = audit(st, who, "inspection.round.create", "inspection_rounds", id,
			   json_deep_copy(in), err);
	if (!rc)
		rc = mmr_inspect_auto_answer(st, who, id, &answered, err);
	if ((rc = mmr_db_end(st->db, rc, err)))
		return rc;
	return round_head(st, who, id, out, err);
}

int mmr_inspect_round_status(mmr_store *st, const mmr_actor *who, int64_t round, const char *status,
			     mmr_error *err)
{
	int rc = need_admin(who, err);
	if (rc)
		return rc;
	if (!status || (strcmp(status, "open") && strcmp(status, "closed"))) {
		mmr_field_error(err, MMR_EINVAL, "status", "状態は open か closed です");
		return MMR_EINVAL;
	}
	static const char q[] =
		"UPDATE inspection_rounds SET status = $3 WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	if (!(rc = mmr_iq_prepare(st->db, q, IPARAMS(IP_S(who->tenant), IP_I(round), IP_S(status)),
				  &s, err)) &&
	    !(rc = mmr_stmt_run(s, err)) && mmr_stmt_changes(s) != 1) {
		mmr_error_set(err, MMR_ENOTFOUND, "点検 %" PRId64 " はありません", round);
		rc = MMR_ENOTFOUND;
	}
	if (!rc)
		rc = audit(st, who, "inspection.round.status", "inspection_rounds", round,
			   json_pack("{s:s}", "status", status), err);
	return mmr_db_end(st->db, rc, err);
}

int mmr_inspect_round_get(mmr_store *st, const mmr_actor *who, int64_t round, json_t **out,
			  mmr_error *err)
{
	json_t *h, *roll;
	int rc = round_head(st, who, round, &h, err);
	if (rc)
		return rc;
	if ((rc = mmr_inspect_rollup(st, who, round, &roll, err))) {
		json_decref(h);
		return rc;
	}
	json_object_set_new(h, "rollup", roll);
	*out = h;
	return MMR_OK;
}

/* ---- answers ---------------------------------------------------------------------------- */

int mmr_inspect_answers(mmr_store *st, const mmr_actor *who, int64_t round, int64_t unit,
			json_t **out, mmr_error *err)
{
	static const char q[] =
		"SELECT a.id, i.item_key, i.chapter, i.clause, i.question, i.clause_text, i.how, "
		"i.fact, a.unit_id, u.name, a.system_id, s.name, a.answer, a.note, a.evidence, "
		"a.auto, a.answered_at FROM inspection_answers a JOIN inspection_items i ON "
		"i.tenant = a.tenant AND i.id = a.item_id JOIN units u ON u.tenant = a.tenant AND "
		"u.id = a.unit_id LEFT JOIN systems s ON s.tenant = a.tenant AND s.id = "
		"a.system_id "
		"WHERE a.tenant = $1 AND a.round_id = $2 AND (CAST($3 AS BIGINT) = 0 OR a.unit_id "
		"= CAST($3 AS BIGINT)) ORDER BY u.name, a.unit_id, i.position, a.id";
	/* least privilege: the whole body's answers for administrators, auditors and
	 * body-wide roles; anyone else sees the section they may answer for (their
	 * own when none is named) */
	int rc;
	if (!mmr_actor_sees_all(who)) {
		if (!unit) {
			static const char qu[] =
				"SELECT unit_id FROM users WHERE tenant = $1 AND id = $2";
			bool found = false;
			if ((rc = mmr_iq_int(st->db, qu,
					     IPARAMS(IP_S(who->tenant), IP_I(who->user_id)), &unit,
					     &found, err)))
				return rc;
		}
		bool ok = false;
		if (unit && (rc = may_answer(st, who, unit, &ok, err)))
			return rc;
		if (!ok) {
			mmr_error_set(
				err, MMR_EDENIED,
				"この課の回答は、その課の職員・管理者と監査人だけが見られます");
			return MMR_EDENIED;
		}
	}
	json_t *a;
	rc = mmr_iq_rows(st->db, q, IPARAMS(IP_S(who->tenant), IP_I(round), IP_I(unit)),
			 "id:i,key:s,chapter:s,clause:s,question:s,clause_text:s,how:s,fact:s,"
			 "unit_id:i,unit:s,system_id:i,system:s,answer:s,note:s,evidence:j,"
			 "auto:b,answered_at:s",
			 &a, err);
	if (rc)
		return rc;
	*out = json_pack("{s:o}", "items", a);
	return MMR_OK;
}

static const char *const answer_values[] = {"yes", "partial", "no", "na"};
static const char *const evidence_kinds[] = {"file",  "url",	"application", "incident", "log",
					     "asset", "system", "fact",	       "zones"};

static int check_evidence(json_t *ev, mmr_error *err)
{
	if (!ev || json_is_null(ev))
		return MMR_OK;
	if (!json_is_array(ev) || json_array_size(ev) > 20) {
		mmr_field_error(err, MMR_EINVAL, "evidence", "証跡は 20 件までの配列です");
		return MMR_EINVAL;
	}
	size_t i;
	json_t *e;
	json_array_foreach (ev, i, e) {
		char f[48];
		const char *kind = json_string_value(json_object_get(e, "kind"));
		const char *ref = json_string_value(json_object_get(e, "ref"));
		bool ok = false;
		for (size_t k = 0; kind && k < sizeof evidence_kinds / sizeof *evidence_kinds; k++)
			ok |= !strcmp(kind, evidence_kinds[k]);
		snprintf(f, sizeof f, "evidence.%zu.kind", i);
		if (!ok) {
			mmr_field_error(err, MMR_EINVAL, f,
					"証跡の種類は file, url, application, incident, log, "
					"asset, system, zones のどれかです");
			return MMR_EINVAL;
		}
		snprintf(f, sizeof f, "evidence.%zu.ref", i);
		if (!ref || !*ref || strlen(ref) > 500 || utf8_chars(ref) == SIZE_MAX) {
			mmr_field_error(err, MMR_EINVAL, f,
					"証跡の参照（ref）は 500 バイトまでです");
			return MMR_EINVAL;
		}
		bool numeric = !strcmp(kind, "application") || !strcmp(kind, "incident") ||
			       !strcmp(kind, "asset") || !strcmp(kind, "system") ||
			       !strcmp(kind, "zones");
		if (numeric && strspn(ref, "0123456789") != strlen(ref)) {
			mmr_field_error(err, MMR_EINVAL, f, "%s の参照は記録の番号です: \"%s\"",
					kind, ref);
			return MMR_EINVAL;
		}
		if (!strcmp(kind, "url") && strncmp(ref, "https://", 8) &&
		    strncmp(ref, "http://", 7) && ref[0] != '/') {
			mmr_field_error(err, MMR_EINVAL, f, "URL は http(s):// か / で始まります");
			return MMR_EINVAL;
		}
		json_t *t = json_object_get(e, "title");
		if (t && (!json_is_string(t) || json_string_length(t) > 500)) {
			snprintf(f, sizeof f, "evidence.%zu.title", i);
			mmr_field_error(err, MMR_EINVAL, f,
					"証跡の題名は 500 バイトまでの文字列です");
			return MMR_EINVAL;
		}
	}
	return MMR_OK;
}

int mmr_inspect_answer(mmr_store *st, const mmr_actor *who, int64_t answer_id, json_t *in,
		       json_t **out, mmr_error *err)
{
	static const char q[] =
		"SELECT a.unit_id, r.status, a.round_id FROM inspection_answers a JOIN "
		"inspection_rounds r ON r.tenant = a.tenant AND r.id = a.round_id WHERE a.tenant = "
		"$1 AND a.id = $2";
	mmr_stmt *s;
	int rc = mmr_iq_prepare(st->db, q, IPARAMS(IP_S(who->tenant), IP_I(answer_id)), &s, err);
	if (rc)
		return rc;
	rc = mmr_stmt_step(s, err);
	int64_t unit = 0, round = 0;
	bool closed = false;
	if (rc == MMR_DB_ROW) {
		unit = mmr_col_int(s, 0);
		closed = !strcmp(mmr_col_text(s, 1), "closed");
		round = mmr_col_int(s, 2);
	}
	mmr_stmt_reset(s);
	if (rc == MMR_DB_DONE) {
		mmr_error_set(err, MMR_ENOTFOUND, "回答 %" PRId64 " はありません", answer_id);
		return MMR_ENOTFOUND;
	}
	if (rc != MMR_DB_ROW)
		return rc;
	bool ok;
	if ((rc = may_answer(st, who, unit, &ok, err)))
		return rc;
	if (!ok)
		return denied(err, "この組織の点検への回答");
	if (closed) {
		mmr_error_set(err, MMR_ECONFLICT, "この点検は締め切られています (round closed)");
		return MMR_ECONFLICT;
	}
	if (!json_is_object(in)) {
		mmr_error_set(err, MMR_EINVAL, "回答は JSON オブジェクトで書きます");
		return MMR_EINVAL;
	}
	const char *answer, *note;
	if ((rc = text_field(in, "answer", "回答", true, 16, &answer, err)) ||
	    (rc = text_field(in, "note", "備考", false, 4000, &note, err)))
		return rc;
	bool valid = false;
	for (size_t k = 0; k < 4; k++)
		valid |= !strcmp(answer, answer_values[k]);
	if (!valid) {
		mmr_field_error(err, MMR_EINVAL, "answer",
				"回答は yes（実施している）, partial（一部）, no（していない）, "
				"na（該当なし）のどれかです: \"%s\"",
				answer);
		return MMR_EINVAL;
	}
	json_t *ev = json_object_get(in, "evidence");
	if ((rc = check_evidence(ev, err)))
		return rc;
	char *evs = ev && json_array_size(ev) ? json_dumps(ev, JSON_COMPACT) : NULL;
	char now[32];
	mmr_now_iso(now);
	static const char u[] =
		"UPDATE inspection_answers SET answer = $3, note = $4, evidence = $5, auto = 0, "
		"answered_by = $6, answered_at = $7 WHERE tenant = $1 AND id = $2";
	if ((rc = mmr_db_begin(st->db, err))) {
		free(evs);
		return rc;
	}
	rc = mmr_iq_run(st->db, u,
			IPARAMS(IP_S(who->tenant), IP_I(answer_id), IP_S(answer), IP_S(note),
				IP_S(evs), who->user_id ? IP_I(who->user_id) : IP_NULL, IP_S(now)),
			err);
	if (!rc)
		rc = audit(st, who, "inspection.answer", "inspection_answers", answer_id,
			   json_pack("{s:s, s:s?, s:s?}", "answer", answer, "note", note,
				     "evidence", evs),
			   err);
	free(evs);
	if ((rc = mmr_db_end(st->db, rc, err)))
		return rc;
	json_t *all;
	if ((rc = mmr_inspect_answers(st, who, round, unit, &all, err)))
		return rc;
	size_t i;
	json_t *a;
	json_array_foreach (json_object_get(all, "items"), i, a)
		if (json_integer_value(json_object_get(a, "id")) == answer_id)
			*out = json_incref(a);
	json_decref(all);
	return MMR_OK;
}

/* ---- facts answer their items ---------------------------------------------------------------- */

int mmr_inspect_auto_answer(mmr_store *st, const mmr_actor *who, int64_t round, size_t *answered,
			    mmr_error *err)
{
	*answered = 0;
	static const char q[] =
		"SELECT a.id, a.unit_id, i.fact FROM inspection_answers a JOIN inspection_items i "
		"ON i.tenant = a.tenant AND i.id = a.item_id WHERE a.tenant = $1 AND a.round_id = "
		"$2 AND i.fact IS NOT NULL AND (a.answer IS NULL OR a.auto = 1) ORDER BY a.id";
	json_t *rows;
	int rc = mmr_iq_rows(st->db, q, IPARAMS(IP_S(who->tenant), IP_I(round)),
			     "id:i,unit_id:i,fact:s", &rows, err);
	if (rc)
		return rc;
	if ((rc = mmr_db_begin(st->db, err))) {
		json_decref(rows);
		return rc;
	}
	char now[32];
	mmr_now_iso(now);
	size_t i;
	json_t *row;
	json_array_foreach (rows, i, row) {
		const struct mmr_fact *f =
			mmr_fact_find(json_string_value(json_object_get(row, "fact")));
		if (!f)
			continue;
		struct mmr_fact_result res = {0};
		rc = f->eval(st, who->tenant, json_integer_value(json_object_get(row, "unit_id")),
			     &res, err);
		if (rc) {
			json_decref(res.evidence);
			break;
		}
		if (!res.available) {
			json_decref(res.evidence);
			continue;
		}
		char note[256];
		snprintf(note, sizeof note, "自動確認: %s %" PRId64 " 件", f->label, res.count);
		json_t *ev = res.evidence ? res.evidence : json_array();
		json_array_insert_new(
			ev, 0,
			json_pack("{s:s, s:s, s:s}", "kind", "fact", "ref", f->id, "title", note));
		char *evs = json_dumps(ev, JSON_COMPACT);
		json_decref(ev);
		static const char u[] =
			"UPDATE inspection_answers SET answer = $3, note = $4, evidence = $5, auto "
			"= 1, answered_by = NULL, answered_at = $6 WHERE tenant = $1 AND id = $2";
		rc = mmr_iq_run(st->db, u,
				IPARAMS(IP_S(who->tenant),
					IP_I(json_integer_value(json_object_get(row, "id"))),
					IP_S(res.count ? "no" : "yes"), IP_S(note), IP_S(evs),
					IP_S(now)),
				err);
		free(evs);
		if (rc)
			break;
		(*answered)++;
	}
	json_decref(rows);
	if (!rc && *answered)
		rc = audit(st, who, "inspection.auto_answer", "inspection_rounds", round,
			   json_pack("{s:I}", "answered", (json_int_t)*answered), err);
	return mmr_db_end(st->db, rc, err);
}

/* ---- roll-up ---------------------------------------------------------------------------- */

struct tally {
	int64_t yes, partial, no, na, open;
};

static void tally_add(struct tally *t, const char *answer, int64_t n)
{
	if (!answer)
		t->open += n;
	else if (!strcmp(answer, "yes"))
		t->yes += n;
	else if (!strcmp(answer, "partial"))
		t->partial += n;
	else if (!strcmp(answer, "no"))
		t->no += n;
	else
		t->na += n;
}

static json_t *tally_json(const struct tally *t)
{
	int64_t r = mmr_inspect_rate(t->yes, t->partial, t->no);
	char pct[32];
	if (r >= 0)
		snprintf(pct, sizeof pct, "%" PRId64 ".%" PRId64 "%%", r / 10, r % 10);
	else
		snprintf(pct, sizeof pct, "%s", "—");
	json_t *o =
		json_pack("{s:I, s:I, s:I, s:I, s:I, s:I, s:s}", "yes", (json_int_t)t->yes,
			  "partial", (json_int_t)t->partial, "no", (json_int_t)t->no, "na",
			  (json_int_t)t->na, "open", (json_int_t)t->open, "total",
			  (json_int_t)(t->yes + t->partial + t->no + t->na + t->open), "rate", pct);
	json_object_set_new(o, "rate_permille", r >= 0 ? json_integer(r) : json_null());
	return o;
}

struct unit_row {
	int64_t id, parent, dept;
	char name[256];
	bool department;
	struct tally t, dt;
	bool used, dused;
};

int mmr_inspect_rollup(mmr_store *st, const mmr_actor *who, int64_t round, json_t **out,
		       mmr_error *err)
{
	static const char qc[] = "SELECT i.chapter, MIN(i.position) FROM inspection_items i JOIN "
				 "inspection_rounds r "
				 "ON r.tenant = i.tenant AND r.checklist_id = i.checklist_id WHERE "
				 "i.tenant = $1 AND "
				 "r.id = $2 GROUP BY i.chapter ORDER BY 2";
	json_t *chapters;
	int rc = mmr_iq_rows(st->db, qc, IPARAMS(IP_S(who->tenant), IP_I(round)), "chapter:s,pos:i",
			     &chapters, err);
	if (rc)
		return rc;
	static const char qu[] =
		"SELECT id, parent_id, name, kind FROM units WHERE tenant = $1 ORDER BY id";
	mmr_stmt *s;
	struct unit_row *units = NULL;
	size_t nu = 0, cap = 0;
	if ((rc = mmr_iq_prepare(st->db, qu, IPARAMS(IP_S(who->tenant)), &s, err)))
		goto fail;
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		if (nu == cap) {
			cap = cap ? cap * 2 : 64;
			struct unit_row *nr = realloc(units, cap * sizeof *units);
			if (!nr) {
				mmr_stmt_reset(s);
				rc = MMR_ENOMEM;
				mmr_error_set(err, rc, "メモリが足りません (ENOMEM)");
				goto fail;
			}
			units = nr;
		}
		struct unit_row *u = &units[nu++];
		memset(u, 0, sizeof *u);
		u->id = mmr_col_int(s, 0);
		u->parent = mmr_col_null(s, 1) ? 0 : mmr_col_int(s, 1);
		snprintf(u->name, sizeof u->name, "%s", mmr_col_text(s, 2));
		u->department = !strcmp(mmr_col_text(s, 3), "department");
	}
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE)
		goto fail;
	/* the department of a unit: the nearest department above (or itself), else the top */
	for (size_t i = 0; i < nu; i++) {
		size_t cur = i;
		for (int depth = 0; depth < 16; depth++) {
			if (units[cur].department || !units[cur].parent)
				break;
			size_t p = nu;
			for (size_t k = 0; k < nu; k++)
				if (units[k].id == units[cur].parent)
					p = k;
			if (p == nu)
				break;
			cur = p;
		}
		units[i].dept = (int64_t)cur;
	}
	size_t nch = json_array_size(chapters);
	struct tally *ct = calloc(nch ? nch : 1, sizeof *ct);
	struct tally body = {0};
	if (!ct) {
		rc = MMR_ENOMEM;
		mmr_error_set(err, rc, "メモリが足りません (ENOMEM)");
		goto fail;
	}
	static const char qa[] =
		"SELECT i.chapter, a.unit_id, a.answer, count(*) FROM inspection_answers a JOIN "
		"inspection_items i ON i.tenant = a.tenant AND i.id = a.item_id WHERE a.tenant = "
		"$1 "
		"AND a.round_id = $2 GROUP BY i.chapter, a.unit_id, a.answer";
	if ((rc = mmr_iq_prepare(st->db, qa, IPARAMS(IP_S(who->tenant), IP_I(round)), &s, err))) {
		free(ct);
		goto fail;
	}
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		const char *ch = mmr_col_text(s, 0);
		int64_t uid = mmr_col_int(s, 1);
		const char *ans = mmr_col_null(s, 2) ? NULL : mmr_col_text(s, 2);
		int64_t n = mmr_col_int(s, 3);
		tally_add(&body, ans, n);
		for (size_t c = 0; c < nch; c++)
			if (!strcmp(json_string_value(json_object_get(json_array_get(chapters, c),
								      "chapter")),
				    ch))
				tally_add(&ct[c], ans, n);
		for (size_t k = 0; k < nu; k++)
			if (units[k].id == uid) {
				tally_add(&units[k].t, ans, n);
				units[k].used = true;
				struct unit_row *d = &units[units[k].dept];
				tally_add(&d->dt, ans, n);
				d->dused = true;
				break;
			}
	}
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		free(ct);
		goto fail;
	}
	rc = MMR_OK;
	json_t *cj = json_array(), *sj = json_array(), *dj = json_array();
	for (size_t c = 0; c < nch; c++) {
		json_t *o = tally_json(&ct[c]);
		json_object_set(o, "chapter",
				json_object_get(json_array_get(chapters, c), "chapter"));
		json_array_append_new(cj, o);
	}
	for (size_t k = 0; k < nu; k++) {
		if (units[k].used) {
			json_t *o = tally_json(&units[k].t);
			json_object_set_new(o, "unit_id", json_integer(units[k].id));
			json_object_set_new(o, "unit", json_string(units[k].name));
			json_object_set_new(o, "department",
					    json_string(units[units[k].dept].name));
			json_array_append_new(sj, o);
		}
		if (units[k].dused) {
			json_t *o = tally_json(&units[k].dt);
			json_object_set_new(o, "unit_id", json_integer(units[k].id));
			json_object_set_new(o, "unit", json_string(units[k].name));
			json_array_append_new(dj, o);
		}
	}
	free(ct);
	*out = json_pack("{s:o, s:o, s:o, s:o}", "body", tally_json(&body), "chapters", cj,
			 "sections", sj, "departments", dj);
fail:
	free(units);
	json_decref(chapters);
	return rc;
}

int mmr_inspect_compare(mmr_store *st, const mmr_actor *who, int64_t round, int64_t prev,
			json_t **out, mmr_error *err)
{
	json_t *cur;
	int rc = round_head(st, who, round, &cur, err);
	if (rc)
		return rc;
	if (!prev) {
		static const char q[] =
			"SELECT id FROM inspection_rounds WHERE tenant = $1 AND fiscal_year < $2 "
			"ORDER BY fiscal_year DESC, id DESC LIMIT 1";
		bool found;
		rc = mmr_iq_int(
			st->db, q,
			IPARAMS(IP_S(who->tenant),
				IP_I(json_integer_value(json_object_get(cur, "fiscal_year")))),
			&prev, &found, err);
		if (!rc && !found) {
			json_decref(cur);
			mmr_error_set(err, MMR_ENOTFOUND,
				      "比べる前年度の点検がありません (no earlier round)");
			return MMR_ENOTFOUND;
		}
	}
	json_t *pr = NULL, *ra = NULL, *rb = NULL;
	if (rc || (rc = round_head(st, who, prev, &pr, err)) ||
	    (rc = mmr_inspect_rollup(st, who, round, &ra, err)) ||
	    (rc = mmr_inspect_rollup(st, who, prev, &rb, err))) {
		json_decref(cur);
		json_decref(pr);
		json_decref(ra);
		return rc;
	}
	json_t *chapters = json_array();
	size_t i;
	json_t *c;
	json_array_foreach (json_object_get(ra, "chapters"), i, c) {
		const char *name = json_string_value(json_object_get(c, "chapter"));
		json_t *now_r = json_object_get(c, "rate_permille"), *then_r = json_null();
		size_t j;
		json_t *p;
		json_array_foreach (json_object_get(rb, "chapters"), j, p)
			if (!strcmp(json_string_value(json_object_get(p, "chapter")), name))
				then_r = json_object_get(p, "rate_permille");
		json_t *o = json_pack("{s:s, s:O, s:O}", "chapter", name, "rate_permille", now_r,
				      "previous_permille", then_r);
		if (json_is_integer(now_r) && json_is_integer(then_r))
			json_object_set_new(o, "delta_permille",
					    json_integer(json_integer_value(now_r) -
							 json_integer_value(then_r)));
		json_array_append_new(chapters, o);
	}
	json_t *bn = json_object_get(json_object_get(ra, "body"), "rate_permille");
	json_t *bp = json_object_get(json_object_get(rb, "body"), "rate_permille");
	json_t *body = json_pack("{s:O, s:O}", "rate_permille", bn, "previous_permille", bp);
	if (json_is_integer(bn) && json_is_integer(bp))
		json_object_set_new(body, "delta_permille",
				    json_integer(json_integer_value(bn) - json_integer_value(bp)));
	*out = json_pack("{s:o, s:o, s:o, s:o}", "round", cur, "previous", pr, "body", body,
			 "chapters", chapters);
	json_decref(ra);
	json_decref(rb);
	return MMR_OK;
}

/* ---- improvement actions -------------------------------------------------------------------- */

int mmr_inspect_actions_generate(mmr_store *st, const mmr_actor *who, int64_t round,
				 const char *due, size_t *made, mmr_error *err)
{
	*made = 0;
	int rc = need_admin(who, err);
	if (rc)
		return rc;
	json_t *h;
	if ((rc = round_head(st, who, round, &h, err)))
		return rc;
	char def[11];
	add_months(json_string_value(json_object_get(h, "deadline")), 3, def);
	json_decref(h);
	if (due && !date_valid(due)) {
		mmr_field_error(err, MMR_EINVAL, "due", "期日（due）は YYYY-MM-DD です: \"%s\"",
				due);
		return MMR_EINVAL;
	}
	static const char q[] =
		"SELECT a.id, a.item_id, a.unit_id, a.answer, i.question, a.note, (SELECT "
		"MIN(r.user_id) "
		"FROM user_roles r WHERE r.tenant = a.tenant AND r.scope_kind = 'unit' AND "
		"r.scope_id "
		"= a.unit_id) FROM inspection_answers a JOIN inspection_items i ON i.tenant = "
		"a.tenant AND i.id = a.item_id WHERE a.tenant = $1 AND a.round_id = $2 AND "
		"a.answer "
		"IN ('no', 'partial') AND NOT EXISTS (SELECT 1 FROM inspection_actions x WHERE "
		"x.tenant = a.tenant AND x.answer_id = a.id) ORDER BY a.id";
	json_t *rows;
	if ((rc = mmr_iq_rows(st->db, q, IPARAMS(IP_S(who->tenant), IP_I(round)),
			      "id:i,item_id:i,unit_id:i,answer:s,question:s,note:s,owner:i", &rows,
			      err)))
		return rc;
	if ((rc = mmr_db_begin(st->db, err))) {
		json_decref(rows);
		return rc;
	}
	char now[32];
	mmr_now_iso(now);
	size_t i;
	json_t *r;
	json_array_foreach (rows, i, r) {
		static const char ins[] =
			"INSERT INTO inspection_actions (tenant, round_id, answer_id, item_id, "
			"unit_id, description, owner_id, due, created_at) VALUES ($1, $2, $3, $4, "
			"$5, $6, $7, $8, $9)";
		char desc[2048];
		const char *note = json_string_value(json_object_get(r, "note"));
		snprintf(desc, sizeof desc, "%s%s%s%s",
			 !strcmp(json_string_value(json_object_get(r, "answer")), "no")
				 ? "未実施: "
				 : "一部実施: ",
			 json_string_value(json_object_get(r, "question")), note ? " — " : "",
			 note ? note : "");
		json_t *owner = json_object_get(r, "owner");
		rc = mmr_iq_run(
			st->db, ins,
			IPARAMS(IP_S(who->tenant), IP_I(round),
				IP_I(json_integer_value(json_object_get(r, "id"))),
				IP_I(json_integer_value(json_object_get(r, "item_id"))),
				IP_I(json_integer_value(json_object_get(r, "unit_id"))), IP_S(desc),
				json_is_integer(owner) ? IP_I(json_integer_value(owner)) : IP_NULL,
				IP_S(due ? due : def), IP_S(now)),
			err);
		if (rc)
			break;
		(*made)++;
	}
	json_decref(rows);
	if (!rc && *made)
		rc = audit(st, who, "inspection.actions.generate", "inspection_rounds", round,
			   json_pack("{s:I, s:s}", "created", (json_int_t)*made, "due",
				     due ? due : def),
			   err);
	return mmr_db_end(st->db, rc, err);
}

static const char action_sql[] =
	"SELECT x.id, i.item_key, i.chapter, i.clause, i.question, x.unit_id, u.name, x.owner_id, "
	"o.name, x.description, x.due, x.status, x.closing_note, x.closed_at FROM "
	"inspection_actions x JOIN inspection_items i ON i.tenant = x.tenant AND i.id = x.item_id "
	"LEFT JOIN units u ON u.tenant = x.tenant AND u.id = x.unit_id LEFT JOIN users o ON "
	"o.tenant = x.tenant AND o.id = x.owner_id WHERE x.tenant = $1 AND (x.round_id = $2 OR "
	"x.id = $3) ORDER BY i.position, u.name, x.id";
static const char action_cols[] = "id:i,key:s,chapter:s,clause:s,question:s,unit_id:i,unit:s,"
				  "owner_id:i,owner:s,description:s,due:s,status:s,"
				  "closing_note:s,closed_at:s";

int mmr_inspect_actions(mmr_store *st, const mmr_actor *who, int64_t round, json_t **out,
			mmr_error *err)
{
	json_t *a;
	int rc = mmr_iq_rows(st->db, action_sql, IPARAMS(IP_S(who->tenant), IP_I(round), IP_I(-1)),
			     action_cols, &a, err);
	if (rc)
		return rc;
	*out = json_pack("{s:o}", "items", a);
	return MMR_OK;
}

int mmr_inspect_action_update(mmr_store *st, const mmr_actor *who, int64_t id, json_t *patch,
			      json_t **out, mmr_error *err)
{
	json_t *cur;
	int rc = mmr_iq_rows(st->db, action_sql, IPARAMS(IP_S(who->tenant), IP_I(-1), IP_I(id)),
			     action_cols, &cur, err);
	if (rc)
		return rc;
	json_t *a = json_array_get(cur, 0);
	if (!a) {
		json_decref(cur);
		mmr_error_set(err, MMR_ENOTFOUND, "改善策 %" PRId64 " はありません", id);
		return MMR_ENOTFOUND;
	}
	json_t *owner = json_object_get(a, "owner_id");
	bool mine = json_is_integer(owner) && json_integer_value(owner) == who->user_id;
	json_decref(cur);
	if (!who->admin && !mine)
		return denied(err, "この改善策の更新");
	if (!json_is_object(patch)) {
		mmr_error_set(err, MMR_EINVAL, "改善策の変更は JSON オブジェクトで書きます");
		return MMR_EINVAL;
	}
	const char *desc, *due, *status, *closing;
	if ((rc = text_field(patch, "description", "改善策", false, 2000, &desc, err)) ||
	    (rc = date_field(patch, "due", "期日", false, &due, err)) ||
	    (rc = text_field(patch, "status", "状態", false, 8, &status, err)) ||
	    (rc = text_field(patch, "closing_note", "完了の記録", false, 2000, &closing, err)))
		return rc;
	if (status && strcmp(status, "open") && strcmp(status, "done")) {
		mmr_field_error(err, MMR_EINVAL, "status", "状態は open か done です");
		return MMR_EINVAL;
	}
	json_t *nowner = json_object_get(patch, "owner_id");
	if (nowner && !json_is_integer(nowner)) {
		mmr_field_error(err, MMR_EINVAL, "owner_id",
				"担当者（owner_id）は利用者の id です");
		return MMR_EINVAL;
	}
	if (nowner && !who->admin)
		return denied(err, "担当者の変更");
	if (nowner) {
		static const char qo[] = "SELECT count(*) FROM users WHERE tenant = $1 AND id = $2";
		int64_t n;
		bool found;
		if ((rc = mmr_iq_int(st->db, qo,
				     IPARAMS(IP_S(who->tenant), IP_I(json_integer_value(nowner))),
				     &n, &found, err)))
			return rc;
		if (!n) {
			mmr_field_error(err, MMR_EINVAL, "owner_id",
					"利用者 %" JSON_INTEGER_FORMAT " はいません",
					json_integer_value(nowner));
			return MMR_EINVAL;
		}
	}
	char now[32];
	mmr_now_iso(now);
	static const char u[] =
		"UPDATE inspection_actions SET description = COALESCE($3, description), due = "
		"COALESCE($4, due), status = COALESCE($5, status), closing_note = COALESCE($6, "
		"closing_note), owner_id = COALESCE(CAST($7 AS BIGINT), owner_id), closed_at = "
		"CASE "
		"WHEN $5 = 'done' THEN COALESCE(closed_at, $8) WHEN $5 = 'open' THEN NULL ELSE "
		"closed_at END WHERE tenant = $1 AND id = $2";
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	rc = mmr_iq_run(st->db, u,
			IPARAMS(IP_S(who->tenant), IP_I(id), IP_S(desc), IP_S(due), IP_S(status),
				IP_S(closing), nowner ? IP_I(json_integer_value(nowner)) : IP_NULL,
				IP_S(now)),
			err);
	if (!rc)
		rc = audit(st, who, "inspection.action.update", "inspection_actions", id,
			   json_deep_copy(patch), err);
	if ((rc = mmr_db_end(st->db, rc, err)))
		return rc;
	if ((rc = mmr_iq_rows(st->db, action_sql, IPARAMS(IP_S(who->tenant), IP_I(-1), IP_I(id)),
			      action_cols, &cur, err)))
		return rc;
	*out = json_incref(json_array_get(cur, 0));
	json_decref(cur);
	return MMR_OK;
}

/* ---- findings
 * ------------------------------------------------------------------------------------ */

static const char finding_sql[] =
	"SELECT f.id, i.item_key, i.chapter, i.clause, i.question, f.unit_id, u.name, f.severity, "
	"f.finding, f.follow_up, f.status, f.created_at, f.closed_at, a.name FROM audit_findings f "
	"JOIN inspection_items i ON i.tenant = f.tenant AND i.id = f.item_id LEFT JOIN units u ON "
	"u.tenant = f.tenant AND u.id = f.unit_id LEFT JOIN users a ON a.tenant = f.tenant AND "
	"a.id = f.auditor_id WHERE f.tenant = $1 AND (f.round_id = $2 OR f.id = $3) ORDER BY f.id";
static const char finding_cols[] = "id:i,key:s,chapter:s,clause:s,question:s,unit_id:i,unit:s,"
				   "severity:s,finding:s,follow_up:s,status:s,created_at:s,"
				   "closed_at:s,auditor:s";

static int need_auditor(const mmr_actor *who, mmr_error *err)
{
	return who->auditor || who->admin ? MMR_OK : denied(err, "監査の指摘事項の記録");
}

/* One finding as the API shows it (after a change: read back). */
static int finding_get(mmr_store *st, const char *tenant, int64_t id, json_t **out, mmr_error *err)
{
	json_t *a;
	int rc = mmr_iq_rows(st->db, finding_sql, IPARAMS(IP_S(tenant), IP_I(-1), IP_I(id)),
			     finding_cols, &a, err);
	if (rc)
		return rc;
	*out = json_incref(json_array_get(a, 0));
	json_decref(a);
	return MMR_OK;
}

int mmr_inspect_finding_add(mmr_store *st, const mmr_actor *who, int64_t round, json_t *in,
			    json_t **out, mmr_error *err)
{
	int rc = need_auditor(who, err);
	if (rc)
		return rc;
	json_t *h;
	if ((rc = round_head(st, who, round, &h, err)))
		return rc;
	json_decref(h);
	if (!json_is_object(in)) {
		mmr_error_set(err, MMR_EINVAL, "指摘事項は JSON オブジェクトで書きます");
		return MMR_EINVAL;
	}
	const char *key, *sev, *finding, *follow;
	if ((rc = text_field(in, "item", "点検項目", true, 16, &key, err)) ||
	    (rc = text_field(in, "severity", "重要度", true, 8, &sev, err)) ||
	    (rc = text_field(in, "finding", "指摘事項", true, 4000, &finding, err)) ||
	    (rc = text_field(in, "follow_up", "フォローアップ", false, 4000, &follow, err)))
		return rc;
	if (strcmp(sev, "high") && strcmp(sev, "medium") && strcmp(sev, "low")) {
		mmr_field_error(err, MMR_EINVAL, "severity",
				"重要度は high（高）, medium（中）, low（低）のどれかです");
		return MMR_EINVAL;
	}
	static const char qi[] =
		"SELECT i.id FROM inspection_items i JOIN inspection_rounds r ON r.tenant = "
		"i.tenant "
		"AND r.checklist_id = i.checklist_id WHERE i.tenant = $1 AND r.id = $2 AND "
		"i.item_key = $3";
	int64_t item;
	bool found;
	if ((rc = mmr_iq_int(st->db, qi, IPARAMS(IP_S(who->tenant), IP_I(round), IP_S(key)), &item,
			     &found, err)))
		return rc;
	if (!found) {
		mmr_field_error(err, MMR_EINVAL, "item", "この点検に項目 \"%s\" はありません", key);
		return MMR_EINVAL;
	}
	json_t *unit = json_object_get(in, "unit_id");
	if (unit && !json_is_null(unit)) {
		static const char qu[] = "SELECT count(*) FROM units WHERE tenant = $1 AND id = $2";
		int64_t n = 0;
		if (json_is_integer(unit) &&
		    (rc = mmr_iq_int(st->db, qu,
				     IPARAMS(IP_S(who->tenant), IP_I(json_integer_value(unit))), &n,
				     &found, err)))
			return rc;
		if (!n) {
			mmr_field_error(err, MMR_EINVAL, "unit_id", "組織がありません");
			return MMR_EINVAL;
		}
	}
	char now[32];
	mmr_now_iso(now);
	static const char ins[] =
		"INSERT INTO audit_findings (tenant, round_id, item_id, unit_id, auditor_id, "
		"severity, finding, follow_up, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, "
		"$9) RETURNING id";
	int64_t id = 0;
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	rc = mmr_iq_int(st->db, ins,
			IPARAMS(IP_S(who->tenant), IP_I(round), IP_I(item),
				json_is_integer(unit) ? IP_I(json_integer_value(unit)) : IP_NULL,
				who->user_id ? IP_I(who->user_id) : IP_NULL, IP_S(sev),
				IP_S(finding), IP_S(follow), IP_S(now)),
			&id, &found, err);
	if (!rc)
		rc = audit(st, who, "inspection.finding.create", "audit_findings", id,
			   json_deep_copy(in), err);
	if ((rc = mmr_db_end(st->db, rc, err)))
		return rc;
	return finding_get(st, who->tenant, id, out, err);
}

int mmr_inspect_findings(mmr_store *st, const mmr_actor *who, int64_t round, json_t **out,
			 mmr_error *err)
{
	json_t *a;
	int rc = mmr_iq_rows(st->db, finding_sql, IPARAMS(IP_S(who->tenant), IP_I(round), IP_I(-1)),
			     finding_cols, &a, err);
	if (rc)
		return rc;
	*out = json_pack("{s:o}", "items", a);
	return MMR_OK;
}

int mmr_inspect_finding_update(mmr_store *st, const mmr_actor *who, int64_t id, json_t *patch,
			       json_t **out, mmr_error *err)
{
	int rc = need_auditor(who, err);
	if (rc)
		return rc;
	const char *follow, *status;
	if (!json_is_object(patch)) {
		mmr_error_set(err, MMR_EINVAL, "変更は JSON オブジェクトで書きます");
		return MMR_EINVAL;
	}
	if ((rc = text_field(patch, "follow_up", "フォローアップ", false, 4000, &follow, err)) ||
	    (rc = text_field(patch, "status", "状態", false, 8, &status, err)))
		return rc;
	if (status && strcmp(status, "open") && strcmp(status, "closed")) {
		mmr_field_error(err, MMR_EINVAL, "status", "状態は open か closed です");
		return MMR_EINVAL;
	}
	char now[32];
	mmr_now_iso(now);
	static const char u[] =
		"UPDATE audit_findings SET follow_up = COALESCE($3, follow_up), status = "
		"COALESCE($4, status), closed_at = CASE WHEN $4 = 'closed' THEN "
		"COALESCE(closed_at, "
		"$5) WHEN $4 = 'open' THEN NULL ELSE closed_at END WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	if (!(rc = mmr_iq_prepare(
		      st->db, u,
		      IPARAMS(IP_S(who->tenant), IP_I(id), IP_S(follow), IP_S(status), IP_S(now)),
		      &s, err)) &&
	    !(rc = mmr_stmt_run(s, err)) && mmr_stmt_changes(s) != 1) {
		mmr_error_set(err, MMR_ENOTFOUND, "指摘事項 %" PRId64 " はありません", id);
		rc = MMR_ENOTFOUND;
	}
	if (!rc)
		rc = audit(st, who, "inspection.finding.update", "audit_findings", id,
			   json_deep_copy(patch), err);
	if ((rc = mmr_db_end(st->db, rc, err)))
		return rc;
	return finding_get(st, who->tenant, id, out, err);
}
