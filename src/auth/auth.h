/*
 * auth.h — passwords (Argon2id, the profile's password rule) and TOTP
 * second factors (RFC 6238, enrolment URI and QR code).
 *
 * Pure: no I/O, no database. Thread-safe: every function may be called from
 * any thread at once (libsodium and liboath are initialised once, inside).
 * Nothing here logs a password, a secret or a code.
 */
#ifndef MMR_AUTH_H
#define MMR_AUTH_H

#include <stddef.h>
#include <stdint.h>

#include "mamori.h"

/* ---- password hashes ------------------------------------------------------ */

/* Room for a stored hash string, NUL included (= crypto_pwhash_STRBYTES). */
#define MMR_PWHASH_MAX 128

/* Longest password accepted, in bytes (bounded input; a longer one is
 * refused with MMR_EINVAL by hash and check, and MMR_EDENIED by verify). */
#define MMR_PASSWORD_MAX_BYTES 1024

/* Hash `password` (NUL-terminated, bytes as typed: no normalisation) with
 * Argon2id — libsodium's crypto_pwhash_str_alg at OPSLIMIT_INTERACTIVE /
 * MEMLIMIT_INTERACTIVE (t=2, 64 MiB: about 62 ms on the 2-core build
 * machine, inside the ~100 ms sign-in budget; each concurrent hash takes
 * 64 MiB) — into `out`, a "$argon2id$v=19$m=65536,t=2,p=1$…" string with its
 * own random salt. MMR_OK; MMR_EINVAL (NULL or over-long password);
 * MMR_ENOMEM (libsodium could not allocate the 64 MiB). */
int mmr_auth_password_hash(const char *password, char out[MMR_PWHASH_MAX], mmr_error *err);

/* MMR_OK when `password` matches `stored_hash` (made by
 * mmr_auth_password_hash), else MMR_EDENIED — also for NULL arguments, a
 * malformed or truncated hash, a hash of another algorithm than Argon2id, or
 * one whose cost parameters exceed 256 MiB / t=16 (so a tampered row cannot
 * make a sign-in allocate gigabytes). Never crashes on bad input. */
int mmr_auth_password_verify(const char *stored_hash, const char *password);

/* ---- password rule -------------------------------------------------------- */

#define MMR_PW_UPPER 1u	 /* A–Z (and full-width Ａ–Ｚ) */
#define MMR_PW_LOWER 2u	 /* a–z (and full-width ａ–ｚ) */
#define MMR_PW_DIGIT 4u	 /* 0–9 (and full-width ０–９) */
#define MMR_PW_SYMBOL 8u /* ASCII punctuation and space (and their full-width forms) */

struct mmr_password_rule {
	int min_length;	  /* in characters (UTF-8 code points) */
	int min_classes;  /* at least this many of the four classes (0: no such rule) */
	unsigned require; /* MMR_PW_* flags: each of these classes must occur */
};

/* The profile's password rule: settings `password.min_length` (default 12),
 * `password.require` (list of upper, lower, digit, symbol; default all four;
 * unknown names are ignored) and `password.min_classes` (default 0). When
 * the profile sets min_classes but not require, require is empty (the
 * profile asked for "N of the four", not for each). pol may be NULL: the
 * defaults. */
void mmr_auth_password_rule_from_policy(const mmr_policy *pol, struct mmr_password_rule *rule);

/* Check a new password against `rule`. MMR_OK, or MMR_EINVAL with a Japanese
 * message naming everything that is missing ("パスワードは12文字以上にして
 * ください（現在8文字）。英大文字、記号を含めてください (EINVAL)").
 * Length counts characters (UTF-8 code points), not bytes. Refused outright:
 * invalid UTF-8, control characters (U+0000–U+001F, U+007F–U+009F), more than
 * MMR_PASSWORD_MAX_BYTES bytes.
 * Full-width forms (U+FF01–U+FF5E, and U+3000 as a symbol) count in the class
 * of the ASCII character they are the width variant of (as NFKC would fold
 * them), so a password typed with the IME on is judged like the same
 * password typed half-width; it is still hashed as typed. Other characters
 * (kana, kanji, …) count towards the length but belong to no class. */
int mmr_auth_password_check(const struct mmr_password_rule *rule, const char *password,
			    mmr_error *err);

/* ---- TOTP (RFC 6238: HMAC-SHA1, 6 digits, 30-second steps from 0) --------- */

#define MMR_TOTP_STEP_SECONDS 30
#define MMR_TOTP_DIGITS 6
#define MMR_TOTP_MAX_WINDOW 10

/* A new 160-bit secret from libsodium's randombytes, as 32 characters of
 * RFC 4648 base32 (A–Z, 2–7, no padding) plus NUL. MMR_OK or MMR_ENOMEM. */
int mmr_auth_totp_secret_new(char out[33], mmr_error *err);

/* Verify `code` (exactly 6 ASCII digits) for `base32_secret` (RFC 4648
 * base32; lower case, spaces and '=' padding accepted; at most 128 chars) at
 * Unix time `now`, accepting time steps now/30 - window … now/30 + window
 * (window 0…MMR_TOTP_MAX_WINDOW; 1 is usual: ±30 s of clock drift).
 * Only a step greater than `last_used_step` may match, so a code cannot be
 * used twice (pass -1 when none was used yet); store *matched_step as the
 * new last_used_step. MMR_OK with *matched_step set (matched_step may be
 * NULL), or MMR_EDENIED for a wrong, replayed or malformed code, a bad secret
 * or a bad window. Comparison is constant-time. */
int mmr_auth_totp_verify(const char *base32_secret, const char *code, int64_t now, int window,
			 int64_t last_used_step, int64_t *matched_step);

/* The Key URI an authenticator app enrols from:
 * "otpauth://totp/ISSUER:ACCOUNT?secret=…&issuer=ISSUER&algorithm=SHA1&digits=6&period=30"
 * with issuer and account percent-encoded as UTF-8 (RFC 3986: everything but
 * unreserved characters). malloc'd, the caller frees with free(); NULL for a
 * NULL or empty argument, arguments over 256 bytes, or out of memory. */
char *mmr_auth_totp_uri(const char *issuer, const char *account, const char *base32_secret);

/* `text` (at most 1024 bytes) as a QR code (libqrencode, error correction
 * level M, 8-bit mode) in a self-contained SVG document: a white background
 * with a 4-module quiet zone and one black path, 4 px per module, no script,
 * no style sheet, no external reference. malloc'd, the caller frees with
 * free(); NULL with err filled (MMR_EINVAL: NULL/empty/too long text;
 * MMR_ENOMEM). */
char *mmr_auth_qr_svg(const char *text, mmr_error *err);

#endif
