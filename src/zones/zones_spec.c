/*
 * zones_spec.c — read ZONES.yaml: each segment's subnets and interfaces, the
 * sanitization relays and the My Number segment's allowed outside peers.
 *
 *   segments:
 *     mynumber: {subnets: [10.10.0.0/16], interfaces: [mn0]}
 *     lgwan:    {subnets: [10.20.0.0/16]}
 *     internet: {subnets: [10.30.0.0/16]}
 *   relays:
 *     - {name: mail-textize, address: 10.30.0.25, method: text, from: internet, to: lgwan,
 *        ports: [tcp/25]}
 *   peers:
 *     - {name: 中間サーバー, address: 192.0.2.10/32, mac: "02:00:00:00:00:10",
 *        ports: [tcp/443], kind: public_agency, via: lgwan}
 *
 * Segment ids and relay methods must be known to the profile (its segment
 * vocabulary and the `sanitized` values text, screen, cdr). Subnets of
 * different segments may not overlap; a relay must lie inside one of the two
 * segments it joins; a peer must lie outside every segment. Errors name
 * file:line:column.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "zones/zones_spec.h"

#define SPEC_MAX_ITEMS 4096

struct sp {
	yaml_document_t doc;
	const char *name;
	zspec *spec;
	mmr_error *err;
	const mmr_policy *pol;
};

static int fail_at(struct sp *p, const yaml_node_t *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int fail_at(struct sp *p, const yaml_node_t *n, const char *fmt, ...)
{
	char what[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(what, sizeof what, fmt, ap);
	va_end(ap);
	mmr_error_set(p->err, MMR_EINVAL, "%s:%d:%d: %s", p->name,
		      n ? (int)n->start_mark.line + 1 : 1, n ? (int)n->start_mark.column + 1 : 1,
		      what);
	return MMR_EINVAL;
}

static yaml_node_t *node(struct sp *p, int i)
{
	return yaml_document_get_node(&p->doc, i);
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static yaml_node_t *map_get(struct sp *p, yaml_node_t *m, const char *key)
{
	if (!m || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < m->data.mapping.pairs.top;
	     q++) {
		const char *k = scalar(node(p, q->key));
		if (k && !strcmp(k, key))
			return node(p, q->value);
	}
	return NULL;
}

/* Every key of mapping m must be one of `allowed` (NULL-terminated). */
static int keys_only(struct sp *p, yaml_node_t *m, const char *const *allowed)
{
	for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < m->data.mapping.pairs.top;
	     q++) {
		yaml_node_t *kn = node(p, q->key);
		const char *k = scalar(kn);
		int ok = 0;
		for (size_t i = 0; k && allowed[i]; i++)
			ok |= !strcmp(k, allowed[i]);
		if (!ok)
			return fail_at(p, kn, "知らないキーです (unknown key): %s", k ? k : "?");
	}
	return MMR_OK;
}

static const char *dup(struct sp *p, const char *s)
{
	return mmr_arena_strdup(p->spec->arena, s);
}

static int need_string(struct sp *p, yaml_node_t *m, const char *key, const char **out)
{
	yaml_node_t *n = map_get(p, m, key);
	const char *s = scalar(n);
	if (!s || !*s)
		return fail_at(p, n ? n : m, "%s は空でない文字列です (required string)", key);
	*out = dup(p, s);
	return *out ? MMR_OK : MMR_ENOMEM;
}

/* A list of scalars (a single scalar counts as a list of one). */
static int each_scalar(struct sp *p, yaml_node_t *n, const char *key,
		       int (*fn)(struct sp *, yaml_node_t *, void *), void *ud)
{
	if (!n)
		return MMR_OK;
	if (n->type == YAML_SCALAR_NODE)
		return fn(p, n, ud);
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(p, n, "%s は一覧です (must be a list)", key);
	if (n->data.sequence.items.top - n->data.sequence.items.start > SPEC_MAX_ITEMS)
		return fail_at(p, n, "%s が多すぎます (too many items)", key);
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = node(p, *it);
		if (!scalar(e))
			return fail_at(p, e, "%s の要素は文字列です (items must be strings)", key);
		int rc = fn(p, e, ud);
		if (rc)
			return rc;
	}
	return MMR_OK;
}

static int add_subnet(struct sp *p, yaml_node_t *n, void *ud)
{
	ziv iv;
	if (zones_parse_addr(scalar(n), &iv))
		return fail_at(p, n,
			       "IPv4 アドレス・サブネットではありません (not an IPv4 subnet): %s",
			       scalar(n));
	return zivs_add(p->spec->arena, ud, iv.lo, iv.hi);
}

