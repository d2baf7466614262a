/*
 * bench_zones.c — figures for the three-layer check, as `name: value unit`.
 *
 *   bench_zones ROOT [MAMORI]
 *
 * A 10,000-rule ruleset is generated in memory, once as nftables JSON and
 * once as iptables-save: a forward chain (policy drop, established accept)
 * jumping into one chain per source segment, and in them host-to-host rules
 * across the segments (relay flows, drops, stray accepts, intra-segment
 * traffic), port ranges and a named set, so that the evaluation must split
 * the segments' address space many times. The whole check (read ZONES.yaml
 * and the ruleset, evaluate every segment pair, ask the profile, build the
 * JSON result) runs 5 times on each under policy/toyohashi.yaml; the best run
 * is reported:
 *
 * zones.rules_per_s            nftables JSON
 * zones.iptables.rules_per_s   iptables-save
 * zones.check_10k_ms           the nftables check, milliseconds (wall clock)
 * zones.check_10k_cpu_ms       the same in CPU time (steadier on a busy machine)
 * zones.iptables.check_10k_cpu_ms
 * zones.rules_per_s.goal_ratio against issue 9's goal: 10,000 rules in well
 *                              under a second (goal 10,000 rules/s)
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <jansson.h>

#include "mamori.h"
#include "zones/zones.h"

#define RULES 10000
#define RUNS 5
#define GOAL_RULES_PER_S 10000.0

static double clock_s(clockid_t id)
{
	struct timespec ts;
	clock_gettime(id, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct buf {
	char *s;
	size_t n, cap;
};

static void put(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct buf *b, const char *fmt, ...)
{
	char tmp[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (b->n + (size_t)n + 1 > b->cap) {
		b->cap = (b->cap + (size_t)n + 1) * 2;
		b->s = realloc(b->s, b->cap);
		if (!b->s)
			abort();
	}
	memcpy(b->s + b->n, tmp, (size_t)n + 1);
	b->n += (size_t)n;
}

static unsigned long rnd_state = 12345;
static unsigned rnd(unsigned n)
{
	rnd_state = rnd_state * 6364136223846793005UL + 1442695040888963407UL;
	return (unsigned)((rnd_state >> 33) % n);
}

/* One generated rule: source and destination (second and third octets
 * chosen per kind), port, verdict. */
struct grule {
	int chain; /* 0 mynumber, 1 lgwan, 2 internet */
	char src[32], dst[32];
	int port_lo, port_hi;
	int accept;
};

static void generate(struct grule *r, size_t n)
{
	static const int seg_octet[] = {10, 20, 30};
	for (size_t i = 0; i < n; i++) {
		struct grule *g = &r[i];
		unsigned kind = rnd(10);
		g->chain = (int)rnd(3);
		int so = seg_octet[g->chain];
		snprintf(g->src, sizeof g->src, "10.%d.%u.%u", so, rnd(250), 1 + rnd(250));
		g->port_lo = g->port_hi = 1 + (int)rnd(10000);
		g->accept = 1;
		if (kind < 5) {
			/* within the own segment */
			snprintf(g->dst, sizeof g->dst, "10.%d.%u.0/24", so, rnd(250));
		} else if (kind < 7) {
			/* to another segment: dropped */
			snprintf(g->dst, sizeof g->dst, "10.%d.%u.%u",
				 seg_octet[(g->chain + 1) % 3], rnd(250), 1 + rnd(250));
			g->accept = 0;
		} else if (kind < 9) {
			/* LGWAN hosts to the screen relay, or the mail relay to LGWAN */
			if (g->chain == 2) {
				snprintf(g->src, sizeof g->src, "10.30.1.25");
				snprintf(g->dst, sizeof g->dst, "10.20.%u.%u", rnd(250),
					 1 + rnd(250));
				g->port_lo = g->port_hi = 25;
			} else {
				snprintf(g->src, sizeof g->src, "10.20.%u.%u", rnd(250),
					 1 + rnd(250));
				snprintf(g->dst, sizeof g->dst, "10.30.1.26");
				g->port_lo = g->port_hi = 3389;
				g->chain = 1;
			}
		} else {
			/* a port range to the outside world */
			snprintf(g->dst, sizeof g->dst, "198.51.%u.0/24", rnd(250));
			g->port_hi = g->port_lo + (int)rnd(100);
		}
	}
}

static const char *chain_name[] = {"from_mynumber", "from_lgwan", "from_internet"};

