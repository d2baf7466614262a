/*
 * pages_work.c — the web pages of issue 5 part A: 申請 (applications) with
 * their approval route and obligations checklist, 例外措置 (exceptions) and
 * the records (2名作業・保守・入退室・媒体の受け渡し). Forms post back here;
 * every change goes through store/work.h, so the pages decide nothing.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "store/work.h"
#include "util/wareki.h"

static const char *form_str(json_t *f, const char *k)
{
	const char *s = json_string_value(json_object_get(f, k));
	return s && *s ? s : NULL;
}

/* Dates of an object shown in 和暦 too. */
static void wareki_all(json_t *o, const char *const *keys)
{
	for (const char *const *k = keys; *k; k++)
		mmr_page_wareki(o, *k);
}

static void app_dates(json_t *a)
{
	static const char *const keys[] = {"created_at", "updated_at", "started_at", "returned_at",
					   NULL};
	wareki_all(a, keys);
	const char *due = json_string_value(json_object_get(a, "due_on"));
	char buf[160];
	if (due && mmr_wareki_format(atoi(due), atoi(due + 5), atoi(due + 8), buf, sizeof buf) == 0)
		json_object_set_new(a, "due_on_wareki", json_string(buf));
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(a, "approvals"), i, p)
		mmr_page_wareki(p, "at");
}

static json_t *policy_of(struct mmr_http_req *r)
{
	const mmr_policy *pol;
	mmr_error err;
	if (mmr_tenant_policy(r->st, r->who.tenant, &pol, &err))
		return json_object();
	return mmr_page_policy_info(pol);
}

static void list_page(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	mmr_error err;
	json_t *data = json_object();
	static const char *const filters[] = {"mine", "to_approve", "overdue"};
	for (size_t i = 0; i < 3; i++) {
		json_t *l = NULL;
		if (i == 2 && !(r->who.admin || r->who.auditor || r->who.manager))
			continue;
		if (mmr_app_list(r->st, &r->who, filters[i], r->now, &l, &err)) {
			json_decref(data);
			mmr_page_fail(r, out, MMR_EIO, &err);
			return;
		}
		size_t k;
		json_t *a;
		json_array_foreach (json_object_get(l, "items"), k, a)
			app_dates(a);
		json_object_set(data, filters[i], json_object_get(l, "items"));
		json_decref(l);
	}
	json_object_set_new(data, "types", mmr_app_types());
	mmr_page_render(r, out, 200, "applications", data);
}

/* The form of a new application → the JSON mmr_app_create reads. */
static json_t *form_to_app(json_t *f)
{
	json_t *in = json_object(), *res = json_object(), *cls = json_object(),
	       *ctx = json_object(), *detail = json_object(), *crit = json_object();
	const char *k;
	json_t *v;
	json_object_foreach (f, k, v) {
		const char *s = json_string_value(v);
		if (!s || !*s)
			continue;
		if (!strcmp(k, "type") || !strcmp(k, "title"))
			json_object_set_new(in, k, json_string(s));
		else if (!strcmp(k, "asset_id") || !strcmp(k, "system_id"))
			json_object_set_new(in, k, json_integer(strtoll(s, NULL, 10)));
		else if (!strncmp(k, "cls.", 4))
			json_object_set_new(cls, k + 4, json_string(s));
		else if (!strcmp(k, "res.segment") || !strcmp(k, "res.kind"))
			json_object_set_new(res, k + 4, json_string(s));
		else if (!strncmp(k, "ctx.", 4)) {
			if (!strcmp(s, "true") || !strcmp(s, "false"))
				json_object_set_new(ctx, k + 4, json_boolean(!strcmp(s, "true")));
			else if (!strcmp(k + 4, "handles_classes"))
				json_object_set_new(ctx, k + 4, json_pack("[s]", s));
			else
				json_object_set_new(ctx, k + 4, json_string(s));
		} else if (!strncmp(k, "crit.", 5))
			json_object_set_new(crit, k + 5, json_boolean(!strcmp(s, "on")));
		else if (!strcmp(k, "detail.witness_id"))
			json_object_set_new(detail, k + 7, json_integer(strtoll(s, NULL, 10)));
		else if (!strncmp(k, "detail.", 7))
			json_object_set_new(detail, k + 7, json_string(s));
	}
	if (json_object_size(crit))
		json_object_set_new(detail, "criteria", crit);
	else
		json_decref(crit);
	if (json_object_size(cls))
		json_object_set_new(res, "classification", cls);
	else
		json_decref(cls);
	if (!json_object_get(in, "asset_id") && json_object_size(res))
		json_object_set_new(in, "resource", res);
	else
		json_decref(res);
	json_object_set_new(in, "context", ctx);
	json_object_set_new(in, "detail", detail);
	return in;
}