static int add_ifname(struct sp *p, yaml_node_t *n, void *ud)
{
	zsegment *s = ud;
	if (s->n_ifnames >= ZSPEC_MAX_IFS)
		return fail_at(p, n, "インターフェイスが多すぎます (too many interfaces)");
	s->ifnames[s->n_ifnames] = dup(p, scalar(n));
	if (!s->ifnames[s->n_ifnames])
		return MMR_ENOMEM;
	s->n_ifnames++;
	return MMR_OK;
}

/* "tcp/25", "udp/1024-65535", "tcp", "icmp", "any" → a (proto, port) pair of
 * intervals. */
static int add_port(struct sp *p, yaml_node_t *n, void *ud)
{
	zports *ps = ud;
	const char *s = scalar(n);
	char proto[16];
	const char *slash = strchr(s, '/');
	size_t pl = slash ? (size_t)(slash - s) : strlen(s);
	if (pl == 0 || pl >= sizeof proto)
		return fail_at(p, n, "ポートは tcp/25 の形です (write ports as tcp/25): %s", s);
	memcpy(proto, s, pl);
	proto[pl] = 0;
	zport z = {{0, 255}, {0, 65535}};
	if (strcmp(proto, "any")) {
		int num = zones_parse_proto(proto);
		if (num < 0)
			return fail_at(p, n, "プロトコルを読めません (unknown protocol): %s", s);
		z.proto = (ziv){(uint32_t)num, (uint32_t)num};
	} else if (slash) {
		return fail_at(p, n, "any にポートは付けられません (any takes no port): %s", s);
	}
	if (slash) {
		char *end;
		long lo = strtol(slash + 1, &end, 10), hi = lo;
		if (end != slash + 1 && *end == '-')
			hi = strtol(end + 1, &end, 10);
		if (end == slash + 1 || *end || lo < 0 || hi > 65535 || lo > hi)
			return fail_at(p, n, "ポート番号を読めません (bad port): %s", s);
		if (z.proto.lo != 6 && z.proto.lo != 17 && z.proto.lo != 132)
			return fail_at(p, n,
				       "ポートは tcp, udp, sctp だけに付けられます (port on a "
				       "portless protocol): %s",
				       s);
		z.port = (ziv){(uint32_t)lo, (uint32_t)hi};
	}
	if (ps->n >= ZSPEC_MAX_PORTS)
		return fail_at(p, n, "ポートが多すぎます (too many ports)");
	ps->v[ps->n++] = z;
	return MMR_OK;
}

static int segment_known(struct sp *p, yaml_node_t *n, const char *id)
{
	if (mmr_policy_vocab_find(p->pol, "segment", id, NULL) != MMR_OK)
		return fail_at(p, n, "プロファイルにない系です (segment not in the profile): %s",
			       id);
	return MMR_OK;
}

int zspec_segment_index(const zspec *s, const char *id)
{
	for (size_t i = 0; i < s->n_segments; i++)
		if (!strcmp(s->segments[i].id, id))
			return (int)i;
	return -1;
}

/* The segment holding address range iv entirely, -1 for none, -2 when it
 * straddles. */
int zspec_segment_of(const zspec *s, ziv iv)
{
	for (size_t i = 0; i < s->n_segments; i++) {
		const zivs *a = &s->segments[i].subnets;
		for (size_t k = 0; k < a->n; k++) {
			if (a->v[k].lo <= iv.lo && iv.hi <= a->v[k].hi)
				return (int)i;
			if (a->v[k].lo <= iv.hi && iv.lo <= a->v[k].hi)
				return -2;
		}
	}
	return -1;
}

static int read_segments(struct sp *p, yaml_node_t *m)
{
	static const char *const keys[] = {"subnets", "interfaces", NULL};
	if (!m || m->type != YAML_MAPPING_NODE)
		return fail_at(p, m, "segments は系ごとの対応表です (segments must be a mapping)");
	for (yaml_node_pair_t *q = m->data.mapping.pairs.start; q < m->data.mapping.pairs.top;
	     q++) {
		yaml_node_t *kn = node(p, q->key), *v = node(p, q->value);
		const char *id = scalar(kn);
		if (!id)
			return fail_at(p, kn, "系の名前は文字列です (segment id must be a string)");
		int rc = segment_known(p, kn, id);
		if (rc)
			return rc;
		if (zspec_segment_index(p->spec, id) >= 0)
			return fail_at(p, kn, "系が二度あります (duplicate segment): %s", id);
		if (p->spec->n_segments >= ZSPEC_MAX_SEGMENTS)
			return fail_at(p, kn, "系が多すぎます (too many segments)");
		if (!v || v->type != YAML_MAPPING_NODE)
			return fail_at(p, v, "%s は {subnets: [...]} です (must be a mapping)", id);
		if ((rc = keys_only(p, v, keys)))
			return rc;
		zsegment *s = &p->spec->segments[p->spec->n_segments];
		memset(s, 0, sizeof *s);
		s->id = dup(p, id);
		s->line = (int)kn->start_mark.line + 1;
		yaml_node_t *sub = map_get(p, v, "subnets");
		if (!sub)
			return fail_at(p, v, "%s に subnets がありません (subnets required)", id);
		if ((rc = each_scalar(p, sub, "subnets", add_subnet, &s->subnets)) ||
		    (rc = each_scalar(p, map_get(p, v, "interfaces"), "interfaces", add_ifname, s)))
			return rc;
		if (s->subnets.n == 0)
			return fail_at(p, sub, "%s の subnets が空です (no subnets)", id);
		zivs_normalize(&s->subnets);
		/* overlap with an earlier segment */
		for (size_t k = 0; k < s->subnets.n; k++) {
			int o = zspec_segment_of(p->spec, s->subnets.v[k]);
			if (o != -1)
				return fail_at(p, sub,
					       "%s のサブネットが他の系と重なります (subnets "
					       "overlap another segment)",
					       id);
		}
		p->spec->n_segments++;
	}
	static const char *const three[] = {"mynumber", "lgwan", "internet"};
	for (size_t i = 0; i < 3; i++)
		if (zspec_segment_index(p->spec, three[i]) < 0)
			return fail_at(p, m, "三層の系 %s がありません (segment missing)",
				       three[i]);
	return MMR_OK;
}

