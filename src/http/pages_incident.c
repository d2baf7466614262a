/*
 * pages_incident.c — the Japanese pages of the incident desk, the emergency
 * response plan and the inbox:
 *   /incidents, /incidents/new, /incidents/{id} (+ POST …/triage, …/update,
 *   …/transition, …/note, …/ppc, …/violation), /plan, /inbox (+ POST
 *   /inbox/read, /inbox/{id}/read, /inbox/email).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "store/incident.h"
#include "store/notify.h"

static const char *field(struct mmr_http_req *r, const char *k)
{
	const char *v = json_string_value(json_object_get(mmr_http_form(r), k));
	return v && *v ? v : NULL;
}

/* A datetime-local value ("2026-04-01T09:30") is Japan time. */
static json_t *local_time(const char *v)
{
	if (!v)
		return NULL;
	char buf[64];
	size_t n = strlen(v);
	if (n == 16 || n == 19)
		snprintf(buf, sizeof buf, "%s+09:00", v);
	else
		snprintf(buf, sizeof buf, "%s", v);
	return json_string(buf);
}

static json_t *names(struct mmr_http_req *r, const char *kind)
{
	json_t *m = json_array();
	struct mmr_ledger_query q = {.limit = 500};
	json_t *l;
	mmr_error err;
	if (mmr_ledger_list(r->st, &r->who, kind, &q, &l, &err))
		return m;
	size_t i;
	json_t *o;
	json_array_foreach (json_object_get(l, "items"), i, o)
		json_array_append_new(m, json_pack("{s:O, s:O}", "id", json_object_get(o, "id"),
						   "name", json_object_get(o, "name")));
	json_decref(l);
	return m;
}

static void wareki_all(json_t *c)
{
	static const char *const keys[] = {"occurred_at", "aware_at",	"deadline",
					   "created_at",  "updated_at", NULL};
	for (const char *const *k = keys; *k; k++)
		mmr_page_wareki(c, *k);
	json_t *p = json_object_get(c, "ppc");
	if (p) {
		mmr_page_wareki(p, "prompt_due");
		mmr_page_wareki(p, "final_due");
	}
	size_t i;
	json_t *e;
	json_array_foreach (json_object_get(c, "timeline"), i, e)
		mmr_page_wareki(e, "at");
}

