/*
 * api_incident.c — /api/v1/incidents, /api/v1/incident-plan,
 * /api/v1/notifications and /api/v1/me/email (the incident desk and the
 * inbox; the services are in store/incident.h and store/notify.h).
 *
 *   GET  incidents[?state=&open=1&before=&limit=]   POST incidents (report)
 *   GET  incidents/ppc-due                          GET  incidents/{id}
 *   POST incidents/{id}/triage | /transition {to,note} | /notes {note}
 *        | /ppc {report,note} | /violations {user_id,step,note}
 *   PATCH incidents/{id} (CSIRT: severity, assignee, deadline, …)
 *   GET|PUT incident-plan
 *   GET notifications[?unread=1&before=&limit=]  POST notifications/{id}/read | notifications/read
 *   PUT me/email {email}, PUT users/{id}/email {email} (administrators)
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "store/incident.h"
#include "store/notify.h"

static json_t *body_object(struct mmr_http_req *r, struct mmr_http_resp *out)
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

static void reply(struct mmr_http_resp *out, int rc, const mmr_error *err, int status, json_t *o)
{
	if (rc)
		mmr_http_fail(out, rc, err);
	else if (o)
		mmr_http_json(out, status, o);
	else
		out->status = 204;
}

static bool method_not_allowed(struct mmr_http_resp *out)
{
	mmr_http_error(out, 405, NULL, "この方法 (method) は使えません");
	return true;
}

static int64_t num_query(struct mmr_http_req *r, const char *name, int64_t dflt, bool *bad)
{
	const char *v = mmr_http_query(r, name);
	if (!v || !*v)
		return dflt;
	char *end;
	long long n = strtoll(v, &end, 10);
	if (*end || n < 0)
		*bad = true;
	return n;
}

static bool parse_id(const char *s, int64_t *id, const char **rest)
{
	char *end;
	long long v = strtoll(s, &end, 10);
	if (end == s || v <= 0 || (*end && *end != '/'))
		return false;
	*id = v;
	*rest = end;
	return true;
}

static const char *str(json_t *j, const char *k)
{
	return json_string_value(json_object_get(j, k));
}

/* Only these keys, each a string (or absent / null). */
static bool string_keys(json_t *j, const char *const *keys, struct mmr_http_resp *out)
{
	const char *k;
	json_t *v;
	json_object_foreach (j, k, v) {
		bool ok = false;
		for (const char *const *p = keys; *p && !ok; p++)
			ok = !strcmp(*p, k);
		if (!ok) {
			mmr_http_error(out, 422, k, "未知の項目です");
			return false;
		}
		if (!json_is_string(v) && !json_is_null(v) && strcmp(k, "user_id")) {
			mmr_http_error(out, 422, k, "文字列で指定してください");
			return false;
		}
	}
	return true;
}

