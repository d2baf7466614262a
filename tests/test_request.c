/*
 * test_request.c — the request parser: every bad request under
 * tests/data/bad/request/ refused with the JSON path and value of its
 * .expect; level spellings (Ⅰ/I, full width, aliases); resource.contents and
 * context.handles_classes taking the highest level per axis; limits.
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

static mmr_policy *pol;

static int setup(void **state)
{
	(void)state;
	mmr_error err = {0};
	return mmr_policy_load(tu_path("%s/tests/data/profiles/base.yaml", tu_root), &pol, &err);
}

static int teardown(void **state)
{
	(void)state;
	mmr_policy_free(pol);
	return 0;
}

static void bad_requests(void **state)
{
	(void)state;
	char dirbuf[4096];
	snprintf(dirbuf, sizeof dirbuf, "%s", tu_path("%s/tests/data/bad/request", tu_root));
	const char *dir = dirbuf;
	size_t n;
	char **files = tu_list(dir, ".json", &n);
	assert_true(n >= 15);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *req = tu_read(tu_path("%s/%s", dir, files[i]), &len);
		char *want = tu_read_expect(dir, files[i]);
		if (!req || !want)
			fail_msg("%s: missing file or .expect", files[i]);
		mmr_request *r = NULL;
		mmr_error err = {0};
		int rc = mmr_request_parse(pol, req, len, &r, &err);
		if (rc != MMR_EINVAL)
			fail_msg("%s: accepted (rc %d), should be refused", files[i], rc);
		assert_null(r);
		if (!strstr(err.message, want))
			fail_msg("%s:\n got: %s\nwant: %s", files[i], err.message, want);
		/* one line */
		assert_null(strchr(err.message, '\n'));
		free(req);
		free(want);
	}
	tu_free_list(files);
}

static const char *effect_of(const char *req)
{
	static char eff[32];
	mmr_request *r;
	mmr_error err = {0};
	if (mmr_request_parse(pol, req, strlen(req), &r, &err))
		fail_msg("refused: %s", err.message);
	mmr_decision *d = mmr_decision_new();
	snprintf(eff, sizeof eff, "%s", mmr_effect_name(mmr_decide(pol, r, d)));
	mmr_decision_free(d);
	mmr_request_free(r);
	return eff;
}

static void level_spellings(void **state)
{
	(void)state;
	static const char *const imp1[] = {"I", "Ⅰ", "Ｉ", "i", "ⅰ"};
	for (size_t i = 0; i < sizeof imp1 / sizeof *imp1; i++) {
		char req[512];
		snprintf(req, sizeof req,
			 "{\"action\":\"device.takeout\",\"subject\":{\"roles\":[\"staff\"]},"
			 "\"resource\":{\"kind\":\"device\",\"classification\":{\"importance\":\"%"
			 "s\"}}}",
			 imp1[i]);
		assert_string_equal(effect_of(req), "needs_approval");
	}
	static const char *const imp2[] = {"II", "Ⅱ", "III", "Ⅲ", "IV", "Ⅳ"};
	for (size_t i = 0; i < sizeof imp2 / sizeof *imp2; i++) {
		char req[512];
		snprintf(req, sizeof req,
			 "{\"action\":\"device.takeout\",\"subject\":{\"roles\":[\"staff\"]},"
			 "\"resource\":{\"kind\":\"device\",\"classification\":{\"importance\":\"%"
			 "s\"}}}",
			 imp2[i]);
		assert_string_equal(effect_of(req), "permit");
	}
	/* alias "3" → 3A; an integer level; a full-width "３Ａ" */
	assert_string_equal(effect_of("{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]"
				      "},\"resource\":{\"classification\":{\"confidentiality\":"
				      "\"3\"}},\"context\":{\"destination\":\"external\"}}"),
			    "deny");
	assert_string_equal(effect_of("{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]"
				      "},\"resource\":{\"classification\":{\"confidentiality\":2}},"
				      "\"context\":{\"destination\":\"external\"}}"),
			    "needs_approval");
	assert_string_equal(effect_of("{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]"
				      "},\"resource\":{\"classification\":{\"confidentiality\":"
				      "\"３Ａ\"}},\"context\":{\"destination\":\"external\"}}"),
			    "deny");
}

static void highest_level_wins(void **state)
{
	(void)state;
	/* a medium holding 1 and 3A is handled as 3A (茨城町議会 2(2)③) */
	assert_string_equal(
		effect_of("{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]},"
			  "\"resource\":{\"kind\":\"media\",\"contents\":[{\"confidentiality\":"
			  "\"1\"},{\"confidentiality\":\"3A\"},{\"confidentiality\":\"2\"}]},"
			  "\"context\":{\"destination\":\"external\"}}"),
		"deny");
	/* classification and contents together; the wrapped form of an entry */
	assert_string_equal(
		effect_of("{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]},"
			  "\"resource\":{\"classification\":{\"confidentiality\":\"1\"},"
			  "\"contents\":[{\"classification\":{\"confidentiality\":\"2\"}}]},"
			  "\"context\":{\"destination\":\"external\"}}"),
		"needs_approval");
	assert_string_equal(effect_of("{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]"
				      "},\"resource\":{\"contents\":[{\"confidentiality\":\"1\"}]},"
				      "\"context\":{\"destination\":\"external\"}}"),
			    "permit");
	/* handles_classes counts too: bare levels are of the first axis */
	assert_string_equal(
		effect_of(
			"{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]},\"context\":"
			"{\"destination\":\"external\",\"handles_classes\":[\"1\",\"3B\"]}}"),
		"needs_approval");
	assert_string_equal(
		effect_of("{\"action\":\"device.takeout\",\"subject\":{\"roles\":[\"staff\"]},"
			  "\"context\":{\"handles_classes\":[{\"importance\":\"Ⅰ\"}]}}"),
		"needs_approval");
	/* null context value is the same as absent */
	assert_string_equal(effect_of("{\"action\":\"info.send\",\"subject\":{\"roles\":[\"staff\"]"
				      "},\"resource\":{\"classification\":{\"confidentiality\":"
				      "\"2\"}},\"context\":{\"destination\":null}}"),
			    "permit");
}

static void limits(void **state)
{
	(void)state;
	size_t big = 1024 * 1024 + 10;
	char *s = malloc(big + 1);
	memset(s, ' ', big);
	s[big] = '\0';
	s[0] = '{';
	s[big - 1] = '}';
	mmr_request *r;
	mmr_error err = {0};
	assert_int_equal(mmr_request_parse(pol, s, big, &r, &err), MMR_ELIMIT);
	free(s);
	/* 300 roles is over the list limit */
	size_t cap = 300 * 12 + 128, o = 0;
	s = malloc(cap);
	o += (size_t)snprintf(s + o, cap - o, "{\"action\":\"info.send\",\"subject\":{\"roles\":[");
	for (int i = 0; i < 300; i++)
		o += (size_t)snprintf(s + o, cap - o, "%s\"staff\"", i ? "," : "");
	snprintf(s + o, cap - o, "]}}");
	assert_int_equal(mmr_request_parse(pol, s, strlen(s), &r, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "request.subject.roles"));
	free(s);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		tu_root = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(bad_requests),
		cmocka_unit_test(level_spellings),
		cmocka_unit_test(highest_level_wins),
		cmocka_unit_test(limits),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
