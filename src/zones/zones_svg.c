/*
 * zones_svg.c — the three-layer picture of a check result: the segments in a
 * row (relays drawn inside the segment that holds them), the My Number
 * segment's peers and "outside" below, one arrow per pair of endpoints and
 * kind of flow, violations in red. Text is XML-escaped; no script, no
 * external reference, so the picture can be inlined under a strict CSP.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "zones/zones.h"

struct sb {
	char *s;
	size_t n, cap;
	int oom;
};

static void sb_put(struct sb *b, const char *s, size_t n)
{
	if (b->oom)
		return;
	if (b->n + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 4096;
		while (cap < b->n + n + 1)
			cap *= 2;
		char *t = realloc(b->s, cap);
		if (!t) {
			b->oom = 1;
			return;
		}
		b->s = t;
		b->cap = cap;
	}
	memcpy(b->s + b->n, s, n);
	b->n += n;
	b->s[b->n] = 0;
}

static void sb_printf(struct sb *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(struct sb *b, const char *fmt, ...)
{
	char buf[1024];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0)
		sb_put(b, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1);
}

static void sb_esc(struct sb *b, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '<': sb_put(b, "&lt;", 4); break;
		case '>': sb_put(b, "&gt;", 4); break;
		case '&': sb_put(b, "&amp;", 5); break;
		case '"': sb_put(b, "&quot;", 6); break;
		case '\'': sb_put(b, "&#39;", 5); break;
		default: sb_put(b, s, 1);
		}
	}
}

#define MAX_NODES 96

struct node {
	const char *id, *label;
	int x, y, w, h;
};

static int node_find(struct node *nodes, int n, const char *id)
{
	for (int i = 0; i < n; i++)
		if (id && !strcmp(nodes[i].id, id))
			return i;
	return -1;
}

/* Short summary of a flow's services ("tcp/25", "tcp/0-442,…"). */
static void flow_label(const json_t *f, char *buf, size_t n)
{
	const json_t *sv = json_object_get(f, "services");
	const char *s0 = json_string_value(json_array_get(sv, 0));
	snprintf(buf, n, "%s%s", s0 ? s0 : "?", json_array_size(sv) > 1 ? ",…" : "");
}

