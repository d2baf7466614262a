/*
 * zones_rules.c — interval sets and the ruleset model shared by the nftables
 * and iptables-save readers.
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "zones/zones_int.h"

uint32_t zdim_max(int dim)
{
	switch (dim) {
	case ZD_SADDR:
	case ZD_DADDR: return UINT32_MAX;
	case ZD_PROTO: return 255;
	case ZD_SPORT:
	case ZD_DPORT: return 65535;
	case ZD_CT: return ZCT_MAX;
	default: return ZIF_MAX;
	}
}

int zivs_add(mmr_arena *a, zivs *s, uint32_t lo, uint32_t hi)
{
	ziv *v = mmr_arena_grow(a, s->v, s->n, s->n + 1, sizeof *v);
	if (!v)
		return MMR_ENOMEM;
	v[s->n].lo = lo < hi ? lo : hi;
	v[s->n].hi = lo < hi ? hi : lo;
	s->v = v;
	s->n++;
	return MMR_OK;
}

static int ziv_cmp(const void *pa, const void *pb)
{
	const ziv *a = pa, *b = pb;
	return a->lo < b->lo ? -1 : a->lo > b->lo ? 1 : 0;
}

/* Sort and merge overlapping or adjacent intervals in place. */
void zivs_normalize(zivs *s)
{
	if (s->n < 2)
		return;
	qsort(s->v, s->n, sizeof *s->v, ziv_cmp);
	size_t w = 0;
	for (size_t i = 1; i < s->n; i++) {
		if (s->v[w].hi == UINT32_MAX || s->v[i].lo <= s->v[w].hi + 1) {
			if (s->v[i].hi > s->v[w].hi)
				s->v[w].hi = s->v[i].hi;
		} else {
			s->v[++w] = s->v[i];
		}
	}
	s->n = w + 1;
}

/* out = [0, max] minus s (s normalized). An empty result is stored as one
 * impossible interval so that "matched but empty" stays distinct from "not
 * matched": callers check zivs_empty. */
int zivs_complement(mmr_arena *a, const zivs *s, uint32_t max, zivs *out)
{
	zivs r = {0};
	uint64_t next = 0;
	for (size_t i = 0; i < s->n; i++) {
		if (s->v[i].lo > next && zivs_add(a, &r, (uint32_t)next, s->v[i].lo - 1))
			return MMR_ENOMEM;
		next = (uint64_t)s->v[i].hi + 1;
	}
	if (next <= max && zivs_add(a, &r, (uint32_t)next, max))
		return MMR_ENOMEM;
	*out = r;
	return MMR_OK;
}

int zones_parse_addr(const char *s, ziv *out)
{
	char buf[64];
	size_t n = strlen(s);
	if (n == 0 || n >= sizeof buf)
		return MMR_EINVAL;
	memcpy(buf, s, n + 1);
	char *dash = strchr(buf, '-'), *slash = strchr(buf, '/');
	struct in_addr a, b;
	if (dash) {
		*dash = 0;
		if (inet_pton(AF_INET, buf, &a) != 1 || inet_pton(AF_INET, dash + 1, &b) != 1)
			return MMR_EINVAL;
		uint32_t lo = ntohl(a.s_addr), hi = ntohl(b.s_addr);
		if (lo > hi)
			return MMR_EINVAL;
		out->lo = lo;
		out->hi = hi;
		return MMR_OK;
	}
	long len = 32;
	if (slash) {
		*slash = 0;
		char *end;
		len = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || len < 0 || len > 32)
			return MMR_EINVAL;
	}
	if (inet_pton(AF_INET, buf, &a) != 1)
		return MMR_EINVAL;
	uint32_t ip = ntohl(a.s_addr);
	uint32_t mask = len == 0 ? 0 : UINT32_MAX << (32 - len);
	out->lo = ip & mask;
	out->hi = (ip & mask) | ~mask;
	return MMR_OK;
}

int zones_parse_proto(const char *s)
{
	static const struct {
		const char *name;
		int num;
	} names[] = {{"icmp", 1},   {"igmp", 2},  {"tcp", 6},	   {"udp", 17},
		     {"gre", 47},   {"esp", 50},  {"ah", 51},	   {"icmpv6", 58},
		     {"sctp", 132}, {"dccp", 33}, {"udplite", 136}};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (strcmp(s, names[i].name) == 0)
			return names[i].num;
	char *end;
	long v = strtol(s, &end, 10);
	if (*s && !*end && v >= 0 && v <= 255)
		return (int)v;
	return -1;
}

