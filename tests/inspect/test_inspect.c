/*
 * test_inspect.c — self-inspection and audit on SQLite and (under
 * tests/pgtmp.sh) PostgreSQL: `test_inspect SRC_ROOT sqlite|postgres`.
 * Checklists from the profile and their versions, roll-up arithmetic
 * (including 該当なし, partial and unanswered), answers from mamori's own
 * records, who may answer, improvement actions, findings, the year-over-year
 * comparison, the reports (the XLSX is opened and its cells read back) and
 * the dashboard's figures.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <zip.h>

#include "store/audit.h"
#include "store/inspect.h"
#include "store/inspect_int.h"
#include "storefx.h"

struct fx {
	mmr_store *st;
	mmr_actor sys;
	int64_t dept, sec_a, sec_b;
	int64_t u_staff, u_mgr, u_aud, u_staff_b;
};

static void must(int rc, const mmr_error *err)
{
	if (rc)
		fail_msg("rc=%d %s", rc, err->message);
}

static int64_t create_id(struct fx *f, const char *kind, const char *json)
{
	mmr_error err;
	json_t *in = json_loads(json, 0, NULL), *out = NULL;
	assert_non_null(in);
	must(mmr_ledger_create(f->st, &f->sys, kind, in, &out, &err), &err);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(out);
	return id;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	mmr_error err;
	must(sfx_open(&f->st, &err), &err);
	must(sfx_tenant(f->st, "toyohashi", "豊橋市", "toyohashi", &err), &err);
	must(sfx_tenant(f->st, "other", "別の団体", "guideline", &err), &err);
	mmr_actor_system(&f->sys, "toyohashi");
	f->dept = create_id(f, "units", "{\"name\":\"総務部\",\"kind\":\"department\"}");
	char j[512];
	snprintf(j, sizeof j,
		 "{\"name\":\"情報企画課\",\"kind\":\"section\",\"parent_id\":%" PRId64 "}",
		 f->dept);
	f->sec_a = create_id(f, "units", j);
	f->sec_b = create_id(f, "units", "{\"name\":\"市民課\",\"kind\":\"section\"}");
	snprintf(j, sizeof j,
		 "{\"login\":\"staff1\",\"name\":\"豊橋 花子\",\"unit_id\":%" PRId64
		 ",\"roles\":[{\"role\":\"staff\",\"scope\":\"body\"}]}",
		 f->sec_a);
	f->u_staff = create_id(f, "users", j);
	snprintf(j, sizeof j,
		 "{\"login\":\"staff2\",\"name\":\"市民 太郎\",\"unit_id\":%" PRId64
		 ",\"roles\":[{\"role\":\"staff\",\"scope\":\"body\"}]}",
		 f->sec_b);
	f->u_staff_b = create_id(f, "users", j);
	snprintf(j, sizeof j,
		 "{\"login\":\"mgr1\",\"name\":\"管理 一郎\",\"unit_id\":%" PRId64
		 ",\"roles\":[{\"role\":\"security_manager\",\"scope\":\"unit\",\"scope_id\":"
		 "%" PRId64 "}]}",
		 f->sec_a, f->sec_a);
	f->u_mgr = create_id(f, "users", j);
	f->u_aud = create_id(f, "users",
			     "{\"login\":\"aud1\",\"name\":\"監査 次郎\",\"roles\":[\"auditor\"]}");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	mmr_store_close(f->st);
	free(f);
	return 0;
}

static void actor(struct fx *f, int64_t uid, mmr_actor *a)
{
	mmr_error err;
	must(mmr_actor_load(f->st, "toyohashi", uid, a, &err), &err);
}

static int64_t gen_checklist(struct fx *f)
{
	mmr_error err;
	json_t *c;
	must(mmr_inspect_checklist_generate(f->st, &f->sys, &c, &err), &err);
	int64_t n = json_integer_value(json_object_get(c, "items"));
	json_decref(c);
	return n;
}

static int64_t open_round(struct fx *f, const char *name, int fy, const char *units_json)
{
	mmr_error err;
	char j[512];
	snprintf(j, sizeof j, "{\"name\":\"%s\",\"fiscal_year\":%d,\"deadline\":\"%d-12-31\"%s%s}",
		 name, fy, fy, units_json ? ",\"units\":" : "", units_json ? units_json : "");
	json_t *in = json_loads(j, 0, NULL), *out;
	assert_non_null(in);
	must(mmr_inspect_round_create(f->st, &f->sys, in, &out, &err), &err);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(in);
	json_decref(out);
	return id;
}

static json_t *answers(struct fx *f, int64_t round, int64_t unit)
{
	mmr_error err;
	json_t *a;
	must(mmr_inspect_answers(f->st, &f->sys, round, unit, &a, &err), &err);
	return a;
}

static int give(struct fx *f, const mmr_actor *who, int64_t id, const char *json, mmr_error *err)
{
	json_t *in = json_loads(json, 0, NULL), *out = NULL;
	assert_non_null(in);
	int rc = mmr_inspect_answer(f->st, who, id, in, &out, err);
	json_decref(in);
	json_decref(out);
	return rc;
}

/* An asset recorded before its profile had the axis it lacks now: the ledger
 * refuses such input, so the test makes one the way history does. */
static void unclassify(struct fx *f, int64_t asset)
{
	static const char q[] = "DELETE FROM asset_classes WHERE tenant = $1 AND asset_id = $2";
	mmr_error err;
	must(mmr_iq_run(mmr_store_db(f->st), q, IPARAMS(IP_S("toyohashi"), IP_I(asset)), &err),
	     &err);
}

/* ---- pure arithmetic and words ---- */

