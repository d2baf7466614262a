/*
 * csv.c — the CSV import reader: encoding detection (UTF-8 / CP932 through
 * glibc iconv), an RFC 4180 state machine over UTF-8, limits on everything.
 */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "csv/csv.h"
#include "util/utf8.h"

static void set_err(mmr_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void set_err(mmr_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

static int no_memory(mmr_error *err)
{
	set_err(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
	return MMR_ENOMEM;
}

/* ---- where a byte is ----------------------------------------------------------- */

struct place {
	size_t row, col;
};

/* The row and column (both 1-based, as the parser counts them) of byte
 * `off` of the raw input. The structural bytes (" , CR LF) mean the same in
 * UTF-8 and CP932 (CP932 trail bytes are 0x40–0xFC), so this works on the
 * bytes before any conversion. */
static struct place locate(const char *buf, size_t off)
{
	struct place pl = {1, 1};
	bool quoted = false;
	for (size_t i = 0; i < off; i++) {
		char c = buf[i];
		if (c == '"') {
			quoted = !quoted;
		} else if (quoted) {
			continue;
		} else if (c == ',') {
			pl.col++;
		} else if (c == '\n' || c == '\r') {
			if (c == '\r' && i + 1 < off && buf[i + 1] == '\n')
				i++;
			pl.row++;
			pl.col = 1;
		}
	}
	return pl;
}

/* ---- encodings ------------------------------------------------------------------ */

/* Counts over buf read as UTF-8: valid multi-byte sequences and bytes that
 * start no valid sequence. */
static void utf8_stats(const char *buf, size_t len, size_t *multi, size_t *bad)
{
	*multi = *bad = 0;
	for (size_t i = 0; i < len;) {
		if ((unsigned char)buf[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t l = mmr_utf8_decode(buf + i, len - i, &cp);
		if (l) {
			(*multi)++;
			i += l;
		} else {
			(*bad)++;
			i++;
		}
	}
}

/* Offset of the first NUL in buf, or len. */
static size_t find_nul(const char *buf, size_t len)
{
	const char *z = memchr(buf, '\0', len);
	return z ? (size_t)(z - buf) : len;
}

static int bad_byte(mmr_error *err, const char *buf, size_t off, const char *what)
{
	struct place pl = locate(buf, off);
	set_err(err, MMR_EINVAL, "CSV の %zu 行目 %zu 列目（オフセット %zu）: %s 0x%02X (EINVAL)",
		pl.row, pl.col, off, what, (unsigned char)buf[off]);
	return MMR_EINVAL;
}

/* Offset of the first CP932 user-defined character (lead byte 0xF0–0xF9),
 * walking character by character, or len. */
static size_t find_gaiji(const char *buf, size_t len)
{
	for (size_t i = 0; i < len;) {
		unsigned char c = (unsigned char)buf[i];
		bool lead = (c >= 0x81 && c <= 0x9F) || (c >= 0xE0 && c <= 0xFC);
		if (c >= 0xF0 && c <= 0xF9 && i + 1 < len)
			return i;
		i += lead ? 2 : 1;
	}
	return len;
}

/* Convert CP932 buf[0..len) to UTF-8 in a malloc'd *out (*outlen bytes,
 * NUL-terminated). On a byte iconv refuses, *bad is its offset and the
 * result MMR_EINVAL; MMR_EIO when iconv has no CP932; MMR_ENOMEM. No
 * message is set. */
static int cp932_to_utf8(const char *buf, size_t len, char **out, size_t *outlen, size_t *bad)
{
	iconv_t cd = iconv_open("UTF-8", "CP932");
	if (cd == (iconv_t)-1)
		return MMR_EIO;
	size_t cap = len + len / 2 + 16;
	char *o = malloc(cap);
	if (!o) {
		iconv_close(cd);
		return MMR_ENOMEM;
	}
	char *in = (char *)buf;
	size_t inleft = len, used = 0;
	int rc = MMR_OK;
	while (inleft > 0) {
		char *op = o + used;
		size_t oleft = cap - used - 1;
		size_t r = iconv(cd, &in, &inleft, &op, &oleft);
		used = (size_t)(op - o);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG) {
			size_t ncap = cap * 2;
			char *n = ncap > cap ? realloc(o, ncap) : NULL;
			if (!n) {
				rc = MMR_ENOMEM;
				break;
			}
			o = n;
			cap = ncap;
			continue;
		}
		*bad = (size_t)(in - buf); /* EILSEQ, or EINVAL: truncated at the end */
		rc = MMR_EINVAL;
		break;
	}
	iconv_close(cd);
	if (rc != MMR_OK) {
		free(o);
		return rc;
	}
	o[used] = '\0';
	*out = o;
	*outlen = used;
	return MMR_OK;
}

/* ---- the parser ------------------------------------------------------------------ */

struct parser {
	const struct mmr_csv_limits *lim;
	mmr_csv_row_fn fn;
	void *ud;
	mmr_error *err;
	char *text; /* this record's fields, each NUL-terminated */
	size_t text_len, text_cap;
	size_t *starts; /* offsets of the fields in text */
	const char **ptrs;
	size_t nfields, fields_cap;
	size_t records; /* passed to fn so far */
};

static int grow_text(struct parser *p, size_t need)
{
	if (p->text_len + need <= p->text_cap)
		return MMR_OK;
	size_t cap = p->text_cap ? p->text_cap : 4096;
	while (cap < p->text_len + need)
		cap *= 2;
	char *t = realloc(p->text, cap);
	if (!t)
		return no_memory(p->err);
	p->text = t;
	p->text_cap = cap;
	return MMR_OK;
}

static int field_too_long(struct parser *p, size_t row)
{
	set_err(p->err, MMR_ELIMIT,
		"CSV の %zu 行目 %zu 列目: フィールドが長すぎます（上限 %zu バイト） (ELIMIT)", row,
		p->nfields + 1, p->lim->max_field_bytes);
	return MMR_ELIMIT;
}

/* Append s[0..n) to the current field (which began at text offset start). */
static int put(struct parser *p, size_t row, size_t start, const char *s, size_t n)
{
	if (p->text_len - start + n > p->lim->max_field_bytes)
		return field_too_long(p, row);
	int rc = grow_text(p, n + 1);
	if (rc)
		return rc;
	memcpy(p->text + p->text_len, s, n);
	p->text_len += n;
	return MMR_OK;
}

static int end_field(struct parser *p, size_t row, size_t start)
{
	if (p->nfields >= p->lim->max_fields) {
		set_err(p->err, MMR_ELIMIT,
			"CSV の %zu 行目: 列が多すぎます（上限 %zu 列） (ELIMIT)", row,
			p->lim->max_fields);
		return MMR_ELIMIT;
	}
	int rc = grow_text(p, 1);
	if (rc)
		return rc;
	p->text[p->text_len++] = '\0';
	if (p->nfields == p->fields_cap) {
		size_t cap = p->fields_cap ? p->fields_cap * 2 : 16;
		size_t *s = realloc(p->starts, cap * sizeof(*s));
		if (!s)
			return no_memory(p->err);
		p->starts = s;
		const char **q = realloc(p->ptrs, cap * sizeof(*q));
		if (!q)
			return no_memory(p->err);
		p->ptrs = q;
		p->fields_cap = cap;
	}
	p->starts[p->nfields++] = start;
	return MMR_OK;
}

static int end_record(struct parser *p, size_t row)
{
	if (p->records >= p->lim->max_rows) {
		set_err(p->err, MMR_ELIMIT,
			"CSV の行が多すぎます（上限 %zu 行、%zu 行目で超えました） (ELIMIT)",
			p->lim->max_rows, row);
		return MMR_ELIMIT;
	}
	for (size_t i = 0; i < p->nfields; i++)
		p->ptrs[i] = p->text + p->starts[i];
	p->records++;
	return p->fn(p->ud, row, p->nfields, (const char *const *)p->ptrs, p->err);
}

/* Run the RFC 4180 state machine over valid UTF-8 s[0..n). */
static int parse_utf8(struct parser *p, const char *s, size_t n)
{
	size_t i = 0, row = 1;
	int rc;
	while (i < n) {
		if (s[i] == '\n' || s[i] == '\r') { /* blank line: a row, not a record */
			i += (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
			row++;
			continue;
		}
		p->text_len = 0;
		p->nfields = 0;
		for (;;) { /* one field per turn */
			size_t start = p->text_len;
			if (i < n && s[i] == '"') {
				i++;
				for (;;) {
					const char *q = memchr(s + i, '"', n - i);
					if (!q) {
						set_err(p->err, MMR_EINVAL,
							"CSV の %zu 行目 %zu 列目で始まる引用符 "
							"(\") "
							"が閉じられていません (EINVAL)",
							row, p->nfields + 1);
						return MMR_EINVAL;
					}
					size_t k = (size_t)(q - s);
					if ((rc = put(p, row, start, s + i, k - i)))
						return rc;
					i = k + 1;
					if (i < n && s[i] == '"') {
						if ((rc = put(p, row, start, "\"", 1)))
							return rc;
						i++;
						continue;
					}
					break;
				}
				if (i < n && s[i] != ',' && s[i] != '\r' && s[i] != '\n') {
					set_err(p->err, MMR_EINVAL,
						"CSV の %zu 行目 %zu 列目: 閉じ引用符 (\") "
						"の後に文字があります (EINVAL)",
						row, p->nfields + 1);
					return MMR_EINVAL;
				}
			} else {
				size_t k = i;
				while (k < n && s[k] != ',' && s[k] != '\n' && s[k] != '\r' &&
				       s[k] != '"')
					k++;
				if (k < n && s[k] == '"') {
					set_err(p->err, MMR_EINVAL,
						"CSV の %zu 行目 %zu 列目: 引用符で囲まれていない"
						"フィールドの途中に引用符 (\") があります (EINVAL)",
						row, p->nfields + 1);
					return MMR_EINVAL;
				}
				if ((rc = put(p, row, start, s + i, k - i)))
					return rc;
				i = k;
			}
			if ((rc = end_field(p, row, start)))
				return rc;
			if (i < n && s[i] == ',') {
				i++;
				continue;
			}
			break;
		}
		if ((rc = end_record(p, row)))
			return rc;
		if (i < n)
			i += (s[i] == '\r' && i + 1 < n && s[i + 1] == '\n') ? 2 : 1;
		row++;
	}
	return MMR_OK;
}

int mmr_csv_parse(const char *buf, size_t len, const struct mmr_csv_limits *limits,
		  mmr_csv_row_fn fn, void *ud, mmr_error *err)
{
	static const struct mmr_csv_limits defaults = {
		MMR_CSV_DEFAULT_MAX_BYTES, MMR_CSV_DEFAULT_MAX_ROWS, MMR_CSV_DEFAULT_MAX_FIELDS,
		MMR_CSV_DEFAULT_MAX_FIELD_BYTES};
	const struct mmr_csv_limits *lim = limits ? limits : &defaults;
	if ((!buf && len) || !fn) {
		set_err(err, MMR_EINVAL, "CSV の入力がありません (EINVAL)");
		return MMR_EINVAL;
	}
	if (len == 0)
		return MMR_OK;
	if (len > lim->max_bytes) {
		set_err(err, MMR_ELIMIT,
			"CSV ファイルが大きすぎます（%zu バイト、上限 %zu バイト） (ELIMIT)", len,
			lim->max_bytes);
		return MMR_ELIMIT;
	}
	size_t nul = find_nul(buf, len);
	if (nul < len)
		return bad_byte(err, buf, nul, "NUL 文字があります");

	bool bom = len >= 3 && !memcmp(buf, "\xEF\xBB\xBF", 3);
	const char *text = buf + (bom ? 3 : 0);
	size_t tlen = len - (bom ? 3 : 0);
	char *converted = NULL;
	size_t bad = mmr_utf8_valid_prefix(text, tlen);
	if (bad < tlen) {
		size_t multi, invalid;
		utf8_stats(text, tlen, &multi, &invalid);
		if (bom || multi > invalid)
			return bad_byte(err, buf, bad + (bom ? 3 : 0),
					"UTF-8 として正しくないバイトがあります");
		/* the first of: a byte iconv refuses, a 外字 before it */
		size_t g = find_gaiji(buf, len);
		int rc = cp932_to_utf8(buf, len, &converted, &tlen, &bad);
		if (rc == MMR_ENOMEM)
			return no_memory(err);
		if (rc == MMR_EIO) {
			set_err(err, MMR_EIO,
				"CP932 から UTF-8 への変換 (iconv) を開けません: glibc の gconv "
				"モジュールを確認してください (EIO)");
			return MMR_EIO;
		}
		if (g < len && (rc == MMR_OK || g < bad)) {
			free(converted);
			struct place pl = locate(buf, g);
			set_err(err, MMR_EINVAL,
				"CSV の %zu 行目 %zu 列目（オフセット %zu）: Shift_JIS の外字"
				"（利用者定義文字 0x%02X%02X）は取り込めません (EINVAL)",
				pl.row, pl.col, g, (unsigned char)buf[g],
				(unsigned char)buf[g + 1]);
			return MMR_EINVAL;
		}
		if (rc == MMR_EINVAL)
			return bad_byte(err, buf, bad,
					"UTF-8 でも Shift_JIS (CP932) でもないバイトがあります");
		text = converted;
	}

	struct parser p = {.lim = lim, .fn = fn, .ud = ud, .err = err};
	int rc = parse_utf8(&p, text, tlen);
	free(p.text);
	free(p.starts);
	free(p.ptrs);
	free(converted);
	return rc;
}

/* ---- writing ---------------------------------------------------------------------- */

int mmr_csv_bom(FILE *f)
{
	return fwrite("\xEF\xBB\xBF", 1, 3, f) == 3 ? MMR_OK : MMR_EIO;
}

int mmr_csv_write_bom(FILE *f, size_t ncols, const char *const *fields)
{
	for (size_t c = 0; c < ncols; c++) {
		const char *v = fields && fields[c] ? fields[c] : "";
		if (c && fputc(',', f) == EOF)
			return MMR_EIO;
		bool formula = v[0] && strchr("=+-@\t\r", v[0]);
		/* a lone empty field is "" so that the record is not a blank line */
		bool quote = strpbrk(v, ",\"\r\n") != NULL || (ncols == 1 && !v[0]);
		if (quote && fputc('"', f) == EOF)
			return MMR_EIO;
		if (formula && fputc('\'', f) == EOF)
			return MMR_EIO;
		for (const char *s = v; *s; s++) {
			if (*s == '"' && fputc('"', f) == EOF)
				return MMR_EIO;
			if (fputc(*s, f) == EOF)
				return MMR_EIO;
		}
		if (quote && fputc('"', f) == EOF)
			return MMR_EIO;
	}
	return fputs("\r\n", f) == EOF ? MMR_EIO : MMR_OK;
}
