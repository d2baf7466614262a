/*
 * csv.h — the CSV reader behind `mamori import` (UTF-8 or CP932 in, UTF-8
 * fields out, RFC 4180, bounded) and the writer behind CSV export (UTF-8
 * with BOM for Excel, formula injection neutralised).
 */
#ifndef MMR_CSV_H
#define MMR_CSV_H

#include <stddef.h>
#include <stdio.h>

#include "mamori.h"

/* ---- reading ---------------------------------------------------------------- */

struct mmr_csv_limits {
	size_t max_bytes;	/* whole input, BOM included */
	size_t max_rows;	/* records passed to the callback, header included */
	size_t max_fields;	/* fields in one record */
	size_t max_field_bytes; /* one field, in UTF-8 bytes after unquoting and conversion */
};

/* The limits used when mmr_csv_parse is given NULL. */
#define MMR_CSV_DEFAULT_MAX_BYTES ((size_t)64 << 20)
#define MMR_CSV_DEFAULT_MAX_ROWS ((size_t)1000000)
#define MMR_CSV_DEFAULT_MAX_FIELDS ((size_t)256)
#define MMR_CSV_DEFAULT_MAX_FIELD_BYTES ((size_t)64 << 10)

/* Called once per record. `row` is 1-based and counts the header as row 1
 * and every record as one row, as a spreadsheet numbers them (a quoted
 * field's newlines do not start a row; a blank line is a row, but is not
 * passed on). fields[0..nfields) are UTF-8, NUL-terminated, without a NUL
 * inside, and valid only during the call. Return MMR_OK to go on; any other
 * value stops parsing and is returned by mmr_csv_parse as it is, with err as
 * the callback left it. */
typedef int (*mmr_csv_row_fn)(void *ud, size_t row, size_t nfields, const char *const *fields,
			      mmr_error *err);

/* Parse buf[0..len) and call fn for each record, in order.
 *
 * Encoding: UTF-8 (a leading BOM is skipped) when the whole input is valid
 * UTF-8; otherwise CP932 (Shift_JIS with the NEC and IBM extensions: ①, ㈱,
 * 髙, 﨑 …), converted to UTF-8 with glibc iconv. Input that is mostly valid
 * UTF-8 (more valid multi-byte sequences than invalid bytes, or a BOM) is
 * taken as damaged UTF-8 rather than re-read as CP932. Refused with
 * MMR_EINVAL and a message naming the row, column and byte offset (0-based,
 * in buf) of the first bad byte: input that is neither; NUL bytes; CP932
 * user-defined characters (外字, lead bytes 0xF0–0xF9), which have no
 * meaning outside the PC that defined them.
 *
 * Syntax: RFC 4180 — fields separated by commas; a field in double quotes
 * may hold commas, newlines and "" for a quote; records end with CRLF, LF or
 * a lone CR; the last record may lack its newline. A quote inside an
 * unquoted field, text after a closing quote, and a quote not closed by the
 * end of the input are MMR_EINVAL (the last naming the row where the quote
 * began). Nothing is trimmed.
 *
 * limits NULL means the MMR_CSV_DEFAULT_* limits; any exceeded is
 * MMR_ELIMIT with a message naming the limit and the row. On any error,
 * records already passed to fn stay passed: a caller that must import all
 * or nothing collects first and writes after MMR_OK.
 *
 * Returns MMR_OK, MMR_EINVAL, MMR_ELIMIT, MMR_ENOMEM, or fn's own code. */
int mmr_csv_parse(const char *buf, size_t len, const struct mmr_csv_limits *limits,
		  mmr_csv_row_fn fn, void *ud, mmr_error *err);

/* ---- writing ---------------------------------------------------------------- */

/* Write the UTF-8 byte order mark (EF BB BF) that makes Excel read the file
 * as UTF-8; once, at the start of the file. MMR_OK or MMR_EIO. */
int mmr_csv_bom(FILE *f);

/* Write one record of ncols fields (NULL = empty field) terminated by CRLF.
 * A field is quoted when it holds a comma, quote, CR or LF (quotes doubled),
 * and a record of one empty field is written "" (not a blank line, which
 * the reader skips).
 * Formula injection (CWE-1236): a field starting with = + - @ TAB or CR gets
 * a leading apostrophe ("=1+1" is written '=1+1, "-5" as '-5), so Excel and
 * LibreOffice show it as text instead of evaluating it; a reader of the file
 * sees the apostrophe. Fields are written as given (they are expected to be
 * UTF-8). MMR_OK or MMR_EIO. */
int mmr_csv_write_bom(FILE *f, size_t ncols, const char *const *fields);

#endif
