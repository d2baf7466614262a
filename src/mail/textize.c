/*
 * textize.c — one message from the Internet made into one text/plain UTF-8
 * part (メールテキスト化): GMime parses, this file decides what survives.
 *
 * Kept: From, To, Cc, Reply-To, Date, Subject, Message-ID, In-Reply-To,
 * References (decoded, re-encoded as UTF-8). Body: the text/plain
 * alternative, else the HTML made into text; nested messages in place.
 * Removed and listed at the top in Japanese: everything else, with name,
 * type, size and SHA-256.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include <gmime/gmime.h>
#include <jansson.h>
#include <openssl/evp.h>

#include "mail/mail.h"

#ifndef MAMORI_VERSION
#define MAMORI_VERSION "0"
#endif

/* Hard ceilings whatever a profile says: the parser recurses per level. */
#define PARTS_CEILING 10000
#define DEPTH_CEILING 64

struct attachment {
	mmr_mail_attachment pub;
	char *name, *type;
	size_t off; /* of the data in tz->attdata */
};

struct mmr_textizer {
	mmr_mail_limits lim;
	int quarantined;
	GMimeParser *parser;
	GMimeParserOptions *popts;
	GMimeFormatOptions *fopts;
	GByteArray *input;
	mmr_charsets *cs;
	mmr_html *html;
	EVP_MD_CTX *md_ctx; /* SHA-256 of input, output and attachments */
	mmr_buf body;	    /* the text, UTF-8, LF line ends */
	mmr_buf decoded;    /* one part's content, transfer encoding undone */
	mmr_buf text;	    /* one part's content as UTF-8 */
	mmr_buf out;	    /* the new message */
	mmr_buf scratch;
	mmr_buf attdata; /* the decoded attachments, one after another */
	struct attachment *att;
	mmr_mail_attachment *att_pub;
	size_t n_att, cap_att;
	char *message_id, *from, *to, *subject;
	const char *body_kind; /* "plain", "html", "none" */
	mmr_mail_result res;
};

void mmr_mail_limits_default(mmr_mail_limits *lim)
{
	lim->max_message_bytes = 25u * 1024 * 1024;
	lim->max_depth = 8;
	lim->max_parts = 200;
	lim->html_allowed = false;
}

int mmr_mail_limits_from_policy(const mmr_policy *pol, mmr_mail_limits *lim, mmr_error *err)
{
	long v;
	if (mmr_policy_setting_int(pol, "mail.max_message_bytes", &v) == MMR_OK) {
		if (v < 1 || (unsigned long)v > (1ul << 31)) {
			mmr_error_set(err, MMR_EINVAL,
				      "mail.max_message_bytes は 1〜2147483648 です（%ld）", v);
			return MMR_EINVAL;
		}
		lim->max_message_bytes = (size_t)v;
	}
	if (mmr_policy_setting_int(pol, "mail.max_depth", &v) == MMR_OK) {
		if (v < 0 || v > DEPTH_CEILING) {
			mmr_error_set(err, MMR_EINVAL, "mail.max_depth は 0〜%d です（%ld）",
				      DEPTH_CEILING, v);
			return MMR_EINVAL;
		}
		lim->max_depth = (int)v;
	}
	if (mmr_policy_setting_int(pol, "mail.max_parts", &v) == MMR_OK) {
		if (v < 1 || v > PARTS_CEILING) {
			mmr_error_set(err, MMR_EINVAL, "mail.max_parts は 1〜%d です（%ld）",
				      PARTS_CEILING, v);
			return MMR_EINVAL;
		}
		lim->max_parts = (int)v;
	}
	if (mmr_policy_setting_int(pol, "mail.html_allowed", &v) == MMR_OK)
		lim->html_allowed = v != 0;
	return MMR_OK;
}

/* SHA-256 fetched from OpenSSL's provider once per process: EVP_Digest with
 * EVP_sha256() looks the implementation up again on every call. */
static EVP_MD *sha256_md;
static pthread_once_t sha256_once = PTHREAD_ONCE_INIT;

static void sha256_fetch(void)
{
	sha256_md = EVP_MD_fetch(NULL, "SHA256", NULL);
}

static pthread_once_t gmime_once = PTHREAD_ONCE_INIT;

static void gmime_start(void)
{
	g_mime_init();
}

