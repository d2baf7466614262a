/*
 * test_incident.c — the incident desk and notifications on SQLite and
 * PostgreSQL (`test_incident SRC_ROOT sqlite|postgres`, the latter under
 * tests/pgtmp.sh): the state machine (every move, legal or not), who may do
 * what, the Commission's due dates at a fixed `now`, escalation by profile,
 * violations, the emergency response plan and the inbox.
 */
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "store/audit.h"
#include "store/incident.h"
#include "store/notify.h"
#include "store/store.h"
#include "storefx.h"

/* 2026-04-01T00:00:00Z */
#define T0 1775001600000LL
#define DAY (24LL * 3600 * 1000)

struct fx {
	mmr_store *st;
	mmr_actor sys;
	int64_t staff1, staff2, csirt, committee, ciso, admin, other_user;
	int64_t asset, other_asset, system;
};

static void must(int rc, const mmr_error *err)
{
	if (rc)
		fail_msg("rc=%d %s", rc, err->message);
}

static int64_t create_id(struct fx *f, const mmr_actor *who, const char *kind, const char *json)
{
	mmr_error err;
	json_t *in = json_loads(json, 0, NULL);
	assert_non_null(in);
	json_t *out = NULL;
	must(mmr_ledger_create(f->st, who, kind, in, &out, &err), &err);
	json_decref(in);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	return id;
}

