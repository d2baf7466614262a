/*
 * utf8.h — strict UTF-8 decoding and display width, shared by the modules
 * that take text from outside (passwords, CSV imports, spreadsheet export).
 */
#ifndef MMR_UTF8_H
#define MMR_UTF8_H

#include <stddef.h>
#include <stdint.h>

/* Decode the code point at s (n ≥ 1 bytes available) into *cp. Returns the
 * sequence length 1–4, or 0 when s does not start a valid shortest-form
 * sequence of a Unicode scalar value (overlong forms, surrogates, values
 * above U+10FFFF, truncated sequences and stray continuation bytes are all
 * invalid). */
size_t mmr_utf8_decode(const char *s, size_t n, uint32_t *cp);

/* Length of the longest valid UTF-8 prefix of s[0..n): n when all of it is
 * valid, else the offset of the first byte that is not. */
size_t mmr_utf8_valid_prefix(const char *s, size_t n);

/* 2 for East Asian Wide and Fullwidth characters (CJK ideographs, kana,
 * Hangul, full-width forms, CJK symbols and punctuation), 1 otherwise: the
 * columns a spreadsheet or terminal gives the character. */
int mmr_utf8_width(uint32_t cp);

#endif
