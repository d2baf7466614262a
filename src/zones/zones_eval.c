/*
 * zones_eval.c — push sets of packets (cubes: a product of intervals over
 * the packet dimensions) through the ruleset with netfilter's semantics.
 *
 * A forwarded IPv4 packet passes the prerouting base chains, then the forward
 * base chains, each hook's chains in priority order. In a base chain the
 * first matching rule with a verdict decides: accept ends that chain (the
 * packet goes on to the next base chain), drop ends everything, jump
 * evaluates the target and continues after the rule with what returns, goto
 * evaluates the target and what returns leaves the current chain, return
 * leaves the current chain; what leaves a base chain meets its policy. With
 * no base chain at all, forwarding is not filtered. Cubes are split where a
 * rule matches part of them, so every accepted part carries the rule that
 * accepted it.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "zones/zones_int.h"

#define ZONES_MAX_CUBES 4000000

int zcubes_push(zcubes *c, const zcube *x)
{
	if (c->n == c->cap) {
		size_t cap = c->cap ? c->cap * 2 : 64;
		zcube *v = realloc(c->v, cap * sizeof *v);
		if (!v)
			return MMR_ENOMEM;
		c->v = v;
		c->cap = cap;
	}
	c->v[c->n++] = *x;
	return MMR_OK;
}

void zcubes_free(zcubes *c)
{
	free(c->v);
	memset(c, 0, sizeof *c);
}

struct ev {
	const zruleset *rs;
	size_t made;
	mmr_error *err;
	zcubes scratch[2]; /* split()'s working lists, reused */
};

/* First interval of s whose hi >= lo (binary search). */
static size_t first_at_or_after(const zivs *s, uint32_t lo)
{
	size_t a = 0, b = s->n;
	while (a < b) {
		size_t m = (a + b) / 2;
		if (s->v[m].hi < lo)
			a = m + 1;
		else
			b = m;
	}
	return a;
}

static int overlaps(const zivs *s, ziv x)
{
	size_t i = first_at_or_after(s, x.lo);
	return i < s->n && s->v[i].lo <= x.hi;
}

static int rule_touches(const zrule *r, const zcube *x)
{
	for (int d = 0; d < ZD_N; d++)
		if (r->has[d] && !overlaps(&r->match[d], x->d[d]))
			return 0;
	return 1;
}

static int push(struct ev *e, zcubes *c, const zcube *x)
{
	if (++e->made > ZONES_MAX_CUBES) {
		mmr_error_set(
			e->err, MMR_ELIMIT,
			"規則が細かく分かれすぎて解析の上限を超えました (analysis limit: %d cubes)",
			ZONES_MAX_CUBES);
		return MMR_ELIMIT;
	}
	return zcubes_push(c, x);
}

/* Split x by rule r: the matching parts into `matched`, the rest into
 * `rest`. */
static int split(struct ev *e, const zrule *r, const zcube *x, zcubes *matched, zcubes *rest)
{
	zcubes cur = e->scratch[0], next = e->scratch[1];
	cur.n = next.n = 0;
	int rc = zcubes_push(&cur, x);
	for (int d = 0; d < ZD_N && rc == MMR_OK; d++) {
		if (!r->has[d])
			continue;
		const zivs *s = &r->match[d];
		ziv xd = x->d[d];
		/* the parts of xd outside s, and inside s */
		ziv out[2];
		next.n = 0;
		for (size_t k = 0; k < cur.n && rc == MMR_OK; k++) {
			zcube piece = cur.v[k];
			uint64_t at = xd.lo;
			for (size_t i = first_at_or_after(s, xd.lo);
			     i < s->n && s->v[i].lo <= xd.hi; i++) {
				uint32_t lo = s->v[i].lo > xd.lo ? s->v[i].lo : xd.lo;
				uint32_t hi = s->v[i].hi < xd.hi ? s->v[i].hi : xd.hi;
				if (lo > at) {
					out[0] = (ziv){(uint32_t)at, lo - 1};
					piece.d[d] = out[0];
					if ((rc = push(e, rest, &piece)))
						break;
				}
				piece.d[d] = (ziv){lo, hi};
				if ((rc = push(e, &next, &piece)))
					break;
				at = (uint64_t)hi + 1;
			}
			if (rc == MMR_OK && at <= xd.hi) {
				out[1] = (ziv){(uint32_t)at, xd.hi};
				piece.d[d] = out[1];
				rc = push(e, rest, &piece);
			}
		}
		zcubes t = cur;
		cur = next;
		next = t;
	}
	for (size_t k = 0; k < cur.n && rc == MMR_OK; k++)
		rc = push(e, matched, &cur.v[k]);
	e->scratch[0] = cur;
	e->scratch[1] = next;
	return rc;
}

int zones_split(const zrule *r, const zcube *x, zcubes *matched, zcubes *rest, mmr_error *err)
{
	struct ev e = {.err = err};
	int rc = split(&e, r, x, matched, rest);
	zcubes_free(&e.scratch[0]);
	zcubes_free(&e.scratch[1]);
	return rc;
}

#define ZONES_MAX_DEPTH 64

/* Evaluate chain ci on `in` (consumed). Accepted parts go to `accepted`
 * (by = the accepting rule); what falls off the end or returns goes to
 * `out`. Dropped parts vanish. */