static void list_page(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	mmr_error err;
	json_t *l, *due = NULL;
	const char *state = mmr_http_query(r, "state");
	int64_t now = mmr_now_ms();
	int rc = mmr_incident_list(r->st, &r->who, state && *state ? state : NULL, false, 0, 200,
				   now, &l, &err);
	if (!rc)
		rc = mmr_incident_ppc_due(r->st, &r->who, now, &due, &err);
	if (rc) {
		json_decref(l);
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	size_t i;
	json_t *c;
	json_array_foreach (json_object_get(l, "items"), i, c)
		wareki_all(c);
	json_array_foreach (json_object_get(due, "items"), i, c)
		mmr_page_wareki(c, "due_at");
	mmr_page_render(r, out, 200, "incidents",
			json_pack("{s:o, s:o, s:b, s:s?}", "list", l, "due", due, "csirt",
				  mmr_incident_is_csirt(&r->who), "state", state));
}

static void new_page(struct mmr_http_req *r, struct mmr_http_resp *out, bool post)
{
	json_t *data = json_pack("{s:o, s:o}", "systems", names(r, "systems"), "assets",
				 names(r, "assets"));
	if (!post) {
		mmr_page_render(r, out, 200, "incident_new", data);
		return;
	}
	json_t *in = json_object();
	const char *t = field(r, "title"), *d = field(r, "description");
	if (t)
		json_object_set_new(in, "title", json_string(t));
	if (d)
		json_object_set_new(in, "description", json_string(d));
	json_t *occ = local_time(field(r, "occurred_at"));
	if (occ)
		json_object_set_new(in, "occurred_at", occ);
	/* multi-selects arrive as "system_id" (one) — the form parser keeps the last
	 * of repeated names, so ids also come as a comma separated list */
	static const char *const kinds[][2] = {{"systems", "system_ids"}, {"assets", "asset_ids"}};
	for (size_t k = 0; k < 2; k++) {
		const char *v = field(r, kinds[k][1]);
		if (!v)
			continue;
		json_t *a = json_array();
		char buf[2048];
		snprintf(buf, sizeof buf, "%s", v);
		char *save = NULL;
		for (char *tok = strtok_r(buf, ", 、", &save); tok;
		     tok = strtok_r(NULL, ", 、", &save)) {
			char *end;
			long long id = strtoll(tok, &end, 10);
			json_array_append_new(a, *end || id <= 0 ? json_string(tok)
								 : json_integer(id));
		}
		json_object_set_new(in, kinds[k][0], a);
	}
	json_t *c;
	mmr_error err;
	int rc = mmr_incident_report(r->st, &r->who, in, mmr_now_ms(), &c, &err);
	if (!rc) {
		char loc[64];
		snprintf(loc, sizeof loc, "/incidents/%" JSON_INTEGER_FORMAT,
			 json_integer_value(json_object_get(c, "id")));
		json_decref(c);
		json_decref(in);
		json_decref(data);
		mmr_http_redirect(out, loc);
		return;
	}
	json_object_set_new(in, "occurred_at_input",
			    json_string(field(r, "occurred_at") ? field(r, "occurred_at") : ""));
	json_object_set_new(data, "form", in);
	json_object_set_new(data, "message", json_string(mmr_store_error_text(&err)));
	mmr_page_render(r, out, rc == MMR_EDENIED ? 403 : 422, "incident_new", data);
}

static void case_page(struct mmr_http_req *r, struct mmr_http_resp *out, int64_t id,
		      const char *message, int status)
{
	mmr_error err;
	json_t *c, *plan;
	int rc = mmr_incident_get(r->st, &r->who, id, mmr_now_ms(), &c, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	if ((rc = mmr_incident_plan_get(r->st, &r->who, &plan, &err))) {
		json_decref(c);
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	wareki_all(c);
	json_t *data = json_pack("{s:o, s:o}", "case", c, "plan", plan);
	if (mmr_incident_is_csirt(&r->who)) {
		json_t *users = json_array();
		struct mmr_ledger_query q = {.limit = 500};
		json_t *l;
		if (!mmr_ledger_list(r->st, &r->who, "users", &q, &l, &err)) {
			size_t i;
			json_t *u;
			json_array_foreach (json_object_get(l, "items"), i, u)
				json_array_append_new(users,
						      json_pack("{s:O, s:O, s:O}", "id",
								json_object_get(u, "id"), "login",
								json_object_get(u, "login"), "name",
								json_object_get(u, "name")));
			json_decref(l);
		}
		json_object_set_new(data, "users", users);
	}
	if (message)
		json_object_set_new(data, "message", json_string(message));
	mmr_page_render(r, out, status, "incident", data);
}

static json_t *bool_of(const char *v)
{
	return json_boolean(v && (!strcmp(v, "on") || !strcmp(v, "true") || !strcmp(v, "1")));
}

static void case_post(struct mmr_http_req *r, struct mmr_http_resp *out, int64_t id,
		      const char *what)
{
	mmr_error err;
	int rc;
	json_t *o = NULL;
	int64_t now = mmr_now_ms();
	if (!strcmp(what, "triage") || !strcmp(what, "update")) {
		json_t *in = json_object();
		bool triage = !strcmp(what, "triage");
		if (triage)
			json_object_set_new(in, "incident",
					    json_boolean(field(r, "incident") &&
							 !strcmp(field(r, "incident"), "yes")));
		if (field(r, "severity"))
			json_object_set_new(in, "severity", json_string(field(r, "severity")));
		json_object_set_new(in, "personal", bool_of(field(r, "personal")));
		json_t *trig = json_array();
		static const char *const ids[] = {"sensitive", "financial", "wrongful", "over100",
						  "ordinance"};
		for (size_t i = 0; i < 5; i++) {
			char k[32];
			snprintf(k, sizeof k, "trigger.%s", ids[i]);
			if (field(r, k))
				json_array_append_new(trig, json_string(ids[i]));
		}
		json_object_set_new(in, "ppc_triggers", trig);
		if (field(r, "assignee_id"))
			json_object_set_new(
				in, "assignee_id",
				json_integer(strtoll(field(r, "assignee_id"), NULL, 10)));
		json_t *dl = local_time(field(r, "deadline"));
		if (dl)
			json_object_set_new(in, "deadline", dl);
		if (field(r, "note"))
			json_object_set_new(in, "note", json_string(field(r, "note")));
		rc = triage ? mmr_incident_triage(r->st, &r->who, id, in, now, &o, &err)
			    : mmr_incident_update(r->st, &r->who, id, in, now, &o, &err);
		json_decref(in);
	} else if (!strcmp(what, "transition")) {
		rc = mmr_incident_transition(r->st, &r->who, id, field(r, "to"), field(r, "note"),
					     now, &o, &err);
	} else if (!strcmp(what, "note")) {
		rc = mmr_incident_note(r->st, &r->who, id, field(r, "note"), now, &err);
	} else if (!strcmp(what, "ppc")) {
		rc = mmr_incident_ppc_filed(r->st, &r->who, id, field(r, "report"),
					    field(r, "note"), now, &err);
	} else if (!strcmp(what, "violation")) {
		const char *u = field(r, "user_id");
		rc = mmr_incident_violation(r->st, &r->who, id, u ? strtoll(u, NULL, 10) : 0,
					    field(r, "step"), field(r, "note"), now, &err);
	} else {
		mmr_page_error(r, out, 404, "ページが見つかりません");
		return;
	}
	json_decref(o);
	if (!rc) {
		char loc[64];
		snprintf(loc, sizeof loc, "/incidents/%" PRId64, id);
		mmr_http_redirect(out, loc);
		return;
	}
	if (rc == MMR_ENOTFOUND) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	case_page(r, out, id, mmr_store_error_text(&err),
		  rc == MMR_EDENIED	? 403
		  : rc == MMR_ECONFLICT ? 409
		  : rc == MMR_EINVAL	? 422
					: 500);
}

static void plan_page(struct mmr_http_req *r, struct mmr_http_resp *out, bool post)
{
	mmr_error err;
	json_t *p = NULL;
	int rc;
	const char *msg = NULL;
	int status = 200;
	if (post) {
		json_t *in = json_object();
		static const char *const keys[] = {"contacts", "report_items", "measures",
						   "prevention"};
		for (size_t i = 0; i < 4; i++)
			json_object_set_new(
				in, keys[i],
				json_string(field(r, keys[i]) ? field(r, keys[i]) : ""));
		rc = mmr_incident_plan_put(r->st, &r->who, in, mmr_now_ms(), &p, &err);
		json_decref(in);
		if (!rc) {
			json_decref(p);
			mmr_http_redirect(out, "/plan");
			return;
		}
		if (rc != MMR_EINVAL && rc != MMR_EDENIED) {
			mmr_page_fail(r, out, rc, &err);
			return;
		}
		msg = mmr_store_error_text(&err);
		status = rc == MMR_EDENIED ? 403 : 422;
		p = NULL;
	}
	if ((rc = mmr_incident_plan_get(r->st, &r->who, &p, &err))) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	mmr_page_wareki(p, "updated_at");
	json_t *data = json_pack("{s:o, s:b}", "plan", p, "editable", r->who.admin);
	if (msg)
		json_object_set_new(data, "message", json_string(msg));
	mmr_page_render(r, out, status, "plan", data);
}

static void inbox_page(struct mmr_http_req *r, struct mmr_http_resp *out, const char *msg,
		       int status)
{
	mmr_error err;
	json_t *l;
	int rc = mmr_notify_list(r->st, &r->who, false, 0, 100, &l, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	size_t i;
	json_t *n;
	json_array_foreach (json_object_get(l, "items"), i, n)
		mmr_page_wareki(n, "created_at");
	json_t *data = json_pack("{s:o}", "inbox", l);
	if (msg)
		json_object_set_new(data, "message", json_string(msg));
	mmr_page_render(r, out, status, "inbox", data);
}

bool mmr_pages_incident(struct mmr_http_req *r, struct mmr_http_resp *out, bool post)
{
	const char *u = r->url;
	if (!strcmp(u, "/incidents")) {
		list_page(r, out);
		return true;
	}
	if (!strcmp(u, "/incidents/new")) {
		new_page(r, out, post);
		return true;
	}
	if (!strncmp(u, "/incidents/", 11)) {
		char *end;
		long long id = strtoll(u + 11, &end, 10);
		if (id <= 0)
			return false;
		if (!*end && !post) {
			case_page(r, out, id, NULL, 200);
			return true;
		}
		if (*end == '/' && post) {
			case_post(r, out, id, end + 1);
			return true;
		}
		return false;
	}
	if (!strcmp(u, "/plan")) {
		plan_page(r, out, post);
		return true;
	}
	if (!strcmp(u, "/inbox") && !post) {
		inbox_page(r, out, NULL, 200);
		return true;
	}
	if (!strcmp(u, "/inbox/email") && post) {
		mmr_error err;
		int rc =
			mmr_user_set_email(r->st, &r->who, r->who.user_id, field(r, "email"), &err);
		if (rc)
			inbox_page(r, out, mmr_store_error_text(&err),
				   rc == MMR_EINVAL ? 422 : 403);
		else
			mmr_http_redirect(out, "/inbox");
		return true;
	}
	if (!strncmp(u, "/inbox/", 7) && post) {
		int64_t id = 0;
		if (strcmp(u + 7, "read")) {
			char *end;
			id = strtoll(u + 7, &end, 10);
			if (id <= 0 || strcmp(end, "/read"))
				return false;
		}
		mmr_error err;
		int rc = mmr_notify_mark_read(r->st, &r->who, id, &err);
		if (rc)
			mmr_page_fail(r, out, rc, &err);
		else
			mmr_http_redirect(out, "/inbox");
		return true;
	}
	return false;
}
