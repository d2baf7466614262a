/*
 * zones_nft.c — read `nft -j list ruleset` output into the zones model.
 *
 * Understood: tables of the ip and inet families, base chains of type filter
 * at the prerouting and forward hooks (others are kept as regular chains and
 * only reached by jumps), rules matching ip saddr/daddr/protocol, tcp/udp/
 * sctp/th ports, meta l4proto/nfproto/iifname/oifname, ct state, with ==,
 * != and in against values, prefixes, ranges, anonymous and named sets;
 * verdicts accept, drop, reject, jump, goto, return, continue and verdict
 * maps (anonymous or named) on one key. A condition the model cannot see
 * (marks, rate limits, …) makes the rule approximate: an accepting or jumping
 * rule is taken to match, a dropping one not to, so the check errs towards
 * reporting a flow as allowed. Errors name the JSON path.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "zones/zones_int.h"

struct nft_ctx {
	zruleset *rs;
	const char *name;
	json_t *items;
	mmr_error *err;
	char path[256];
};

static int fail(struct nft_ctx *c, const char *what, const json_t *v)
{
	char *dump = v ? json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
	char shown[80] = "";
	if (dump) {
		snprintf(shown, sizeof shown, ": %.60s%s", dump, strlen(dump) > 60 ? "…" : "");
		free(dump);
	}
	mmr_error_set(c->err, MMR_EINVAL, "%s: %s: %s%s", c->name, c->path, what, shown);
	return MMR_EINVAL;
}

/* Dimension of a match's left-hand side; -1 when the model has no such
 * dimension. *implied_proto is set for tcp/udp/… port fields, *ipv6 for
 * fields only IPv6 packets have. */
static int left_dim(const json_t *left, zivs *implied_proto, mmr_arena *a, int *ipv6)
{
	const json_t *p = json_object_get(left, "payload");
	if (p) {
		const char *proto = json_string_value(json_object_get(p, "protocol"));
		const char *field = json_string_value(json_object_get(p, "field"));
		if (!proto || !field)
			return -1;
		if (strcmp(proto, "ip6") == 0 || strcmp(proto, "icmpv6") == 0) {
			*ipv6 = 1;
			return -1;
		}
		if (strcmp(proto, "ip") == 0) {
			if (strcmp(field, "saddr") == 0)
				return ZD_SADDR;
			if (strcmp(field, "daddr") == 0)
				return ZD_DADDR;
			if (strcmp(field, "protocol") == 0)
				return ZD_PROTO;
			return -1;
		}
		int num = zones_parse_proto(proto);
		int is_port = strcmp(field, "sport") == 0 || strcmp(field, "dport") == 0;
		if (!is_port)
			return -1;
		if (strcmp(proto, "th") == 0) {
			static const int th[] = {6, 17, 33, 132, 136};
			for (size_t i = 0; i < 5; i++)
				zivs_add(a, implied_proto, (uint32_t)th[i], (uint32_t)th[i]);
		} else if (num == 6 || num == 17 || num == 132 || num == 33 || num == 136) {
			zivs_add(a, implied_proto, (uint32_t)num, (uint32_t)num);
		} else {
			return -1;
		}
		return field[0] == 's' ? ZD_SPORT : ZD_DPORT;
	}
	const json_t *m = json_object_get(left, "meta");
	if (m) {
		const char *key = json_string_value(json_object_get(m, "key"));
		if (!key)
			return -1;
		if (strcmp(key, "l4proto") == 0)
			return ZD_PROTO;
		if (strcmp(key, "iifname") == 0)
			return ZD_IIF;
		if (strcmp(key, "oifname") == 0)
			return ZD_OIF;
		if (strcmp(key, "nfproto") == 0 || strcmp(key, "protocol") == 0)
			return -2; /* handled by the caller: ipv4 or not */
		return -1;
	}
	const json_t *ct = json_object_get(left, "ct");
	if (ct) {
		const char *key = json_string_value(json_object_get(ct, "key"));
		if (key && strcmp(key, "state") == 0)
			return ZD_CT;
	}
	return -1;
}

static int ct_state(const char *s)
{
	static const char *names[] = {"new", "established", "related", "invalid", "untracked"};
	for (int i = 0; i <= ZCT_MAX; i++)
		if (strcmp(s, names[i]) == 0)
			return i;
	return -1;
}

