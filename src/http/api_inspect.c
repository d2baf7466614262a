/*
 * api_inspect.c — the JSON API of self-inspection and audit under
 * /api/v1/inspection/… and the dashboard's figures at /api/v1/dashboard.
 * Handlers only turn requests into calls of store/inspect.h and results
 * into statuses.
 *
 *   GET  inspection/checklist[?version=N]       POST inspection/checklist (generate)
 *   GET  inspection/checklists                  POST inspection/checklist/items {op,key,item}
 *   GET  inspection/rounds                      POST inspection/rounds
 *   GET  inspection/rounds/ID                   POST inspection/rounds/ID/status {status}
 *   GET  inspection/rounds/ID/answers[?unit=U]  POST inspection/answers/ID
 *   POST inspection/rounds/ID/auto              GET  inspection/rounds/ID/compare[?previous=P]
 *   GET|POST inspection/rounds/ID/actions       PATCH inspection/actions/ID
 *   GET|POST inspection/rounds/ID/findings      PATCH inspection/findings/ID
 *   GET  inspection/facts[?unit=U]              GET  inspection/rounds/ID/report.{xlsx,csv,html}
 *   GET  dashboard
 */
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "http/http.h"
#include "store/inspect.h"

static json_t *body_object(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	json_error_t je;
	json_t *j = json_loadb(r->body ? r->body : "", r->len, JSON_REJECT_DUPLICATES, &je);
	if (!j || !json_is_object(j)) {
		char msg[300];
		snprintf(msg, sizeof msg, "JSON のオブジェクトとして読めません（%d 行 %d 列: %s）",
			 je.line, je.column, j ? "オブジェクトでない" : je.text);
		json_decref(j);
		mmr_http_error(out, 400, NULL, msg);
		return NULL;
	}
	return j;
}

/* "123" followed by '\0' or '/': the id and what follows. */
static bool take_id(const char *p, int64_t *id, const char **rest)
{
	if (*p < '0' || *p > '9')
		return false;
	char *end;
	long long v = strtoll(p, &end, 10);
	if (v <= 0 || (*end && *end != '/'))
		return false;
	*id = v;
	*rest = end;
	return true;
}

static int64_t query_int(struct mmr_http_req *r, const char *name)
{
	const char *v = mmr_http_query(r, name);
	return v ? strtoll(v, NULL, 10) : 0;
}

static bool answer(struct mmr_http_resp *out, int rc, json_t *j, const mmr_error *err, int ok)
{
	if (rc) {
		json_decref(j);
		mmr_http_fail(out, rc, err);
	} else
		mmr_http_json(out, ok, j);
	return true;
}

static bool method_not_allowed(struct mmr_http_resp *out)
{
	mmr_http_error(out, 405, NULL, "この方法 (method) は使えません");
	return true;
}

int mmr_inspect_http_report(struct mmr_http_req *r, int64_t round, const char *format,
			    struct mmr_http_resp *out, mmr_error *err)
{
	char dir[] = "/tmp/mamori-report-XXXXXX";
	if (!mkdtemp(dir)) {
		mmr_error_set(err, MMR_EIO, "一時ディレクトリを作れません (EIO)");
		return MMR_EIO;
	}
	char path[64];
	snprintf(path, sizeof path, "%s/report", dir);
	int rc = mmr_inspect_report(r->st, &r->who, round, format, path,
				    !strcmp(format, "html") ? "/static/report.css" : NULL, err);
	if (!rc) {
		FILE *f = fopen(path, "rb");
		struct stat sb;
		char *buf = NULL;
		if (f && !fstat(fileno(f), &sb) && (buf = malloc((size_t)sb.st_size + 1)) &&
		    fread(buf, 1, (size_t)sb.st_size, f) == (size_t)sb.st_size) {
			out->status = 200;
			out->body = buf;
			out->len = (size_t)sb.st_size;
			out->type = !strcmp(format, "xlsx")  ? "application/vnd.openxmlformats-"
							       "officedocument.spreadsheetml.sheet"
				    : !strcmp(format, "csv") ? "text/csv; charset=utf-8"
							     : "text/html; charset=utf-8";
			buf = NULL;
		} else {
			mmr_error_set(err, MMR_EIO, "報告を読めません (EIO)");
			rc = MMR_EIO;
		}
		free(buf);
		if (f)
			fclose(f);
		unlink(path);
	}
	rmdir(dir);
	return rc;
}