int mmr_textizer_new(const mmr_mail_limits *lim, mmr_textizer **out, mmr_error *err)
{
	*out = NULL;
	if (!lim->max_message_bytes || lim->max_parts < 1 || lim->max_depth < 0 ||
	    lim->max_parts > PARTS_CEILING || lim->max_depth > DEPTH_CEILING) {
		mmr_error_set(err, MMR_EINVAL, "メールの制限値が範囲外です");
		return MMR_EINVAL;
	}
	pthread_once(&gmime_once, gmime_start);
	mmr_textizer *tz = calloc(1, sizeof *tz);
	if (!tz)
		goto fail;
	tz->lim = *lim;
	tz->parser = g_mime_parser_new();
	tz->popts = g_mime_parser_options_new();
	tz->fopts = g_mime_format_options_new();
	tz->input = g_byte_array_new();
	tz->cs = mmr_charsets_new();
	tz->html = mmr_html_new();
	pthread_once(&sha256_once, sha256_fetch);
	tz->md_ctx = sha256_md ? EVP_MD_CTX_new() : NULL;
	if (!tz->cs || !tz->html || !tz->md_ctx)
		goto fail;
	g_mime_parser_options_set_rfc2047_compliance_mode(tz->popts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_address_compliance_mode(tz->popts, GMIME_RFC_COMPLIANCE_LOOSE);
	g_mime_parser_options_set_parameter_compliance_mode(tz->popts, GMIME_RFC_COMPLIANCE_LOOSE);
	/* Raw 8-bit in headers: UTF-8, then what Japanese mailers send. */
	const char *fallback[] = {"utf-8", "cp932", "euc-jp", "iso-8859-1", NULL};
	g_mime_parser_options_set_fallback_charsets(tz->popts, fallback);
	g_mime_format_options_set_newline_format(tz->fopts, GMIME_NEWLINE_FORMAT_DOS);
	*out = tz;
	return MMR_OK;
fail:
	mmr_textizer_free(tz);
	mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
	return MMR_ENOMEM;
}

/* Forget the previous message's result. */
static void result_reset(mmr_textizer *tz)
{
	for (size_t i = 0; i < tz->n_att; i++) {
		free(tz->att[i].name);
		free(tz->att[i].type);
	}
	tz->n_att = 0;
	tz->attdata.n = 0;
	free(tz->message_id), free(tz->from), free(tz->to), free(tz->subject);
	tz->message_id = tz->from = tz->to = tz->subject = NULL;
	tz->body.n = tz->out.n = 0;
	if (tz->body.p)
		tz->body.p[0] = '\0';
	memset(&tz->res, 0, sizeof tz->res);
	tz->body_kind = "none";
}

void mmr_textizer_free(mmr_textizer *tz)
{
	if (!tz)
		return;
	result_reset(tz);
	free(tz->att);
	free(tz->att_pub);
	if (tz->parser)
		g_object_unref(tz->parser);
	if (tz->popts)
		g_mime_parser_options_free(tz->popts);
	if (tz->fopts)
		g_mime_format_options_free(tz->fopts);
	if (tz->input)
		g_byte_array_unref(tz->input);
	mmr_charsets_free(tz->cs);
	mmr_html_free(tz->html);
	EVP_MD_CTX_free(tz->md_ctx);
	free(tz->body.p), free(tz->decoded.p), free(tz->text.p), free(tz->out.p);
	free(tz->scratch.p);
	free(tz->attdata.p);
	free(tz);
}

void mmr_textizer_set_quarantined(mmr_textizer *tz, int on)
{
	tz->quarantined = on;
}

static void sha256_hex(mmr_textizer *tz, const void *p, size_t n, char hex[65])
{
	/* OpenSSL: SHA-NI / AVX2 where the CPU has them. */
	unsigned char h[32];
	unsigned int hl = 0;
	static const char digits[] = "0123456789abcdef";
	if (!tz->md_ctx || !EVP_DigestInit_ex2(tz->md_ctx, sha256_md, NULL) ||
	    !EVP_DigestUpdate(tz->md_ctx, p, n) || !EVP_DigestFinal_ex(tz->md_ctx, h, &hl) ||
	    hl != 32)
		memset(h, 0, sizeof h);
	for (size_t i = 0; i < 32; i++) {
		hex[2 * i] = digits[h[i] >> 4];
		hex[2 * i + 1] = digits[h[i] & 15];
	}
	hex[64] = '\0';
}

/* ---- reading parts ----------------------------------------------------------- */

/* Base64 appended to dst, leniently as mail needs it: characters outside
 * the alphabet (line ends, garbage) are skipped, "=" ends a quantum. Four
 * clean characters at a time where it can (the common case). */
static int base64_decode_to(const char *in, size_t n, mmr_buf *dst)
{
	static signed char t[256];
	if (!t['B']) {
		static const char b64[] =
			"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
		memset(t, -1, sizeof t);
		for (int i = 0; i < 64; i++)
			t[(unsigned char)b64[i]] = (signed char)i;
	}
	if (mmr_buf_add(dst, NULL, 0))
		return -1;
	size_t need = n / 4 * 3 + 4;
	if (dst->cap < dst->n + need + 1) {
		size_t cap = dst->cap * 2 > dst->n + need + 1 ? dst->cap * 2 : dst->n + need + 1;
		char *p = realloc(dst->p, cap);
		if (!p)
			return -1;
		dst->p = p;
		dst->cap = cap;
	}
	const unsigned char *s = (const unsigned char *)in, *end = s + n;
	unsigned char *o = (unsigned char *)dst->p + dst->n;
	unsigned v = 0;
	int k = 0;
	while (s < end) {
		if (k == 0 && end - s >= 4) {
			int a = t[s[0]], b = t[s[1]], c = t[s[2]], d = t[s[3]];
			if ((a | b | c | d) >= 0) {
				unsigned w = (unsigned)a << 18 | (unsigned)b << 12 |
					     (unsigned)c << 6 | (unsigned)d;
				o[0] = (unsigned char)(w >> 16), o[1] = (unsigned char)(w >> 8);
				o[2] = (unsigned char)w;
				o += 3, s += 4;
				continue;
			}
		}
		unsigned char ch = *s++;
		if (ch == '=') {
			if (k == 2)
				*o++ = (unsigned char)(v >> 4);
			else if (k == 3)
				*o++ = (unsigned char)(v >> 10), *o++ = (unsigned char)(v >> 2);
			v = 0, k = 0;
			continue;
		}
		int x = t[ch];
		if (x < 0)
			continue;
		v = v << 6 | (unsigned)x;
		if (++k == 4) {
			*o++ = (unsigned char)(v >> 16), *o++ = (unsigned char)(v >> 8);
			*o++ = (unsigned char)v;
			v = 0, k = 0;
		}
	}
	/* A last quantum without padding. */
	if (k == 2)
		*o++ = (unsigned char)(v >> 4);
	else if (k == 3)
		*o++ = (unsigned char)(v >> 10), *o++ = (unsigned char)(v >> 2);
	dst->n = (size_t)((char *)o - dst->p);
	dst->p[dst->n] = '\0';
	return 0;
}

/* The content of part with its transfer encoding undone, appended to dst.
 * -1 on ENOMEM. Broken base64 / QP yields what can be decoded. */
static int part_decode_to(mmr_textizer *tz, GMimePart *part, mmr_buf *dst)
{
	GMimeDataWrapper *w = g_mime_part_get_content(part);
	if (!w)
		return mmr_buf_add(dst, "", 0);
	GMimeStream *s = g_mime_data_wrapper_get_stream(w);
	GMimeContentEncoding enc = g_mime_data_wrapper_get_encoding(w);
	const char *raw = NULL;
	size_t rawlen = 0;
	if (s && GMIME_IS_STREAM_MEM(s)) {
		GByteArray *ba = g_mime_stream_mem_get_byte_array(GMIME_STREAM_MEM(s));
		gint64 start = s->bound_start, end = s->bound_end;
		if (ba && start >= 0 && (guint64)start <= ba->len) {
			if (end < 0 || (guint64)end > ba->len)
				end = ba->len;
			if (end >= start) {
				raw = (const char *)ba->data + start;
				rawlen = (size_t)(end - start);
			}
		}
	}
	if (!raw && s) {
		/* Not our memory stream: read it. */
		tz->scratch.n = 0;
		g_mime_stream_reset(s);
		char chunk[8192];
		for (;;) {
			ssize_t r = g_mime_stream_read(s, chunk, sizeof chunk);
			if (r <= 0)
				break;
			if (mmr_buf_add(&tz->scratch, chunk, (size_t)r))
				return -1;
		}
		raw = tz->scratch.p ? tz->scratch.p : "";
		rawlen = tz->scratch.n;
	}
	if (!raw)
		return mmr_buf_add(dst, "", 0);
	if (enc != GMIME_CONTENT_ENCODING_BASE64 && enc != GMIME_CONTENT_ENCODING_QUOTEDPRINTABLE &&
	    enc != GMIME_CONTENT_ENCODING_UUENCODE)
		return mmr_buf_add(dst, raw, rawlen);
	if (enc == GMIME_CONTENT_ENCODING_BASE64)
		return base64_decode_to(raw, rawlen, dst);
	GMimeEncoding st;
	g_mime_encoding_init_decode(&st, enc);
	size_t need = g_mime_encoding_outlen(&st, rawlen) + 16;
	if (mmr_buf_add(dst, NULL, 0) || need > ((size_t)-1) / 2 - dst->n)
		return -1;
	if (dst->cap < dst->n + need + 1) {
		size_t cap = dst->cap * 2 > dst->n + need + 1 ? dst->cap * 2 : dst->n + need + 1;
		char *p = realloc(dst->p, cap);
		if (!p)
			return -1;
		dst->p = p;
		dst->cap = cap;
	}
	size_t n = g_mime_encoding_flush(&st, raw, rawlen, dst->p + dst->n);
	dst->n += n;
	dst->p[dst->n] = '\0';
	return 0;
}

/* The decoded content of part in tz->decoded (replacing what was there). */
static int part_decode(mmr_textizer *tz, GMimePart *part)
{
	tz->decoded.n = 0;
	return part_decode_to(tz, part, &tz->decoded);
}

static int is_attachment_disposition(GMimeObject *o)
{
	GMimeContentDisposition *d = g_mime_object_get_content_disposition(o);
	return d && g_mime_content_disposition_is_attachment(d);
}

/* text/plain or text/html shown as the body (not an attachment). */
static int body_text_kind(GMimeObject *o)
{
	if (!GMIME_IS_PART(o) || is_attachment_disposition(o))
		return 0;
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	if (!ct || g_mime_content_type_is_type(ct, "text", "plain"))
		return 1;
	if (g_mime_content_type_is_type(ct, "text", "html"))
		return 2;
	return 0;
}

/* Remove C0 controls but tab and LF, turn CRLF and lone CR into LF; the
 * bidi overrides are removed from names only (they disguise extensions). */
static void clean_text(mmr_buf *b, int is_name)
{
	size_t j = 0;
	for (size_t i = 0; i < b->n; i++) {
		unsigned char c = (unsigned char)b->p[i];
		if (c == '\r') {
			if (i + 1 < b->n && b->p[i + 1] == '\n')
				continue;
			c = '\n';
		}
		if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7F)
			continue;
		if (is_name && (c == '\n' || c == '\t'))
			c = ' ';
		if (is_name && c == 0xE2 && i + 2 < b->n) {
			unsigned char c1 = (unsigned char)b->p[i + 1],
				      c2 = (unsigned char)b->p[i + 2];
			if ((c1 == 0x80 && c2 >= 0xAA && c2 <= 0xAE) ||
			    (c1 == 0x81 && c2 >= 0xA6 && c2 <= 0xA9)) {
				i += 2;
				continue;
			}
		}
		b->p[j++] = (char)c;
	}
	b->n = j;
	if (b->p)
		b->p[j] = '\0';
}