static int read_relays(struct sp *p, yaml_node_t *l)
{
	static const char *const keys[] = {"name", "address", "method", "from",
					   "to",   "ports",   NULL};
	if (!l)
		return MMR_OK;
	if (l->type != YAML_SEQUENCE_NODE)
		return fail_at(p, l, "relays は一覧です (relays must be a list)");
	for (yaml_node_item_t *it = l->data.sequence.items.start; it < l->data.sequence.items.top;
	     it++) {
		yaml_node_t *m = node(p, *it);
		if (!m || m->type != YAML_MAPPING_NODE)
			return fail_at(p, m, "relay は対応表です (a relay must be a mapping)");
		if (p->spec->n_relays >= ZSPEC_MAX_RELAYS)
			return fail_at(p, m, "relay が多すぎます (too many relays)");
		int rc = keys_only(p, m, keys);
		if (rc)
			return rc;
		zrelay *r = &p->spec->relays[p->spec->n_relays];
		memset(r, 0, sizeof *r);
		r->line = (int)m->start_mark.line + 1;
		const char *addr = NULL;
		if ((rc = need_string(p, m, "name", &r->name)) ||
		    (rc = need_string(p, m, "address", &addr)) ||
		    (rc = need_string(p, m, "method", &r->method)) ||
		    (rc = need_string(p, m, "from", &r->from)) ||
		    (rc = need_string(p, m, "to", &r->to)))
			return rc;
		yaml_node_t *an = map_get(p, m, "address");
		if (zones_parse_addr(addr, &r->addr))
			return fail_at(p, an,
				       "IPv4 アドレスではありません (not an IPv4 address): %s",
				       addr);
		if (strcmp(r->method, "text") && strcmp(r->method, "screen") &&
		    strcmp(r->method, "cdr"))
			return fail_at(
				p, map_get(p, m, "method"),
				"method は text, screen, cdr のどれかです (unknown method): %s",
				r->method);
		r->from_seg = zspec_segment_index(p->spec, r->from);
		r->to_seg = zspec_segment_index(p->spec, r->to);
		if (r->from_seg < 0)
			return fail_at(p, map_get(p, m, "from"),
				       "segments にない系です (unknown segment): %s", r->from);
		if (r->to_seg < 0)
			return fail_at(p, map_get(p, m, "to"),
				       "segments にない系です (unknown segment): %s", r->to);
		if (r->from_seg == r->to_seg)
			return fail_at(p, m, "from と to が同じ系です (from equals to)");
		int at = zspec_segment_of(p->spec, r->addr);
		if (at != r->from_seg && at != r->to_seg)
			return fail_at(p, an,
				       "relay は from か to の系の中に置きます (relay must be "
				       "inside from or to): %s",
				       addr);
		r->at_seg = at;
		yaml_node_t *pn = map_get(p, m, "ports");
		if (!pn)
			return fail_at(p, m, "relay に ports がありません (ports required)");
		if ((rc = each_scalar(p, pn, "ports", add_port, &r->ports)))
			return rc;
		p->spec->n_relays++;
	}
	return MMR_OK;
}

