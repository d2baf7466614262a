/*
 * buf.c — a growing text buffer and PostgreSQL array literals (see buf.h).
 */
#include "util/buf.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

void mmr_buf_grow(struct mmr_buf *b, size_t more)
{
	if (b->oom || b->len + more + 1 <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < b->len + more + 1)
		cap *= 2;
	char *n = realloc(b->p, cap);
	if (!n) {
		b->oom = true;
		return;
	}
	b->p = n;
	b->cap = cap;
}

void mmr_buf_put(struct mmr_buf *b, const char *s, size_t n)
{
	mmr_buf_grow(b, n);
	if (b->oom)
		return;
	memcpy(b->p + b->len, s, n);
	b->len += n;
	b->p[b->len] = 0;
}

static void arr_sep(struct mmr_buf *b)
{
	mmr_buf_put(b, b->len ? "," : "{", 1);
}

void mmr_buf_arr_text(struct mmr_buf *b, const char *s)
{
	arr_sep(b);
	if (!s) {
		mmr_buf_put(b, "NULL", 4);
		return;
	}
	mmr_buf_put(b, "\"", 1);
	const char *run = s;
	for (const char *p = s; *p; p++)
		if (*p == '"' || *p == '\\') {
			mmr_buf_put(b, run, (size_t)(p - run));
			mmr_buf_put(b, "\\", 1);
			run = p;
		}
	mmr_buf_str(b, run);
	mmr_buf_put(b, "\"", 1);
}

void mmr_buf_arr_int(struct mmr_buf *b, int64_t v)
{
	char num[24];
	arr_sep(b);
	mmr_buf_put(b, num, (size_t)snprintf(num, sizeof num, "%" PRId64, v));
}

const char *mmr_buf_arr_done(struct mmr_buf *b)
{
	if (!b->len)
		mmr_buf_put(b, "{", 1);
	mmr_buf_put(b, "}", 1);
	return b->oom ? NULL : b->p;
}

void mmr_buf_copy_text(struct mmr_buf *b, const char *s)
{
	if (!s) {
		mmr_buf_put(b, "\\N\t", 3);
		return;
	}
	const char *run = s;
	for (const char *p = s; *p; p++) {
		const char *esc = *p == '\\'   ? "\\\\"
				  : *p == '\t' ? "\\t"
				  : *p == '\n' ? "\\n"
				  : *p == '\r' ? "\\r"
					       : NULL;
		if (esc) {
			mmr_buf_put(b, run, (size_t)(p - run));
			mmr_buf_put(b, esc, 2);
			run = p + 1;
		}
	}
	mmr_buf_str(b, run);
	mmr_buf_put(b, "\t", 1);
}

void mmr_buf_copy_int(struct mmr_buf *b, int64_t v)
{
	char num[24];
	mmr_buf_put(b, num, (size_t)snprintf(num, sizeof num, "%" PRId64 "\t", v));
}

void mmr_buf_copy_row(struct mmr_buf *b)
{
	if (!b->oom && b->len && b->p[b->len - 1] == '\t')
		b->p[b->len - 1] = '\n';
}
