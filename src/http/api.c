/*
 * api.c — the JSON API (issue 3's contract): /healthz, /api/v1/session,
 * /api/v1/password, /api/v1/decide and the ledgers
 * /api/v1/{units,users,systems,assets,devices}[/{id}].
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/request_json.h"
#include "http/http.h"
#include "store/audit.h"

json_t *mmr_api_body(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	json_error_t je;
	json_t *j = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &je);
	if (!j) {
		char msg[300];
		snprintf(msg, sizeof msg, "JSON として読めません（%d 行 %d 列: %s）", je.line,
			 je.column, je.text);
		mmr_http_error(out, 400, NULL, msg);
		return NULL;
	}
	if (!json_is_object(j)) {
		json_decref(j);
		mmr_http_error(out, 400, NULL, "JSON のオブジェクト（{…}）が必要です");
		return NULL;
	}
	return j;
}

static bool only_keys(json_t *j, const char *const *keys, struct mmr_http_resp *out)
{
	const char *k;
	json_t *v;
	json_object_foreach (j, k, v) {
		bool ok = false;
		for (const char *const *p = keys; *p && !ok; p++)
			ok = !strcmp(*p, k);
		if (!ok) {
			char msg[200];
			snprintf(msg, sizeof msg, "未知の項目 \"%s\" です", k);
			mmr_http_error(out, 422, k, msg);
			return false;
		}
	}
	return true;
}

static void iso_time(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static void session_open(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	json_t *j = mmr_api_body(r, out);
	if (!j)
		return;
	static const char *const keys[] = {"tenant", "login", "password", "totp", NULL};
	if (!only_keys(j, keys, out)) {
		json_decref(j);
		return;
	}
	const char *tenant = json_string_value(json_object_get(j, "tenant"));
	const char *login = json_string_value(json_object_get(j, "login"));
	const char *password = json_string_value(json_object_get(j, "password"));
	const char *totp = json_string_value(json_object_get(j, "totp"));
	const char *missing = !tenant ? "tenant" : !login ? "login" : !password ? "password" : NULL;
	if (missing) {
		char msg[100];
		snprintf(msg, sizeof msg, "%s（文字列）が必要です", missing);
		mmr_http_error(out, 400, missing, msg);
		json_decref(j);
		return;
	}
	struct mmr_signin s;
	mmr_error err;
	int rc = mmr_session_open(r->st, tenant, login, password, totp, r->now, &s, &err);
	json_decref(j);
	if (rc) {
		mmr_http_fail(out, rc, &err);
		return;
	}
	char exp[32];
	iso_time(s.expires_at, exp);
	json_t *o = json_pack("{s:s, s:s, s:s, s:b, s:b}", "token", s.token, "expires_at", exp,
			      "csrf", s.csrf, "must_change_password", s.must_change,
			      "mfa_enrolment_required", s.mfa_enrolment);
	snprintf(out->cookie, sizeof out->cookie,
		 "mamori_session=%s; Path=/; HttpOnly; SameSite=Strict", s.token);
	mmr_http_json(out, 200, o);
}

static void password_change(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	json_t *j = mmr_api_body(r, out);
	if (!j)
		return;
	static const char *const keys[] = {"current", "new", NULL};
	if (!only_keys(j, keys, out)) {
		json_decref(j);
		return;
	}
	const char *cur = json_string_value(json_object_get(j, "current"));
	const char *nw = json_string_value(json_object_get(j, "new"));
	if (!cur || !nw) {
		mmr_http_error(out, 400, !cur ? "current" : "new", "current と new が必要です");
		json_decref(j);
		return;
	}
	mmr_error err;
	struct mmr_signin s;
	/* the current password is checked the way a sign-in is (and counts as one) */
	int rc = mmr_session_open(r->st, r->who.tenant, r->who.login, cur, NULL, r->now, &s, &err);
	if (rc == MMR_EAUTH && strstr(err.message, "TOTP"))
		rc = MMR_OK; /* the password was right; TOTP is not asked for here */
	else if (!rc)
		mmr_session_close(r->st, s.token, NULL);
	if (!rc && !strcmp(cur, nw)) {
		mmr_error_set(&err, MMR_EINVAL, "[new] 新しいパスワードが現在のものと同じです");
		rc = MMR_EINVAL;
	}
	if (!rc)
		rc = mmr_user_set_password(r->st, r->who.tenant, r->who.user_id, nw, false, &err);
	json_decref(j);
	if (rc) {
		mmr_http_fail(out, rc, &err);
		return;
	}
	mmr_http_json(out, 200, json_pack("{s:s}", "status", "changed"));
}