zruleset *zrs_new(const char *format)
{
	zruleset *rs = calloc(1, sizeof *rs);
	if (!rs)
		return NULL;
	rs->arena = mmr_arena_new();
	if (!rs->arena) {
		free(rs);
		return NULL;
	}
	rs->format = format;
	rs->ifnames[0] = "*";
	rs->n_ifnames = 1;
	return rs;
}

void zrs_free(zruleset *rs)
{
	if (!rs)
		return;
	mmr_arena_free(rs->arena);
	free(rs);
}

int zrs_chain_find(const zruleset *rs, const char *family, const char *table, const char *name)
{
	for (size_t i = 0; i < rs->n_chains; i++) {
		const zchain *c = &rs->chains[i];
		if (strcmp(c->family, family) == 0 && strcmp(c->table, table) == 0 &&
		    strcmp(c->name, name) == 0)
			return (int)i;
	}
	return -1;
}

#define ZONES_MAX_CHAINS 10000
#define ZONES_MAX_RULES 1000000

int zrs_chain_add(zruleset *rs, const char *family, const char *table, const char *name, int line)
{
	int i = zrs_chain_find(rs, family, table, name);
	if (i >= 0)
		return i;
	if (rs->n_chains >= ZONES_MAX_CHAINS)
		return -1;
	if (rs->n_chains == rs->cap_chains) {
		size_t cap = rs->cap_chains ? rs->cap_chains * 2 : 16;
		zchain *c = mmr_arena_grow(rs->arena, rs->chains, rs->n_chains, cap, sizeof *c);
		if (!c)
			return -1;
		rs->chains = c;
		rs->cap_chains = cap;
	}
	zchain *c = &rs->chains[rs->n_chains];
	memset(c, 0, sizeof *c);
	c->family = mmr_arena_strdup(rs->arena, family);
	c->table = mmr_arena_strdup(rs->arena, table);
	c->name = mmr_arena_strdup(rs->arena, name);
	c->line = line;
	if (!c->family || !c->table || !c->name)
		return -1;
	return (int)rs->n_chains++;
}

zrule *zrs_rule_add(zruleset *rs, int chain)
{
	if (rs->n_rules >= ZONES_MAX_RULES || chain < 0 || (size_t)chain >= rs->n_chains)
		return NULL;
	if (rs->n_rules == rs->cap_rules) {
		size_t cap = rs->cap_rules ? rs->cap_rules * 2 : 64;
		zrule *r = mmr_arena_grow(rs->arena, rs->rules, rs->n_rules, cap, sizeof *r);
		if (!r)
			return NULL;
		rs->rules = r;
		rs->cap_rules = cap;
	}
	zchain *c = &rs->chains[chain];
	if (c->n_rules == c->cap_rules) {
		size_t cap = c->cap_rules ? c->cap_rules * 2 : 8;
		size_t *ix = mmr_arena_grow(rs->arena, c->rule_idx, c->n_rules, cap, sizeof *ix);
		if (!ix)
			return NULL;
		c->rule_idx = ix;
		c->cap_rules = cap;
	}
	c->rule_idx[c->n_rules++] = rs->n_rules;
	zrule *r = &rs->rules[rs->n_rules++];
	memset(r, 0, sizeof *r);
	r->chain = chain;
	r->handle = -1;
	r->target = -1;
	return r;
}

int zrs_ifname(zruleset *rs, const char *name)
{
	for (size_t i = 1; i < rs->n_ifnames; i++)
		if (strcmp(rs->ifnames[i], name) == 0)
			return (int)i;
	if (rs->n_ifnames > ZIF_MAX)
		return -1;
	rs->ifnames[rs->n_ifnames] = mmr_arena_strdup(rs->arena, name);
	if (!rs->ifnames[rs->n_ifnames])
		return -1;
	return (int)rs->n_ifnames++;
}

/* The indices a name or "prefix*" pattern covers. A plain name is added to
 * the table; a wildcard covers the names known when the check runs (the
 * zones file's interfaces are registered before the ruleset is read). */
int zrs_ifname_match(mmr_arena *a, zruleset *rs, const char *pattern, zivs *out)
{
	size_t n = strlen(pattern);
	if (n && pattern[n - 1] == '*') {
		for (size_t i = 1; i < rs->n_ifnames; i++)
			if (strncmp(rs->ifnames[i], pattern, n - 1) == 0 &&
			    zivs_add(a, out, (uint32_t)i, (uint32_t)i))
				return MMR_ENOMEM;
		return MMR_OK;
	}
	int i = zrs_ifname(rs, pattern);
	if (i < 0)
		return MMR_ELIMIT;
	return zivs_add(a, out, (uint32_t)i, (uint32_t)i);
}