/* A name or header value for display: valid UTF-8 (raw 8-bit bytes are
 * decoded by detection, what cannot be becomes U+FFFD), one line, no
 * controls or bidi overrides. malloc'd; NULL on ENOMEM. */
static char *clean_strdup(mmr_textizer *tz, const char *s)
{
	if (!s)
		s = "";
	tz->scratch.n = 0;
	if (g_utf8_validate(s, -1, NULL)) {
		if (mmr_buf_adds(&tz->scratch, s))
			return NULL;
	} else if (mmr_charsets_to_utf8(tz->cs, NULL, s, strlen(s), &tz->scratch) < 0) {
		return NULL;
	}
	if (!tz->scratch.p)
		return strdup("");
	clean_text(&tz->scratch, 1);
	if (!g_utf8_validate(tz->scratch.p, (gssize)tz->scratch.n, NULL)) {
		char *v = g_utf8_make_valid(tz->scratch.p, (gssize)tz->scratch.n);
		char *r = v ? strdup(v) : NULL;
		g_free(v);
		return r;
	}
	return strdup(tz->scratch.p);
}

/* Record a removed part whose decoded content is attdata[off..off+len). */
static int add_attachment_at(mmr_textizer *tz, GMimeObject *o, size_t off, size_t len,
			     const char *why)
{
	if (tz->n_att == tz->cap_att) {
		size_t cap = tz->cap_att ? tz->cap_att * 2 : 8;
		struct attachment *a = realloc(tz->att, cap * sizeof *a);
		if (!a)
			return -1;
		tz->att = a;
		tz->cap_att = cap;
	}
	struct attachment *a = &tz->att[tz->n_att];
	memset(a, 0, sizeof *a);
	const char *name = GMIME_IS_PART(o) ? g_mime_part_get_filename(GMIME_PART(o)) : NULL;
	if (!name) {
		GMimeContentDisposition *d = g_mime_object_get_content_disposition(o);
		name = d ? g_mime_content_disposition_get_parameter(d, "filename") : NULL;
	}
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	char *type = ct ? g_mime_content_type_get_mime_type(ct) : NULL;
	a->name = clean_strdup(tz, name);
	a->type = clean_strdup(tz, type ? type : "application/octet-stream");
	g_free(type);
	if (!a->name || !a->type) {
		free(a->name), free(a->type);
		return -1;
	}
	a->off = off;
	a->pub.name = a->name;
	a->pub.type = a->type;
	a->pub.size = len;
	a->pub.why = why;
	sha256_hex(tz, tz->attdata.p ? tz->attdata.p + off : "", len, a->pub.sha256);
	tz->n_att++;
	return 0;
}

