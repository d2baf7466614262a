/*
 * test_zones.c — the three-layer check (issue 9).
 *
 * Cases are data: tests/data/zones/NAME.expect says what the check must find
 * in NAME.json (nftables) and NAME.iptables (its iptables-save equivalent);
 * tests/data/zones/bad/ holds bad inputs, each with the start of the error
 * message it must give. The netfilter semantics are tested with small inline
 * rulesets and single-packet probes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "mamori.h"
#include "testutil.h"
#include "zones/zones.h"

static mmr_policy *load_profile(const char *id)
{
	mmr_policy *pol = NULL;
	mmr_error err;
	int rc = mmr_policy_load(tu_path("%s/policy/%s.yaml", tu_root, id), &pol, &err);
	if (rc)
		fail_msg("%s", err.message);
	return pol;
}

static char *data(const char *name, size_t *len)
{
	char *s = tu_read(tu_path("%s/tests/data/zones/%s", tu_root, name), len);
	if (!s)
		fail_msg("cannot read tests/data/zones/%s", name);
	return s;
}

/* Run the check; returns the result (caller decrefs) or NULL with err. */
static json_t *run(const mmr_policy *pol, const char *zones, size_t zlen, const char *rules,
		   size_t rlen, const char *const *probes, size_t n_probes, char **svg,
		   mmr_error *err)
{
	json_t *res = NULL;
	int rc = mmr_zones_check(pol, "zones.yaml", zones, zlen, "rules", rules, rlen, probes,
				 n_probes, &res, svg, err);
	return rc == MMR_OK ? res : NULL;
}

static int has_string(const json_t *arr, const char *s)
{
	const json_t *v;
	size_t i;
	json_array_foreach (arr, i, v)
		if (!strcmp(json_string_value(v), s))
			return 1;
	return 0;
}

/* A flow in list `key` from→to whose services hold `service` and whose
 * `field` (clause, relay or NULL) equals `want`. */
static int find_flow(const json_t *res, const char *key, const char *from, const char *to,
		     const char *service, const char *field, const char *want)
{
	const json_t *f;
	size_t i;
	json_array_foreach (json_object_get(res, key), i, f) {
		if (strcmp(json_string_value(json_object_get(f, "from")), from) ||
		    strcmp(json_string_value(json_object_get(f, "to")), to) ||
		    !has_string(json_object_get(f, "services"), service))
			continue;
		if (!field || !strcmp(json_string_value(json_object_get(f, field)), want))
			return 1;
	}
	return 0;
}

