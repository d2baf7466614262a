/*
 * policy_check.c — what a profile author asks of a policy beyond "does it
 * load": the lint (citations found in their source, no contradictory rules),
 * the JSON description behind `mamori policy show`, and settings look-up.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy_int.h"

/* ---- citations -------------------------------------------------------------- */

/* Copy s without whitespace (ASCII and U+3000) into a malloc'd string. */
static char *strip_space(const char *s, size_t len)
{
	char *o = malloc(len + 1);
	if (!o)
		return NULL;
	size_t n = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v')
			continue;
		if (c == 0xE3 && i + 2 < len && (unsigned char)s[i + 1] == 0x80 &&
		    (unsigned char)s[i + 2] == 0x80) {
			i += 2;
			continue;
		}
		o[n++] = (char)c;
	}
	o[n] = '\0';
	return o;
}

struct source_cache {
	char *path[16];
	char *text[16]; /* whitespace stripped; NULL if unreadable */
	size_t n;
};

static const char *source_text(struct source_cache *sc, const char *path)
{
	for (size_t i = 0; i < sc->n; i++)
		if (!strcmp(sc->path[i], path))
			return sc->text[i];
	if (sc->n == 16)
		return NULL;
	char *text = NULL;
	FILE *f = fopen(path, "rb");
	if (f) {
		char *buf = NULL;
		size_t cap = 0, n = 0, got;
		do {
			if (n == cap) {
				cap = cap ? cap * 2 : 65536;
				char *nb = cap <= 64u * 1024u * 1024u ? realloc(buf, cap) : NULL;
				if (!nb) {
					n = 0;
					break;
				}
				buf = nb;
			}
			got = fread(buf + n, 1, cap - n, f);
			n += got;
		} while (got);
		fclose(f);
		if (buf && n)
			text = strip_space(buf, n);
		free(buf);
	}
	sc->path[sc->n] = strdup(path);
	sc->text[sc->n] = text;
	sc->n++;
	return text;
}

/* True when each …-separated piece of `quote` occurs in `src`, in order. */
static bool quote_found(const char *src, const char *quote)
{
	char *q = strdup(quote);
	if (!q)
		return false;
	const char *from = src;
	bool ok = true;
	char *piece = q;
	while (piece && ok) {
		char *cut = strstr(piece, "…");
		char *cut3 = strstr(piece, "...");
		size_t skip = 3;
		if (!cut || (cut3 && cut3 < cut))
			cut = cut3;
		if (cut)
			*cut = '\0';
		char *p = strip_space(piece, strlen(piece));
		if (!p) {
			ok = false;
			break;
		}
		if (*p) {
			const char *at = strstr(from, p);
			if (!at)
				ok = false;
			else
				from = at + strlen(p);
		}
		free(p);
		piece = cut ? cut + skip : NULL;
	}
	free(q);
	return ok;
}

static void check_citations(mmr_policy *pol)
{
	struct source_cache sc = {0};
	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct mmr_rule *r = &pol->rules[i];
		const struct mmr_citation *c = &r->citation;
		if (!c->text)
			continue;
		if (!c->source) {
			mmr_diag_add(
				pol, c->pos,
				"規則 %s: 引用元の文書 (source) がないため、文言を確かめられません",
				r->id);
			continue;
		}
		char path[1024];
		snprintf(path, sizeof path, "%s/%s", c->source_dir ? c->source_dir : ".",
			 c->source);
		const char *src = source_text(&sc, path);
		if (!src) {
			mmr_diag_add(pol, c->pos, "規則 %s: 引用元 %s を読めません", r->id, path);
			continue;
		}
		if (!quote_found(src, c->text))
			mmr_diag_add(pol, c->text_pos,
				     "規則 %s: 引用した文言が %s に見つかりません（条項 %s "
				     "の文言をそのまま写してください）(citation not in source)",
				     r->id, c->source, c->clause ? c->clause : "?");
	}
	for (size_t i = 0; i < sc.n; i++) {
		free(sc.path[i]);
		free(sc.text[i]);
	}
}