/* Record a removed part; data[0..len) is copied. */
static int add_attachment(mmr_textizer *tz, GMimeObject *o, const void *data, size_t len,
			  const char *why)
{
	size_t off = tz->attdata.n;
	if (mmr_buf_add(&tz->attdata, data, len))
		return -1;
	return add_attachment_at(tz, o, off, len, why);
}

/* Decode part straight into attdata and record it. */
static int add_attachment_part(mmr_textizer *tz, GMimeObject *o)
{
	size_t off = tz->attdata.n;
	if (part_decode_to(tz, GMIME_PART(o), &tz->attdata))
		return -1;
	return add_attachment_at(tz, o, off, tz->attdata.n - off, "添付ファイル");
}

/* Append the decoded text of a text part (kind 1 plain, 2 HTML). */
static int add_text(mmr_textizer *tz, GMimeObject *o, int kind)
{
	if (part_decode(tz, GMIME_PART(o)))
		return -1;
	GMimeContentType *ct = g_mime_object_get_content_type(o);
	const char *charset = ct ? g_mime_content_type_get_parameter(ct, "charset") : NULL;
	tz->text.n = 0;
	int how = mmr_charsets_to_utf8(tz->cs, charset, tz->decoded.p, tz->decoded.n, &tz->text);
	if (how < 0)
		return -1;
	if (how == MMR_CS_GUESSED)
		tz->res.charset_guessed++;
	if (how == MMR_CS_LOSSY) {
		tz->res.undecodable++;
		if (add_attachment(tz, o, tz->decoded.p, tz->decoded.n,
				   "文字コードを解読できない本文"))
			return -1;
	}
	if (tz->body.n && tz->body.p[tz->body.n - 1] != '\n' && mmr_buf_addc(&tz->body, '\n'))
		return -1;
	if (tz->body.n && mmr_buf_addc(&tz->body, '\n'))
		return -1;
	if (kind == 2) {
		tz->res.html_converted++;
		clean_text(&tz->text, 0);
		if (mmr_html_to_text(tz->html, tz->text.p, tz->text.n, &tz->body))
			return -1;
		if (!strcmp(tz->body_kind, "none"))
			tz->body_kind = "html";
		return 0;
	}
	clean_text(&tz->text, 0);
	if (strcmp(tz->body_kind, "plain"))
		tz->body_kind = !strcmp(tz->body_kind, "html") ? "mixed" : "plain";
	return mmr_buf_add(&tz->body, tz->text.p, tz->text.n);
}

/* ---- headers ----------------------------------------------------------------- */

static int has_8bit(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s >= 0x80)
			return 1;
	return 0;
}

/* The raw value of the first header `name`, unfolded and trimmed, into
 * tz->scratch; NULL when absent. */
static const char *raw_header(mmr_textizer *tz, GMimeObject *o, const char *name)
{
	GMimeHeaderList *hl = g_mime_object_get_header_list(o);
	GMimeHeader *h = hl ? g_mime_header_list_get_header(hl, name) : NULL;
	const char *raw = h ? g_mime_header_get_raw_value(h) : NULL;
	if (!raw)
		return NULL;
	tz->scratch.n = 0;
	for (const char *p = raw; *p; p++)
		if (*p != '\r' && *p != '\n' && mmr_buf_addc(&tz->scratch, *p == '\t' ? ' ' : *p))
			return NULL;
	if (!tz->scratch.p)
		return NULL;
	char *s = tz->scratch.p;
	while (*s == ' ')
		s++;
	size_t n = strlen(s);
	while (n && s[n - 1] == ' ')
		s[--n] = '\0';
	return s;
}

/* The Subject as UTF-8 (malloc'd, never NULL unless ENOMEM): encoded words
 * decoded; raw 8-bit text decoded by detection. */
static char *subject_utf8(mmr_textizer *tz, GMimeObject *o)
{
	const char *raw = raw_header(tz, o, "Subject");
	if (!raw)
		return strdup("");
	char *decoded;
	if (has_8bit(raw)) {
		mmr_buf b = {0};
		if (mmr_charsets_to_utf8(tz->cs, NULL, raw, strlen(raw), &b) < 0 || !b.p) {
			free(b.p);
			return NULL;
		}
		decoded = g_mime_utils_header_decode_text(tz->popts, b.p);
		free(b.p);
	} else {
		decoded = g_mime_utils_header_decode_text(tz->popts, raw);
	}
	char *s = clean_strdup(tz, decoded ? decoded : "");
	g_free(decoded);
	return s;
}

/* Names re-encoded as UTF-8 rather than in the charset they came in. Only
 * where it changes something: each set_charset makes GMime re-encode the
 * whole header (an event on the list). */
static void addresses_to_utf8(InternetAddressList *l)
{
	int n = internet_address_list_length(l);
	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		const char *name = internet_address_get_name(ia);
		const char *cs = internet_address_get_charset(ia);
		if (name && has_8bit(name) && !(cs && !g_ascii_strcasecmp(cs, "utf-8")))
			internet_address_set_charset(ia, "utf-8");
		if (INTERNET_ADDRESS_IS_GROUP(ia))
			addresses_to_utf8(
				internet_address_group_get_members(INTERNET_ADDRESS_GROUP(ia)));
	}
}

