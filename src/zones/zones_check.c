/*
 * zones_check.c — judge the flows a ruleset forwards against the three-layer
 * model and the profile.
 *
 * Endpoints: each segment of ZONES.yaml, each peer of the My Number segment,
 * and "outside" (every address in neither). For each ordered pair worth
 * judging (segment to segment; My Number to and from each peer and outside)
 * the new connections the ruleset accepts are computed (zones_eval.c) and
 * sorted into:
 *   - violations: between My Number and another segment; between LGWAN and
 *     Internet other than through a declared relay on its ports; between My
 *     Number and a peer on a port not declared; between My Number and
 *     outside; or any flow the profile denies;
 *   - relayed: LGWAN–Internet flows to or from a relay on its ports;
 *   - peers: My Number–peer flows on the declared ports;
 *   - allowed: other segment pairs the profile does not deny.
 * Each class is asked of the profile's decision point (network.connect with
 * from_segment, to_segment, destination, sanitized), whose citations are
 * reported with the flow.
 */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/request_json.h"
#include "zones/zones.h"
#include "zones/zones_spec.h"

enum ep_kind { EP_SEGMENT, EP_PEER, EP_OUTSIDE };

typedef struct endpoint {
	int kind, idx;
	const char *name;
	zivs addrs, ifs;
} endpoint;

enum cat { CAT_VIOLATION, CAT_RELAYED, CAT_PEER, CAT_ALLOWED };

enum why {
	WHY_ISOLATION, /* My Number ↔ another segment */
	WHY_SPLIT,     /* LGWAN ↔ Internet not through a relay */
	WHY_PEER_PORT, /* My Number ↔ peer on an undeclared port */
	WHY_OUTSIDE,   /* My Number ↔ somewhere not declared */
	WHY_PROFILE,   /* the profile denies even this */
	WHY_OK
};

typedef struct piece {
	int pair, cat, why, ref; /* ref: relay or peer index, -1 */
	zcube c;
} piece;

typedef struct pieces {
	size_t n, cap;
	piece *v;
} pieces;

struct ck {
	const mmr_policy *pol;
	zspec *spec;
	zruleset *rs;
	endpoint ep[ZSPEC_MAX_SEGMENTS + ZSPEC_MAX_PEERS + 1];
	size_t n_ep;
	struct {
		int a, b;
	} pairs[(ZSPEC_MAX_SEGMENTS + ZSPEC_MAX_PEERS + 1) *
		(ZSPEC_MAX_SEGMENTS + ZSPEC_MAX_PEERS + 1)];
	size_t n_pairs;
	pieces out;
	struct {
		char key[160];
		json_t *decision;
	} asked[64];
	size_t n_asked;
	mmr_error *err;
};

static int pieces_push(pieces *p, const piece *x)
{
	if (p->n == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 64;
		piece *v = realloc(p->v, cap * sizeof *v);
		if (!v)
			return MMR_ENOMEM;
		p->v = v;
		p->cap = cap;
	}
	p->v[p->n++] = *x;
	return MMR_OK;
}

/* ---- the decision point ---------------------------------------------- */

/* A role to ask as: system_staff when the profile has it, else its first. */
static const char *asking_role(const mmr_policy *pol)
{
	const char *id = NULL;
	if (mmr_policy_vocab_find(pol, "role", "system_staff", NULL) == MMR_OK)
		return "system_staff";
	if (mmr_policy_role_at(pol, 0, &id, NULL, NULL) == MMR_OK)
		return id;
	return "staff";
}

/* The decision (as parsed JSON, owned by the cache) for network.connect
 * with the given context; NULL keys are left out. When the profile does not
 * know a key, it is asked again without destination and sanitized. */
static json_t *ask(struct ck *k, const char *from, const char *to, const char *destination,
		   const char *sanitized)
{
	char key[160];
	snprintf(key, sizeof key, "%s|%s|%s|%s", from ? from : "", to ? to : "",
		 destination ? destination : "", sanitized ? sanitized : "");
	for (size_t i = 0; i < k->n_asked; i++)
		if (!strcmp(k->asked[i].key, key))
			return k->asked[i].decision;
	json_t *decision = NULL;
	for (int attempt = 0; attempt < 2 && !decision; attempt++) {
		json_t *req = json_object(), *ctx = json_object(), *roles = json_array();
		if (!req || !ctx || !roles) {
			json_decref(req);
			json_decref(ctx);
			json_decref(roles);
			return NULL;
		}
		json_array_append_new(roles, json_string(asking_role(k->pol)));
		json_object_set_new(req, "action", json_string("network.connect"));
		json_t *subj = json_object();
		json_object_set_new(subj, "roles", roles);
		json_object_set_new(req, "subject", subj);
		if (from)
			json_object_set_new(ctx, "from_segment", json_string(from));
		if (to)
			json_object_set_new(ctx, "to_segment", json_string(to));
		if (destination && attempt == 0)
			json_object_set_new(ctx, "destination", json_string(destination));
		if (sanitized && attempt == 0)
			json_object_set_new(ctx, "sanitized", json_string(sanitized));
		json_object_set_new(req, "context", ctx);
		mmr_error e; /* a request the profile refuses leaves decision NULL */
		mmr_decide_value(k->pol, req, &decision, &e);
		json_decref(req);
	}
	if (k->n_asked < sizeof k->asked / sizeof k->asked[0]) {
		snprintf(k->asked[k->n_asked].key, sizeof k->asked[0].key, "%s", key);
		k->asked[k->n_asked++].decision = decision;
	} else {
		/* the cache is full: the caller may not keep it, so keep it here anyway */
		json_decref(decision);
		decision = NULL;
	}
	return decision;
}

