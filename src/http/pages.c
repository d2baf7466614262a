/*
 * pages.c — the Japanese web pages. A handler gathers what the page shows as
 * JSON (from the same services as the API), which becomes an XML document
 * (libxml2: every text is a text node, so escaping is not a choice a handler
 * can forget) and is rendered by the page's XSLT template
 * (web/templates/NAME.xsl, compiled into the binary). Forms carry the session's
 * CSRF token; pages load nothing from another origin and run no script.
 */
#include <inttypes.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxslt/documents.h>
#include <libxslt/transform.h>
#include <libxslt/xsltInternals.h>
#include <libxslt/xsltutils.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "core/request_json.h"
#include "http/http.h"
#include "store/audit.h"
#include "store/embedded.h"
#include "util/wareki.h"

/* Every embedded templates/NAME.xsl but the shared layout is a page. */
#define MAX_PAGES 64
static struct {
	char name[48];
	xsltStylesheetPtr sheet;
} pages[MAX_PAGES];
static size_t n_pages;

/* xsl:import / xsl:include resolve inside the embedded templates only. */
static xmlDocPtr loader(const xmlChar *uri, xmlDictPtr dict, int options, void *ctxt,
			xsltLoadType type)
{
	(void)ctxt, (void)type;
	const char *u = (const char *)uri;
	const char *slash = strrchr(u, '/');
	char name[128];
	snprintf(name, sizeof name, "templates/%s", slash ? slash + 1 : u);
	const struct mmr_embedded_file *f = mmr_embedded_find(name);
	if (!f)
		return NULL;
	/* parse into the importing stylesheet's dictionary: libxslt compares
	 * interned names (modes, QNames) by address */
	xmlParserCtxtPtr pc = xmlNewParserCtxt();
	if (!pc)
		return NULL;
	if (dict) {
		if (pc->dict)
			xmlDictFree(pc->dict);
		pc->dict = dict;
		xmlDictReference(dict);
	}
	xmlDocPtr doc =
		xmlCtxtReadMemory(pc, f->data, (int)f->size, u, "UTF-8", options | XML_PARSE_NONET);
	xmlFreeParserCtxt(pc);
	return doc;
}

int mmr_pages_init(mmr_error *err)
{
	xmlInitParser();
	xsltSetLoaderFunc(loader);
	n_pages = 0;
	for (const struct mmr_embedded_file *f = mmr_embedded; f->name; f++) {
		if (strncmp(f->name, "templates/", 10))
			continue;
		const char *base = f->name + 10;
		size_t blen = strlen(base);
		if (blen <= 4 || strcmp(base + blen - 4, ".xsl") || !strcmp(base, "layout.xsl"))
			continue;
		blen -= 4;
		if (n_pages == MAX_PAGES || blen >= sizeof pages[0].name) {
			mmr_error_set(err, MMR_EIO, "テンプレートが多すぎます（%s）", f->name);
			mmr_pages_fini();
			return MMR_EIO;
		}
		char url[160];
		snprintf(url, sizeof url, "mamori:/%s", f->name);
		xmlDocPtr doc = xmlReadMemory(f->data, (int)f->size, url, "UTF-8", XML_PARSE_NONET);
		xsltStylesheetPtr sh = doc ? xsltParseStylesheetDoc(doc) : NULL;
		if (!sh) {
			if (doc)
				xmlFreeDoc(doc);
			mmr_error_set(err, MMR_EIO, "テンプレート %s を読めません", f->name);
			mmr_pages_fini();
			return MMR_EIO;
		}
		memcpy(pages[n_pages].name, base, blen);
		pages[n_pages].name[blen] = '\0';
		pages[n_pages].sheet = sh;
		n_pages++;
	}
	return MMR_OK;
}

void mmr_pages_fini(void)
{
	for (size_t i = 0; i < n_pages; i++) {
		if (pages[i].sheet)
			xsltFreeStylesheet(pages[i].sheet);
		pages[i].sheet = NULL;
	}
	n_pages = 0;
	xsltCleanupGlobals();
}