/* internet_address_list_to_string(l, fopts, encode) without its cost: GMime
 * puts every address through IDNA (libidn2, ~30,000 instructions each) even
 * when the domain is ASCII, where the result is the address itself. Lists
 * of mailboxes with ASCII addresses are written here the way GMime writes
 * them unfolded (name encoded or quoted, " <addr>", ", " between); anything
 * else (groups, internationalised addresses) is left to GMime. g_free(). */
static char *address_list_string(mmr_textizer *tz, InternetAddressList *l, gboolean encode)
{
	int n = internet_address_list_length(l);
	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		if (!INTERNET_ADDRESS_IS_MAILBOX(ia))
			return internet_address_list_to_string(l, tz->fopts, encode);
		const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		if (!addr || has_8bit(addr))
			return internet_address_list_to_string(l, tz->fopts, encode);
	}
	if (n == 0)
		return NULL;
	GString *str = g_string_new("");
	for (int i = 0; i < n; i++) {
		InternetAddress *ia = internet_address_list_get_address(l, i);
		const char *addr = internet_address_mailbox_get_addr(INTERNET_ADDRESS_MAILBOX(ia));
		const char *name = internet_address_get_name(ia);
		if (i)
			g_string_append(str, ", ");
		if (name && *name) {
			char *nm =
				encode ? g_mime_utils_header_encode_phrase(
						 tz->fopts, name, internet_address_get_charset(ia))
				       : g_mime_utils_quote_string(name);
			g_string_append(str, nm ? nm : "");
			g_free(nm);
			g_string_append(str, " <");
			g_string_append(str, addr);
			g_string_append_c(str, '>');
		} else {
			g_string_append(str, addr);
		}
	}
	return g_string_free(str, FALSE);
}

/* Append "Name: value" folded, CRLF-terminated. */
static int put_header(mmr_textizer *tz, const char *name, const char *value, int structured)
{
	char *line = g_strdup_printf("%s: %s", name, value);
	char *folded = structured
			       ? g_mime_utils_structured_header_fold(tz->popts, tz->fopts, line)
			       : g_mime_utils_unstructured_header_fold(tz->popts, tz->fopts, line);
	g_free(line);
	if (!folded)
		return -1;
	int r = 0;
	size_t n = strlen(folded);
	while (n && (folded[n - 1] == '\n' || folded[n - 1] == '\r'))
		n--;
	for (size_t i = 0; i < n; i++) {
		if (folded[i] == '\r')
			continue;
		if (folded[i] == '\n')
			r |= mmr_buf_add(&tz->out, "\r\n", 2);
		else
			r |= mmr_buf_addc(&tz->out, folded[i]);
	}
	r |= mmr_buf_add(&tz->out, "\r\n", 2);
	g_free(folded);
	return r;
}

/* Printable ASCII only (Date, Message-ID, References): anything else in
 * them is dropped with the header. */
static int printable_ascii(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7E)
			return 0;
	return 1;
}

static int put_address_header(mmr_textizer *tz, GMimeMessage *msg, GMimeAddressType type,
			      const char *name, char **decoded)
{
	InternetAddressList *l = g_mime_message_get_addresses(msg, type);
	if (!l || internet_address_list_length(l) == 0) {
		if (decoded)
			*decoded = strdup("");
		return decoded && !*decoded ? -1 : 0;
	}
	if (decoded) {
		char *d = address_list_string(tz, l, FALSE);
		*decoded = clean_strdup(tz, d ? d : "");
		g_free(d);
		if (!*decoded)
			return -1;
	}
	addresses_to_utf8(l);
	char *enc = address_list_string(tz, l, TRUE);
	if (!enc)
		return -1;
	int r = 0;
	if (*enc && printable_ascii(enc))
		r = put_header(tz, name, enc, 1);
	g_free(enc);
	return r;
}

/* ---- the walk ------------------------------------------------------------------ */

static int walk(mmr_textizer *tz, GMimeObject *o, int depth, mmr_error *err);

static int count_part(mmr_textizer *tz, mmr_error *err)
{
	if (++tz->res.parts > tz->lim.max_parts) {
		mmr_error_set(err, MMR_ELIMIT,
			      "MIME パートが多すぎます（上限 %d）(too many MIME parts)",
			      tz->lim.max_parts);
		return MMR_ELIMIT;
	}
	return MMR_OK;
}

/* Count the parts under o without reading them (unchosen alternatives). */
static int count_only(mmr_textizer *tz, GMimeObject *o, mmr_error *err)
{
	int rc = count_part(tz, err);
	if (rc || !GMIME_IS_MULTIPART(o))
		return rc;
	GMimeMultipart *mp = GMIME_MULTIPART(o);
	int n = g_mime_multipart_get_count(mp);
	for (int i = 0; i < n && !rc; i++)
		rc = count_only(tz, g_mime_multipart_get_part(mp, i), err);
	return rc;
}

static int nomem(mmr_error *err)
{
	mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
	return MMR_ENOMEM;
}

static int walk_alternative(mmr_textizer *tz, GMimeMultipart *mp, int depth, mmr_error *err)
{
	int n = g_mime_multipart_get_count(mp), chosen = -1, best = 0;
	for (int i = 0; i < n; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		int k = body_text_kind(c);
		int score = k == 1 ? 3 : k == 2 ? 2 : GMIME_IS_MULTIPART(c) ? 1 : 0;
		if (score > best)
			best = score, chosen = i;
	}
	for (int i = 0; i < n; i++) {
		GMimeObject *c = g_mime_multipart_get_part(mp, i);
		int rc;
		if (i == chosen)
			rc = walk(tz, c, depth, err);
		else if (body_text_kind(c) || GMIME_IS_MULTIPART(c))
			rc = count_only(tz, c, err); /* the same text in another form */
		else
			rc = walk(tz, c, depth, err);
		if (rc)
			return rc;
	}
	return MMR_OK;
}

