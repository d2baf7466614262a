/*
 * policy_load.c — read a profile (YAML, libyaml's document API) into the
 * policy model, following `extends:` to its base first and merging the child
 * over it (docs/profile-language.md). Every problem becomes a diagnostic
 * with file:line:column; loading fails when there is any.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "core/policy_int.h"

#define MAX_PROFILE_BYTES (4u * 1024u * 1024u)

struct ld {
	mmr_policy *pol;
	yaml_document_t doc;
	const char *file;	       /* arena */
	const char *dir;	       /* arena, may be NULL */
	int gen;		       /* 0 for the first file read, +1 per file */
	int depth;		       /* extends depth of this file (0 = top) */
	const char *document, *source; /* this file's defaults for citations */
};

int mmr_diag_add(mmr_policy *pol, struct mmr_pos pos, const char *fmt, ...)
{
	char buf[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (pol->n_diags == pol->cap_diags) {
		size_t cap = pol->cap_diags ? pol->cap_diags * 2 : 16;
		struct mmr_diag *d =
			mmr_arena_grow(pol->arena, pol->diags, pol->n_diags, cap, sizeof(*d));
		if (!d)
			return MMR_ENOMEM;
		pol->diags = d;
		pol->cap_diags = cap;
	}
	pol->diags[pol->n_diags].pos = pos;
	pol->diags[pol->n_diags].message = mmr_arena_strdup(pol->arena, buf);
	pol->n_diags++;
	return MMR_EINVAL;
}

static struct mmr_pos npos(struct ld *ld, const yaml_node_t *n)
{
	struct mmr_pos p = {ld->file, 1, 1};
	if (n) {
		p.line = (int)n->start_mark.line + 1;
		p.col = (int)n->start_mark.column + 1;
	}
	return p;
}

static yaml_node_t *node(struct ld *ld, int idx)
{
	return yaml_document_get_node(&ld->doc, idx);
}

static const char *kind_name(const yaml_node_t *n)
{
	switch (n->type) {
	case YAML_SCALAR_NODE: return "文字列 (scalar)";
	case YAML_SEQUENCE_NODE: return "リスト (sequence)";
	case YAML_MAPPING_NODE: return "マップ (mapping)";
	default: return "空 (empty)";
	}
}

/* The scalar's text as an arena string, or NULL with a diagnostic. */
static const char *scalar(struct ld *ld, yaml_node_t *n, const char *what)
{
	if (!n || n->type != YAML_SCALAR_NODE) {
		mmr_diag_add(ld->pol, npos(ld, n), "%s には文字列が必要です（%s が書かれています）",
			     what, n ? kind_name(n) : "なし");
		return NULL;
	}
	return mmr_arena_strndup(ld->pol->arena, (const char *)n->data.scalar.value,
				 n->data.scalar.length);
}

static bool is_plain_bool(const yaml_node_t *n, bool *v)
{
	if (n->type != YAML_SCALAR_NODE || n->data.scalar.style != YAML_PLAIN_SCALAR_STYLE)
		return false;
	const char *s = (const char *)n->data.scalar.value;
	if (!strcmp(s, "true")) {
		*v = true;
		return true;
	}
	if (!strcmp(s, "false")) {
		*v = false;
		return true;
	}
	return false;
}

static bool expect_type(struct ld *ld, yaml_node_t *n, yaml_node_type_t t, const char *what)
{
	if (n && n->type == t)
		return true;
	mmr_diag_add(ld->pol, npos(ld, n), "%s には%sが必要です（%s が書かれています）", what,
		     t == YAML_MAPPING_NODE    ? "マップ"
		     : t == YAML_SEQUENCE_NODE ? "リスト"
					       : "文字列",
		     n ? kind_name(n) : "なし");
	return false;
}

/* Iterate a mapping: key text, value node, key position. A duplicate key
 * is reported and skipped; a non-scalar key too. */
struct map_it {
	struct ld *ld;
	yaml_node_t *m;
	yaml_node_pair_t *p;
	const char *key;
	yaml_node_t *val;
	struct mmr_pos kpos;
};

static bool dup_key(struct ld *ld, yaml_node_t *m, yaml_node_pair_t *at, const char *k,
		    struct mmr_pos pos);

static struct map_it map_begin(struct ld *ld, yaml_node_t *m)
{
	struct map_it it = {ld, m, NULL, NULL, NULL, {NULL, 0, 0}};
	return it;
}

static bool map_next(struct map_it *it)
{
	yaml_node_pair_t *end = it->m->data.mapping.pairs.top;
	it->p = it->p ? it->p + 1 : it->m->data.mapping.pairs.start;
	for (; it->p < end; it->p++) {
		yaml_node_t *kn = node(it->ld, it->p->key);
		if (!kn || kn->type != YAML_SCALAR_NODE) {
			mmr_diag_add(it->ld->pol, npos(it->ld, kn),
				     "マップのキーは文字列でなければなりません");
			continue;
		}
		it->key = (const char *)kn->data.scalar.value;
		it->val = node(it->ld, it->p->value);
		it->kpos = npos(it->ld, kn);
		if (dup_key(it->ld, it->m, it->p, it->key, it->kpos))
			continue;
		return true;
	}
	return false;
}

static bool dup_key(struct ld *ld, yaml_node_t *m, yaml_node_pair_t *at, const char *k,
		    struct mmr_pos pos)
{
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start; p < at; p++) {
		yaml_node_t *kn = node(ld, p->key);
		if (kn && kn->type == YAML_SCALAR_NODE &&
		    !strcmp((const char *)kn->data.scalar.value, k)) {
			mmr_diag_add(ld->pol, pos, "キー \"%s\" が重複しています (duplicate key)",
				     k);
			return true;
		}
	}
	return false;
}

static void unknown_key(struct ld *ld, struct mmr_pos pos, const char *k, const char *where,
			const char *known)
{
	mmr_diag_add(ld->pol, pos, "未知のキー \"%s\"（%s; 使えるキー: %s）", k, where, known);
}