/* ---- contradictions ---------------------------------------------------------- */

static bool same_cond(const struct mmr_cond *a, const struct mmr_cond *b)
{
	if (a->roles != b->roles || a->kinds != b->kinds || a->segments != b->segments ||
	    a->ctx_used != b->ctx_used)
		return false;
	for (size_t i = 0; i < MMR_MAX_AXES; i++)
		if (a->axis[i] != b->axis[i])
			return false;
	for (size_t i = 0; i < MMR_MAX_CTX; i++)
		if (a->ctx[i] != b->ctx[i])
			return false;
	return true;
}

static bool same_conditions(const struct mmr_rule *a, const struct mmr_rule *b)
{
	if (!same_cond(&a->c_when, &b->c_when))
		return false;
	if (a->has_unless != b->has_unless)
		return false;
	return !a->has_unless || same_cond(&a->c_unless, &b->c_unless);
}

static void check_contradictions(mmr_policy *pol)
{
	for (size_t act = 0; act < pol->actions.n; act++) {
		const uint16_t *l = pol->action_rules[act];
		size_t n = pol->n_action_rules[act];
		for (size_t i = 0; i < n; i++)
			for (size_t j = i + 1; j < n; j++) {
				const struct mmr_rule *a = &pol->rules[l[i]],
						      *b = &pol->rules[l[j]];
				/* permit, permit with obligations and needs_approval
				 * combine (approvers and obligations add up); only a
				 * deny beside a rule that allows is a contradiction */
				if ((a->effect == MMR_DENY) == (b->effect == MMR_DENY) ||
				    !same_conditions(a, b))
					continue;
				/* report a pair once, at its first shared action */
				bool earlier = false;
				for (size_t p = 0; p < act && !earlier; p++)
					for (size_t x = 0; x < pol->n_action_rules[p]; x++)
						if (pol->action_rules[p][x] == l[i])
							for (size_t y = 0;
							     y < pol->n_action_rules[p]; y++)
								if (pol->action_rules[p][y] == l[j])
									earlier = true;
				if (earlier)
					continue;
				mmr_diag_add(pol, b->pos,
					     "規則 %s と %s（%s:%d）は同じ条件で effect "
					     "が食い違います（%s / %s）(contradictory rules)",
					     b->id, a->id, a->pos.file, a->pos.line,
					     mmr_effect_name(b->effect),
					     mmr_effect_name(a->effect));
			}
	}
}

int mmr_policy_check(const char *path, mmr_report_fn report, void *ud)
{
	mmr_policy *pol;
	int rc = mmr_policy_load_diag(path, true, &pol);
	if (rc)
		return -1;
	if (!pol->n_diags) {
		check_citations(pol);
		check_contradictions(pol);
	}
	int n = (int)pol->n_diags;
	for (size_t i = 0; i < pol->n_diags; i++)
		report(ud, pol->diags[i].pos.file, pol->diags[i].pos.line, pol->diags[i].pos.col,
		       pol->diags[i].message);
	mmr_policy_free(pol);
	return n;
}

/* ---- description ----------------------------------------------------------------- */

static json_t *slist_json(const struct mmr_slist *l)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < l->n; i++)
		json_array_append_new(a, json_string(l->v[i].s));
	return a;
}

static json_t *block_json(const struct mmr_rawblock *b)
{
	json_t *o = json_object(), *ctx = NULL;
	for (size_t i = 0; o && i < b->n; i++) {
		const struct mmr_rawcond *c = &b->v[i];
		json_t *v;
		if (c->op == MMR_OP_AT_LEAST || c->op == MMR_OP_AT_MOST) {
			v = json_object();
			json_object_set_new(v, c->op == MMR_OP_AT_LEAST ? "at_least" : "at_most",
					    json_string(c->values.n ? c->values.v[0].s : ""));
		} else {
			v = slist_json(&c->values);
		}
		if (c->what == RC_CTX) {
			if (!ctx)
				ctx = json_object();
			json_object_set_new(ctx, c->key, v);
		} else {
			json_object_set_new(o, c->key, v);
		}
	}
	if (ctx)
		json_object_set_new(o, "context", ctx);
	return o;
}