static void chapter_and_rate(void **state)
{
	(void)state;
	static const char *const cases[][2] = {
		{"第3 1(1)", "第3"}, {"第2条(12)", "第2条"}, {"鶴岡市基本方針 第2条(9)", "第2条"},
		{"10(2)", "10"},     {"6-1", "6-1"},	     {"第2章 2(1)", "第2章"},
		{"\"14\"", "14"},    {"", "その他"},	     {"附則", "附則"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char ch[64];
		mmr_inspect_chapter(cases[i][0], ch, sizeof ch);
		if (strcmp(ch, cases[i][1]))
			fail_msg("chapter(%s) = %s, want %s", cases[i][0], ch, cases[i][1]);
	}
	/* yes 1, partial ½, no 0; per mille rounded half up; nothing counted → -1 */
	assert_int_equal(mmr_inspect_rate(2, 1, 1), 625);
	assert_int_equal(mmr_inspect_rate(1, 0, 2), 333);
	assert_int_equal(mmr_inspect_rate(2, 0, 1), 667);
	assert_int_equal(mmr_inspect_rate(0, 1, 0), 500);
	assert_int_equal(mmr_inspect_rate(0, 1, 7), 63); /* 62.5 → 63 */
	assert_int_equal(mmr_inspect_rate(0, 0, 3), 0);
	assert_int_equal(mmr_inspect_rate(0, 0, 0), -1);
}

/* ---- checklists ---- */

static void checklist_versions(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	json_t *c = NULL;
	assert_int_equal(mmr_inspect_checklist_get(f->st, &f->sys, 0, &c, &err), MMR_ENOTFOUND);
	int64_t n = gen_checklist(f);
	assert_true(n > 20);
	must(mmr_inspect_checklist_get(f->st, &f->sys, 0, &c, &err), &err);
	json_t *items = json_object_get(c, "items");
	assert_int_equal((int64_t)json_array_size(items), n);
	/* every item: question, clause, the clause's words, how; chapter from the clause */
	size_t i;
	json_t *it;
	bool has_fact = false, seen_3 = false;
	json_array_foreach (items, i, it) {
		assert_true(strlen(json_string_value(json_object_get(it, "question"))) > 0);
		assert_true(strlen(json_string_value(json_object_get(it, "how"))) > 0);
		const char *clause = json_string_value(json_object_get(it, "clause"));
		if (!strcmp(clause, "第3 1(1)")) {
			assert_string_equal(json_string_value(json_object_get(it, "chapter")),
					    "第3");
			assert_non_null(
				strstr(json_string_value(json_object_get(it, "clause_text")),
				       "マイナンバー利用事務系"));
			seen_3 = true;
		}
		has_fact |= json_is_string(json_object_get(it, "fact"));
	}
	assert_true(seen_3);
	assert_true(has_fact);
	const char *k0 = json_string_value(json_object_get(json_array_get(items, 0), "key"));
	char key[32];
	snprintf(key, sizeof key, "%s", k0);
	json_decref(c);

	/* edit → version 2; version 1 stays as it was */
	json_t *patch = json_pack("{s:s}", "question", "変更した問い"), *r;
	must(mmr_inspect_checklist_change(f->st, &f->sys, "edit", key, patch, &r, &err), &err);
	assert_int_equal(json_integer_value(json_object_get(r, "version")), 2);
	assert_int_equal(json_integer_value(json_object_get(r, "items")), n);
	json_decref(r);
	json_decref(patch);
	must(mmr_inspect_checklist_get(f->st, &f->sys, 2, &c, &err), &err);
	assert_string_equal(json_string_value(json_object_get(
				    json_array_get(json_object_get(c, "items"), 0), "question")),
			    "変更した問い");
	json_decref(c);
	must(mmr_inspect_checklist_get(f->st, &f->sys, 1, &c, &err), &err);
	assert_string_not_equal(
		json_string_value(json_object_get(json_array_get(json_object_get(c, "items"), 0),
						  "question")),
		"変更した問い");
	json_decref(c);
	/* retire → one fewer; add → a U key at the end */
	must(mmr_inspect_checklist_change(f->st, &f->sys, "retire", key, NULL, &r, &err), &err);
	assert_int_equal(json_integer_value(json_object_get(r, "items")), n - 1);
	json_decref(r);
	json_t *add = json_pack("{s:s, s:s, s:s}", "chapter", "独自", "clause", "要綱 1",
				"question", "鍵の管理簿をつけているか。");
	must(mmr_inspect_checklist_change(f->st, &f->sys, "add", NULL, add, &r, &err), &err);
	assert_int_equal(json_integer_value(json_object_get(r, "version")), 4);
	assert_int_equal(json_integer_value(json_object_get(r, "items")), n);
	json_decref(r);
	must(mmr_inspect_checklist_get(f->st, &f->sys, 0, &c, &err), &err);
	json_t *last = json_array_get(json_object_get(c, "items"), (size_t)n - 1);
	assert_string_equal(json_string_value(json_object_get(last, "key")), "U001");
	assert_string_equal(json_string_value(json_object_get(last, "chapter")), "独自");
	json_decref(c);
	must(mmr_inspect_checklist_list(f->st, &f->sys, &c, &err), &err);
	assert_int_equal(json_array_size(c), 4);
	json_decref(c);
	/* bad input and refusals */
	char field[64];
	assert_int_equal(mmr_inspect_checklist_change(f->st, &f->sys, "add", NULL,
						      json_object_get(add, "nothing"), &r, &err),
			 MMR_EINVAL);
	json_object_del(add, "question");
	assert_int_equal(mmr_inspect_checklist_change(f->st, &f->sys, "add", NULL, add, &r, &err),
			 MMR_EINVAL);
	assert_string_equal(mmr_store_error_field(&err, field, sizeof field), "question");
	json_decref(add);
	assert_int_equal(
		mmr_inspect_checklist_change(f->st, &f->sys, "retire", "NOPE", NULL, &r, &err),
		MMR_ENOTFOUND);
	assert_int_equal(mmr_inspect_checklist_change(f->st, &f->sys, "burn", key, NULL, &r, &err),
			 MMR_EINVAL);
	mmr_actor staff;
	actor(f, f->u_staff, &staff);
	assert_int_equal(mmr_inspect_checklist_generate(f->st, &staff, &r, &err), MMR_EDENIED);
	/* another tenant sees none of it */
	mmr_actor other;
	mmr_actor_system(&other, "other");
	assert_int_equal(mmr_inspect_checklist_get(f->st, &other, 0, &c, &err), MMR_ENOTFOUND);
}

/* ---- roll-up ---- */

struct t5 {
	int64_t yes, partial, no, na, open;
};

static void add_answer(struct t5 *t, const char *a)
{
	if (!a)
		t->open++;
	else if (!strcmp(a, "yes"))
		t->yes++;
	else if (!strcmp(a, "partial"))
		t->partial++;
	else if (!strcmp(a, "no"))
		t->no++;
	else
		t->na++;
}

static void tally_is(json_t *o, const struct t5 *t)
{
	assert_int_equal(json_integer_value(json_object_get(o, "yes")), t->yes);
	assert_int_equal(json_integer_value(json_object_get(o, "partial")), t->partial);
	assert_int_equal(json_integer_value(json_object_get(o, "no")), t->no);
	assert_int_equal(json_integer_value(json_object_get(o, "na")), t->na);
	assert_int_equal(json_integer_value(json_object_get(o, "open")), t->open);
	int64_t d = t->yes + t->partial + t->no;
	json_t *r = json_object_get(o, "rate_permille");
	if (!d)
		assert_true(json_is_null(r));
	else
		assert_int_equal(json_integer_value(r),
				 ((2 * t->yes + t->partial) * 1000 + d) / (2 * d));
}

static void rollup_arithmetic(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	gen_checklist(f);
	char units[64];
	snprintf(units, sizeof units, "[%" PRId64 ",%" PRId64 "]", f->sec_a, f->sec_b);
	int64_t round = open_round(f, "令和8年度", 2026, units);
	/* 情報企画課 answers everything 実施している; 市民課 in a pattern of the four
	 * answers, leaving every fifth row as it is (unanswered, or answered by a fact) */
	static const char *const pattern[] = {"yes", "partial", "no", "na"};
	json_t *a = answers(f, round, 0);
	size_t i;
	json_t *row;
	struct t5 body = {0}, sa = {0}, sb = {0};
	json_t *chapters = json_object();
	size_t k = 0;
	json_array_foreach (json_object_get(a, "items"), i, row) {
		int64_t id = json_integer_value(json_object_get(row, "id"));
		int64_t unit = json_integer_value(json_object_get(row, "unit_id"));
		const char *ans;
		bool answer_it = true;
		if (unit == f->sec_a) {
			ans = "yes";
		} else {
			size_t m = k++;
			if (m % 5 == 4) {
				ans = json_string_value(json_object_get(row, "answer"));
				answer_it = false;
			} else {
				ans = pattern[m % 4];
			}
		}
		if (answer_it) {
			char j[128];
			snprintf(j, sizeof j, "{\"answer\":\"%s\",\"note\":\"確認済み\"}", ans);
			must(give(f, &f->sys, id, j, &err), &err);
		}
		add_answer(&body, ans);
		add_answer(unit == f->sec_a ? &sa : &sb, ans);
		const char *ch = json_string_value(json_object_get(row, "chapter"));
		json_t *c = json_object_get(chapters, ch);
		if (!c) {
			c = json_pack("{s:i, s:i, s:i, s:i, s:i}", "yes", 0, "partial", 0, "no", 0,
				      "na", 0, "open", 0);
			json_object_set_new(chapters, ch, c);
		}
		const char *slot = ans ? ans : "open";
		json_object_set_new(c, slot,
				    json_integer(json_integer_value(json_object_get(c, slot)) + 1));
	}
	json_decref(a);
	assert_true(sb.open > 0 || sb.yes > 0); /* the fifth rows exist */
	json_t *r;
	must(mmr_inspect_rollup(f->st, &f->sys, round, &r, &err), &err);
	tally_is(json_object_get(r, "body"), &body);
	json_t *secs = json_object_get(r, "sections"), *deps = json_object_get(r, "departments");
	assert_int_equal(json_array_size(secs), 2);
	json_array_foreach (secs, i, row) {
		int64_t u = json_integer_value(json_object_get(row, "unit_id"));
		tally_is(row, u == f->sec_a ? &sa : &sb);
	}
	/* 情報企画課 rolls up into 総務部; 市民課 has no department above it */
	assert_int_equal(json_array_size(deps), 2);
	json_array_foreach (deps, i, row) {
		int64_t u = json_integer_value(json_object_get(row, "unit_id"));
		assert_true(u == f->dept || u == f->sec_b);
		tally_is(row, u == f->dept ? &sa : &sb);
		if (u == f->dept)
			assert_int_equal(json_integer_value(json_object_get(row, "rate_permille")),
					 1000);
	}
	json_array_foreach (json_object_get(r, "chapters"), i, row) {
		json_t *c = json_object_get(chapters,
					    json_string_value(json_object_get(row, "chapter")));
		assert_non_null(c);
		struct t5 t = {json_integer_value(json_object_get(c, "yes")),
			       json_integer_value(json_object_get(c, "partial")),
			       json_integer_value(json_object_get(c, "no")),
			       json_integer_value(json_object_get(c, "na")),
			       json_integer_value(json_object_get(c, "open"))};
		tally_is(row, &t);
	}
	assert_int_equal(json_array_size(json_object_get(r, "chapters")),
			 json_object_size(chapters));
	json_decref(chapters);
	json_decref(r);
}

/* ---- answers: who, what, bad input ---- */

static void answering(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	gen_checklist(f);
	int64_t round = open_round(f, "R1", 2026, NULL); /* every section */
	json_t *a = answers(f, round, f->sec_a), *b = answers(f, round, f->sec_b);
	int64_t ida = json_integer_value(
		json_object_get(json_array_get(json_object_get(a, "items"), 0), "id"));
	int64_t idb = json_integer_value(
		json_object_get(json_array_get(json_object_get(b, "items"), 0), "id"));
	json_decref(a);
	json_decref(b);
	mmr_actor staff, mgr, staff_b;
	actor(f, f->u_staff, &staff);
	actor(f, f->u_mgr, &mgr);
	actor(f, f->u_staff_b, &staff_b);
	/* staff of a section and its manager answer for it, not for another section */
	must(give(f, &staff, ida,
		  "{\"answer\":\"partial\",\"note\":\"一部の端末のみ\","
		  "\"evidence\":[{\"kind\":\"url\",\"ref\":\"/assets?unit_id=1\","
		  "\"title\":\"台帳\"},{\"kind\":\"application\",\"ref\":\"12\"}]}",
		  &err),
	     &err);
	must(give(f, &mgr, ida, "{\"answer\":\"yes\"}", &err), &err);
	assert_int_equal(give(f, &staff, idb, "{\"answer\":\"yes\"}", &err), MMR_EDENIED);
	must(give(f, &staff_b, idb, "{\"answer\":\"na\"}", &err), &err);
	/* bad input names the field */
	char field[64];
	static const struct {
		const char *json, *field;
	} bad[] = {
		{"{\"answer\":\"maybe\"}", "answer"},
		{"{}", "answer"},
		{"{\"answer\":\"yes\",\"evidence\":[{\"kind\":\"photo\",\"ref\":\"x\"}]}",
		 "evidence.0.kind"},
		{"{\"answer\":\"yes\",\"evidence\":[{\"kind\":\"incident\",\"ref\":\"12a\"}]}",
		 "evidence.0.ref"},
		{"{\"answer\":\"yes\",\"evidence\":[{\"kind\":\"url\",\"ref\":\"javascript:x\"}]}",
		 "evidence.0.ref"},
		{"{\"answer\":\"yes\",\"evidence\":{}}", "evidence"},
		{"{\"answer\":\"yes\",\"note\":7}", "note"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		assert_int_equal(give(f, &f->sys, ida, bad[i].json, &err), MMR_EINVAL);
		const char *got = mmr_store_error_field(&err, field, sizeof field);
		if (!got || strcmp(got, bad[i].field))
			fail_msg("%s: field %s, want %s", bad[i].json, got ? got : "(none)",
				 bad[i].field);
	}
	assert_int_equal(give(f, &f->sys, 999999, "{\"answer\":\"yes\"}", &err), MMR_ENOTFOUND);
	/* a closed round takes no answers */
	must(mmr_inspect_round_status(f->st, &f->sys, round, "closed", &err), &err);
	assert_int_equal(give(f, &mgr, ida, "{\"answer\":\"no\"}", &err), MMR_ECONFLICT);
	assert_int_equal(mmr_inspect_round_status(f->st, &mgr, round, "open", &err), MMR_EDENIED);
	/* round input */
	json_t *in = json_pack("{s:s, s:i, s:s}", "name", "R2", "fiscal_year", 2026, "deadline",
			       "2026-02-30"),
	       *out = NULL;
	assert_int_equal(mmr_inspect_round_create(f->st, &f->sys, in, &out, &err), MMR_EINVAL);
	assert_string_equal(mmr_store_error_field(&err, field, sizeof field), "deadline");
	json_object_set_new(in, "deadline", json_string("2026-03-31"));
	json_object_set_new(in, "units", json_pack("[i]", 987654));
	assert_int_equal(mmr_inspect_round_create(f->st, &f->sys, in, &out, &err), MMR_EINVAL);
	assert_string_equal(mmr_store_error_field(&err, field, sizeof field), "units.0");
	json_object_del(in, "units");
	json_object_set_new(in, "name", json_string("R1"));
	assert_int_equal(mmr_inspect_round_create(f->st, &f->sys, in, &out, &err), MMR_ECONFLICT);
	assert_int_equal(mmr_inspect_round_create(f->st, &staff, in, &out, &err), MMR_EDENIED);
	json_decref(in);
}

/* ---- facts answer items ---- */

static json_t *fact_row(struct fx *f, int64_t round, int64_t unit, const char *fact)
{
	json_t *a = answers(f, round, unit), *hit = NULL;
	size_t i;
	json_t *row;
	json_array_foreach (json_object_get(a, "items"), i, row)
		if (json_is_string(json_object_get(row, "fact")) &&
		    !strcmp(json_string_value(json_object_get(row, "fact")), fact))
			hit = json_incref(row);
	json_decref(a);
	assert_non_null(hit);
	return hit;
}

static void automatic_answers(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	char j[512];
	/* 情報企画課: an asset without classification, a system without a manager,
	 * and a manager of a マイナンバー利用事務系 system without MFA */
	snprintf(j, sizeof j,
		 "{\"name\":\"未分類の文書\",\"kind\":\"information\",\"classification\":{"
		 "\"importance\":\"III\"},\"unit_id\":%" PRId64 "}",
		 f->sec_a);
	int64_t asset = create_id(f, "assets", j);
	unclassify(f, asset);
	snprintf(j, sizeof j,
		 "{\"name\":\"分類済み\",\"kind\":\"information\",\"classification\":{"
		 "\"importance\":\"II\"},\"unit_id\":%" PRId64 "}",
		 f->sec_a);
	create_id(f, "assets", j);
	snprintf(j, sizeof j,
		 "{\"name\":\"庁内掲示板\",\"segment\":\"lgwan\",\"unit_id\":%" PRId64 "}",
		 f->sec_a);
	int64_t sys = create_id(f, "systems", j);
	snprintf(j, sizeof j,
		 "{\"name\":\"住民記録\",\"segment\":\"mynumber\",\"unit_id\":%" PRId64
		 ",\"manager_id\":%" PRId64 "}",
		 f->sec_a, f->u_mgr);
	create_id(f, "systems", j);
	json_t *facts;
	must(mmr_inspect_facts(f->st, &f->sys, f->sec_a, &facts, &err), &err);
	size_t i;
	json_t *fa;
	int seen = 0;
	json_array_foreach (facts, i, fa) {
		const char *id = json_string_value(json_object_get(fa, "fact"));
		int64_t n = json_integer_value(json_object_get(fa, "count"));
		if (!strcmp(id, "assets.unclassified") || !strcmp(id, "systems.no_manager") ||
		    !strcmp(id, "users.mfa_missing")) {
			assert_true(json_is_true(json_object_get(fa, "available")));
			assert_int_equal(n, 1);
			seen++;
		}
	}
	assert_int_equal(seen, 3);
	json_decref(facts);
	must(mmr_inspect_facts(f->st, &f->sys, f->sec_b, &facts, &err), &err);
	json_array_foreach (facts, i, fa)
		assert_int_equal(json_integer_value(json_object_get(fa, "count")), 0);
	json_decref(facts);

	gen_checklist(f);
	int64_t round = open_round(f, "R1", 2026, NULL);
	json_t *row = fact_row(f, round, f->sec_a, "assets.unclassified");
	assert_string_equal(json_string_value(json_object_get(row, "answer")), "no");
	assert_true(json_is_true(json_object_get(row, "auto")));
	/* the evidence links the record */
	json_t *ev = json_object_get(row, "evidence");
	char ref[32];
	snprintf(ref, sizeof ref, "%" PRId64, asset);
	bool linked = false;
	json_array_foreach (ev, i, fa)
		linked |= !strcmp(json_string_value(json_object_get(fa, "kind")), "asset") &&
			  !strcmp(json_string_value(json_object_get(fa, "ref")), ref);
	assert_true(linked);
	json_decref(row);
	row = fact_row(f, round, f->sec_b, "assets.unclassified");
	assert_string_equal(json_string_value(json_object_get(row, "answer")), "yes");
	json_decref(row);
	row = fact_row(f, round, f->sec_a, "systems.no_manager");
	assert_string_equal(json_string_value(json_object_get(row, "answer")), "no");
	json_decref(row);
	row = fact_row(f, round, f->sec_a, "users.mfa_missing");
	assert_string_equal(json_string_value(json_object_get(row, "answer")), "no");
	int64_t mfa_answer = json_integer_value(json_object_get(row, "id"));
	json_decref(row);
	/* a person's answer stands; the facts change, answering again follows them */
	must(give(f, &f->sys, mfa_answer, "{\"answer\":\"partial\",\"note\":\"登録中\"}", &err),
	     &err);
	json_t *patch = json_pack("{s:I}", "manager_id", (json_int_t)f->u_mgr), *out;
	mmr_actor sysa;
	mmr_actor_system(&sysa, "toyohashi");
	must(mmr_ledger_update(f->st, &sysa, "systems", sys, patch, &out, &err), &err);
	json_decref(patch);
	json_decref(out);
	size_t n = 0;
	must(mmr_inspect_auto_answer(f->st, &f->sys, round, &n, &err), &err);
	assert_true(n > 0);
	row = fact_row(f, round, f->sec_a, "systems.no_manager");
	assert_string_equal(json_string_value(json_object_get(row, "answer")), "yes");
	json_decref(row);
	row = fact_row(f, round, f->sec_a, "users.mfa_missing");
	assert_string_equal(json_string_value(json_object_get(row, "answer")), "partial");
	assert_false(json_is_true(json_object_get(row, "auto")));
	json_decref(row);
}

/* A take-out carried out on `due` and an exception granted until `ends`, as
 * the applications module (work.c) stores them. */
static void takeout_and_exception(struct fx *f, int64_t unit, const char *due, const char *ends)
{
	mmr_error err;
	mmr_db *db = mmr_store_db(f->st);
	static const char qa[] =
		"INSERT INTO applications (tenant, type, action, applicant_id, unit_id, title, "
		"detail, "
		"request, decision, route, obligations, state, due_on, created_at, updated_at) "
		"VALUES "
		"('toyohashi', 'takeout', 'device.takeout', $1, $2, $3, '{}', '{}', '{}', '[]', "
		"'[]', 'active', $4, '2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z') "
		"RETURNING id";
	int64_t app;
	bool found;
	must(mmr_iq_int(db, qa,
			IPARAMS(IP_I(f->u_staff), IP_I(unit), IP_S("ノートPC持ち出し"), IP_S(due)),
			&app, &found, &err),
	     &err);
	static const char qe[] = "INSERT INTO exceptions (tenant, application_id, holder_id, "
				 "unit_id, action, scope, "
				 "reason, starts_on, ends_on, approver_roles, state, created_at) "
				 "VALUES ('toyohashi', "
				 "$1, $2, $3, 'policy.exception', '私物端末の利用', '災害対応', "
				 "'2020-01-01', $4, '[]', "
				 "'granted', '2026-01-01T00:00:00.000Z')";
	must(mmr_iq_run(db, qe, IPARAMS(IP_I(app), IP_I(f->u_staff), IP_I(unit), IP_S(ends)), &err),
	     &err);
}

static int64_t fact_count(struct fx *f, int64_t unit, const char *fact)
{
	mmr_error err;
	json_t *facts;
	must(mmr_inspect_facts(f->st, &f->sys, unit, &facts, &err), &err);
	size_t i;
	json_t *fa;
	int64_t n = -1;
	json_array_foreach (facts, i, fa)
		if (!strcmp(json_string_value(json_object_get(fa, "fact")), fact)) {
			assert_true(json_is_true(json_object_get(fa, "available")));
			n = json_integer_value(json_object_get(fa, "count"));
		}
	json_decref(facts);
	return n;
}

static void takeouts_and_exceptions(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	takeout_and_exception(f, f->sec_a, "2020-04-01", "2020-12-31"); /* both long past */
	takeout_and_exception(f, f->sec_b, "2999-04-01", "2999-12-31"); /* both in the future */
	assert_int_equal(fact_count(f, 0, "takeouts.overdue"), 1);
	assert_int_equal(fact_count(f, f->sec_a, "takeouts.overdue"), 1);
	assert_int_equal(fact_count(f, f->sec_b, "takeouts.overdue"), 0);
	assert_int_equal(fact_count(f, f->sec_a, "exceptions.expired"), 1);
	assert_int_equal(fact_count(f, f->sec_b, "exceptions.expired"), 0);
	gen_checklist(f);
	int64_t round = open_round(f, "R1", 2026, NULL);
	json_t *row = fact_row(f, round, f->sec_a, "takeouts.overdue");
	assert_string_equal(json_string_value(json_object_get(row, "answer")), "no");
	json_decref(row);
	row = fact_row(f, round, f->sec_b, "exceptions.expired");
	assert_string_equal(json_string_value(json_object_get(row, "answer")), "yes");
	json_decref(row);
	/* incidents: one closed without the prevention step, one with it, both this month */
	char now[32], month[8];
	mmr_now_iso(now);
	snprintf(month, sizeof month, "%.7s", now);
	static const char qi[] = "INSERT INTO incidents (tenant, title, description, occurred_at, "
				 "aware_at, reporter_id, "
				 "state, severity, created_at, updated_at) VALUES ('toyohashi', "
				 "$1, 'x', $2, $2, $3, "
				 "'closed', $4, $2, $2) RETURNING id";
	static const char qev[] = "INSERT INTO incident_events (tenant, incident_id, at, "
				  "actor_login, action, to_state) "
				  "VALUES ('toyohashi', $1, $2, 'csirt', 'state', 'prevention')";
	int64_t inc1, inc2;
	bool found;
	mmr_db *db = mmr_store_db(f->st);
	must(mmr_iq_int(db, qi, IPARAMS(IP_S("USB紛失"), IP_S(now), IP_I(f->u_staff), IP_S("high")),
			&inc1, &found, &err),
	     &err);
	must(mmr_iq_int(db, qi,
			IPARAMS(IP_S("誤送信"), IP_S(now), IP_I(f->u_staff), IP_S("medium")), &inc2,
			&found, &err),
	     &err);
	must(mmr_iq_run(db, qev, IPARAMS(IP_I(inc2), IP_S(now)), &err), &err);
	assert_int_equal(fact_count(f, f->sec_a, "incidents.no_prevention"), 1);
	assert_int_equal(fact_count(f, f->sec_b, "incidents.no_prevention"), 0);
	json_t *d;
	must(mmr_dashboard(f->st, &f->sys, &d, &err), &err);
	json_t *inc = json_object_get(d, "incidents");
	assert_true(json_is_true(json_object_get(inc, "available")));
	json_t *last = json_array_get(json_object_get(inc, "months"), 11);
	assert_string_equal(json_string_value(json_object_get(last, "month")), month);
	json_t *bars = json_object_get(last, "bars");
	assert_int_equal(json_integer_value(json_object_get(json_array_get(bars, 1), "count")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(bars, 2), "count")), 1);
	assert_int_equal(json_integer_value(json_object_get(json_array_get(bars, 0), "count")), 0);
	json_t *w = json_object_get(d, "applications");
	assert_int_equal(json_integer_value(json_object_get(w, "expired")), 1);
	assert_int_equal(json_integer_value(json_object_get(w, "waiting")), 0);
	json_decref(d);
}

/* ---- improvement actions, findings, comparison ---- */

static void actions_findings_compare(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	gen_checklist(f);
	char units[32];
	snprintf(units, sizeof units, "[%" PRId64 "]", f->sec_a);
	int64_t prev = open_round(f, "令和7年度", 2025, units);
	int64_t round = open_round(f, "令和8年度", 2026, units);
	json_t *a = answers(f, round, f->sec_a), *p = answers(f, prev, f->sec_a);
	size_t i, nbad = 0;
	json_t *row;
	json_array_foreach (json_object_get(a, "items"), i, row) {
		const char *ans = i % 3 == 0 ? "no" : i % 3 == 1 ? "partial" : "yes";
		char j[64];
		snprintf(j, sizeof j, "{\"answer\":\"%s\"}", ans);
		must(give(f, &f->sys, json_integer_value(json_object_get(row, "id")), j, &err),
		     &err);
		nbad += i % 3 != 2;
	}
	json_array_foreach (json_object_get(p, "items"), i, row)
		must(give(f, &f->sys, json_integer_value(json_object_get(row, "id")),
			  "{\"answer\":\"no\"}", &err),
		     &err);
	json_decref(p);
	size_t made = 0;
	must(mmr_inspect_actions_generate(f->st, &f->sys, round, NULL, &made, &err), &err);
	assert_int_equal(made, nbad);
	/* again: nothing new */
	must(mmr_inspect_actions_generate(f->st, &f->sys, round, NULL, &made, &err), &err);
	assert_int_equal(made, 0);
	json_t *acts;
	must(mmr_inspect_actions(f->st, &f->sys, round, &acts, &err), &err);
	json_t *first = json_array_get(json_object_get(acts, "items"), 0);
	/* owner: the section's manager; due: three months after the deadline */
	assert_int_equal(json_integer_value(json_object_get(first, "owner_id")), f->u_mgr);
	assert_string_equal(json_string_value(json_object_get(first, "due")), "2027-03-31");
	assert_string_equal(json_string_value(json_object_get(first, "status")), "open");
	int64_t act = json_integer_value(json_object_get(first, "id"));
	json_decref(acts);
	mmr_actor mgr, staff, aud;
	actor(f, f->u_mgr, &mgr);
	actor(f, f->u_staff, &staff);
	actor(f, f->u_aud, &aud);
	json_t *patch = json_pack("{s:s, s:s}", "status", "done", "closing_note", "手順書を改訂"),
	       *out = NULL;
	assert_int_equal(mmr_inspect_action_update(f->st, &staff, act, patch, &out, &err),
			 MMR_EDENIED);
	must(mmr_inspect_action_update(f->st, &mgr, act, patch, &out, &err), &err);
	assert_string_equal(json_string_value(json_object_get(out, "status")), "done");
	assert_true(json_is_string(json_object_get(out, "closed_at")));
	json_decref(out);
	json_decref(patch);
	patch = json_pack("{s:s}", "due", "2027-13-01");
	assert_int_equal(mmr_inspect_action_update(f->st, &f->sys, act, patch, &out, &err),
			 MMR_EINVAL);
	json_decref(patch);
	/* findings: auditors record them */
	const char *key = json_string_value(
		json_object_get(json_array_get(json_object_get(a, "items"), 0), "key"));
	json_t *fin = json_pack("{s:s, s:s, s:s}", "item", key, "severity", "high", "finding",
				"持ち出し記録が不備");
	assert_int_equal(mmr_inspect_finding_add(f->st, &staff, round, fin, &out, &err),
			 MMR_EDENIED);
	must(mmr_inspect_finding_add(f->st, &aud, round, fin, &out, &err), &err);
	assert_string_equal(json_string_value(json_object_get(out, "auditor")), "監査 次郎");
	int64_t fid = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	json_object_set_new(fin, "severity", json_string("fatal"));
	assert_int_equal(mmr_inspect_finding_add(f->st, &aud, round, fin, &out, &err), MMR_EINVAL);
	json_object_set_new(fin, "severity", json_string("low"));
	json_object_set_new(fin, "item", json_string("ZZZ"));
	assert_int_equal(mmr_inspect_finding_add(f->st, &aud, round, fin, &out, &err), MMR_EINVAL);
	json_decref(fin);
	patch = json_pack("{s:s, s:s}", "status", "closed", "follow_up", "是正を確認");
	must(mmr_inspect_finding_update(f->st, &aud, fid, patch, &out, &err), &err);
	assert_string_equal(json_string_value(json_object_get(out, "status")), "closed");
	json_decref(out);
	json_decref(patch);
	json_decref(a);
	/* every state change above is in the audit log, with its action */
	int64_t size = 0;
	must(mmr_audit_size(f->st, "toyohashi", &size, &err), &err);
	assert_true(size > (int64_t)nbad);
	static const char qa[] =
		"SELECT count(*) FROM audit_leaves WHERE tenant = $1 AND action = $2";
	static const char *const actions[] = {"inspection.checklist.generate",
					      "inspection.round.create",
					      "inspection.answer",
					      "inspection.actions.generate",
					      "inspection.action.update",
					      "inspection.finding.create",
					      "inspection.finding.update"};
	for (size_t k = 0; k < sizeof actions / sizeof actions[0]; k++) {
		int64_t n = 0;
		bool found;
		must(mmr_iq_int(mmr_store_db(f->st), qa,
				IPARAMS(IP_S("toyohashi"), IP_S(actions[k])), &n, &found, &err),
		     &err);
		if (n < 1)
			fail_msg("no audit record of %s", actions[k]);
	}
	/* year over year */
	json_t *cmp;
	must(mmr_inspect_compare(f->st, &f->sys, round, 0, &cmp, &err), &err);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(cmp, "previous"), "id")), prev);
	json_t *b = json_object_get(cmp, "body");
	assert_int_equal(json_integer_value(json_object_get(b, "previous_permille")), 0);
	assert_true(json_integer_value(json_object_get(b, "rate_permille")) > 0);
	assert_int_equal(json_integer_value(json_object_get(b, "delta_permille")),
			 json_integer_value(json_object_get(b, "rate_permille")));
	json_decref(cmp);
	assert_int_equal(mmr_inspect_compare(f->st, &f->sys, prev, 0, &cmp, &err), MMR_ENOTFOUND);
}

