/*
 * mail.h — mail text-ization (メールテキスト化) between the Internet and LGWAN
 * segments (issue 7): a message from outside becomes one text/plain UTF-8
 * part holding only its readable text, with a few headers kept and every
 * attachment removed and listed.
 *
 *     mmr_mail_limits lim; mmr_mail_limits_default(&lim);
 *     mmr_textizer *tz; mmr_error err;
 *     if (mmr_textizer_new(&lim, &tz, &err) != MMR_OK) ...
 *     const mmr_mail_result *r;
 *     int rc = mmr_textize(tz, buf, len, &r, &err);   // MMR_ELIMIT: refused
 *     fwrite(r->out, 1, r->out_len, stdout);
 *     char *audit = mmr_mail_audit_json(r);            // free()
 *     mmr_textizer_free(tz);
 *
 * A textizer keeps its parser, converters and buffers from one message to the
 * next (that is where the speed comes from); it is not thread-safe: use one
 * per thread. The result of mmr_textize() is owned by the textizer and valid
 * until the next call or mmr_textizer_free().
 */
#ifndef MMR_MAIL_H
#define MMR_MAIL_H

#include <stdbool.h>
#include <stddef.h>

#include "mamori.h"

/* The bounds on a message from outside (profile settings mail.*). */
typedef struct mmr_mail_limits {
	size_t max_message_bytes; /* whole message as received */
	int max_depth;		  /* nesting of message/rfc822 parts */
	int max_parts;		  /* MIME parts of every kind, nested ones included */
	bool html_allowed;	  /* recorded only: HTML never crosses (本文のみ) */
} mmr_mail_limits;

/* 25 MiB, depth 8, 200 parts, no HTML. */
void mmr_mail_limits_default(mmr_mail_limits *lim);

/* Overwrite the defaults in lim with the profile's mail.* settings that are
 * set. MMR_EINVAL (err names the key) for a value out of range. */
int mmr_mail_limits_from_policy(const mmr_policy *pol, mmr_mail_limits *lim, mmr_error *err);

/* A part removed from the message. Strings are UTF-8; data is the decoded
 * content (transfer encoding undone), owned by the result. */
typedef struct mmr_mail_attachment {
	const char *name; /* from RFC 2231 / RFC 2047; "" when the part has none */
	const char *type; /* "application/pdf" */
	size_t size;	  /* decoded bytes */
	char sha256[65];  /* hex of the decoded bytes */
	const unsigned char *data;
	const char *why; /* "attachment", "undecodable text", … (Japanese) */
} mmr_mail_attachment;

typedef struct mmr_mail_result {
	char *out; /* the new message, CRLF line ends */
	size_t out_len;
	size_t in_len;
	char in_sha256[65];
	char out_sha256[65];
	/* Header summary for the audit record (UTF-8, decoded; "" when absent). */
	const char *message_id;
	const char *from;
	const char *to;
	const char *subject;
	int parts;	     /* MIME parts seen */
	int nested;	     /* message/rfc822 parts text-ized in place */
	int html_converted;  /* HTML parts turned into text */
	int charset_guessed; /* text parts decoded by detection */
	int undecodable;     /* text parts that could not be decoded */
	size_t n_attachments;
	const mmr_mail_attachment *attachments;
} mmr_mail_result;

typedef struct mmr_textizer mmr_textizer;

/* A textizer with these limits (copied). MMR_ENOMEM, or MMR_EINVAL for
 * limits that are zero. Free with mmr_textizer_free(). */
int mmr_textizer_new(const mmr_mail_limits *lim, mmr_textizer **out, mmr_error *err);
void mmr_textizer_free(mmr_textizer *tz);

/* Whether the caller stores attachments (mmr_mail_quarantine): the notice
 * in the body then tells the reader how to fetch them. Default: no. */
void mmr_textizer_set_quarantined(mmr_textizer *tz, int on);

/* Text-ize the message in[0..len). On MMR_OK *res points at the result
 * (owned by tz). MMR_ELIMIT when the message exceeds a limit (err says which
 * and by how much), MMR_EINVAL when it is not a message at all, MMR_ENOMEM.
 * Malformed MIME is not an error: what can be read is kept. */
int mmr_textize(mmr_textizer *tz, const char *in, size_t len, const mmr_mail_result **res,
		mmr_error *err);

/*
 * The audit record of one text-ized message as a JSON object: Message-ID,
 * From, To, Subject, sizes, part and attachment counts, the SHA-256 of the
 * input, the output and every attachment (name, type, size). Never any of
 * the body. malloc'd; the caller frees it with free(). NULL on ENOMEM.
 * This is what the audit log stores for each message (issue 4).
 */
char *mmr_mail_audit_json(const mmr_mail_result *res);

/* Write every attachment of res into dir as DIR/<sha256> (mode 0600; a file
 * already there is kept, as its name is its content). MMR_EIO with err
 * naming the file. */
int mmr_mail_quarantine(const mmr_mail_result *res, const char *dir, mmr_error *err);

/* ---- internals shared by the files of src/mail ---------------------------- */

/* A growable byte buffer. */
typedef struct mmr_buf {
	char *p;
	size_t n, cap;
} mmr_buf;
int mmr_buf_add(mmr_buf *b, const void *p, size_t n);
int mmr_buf_adds(mmr_buf *b, const char *s);
int mmr_buf_addc_slow(mmr_buf *b, char c);
static inline int mmr_buf_addc(mmr_buf *b, char c)
{
	if (b->n + 2 <= b->cap) {
		b->p[b->n++] = c;
		b->p[b->n] = '\0';
		return 0;
	}
	return mmr_buf_addc_slow(b, c);
}
/* Append p[0..n) with every LF not preceded by CR written as CRLF. */
int mmr_buf_add_crlf(mmr_buf *b, const char *p, size_t n);
int mmr_buf_printf(mmr_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Character set conversion to UTF-8 with detection (charset.c). */
typedef struct mmr_charsets mmr_charsets;
mmr_charsets *mmr_charsets_new(void);
void mmr_charsets_free(mmr_charsets *cs);
enum { MMR_CS_DECLARED = 0, MMR_CS_GUESSED = 1, MMR_CS_LOSSY = 2 };
/* Append in[0..len) as UTF-8 to out. `declared` (may be NULL) is the charset
 * the part names. Returns MMR_CS_DECLARED when the declared charset (or
 * ASCII / UTF-8) decoded it, MMR_CS_GUESSED when detection did, MMR_CS_LOSSY
 * when nothing did and undecodable bytes became U+FFFD; -1 on ENOMEM. */
int mmr_charsets_to_utf8(mmr_charsets *cs, const char *declared, const char *in, size_t len,
			 mmr_buf *out);

/* HTML to readable text (html.c): paragraphs and line breaks kept, scripts
 * and styles dropped, links as text with the URL made non-clickable, images
 * as their alt text. html is UTF-8. Appends to out; -1 on ENOMEM. */
typedef struct mmr_html mmr_html;
mmr_html *mmr_html_new(void);
void mmr_html_free(mmr_html *h);
int mmr_html_to_text(mmr_html *h, const char *html, size_t len, mmr_buf *out);

/* "https://example.com/a" → "hxxps://example[.]com/a" appended to out. */
int mmr_mail_defang_url(const char *url, mmr_buf *out);

#endif
