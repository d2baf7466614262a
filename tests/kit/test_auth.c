/*
 * test_auth.c — src/auth: Argon2id hash/verify (and malformed hashes), the
 * password rule (from profiles, each class, length in characters, invalid
 * UTF-8, full-width forms), TOTP against the RFC 4226 / RFC 6238 vectors in
 * tests/data/kit/otp/, replay and window edges, the otpauth URI, and the QR
 * SVG parsed with libxml2 and compared module by module with libqrencode.
 */
#include <jansson.h>
#include <liboath/oath.h>
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <qrencode.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "auth/auth.h"
#include "mamori.h"
#include "testutil.h"

/* ---- passwords ------------------------------------------------------------- */

static void hash_round_trip(void **state)
{
	(void)state;
	char h1[MMR_PWHASH_MAX], h2[MMR_PWHASH_MAX];
	mmr_error err = {0};
	const char *pw = "Toyohashi-2026!市役所";
	assert_int_equal(mmr_auth_password_hash(pw, h1, &err), MMR_OK);
	assert_int_equal(mmr_auth_password_hash(pw, h2, &err), MMR_OK);
	assert_true(!strncmp(h1, "$argon2id$v=19$m=65536,t=2,p=1$", 31));
	assert_string_not_equal(h1, h2); /* each hash has its own salt */
	assert_int_equal(mmr_auth_password_verify(h1, pw), MMR_OK);
	assert_int_equal(mmr_auth_password_verify(h2, pw), MMR_OK);
	assert_int_equal(mmr_auth_password_verify(h1, "Toyohashi-2026!市役"), MMR_EDENIED);
	assert_int_equal(mmr_auth_password_verify(h1, "toyohashi-2026!市役所"), MMR_EDENIED);
	assert_int_equal(mmr_auth_password_verify(h1, ""), MMR_EDENIED);
	assert_int_equal(mmr_auth_password_verify(h1, NULL), MMR_EDENIED);
	assert_int_equal(mmr_auth_password_verify(NULL, pw), MMR_EDENIED);

	/* the empty password hashes (the rule, not the hash, refuses it) */
	assert_int_equal(mmr_auth_password_hash("", h1, &err), MMR_OK);
	assert_int_equal(mmr_auth_password_verify(h1, ""), MMR_OK);

	char *big = malloc(MMR_PASSWORD_MAX_BYTES + 2);
	assert_non_null(big);
	memset(big, 'a', MMR_PASSWORD_MAX_BYTES + 1);
	big[MMR_PASSWORD_MAX_BYTES + 1] = '\0';
	assert_int_equal(mmr_auth_password_hash(big, h1, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "長すぎます"));
	big[MMR_PASSWORD_MAX_BYTES] = '\0';
	assert_int_equal(mmr_auth_password_hash(big, h1, &err), MMR_OK);
	assert_int_equal(mmr_auth_password_verify(h1, big), MMR_OK);
	free(big);
}