static void one_case(struct mmr_http_req *r, struct mmr_http_resp *out, int64_t id,
		     const char *rest)
{
	mmr_error err;
	json_t *o = NULL;
	int rc;
	int64_t now = mmr_now_ms();
	if (!*rest) {
		if (!strcmp(r->method, "GET")) {
			rc = mmr_incident_get(r->st, &r->who, id, now, &o, &err);
			reply(out, rc, &err, 200, o);
		} else if (!strcmp(r->method, "PATCH")) {
			json_t *j = body_object(r, out);
			if (!j)
				return;
			rc = mmr_incident_update(r->st, &r->who, id, j, now, &o, &err);
			json_decref(j);
			reply(out, rc, &err, 200, o);
		} else
			method_not_allowed(out);
		return;
	}
	if (strcmp(r->method, "POST")) {
		method_not_allowed(out);
		return;
	}
	json_t *j = body_object(r, out);
	if (!j)
		return;
	if (!strcmp(rest, "/triage")) {
		rc = mmr_incident_triage(r->st, &r->who, id, j, now, &o, &err);
		reply(out, rc, &err, 200, o);
	} else if (!strcmp(rest, "/transition")) {
		static const char *const keys[] = {"to", "note", NULL};
		if (string_keys(j, keys, out)) {
			if (!str(j, "to"))
				mmr_http_error(out, 422, "to", "移る先の状態（to）が必要です");
			else {
				rc = mmr_incident_transition(r->st, &r->who, id, str(j, "to"),
							     str(j, "note"), now, &o, &err);
				reply(out, rc, &err, 200, o);
			}
		}
	} else if (!strcmp(rest, "/notes")) {
		static const char *const keys[] = {"note", NULL};
		if (string_keys(j, keys, out)) {
			rc = mmr_incident_note(r->st, &r->who, id, str(j, "note"), now, &err);
			if (!rc)
				rc = mmr_incident_get(r->st, &r->who, id, now, &o, &err);
			reply(out, rc, &err, 201, o);
		}
	} else if (!strcmp(rest, "/ppc")) {
		static const char *const keys[] = {"report", "note", NULL};
		if (string_keys(j, keys, out)) {
			rc = mmr_incident_ppc_filed(r->st, &r->who, id, str(j, "report"),
						    str(j, "note"), now, &err);
			if (!rc)
				rc = mmr_incident_get(r->st, &r->who, id, now, &o, &err);
			reply(out, rc, &err, 200, o);
		}
	} else if (!strcmp(rest, "/violations")) {
		static const char *const keys[] = {"user_id", "step", "note", NULL};
		json_t *u = json_object_get(j, "user_id");
		if (string_keys(j, keys, out)) {
			if (!json_is_integer(u) || json_integer_value(u) <= 0)
				mmr_http_error(out, 422, "user_id", "利用者の番号が必要です");
			else {
				rc = mmr_incident_violation(r->st, &r->who, id,
							    json_integer_value(u), str(j, "step"),
							    str(j, "note"), now, &err);
				if (!rc)
					rc = mmr_incident_get(r->st, &r->who, id, now, &o, &err);
				reply(out, rc, &err, 201, o);
			}
		}
	} else
		mmr_http_error(out, 404, NULL, "見つかりません (not found)");
	json_decref(j);
}

static void incidents(struct mmr_http_req *r, struct mmr_http_resp *out, const char *rest)
{
	mmr_error err;
	json_t *o = NULL;
	int rc;
	int64_t now = mmr_now_ms();
	if (!*rest) {
		if (!strcmp(r->method, "GET")) {
			bool bad = false;
			int64_t before = num_query(r, "before", 0, &bad);
			int64_t limit = num_query(r, "limit", 50, &bad);
			if (bad) {
				mmr_http_error(out, 400, "before",
					       "before と limit は数で指定してください");
				return;
			}
			const char *open = mmr_http_query(r, "open");
			rc = mmr_incident_list(r->st, &r->who, mmr_http_query(r, "state"),
					       open && !strcmp(open, "1"), before,
					       limit > 500 ? 501 : (int)limit, now, &o, &err);
			if (rc == MMR_EINVAL) {
				char field[64];
				mmr_http_error(out, 400,
					       mmr_store_error_field(&err, field, sizeof field),
					       err.message);
				return;
			}
			reply(out, rc, &err, 200, o);
		} else if (!strcmp(r->method, "POST")) {
			json_t *j = body_object(r, out);
			if (!j)
				return;
			rc = mmr_incident_report(r->st, &r->who, j, now, &o, &err);
			json_decref(j);
			reply(out, rc, &err, 201, o);
		} else
			method_not_allowed(out);
		return;
	}
	if (!strcmp(rest, "/ppc-due")) {
		if (strcmp(r->method, "GET")) {
			method_not_allowed(out);
			return;
		}
		rc = mmr_incident_ppc_due(r->st, &r->who, now, &o, &err);
		reply(out, rc, &err, 200, o);
		return;
	}
	int64_t id;
	const char *after;
	if (*rest != '/' || !parse_id(rest + 1, &id, &after)) {
		mmr_http_error(out, 404, NULL, "見つかりません (not found)");
		return;
	}
	one_case(r, out, id, after);
}