static int64_t user(struct fx *f, const mmr_actor *sys, const char *login, const char *role)
{
	char j[300];
	snprintf(j, sizeof j, "{\"login\":\"%s\",\"name\":\"%s さん\",\"roles\":[\"%s\"]}", login,
		 login, role);
	int64_t id = create_id(f, sys, "users", j);
	mmr_error err;
	must(mmr_user_set_password(f->st, sys->tenant, id, "Correct-Horse-9!", false, &err), &err);
	return id;
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	mmr_error err;
	must(sfx_open(&f->st, &err), &err);
	must(sfx_tenant(f->st, "toyohashi", "豊橋市", "toyohashi", &err), &err);
	must(sfx_tenant(f->st, "other", "別の団体", "guideline", &err), &err);
	must(sfx_tenant(f->st, "gikai", "茨城町議会", "ibaraki-gikai", &err), &err);
	mmr_actor_system(&f->sys, "toyohashi");
	f->staff1 = user(f, &f->sys, "staff1", "staff");
	f->staff2 = user(f, &f->sys, "staff2", "staff");
	f->csirt = user(f, &f->sys, "csirt1", "csirt");
	f->committee = user(f, &f->sys, "committee1", "committee");
	f->ciso = user(f, &f->sys, "ciso1", "ciso");
	f->admin = user(f, &f->sys, "head1", "info_planning_head");
	f->system = create_id(f, &f->sys, "systems", "{\"name\":\"住民記録システム\"}");
	f->asset = create_id(f, &f->sys, "assets",
			     "{\"name\":\"住民票データ\",\"kind\":\"information\","
			     "\"classification\":{\"importance\":\"II\"}}");
	mmr_actor osys;
	mmr_actor_system(&osys, "other");
	f->other_user = user(f, &osys, "ostaff", "staff");
	f->other_asset = create_id(f, &osys, "assets",
				   "{\"name\":\"別団体の資産\",\"kind\":\"information\","
				   "\"classification\":{\"confidentiality\":\"2\"}}");
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

static void actor(struct fx *f, const char *tenant, int64_t uid, mmr_actor *a)
{
	mmr_error err;
	must(mmr_actor_load(f->st, tenant, uid, a, &err), &err);
}

static int64_t report(struct fx *f, const mmr_actor *who, const char *title, int64_t now)
{
	char j[400];
	snprintf(
		j, sizeof j,
		"{\"title\":\"%s\",\"description\":\"詳細\",\"aware_at\":\"2026-04-01T00:00:00Z\"}",
		title);
	json_t *in = json_loads(j, 0, NULL), *out;
	mmr_error err;
	must(mmr_incident_report(f->st, who, in, now, &out, &err), &err);
	json_decref(in);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	assert_string_equal(json_string_value(json_object_get(out, "state")), "reported");
	json_decref(out);
	return id;
}

static int triage(struct fx *f, const mmr_actor *who, int64_t id, const char *json, int64_t now,
		  mmr_error *err)
{
	json_t *in = json_loads(json, 0, NULL), *out = NULL;
	assert_non_null(in);
	int rc = mmr_incident_triage(f->st, who, id, in, now, &out, err);
	json_decref(in);
	json_decref(out);
	return rc;
}

static const char *const all_states[] = {"reported", "not_incident", "containment", "recovery",
					 "cause",    "prevention",   "closed"};

static const char *state_of(struct fx *f, const mmr_actor *who, int64_t id)
{
	static char buf[32];
	json_t *c;
	mmr_error err;
	must(mmr_incident_get(f->st, who, id, T0, &c, &err), &err);
	snprintf(buf, sizeof buf, "%s", json_string_value(json_object_get(c, "state")));
	json_decref(c);
	return buf;
}

/* From each state, every sfx_target: only the listed moves pass; every refusal
 * names both states in Japanese. */
static void state_machine(void **state)
{
	struct fx *f = *state;
	mmr_actor cs, st1;
	actor(f, "toyohashi", f->csirt, &cs);
	actor(f, "toyohashi", f->staff1, &st1);
	mmr_error err;
	static const char *const path[] = {"containment", "recovery", "cause", "prevention",
					   "closed"};
	int64_t id = report(f, &st1, "ウイルス感染の疑い", T0);
	int64_t ni = report(f, &st1, "誤報", T0);
	/* reported: no plain transition at all (triage decides) */
	for (size_t t = 0; t < 7; t++) {
		json_t *o = NULL;
		int rc = mmr_incident_transition(f->st, &cs, id, all_states[t], NULL, T0, &o, &err);
		assert_int_equal(rc, MMR_ECONFLICT);
		assert_null(o);
		assert_non_null(strstr(err.message, "報告受付"));
		assert_non_null(strstr(err.message, mmr_incident_state_name(all_states[t])));
	}
	assert_int_equal(triage(f, &cs, id, "{\"incident\":true}", T0, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "[severity]"));
	must(triage(f, &cs, id, "{\"incident\":true,\"severity\":\"medium\"}", T0, &err), &err);
	assert_string_equal(state_of(f, &cs, id), "containment");
	for (size_t step = 0; step + 1 < 5; step++) {
		const char *cur = path[step];
		for (size_t t = 0; t < 7; t++) {
			if (!strcmp(all_states[t], path[step + 1]))
				continue;
			json_t *o = NULL;
			int rc = mmr_incident_transition(f->st, &cs, id, all_states[t], NULL, T0,
							 &o, &err);
			assert_int_equal(rc, MMR_ECONFLICT);
			assert_non_null(strstr(err.message, mmr_incident_state_name(cur)));
			assert_non_null(
				strstr(err.message, mmr_incident_state_name(all_states[t])));
			assert_string_equal(state_of(f, &cs, id), cur);
		}
		/* triage again is refused too, naming both states */
		assert_int_equal(triage(f, &cs, id, "{\"incident\":false}", T0, &err),
				 MMR_ECONFLICT);
		assert_non_null(strstr(err.message, mmr_incident_state_name(cur)));
		json_t *o;
		must(mmr_incident_transition(f->st, &cs, id, path[step + 1], "進めます", T0 + 1, &o,
					     &err),
		     &err);
		assert_string_equal(json_string_value(json_object_get(o, "state")), path[step + 1]);
		json_decref(o);
	}
	for (size_t t = 0; t < 7; t++) {
		json_t *o = NULL;
		assert_int_equal(
			mmr_incident_transition(f->st, &cs, id, all_states[t], NULL, T0, &o, &err),
			MMR_ECONFLICT);
		assert_non_null(strstr(err.message, "終結"));
	}
	/* unknown state */
	json_t *o = NULL;
	assert_int_equal(mmr_incident_transition(f->st, &cs, id, "done", NULL, T0, &o, &err),
			 MMR_EINVAL);
	/* the not-incident branch: only to closed */
	must(triage(f, &cs, ni, "{\"incident\":false,\"note\":\"設定変更による誤検知\"}", T0, &err),
	     &err);
	assert_string_equal(state_of(f, &cs, ni), "not_incident");
	for (size_t t = 0; t < 7; t++) {
		if (!strcmp(all_states[t], "closed"))
			continue;
		assert_int_equal(
			mmr_incident_transition(f->st, &cs, ni, all_states[t], NULL, T0, &o, &err),
			MMR_ECONFLICT);
		assert_non_null(strstr(err.message, "インシデントではない"));
	}
	must(mmr_incident_transition(f->st, &cs, ni, "closed", NULL, T0, &o, &err), &err);
	json_decref(o);
	/* the timeline has every action, with who and when (UTC, ms) */
	json_t *c;
	must(mmr_incident_get(f->st, &cs, id, T0, &c, &err), &err);
	json_t *tl = json_object_get(c, "timeline");
	assert_int_equal(json_array_size(tl), 1 + 1 + 4);
	json_t *first = json_array_get(tl, 0), *last = json_array_get(tl, 5);
	assert_string_equal(json_string_value(json_object_get(first, "actor")), "staff1");
	assert_string_equal(json_string_value(json_object_get(first, "at")),
			    "2026-04-01T00:00:00.000Z");
	assert_string_equal(json_string_value(json_object_get(last, "to")), "closed");
	assert_string_equal(json_string_value(json_object_get(last, "at")),
			    "2026-04-01T00:00:00.001Z");
	assert_string_equal(json_string_value(json_object_get(last, "actor")), "csirt1");
	assert_string_equal(json_string_value(json_object_get(last, "note")), "進めます");
	json_decref(c);
}

static void permissions(void **state)
{
	struct fx *f = *state;
	mmr_actor cs, st1, st2, oth, adm;
	actor(f, "toyohashi", f->csirt, &cs);
	actor(f, "toyohashi", f->staff1, &st1);
	actor(f, "toyohashi", f->staff2, &st2);
	actor(f, "toyohashi", f->admin, &adm);
	actor(f, "other", f->other_user, &oth);
	mmr_error err;
	int64_t id = report(f, &st1, "端末の紛失", T0);
	/* staff cannot triage; another staff member does not see the case */
	assert_int_equal(triage(f, &st1, id, "{\"incident\":true,\"severity\":\"low\"}", T0, &err),
			 MMR_EDENIED);
	assert_non_null(strstr(err.message, "CSIRT"));
	json_t *o = NULL;
	assert_int_equal(mmr_incident_get(f->st, &st2, id, T0, &o, &err), MMR_ENOTFOUND);
	assert_int_equal(mmr_incident_get(f->st, &oth, id, T0, &o, &err), MMR_ENOTFOUND);
	assert_int_equal(triage(f, &oth, id, "{\"incident\":true,\"severity\":\"low\"}", T0, &err),
			 MMR_ENOTFOUND);
	assert_int_equal(mmr_incident_note(f->st, &st2, id, "見ました", T0, &err), MMR_ENOTFOUND);
	json_t *l;
	must(mmr_incident_list(f->st, &st2, NULL, false, 0, 50, T0, &l, &err), &err);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
	json_decref(l);
	must(mmr_incident_list(f->st, &oth, NULL, false, 0, 50, T0, &l, &err), &err);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 0);
	json_decref(l);
	must(mmr_incident_list(f->st, &st1, NULL, false, 0, 50, T0, &l, &err), &err);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 1);
	json_decref(l);
	/* CSIRT triages and assigns staff2; an administrator counts as CSIRT */
	char j[200];
	snprintf(j, sizeof j,
		 "{\"incident\":true,\"severity\":\"low\",\"assignee_id\":%" PRId64 "}", f->staff2);
	must(triage(f, &cs, id, j, T0, &err), &err);
	/* the reporter (not assignee) cannot advance; the assignee can */
	assert_int_equal(mmr_incident_transition(f->st, &st1, id, "recovery", NULL, T0, &o, &err),
			 MMR_EDENIED);
	must(mmr_incident_transition(f->st, &st2, id, "recovery", NULL, T0, &o, &err), &err);
	json_decref(o);
	/* the assignee still cannot change severity */
	json_t *up = json_pack("{s:s}", "severity", "critical");
	assert_int_equal(mmr_incident_update(f->st, &st2, id, up, T0, &o, &err), MMR_EDENIED);
	must(mmr_incident_update(f->st, &adm, id, up, T0, &o, &err), &err);
	json_decref(o);
	json_decref(up);
	/* a sfx_target from another tenant's ledger is refused, naming the field */
	json_t *in = json_pack("{s:s, s:s, s:[I]}", "title", "x", "description", "y", "assets",
			       (json_int_t)f->other_asset);
	assert_int_equal(mmr_incident_report(f->st, &st1, in, T0, &o, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "[assets]"));
	json_decref(in);
	in = json_pack("{s:s, s:s, s:[I], s:[I], s:s}", "title", "x", "description", "y", "assets",
		       (json_int_t)f->asset, "systems", (json_int_t)f->system, "occurred_at",
		       "2026-03-31T09:00:00+09:00");
	must(mmr_incident_report(f->st, &st1, in, T0, &o, &err), &err);
	assert_int_equal(json_array_size(json_object_get(json_object_get(o, "targets"), "assets")),
			 1);
	assert_string_equal(json_string_value(json_object_get(o, "occurred_at")),
			    "2026-03-31T00:00:00.000Z");
	json_decref(o);
	json_decref(in);
	/* bad input */
	in = json_pack("{s:s, s:s, s:s}", "title", "x", "description", "y", "secret", "z");
	assert_int_equal(mmr_incident_report(f->st, &st1, in, T0, &o, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "[secret]"));
	json_decref(in);
	in = json_pack("{s:s, s:s, s:s}", "title", "x", "description", "y", "occurred_at",
		       "2026-02-30");
	assert_int_equal(mmr_incident_report(f->st, &st1, in, T0, &o, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "[occurred_at]"));
	json_decref(in);
	in = json_pack("{s:s, s:s}", "title", "", "description", "y");
	assert_int_equal(mmr_incident_report(f->st, &st1, in, T0, &o, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "[title]"));
	json_decref(in);
	/* the plan: administrators write it, everyone reads it */
	json_t *plan =
		json_pack("{s:s, s:s, s:s, s:s}", "contacts", "CSIRT 内線 2100", "report_items",
			  "日時", "measures", "切り離し", "prevention", "研修");
	assert_int_equal(mmr_incident_plan_put(f->st, &st1, plan, T0, &o, &err), MMR_EDENIED);
	must(mmr_incident_plan_put(f->st, &adm, plan, T0, &o, &err), &err);
	json_decref(o);
	json_decref(plan);
	must(mmr_incident_plan_get(f->st, &st1, &o, &err), &err);
	assert_string_equal(json_string_value(json_object_get(o, "contacts")), "CSIRT 内線 2100");
	json_decref(o);
	must(mmr_incident_plan_get(f->st, &oth, &o, &err), &err);
	assert_true(json_is_false(json_object_get(o, "written")));
	json_decref(o);
}