static void new_page(struct mmr_http_req *r, struct mmr_http_resp *out, bool post)
{
	json_t *f = post ? mmr_http_form(r) : NULL;
	const char *type = post ? form_str(f, "type") : mmr_http_query(r, "type");
	json_t *types = mmr_app_types(), *t = NULL;
	size_t i;
	json_t *x;
	json_array_foreach (types, i, x)
		if (type && !strcmp(json_string_value(json_object_get(x, "id")), type))
			t = x;
	if (!t) {
		json_decref(types);
		mmr_page_error(r, out, 404, "申請の種類を選んでください");
		return;
	}
	json_t *data = json_pack("{s:O, s:o}", "type", t, "policy", policy_of(r));
	json_decref(types);
	if (post) {
		json_t *in = form_to_app(f), *a = NULL;
		mmr_error err;
		int rc = mmr_app_create(r->st, &r->who, in, r->now, &a, &err);
		json_decref(in);
		if (!rc) {
			char loc[64];
			snprintf(loc, sizeof loc, "/applications/%lld",
				 (long long)json_integer_value(json_object_get(a, "id")));
			json_decref(a);
			json_decref(data);
			mmr_http_redirect(out, loc);
			return;
		}
		json_object_set_new(data, "message", json_string(mmr_store_error_text(&err)));
		json_object_set(data, "form", f);
		mmr_page_render(r, out,
				rc == MMR_EINVAL    ? 422
				: rc == MMR_EDENIED ? 403
						    : 500,
				"application_new", data);
		return;
	}
	mmr_page_render(r, out, 200, "application_new", data);
}

