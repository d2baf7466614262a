/*
 * http.h — the HTTP front end (libmicrohttpd): the JSON API of issue 3 and
 * the Japanese web pages. Handlers turn service results into statuses; no
 * business rule lives here.
 */
#ifndef MMR_HTTP_H
#define MMR_HTTP_H

#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/types.h>

#include <microhttpd.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "store/store.h"

#define MMR_HTTP_MAX_BODY (1024 * 1024)

struct mmr_http_config {
	const char *db;	    /* store target */
	const char *listen; /* "127.0.0.1:8080" */
	const char *policy_dir;
	unsigned threads;   /* 0: one per core */
	volatile int *stop; /* set non-zero to stop (signal handler) */
};

/* Serve until *cfg->stop. MMR_OK, or an error (cannot listen, no database). */
int mmr_http_serve(const struct mmr_http_config *cfg, mmr_error *err);

/* ---- what handlers see (server.c) ---- */

struct mmr_http_req {
	struct MHD_Connection *conn;
	const char *method, *url;
	char *body;
	size_t len;
	mmr_store *st;
	/* the signed-in user, when there is one */
	bool signed_in, must_change, via_cookie;
	mmr_actor who;
	char csrf[65];
	char token[65];
	int64_t now;
	/* form fields (application/x-www-form-urlencoded), parsed on demand */
	json_t *form;
};

struct mmr_http_resp {
	int status;
	char *body; /* malloc'd */
	size_t len;
	const char *type;
	char location[512];
	char cookie[256];
};

/* Header / query / cookie values (NULL when absent). */
const char *mmr_http_header(struct mmr_http_req *r, const char *name);
const char *mmr_http_query(struct mmr_http_req *r, const char *name);
const char *mmr_http_cookie(struct mmr_http_req *r, const char *name);
/* Parse the body as a form; fields as an object of strings. */
json_t *mmr_http_form(struct mmr_http_req *r);

void mmr_http_json(struct mmr_http_resp *out, int status, json_t *body); /* steals body */
void mmr_http_error(struct mmr_http_resp *out, int status, const char *field, const char *msg);
/* Status for an mmr_code from a service, with the error as JSON. */
void mmr_http_fail(struct mmr_http_resp *out, int rc, const mmr_error *err);
void mmr_http_redirect(struct mmr_http_resp *out, const char *location);

/* api.c: /healthz and /api/v1/…; false when the path is not the API's. */
bool mmr_api_handle(struct mmr_http_req *r, struct mmr_http_resp *out);
/* pages.c: the web pages and /static/…; false when not found. */
bool mmr_pages_handle(struct mmr_http_req *r, struct mmr_http_resp *out);
int mmr_pages_init(mmr_error *err);
void mmr_pages_fini(void);

/* ---- for page handlers in other files (pages.c) ---- */

/* Render template `name` (web/templates/NAME.xsl) with `data` (stolen): the
 * JSON becomes an XML document, so every text is escaped by construction. */
void mmr_page_render(struct mmr_http_req *r, struct mmr_http_resp *out, int status,
		     const char *name, json_t *data);
void mmr_page_error(struct mmr_http_req *r, struct mmr_http_resp *out, int status, const char *msg);
/* The page for a service's error code (404/403/422/500). */
void mmr_page_fail(struct mmr_http_req *r, struct mmr_http_resp *out, int rc, const mmr_error *err);
/* Add KEY_wareki (和暦 and 西暦) beside the ISO date o[KEY]. */
void mmr_page_wareki(json_t *o, const char *key);
/* The profile as the templates read it (roles, axes and levels, segments,
 * context keys, kinds, actions). */
json_t *mmr_page_policy_info(const mmr_policy *pol);
/* The form's csrf field matches the session's token. */
bool mmr_page_csrf_ok(struct mmr_http_req *r);

/* A module's pages: true when it handled the path (signed in, CSRF of a POST
 * already checked). The list ends with NULL (pages.c). */
typedef bool (*mmr_page_module)(struct mmr_http_req *r, struct mmr_http_resp *out, bool post);
extern const mmr_page_module mmr_page_modules[];

/* A module's API under /api/v1/: `path` is what follows /api/v1/ (signed in,
 * CSRF checked, password current). True when handled. The list ends with NULL
 * (api.c). */
typedef bool (*mmr_api_module)(struct mmr_http_req *r, struct mmr_http_resp *out, const char *path);
extern const mmr_api_module mmr_api_modules[];
/* The request body as a JSON object, or NULL with a 400 answered. */
json_t *mmr_api_body(struct mmr_http_req *r, struct mmr_http_resp *out);

/* applications, exceptions, records (api_work.c, pages_work.c) */
bool mmr_api_work(struct mmr_http_req *r, struct mmr_http_resp *out, const char *path);
bool mmr_pages_work(struct mmr_http_req *r, struct mmr_http_resp *out, bool post);

/* the incident desk and the inbox (api_incident.c, pages_incident.c) */
bool mmr_api_incident(struct mmr_http_req *r, struct mmr_http_resp *out, const char *path);
bool mmr_pages_incident(struct mmr_http_req *r, struct mmr_http_resp *out, bool post);
/* ---- the modules' handlers (one line each) ---- */

/* api_inspect.c / pages_inspect.c: self-inspection, audit, reports, dashboard */
bool mmr_api_inspect(struct mmr_http_req *r, struct mmr_http_resp *out, const char *path);
bool mmr_pages_inspect(struct mmr_http_req *r, struct mmr_http_resp *out, bool post);
void mmr_page_dashboard(struct mmr_http_req *r, struct mmr_http_resp *out);
int mmr_inspect_http_report(struct mmr_http_req *r, int64_t round, const char *format,
			    struct mmr_http_resp *out, mmr_error *err);

/* zones_web.c: the three-layer check (issue 9) */
bool mmr_api_zones(struct mmr_http_req *r, struct mmr_http_resp *out, const char *path);
bool mmr_pages_zones(struct mmr_http_req *r, struct mmr_http_resp *out, bool post);

#endif