static json_t *due_items(struct fx *f, const mmr_actor *who, int64_t now)
{
	json_t *d;
	mmr_error err;
	must(mmr_incident_ppc_due(f->st, who, now, &d, &err), &err);
	json_t *items = json_incref(json_object_get(d, "items"));
	json_decref(d);
	return items;
}

static void deadlines(void **state)
{
	struct fx *f = *state;
	mmr_actor cs, st1;
	actor(f, "toyohashi", f->csirt, &cs);
	actor(f, "toyohashi", f->staff1, &st1);
	mmr_error err;
	int64_t a = report(f, &st1, "名簿の誤送付", T0);
	int64_t b = report(f, &st1, "不正アクセス", T0);
	int64_t c = report(f, &st1, "個人情報だが報告要件なし", T0);
	/* a trigger without personal information is refused */
	assert_int_equal(triage(f, &cs, a,
				"{\"incident\":true,\"severity\":\"medium\",\"ppc_triggers\":["
				"\"over100\"]}",
				T0, &err),
			 MMR_EINVAL);
	assert_non_null(strstr(err.message, "[ppc_triggers]"));
	assert_int_equal(triage(f, &cs, a,
				"{\"incident\":true,\"severity\":\"medium\",\"personal\":true,"
				"\"ppc_triggers\":[\"nope\"]}",
				T0, &err),
			 MMR_EINVAL);
	must(triage(f, &cs, a,
		    "{\"incident\":true,\"severity\":\"medium\",\"personal\":true,"
		    "\"ppc_triggers\":[\"over100\"],\"deadline\":\"2026-04-10T00:00:00Z\"}",
		    T0, &err),
	     &err);
	must(triage(f, &cs, b,
		    "{\"incident\":true,\"severity\":\"high\",\"personal\":true,\"wrongful\":true}",
		    T0, &err),
	     &err);
	must(triage(f, &cs, c, "{\"incident\":true,\"severity\":\"low\",\"personal\":true}", T0,
		    &err),
	     &err);
	/* two days after awareness: four reports due, none overdue */
	json_t *items = due_items(f, &cs, T0 + 2 * DAY);
	assert_int_equal(json_array_size(items), 4);
	size_t i;
	json_t *it;
	int prompts = 0;
	json_array_foreach (items, i, it) {
		assert_true(json_is_false(json_object_get(it, "overdue")));
		int64_t id = json_integer_value(json_object_get(it, "incident_id"));
		assert_true(id == a || id == b);
		const char *rep = json_string_value(json_object_get(it, "report"));
		const char *due = json_string_value(json_object_get(it, "due_at"));
		if (!strcmp(rep, "prompt")) {
			prompts++;
			assert_string_equal(due, "2026-04-04T00:00:00.000Z");
		} else if (id == a)
			assert_string_equal(due, "2026-05-01T00:00:00.000Z");
		else
			assert_string_equal(due, "2026-05-31T00:00:00.000Z"); /* 60 days */
	}
	assert_int_equal(prompts, 2);
	/* ordered by due date */
	assert_string_equal(json_string_value(json_object_get(json_array_get(items, 3), "due_at")),
			    "2026-05-31T00:00:00.000Z");
	json_decref(items);
	/* four days after: the prompt reports are overdue, the final ones not */
	items = due_items(f, &cs, T0 + 4 * DAY);
	json_array_foreach (items, i, it) {
		bool prompt = !strcmp(json_string_value(json_object_get(it, "report")), "prompt");
		assert_true(json_is_true(json_object_get(it, "overdue")) == prompt);
	}
	json_decref(items);
	/* exactly at the due time it is not yet overdue */
	items = due_items(f, &cs, T0 + 3 * DAY);
	json_array_foreach (items, i, it)
		assert_true(json_is_false(json_object_get(it, "overdue")));
	json_decref(items);
	/* filing the prompt report of a takes it off the list */
	assert_int_equal(mmr_incident_ppc_filed(f->st, &st1, a, "prompt", NULL, T0, &err),
			 MMR_EDENIED);
	must(mmr_incident_ppc_filed(f->st, &cs, a, "prompt", "速報済み", T0 + DAY, &err), &err);
	assert_int_equal(mmr_incident_ppc_filed(f->st, &cs, a, "prompt", NULL, T0, &err),
			 MMR_ECONFLICT);
	assert_int_equal(mmr_incident_ppc_filed(f->st, &cs, c, "prompt", NULL, T0, &err),
			 MMR_ECONFLICT);
	assert_int_equal(mmr_incident_ppc_filed(f->st, &cs, a, "weekly", NULL, T0, &err),
			 MMR_EINVAL);
	items = due_items(f, &cs, T0 + 40 * DAY);
	assert_int_equal(json_array_size(items), 3);
	json_array_foreach (items, i, it) {
		int64_t id = json_integer_value(json_object_get(it, "incident_id"));
		bool fin = !strcmp(json_string_value(json_object_get(it, "report")), "final");
		assert_false(id == a && !fin);
		/* at day 40: a's 30-day final is overdue, b's 60-day final is not */
		if (fin)
			assert_true(json_is_true(json_object_get(it, "overdue")) == (id == a));
	}
	json_decref(items);
	/* the case's own deadline */
	json_t *o;
	must(mmr_incident_get(f->st, &cs, a, T0 + 10 * DAY + 1, &o, &err), &err);
	assert_true(json_is_true(json_object_get(o, "overdue")));
	json_t *p = json_object_get(o, "ppc");
	assert_true(json_is_true(json_object_get(p, "required")));
	assert_true(json_is_true(json_object_get(p, "final_overdue")) == false);
	json_decref(o);
	must(mmr_incident_get(f->st, &cs, a, T0 + 9 * DAY, &o, &err), &err);
	assert_true(json_is_false(json_object_get(o, "overdue")));
	json_decref(o);
	/* the reporter sees the due list of their own cases only */
	mmr_actor st2;
	actor(f, "toyohashi", f->staff2, &st2);
	items = due_items(f, &st2, T0);
	assert_int_equal(json_array_size(items), 0);
	json_decref(items);
}