static void decide(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	const mmr_policy *pol;
	mmr_error err;
	int rc = mmr_tenant_policy(r->st, r->who.tenant, &pol, &err);
	if (rc) {
		mmr_http_fail(out, rc, &err);
		return;
	}
	json_error_t je;
	json_t *probe = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &je);
	if (!probe) {
		char msg[300];
		snprintf(msg, sizeof msg, "JSON として読めません（%d 行 %d 列: %s）", je.line,
			 je.column, je.text);
		mmr_http_error(out, 400, NULL, msg);
		return;
	}
	mmr_request *req;
	/* the body is already bounded by the server (413) */
	rc = mmr_request_from_json(pol, probe, &req, &err);
	json_decref(probe);
	if (rc) {
		/* "request.path: message" → field "path" */
		char field[128] = "";
		const char *colon = strstr(err.message, ": ");
		if (!strncmp(err.message, "request.", 8) && colon &&
		    (size_t)(colon - err.message - 8) < sizeof field) {
			memcpy(field, err.message + 8, (size_t)(colon - err.message - 8));
			field[colon - err.message - 8] = '\0';
		}
		mmr_http_error(out, rc == MMR_ELIMIT ? 413 : 422, field[0] ? field : NULL,
			       err.message);
		return;
	}
	mmr_decision *d = mmr_decision_new();
	if (!d) {
		mmr_request_free(req);
		mmr_http_error(out, 500, NULL, "メモリが足りません");
		return;
	}
	mmr_decide(pol, req, d);
	char *js = mmr_decision_json_compact(pol, d);
	mmr_decision_free(d);
	mmr_request_free(req);
	out->status = 200;
	out->type = "application/json; charset=utf-8";
	out->body = js;
	out->len = js ? strlen(js) : 0;
}

static bool parse_id(const char *s, int64_t *id)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (*end || end == s || v <= 0)
		return false;
	*id = v;
	return true;
}

struct qctx {
	struct mmr_ledger_query *q;
	char *bad;
	size_t badn;
	int limit_bad;
};

static enum MHD_Result query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
				 const char *value)
{
	(void)kind;
	struct qctx *c = cls;
	if (!value)
		value = "";
	if (!strcmp(key, "after")) {
		c->q->after = strtoll(value, NULL, 10);
	} else if (!strcmp(key, "limit")) {
		long v = strtol(value, NULL, 10);
		if (v < 1 || v > 500)
			c->limit_bad = 1;
		c->q->limit = (int)v;
	} else if (c->q->n_filters < 16) {
		c->q->filters[c->q->n_filters][0] = key;
		c->q->filters[c->q->n_filters][1] = value;
		c->q->n_filters++;
	} else
		snprintf(c->bad, c->badn, "%s", key);
	return MHD_YES;
}