static const char *effect_of(const json_t *d)
{
	const char *e = json_string_value(json_object_get(d, "effect"));
	return e ? e : "permit";
}

/* The question a pair of endpoints asks of the profile (segment ids or
 * NULL, destination, sanitized). */
static json_t *ask_pair(struct ck *k, int pair, int cat, int ref)
{
	const endpoint *a = &k->ep[k->pairs[pair].a], *b = &k->ep[k->pairs[pair].b];
	const char *sanitized = NULL;
	if (cat == CAT_RELAYED)
		sanitized = k->spec->relays[ref].method;
	else if (a->kind == EP_SEGMENT && b->kind == EP_SEGMENT)
		sanitized = "none";
	if (a->kind == EP_SEGMENT && b->kind == EP_SEGMENT)
		return ask(k, a->name, b->name, NULL, sanitized);
	const endpoint *far = a->kind == EP_SEGMENT ? b : a;
	const char *dest = "external", *via = NULL;
	if (far->kind == EP_PEER) {
		const zpeer *pe = &k->spec->peers[far->idx];
		dest = pe->kind;
		via = pe->via_lgwan ? "lgwan" : NULL;
	} else {
		via = "internet";
	}
	if (a->kind == EP_SEGMENT)
		return ask(k, a->name, via, dest, NULL);
	return ask(k, via, b->name, dest, NULL);
}

/* ---- endpoints and pairs ------------------------------------------------ */

static int add_ep(struct ck *k, int kind, int idx, const char *name)
{
	endpoint *e = &k->ep[k->n_ep];
	memset(e, 0, sizeof *e);
	e->kind = kind;
	e->idx = idx;
	e->name = name;
	return (int)k->n_ep++;
}

static int build_endpoints(struct ck *k)
{
	mmr_arena *a = k->spec->arena;
	zivs all = {0};
	for (size_t i = 0; i < k->spec->n_segments; i++) {
		const zsegment *s = &k->spec->segments[i];
		endpoint *e = &k->ep[add_ep(k, EP_SEGMENT, (int)i, s->id)];
		e->addrs = s->subnets;
		for (size_t j = 0; j < s->n_ifnames; j++) {
			int ix = zrs_ifname(k->rs, s->ifnames[j]);
			if (ix < 0 || zivs_add(a, &e->ifs, (uint32_t)ix, (uint32_t)ix))
				return MMR_ENOMEM;
		}
		zivs_normalize(&e->ifs);
		for (size_t j = 0; j < s->subnets.n; j++)
			if (zivs_add(a, &all, s->subnets.v[j].lo, s->subnets.v[j].hi))
				return MMR_ENOMEM;
	}
	for (size_t i = 0; i < k->spec->n_peers; i++) {
		const zpeer *p = &k->spec->peers[i];
		endpoint *e = &k->ep[add_ep(k, EP_PEER, (int)i, p->name)];
		if (zivs_add(a, &e->addrs, p->addr.lo, p->addr.hi) ||
		    zivs_add(a, &all, p->addr.lo, p->addr.hi))
			return MMR_ENOMEM;
	}
	zivs_normalize(&all);
	endpoint *o = &k->ep[add_ep(k, EP_OUTSIDE, -1, "outside")];
	if (zivs_complement(a, &all, UINT32_MAX, &o->addrs))
		return MMR_ENOMEM;
	int mn = zspec_segment_index(k->spec, "mynumber");
	for (size_t i = 0; i < k->n_ep; i++) {
		for (size_t j = 0; j < k->n_ep; j++) {
			const endpoint *x = &k->ep[i], *y = &k->ep[j];
			if (i == j)
				continue;
			int both_seg = x->kind == EP_SEGMENT && y->kind == EP_SEGMENT;
			int mn_out =
				(x->kind == EP_SEGMENT && x->idx == mn && y->kind != EP_SEGMENT) ||
				(y->kind == EP_SEGMENT && y->idx == mn && x->kind != EP_SEGMENT);
			if (!both_seg && !mn_out)
				continue;
			k->pairs[k->n_pairs].a = (int)i;
			k->pairs[k->n_pairs].b = (int)j;
			k->n_pairs++;
		}
	}
	return MMR_OK;
}

/* ---- classification ------------------------------------------------------ */

static int push_piece(struct ck *k, int pair, int cat, int why, int ref, const zcube *c)
{
	piece p = {pair, cat, why, ref, *c};
	return pieces_push(&k->out, &p);
}

/* A rule matching flows between host `at` and addresses `other` (either
 * direction given by at_is_src) on ports ps. */
