/*
 * test_policy.c — the profile loader: inheritance and override, the
 * compiled decisions of a small fixture, every bad profile under
 * tests/data/bad/profile/ refused with file:line:column, and the lint.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdbool.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mamori.h"
#include "testutil.h"

static mmr_policy *load(const char *name)
{
	mmr_policy *pol;
	mmr_error err = {0};
	int rc = mmr_policy_load(tu_path("%s/tests/data/profiles/%s.yaml", tu_root, name), &pol,
				 &err);
	if (rc)
		fail_msg("%s: %s", name, err.message);
	return pol;
}

/* Decide `req` (JSON) and return the decision parsed; fails on bad input. */
static json_t *decide(const mmr_policy *pol, const char *req)
{
	mmr_request *r;
	mmr_error err = {0};
	if (mmr_request_parse(pol, req, strlen(req), &r, &err))
		fail_msg("request refused: %s", err.message);
	mmr_decision *d = mmr_decision_new();
	mmr_decide(pol, r, d);
	char *s = mmr_decision_json(pol, d);
	json_t *o = json_loads(s, 0, NULL);
	free(s);
	mmr_decision_free(d);
	mmr_request_free(r);
	assert_non_null(o);
	return o;
}

static const char *effect(json_t *o)
{
	return json_string_value(json_object_get(o, "effect"));
}

static const char *first(json_t *o, const char *k)
{
	return json_string_value(json_array_get(json_object_get(o, k), 0));
}

#define SEND3A                                                                                     \
	"{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]},\"resource\":{\"kind\":"    \
	"\"information\",\"classification\":{\"confidentiality\":\"3A\"}},\"context\":{"           \
	"\"destination\":\"external\",\"law_basis\":true}}"
#define SEND2                                                                                      \
	"{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]},\"resource\":{"             \
	"\"classification\":{\"confidentiality\":\"2\"}},\"context\":{\"destination\":"            \
	"\"external\"%s}}"

static void base_decisions(void **state)
{
	(void)state;
	mmr_policy *pol = load("base");
	assert_string_equal(mmr_policy_id(pol), "base");
	/* 3A with a legal basis: the deny rule's `unless` holds, approval still needed */
	json_t *o = decide(pol, SEND3A);
	assert_string_equal(effect(o), "needs_approval");
	assert_string_equal(first(o, "approvers"), "security_manager");
	assert_string_equal(first(o, "obligations"), "encrypt");
	json_decref(o);
	char buf[512];
	snprintf(buf, sizeof buf, SEND2, ",\"approvals\":[\"security_manager\"]");
	o = decide(pol, buf);
	assert_string_equal(effect(o), "permit");
	assert_string_equal(first(o, "rules"), "base.send.conf2");
	json_decref(o);
	/* approvals given as objects with a role */
	snprintf(buf, sizeof buf, SEND2,
		 ",\"approvals\":[{\"role\":\"security_manager\",\"by\":\"u42\"}]");
	o = decide(pol, buf);
	assert_string_equal(effect(o), "permit");
	json_decref(o);
	/* an approval by the wrong role does not satisfy */
	snprintf(buf, sizeof buf, SEND2, ",\"approvals\":[\"system_manager\"]");
	o = decide(pol, buf);
	assert_string_equal(effect(o), "needs_approval");
	json_decref(o);
	/* internal destination: no rule, the default permit */
	o = decide(pol, "{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]},"
			"\"resource\":{\"classification\":{\"confidentiality\":\"3A\"}},"
			"\"context\":{\"destination\":\"internal\"}}");
	assert_string_equal(effect(o), "permit");
	assert_int_equal(json_array_size(json_object_get(o, "rules")), 0);
	assert_non_null(strstr(json_string_value(json_object_get(o, "reason")), "既定"));
	json_decref(o);
	/* all_of: one of two approvals is not enough; the missing one is named */
	o = decide(pol, "{\"action\":\"device.takeout\",\"subject\":{\"roles\":[\"staff\"]},"
			"\"resource\":{\"kind\":\"device\",\"classification\":{\"importance\":"
			"\"Ⅰ\"}},\"context\":{\"approvals\":[\"security_manager\"]}}");
	assert_string_equal(effect(o), "needs_approval");
	assert_int_equal(json_array_size(json_object_get(o, "approvers")), 1);
	assert_string_equal(first(o, "approvers"), "system_manager");
	json_decref(o);
	o = decide(pol,
		   "{\"action\":\"device.takeout\",\"subject\":{\"roles\":[\"staff\"]},"
		   "\"resource\":{\"kind\":\"device\",\"classification\":{\"importance\":\"I\"}},"
		   "\"context\":{\"approvals\":[\"security_manager\",\"system_manager\"]}}");
	assert_string_equal(effect(o), "permit");
	assert_string_equal(first(o, "obligations"), "record");
	json_decref(o);
	long v;
	assert_int_equal(mmr_policy_setting_int(pol, "lockout.threshold", &v), MMR_OK);
	assert_int_equal(v, 5);
	assert_int_equal(mmr_policy_setting_int(pol, "session.idle_timeout_minutes", &v),
			 MMR_ENOTFOUND);
	mmr_policy_free(pol);
}