static int put_nested_header(mmr_textizer *tz, const char *label, const char *value)
{
	if (!value || !*value)
		return 0;
	return mmr_buf_printf(&tz->body, "%s: %s\n", label, value);
}

static int walk_message(mmr_textizer *tz, GMimeMessage *msg, int depth, mmr_error *err)
{
	if (depth > tz->lim.max_depth) {
		mmr_error_set(err, MMR_ELIMIT,
			      "入れ子のメッセージが深すぎます（上限 %d）(message/rfc822 nested too "
			      "deep)",
			      tz->lim.max_depth);
		return MMR_ELIMIT;
	}
	tz->res.nested++;
	int r = 0;
	if (tz->body.n && tz->body.p[tz->body.n - 1] != '\n')
		r |= mmr_buf_addc(&tz->body, '\n');
	r |= mmr_buf_adds(&tz->body, "\n―――― 添付されていたメッセージ ――――\n");
	static const struct {
		GMimeAddressType type;
		const char *label;
	} who[] = {{GMIME_ADDRESS_TYPE_FROM, "差出人"},
		   {GMIME_ADDRESS_TYPE_TO, "宛先"},
		   {GMIME_ADDRESS_TYPE_CC, "CC"}};
	for (size_t i = 0; i < 3; i++) {
		InternetAddressList *l = g_mime_message_get_addresses(msg, who[i].type);
		if (l && internet_address_list_length(l)) {
			char *d = address_list_string(tz, l, FALSE);
			char *c = clean_strdup(tz, d ? d : "");
			g_free(d);
			r |= c ? put_nested_header(tz, who[i].label, c) : -1;
			free(c);
		}
	}
	const char *date = raw_header(tz, GMIME_OBJECT(msg), "Date");
	if (date && printable_ascii(date)) {
		char *d = strdup(date);
		r |= d ? put_nested_header(tz, "日付", d) : -1;
		free(d);
	}
	char *subj = subject_utf8(tz, GMIME_OBJECT(msg));
	r |= subj ? put_nested_header(tz, "件名", subj) : -1;
	free(subj);
	r |= mmr_buf_addc(&tz->body, '\n');
	if (r)
		return nomem(err);
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	if (body) {
		int rc = walk(tz, body, depth, err);
		if (rc)
			return rc;
	}
	if (tz->body.n && tz->body.p[tz->body.n - 1] != '\n' && mmr_buf_addc(&tz->body, '\n'))
		return nomem(err);
	if (mmr_buf_adds(&tz->body, "―――― 添付されていたメッセージここまで ――――\n"))
		return nomem(err);
	return MMR_OK;
}

static int walk(mmr_textizer *tz, GMimeObject *o, int depth, mmr_error *err)
{
	int rc = count_part(tz, err);
	if (rc)
		return rc;
	if (GMIME_IS_MULTIPART(o)) {
		GMimeMultipart *mp = GMIME_MULTIPART(o);
		GMimeContentType *ct = g_mime_object_get_content_type(o);
		if (ct && g_mime_content_type_is_type(ct, "multipart", "alternative"))
			return walk_alternative(tz, mp, depth, err);
		int n = g_mime_multipart_get_count(mp);
		for (int i = 0; i < n; i++)
			if ((rc = walk(tz, g_mime_multipart_get_part(mp, i), depth, err)))
				return rc;
		return MMR_OK;
	}
	if (GMIME_IS_MESSAGE_PART(o)) {
		GMimeMessage *m = g_mime_message_part_get_message(GMIME_MESSAGE_PART(o));
		if (m)
			return walk_message(tz, m, depth + 1, err);
		return add_attachment(tz, o, "", 0, "添付ファイル") ? nomem(err) : MMR_OK;
	}
	if (!GMIME_IS_PART(o))
		return add_attachment(tz, o, "", 0, "添付ファイル") ? nomem(err) : MMR_OK;
	int kind = body_text_kind(o);
	if (kind)
		return add_text(tz, o, kind) ? nomem(err) : MMR_OK;
	if (add_attachment_part(tz, o))
		return nomem(err);
	return MMR_OK;
}

/* ---- output -------------------------------------------------------------------- */

static int put_number(mmr_buf *b, size_t v)
{
	char digits[32];
	int n = snprintf(digits, sizeof digits, "%zu", v);
	for (int i = 0; i < n; i++) {
		if (i && (n - i) % 3 == 0 && mmr_buf_addc(b, ','))
			return -1;
		if (mmr_buf_addc(b, digits[i]))
			return -1;
	}
	return 0;
}

/* The notice at the top of the body: what was done, what was removed. */
static int put_notice(mmr_textizer *tz, mmr_buf *b)
{
	int r = mmr_buf_adds(b, "［mamori メールテキスト化］インターネットから届いたメールのため、"
				"本文のテキストだけを転送しています。\n");
	if (tz->res.html_converted)
		r |= mmr_buf_adds(b, "HTML 形式の本文はテキストに変換しました（リンクは "
				     "hxxp:// の形で表示し、クリックできません）。\n");
	if (tz->res.charset_guessed)
		r |= mmr_buf_adds(b, "宣言と異なる文字コードの本文は、文字コードを推定して読み取り"
				     "ました。\n");
	if (tz->res.undecodable)
		r |= mmr_buf_adds(b, "文字コードを解読できない本文がありました。読めない文字は"
				     "「\xEF\xBF\xBD」で示し、元のデータは添付ファイルとして扱い"
				     "ました。\n");
	if (tz->n_att) {
		r |= mmr_buf_printf(b, "削除した添付ファイル（%zu 件）:\n", tz->n_att);
		for (size_t i = 0; i < tz->n_att; i++) {
			const mmr_mail_attachment *a = &tz->att[i].pub;
			r |= mmr_buf_printf(b, "  %zu. %s（%s、", i + 1,
					    *a->name ? a->name : "（名前なし）", a->type);
			r |= put_number(b, a->size);
			r |= mmr_buf_printf(b, " バイト%s%s）\n     SHA-256: %s\n",
					    strcmp(a->why, "添付ファイル") ? "、" : "",
					    strcmp(a->why, "添付ファイル") ? a->why : "",
					    a->sha256);
		}
		r |= mmr_buf_adds(
			b,
			tz->quarantined
				? "添付ファイルはインターネット接続系に隔離保管しています。必要なと"
				  "き"
				  "は、SHA-256 の値を添えて担当者に申し出て、無害化したファイルを"
				  "受け取ってください。\n"
				: "添付ファイルは転送されません。必要なときは担当者に申し出てくだ"
				  "さい。\n");
	}
	r |= mmr_buf_adds(b, "――――――――――――――――――――――――――――――\n\n");
	return r;
}