/* A scalar or a sequence of scalars → slist with positions. */
static bool strlist(struct ld *ld, yaml_node_t *n, struct mmr_slist *out, const char *what)
{
	mmr_arena *a = ld->pol->arena;
	if (n && n->type == YAML_SCALAR_NODE) {
		const char *s = scalar(ld, n, what);
		if (!s)
			return false;
		out->v = mmr_arena_alloc(a, sizeof(*out->v));
		if (!out->v)
			return false;
		out->v[0].s = s;
		out->v[0].pos = npos(ld, n);
		out->n = 1;
		return true;
	}
	if (!n || n->type != YAML_SEQUENCE_NODE) {
		expect_type(ld, n, YAML_SEQUENCE_NODE, what);
		return false;
	}
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	out->v = mmr_arena_alloc(a, (cnt ? cnt : 1) * sizeof(*out->v));
	if (!out->v)
		return false;
	out->n = 0;
	for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top;
	     it++) {
		yaml_node_t *e = node(ld, *it);
		bool b;
		const char *s;
		if (e && is_plain_bool(e, &b))
			s = b ? "true" : "false";
		else
			s = scalar(ld, e, what);
		if (!s)
			return false;
		out->v[out->n].s = s;
		out->v[out->n].pos = npos(ld, e);
		out->n++;
	}
	return true;
}

/* ---- vocabularies --------------------------------------------------------- */

/* `id: name` or `id: {name:, definition:, clause:}` into a name list. */
static void named_section(struct ld *ld, yaml_node_t *m, struct mmr_namelist *l, const char *what,
			  size_t max)
{
	if (!expect_type(ld, m, YAML_MAPPING_NODE, what))
		return;
	for (struct map_it it0 = map_begin(ld, m); map_next(&it0);) {
		const char *id = it0.key;
		yaml_node_t *v = it0.val;
		const char *name = NULL, *def = NULL, *clause = NULL, *access = NULL;
		bool is_role = !strcmp(what, "role");
		if (v && v->type == YAML_SCALAR_NODE) {
			name = scalar(ld, v, what);
		} else if (v && v->type == YAML_MAPPING_NODE) {
			for (struct map_it it1 = map_begin(ld, v); map_next(&it1);) {
				const char *k = it1.key;
				yaml_node_t *vv = it1.val;
				if (!strcmp(k, "name"))
					name = scalar(ld, vv, "name");
				else if (!strcmp(k, "definition"))
					def = scalar(ld, vv, "definition");
				else if (!strcmp(k, "clause"))
					clause = scalar(ld, vv, "clause");
				else if (is_role && !strcmp(k, "access")) {
					access = scalar(ld, vv, "access");
					if (access && !mmr_access_valid(access)) {
						mmr_diag_add(
							ld->pol, npos(ld, vv),
							"role \"%s\" の access \"%s\" は未知です"
							"（使える値: %s）",
							id, access, MMR_ACCESS_VALUES);
						access = NULL;
					}
				} else
					unknown_key(ld, it1.kpos, k, what,
						    is_role ? "name, definition, clause, access"
							    : "name, definition, clause");
			}
		} else {
			mmr_diag_add(ld->pol, npos(ld, v),
				     "%s \"%s\" には名前（文字列）か {name: …} が必要です", what,
				     id);
			continue;
		}
		if (!name) {
			mmr_diag_add(ld->pol, npos(ld, v), "%s \"%s\" に name がありません", what,
				     id);
			continue;
		}
		int i = mmr_named_find(l, id);
		if (i < 0) {
			if (l->n >= max) {
				mmr_diag_add(ld->pol, it0.kpos, "%s が多すぎます（上限 %zu）", what,
					     max);
				continue;
			}
			struct mmr_named *nv =
				mmr_arena_grow(ld->pol->arena, l->v, l->n, l->n + 1, sizeof(*nv));
			if (!nv)
				return;
			l->v = nv;
			i = (int)l->n++;
			l->v[i].id = mmr_arena_strdup(ld->pol->arena, id);
			l->v[i].access = NULL;
		}
		struct mmr_named *e = &l->v[i];
		e->name = name;
		e->definition = def;
		e->clause = clause;
		if (access) /* an override that does not say keeps the base's */
			e->access = access;
		e->pos = it0.kpos;
		e->builtin = false;
	}
}

static void level_entry(struct ld *ld, yaml_node_t *m, struct mmr_axis *ax)
{
	if (!expect_type(ld, m, YAML_MAPPING_NODE, "levels の各項目"))
		return;
	if (ax->n_levels >= MMR_MAX_LEVELS) {
		mmr_diag_add(ld->pol, npos(ld, m), "レベルが多すぎます（上限 %d）", MMR_MAX_LEVELS);
		return;
	}
	struct mmr_level *lv = &ax->levels[ax->n_levels];
	memset(lv, 0, sizeof *lv);
	lv->pos = npos(ld, m);
	for (struct map_it it0 = map_begin(ld, m); map_next(&it0);) {
		const char *k = it0.key;
		yaml_node_t *v = it0.val;
		if (!strcmp(k, "id"))
			lv->id = scalar(ld, v, "level id");
		else if (!strcmp(k, "name"))
			lv->name = scalar(ld, v, "name");
		else if (!strcmp(k, "definition"))
			lv->definition = scalar(ld, v, "definition");
		else if (!strcmp(k, "aliases"))
			strlist(ld, v, &lv->aliases, "aliases");
		else if (!strcmp(k, "restrictions"))
			strlist(ld, v, &lv->restrictions, "restrictions");
		else
			unknown_key(ld, it0.kpos, k, "level",
				    "id, name, definition, aliases, restrictions");
	}
	if (!lv->id) {
		mmr_diag_add(ld->pol, lv->pos, "レベルに id がありません");
		return;
	}
	if (!strcmp(lv->id, "none")) {
		mmr_diag_add(ld->pol, lv->pos, "\"none\" は予約語でレベル id に使えません");
		return;
	}
	if (mmr_level_find(ax, lv->id) >= 0) {
		mmr_diag_add(ld->pol, lv->pos, "レベル \"%s\" が重複しています", lv->id);
		return;
	}
	if (!lv->name)
		lv->name = lv->id;
	ax->n_levels++;
}

