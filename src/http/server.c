/*
 * server.c — libmicrohttpd glue: a thread pool, one store connection per
 * thread, request bodies bounded (413), security headers on every answer,
 * sessions from the bearer token or the session cookie (checked through the
 * session cache of store/session_cache.h, which any request that may write
 * makes stale).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <sodium.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "store/audit_group.h"
#include "store/work.h"
#include "store/audit.h"
#include "store/session_cache.h"

static const char csp[] = "default-src 'none'; style-src 'self'; img-src 'self' data:; "
			  "form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

/* ---- one store per pool thread ---- */

static const struct mmr_http_config *config;
static pthread_mutex_t stores_lock = PTHREAD_MUTEX_INITIALIZER;
static mmr_store *stores[256];
static size_t n_stores;
static __thread mmr_store *thread_store;
/* the workers' appends outside a transaction share its commits (issue 4) */
static mmr_audit_group *group;

static mmr_store *store_for_thread(mmr_error *err)
{
	if (thread_store)
		return thread_store;
	mmr_store *st;
	if (mmr_store_open(config->db, config->policy_dir, &st, err))
		return NULL;
	pthread_mutex_lock(&stores_lock);
	if (n_stores < sizeof stores / sizeof stores[0])
		stores[n_stores++] = st;
	pthread_mutex_unlock(&stores_lock);
	mmr_audit_group_attach(group, st);
	thread_store = st;
	return st;
}

/* ---- request helpers ---- */

const char *mmr_http_header(struct mmr_http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

const char *mmr_http_query(struct mmr_http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *mmr_http_cookie(struct mmr_http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_COOKIE_KIND, name);
}

static enum MHD_Result form_field(void *cls, enum MHD_ValueKind kind, const char *key,
				  const char *filename, const char *content_type,
				  const char *transfer_encoding, const char *data, uint64_t off,
				  size_t size)
{
	(void)kind, (void)filename, (void)content_type, (void)transfer_encoding;
	json_t *form = cls;
	json_t *cur = json_object_get(form, key);
	size_t have = off && cur ? json_string_length(cur) : 0;
	char *v = malloc(have + size + 1);
	if (!v)
		return MHD_NO;
	if (have)
		memcpy(v, json_string_value(cur), have);
	memcpy(v + have, data, size);
	v[have + size] = '\0';
	json_t *s = json_string(v); /* NULL for invalid UTF-8: the field is dropped */
	free(v);
	if (s)
		json_object_set_new(form, key, s);
	return MHD_YES;
}

json_t *mmr_http_form(struct mmr_http_req *r)
{
	if (r->form)
		return r->form;
	r->form = json_object();
	struct MHD_PostProcessor *pp =
		MHD_create_post_processor(r->conn, 16384, form_field, r->form);
	if (pp) {
		MHD_post_process(pp, r->body ? r->body : "", r->len);
		MHD_destroy_post_processor(pp);
	}
	return r->form;
}

/* ---- responses ---- */

void mmr_http_json(struct mmr_http_resp *out, int status, json_t *body)
{
	out->status = status;
	out->type = "application/json; charset=utf-8";
	out->body = json_dumps(body, JSON_COMPACT);
	out->len = out->body ? strlen(out->body) : 0;
	json_decref(body);
}

void mmr_http_error(struct mmr_http_resp *out, int status, const char *field, const char *msg)
{
	json_t *e = json_pack("{s:s}", "error", msg);
	if (field)
		json_object_set_new(e, "field", json_string(field));
	mmr_http_json(out, status, e);
}

void mmr_http_fail(struct mmr_http_resp *out, int rc, const mmr_error *err)
{
	int status;
	switch (rc) {
	case MMR_EINVAL: status = 422; break;
	case MMR_ENOTFOUND: status = 404; break;
	case MMR_EDENIED: status = 403; break;
	case MMR_ELIMIT: status = 413; break;
	case MMR_ECONFLICT: status = 409; break;
	case MMR_EAUTH: status = 401; break;
	case MMR_ELOCKED: status = 423; break;
	default: status = 500;
	}
	char field[128];
	const char *f = mmr_store_error_field(err, field, sizeof field);
	const char *msg = mmr_store_error_text(err);
	if (status == 413 && f)
		status = 422; /* a field too long is a bad field, not a body too large */
	if (status == 500)
		msg = "内部エラーが発生しました (internal error)";
	mmr_http_error(out, status, f, msg);
}

void mmr_http_redirect(struct mmr_http_resp *out, const char *location)
{
	out->status = 303;
	snprintf(out->location, sizeof out->location, "%s", location);
}

/* ---- the session of a request ---- */

static void session_of(struct mmr_http_req *r)
{
	const char *auth = mmr_http_header(r, "Authorization");
	const char *token = NULL;
	if (auth && !strncmp(auth, "Bearer ", 7))
		token = auth + 7;
	else if ((token = mmr_http_cookie(r, "mamori_session")))
		r->via_cookie = true;
	if (!token)
		return;
	mmr_error err;
	if (mmr_session_check(r->st, token, r->now, &r->who, r->csrf, &r->must_change, &err) ==
	    MMR_OK) {
		r->signed_in = true;
		snprintf(r->token, sizeof r->token, "%s", token);
	}
}

/* The session cache's window: MMR_SESSION_CACHE_WINDOW_MS (1 s), or
 * MAMORI_SESSION_CACHE_MS (1–60000) when set: an operator running several
 * servers on one database may shorten it (it bounds how late one sees
 * another's changes); the API tests lengthen it to show that what ends a
 * cached session at once is the invalidation. */
static int64_t session_cache_window(void)
{
	const char *v = getenv("MAMORI_SESSION_CACHE_MS");
	char *end;
	long ms = v ? strtol(v, &end, 10) : 0;
	if (!v)
		return MMR_SESSION_CACHE_WINDOW_MS;
	if (!*v || *end || ms < 1 || ms > 60000) {
		fprintf(stderr,
			"mamori: MAMORI_SESSION_CACHE_MS=\"%s\" は 1〜60000 のミリ秒にしてください"
			"（%d を使います）\n",
			v, MMR_SESSION_CACHE_WINDOW_MS);
		return MMR_SESSION_CACHE_WINDOW_MS;
	}
	return ms;
}

/* Whether a request may have changed a session, a user or their roles, so
 * that the session cache must not answer from what it read before
 * (session_cache.h). Rather than trust every handler of every ledger, page
 * and service to say so, any request but GET and HEAD counts as a write;
 * POST /api/v1/decide only reads (the decision is computed in memory), and
 * is what the cache is for. */
static bool may_write(const char *method, const char *url)
{
	if (!strcmp(method, "GET") || !strcmp(method, "HEAD"))
		return false;
	return strcmp(method, "POST") || strcmp(url, "/api/v1/decide");
}

/* ---- MHD callbacks ---- */

struct conn_ctx {
	char *body;
	size_t len, cap;
	bool too_big;
};

static enum MHD_Result send_resp(struct MHD_Connection *c, struct mmr_http_resp *out)
{
	struct MHD_Response *resp = MHD_create_response_from_buffer(
		out->len, out->body ? out->body : (char *)"",
		out->body ? MHD_RESPMEM_MUST_FREE : MHD_RESPMEM_PERSISTENT);
	if (!resp) {
		free(out->body);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
				out->type ? out->type : "text/plain; charset=utf-8");
	MHD_add_response_header(resp, "Content-Security-Policy", csp);
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "X-Frame-Options", "DENY");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (out->location[0])
		MHD_add_response_header(resp, "Location", out->location);
	if (out->cookie[0])
		MHD_add_response_header(resp, "Set-Cookie", out->cookie);
	enum MHD_Result ret = MHD_queue_response(c, (unsigned)out->status, resp);
	MHD_destroy_response(resp);
	return ret;
}