static void allowance(zrule *r, ziv *src_iv, ziv *dst_iv, ziv *proto_iv, ziv *port_iv,
		      const ziv *src, const ziv *dst, const zport *pt)
{
	memset(r, 0, sizeof *r);
	*src_iv = *src;
	*dst_iv = *dst;
	*proto_iv = pt->proto;
	*port_iv = pt->port;
	r->match[ZD_SADDR] = (zivs){1, src_iv};
	r->match[ZD_DADDR] = (zivs){1, dst_iv};
	r->match[ZD_PROTO] = (zivs){1, proto_iv};
	r->match[ZD_DPORT] = (zivs){1, port_iv};
	r->has[ZD_SADDR] = r->has[ZD_DADDR] = r->has[ZD_PROTO] = r->has[ZD_DPORT] = 1;
}

/* Move the parts of `in` that a (src, dst, port) allowance covers into
 * category cat with ref; the rest stays in `in`. */
static int carve(struct ck *k, zcubes *in, int pair, int cat, int ref, const ziv *src,
		 const ziv *dst, const zports *ps)
{
	int rc = MMR_OK;
	for (size_t p = 0; p < ps->n && rc == MMR_OK; p++) {
		zrule r;
		ziv s, d, pr, po;
		allowance(&r, &s, &d, &pr, &po, src, dst, &ps->v[p]);
		zcubes rest = {0}, m = {0};
		for (size_t i = 0; i < in->n && rc == MMR_OK; i++)
			rc = zones_split(&r, &in->v[i], &m, &rest, k->err);
		for (size_t i = 0; i < m.n && rc == MMR_OK; i++)
			rc = push_piece(k, pair, cat, WHY_OK, ref, &m.v[i]);
		zcubes_free(&m);
		zcubes_free(in);
		*in = rest;
	}
	return rc;
}

static int classify(struct ck *k, int pair, zcubes *acc)
{
	const endpoint *a = &k->ep[k->pairs[pair].a], *b = &k->ep[k->pairs[pair].b];
	int mn = zspec_segment_index(k->spec, "mynumber");
	int lg = zspec_segment_index(k->spec, "lgwan");
	int in = zspec_segment_index(k->spec, "internet");
	int rc = MMR_OK;
	int why;
	if (a->kind == EP_SEGMENT && b->kind == EP_SEGMENT) {
		if (a->idx == mn || b->idx == mn) {
			why = WHY_ISOLATION;
		} else if ((a->idx == lg && b->idx == in) || (a->idx == in && b->idx == lg)) {
			why = WHY_SPLIT;
			for (size_t r = 0; r < k->spec->n_relays && rc == MMR_OK; r++) {
				const zrelay *re = &k->spec->relays[r];
				int joins = (re->from_seg == a->idx && re->to_seg == b->idx) ||
					    (re->from_seg == b->idx && re->to_seg == a->idx);
				if (!joins)
					continue;
				/* the relay and the other segment, in either direction */
				const endpoint *other = re->at_seg == a->idx ? b : a;
				for (size_t s = 0; s < other->addrs.n && rc == MMR_OK; s++) {
					if (re->at_seg == a->idx)
						rc = carve(k, acc, pair, CAT_RELAYED, (int)r,
							   &re->addr, &other->addrs.v[s],
							   &re->ports);
					else
						rc = carve(k, acc, pair, CAT_RELAYED, (int)r,
							   &other->addrs.v[s], &re->addr,
							   &re->ports);
				}
			}
		} else {
			why = -1; /* judged by the profile alone */
		}
	} else {
		const endpoint *far = a->kind == EP_SEGMENT ? b : a;
		if (far->kind == EP_PEER) {
			why = WHY_PEER_PORT;
			const zpeer *pe = &k->spec->peers[far->idx];
			ziv all = {0, UINT32_MAX};
			rc = carve(k, acc, pair, CAT_PEER, far->idx, a == far ? &pe->addr : &all,
				   a == far ? &all : &pe->addr, &pe->ports);
		} else {
			why = WHY_OUTSIDE;
		}
	}
	for (size_t i = 0; i < acc->n && rc == MMR_OK; i++)
		rc = why < 0 ? push_piece(k, pair, CAT_ALLOWED, WHY_OK, -1, &acc->v[i])
			     : push_piece(k, pair, CAT_VIOLATION, why, -1, &acc->v[i]);
	return rc;
}

/* Flows the structure allows but the profile denies become violations. */
static void apply_profile(struct ck *k)
{
	for (size_t i = 0; i < k->out.n; i++) {
		piece *p = &k->out.v[i];
		if (p->cat == CAT_VIOLATION)
			continue;
		json_t *d = ask_pair(k, p->pair, p->cat, p->ref);
		if (d && !strcmp(effect_of(d), "deny")) {
			p->why = WHY_PROFILE;
			p->cat = CAT_VIOLATION;
		}
	}
}