static char *as_nft(const struct grule *r, size_t n, size_t *len)
{
	struct buf b = {0};
	put(&b, "{\"nftables\": [{\"table\": {\"family\": \"inet\", \"name\": \"fw\", \"handle\": "
		"1}},");
	put(&b,
	    "{\"set\": {\"family\": \"inet\", \"table\": \"fw\", \"name\": \"admins\", \"type\": "
	    "\"ipv4_addr\", \"flags\": [\"interval\"], \"elem\": [{\"prefix\": {\"addr\": "
	    "\"10.20.250.0\", \"len\": 24}}, \"10.20.251.7\"]}},");
	put(&b,
	    "{\"chain\": {\"family\": \"inet\", \"table\": \"fw\", \"name\": \"forward\", "
	    "\"handle\": 2, \"type\": \"filter\", \"hook\": \"forward\", \"prio\": 0, \"policy\": "
	    "\"drop\"}},");
	for (int c = 0; c < 3; c++)
		put(&b,
		    "{\"chain\": {\"family\": \"inet\", \"table\": \"fw\", \"name\": \"%s\", "
		    "\"handle\": %d}},",
		    chain_name[c], 3 + c);
	long h = 10;
	put(&b,
	    "{\"rule\": {\"family\": \"inet\", \"table\": \"fw\", \"chain\": \"forward\", "
	    "\"handle\": %ld, \"expr\": [{\"match\": {\"op\": \"in\", \"left\": {\"ct\": {\"key\": "
	    "\"state\"}}, \"right\": [\"established\", \"related\"]}}, {\"accept\": null}]}},",
	    h++);
	put(&b,
	    "{\"rule\": {\"family\": \"inet\", \"table\": \"fw\", \"chain\": \"forward\", "
	    "\"handle\": %ld, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": {\"payload\": "
	    "{\"protocol\": \"ip\", \"field\": \"saddr\"}}, \"right\": \"@admins\"}}, {\"match\": "
	    "{\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"tcp\", \"field\": "
	    "\"dport\"}}, \"right\": 22}}, {\"accept\": null}]}},",
	    h++);
	static const char *seg_net[] = {"10.10.0.0", "10.20.0.0", "10.30.0.0"};
	for (int c = 0; c < 3; c++)
		put(&b,
		    "{\"rule\": {\"family\": \"inet\", \"table\": \"fw\", \"chain\": \"forward\", "
		    "\"handle\": %ld, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": "
		    "{\"payload\": "
		    "{\"protocol\": \"ip\", \"field\": \"saddr\"}}, \"right\": {\"prefix\": "
		    "{\"addr\": "
		    "\"%s\", \"len\": 16}}}}, {\"jump\": {\"target\": \"%s\"}}]}},",
		    h++, seg_net[c], chain_name[c]);
	for (size_t i = 0; i < n; i++) {
		const struct grule *g = &r[i];
		char port[64];
		if (g->port_lo == g->port_hi)
			snprintf(port, sizeof port, "%d", g->port_lo);
		else
			snprintf(port, sizeof port, "{\"range\": [%d, %d]}", g->port_lo,
				 g->port_hi);
		const char *slash = strchr(g->dst, '/');
		char dst[96];
		if (slash)
			snprintf(dst, sizeof dst, "{\"prefix\": {\"addr\": \"%.*s\", \"len\": %s}}",
				 (int)(slash - g->dst), g->dst, slash + 1);
		else
			snprintf(dst, sizeof dst, "\"%s\"", g->dst);
		put(&b,
		    "{\"rule\": {\"family\": \"inet\", \"table\": \"fw\", \"chain\": \"%s\", "
		    "\"handle\": %ld, \"expr\": [{\"match\": {\"op\": \"==\", \"left\": "
		    "{\"payload\": "
		    "{\"protocol\": \"ip\", \"field\": \"saddr\"}}, \"right\": \"%s\"}}, "
		    "{\"match\": "
		    "{\"op\": \"==\", \"left\": {\"payload\": {\"protocol\": \"ip\", \"field\": "
		    "\"daddr\"}}, \"right\": %s}}, {\"match\": {\"op\": \"==\", \"left\": "
		    "{\"payload\": "
		    "{\"protocol\": \"tcp\", \"field\": \"dport\"}}, \"right\": %s}}, "
		    "{\"counter\": "
		    "{\"packets\": 0, \"bytes\": 0}}, {\"%s\": null}]}}%s",
		    chain_name[g->chain], h++, g->src, dst, port, g->accept ? "accept" : "drop",
		    i + 1 < n ? "," : "");
	}
	put(&b, "]}");
	*len = b.n;
	return b.s;
}

static char *as_iptables(const struct grule *r, size_t n, size_t *len)
{
	struct buf b = {0};
	put(&b, "*filter\n:INPUT ACCEPT [0:0]\n:FORWARD DROP [0:0]\n:OUTPUT ACCEPT [0:0]\n");
	for (int c = 0; c < 3; c++)
		put(&b, ":%s - [0:0]\n", chain_name[c]);
	put(&b, "-A FORWARD -m conntrack --ctstate RELATED,ESTABLISHED -j ACCEPT\n");
	put(&b, "-A FORWARD -s 10.20.250.0/24 -p tcp -m tcp --dport 22 -j ACCEPT\n");
	put(&b, "-A FORWARD -s 10.20.251.7/32 -p tcp -m tcp --dport 22 -j ACCEPT\n");
	put(&b, "-A FORWARD -s 10.10.0.0/16 -j from_mynumber\n");
	put(&b, "-A FORWARD -s 10.20.0.0/16 -j from_lgwan\n");
	put(&b, "-A FORWARD -s 10.30.0.0/16 -j from_internet\n");
	for (size_t i = 0; i < n; i++) {
		const struct grule *g = &r[i];
		char port[32];
		if (g->port_lo == g->port_hi)
			snprintf(port, sizeof port, "%d", g->port_lo);
		else
			snprintf(port, sizeof port, "%d:%d", g->port_lo, g->port_hi);
		put(&b, "-A %s -s %s -d %s -p tcp -m tcp --dport %s -j %s\n", chain_name[g->chain],
		    g->src, g->dst, port, g->accept ? "ACCEPT" : "DROP");
	}
	put(&b, "COMMIT\n");
	*len = b.n;
	return b.s;
}

static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *s = malloc((size_t)n + 1);
	if (s && fread(s, 1, (size_t)n, f) != (size_t)n) {
		free(s);
		s = NULL;
	}
	fclose(f);
	if (s) {
		s[n] = 0;
		*len = (size_t)n;
	}
	return s;
}