/* ---- JSON → XML ---- */

static void json_to_xml(xmlNodePtr parent, const char *name, json_t *v)
{
	char safe[64];
	size_t n = 0;
	for (const char *p = name; *p && n < sizeof safe - 1; p++) {
		bool ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || *p == '_' ||
			  (n && ((*p >= '0' && *p <= '9') || *p == '-'));
		safe[n] = ok ? *p : '_';
		n++;
	}
	safe[n] = '\0';
	if (!n)
		snprintf(safe, sizeof safe, "field");
	if (json_is_array(v)) {
		xmlNodePtr list = xmlNewChild(parent, NULL, BAD_CAST safe, NULL);
		size_t i;
		json_t *e;
		json_array_foreach (v, i, e)
			json_to_xml(list, "item", e);
		return;
	}
	xmlNodePtr node = xmlNewChild(parent, NULL, BAD_CAST safe, NULL);
	if (strcmp(safe, name))
		xmlNewProp(node, BAD_CAST "key", BAD_CAST name);
	if (json_is_object(v)) {
		const char *k;
		json_t *c;
		json_object_foreach (v, k, c)
			json_to_xml(node, k, c);
	} else if (json_is_string(v)) {
		xmlNodeAddContent(node, BAD_CAST json_string_value(v));
	} else if (json_is_integer(v)) {
		char b[32];
		snprintf(b, sizeof b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		xmlNodeAddContent(node, BAD_CAST b);
	} else if (json_is_true(v)) {
		xmlNodeAddContent(node, BAD_CAST "true");
	} else if (json_is_false(v)) {
		xmlNodeAddContent(node, BAD_CAST "false");
	}
}

void mmr_page_render(struct mmr_http_req *r, struct mmr_http_resp *out, int status,
		     const char *name, json_t *data)
{
	size_t idx = 0;
	while (idx < n_pages && strcmp(pages[idx].name, name))
		idx++;
	if (idx == n_pages) {
		json_decref(data);
		mmr_http_error(out, 500, NULL, "ページのテンプレートがありません");
		return;
	}
	xsltStylesheetPtr sheet = pages[idx].sheet;
	char today[160] = "";
	time_t t = time(NULL) + 9 * 3600; /* JST */
	struct tm tm;
	gmtime_r(&t, &tm);
	mmr_wareki_format(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday, today, sizeof today);
	json_object_set_new(data, "today", json_string(today));
	if (r->signed_in) {
		json_object_set_new(data, "user", json_string(r->who.login));
		json_object_set_new(data, "tenant", json_string(r->who.tenant));
		json_object_set_new(data, "csrf", json_string(r->csrf));
		json_object_set_new(data, "roles", json_string(r->who.roles));
		json_object_set_new(data, "admin", json_boolean(r->who.admin || r->who.auditor));
	}
	xmlDocPtr doc = xmlNewDoc(BAD_CAST "1.0");
	xmlNodePtr root = xmlNewNode(NULL, BAD_CAST "page");
	xmlDocSetRootElement(doc, root);
	xmlNewProp(root, BAD_CAST "name", BAD_CAST name);
	const char *k;
	json_t *v;
	json_object_foreach (data, k, v)
		json_to_xml(root, k, v);
	json_decref(data);
	xmlDocPtr res = xsltApplyStylesheet(sheet, doc, NULL);
	xmlChar *html = NULL;
	int len = 0;
	if (res)
		xsltSaveResultToString(&html, &len, res, sheet);
	xmlFreeDoc(doc);
	if (res)
		xmlFreeDoc(res);
	if (!html) {
		mmr_http_error(out, 500, NULL, "ページを表示できません");
		return;
	}
	out->status = status;
	out->type = "text/html; charset=utf-8";
	out->body = malloc((size_t)len + 1);
	if (out->body) {
		memcpy(out->body, html, (size_t)len);
		out->body[len] = '\0';
		out->len = (size_t)len;
	}
	xmlFree(html);
}

void mmr_page_error(struct mmr_http_req *r, struct mmr_http_resp *out, int status, const char *msg)
{
	mmr_page_render(r, out, status, "error",
			json_pack("{s:s, s:i}", "message", msg, "status", status));
}

void mmr_page_fail(struct mmr_http_req *r, struct mmr_http_resp *out, int rc, const mmr_error *err)
{
	int status = rc == MMR_ENOTFOUND ? 404
		     : rc == MMR_EDENIED ? 403
		     : rc == MMR_EINVAL	 ? 422
					 : 500;
	mmr_page_error(r, out, status,
		       status == 500 ? "内部エラーが発生しました" : mmr_store_error_text(err));
}

void mmr_page_wareki(json_t *o, const char *key)
{
	const char *iso = json_string_value(json_object_get(o, key));
	char buf[160];
	if (iso && mmr_wareki_format_iso(iso, 540, buf, sizeof buf) == 0) {
		char k[64];
		snprintf(k, sizeof k, "%s_wareki", key);
		json_object_set_new(o, k, json_string(buf));
	}
}

/* The description of a policy for the templates, made once per thread and
 * policy: a policy is immutable and lives as long as the thread's store, and
 * building it (describe → JSON text → parse) was a quarter of a ledger page. */
#define POLICY_INFO_CACHE 16
struct policy_info_cache {
	const mmr_policy *pol[POLICY_INFO_CACHE];
	json_t *info[POLICY_INFO_CACHE];
	size_t n;
};
static pthread_key_t policy_info_key;
static pthread_once_t policy_info_once = PTHREAD_ONCE_INIT;

static void policy_info_free(void *p)
{
	struct policy_info_cache *c = p;
	for (size_t i = 0; i < c->n; i++)
		json_decref(c->info[i]);
	free(c);
}

static void policy_info_key_make(void)
{
	pthread_key_create(&policy_info_key, policy_info_free);
}

static json_t *policy_info_build(const mmr_policy *pol);

json_t *mmr_page_policy_info(const mmr_policy *pol)
{
	pthread_once(&policy_info_once, policy_info_key_make);
	struct policy_info_cache *c = pthread_getspecific(policy_info_key);
	if (!c && (c = calloc(1, sizeof *c)) && pthread_setspecific(policy_info_key, c)) {
		free(c);
		c = NULL;
	}
	for (size_t i = 0; c && i < c->n; i++) {
		const char *id = json_string_value(json_object_get(c->info[i], "profile"));
		if (c->pol[i] == pol && id && !strcmp(id, mmr_policy_id(pol)))
			return json_incref(c->info[i]);
	}
	json_t *j = policy_info_build(pol);
	if (c && c->n < POLICY_INFO_CACHE) {
		c->pol[c->n] = pol;
		c->info[c->n++] = json_incref(j);
	}
	return j;
}

static json_t *policy_info_build(const mmr_policy *pol)
{
	mmr_error err;
	char *d = mmr_policy_describe_json(pol, NULL, NULL, &err);
	json_t *j = d ? json_loads(d, 0, NULL) : NULL;
	free(d);
	if (!j)
		j = json_object();
	/* the templates name levels, roles, segments, obligations and actions;
	 * the rules (four fifths of the text) would only be turned into XML for
	 * nothing on every page */
	json_object_del(j, "rules");
	json_t *kinds = json_array();
	const char *id, *name;
	for (size_t i = 0; !mmr_policy_vocab_at(pol, "kind", i, &id, &name); i++)
		json_array_append_new(kinds, json_pack("{s:s, s:s}", "id", id, "name", name));
	json_object_set_new(j, "kinds", kinds);
	json_t *actions = json_array(); /* built-in and the profile's own */
	for (size_t i = 0; !mmr_policy_vocab_at(pol, "action", i, &id, &name); i++)
		json_array_append_new(actions, json_pack("{s:s, s:s}", "id", id, "name", name));
	json_object_set_new(j, "actions", actions);
	return j;
}

/* ---- pages ---- */

bool mmr_page_csrf_ok(struct mmr_http_req *r)
{
	const char *t = json_string_value(json_object_get(mmr_http_form(r), "csrf"));
	return r->signed_in && t && strlen(t) == 64 && sodium_memcmp(t, r->csrf, 64) == 0;
}

static void login_page(struct mmr_http_req *r, struct mmr_http_resp *out, const char *msg,
		       int status)
{
	mmr_error err;
	json_t *tenants = mmr_tenant_list(r->st, &err);
	json_t *d = json_pack("{s:o}", "tenants", tenants ? tenants : json_array());
	if (msg)
		json_object_set_new(d, "message", json_string(msg));
	mmr_page_render(r, out, status, "login", d);
}

static void login_post(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	json_t *f = mmr_http_form(r);
	const char *tenant = json_string_value(json_object_get(f, "tenant"));
	const char *login = json_string_value(json_object_get(f, "login"));
	const char *password = json_string_value(json_object_get(f, "password"));
	const char *totp = json_string_value(json_object_get(f, "totp"));
	if (totp && !*totp)
		totp = NULL;
	struct mmr_signin s;
	mmr_error err;
	int rc = mmr_session_open(r->st, tenant ? tenant : "", login ? login : "",
				  password ? password : "", totp, r->now, &s, &err);
	if (rc) {
		login_page(r, out, err.message, rc == MMR_ELOCKED ? 423 : 401);
		return;
	}
	snprintf(out->cookie, sizeof out->cookie,
		 "mamori_session=%s; Path=/; HttpOnly; SameSite=Strict", s.token);
	mmr_http_redirect(out, s.must_change ? "/password" : s.mfa_enrolment ? "/mfa" : "/");
	sodium_memzero(&s, sizeof s);
}

/* The dashboard: its figures and charts are pages_inspect.c's (issue 6). */
static void dashboard(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	mmr_page_dashboard(r, out);
}

/* Copy whitelisted query parameters into a ledger query. */
static void query_from(struct mmr_http_req *r, struct mmr_ledger_query *q, const char *const *names,
		       json_t *echo)
{
	for (const char *const *n = names; *n; n++) {
		const char *v = mmr_http_query(r, *n);
		if (v && *v && q->n_filters < 16) {
			q->filters[q->n_filters][0] = *n;
			q->filters[q->n_filters][1] = v;
			q->n_filters++;
			json_object_set_new(echo, *n, json_string(v));
		}
	}
	const char *after = mmr_http_query(r, "after");
	if (after)
		q->after = strtoll(after, NULL, 10);
	q->limit = 50;
}

static json_t *name_map(struct mmr_http_req *r, const char *kind, const char *field)
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
						   "name", json_object_get(o, field)));
	json_decref(l);
	return m;
}