static void malformed_hashes(void **state)
{
	(void)state;
	char good[MMR_PWHASH_MAX];
	mmr_error err = {0};
	assert_int_equal(mmr_auth_password_hash("secret", good, &err), MMR_OK);
	size_t gl = strlen(good);
	char buf[512];

	/* every truncation of a good hash */
	for (size_t i = 0; i < gl; i++) {
		memcpy(buf, good, i);
		buf[i] = '\0';
		assert_int_equal(mmr_auth_password_verify(buf, "secret"), MMR_EDENIED);
	}
	/* one byte flipped anywhere: refused, never a crash */
	for (size_t i = 0; i < gl; i++) {
		memcpy(buf, good, gl + 1);
		buf[i] ^= 0x01;
		assert_int_equal(mmr_auth_password_verify(buf, "secret"), MMR_EDENIED);
	}
	static const char *bad[] = {
		"",
		"$",
		"plain text",
		"$argon2i$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$RdescudvJCsgt3ub+b+dWRWJTmaaJObG",
		"$argon2id$v=19$m=4194304,t=2,p=1$c29tZXNhbHRzb21lc2FsdA$"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"$argon2id$v=19$m=65536,t=100000,p=1$c29tZXNhbHRzb21lc2FsdA$"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"$argon2id$v=19$m=65536,t=2,p=4$c29tZXNhbHRzb21lc2FsdA$"
		"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa",
		"$argon2id$v=19$m=99999999999999999999,t=2,p=1$c29tZQ$aaaa",
		"$argon2id$v=19$m=-1,t=2,p=1$c29tZQ$aaaa",
		"$argon2id$v=19$m=65536,t=2,p=1$$",
		"$argon2id$v=19$m=65536,t=2,p=1$!!!!$????",
		"$2y$10$abcdefghijklmnopqrstuuJkV5bZkH5bM3lO3bJ0XoWqv0rCzH5Yi",
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		assert_int_equal(mmr_auth_password_verify(bad[i], "secret"), MMR_EDENIED);
	/* no NUL within MMR_PWHASH_MAX bytes */
	memset(buf, 'a', sizeof(buf) - 1);
	memcpy(buf, good, gl);
	buf[sizeof(buf) - 1] = '\0';
	assert_int_equal(mmr_auth_password_verify(buf, "secret"), MMR_EDENIED);
}

/* ---- password rule ---------------------------------------------------------- */

static const struct mmr_password_rule defaults = {
	12, 0, MMR_PW_UPPER | MMR_PW_LOWER | MMR_PW_DIGIT | MMR_PW_SYMBOL};

static void expect_refused(const struct mmr_password_rule *r, const char *pw, const char *frag,
			   const char *absent)
{
	mmr_error err = {0};
	int rc = mmr_auth_password_check(r, pw, &err);
	if (rc != MMR_EINVAL)
		fail_msg("\"%s\" accepted (rc %d)", pw, rc);
	if (!strstr(err.message, frag))
		fail_msg("\"%s\": message \"%s\" lacks \"%s\"", pw, err.message, frag);
	if (absent && strstr(err.message, absent))
		fail_msg("\"%s\": message \"%s\" should not say \"%s\"", pw, err.message, absent);
	assert_non_null(strstr(err.message, "(EINVAL)"));
}

static void expect_ok(const struct mmr_password_rule *r, const char *pw)
{
	mmr_error err = {0};
	if (mmr_auth_password_check(r, pw, &err) != MMR_OK)
		fail_msg("\"%s\" refused: %s", pw, err.message);
}

static void rule_classes_and_length(void **state)
{
	(void)state;
	const struct mmr_password_rule *r = &defaults;
	expect_ok(r, "Abcdefgh123!");
	expect_refused(r, "abcdefgh123!", "英大文字を含めてください", "英小文字");
	expect_refused(r, "ABCDEFGH123!", "英小文字を含めてください", "英大文字");
	expect_refused(r, "Abcdefghijk!", "数字を含めてください", "記号");
	expect_refused(r, "Abcdefgh1234", "記号を含めてください", "数字");
	expect_refused(r, "abcdefghijkl", "英大文字、数字、記号を含めてください", NULL);
	expect_refused(r, "Abcdef12!", "12文字以上にしてください（現在9文字）", "含めて");
	expect_refused(r, "", "現在0文字", NULL);
	expect_refused(r, "ab", "12文字以上", NULL);
	/* the space is a symbol */
	expect_ok(r, "Abcdefgh 123");

	/* length in characters: 11 characters (27 bytes) is too short, 12 is enough */
	expect_refused(r, "Aa1!あいうえおかき", "現在11文字", NULL);
	expect_ok(r, "Aa1!あいうえおかきく");
	/* kanji belong to no class */
	expect_refused(r, "市役所市役所市役所市役所", "英大文字、英小文字、数字、記号", NULL);

	/* full-width forms count in their ASCII class */
	expect_ok(r, "Ａｂｃｄｅｆｇｈ１２３！");
	expect_ok(r, "Ａbcdefgh123　"); /* U+3000 is a symbol */
	expect_refused(r, "ａｂｃｄｅｆｇｈ１２３！", "英大文字を含めてください", NULL);

	/* invalid UTF-8 and control characters */
	expect_refused(r, "Abcdefgh123!\xff", "UTF-8 として正しくないバイト (0xFF, 13バイト目)",
		       NULL);
	expect_refused(r, "Abcdefgh\xe3\x81", "UTF-8", NULL);
	expect_refused(r, "Abcdefgh\xc0\xafxyz1!", "0xC0", NULL);     /* overlong '/' */
	expect_refused(r, "Abcdefgh\xed\xa0\x80xyz1!", "0xED", NULL); /* surrogate */
	expect_refused(r, "Abcdefgh123!\t", "制御文字 (U+0009, 13文字目)", NULL);
	expect_refused(r, "Abcdefgh123!\xc2\x85", "U+0085", NULL);

	/* over-long */
	char big[MMR_PASSWORD_MAX_BYTES + 8];
	memset(big, 'A', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	expect_refused(r, big, "長すぎます", NULL);

	/* min_classes without require */
	struct mmr_password_rule three = {8, 3, 0};
	expect_ok(&three, "abcdEF12");
	expect_ok(&three, "abcdef1!");
	expect_refused(&three, "abcdefgh12", "3種類以上を含めてください（現在2種類）", NULL);
	struct mmr_password_rule none = {1, 0, 0};
	expect_ok(&none, "x");
	expect_refused(&none, "", "1文字以上", NULL);
}

/* Load a profile extending policy/guideline.yaml with `settings` as its settings block. */
static mmr_policy *profile_with(const char *settings)
{
	char yaml[2048];
	snprintf(yaml, sizeof(yaml),
		 "profile: pwtest\ntitle: テスト\nbody: テスト市\ndocument: テスト\n"
		 "extends: guideline\nrules: []\n%s\n",
		 settings);
	mmr_policy *pol = NULL;
	mmr_error err = {0};
	if (mmr_policy_load_buffer("pwtest.yaml", yaml, strlen(yaml), tu_path("%s/policy", tu_root),
				   &pol, &err) != MMR_OK)
		fail_msg("profile refused: %s", err.message);
	return pol;
}

static void rule_from_profiles(void **state)
{
	(void)state;
	struct mmr_password_rule r;
	mmr_auth_password_rule_from_policy(NULL, &r);
	assert_int_equal(r.min_length, 12);
	assert_int_equal(r.min_classes, 0);
	assert_int_equal(r.require, 15u);

	mmr_policy *pol;
	mmr_error err = {0};
	assert_int_equal(mmr_policy_load(tu_path("%s/policy/guideline.yaml", tu_root), &pol, &err),
			 MMR_OK);
	memset(&r, 0, sizeof(r));
	mmr_auth_password_rule_from_policy(pol, &r);
	assert_int_equal(r.min_length, 12);
	assert_int_equal(r.require, 15u);
	const char *items[8];
	size_t n = 0;
	assert_int_equal(mmr_policy_setting_list(pol, "password.require", items, 8, &n), MMR_OK);
	assert_int_equal(n, 4);
	assert_string_equal(items[0], "upper");
	assert_string_equal(items[3], "symbol");
	assert_int_equal(mmr_policy_setting_list(pol, "password.require", items, 2, &n), MMR_OK);
	assert_int_equal(n, 4); /* the full count, two stored */
	assert_int_equal(mmr_policy_setting_list(pol, "password.min_length", items, 8, &n),
			 MMR_ENOTFOUND);
	assert_int_equal(mmr_policy_setting_list(pol, "no.such", items, 8, &n), MMR_ENOTFOUND);
	assert_int_equal(mmr_policy_setting_list(pol, "mfa.required_segments", items, 8, &n),
			 MMR_OK);
	assert_int_equal(n, 1);
	assert_string_equal(items[0], "mynumber");
	mmr_policy_free(pol);

	pol = profile_with("settings:\n  password: {min_length: 8, require: [upper, digit]}\n");
	mmr_auth_password_rule_from_policy(pol, &r);
	assert_int_equal(r.min_length, 8);
	assert_int_equal(r.min_classes, 0);
	assert_int_equal(r.require, MMR_PW_UPPER | MMR_PW_DIGIT);
	expect_ok(&r, "ABCDEFG1");
	expect_refused(&r, "abcdefg1", "英大文字を含めてください", "記号");
	mmr_policy_free(pol);

	pol = profile_with(
		"settings:\n  password: {min_length: 10, min_classes: 3, require: []}\n");
	mmr_auth_password_rule_from_policy(pol, &r);
	assert_int_equal(r.min_length, 10);
	assert_int_equal(r.min_classes, 3);
	assert_int_equal(r.require, 0u);
	expect_ok(&r, "abcdefgH1x");
	expect_refused(&r, "abcdefgh1x", "3種類以上", NULL);
	mmr_policy_free(pol);
}

/* ---- TOTP ------------------------------------------------------------------- */

/* The base32 form of the ASCII secret s (malloc'd). */
static char *b32(const char *s)
{
	char *out = NULL;
	size_t n = 0;
	assert_int_equal(oath_base32_encode(s, strlen(s), &out, &n), OATH_OK);
	return out;
}

static json_t *vectors(void)
{
	json_error_t je;
	json_t *v = json_load_file(
		tu_path("%s/tests/data/kit/otp/rfc4226-6238-vectors.json", tu_root), 0, &je);
	if (!v)
		fail_msg("vectors: %s", je.text);
	return v;
}

static void rfc_vectors(void **state)
{
	(void)state;
	assert_int_equal(oath_init(), OATH_OK);
	json_t *v = vectors();
	size_t i, n_hotp = 0, n_totp = 0;
	json_t *e;
	/* HOTP with counter c is TOTP at step c: now = 30c, window 0 */
	json_array_foreach (json_object_get(v, "hotp"), i, e) {
		char *sec = b32(json_string_value(json_object_get(e, "secret_ascii")));
		int64_t c = json_integer_value(json_object_get(e, "counter"));
		const char *otp = json_string_value(json_object_get(e, "otp"));
		assert_int_equal(json_integer_value(json_object_get(e, "digits")), 6);
		int64_t m = -99;
		assert_int_equal(mmr_auth_totp_verify(sec, otp, c * 30, 0, -1, &m), MMR_OK);
		assert_int_equal(m, c);
		assert_int_equal(mmr_auth_totp_verify(sec, otp, c * 30 + 30, 0, -1, &m),
				 MMR_EDENIED);
		free(sec);
		n_hotp++;
	}
	/* TOTP SHA-1 vectors are 8 digits; the 6-digit code is their last six
	 * (the same truncated value mod 10^6). mamori's TOTP is SHA-1 only, as
	 * authenticator apps use, so the SHA-256/512 vectors do not apply. */
	json_array_foreach (json_object_get(v, "totp"), i, e) {
		if (strcmp(json_string_value(json_object_get(e, "algorithm")), "SHA1"))
			continue;
		char *sec = b32(json_string_value(json_object_get(e, "secret_ascii")));
		int64_t t = json_integer_value(json_object_get(e, "time"));
		const char *otp8 = json_string_value(json_object_get(e, "otp"));
		assert_int_equal(strlen(otp8), 8);
		int64_t m = -99;
		assert_int_equal(mmr_auth_totp_verify(sec, otp8 + 2, t, 0, -1, &m), MMR_OK);
		assert_int_equal(m, t / 30);
		assert_int_equal(mmr_auth_totp_verify(sec, otp8, t, 0, -1, &m), MMR_EDENIED);
		free(sec);
		n_totp++;
	}
	assert_int_equal(n_hotp, 10);
	assert_int_equal(n_totp, 6);
	json_decref(v);
}

/* The 6-digit code of base32 secret sec at step s, computed here with liboath. */
static void code_at(const char *sec, int64_t s, char out[7])
{
	char *key = NULL;
	size_t kl = 0;
	assert_int_equal(oath_base32_decode(sec, strlen(sec), &key, &kl), OATH_OK);
	assert_int_equal(oath_totp_generate(key, kl, (time_t)(s * 30), 30, 0, 6, out), OATH_OK);
	free(key);
}

static void replay_and_window(void **state)
{
	(void)state;
	assert_int_equal(oath_init(), OATH_OK);
	char sec[33];
	mmr_error err = {0};
	assert_int_equal(mmr_auth_totp_secret_new(sec, &err), MMR_OK);
	const int64_t base = 1795000000 / 30; /* a step in 2026 */
	char c0[7], cm1[7], cp1[7], cp2[7], cm2[7];
	code_at(sec, base, c0);
	code_at(sec, base - 1, cm1);
	code_at(sec, base + 1, cp1);
	code_at(sec, base + 2, cp2);
	code_at(sec, base - 2, cm2);
	int64_t m = -1;
	const int64_t first = base * 30, last = base * 30 + 29;

	/* the step's first and last second, window 0 */
	assert_int_equal(mmr_auth_totp_verify(sec, c0, first, 0, -1, &m), MMR_OK);
	assert_int_equal(m, base);
	assert_int_equal(mmr_auth_totp_verify(sec, c0, last, 0, -1, &m), MMR_OK);
	assert_int_equal(mmr_auth_totp_verify(sec, c0, first - 1, 0, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, c0, last + 1, 0, -1, &m), MMR_EDENIED);

	/* window 1: one step either side, not two */
	assert_int_equal(mmr_auth_totp_verify(sec, cm1, first, 1, -1, &m), MMR_OK);
	assert_int_equal(m, base - 1);
	assert_int_equal(mmr_auth_totp_verify(sec, cp1, last, 1, -1, &m), MMR_OK);
	assert_int_equal(m, base + 1);
	assert_int_equal(mmr_auth_totp_verify(sec, cp2, last, 1, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, cm2, first, 1, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, cp2, last, 2, -1, &m), MMR_OK);
	assert_int_equal(mmr_auth_totp_verify(sec, c0, first, MMR_TOTP_MAX_WINDOW, -1, &m), MMR_OK);
	assert_int_equal(mmr_auth_totp_verify(sec, c0, first, MMR_TOTP_MAX_WINDOW + 1, -1, &m),
			 MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, c0, first, -1, -1, &m), MMR_EDENIED);

	/* replay: once step base is used, its code and older ones are refused */
	assert_int_equal(mmr_auth_totp_verify(sec, c0, first, 1, -1, &m), MMR_OK);
	assert_int_equal(m, base);
	int64_t used = m;
	assert_int_equal(mmr_auth_totp_verify(sec, c0, first, 1, used, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, c0, last, 1, used, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, cm1, first, 1, used, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, cp1, first + 30, 1, used, &m), MMR_OK);
	assert_int_equal(m, base + 1);
	assert_int_equal(mmr_auth_totp_verify(sec, cp1, first + 30, 1, m, &m), MMR_EDENIED);
	/* matched_step may be NULL */
	assert_int_equal(mmr_auth_totp_verify(sec, c0, first, 0, -1, NULL), MMR_OK);

	/* malformed codes, secrets and times */
	char wrong[7];
	memcpy(wrong, c0, 7);
	wrong[5] = (char)(wrong[5] == '9' ? '0' : wrong[5] + 1);
	assert_int_equal(mmr_auth_totp_verify(sec, wrong, first, 1, -1, &m), MMR_EDENIED);
	char longer[9];
	snprintf(longer, sizeof(longer), "%s0", c0);
	assert_int_equal(mmr_auth_totp_verify(sec, longer, first, 0, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, c0 + 1, first, 0, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, "", first, 0, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, "12345a", first, 0, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, " 12345", first, 0, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(NULL, c0, first, 0, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, NULL, first, 0, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify("", c0, first, 0, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify("GEZDGNBV", c0, first, 0, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify("!!!!", c0, first, 0, -1, &m), MMR_EDENIED);
	assert_int_equal(mmr_auth_totp_verify(sec, c0, -30, 0, -1, &m), MMR_EDENIED);

	/* lower case and grouped secrets, as people type them */
	char lower[48];
	size_t k = 0;
	for (size_t i = 0; i < 32; i++) {
		if (i && i % 4 == 0)
			lower[k++] = ' ';
		lower[k++] = (char)(sec[i] >= 'A' && sec[i] <= 'Z' ? sec[i] - 'A' + 'a' : sec[i]);
	}
	lower[k] = '\0';
	assert_int_equal(mmr_auth_totp_verify(lower, c0, first, 0, -1, &m), MMR_OK);
}

static void secret_new(void **state)
{
	(void)state;
	char a[33], b[33];
	mmr_error err = {0};
	assert_int_equal(mmr_auth_totp_secret_new(a, &err), MMR_OK);
	assert_int_equal(mmr_auth_totp_secret_new(b, &err), MMR_OK);
	assert_int_equal(strlen(a), 32);
	assert_string_not_equal(a, b);
	for (size_t i = 0; i < 32; i++)
		assert_true((a[i] >= 'A' && a[i] <= 'Z') || (a[i] >= '2' && a[i] <= '7'));
	char *key = NULL;
	size_t kl = 0;
	assert_int_equal(oath_base32_decode(a, 32, &key, &kl), OATH_OK);
	assert_int_equal(kl, 20);
	free(key);
}

static void totp_uri(void **state)
{
	(void)state;
	char *u = mmr_auth_totp_uri("豊橋市 mamori", "tanaka@toyohashi:1",
				    "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
	assert_non_null(u);
	assert_string_equal(u, "otpauth://totp/%E8%B1%8A%E6%A9%8B%E5%B8%82%20mamori:"
			       "tanaka%40toyohashi%3A1?secret=GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ"
			       "&issuer=%E8%B1%8A%E6%A9%8B%E5%B8%82%20mamori"
			       "&algorithm=SHA1&digits=6&period=30");
	free(u);
	u = mmr_auth_totp_uri("a&b=c", "x/y?z#", "gezd gnbv");
	assert_non_null(u);
	assert_string_equal(u, "otpauth://totp/a%26b%3Dc:x%2Fy%3Fz%23?secret=GEZDGNBV"
			       "&issuer=a%26b%3Dc&algorithm=SHA1&digits=6&period=30");
	free(u);
	assert_null(mmr_auth_totp_uri("", "a", "GEZD"));
	assert_null(mmr_auth_totp_uri("i", NULL, "GEZD"));
	assert_null(mmr_auth_totp_uri("i", "a", NULL));
	char big[300];
	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(mmr_auth_totp_uri(big, "a", "GEZD"));
}

/* ---- QR SVG ------------------------------------------------------------------ */

static long attr_long(xmlNode *n, const char *name)
{
	xmlChar *v = xmlGetProp(n, (const xmlChar *)name);
	assert_non_null(v);
	long x = strtol((const char *)v, NULL, 10);
	xmlFree(v);
	return x;
}

/* Fails if any element or attribute could run script or fetch something. */
static void assert_inert(xmlNode *n)
{
	for (; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE)
			continue;
		const char *name = (const char *)n->name;
		assert_true(!strcmp(name, "svg") || !strcmp(name, "rect") || !strcmp(name, "path"));
		for (xmlAttr *a = n->properties; a; a = a->next) {
			const char *an = (const char *)a->name;
			assert_true(strncmp(an, "on", 2) != 0);
			assert_true(strcmp(an, "href") != 0 && strcmp(an, "style") != 0);
		}
		assert_inert(n->children);
	}
}

/* Parse path data made of "Mx yhNv1h-Nz" runs into the matrix m (total×total). */
static void paint(const char *d, unsigned char *m, int total)
{
	const char *p = d;
	while (*p) {
		int x, y, run, back, used = 0;
		assert_int_equal(sscanf(p, "M%d %dh%dv1h-%dz%n", &x, &y, &run, &back, &used), 4);
		assert_int_equal(run, back);
		assert_true(x >= 0 && y >= 0 && x + run <= total && y < total && run > 0);
		for (int i = 0; i < run; i++)
			m[y * total + x + i] = 1;
		p += used;
	}
}

static void check_svg(const char *text)
{
	mmr_error err = {0};
	char *svg = mmr_auth_qr_svg(text, &err);
	if (!svg)
		fail_msg("qr: %s", err.message);
	assert_null(strstr(svg, "<script"));
	assert_null(strstr(svg, "http://www.w3.org/1999/xlink"));
	xmlDoc *doc = xmlReadMemory(svg, (int)strlen(svg), "qr.svg", NULL,
				    XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
	assert_non_null(doc);
	xmlNode *root = xmlDocGetRootElement(doc);
	assert_string_equal((const char *)root->name, "svg");
	assert_non_null(root->ns);
	assert_string_equal((const char *)root->ns->href, "http://www.w3.org/2000/svg");
	assert_inert(root);

	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	assert_non_null(qr);
	int total = qr->width + 8;
	/* size: 4 px per module (scannable from a screen), 4-module quiet zone */
	assert_int_equal(attr_long(root, "width"), total * 4);
	assert_int_equal(attr_long(root, "height"), total * 4);
	unsigned char *m = calloc((size_t)total * (size_t)total, 1);
	assert_non_null(m);
	int paths = 0;
	for (xmlNode *n = root->children; n; n = n->next) {
		if (n->type != XML_ELEMENT_NODE || strcmp((const char *)n->name, "path"))
			continue;
		xmlChar *d = xmlGetProp(n, (const xmlChar *)"d");
		assert_non_null(d);
		paint((const char *)d, m, total);
		xmlFree(d);
		paths++;
	}
	assert_int_equal(paths, 1);
	/* module for module what libqrencode encoded, blank quiet zone */
	for (int y = 0; y < total; y++)
		for (int x = 0; x < total; x++) {
			int in = x >= 4 && y >= 4 && x < 4 + qr->width && y < 4 + qr->width;
			int want = in ? (qr->data[(y - 4) * qr->width + (x - 4)] & 1) : 0;
			if (m[y * total + x] != want)
				fail_msg("module (%d,%d) is %d, want %d", x, y, m[y * total + x],
					 want);
		}
	free(m);
	QRcode_free(qr);
	xmlFreeDoc(doc);
	free(svg);
}

static void qr_svg(void **state)
{
	(void)state;
	char sec[33];
	mmr_error err = {0};
	assert_int_equal(mmr_auth_totp_secret_new(sec, &err), MMR_OK);
	char *uri = mmr_auth_totp_uri("豊橋市 mamori", "suzuki.ichiro@toyohashi", sec);
	assert_non_null(uri);
	check_svg(uri);
	/* a real enrolment URI stays small enough to scan: version 10 or less */
	QRcode *qr = QRcode_encodeString(uri, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	assert_non_null(qr);
	assert_true(qr->version <= 10);
	QRcode_free(qr);
	free(uri);
	check_svg("x");
	check_svg("<script>alert(1)</script>&\"'");

	char big[1100];
	memset(big, 'a', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	assert_null(mmr_auth_qr_svg(big, &err));
	assert_int_equal(err.code, MMR_EINVAL);
	assert_null(mmr_auth_qr_svg("", &err));
	assert_null(mmr_auth_qr_svg(NULL, &err));
	big[1024] = '\0';
	check_svg(big);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		tu_root = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(hash_round_trip),
		cmocka_unit_test(malformed_hashes),
		cmocka_unit_test(rule_classes_and_length),
		cmocka_unit_test(rule_from_profiles),
		cmocka_unit_test(rfc_vectors),
		cmocka_unit_test(replay_and_window),
		cmocka_unit_test(secret_new),
		cmocka_unit_test(totp_uri),
		cmocka_unit_test(qr_svg),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	xmlCleanupParser();
	return rc;
}