static json_t *named_json(const struct mmr_namelist *l, bool only_declared)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < l->n; i++) {
		if (only_declared && l->v[i].builtin)
			continue;
		json_t *o = json_object();
		json_object_set_new(o, "id", json_string(l->v[i].id));
		json_object_set_new(o, "name", json_string(l->v[i].name));
		if (l->v[i].definition)
			json_object_set_new(o, "definition", json_string(l->v[i].definition));
		if (l->v[i].clause)
			json_object_set_new(o, "clause", json_string(l->v[i].clause));
		json_array_append_new(a, o);
	}
	return a;
}

static json_t *level_json(const struct mmr_level *lv)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(lv->id));
	json_object_set_new(o, "name", json_string(lv->name));
	if (lv->aliases.n)
		json_object_set_new(o, "aliases", slist_json(&lv->aliases));
	if (lv->definition)
		json_object_set_new(o, "definition", json_string(lv->definition));
	json_object_set_new(o, "restrictions", slist_json(&lv->restrictions));
	return o;
}

static json_t *rule_json(const struct mmr_rule *r)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_string(r->id));
	json_object_set_new(o, "title", json_string(r->title));
	json_object_set_new(o, "actions", slist_json(&r->actions));
	json_object_set_new(o, "effect", json_string(mmr_effect_name(r->effect)));
	if (r->when.present)
		json_object_set_new(o, "when", block_json(&r->when));
	if (r->unless.present)
		json_object_set_new(o, "unless", block_json(&r->unless));
	if (r->approvers.n) {
		json_t *ap = json_object();
		json_object_set_new(ap, r->approvers_all ? "all_of" : "any_of",
				    slist_json(&r->approvers));
		json_object_set_new(o, "approvers", ap);
	}
	json_object_set_new(o, "obligations", slist_json(&r->obligations));
	json_t *c = json_object();
	json_object_set_new(c, "clause", json_string(r->citation.clause));
	json_object_set_new(c, "text", json_string(r->citation.text));
	if (r->citation.document)
		json_object_set_new(c, "document", json_string(r->citation.document));
	json_object_set_new(o, "citation", c);
	if (r->note)
		json_object_set_new(o, "note", json_string(r->note));
	char from[512];
	snprintf(from, sizeof from, "%s:%d", r->pos.file, r->pos.line);
	json_object_set_new(o, "defined_at", json_string(from));
	return o;
}