static void axes_section(struct ld *ld, yaml_node_t *m)
{
	mmr_policy *pol = ld->pol;
	if (!expect_type(ld, m, YAML_MAPPING_NODE, "axes"))
		return;
	for (struct map_it it0 = map_begin(ld, m); map_next(&it0);) {
		const char *id = it0.key;
		yaml_node_t *v = it0.val;
		struct mmr_axis ax;
		memset(&ax, 0, sizeof ax);
		ax.id = mmr_arena_strdup(pol->arena, id);
		ax.pos = it0.kpos;
		if (!expect_type(ld, v, YAML_MAPPING_NODE, "axis"))
			continue;
		bool have_levels = false;
		for (struct map_it it1 = map_begin(ld, v); map_next(&it1);) {
			const char *k = it1.key;
			yaml_node_t *vv = it1.val;
			if (!strcmp(k, "name"))
				ax.name = scalar(ld, vv, "name");
			else if (!strcmp(k, "clause"))
				ax.clause = scalar(ld, vv, "clause");
			else if (!strcmp(k, "levels")) {
				have_levels = true;
				if (!expect_type(ld, vv, YAML_SEQUENCE_NODE, "levels"))
					continue;
				for (yaml_node_item_t *it = vv->data.sequence.items.start;
				     it < vv->data.sequence.items.top; it++)
					level_entry(ld, node(ld, *it), &ax);
			} else
				unknown_key(ld, it1.kpos, k, "axis", "name, clause, levels");
		}
		if (!have_levels || ax.n_levels == 0) {
			mmr_diag_add(pol, it0.kpos, "分類軸 \"%s\" にレベルがありません (levels)",
				     id);
			continue;
		}
		if (!ax.name)
			ax.name = ax.id;
		int i = mmr_axis_find(pol, id);
		if (i < 0) {
			if (pol->n_axes >= MMR_MAX_AXES) {
				mmr_diag_add(pol, it0.kpos, "分類軸が多すぎます（上限 %d）",
					     MMR_MAX_AXES);
				continue;
			}
			i = (int)pol->n_axes++;
		}
		pol->axes[i] = ax;
	}
}

static void remove_axes(struct ld *ld, yaml_node_t *n)
{
	struct mmr_slist l = {0};
	if (!strlist(ld, n, &l, "remove_axes"))
		return;
	for (size_t j = 0; j < l.n; j++) {
		int i = mmr_axis_find(ld->pol, l.v[j].s);
		if (i < 0) {
			mmr_diag_add(ld->pol, l.v[j].pos,
				     "remove_axes: 基底プロファイルに分類軸 \"%s\" はありません",
				     l.v[j].s);
			continue;
		}
		memmove(&ld->pol->axes[i], &ld->pol->axes[i + 1],
			(ld->pol->n_axes - (size_t)i - 1) * sizeof(struct mmr_axis));
		ld->pol->n_axes--;
	}
}

static void context_section(struct ld *ld, yaml_node_t *m)
{
	mmr_policy *pol = ld->pol;
	if (!expect_type(ld, m, YAML_MAPPING_NODE, "context"))
		return;
	for (struct map_it it0 = map_begin(ld, m); map_next(&it0);) {
		const char *id = it0.key;
		yaml_node_t *v = it0.val;
		if (!expect_type(ld, v, YAML_MAPPING_NODE, "context key"))
			continue;
		const char *name = NULL, *type = NULL;
		struct mmr_slist values = {0};
		struct mmr_pos tpos = it0.kpos;
		for (struct map_it it1 = map_begin(ld, v); map_next(&it1);) {
			const char *k = it1.key;
			yaml_node_t *vv = it1.val;
			if (!strcmp(k, "name"))
				name = scalar(ld, vv, "name");
			else if (!strcmp(k, "type")) {
				type = scalar(ld, vv, "type");
				tpos = npos(ld, vv);
			} else if (!strcmp(k, "values"))
				strlist(ld, vv, &values, "values");
			else
				unknown_key(ld, it1.kpos, k, "context key", "name, type, values");
		}
		int i = mmr_ctx_find(pol, id);
		struct mmr_ctxkey *ck;
		if (i < 0) {
			if (!type) {
				mmr_diag_add(pol, it0.kpos,
					     "新しいコンテキストキー \"%s\" には type が必要です "
					     "(bool, enum)",
					     id);
				continue;
			}
			if (pol->n_ctx >= MMR_MAX_CTX) {
				mmr_diag_add(pol, it0.kpos,
					     "コンテキストキーが多すぎます（上限 %d）",
					     MMR_MAX_CTX);
				continue;
			}
			ck = &pol->ctx[pol->n_ctx++];
			memset(ck, 0, sizeof *ck);
			ck->id = mmr_arena_strdup(pol->arena, id);
			ck->pos = it0.kpos;
			if (!strcmp(type, "bool"))
				ck->type = MMR_CTX_BOOL;
			else if (!strcmp(type, "enum"))
				ck->type = MMR_CTX_ENUM;
			else if (!strcmp(type, "segment"))
				ck->type = MMR_CTX_SEGMENT;
			else {
				mmr_diag_add(pol, tpos, "未知の type \"%s\"（bool, enum, segment）",
					     type);
				pol->n_ctx--;
				continue;
			}
		} else {
			ck = &pol->ctx[i];
			if (type && strcmp(type, mmr_ctx_type_name(ck->type))) {
				mmr_diag_add(
					pol, tpos,
					"コンテキストキー \"%s\" の type は %s で、変えられません",
					id, mmr_ctx_type_name(ck->type));
				continue;
			}
		}
		if (name)
			ck->name = name;
		if (!ck->name)
			ck->name = ck->id;
		if (values.n && ck->type != MMR_CTX_ENUM) {
			mmr_diag_add(pol, it0.kpos, "values は enum 型のキーにだけ書けます");
			continue;
		}
		for (size_t j = 0; j < values.n; j++) {
			if (mmr_ctx_value_find(pol, ck, values.v[j].s) > 0)
				continue;
			if (!strcmp(values.v[j].s, "none")) {
				mmr_diag_add(pol, values.v[j].pos,
					     "\"none\" は予約語で値に使えません");
				continue;
			}
			if (ck->n_values >= MMR_MAX_CTX_VALUES) {
				mmr_diag_add(pol, values.v[j].pos, "値が多すぎます（上限 %d）",
					     MMR_MAX_CTX_VALUES);
				break;
			}
			ck->values[ck->n_values++] = values.v[j].s;
		}
		if (ck->type == MMR_CTX_ENUM && ck->n_values == 0)
			mmr_diag_add(pol, it0.kpos, "enum 型のキー \"%s\" に values がありません",
				     id);
	}
}

