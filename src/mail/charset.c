/*
 * charset.c — text parts to UTF-8: the declared charset when it is true,
 * detection (uchardet) when it lies, U+FFFD and a report when nothing works.
 *
 * ISO-2022-JP is decoded here rather than by iconv, because Japanese mail
 * written as "ISO-2022-JP" routinely carries the CP50220 extensions (NEC row
 * 13: ①, ㈱, Ⅻ; NEC-selected IBM rows) that glibc's ISO-2022-JP refuses: the
 * JIS X 0208 pairs are mapped to Shift_JIS arithmetically and the result
 * decoded as CP932, which holds those extensions.
 */
#include <errno.h>
#include <iconv.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <gmime/gmime.h>
#include <uchardet/uchardet.h>

#include "mail/mail.h"

/* ---- the growable buffer -------------------------------------------------- */

static int buf_reserve(mmr_buf *b, size_t more)
{
	if (b->n + more + 1 <= b->cap)
		return 0;
	size_t cap = b->cap ? b->cap : 4096;
	while (cap < b->n + more + 1) {
		if (cap > ((size_t)-1) / 2)
			return -1;
		cap *= 2;
	}
	char *p = realloc(b->p, cap);
	if (!p)
		return -1;
	b->p = p;
	b->cap = cap;
	return 0;
}

int mmr_buf_add(mmr_buf *b, const void *p, size_t n)
{
	if (buf_reserve(b, n))
		return -1;
	if (n)
		memcpy(b->p + b->n, p, n);
	b->n += n;
	b->p[b->n] = '\0';
	return 0;
}

int mmr_buf_adds(mmr_buf *b, const char *s)
{
	return mmr_buf_add(b, s, strlen(s));
}

int mmr_buf_addc_slow(mmr_buf *b, char c)
{
	return mmr_buf_add(b, &c, 1);
}

int mmr_buf_printf(mmr_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0 || buf_reserve(b, (size_t)n))
		return -1;
	va_start(ap, fmt);
	vsnprintf(b->p + b->n, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->n += (size_t)n;
	return 0;
}

/* ---- converters ------------------------------------------------------------ */

#define CS_CACHE 16

struct mmr_charsets {
	struct {
		char name[48];
		iconv_t cd;
	} cache[CS_CACHE];
	size_t n_cache;
	uchardet_t detector;
	mmr_buf sjis; /* ISO-2022-JP rewritten as Shift_JIS */
	iconv_t pinned[16];
	size_t n_pinned;
};

/* glibc unloads a gconv module when its last descriptor closes, and GMime
 * opens and closes descriptors for every encoded word: holding one
 * descriptor per common charset keeps their modules loaded (a dlopen per
 * header otherwise). */
static const char *const pinned_names[][2] = {
	{"UTF-8", "ISO-2022-JP"}, {"UTF-8", "CP932"},	   {"UTF-8", "SHIFT_JIS"},
	{"UTF-8", "EUC-JP"},	  {"UTF-8", "ISO-8859-1"}, {"UTF-8", "UTF-8"},
	{"ISO-2022-JP", "UTF-8"}, {"UTF-8", "EUC-JP-MS"},  {"UTF-8", "CP1252"},
};

mmr_charsets *mmr_charsets_new(void)
{
	mmr_charsets *cs = calloc(1, sizeof *cs);
	if (!cs)
		return NULL;
	cs->detector = uchardet_new();
	if (!cs->detector) {
		free(cs);
		return NULL;
	}
	for (size_t i = 0; i < sizeof pinned_names / sizeof pinned_names[0]; i++) {
		iconv_t cd = iconv_open(pinned_names[i][0], pinned_names[i][1]);
		if (cd != (iconv_t)-1)
			cs->pinned[cs->n_pinned++] = cd;
	}
	return cs;
}

void mmr_charsets_free(mmr_charsets *cs)
{
	if (!cs)
		return;
	for (size_t i = 0; i < cs->n_cache; i++)
		iconv_close(cs->cache[i].cd);
	for (size_t i = 0; i < cs->n_pinned; i++)
		iconv_close(cs->pinned[i]);
	uchardet_delete(cs->detector);
	free(cs->sjis.p);
	free(cs);
}

/* An iconv descriptor from `name` to UTF-8, cached; (iconv_t)-1 when iconv
 * does not know the name. */
