/*
 * sanitize_int.h — shared by the files of src/sanitize/ (and its tests and
 * fuzz targets). Each format's sanitizer takes the input bytes and a
 * context; it either sets ctx->res->out (malloc'd) and returns MMR_OK, or
 * calls san_refuse() and returns MMR_EDENIED, or returns MMR_ENOMEM.
 */
#ifndef MMR_SANITIZE_INT_H
#define MMR_SANITIZE_INT_H

#include <jansson.h>
#include <stdarg.h>

#include "sanitize/sanitize.h"

struct mmr_sanitize_result {
	char type[16];	       /* what the content is */
	char mime[128];	       /* what libmagic said */
	char ext[8];	       /* extension of the output */
	char declared_ext[16]; /* extension of the name it came with */
	bool name_mismatch;
	bool sanitized;
	char reason[512];
	unsigned char *out;
	size_t out_len, in_len;
	unsigned char sha_before[32], sha_after[32];
	json_t *removed; /* kind → {"count": n, "parts": [...]} */
	json_t *notes;	 /* array of strings */
	double seconds;
	int pages;
};

typedef struct san_ctx {
	mmr_sanitize_opts opts;
	double deadline; /* monotonic seconds */
	mmr_sanitize_result *res;
} san_ctx;

/* Record that one `kind` thing was removed, from `part` (may be NULL). */
void san_removed(san_ctx *c, const char *kind, const char *part);
/* A free-text note for the report. */
void san_note(san_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Set the refusal reason; returns MMR_EDENIED. */
int san_refuse(san_ctx *c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* true (and the reason set) once the time limit has passed. */
bool san_timed_out(san_ctx *c);
double san_now(void);

int san_ooxml(san_ctx *c, const unsigned char *data, size_t len);
int san_pdf(san_ctx *c, const unsigned char *data, size_t len);
int san_pdf_flatten(san_ctx *c, const unsigned char *data, size_t len);
int san_png(san_ctx *c, const unsigned char *data, size_t len);
int san_jpeg(san_ctx *c, const unsigned char *data, size_t len);
int san_gif(san_ctx *c, const unsigned char *data, size_t len);
int san_text(san_ctx *c, const unsigned char *data, size_t len);

/* A context for calling one format's sanitizer directly (tests, fuzzing):
 * fills *c and a fresh result; free with san_ctx_done(). */
int san_ctx_init(san_ctx *c, const mmr_sanitize_opts *opts);
void san_ctx_done(san_ctx *c);

#endif