/* Add the value v (a scalar, prefix, range) of dimension dim to s. */
static int add_value(struct nft_ctx *c, int dim, const json_t *v, zivs *s)
{
	mmr_arena *a = c->rs->arena;
	if (json_is_object(v) && json_object_get(v, "elem"))
		return add_value(c, dim, json_object_get(json_object_get(v, "elem"), "val"), s);
	if (json_is_object(v) && json_object_get(v, "prefix")) {
		const json_t *p = json_object_get(v, "prefix");
		const char *addr = json_string_value(json_object_get(p, "addr"));
		json_int_t len = json_integer_value(json_object_get(p, "len"));
		char buf[64];
		ziv iv;
		if (!addr || (dim != ZD_SADDR && dim != ZD_DADDR))
			return fail(c, "プレフィックスを読めません (bad prefix)", v);
		snprintf(buf, sizeof buf, "%s/%lld", addr, (long long)len);
		if (zones_parse_addr(buf, &iv))
			return fail(c, "IPv4 プレフィックスではありません (not an IPv4 prefix)", v);
		return zivs_add(a, s, iv.lo, iv.hi);
	}
	if (json_is_object(v) && json_object_get(v, "range")) {
		const json_t *r = json_object_get(v, "range");
		zivs lo = {0}, hi = {0};
		if (json_array_size(r) != 2 || add_value(c, dim, json_array_get(r, 0), &lo) ||
		    add_value(c, dim, json_array_get(r, 1), &hi) || lo.n != 1 || hi.n != 1)
			return fail(c, "範囲を読めません (bad range)", v);
		return zivs_add(a, s, lo.v[0].lo, hi.v[0].hi);
	}
	if (json_is_object(v) && json_object_get(v, "set")) {
		const json_t *e;
		size_t i;
		json_array_foreach (json_object_get(v, "set"), i, e) {
			int rc = add_value(c, dim, e, s);
			if (rc)
				return rc;
		}
		return MMR_OK;
	}
	if (json_is_array(v)) {
		const json_t *e;
		size_t i;
		json_array_foreach (v, i, e) {
			int rc = add_value(c, dim, e, s);
			if (rc)
				return rc;
		}
		return MMR_OK;
	}
	if (json_is_integer(v)) {
		json_int_t n = json_integer_value(v);
		if (n < 0 || (uint64_t)n > zdim_max(dim))
			return fail(c, "値が範囲外です (value out of range)", v);
		return zivs_add(a, s, (uint32_t)n, (uint32_t)n);
	}
	const char *str = json_string_value(v);
	if (!str)
		return fail(c, "値を読めません (unreadable value)", v);
	if (str[0] == '@') {
		/* a named set in the same table: resolved by the caller */
		return fail(c, "名前付きセットをここでは使えません (named set not allowed here)",
			    v);
	}
	ziv iv;
	int n;
	switch (dim) {
	case ZD_SADDR:
	case ZD_DADDR:
		if (zones_parse_addr(str, &iv))
			return fail(c, "IPv4 アドレスではありません (not an IPv4 address)", v);
		return zivs_add(a, s, iv.lo, iv.hi);
	case ZD_PROTO:
		n = zones_parse_proto(str);
		if (n < 0)
			return fail(c, "プロトコルを読めません (unknown protocol)", v);
		return zivs_add(a, s, (uint32_t)n, (uint32_t)n);
	case ZD_SPORT:
	case ZD_DPORT: {
		char *end;
		long p = strtol(str, &end, 10);
		if (*end || p < 0 || p > 65535)
			return fail(c, "ポート番号を読めません (bad port)", v);
		return zivs_add(a, s, (uint32_t)p, (uint32_t)p);
	}
	case ZD_CT:
		n = ct_state(str);
		if (n < 0)
			return fail(c, "接続状態を読めません (unknown ct state)", v);
		return zivs_add(a, s, (uint32_t)n, (uint32_t)n);
	default: {
		int rc = zrs_ifname_match(a, c->rs, str, s);
		return rc == MMR_ELIMIT
			       ? fail(c, "インターフェイスが多すぎます (too many interfaces)", v)
			       : rc;
	}
	}
}

/* The named set or map `name` (without '@') of table family/table. */
static const json_t *find_set(struct nft_ctx *c, const char *family, const char *table,
			      const char *name, int want_map)
{
	const json_t *it;
	size_t i;
	json_array_foreach (c->items, i, it) {
		const json_t *s = json_object_get(it, want_map ? "map" : "set");
		if (!s && !want_map)
			s = json_object_get(it, "map");
		if (!s)
			continue;
		const char *f = json_string_value(json_object_get(s, "family"));
		const char *t = json_string_value(json_object_get(s, "table"));
		const char *n = json_string_value(json_object_get(s, "name"));
		if (f && t && n && !strcmp(f, family) && !strcmp(t, table) && !strcmp(n, name))
			return s;
	}
	return NULL;
}