static iconv_t converter(mmr_charsets *cs, const char *name)
{
	for (size_t i = 0; i < cs->n_cache; i++)
		if (!strcmp(cs->cache[i].name, name)) {
			iconv(cs->cache[i].cd, NULL, NULL, NULL, NULL);
			return cs->cache[i].cd;
		}
	iconv_t cd = iconv_open("UTF-8", name);
	if (cd == (iconv_t)-1 || strlen(name) >= sizeof cs->cache[0].name)
		return cd;
	if (cs->n_cache == CS_CACHE) {
		iconv_close(cs->cache[CS_CACHE - 1].cd);
		cs->n_cache--;
	}
	snprintf(cs->cache[cs->n_cache].name, sizeof cs->cache[0].name, "%s", name);
	cs->cache[cs->n_cache++].cd = cd;
	return cd;
}

static void converter_release(mmr_charsets *cs, iconv_t cd)
{
	for (size_t i = 0; i < cs->n_cache; i++)
		if (cs->cache[i].cd == cd)
			return;
	iconv_close(cd);
}

/* Convert with cd. strict: fail (return 1, out unchanged) at the first bad
 * byte; otherwise each bad byte becomes U+FFFD and *bad counts them.
 * -1 on ENOMEM. */
static int run_iconv(iconv_t cd, const char *in, size_t len, mmr_buf *out, int strict, size_t *bad)
{
	size_t start = out->n;
	char *ip = (char *)in;
	size_t il = len;
	while (il > 0) {
		if (buf_reserve(out, il * 3 + 16))
			return -1;
		char *op = out->p + out->n;
		size_t ol = out->cap - out->n - 1;
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		out->n = (size_t)(op - out->p);
		if (r != (size_t)-1)
			break;
		if (errno == E2BIG)
			continue;
		if (strict) {
			out->n = start;
			out->p[out->n] = '\0';
			return 1;
		}
		if (mmr_buf_add(out, "\xEF\xBF\xBD", 3))
			return -1;
		(*bad)++;
		iconv(cd, NULL, NULL, NULL, NULL);
		if (errno == EINVAL)
			break;
		ip++;
		il--;
	}
	if (buf_reserve(out, 16))
		return -1;
	char *op = out->p + out->n;
	size_t ol = out->cap - out->n - 1;
	iconv(cd, NULL, NULL, &op, &ol);
	out->n = (size_t)(op - out->p);
	out->p[out->n] = '\0';
	return 0;
}

