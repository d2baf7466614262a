/*
 * policy_compile.c — turn the merged profile model into the index a
 * decision uses: names resolved to indexes, condition blocks to masks, and
 * for each action the ordered list of its rules. Every unresolved name is a
 * diagnostic at the place the profile wrote it.
 */
#include <string.h>

#include "core/policy_int.h"

static uint16_t level_mask_at_least(size_t idx)
{
	/* levels 0..idx (0 is the highest) */
	return (uint16_t)((1u << (idx + 1)) - 1u);
}

static uint16_t level_mask_at_most(size_t idx, size_t n)
{
	uint16_t m = 0;
	for (size_t i = idx; i < n; i++)
		m |= (uint16_t)(1u << i);
	return m;
}

static int compile_cond(mmr_policy *pol, const struct mmr_rule *r, const struct mmr_rawblock *b,
			struct mmr_cond *c)
{
	int bad = 0;
	memset(c, 0, sizeof *c);
	for (size_t i = 0; i < b->n; i++) {
		const struct mmr_rawcond *rc = &b->v[i];
		switch (rc->what) {
		case RC_ROLES:
			for (size_t j = 0; j < rc->values.n; j++) {
				int k = mmr_named_find(&pol->roles, rc->values.v[j].s);
				if (k < 0) {
					bad = mmr_diag_add(
						pol, rc->values.v[j].pos,
						"規則 %s: 未定義の役割 \"%s\" (undefined role)",
						r->id, rc->values.v[j].s);
					continue;
				}
				c->roles |= 1ull << k;
			}
			break;
		case RC_KIND:
			for (size_t j = 0; j < rc->values.n; j++) {
				int k = mmr_named_find(&pol->kinds, rc->values.v[j].s);
				if (k < 0) {
					bad = mmr_diag_add(
						pol, rc->values.v[j].pos,
						"規則 %s: 未定義の種別 \"%s\" (undefined kind)",
						r->id, rc->values.v[j].s);
					continue;
				}
				c->kinds |= 1u << k;
			}
			break;
		case RC_SEGMENT:
			for (size_t j = 0; j < rc->values.n; j++) {
				if (!strcmp(rc->values.v[j].s, "none")) {
					c->segments |= 1u;
					continue;
				}
				int k = mmr_named_find(&pol->segments, rc->values.v[j].s);
				if (k < 0) {
					bad = mmr_diag_add(
						pol, rc->values.v[j].pos,
						"規則 %s: 未定義の系 \"%s\" (undefined segment)",
						r->id, rc->values.v[j].s);
					continue;
				}
				c->segments |= (uint16_t)(1u << (k + 1));
			}
			break;
		case RC_AXIS: {
			int a = mmr_axis_find(pol, rc->key);
			if (a < 0) {
				bad = mmr_diag_add(pol, rc->pos,
						   "規則 %s: 未知の条件キーか未定義の分類軸 "
						   "\"%s\"（使える条件: roles, kind, segment, "
						   "context, 分類軸）",
						   r->id, rc->key);
				break;
			}
			const struct mmr_axis *ax = &pol->axes[a];
			for (size_t j = 0; j < rc->values.n; j++) {
				const char *lv = rc->values.v[j].s;
				if (rc->op == MMR_OP_IN && !strcmp(lv, "none")) {
					c->axis[a] |= 1u << MMR_LEVEL_NONE_BIT;
					continue;
				}
				int l = mmr_level_find(ax, lv);
				if (l < 0) {
					bad = mmr_diag_add(pol, rc->values.v[j].pos,
							   "規則 %s: 分類軸 %s に未定義のレベル "
							   "\"%s\" (undefined level)",
							   r->id, ax->id, lv);
					continue;
				}
				if (rc->op == MMR_OP_AT_LEAST)
					c->axis[a] |= level_mask_at_least((size_t)l);
				else if (rc->op == MMR_OP_AT_MOST)
					c->axis[a] |= level_mask_at_most((size_t)l, ax->n_levels);
				else
					c->axis[a] |= (uint16_t)(1u << l);
			}
			break;
		}
		case RC_CTX: {
			int k = mmr_ctx_find(pol, rc->key);
			if (k < 0) {
				bad = mmr_diag_add(pol, rc->pos,
						   "規則 %s: 未定義のコンテキストキー \"%s\"",
						   r->id, rc->key);
				break;
			}
			const struct mmr_ctxkey *ck = &pol->ctx[k];
			if (ck->type == MMR_CTX_ROLES || ck->type == MMR_CTX_CLASSES) {
				bad = mmr_diag_add(
					pol, rc->pos,
					"規則 %s: コンテキストキー \"%s\" は条件に使えません",
					r->id, rc->key);
				break;
			}
			uint16_t m = 0;
			for (size_t j = 0; j < rc->values.n; j++) {
				const char *v = rc->values.v[j].s;
				if (ck->type == MMR_CTX_BOOL) {
					if (!strcmp(v, "true"))
						m |= 1u << 2;
					else if (!strcmp(v, "false"))
						m |= (1u << 0) | (1u << 1);
					else
						bad = mmr_diag_add(pol, rc->values.v[j].pos,
								   "規則 %s: \"%s\" は true か "
								   "false です（\"%s\"）",
								   r->id, rc->key, v);
					continue;
				}
				if (!strcmp(v, "none")) {
					/* "none" is the key being absent; where the
					 * vocabulary also has a value "none" (sanitized:
					 * none = not sanitized), a request that says so
					 * explicitly is the same case and matches too. */
					m |= 1u;
					int nv = mmr_ctx_value_find(pol, ck, v);
					if (nv > 0)
						m |= (uint16_t)(1u << nv);
					continue;
				}
				int vi = mmr_ctx_value_find(pol, ck, v);
				if (vi < 0) {
					bad = mmr_diag_add(
						pol, rc->values.v[j].pos,
						"規則 %s: コンテキスト \"%s\" に未定義の値 \"%s\"",
						r->id, rc->key, v);
					continue;
				}
				m |= (uint16_t)(1u << vi);
			}
			c->ctx_used |= 1u << k;
			c->ctx[k] |= m;
			break;
		}
		}
	}
	return bad;
}