/* in[0..n) as base64 in CRLF lines of 76 characters. */
static int put_base64(mmr_buf *out, const unsigned char *in, size_t n)
{
	static const char b64[] =
		"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	size_t need = (n + 2) / 3 * 4;
	need += (need / 76 + 1) * 2;
	if (mmr_buf_add(out, NULL, 0))
		return -1;
	if (out->cap < out->n + need + 1) {
		char *p = realloc(out->p, out->n + need + 1);
		if (!p)
			return -1;
		out->p = p;
		out->cap = out->n + need + 1;
	}
	char *o = out->p + out->n;
	size_t col = 0, i = 0;
	for (; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)in[i] << 16 | (unsigned)in[i + 1] << 8 | in[i + 2];
		o[0] = b64[v >> 18], o[1] = b64[(v >> 12) & 63];
		o[2] = b64[(v >> 6) & 63], o[3] = b64[v & 63];
		o += 4;
		if ((col += 4) == 76) {
			*o++ = '\r', *o++ = '\n';
			col = 0;
		}
	}
	if (i < n) {
		unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0);
		o[0] = b64[v >> 18], o[1] = b64[(v >> 12) & 63];
		o[2] = i + 1 < n ? b64[(v >> 6) & 63] : '=';
		o[3] = '=';
		o += 4;
		col += 4;
	}
	if (col)
		*o++ = '\r', *o++ = '\n';
	out->n = (size_t)(o - out->p);
	out->p[out->n] = '\0';
	return 0;
}

static int build_output(mmr_textizer *tz, GMimeMessage *msg)
{
	GMimeObject *top = GMIME_OBJECT(msg);
	int r = 0;
	r |= put_address_header(tz, msg, GMIME_ADDRESS_TYPE_FROM, "From", &tz->from);
	r |= put_address_header(tz, msg, GMIME_ADDRESS_TYPE_TO, "To", &tz->to);
	r |= put_address_header(tz, msg, GMIME_ADDRESS_TYPE_CC, "Cc", NULL);
	r |= put_address_header(tz, msg, GMIME_ADDRESS_TYPE_REPLY_TO, "Reply-To", NULL);
	const char *v = raw_header(tz, top, "Date");
	if (v && printable_ascii(v)) {
		char *d = strdup(v);
		r |= d ? put_header(tz, "Date", d, 0) : -1;
		free(d);
	}
	tz->subject = subject_utf8(tz, top);
	if (!tz->subject)
		return -1;
	if (*tz->subject) {
		char *enc = g_mime_utils_header_encode_text(tz->fopts, tz->subject, "utf-8");
		r |= enc ? put_header(tz, "Subject", enc, 0) : -1;
		g_free(enc);
	}
	static const char *const ids[] = {"Message-ID", "In-Reply-To", "References"};
	for (size_t i = 0; i < 3; i++) {
		v = raw_header(tz, top, ids[i]);
		if (v && printable_ascii(v)) {
			char *d = strdup(v);
			if (!d)
				return -1;
			r |= put_header(tz, ids[i], d, 1);
			if (i == 0 && !tz->message_id)
				tz->message_id = d;
			else
				free(d);
		}
	}
	if (!tz->message_id && !(tz->message_id = strdup("")))
		return -1;
	r |= mmr_buf_printf(&tz->out,
			    "X-Mamori-Textized: mamori/%s; body=%s; attachments-removed=%zu; "
			    "nested=%d; html-converted=%d; charset-guessed=%d; undecodable=%d\r\n",
			    MAMORI_VERSION, tz->body_kind, tz->n_att, tz->res.nested,
			    tz->res.html_converted, tz->res.charset_guessed, tz->res.undecodable);
	r |= mmr_buf_adds(&tz->out,
			  "MIME-Version: 1.0\r\nContent-Type: text/plain; charset=UTF-8\r\n"
			  "Content-Transfer-Encoding: base64\r\n\r\n");
	if (r)
		return -1;

	/* The body: notice, then the text, as CRLF lines in base64. */
	mmr_buf *t = &tz->text;
	t->n = 0;
	if (put_notice(tz, t))
		return -1;
	if (mmr_buf_add_crlf(t, tz->body.p ? tz->body.p : "", tz->body.n))
		return -1;
	if (t->n && t->p[t->n - 1] != '\n' && mmr_buf_add(t, "\r\n", 2))
		return -1;
	return put_base64(&tz->out, (const unsigned char *)t->p, t->n);
}

/* A cheap bound before parsing: GMime's parser recurses once per nested
 * part, so a message with more Content-Type lines than the part ceiling
 * could be used to exhaust the stack. Counts lines starting with it. */
static size_t content_type_lines(const char *in, size_t len)
{
	size_t n = 0;
	static const char key[] = "content-type:";
	for (size_t i = 0; i + sizeof key - 1 <= len;) {
		if ((in[i] | 0x20) == 'c' && !strncasecmp(in + i, key, sizeof key - 1))
			n++;
		const char *nl = memchr(in + i, '\n', len - i);
		if (!nl)
			break;
		i = (size_t)(nl - in) + 1;
	}
	return n;
}