static void settings_section(struct ld *ld, yaml_node_t *m)
{
	mmr_policy *pol = ld->pol;
	if (!expect_type(ld, m, YAML_MAPPING_NODE, "settings"))
		return;
	for (struct map_it it0 = map_begin(ld, m); map_next(&it0);) {
		const char *sec = it0.key;
		yaml_node_t *sv = it0.val;
		if (!expect_type(ld, sv, YAML_MAPPING_NODE, "settings の節"))
			continue;
		for (struct map_it it1 = map_begin(ld, sv); map_next(&it1);) {
			const char *k = it1.key;
			yaml_node_t *v = it1.val;
			char key[128];
			snprintf(key, sizeof key, "%s.%s", sec, k);
			int i = mmr_setting_find(pol, key);
			if (i < 0) {
				mmr_diag_add(pol, it1.kpos, "未知の設定 \"%s\"", key);
				continue;
			}
			struct mmr_setting *st = &pol->settings[i];
			st->pos = it1.kpos;
			if (st->type == MMR_SET_LIST) {
				struct mmr_slist l = {0};
				if (v && v->type == YAML_SEQUENCE_NODE &&
				    v->data.sequence.items.top == v->data.sequence.items.start) {
					st->list = l;
					st->set = true;
				} else if (strlist(ld, v, &l, key)) {
					st->list = l;
					st->set = true;
				}
				continue;
			}
			bool b;
			if (st->type == MMR_SET_BOOL) {
				if (!v || !is_plain_bool(v, &b)) {
					mmr_diag_add(pol, npos(ld, v),
						     "設定 \"%s\" は true か false です", key);
					continue;
				}
				st->ival = b;
				st->set = true;
				continue;
			}
			const char *s = scalar(ld, v, key);
			if (!s)
				continue;
			char *end;
			errno = 0;
			long val = strtol(s, &end, 10);
			if (errno || *end || end == s || val < 0) {
				mmr_diag_add(pol, npos(ld, v),
					     "設定 \"%s\" は 0 以上の整数です（\"%s\"）", key, s);
				continue;
			}
			st->ival = val;
			st->set = true;
		}
	}
}

/* ---- rules ----------------------------------------------------------------- */

static void cond_values(struct ld *ld, yaml_node_t *v, struct mmr_rawcond *c, const char *what,
			bool allow_ops)
{
	if (allow_ops && v && v->type == YAML_MAPPING_NODE) {
		int n = 0;
		for (struct map_it it0 = map_begin(ld, v); map_next(&it0);) {
			const char *k = it0.key;
			yaml_node_t *vv = it0.val;
			n++;
			if (!strcmp(k, "at_least"))
				c->op = MMR_OP_AT_LEAST;
			else if (!strcmp(k, "at_most"))
				c->op = MMR_OP_AT_MOST;
			else if (!strcmp(k, "in"))
				c->op = MMR_OP_IN;
			else {
				unknown_key(ld, it0.kpos, k, what, "at_least, at_most, in");
				continue;
			}
			strlist(ld, vv, &c->values, what);
			if (c->op != MMR_OP_IN && c->values.n != 1)
				mmr_diag_add(ld->pol, npos(ld, vv), "%s は一つのレベルを取ります",
					     k);
		}
		if (n != 1)
			mmr_diag_add(ld->pol, npos(ld, v),
				     "%s には at_least, at_most, in のどれか一つを書きます", what);
		return;
	}
	c->op = MMR_OP_IN;
	bool b;
	if (v && is_plain_bool(v, &b)) {
		c->values.v = mmr_arena_alloc(ld->pol->arena, sizeof(*c->values.v));
		if (!c->values.v)
			return;
		c->values.v[0].s = b ? "true" : "false";
		c->values.v[0].pos = npos(ld, v);
		c->values.n = 1;
		return;
	}
	strlist(ld, v, &c->values, what);
	if (c->values.n == 0)
		mmr_diag_add(ld->pol, npos(ld, v), "%s の値が空です", what);
}

static bool push_cond(struct ld *ld, struct mmr_rawblock *b, struct mmr_rawcond *c)
{
	struct mmr_rawcond *v = mmr_arena_grow(ld->pol->arena, b->v, b->n, b->n + 1, sizeof(*v));
	if (!v)
		return false;
	b->v = v;
	v[b->n++] = *c;
	return true;
}