static int64_t count_kind(struct fx *f, const char *tenant, int64_t uid, const char *kind,
			  const char *needle)
{
	mmr_actor a;
	actor(f, tenant, uid, &a);
	json_t *l;
	mmr_error err;
	must(mmr_notify_list(f->st, &a, false, 0, 500, &l, &err), &err);
	int64_t n = 0;
	size_t i;
	json_t *it;
	json_array_foreach (json_object_get(l, "items"), i, it)
		if (!strcmp(json_string_value(json_object_get(it, "kind")), kind) &&
		    (!needle || strstr(json_string_value(json_object_get(it, "body")), needle)))
			n++;
	json_decref(l);
	return n;
}

static void escalation(void **state)
{
	struct fx *f = *state;
	mmr_actor cs, st1;
	actor(f, "toyohashi", f->csirt, &cs);
	actor(f, "toyohashi", f->staff1, &st1);
	mmr_error err;
	int64_t id = report(f, &st1, "サーバへの侵入", T0);
	/* the report reaches the CSIRT's inbox */
	assert_int_equal(count_kind(f, "toyohashi", f->csirt, "incident.reported", NULL), 1);
	assert_int_equal(count_kind(f, "toyohashi", f->staff2, "incident.reported", NULL), 0);
	must(triage(f, &cs, id, "{\"incident\":true,\"severity\":\"medium\"}", T0, &err), &err);
	assert_int_equal(count_kind(f, "toyohashi", f->committee, "incident.escalated", NULL), 0);
	/* the reporter hears of the decision */
	assert_int_equal(count_kind(f, "toyohashi", f->staff1, "incident.triaged", NULL), 1);
	json_t *up = json_pack("{s:s}", "severity", "high"), *o;
	must(mmr_incident_update(f->st, &cs, id, up, T0, &o, &err), &err);
	json_decref(o);
	json_decref(up);
	/* 豊橋市 第5 4(3): the committee (and the CISO) are told, citing the clause */
	assert_int_equal(count_kind(f, "toyohashi", f->committee, "incident.escalated",
				    "情報セキュリティ委員会に報告するものとする"),
			 1);
	assert_int_equal(count_kind(f, "toyohashi", f->ciso, "incident.escalated", "第5 4(3)"), 1);
	assert_int_equal(count_kind(f, "toyohashi", f->staff2, "incident.escalated", NULL), 0);
	/* raising it further does not tell them twice */
	up = json_pack("{s:s}", "severity", "critical");
	must(mmr_incident_update(f->st, &cs, id, up, T0, &o, &err), &err);
	json_t *tl = json_object_get(o, "timeline");
	size_t n_esc = 0, i;
	json_t *e;
	json_array_foreach (tl, i, e)
		if (!strcmp(json_string_value(json_object_get(e, "action")), "escalated.serious"))
			n_esc++;
	assert_int_equal(n_esc, 1);
	json_decref(o);
	json_decref(up);
	assert_int_equal(count_kind(f, "toyohashi", f->committee, "incident.escalated", NULL), 1);
	/* the council: a personal-information leak goes to 責任者 and 管理者, naming
	 * the bodies outside mamori (茨城町議会 5(5)②) */
	mmr_actor gsys;
	mmr_actor_system(&gsys, "gikai");
	int64_t chief = user(f, &gsys, "chief", "council_chief");
	int64_t mgr = user(f, &gsys, "mgr", "council_manager");
	int64_t member = user(f, &gsys, "member", "assembly_member");
	mmr_actor mem;
	actor(f, "gikai", member, &mem);
	int64_t g = report(f, &mem, "タブレットの紛失", T0);
	must(triage(f, &gsys, g, "{\"incident\":true,\"severity\":\"low\",\"personal\":true}", T0,
		    &err),
	     &err);
	assert_int_equal(count_kind(f, "gikai", chief, "incident.escalated", "5(5)②"), 1);
	assert_int_equal(count_kind(f, "gikai", mgr, "incident.escalated", "議会運営委員会"), 1);
	assert_int_equal(count_kind(f, "gikai", member, "incident.escalated", NULL), 0);
	/* the case shows the rules of its own profile */
	must(mmr_incident_get(f->st, &gsys, g, T0, &o, &err), &err);
	json_t *rules = json_object_get(o, "escalation");
	assert_true(json_array_size(rules) >= 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 0), "profile")),
			    "ibaraki-gikai");
	json_decref(o);
	/* a profile without its own rules falls back to the guideline's */
	mmr_actor osys;
	mmr_actor_system(&osys, "other");
	int64_t oc = report(f, &osys, "x", T0);
	must(mmr_incident_get(f->st, &osys, oc, T0, &o, &err), &err);
	rules = json_object_get(o, "escalation");
	assert_string_equal(json_string_value(json_object_get(json_array_get(rules, 0), "profile")),
			    "guideline");
	json_decref(o);
}