/* Best wall-clock time of RUNS checks (and the best CPU time into *cpu);
 * -1 on failure. */
static double best_check(const mmr_policy *pol, const char *zones, size_t zlen, const char *rules,
			 size_t rlen, size_t *violations, double *cpu)
{
	double best = -1;
	*cpu = -1;
	for (int run = 0; run < RUNS; run++) {
		json_t *res = NULL;
		mmr_error err;
		double t0 = clock_s(CLOCK_MONOTONIC), c0 = clock_s(CLOCK_PROCESS_CPUTIME_ID);
		int rc = mmr_zones_check(pol, "zones.yaml", zones, zlen, "bench", rules, rlen, NULL,
					 0, &res, NULL, &err);
		double t = clock_s(CLOCK_MONOTONIC) - t0,
		       c = clock_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
		if (*cpu < 0 || c < *cpu)
			*cpu = c;
		if (rc != MMR_OK) {
			fprintf(stderr, "bench_zones: %s\n", err.message);
			return -1;
		}
		*violations = json_array_size(json_object_get(res, "violations"));
		json_decref(res);
		if (best < 0 || t < best)
			best = t;
	}
	return best;
}

int main(int argc, char **argv)
{
	const char *root = argc > 1 ? argv[1] : ".";
	char path[4096];
	mmr_policy *pol = NULL;
	mmr_error err;
	snprintf(path, sizeof path, "%s/policy/toyohashi.yaml", root);
	if (mmr_policy_load(path, &pol, &err) != MMR_OK) {
		fprintf(stderr, "bench_zones: %s\n", err.message);
		return 1;
	}
	size_t zlen, nlen, ilen, v1 = 0, v2 = 0;
	snprintf(path, sizeof path, "%s/tests/data/zones/zones.yaml", root);
	char *zones = read_file(path, &zlen);
	struct grule *r = calloc(RULES, sizeof *r);
	if (!zones || !r)
		return 1;
	generate(r, RULES);
	char *nft = as_nft(r, RULES, &nlen), *ipt = as_iptables(r, RULES, &ilen);
	double cn, ci;
	double tn = best_check(pol, zones, zlen, nft, nlen, &v1, &cn);
	double ti = best_check(pol, zones, zlen, ipt, ilen, &v2, &ci);
	if (tn <= 0 || ti <= 0 || v1 == 0 || v2 == 0)
		return 1;
	printf("zones.rules_per_s: %.0f rules/s\n", RULES / tn);
	printf("zones.rules_per_s.goal_ratio: %.2f (goal %.0f rules/s: 10,000 rules in under 1 "
	       "s)\n",
	       RULES / tn / GOAL_RULES_PER_S, GOAL_RULES_PER_S);
	printf("zones.check_10k_ms: %.1f ms\n", tn * 1000);
	printf("zones.check_10k_cpu_ms: %.1f ms\n", cn * 1000);
	printf("zones.iptables.rules_per_s: %.0f rules/s\n", RULES / ti);
	printf("zones.iptables.check_10k_cpu_ms: %.1f ms\n", ci * 1000);
	printf("zones.violation_groups_10k: %zu groups\n", v1);
	free(nft);
	free(ipt);
	free(r);
	free(zones);
	mmr_policy_free(pol);
	return 0;
}