static void cond_block(struct ld *ld, yaml_node_t *m, struct mmr_rawblock *b, const char *what)
{
	b->present = true;
	if (!expect_type(ld, m, YAML_MAPPING_NODE, what))
		return;
	for (struct map_it it0 = map_begin(ld, m); map_next(&it0);) {
		const char *k = it0.key;
		yaml_node_t *v = it0.val;
		struct mmr_rawcond c;
		memset(&c, 0, sizeof c);
		c.pos = it0.kpos;
		if (!strcmp(k, "context")) {
			if (!expect_type(ld, v, YAML_MAPPING_NODE, "context"))
				continue;
			for (struct map_it it1 = map_begin(ld, v); map_next(&it1);) {
				const char *ck = it1.key;
				yaml_node_t *cv = it1.val;
				struct mmr_rawcond cc;
				memset(&cc, 0, sizeof cc);
				cc.what = RC_CTX;
				cc.pos = it1.kpos;
				cc.key = mmr_arena_strdup(ld->pol->arena, ck);
				cond_values(ld, cv, &cc, ck, false);
				push_cond(ld, b, &cc);
			}
			continue;
		}
		if (!strcmp(k, "roles"))
			c.what = RC_ROLES;
		else if (!strcmp(k, "kind"))
			c.what = RC_KIND;
		else if (!strcmp(k, "segment"))
			c.what = RC_SEGMENT;
		else
			c.what = RC_AXIS; /* resolved (or refused) when compiled */
		c.key = mmr_arena_strdup(ld->pol->arena, k);
		cond_values(ld, v, &c, k, c.what == RC_AXIS);
		push_cond(ld, b, &c);
	}
}

static void citation(struct ld *ld, yaml_node_t *m, struct mmr_citation *c)
{
	c->pos = npos(ld, m);
	if (!expect_type(ld, m, YAML_MAPPING_NODE, "citation"))
		return;
	for (struct map_it it0 = map_begin(ld, m); map_next(&it0);) {
		const char *k = it0.key;
		yaml_node_t *v = it0.val;
		if (!strcmp(k, "clause"))
			c->clause = scalar(ld, v, "clause");
		else if (!strcmp(k, "text")) {
			c->text = scalar(ld, v, "text");
			c->text_pos = npos(ld, v);
		} else if (!strcmp(k, "document"))
			c->document = scalar(ld, v, "document");
		else if (!strcmp(k, "source"))
			c->source = scalar(ld, v, "source");
		else
			unknown_key(ld, it0.kpos, k, "citation", "clause, text, document, source");
	}
	if (!c->clause || !*c->clause)
		mmr_diag_add(ld->pol, c->pos, "citation に clause（条項番号）がありません");
	if (!c->text || !*c->text)
		mmr_diag_add(ld->pol, c->pos, "citation に text（条項の文言）がありません");
}

static int effect_from(const char *s)
{
	if (!strcmp(s, "permit"))
		return MMR_PERMIT;
	if (!strcmp(s, "deny"))
		return MMR_DENY;
	if (!strcmp(s, "needs_approval"))
		return MMR_NEEDS_APPROVAL;
	return -1;
}

static int find_rule(const mmr_policy *pol, const char *id)
{
	for (size_t i = 0; i < pol->n_rules; i++)
		if (!strcmp(pol->rules[i].id, id))
			return (int)i;
	return -1;
}

static void rule_entry(struct ld *ld, yaml_node_t *m)
{
	mmr_policy *pol = ld->pol;
	if (!expect_type(ld, m, YAML_MAPPING_NODE, "rules の各項目"))
		return;
	struct mmr_rule r;
	memset(&r, 0, sizeof r);
	r.pos = npos(ld, m);
	r.effect = -1;
	r.depth = ld->gen;
	bool have_citation = false, have_effect = false;
	for (struct map_it it0 = map_begin(ld, m); map_next(&it0);) {
		const char *k = it0.key;
		yaml_node_t *v = it0.val;
		if (!strcmp(k, "id"))
			r.id = scalar(ld, v, "id");
		else if (!strcmp(k, "title"))
			r.title = scalar(ld, v, "title");
		else if (!strcmp(k, "action") || !strcmp(k, "actions"))
			strlist(ld, v, &r.actions, k);
		else if (!strcmp(k, "when"))
			cond_block(ld, v, &r.when, "when");
		else if (!strcmp(k, "unless"))
			cond_block(ld, v, &r.unless, "unless");
		else if (!strcmp(k, "effect")) {
			have_effect = true;
			const char *e = scalar(ld, v, "effect");
			if (e && (r.effect = effect_from(e)) < 0)
				mmr_diag_add(pol, npos(ld, v),
					     "未知の effect \"%s\"（permit, deny, needs_approval）",
					     e);
		} else if (!strcmp(k, "approvers")) {
			if (v && v->type == YAML_MAPPING_NODE) {
				int n = 0;
				for (struct map_it it1 = map_begin(ld, v); map_next(&it1);) {
					const char *ak = it1.key;
					yaml_node_t *av = it1.val;
					n++;
					if (!strcmp(ak, "any_of"))
						r.approvers_all = false;
					else if (!strcmp(ak, "all_of"))
						r.approvers_all = true;
					else {
						unknown_key(ld, it1.kpos, ak, "approvers",
							    "any_of, all_of");
						continue;
					}
					strlist(ld, av, &r.approvers, ak);
				}
				if (n != 1)
					mmr_diag_add(pol, npos(ld, v),
						     "approvers には any_of か all_of "
						     "のどちらか一つを書きます");
			} else
				strlist(ld, v, &r.approvers, "approvers");
		} else if (!strcmp(k, "obligations"))
			strlist(ld, v, &r.obligations, "obligations");
		else if (!strcmp(k, "citation")) {
			have_citation = true;
			citation(ld, v, &r.citation);
		} else if (!strcmp(k, "note"))
			r.note = scalar(ld, v, "note");
		else
			unknown_key(ld, it0.kpos, k, "rule",
				    "id, title, action, when, unless, effect, approvers, "
				    "obligations, citation, note");
	}
	if (!r.id) {
		mmr_diag_add(pol, r.pos, "規則に id がありません");
		return;
	}
	if (!r.title)
		mmr_diag_add(pol, r.pos, "規則 %s に title がありません", r.id);
	if (r.actions.n == 0)
		mmr_diag_add(pol, r.pos, "規則 %s に action がありません", r.id);
	if (!have_effect)
		mmr_diag_add(pol, r.pos, "規則 %s に effect がありません", r.id);
	if (!have_citation)
		mmr_diag_add(pol, r.pos,
			     "規則 %s に citation（条項と文言）がありません (no citation)", r.id);
	if (r.effect == MMR_NEEDS_APPROVAL && r.approvers.n == 0)
		mmr_diag_add(pol, r.pos, "規則 %s は needs_approval ですが approvers がありません",
			     r.id);
	if (r.effect >= 0 && r.effect != MMR_NEEDS_APPROVAL && r.approvers.n)
		mmr_diag_add(pol, r.pos,
			     "規則 %s: approvers は needs_approval の規則にだけ書けます", r.id);
	if (!r.title)
		r.title = r.id;
	if (!r.citation.document)
		r.citation.document = ld->document;
	if (!r.citation.source)
		r.citation.source = ld->source;
	r.citation.source_dir = ld->dir;

	int i = find_rule(pol, r.id);
	if (i >= 0) {
		if (pol->rules[i].depth == ld->gen) {
			mmr_diag_add(
				pol, r.pos,
				"規則 id \"%s\" が重複しています（最初は %d 行目）(duplicate id)",
				r.id, pol->rules[i].pos.line);
			return;
		}
		pol->rules[i] = r; /* override of a base rule, in place */
		return;
	}
	if (pol->n_rules >= MMR_MAX_RULES) {
		mmr_diag_add(pol, r.pos, "規則が多すぎます（上限 %d）", MMR_MAX_RULES);
		return;
	}
	if (pol->n_rules == pol->cap_rules) {
		size_t cap = pol->cap_rules ? pol->cap_rules * 2 : 64;
		struct mmr_rule *nr =
			mmr_arena_grow(pol->arena, pol->rules, pol->n_rules, cap, sizeof(*nr));
		if (!nr)
			return;
		pol->rules = nr;
		pol->cap_rules = cap;
	}
	pol->rules[pol->n_rules++] = r;
}