/* Check one ruleset against one .expect file. */
static void check_expect(const mmr_policy *pol, const char *rules_file, const char *expect)
{
	size_t zlen, rlen;
	char *zones = data("zones.yaml", &zlen), *rules = data(rules_file, &rlen);
	mmr_error err;
	json_t *res = run(pol, zones, zlen, rules, rlen, NULL, 0, NULL, &err);
	if (!res)
		fail_msg("%s: %s", rules_file, err.message);
	char *save = NULL, *copy = strdup(expect);
	int checked = 0;
	for (char *line = strtok_r(copy, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
		if (line[0] == '#' || !line[0])
			continue;
		char w[5][128] = {{0}};
		/* the clause ("第3 2(1)") holds a space: it is the rest of the line */
		int n = sscanf(line, "%127s %127s %127s %127s %127[^\n]", w[0], w[1], w[2], w[3],
			       w[4]);
		checked++;
		if (!strcmp(w[0], "clean")) {
			int want = !strcmp(w[1], "true");
			if (json_is_true(json_object_get(res, "clean")) != want)
				fail_msg("%s: clean is not %s", rules_file, w[1]);
		} else if (!strcmp(w[0], "count")) {
			size_t got = json_array_size(json_object_get(res, w[1]));
			if (got != (size_t)atoi(w[2]))
				fail_msg("%s: %s has %zu, expected %s", rules_file, w[1], got,
					 w[2]);
		} else if (!strcmp(w[0], "violation") && n == 5) {
			if (!find_flow(res, "violations", w[1], w[2], w[3], "clause", w[4]))
				fail_msg("%s: no violation %s → %s %s citing %s", rules_file, w[1],
					 w[2], w[3], w[4]);
		} else if (!strcmp(w[0], "relayed") && n == 5) {
			if (!find_flow(res, "relayed", w[1], w[2], w[3], "relay", w[4]))
				fail_msg("%s: no relayed flow %s → %s %s via %s", rules_file, w[1],
					 w[2], w[3], w[4]);
		} else if (!strcmp(w[0], "peer") && n == 4) {
			if (!find_flow(res, "peers", w[1], w[2], w[3], NULL, NULL))
				fail_msg("%s: no peer flow %s → %s %s", rules_file, w[1], w[2],
					 w[3]);
		} else {
			fail_msg("bad expect line: %s", line);
		}
	}
	assert_true(checked > 0);
	free(copy);
	json_decref(res);
	free(zones);
	free(rules);
}

static void test_cases(void **state)
{
	(void)state;
	mmr_policy *pol = load_profile("toyohashi");
	size_t n = 0;
	char **names = tu_list(tu_path("%s/tests/data/zones", tu_root), ".expect", &n);
	assert_true(n >= 5);
	for (size_t i = 0; i < n; i++) {
		char base[256];
		snprintf(base, sizeof base, "%.*s", (int)(strlen(names[i]) - 7), names[i]);
		size_t len;
		char *expect = data(names[i], &len);
		check_expect(pol, tu_path("%s.json", base), expect);
		check_expect(pol, tu_path("%s.iptables", base), expect);
		free(expect);
	}
	tu_free_list(names);
	mmr_policy_free(pol);
}

/* Each file in bad/ must be refused (exit 2 in the CLI) with a message that
 * starts as its .expect says (file and line or JSON path). */
static void test_bad_inputs(void **state)
{
	(void)state;
	mmr_policy *pol = load_profile("toyohashi");
	char dir[4096]; /* not a tu_path buffer: those are reused */
	snprintf(dir, sizeof dir, "%s/tests/data/zones/bad", tu_root);
	size_t n = 0;
	char **names = tu_list(dir, "", &n);
	size_t len, zlen, rlen, tried = 0;
	char *zones = data("zones.yaml", &zlen), *rules = data("clean.json", &rlen);
	for (size_t i = 0; i < n; i++) {
		if (strstr(names[i], ".expect"))
			continue;
		char *bad = tu_read(tu_path("%s/%s", dir, names[i]), &len);
		char *want = tu_read_expect(dir, names[i]);
		assert_non_null(bad);
		if (!want)
			fail_msg("%s has no .expect", names[i]);
		int is_zones = strstr(names[i], ".yaml") != NULL;
		json_t *res = NULL;
		mmr_error err;
		int rc = mmr_zones_check(pol, names[i], is_zones ? bad : zones,
					 is_zones ? len : zlen, names[i], is_zones ? rules : bad,
					 is_zones ? rlen : len, NULL, 0, &res, NULL, &err);
		if (rc == MMR_OK)
			fail_msg("%s was accepted", names[i]);
		assert_null(res);
		if (strncmp(err.message, want, strlen(want)))
			fail_msg("%s: message \"%s\" does not start with \"%s\"", names[i],
				 err.message, want);
		tried++;
		free(bad);
		free(want);
	}
	assert_true(tried >= 10);
	free(zones);
	free(rules);
	tu_free_list(names);
	mmr_policy_free(pol);
}

/* Probe verdicts of an inline ruleset: each probe "SRC,DST,PROTO/PORT" with
 * the verdict expected ("accept" / "drop"). */
static void probe_all(const char *rules, const char *const *probes, const char *const *want,
		      size_t n)
{
	mmr_policy *pol = load_profile("toyohashi");
	size_t zlen;
	char *zones = data("zones.yaml", &zlen);
	mmr_error err;
	json_t *res = run(pol, zones, zlen, rules, strlen(rules), probes, n, NULL, &err);
	if (!res)
		fail_msg("%s", err.message);
	const json_t *pr = json_object_get(res, "probes");
	assert_int_equal(json_array_size(pr), n);
	for (size_t i = 0; i < n; i++) {
		const char *got =
			json_string_value(json_object_get(json_array_get(pr, i), "verdict"));
		if (strcmp(got, want[i]))
			fail_msg("probe %s: %s, expected %s", probes[i], got, want[i]);
	}
	json_decref(res);
	free(zones);
	mmr_policy_free(pol);
}

static void test_iptables_semantics(void **state)
{
	(void)state;
	/* raw PREROUTING drops before filter; jump/return; goto leaves the
	 * caller; negation; multiport; iprange; interface wildcard; policy */
	const char *rules = "*raw\n"
			    ":PREROUTING ACCEPT [0:0]\n"
			    "-A PREROUTING -s 10.20.9.9/32 -j DROP\n"
			    "COMMIT\n"
			    "*filter\n"
			    ":FORWARD DROP [0:0]\n"
			    ":sub - [0:0]\n"
			    ":gone - [0:0]\n"
			    "-A FORWARD -i lg+ -j sub\n"
			    "-A FORWARD -s 10.20.0.0/16 -p tcp -m tcp --dport 22 -j ACCEPT\n"
			    "-A FORWARD -s 10.30.0.0/16 -g gone\n"
			    "-A FORWARD -s 10.30.0.0/16 -j ACCEPT\n"
			    "-A FORWARD -m iprange --src-range 10.10.0.5-10.10.0.9 -j ACCEPT\n"
			    "-A sub ! -d 10.30.0.0/16 -j RETURN\n"
			    "-A sub -p udp -m multiport --dports 53,1000:1010 -j ACCEPT\n"
			    "-A sub -p tcp -m tcp --dport 22 -j DROP\n"
			    "-A gone -p tcp -m tcp --dport 80 -j ACCEPT\n"
			    "COMMIT\n";
	const char *probes[] = {
		"10.20.0.5,10.30.0.5,udp/53",	/* sub: multiport */
		"10.20.0.5,10.30.0.5,udp/1005", /* sub: port range */
		"10.20.0.5,10.30.0.5,udp/999",	/* sub falls through, no rule: policy drop */
		"10.20.0.5,10.30.0.5,tcp/22",	/* dropped in sub before FORWARD's accept */
		"10.20.0.5,10.10.0.5,tcp/22",	/* returns from sub (not to internet): accepted */
		"10.20.9.9,10.10.0.5,tcp/22",	/* dropped in raw PREROUTING */
		"10.30.0.5,10.20.0.5,tcp/80",	/* goto gone: accepted there */
		"10.30.0.5,10.20.0.5,tcp/81",	/* goto gone: falls off → FORWARD policy drop */
		"10.10.0.7,10.20.0.5,tcp/1",	/* iprange */
		"10.10.0.4,10.20.0.5,tcp/1",	/* outside the range */
	};
	const char *want[] = {"accept", "accept", "drop", "drop",   "accept",
			      "drop",	"accept", "drop", "accept", "drop"};
	probe_all(rules, probes, want, sizeof probes / sizeof probes[0]);
}

static void test_nft_semantics(void **state)
{
	(void)state;
	/* two base chains: the one at priority -10 accepts tcp/443 but the later
	 * one (priority 10) still drops what it does not accept; a named verdict
	 * map; a port range; ip6 rules never match IPv4; no-verdict rules
	 * (counter) go on */
	const char *rules =
		"{\"nftables\": ["
		"{\"table\": {\"family\": \"inet\", \"name\": \"t\"}},"
		"{\"map\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"m\", \"type\": "
		"\"inet_service\", \"map\": \"verdict\", \"elem\": [[8080, {\"accept\": null}], "
		"[{\"range\": "
		"[9000, 9010]}, {\"jump\": {\"target\": \"c\"}}]]}},"
		"{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"early\", "
		"\"type\": "
		"\"filter\", \"hook\": \"forward\", \"prio\": -10, \"policy\": \"accept\"}},"
		"{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"late\", "
		"\"type\": "
		"\"filter\", \"hook\": \"forward\", \"prio\": 10, \"policy\": \"drop\"}},"
		"{\"chain\": {\"family\": \"inet\", \"table\": \"t\", \"name\": \"c\"}},"
		"{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"early\", "
		"\"handle\": 5, "
		"\"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": "
		"\"tcp\", "
		"\"field\": \"dport\"}}, \"right\": 443}}, {\"accept\": null}]}},"
		"{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"late\", "
		"\"handle\": 6, "
		"\"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": "
		"\"ip6\", "
		"\"field\": \"saddr\"}}, \"right\": \"::1\"}}, {\"accept\": null}]}},"
		"{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"late\", "
		"\"handle\": 7, "
		"\"expr\": [{\"counter\": {\"packets\": 0, \"bytes\": 0}}]}},"
		"{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"late\", "
		"\"handle\": 8, "
		"\"expr\": [{\"vmap\": {\"key\": {\"payload\": {\"protocol\": \"tcp\", \"field\": "
		"\"dport\"}}, \"data\": \"@m\"}}]}},"
		"{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"late\", "
		"\"handle\": 9, "
		"\"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": "
		"\"ip\", "
		"\"field\": \"saddr\"}}, \"right\": {\"range\": [\"10.20.0.1\", \"10.20.0.9\"]}}}, "
		"{\"accept\": null}]}},"
		"{\"rule\": {\"family\": \"inet\", \"table\": \"t\", \"chain\": \"c\", \"handle\": "
		"10, "
		"\"expr\": [{\"match\": {\"op\": \"!=\", \"left\": {\"payload\": {\"protocol\": "
		"\"tcp\", "
		"\"field\": \"dport\"}}, \"right\": 9005}}, {\"accept\": null}]}}"
		"]}";
	const char *probes[] = {
		"10.20.0.50,10.30.0.5,tcp/443",	 /* accepted early, dropped late */
		"10.20.0.50,10.30.0.5,tcp/8080", /* map: accept */
		"10.20.0.50,10.30.0.5,tcp/9001", /* map: jump c, accepted */
		"10.20.0.50,10.30.0.5,tcp/9005", /* jump c, returns, policy drop */
		"10.20.0.5,10.30.0.5,tcp/9005",	 /* returns, then the address range */
		"10.20.0.50,10.30.0.5,udp/8080", /* the map's key is tcp dport */
	};
	const char *want[] = {"drop", "accept", "accept", "drop", "accept", "drop"};
	probe_all(rules, probes, want, sizeof probes / sizeof probes[0]);
}

/* Conditions the model cannot see (a mark, TCP flags) lean towards
 * "allowed": an accepting rule is taken to match and is counted and marked
 * approximate; a dropping one is taken not to match. */
static void test_approximate_rules(void **state)
{
	(void)state;
	const char *rules =
		"*filter\n"
		":FORWARD DROP [0:0]\n"
		"-A FORWARD -s 10.20.0.0/16 -m mark --mark 0x1 -j DROP\n"
		"-A FORWARD -s 10.20.0.0/16 -d 10.30.0.0/16 -m mark --mark 0x2 -j ACCEPT\n"
		"-A FORWARD -s 10.10.0.0/16 -p tcp -m tcp --tcp-flags SYN,RST SYN -j ACCEPT\n"
		"COMMIT\n";
	mmr_policy *pol = load_profile("toyohashi");
	size_t zlen;
	char *zones = data("zones.yaml", &zlen);
	mmr_error err;
	json_t *res = run(pol, zones, zlen, rules, strlen(rules), NULL, 0, NULL, &err);
	if (!res)
		fail_msg("%s", err.message);
	/* the dropping rule is left out, the two accepting ones kept */
	assert_int_equal(json_integer_value(json_object_get(json_object_get(res, "ruleset"),
							    "approximate_rules")),
			 2);
	assert_true(find_flow(res, "violations", "lgwan", "internet", "tcp", NULL, NULL));
	assert_true(find_flow(res, "violations", "mynumber", "lgwan", "tcp", NULL, NULL));
	const json_t *v = json_array_get(json_object_get(res, "violations"), 0);
	assert_true(json_is_true(json_object_get(json_object_get(v, "rule"), "approximate")));
	json_decref(res);
	free(zones);
	mmr_policy_free(pol);
}

/* The same ruleset judged under other profiles: the clauses are each
 * profile's own, and a profile that forbids all My Number traffic turns the
 * peer flow into a violation. */
static void test_profiles_cite_their_clauses(void **state)
{
	(void)state;
	size_t zlen, rlen;
	char *zones = data("zones.yaml", &zlen), *rules = data("stray_accept.json", &rlen);
	mmr_policy *pol = load_profile("tsuruoka");
	mmr_error err;
	json_t *res = run(pol, zones, zlen, rules, rlen, NULL, 0, NULL, &err);
	assert_non_null(res);
	assert_true(
		find_flow(res, "violations", "lgwan", "internet", "tcp/80", "clause", "第2条(12)"));
	assert_true(find_flow(res, "violations", "mynumber", "中間サーバー", "tcp/443", "clause",
			      "第6条(3)ア"));
	json_decref(res);
	mmr_policy_free(pol);
	free(zones);
	free(rules);
}

static void test_svg(void **state)
{
	(void)state;
	mmr_policy *pol = load_profile("toyohashi");
	size_t zlen, rlen;
	char *zones = data("zones.yaml", &zlen), *rules = data("stray_accept.iptables", &rlen);
	mmr_error err;
	char *svg = NULL;
	json_t *res = run(pol, zones, zlen, rules, rlen, NULL, 0, &svg, &err);
	assert_non_null(res);
	assert_non_null(svg);
	assert_non_null(strstr(svg, "<svg"));
	assert_non_null(strstr(svg, "class=\"flow violations\""));
	assert_non_null(strstr(svg, "class=\"flow relayed\""));
	assert_non_null(strstr(svg, "mail-textize"));
	assert_null(strstr(svg, "<script"));
	free(svg);
	json_decref(res);
	/* the clean design has no red arrow */
	free(rules);
	rules = data("clean.iptables", &rlen);
	res = run(pol, zones, zlen, rules, rlen, NULL, 0, &svg, &err);
	assert_non_null(res);
	assert_null(strstr(svg, "class=\"flow violations\""));
	free(svg);
	json_decref(res);
	/* names are escaped */
	const char *evil = "segments:\n"
			   "  mynumber: {subnets: [10.10.0.0/16]}\n"
			   "  lgwan: {subnets: [10.20.0.0/16]}\n"
			   "  internet: {subnets: [10.30.0.0/16]}\n"
			   "peers:\n"
			   "  - {name: \"<b>&x\", address: 192.0.2.1, ports: [tcp/1]}\n";
	res = run(pol, evil, strlen(evil), rules, rlen, NULL, 0, &svg, &err);
	assert_non_null(res);
	assert_null(strstr(svg, "<b>"));
	assert_non_null(strstr(svg, "&lt;b&gt;&amp;x"));
	free(svg);
	json_decref(res);
	free(zones);
	free(rules);
	mmr_policy_free(pol);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		tu_root = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_cases),
		cmocka_unit_test(test_bad_inputs),
		cmocka_unit_test(test_iptables_semantics),
		cmocka_unit_test(test_nft_semantics),
		cmocka_unit_test(test_approximate_rules),
		cmocka_unit_test(test_profiles_cite_their_clauses),
		cmocka_unit_test(test_svg),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
