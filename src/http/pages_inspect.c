/*
 * pages_inspect.c — the web pages of self-inspection and audit (/inspection…)
 * and the dashboard (/). Forms post to the same paths and redirect back
 * (303) on success; a refusal or bad input shows the error page with the
 * store's message.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "store/inspect.h"

static int64_t form_int(json_t *f, const char *k)
{
	const char *s = json_string_value(json_object_get(f, k));
	return s && *s ? strtoll(s, NULL, 10) : 0;
}

static const char *form_str(json_t *f, const char *k)
{
	const char *s = json_string_value(json_object_get(f, k));
	return s && *s ? s : NULL;
}

static json_t *page_data(struct mmr_http_req *r)
{
	return json_pack("{s:b, s:b}", "manage", r->who.admin, "audit",
			 r->who.auditor || r->who.admin);
}

/* /inspection: rounds, checklist versions, facts, forms. */
static void index_page(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	mmr_error err;
	json_t *rounds, *lists, *facts;
	int rc = mmr_inspect_round_list(r->st, &r->who, &rounds, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	if ((rc = mmr_inspect_checklist_list(r->st, &r->who, &lists, &err))) {
		json_decref(rounds);
		{
			mmr_page_fail(r, out, rc, &err);
			return;
		}
	}
	if ((rc = mmr_inspect_facts(r->st, &r->who, 0, &facts, &err))) {
		json_decref(rounds);
		json_decref(lists);
		{
			mmr_page_fail(r, out, rc, &err);
			return;
		}
	}
	json_t *d = page_data(r);
	json_object_set_new(d, "rounds", rounds);
	json_object_set_new(d, "checklists", lists);
	json_object_set_new(d, "facts", facts);
	mmr_page_render(r, out, 200, "inspect", d);
}

static void checklist_page(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	mmr_error err;
	json_t *c;
	const char *v = mmr_http_query(r, "version");
	int rc = mmr_inspect_checklist_get(r->st, &r->who, v ? strtoll(v, NULL, 10) : 0, &c, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	json_t *d = page_data(r);
	json_object_set_new(d, "checklist", c);
	mmr_page_render(r, out, 200, "inspect_checklist", d);
}

static void round_page(struct mmr_http_req *r, struct mmr_http_resp *out, int64_t id)
{
	mmr_error err;
	json_t *round, *answers, *actions, *findings;
	int64_t unit = 0;
	const char *u = mmr_http_query(r, "unit");
	if (u)
		unit = strtoll(u, NULL, 10);
	int rc = mmr_inspect_round_get(r->st, &r->who, id, &round, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	/* without a unit chosen, a section's people see their own section */
	if (!unit && !r->who.admin && !r->who.auditor && !r->who.body_scope) {
		for (size_t i = 0; i < r->who.n_scopes && !unit; i++)
			if (!strcmp(r->who.scopes[i].kind, "unit"))
				unit = r->who.scopes[i].id;
	}
	if ((rc = mmr_inspect_answers(r->st, &r->who, id, unit, &answers, &err))) {
		json_decref(round);
		{
			mmr_page_fail(r, out, rc, &err);
			return;
		}
	}
	if ((rc = mmr_inspect_actions(r->st, &r->who, id, &actions, &err))) {
		json_decref(round);
		json_decref(answers);
		{
			mmr_page_fail(r, out, rc, &err);
			return;
		}
	}
	if ((rc = mmr_inspect_findings(r->st, &r->who, id, &findings, &err))) {
		json_decref(round);
		json_decref(answers);
		json_decref(actions);
		{
			mmr_page_fail(r, out, rc, &err);
			return;
		}
	}
	/* a page shows at most 500 answers: choose a section for the rest */
	json_t *items = json_object_get(answers, "items");
	size_t total = json_array_size(items);
	while (json_array_size(items) > 500)
		json_array_remove(items, json_array_size(items) - 1);
	json_t *d = page_data(r);
	mmr_page_wareki(round, "deadline");
	json_object_set_new(d, "round", round);
	json_object_set_new(d, "answers", items ? json_incref(items) : json_array());
	json_object_set_new(d, "answers_total", json_integer((json_int_t)total));
	json_object_set_new(d, "unit", json_integer(unit));
	json_object_set_new(d, "actions", json_incref(json_object_get(actions, "items")));
	json_object_set_new(d, "findings", json_incref(json_object_get(findings, "items")));
	json_decref(answers);
	json_decref(actions);
	json_decref(findings);
	json_t *cmp;
	if (!mmr_inspect_compare(r->st, &r->who, id, 0, &cmp, &err))
		json_object_set_new(d, "compare", cmp);
	mmr_page_render(r, out, 200, "inspect_round", d);
}

static void done(struct mmr_http_req *r, struct mmr_http_resp *out, int rc, const mmr_error *err,
		 const char *location)
{
	if (rc)
		mmr_page_fail(r, out, rc, err);
	else
		mmr_http_redirect(out, location);
}

static void post_round(struct mmr_http_req *r, struct mmr_http_resp *out, int64_t id,
		       const char *rest)
{
	mmr_error err;
	json_t *f = mmr_http_form(r), *j = NULL;
	char loc[96];
	snprintf(loc, sizeof loc, "/inspection/rounds/%" PRId64, id);
	int rc;
	if (!strcmp(rest, "/actions")) {
		size_t n;
		rc = mmr_inspect_actions_generate(r->st, &r->who, id, form_str(f, "due"), &n, &err);
	} else if (!strcmp(rest, "/findings")) {
		json_t *in =
			json_pack("{s:s?, s:s?, s:s?, s:s?}", "item", form_str(f, "item"),
				  "severity", form_str(f, "severity"), "finding",
				  form_str(f, "finding"), "follow_up", form_str(f, "follow_up"));
		if (form_int(f, "unit_id"))
			json_object_set_new(in, "unit_id", json_integer(form_int(f, "unit_id")));
		rc = mmr_inspect_finding_add(r->st, &r->who, id, in, &j, &err);
		json_decref(in);
	} else if (!strcmp(rest, "/status")) {
		rc = mmr_inspect_round_status(r->st, &r->who, id, form_str(f, "status"), &err);
	} else if (!strcmp(rest, "/auto")) {
		size_t n;
		rc = r->who.admin
			     ? mmr_inspect_auto_answer(r->st, &r->who, id, &n, &err)
			     : (mmr_error_set(&err, MMR_EDENIED, "点検の管理の権限がありません"),
				MMR_EDENIED);
	} else {
		mmr_page_error(r, out, 404, "見つかりません");
		return;
	}
	json_decref(j);
	done(r, out, rc, &err, loc);
}

void mmr_page_dashboard(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	mmr_error err;
	json_t *d;
	int rc = mmr_dashboard(r->st, &r->who, &d, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	mmr_page_render(r, out, 200, "dashboard", d);
}

bool mmr_pages_inspect(struct mmr_http_req *r, struct mmr_http_resp *out, bool post)
{
	const char *u = r->url;
	if (strncmp(u, "/inspection", 11))
		return false;
	const char *p = u + 11;
	mmr_error err;
	json_t *f = post ? mmr_http_form(r) : NULL, *j = NULL;
	int rc;
	if (!*p) {
		if (!post) {
			index_page(r, out);
			return true;
		}
		/* open a round */
		json_t *in = json_pack("{s:s?, s:s?, s:I}", "name", form_str(f, "name"), "deadline",
				       form_str(f, "deadline"), "fiscal_year",
				       (json_int_t)form_int(f, "fiscal_year"));
		rc = mmr_inspect_round_create(r->st, &r->who, in, &j, &err);
		json_decref(in);
		char loc[96] = "/inspection";
		if (!rc)
			snprintf(loc, sizeof loc, "/inspection/rounds/%" JSON_INTEGER_FORMAT,
				 json_integer_value(json_object_get(j, "id")));
		json_decref(j);
		done(r, out, rc, &err, loc);
		return true;
	}
	if (!strcmp(p, "/checklist")) {
		if (!post) {
			checklist_page(r, out);
			return true;
		}
		const char *op = form_str(f, "op");
		if (op && !strcmp(op, "generate")) {
			rc = mmr_inspect_checklist_generate(r->st, &r->who, &j, &err);
		} else {
			json_t *item =
				json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?}", "chapter",
					  form_str(f, "chapter"), "clause", form_str(f, "clause"),
					  "question", form_str(f, "question"), "clause_text",
					  form_str(f, "clause_text"), "how", form_str(f, "how"));
			rc = mmr_inspect_checklist_change(r->st, &r->who, op, form_str(f, "key"),
							  item, &j, &err);
			json_decref(item);
		}
		json_decref(j);
		done(r, out, rc, &err, "/inspection/checklist");
		return true;
	}
	char *end;
	if (!strncmp(p, "/rounds/", 8)) {
		long long id = strtoll(p + 8, &end, 10);
		if (id <= 0)
			return false;
		if (!*end && !post) {
			round_page(r, out, id);
			return true;
		}
		if (!strncmp(end, "/report.", 8) && !post) {
			if ((rc = mmr_inspect_http_report(r, id, end + 8, out, &err)))
				mmr_page_fail(r, out, rc, &err);
			return true;
		}
		if (post) {
			post_round(r, out, id, end);
			return true;
		}
		return false;
	}
	if (!strncmp(p, "/answers/", 9) && post) {
		long long id = strtoll(p + 9, &end, 10);
		if (id <= 0 || *end)
			return false;
		json_t *in = json_pack("{s:s?, s:s?}", "answer", form_str(f, "answer"), "note",
				       form_str(f, "note"));
		const char *kind = form_str(f, "evidence_kind"), *ref = form_str(f, "evidence_ref");
		if (kind && ref)
			json_object_set_new(in, "evidence",
					    json_pack("[{s:s, s:s}]", "kind", kind, "ref", ref));
		rc = mmr_inspect_answer(r->st, &r->who, id, in, &j, &err);
		json_decref(in);
		json_decref(j);
		char loc[128];
		snprintf(loc, sizeof loc, "/inspection/rounds/%" PRId64 "?unit=%" PRId64 "#a%lld",
			 form_int(f, "round"), form_int(f, "unit"), id);
		done(r, out, rc, &err, loc);
		return true;
	}
	if (!strncmp(p, "/actions/", 9) && post) {
		long long id = strtoll(p + 9, &end, 10);
		if (id <= 0 || *end)
			return false;
		json_t *in = json_pack("{s:s?, s:s?, s:s?}", "status", form_str(f, "status"),
				       "closing_note", form_str(f, "closing_note"), "due",
				       form_str(f, "due"));
		rc = mmr_inspect_action_update(r->st, &r->who, id, in, &j, &err);
		json_decref(in);
		json_decref(j);
		char loc[96];
		snprintf(loc, sizeof loc, "/inspection/rounds/%" PRId64, form_int(f, "round"));
		done(r, out, rc, &err, loc);
		return true;
	}
	if (!strncmp(p, "/findings/", 10) && post) {
		long long id = strtoll(p + 10, &end, 10);
		if (id <= 0 || *end)
			return false;
		json_t *in = json_pack("{s:s?, s:s?}", "status", form_str(f, "status"), "follow_up",
				       form_str(f, "follow_up"));
		rc = mmr_inspect_finding_update(r->st, &r->who, id, in, &j, &err);
		json_decref(in);
		json_decref(j);
		char loc[96];
		snprintf(loc, sizeof loc, "/inspection/rounds/%" PRId64, form_int(f, "round"));
		done(r, out, rc, &err, loc);
		return true;
	}
	return false;
}