/* The right-hand side of a match, with named sets looked up. */
static int add_right(struct nft_ctx *c, const char *family, const char *table, int dim,
		     const json_t *right, zivs *s)
{
	const char *str = json_string_value(right);
	if (str && str[0] == '@') {
		const json_t *set = find_set(c, family, table, str + 1, 0);
		if (!set)
			return fail(c, "名前付きセットがありません (no such set)", right);
		const json_t *elem = json_object_get(set, "elem");
		return elem ? add_value(c, dim, elem, s) : MMR_OK;
	}
	return add_value(c, dim, right, s);
}

static int parse_verdict(struct nft_ctx *c, const char *family, const char *table, const json_t *v,
			 int *verdict, int *target)
{
	const char *k = json_object_iter_key(json_object_iter((json_t *)v));
	if (!k)
		return fail(c, "判定を読めません (bad verdict)", v);
	if (!strcmp(k, "accept"))
		*verdict = ZV_ACCEPT;
	else if (!strcmp(k, "drop") || !strcmp(k, "reject"))
		*verdict = ZV_DROP;
	else if (!strcmp(k, "return"))
		*verdict = ZV_RETURN;
	else if (!strcmp(k, "continue"))
		*verdict = ZV_NONE;
	else if (!strcmp(k, "jump") || !strcmp(k, "goto")) {
		const char *t = json_string_value(json_object_get(json_object_get(v, k), "target"));
		if (!t)
			return fail(c, "ジャンプ先がありません (jump without target)", v);
		*verdict = k[0] == 'j' ? ZV_JUMP : ZV_GOTO;
		*target = zrs_chain_find(c->rs, family, table, t);
		if (*target < 0)
			return fail(c, "ジャンプ先のチェインがありません (no such chain)", v);
	} else
		return -1; /* not a verdict */
	return MMR_OK;
}

#define NFT_MAX_EXPR 256