static bool round_routes(struct mmr_http_req *r, struct mmr_http_resp *out, int64_t id,
			 const char *rest)
{
	mmr_error err;
	json_t *j = NULL, *in;
	int rc;
	bool get = !strcmp(r->method, "GET"), post = !strcmp(r->method, "POST");
	if (!*rest) {
		if (!get)
			return method_not_allowed(out);
		rc = mmr_inspect_round_get(r->st, &r->who, id, &j, &err);
		return answer(out, rc, j, &err, 200);
	}
	if (!strcmp(rest, "/answers")) {
		if (!get)
			return method_not_allowed(out);
		rc = mmr_inspect_answers(r->st, &r->who, id, query_int(r, "unit"), &j, &err);
		return answer(out, rc, j, &err, 200);
	}
	if (!strcmp(rest, "/status")) {
		if (!post)
			return method_not_allowed(out);
		if (!(in = body_object(r, out)))
			return true;
		rc = mmr_inspect_round_status(
			r->st, &r->who, id, json_string_value(json_object_get(in, "status")), &err);
		json_decref(in);
		if (!rc)
			rc = mmr_inspect_round_get(r->st, &r->who, id, &j, &err);
		return answer(out, rc, j, &err, 200);
	}
	if (!strcmp(rest, "/auto")) {
		if (!post)
			return method_not_allowed(out);
		size_t n = 0;
		rc = r->who.admin
			     ? mmr_inspect_auto_answer(r->st, &r->who, id, &n, &err)
			     : (mmr_error_set(&err, MMR_EDENIED, "点検の管理の権限がありません"),
				MMR_EDENIED);
		return answer(out, rc, json_pack("{s:I}", "answered", (json_int_t)n), &err, 200);
	}
	if (!strcmp(rest, "/compare")) {
		if (!get)
			return method_not_allowed(out);
		rc = mmr_inspect_compare(r->st, &r->who, id, query_int(r, "previous"), &j, &err);
		return answer(out, rc, j, &err, 200);
	}
	if (!strcmp(rest, "/actions")) {
		if (get) {
			rc = mmr_inspect_actions(r->st, &r->who, id, &j, &err);
			return answer(out, rc, j, &err, 200);
		}
		if (!post)
			return method_not_allowed(out);
		if (!(in = body_object(r, out)))
			return true;
		size_t n = 0;
		rc = mmr_inspect_actions_generate(r->st, &r->who, id,
						  json_string_value(json_object_get(in, "due")), &n,
						  &err);
		json_decref(in);
		return answer(out, rc, json_pack("{s:I}", "created", (json_int_t)n), &err, 201);
	}
	if (!strcmp(rest, "/findings")) {
		if (get) {
			rc = mmr_inspect_findings(r->st, &r->who, id, &j, &err);
			return answer(out, rc, j, &err, 200);
		}
		if (!post)
			return method_not_allowed(out);
		if (!(in = body_object(r, out)))
			return true;
		rc = mmr_inspect_finding_add(r->st, &r->who, id, in, &j, &err);
		json_decref(in);
		return answer(out, rc, j, &err, 201);
	}
	if (!strncmp(rest, "/report.", 8)) {
		if (!get)
			return method_not_allowed(out);
		const char *fmt = rest + 8;
		if (strcmp(fmt, "xlsx") && strcmp(fmt, "csv") && strcmp(fmt, "html")) {
			mmr_http_error(out, 404, NULL, "報告の形式は xlsx, csv, html です");
			return true;
		}
		if ((rc = mmr_inspect_http_report(r, id, fmt, out, &err)))
			mmr_http_fail(out, rc, &err);
		return true;
	}
	mmr_http_error(out, 404, NULL, "見つかりません");
	return true;
}