static void assets_page(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	mmr_error err;
	const mmr_policy *pol;
	if (mmr_tenant_policy(r->st, r->who.tenant, &pol, &err)) {
		mmr_page_fail(r, out, MMR_EIO, &err);
		return;
	}
	struct mmr_ledger_query q = {0};
	json_t *echo = json_object();
	static const char *const names[] = {"unit_id", "segment", "kind", NULL};
	query_from(r, &q, names, echo);
	/* class filter: ?class=axis:level */
	const char *cls = mmr_http_query(r, "class");
	char axis_key[80] = "", level[64] = "";
	if (cls && *cls) {
		const char *colon = strchr(cls, ':');
		if (colon && (size_t)(colon - cls) < 60 && strlen(colon + 1) < sizeof level) {
			snprintf(axis_key, sizeof axis_key, "class.%.*s", (int)(colon - cls), cls);
			snprintf(level, sizeof level, "%s", colon + 1);
			q.filters[q.n_filters][0] = axis_key;
			q.filters[q.n_filters][1] = level;
			q.n_filters++;
			json_object_set_new(echo, "class", json_string(cls));
		}
	}
	json_t *l;
	int rc = mmr_ledger_list(r->st, &r->who, "assets", &q, &l, &err);
	if (rc) {
		json_decref(echo);
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	mmr_page_render(r, out, 200, "assets",
			json_pack("{s:o, s:o, s:o, s:o}", "list", l, "filter", echo, "units",
				  name_map(r, "units", "name"), "policy",
				  mmr_page_policy_info(pol)));
}

static void decision_for_asset(struct mmr_http_req *r, json_t *asset, const char *action,
			       json_t *form, json_t *data)
{
	const mmr_policy *pol;
	mmr_error err;
	if (mmr_tenant_policy(r->st, r->who.tenant, &pol, &err))
		return;
	json_t *roles = json_array();
	for (const char *p = r->who.roles; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		json_array_append_new(roles, json_stringn(p, n));
		p = e ? e + 1 : p + n;
	}
	if (!json_array_size(roles))
		json_array_append_new(roles, json_string("staff"));
	json_t *res =
		json_pack("{s:O}", "classification", json_object_get(asset, "classification"));
	const char *kind = json_string_value(json_object_get(asset, "kind"));
	if (kind)
		json_object_set_new(res, "kind", json_string(kind));
	const char *seg = json_string_value(json_object_get(asset, "segment"));
	if (seg)
		json_object_set_new(res, "segment", json_string(seg));
	json_t *ctx = json_object();
	const char *k;
	json_t *v;
	json_object_foreach (form, k, v) {
		if (strncmp(k, "ctx.", 4))
			continue;
		const char *s = json_string_value(v);
		if (!s || !*s)
			continue;
		if (!strcmp(s, "true") || !strcmp(s, "false"))
			json_object_set_new(ctx, k + 4, json_boolean(!strcmp(s, "true")));
		else
			json_object_set_new(ctx, k + 4, json_string(s));
	}
	json_t *req = json_pack("{s:s, s:{s:o}, s:o, s:o}", "action", action, "subject", "roles",
				roles, "resource", res, "context", ctx);
	json_t *dec;
	int rc = mmr_decide_value(pol, req, &dec, &err);
	json_decref(req);
	if (rc) {
		json_object_set_new(data, "check_error", json_string(err.message));
		return;
	}
	json_object_set_new(data, "decision", dec);
	json_object_set_new(data, "checked_action", json_string(action));
}

static void asset_page(struct mmr_http_req *r, struct mmr_http_resp *out, int64_t id, bool check)
{
	mmr_error err;
	json_t *a;
	int rc = mmr_ledger_get(r->st, &r->who, "assets", id, &a, &err);
	if (rc) {
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	const mmr_policy *pol;
	if (mmr_tenant_policy(r->st, r->who.tenant, &pol, &err)) {
		json_decref(a);
		mmr_page_fail(r, out, MMR_EIO, &err);
		return;
	}
	mmr_page_wareki(a, "created_at");
	mmr_page_wareki(a, "updated_at");
	json_t *data = json_pack("{s:o, s:o}", "asset", a, "policy", mmr_page_policy_info(pol));
	if (check) {
		if (!mmr_page_csrf_ok(r)) {
			json_decref(data);
			mmr_page_error(r, out, 403,
				       "フォームの有効期限が切れました。もう一度お試しください");
			return;
		}
		const char *action = json_string_value(json_object_get(mmr_http_form(r), "action"));
		if (action)
			decision_for_asset(r, a, action, mmr_http_form(r), data);
	}
	mmr_page_render(r, out, 200, "asset", data);
}

static void asset_new(struct mmr_http_req *r, struct mmr_http_resp *out, bool post)
{
	mmr_error err;
	const mmr_policy *pol;
	if (mmr_tenant_policy(r->st, r->who.tenant, &pol, &err)) {
		mmr_page_fail(r, out, MMR_EIO, &err);
		return;
	}
	json_t *data = json_pack("{s:o, s:o}", "policy", mmr_page_policy_info(pol), "units",
				 name_map(r, "units", "name"));
	if (post) {
		if (!mmr_page_csrf_ok(r)) {
			json_decref(data);
			mmr_page_error(r, out, 403,
				       "フォームの有効期限が切れました。もう一度お試しください");
			return;
		}
		json_t *f = mmr_http_form(r);
		json_t *obj = json_object(), *cls = json_object();
		const char *k;
		json_t *v;
		json_object_foreach (f, k, v) {
			const char *s = json_string_value(v);
			if (!s || !*s || !strcmp(k, "csrf"))
				continue;
			if (!strncmp(k, "class.", 6))
				json_object_set_new(cls, k + 6, json_string(s));
			else if (!strcmp(k, "unit_id"))
				json_object_set_new(obj, k, json_integer(strtoll(s, NULL, 10)));
			else if (!strcmp(k, "personal") || !strcmp(k, "specific_personal"))
				json_object_set_new(obj, k, json_boolean(!strcmp(s, "on")));
			else
				json_object_set_new(obj, k, json_string(s));
		}
		json_object_set_new(obj, "classification", cls);
		json_t *created;
		int rc = mmr_ledger_create(r->st, &r->who, "assets", obj, &created, &err);
		if (!rc) {
			char loc[64];
			snprintf(loc, sizeof loc, "/assets/%" JSON_INTEGER_FORMAT,
				 json_integer_value(json_object_get(created, "id")));
			json_decref(created);
			json_decref(obj);
			json_decref(data);
			mmr_http_redirect(out, loc);
			return;
		}
		json_object_set_new(data, "form", obj);
		json_object_set_new(data, "message", json_string(mmr_store_error_text(&err)));
		mmr_page_render(r, out, rc == MMR_EDENIED ? 403 : 422, "asset_new", data);
		return;
	}
	mmr_page_render(r, out, 200, "asset_new", data);
}

static void list_page(struct mmr_http_req *r, struct mmr_http_resp *out, const char *kind,
		      const char *page)
{
	mmr_error err;
	struct mmr_ledger_query q = {0};
	json_t *echo = json_object();
	static const char *const names[] = {"unit_id", "segment", NULL};
	query_from(r, &q, strcmp(kind, "units") ? names : names + 2, echo);
	json_t *l;
	int rc = mmr_ledger_list(r->st, &r->who, kind, &q, &l, &err);
	if (rc) {
		json_decref(echo);
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	mmr_page_render(r, out, 200, page,
			json_pack("{s:o, s:o, s:o}", "list", l, "filter", echo, "units",
				  name_map(r, "units", "name")));
}

static void mfa_page(struct mmr_http_req *r, struct mmr_http_resp *out, bool post)
{
	mmr_error err;
	json_t *data = json_object();
	char secret[33];
	if (post) {
		if (!mmr_page_csrf_ok(r)) {
			json_decref(data);
			mmr_page_error(r, out, 403,
				       "フォームの有効期限が切れました。もう一度お試しください");
			return;
		}
		json_t *f = mmr_http_form(r);
		const char *s = json_string_value(json_object_get(f, "secret"));
		const char *code = json_string_value(json_object_get(f, "code"));
		if (s && code && !mmr_user_totp_enrol(r->st, &r->who, s, code, r->now, &err)) {
			json_decref(data);
			mmr_http_redirect(out, "/");
			return;
		}
		json_object_set_new(
			data, "message",
			json_string("確認コードが違います。もう一度読み取ってください"));
	}
	if (mmr_auth_totp_secret_new(secret, &err)) {
		json_decref(data);
		mmr_page_fail(r, out, MMR_EIO, &err);
		return;
	}
	char account[160];
	snprintf(account, sizeof account, "%s@%s", r->who.login, r->who.tenant);
	char *uri = mmr_auth_totp_uri("mamori", account, secret);
	char *svg = uri ? mmr_auth_qr_svg(uri, &err) : NULL;
	if (svg) {
		size_t n = strlen(svg);
		size_t b64 = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_ORIGINAL);
		char *enc = malloc(b64 + 32);
		if (enc) {
			memcpy(enc, "data:image/svg+xml;base64,", 26);
			sodium_bin2base64(enc + 26, b64, (const unsigned char *)svg, n,
					  sodium_base64_VARIANT_ORIGINAL);
			json_object_set_new(data, "qr", json_string(enc));
			free(enc);
		}
	}
	json_object_set_new(data, "secret", json_string(secret));
	free(uri);
	free(svg);
	mmr_page_render(r, out, 200, "mfa", data);
}

static void password_page(struct mmr_http_req *r, struct mmr_http_resp *out, bool post)
{
	json_t *data = json_pack("{s:b}", "must_change", r->must_change);
	if (post) {
		if (!mmr_page_csrf_ok(r)) {
			json_decref(data);
			mmr_page_error(r, out, 403,
				       "フォームの有効期限が切れました。もう一度お試しください");
			return;
		}
		json_t *f = mmr_http_form(r);
		const char *cur = json_string_value(json_object_get(f, "current"));
		const char *nw = json_string_value(json_object_get(f, "new"));
		const char *again = json_string_value(json_object_get(f, "again"));
		mmr_error err;
		struct mmr_signin s;
		int rc = MMR_EINVAL;
		if (!cur || !nw || !again || strcmp(nw, again))
			mmr_error_set(&err, MMR_EINVAL, "新しいパスワードが確認用と一致しません");
		else {
			rc = mmr_session_open(r->st, r->who.tenant, r->who.login, cur, NULL, r->now,
					      &s, &err);
			if (rc == MMR_EAUTH && strstr(err.message, "TOTP"))
				rc = MMR_OK;
			else if (!rc)
				mmr_session_close(r->st, s.token, NULL);
			if (!rc)
				rc = mmr_user_set_password(r->st, r->who.tenant, r->who.user_id, nw,
							   false, &err);
		}
		if (!rc) {
			json_decref(data);
			mmr_http_redirect(out, "/");
			return;
		}
		json_object_set_new(data, "message", json_string(mmr_store_error_text(&err)));
	}
	mmr_page_render(r, out, 200, "password", data);
}

const mmr_page_module mmr_page_modules[] = {
	mmr_pages_work, /* applications, exceptions, records (pages_work.c) */
	mmr_pages_incident,
	mmr_pages_inspect,
	mmr_pages_zones, /* the three-layer check (zones_web.c) */
	NULL,
};

static bool static_file(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	char name[128];
	snprintf(name, sizeof name, "static/%s", r->url + 8);
	if (strstr(name, ".."))
		return false;
	const struct mmr_embedded_file *f = mmr_embedded_find(name);
	if (!f)
		return false;
	out->status = 200;
	out->type = strstr(name, ".css") ? "text/css; charset=utf-8" : "image/svg+xml";
	out->body = malloc(f->size + 1);
	if (out->body) {
		memcpy(out->body, f->data, f->size);
		out->len = f->size;
	}
	return true;
}

/* 監査ログ (issue 4): auditors and administrators */
static void audit_page(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	mmr_error err;
	const char *tenant = r->who.tenant;
	json_t *echo = json_object();
	static const char *const names[] = {"actor",	 "action", "object_kind",
					    "object_id", "since",  "until"};
	const char *vals[6];
	for (size_t i = 0; i < 6; i++) {
		vals[i] = mmr_http_query(r, names[i]);
		if (vals[i] && *vals[i])
			json_object_set_new(echo, names[i], json_string(vals[i]));
		else
			vals[i] = NULL;
	}
	const char *before = mmr_http_query(r, "before");
	struct mmr_audit_query q = {.actor = vals[0],
				    .action = vals[1],
				    .object_kind = vals[2],
				    .object_id = vals[3],
				    .from = vals[4],
				    .to = vals[5],
				    .before = before ? strtoll(before, NULL, 10) : 0,
				    .limit = 50};
	json_t *list = NULL;
	int rc = mmr_audit_search(r->st, tenant, &q, &list, &err);
	if (rc) {
		json_decref(echo);
		mmr_page_fail(r, out, rc, &err);
		return;
	}
	json_t *data = json_pack("{s:o, s:o}", "list", list, "filter", echo);
	int64_t size = 0;
	if (!mmr_audit_size(r->st, tenant, &size, &err))
		json_object_set_new(data, "log_size", json_integer(size));
	struct mmr_log_key key;
	bool have_key = !mmr_log_key_load(NULL, false, &key, &err);
	json_t *cp = NULL;
	if (!mmr_audit_latest_checkpoint(r->st, tenant, have_key ? key.pk : NULL, &cp, &err))
		json_object_set_new(data, "checkpoint", cp);
	const char *index = mmr_http_query(r, "index");
	if (index && *index) {
		char *end;
		long long i = strtoll(index, &end, 10);
		json_t *p = NULL;
		if (*end || i < 0) {
			json_decref(data);
			mmr_page_error(r, out, 400, "番号 (index) は 0 以上の整数にしてください");
			return;
		}
		if ((rc = mmr_audit_proof(r->st, tenant, i, 0, &p, &err))) {
			json_decref(data);
			mmr_page_fail(r, out, rc, &err);
			return;
		}
		json_object_set_new(data, "proof", p);
	}
	mmr_page_render(r, out, 200, "audit", data);
}

bool mmr_pages_handle(struct mmr_http_req *r, struct mmr_http_resp *out)
{
	const char *u = r->url;
	bool get = !strcmp(r->method, "GET"), post = !strcmp(r->method, "POST");
	if (!strncmp(u, "/static/", 8))
		return get && static_file(r, out);
	if (!strcmp(u, "/login")) {
		if (post)
			login_post(r, out);
		else
			login_page(r, out, NULL, 200);
		return true;
	}
	if (!r->signed_in) {
		mmr_http_redirect(out, "/login");
		return true;
	}
	if (post && strcmp(u, "/logout") && !mmr_page_csrf_ok(r)) {
		mmr_page_error(r, out, 403,
			       "フォームの有効期限が切れました。もう一度お試しください");
		return true;
	}
	if (!strcmp(u, "/logout") && post) {
		if (mmr_page_csrf_ok(r))
			mmr_session_close(r->st, r->token, NULL);
		snprintf(out->cookie, sizeof out->cookie,
			 "mamori_session=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0");
		mmr_http_redirect(out, "/login");
		return true;
	}
	if (!strcmp(u, "/password")) {
		password_page(r, out, post);
		return true;
	}
	if (r->must_change) {
		mmr_http_redirect(out, "/password");
		return true;
	}
	if (!strcmp(u, "/mfa")) {
		mfa_page(r, out, post);
		return true;
	}
	if (!strcmp(u, "/")) {
		dashboard(r, out);
		return true;
	}
	if (!strcmp(u, "/assets")) {
		assets_page(r, out);
		return true;
	}
	if (!strcmp(u, "/assets/new")) {
		asset_new(r, out, post);
		return true;
	}
	if (!strncmp(u, "/assets/", 8)) {
		char *end;
		long long id = strtoll(u + 8, &end, 10);
		if (id > 0 && (!*end || (!strcmp(end, "/check") && post))) {
			asset_page(r, out, id, *end != '\0');
			return true;
		}
		return false;
	}
	if (!strcmp(u, "/systems")) {
		list_page(r, out, "systems", "systems");
		return true;
	}
	if (!strcmp(u, "/units")) {
		list_page(r, out, "units", "units");
		return true;
	}
	if (!strcmp(u, "/audit")) {
		if (!r->who.admin && !r->who.auditor) {
			mmr_page_error(r, out, 403, "監査ログは監査担当者と管理者だけが見られます");
			return true;
		}
		audit_page(r, out);
		return true;
	}
	if (!strcmp(u, "/users")) {
		if (!r->who.admin && !r->who.auditor) {
			mmr_page_error(r, out, 403, "利用者の一覧は管理者と監査人だけが見られます");
			return true;
		}
		list_page(r, out, "users", "users");
		return true;
	}
	/* pages of the other services (each returns false when the path is not its own) */
	for (size_t i = 0; mmr_page_modules[i]; i++)
		if (mmr_page_modules[i](r, out, post))
			return true;
	return false;
}
