/*
 * buf.h — a growing text buffer, and PostgreSQL array literals written into
 * one (the bulk statements of the import and of the audit log pass a column
 * of a thousand rows as one text parameter: {"a","b",NULL}), or the rows of
 * a COPY in text format.
 *
 * A failed allocation sets `oom` and makes every later write a no-op, so a
 * writer checks once at the end. The text is always NUL-terminated.
 */
#ifndef MMR_UTIL_BUF_H
#define MMR_UTIL_BUF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

struct mmr_buf {
	char *p;
	size_t len, cap;
	bool oom;
};

/* Room for `more` bytes and the NUL after len (or oom). */
void mmr_buf_grow(struct mmr_buf *b, size_t more);
void mmr_buf_put(struct mmr_buf *b, const char *s, size_t n);
static inline void mmr_buf_str(struct mmr_buf *b, const char *s)
{
	mmr_buf_put(b, s, strlen(s));
}

/* One element of a PostgreSQL array literal (text format): a string in
 * double quotes with " and \ escaped, NULL for a NULL pointer; an integer. */
void mmr_buf_arr_text(struct mmr_buf *b, const char *s);
void mmr_buf_arr_int(struct mmr_buf *b, int64_t v);
/* The literal closed ("{}" when it has no element): its text, or NULL when
 * out of memory. */
const char *mmr_buf_arr_done(struct mmr_buf *b);

/* One field of a row of PostgreSQL's COPY text format, followed by a tab:
 * text with backslash, tab, newline and carriage return escaped, \N for a
 * NULL pointer; an integer. mmr_buf_copy_row ends the row (its last tab
 * becomes the newline). */
void mmr_buf_copy_text(struct mmr_buf *b, const char *s);
void mmr_buf_copy_int(struct mmr_buf *b, int64_t v);
void mmr_buf_copy_row(struct mmr_buf *b);

#endif
