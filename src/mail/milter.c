/*
 * milter.c — the text-izer as a libmilter filter. Each SMTP connection has
 * its own textizer (libmilter runs one thread per connection); a message is
 * collected up to the size limit, text-ized at end of message, and the MTA
 * told to delete the original headers (trace headers stay), add the kept
 * ones and replace the body. A message beyond a limit is rejected with 550
 * and the reason; a message whose record cannot be written (config->record)
 * is tempfailed with 451 and the reason logged.
 */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <libmilter/mfapi.h>

#include "mail/milter.h"

static const mmr_milter_config *config;

struct header_name {
	char *name;
	int count;
};

struct conn {
	mmr_textizer *tz;
	mmr_buf msg;
	struct header_name *names;
	size_t n_names, cap_names;
	int too_big;
};

static void conn_reset(struct conn *c)
{
	c->msg.n = 0;
	for (size_t i = 0; i < c->n_names; i++)
		free(c->names[i].name);
	c->n_names = 0;
	c->too_big = 0;
}

static struct conn *conn_get(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	if (c)
		return c;
	c = calloc(1, sizeof *c);
	if (!c)
		return NULL;
	mmr_error err;
	if (mmr_textizer_new(&config->limits, &c->tz, &err) != MMR_OK) {
		free(c);
		return NULL;
	}
	mmr_textizer_set_quarantined(c->tz, config->quarantine_dir != NULL);
	smfi_setpriv(ctx, c);
	return c;
}

