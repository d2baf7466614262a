/*
 * text.c — plain text and CSV: the charset is found (uchardet), the text
 * converted to UTF-8 (iconv) and checked; NUL bytes or text that does not
 * convert are refused. A byte-order mark is dropped.
 */
#include <errno.h>
#include <iconv.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <uchardet.h>

#include "sanitize/sanitize_int.h"
#include "util/utf8.h"

/* true when all of data converts from charset cs to UTF-8. */
static bool converts(const unsigned char *data, size_t len, const char *cs)
{
	iconv_t cd = iconv_open("UTF-8", cs);
	if (cd == (iconv_t)-1)
		return false;
	char buf[4096];
	char *in = (char *)data;
	size_t il = len;
	bool ok = true;
	while (il && ok) {
		char *o = buf;
		size_t ol = sizeof buf;
		if (iconv(cd, &in, &il, &o, &ol) == (size_t)-1 && errno != E2BIG)
			ok = false;
	}
	iconv_close(cd);
	return ok;
}

/* CSV cells that a spreadsheet would run as DDE (=cmd|' /c calc'!A0, also
 * after + - @) get a leading apostrophe, so they open as text. Returns a
 * new malloc'd buffer (its length into *len), NULL without memory. */
static char *csv_defuse(san_ctx *c, const char *in, size_t *len)
{
	size_t n = *len, o = 0;
	char *out = malloc(n * 2 + 1);
	if (!out)
		return NULL;
	size_t i = 0;
	while (i <= n) {
		/* One field: [start, end), quoted or not. */
		bool quoted = i < n && in[i] == '"';
		size_t start = i + quoted, end = start;
		if (quoted) {
			while (end < n && !(in[end] == '"' && (end + 1 >= n || in[end + 1] != '"')))
				end += in[end] == '"' ? 2 : 1;
		} else {
			while (end < n && in[end] != ',' && in[end] != '\n' && in[end] != '\r')
				end++;
		}
		size_t stop = end < n ? end : n;
		bool formula = start < stop && strchr("=+-@", in[start]);
		bool dde = formula && memchr(in + start, '|', stop - start) &&
			   memchr(in + start, '!', stop - start);
		memcpy(out + o, in + i, start - i);
		o += start - i;
		if (dde) {
			out[o++] = '\'';
			san_removed(c, "dde_formula", NULL);
		}
		/* The rest of the field and the delimiter that ends it. */
		size_t next = quoted ? (end < n ? end + 1 : n) : end;
		while (next < n && in[next] != ',' && in[next] != '\n' && in[next] != '\r')
			next++;
		if (next < n)
			next++;
		else
			next = n;
		memcpy(out + o, in + start, next - start);
		o += next - start;
		if (next >= n)
			break;
		i = next;
	}
	out[o] = '\0';
	*len = o;
	return out;
}

int san_text(san_ctx *c, const unsigned char *data, size_t len)
{
	/* Text keeps the extension it came with when that is a text one. */
	static const char *const keep[] = {"txt", "csv", "tsv", "text", "log", "md"};
	/* CSV by content or by name: defusing DDE cells harms no text. */
	bool csv = !strcmp(c->res->type, "csv") || !strcmp(c->res->declared_ext, "csv");
	snprintf(c->res->ext, sizeof c->res->ext, "%s", csv ? "csv" : "txt");
	for (size_t i = 0; i < sizeof keep / sizeof keep[0]; i++)
		if (!strcmp(c->res->declared_ext, keep[i]))
			snprintf(c->res->ext, sizeof c->res->ext, "%s", keep[i]);
	const char *cs = "UTF-8";
	char found[64] = "";
	bool utf16 = len >= 2 &&
		     ((data[0] == 0xFF && data[1] == 0xFE) || (data[0] == 0xFE && data[1] == 0xFF));
	if (utf16) {
		cs = data[0] == 0xFF ? "UTF-16LE" : "UTF-16BE";
		data += 2; /* the byte-order mark */
		len -= 2;
	} else if (memchr(data, '\0', len)) {
		return san_refuse(c, "テキストに NUL 文字があります（バイナリの疑い）");
	}
	if (!utf16 && mmr_utf8_valid_prefix((const char *)data, len) != len) {
		uchardet_t u = uchardet_new();
		if (!u)
			return MMR_ENOMEM;
		uchardet_handle_data(u, (const char *)data, len);
		uchardet_data_end(u);
		snprintf(found, sizeof found, "%s", uchardet_get_charset(u));
		uchardet_delete(u);
		/* Files here are mostly Japanese: a short Shift_JIS text is easily
		 * taken for a Western charset, so CP932 is tried first unless the
		 * detector named a Japanese or Unicode one. */
		if (!strcasecmp(found, "SHIFT_JIS") || !found[0] ||
		    !strncasecmp(found, "WINDOWS-125", 11) || !strncasecmp(found, "ISO-8859", 8) ||
		    !strcasecmp(found, "ASCII"))
			cs = converts(data, len, "CP932") ? "CP932" : found;
		else
			cs = found;
		if (!cs[0] || !strcasecmp(cs, "ASCII"))
			return san_refuse(c,
					  "テキストの文字コードを判定できません (unknown charset)");
	}
	const unsigned char *src = data;
	size_t srclen = len;
	if (srclen >= 3 && !memcmp(src, "\xEF\xBB\xBF", 3) && !strcmp(cs, "UTF-8")) {
		src += 3;
		srclen -= 3;
		san_note(c, "BOM を除きました");
	}
	size_t cap = srclen * 4 + 16;
	char *out = malloc(cap);
	if (!out)
		return MMR_ENOMEM;
	size_t outlen;
	if (!strcmp(cs, "UTF-8")) {
		memcpy(out, src, srclen);
		outlen = srclen;
	} else {
		iconv_t cd = iconv_open("UTF-8", cs);
		if (cd == (iconv_t)-1) {
			free(out);
			return san_refuse(c, "文字コード %s を変換できません", cs);
		}
		char *in = (char *)src, *o = out;
		size_t il = srclen, ol = cap;
		size_t r = iconv(cd, &in, &il, &o, &ol);
		iconv_close(cd);
		if (r == (size_t)-1) {
			free(out);
			return san_refuse(c, "テキストを %s から UTF-8 に変換できません", cs);
		}
		outlen = (size_t)(o - out);
		san_note(c, "文字コード %s を UTF-8 に変換しました", cs);
	}
	if (mmr_utf8_valid_prefix(out, outlen) != outlen || memchr(out, '\0', outlen)) {
		free(out);
		return san_refuse(c, "テキストが正しい UTF-8 になりません");
	}
	if (csv) {
		char *n = csv_defuse(c, out, &outlen);
		free(out);
		if (!n)
			return MMR_ENOMEM;
		out = n;
	}
	c->res->out = (unsigned char *)out;
	c->res->out_len = outlen;
	return MMR_OK;
}