static void remove_rules(struct ld *ld, yaml_node_t *n)
{
	mmr_policy *pol = ld->pol;
	struct mmr_slist l = {0};
	if (!strlist(ld, n, &l, "remove_rules"))
		return;
	for (size_t j = 0; j < l.n; j++) {
		int i = find_rule(pol, l.v[j].s);
		if (i < 0 || pol->rules[i].depth == ld->gen) {
			mmr_diag_add(pol, l.v[j].pos,
				     "remove_rules: 基底プロファイルに規則 \"%s\" はありません",
				     l.v[j].s);
			continue;
		}
		memmove(&pol->rules[i], &pol->rules[i + 1],
			(pol->n_rules - (size_t)i - 1) * sizeof(struct mmr_rule));
		pol->n_rules--;
	}
}

/* ---- files ----------------------------------------------------------------- */

static int load_file(mmr_policy *pol, const char *path, int depth, int *gen);

static const char *dir_of(mmr_arena *a, const char *path)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		return ".";
	return mmr_arena_strndup(a, path, (size_t)(slash - path));
}

static const char *stem_of(mmr_arena *a, const char *path)
{
	const char *b = strrchr(path, '/');
	b = b ? b + 1 : path;
	size_t n = strlen(b);
	if (n > 5 && !strcmp(b + n - 5, ".yaml"))
		n -= 5;
	else if (n > 4 && !strcmp(b + n - 4, ".yml"))
		n -= 4;
	return mmr_arena_strndup(a, b, n);
}

static bool valid_profile_id(const char *s)
{
	if (!*s || strlen(s) > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') || *p == '-' ||
		      *p == '_'))
			return false;
	return true;
}