static void inheritance_and_override(void **state)
{
	(void)state;
	mmr_policy *pol = load("child");
	/* the child's override of base.send.conf3a has no `unless`: law basis no longer helps */
	json_t *o = decide(pol, SEND3A);
	assert_string_equal(effect(o), "deny");
	assert_string_equal(first(o, "rules"), "base.send.conf3a");
	json_t *c = json_array_get(json_object_get(o, "citations"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "clause")), "第10条");
	assert_string_equal(json_string_value(json_object_get(c, "document")), "子規程");
	json_decref(o);
	/* an inherited rule keeps citing the base document */
	char buf[512];
	snprintf(buf, sizeof buf, SEND2, "");
	o = decide(pol, buf);
	assert_string_equal(effect(o), "needs_approval");
	c = json_array_get(json_object_get(o, "citations"), 0);
	assert_string_equal(json_string_value(json_object_get(c, "document")), "テスト規程");
	json_decref(o);
	/* removed rule: writing media in the My Number segment falls to the default */
	o = decide(pol, "{\"action\":\"media.write\",\"subject\":{\"roles\":[\"ciso\"]},"
			"\"resource\":{\"kind\":\"media\",\"segment\":\"mynumber\"}}");
	assert_string_equal(effect(o), "permit");
	json_decref(o);
	/* the child's own rule and setting override */
	o = decide(pol, "{\"action\":\"software.install\",\"subject\":{\"roles\":[\"staff\"]},"
			"\"resource\":{\"kind\":\"software\"}}");
	assert_string_equal(effect(o), "needs_approval");
	json_decref(o);
	long v;
	assert_int_equal(mmr_policy_setting_int(pol, "lockout.threshold", &v), MMR_OK);
	assert_int_equal(v, 3);
	assert_int_equal(mmr_policy_setting_int(pol, "password.min_length", &v), MMR_OK);
	assert_int_equal(v, 12);
	mmr_policy_free(pol);

	/* two levels, with an axis removed: its levels are now bad input */
	pol = load("grandchild");
	mmr_request *r;
	mmr_error err = {0};
	const char *req = "{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]},"
			  "\"resource\":{\"classification\":{\"confidentiality\":\"2\"}}}";
	assert_int_equal(mmr_request_parse(pol, req, strlen(req), &r, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "未定義の分類軸"));
	char *js = mmr_policy_describe_json(pol, NULL, NULL, &err);
	json_t *d = json_loads(js, 0, NULL);
	free(js);
	json_t *ext = json_object_get(d, "extends");
	assert_int_equal(json_array_size(ext), 2);
	assert_string_equal(json_string_value(json_array_get(ext, 0)), "child");
	assert_string_equal(json_string_value(json_array_get(ext, 1)), "base");
	json_decref(d);
	mmr_policy_free(pol);
}

