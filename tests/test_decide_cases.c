/*
 * test_decide_cases.c — runs every decision case under tests/data/decide/
 * (see its README) against policy/<profile>.yaml. One cmocka test per case,
 * named by profile, file and clause.
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

struct dcase {
	const mmr_policy *pol;
	char *file;
	char *name;
};

static bool in_array(const json_t *arr, const char *s)
{
	size_t i;
	json_t *v;
	json_array_foreach (arr, i, v)
		if (json_is_string(v) && !strcmp(json_string_value(v), s))
			return true;
	return false;
}

static bool citation_has(const json_t *cites, const char *clause)
{
	size_t i;
	json_t *v;
	json_array_foreach (cites, i, v) {
		const char *c = json_string_value(json_object_get(v, "clause"));
		if (c && !strcmp(c, clause))
			return true;
	}
	return false;
}

static void run_case(void **state)
{
	struct dcase *c = *state;
	json_error_t jerr;
	json_t *tc = json_load_file(c->file, JSON_REJECT_DUPLICATES, &jerr);
	if (!tc)
		fail_msg("%s:%d: %s", c->file, jerr.line, jerr.text);
	json_t *rq = json_object_get(tc, "request"), *ex = json_object_get(tc, "expect");
	if (!rq || !ex || !json_is_string(json_object_get(ex, "effect")))
		fail_msg("%s: case needs request and expect.effect", c->file);
	if (!json_is_string(json_object_get(tc, "clause")))
		fail_msg("%s: case needs the clause it is drawn from", c->file);
	char *rs = json_dumps(rq, JSON_COMPACT);
	mmr_request *req;
	mmr_error err = {0};
	if (mmr_request_parse(c->pol, rs, strlen(rs), &req, &err))
		fail_msg("%s: request refused: %s", c->file, err.message);
	free(rs);
	mmr_decision *d = mmr_decision_new();
	mmr_decide(c->pol, req, d);
	char *out = mmr_decision_json(c->pol, d);
	json_t *got = json_loads(out, 0, NULL);
	assert_non_null(got);
	const char *want = json_string_value(json_object_get(ex, "effect"));
	const char *eff = json_string_value(json_object_get(got, "effect"));
	if (strcmp(want, eff))
		fail_msg("%s: effect %s, want %s\n%s", c->file, eff, want, out);
	json_t *ap = json_object_get(ex, "approvers");
	if (ap) {
		json_t *gap = json_object_get(got, "approvers");
		size_t i;
		json_t *v;
		bool same = json_array_size(ap) == json_array_size(gap);
		json_array_foreach (ap, i, v)
			same = same && in_array(gap, json_string_value(v));
		if (!same)
			fail_msg("%s: approvers differ\n%s", c->file, out);
	}
	static const char *const incl[] = {"rules", "obligations", NULL};
	for (const char *const *k = incl; *k; k++) {
		json_t *w = json_object_get(ex, *k);
		size_t i;
		json_t *v;
		json_array_foreach (w, i, v)
			if (!in_array(json_object_get(got, *k), json_string_value(v)))
				fail_msg("%s: %s lacks %s\n%s", c->file, *k, json_string_value(v),
					 out);
	}
	static const char *const excl[][2] = {{"absent_rules", "rules"},
					      {"absent_obligations", "obligations"}};
	for (size_t e = 0; e < 2; e++) {
		json_t *w = json_object_get(ex, excl[e][0]);
		size_t i;
		json_t *v;
		json_array_foreach (w, i, v)
			if (in_array(json_object_get(got, excl[e][1]), json_string_value(v)))
				fail_msg("%s: %s holds %s\n%s", c->file, excl[e][1],
					 json_string_value(v), out);
	}
	json_t *cl = json_object_get(ex, "citations");
	size_t i;
	json_t *v;
	json_array_foreach (cl, i, v)
		if (!citation_has(json_object_get(got, "citations"), json_string_value(v)))
			fail_msg("%s: citations lack clause %s\n%s", c->file, json_string_value(v),
				 out);
	/* Every decision carries a reason, and every rule a citation. */
	assert_true(strlen(json_string_value(json_object_get(got, "reason"))) > 0);
	assert_int_equal(json_array_size(json_object_get(got, "rules")),
			 json_array_size(json_object_get(got, "citations")));
	json_decref(got);
	free(out);
	mmr_decision_free(d);
	mmr_request_free(req);
	json_decref(tc);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		tu_root = argv[1];
	char dirbuf[4096];
	snprintf(dirbuf, sizeof dirbuf, "%s", tu_path("%s/tests/data/decide", tu_root));
	const char *dir = dirbuf;
	size_t np;
	char **profiles = tu_list(dir, "/", &np);
	int failed = 0;
	size_t total = 0;
	for (size_t p = 0; p < np; p++) {
		mmr_policy *pol;
		mmr_error err = {0};
		if (mmr_policy_load(tu_path("%s/policy/%s.yaml", tu_root, profiles[p]), &pol,
				    &err)) {
			fprintf(stderr, "profile %s does not load: %s\n", profiles[p], err.message);
			failed++;
			continue;
		}
		char pdirbuf[4096];
		snprintf(pdirbuf, sizeof pdirbuf, "%s", tu_path("%s/%s", dir, profiles[p]));
		const char *pdir = pdirbuf;
		size_t nc;
		char **cases = tu_list(pdir, ".json", &nc);
		struct CMUnitTest *tests = calloc(nc ? nc : 1, sizeof *tests);
		struct dcase *dc = calloc(nc ? nc : 1, sizeof *dc);
		for (size_t i = 0; i < nc; i++) {
			dc[i].pol = pol;
			dc[i].file = strdup(tu_path("%s/%s", pdir, cases[i]));
			json_t *tc = json_load_file(dc[i].file, 0, NULL);
			const char *clause =
				tc ? json_string_value(json_object_get(tc, "clause")) : NULL;
			size_t len = strlen(cases[i]) + (clause ? strlen(clause) : 0) +
				     strlen(profiles[p]) + 16;
			dc[i].name = malloc(len);
			snprintf(dc[i].name, len, "%s/%s [%s]", profiles[p], cases[i],
				 clause ? clause : "?");
			json_decref(tc);
			tests[i].name = dc[i].name;
			tests[i].test_func = run_case;
			tests[i].initial_state = &dc[i];
		}
		total += nc;
		failed += _cmocka_run_group_tests(profiles[p], tests, nc, NULL, NULL);
		for (size_t i = 0; i < nc; i++) {
			free(dc[i].file);
			free(dc[i].name);
		}
		free(dc);
		free(tests);
		tu_free_list(cases);
		mmr_policy_free(pol);
	}
	tu_free_list(profiles);
	fprintf(stderr, "%zu decision cases\n", total);
	return failed ? 1 : 0;
}
