/*
 * zones_web.c — the three-layer check from the web and the API (issue 9):
 *
 *   GET  /zones                 the kept checks, and a form to run one
 *   POST /zones/check           run it (ZONES.yaml and the ruleset as files)
 *   GET  /zones/{id}            a result with its picture
 *   GET  /zones/{id}.svg        the picture
 *   POST /api/v1/zones/checks   {"zones": text, "rules": text,
 *                                "zones_name"?, "rules_name"?} → 201 result
 *   GET  /api/v1/zones/checks[/{id}]
 */
#include <stdlib.h>
#include <string.h>

#include "http/http.h"
#include "store/zonecheck.h"

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

bool mmr_api_zones(struct mmr_http_req *r, struct mmr_http_resp *out, const char *path)
{
	if (strncmp(path, "zones/checks", 12) || (path[12] && path[12] != '/'))
		return false;
	const char *rest = path + 12;
	mmr_error err;
	json_t *o = NULL;
	int rc;
	if (!*rest) {
		if (!strcmp(r->method, "GET")) {
			rc = mmr_zonecheck_list(r->st, &r->who, &o, &err);
		} else if (!strcmp(r->method, "POST")) {
			json_t *b = mmr_api_body(r, out);
			if (!b)
				return true;
			const char *z = json_string_value(json_object_get(b, "zones"));
			const char *ru = json_string_value(json_object_get(b, "rules"));
			const char *zn = json_string_value(json_object_get(b, "zones_name"));
			const char *rn = json_string_value(json_object_get(b, "rules_name"));
			if (!z || !ru) {
				mmr_http_error(out, 422, z ? "rules" : "zones",
					       "ZONES.yaml と規則（文字列）が必要です");
				json_decref(b);
				return true;
			}
			rc = mmr_zonecheck_run(r->st, &r->who, zn ? zn : "zones.yaml", z, strlen(z),
					       rn ? rn : "ruleset", ru, strlen(ru), &o, &err);
			json_decref(b);
			if (!rc) {
				mmr_http_json(out, 201, o);
				return true;
			}
		} else {
			mmr_http_error(out, 405, NULL, "この方法 (method) は使えません");
			return true;
		}
	} else {
		int64_t id;
		const char *tail;
		if (*rest != '/' || !parse_id(rest + 1, &id, &tail) || *tail ||
		    strcmp(r->method, "GET")) {
			mmr_http_error(out, 404, NULL, "見つかりません (not found)");
			return true;
		}
		rc = mmr_zonecheck_get(r->st, &r->who, id, &o, &err);
	}
	if (rc)
		mmr_http_fail(out, rc, &err);
	else
		mmr_http_json(out, 200, o);
	return true;
}

static void list_page(struct mmr_http_req *r, struct mmr_http_resp *out, const char *msg)
{
	json_t *l;
	mmr_error err;
	int rc = mmr_zonecheck_list(r->st, &r->who, &l, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	size_t i;
	json_t *x;
	json_array_foreach (json_object_get(l, "items"), i, x)
		mmr_page_wareki(x, "created_at");
	json_object_set_new(l, "may_check", json_boolean(r->who.admin || r->who.system));
	if (msg)
		json_object_set_new(l, "message", json_string(msg));
	mmr_page_render(r, out, msg ? 422 : 200, "zones", l);
}

bool mmr_pages_zones(struct mmr_http_req *r, struct mmr_http_resp *out, bool post)
{
	const char *u = r->url;
	if (!strcmp(u, "/zones")) {
		list_page(r, out, NULL);
		return true;
	}
	if (!strcmp(u, "/zones/check") && post) {
		json_t *f = mmr_http_form(r), *o = NULL;
		const char *z = json_string_value(json_object_get(f, "zones"));
		const char *ru = json_string_value(json_object_get(f, "rules"));
		if (!z || !*z || !ru || !*ru) {
			list_page(r, out, "ZONES.yaml と規則のファイルを選んでください");
			return true;
		}
		mmr_error err;
		int rc = mmr_zonecheck_run(r->st, &r->who, "zones.yaml", z, strlen(z), "ruleset",
					   ru, strlen(ru), &o, &err);
		if (rc == MMR_EINVAL || rc == MMR_ELIMIT) {
			list_page(r, out, mmr_store_error_text(&err));
			return true;
		}
		if (rc) {
			mmr_page_fail(r, out, rc, &err);
			return true;
		}
		char loc[64];
		snprintf(loc, sizeof loc, "/zones/%lld",
			 (long long)json_integer_value(json_object_get(o, "id")));
		json_decref(o);
		mmr_http_redirect(out, loc);
		return true;
	}
	int64_t id;
	const char *tail;
	if (strncmp(u, "/zones/", 7) || !parse_id(u + 7, &id, &tail))
		return false;
	mmr_error err;
	if (!strcmp(tail, ".svg")) {
		char *svg;
		int rc = mmr_zonecheck_svg(r->st, &r->who, id, &svg, &err);
		if (rc) {
			mmr_page_fail(r, out, rc, &err);
			return true;
		}
		out->status = 200;
		out->type = "image/svg+xml";
		out->body = svg;
		out->len = strlen(svg);
		return true;
	}
	if (*tail)
		return false;
	json_t *o;
	int rc = mmr_zonecheck_get(r->st, &r->who, id, &o, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return true;
	}
	mmr_page_wareki(o, "created_at");
	mmr_page_render(r, out, 200, "zone_check", json_pack("{s:o}", "check", o));
	return true;
}