static sfsistat on_envfrom(SMFICTX *ctx, char **argv)
{
	(void)argv;
	struct conn *c = conn_get(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	conn_reset(c);
	return SMFIS_CONTINUE;
}

static int add(struct conn *c, const void *p, size_t n)
{
	if (c->too_big)
		return 0;
	if (c->msg.n + n > config->limits.max_message_bytes) {
		c->too_big = 1;
		return 0;
	}
	return mmr_buf_add(&c->msg, p, n);
}

static sfsistat on_header(SMFICTX *ctx, char *name, char *value)
{
	struct conn *c = conn_get(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	size_t i;
	for (i = 0; i < c->n_names; i++)
		if (!strcasecmp(c->names[i].name, name))
			break;
	if (i == c->n_names) {
		if (c->n_names == c->cap_names) {
			size_t cap = c->cap_names ? c->cap_names * 2 : 32;
			struct header_name *nn = realloc(c->names, cap * sizeof *nn);
			if (!nn)
				return SMFIS_TEMPFAIL;
			c->names = nn;
			c->cap_names = cap;
		}
		c->names[i].name = strdup(name);
		c->names[i].count = 0;
		if (!c->names[i].name)
			return SMFIS_TEMPFAIL;
		c->n_names++;
	}
	c->names[i].count++;
	if (add(c, name, strlen(name)) || add(c, ": ", 2) || add(c, value, strlen(value)) ||
	    add(c, "\r\n", 2))
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

static sfsistat on_eoh(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	if (!c || add(c, "\r\n", 2))
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

static sfsistat on_body(SMFICTX *ctx, unsigned char *chunk, size_t len)
{
	struct conn *c = conn_get(ctx);
	if (!c || add(c, chunk, len))
		return SMFIS_TEMPFAIL;
	return SMFIS_CONTINUE;
}

/* The English reason in a message "日本語 (english)", for the SMTP reply,
 * which must be ASCII. */
static void smtp_reason(const char *msg, char *out, size_t cap)
{
	const char *open = strrchr(msg, '(');
	const char *close = open ? strchr(open, ')') : NULL;
	size_t n = 0;
	if (open && close)
		for (const char *p = open + 1; p < close && n + 1 < cap; p++)
			if ((unsigned char)*p >= 0x20 && (unsigned char)*p < 0x7F && *p != '%')
				out[n++] = *p;
	if (!n)
		n = (size_t)snprintf(out, cap, "refused by mail text-ization");
	out[n < cap ? n : cap - 1] = '\0';
}

static int is_trace(const char *name)
{
	return !strcasecmp(name, "Received") || !strcasecmp(name, "Return-Path");
}

/* Add the headers of the text-ized message, unfolded into name / value. */
static int add_headers(SMFICTX *ctx, const char *out, size_t len, size_t *body_at)
{
	const char *p = out, *end = out + len;
	mmr_buf v = {0};
	int rc = 0;
	while (p < end && !(p + 1 < end && p[0] == '\r' && p[1] == '\n')) {
		const char *colon = memchr(p, ':', (size_t)(end - p));
		if (!colon) {
			rc = -1;
			break;
		}
		char name[128];
		size_t nl = (size_t)(colon - p);
		if (nl >= sizeof name) {
			rc = -1;
			break;
		}
		memcpy(name, p, nl);
		name[nl] = '\0';
		p = colon + 1;
		while (p < end && *p == ' ')
			p++;
		v.n = 0;
		for (;;) {
			const char *eol = p;
			while (eol + 1 < end && !(eol[0] == '\r' && eol[1] == '\n'))
				eol++;
			if (mmr_buf_add(&v, p, (size_t)(eol - p))) {
				rc = -1;
				break;
			}
			p = eol + 2;
			if (p < end && (*p == ' ' || *p == '\t')) {
				if (mmr_buf_add(&v, "\n", 1)) {
					rc = -1;
					break;
				}
				continue;
			}
			break;
		}
		if (rc || smfi_addheader(ctx, name, v.p ? v.p : (char *)"") != MI_SUCCESS) {
			rc = -1;
			break;
		}
	}
	free(v.p);
	*body_at = (size_t)(p + 2 - out);
	return rc;
}

static sfsistat on_eom(SMFICTX *ctx)
{
	struct conn *c = conn_get(ctx);
	if (!c)
		return SMFIS_TEMPFAIL;
	mmr_error err = {0};
	const mmr_mail_result *res = NULL;
	int rc;
	if (c->too_big) {
		mmr_error_set(&err, MMR_ELIMIT,
			      "メールが大きすぎます（上限 %zu バイト）(message too large)",
			      config->limits.max_message_bytes);
		rc = MMR_ELIMIT;
	} else {
		rc = mmr_textize(c->tz, c->msg.p, c->msg.n, &res, &err);
	}
	if (rc == MMR_ELIMIT || rc == MMR_EINVAL) {
		char reason[256];
		smtp_reason(err.message, reason, sizeof reason);
		smfi_setreply(ctx, "550", "5.7.1", reason);
		conn_reset(c);
		return SMFIS_REJECT;
	}
	if (rc != MMR_OK) {
		conn_reset(c);
		return SMFIS_TEMPFAIL;
	}
	if (config->quarantine_dir &&
	    mmr_mail_quarantine(res, config->quarantine_dir, &err) != MMR_OK) {
		conn_reset(c);
		return SMFIS_TEMPFAIL;
	}
	for (size_t i = 0; i < c->n_names; i++) {
		if (is_trace(c->names[i].name))
			continue;
		for (int k = c->names[i].count; k >= 1; k--)
			if (smfi_chgheader(ctx, c->names[i].name, k, NULL) != MI_SUCCESS)
				goto fail;
	}
	size_t body_at = 0;
	if (add_headers(ctx, res->out, res->out_len, &body_at) || body_at > res->out_len)
		goto fail;
	if (smfi_replacebody(ctx, (unsigned char *)res->out + body_at,
			     (int)(res->out_len - body_at)) != MI_SUCCESS)
		goto fail;
	if (config->record && config->record(config->record_ud, res, &err) != MMR_OK) {
		/* No record, no delivery: the MTA keeps the message and retries. */
		fprintf(stderr,
			"mamori milter: 監査記録を残せないため、メールを一時エラーで返しました"
			"（送信側が再送します）(tempfail: audit record failed): message_id=%s "
			"理由=%s\n",
			*res->message_id ? res->message_id : res->in_sha256, err.message);
		smfi_setreply(ctx, "451", "4.3.0", "audit log unavailable, try again later");
		conn_reset(c);
		return SMFIS_TEMPFAIL;
	}
	conn_reset(c);
	return SMFIS_CONTINUE;
fail:
	conn_reset(c);
	return SMFIS_TEMPFAIL;
}

static sfsistat on_abort(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	if (c)
		conn_reset(c);
	return SMFIS_CONTINUE;
}

static sfsistat on_close(SMFICTX *ctx)
{
	struct conn *c = smfi_getpriv(ctx);
	if (c) {
		conn_reset(c);
		free(c->names);
		free(c->msg.p);
		mmr_textizer_free(c->tz);
		free(c);
		smfi_setpriv(ctx, NULL);
	}
	return SMFIS_CONTINUE;
}

int mmr_milter_run(const mmr_milter_config *cfg, mmr_error *err)
{
	config = cfg;
	struct smfiDesc desc = {
		.xxfi_name = (char *)"mamori-textize",
		.xxfi_version = SMFI_VERSION,
		.xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_CHGBODY,
		.xxfi_envfrom = on_envfrom,
		.xxfi_header = on_header,
		.xxfi_eoh = on_eoh,
		.xxfi_body = on_body,
		.xxfi_eom = on_eom,
		.xxfi_abort = on_abort,
		.xxfi_close = on_close,
	};
	/* A textizer up front checks the limits and initialises GMime once,
	 * before any connection thread. */
	mmr_textizer *probe;
	int rc = mmr_textizer_new(&cfg->limits, &probe, err);
	if (rc != MMR_OK)
		return rc;
	mmr_textizer_free(probe);
	if (smfi_setconn((char *)cfg->socket) == MI_FAILURE || smfi_register(desc) == MI_FAILURE) {
		mmr_error_set(err, MMR_EINVAL, "milter を登録できません: %s", cfg->socket);
		return MMR_EINVAL;
	}
	if (smfi_opensocket(true) == MI_FAILURE) {
		mmr_error_set(err, MMR_EIO, "ソケットを開けません: %s", cfg->socket);
		return MMR_EIO;
	}
	if (smfi_main() == MI_FAILURE) {
		mmr_error_set(err, MMR_EIO, "milter が異常終了しました: %s", cfg->socket);
		return MMR_EIO;
	}
	return MMR_OK;
}