static void violations(void **state)
{
	struct fx *f = *state;
	mmr_actor cs, st1;
	actor(f, "toyohashi", f->csirt, &cs);
	actor(f, "toyohashi", f->staff1, &st1);
	mmr_error err;
	int64_t id = report(f, &cs, "無許可ソフトウェアの使用", T0);
	must(triage(f, &cs, id, "{\"incident\":true,\"severity\":\"low\"}", T0, &err), &err);
	assert_int_equal(
		mmr_incident_violation(f->st, &st1, id, f->staff2, "warning", NULL, T0, &err),
		MMR_ENOTFOUND); /* staff1 does not even see the case */
	assert_int_equal(
		mmr_incident_violation(f->st, &cs, id, f->staff2, "firing", NULL, T0, &err),
		MMR_EINVAL);
	assert_int_equal(
		mmr_incident_violation(f->st, &cs, id, f->other_user, "warning", NULL, T0, &err),
		MMR_EINVAL);
	/* suspension only after a warning or guidance (茨城町議会 7-6③) */
	assert_int_equal(
		mmr_incident_violation(f->st, &cs, id, f->staff2, "suspension", NULL, T0, &err),
		MMR_ECONFLICT);
	assert_non_null(strstr(err.message, "7-6"));
	struct mmr_signin s;
	must(mmr_session_open(f->st, "toyohashi", "staff2", "Correct-Horse-9!", NULL, T0 / 1000, &s,
			      &err),
	     &err);
	must(mmr_incident_violation(f->st, &cs, id, f->staff2, "warning", "初回の注意", T0, &err),
	     &err);
	must(mmr_incident_violation(f->st, &cs, id, f->staff2, "suspension", "改善なし", T0 + 1,
				    &err),
	     &err);
	/* the account is locked and its session ended */
	struct mmr_signin s2;
	assert_int_equal(mmr_session_open(f->st, "toyohashi", "staff2", "Correct-Horse-9!", NULL,
					  T0 / 1000, &s2, &err),
			 MMR_ELOCKED);
	mmr_actor a2;
	char csrf[65];
	bool mc;
	assert_int_not_equal(mmr_session_check(f->st, s.token, T0 / 1000, &a2, csrf, &mc, &err),
			     MMR_OK);
	assert_int_equal(count_kind(f, "toyohashi", f->staff2, "incident.violation", NULL), 2);
	json_t *o;
	must(mmr_incident_get(f->st, &cs, id, T0, &o, &err), &err);
	json_t *last = json_array_get(json_object_get(o, "timeline"),
				      json_array_size(json_object_get(o, "timeline")) - 1);
	assert_string_equal(json_string_value(json_object_get(last, "action")),
			    "violation.suspension");
	assert_int_equal(json_integer_value(json_object_get(last, "subject_id")), f->staff2);
	json_decref(o);
}

