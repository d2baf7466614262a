/*
 * utf8.c — strict UTF-8 decoding (RFC 3629) and East Asian width.
 */
#include "util/utf8.h"

size_t mmr_utf8_decode(const char *s, size_t n, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	unsigned char c = p[0];
	if (c < 0x80) {
		*cp = c;
		return 1;
	}
	size_t len;
	uint32_t v, min;
	if (c >= 0xC2 && c <= 0xDF) {
		len = 2;
		v = c & 0x1F;
		min = 0x80;
	} else if (c >= 0xE0 && c <= 0xEF) {
		len = 3;
		v = c & 0x0F;
		min = 0x800;
	} else if (c >= 0xF0 && c <= 0xF4) {
		len = 4;
		v = c & 0x07;
		min = 0x10000;
	} else {
		return 0;
	}
	if (n < len)
		return 0;
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xC0) != 0x80)
			return 0;
		v = (v << 6) | (p[i] & 0x3F);
	}
	if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
		return 0;
	*cp = v;
	return len;
}

size_t mmr_utf8_valid_prefix(const char *s, size_t n)
{
	size_t i = 0;
	while (i < n) {
		if ((unsigned char)s[i] < 0x80) {
			i++;
			continue;
		}
		uint32_t cp;
		size_t l = mmr_utf8_decode(s + i, n - i, &cp);
		if (!l)
			return i;
		i += l;
	}
	return n;
}

int mmr_utf8_width(uint32_t cp)
{
	static const struct {
		uint32_t lo, hi;
	} wide[] = {
		{0x1100, 0x115F},   /* Hangul Jamo initials */
		{0x2E80, 0x303E},   /* CJK radicals, Kangxi, CJK symbols and punctuation */
		{0x3041, 0x33FF},   /* kana, Bopomofo, Hangul compatibility, CJK compatibility */
		{0x3400, 0x4DBF},   /* CJK extension A */
		{0x4E00, 0x9FFF},   /* CJK unified ideographs */
		{0xA000, 0xA4CF},   /* Yi */
		{0xAC00, 0xD7A3},   /* Hangul syllables */
		{0xF900, 0xFAFF},   /* CJK compatibility ideographs */
		{0xFE30, 0xFE4F},   /* CJK compatibility forms */
		{0xFF00, 0xFF60},   /* full-width forms */
		{0xFFE0, 0xFFE6},   /* full-width signs */
		{0x1F300, 0x1F64F}, /* pictographs, emoticons */
		{0x20000, 0x3FFFD}, /* CJK extensions B… */
	};
	for (size_t i = 0; i < sizeof(wide) / sizeof(wide[0]); i++)
		if (cp >= wide[i].lo && cp <= wide[i].hi)
			return 2;
	return 1;
}