static void ledger(struct mmr_http_req *r, struct mmr_http_resp *out, const char *kind,
		   const char *rest)
{
	mmr_error err;
	int rc;
	json_t *o = NULL;
	if (!*rest) {
		if (!strcmp(r->method, "GET")) {
			struct mmr_ledger_query q = {0};
			char bad[64] = "";
			struct qctx c = {&q, bad, sizeof bad, 0};
			MHD_get_connection_values(r->conn, MHD_GET_ARGUMENT_KIND, query_arg, &c);
			if (c.limit_bad) {
				mmr_http_error(out, 400, "limit", "limit は 1〜500 にしてください");
				return;
			}
			if (bad[0]) {
				mmr_http_error(out, 400, bad, "絞り込みが多すぎます（16 個まで）");
				return;
			}
			rc = mmr_ledger_list(r->st, &r->who, kind, &q, &o, &err);
			if (rc == MMR_EINVAL) {
				char field[128];
				const char *f = mmr_store_error_field(&err, field, sizeof field);
				mmr_http_error(out, 400, f, mmr_store_error_text(&err));
				return;
			}
			if (rc)
				mmr_http_fail(out, rc, &err);
			else
				mmr_http_json(out, 200, o);
			return;
		}
		if (!strcmp(r->method, "POST")) {
			json_t *j = mmr_api_body(r, out);
			if (!j)
				return;
			rc = mmr_ledger_create(r->st, &r->who, kind, j, &o, &err);
			json_decref(j);
			if (rc)
				mmr_http_fail(out, rc, &err);
			else
				mmr_http_json(out, 201, o);
			return;
		}
		mmr_http_error(out, 405, NULL, "この方法 (method) は使えません");
		return;
	}
	int64_t id;
	if (*rest != '/' || !parse_id(rest + 1, &id)) {
		mmr_http_error(out, 404, NULL, "見つかりません (not found)");
		return;
	}
	if (!strcmp(r->method, "GET")) {
		rc = mmr_ledger_get(r->st, &r->who, kind, id, &o, &err);
		if (rc)
			mmr_http_fail(out, rc, &err);
		else
			mmr_http_json(out, 200, o);
	} else if (!strcmp(r->method, "PATCH")) {
		json_t *j = mmr_api_body(r, out);
		if (!j)
			return;
		rc = mmr_ledger_update(r->st, &r->who, kind, id, j, &o, &err);
		json_decref(j);
		if (rc)
			mmr_http_fail(out, rc, &err);
		else
			mmr_http_json(out, 200, o);
	} else if (!strcmp(r->method, "DELETE")) {
		rc = mmr_ledger_delete(r->st, &r->who, kind, id, &err);
		if (rc)
			mmr_http_fail(out, rc, &err);
		else {
			out->status = 204;
		}
	} else
		mmr_http_error(out, 405, NULL, "この方法 (method) は使えません");
}

const mmr_api_module mmr_api_modules[] = {
	mmr_api_work, /* applications, exceptions, records (api_work.c) */
	mmr_api_incident,
	mmr_api_inspect,
	mmr_api_zones, /* the three-layer check (zones_web.c) */
	NULL,
};
/* ---- the audit log (issue 4): auditors and administrators only ---- */

static bool query_int(struct mmr_http_req *r, struct mmr_http_resp *out, const char *name,
		      bool required, int64_t *v)
{
	const char *s = mmr_http_query(r, name);
	if (!s) {
		if (required) {
			char msg[128];
			snprintf(msg, sizeof msg, "%s が必要です (%s is required)", name, name);
			mmr_http_error(out, 400, name, msg);
		}
		return !required;
	}
	char *end;
	long long x = strtoll(s, &end, 10);
	if (!*s || *end || x < 0) {
		char msg[128];
		snprintf(msg, sizeof msg, "%s は 0 以上の整数にしてください", name);
		mmr_http_error(out, 400, name, msg);
		return false;
	}
	*v = x;
	return true;
}