static int check_pairs(struct ck *k)
{
	int rc = MMR_OK;
	for (size_t p = 0; p < k->n_pairs && rc == MMR_OK; p++) {
		const endpoint *a = &k->ep[k->pairs[p].a], *b = &k->ep[k->pairs[p].b];
		zcubes in = {0}, acc = {0};
		for (size_t i = 0; i < a->addrs.n && rc == MMR_OK; i++) {
			for (size_t j = 0; j < b->addrs.n && rc == MMR_OK; j++) {
				zcube c;
				memset(&c, 0, sizeof c);
				c.d[ZD_SADDR] = a->addrs.v[i];
				c.d[ZD_DADDR] = b->addrs.v[j];
				c.d[ZD_PROTO] = (ziv){0, 255};
				c.d[ZD_SPORT] = c.d[ZD_DPORT] = (ziv){0, 65535};
				c.d[ZD_CT] = (ziv){ZCT_NEW, ZCT_NEW};
				c.by = INT32_MIN;
				/* interfaces: the declared ones, or any */
				const zivs *ifs[2] = {&a->ifs, &b->ifs};
				int dims[2] = {ZD_IIF, ZD_OIF};
				size_t n_if[2] = {ifs[0]->n ? ifs[0]->n : 1,
						  ifs[1]->n ? ifs[1]->n : 1};
				for (size_t x = 0; x < n_if[0] && rc == MMR_OK; x++) {
					for (size_t y = 0; y < n_if[1] && rc == MMR_OK; y++) {
						size_t sel[2] = {x, y};
						for (int t = 0; t < 2; t++)
							c.d[dims[t]] = ifs[t]->n
									       ? ifs[t]->v[sel[t]]
									       : (ziv){0, ZIF_MAX};
						rc = zcubes_push(&in, &c);
					}
				}
			}
		}
		if (rc == MMR_OK)
			rc = zones_eval(k->rs, &in, &acc, k->err);
		if (rc == MMR_OK)
			rc = classify(k, (int)p, &acc);
		zcubes_free(&in);
		zcubes_free(&acc);
	}
	return rc;
}

/* ---- output -------------------------------------------------------------- */

static void addr_text(uint32_t lo, uint32_t hi, char *buf, size_t n)
{
	char a[INET_ADDRSTRLEN], b[INET_ADDRSTRLEN];
	struct in_addr x = {htonl(lo)}, y = {htonl(hi)};
	inet_ntop(AF_INET, &x, a, sizeof a);
	inet_ntop(AF_INET, &y, b, sizeof b);
	if (lo == hi) {
		snprintf(buf, n, "%s", a);
		return;
	}
	uint64_t size = (uint64_t)hi - lo + 1;
	if ((size & (size - 1)) == 0 && (lo & (uint32_t)(size - 1)) == 0) {
		int len = 32;
		while (size > 1) {
			size >>= 1;
			len--;
		}
		snprintf(buf, n, "%s/%d", a, len);
		return;
	}
	snprintf(buf, n, "%s-%s", a, b);
}

static json_t *ranges_json(zivs *s, int addr)
{
	zivs_normalize(s);
	json_t *a = json_array();
	for (size_t i = 0; i < s->n && a; i++) {
		char buf[48];
		if (addr)
			addr_text(s->v[i].lo, s->v[i].hi, buf, sizeof buf);
		else if (s->v[i].lo == s->v[i].hi)
			snprintf(buf, sizeof buf, "%u", s->v[i].lo);
		else
			snprintf(buf, sizeof buf, "%u-%u", s->v[i].lo, s->v[i].hi);
		json_array_append_new(a, json_string(buf));
	}
	return a;
}

static const char *proto_name(uint32_t p)
{
	switch (p) {
	case 1: return "icmp";
	case 6: return "tcp";
	case 17: return "udp";
	case 132: return "sctp";
	default: return NULL;
	}
}

static json_t *rule_json(const zruleset *rs, int by, char *text, size_t n)
{
	json_t *o = json_object();
	if (by == INT32_MIN) {
		json_object_set_new(o, "unfiltered", json_true());
		snprintf(text, n, "転送を絞る基本チェインがありません (no filtering base chain)");
		return o;
	}
	if (by < 0) {
		const zchain *c = &rs->chains[-by - 1];
		json_object_set_new(o, "family", json_string(c->family));
		json_object_set_new(o, "table", json_string(c->table));
		json_object_set_new(o, "chain", json_string(c->name));
		json_object_set_new(o, "policy", json_string("accept"));
		snprintf(text, n, "%s %s %s policy accept", c->family, c->table, c->name);
		return o;
	}
	const zrule *r = &rs->rules[by];
	const zchain *c = &rs->chains[r->chain];
	json_object_set_new(o, "family", json_string(c->family));
	json_object_set_new(o, "table", json_string(c->table));
	json_object_set_new(o, "chain", json_string(c->name));
	if (r->handle >= 0) {
		json_object_set_new(o, "handle", json_integer(r->handle));
		snprintf(text, n, "%s %s %s handle %ld", c->family, c->table, c->name, r->handle);
	} else {
		json_object_set_new(o, "line", json_integer(r->line));
		snprintf(text, n, "*%s -A %s (line %d)", c->table, c->name, r->line);
	}
	if (r->text)
		json_object_set_new(o, "comment", json_string(r->text));
	if (r->approx)
		json_object_set_new(o, "approximate", json_true());
	return o;
}

