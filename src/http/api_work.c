/*
 * api_work.c — /api/v1/applications, /api/v1/exceptions, /api/v1/records and
 * /api/v1/deputies (issue 5): the JSON face of store/work.h.
 *
 *   GET  applications[?filter=mine|to_approve|overdue|all]   POST applications
 *   GET  applications/types
 *   GET  applications/{id}
 *   POST applications/{id}/{approve|reject|confirm|start|return|withdraw}
 *   GET  exceptions        GET exceptions/{id}
 *   POST exceptions/{id}/{report|review|revoke}
 *   GET  records[?kind=K]  POST records (body {"kind", …})
 *   POST records/{id}/confirm
 *   POST deputies {"principal_id","deputy_id"}   DELETE deputies (same body)
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "store/work.h"

static bool parse_id(const char *s, int64_t *id, const char **rest)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (v <= 0 || end == s)
		return false;
	*id = v;
	*rest = end;
	return true;
}

static void answer(struct mmr_http_resp *out, int rc, const mmr_error *err, json_t *o, int status)
{
	if (rc)
		mmr_http_fail(out, rc, err);
	else
		mmr_http_json(out, status, o);
}

static void method_not_allowed(struct mmr_http_resp *out)
{
	mmr_http_error(out, 405, NULL, "この方法 (method) は使えません");
}

static const char *body_text(json_t *b, const char *key)
{
	return json_string_value(json_object_get(b, key));
}

static void applications(struct mmr_http_req *r, struct mmr_http_resp *out, const char *rest)
{
	mmr_error err;
	json_t *o = NULL;
	int rc;
	bool get = !strcmp(r->method, "GET"), post = !strcmp(r->method, "POST");
	if (!*rest) {
		if (get) {
			rc = mmr_app_list(r->st, &r->who, mmr_http_query(r, "filter"), r->now, &o,
					  &err);
			answer(out, rc, &err, o, 200);
		} else if (post) {
			json_t *b = mmr_api_body(r, out);
			if (!b)
				return;
			rc = mmr_app_create(r->st, &r->who, b, r->now, &o, &err);
			json_decref(b);
			answer(out, rc, &err, o, 201);
		} else
			method_not_allowed(out);
		return;
	}
	if (!strcmp(rest, "/types")) {
		if (get)
			mmr_http_json(out, 200, json_pack("{s:o}", "types", mmr_app_types()));
		else
			method_not_allowed(out);
		return;
	}
	int64_t id;
	const char *op;
	if (*rest != '/' || !parse_id(rest + 1, &id, &op)) {
		mmr_http_error(out, 404, NULL, "見つかりません (not found)");
		return;
	}
	if (!*op) {
		if (!get) {
			method_not_allowed(out);
			return;
		}
		rc = mmr_app_get(r->st, &r->who, id, r->now, &o, &err);
		answer(out, rc, &err, o, 200);
		return;
	}
	if (!post) {
		method_not_allowed(out);
		return;
	}
	json_t *b = r->len ? mmr_api_body(r, out) : json_object();
	if (!b)
		return;
	if (!strcmp(op, "/approve") || !strcmp(op, "/reject")) {
		json_t *c = json_object_get(b, "comment");
		if (c && !json_is_string(c)) {
			json_decref(b);
			mmr_http_error(out, 422, "comment", "文字列が必要です");
			return;
		}
		rc = mmr_app_approve(r->st, &r->who, id, !strcmp(op, "/approve"),
				     json_string_value(c), r->now, &o, &err);
	} else if (!strcmp(op, "/confirm"))
		rc = mmr_app_confirm(r->st, &r->who, id, json_object_get(b, "ids"), r->now, &o,
				     &err);
	else if (!strcmp(op, "/start"))
		rc = mmr_app_start(r->st, &r->who, id, r->now, &o, &err);
	else if (!strcmp(op, "/return"))
		rc = mmr_app_return(r->st, &r->who, id, r->now, &o, &err);
	else if (!strcmp(op, "/withdraw"))
		rc = mmr_app_withdraw(r->st, &r->who, id, r->now, &o, &err);
	else {
		json_decref(b);
		mmr_http_error(out, 404, NULL, "見つかりません (not found)");
		return;
	}
	json_decref(b);
	answer(out, rc, &err, o, 200);
}

static void exceptions(struct mmr_http_req *r, struct mmr_http_resp *out, const char *rest)
{
	mmr_error err;
	json_t *o = NULL;
	int rc;
	bool get = !strcmp(r->method, "GET");
	if (!*rest) {
		if (!get) {
			method_not_allowed(out);
			return;
		}
		rc = mmr_exc_list(r->st, &r->who, r->now, &o, &err);
		answer(out, rc, &err, o, 200);
		return;
	}
	int64_t id;
	const char *op;
	if (*rest != '/' || !parse_id(rest + 1, &id, &op)) {
		mmr_http_error(out, 404, NULL, "見つかりません (not found)");
		return;
	}
	if (!*op) {
		if (!get) {
			method_not_allowed(out);
			return;
		}
		rc = mmr_exc_get(r->st, &r->who, id, r->now, &o, &err);
		answer(out, rc, &err, o, 200);
		return;
	}
	if (strcmp(r->method, "POST")) {
		method_not_allowed(out);
		return;
	}
	json_t *b = mmr_api_body(r, out);
	if (!b)
		return;
	if (!strcmp(op, "/report"))
		rc = mmr_exc_report(r->st, &r->who, id, body_text(b, "report"), r->now, &o, &err);
	else if (!strcmp(op, "/review"))
		rc = mmr_exc_review(r->st, &r->who, id, body_text(b, "note"), r->now, &o, &err);
	else if (!strcmp(op, "/revoke"))
		rc = mmr_exc_revoke(r->st, &r->who, id, body_text(b, "note"), r->now, &o, &err);
	else {
		json_decref(b);
		mmr_http_error(out, 404, NULL, "見つかりません (not found)");
		return;
	}
	json_decref(b);
	answer(out, rc, &err, o, 200);
}

static void records(struct mmr_http_req *r, struct mmr_http_resp *out, const char *rest)
{
	mmr_error err;
	json_t *o = NULL;
	int rc;
	if (!*rest) {
		if (!strcmp(r->method, "GET")) {
			rc = mmr_record_list(r->st, &r->who, mmr_http_query(r, "kind"), &o, &err);
			answer(out, rc, &err, o, 200);
		} else if (!strcmp(r->method, "POST")) {
			json_t *b = mmr_api_body(r, out);
			if (!b)
				return;
			json_t *kind = json_incref(json_object_get(b, "kind"));
			json_object_del(b, "kind");
			rc = mmr_record_create(r->st, &r->who, json_string_value(kind), b, r->now,
					       &o, &err);
			json_decref(kind);
			json_decref(b);
			answer(out, rc, &err, o, 201);
		} else
			method_not_allowed(out);
		return;
	}
	int64_t id;
	const char *op;
	if (*rest != '/' || !parse_id(rest + 1, &id, &op) || strcmp(op, "/confirm")) {
		mmr_http_error(out, 404, NULL, "見つかりません (not found)");
		return;
	}
	if (strcmp(r->method, "POST")) {
		method_not_allowed(out);
		return;
	}
	rc = mmr_record_confirm(r->st, &r->who, id, r->now, &o, &err);
	answer(out, rc, &err, o, 200);
}

static void deputies(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	bool del = !strcmp(r->method, "DELETE");
	if (!del && strcmp(r->method, "POST")) {
		method_not_allowed(out);
		return;
	}
	json_t *b = mmr_api_body(r, out);
	if (!b)
		return;
	json_t *p = json_object_get(b, "principal_id"), *d = json_object_get(b, "deputy_id");
	mmr_error err;
	int rc;
	if (!json_is_integer(p) || !json_is_integer(d)) {
		mmr_http_error(out, 422, json_is_integer(p) ? "deputy_id" : "principal_id",
			       "利用者の番号（整数）が必要です");
		json_decref(b);
		return;
	}
	rc = mmr_user_set_deputy(r->st, &r->who, json_integer_value(p), json_integer_value(d), del,
				 &err);
	json_decref(b);
	if (rc)
		mmr_http_fail(out, rc, &err);
	else
		out->status = 204;
}

bool mmr_api_work(struct mmr_http_req *r, struct mmr_http_resp *out, const char *path)
{
	static const struct {
		const char *prefix;
		void (*fn)(struct mmr_http_req *, struct mmr_http_resp *, const char *);
	} routes[] = {
		{"applications", applications},
		{"exceptions", exceptions},
		{"records", records},
	};
	for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
		size_t n = strlen(routes[i].prefix);
		if (!strncmp(path, routes[i].prefix, n) && (path[n] == '\0' || path[n] == '/')) {
			routes[i].fn(r, out, path + n);
			return true;
		}
	}
	if (!strcmp(path, "deputies")) {
		deputies(r, out);
		return true;
	}
	return false;
}