char *mmr_policy_describe_json(const mmr_policy *pol, const char *axis, const char *level,
			       mmr_error *err)
{
	int fa = -1, fl = -1;
	if (axis || level) {
		if (!axis || !level) {
			mmr_error_set(err, MMR_EINVAL, "--level は 軸=レベル の形で書きます");
			return NULL;
		}
		fa = mmr_axis_find(pol, axis);
		if (fa < 0) {
			mmr_error_set(err, MMR_EINVAL,
				      "--level: 未定義の分類軸 \"%s\" (unknown axis)", axis);
			return NULL;
		}
		fl = mmr_level_find(&pol->axes[fa], level);
		if (fl < 0) {
			mmr_error_set(err, MMR_EINVAL,
				      "--level: 分類軸 %s に未定義のレベル \"%s\" (unknown level)",
				      axis, level);
			return NULL;
		}
	}
	json_t *o = json_object();
	json_object_set_new(o, "profile", json_string(pol->id));
	json_object_set_new(o, "title", json_string(pol->title));
	json_object_set_new(o, "body", json_string(pol->body));
	json_object_set_new(o, "document", json_string(pol->document));
	json_object_set_new(o, "extends", slist_json(&pol->extends_chain));
	json_object_set_new(o, "default_effect", json_string(mmr_effect_name(pol->default_effect)));
	json_object_set_new(o, "roles", named_json(&pol->roles, false));
	json_t *axes = json_array();
	for (size_t a = 0; a < pol->n_axes; a++) {
		if (fa >= 0 && (int)a != fa)
			continue;
		const struct mmr_axis *ax = &pol->axes[a];
		json_t *ao = json_object(), *lv = json_array();
		json_object_set_new(ao, "id", json_string(ax->id));
		json_object_set_new(ao, "name", json_string(ax->name));
		if (ax->clause)
			json_object_set_new(ao, "clause", json_string(ax->clause));
		for (size_t l = 0; l < ax->n_levels; l++)
			if (fl < 0 || (int)l == fl)
				json_array_append_new(lv, level_json(&ax->levels[l]));
		json_object_set_new(ao, "levels", lv);
		json_array_append_new(axes, ao);
	}
	json_object_set_new(o, "axes", axes);
	json_object_set_new(o, "segments", named_json(&pol->segments, false));
	json_object_set_new(o, "obligations", named_json(&pol->obligations, false));
	json_object_set_new(o, "actions", named_json(&pol->actions, true));
	json_t *ctx = json_array();
	for (size_t i = 0; i < pol->n_ctx; i++) {
		if (pol->ctx[i].builtin && pol->ctx[i].type != MMR_CTX_ENUM)
			continue;
		json_t *c = json_object(), *vals = json_array();
		json_object_set_new(c, "id", json_string(pol->ctx[i].id));
		json_object_set_new(c, "name", json_string(pol->ctx[i].name));
		json_object_set_new(c, "type", json_string(mmr_ctx_type_name(pol->ctx[i].type)));
		for (size_t v = 0; v < pol->ctx[i].n_values; v++)
			json_array_append_new(vals, json_string(pol->ctx[i].values[v]));
		json_object_set_new(c, "values", vals);
		json_array_append_new(ctx, c);
	}
	json_object_set_new(o, "context", ctx);
	json_t *set = json_object();
	for (size_t i = 0; i < MMR_N_SETTINGS; i++) {
		const struct mmr_setting *s = &pol->settings[i];
		if (!s->set)
			continue;
		if (s->type == MMR_SET_LIST)
			json_object_set_new(set, s->key, slist_json(&s->list));
		else if (s->type == MMR_SET_BOOL)
			json_object_set_new(set, s->key, json_boolean(s->ival));
		else
			json_object_set_new(set, s->key, json_integer(s->ival));
	}
	json_object_set_new(o, "settings", set);
	json_t *rules = json_array();
	for (size_t i = 0; i < pol->n_rules; i++) {
		const struct mmr_rule *r = &pol->rules[i];
		if (fa >= 0 && !(r->c_when.axis[fa] & (1u << fl)))
			continue;
		json_array_append_new(rules, rule_json(r));
	}
	json_object_set_new(o, "rules", rules);
	char *s = json_dumps(o, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	json_decref(o);
	if (!s)
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
	return s;
}

int mmr_policy_setting_int(const mmr_policy *pol, const char *key, long *out)
{
	int i = mmr_setting_find(pol, key);
	if (i < 0 || !pol->settings[i].set || pol->settings[i].type == MMR_SET_LIST)
		return MMR_ENOTFOUND;
	*out = pol->settings[i].ival;
	return MMR_OK;
}

int mmr_policy_setting_list(const mmr_policy *pol, const char *key, const char **items, size_t max,
			    size_t *n)
{
	int i = mmr_setting_find(pol, key);
	if (i < 0 || !pol->settings[i].set || pol->settings[i].type != MMR_SET_LIST)
		return MMR_ENOTFOUND;
	const struct mmr_slist *l = &pol->settings[i].list;
	for (size_t k = 0; k < l->n && k < max; k++)
		items[k] = l->v[k].s;
	*n = l->n;
	return MMR_OK;
}