static int read_rule(struct nft_ctx *c, const json_t *rule, int index)
{
	const char *family = json_string_value(json_object_get(rule, "family"));
	const char *table = json_string_value(json_object_get(rule, "table"));
	const char *chain = json_string_value(json_object_get(rule, "chain"));
	const json_t *expr = json_object_get(rule, "expr");
	if (!family || !table || !chain || !json_is_array(expr))
		return fail(c, "family, table, chain, expr が必要です (required)", NULL);
	if (strcmp(family, "ip") && strcmp(family, "inet"))
		return MMR_OK;
	int ci = zrs_chain_find(c->rs, family, table, chain);
	if (ci < 0)
		return fail(c, "規則のチェインが定義されていません (chain not declared)", rule);
	if (json_array_size(expr) > NFT_MAX_EXPR)
		return fail(c, "式が多すぎます (too many expressions)", NULL);
	zrule tmp;
	memset(&tmp, 0, sizeof tmp);
	tmp.target = -1;
	int never = 0;
	const json_t *vmap = NULL;
	size_t base_len = strlen(c->path);
	const json_t *e;
	size_t i;
	json_array_foreach (expr, i, e) {
		snprintf(c->path + base_len, sizeof c->path - base_len, ".expr[%zu]", i);
		const json_t *m = json_object_get(e, "match");
		if (m) {
			const char *op = json_string_value(json_object_get(m, "op"));
			const json_t *left = json_object_get(m, "left");
			const json_t *right = json_object_get(m, "right");
			if (!op || !left || !right)
				return fail(c, "match に op, left, right が必要です (required)", e);
			if (json_object_get(left, "meta") == NULL &&
			    json_object_get(left, "payload") == NULL &&
			    json_object_get(left, "ct") == NULL) {
				tmp.approx = 1;
				continue;
			}
			zivs implied = {0};
			int ipv6 = 0;
			int dim = left_dim(left, &implied, c->rs->arena, &ipv6);
			if (ipv6) {
				never = 1;
				continue;
			}
			if (dim == -2) {
				const char *fam = json_string_value(right);
				int is4 = fam && (!strcmp(fam, "ipv4") || !strcmp(fam, "ip"));
				if (!fam && json_integer_value(right) == 2)
					is4 = 1;
				if (!!strcmp(op, "!=") == !is4)
					never = 1;
				continue;
			}
			if (dim < 0) {
				tmp.approx = 1;
				continue;
			}
			zivs s = {0};
			int rc = add_right(c, family, table, dim, right, &s);
			if (rc)
				return rc;
			zivs_normalize(&s);
			if (!strcmp(op, "!=")) {
				zivs comp;
				if (zivs_complement(c->rs->arena, &s, zdim_max(dim), &comp))
					return MMR_ENOMEM;
				s = comp;
			} else if (strcmp(op, "==") && strcmp(op, "in")) {
				ziv lim = {0, 0};
				if (s.n != 1)
					return fail(c,
						    "比較の右辺が一つの値ではありません (bad "
						    "comparison)",
						    e);
				zivs r = {0};
				if (!strcmp(op, "<") && s.v[0].lo > 0)
					lim = (ziv){0, s.v[0].lo - 1};
				else if (!strcmp(op, "<="))
					lim = (ziv){0, s.v[0].hi};
				else if (!strcmp(op, ">") && s.v[0].hi < zdim_max(dim))
					lim = (ziv){s.v[0].hi + 1, zdim_max(dim)};
				else if (!strcmp(op, ">="))
					lim = (ziv){s.v[0].lo, zdim_max(dim)};
				else
					return fail(c, "比較演算子を読めません (unknown operator)",
						    e);
				zivs_add(c->rs->arena, &r, lim.lo, lim.hi);
				s = r;
			}
			if (zrule_restrict(c->rs->arena, &tmp, dim, &s) ||
			    (implied.n && zrule_restrict(c->rs->arena, &tmp, ZD_PROTO, &implied)))
				return MMR_ENOMEM;
			continue;
		}
		if (json_object_get(e, "vmap")) {
			vmap = json_object_get(e, "vmap");
			continue;
		}
		int verdict = ZV_NONE, target = -1;
		int rc = parse_verdict(c, family, table, e, &verdict, &target);
		if (rc == MMR_OK) {
			tmp.verdict = verdict;
			tmp.target = target;
			break;
		}
		if (rc != -1)
			return rc;
		/* statements: counters, logs, marks and NAT do not filter;
		 * limits, quotas and foreign matches are conditions we cannot see */
		const char *k = json_object_iter_key(json_object_iter((json_t *)e));
		if (k && (!strcmp(k, "limit") || !strcmp(k, "quota") || !strcmp(k, "xt") ||
			  !strcmp(k, "meter") || !strcmp(k, "connlimit")))
			tmp.approx = 1;
	}
	c->path[base_len] = 0;
	if (never)
		return MMR_OK;
	json_int_t handle = json_integer_value(json_object_get(rule, "handle"));
	const char *comment = json_string_value(json_object_get(rule, "comment"));
	if (!vmap) {
		if (tmp.approx &&
		    (tmp.verdict == ZV_DROP || tmp.verdict == ZV_RETURN || tmp.verdict == ZV_NONE))
			return MMR_OK;
		zrule *r = zrs_rule_add(c->rs, ci);
		if (!r)
			return fail(c, "規則が多すぎます (too many rules)", NULL);
		memcpy(r->match, tmp.match, sizeof r->match);
		memcpy(r->has, tmp.has, sizeof r->has);
		r->verdict = tmp.verdict;
		r->target = tmp.target;
		r->approx = tmp.approx;
		r->handle = handle;
		r->line = index + 1;
		r->text = comment ? mmr_arena_strdup(c->rs->arena, comment) : NULL;
		if (tmp.approx)
			c->rs->n_approx++;
		return MMR_OK;
	}
	/* a verdict map: one rule per element, the key restricted to the element */
	zivs implied = {0};
	int ipv6 = 0;
	int dim = left_dim(json_object_get(vmap, "key"), &implied, c->rs->arena, &ipv6);
	if (ipv6)
		return MMR_OK;
	if (dim < 0)
		return fail(c, "この vmap のキーには対応していません (unsupported vmap key)", vmap);
	const json_t *data = json_object_get(vmap, "data");
	const json_t *elems = NULL;
	const char *ref = json_string_value(data);
	if (ref && ref[0] == '@') {
		const json_t *m = find_set(c, family, table, ref + 1, 1);
		if (!m)
			return fail(c, "名前付きマップがありません (no such map)", data);
		elems = json_object_get(m, "elem");
	} else {
		elems = json_object_get(data, "set");
	}
	const json_t *pair;
	size_t k;
	json_array_foreach (elems, k, pair) {
		if (!json_is_array(pair) || json_array_size(pair) != 2)
			return fail(c, "vmap の要素を読めません (bad vmap element)", pair);
		zivs s = {0};
		int rc = add_value(c, dim, json_array_get(pair, 0), &s);
		if (rc)
			return rc;
		int verdict = ZV_NONE, target = -1;
		rc = parse_verdict(c, family, table, json_array_get(pair, 1), &verdict, &target);
		if (rc == -1)
			return fail(c, "vmap の判定を読めません (bad vmap verdict)", pair);
		if (rc)
			return rc;
		zrule *r = zrs_rule_add(c->rs, ci);
		if (!r)
			return fail(c, "規則が多すぎます (too many rules)", NULL);
		memcpy(r->match, tmp.match, sizeof r->match);
		memcpy(r->has, tmp.has, sizeof r->has);
		if (zrule_restrict(c->rs->arena, r, dim, &s) ||
		    (implied.n && zrule_restrict(c->rs->arena, r, ZD_PROTO, &implied)))
			return MMR_ENOMEM;
		r->verdict = verdict;
		r->target = target;
		r->approx = tmp.approx;
		r->handle = handle;
		r->line = index + 1;
		r->text = comment ? mmr_arena_strdup(c->rs->arena, comment) : NULL;
	}
	return MMR_OK;
}

