/*
 * test_work.c — applications, approvals, exceptions and records (issue 5),
 * on SQLite and on PostgreSQL (tests/pgtmp.sh): `test_work SRC_ROOT sqlite|postgres`.
 * State machine, permissions (own application, deputy without absence,
 * another section, another tenant), deadlines, the route of the decision.
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
#include "store/notify.h"
#include "store/store.h"
#include "store/work.h"
#include "storefx.h"

/* 2026-12-02 10:00 JST */
static const int64_t NOW = 1796173200;
#define DAY 86400

struct fx {
	mmr_store *st;
	mmr_actor sys, other_sys;
	int64_t dept, sec_a, sec_b;
	int64_t staff, mgr_a, mgr_b, deputy, ciso, other_user;
	mmr_actor a_staff, a_mgr_a, a_mgr_b, a_deputy, a_ciso, a_other;
};

static void must(int rc, const mmr_error *err)
{
	if (rc)
		fail_msg("rc=%d %s", rc, err->message);
}

static int64_t mk(mmr_store *st, const mmr_actor *who, const char *kind, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int64_t mk(mmr_store *st, const mmr_actor *who, const char *kind, const char *fmt, ...)
{
	char j[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j, sizeof j, fmt, ap);
	va_end(ap);
	json_error_t je;
	json_t *in = json_loads(j, 0, &je);
	if (!in)
		fail_msg("bad fixture json %s: %s", j, je.text);
	json_t *out = NULL;
	mmr_error err;
	int rc = mmr_ledger_create(st, who, kind, in, &out, &err);
	json_decref(in);
	must(rc, &err);
	int64_t id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	return id;
}

static void actor(struct fx *f, const char *tenant, int64_t id, mmr_actor *a)
{
	mmr_error err;
	must(mmr_actor_load(f->st, tenant, id, a, &err), &err);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	mmr_error err;
	must(sfx_open(&f->st, &err), &err);
	must(sfx_tenant(f->st, "toyohashi", "豊橋市", "toyohashi", &err), &err);
	must(sfx_tenant(f->st, "ibaraki", "茨城町議会", "ibaraki-gikai", &err), &err);
	mmr_actor_system(&f->sys, "toyohashi");
	mmr_actor_system(&f->other_sys, "ibaraki");
	f->dept = mk(f->st, &f->sys, "units", "{\"name\":\"総務部\",\"kind\":\"department\"}");
	f->sec_a = mk(f->st, &f->sys, "units",
		      "{\"name\":\"情報企画課\",\"kind\":\"section\",\"parent_id\":%" PRId64 "}",
		      f->dept);
	f->sec_b = mk(f->st, &f->sys, "units", "{\"name\":\"市民課\",\"kind\":\"section\"}");
	f->staff = mk(f->st, &f->sys, "users",
		      "{\"login\":\"staff1\",\"name\":\"豊橋 花子\",\"unit_id\":%" PRId64
		      ",\"roles\":[{\"role\":\"staff\",\"scope\":\"body\"}]}",
		      f->sec_a);
	f->mgr_a = mk(f->st, &f->sys, "users",
		      "{\"login\":\"mgr_a\",\"name\":\"管理 一郎\",\"unit_id\":%" PRId64
		      ",\"roles\":[{\"role\":\"security_manager\",\"scope\":\"unit\",\"scope_id\":"
		      "%" PRId64 "}]}",
		      f->sec_a, f->sec_a);
	f->mgr_b = mk(f->st, &f->sys, "users",
		      "{\"login\":\"mgr_b\",\"name\":\"市民 課長\",\"unit_id\":%" PRId64
		      ",\"roles\":[{\"role\":\"security_manager\",\"scope\":\"unit\",\"scope_id\":"
		      "%" PRId64 "}]}",
		      f->sec_b, f->sec_b);
	f->deputy = mk(f->st, &f->sys, "users",
		       "{\"login\":\"deputy\",\"name\":\"代理 三郎\",\"unit_id\":%" PRId64
		       ",\"roles\":[{\"role\":\"staff\",\"scope\":\"body\"}]}",
		       f->sec_a);
	f->ciso = mk(
		f->st, &f->sys, "users",
		"{\"login\":\"ciso\",\"name\":\"副市長\",\"roles\":[{\"role\":\"ciso\",\"scope\":"
		"\"body\"},{\"role\":\"info_planning_head\",\"scope\":\"body\"}]}");
	f->other_user = mk(f->st, &f->other_sys, "users",
			   "{\"login\":\"member\",\"name\":\"議員 一\",\"roles\":[{\"role\":"
			   "\"assembly_member\",\"scope\":\"body\"}]}");
	must(mmr_user_set_deputy(f->st, &f->sys, f->mgr_a, f->deputy, false, &err), &err);
	actor(f, "toyohashi", f->staff, &f->a_staff);
	actor(f, "toyohashi", f->mgr_a, &f->a_mgr_a);
	actor(f, "toyohashi", f->mgr_b, &f->a_mgr_b);
	actor(f, "toyohashi", f->deputy, &f->a_deputy);
	actor(f, "toyohashi", f->ciso, &f->a_ciso);
	actor(f, "ibaraki", f->other_user, &f->a_other);
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

static json_t *app(struct fx *f, const mmr_actor *who, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static json_t *app(struct fx *f, const mmr_actor *who, const char *fmt, ...)
{
	char j[2048];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(j, sizeof j, fmt, ap);
	va_end(ap);
	json_t *in = json_loads(j, 0, NULL);
	assert_non_null(in);
	json_t *out = NULL;
	mmr_error err;
	int rc = mmr_app_create(f->st, who, in, NOW, &out, &err);
	json_decref(in);
	must(rc, &err);
	return out;
}

static int try_app(struct fx *f, const mmr_actor *who, const char *json, mmr_error *err)
{
	json_t *in = json_loads(json, 0, NULL);
	assert_non_null(in);
	json_t *out = NULL;
	int rc = mmr_app_create(f->st, who, in, NOW, &out, err);
	json_decref(in);
	json_decref(out);
	return rc;
}

/* How many of `who`'s notifications are of `kind`. */
static size_t inbox_count(struct fx *f, const mmr_actor *who, const char *kind)
{
	json_t *l = NULL;
	mmr_error err;
	must(mmr_notify_list(f->st, who, false, 0, 100, &l, &err), &err);
	size_t n = 0, i;
	json_t *x;
	json_array_foreach (json_object_get(l, "items"), i, x)
		n += !strcmp(json_string_value(json_object_get(x, "kind")), kind);
	json_decref(l);
	return n;
}

static const char *state_of(json_t *a)
{
	return json_string_value(json_object_get(a, "state"));
}

static int64_t id_of(json_t *a)
{
	return json_integer_value(json_object_get(a, "id"));
}

#define TAKEOUT                                                                                           \
	"{\"type\":\"takeout\",\"title\":\"出張先での説明会\",\"resource\":{\"kind\":\"device\"," \
	"\"classification\":{\"importance\":\"II\"}},\"context\":{\"destination\":\"external\"},"         \
	"\"detail\":{\"destination\":\"名古屋市\",\"purpose\":\"説明会\",\"due_on\":\"%s\"}}"

/* One full take-out: apply, approve, confirm, take out, return. */
static void takeout_full(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	json_t *a = app(f, &f->a_staff, TAKEOUT, "2026-12-05");
	assert_string_equal(state_of(a), "pending");
	/* the route is the decision's approvers, with its citation */
	json_t *dec = json_incref(json_object_get(a, "decision"));
	assert_string_equal(json_string_value(json_object_get(dec, "effect")), "needs_approval");
	assert_true(json_array_size(json_object_get(dec, "approvers")) >= 1);
	assert_string_equal(
		json_string_value(json_object_get(
			json_array_get(json_object_get(dec, "citations"), 0), "clause")),
		"第5 1(2)");
	int64_t id = id_of(a);
	json_decref(a);

	/* taking out before approval is refused, naming the state */
	json_t *o = NULL;
	assert_int_equal(mmr_app_start(f->st, &f->a_staff, id, NOW, &o, &err), MMR_ECONFLICT);
	assert_non_null(strstr(err.message, "承認待ち"));
	/* nobody approves their own application; the section head does */
	assert_int_equal(mmr_app_approve(f->st, &f->a_staff, id, true, NULL, NOW, &o, &err),
			 MMR_EDENIED);
	/* the head of another section may not */
	assert_int_equal(mmr_app_approve(f->st, &f->a_mgr_b, id, true, NULL, NOW, &o, &err),
			 MMR_ENOTFOUND);
	/* the deputy may not while the principal is present */
	assert_int_equal(mmr_app_approve(f->st, &f->a_deputy, id, true, NULL, NOW, &o, &err),
			 MMR_ENOTFOUND);
	/* another tenant does not see it at all */
	assert_int_equal(mmr_app_get(f->st, &f->a_other, id, NOW, &o, &err), MMR_ENOTFOUND);

	/* the section head was notified; the head of another section was not */
	assert_int_equal(inbox_count(f, &f->a_mgr_a, "application.pending"), 1);
	assert_int_equal(inbox_count(f, &f->a_mgr_b, "application.pending"), 0);
	assert_int_equal(inbox_count(f, &f->a_staff, "application.pending"), 0);
	json_t *to = NULL;
	must(mmr_app_list(f->st, &f->a_mgr_a, "to_approve", NOW, &to, &err), &err);
	assert_int_equal(json_array_size(json_object_get(to, "items")), 1);
	json_decref(to);
	must(mmr_app_approve(f->st, &f->a_mgr_a, id, true, "気をつけて", NOW, &o, &err), &err);
	assert_string_equal(state_of(o), "approved");
	assert_string_equal(
		json_string_value(json_object_get(json_object_get(o, "decision"), "effect")),
		"permit");
	json_decref(o);
	assert_int_equal(inbox_count(f, &f->a_staff, "application.decided"), 1);
	/* approving again: the state has moved on */
	assert_int_equal(mmr_app_approve(f->st, &f->a_mgr_a, id, true, NULL, NOW, &o, &err),
			 MMR_ECONFLICT);
	/* obligations (if the decision carries any) are confirmed by the applicant only */
	if (json_array_size(json_object_get(dec, "obligations")))
		assert_int_equal(mmr_app_confirm(f->st, &f->a_mgr_a, id, NULL, NOW, &o, &err),
				 MMR_EDENIED);
	must(mmr_app_confirm(f->st, &f->a_staff, id, NULL, NOW, &o, &err), &err);
	json_decref(o);
	must(mmr_app_start(f->st, &f->a_staff, id, NOW, &o, &err), &err);
	assert_string_equal(state_of(o), "active");
	assert_false(json_is_true(json_object_get(o, "overdue")));
	json_decref(o);
	/* four days later it is overdue and listed */
	json_t *ov = NULL;
	must(mmr_app_list(f->st, &f->a_ciso, "overdue", NOW + 4 * DAY, &ov, &err), &err);
	assert_int_equal(json_array_size(json_object_get(ov, "items")), 1);
	assert_true(json_is_true(
		json_object_get(json_array_get(json_object_get(ov, "items"), 0), "overdue")));
	json_decref(ov);
	/* the reminder reaches the applicant once a day, not on every run */
	size_t sent = 0;
	must(mmr_work_remind(f->st, NOW + 4 * DAY, &sent, &err), &err);
	assert_int_equal(sent, 1);
	must(mmr_work_remind(f->st, NOW + 4 * DAY + 600, &sent, &err), &err);
	assert_int_equal(sent, 0);
	assert_int_equal(inbox_count(f, &f->a_staff, "application.overdue"), 1);
	must(mmr_app_return(f->st, &f->a_staff, id, NOW + 4 * DAY, &o, &err), &err);
	assert_string_equal(state_of(o), "returned");
	json_decref(o);
	/* nothing more after the return */
	assert_int_equal(mmr_app_return(f->st, &f->a_staff, id, NOW, &o, &err), MMR_ECONFLICT);
	assert_int_equal(mmr_app_withdraw(f->st, &f->a_staff, id, NOW, &o, &err), MMR_ECONFLICT);
	must(mmr_app_list(f->st, &f->a_ciso, "overdue", NOW + 4 * DAY, &ov, &err), &err);
	assert_int_equal(json_array_size(json_object_get(ov, "items")), 0);
	json_decref(ov);

	/* every step is a leaf of the audit log, with the decision of the step */
	json_t *found = NULL;
	struct mmr_audit_query q = {.action = "application.approve", .limit = 50};
	must(mmr_audit_search(f->st, "toyohashi", &q, &found, &err), &err);
	json_t *items = json_object_get(found, "items");
	assert_int_equal(json_array_size(items), 1);
	json_decref(found);
	static const char *const steps[] = {"application.create", "application.confirm",
					    "application.start", "application.return"};
	for (size_t i = 0; i < 4; i++) {
		struct mmr_audit_query qs = {.action = steps[i], .limit = 50};
		must(mmr_audit_search(f->st, "toyohashi", &qs, &found, &err), &err);
		if (json_array_size(json_object_get(found, "items")) != 1)
			fail_msg("no audit leaf for %s", steps[i]);
		json_decref(found);
	}
	json_t *report = NULL;
	must(mmr_audit_verify(f->st, "toyohashi", NULL, NULL, NULL, &report, &err), &err);
	assert_true(json_is_true(json_object_get(report, "ok")));
	json_decref(report);
	json_decref(dec);
}

static void deputy_when_absent(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	json_t *a = app(f, &f->a_staff, TAKEOUT, "2026-12-03");
	int64_t id = id_of(a);
	json_decref(a);
	json_t *o = NULL;
	assert_int_equal(mmr_app_approve(f->st, &f->a_deputy, id, true, NULL, NOW, &o, &err),
			 MMR_ENOTFOUND);
	/* mark the principal absent: now the deputy approves, recorded as deputy */
	json_t *patch = json_pack("{s:b}", "absent", 1);
	json_t *u = NULL;
	must(mmr_ledger_update(f->st, &f->sys, "users", f->mgr_a, patch, &u, &err), &err);
	json_decref(patch);
	json_decref(u);
	must(mmr_app_approve(f->st, &f->a_deputy, id, true, NULL, NOW, &o, &err), &err);
	assert_string_equal(state_of(o), "approved");
	json_t *ap = json_array_get(json_object_get(o, "approvals"), 0);
	assert_int_equal(json_integer_value(json_object_get(ap, "deputy_for")), f->mgr_a);
	json_decref(o);
	/* a deputy never approves their own application, even for an absent principal */
	a = app(f, &f->a_deputy, TAKEOUT, "2026-12-03");
	id = id_of(a);
	json_decref(a);
	assert_int_equal(mmr_app_approve(f->st, &f->a_deputy, id, true, NULL, NOW, &o, &err),
			 MMR_EDENIED);
}

static void reject_and_withdraw(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	json_t *a = app(f, &f->a_staff, TAKEOUT, "2026-12-04"), *o = NULL;
	int64_t id = id_of(a);
	json_decref(a);
	must(mmr_app_approve(f->st, &f->a_mgr_a, id, false, "理由が不十分", NOW, &o, &err), &err);
	assert_string_equal(state_of(o), "rejected");
	json_decref(o);
	assert_int_equal(mmr_app_start(f->st, &f->a_staff, id, NOW, &o, &err), MMR_ECONFLICT);
	assert_int_equal(mmr_app_withdraw(f->st, &f->a_staff, id, NOW, &o, &err), MMR_ECONFLICT);
	a = app(f, &f->a_staff, TAKEOUT, "2026-12-04");
	id = id_of(a);
	json_decref(a);
	assert_int_equal(mmr_app_withdraw(f->st, &f->a_mgr_a, id, NOW, &o, &err), MMR_EDENIED);
	must(mmr_app_withdraw(f->st, &f->a_staff, id, NOW, &o, &err), &err);
	assert_string_equal(state_of(o), "withdrawn");
	json_decref(o);
	assert_int_equal(mmr_app_approve(f->st, &f->a_mgr_a, id, true, NULL, NOW, &o, &err),
			 MMR_ECONFLICT);
}

static void bad_applications(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	char field[64];
	static const struct {
		const char *json, *field;
	} cases[] = {
		{"{\"type\":\"teleport\",\"title\":\"x\"}", "type"},
		{"{\"type\":\"takeout\",\"title\":\"\"}", "title"},
		{"{\"type\":\"takeout\",\"title\":\"x\",\"colour\":1}", "colour"},
		{"{\"type\":\"takeout\",\"title\":\"x\",\"detail\":{\"destination\":\"a\","
		 "\"purpose\":\"b\"}}",
		 "detail.due_on"},
		{"{\"type\":\"takeout\",\"title\":\"x\",\"detail\":{\"destination\":\"a\","
		 "\"purpose\":\"b\",\"due_on\":\"2026-02-30\"}}",
		 "detail.due_on"},
		{"{\"type\":\"takeout\",\"title\":\"x\",\"detail\":{\"destination\":\"a\","
		 "\"purpose\":\"b\",\"due_on\":\"2026-11-30\"}}",
		 "detail.due_on"},
		{"{\"type\":\"takeout\",\"title\":\"x\",\"context\":{\"approvals\":[\"ciso\"]},"
		 "\"detail\":{\"destination\":\"a\",\"purpose\":\"b\",\"due_on\":\"2026-12-03\"}}",
		 "context.approvals"},
		{"{\"type\":\"dispose\",\"title\":\"x\",\"detail\":{\"method\":\"破砕\"}}",
		 "detail.certificate"},
		{"{\"type\":\"exception\",\"title\":\"x\",\"detail\":{\"reason\":\"r\","
		 "\"scope_action\":\"info.send\",\"starts_on\":\"2026-12-10\",\"ends_on\":"
		 "\"2026-12-01\"}}",
		 "detail.ends_on"},
		{"{\"type\":\"cloud\",\"title\":\"x\",\"context\":{\"handles_classes\":[\"II\"]},"
		 "\"detail\":{\"service\":\"s\",\"provider\":\"p\",\"purpose\":\"q\",\"criteria\":"
		 "{\"j1\":true}}}",
		 "detail.criteria.j2"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		int rc = try_app(f, &f->a_staff, cases[i].json, &err);
		if (rc != MMR_EINVAL)
			fail_msg("case %zu: rc=%d (%s)", i, rc, err.message);
		const char *got = mmr_store_error_field(&err, field, sizeof field);
		if (!got || strcmp(got, cases[i].field))
			fail_msg("case %zu: field %s, want %s (%s)", i, got ? got : "(none)",
				 cases[i].field, err.message);
	}
	/* a bad resource is named by the decision point's own path */
	int rc = try_app(
		f, &f->a_staff,
		"{\"type\":\"provide\",\"title\":\"x\",\"resource\":{\"classification\":"
		"{\"importance\":\"V\"}},\"detail\":{\"recipient\":\"a\",\"purpose\":\"b\"}}",
		&err);
	assert_int_equal(rc, MMR_EINVAL);
	assert_non_null(strstr(err.message, "importance"));
	/* the takeout.max_days limit of the profile, when it has one */
	const mmr_policy *pol;
	must(mmr_tenant_policy(f->st, "toyohashi", &pol, &err), &err);
	long max;
	if (mmr_policy_setting_int(pol, "takeout.max_days", &max) == MMR_OK) {
		char j[1024];
		snprintf(j, sizeof j, TAKEOUT, "2036-01-01");
		assert_int_equal(try_app(f, &f->a_staff, j, &err), MMR_EINVAL);
	}
}

/* 茨城町議会 7-4: the emergency route acts first and reports afterwards. */
static void exceptions_emergency_and_expiry(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	int64_t chief = mk(f->st, &f->other_sys, "users",
			   "{\"login\":\"chief\",\"name\":\"議長\",\"roles\":[{\"role\":"
			   "\"council_chief\",\"scope\":\"body\"}]}");
	int64_t mgr = mk(f->st, &f->other_sys, "users",
			 "{\"login\":\"kanri\",\"name\":\"事務局長\",\"roles\":[{\"role\":"
			 "\"council_manager\",\"scope\":\"body\"}]}");
	mmr_actor a_chief, a_mgr;
	actor(f, "ibaraki", chief, &a_chief);
	actor(f, "ibaraki", mgr, &a_mgr);
	/* a member may not take exception measures at all (7-4(1)) */
	json_t *a = app(f, &f->a_other,
			"{\"type\":\"exception\",\"title\":\"x\",\"detail\":{\"reason\":\"r\","
			"\"scope_action\":\"byod.use\",\"starts_on\":\"2026-12-02\",\"ends_on\":"
			"\"2026-12-20\"}}");
	assert_string_equal(state_of(a), "denied");
	json_decref(a);
	/* ordinary route: the chief approves */
	a = app(f, &a_mgr,
		"{\"type\":\"exception\",\"title\":\"会議用端末\",\"detail\":{\"reason\":"
		"\"機器故障\","
		"\"scope_action\":\"byod.use\",\"starts_on\":\"2026-12-02\",\"ends_on\":"
		"\"2026-12-20\"}}");
	assert_string_equal(state_of(a), "pending");
	int64_t id = id_of(a);
	json_decref(a);
	json_t *o = NULL;
	must(mmr_app_approve(f->st, &a_chief, id, true, NULL, NOW, &o, &err), &err);
	assert_string_equal(state_of(o), "approved");
	json_decref(o);
	/* emergency: permitted at once, with the after-the-fact report due */
	a = app(f, &a_mgr,
		"{\"type\":\"exception\",\"title\":\"緊急\",\"context\":{\"emergency\":true},"
		"\"detail\":{\"reason\":\"災害対応\",\"scope_action\":\"info.send\",\"starts_on\":"
		"\"2026-12-02\",\"ends_on\":\"2027-03-31\"}}");
	assert_string_equal(state_of(a), "approved");
	json_decref(a);
	json_t *l = NULL;
	must(mmr_exc_list(f->st, &a_chief, NOW, &l, &err), &err);
	json_t *items = json_object_get(l, "items");
	assert_int_equal(json_array_size(items), 2);
	json_t *e0 = json_array_get(items, 0), *e1 = json_array_get(items, 1);
	/* ordered by end date: the December one first, expiring within 30 days */
	assert_string_equal(json_string_value(json_object_get(e0, "status")), "expiring");
	assert_string_equal(json_string_value(json_object_get(e1, "status")), "active");
	assert_true(json_is_true(json_object_get(e1, "emergency")));
	assert_non_null(json_string_value(json_object_get(e1, "report_due_on")));
	int64_t emerg = json_integer_value(json_object_get(e1, "id"));
	int64_t ordinary = json_integer_value(json_object_get(e0, "id"));
	json_decref(l);
	/* ten days later the report is overdue; the first exception is expired a month on */
	must(mmr_exc_get(f->st, &a_chief, emerg, NOW + 10 * DAY, &o, &err), &err);
	assert_true(json_is_true(json_object_get(o, "report_overdue")));
	json_decref(o);
	size_t sent = 0;
	must(mmr_work_remind(f->st, NOW + 10 * DAY, &sent, &err), &err);
	assert_true(sent >= 1);
	assert_true(inbox_count(f, &a_mgr, "exception.reminder") >= 1);
	must(mmr_exc_get(f->st, &a_chief, ordinary, NOW + 30 * DAY, &o, &err), &err);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "expired");
	json_decref(o);
	/* only the holder reports; only the approver role reviews */
	assert_int_equal(mmr_exc_report(f->st, &a_chief, emerg, "x", NOW, &o, &err), MMR_EDENIED);
	must(mmr_exc_report(f->st, &a_mgr, emerg, "災害対応のため送信した", NOW, &o, &err), &err);
	assert_false(json_is_true(json_object_get(o, "report_overdue")));
	json_decref(o);
	assert_int_equal(mmr_exc_report(f->st, &a_mgr, emerg, "again", NOW, &o, &err),
			 MMR_ECONFLICT);
	/* a member is neither holder nor overseer: it does not exist for them */
	assert_int_equal(mmr_exc_review(f->st, &f->a_other, ordinary, "ok", NOW, &o, &err),
			 MMR_ENOTFOUND);
	must(mmr_exc_review(f->st, &a_chief, ordinary, "継続を確認", NOW, &o, &err), &err);
	json_decref(o);
	must(mmr_exc_revoke(f->st, &a_chief, ordinary, "故障復旧", NOW, &o, &err), &err);
	assert_string_equal(json_string_value(json_object_get(o, "status")), "revoked");
	json_decref(o);
	/* another tenant sees none of it */
	assert_int_equal(mmr_exc_get(f->st, &f->a_ciso, emerg, NOW, &o, &err), MMR_ENOTFOUND);
}

/* A granted exception is given to the decision point and cited. */
static void exception_in_decision(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	json_t *a = app(f, &f->a_mgr_a,
			"{\"type\":\"exception\",\"title\":\"持ち出し\",\"detail\":{\"reason\":"
			"\"災害対応\",\"scope_action\":\"device.takeout\",\"starts_on\":"
			"\"2026-12-01\",\"ends_on\":\"2026-12-31\"}}");
	int64_t id = id_of(a);
	const char *st = state_of(a);
	json_t *o = NULL;
	if (!strcmp(st, "pending")) {
		must(mmr_app_approve(f->st, &f->a_ciso, id, true, NULL, NOW, &o, &err), &err);
		assert_string_equal(state_of(o), "approved");
		json_decref(o);
	} else {
		assert_string_equal(st, "approved");
	}
	json_decref(a);
	a = app(f, &f->a_mgr_a, TAKEOUT, "2026-12-04");
	assert_string_equal(state_of(a), "approved");
	assert_non_null(json_object_get(json_object_get(a, "decision"), "exception"));
	assert_true(json_is_integer(json_object_get(a, "exception_id")));
	json_decref(a);
}

static void records_two_person(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	json_t *in = json_pack("{s:I, s:{s:s, s:s, s:s}}", "partner_id", (json_int_t)f->staff,
			       "data", "work", "ファイアウォール設定変更", "started_at",
			       "2026-12-02T10:00", "ended_at", "2026-12-02T11:00");
	json_t *o = NULL;
	/* the same person twice is refused */
	json_t *self = json_pack("{s:I, s:{s:s, s:s, s:s}}", "partner_id", (json_int_t)f->mgr_a,
				 "data", "work", "x", "started_at", "a", "ended_at", "b");
	assert_int_equal(mmr_record_create(f->st, &f->a_mgr_a, "two_person", self, NOW, &o, &err),
			 MMR_EINVAL);
	json_decref(self);
	must(mmr_record_create(f->st, &f->a_mgr_a, "two_person", in, NOW, &o, &err), &err);
	json_decref(in);
	assert_false(json_is_true(json_object_get(o, "complete")));
	int64_t id = json_integer_value(json_object_get(o, "id"));
	json_decref(o);
	assert_int_equal(mmr_record_confirm(f->st, &f->a_mgr_a, id, NOW, &o, &err), MMR_EDENIED);
	must(mmr_record_confirm(f->st, &f->a_staff, id, NOW, &o, &err), &err);
	assert_true(json_is_true(json_object_get(o, "complete")));
	json_decref(o);
	assert_int_equal(mmr_record_confirm(f->st, &f->a_staff, id, NOW, &o, &err), MMR_ECONFLICT);
	/* a room-entry record needs its fields */
	in = json_pack("{s:{s:s}}", "data", "person", "保守 業者");
	assert_int_equal(mmr_record_create(f->st, &f->a_mgr_a, "room_entry", in, NOW, &o, &err),
			 MMR_EINVAL);
	json_decref(in);
	json_t *l = NULL;
	must(mmr_record_list(f->st, &f->a_ciso, "two_person", &l, &err), &err);
	assert_int_equal(json_array_size(json_object_get(l, "items")), 1);
	json_decref(l);
}

int main(int argc, char **argv)
{
	int bad = sfx_args(argc, argv, "work");
	if (bad)
		return bad;
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(takeout_full, setup, teardown),
		cmocka_unit_test_setup_teardown(deputy_when_absent, setup, teardown),
		cmocka_unit_test_setup_teardown(reject_and_withdraw, setup, teardown),
		cmocka_unit_test_setup_teardown(bad_applications, setup, teardown),
		cmocka_unit_test_setup_teardown(exceptions_emergency_and_expiry, setup, teardown),
		cmocka_unit_test_setup_teardown(exception_in_decision, setup, teardown),
		cmocka_unit_test_setup_teardown(records_two_person, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name(argv[2], tests, NULL, NULL);
	sfx_remove();
	return rc;
}