static void audit_log(struct mmr_http_req *r, struct mmr_http_resp *out, const char *what)
{
	if (!r->who.admin && !r->who.auditor) {
		mmr_http_error(out, 403, NULL,
			       "監査ログは監査担当者と管理者だけが見られます (auditors only)");
		return;
	}
	if (strcmp(r->method, "GET")) {
		mmr_http_error(out, 405, NULL, "この方法 (method) は使えません");
		return;
	}
	const char *tenant = r->who.tenant;
	mmr_error err;
	json_t *j = NULL;
	int rc;
	if (!strcmp(what, "checkpoint")) {
		struct mmr_log_key key;
		mmr_error kerr;
		bool have_key = !mmr_log_key_load(NULL, false, &key, &kerr);
		rc = mmr_audit_latest_checkpoint(r->st, tenant, have_key ? key.pk : NULL, &j, &err);
		if (!rc) {
			int64_t size = 0;
			if (!mmr_audit_size(r->st, tenant, &size, &err))
				json_object_set_new(j, "log_size", json_integer(size));
		}
	} else if (!strcmp(what, "proof")) {
		int64_t index = 0, size = 0;
		if (!query_int(r, out, "index", true, &index) ||
		    !query_int(r, out, "size", false, &size))
			return;
		rc = mmr_audit_proof(r->st, tenant, index, size, &j, &err);
	} else if (!strcmp(what, "consistency")) {
		int64_t from = 0, to = 0;
		if (!query_int(r, out, "from", true, &from) || !query_int(r, out, "to", true, &to))
			return;
		rc = mmr_audit_consistency(r->st, tenant, from, to, &j, &err);
	} else if (!strcmp(what, "entries")) {
		int64_t before = 0, limit = 50;
		if (!query_int(r, out, "before", false, &before) ||
		    !query_int(r, out, "limit", false, &limit))
			return;
		if (limit < 1 || limit > 500) {
			mmr_http_error(out, 400, "limit", "limit は 1〜500 にしてください");
			return;
		}
		struct mmr_audit_query q = {.actor = mmr_http_query(r, "actor"),
					    .action = mmr_http_query(r, "action"),
					    .object_kind = mmr_http_query(r, "object_kind"),
					    .object_id = mmr_http_query(r, "object_id"),
					    .from = mmr_http_query(r, "since"),
					    .to = mmr_http_query(r, "until"),
					    .before = before,
					    .limit = (int)limit};
		rc = mmr_audit_search(r->st, tenant, &q, &j, &err);
	} else {
		mmr_http_error(out, 404, NULL, "見つかりません (not found)");
		return;
	}
	if (rc) {
		mmr_http_fail(out, rc, &err);
		return;
	}
	mmr_http_json(out, 200, j);
}

static bool unsafe(const char *method)
{
	return strcmp(method, "GET") && strcmp(method, "HEAD");
}

bool mmr_api_handle(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	if (!strcmp(r->url, "/healthz")) {
		mmr_http_json(out, 200, json_pack("{s:s}", "status", "ok"));
		return true;
	}
	if (strncmp(r->url, "/api/v1/", 8))
		return false;
	const char *p = r->url + 8;
	if (!strcmp(p, "session")) {
		if (!strcmp(r->method, "POST"))
			session_open(r, out);
		else if (!strcmp(r->method, "DELETE")) {
			if (r->signed_in)
				mmr_session_close(r->st, r->token, NULL);
			snprintf(out->cookie, sizeof out->cookie,
				 "mamori_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
			out->status = 204;
		} else
			mmr_http_error(out, 405, NULL, "この方法 (method) は使えません");
		return true;
	}
	if (!r->signed_in) {
		mmr_http_error(out, 401, NULL, "サインインしてください (unauthorized)");
		return true;
	}
	if (r->via_cookie && unsafe(r->method)) {
		const char *t = mmr_http_header(r, "X-CSRF-Token");
		if (!t || strcmp(t, r->csrf)) {
			mmr_http_error(
				out, 403, NULL,
				"CSRF トークンがありません（X-CSRF-Token）(csrf token missing)");
			return true;
		}
	}
	if (!strcmp(p, "password")) {
		if (!strcmp(r->method, "POST"))
			password_change(r, out);
		else
			mmr_http_error(out, 405, NULL, "この方法 (method) は使えません");
		return true;
	}
	if (r->must_change) {
		mmr_http_error(out, 403, "password",
			       "仮パスワードです。先にパスワードを変更してください "
			       "(POST /api/v1/password)");
		return true;
	}
	if (!strcmp(p, "decide")) {
		if (!strcmp(r->method, "POST"))
			decide(r, out);
		else
			mmr_http_error(out, 405, NULL, "この方法 (method) は使えません");
		return true;
	}
	for (size_t i = 0; mmr_api_modules[i]; i++)
		if (mmr_api_modules[i](r, out, p))
			return true;
	if (!strncmp(p, "log/", 4)) {
		audit_log(r, out, p + 4);
		return true;
	}
	char kind[16];
	size_t n = strcspn(p, "/");
	if (n < sizeof kind) {
		memcpy(kind, p, n);
		kind[n] = '\0';
		if (mmr_ledger_kind_valid(kind)) {
			ledger(r, out, kind, p + n);
			return true;
		}
	}
	mmr_http_error(out, 404, NULL, "見つかりません (not found)");
	return true;
}