static const char *why_text(int why)
{
	switch (why) {
	case WHY_ISOLATION:
		return "マイナンバー利用事務系と他の系の間の通信が許可されています (My Number "
		       "segment "
		       "talks to another segment)";
	case WHY_SPLIT:
		return "LGWAN接続系とインターネット接続系の間の通信が無害化の中継を経ずに許可されて"
		       "います "
		       "(LGWAN and Internet cross without a sanitization relay)";
	case WHY_PEER_PORT:
		return "外部接続先との通信が定めたポート以外でも許可されています (peer allowed "
		       "beyond its "
		       "declared ports)";
	case WHY_OUTSIDE:
		return "マイナンバー利用事務系と定めた外部接続先以外の相手との通信が許可されていま"
		       "す (My "
		       "Number segment talks to an undeclared outside address)";
	case WHY_PROFILE:
		return "プロファイルがこの通信を禁じています (the profile denies this flow)";
	default: return "定めたとおりの通信です (as declared)";
	}
}

static int piece_cmp(const void *pa, const void *pb)
{
	const piece *a = pa, *b = pb;
	if (a->cat != b->cat)
		return a->cat - b->cat;
	if (a->pair != b->pair)
		return a->pair - b->pair;
	if (a->why != b->why)
		return a->why - b->why;
	if (a->ref != b->ref)
		return a->ref - b->ref;
	if (a->c.by != b->c.by)
		return a->c.by < b->c.by ? -1 : 1;
	return 0;
}

static int same_group(const piece *a, const piece *b)
{
	return a->cat == b->cat && a->pair == b->pair && a->why == b->why && a->ref == b->ref &&
	       a->c.by == b->c.by;
}

/* A representative address of an interval: not the network address of a
 * prefix when the interval holds more than two. */
static uint32_t sample_addr(ziv iv)
{
	return iv.hi - iv.lo >= 2 ? iv.lo + 1 : iv.lo;
}

/* A representative port: a well-known one when the range holds it. */
static uint32_t sample_port(ziv r)
{
	static const uint32_t nice[] = {80, 443, 22, 25, 3389, 8080};
	for (size_t i = 0; i < sizeof nice / sizeof nice[0]; i++)
		if (r.lo <= nice[i] && nice[i] <= r.hi)
			return nice[i];
	return r.lo == 0 && r.hi > 0 ? 1 : r.lo;
}

/* protocol (summary), services (every protocol/port range) and ports (the
 * union of the port-bearing protocols' ports) of a group of pieces. */
static void services_json(mmr_arena *a, const piece *g, size_t n, json_t *o)
{
	zivs protos = {0}, other = {0}, ports_all = {0};
	static const uint32_t pp[] = {6, 17, 132};
	zivs ports[3] = {{0}, {0}, {0}};
	for (size_t i = 0; i < n; i++) {
		ziv pr = g[i].c.d[ZD_PROTO], dp = g[i].c.d[ZD_DPORT];
		zivs_add(a, &protos, pr.lo, pr.hi);
		uint32_t at = pr.lo;
		for (size_t k = 0; k < 3; k++) {
			if (pp[k] < pr.lo || pp[k] > pr.hi)
				continue;
			zivs_add(a, &ports[k], dp.lo, dp.hi);
			zivs_add(a, &ports_all, dp.lo, dp.hi);
			if (pp[k] > at)
				zivs_add(a, &other, at, pp[k] - 1);
			at = pp[k] + 1;
		}
		if (at <= pr.hi)
			zivs_add(a, &other, at, pr.hi);
	}
	zivs_normalize(&protos);
	zivs_normalize(&other);
	json_t *sv = json_array();
	for (size_t k = 0; k < 3; k++) {
		zivs_normalize(&ports[k]);
		for (size_t i = 0; i < ports[k].n; i++) {
			char buf[48];
			if (ports[k].v[i].lo == 0 && ports[k].v[i].hi == 65535)
				snprintf(buf, sizeof buf, "%s", proto_name(pp[k]));
			else if (ports[k].v[i].lo == ports[k].v[i].hi)
				snprintf(buf, sizeof buf, "%s/%u", proto_name(pp[k]),
					 ports[k].v[i].lo);
			else
				snprintf(buf, sizeof buf, "%s/%u-%u", proto_name(pp[k]),
					 ports[k].v[i].lo, ports[k].v[i].hi);
			json_array_append_new(sv, json_string(buf));
		}
	}
	for (size_t i = 0; i < other.n; i++) {
		char buf[48];
		const char *nm = other.v[i].lo == other.v[i].hi ? proto_name(other.v[i].lo) : NULL;
		if (nm)
			snprintf(buf, sizeof buf, "%s", nm);
		else if (other.v[i].lo == other.v[i].hi)
			snprintf(buf, sizeof buf, "proto %u", other.v[i].lo);
		else
			snprintf(buf, sizeof buf, "proto %u-%u", other.v[i].lo, other.v[i].hi);
		json_array_append_new(sv, json_string(buf));
	}
	char summary[128] = "";
	if (protos.n == 1 && protos.v[0].lo == 0 && protos.v[0].hi == 255) {
		snprintf(summary, sizeof summary, "any");
	} else {
		size_t used = 0;
		for (size_t i = 0; i < protos.n && used < sizeof summary - 16; i++) {
			const char *nm = protos.v[i].lo == protos.v[i].hi
						 ? proto_name(protos.v[i].lo)
						 : NULL;
			int w = nm ? snprintf(summary + used, sizeof summary - used, "%s%s",
					      i ? "," : "", nm)
				: protos.v[i].lo == protos.v[i].hi
					? snprintf(summary + used, sizeof summary - used, "%s%u",
						   i ? "," : "", protos.v[i].lo)
					: snprintf(summary + used, sizeof summary - used, "%s%u-%u",
						   i ? "," : "", protos.v[i].lo, protos.v[i].hi);
			used += (size_t)w;
		}
	}
	json_object_set_new(o, "protocol", json_string(summary));
	json_object_set_new(o, "services", sv);
	json_object_set_new(o, "ports", ranges_json(&ports_all, 0));
}

