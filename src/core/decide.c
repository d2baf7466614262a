/*
 * decide.c — the decision point: match the rules of the request's action,
 * combine them deny-overrides, settle approvals, and render the decision of
 * the contract (DESIGN.md) as JSON with a Japanese reason.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy_int.h"
#include "core/request_json.h"

mmr_decision *mmr_decision_new(void)
{
	return calloc(1, sizeof(mmr_decision));
}

void mmr_decision_free(mmr_decision *d)
{
	free(d);
}

int mmr_decision_effect(const mmr_decision *d)
{
	return d->effect;
}

static bool cond_holds(const mmr_policy *pol, const struct mmr_cond *c, const mmr_request *r)
{
	if (c->roles && !(c->roles & r->roles))
		return false;
	if (c->kinds && (r->kind < 0 || !(c->kinds & (1u << r->kind))))
		return false;
	if (c->segments && !(c->segments & (1u << (r->segment < 0 ? 0 : r->segment + 1))))
		return false;
	for (size_t a = 0; a < pol->n_axes; a++) {
		if (!c->axis[a])
			continue;
		unsigned bit = r->level[a] == MMR_LEVEL_NONE ? MMR_LEVEL_NONE_BIT : r->level[a];
		if (!(c->axis[a] & (1u << bit)))
			return false;
	}
	for (uint32_t used = c->ctx_used; used; used &= used - 1) {
		int k = __builtin_ctz(used);
		if (!(c->ctx[k] & (1u << r->ctx[k])))
			return false;
	}
	return true;
}

int mmr_decide(const mmr_policy *pol, const mmr_request *r, mmr_decision *d)
{
	d->effect = MMR_PERMIT;
	d->defaulted = false;
	d->n_matched = d->n_deciding = d->n_unsatisfied = 0;
	d->approvers = d->approved_by = 0;
	d->truncated = false;
	d->action = r->action;

	const uint16_t *list = pol->action_rules[r->action];
	size_t n = pol->n_action_rules[r->action];
	bool any_deny = false;
	for (size_t i = 0; i < n; i++) {
		const struct mmr_rule *rule = &pol->rules[list[i]];
		if (!cond_holds(pol, &rule->c_when, r))
			continue;
		if (rule->has_unless && cond_holds(pol, &rule->c_unless, r))
			continue;
		if (d->n_matched == MMR_MAX_MATCH) {
			d->truncated = true;
			break;
		}
		d->matched[d->n_matched++] = list[i];
		if (rule->effect == MMR_DENY)
			any_deny = true;
	}

	if (d->n_matched == 0) {
		d->effect = pol->default_effect;
		d->defaulted = true;
		return d->effect;
	}
	if (any_deny) {
		d->effect = MMR_DENY;
		for (size_t i = 0; i < d->n_matched; i++)
			if (pol->rules[d->matched[i]].effect == MMR_DENY)
				d->deciding[d->n_deciding++] = d->matched[i];
		return d->effect;
	}
	for (size_t i = 0; i < d->n_matched; i++) {
		const struct mmr_rule *rule = &pol->rules[d->matched[i]];
		d->deciding[d->n_deciding++] = d->matched[i];
		if (rule->effect != MMR_NEEDS_APPROVAL)
			continue;
		uint64_t have = r->approvals & rule->c_approvers;
		bool ok = rule->approvers_all ? have == rule->c_approvers : have != 0;
		if (ok) {
			d->approved_by |= have;
		} else {
			d->unsatisfied[d->n_unsatisfied++] = d->matched[i];
			d->approvers |= rule->approvers_all ? rule->c_approvers & ~r->approvals
							    : rule->c_approvers;
		}
	}
	d->effect = d->n_unsatisfied ? MMR_NEEDS_APPROVAL : MMR_PERMIT;
	return d->effect;
}

/* ---- rendering --------------------------------------------------------------- */

struct sbuf {
	char *p;
	size_t n, cap;
	bool oom;
};

static void sb_add(struct sbuf *b, const char *s)
{
	size_t l = strlen(s);
	if (b->oom)
		return;
	if (b->n + l + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 256;
		while (cap < b->n + l + 1)
			cap *= 2;
		char *np = realloc(b->p, cap);
		if (!np) {
			b->oom = true;
			return;
		}
		b->p = np;
		b->cap = cap;
	}
	memcpy(b->p + b->n, s, l + 1);
	b->n += l;
}

static const char *role_name(const mmr_policy *pol, size_t k)
{
	return pol->roles.v[k].name ? pol->roles.v[k].name : pol->roles.v[k].id;
}

/* "A又はB" / "A及びB" over the roles in mask. */
static void sb_roles(struct sbuf *b, const mmr_policy *pol, uint64_t mask, const char *conj)
{
	bool first = true;
	for (size_t k = 0; k < pol->roles.n; k++) {
		if (!(mask & (1ull << k)))
			continue;
		if (!first)
			sb_add(b, conj);
		sb_add(b, role_name(pol, k));
		first = false;
	}
}

static void sb_rule_ref(struct sbuf *b, const mmr_policy *pol, const uint16_t *idx, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		const struct mmr_rule *r = &pol->rules[idx[i]];
		if (i)
			sb_add(b, "、");
		sb_add(b, r->citation.clause);
		sb_add(b, "「");
		sb_add(b, r->title);
		sb_add(b, "」");
	}
}

/* Obligation indexes of the deciding rules, deduplicated, in the order of
 * declaration. Returns the count. */