/* ---- reports ---- */

static char *zmember(const char *path, const char *name, size_t *len)
{
	int ze;
	zip_t *z = zip_open(path, ZIP_RDONLY, &ze);
	assert_non_null(z);
	zip_stat_t st;
	if (zip_stat(z, name, 0, &st)) {
		zip_close(z);
		return NULL;
	}
	char *buf = malloc(st.size + 1);
	zip_file_t *zf = zip_fopen(z, name, 0);
	assert_non_null(zf);
	assert_int_equal(zip_fread(zf, buf, st.size), (zip_int64_t)st.size);
	buf[st.size] = '\0';
	zip_fclose(zf);
	zip_close(z);
	if (len)
		*len = st.size;
	return buf;
}

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

/* The text of cell `ref` of sheet member `sheet` (inline string or value). */
static char *xcell(const char *path, const char *sheet, const char *ref)
{
	size_t len;
	char *buf = zmember(path, sheet, &len);
	assert_non_null(buf);
	xmlDoc *doc = xmlReadMemory(buf, (int)len, sheet, NULL, XML_PARSE_NONET | XML_PARSE_HUGE);
	free(buf);
	assert_non_null(doc);
	char *out = NULL;
	xmlNode *sd = child(xmlDocGetRootElement(doc), "sheetData");
	for (xmlNode *row = sd ? sd->children : NULL; row && !out; row = row->next)
		for (xmlNode *c = row->children; c && !out; c = c->next) {
			xmlChar *r = xmlGetProp(c, BAD_CAST "r");
			bool hit = r && !strcmp((char *)r, ref);
			xmlFree(r);
			if (!hit)
				continue;
			xmlNode *t = child(child(c, "is"), "t");
			if (!t)
				t = child(c, "v");
			xmlChar *s = t ? xmlNodeGetContent(t) : NULL;
			out = strdup(s ? (char *)s : "");
			xmlFree(s);
		}
	xmlFreeDoc(doc);
	return out;
}