static void plan(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	mmr_error err;
	json_t *o = NULL;
	int rc;
	if (!strcmp(r->method, "GET")) {
		rc = mmr_incident_plan_get(r->st, &r->who, &o, &err);
		reply(out, rc, &err, 200, o);
	} else if (!strcmp(r->method, "PUT")) {
		json_t *j = body_object(r, out);
		if (!j)
			return;
		rc = mmr_incident_plan_put(r->st, &r->who, j, mmr_now_ms(), &o, &err);
		json_decref(j);
		reply(out, rc, &err, 200, o);
	} else
		method_not_allowed(out);
}

static void notifications(struct mmr_http_req *r, struct mmr_http_resp *out, const char *rest)
{
	mmr_error err;
	json_t *o = NULL;
	int rc;
	if (!*rest) {
		if (strcmp(r->method, "GET")) {
			method_not_allowed(out);
			return;
		}
		bool bad = false;
		int64_t before = num_query(r, "before", 0, &bad);
		int64_t limit = num_query(r, "limit", 50, &bad);
		if (bad) {
			mmr_http_error(out, 400, "before",
				       "before と limit は数で指定してください");
			return;
		}
		const char *unread = mmr_http_query(r, "unread");
		rc = mmr_notify_list(r->st, &r->who, unread && !strcmp(unread, "1"), before,
				     limit > 500 ? 501 : (int)limit, &o, &err);
		if (rc == MMR_EINVAL) {
			mmr_http_error(out, 400, "limit", err.message);
			return;
		}
		reply(out, rc, &err, 200, o);
		return;
	}
	if (strcmp(r->method, "POST")) {
		method_not_allowed(out);
		return;
	}
	int64_t id = 0;
	const char *after = "";
	if (!strcmp(rest, "/read"))
		id = 0;
	else if (*rest != '/' || !parse_id(rest + 1, &id, &after) || strcmp(after, "/read")) {
		mmr_http_error(out, 404, NULL, "見つかりません (not found)");
		return;
	}
	rc = mmr_notify_mark_read(r->st, &r->who, id, &err);
	reply(out, rc, &err, 204, NULL);
}

static void set_email(struct mmr_http_req *r, struct mmr_http_resp *out, int64_t uid)
{
	if (strcmp(r->method, "PUT")) {
		method_not_allowed(out);
		return;
	}
	json_t *j = body_object(r, out);
	if (!j)
		return;
	static const char *const keys[] = {"email", NULL};
	if (string_keys(j, keys, out)) {
		mmr_error err;
		int rc = mmr_user_set_email(r->st, &r->who, uid, str(j, "email"), &err);
		reply(out, rc, &err, 200,
		      rc ? NULL : json_pack("{s:s?}", "email", str(j, "email")));
	}
	json_decref(j);
}

bool mmr_api_incident(struct mmr_http_req *r, struct mmr_http_resp *out, const char *path)
{
	if (!strncmp(path, "incidents", 9) && (path[9] == '\0' || path[9] == '/')) {
		incidents(r, out, path + 9);
		return true;
	}
	if (!strcmp(path, "incident-plan")) {
		plan(r, out);
		return true;
	}
	if (!strncmp(path, "notifications", 13) && (path[13] == '\0' || path[13] == '/')) {
		notifications(r, out, path + 13);
		return true;
	}
	if (!strcmp(path, "me/email")) {
		set_email(r, out, r->who.user_id);
		return true;
	}
	/* users/{id}/email: an administrator sets someone's address (the ledger
	 * of users, in api.c, does not carry it) */
	if (!strncmp(path, "users/", 6)) {
		int64_t uid;
		const char *rest;
		if (parse_id(path + 6, &uid, &rest) && !strcmp(rest, "/email")) {
			set_email(r, out, uid);
			return true;
		}
	}
	return false;
}