/* Read the whole of one profile text (already in memory) into pol. */
static int load_text(mmr_policy *pol, const char *name, const char *dir, const char *text,
		     size_t len, int depth, int *gen)
{
	struct ld ld;
	memset(&ld, 0, sizeof ld);
	ld.pol = pol;
	ld.file = mmr_arena_strdup(pol->arena, name);
	ld.dir = dir ? mmr_arena_strdup(pol->arena, dir) : NULL;
	ld.depth = depth;

	yaml_parser_t parser;
	if (!yaml_parser_initialize(&parser))
		return MMR_ENOMEM;
	yaml_parser_set_input_string(&parser, (const unsigned char *)text, len);
	if (!yaml_parser_load(&parser, &ld.doc)) {
		struct mmr_pos p = {ld.file, (int)parser.problem_mark.line + 1,
				    (int)parser.problem_mark.column + 1};
		if (parser.context)
			mmr_diag_add(pol, p, "YAML の構文誤り: %s（%s）(YAML syntax error)",
				     parser.problem ? parser.problem : "?", parser.context);
		else
			mmr_diag_add(pol, p, "YAML の構文誤り: %s (YAML syntax error)",
				     parser.problem ? parser.problem : "?");
		yaml_parser_delete(&parser);
		return MMR_EINVAL;
	}
	yaml_parser_delete(&parser);

	int rc = MMR_OK;
	yaml_node_t *root = yaml_document_get_root_node(&ld.doc);
	struct mmr_pos top = {ld.file, 1, 1};
	if (!root) {
		mmr_diag_add(pol, top, "プロファイルが空です (empty document)");
		rc = MMR_EINVAL;
		goto done;
	}
	if (!expect_type(&ld, root, YAML_MAPPING_NODE, "プロファイル")) {
		rc = MMR_EINVAL;
		goto done;
	}

	/* Pass 1: identity and the base. */
	const char *id = NULL, *extends = NULL;
	struct mmr_pos ext_pos = top;
	bool have_title = false, have_body = false, have_document = false, have_rules = false;
	for (struct map_it it0 = map_begin(&ld, root); map_next(&it0);) {
		const char *k = it0.key;
		yaml_node_t *v = it0.val;
		if (!strcmp(k, "profile"))
			id = scalar(&ld, v, "profile");
		else if (!strcmp(k, "extends")) {
			extends = scalar(&ld, v, "extends");
			ext_pos = npos(&ld, v);
		} else if (!strcmp(k, "document")) {
			ld.document = scalar(&ld, v, "document");
			have_document = true;
		} else if (!strcmp(k, "source"))
			ld.source = scalar(&ld, v, "source");
		else if (!strcmp(k, "title"))
			have_title = true;
		else if (!strcmp(k, "body"))
			have_body = true;
		else if (!strcmp(k, "rules"))
			have_rules = true;
	}
	if (!id) {
		mmr_diag_add(pol, top, "profile（プロファイル id）がありません");
	} else if (!valid_profile_id(id)) {
		mmr_diag_add(pol, top, "profile id \"%s\" は英小文字・数字・-・_ で書きます", id);
	} else if (dir && strcmp(id, stem_of(pol->arena, name))) {
		mmr_diag_add(pol, top, "profile id \"%s\" がファイル名と一致しません", id);
	}
	if (!have_title)
		mmr_diag_add(pol, top, "title がありません");
	if (!have_body)
		mmr_diag_add(pol, top, "body（団体名）がありません");
	if (!have_document)
		mmr_diag_add(pol, top, "document（文書名）がありません");
	if (!have_rules)
		mmr_diag_add(pol, top, "rules がありません");

	if (extends) {
		if (!valid_profile_id(extends)) {
			mmr_diag_add(pol, ext_pos, "extends \"%s\" はプロファイル id で書きます",
				     extends);
		} else if (!dir) {
			mmr_diag_add(
				pol, ext_pos,
				"extends \"%s\": 基底プロファイルを探すディレクトリがありません",
				extends);
		} else if (depth + 1 >= MMR_MAX_EXTENDS) {
			mmr_diag_add(pol, ext_pos,
				     "extends の連鎖が深すぎるか循環しています（上限 %d）",
				     MMR_MAX_EXTENDS);
		} else {
			size_t n = strlen(dir) + strlen(extends) + 7;
			char *bpath = mmr_arena_alloc(pol->arena, n);
			if (!bpath) {
				rc = MMR_ENOMEM;
				goto done;
			}
			snprintf(bpath, n, "%s/%s.yaml", dir, extends);
			int brc = load_file(pol, bpath, depth + 1, gen);
			if (brc == MMR_EIO)
				mmr_diag_add(pol, ext_pos, "extends \"%s\": %s を読めません",
					     extends, bpath);
			if (brc == MMR_ENOMEM) {
				rc = MMR_ENOMEM;
				goto done;
			}
			struct mmr_sref s = {mmr_arena_strdup(pol->arena, extends), ext_pos};
			struct mmr_sref *nv = mmr_arena_grow(pol->arena, pol->extends_chain.v,
							     pol->extends_chain.n,
							     pol->extends_chain.n + 1, sizeof(*nv));
			if (!nv) {
				rc = MMR_ENOMEM;
				goto done;
			}
			/* nearest base first: this file's base comes before deeper ones */
			memmove(nv + 1, nv, pol->extends_chain.n * sizeof(*nv));
			nv[0] = s;
			pol->extends_chain.v = nv;
			pol->extends_chain.n++;
		}
	}
	ld.gen = ++*gen;
	if (id)
		pol->id = id;
	if (ld.document)
		pol->document = ld.document;
	if (ld.source) {
		pol->source = ld.source;
		pol->source_dir = ld.dir;
	}

	/* Pass 2: the rest, merged over the base. */
	for (struct map_it it0 = map_begin(&ld, root); map_next(&it0);) {
		const char *k = it0.key;
		yaml_node_t *v = it0.val;
		if (!strcmp(k, "profile") || !strcmp(k, "extends") || !strcmp(k, "document") ||
		    !strcmp(k, "source"))
			continue;
		if (!strcmp(k, "title"))
			pol->title = scalar(&ld, v, "title");
		else if (!strcmp(k, "body"))
			pol->body = scalar(&ld, v, "body");
		else if (!strcmp(k, "default_effect")) {
			const char *e = scalar(&ld, v, "default_effect");
			int ef = e ? effect_from(e) : -1;
			if (ef == MMR_PERMIT || ef == MMR_DENY)
				pol->default_effect = ef;
			else if (e)
				mmr_diag_add(pol, npos(&ld, v),
					     "default_effect は permit か deny です（\"%s\"）", e);
		} else if (!strcmp(k, "roles"))
			named_section(&ld, v, &pol->roles, "role", MMR_MAX_ROLES);
		else if (!strcmp(k, "segments"))
			named_section(&ld, v, &pol->segments, "segment", MMR_MAX_SEGMENTS);
		else if (!strcmp(k, "kinds"))
			named_section(&ld, v, &pol->kinds, "kind", MMR_MAX_KINDS);
		else if (!strcmp(k, "actions"))
			named_section(&ld, v, &pol->actions, "action", 1024);
		else if (!strcmp(k, "obligations"))
			named_section(&ld, v, &pol->obligations, "obligation", MMR_MAX_OBLIGATIONS);
		else if (!strcmp(k, "axes"))
			axes_section(&ld, v);
		else if (!strcmp(k, "remove_axes")) {
			if (!extends)
				mmr_diag_add(pol, it0.kpos,
					     "remove_axes は extends と一緒にだけ使えます");
			else
				remove_axes(&ld, v);
		} else if (!strcmp(k, "context"))
			context_section(&ld, v);
		else if (!strcmp(k, "settings"))
			settings_section(&ld, v);
		else if (!strcmp(k, "remove_rules")) {
			if (!extends)
				mmr_diag_add(pol, it0.kpos,
					     "remove_rules は extends と一緒にだけ使えます");
			else
				remove_rules(&ld, v);
		} else if (!strcmp(k, "rules")) {
			if (!expect_type(&ld, v, YAML_SEQUENCE_NODE, "rules"))
				continue;
			for (yaml_node_item_t *it = v->data.sequence.items.start;
			     it < v->data.sequence.items.top; it++)
				rule_entry(&ld, node(&ld, *it));
		} else
			unknown_key(&ld, it0.kpos, k, "profile",
				    "profile, title, body, document, source, extends, "
				    "default_effect, roles, axes, remove_axes, segments, kinds, "
				    "actions, context, obligations, settings, remove_rules, rules");
	}

done:
	yaml_document_delete(&ld.doc);
	return pol->n_diags ? MMR_EINVAL : rc;
}