bool mmr_api_inspect(struct mmr_http_req *r, struct mmr_http_resp *out, const char *path)
{
	mmr_error err;
	json_t *j = NULL, *in;
	int rc;
	bool get = !strcmp(r->method, "GET"), post = !strcmp(r->method, "POST"),
	     patch = !strcmp(r->method, "PATCH") || post;
	if (!strcmp(path, "dashboard")) {
		if (!get)
			method_not_allowed(out);
		else {
			rc = mmr_dashboard(r->st, &r->who, &j, &err);
			answer(out, rc, j, &err, 200);
		}
		return true;
	}
	if (strncmp(path, "inspection/", 11))
		return false;
	const char *p = path + 11, *rest;
	int64_t id;
	if (!strcmp(p, "checklist")) {
		if (get)
			rc = mmr_inspect_checklist_get(r->st, &r->who, query_int(r, "version"), &j,
						       &err);
		else if (post)
			rc = mmr_inspect_checklist_generate(r->st, &r->who, &j, &err);
		else
			return method_not_allowed(out);
		answer(out, rc, j, &err, post ? 201 : 200);
	} else if (!strcmp(p, "checklists")) {
		if (!get)
			return method_not_allowed(out);
		rc = mmr_inspect_checklist_list(r->st, &r->who, &j, &err);
		answer(out, rc, j ? json_pack("{s:o}", "items", j) : NULL, &err, 200);
	} else if (!strcmp(p, "checklist/items")) {
		if (!post)
			return method_not_allowed(out);
		if (!(in = body_object(r, out)))
			return true;
		rc = mmr_inspect_checklist_change(r->st, &r->who,
						  json_string_value(json_object_get(in, "op")),
						  json_string_value(json_object_get(in, "key")),
						  json_object_get(in, "item"), &j, &err);
		json_decref(in);
		answer(out, rc, j, &err, 201);
	} else if (!strcmp(p, "rounds")) {
		if (get) {
			rc = mmr_inspect_round_list(r->st, &r->who, &j, &err);
			answer(out, rc, j ? json_pack("{s:o}", "items", j) : NULL, &err, 200);
		} else if (post) {
			if (!(in = body_object(r, out)))
				return true;
			rc = mmr_inspect_round_create(r->st, &r->who, in, &j, &err);
			json_decref(in);
			answer(out, rc, j, &err, 201);
		} else
			method_not_allowed(out);
	} else if (!strncmp(p, "rounds/", 7) && take_id(p + 7, &id, &rest)) {
		round_routes(r, out, id, rest);
	} else if (!strncmp(p, "answers/", 8) && take_id(p + 8, &id, &rest) && !*rest) {
		if (!post && strcmp(r->method, "PUT"))
			return method_not_allowed(out);
		if (!(in = body_object(r, out)))
			return true;
		rc = mmr_inspect_answer(r->st, &r->who, id, in, &j, &err);
		json_decref(in);
		answer(out, rc, j, &err, 200);
	} else if (!strncmp(p, "actions/", 8) && take_id(p + 8, &id, &rest) && !*rest) {
		if (!patch)
			return method_not_allowed(out);
		if (!(in = body_object(r, out)))
			return true;
		rc = mmr_inspect_action_update(r->st, &r->who, id, in, &j, &err);
		json_decref(in);
		answer(out, rc, j, &err, 200);
	} else if (!strncmp(p, "findings/", 9) && take_id(p + 9, &id, &rest) && !*rest) {
		if (!patch)
			return method_not_allowed(out);
		if (!(in = body_object(r, out)))
			return true;
		rc = mmr_inspect_finding_update(r->st, &r->who, id, in, &j, &err);
		json_decref(in);
		answer(out, rc, j, &err, 200);
	} else if (!strcmp(p, "facts")) {
		if (!get)
			return method_not_allowed(out);
		rc = mmr_inspect_facts(r->st, &r->who, query_int(r, "unit"), &j, &err);
		answer(out, rc, j ? json_pack("{s:o}", "items", j) : NULL, &err, 200);
	} else {
		mmr_http_error(out, 404, NULL, "見つかりません");
	}
	return true;
}