static void cycle_refused(void **state)
{
	(void)state;
	mmr_policy *pol;
	mmr_error err = {0};
	assert_int_equal(mmr_policy_load(tu_path("%s/tests/data/profiles/cycle-a.yaml", tu_root),
					 &pol, &err),
			 MMR_EINVAL);
	assert_null(pol);
	assert_non_null(strstr(err.message, "循環"));
}

static void buffer_without_base_dir(void **state)
{
	(void)state;
	const char *y = "profile: x\nextends: base\ntitle: t\nbody: b\ndocument: d\nrules: []\n";
	mmr_policy *pol;
	mmr_error err = {0};
	assert_int_equal(mmr_policy_load_buffer("mem.yaml", y, strlen(y), NULL, &pol, &err),
			 MMR_EINVAL);
	assert_non_null(strstr(err.message, "mem.yaml:2:10:"));
	assert_int_equal(mmr_policy_load_buffer("mem.yaml", "", 0, NULL, &pol, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "空"));
	/* with a base directory it extends */
	assert_int_equal(mmr_policy_load_buffer("x.yaml", y, strlen(y),
						tu_path("%s/tests/data/profiles", tu_root), &pol,
						&err),
			 MMR_OK);
	mmr_policy_free(pol);
}

/* `none` in an enum condition is the key being absent; for `sanitized`, whose
 * vocabulary has a value "none", saying it explicitly is the same case. */