static void app_page(struct mmr_http_req *r, struct mmr_http_resp *out, int64_t id,
		     const char *message)
{
	json_t *a;
	mmr_error err;
	int rc = mmr_app_get(r->st, &r->who, id, r->now, &a, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	app_dates(a);
	json_object_set_new(a, "mine",
			    json_boolean(json_integer_value(json_object_get(a, "applicant_id")) ==
					 r->who.user_id));
	json_t *data = json_pack("{s:o, s:o}", "application", a, "policy", policy_of(r));
	if (message)
		json_object_set_new(data, "message", json_string(message));
	mmr_page_render(r, out, message ? 409 : 200, "application", data);
}

static void app_op(struct mmr_http_req *r, struct mmr_http_resp *out, int64_t id, const char *op)
{
	json_t *f = mmr_http_form(r), *o = NULL;
	mmr_error err;
	int rc;
	if (!strcmp(op, "approve") || !strcmp(op, "reject"))
		rc = mmr_app_approve(r->st, &r->who, id, !strcmp(op, "approve"),
				     form_str(f, "comment"), r->now, &o, &err);
	else if (!strcmp(op, "confirm")) {
		json_t *ids = json_array();
		const char *k;
		json_t *v;
		json_object_foreach (f, k, v)
			if (!strncmp(k, "obl.", 4))
				json_array_append_new(ids, json_string(k + 4));
		rc = mmr_app_confirm(r->st, &r->who, id, ids, r->now, &o, &err);
		json_decref(ids);
	} else if (!strcmp(op, "start"))
		rc = mmr_app_start(r->st, &r->who, id, r->now, &o, &err);
	else if (!strcmp(op, "return"))
		rc = mmr_app_return(r->st, &r->who, id, r->now, &o, &err);
	else if (!strcmp(op, "withdraw"))
		rc = mmr_app_withdraw(r->st, &r->who, id, r->now, &o, &err);
	else {
		mmr_page_error(r, out, 404, "見つかりません");
		return;
	}
	json_decref(o);
	if (rc == MMR_ENOTFOUND) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	if (rc) {
		app_page(r, out, id, mmr_store_error_text(&err));
		return;
	}
	char loc[64];
	snprintf(loc, sizeof loc, "/applications/%lld", (long long)id);
	mmr_http_redirect(out, loc);
}

static void exceptions_page(struct mmr_http_req *r, struct mmr_http_resp *out, const char *msg)
{
	json_t *l;
	mmr_error err;
	int rc = mmr_exc_list(r->st, &r->who, r->now, &l, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	size_t i;
	json_t *e;
	json_array_foreach (json_object_get(l, "items"), i, e) {
		json_object_set_new(e, "mine",
				    json_boolean(json_integer_value(json_object_get(
							 e, "holder_id")) == r->who.user_id));
		mmr_page_wareki(e, "reported_at");
		mmr_page_wareki(e, "reviewed_at");
	}
	json_object_set_new(l, "policy", policy_of(r));
	if (msg)
		json_object_set_new(l, "message", json_string(msg));
	mmr_page_render(r, out, msg ? 409 : 200, "exceptions", l);
}

static void exception_op(struct mmr_http_req *r, struct mmr_http_resp *out, int64_t id,
			 const char *op)
{
	json_t *f = mmr_http_form(r), *o = NULL;
	mmr_error err;
	int rc;
	const char *text = form_str(f, "text");
	if (!strcmp(op, "report"))
		rc = mmr_exc_report(r->st, &r->who, id, text, r->now, &o, &err);
	else if (!strcmp(op, "review"))
		rc = mmr_exc_review(r->st, &r->who, id, text, r->now, &o, &err);
	else if (!strcmp(op, "revoke"))
		rc = mmr_exc_revoke(r->st, &r->who, id, text, r->now, &o, &err);
	else {
		mmr_page_error(r, out, 404, "見つかりません");
		return;
	}
	json_decref(o);
	if (rc) {
		exceptions_page(r, out, mmr_store_error_text(&err));
		return;
	}
	mmr_http_redirect(out, "/exceptions");
}

static void records_page(struct mmr_http_req *r, struct mmr_http_resp *out, const char *msg,
			 json_t *form)
{
	json_t *l;
	mmr_error err;
	const char *kind = mmr_http_query(r, "kind");
	int rc = mmr_record_list(r->st, &r->who, kind && *kind ? kind : NULL, &l, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	size_t i;
	json_t *e;
	json_array_foreach (json_object_get(l, "items"), i, e) {
		json_object_set_new(
			e, "can_confirm",
			json_boolean(json_integer_value(json_object_get(e, "partner_id")) ==
					     r->who.user_id &&
				     json_is_null(json_object_get(e, "partner_confirmed_at"))));
		mmr_page_wareki(e, "created_at");
		mmr_page_wareki(e, "partner_confirmed_at");
	}
	if (msg)
		json_object_set_new(l, "message", json_string(msg));
	if (form)
		json_object_set(l, "form", form);
	mmr_page_render(r, out, msg ? 422 : 200, "records", l);
}

static void record_new(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	json_t *f = mmr_http_form(r);
	json_t *in = json_object(), *data = json_object(), *o = NULL;
	const char *k;
	json_t *v;
	json_object_foreach (f, k, v) {
		const char *s = json_string_value(v);
		if (!s || !*s)
			continue;
		if (!strncmp(k, "data.", 5))
			json_object_set_new(data, k + 5, json_string(s));
		else if (!strcmp(k, "partner_id") || !strcmp(k, "system_id"))
			json_object_set_new(in, k, json_integer(strtoll(s, NULL, 10)));
	}
	json_object_set_new(in, "data", data);
	mmr_error err;
	int rc = mmr_record_create(r->st, &r->who, form_str(f, "kind"), in, r->now, &o, &err);
	json_decref(in);
	json_decref(o);
	if (rc) {
		records_page(r, out, mmr_store_error_text(&err), f);
		return;
	}
	mmr_http_redirect(out, "/records");
}

static bool id_op(const char *s, int64_t *id, const char **op)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (v <= 0 || end == s)
		return false;
	*id = v;
	*op = *end == '/' ? end + 1 : end;
	return *end == '\0' || *end == '/';
}

bool mmr_pages_work(struct mmr_http_req *r, struct mmr_http_resp *out, bool post)
{
	const char *u = r->url;
	int64_t id;
	const char *op;
	if (!strcmp(u, "/applications")) {
		list_page(r, out);
		return true;
	}
	if (!strcmp(u, "/applications/new")) {
		new_page(r, out, post);
		return true;
	}
	if (!strncmp(u, "/applications/", 14) && id_op(u + 14, &id, &op)) {
		if (!*op)
			app_page(r, out, id, NULL);
		else if (post)
			app_op(r, out, id, op);
		else
			return false;
		return true;
	}
	if (!strcmp(u, "/exceptions")) {
		exceptions_page(r, out, NULL);
		return true;
	}
	if (!strncmp(u, "/exceptions/", 12) && post && id_op(u + 12, &id, &op) && *op) {
		exception_op(r, out, id, op);
		return true;
	}
	if (!strcmp(u, "/records")) {
		records_page(r, out, NULL, NULL);
		return true;
	}
	if (!strcmp(u, "/records/new") && post) {
		record_new(r, out);
		return true;
	}
	if (!strncmp(u, "/records/", 9) && post && id_op(u + 9, &id, &op) &&
	    !strcmp(op, "confirm")) {
		json_t *o = NULL;
		mmr_error err;
		int rc = mmr_record_confirm(r->st, &r->who, id, r->now, &o, &err);
		json_decref(o);
		if (rc)
			records_page(r, out, mmr_store_error_text(&err), NULL);
		else
			mmr_http_redirect(out, "/records");
		return true;
	}
	return false;
}