char *mmr_zones_svg(const json_t *result)
{
	struct sb b = {0};
	struct node nodes[MAX_NODES];
	int nn = 0;
	const json_t *segs = json_object_get(result, "segments");
	const json_t *peers = json_object_get(result, "peer_hosts");
	const json_t *relays = json_object_get(result, "relay_hosts");
	int nseg = (int)json_array_size(segs);
	int nlow = (int)json_array_size(peers) + 1;
	int width = 60 + 380 * (nseg > nlow ? nseg : nlow);
	if (width < 1180)
		width = 1180;
	int height = 620;
	const json_t *x;
	size_t i;
	json_array_foreach (segs, i, x) {
		if (nn >= MAX_NODES)
			break;
		nodes[nn] = (struct node){json_string_value(json_object_get(x, "id")),
					  json_string_value(json_object_get(x, "name")),
					  40 + 380 * (int)i,
					  90,
					  290,
					  200};
		nn++;
	}
	json_array_foreach (peers, i, x) {
		if (nn >= MAX_NODES)
			break;
		nodes[nn] = (struct node){json_string_value(json_object_get(x, "name")),
					  json_string_value(json_object_get(x, "address")),
					  40 + 380 * (int)i,
					  430,
					  290,
					  70};
		nn++;
	}
	if (nn < MAX_NODES) {
		nodes[nn] = (struct node){"outside",
					  "定めのない外部 (other addresses)",
					  40 + 380 * (nlow - 1),
					  430,
					  290,
					  70};
		nn++;
	}
	sb_printf(&b,
		  "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\" "
		  "viewBox=\"0 0 "
		  "%d %d\" font-family=\"sans-serif\" font-size=\"13\" role=\"img\">\n",
		  width, height, width, height);
	sb_printf(&b, "<title>三層の分離 (three-layer separation): ");
	sb_esc(&b, json_string_value(json_object_get(result, "profile")));
	sb_printf(&b, "</title>\n<defs>");
	static const char *colors[] = {"#c00000", "#1a7f37", "#1f4fbf", "#6e7781"};
	for (int c = 0; c < 4; c++)
		sb_printf(&b,
			  "<marker id=\"a%d\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" "
			  "markerWidth=\"9\" markerHeight=\"9\" markerUnits=\"userSpaceOnUse\" "
			  "orient=\"auto\"><path d=\"M0,0 L10,5 "
			  "L0,10 z\" fill=\"%s\"/></marker>",
			  c, colors[c]);
	sb_printf(&b, "</defs>\n");
	int clean = json_is_true(json_object_get(result, "clean"));
	sb_printf(&b,
		  "<text x=\"20\" y=\"30\" font-size=\"18\" font-weight=\"bold\">三層の分離の確認 "
		  "(three-layer check): %s</text>\n",
		  clean ? "違反なし (clean)" : "違反あり (violations)");
	sb_printf(&b,
		  "<text x=\"20\" y=\"55\"><tspan fill=\"%s\">━ 違反 (violation)</tspan>　<tspan "
		  "fill=\"%s\">━ 無害化の中継 (relay)</tspan>　<tspan fill=\"%s\">━ 外部接続先 "
		  "(peer)</tspan>　<tspan fill=\"%s\">━ その他の許可 (allowed)</tspan></text>\n",
		  colors[0], colors[1], colors[2], colors[3]);
	for (int n = 0; n < nn; n++) {
		const struct node *d = &nodes[n];
		int seg = n < nseg;
		sb_printf(&b,
			  "<g class=\"node\"><rect x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" "
			  "rx=\"8\" "
			  "fill=\"%s\" stroke=\"#333\"/>",
			  d->x, d->y, d->w, d->h, seg ? "#f6f8fa" : "#fffbe6");
		sb_printf(&b, "<text x=\"%d\" y=\"%d\" font-weight=\"bold\">", d->x + 10,
			  d->y + 22);
		sb_esc(&b, seg ? d->label : d->id);
		sb_printf(&b, "</text><text x=\"%d\" y=\"%d\" fill=\"#555\">", d->x + 10,
			  d->y + 42);
		if (seg) {
			const json_t *subs =
				json_object_get(json_array_get(segs, (size_t)n), "subnets");
			const json_t *s;
			size_t k;
			json_array_foreach (subs, k, s) {
				if (k)
					sb_put(&b, " ", 1);
				sb_esc(&b, json_string_value(s));
			}
		} else {
			sb_esc(&b, d->label);
		}
		sb_printf(&b, "</text></g>\n");
	}
	/* relays inside the segment holding them */
	int per_seg[MAX_NODES] = {0};
	json_array_foreach (relays, i, x) {
		int n = node_find(nodes, nseg, json_string_value(json_object_get(x, "at")));
		if (n < 0)
			continue;
		int yy = nodes[n].y + 60 + 34 * per_seg[n]++;
		if (yy > nodes[n].y + nodes[n].h - 30)
			continue;
		sb_printf(&b,
			  "<g class=\"relay\"><rect x=\"%d\" y=\"%d\" width=\"270\" height=\"28\" "
			  "rx=\"4\" fill=\"#dafbe1\" stroke=\"%s\"/><text x=\"%d\" y=\"%d\" "
			  "font-size=\"11\">",
			  nodes[n].x + 10, yy, colors[1], nodes[n].x + 16, yy + 19);
		sb_esc(&b, json_string_value(json_object_get(x, "name")));
		sb_printf(&b, " (");
		sb_esc(&b, json_string_value(json_object_get(x, "method")));
		sb_printf(&b, ") ");
		sb_esc(&b, json_string_value(json_object_get(x, "address")));
		sb_printf(&b, "</text></g>\n");
	}
	/* arrows: one per (from, to, kind), label from the first flow */
	static const char *lists[] = {"violations", "relayed", "peers", "allowed"};
	int drawn = 0;
	for (int c = 0; c < 4; c++) {
		const json_t *fl = json_object_get(result, lists[c]);
		const json_t *f;
		size_t k;
		json_array_foreach (fl, k, f) {
			const char *from = json_string_value(json_object_get(f, "from"));
			const char *to = json_string_value(json_object_get(f, "to"));
			int dup = 0;
			for (size_t q = 0; q < k; q++) {
				const json_t *g = json_array_get(fl, q);
				dup |= !strcmp(from,
					       json_string_value(json_object_get(g, "from"))) &&
				       !strcmp(to, json_string_value(json_object_get(g, "to")));
			}
			int a = node_find(nodes, nn, from), z = node_find(nodes, nn, to);
			if (dup || a < 0 || z < 0)
				continue;
			/* offset the two directions and the kinds so arrows do not overlap */
			int off = (a < z ? -1 : 1) * (10 + 16 * c);
			int x1 = nodes[a].x + nodes[a].w / 2,
			    y1 = nodes[a].y + nodes[a].h / 2 + off;
			int x2 = nodes[z].x + nodes[z].w / 2,
			    y2 = nodes[z].y + nodes[z].h / 2 + off;
			if (nodes[a].y == nodes[z].y) {
				x1 += (x2 > x1 ? 1 : -1) * nodes[a].w / 2;
				x2 -= (x2 > x1 ? 1 : -1) * nodes[z].w / 2;
			} else {
				x1 += off;
				x2 += off;
				y1 = nodes[a].y + (y2 > y1 ? nodes[a].h : 0);
				y2 = nodes[z].y + (y2 > y1 ? 0 : nodes[z].h);
			}
			sb_printf(&b,
				  "<g class=\"flow %s\"><line x1=\"%d\" y1=\"%d\" x2=\"%d\" "
				  "y2=\"%d\" "
				  "stroke=\"%s\" stroke-width=\"%d\" marker-end=\"url(#a%d)\"/>",
				  lists[c], x1, y1, x2, y2, colors[c], c == 0 ? 3 : 2, c);
			char label[96];
			flow_label(f, label, sizeof label);
			/* the label just above a horizontal arrow, beside a vertical one */
			int lx = nodes[a].y == nodes[z].y ? (x1 < x2 ? x1 : x2) + 6 : x1 + 4;
			int ly = nodes[a].y == nodes[z].y ? y1 - 3 : (y1 + y2) / 2 + 14 * c;
			sb_printf(&b, "<text x=\"%d\" y=\"%d\" fill=\"%s\" font-size=\"11\">", lx,
				  ly, colors[c]);
			sb_esc(&b, label);
			const char *clause = json_string_value(json_object_get(f, "clause"));
			if (c == 0 && clause) {
				sb_put(&b, " ", 1);
				sb_esc(&b, clause);
			}
			sb_printf(&b, "</text></g>\n");
			drawn++;
		}
	}
	if (!drawn)
		sb_printf(
			&b,
			"<text x=\"20\" y=\"%d\" fill=\"#555\">系の間で許可された通信はありません "
			"(no flow between segments is allowed)</text>\n",
			height - 20);
	sb_printf(&b, "</svg>\n");
	if (b.oom) {
		free(b.s);
		return NULL;
	}
	return b.s;
}