static int eval_chain(struct ev *e, int ci, zcubes *in, zcubes *accepted, zcubes *out, int depth)
{
	if (depth > ZONES_MAX_DEPTH) {
		mmr_error_set(e->err, MMR_ELIMIT, "ジャンプが深すぎます (jump depth > %d)",
			      ZONES_MAX_DEPTH);
		return MMR_ELIMIT;
	}
	const zchain *ch = &e->rs->chains[ci];
	/* cur holds what is still in this chain: cubes a rule does not touch
	 * stay where they are; the parts of touched ones it does not match are
	 * appended (through `rest`) after the rule */
	zcubes cur = *in, rest = {0}, m = {0};
	memset(in, 0, sizeof *in);
	int rc = MMR_OK;
	/* the box around everything in cur: every later piece is part of a
	 * cube in it, so a rule missing the box misses them all */
	zcube box = cur.n ? cur.v[0] : (zcube){0};
	for (size_t i = 1; i < cur.n; i++)
		for (int d = 0; d < ZD_N; d++) {
			if (cur.v[i].d[d].lo < box.d[d].lo)
				box.d[d].lo = cur.v[i].d[d].lo;
			if (cur.v[i].d[d].hi > box.d[d].hi)
				box.d[d].hi = cur.v[i].d[d].hi;
		}
	for (size_t k = 0; k < ch->n_rules && rc == MMR_OK && cur.n; k++) {
		size_t ri = ch->rule_idx[k];
		const zrule *r = &e->rs->rules[ri];
		if (r->verdict == ZV_NONE || !rule_touches(r, &box))
			continue;
		rest.n = 0;
		m.n = 0;
		size_t w = 0;
		for (size_t i = 0; i < cur.n && rc == MMR_OK; i++) {
			if (!rule_touches(r, &cur.v[i])) {
				if (w != i)
					cur.v[w] = cur.v[i];
				w++;
			} else {
				rc = split(e, r, &cur.v[i], &m, &rest);
			}
		}
		if (rc)
			break;
		cur.n = w;
		switch (r->verdict) {
		case ZV_ACCEPT:
			for (size_t i = 0; i < m.n && rc == MMR_OK; i++) {
				m.v[i].by = (int)ri;
				rc = zcubes_push(accepted, &m.v[i]);
			}
			break;
		case ZV_DROP: break;
		case ZV_RETURN:
			for (size_t i = 0; i < m.n && rc == MMR_OK; i++)
				rc = zcubes_push(out, &m.v[i]);
			break;
		case ZV_JUMP: rc = eval_chain(e, r->target, &m, accepted, &rest, depth + 1); break;
		case ZV_GOTO: rc = eval_chain(e, r->target, &m, accepted, out, depth + 1); break;
		default: break;
		}
		for (size_t i = 0; i < rest.n && rc == MMR_OK; i++)
			rc = zcubes_push(&cur, &rest.v[i]);
	}
	for (size_t i = 0; i < cur.n && rc == MMR_OK; i++)
		rc = zcubes_push(out, &cur.v[i]);
	zcubes_free(&cur);
	zcubes_free(&rest);
	zcubes_free(&m);
	return rc;
}

/* Order of base chains: prerouting before forward, then by priority, then
 * as listed. */
static int base_before(const zruleset *rs, int x, int y)
{
	const zchain *a = &rs->chains[x], *b = &rs->chains[y];
	if (a->hook != b->hook)
		return a->hook < b->hook;
	if (a->prio != b->prio)
		return a->prio < b->prio;
	return x < y;
}

int zones_eval(const zruleset *rs, const zcubes *in, zcubes *accepted, mmr_error *err)
{
	struct ev e = {.rs = rs, .err = err};
	int *base = malloc((rs->n_chains + 1) * sizeof *base);
	if (!base)
		return MMR_ENOMEM;
	size_t nb = 0;
	for (size_t i = 0; i < rs->n_chains; i++)
		if (rs->chains[i].hook != ZH_NONE)
			base[nb++] = (int)i;
	for (size_t i = 1; i < nb; i++) {
		int v = base[i];
		size_t j = i;
		while (j > 0 && base_before(rs, v, base[j - 1])) {
			base[j] = base[j - 1];
			j--;
		}
		base[j] = v;
	}
	zcubes cur = {0};
	int rc = MMR_OK;
	for (size_t i = 0; i < in->n && rc == MMR_OK; i++)
		rc = zcubes_push(&cur, &in->v[i]);
	for (size_t b = 0; b < nb && rc == MMR_OK; b++) {
		zcubes acc = {0}, fall = {0};
		rc = eval_chain(&e, base[b], &cur, &acc, &fall, 0);
		if (rc == MMR_OK && !rs->chains[base[b]].policy_drop) {
			for (size_t i = 0; i < fall.n && rc == MMR_OK; i++) {
				/* accepted by policy: keep an earlier rule's name if any */
				if (fall.v[i].by < 0)
					fall.v[i].by = -(base[b] + 1);
				rc = zcubes_push(&acc, &fall.v[i]);
			}
		}
		zcubes_free(&fall);
		zcubes_free(&cur);
		cur = acc;
	}
	for (size_t i = 0; i < cur.n && rc == MMR_OK; i++)
		rc = zcubes_push(accepted, &cur.v[i]);
	zcubes_free(&cur);
	zcubes_free(&e.scratch[0]);
	zcubes_free(&e.scratch[1]);
	free(base);
	return rc;
}