/* Whether in[0..len) is well-formed UTF-8 (no overlongs, no surrogates). */
static int valid_utf8(const unsigned char *s, size_t len)
{
	size_t i = 0;
	while (i < len) {
		unsigned c = s[i];
		if (c < 0x80) {
			i++;
			continue;
		}
		size_t n;
		unsigned min;
		if (c >= 0xC2 && c <= 0xDF)
			n = 1, min = 0x80;
		else if (c >= 0xE0 && c <= 0xEF)
			n = 2, min = 0x800;
		else if (c >= 0xF0 && c <= 0xF4)
			n = 3, min = 0x10000;
		else
			return 0;
		if (i + n >= len)
			return 0;
		unsigned cp = c & (0x3F >> n);
		for (size_t k = 1; k <= n; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += n + 1;
	}
	return 1;
}

/* ISO-2022-JP (with CP50220/50221 extensions) rewritten as CP932 bytes into
 * cs->sjis. 0 on success, 1 when the input is not ISO-2022-JP (8-bit bytes,
 * a half pair), -1 on ENOMEM. JIS X 0212 characters (not in CP932) become
 * 〓. */
static int iso2022jp_to_sjis(mmr_charsets *cs, const unsigned char *in, size_t len)
{
	enum { ASCII, JIS, KANA, JIS0212 } mode = ASCII, saved = ASCII;
	mmr_buf *o = &cs->sjis;
	o->n = 0;
	if (buf_reserve(o, len + 1))
		return -1;
	for (size_t i = 0; i < len;) {
		unsigned c = in[i];
		if (c == 0x1B) {
			if (i + 2 < len && in[i + 1] == '$' &&
			    (in[i + 2] == 'B' || in[i + 2] == '@')) {
				mode = JIS, i += 3;
			} else if (i + 3 < len && in[i + 1] == '$' && in[i + 2] == '(' &&
				   (in[i + 3] == 'D')) {
				mode = JIS0212, i += 4;
			} else if (i + 3 < len && in[i + 1] == '$' && in[i + 2] == '(' &&
				   (in[i + 3] == 'Q' || in[i + 3] == 'O')) {
				mode = JIS, i += 4;
			} else if (i + 2 < len && in[i + 1] == '(' &&
				   (in[i + 2] == 'B' || in[i + 2] == 'J' || in[i + 2] == 'H')) {
				mode = ASCII, i += 3;
			} else if (i + 2 < len && in[i + 1] == '(' && in[i + 2] == 'I') {
				mode = KANA, i += 3;
			} else {
				return 1;
			}
			continue;
		}
		if (c >= 0x80)
			return 1;
		if (c == 0x0E) { /* SO: half-width katakana (CP50221) */
			saved = mode, mode = KANA, i++;
			continue;
		}
		if (c == 0x0F) { /* SI */
			mode = saved == KANA ? ASCII : saved, i++;
			continue;
		}
		if (c == '\r' || c == '\n') {
			/* A line end returns to ASCII (RFC 1468); mailers that
			 * forget the escape are common. */
			mode = ASCII;
			o->p[o->n++] = (char)c, i++;
			continue;
		}
		if (mode == ASCII || c < 0x21 || c > 0x7E) {
			o->p[o->n++] = (char)c, i++;
			continue;
		}
		if (mode == KANA) {
			if (c > 0x5F)
				return 1;
			o->p[o->n++] = (char)(c + 0x80), i++;
			continue;
		}
		if (i + 1 >= len || in[i + 1] < 0x21 || in[i + 1] > 0x7E)
			return 1;
		unsigned j1 = c, j2 = in[i + 1];
		i += 2;
		if (mode == JIS0212) {
			o->p[o->n++] = (char)0x81, o->p[o->n++] = (char)0xAC; /* 〓 */
			continue;
		}
		unsigned s1 = ((j1 + 1) >> 1) + (j1 <= 0x5E ? 0x70 : 0xB0);
		unsigned s2 = j2 + ((j1 & 1) ? (j2 >= 0x60 ? 0x20 : 0x1F) : 0x7E);
		o->p[o->n++] = (char)s1;
		o->p[o->n++] = (char)s2;
	}
	o->p[o->n] = '\0';
	return 0;
}

/* The iconv name for a MIME charset name, with Japanese names widened to
 * the Microsoft supersets mail really uses. "" when unknown or NULL. */
static const char *iconv_name(const char *declared)
{
	if (!declared || !*declared)
		return "";
	static const struct {
		const char *mime, *iconv;
	} jp[] = {
		{"shift_jis", "CP932"},	     {"shift-jis", "CP932"},  {"sjis", "CP932"},
		{"x-sjis", "CP932"},	     {"ms_kanji", "CP932"},   {"windows-31j", "CP932"},
		{"cp932", "CP932"},	     {"euc-jp", "EUC-JP-MS"}, {"x-euc-jp", "EUC-JP-MS"},
		{"ks_c_5601-1987", "CP949"}, {"gb2312", "GB18030"},   {"gbk", "GB18030"},
	};
	for (size_t i = 0; i < sizeof jp / sizeof jp[0]; i++)
		if (!strcasecmp(declared, jp[i].mime))
			return jp[i].iconv;
	return g_mime_charset_iconv_name(declared);
}

static int is_iso2022jp(const char *name)
{
	return !strcasecmp(name, "iso-2022-jp") || !strcasecmp(name, "csiso2022jp") ||
	       !strcasecmp(name, "iso-2022-jp-ms") || !strcasecmp(name, "cp50220") ||
	       !strcasecmp(name, "cp50221") || !strcasecmp(name, "cp50222");
}

/* Single-byte charsets: they decode anything, so they are the ones that
 * "lie" without iconv noticing. */
static int is_single_byte(const char *name)
{
	return !strncasecmp(name, "iso-8859", 8) || !strncasecmp(name, "iso8859", 7) ||
	       !strncasecmp(name, "windows-125", 11) || !strncasecmp(name, "cp125", 5) ||
	       !strcasecmp(name, "us-ascii") || !strcasecmp(name, "ascii") ||
	       !strcasecmp(name, "latin1") || !strncasecmp(name, "koi8", 4);
}

/* Strictly decode with a named charset; 0 ok, 1 not this charset, -1 ENOMEM. */
static int try_charset(mmr_charsets *cs, const char *name, const char *in, size_t len, mmr_buf *out)
{
	if (is_iso2022jp(name)) {
		int r = iso2022jp_to_sjis(cs, (const unsigned char *)in, len);
		if (r)
			return r;
		in = cs->sjis.p, len = cs->sjis.n, name = "CP932";
	} else if (!strcasecmp(name, "utf-8") || !strcasecmp(name, "utf8")) {
		if (!valid_utf8((const unsigned char *)in, len))
			return 1;
		return mmr_buf_add(out, in, len);
	}
	const char *iname = iconv_name(name);
	if (!*iname)
		return 1;
	iconv_t cd = converter(cs, iname);
	if (cd == (iconv_t)-1)
		return 1;
	size_t bad = 0;
	int r = run_iconv(cd, in, len, out, 1, &bad);
	converter_release(cs, cd);
	return r;
}

/* uchardet's guess, "" when it has none. */
static const char *detect(mmr_charsets *cs, const char *in, size_t len)
{
	uchardet_reset(cs->detector);
	if (uchardet_handle_data(cs->detector, in, len > 65536 ? 65536 : len))
		return "";
	uchardet_data_end(cs->detector);
	const char *g = uchardet_get_charset(cs->detector);
	return g ? g : "";
}

int mmr_charsets_to_utf8(mmr_charsets *cs, const char *declared, const char *in, size_t len,
			 mmr_buf *out)
{
	int has8 = 0, hasesc = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)in[i];
		if (c >= 0x80) {
			has8 = 1;
			break;
		}
		if (c == 0x1B || c == 0x0E) /* ESC, or SO (CP50221 kana) */
			hasesc = 1;
	}
	const char *d = declared && *declared ? declared : NULL;
	int wide = d && (strstr(d, "16") || strstr(d, "32") || strcasestr(d, "utf-7"));
	if (!has8 && !hasesc && !wide)
		return mmr_buf_add(out, in, len) ? -1 : MMR_CS_DECLARED;

	int r;
	if (d && !(is_single_byte(d) && (has8 || hasesc))) {
		r = try_charset(cs, d, in, len, out);
		if (r <= 0)
			return r < 0 ? -1 : MMR_CS_DECLARED;
	}
	/* The declared charset is absent, failed, or single-byte over text
	 * that may be something else: look at the bytes. */
	if (has8 && valid_utf8((const unsigned char *)in, len))
		return mmr_buf_add(out, in, len) ? -1 : (d ? MMR_CS_GUESSED : MMR_CS_DECLARED);
	if (!has8 && hasesc) {
		r = try_charset(cs, "iso-2022-jp", in, len, out);
		if (r <= 0)
			return r < 0 ? -1 : MMR_CS_GUESSED;
	}
	const char *g = detect(cs, in, len);
	if (*g && (!d || strcasecmp(g, d))) {
		/* A single-byte guess decodes anything: it is believed only
		 * when the part declares no charset iconv knows. */
		int weak = is_single_byte(g) && d && *iconv_name(d);
		if (!weak) {
			r = try_charset(cs, g, in, len, out);
			if (r <= 0)
				return r < 0 ? -1 : MMR_CS_GUESSED;
		}
	}
	if (d && is_single_byte(d)) {
		r = try_charset(cs, d, in, len, out);
		if (r <= 0)
			return r < 0 ? -1 : MMR_CS_DECLARED;
	}
	static const char *const japanese[] = {"CP932", "EUC-JP-MS"};
	for (size_t i = 0; i < 2; i++) {
		r = try_charset(cs, japanese[i], in, len, out);
		if (r <= 0)
			return r < 0 ? -1 : MMR_CS_GUESSED;
	}
	/* Nothing decodes it: keep what can be read, mark the rest. */
	const char *iname = d ? iconv_name(d) : "";
	if (!*iname || (d && is_iso2022jp(d)))
		iname = "UTF-8";
	iconv_t cd = converter(cs, iname);
	if (cd == (iconv_t)-1)
		cd = converter(cs, "UTF-8");
	if (cd == (iconv_t)-1)
		return -1;
	size_t bad = 0;
	r = run_iconv(cd, in, len, out, 0, &bad);
	converter_release(cs, cd);
	return r < 0 ? -1 : MMR_CS_LOSSY;
}

int mmr_buf_add_crlf(mmr_buf *b, const char *p, size_t n)
{
	const char *end = p + n;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			return mmr_buf_add(b, p, (size_t)(end - p));
		size_t k = (size_t)(nl - p);
		if (mmr_buf_add(b, p, k))
			return -1;
		if ((k == 0 ? (b->n == 0 || b->p[b->n - 1] != '\r') : p[k - 1] != '\r') &&
		    mmr_buf_addc(b, '\r'))
			return -1;
		if (mmr_buf_addc(b, '\n'))
			return -1;
		p = nl + 1;
	}
	return 0;
}