static void xcell_is(const char *path, const char *sheet, const char *ref, const char *want)
{
	char *got = xcell(path, sheet, ref);
	if (!got || strcmp(got, want))
		fail_msg("%s!%s = \"%s\", want \"%s\"", sheet, ref, got ? got : "(none)", want);
	free(got);
}

static void reports(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	gen_checklist(f);
	char units[64];
	snprintf(units, sizeof units, "[%" PRId64 ",%" PRId64 "]", f->sec_a, f->sec_b);
	int64_t round = open_round(f, "令和8年度 自己点検", 2026, units);
	json_t *a = answers(f, round, 0);
	size_t i, nrows = json_array_size(json_object_get(a, "items"));
	json_t *row;
	int64_t yes = 0, no = 0;
	json_array_foreach (json_object_get(a, "items"), i, row) {
		const char *ans = i % 2 ? "yes" : "no";
		char j[96];
		snprintf(j, sizeof j, "{\"answer\":\"%s\",\"note\":\"=1+1 備考%zu\"}", ans, i);
		must(give(f, &f->sys, json_integer_value(json_object_get(row, "id")), j, &err),
		     &err);
		yes += i % 2;
		no += !(i % 2);
	}
	const char *first_chapter = json_string_value(
		json_object_get(json_array_get(json_object_get(a, "items"), 0), "chapter"));
	char chapter[64];
	snprintf(chapter, sizeof chapter, "%s", first_chapter);
	json_decref(a);
	size_t made;
	must(mmr_inspect_actions_generate(f->st, &f->sys, round, "2027-06-30", &made, &err), &err);
	assert_int_equal((int64_t)made, no);
	json_t *r;
	must(mmr_inspect_rollup(f->st, &f->sys, round, &r, &err), &err);
	size_t nch = json_array_size(json_object_get(r, "chapters"));
	json_decref(r);

	char dir[] = "/tmp/mamori-test-inspect-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char x[600], c[600], h[600];
	snprintf(x, sizeof x, "%s/report.xlsx", dir);
	snprintf(c, sizeof c, "%s/report.csv", dir);
	snprintf(h, sizeof h, "%s/report.html", dir);
	must(mmr_inspect_report(f->st, &f->sys, round, "xlsx", x, NULL, &err), &err);
	/* summary: who, which round, the body's figures and a chart */
	xcell_is(x, "xl/worksheets/sheet1.xml", "B2", "豊橋市");
	xcell_is(x, "xl/worksheets/sheet1.xml", "B3", "令和8年度 自己点検");
	xcell_is(x, "xl/worksheets/sheet1.xml", "B4", "令和8年度");
	char want[32];
	snprintf(want, sizeof want, "%" PRId64, yes);
	xcell_is(x, "xl/worksheets/sheet1.xml", "B9", want);
	snprintf(want, sizeof want, "%" PRId64, no);
	xcell_is(x, "xl/worksheets/sheet1.xml", "D9", want);
	char *rate = xcell(x, "xl/worksheets/sheet1.xml", "G9");
	assert_non_null(rate);
	double want_rate = (double)((2 * yes * 1000 + (yes + no)) / (2 * (yes + no))) / 1000.0;
	assert_true(strtod(rate, NULL) > want_rate - 1e-9 && strtod(rate, NULL) < want_rate + 1e-9);
	free(rate);
	char *chart = zmember(x, "xl/charts/chart1.xml", NULL);
	assert_non_null(chart);
	free(chart);
	/* one sheet per chapter, then 改善策 and 指摘事項 */
	char *wb = zmember(x, "xl/workbook.xml", NULL);
	size_t sheets = 0;
	for (char *p = wb; (p = strstr(p, "<sheet ")); p++)
		sheets++;
	assert_int_equal(sheets, 1 + nch + 2);
	char name01[96];
	snprintf(name01, sizeof name01, "name=\"01 %s\"", chapter);
	assert_non_null(strstr(wb, name01));
	assert_non_null(strstr(wb, "name=\"改善策\""));
	free(wb);
	xcell_is(x, "xl/worksheets/sheet2.xml", "C1", "点検項目");
	xcell_is(x, "xl/worksheets/sheet2.xml", "F2", "していない");
	xcell_is(x, "xl/worksheets/sheet2.xml", "G2", "=1+1 備考0"); /* text, not a formula */
	char actions_sheet[64];
	snprintf(actions_sheet, sizeof actions_sheet, "xl/worksheets/sheet%zu.xml", nch + 2);
	xcell_is(x, actions_sheet, "F1", "改善策");
	xcell_is(x, actions_sheet, "H2", "2027-06-30");
	char last[32];
	snprintf(last, sizeof last, "A%" PRId64, no + 1);
	char *lastv = xcell(x, actions_sheet, last);
	assert_non_null(lastv);
	free(lastv);
	snprintf(last, sizeof last, "A%" PRId64, no + 2);
	assert_null(xcell(x, actions_sheet, last));
	/* an existing file is not overwritten */
	assert_int_equal(mmr_inspect_report(f->st, &f->sys, round, "xlsx", x, NULL, &err),
			 MMR_ECONFLICT);

	must(mmr_inspect_report(f->st, &f->sys, round, "csv", c, NULL, &err), &err);
	FILE *fp = fopen(c, "rb");
	assert_non_null(fp);
	char line[8192];
	size_t lines = 0;
	bool bom = false, neutralised = false;
	while (fgets(line, sizeof line, fp)) {
		if (!lines)
			bom = !memcmp(line, "\xEF\xBB\xBF", 3) && strstr(line, "点検項目");
		neutralised |= strstr(line, "'=1+1 備考") != NULL;
		lines++;
	}
	fclose(fp);
	assert_true(bom);
	assert_true(neutralised);
	assert_int_equal(lines, nrows + 1);

	must(mmr_inspect_report(f->st, &f->sys, round, "html", h, NULL, &err), &err);
	fp = fopen(h, "rb");
	assert_non_null(fp);
	static char html[1 << 22];
	size_t hl = fread(html, 1, sizeof html - 1, fp);
	html[hl] = '\0';
	fclose(fp);
	assert_non_null(strstr(html, "lang=\"ja\""));
	assert_non_null(strstr(html, "size: A4"));
	assert_non_null(strstr(html, "令和8年度 自己点検"));
	assert_non_null(strstr(html, "改善策"));
	assert_int_equal(mmr_inspect_report(f->st, &f->sys, round, "pdf", h, NULL, &err),
			 MMR_EINVAL);
	assert_int_equal(
		mmr_inspect_report(f->st, &f->sys, 424242, "csv", "/tmp/never", NULL, &err),
		MMR_ENOTFOUND);
	unlink(x);
	unlink(c);
	unlink(h);
	rmdir(dir);
}