static size_t collect_obligations(const mmr_policy *pol, const mmr_decision *d, uint16_t *out)
{
	uint64_t seen[MMR_MAX_OBLIGATIONS / 64] = {0};
	for (size_t i = 0; i < d->n_deciding; i++) {
		const struct mmr_rule *r = &pol->rules[d->deciding[i]];
		for (size_t j = 0; j < r->n_c_obligations; j++) {
			uint16_t o = r->c_obligations[j];
			seen[o / 64] |= 1ull << (o % 64);
		}
	}
	size_t n = 0;
	for (size_t o = 0; o < pol->obligations.n; o++)
		if (seen[o / 64] & (1ull << (o % 64)))
			out[n++] = (uint16_t)o;
	return n;
}

static void sb_obligations(struct sbuf *b, const mmr_policy *pol, const uint16_t *ob, size_t n)
{
	if (!n)
		return;
	sb_add(b, "次の事項を守ってください: ");
	for (size_t i = 0; i < n; i++) {
		if (i)
			sb_add(b, "、");
		sb_add(b, pol->obligations.v[ob[i]].name);
	}
	sb_add(b, "。");
}

/* One or two Japanese sentences saying why; malloc'd. */
static char *reason(const mmr_policy *pol, const mmr_decision *d, const uint16_t *ob, size_t nob)
{
	struct sbuf b = {0};
	const char *act = pol->actions.v[d->action].name;
	if (d->defaulted) {
		sb_add(&b, "該当する規定がないため、");
		sb_add(&b, act);
		sb_add(&b, d->effect == MMR_DENY ? "は既定により認められません。"
						 : "は既定により許可されます。");
	} else if (d->effect == MMR_DENY) {
		sb_rule_ref(&b, pol, d->deciding, d->n_deciding);
		sb_add(&b, "により、");
		sb_add(&b, act);
		sb_add(&b, "は認められません。");
	} else if (d->effect == MMR_NEEDS_APPROVAL) {
		for (size_t i = 0; i < d->n_unsatisfied; i++) {
			const struct mmr_rule *r = &pol->rules[d->unsatisfied[i]];
			sb_rule_ref(&b, pol, &d->unsatisfied[i], 1);
			sb_add(&b, "により、");
			sb_add(&b, act);
			sb_add(&b, "には");
			sb_roles(&b, pol, r->c_approvers, r->approvers_all ? "及び" : "又は");
			sb_add(&b, "の承認が必要です。");
		}
		sb_obligations(&b, pol, ob, nob);
	} else {
		if (d->approved_by) {
			sb_roles(&b, pol, d->approved_by, "及び");
			sb_add(&b, "の承認を得ているため、");
			sb_rule_ref(&b, pol, d->deciding, d->n_deciding);
			sb_add(&b, "に基づき");
		} else {
			sb_rule_ref(&b, pol, d->deciding, d->n_deciding);
			sb_add(&b, "に基づき、");
		}
		sb_add(&b, act);
		sb_add(&b, "は許可されます。");
		sb_obligations(&b, pol, ob, nob);
	}
	if (b.oom) {
		free(b.p);
		return NULL;
	}
	return b.p;
}

static char *decision_text(const mmr_policy *pol, const mmr_decision *d, size_t flags)
{
	json_t *o = mmr_decision_value(pol, d);
	char *s = json_dumps(o, flags | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

char *mmr_decision_json(const mmr_policy *pol, const mmr_decision *d)
{
	return decision_text(pol, d, JSON_INDENT(2));
}

char *mmr_decision_json_compact(const mmr_policy *pol, const mmr_decision *d)
{
	return decision_text(pol, d, JSON_COMPACT);
}

int mmr_decide_value(const mmr_policy *pol, const json_t *req, json_t **out, mmr_error *err)
{
	*out = NULL;
	mmr_request *r;
	int rc = mmr_request_from_json(pol, req, &r, err);
	if (rc)
		return rc;
	mmr_decision *d = mmr_decision_new();
	if (d) {
		mmr_decide(pol, r, d);
		*out = mmr_decision_value(pol, d);
		mmr_decision_free(d);
	}
	mmr_request_free(r);
	if (!*out) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
		return MMR_ENOMEM;
	}
	return MMR_OK;
}

json_t *mmr_decision_value(const mmr_policy *pol, const mmr_decision *d)
{
	json_t *o = json_object();
	json_t *approvers = json_array(), *obl = json_array(), *rules = json_array(),
	       *cites = json_array();
	if (!o || !approvers || !obl || !rules || !cites) {
		json_decref(o);
		json_decref(approvers);
		json_decref(obl);
		json_decref(rules);
		json_decref(cites);
		return NULL;
	}
	json_object_set_new(o, "effect", json_string(mmr_effect_name(d->effect)));
	for (size_t k = 0; k < pol->roles.n; k++)
		if (d->approvers & (1ull << k))
			json_array_append_new(approvers, json_string(pol->roles.v[k].id));
	uint16_t ob[MMR_MAX_OBLIGATIONS];
	size_t nob = collect_obligations(pol, d, ob);
	for (size_t i = 0; i < nob; i++)
		json_array_append_new(obl, json_string(pol->obligations.v[ob[i]].id));
	for (size_t i = 0; i < d->n_deciding; i++) {
		const struct mmr_rule *r = &pol->rules[d->deciding[i]];
		json_array_append_new(rules, json_string(r->id));
		json_t *c = json_object();
		json_object_set_new(c, "clause", json_string(r->citation.clause));
		json_object_set_new(c, "text", json_string(r->citation.text));
		if (r->citation.document)
			json_object_set_new(c, "document", json_string(r->citation.document));
		json_array_append_new(cites, c);
	}
	json_object_set_new(o, "approvers", approvers);
	json_object_set_new(o, "obligations", obl);
	json_object_set_new(o, "rules", rules);
	json_object_set_new(o, "citations", cites);
	char *why = reason(pol, d, ob, nob);
	json_object_set_new(o, "reason", json_string(why ? why : ""));
	free(why);
	return o;
}