static void inbox(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	mmr_actor st1, st2;
	actor(f, "toyohashi", f->staff1, &st1);
	actor(f, "toyohashi", f->staff2, &st2);
	for (int i = 0; i < 5; i++)
		must(mmr_notify_user(f->st, "toyohashi", f->staff1, "test", "件名", "本文", NULL,
				     &err),
		     &err);
	assert_int_equal(
		mmr_notify_user(f->st, "other", f->staff1, "test", "件名", "本文", NULL, &err),
		MMR_ENOTFOUND);
	size_t n;
	must(mmr_notify_role(f->st, "toyohashi", "staff", "test", "全員へ", "本文", NULL, f->staff2,
			     &n, &err),
	     &err);
	assert_int_equal(n, 1); /* staff1 only: staff2 is the sender */
	json_t *l;
	must(mmr_notify_list(f->st, &st1, false, 0, 4, &l, &err), &err);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 4);
	assert_int_equal(json_integer_value(json_object_get(l, "unread")), 6);
	json_int_t next = json_integer_value(json_object_get(l, "next"));
	json_int_t first = json_integer_value(
		json_object_get(json_array_get(json_object_get(l, "items"), 0), "id"));
	json_decref(l);
	must(mmr_notify_list(f->st, &st1, false, next, 4, &l, &err), &err);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 2);
	json_decref(l);
	/* another user's notification does not exist for staff2 */
	assert_int_equal(mmr_notify_mark_read(f->st, &st2, first, &err), MMR_ENOTFOUND);
	must(mmr_notify_mark_read(f->st, &st1, first, &err), &err);
	must(mmr_notify_list(f->st, &st1, true, 0, 50, &l, &err), &err);
	assert_int_equal(json_integer_value(json_object_get(l, "unread")), 5);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 5);
	json_decref(l);
	must(mmr_notify_mark_read(f->st, &st1, 0, &err), &err);
	must(mmr_notify_list(f->st, &st1, true, 0, 50, &l, &err), &err);
	assert_int_equal(json_integer_value(json_object_get(l, "unread")), 0);
	json_decref(l);
	/* e-mail addresses */
	assert_int_equal(mmr_user_set_email(f->st, &st1, f->staff1, "no-at-sign", &err),
			 MMR_EINVAL);
	assert_non_null(strstr(err.message, "[email]"));
	assert_int_equal(mmr_user_set_email(f->st, &st1, f->staff1, "a@b.jp\r\nBcc: x@y.jp", &err),
			 MMR_EINVAL);
	assert_int_equal(mmr_user_set_email(f->st, &st1, f->staff2, "a@b.jp", &err), MMR_EDENIED);
	must(mmr_user_set_email(f->st, &st1, f->staff1, "staff1@city.example.jp", &err), &err);
	assert_true(mmr_email_valid("x.y+z@example.lg.jp"));
	assert_false(mmr_email_valid("x@@example.jp"));
	assert_false(mmr_email_valid("x@example"));
	assert_false(mmr_email_valid("<x@example.jp>"));
	/* without a relay nothing is sent */
	size_t sent, failed;
	struct mmr_smtp_config none = {0};
	assert_int_equal(mmr_notify_deliver(f->st, &none, 10, &sent, &failed, &err), MMR_EINVAL);
	/* a relay that refuses connections: the attempt is counted, retried later */
	must(mmr_notify_user(f->st, "toyohashi", f->staff1, "test", "件名", "本文", NULL, &err),
	     &err);
	struct mmr_smtp_config dead = {.relay = "127.0.0.1:1"};
	must(mmr_notify_deliver(f->st, &dead, 10, &sent, &failed, &err), &err);
	assert_int_equal(sent, 0);
	assert_true(failed >= 1);
	/* backoff: not tried again at once */
	must(mmr_notify_deliver(f->st, &dead, 10, &sent, &failed, &err), &err);
	assert_int_equal(failed, 0);
}