static json_t *flow_json(struct ck *k, const piece *g, size_t n)
{
	mmr_arena *a = k->spec->arena;
	const endpoint *ea = &k->ep[k->pairs[g->pair].a], *eb = &k->ep[k->pairs[g->pair].b];
	zivs src = {0}, dst = {0};
	for (size_t i = 0; i < n; i++) {
		zivs_add(a, &src, g[i].c.d[ZD_SADDR].lo, g[i].c.d[ZD_SADDR].hi);
		zivs_add(a, &dst, g[i].c.d[ZD_DADDR].lo, g[i].c.d[ZD_DADDR].hi);
	}
	json_t *o = json_object();
	json_object_set_new(o, "from", json_string(ea->name));
	json_object_set_new(o, "to", json_string(eb->name));
	json_object_set_new(o, "src", ranges_json(&src, 1));
	json_object_set_new(o, "dst", ranges_json(&dst, 1));
	services_json(a, g, n, o);
	char text[256];
	json_object_set_new(o, "rule", rule_json(k->rs, g->c.by, text, sizeof text));
	json_object_set_new(o, "rule_text", json_string(text));
	if (g->cat == CAT_RELAYED) {
		json_object_set_new(o, "relay", json_string(k->spec->relays[g->ref].name));
		json_object_set_new(o, "method", json_string(k->spec->relays[g->ref].method));
	}
	const endpoint *far = ea->kind == EP_PEER ? ea : eb->kind == EP_PEER ? eb : NULL;
	if (far)
		json_object_set_new(o, "peer", json_string(far->name));
	json_object_set_new(o, "reason", json_string(why_text(g->why)));
	/* the profile's word on this class of flow; a My Number flow beyond its
	 * declared peers and ports is the profile's "communication with the
	 * outside" (route and port limits) */
	json_t *d = g->why == WHY_PEER_PORT || g->why == WHY_OUTSIDE
			    ? ask(k, "mynumber", NULL, "external", NULL)
			    : ask_pair(k, g->pair, g->cat, g->ref);
	json_t *cites = d ? json_object_get(d, "citations") : NULL;
	if (g->cat == CAT_VIOLATION && (!cites || json_array_size(cites) == 0)) {
		/* the profile says nothing of this exact class: cite its isolation
		 * (My Number) or split (LGWAN–Internet) rules */
		int mn_side = (ea->kind == EP_SEGMENT && !strcmp(ea->name, "mynumber")) ||
			      (eb->kind == EP_SEGMENT && !strcmp(eb->name, "mynumber"));
		json_t *alt = mn_side ? ask(k, "mynumber", "internet", NULL, "none")
				      : ask(k, "internet", "lgwan", NULL, "none");
		if (alt)
			cites = json_object_get(alt, "citations");
	}
	json_object_set_new(o, "effect", json_string(d ? effect_of(d) : "permit"));
	json_t *first = json_array_get(cites, 0);
	const char *clause = json_string_value(json_object_get(first, "clause"));
	json_object_set_new(o, "clause", clause ? json_string(clause) : json_null());
	json_object_set_new(o, "citations", cites ? json_deep_copy(cites) : json_array());
	json_t *rules = d ? json_object_get(d, "rules") : NULL;
	json_object_set_new(o, "policy_rules", rules ? json_deep_copy(rules) : json_array());
	json_t *obl = d ? json_object_get(d, "obligations") : NULL;
	if (obl && json_array_size(obl))
		json_object_set_new(o, "obligations", json_deep_copy(obl));
	/* one concrete packet of the flow, TCP where the group has TCP */
	for (size_t i = 0; i < n; i++)
		if (g[i].c.d[ZD_PROTO].lo <= 6 && 6 <= g[i].c.d[ZD_PROTO].hi) {
			g += i;
			break;
		}
	json_t *s = json_object();
	char buf[48];
	addr_text(sample_addr(g->c.d[ZD_SADDR]), sample_addr(g->c.d[ZD_SADDR]), buf, sizeof buf);
	json_object_set_new(s, "src", json_string(buf));
	addr_text(sample_addr(g->c.d[ZD_DADDR]), sample_addr(g->c.d[ZD_DADDR]), buf, sizeof buf);
	json_object_set_new(s, "dst", json_string(buf));
	const char *sp = proto_name(g->c.d[ZD_PROTO].lo);
	if (g->c.d[ZD_PROTO].lo <= 6 && 6 <= g->c.d[ZD_PROTO].hi)
		sp = "tcp";
	json_object_set_new(s, "protocol",
			    sp ? json_string(sp) : json_integer(g->c.d[ZD_PROTO].lo));
	json_object_set_new(s, "port", json_integer(sample_port(g->c.d[ZD_DPORT])));
	json_object_set_new(o, "sample", s);
	return o;
}