int mmr_textize(mmr_textizer *tz, const char *in, size_t len, const mmr_mail_result **res,
		mmr_error *err)
{
	*res = NULL;
	result_reset(tz);
	if (len > tz->lim.max_message_bytes) {
		mmr_error_set(
			err, MMR_ELIMIT,
			"メールが大きすぎます（%zu バイト、上限 %zu バイト）(message too large)",
			len, tz->lim.max_message_bytes);
		return MMR_ELIMIT;
	}
	if (len == 0) {
		mmr_error_set(err, MMR_EINVAL, "メールが空です (empty message)");
		return MMR_EINVAL;
	}
	size_t ctl = content_type_lines(in, len);
	if (ctl > (size_t)tz->lim.max_parts * 2 + 16) {
		mmr_error_set(
			err, MMR_ELIMIT,
			"MIME パートが多すぎます（Content-Type が %zu 個、上限 %d パート）(too "
			"many MIME parts)",
			ctl, tz->lim.max_parts);
		return MMR_ELIMIT;
	}
	g_byte_array_set_size(tz->input, 0);
	g_byte_array_append(tz->input, (const guint8 *)in, (guint)len);
	GMimeStream *stream = g_mime_stream_mem_new_with_byte_array(tz->input);
	g_mime_stream_mem_set_owner(GMIME_STREAM_MEM(stream), FALSE);
	g_mime_parser_init_with_stream(tz->parser, stream);
	GMimeMessage *msg = g_mime_parser_construct_message(tz->parser, tz->popts);
	int rc = MMR_OK;
	if (!msg) {
		mmr_error_set(err, MMR_EINVAL, "メールとして読めません (not a message)");
		rc = MMR_EINVAL;
		goto done;
	}
	GMimeObject *body = g_mime_message_get_mime_part(msg);
	if (body && (rc = walk(tz, body, 0, err)))
		goto done;
	if (build_output(tz, msg)) {
		rc = nomem(err);
		goto done;
	}
	tz->res.out = tz->out.p;
	tz->res.out_len = tz->out.n;
	tz->res.in_len = len;
	sha256_hex(tz, in, len, tz->res.in_sha256);
	sha256_hex(tz, tz->out.p, tz->out.n, tz->res.out_sha256);
	tz->res.message_id = tz->message_id;
	tz->res.from = tz->from ? tz->from : "";
	tz->res.to = tz->to ? tz->to : "";
	tz->res.subject = tz->subject ? tz->subject : "";
	if (tz->n_att) {
		mmr_mail_attachment *pub = realloc(tz->att_pub, tz->n_att * sizeof *pub);
		if (!pub) {
			rc = nomem(err);
			goto done;
		}
		tz->att_pub = pub;
		for (size_t i = 0; i < tz->n_att; i++) {
			pub[i] = tz->att[i].pub;
			pub[i].data = (const unsigned char *)tz->attdata.p + tz->att[i].off;
		}
	}
	tz->res.attachments = tz->att_pub;
	tz->res.n_attachments = tz->n_att;
	*res = &tz->res;
done:
	/* Let the parser drop its reference to the stream before the next message. */
	if (msg)
		g_object_unref(msg);
	g_object_unref(stream);
	return rc;
}

char *mmr_mail_audit_json(const mmr_mail_result *res)
{
	json_t *o = json_object();
	json_t *atts = json_array();
	if (!o || !atts) {
		json_decref(o);
		json_decref(atts);
		return NULL;
	}
	for (size_t i = 0; i < res->n_attachments; i++) {
		const mmr_mail_attachment *a = &res->attachments[i];
		json_array_append_new(atts, json_pack("{s:s, s:s, s:I, s:s, s:s}", "name", a->name,
						      "type", a->type, "size", (json_int_t)a->size,
						      "sha256", a->sha256, "why", a->why));
	}
	json_object_set_new(o, "event", json_string("mail.textize"));
	json_object_set_new(o, "message_id", json_string(res->message_id));
	json_object_set_new(o, "from", json_string(res->from));
	json_object_set_new(o, "to", json_string(res->to));
	json_object_set_new(o, "size_in", json_integer((json_int_t)res->in_len));
	json_object_set_new(o, "size_out", json_integer((json_int_t)res->out_len));
	json_object_set_new(o, "sha256_in", json_string(res->in_sha256));
	json_object_set_new(o, "sha256_out", json_string(res->out_sha256));
	json_object_set_new(o, "parts", json_integer(res->parts));
	json_object_set_new(o, "nested", json_integer(res->nested));
	json_object_set_new(o, "html_converted", json_integer(res->html_converted));
	json_object_set_new(o, "charset_guessed", json_integer(res->charset_guessed));
	json_object_set_new(o, "undecodable", json_integer(res->undecodable));
	json_object_set_new(o, "attachments_removed", json_integer((json_int_t)res->n_attachments));
	json_object_set_new(o, "attachments", atts);
	char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
	json_decref(o);
	return s;
}

int mmr_mail_quarantine(const mmr_mail_result *res, const char *dir, mmr_error *err)
{
	for (size_t i = 0; i < res->n_attachments; i++) {
		const mmr_mail_attachment *a = &res->attachments[i];
		char path[PATH_MAX], tmp[PATH_MAX];
		if (snprintf(path, sizeof path, "%s/%s", dir, a->sha256) >= (int)sizeof path ||
		    snprintf(tmp, sizeof tmp, "%s/.%s.%ld.partial", dir, a->sha256,
			     (long)getpid()) >= (int)sizeof tmp) {
			mmr_error_set(err, MMR_EINVAL, "隔離先のパスが長すぎます: %s", dir);
			return MMR_EINVAL;
		}
		if (access(path, F_OK) == 0)
			continue;
		int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd < 0)
			goto io;
		size_t off = 0;
		while (off < a->size) {
			ssize_t w = write(fd, a->data + off, a->size - off);
			if (w < 0 && errno == EINTR)
				continue;
			if (w <= 0) {
				close(fd);
				unlink(tmp);
				goto io;
			}
			off += (size_t)w;
		}
		int bad = fsync(fd);
		bad |= close(fd);
		if (bad || rename(tmp, path)) {
			unlink(tmp);
			goto io;
		}
		continue;
	io:
		mmr_error_set(err, MMR_EIO, "隔離先に書けません: %s: %s", path, strerror(errno));
		return MMR_EIO;
	}
	return MMR_OK;
}
