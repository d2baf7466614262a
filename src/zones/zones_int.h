/*
 * zones_int.h — the model inside the three-layer check (issue 9).
 *
 * A firewall ruleset (nftables JSON or iptables-save) is read into one model:
 * base chains at a netfilter hook with a priority and a policy, regular
 * chains, and rules whose match is a product of interval sets over eight
 * packet dimensions. Sets and verdict maps are resolved while reading, so the
 * evaluator sees only intervals and verdicts. Everything lives in one arena
 * owned by the ruleset.
 */
#ifndef MMR_ZONES_INT_H
#define MMR_ZONES_INT_H

#include <stddef.h>
#include <stdint.h>

#include "mamori.h"
#include "core/arena.h"

/* The packet dimensions the check reasons about (IPv4 only). */
enum zdim { ZD_SADDR, ZD_DADDR, ZD_PROTO, ZD_SPORT, ZD_DPORT, ZD_CT, ZD_IIF, ZD_OIF, ZD_N };

/* Connection-tracking states as values of ZD_CT. */
enum zct { ZCT_NEW, ZCT_ESTABLISHED, ZCT_RELATED, ZCT_INVALID, ZCT_UNTRACKED, ZCT_MAX = 4 };

/* Interface index 0 is "any interface not named anywhere". */
#define ZIF_MAX 255

typedef struct ziv {
	uint32_t lo, hi;
} ziv;

/* A sorted, disjoint, merged list of closed intervals. */
typedef struct zivs {
	size_t n;
	ziv *v;
} zivs;

enum zverdict {
	ZV_NONE,   /* no verdict: go on with the next rule (counter, log, …) */
	ZV_ACCEPT, /* accept in this base chain; later base chains still see it */
	ZV_DROP,   /* drop or reject: final */
	ZV_JUMP,   /* evaluate `target`; what falls off its end comes back */
	ZV_GOTO,   /* evaluate `target`; what falls off its end ends this chain */
	ZV_RETURN  /* back to the caller (or the base chain's policy) */
};

typedef struct zrule {
	zivs match[ZD_N]; /* n == 0 on a dimension: that dimension is not matched */
	uint8_t has[ZD_N];
	int verdict;
	int target;	  /* chain index for JUMP / GOTO */
	int approx;	  /* the rule held a condition the check cannot see */
	int chain;	  /* owning chain index */
	long handle;	  /* nftables handle, or -1 */
	int line;	  /* iptables-save line, or JSON rule index + 1 */
	const char *text; /* short human description */
} zrule;

enum zhook { ZH_NONE, ZH_PREROUTING, ZH_FORWARD };

typedef struct zchain {
	const char *family, *table, *name;
	int hook; /* ZH_*: ZH_NONE for regular chains and hooks the check ignores */
	int prio;
	int policy_drop;
	int line;
	size_t first_rule, n_rules; /* rules in order: rules[first_rule ..] via rule_idx */
	size_t *rule_idx;
	size_t cap_rules;
} zchain;

typedef struct zruleset {
	mmr_arena *arena;
	const char *format; /* "nftables-json" or "iptables-save" */
	zchain *chains;
	size_t n_chains, cap_chains;
	zrule *rules;
	size_t n_rules, cap_rules;
	const char *ifnames[ZIF_MAX + 1]; /* index → name; [0] is "other" */
	size_t n_ifnames;
	size_t n_approx;
} zruleset;

/* ---- interval sets (zones_iv.c) ---- */
int zivs_add(mmr_arena *a, zivs *s, uint32_t lo, uint32_t hi);
void zivs_normalize(zivs *s);
int zivs_complement(mmr_arena *a, const zivs *s, uint32_t max, zivs *out);
uint32_t zdim_max(int dim);

/* ---- ruleset model (zones_rules.c) ---- */
zruleset *zrs_new(const char *format);
void zrs_free(zruleset *rs);
int zrs_chain_find(const zruleset *rs, const char *family, const char *table, const char *name);
int zrs_chain_add(zruleset *rs, const char *family, const char *table, const char *name, int line);
zrule *zrs_rule_add(zruleset *rs, int chain);
/* Index of interface `name` (added if new); a trailing '*' is a prefix
 * wildcard and yields, through zrs_ifname_match, every known index it covers. */
int zrs_ifname(zruleset *rs, const char *name);
int zrs_ifname_match(mmr_arena *a, zruleset *rs, const char *pattern, zivs *out);
/* Restrict dimension `dim` of rule r to s (intersect with what it holds). */
int zrule_restrict(mmr_arena *a, zrule *r, int dim, const zivs *s);
/* Make sure every jump target exists and chains do not loop. */
int zrs_finish(zruleset *rs, const char *name, mmr_error *err);

/* ---- readers ---- */
int zones_read_nft_json(zruleset *rs, const char *name, const char *buf, size_t len,
			mmr_error *err);
int zones_read_iptables_save(zruleset *rs, const char *name, const char *buf, size_t len,
			     mmr_error *err);
/* nftables JSON when the first non-blank byte is '{', else iptables-save.
 * `ifnames` (n_ifnames of them, may be 0) are registered first, so that
 * wildcard interface matches cover them. Free *out with zrs_free(). */
int zones_read_ruleset(const char *name, const char *buf, size_t len, const char *const *ifnames,
		       size_t n_ifnames, zruleset **out, mmr_error *err);

/* Parse "a.b.c.d", "a.b.c.d/len" or "a.b.c.d-e.f.g.h" into one interval. */
int zones_parse_addr(const char *s, ziv *out);
/* Parse a protocol name or number ("tcp", "6"). -1 if unknown. */
int zones_parse_proto(const char *s);

/* ---- evaluation (zones_eval.c) ---- */
typedef struct zcube {
	ziv d[ZD_N];
	int by; /* rule index that accepted it, or -(chain+1) for a chain policy, or INT32_MIN */
} zcube;

typedef struct zcubes {
	size_t n, cap;
	zcube *v;
} zcubes;

int zcubes_push(zcubes *c, const zcube *x);
void zcubes_free(zcubes *c);

/* Evaluate the cubes `in` through the prerouting and forward base chains;
 * append the accepted parts (with the deciding rule in `by`) to `accepted`.
 * MMR_ELIMIT when the analysis would exceed its bounds. */
int zones_eval(const zruleset *rs, const zcubes *in, zcubes *accepted, mmr_error *err);

/* Split x by the match of r: matching parts to `matched`, the rest to
 * `rest` (the verdict of r is not used). */
int zones_split(const zrule *r, const zcube *x, zcubes *matched, zcubes *rest, mmr_error *err);

#endif