/* ---- probes ---------------------------------------------------------------- */

static int endpoint_ifs(struct ck *k, uint32_t addr, ziv *out)
{
	*out = (ziv){0, ZIF_MAX};
	for (size_t i = 0; i < k->n_ep; i++) {
		const endpoint *e = &k->ep[i];
		if (e->kind != EP_SEGMENT)
			continue;
		for (size_t j = 0; j < e->addrs.n; j++)
			if (e->addrs.v[j].lo <= addr && addr <= e->addrs.v[j].hi) {
				if (e->ifs.n)
					*out = (ziv){e->ifs.v[0].lo, e->ifs.v[0].lo};
				return (int)i;
			}
	}
	return -1;
}

static int probe(struct ck *k, const char *text, json_t *arr)
{
	char buf[128];
	if (strlen(text) >= sizeof buf)
		goto bad;
	strcpy(buf, text);
	char *save = NULL;
	char *src = strtok_r(buf, ",", &save), *dst = strtok_r(NULL, ",", &save),
	     *pp = strtok_r(NULL, ",", &save), *iif = strtok_r(NULL, ",", &save),
	     *oif = strtok_r(NULL, ",", &save);
	if (!src || !dst || !pp || (iif && !oif) || strtok_r(NULL, ",", &save))
		goto bad;
	ziv s, d;
	if (zones_parse_addr(src, &s) || zones_parse_addr(dst, &d) || s.lo != s.hi || d.lo != d.hi)
		goto bad;
	char *slash = strchr(pp, '/');
	long port = 0;
	if (slash) {
		*slash = 0;
		char *end;
		port = strtol(slash + 1, &end, 10);
		if (*end || end == slash + 1 || port < 0 || port > 65535)
			goto bad;
	}
	int proto = zones_parse_proto(pp);
	if (proto < 0)
		goto bad;
	zcube c;
	memset(&c, 0, sizeof c);
	c.d[ZD_SADDR] = s;
	c.d[ZD_DADDR] = d;
	c.d[ZD_PROTO] = (ziv){(uint32_t)proto, (uint32_t)proto};
	c.d[ZD_SPORT] = (ziv){40000, 40000};
	c.d[ZD_DPORT] = (ziv){(uint32_t)port, (uint32_t)port};
	c.d[ZD_CT] = (ziv){ZCT_NEW, ZCT_NEW};
	endpoint_ifs(k, s.lo, &c.d[ZD_IIF]);
	endpoint_ifs(k, d.lo, &c.d[ZD_OIF]);
	if (iif) {
		int i = zrs_ifname(k->rs, iif), o = zrs_ifname(k->rs, oif);
		if (i < 0 || o < 0)
			goto bad;
		c.d[ZD_IIF] = (ziv){(uint32_t)i, (uint32_t)i};
		c.d[ZD_OIF] = (ziv){(uint32_t)o, (uint32_t)o};
	}
	c.by = INT32_MIN;
	zcubes in = {0}, acc = {0};
	int rc = zcubes_push(&in, &c);
	if (rc == MMR_OK)
		rc = zones_eval(k->rs, &in, &acc, k->err);
	if (rc == MMR_OK) {
		json_t *o = json_object();
		json_object_set_new(o, "probe", json_string(text));
		json_object_set_new(o, "verdict", json_string(acc.n ? "accept" : "drop"));
		if (acc.n) {
			char t[256];
			json_object_set_new(o, "rule", rule_json(k->rs, acc.v[0].by, t, sizeof t));
			json_object_set_new(o, "rule_text", json_string(t));
		}
		json_array_append_new(arr, o);
	}
	zcubes_free(&in);
	zcubes_free(&acc);
	return rc;
bad:
	mmr_error_set(
		k->err, MMR_EINVAL,
		"probe は 送信元,宛先,プロトコル/ポート の形です (write SRC,DST,PROTO/PORT): %.80s",
		text);
	return MMR_EINVAL;
}

/* ---- entry point ------------------------------------------------------------ */