static enum MHD_Result handler(void *cls, struct MHD_Connection *c, const char *url,
			       const char *method, const char *version, const char *upload,
			       size_t *upload_size, void **con_cls)
{
	(void)cls, (void)version;
	struct conn_ctx *ctx = *con_cls;
	if (!ctx) {
		ctx = calloc(1, sizeof *ctx);
		if (!ctx)
			return MHD_NO;
		*con_cls = ctx;
		const char *cl = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Content-Length");
		if (cl && strtoull(cl, NULL, 10) > MMR_HTTP_MAX_BODY)
			ctx->too_big = true;
		return MHD_YES;
	}
	if (*upload_size) {
		if (!ctx->too_big) {
			if (ctx->len + *upload_size > MMR_HTTP_MAX_BODY) {
				ctx->too_big = true;
			} else {
				if (ctx->len + *upload_size + 1 > ctx->cap) {
					size_t cap = (ctx->len + *upload_size + 1) * 2;
					char *b = realloc(ctx->body, cap);
					if (!b)
						return MHD_NO;
					ctx->body = b;
					ctx->cap = cap;
				}
				memcpy(ctx->body + ctx->len, upload, *upload_size);
				ctx->len += *upload_size;
				ctx->body[ctx->len] = '\0';
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	struct mmr_http_resp out = {0};
	if (ctx->too_big) {
		mmr_http_error(&out, 413, NULL,
			       "要求の本文が大きすぎます（上限 1 MiB）(request body too large)");
		return send_resp(c, &out);
	}
	mmr_error err;
	struct mmr_http_req r = {.conn = c,
				 .method = method,
				 .url = url,
				 .body = ctx->body,
				 .len = ctx->len,
				 .now = (int64_t)time(NULL)};
	r.st = store_for_thread(&err);
	if (!r.st) {
		mmr_http_error(&out, 503, NULL, "データベースに接続できません");
		return send_resp(c, &out);
	}
	if (strcmp(url, "/healthz") && strncmp(url, "/static/", 8))
		session_of(&r);
	if (!mmr_api_handle(&r, &out) && !mmr_pages_handle(&r, &out))
		mmr_http_error(&out, 404, NULL, "ページが見つかりません (not found)");
	if (may_write(method, url))
		mmr_session_cache_invalidate(); /* committed; the answer not yet sent */
	json_decref(r.form);
	return send_resp(c, &out);
}

static void completed(void *cls, struct MHD_Connection *c, void **con_cls,
		      enum MHD_RequestTerminationCode toe)
{
	(void)cls, (void)c, (void)toe;
	struct conn_ctx *ctx = *con_cls;
	if (ctx) {
		free(ctx->body);
		free(ctx);
		*con_cls = NULL;
	}
}

int mmr_http_serve(const struct mmr_http_config *cfg, mmr_error *err)
{
	config = cfg;
	char host[64] = "127.0.0.1";
	int port = 8080;
	if (cfg->listen) {
		const char *colon = strrchr(cfg->listen, ':');
		if (!colon || colon - cfg->listen >= (long)sizeof host) {
			mmr_error_set(err, MMR_EINVAL,
				      "--listen \"%s\" は ADDRESS:PORT の形にしてください",
				      cfg->listen);
			return MMR_EINVAL;
		}
		memcpy(host, cfg->listen, (size_t)(colon - cfg->listen));
		host[colon - cfg->listen] = '\0';
		port = atoi(colon + 1);
	}
	struct sockaddr_in addr = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	if (port <= 0 || port > 65535 || inet_pton(AF_INET, host, &addr.sin_addr) != 1) {
		mmr_error_set(err, MMR_EINVAL, "--listen \"%s\" のアドレスかポートが不正です",
			      cfg->listen);
		return MMR_EINVAL;
	}
	/* the database must open (and migrate) before we accept anything */
	mmr_store *probe;
	int rc = mmr_store_open(cfg->db, cfg->policy_dir, &probe, err);
	if (rc)
		return rc;
	/* the audit log's checkpoint timer (issue 4) uses this connection */
	struct mmr_log_key lkey;
	mmr_error kerr;
	bool timer = !mmr_log_key_load(NULL, true, &lkey, &kerr);
	if (!timer)
		fprintf(stderr, "mamori: 監査ログのチェックポイントを作れません: %s\n",
			kerr.message);
	if ((rc = mmr_pages_init(err))) {
		mmr_store_close(probe);
		return rc;
	}
	/* a view of a top-class asset is a record alone: such appends of all
	 * the workers are group-committed (without the group, each commits) */
	mmr_error gerr;
	if (mmr_audit_group_open(cfg->db, cfg->policy_dir, &group, &gerr))
		fprintf(stderr, "mamori: 監査ログのグループコミットを使えません: %s\n",
			gerr.message);
	/* sessions checked within the window are not read again; without the
	 * memory for it, every request reads the database */
	if (mmr_session_cache_start(session_cache_window()))
		fprintf(stderr,
			"mamori: "
			"セッションのキャッシュを確保できません（毎回データベースを読みます）\n");
	long ncpu = sysconf(_SC_NPROCESSORS_ONLN);
	unsigned threads = cfg->threads ? cfg->threads : (unsigned)(ncpu > 0 ? ncpu : 2);
	struct MHD_Daemon *d = MHD_start_daemon(
		MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, (uint16_t)port, NULL, NULL,
		handler, NULL, MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&addr,
		MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_TIMEOUT, 30u,
		MHD_OPTION_CONNECTION_LIMIT, 1000u, MHD_OPTION_NOTIFY_COMPLETED, completed, NULL,
		MHD_OPTION_END);
	if (!d) {
		mmr_store_close(probe);
		mmr_audit_group_close(group);
		group = NULL;
		mmr_pages_fini();
		mmr_session_cache_stop();
		mmr_error_set(err, MMR_EIO, "%s:%d で待ち受けられません: %s", host, port,
			      strerror(errno));
		return MMR_EIO;
	}
	for (unsigned tick = 1; !*cfg->stop; tick++) {
		usleep(100 * 1000);
		if (tick % 3000 ==
		    10) { /* reminders (issue 5): soon after start, then every 5 min */
			size_t sent = 0;
			if (mmr_work_remind(probe, (int64_t)time(NULL), &sent, &kerr))
				fprintf(stderr, "mamori: 期限の通知: %s\n", kerr.message);
		}
		if (timer && tick % 10 == 0) {
			struct timeval tv;
			gettimeofday(&tv, NULL);
			size_t made = 0;
			if (mmr_audit_checkpoint_due(probe, &lkey,
						     (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000,
						     &made, &kerr))
				fprintf(stderr, "mamori: 監査ログのチェックポイント: %s\n",
					kerr.message);
		}
	}
	MHD_stop_daemon(d);
	mmr_session_cache_stop();
	mmr_store_close(probe);
	sodium_memzero(&lkey, sizeof lkey);
	pthread_mutex_lock(&stores_lock);
	for (size_t i = 0; i < n_stores; i++)
		mmr_store_close(stores[i]);
	n_stores = 0;
	pthread_mutex_unlock(&stores_lock);
	mmr_audit_group_close(group); /* after the workers: nothing is queued */
	group = NULL;
	mmr_pages_fini();
	return MMR_OK;
}