/* Intersection of two normalized interval lists into the arena. */
static int zivs_intersect(mmr_arena *a, const zivs *x, const zivs *y, zivs *out)
{
	zivs r = {0};
	size_t i = 0, j = 0;
	while (i < x->n && j < y->n) {
		uint32_t lo = x->v[i].lo > y->v[j].lo ? x->v[i].lo : y->v[j].lo;
		uint32_t hi = x->v[i].hi < y->v[j].hi ? x->v[i].hi : y->v[j].hi;
		if (lo <= hi && zivs_add(a, &r, lo, hi))
			return MMR_ENOMEM;
		if (x->v[i].hi < y->v[j].hi)
			i++;
		else
			j++;
	}
	*out = r;
	return MMR_OK;
}

int zrule_restrict(mmr_arena *a, zrule *r, int dim, const zivs *s)
{
	zivs copy = {0};
	for (size_t i = 0; i < s->n; i++)
		if (zivs_add(a, &copy, s->v[i].lo, s->v[i].hi))
			return MMR_ENOMEM;
	zivs_normalize(&copy);
	if (!r->has[dim]) {
		r->match[dim] = copy;
		r->has[dim] = 1;
		return MMR_OK;
	}
	return zivs_intersect(a, &r->match[dim], &copy, &r->match[dim]);
}

/* Depth-first search for a jump cycle from chain c. */
static int chain_loops(const zruleset *rs, size_t c, uint8_t *state)
{
	if (state[c] == 1)
		return 1;
	if (state[c] == 2)
		return 0;
	state[c] = 1;
	const zchain *ch = &rs->chains[c];
	for (size_t k = 0; k < ch->n_rules; k++) {
		const zrule *r = &rs->rules[ch->rule_idx[k]];
		if ((r->verdict == ZV_JUMP || r->verdict == ZV_GOTO) &&
		    chain_loops(rs, (size_t)r->target, state))
			return 1;
	}
	state[c] = 2;
	return 0;
}

int zrs_finish(zruleset *rs, const char *name, mmr_error *err)
{
	for (size_t i = 0; i < rs->n_rules; i++) {
		zrule *r = &rs->rules[i];
		if ((r->verdict == ZV_JUMP || r->verdict == ZV_GOTO) && r->target < 0) {
			/* the readers refuse unknown targets; kept as a guard */
			mmr_error_set(
				err, MMR_EINVAL,
				"%s:%d: ジャンプ先のチェインがありません (jump target missing)",
				name, r->line);
			return MMR_EINVAL;
		}
	}
	uint8_t *state = calloc(rs->n_chains ? rs->n_chains : 1, 1);
	if (!state)
		return MMR_ENOMEM;
	for (size_t c = 0; c < rs->n_chains; c++) {
		if (chain_loops(rs, c, state)) {
			free(state);
			if (!strcmp(rs->format, "iptables-save"))
				mmr_error_set(err, MMR_EINVAL,
					      "%s:%d: チェイン %s からのジャンプが循環しています "
					      "(jump loop)",
					      name, rs->chains[c].line, rs->chains[c].name);
			else
				mmr_error_set(err, MMR_EINVAL,
					      "%s: nftables[%d].chain: チェイン %s "
					      "からのジャンプが循環しています (jump loop)",
					      name, rs->chains[c].line - 1, rs->chains[c].name);
			return MMR_EINVAL;
		}
	}
	free(state);
	return MMR_OK;
}

int zones_read_ruleset(const char *name, const char *buf, size_t len, const char *const *ifnames,
		       size_t n_ifnames, zruleset **out, mmr_error *err)
{
	*out = NULL;
	size_t i = 0;
	while (i < len && (buf[i] == ' ' || buf[i] == '\t' || buf[i] == '\r' || buf[i] == '\n'))
		i++;
	int json = i < len && buf[i] == '{';
	zruleset *rs = zrs_new(json ? "nftables-json" : "iptables-save");
	if (!rs) {
		mmr_error_set(err, MMR_ENOMEM, "out of memory");
		return MMR_ENOMEM;
	}
	for (size_t k = 0; k < n_ifnames; k++) {
		if (zrs_ifname(rs, ifnames[k]) < 0) {
			zrs_free(rs);
			mmr_error_set(err, MMR_ELIMIT,
				      "インターフェイスが多すぎます (too many interfaces)");
			return MMR_ELIMIT;
		}
	}
	int rc = json ? zones_read_nft_json(rs, name, buf, len, err)
		      : zones_read_iptables_save(rs, name, buf, len, err);
	if (rc == MMR_OK)
		rc = zrs_finish(rs, name, err);
	if (rc != MMR_OK) {
		zrs_free(rs);
		return rc;
	}
	*out = rs;
	return MMR_OK;
}