static void ctx_none_value(void **state)
{
	(void)state;
	const char *y = "profile: x\ntitle: t\nbody: b\ndocument: d\nroles:\n  staff: 職員等\n"
			"rules:\n  - id: x.unsanitized\n    title: 無害化なしは拒否\n"
			"    action: info.copy\n    when: {context: {sanitized: [none]}}\n"
			"    effect: deny\n    citation: {clause: 第1条, text: 無害化}\n";
	mmr_policy *pol;
	mmr_error err = {0};
	assert_int_equal(mmr_policy_load_buffer("mem.yaml", y, strlen(y), NULL, &pol, &err),
			 MMR_OK);
	static const struct {
		const char *ctx, *effect;
	} cases[] = {
		{"{}", "deny"},
		{"{\"sanitized\":\"none\"}", "deny"},
		{"{\"sanitized\":null}", "deny"},
		{"{\"sanitized\":\"cdr\"}", "permit"},
		{"{\"sanitized\":\"text\"}", "permit"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		char req[256];
		snprintf(req, sizeof req,
			 "{\"action\":\"info.copy\",\"subject\":{\"roles\":[\"staff\"]},"
			 "\"context\":%s}",
			 cases[i].ctx);
		json_t *o = decide(pol, req);
		if (strcmp(effect(o), cases[i].effect))
			fail_msg("%s: %s, want %s", cases[i].ctx, effect(o), cases[i].effect);
		json_decref(o);
	}
	mmr_policy_free(pol);
}

static void missing_file(void **state)
{
	(void)state;
	mmr_policy *pol;
	mmr_error err = {0};
	assert_int_equal(mmr_policy_load("/nonexistent/p.yaml", &pol, &err), MMR_EIO);
	assert_non_null(strstr(err.message, "/nonexistent/p.yaml"));
}

/* Each tests/data/bad/profile/X.yaml fails to load with a message that
 * contains the line of X.expect (which names file:line:column). */
static void bad_profiles(void **state)
{
	(void)state;
	char dirbuf[4096];
	snprintf(dirbuf, sizeof dirbuf, "%s", tu_path("%s/tests/data/bad/profile", tu_root));
	const char *dir = dirbuf;
	size_t n;
	char **files = tu_list(dir, ".yaml", &n);
	assert_true(n >= 10);
	for (size_t i = 0; i < n; i++) {
		char *want = tu_read_expect(dir, files[i]);
		if (!want)
			fail_msg("%s has no .expect", files[i]);
		mmr_policy *pol;
		mmr_error err = {0};
		int rc = mmr_policy_load(tu_path("%s/%s", dir, files[i]), &pol, &err);
		if (rc != MMR_EINVAL)
			fail_msg("%s: loaded (rc %d), should be refused", files[i], rc);
		if (!strstr(err.message, want))
			fail_msg("%s:\n got: %s\nwant: %s", files[i], err.message, want);
		free(want);
	}
	tu_free_list(files);
}

struct collected {
	int n;
	char text[8192];
};

static void collect(void *ud, const char *file, int line, int col, const char *msg)
{
	struct collected *c = ud;
	size_t o = strlen(c->text);
	snprintf(c->text + o, sizeof c->text - o, "%s:%d:%d: %s\n", file, line, col, msg);
	c->n++;
}

/* The lint finds what loading accepts: wrong citations and contradictions. */
static void lint(void **state)
{
	(void)state;
	char dirbuf[4096];
	snprintf(dirbuf, sizeof dirbuf, "%s", tu_path("%s/tests/data/bad/check", tu_root));
	const char *dir = dirbuf;
	size_t n;
	char **files = tu_list(dir, ".yaml", &n);
	assert_true(n >= 2);
	for (size_t i = 0; i < n; i++) {
		const char *path = tu_path("%s/%s", dir, files[i]);
		mmr_policy *pol;
		mmr_error err = {0};
		assert_int_equal(mmr_policy_load(path, &pol, &err), MMR_OK);
		mmr_policy_free(pol);
		struct collected c = {0};
		assert_int_equal(mmr_policy_check(path, collect, &c), 1);
		char *want = tu_read_expect(dir, files[i]);
		assert_non_null(want);
		if (!strstr(c.text, want))
			fail_msg("%s:\n got: %s\nwant: %s", files[i], c.text, want);
		free(want);
	}
	tu_free_list(files);
	/* the fixtures themselves are clean; a missing file is -1 */
	struct collected c = {0};
	assert_int_equal(mmr_policy_check(tu_path("%s/tests/data/profiles/child.yaml", tu_root),
					  collect, &c),
			 0);
	/* needs_approval beside permit-with-obligations is no contradiction */
	assert_int_equal(mmr_policy_check(tu_path("%s/tests/data/profiles/combine.yaml", tu_root),
					  collect, &c),
			 0);
	assert_int_equal(mmr_policy_check("/nonexistent.yaml", collect, &c), -1);
	/* check mode reports every problem, not just the first */
	c.n = 0;
	c.text[0] = '\0';
	const char *multi = tu_path("%s/tests/data/bad/multi.yaml", tu_root);
	assert_int_equal(mmr_policy_check(multi, collect, &c), 3);
}

static void describe(void **state)
{
	(void)state;
	mmr_policy *pol = load("base");
	mmr_error err = {0};
	char *s = mmr_policy_describe_json(pol, "confidentiality", "3", &err);
	assert_non_null(s);
	json_t *o = json_loads(s, 0, NULL);
	free(s);
	json_t *axes = json_object_get(o, "axes");
	assert_int_equal(json_array_size(axes), 1);
	json_t *lv = json_object_get(json_array_get(axes, 0), "levels");
	assert_int_equal(json_array_size(lv), 1);
	assert_string_equal(json_string_value(json_object_get(json_array_get(lv, 0), "id")), "3A");
	/* the rules that apply at 3A: both send rules */
	assert_int_equal(json_array_size(json_object_get(o, "rules")), 2);
	json_decref(o);
	assert_null(mmr_policy_describe_json(pol, "confidentiality", "9", &err));
	assert_non_null(strstr(err.message, "\"9\""));
	assert_null(mmr_policy_describe_json(pol, "colour", "1", &err));
	mmr_policy_free(pol);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		tu_root = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(base_decisions), cmocka_unit_test(inheritance_and_override),
		cmocka_unit_test(cycle_refused),  cmocka_unit_test(buffer_without_base_dir),
		cmocka_unit_test(missing_file),	  cmocka_unit_test(bad_profiles),
		cmocka_unit_test(lint),		  cmocka_unit_test(describe),
		cmocka_unit_test(ctx_none_value),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