static int read_chain(struct nft_ctx *c, const json_t *ch, int index)
{
	const char *family = json_string_value(json_object_get(ch, "family"));
	const char *table = json_string_value(json_object_get(ch, "table"));
	const char *name = json_string_value(json_object_get(ch, "name"));
	if (!family || !table || !name)
		return fail(c, "family, table, name が必要です (required)", NULL);
	int ci = zrs_chain_add(c->rs, family, table, name, index + 1);
	if (ci < 0)
		return fail(c, "チェインが多すぎます (too many chains)", NULL);
	zchain *z = &c->rs->chains[ci];
	const char *hook = json_string_value(json_object_get(ch, "hook"));
	const char *type = json_string_value(json_object_get(ch, "type"));
	const char *policy = json_string_value(json_object_get(ch, "policy"));
	int v4 = !strcmp(family, "ip") || !strcmp(family, "inet");
	if (hook && type && !strcmp(type, "filter") && v4) {
		if (!strcmp(hook, "prerouting"))
			z->hook = ZH_PREROUTING;
		else if (!strcmp(hook, "forward"))
			z->hook = ZH_FORWARD;
	}
	const json_t *prio = json_object_get(ch, "prio");
	if (prio && !json_is_integer(prio))
		return fail(c, "prio は整数です (prio must be an integer)", prio);
	z->prio = (int)json_integer_value(prio);
	if (policy && strcmp(policy, "accept") && strcmp(policy, "drop"))
		return fail(c, "policy は accept か drop です (bad policy)",
			    json_object_get(ch, "policy"));
	z->policy_drop = policy && !strcmp(policy, "drop");
	return MMR_OK;
}

int zones_read_nft_json(zruleset *rs, const char *name, const char *buf, size_t len, mmr_error *err)
{
	json_error_t je;
	json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &je);
	if (!root) {
		mmr_error_set(err, MMR_EINVAL, "%s:%d:%d: JSON を読めません (bad JSON): %s", name,
			      je.line, je.column, je.text);
		return MMR_EINVAL;
	}
	struct nft_ctx c = {.rs = rs, .name = name, .err = err};
	c.items = json_object_get(root, "nftables");
	int rc = MMR_OK;
	if (!json_is_array(c.items)) {
		snprintf(c.path, sizeof c.path, "$");
		rc = fail(&c, "\"nftables\" の配列がありません (not nft -j output)", NULL);
		goto done;
	}
	const json_t *it;
	size_t i;
	/* chains first: a jump may name a chain listed after the rule */
	json_array_foreach (c.items, i, it) {
		snprintf(c.path, sizeof c.path, "nftables[%zu].chain", i);
		const json_t *ch = json_object_get(it, "chain");
		if (ch && (rc = read_chain(&c, ch, (int)i)))
			goto done;
	}
	json_array_foreach (c.items, i, it) {
		snprintf(c.path, sizeof c.path, "nftables[%zu].rule", i);
		const json_t *r = json_object_get(it, "rule");
		if (r && (rc = read_rule(&c, r, (int)i)))
			goto done;
	}
done:
	json_decref(root);
	return rc;
}