int mmr_zones_check(const mmr_policy *pol, const char *zones_name, const char *zones_yaml,
		    size_t zones_len, const char *rules_name, const char *rules, size_t rules_len,
		    const char *const *probes, size_t n_probes, json_t **result, char **svg,
		    mmr_error *err)
{
	*result = NULL;
	if (svg)
		*svg = NULL;
	struct ck *k = calloc(1, sizeof *k);
	if (!k) {
		mmr_error_set(err, MMR_ENOMEM, "out of memory");
		return MMR_ENOMEM;
	}
	k->pol = pol;
	k->err = err;
	json_t *o = NULL;
	int rc = zspec_read(pol, zones_name, zones_yaml, zones_len, &k->spec, err);
	if (rc)
		goto done;
	const char *ifnames[ZSPEC_MAX_SEGMENTS * ZSPEC_MAX_IFS];
	size_t n_if = 0;
	for (size_t i = 0; i < k->spec->n_segments; i++)
		for (size_t j = 0; j < k->spec->segments[i].n_ifnames; j++)
			ifnames[n_if++] = k->spec->segments[i].ifnames[j];
	if ((rc = zones_read_ruleset(rules_name, rules, rules_len, ifnames, n_if, &k->rs, err)))
		goto done;
	if ((rc = build_endpoints(k)) || (rc = check_pairs(k)))
		goto done;
	apply_profile(k);
	if (k->out.n)
		qsort(k->out.v, k->out.n, sizeof *k->out.v, piece_cmp);
	o = json_object();
	json_t *lists[4] = {json_array(), json_array(), json_array(), json_array()};
	for (size_t i = 0; i < k->out.n;) {
		size_t j = i + 1;
		while (j < k->out.n && same_group(&k->out.v[i], &k->out.v[j]))
			j++;
		json_array_append_new(lists[k->out.v[i].cat], flow_json(k, &k->out.v[i], j - i));
		i = j;
	}
	json_object_set_new(o, "profile", json_string(mmr_policy_id(pol)));
	json_object_set_new(o, "zones", json_string(zones_name));
	json_t *rsj = json_object();
	json_object_set_new(rsj, "file", json_string(rules_name));
	json_object_set_new(rsj, "format", json_string(k->rs->format));
	json_object_set_new(rsj, "chains", json_integer((json_int_t)k->rs->n_chains));
	json_object_set_new(rsj, "rules", json_integer((json_int_t)k->rs->n_rules));
	json_object_set_new(rsj, "approximate_rules", json_integer((json_int_t)k->rs->n_approx));
	json_object_set_new(o, "ruleset", rsj);
	json_object_set_new(o, "clean", json_boolean(json_array_size(lists[CAT_VIOLATION]) == 0));
	json_object_set_new(o, "violations", lists[CAT_VIOLATION]);
	json_object_set_new(o, "relayed", lists[CAT_RELAYED]);
	json_object_set_new(o, "peers", lists[CAT_PEER]);
	json_object_set_new(o, "allowed", lists[CAT_ALLOWED]);
	json_t *segs = json_array(), *relays = json_array(), *peers = json_array();
	for (size_t i = 0; i < k->spec->n_segments; i++) {
		const zsegment *s = &k->spec->segments[i];
		json_t *x = json_object();
		const char *name = NULL;
		mmr_policy_vocab_find(pol, "segment", s->id, &name);
		json_object_set_new(x, "id", json_string(s->id));
		json_object_set_new(x, "name", json_string(name ? name : s->id));
		zivs sub = s->subnets;
		json_object_set_new(x, "subnets", ranges_json(&sub, 1));
		json_array_append_new(segs, x);
	}
	for (size_t i = 0; i < k->spec->n_relays; i++) {
		const zrelay *r = &k->spec->relays[i];
		char buf[48];
		addr_text(r->addr.lo, r->addr.hi, buf, sizeof buf);
		json_array_append_new(relays, json_pack("{s:s,s:s,s:s,s:s,s:s,s:s}", "name",
							r->name, "address", buf, "method",
							r->method, "from", r->from, "to", r->to,
							"at", k->spec->segments[r->at_seg].id));
	}
	for (size_t i = 0; i < k->spec->n_peers; i++) {
		const zpeer *p = &k->spec->peers[i];
		char buf[48];
		addr_text(p->addr.lo, p->addr.hi, buf, sizeof buf);
		json_array_append_new(peers, json_pack("{s:s,s:s,s:s}", "name", p->name, "address",
						       buf, "kind", p->kind));
	}
	json_object_set_new(o, "segments", segs);
	json_object_set_new(o, "relay_hosts", relays);
	json_object_set_new(o, "peer_hosts", peers);
	json_t *pr = json_array();
	json_object_set_new(o, "probes", pr);
	for (size_t i = 0; i < n_probes && rc == MMR_OK; i++)
		rc = probe(k, probes[i], pr);
	if (rc)
		goto done;
	if (svg && !(*svg = mmr_zones_svg(o))) {
		rc = MMR_ENOMEM;
		mmr_error_set(err, MMR_ENOMEM, "out of memory");
		goto done;
	}
	*result = o;
	o = NULL;
done:
	json_decref(o);
	for (size_t i = 0; i < k->n_asked; i++)
		json_decref(k->asked[i].decision);
	free(k->out.v);
	zrs_free(k->rs);
	zspec_free(k->spec);
	free(k);
	return rc;
}