/* ---- dashboard ---- */

static void dashboard_figures(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	char j[256];
	for (int i = 0; i < 5; i++) {
		snprintf(j, sizeof j,
			 "{\"name\":\"資産%d\",\"kind\":\"information\",\"segment\":\"%s\","
			 "\"classification\":{\"importance\":\"II\"}}",
			 i, i < 3 ? "lgwan" : "internet");
		int64_t id = create_id(f, "assets", j);
		if (i == 4)
			unclassify(f, id);
	}
	create_id(f, "systems", "{\"name\":\"住基\",\"segment\":\"mynumber\"}");
	json_t *d;
	must(mmr_dashboard(f->st, &f->sys, &d, &err), &err);
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(d, "counts"), "assets")), 5);
	assert_true(json_is_false(json_object_get(json_object_get(d, "compliance"), "available")));
	/* the classification mix: II 4, unclassified 1 */
	json_t *axis = json_array_get(json_object_get(d, "classes"), 0);
	size_t i;
	json_t *lv;
	int64_t sum = 0, ii = -1, none = -1;
	json_array_foreach (json_object_get(axis, "levels"), i, lv) {
		int64_t n = json_integer_value(json_object_get(lv, "count"));
		sum += n;
		const char *l = json_string_value(json_object_get(lv, "level"));
		if (l && !strcmp(l, "II"))
			ii = n;
		if (!l)
			none = n;
	}
	assert_int_equal(sum, 5);
	assert_int_equal(ii, 4);
	assert_int_equal(none, 1);
	/* the three layers */
	json_t *layers = json_object_get(json_object_get(d, "segments"), "layers");
	assert_true(json_array_size(layers) >= 3);
	json_array_foreach (layers, i, lv) {
		const char *s = json_string_value(json_object_get(lv, "segment"));
		int64_t na = json_integer_value(json_object_get(lv, "assets"));
		int64_t ns = json_integer_value(json_object_get(lv, "systems"));
		if (!strcmp(s, "lgwan"))
			assert_int_equal(na, 3);
		if (!strcmp(s, "internet"))
			assert_int_equal(na, 2);
		if (!strcmp(s, "mynumber"))
			assert_int_equal(ns, 1);
	}
	json_decref(d);
	/* a member of staff sees the sizes of what they may see, and none of
	 * the body-wide figures; an auditor sees the body */
	snprintf(j, sizeof j,
		 "{\"name\":\"課Aの資産\",\"kind\":\"information\",\"unit_id\":%" PRId64
		 ",\"classification\":{\"importance\":\"III\"}}",
		 f->sec_a);
	create_id(f, "assets", j);
	mmr_actor staff, aud;
	must(mmr_actor_load(f->st, "toyohashi", f->u_staff, &staff, &err), &err);
	must(mmr_actor_load(f->st, "toyohashi", f->u_aud, &aud, &err), &err);
	must(mmr_dashboard(f->st, &staff, &d, &err), &err);
	assert_true(json_is_true(json_object_get(d, "scoped")));
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(d, "counts"), "assets")), 1);
	assert_null(json_object_get(d, "incidents"));
	assert_null(json_object_get(d, "applications"));
	assert_null(json_object_get(d, "compliance"));
	assert_null(json_object_get(d, "classes"));
	json_decref(d);
	must(mmr_dashboard(f->st, &aud, &d, &err), &err);
	assert_true(json_is_false(json_object_get(d, "scoped")));
	assert_int_equal(
		json_integer_value(json_object_get(json_object_get(d, "counts"), "assets")), 6);
	assert_non_null(json_object_get(d, "incidents"));
	json_decref(d);
	gen_checklist(f);
	int64_t round = open_round(f, "R1", 2026, NULL);
	must(mmr_dashboard(f->st, &f->sys, &d, &err), &err);
	json_t *c = json_object_get(d, "compliance");
	assert_true(json_is_true(json_object_get(c, "available")));
	assert_int_equal(json_integer_value(json_object_get(c, "round")), round);
	assert_int_equal(json_array_size(json_object_get(c, "departments")), 2);
	json_decref(d);
}

int main(int argc, char **argv)
{
	int bad = sfx_args(argc, argv, "inspect");
	if (bad)
		return bad;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(chapter_and_rate),
		cmocka_unit_test_setup_teardown(checklist_versions, setup, teardown),
		cmocka_unit_test_setup_teardown(rollup_arithmetic, setup, teardown),
		cmocka_unit_test_setup_teardown(answering, setup, teardown),
		cmocka_unit_test_setup_teardown(automatic_answers, setup, teardown),
		cmocka_unit_test_setup_teardown(takeouts_and_exceptions, setup, teardown),
		cmocka_unit_test_setup_teardown(actions_findings_compare, setup, teardown),
		cmocka_unit_test_setup_teardown(reports, setup, teardown),
		cmocka_unit_test_setup_teardown(dashboard_figures, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name(argv[2], tests, NULL, NULL);
	sfx_remove();
	return rc;
}