static int read_peers(struct sp *p, yaml_node_t *l)
{
	static const char *const keys[] = {"name", "address", "mac", "ports", "kind", "via", NULL};
	if (!l)
		return MMR_OK;
	if (l->type != YAML_SEQUENCE_NODE)
		return fail_at(p, l, "peers は一覧です (peers must be a list)");
	for (yaml_node_item_t *it = l->data.sequence.items.start; it < l->data.sequence.items.top;
	     it++) {
		yaml_node_t *m = node(p, *it);
		if (!m || m->type != YAML_MAPPING_NODE)
			return fail_at(p, m, "peer は対応表です (a peer must be a mapping)");
		if (p->spec->n_peers >= ZSPEC_MAX_PEERS)
			return fail_at(p, m, "peer が多すぎます (too many peers)");
		int rc = keys_only(p, m, keys);
		if (rc)
			return rc;
		zpeer *e = &p->spec->peers[p->spec->n_peers];
		memset(e, 0, sizeof *e);
		e->line = (int)m->start_mark.line + 1;
		const char *addr = NULL;
		if ((rc = need_string(p, m, "name", &e->name)) ||
		    (rc = need_string(p, m, "address", &addr)))
			return rc;
		yaml_node_t *an = map_get(p, m, "address");
		if (zones_parse_addr(addr, &e->addr))
			return fail_at(p, an,
				       "IPv4 アドレスではありません (not an IPv4 address): %s",
				       addr);
		if (zspec_segment_of(p->spec, e->addr) != -1)
			return fail_at(p, an,
				       "peer は庁内の系の外に置きます (peer must be outside every "
				       "segment): %s",
				       addr);
		const char *mac = scalar(map_get(p, m, "mac"));
		e->mac = mac ? dup(p, mac) : NULL;
		const char *kind = scalar(map_get(p, m, "kind"));
		e->kind = dup(p, kind ? kind : "public_agency");
		if (strcmp(e->kind, "public_agency") && strcmp(e->kind, "external"))
			return fail_at(p, map_get(p, m, "kind"),
				       "kind は public_agency か external です (bad kind): %s",
				       e->kind);
		const char *via = scalar(map_get(p, m, "via"));
		if (via && strcmp(via, "lgwan") && strcmp(via, "direct"))
			return fail_at(p, map_get(p, m, "via"),
				       "via は lgwan か direct です (bad via): %s", via);
		e->via_lgwan = via ? !strcmp(via, "lgwan") : !strcmp(e->kind, "public_agency");
		yaml_node_t *pn = map_get(p, m, "ports");
		if (!pn)
			return fail_at(p, m, "peer に ports がありません (ports required)");
		if ((rc = each_scalar(p, pn, "ports", add_port, &e->ports)))
			return rc;
		p->spec->n_peers++;
	}
	return MMR_OK;
}

int zspec_read(const mmr_policy *pol, const char *name, const char *buf, size_t len, zspec **out,
	       mmr_error *err)
{
	*out = NULL;
	zspec *spec = calloc(1, sizeof *spec);
	if (!spec || !(spec->arena = mmr_arena_new())) {
		free(spec);
		mmr_error_set(err, MMR_ENOMEM, "out of memory");
		return MMR_ENOMEM;
	}
	struct sp p = {.name = name, .spec = spec, .err = err, .pol = pol};
	yaml_parser_t parser;
	int rc = MMR_OK, have_doc = 0;
	if (!yaml_parser_initialize(&parser)) {
		rc = MMR_ENOMEM;
		goto fail;
	}
	yaml_parser_set_input_string(&parser, (const unsigned char *)buf, len);
	if (!yaml_parser_load(&parser, &p.doc)) {
		mmr_error_set(err, MMR_EINVAL, "%s:%d:%d: YAML を読めません (bad YAML): %s", name,
			      (int)parser.problem_mark.line + 1,
			      (int)parser.problem_mark.column + 1,
			      parser.problem ? parser.problem : "?");
		yaml_parser_delete(&parser);
		rc = MMR_EINVAL;
		goto fail;
	}
	yaml_parser_delete(&parser);
	have_doc = 1;
	yaml_node_t *root = yaml_document_get_root_node(&p.doc);
	if (!root || root->type != YAML_MAPPING_NODE) {
		rc = fail_at(&p, root, "最上位は対応表です (top level must be a mapping)");
		goto fail;
	}
	static const char *const keys[] = {"segments", "relays", "peers", NULL};
	if ((rc = keys_only(&p, root, keys)) ||
	    (rc = read_segments(&p, map_get(&p, root, "segments"))) ||
	    (rc = read_relays(&p, map_get(&p, root, "relays"))) ||
	    (rc = read_peers(&p, map_get(&p, root, "peers"))))
		goto fail;
	yaml_document_delete(&p.doc);
	*out = spec;
	return MMR_OK;
fail:
	if (rc == MMR_ENOMEM)
		mmr_error_set(err, MMR_ENOMEM, "out of memory");
	if (have_doc)
		yaml_document_delete(&p.doc);
	zspec_free(spec);
	return rc;
}

void zspec_free(zspec *s)
{
	if (!s)
		return;
	mmr_arena_free(s->arena);
	free(s);
}