static void iso_times(void **state)
{
	(void)state;
	assert_int_equal(mmr_iso_to_ms("2026-04-01T00:00:00Z"), T0);
	assert_int_equal(mmr_iso_to_ms("2026-04-01T09:00:00+09:00"), T0);
	assert_int_equal(mmr_iso_to_ms("2026-04-01T09:00+09:00"), T0);
	assert_int_equal(mmr_iso_to_ms("2026-04-01"), T0 - 9 * 3600 * 1000);
	assert_int_equal(mmr_iso_to_ms("2026-04-01T00:00:00.5Z"), T0 + 500);
	assert_int_equal(mmr_iso_to_ms("2026-04-01T00:00:00.123456Z"), T0 + 123);
	static const char *const bad[] = {
		"",
		"2026",
		"2026-13-01",
		"2026-02-29",
		"2026-04-31",
		"2026-04-01T25:00Z",
		"2026-04-01T00:00:00",
		"2026-04-01T00:00:00.Z",
		"2026-04-01x",
		"1969-12-31T23:59:59.999Z",
		"1970-01-01",
		"2026-04-01T00:00:00+9:00",
		"2026-04-01T00:00:00Zjunk",
		"１２３４-04-01",
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		if (mmr_iso_to_ms(bad[i]) != -1)
			fail_msg("accepted bad time \"%s\"", bad[i]);
	char b[32];
	mmr_ms_to_iso(T0 + 7, b);
	assert_string_equal(b, "2026-04-01T00:00:00.007Z");
	assert_string_equal(mmr_incident_severity_name("critical"), "重大");
	assert_null(mmr_incident_severity_name("huge"));
}

static int64_t audit_count(struct fx *f, const char *tenant, const char *action)
{
	struct mmr_audit_query q = {.action = action, .limit = 500};
	json_t *o;
	mmr_error err;
	must(mmr_audit_search(f->st, tenant, &q, &o, &err), &err);
	int64_t n = (int64_t)json_array_size(json_object_get(o, "items"));
	json_decref(o);
	return n;
}

/* Every change is in the audit log, committed with it; a refused one is not. */
static void audited(void **state)
{
	struct fx *f = *state;
	mmr_actor cs, st1, adm;
	actor(f, "toyohashi", f->csirt, &cs);
	actor(f, "toyohashi", f->staff1, &st1);
	actor(f, "toyohashi", f->admin, &adm);
	mmr_error err;
	int64_t size0, size1;
	must(mmr_audit_size(f->st, "toyohashi", &size0, &err), &err);
	int64_t id = report(f, &st1, "監査ログの確認", T0);
	assert_int_equal(audit_count(f, "toyohashi", "incident.report"), 1);
	must(triage(f, &cs, id, "{\"incident\":true,\"severity\":\"critical\"}", T0, &err), &err);
	assert_int_equal(audit_count(f, "toyohashi", "incident.triage"), 1);
	assert_int_equal(audit_count(f, "toyohashi", "incident.escalate"), 1);
	json_t *o = NULL;
	must(mmr_audit_size(f->st, "toyohashi", &size1, &err), &err);
	assert_int_equal(mmr_incident_transition(f->st, &cs, id, "closed", NULL, T0, &o, &err),
			 MMR_ECONFLICT);
	int64_t size2;
	must(mmr_audit_size(f->st, "toyohashi", &size2, &err), &err);
	assert_int_equal(size2, size1);
	must(mmr_incident_transition(f->st, &cs, id, "recovery", NULL, T0, &o, &err), &err);
	json_decref(o);
	assert_int_equal(audit_count(f, "toyohashi", "incident.transition"), 1);
	struct mmr_audit_query q = {.action = "incident.transition", .limit = 5};
	must(mmr_audit_search(f->st, "toyohashi", &q, &o, &err), &err);
	json_t *e = json_array_get(json_object_get(o, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(e, "actor")), "csirt1");
	assert_non_null(json_string_value(json_object_get(e, "before")));
	assert_non_null(json_string_value(json_object_get(e, "after")));
	json_decref(o);
	must(mmr_incident_note(f->st, &st1, id, "追記", T0, &err), &err);
	must(mmr_incident_violation(f->st, &cs, id, f->staff2, "warning", NULL, T0, &err), &err);
	assert_int_equal(audit_count(f, "toyohashi", "incident.violation.warning"), 1);
	json_t *plan = json_pack("{s:s, s:s, s:s, s:s}", "contacts", "a", "report_items", "b",
				 "measures", "c", "prevention", "d");
	must(mmr_incident_plan_put(f->st, &adm, plan, T0, &o, &err), &err);
	json_decref(plan);
	json_decref(o);
	must(mmr_user_set_email(f->st, &st1, f->staff1, "s1@example.jp", &err), &err);
	assert_int_equal(audit_count(f, "toyohashi", "incident.note"), 1);
	assert_int_equal(audit_count(f, "toyohashi", "incident.plan"), 1);
	assert_int_equal(audit_count(f, "toyohashi", "user.email_set"), 1);
	int64_t size3;
	must(mmr_audit_size(f->st, "toyohashi", &size3, &err), &err);
	assert_int_equal(size3 - size0, 8);
}

int main(int argc, char **argv)
{
	int bad = sfx_args(argc, argv, "incident");
	if (bad)
		return bad;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(iso_times),
		cmocka_unit_test_setup_teardown(state_machine, setup, teardown),
		cmocka_unit_test_setup_teardown(permissions, setup, teardown),
		cmocka_unit_test_setup_teardown(deadlines, setup, teardown),
		cmocka_unit_test_setup_teardown(escalation, setup, teardown),
		cmocka_unit_test_setup_teardown(violations, setup, teardown),
		cmocka_unit_test_setup_teardown(inbox, setup, teardown),
		cmocka_unit_test_setup_teardown(audited, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name(argv[2], tests, NULL, NULL);
	sfx_remove();
	return rc;
}