static int add_action_rule(mmr_policy *pol, size_t action, size_t rule)
{
	size_t n = pol->n_action_rules[action];
	for (size_t i = 0; i < n; i++)
		if (pol->action_rules[action][i] == rule)
			return MMR_OK;
	uint16_t *v =
		mmr_arena_grow(pol->arena, pol->action_rules[action], n, n + 1, sizeof(uint16_t));
	if (!v)
		return MMR_ENOMEM;
	v[n] = (uint16_t)rule;
	pol->action_rules[action] = v;
	pol->n_action_rules[action] = n + 1;
	return MMR_OK;
}

int mmr_policy_compile(mmr_policy *pol)
{
	size_t na = pol->actions.n;
	pol->action_rules = mmr_arena_alloc(pol->arena, (na ? na : 1) * sizeof(uint16_t *));
	pol->n_action_rules = mmr_arena_alloc(pol->arena, (na ? na : 1) * sizeof(size_t));
	if (!pol->action_rules || !pol->n_action_rules)
		return MMR_ENOMEM;
	pol->ctx_approvals = mmr_ctx_find(pol, "approvals");
	pol->ctx_handles = mmr_ctx_find(pol, "handles_classes");

	/* Settings that name segments or roles must name declared ones. */
	int s = mmr_setting_find(pol, "mfa.required_segments");
	for (size_t j = 0; s >= 0 && j < pol->settings[s].list.n; j++)
		if (mmr_named_find(&pol->segments, pol->settings[s].list.v[j].s) < 0)
			mmr_diag_add(pol, pol->settings[s].list.v[j].pos, "未定義の系 \"%s\"",
				     pol->settings[s].list.v[j].s);
	s = mmr_setting_find(pol, "mfa.required_roles");
	for (size_t j = 0; s >= 0 && j < pol->settings[s].list.n; j++)
		if (mmr_named_find(&pol->roles, pol->settings[s].list.v[j].s) < 0)
			mmr_diag_add(pol, pol->settings[s].list.v[j].pos, "未定義の役割 \"%s\"",
				     pol->settings[s].list.v[j].s);
	s = mmr_setting_find(pol, "password.require");
	for (size_t j = 0; s >= 0 && j < pol->settings[s].list.n; j++) {
		const char *c = pol->settings[s].list.v[j].s;
		if (strcmp(c, "upper") && strcmp(c, "lower") && strcmp(c, "digit") &&
		    strcmp(c, "symbol"))
			mmr_diag_add(pol, pol->settings[s].list.v[j].pos,
				     "password.require は upper, lower, digit, symbol "
				     "から選びます（\"%s\"）",
				     c);
	}

	for (size_t ri = 0; ri < pol->n_rules; ri++) {
		struct mmr_rule *r = &pol->rules[ri];
		compile_cond(pol, r, &r->when, &r->c_when);
		r->has_unless = r->unless.present;
		if (r->has_unless)
			compile_cond(pol, r, &r->unless, &r->c_unless);

		r->c_approvers = 0;
		for (size_t j = 0; j < r->approvers.n; j++) {
			int k = mmr_named_find(&pol->roles, r->approvers.v[j].s);
			if (k < 0) {
				mmr_diag_add(
					pol, r->approvers.v[j].pos,
					"規則 %s: 承認者に未定義の役割 \"%s\" (undefined role)",
					r->id, r->approvers.v[j].s);
				continue;
			}
			r->c_approvers |= 1ull << k;
		}
		r->n_c_obligations = 0;
		r->c_obligations = mmr_arena_alloc(
			pol->arena, (r->obligations.n ? r->obligations.n : 1) * sizeof(uint16_t));
		if (!r->c_obligations)
			return MMR_ENOMEM;
		for (size_t j = 0; j < r->obligations.n; j++) {
			int k = mmr_named_find(&pol->obligations, r->obligations.v[j].s);
			if (k < 0) {
				mmr_diag_add(pol, r->obligations.v[j].pos,
					     "規則 %s: 未定義の義務 \"%s\" (undefined obligation)",
					     r->id, r->obligations.v[j].s);
				continue;
			}
			r->c_obligations[r->n_c_obligations++] = (uint16_t)k;
		}
		for (size_t j = 0; j < r->actions.n; j++) {
			const char *a = r->actions.v[j].s;
			size_t len = strlen(a);
			bool any = false;
			if (len >= 2 && a[len - 1] == '*' && a[len - 2] == '.') {
				for (size_t k = 0; k < na; k++)
					if (!strncmp(pol->actions.v[k].id, a, len - 1)) {
						if (add_action_rule(pol, k, ri))
							return MMR_ENOMEM;
						any = true;
					}
			} else {
				int k = mmr_named_find(&pol->actions, a);
				if (k >= 0) {
					if (add_action_rule(pol, (size_t)k, ri))
						return MMR_ENOMEM;
					any = true;
				}
			}
			if (!any)
				mmr_diag_add(pol, r->actions.v[j].pos,
					     "規則 %s: 未知のアクション \"%s\" (unknown action)",
					     r->id, a);
		}
	}
	return pol->n_diags ? MMR_EINVAL : MMR_OK;
}
