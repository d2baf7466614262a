/*
 * test_profiles.c — the shipped profiles under policy/: each of the six
 * loads and passes `policy check` (citations found verbatim in its source,
 * no contradictions), extends what it should, has its decision cases, and
 * every rule it defines is exercised by at least one of its cases.
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

static const struct {
	const char *id;
	const char *extends; /* NULL: standalone */
	size_t min_cases;
} shipped[] = {
	{"guideline", NULL, 10},	{"tsuruoka", "guideline", 15},
	{"toyohashi", "guideline", 15}, {"ibaraki-gikai", "guideline", 15},
	{"meguro", "guideline", 15},	{"kameoka", NULL, 15},
};
#define N_SHIPPED (sizeof shipped / sizeof *shipped)

static void report(void *ud, const char *file, int line, int col, const char *msg)
{
	(void)ud;
	fprintf(stderr, "%s:%d:%d: %s\n", file, line, col, msg);
}

static void all_clean(void **state)
{
	(void)state;
	int problems = 0;
	for (size_t i = 0; i < N_SHIPPED; i++) {
		int n = mmr_policy_check(tu_path("%s/policy/%s.yaml", tu_root, shipped[i].id),
					 report, NULL);
		if (n)
			fprintf(stderr, "policy/%s.yaml: %d problems\n", shipped[i].id, n);
		problems += n ? 1 : 0;
	}
	assert_int_equal(problems, 0);
}

static json_t *describe(const mmr_policy *pol)
{
	mmr_error err = {0};
	char *s = mmr_policy_describe_json(pol, NULL, NULL, &err);
	assert_non_null(s);
	json_t *o = json_loads(s, 0, NULL);
	free(s);
	return o;
}

static void inheritance(void **state)
{
	(void)state;
	for (size_t i = 0; i < N_SHIPPED; i++) {
		mmr_policy *pol;
		mmr_error err = {0};
		if (mmr_policy_load(tu_path("%s/policy/%s.yaml", tu_root, shipped[i].id), &pol,
				    &err))
			fail_msg("%s", err.message);
		json_t *o = describe(pol);
		json_t *ext = json_object_get(o, "extends");
		if (shipped[i].extends) {
			assert_int_equal(json_array_size(ext), 1);
			assert_string_equal(json_string_value(json_array_get(ext, 0)),
					    shipped[i].extends);
		} else {
			assert_int_equal(json_array_size(ext), 0);
		}
		json_decref(o);
		mmr_policy_free(pol);
	}
}

/* Rules known to lack a case (left open in the issue note); the test fails
 * for any other uncovered rule, and when one of these gains a case it must
 * be taken off this list. */
static const char *const known_uncovered[] = {
	NULL,
};

static bool is_known_uncovered(const char *id)
{
	for (const char *const *k = known_uncovered; *k; k++)
		if (!strcmp(*k, id))
			return true;
	return false;
}

/* Every rule a profile file defines appears in the decision of at least one
 * of that profile's cases. */
/* The ledgers' role matrix comes from `access:` in the profiles: a child that
 * redefines a role without it keeps the base's; an undeclared class is staff. */
static void role_access(void **state)
{
	(void)state;
	static const struct {
		const char *profile, *role, *access;
	} want[] = {
		{"guideline", "ciso", MMR_ACCESS_ADMIN},
		{"guideline", "auditor", MMR_ACCESS_AUDITOR},
		{"guideline", "staff", MMR_ACCESS_STAFF},
		{"toyohashi", "ciso", MMR_ACCESS_ADMIN}, /* redefined, inherits */
		{"toyohashi", "security_manager", MMR_ACCESS_MANAGER},
		{"toyohashi", "system_manager", MMR_ACCESS_SYSTEM},
		{"toyohashi", "info_planning_head", MMR_ACCESS_ADMIN},
		{"kameoka", "chief_information_officer", MMR_ACCESS_ADMIN},
		{"kameoka", "staff", MMR_ACCESS_STAFF},
	};
	for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
		mmr_policy *pol;
		mmr_error err;
		assert_int_equal(
			mmr_policy_load(tu_path("%s/policy/%s.yaml", tu_root, want[i].profile),
					&pol, &err),
			MMR_OK);
		const char *name, *access;
		assert_int_equal(mmr_policy_role_find(pol, want[i].role, &name, &access), MMR_OK);
		assert_string_equal(access, want[i].access);
		assert_int_equal(mmr_policy_role_find(pol, "no_such_role", &name, &access),
				 MMR_ENOTFOUND);
		mmr_policy_free(pol);
	}
}

static void cases_cover_rules(void **state)
{
	(void)state;
	int uncovered = 0;
	for (size_t i = 0; i < N_SHIPPED; i++) {
		mmr_policy *pol;
		mmr_error err = {0};
		const char *file = tu_path("%s/policy/%s.yaml", tu_root, shipped[i].id);
		char *pfile = strdup(file);
		if (mmr_policy_load(pfile, &pol, &err))
			fail_msg("%s", err.message);
		char dirbuf[4096];
		snprintf(dirbuf, sizeof dirbuf, "%s",
			 tu_path("%s/tests/data/decide/%s", tu_root, shipped[i].id));
		const char *dir = dirbuf;
		size_t nc;
		char **cases = tu_list(dir, ".json", &nc);
		if (nc < shipped[i].min_cases)
			fail_msg("%s: %zu cases, want at least %zu", shipped[i].id, nc,
				 shipped[i].min_cases);
		json_t *seen = json_object();
		for (size_t c = 0; c < nc; c++) {
			json_t *tc = json_load_file(tu_path("%s/%s", dir, cases[c]), 0, NULL);
			char *rq = json_dumps(json_object_get(tc, "request"), JSON_COMPACT);
			mmr_request *r;
			if (rq && !mmr_request_parse(pol, rq, strlen(rq), &r, &err)) {
				mmr_decision *d = mmr_decision_new();
				mmr_decide(pol, r, d);
				char *out = mmr_decision_json(pol, d);
				json_t *o = json_loads(out, 0, NULL);
				size_t k;
				json_t *id;
				json_array_foreach (json_object_get(o, "rules"), k, id)
					json_object_set_new(seen, json_string_value(id),
							    json_true());
				json_decref(o);
				free(out);
				mmr_decision_free(d);
				mmr_request_free(r);
			}
			free(rq);
			json_decref(tc);
		}
		json_t *desc = describe(pol);
		size_t k;
		json_t *rule;
		json_array_foreach (json_object_get(desc, "rules"), k, rule) {
			const char *at = json_string_value(json_object_get(rule, "defined_at"));
			size_t fl = strlen(pfile);
			if (strncmp(at, pfile, fl) || at[fl] != ':')
				continue; /* inherited: covered by its own profile's cases */
			const char *id = json_string_value(json_object_get(rule, "id"));
			if (json_object_get(seen, id) && is_known_uncovered(id)) {
				fprintf(stderr,
					"%s: rule %s now has a case: take it off known_uncovered\n",
					shipped[i].id, id);
				uncovered++;
			} else if (!json_object_get(seen, id) && !is_known_uncovered(id)) {
				fprintf(stderr, "%s: rule %s (%s) is decided by no case\n",
					shipped[i].id, id, at);
				uncovered++;
			}
		}
		json_decref(desc);
		json_decref(seen);
		tu_free_list(cases);
		mmr_policy_free(pol);
		free(pfile);
	}
	assert_int_equal(uncovered, 0);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		tu_root = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(all_clean),
		cmocka_unit_test(inheritance),
		cmocka_unit_test(cases_cover_rules),
		cmocka_unit_test(role_access),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