static int read_file(const char *path, char **buf, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return MMR_EIO;
	size_t cap = 64 * 1024, n = 0;
	char *b = malloc(cap);
	if (!b) {
		fclose(f);
		return MMR_ENOMEM;
	}
	for (;;) {
		if (n == cap) {
			if (cap >= MAX_PROFILE_BYTES) {
				free(b);
				fclose(f);
				return MMR_ELIMIT;
			}
			cap *= 2;
			char *nb = realloc(b, cap);
			if (!nb) {
				free(b);
				fclose(f);
				return MMR_ENOMEM;
			}
			b = nb;
		}
		size_t got = fread(b + n, 1, cap - n, f);
		n += got;
		if (got == 0)
			break;
	}
	bool bad = ferror(f);
	fclose(f);
	if (bad) {
		free(b);
		return MMR_EIO;
	}
	*buf = b;
	*len = n;
	return MMR_OK;
}

static int load_file(mmr_policy *pol, const char *path, int depth, int *gen)
{
	char *text;
	size_t len;
	int rc = read_file(path, &text, &len);
	if (rc == MMR_ELIMIT) {
		struct mmr_pos p = {mmr_arena_strdup(pol->arena, path), 1, 1};
		mmr_diag_add(pol, p, "プロファイルが大きすぎます（上限 %u バイト）",
			     MAX_PROFILE_BYTES);
		return MMR_EINVAL;
	}
	if (rc)
		return rc;
	rc = load_text(pol, path, dir_of(pol->arena, path), text, len, depth, gen);
	free(text);
	return rc;
}

static mmr_policy *policy_new(bool collect_all)
{
	mmr_policy *pol = calloc(1, sizeof *pol);
	if (!pol)
		return NULL;
	pol->arena = mmr_arena_new();
	if (!pol->arena || mmr_vocab_install(pol)) {
		mmr_arena_free(pol->arena);
		free(pol);
		return NULL;
	}
	pol->collect_all = collect_all;
	pol->default_effect = MMR_PERMIT;
	pol->ctx_approvals = pol->ctx_handles = -1;
	return pol;
}

void mmr_policy_free(mmr_policy *pol)
{
	if (!pol)
		return;
	mmr_arena_free(pol->arena);
	free(pol);
}

const char *mmr_policy_id(const mmr_policy *pol)
{
	return pol->id;
}

static int finish(mmr_policy *pol, int rc, mmr_policy **out, mmr_error *err)
{
	if (rc == MMR_OK && !pol->n_diags)
		rc = mmr_policy_compile(pol);
	if (pol->n_diags) {
		const struct mmr_diag *d = &pol->diags[0];
		mmr_error_set(err, MMR_EINVAL, "%s:%d:%d: %s", d->pos.file, d->pos.line, d->pos.col,
			      d->message);
		rc = MMR_EINVAL;
	} else if (rc) {
		mmr_error_set(err, rc, "プロファイルを読み込めません (%s)", mmr_code_name(rc));
	}
	if (rc) {
		mmr_policy_free(pol);
		*out = NULL;
		return rc;
	}
	*out = pol;
	return MMR_OK;
}

int mmr_policy_load(const char *path, mmr_policy **out, mmr_error *err)
{
	*out = NULL;
	mmr_policy *pol = policy_new(false);
	if (!pol) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
		return MMR_ENOMEM;
	}
	int gen = 0;
	int rc = load_file(pol, path, 0, &gen);
	if (rc == MMR_EIO) {
		mmr_error_set(err, MMR_EIO, "%s: プロファイルを読めません: %s", path,
			      strerror(errno));
		mmr_policy_free(pol);
		return MMR_EIO;
	}
	return finish(pol, rc, out, err);
}

int mmr_policy_load_buffer(const char *name, const char *yaml, size_t len, const char *base_dir,
			   mmr_policy **out, mmr_error *err)
{
	*out = NULL;
	if (len > MAX_PROFILE_BYTES) {
		mmr_error_set(err, MMR_ELIMIT, "%s: プロファイルが大きすぎます（上限 %u バイト）",
			      name, MAX_PROFILE_BYTES);
		return MMR_ELIMIT;
	}
	mmr_policy *pol = policy_new(false);
	if (!pol) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
		return MMR_ENOMEM;
	}
	int gen = 0;
	int rc = load_text(pol, name, base_dir, yaml, len, 0, &gen);
	return finish(pol, rc, out, err);
}

int mmr_policy_load_diag(const char *path, bool collect_all, mmr_policy **out)
{
	*out = NULL;
	mmr_policy *pol = policy_new(collect_all);
	if (!pol)
		return MMR_ENOMEM;
	int gen = 0;
	int rc = load_file(pol, path, 0, &gen);
	if (rc == MMR_EIO || rc == MMR_ENOMEM) {
		mmr_policy_free(pol);
		return rc;
	}
	mmr_policy_compile(pol); /* also after load problems: report them all */
	*out = pol;
	return MMR_OK;
}
