/*
 * sanitize.h — file sanitization (ファイル無害化, content disarm and
 * reconstruction) before a file crosses from the Internet-connected segment
 * into LGWAN (issue 8).
 *
 * The type of a file is found from its content (libmagic), never from its
 * name. Office Open XML, PDF, PNG/JPEG/GIF and plain text/CSV are rebuilt
 * without their active content; everything else is refused with a reason
 * in Japanese. Hostile input is refused within fixed size and time limits.
 *
 *     mmr_sanitizer *s; mmr_sanitize_result *r; mmr_error err;
 *     mmr_sanitizer_new(&opts, &s, &err);
 *     mmr_sanitize_buffer(s, "a.docm", data, len, &r, &err);
 *     if (mmr_sanitize_result_ok(r)) write mmr_sanitize_result_data(r, &n);
 *     char *json = mmr_sanitize_result_json(r, "a.docm", "a.docx");
 *     free(json); mmr_sanitize_result_free(r); mmr_sanitizer_free(s);
 */
#ifndef MMR_SANITIZE_H
#define MMR_SANITIZE_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "mamori.h"

/* Limits and choices. Zero fields take the defaults below. */
typedef struct mmr_sanitize_opts {
	size_t max_input_bytes; /* larger inputs are refused (default 100 MiB) */
	double max_seconds;	/* work on one file stops after this (default 60 s) */
	bool remove_links;	/* also remove hyperlinks / PDF URI actions */
	bool flatten;		/* PDF: render every page to an image-only PDF */
	int flatten_dpi;	/* resolution of --flatten (default 150) */
} mmr_sanitize_opts;

#define MMR_SANITIZE_DEFAULT_MAX_INPUT (100u * 1024u * 1024u)
#define MMR_SANITIZE_DEFAULT_MAX_SECONDS 60.0

typedef struct mmr_sanitizer mmr_sanitizer;
typedef struct mmr_sanitize_result mmr_sanitize_result;

/* A sanitizer holds the loaded libmagic database; reuse it for many files
 * (one thread at a time). Free with mmr_sanitizer_free(). */
int mmr_sanitizer_new(const mmr_sanitize_opts *opts, mmr_sanitizer **out, mmr_error *err);
void mmr_sanitizer_free(mmr_sanitizer *s);

/* Sanitize one file held in memory. `name` is the name it arrived with
 * (used only to report a name that lies about the type; may be NULL).
 * Returns MMR_OK with *out set whether the file was sanitized or refused
 * (see mmr_sanitize_result_ok); MMR_ENOMEM / MMR_EINVAL otherwise, with
 * *out NULL. The caller frees *out with mmr_sanitize_result_free(). */
int mmr_sanitize_buffer(mmr_sanitizer *s, const char *name, const unsigned char *data, size_t len,
			mmr_sanitize_result **out, mmr_error *err);

/* true when the file was rebuilt and may pass; false when refused. */
bool mmr_sanitize_result_ok(const mmr_sanitize_result *r);
/* Why the file was refused (Japanese, one line); "" when it was not. */
const char *mmr_sanitize_result_reason(const mmr_sanitize_result *r);
/* The type found from the content: "docx", "xlsx", "pptx", "pdf", "png",
 * "jpeg", "gif", "text", "csv", or a short word for what was refused. */
const char *mmr_sanitize_result_type(const mmr_sanitize_result *r);
/* The file name extension the output must carry ("docx" for a docm…),
 * "" when refused. */
const char *mmr_sanitize_result_extension(const mmr_sanitize_result *r);
/* true when the name's extension does not match the content. */
bool mmr_sanitize_result_name_mismatch(const mmr_sanitize_result *r);
/* Total count of things removed. */
size_t mmr_sanitize_result_removed_count(const mmr_sanitize_result *r);
/* "vba_project ×1, activex ×2" into buf (truncated to cap, "" when
 * nothing was removed). */
void mmr_sanitize_result_removed_summary(const mmr_sanitize_result *r, char *buf, size_t cap);
/* The sanitized bytes (owned by r), NULL when refused. */
const unsigned char *mmr_sanitize_result_data(const mmr_sanitize_result *r, size_t *len);

/* The report — also the audit-log record — as one line of JSON (malloc'd;
 * free()): type found, name check, what was removed (kind, count, part
 * names), SHA-256 before and after, sizes, verdict and reason. `input` and
 * `output` are the paths to name in it (output may be NULL). */
char *mmr_sanitize_result_json(const mmr_sanitize_result *r, const char *input, const char *output);

/* The same report as a jansson object (a new reference). */
json_t *mmr_sanitize_result_report(const mmr_sanitize_result *r, const char *input,
				   const char *output);
/* SHA-256 (hex, 64 characters and NUL) of the input, and of the output
 * ("" when refused). */
void mmr_sanitize_result_sha256(const mmr_sanitize_result *r, char before[65], char after[65]);

void mmr_sanitize_result_free(mmr_sanitize_result *r);

/* The file name `name` with its extension replaced by `ext` (malloc'd). */
char *mmr_sanitize_rename(const char *name, const char *ext);

#endif
