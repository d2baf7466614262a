/*
 * auth.c — Argon2id password hashes (libsodium), the profile's password
 * rule, TOTP (liboath) with replay refusal, the otpauth:// URI and its QR
 * code as SVG (libqrencode).
 */
#include <errno.h>
#include <liboath/oath.h>
#include <pthread.h>
#include <qrencode.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/auth.h"
#include "util/utf8.h"

_Static_assert(MMR_PWHASH_MAX == crypto_pwhash_STRBYTES, "hash buffer size");

/* Largest cost a stored hash may ask of verify: 256 MiB, 16 passes. */
#define PWHASH_MAX_MEM_KIB 262144ul
#define PWHASH_MAX_T 16ul
#define TOTP_MIN_SECRET_BYTES 16 /* RFC 4226 §4 R6: at least 128 bits */
#define TOTP_MAX_SECRET_CHARS 128
#define URI_MAX_PART 256
#define QR_MAX_TEXT 1024
#define QR_QUIET 4
#define QR_PX 4

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

/* sodium_init() is itself thread-safe and idempotent (0 first time, 1
 * after); liboath's oath_init() is not documented so, hence pthread_once. */
static bool sodium_ready(void)
{
	return sodium_init() >= 0;
}

static pthread_once_t oath_once = PTHREAD_ONCE_INIT;
static int oath_init_rc = -1;

static void oath_start(void)
{
	oath_init_rc = oath_init();
}

static bool oath_ready(void)
{
	pthread_once(&oath_once, oath_start);
	return oath_init_rc == OATH_OK;
}

/* ---- password hashes ------------------------------------------------------ */

int mmr_auth_password_hash(const char *password, char out[MMR_PWHASH_MAX], mmr_error *err)
{
	if (!password || !out) {
		set_err(err, MMR_EINVAL, "パスワードがありません (EINVAL)");
		return MMR_EINVAL;
	}
	size_t len = strnlen(password, MMR_PASSWORD_MAX_BYTES + 1);
	if (len > MMR_PASSWORD_MAX_BYTES) {
		set_err(err, MMR_EINVAL, "パスワードが長すぎます（%dバイトまで） (EINVAL)",
			MMR_PASSWORD_MAX_BYTES);
		return MMR_EINVAL;
	}
	if (!sodium_ready()) {
		set_err(err, MMR_ENOMEM, "暗号ライブラリ (libsodium) を初期化できません (ENOMEM)");
		return MMR_ENOMEM;
	}
	if (crypto_pwhash_str_alg(out, password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE,
				  crypto_pwhash_ALG_ARGON2ID13) != 0) {
		set_err(err, MMR_ENOMEM,
			"パスワードのハッシュ化に必要なメモリ (64 MiB) を確保できません (ENOMEM)");
		return MMR_ENOMEM;
	}
	return MMR_OK;
}

/* Parse the unsigned decimal at *p (no sign, at most 10 digits). */
static bool parse_uint(const char **p, unsigned long *v)
{
	const char *s = *p;
	unsigned long x = 0;
	size_t n = 0;
	while (*s >= '0' && *s <= '9' && n < 10) {
		x = x * 10 + (unsigned long)(*s - '0');
		s++;
		n++;
	}
	if (!n || (*s >= '0' && *s <= '9'))
		return false;
	*v = x;
	*p = s;
	return true;
}

/* True when h is "$argon2id$v=19$m=M,t=T,p=1$…" with M and T within our caps. */
static bool hash_params_ok(const char *h)
{
	static const char prefix[] = "$argon2id$v=19$m=";
	if (strncmp(h, prefix, sizeof(prefix) - 1))
		return false;
	const char *p = h + sizeof(prefix) - 1;
	unsigned long m, t, par;
	if (!parse_uint(&p, &m) || strncmp(p, ",t=", 3))
		return false;
	p += 3;
	if (!parse_uint(&p, &t) || strncmp(p, ",p=", 3))
		return false;
	p += 3;
	if (!parse_uint(&p, &par) || *p != '$')
		return false;
	return m >= 8 && m <= PWHASH_MAX_MEM_KIB && t >= 1 && t <= PWHASH_MAX_T && par == 1;
}

int mmr_auth_password_verify(const char *stored_hash, const char *password)
{
	if (!stored_hash || !password)
		return MMR_EDENIED;
	size_t hlen = strnlen(stored_hash, MMR_PWHASH_MAX);
	size_t plen = strnlen(password, MMR_PASSWORD_MAX_BYTES + 1);
	if (hlen == MMR_PWHASH_MAX || plen > MMR_PASSWORD_MAX_BYTES)
		return MMR_EDENIED;
	/* libsodium's prototype takes a full crypto_pwhash_STRBYTES array. */
	char h[MMR_PWHASH_MAX] = {0};
	memcpy(h, stored_hash, hlen);
	if (!hash_params_ok(h) || !sodium_ready())
		return MMR_EDENIED;
	return crypto_pwhash_str_verify(h, password, plen) == 0 ? MMR_OK : MMR_EDENIED;
}

/* ---- password rule -------------------------------------------------------- */

#define PW_ALL (MMR_PW_UPPER | MMR_PW_LOWER | MMR_PW_DIGIT | MMR_PW_SYMBOL)

static const struct {
	const char *id;
	unsigned flag;
	const char *ja;
} pw_classes[] = {
	{"upper", MMR_PW_UPPER, "英大文字"},
	{"lower", MMR_PW_LOWER, "英小文字"},
	{"digit", MMR_PW_DIGIT, "数字"},
	{"symbol", MMR_PW_SYMBOL, "記号"},
};

void mmr_auth_password_rule_from_policy(const mmr_policy *pol, struct mmr_password_rule *rule)
{
	rule->min_length = 12;
	rule->min_classes = 0;
	rule->require = PW_ALL;
	if (!pol)
		return;
	long v;
	if (mmr_policy_setting_int(pol, "password.min_length", &v) == MMR_OK && v >= 1 &&
	    v <= MMR_PASSWORD_MAX_BYTES)
		rule->min_length = (int)v;
	bool classes_set = false;
	if (mmr_policy_setting_int(pol, "password.min_classes", &v) == MMR_OK && v >= 0 && v <= 4) {
		rule->min_classes = (int)v;
		classes_set = true;
	}
	const char *items[16];
	size_t n;
	if (mmr_policy_setting_list(pol, "password.require", items, 16, &n) == MMR_OK) {
		rule->require = 0;
		for (size_t i = 0; i < n && i < 16; i++)
			for (size_t k = 0; k < sizeof(pw_classes) / sizeof(pw_classes[0]); k++)
				if (!strcmp(items[i], pw_classes[k].id))
					rule->require |= pw_classes[k].flag;
	} else if (classes_set) {
		rule->require = 0;
	}
}

/* The MMR_PW_* class of code point cp (full-width forms folded), or 0. */
static unsigned char_class(uint32_t cp)
{
	if (cp >= 0xFF01 && cp <= 0xFF5E)
		cp -= 0xFEE0;
	else if (cp == 0x3000)
		cp = ' ';
	if (cp >= 'A' && cp <= 'Z')
		return MMR_PW_UPPER;
	if (cp >= 'a' && cp <= 'z')
		return MMR_PW_LOWER;
	if (cp >= '0' && cp <= '9')
		return MMR_PW_DIGIT;
	if (cp >= 0x20 && cp <= 0x7E)
		return MMR_PW_SYMBOL;
	return 0;
}

/* Append to buf (of size n, holding a string) as much of the formatted text as fits. */
static void append(char *buf, size_t n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static void append(char *buf, size_t n, const char *fmt, ...)
{
	size_t l = strlen(buf);
	if (l + 1 >= n)
		return;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(buf + l, n - l, fmt, ap);
	va_end(ap);
}

int mmr_auth_password_check(const struct mmr_password_rule *rule, const char *password,
			    mmr_error *err)
{
	if (!rule || !password) {
		set_err(err, MMR_EINVAL, "パスワードがありません (EINVAL)");
		return MMR_EINVAL;
	}
	size_t len = strnlen(password, MMR_PASSWORD_MAX_BYTES + 1);
	if (len > MMR_PASSWORD_MAX_BYTES) {
		set_err(err, MMR_EINVAL, "パスワードが長すぎます（%dバイトまで） (EINVAL)",
			MMR_PASSWORD_MAX_BYTES);
		return MMR_EINVAL;
	}
	size_t chars = 0;
	unsigned have = 0;
	for (size_t i = 0; i < len;) {
		uint32_t cp;
		size_t l = mmr_utf8_decode(password + i, len - i, &cp);
		if (!l) {
			set_err(err, MMR_EINVAL,
				"パスワードに UTF-8 として正しくないバイト (0x%02X, %zuバイト目) "
				"があります (EINVAL)",
				(unsigned char)password[i], i + 1);
			return MMR_EINVAL;
		}
		if (cp < 0x20 || (cp >= 0x7F && cp <= 0x9F)) {
			set_err(err, MMR_EINVAL,
				"パスワードに制御文字 (U+%04X, %zu文字目) は使えません (EINVAL)",
				(unsigned)cp, chars + 1);
			return MMR_EINVAL;
		}
		have |= char_class(cp);
		chars++;
		i += l;
	}
	char msg[sizeof(err->message)] = "";
	if (chars < (size_t)(rule->min_length > 0 ? rule->min_length : 0))
		append(msg, sizeof(msg), "パスワードは%d文字以上にしてください（現在%zu文字）。",
		       rule->min_length, chars);
	unsigned missing = rule->require & PW_ALL & ~have;
	if (missing) {
		bool first = true;
		for (size_t k = 0; k < sizeof(pw_classes) / sizeof(pw_classes[0]); k++) {
			if (!(missing & pw_classes[k].flag))
				continue;
			append(msg, sizeof(msg), "%s%s", first ? "" : "、", pw_classes[k].ja);
			first = false;
		}
		append(msg, sizeof(msg), "を含めてください。");
	}
	int nclasses = __builtin_popcount(have);
	if (nclasses < rule->min_classes)
		append(msg, sizeof(msg),
		       "英大文字・英小文字・数字・記号のうち%d種類以上を含めてください（現在%"
		       "d種類）。",
		       rule->min_classes, nclasses);
	if (msg[0]) {
		set_err(err, MMR_EINVAL, "%s (EINVAL)", msg);
		return MMR_EINVAL;
	}
	return MMR_OK;
}

/* ---- TOTP ----------------------------------------------------------------- */

int mmr_auth_totp_secret_new(char out[33], mmr_error *err)
{
	if (!sodium_ready() || !oath_ready()) {
		set_err(err, MMR_ENOMEM, "暗号ライブラリを初期化できません (ENOMEM)");
		return MMR_ENOMEM;
	}
	unsigned char raw[20];
	randombytes_buf(raw, sizeof(raw));
	char *b32 = NULL;
	size_t b32len = 0;
	int rc = oath_base32_encode((const char *)raw, sizeof(raw), &b32, &b32len);
	sodium_memzero(raw, sizeof(raw));
	if (rc != OATH_OK || !b32 || b32len != 32) {
		free(b32);
		set_err(err, MMR_ENOMEM, "TOTP の秘密鍵を作れません (ENOMEM)");
		return MMR_ENOMEM;
	}
	memcpy(out, b32, 32);
	out[32] = '\0';
	sodium_memzero(b32, b32len);
	free(b32);
	return MMR_OK;
}

int mmr_auth_totp_verify(const char *base32_secret, const char *code, int64_t now, int window,
			 int64_t last_used_step, int64_t *matched_step)
{
	if (!base32_secret || !code || now < 0 || window < 0 || window > MMR_TOTP_MAX_WINDOW)
		return MMR_EDENIED;
	for (int i = 0; i < MMR_TOTP_DIGITS; i++)
		if (code[i] < '0' || code[i] > '9')
			return MMR_EDENIED;
	if (code[MMR_TOTP_DIGITS] != '\0')
		return MMR_EDENIED;
	size_t slen = strnlen(base32_secret, TOTP_MAX_SECRET_CHARS + 1);
	if (slen > TOTP_MAX_SECRET_CHARS || !oath_ready())
		return MMR_EDENIED;
	char *key = NULL;
	size_t keylen = 0;
	if (oath_base32_decode(base32_secret, slen, &key, &keylen) != OATH_OK || !key ||
	    keylen < TOTP_MIN_SECRET_BYTES) {
		if (key)
			sodium_memzero(key, keylen);
		free(key);
		return MMR_EDENIED;
	}
	int64_t step = now / MMR_TOTP_STEP_SECONDS;
	int rc = MMR_EDENIED;
	for (int64_t s = step - window; s <= step + window; s++) {
		if (s < 0 || s <= last_used_step)
			continue;
		char otp[MMR_TOTP_DIGITS + 1];
		if (oath_totp_generate(key, keylen, (time_t)(s * MMR_TOTP_STEP_SECONDS),
				       MMR_TOTP_STEP_SECONDS, OATH_TOTP_DEFAULT_START_TIME,
				       MMR_TOTP_DIGITS, otp) != OATH_OK)
			break;
		if (sodium_memcmp(otp, code, MMR_TOTP_DIGITS) == 0) {
			if (matched_step)
				*matched_step = s;
			rc = MMR_OK;
			break;
		}
	}
	sodium_memzero(key, keylen);
	free(key);
	return rc;
}

/* Write s percent-encoded (RFC 3986 unreserved characters kept) to f. */
static void put_pct(FILE *f, const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		unsigned char c = *p;
		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
		    c == '-' || c == '.' || c == '_' || c == '~') {
			fputc(c, f);
		} else {
			fputc('%', f);
			fputc(hex[c >> 4], f);
			fputc(hex[c & 15], f);
		}
	}
}

static bool part_ok(const char *s)
{
	if (!s || !*s)
		return false;
	return strnlen(s, URI_MAX_PART + 1) <= URI_MAX_PART;
}

char *mmr_auth_totp_uri(const char *issuer, const char *account, const char *base32_secret)
{
	if (!part_ok(issuer) || !part_ok(account) || !part_ok(base32_secret))
		return NULL;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	if (!f)
		return NULL;
	fputs("otpauth://totp/", f);
	put_pct(f, issuer);
	fputc(':', f);
	put_pct(f, account);
	fputs("?secret=", f);
	for (const char *p = base32_secret; *p; p++)
		if (*p != ' ' && *p != '=')
			fputc(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p, f);
	fputs("&issuer=", f);
	put_pct(f, issuer);
	fprintf(f, "&algorithm=SHA1&digits=%d&period=%d", MMR_TOTP_DIGITS, MMR_TOTP_STEP_SECONDS);
	if (fclose(f) != 0) {
		free(out);
		return NULL;
	}
	return out;
}

/* ---- QR code -------------------------------------------------------------- */

char *mmr_auth_qr_svg(const char *text, mmr_error *err)
{
	if (!text || !*text) {
		set_err(err, MMR_EINVAL, "QR コードにする文字列がありません (EINVAL)");
		return NULL;
	}
	if (strnlen(text, QR_MAX_TEXT + 1) > QR_MAX_TEXT) {
		set_err(err, MMR_EINVAL,
			"QR コードにする文字列が長すぎます（%dバイトまで） (EINVAL)", QR_MAX_TEXT);
		return NULL;
	}
	QRcode *qr = QRcode_encodeString(text, 0, QR_ECLEVEL_M, QR_MODE_8, 1);
	if (!qr) {
		if (errno == ENOMEM)
			set_err(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
		else
			set_err(err, MMR_EINVAL, "QR コードを作れません: %s (EINVAL)",
				strerror(errno));
		return NULL;
	}
	int w = qr->width, total = w + 2 * QR_QUIET;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	if (!f) {
		QRcode_free(qr);
		set_err(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
		return NULL;
	}
	fprintf(f,
		"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
		"<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" width=\"%d\" "
		"height=\"%d\" viewBox=\"0 0 %d %d\" shape-rendering=\"crispEdges\">\n"
		"<rect width=\"%d\" height=\"%d\" fill=\"#ffffff\"/>\n<path fill=\"#000000\" d=\"",
		total * QR_PX, total * QR_PX, total, total, total, total);
	for (int y = 0; y < w; y++) {
		const unsigned char *row = qr->data + (size_t)y * (size_t)w;
		for (int x = 0; x < w;) {
			if (!(row[x] & 1)) {
				x++;
				continue;
			}
			int run = 1;
			while (x + run < w && (row[x + run] & 1))
				run++;
			fprintf(f, "M%d %dh%dv1h-%dz", x + QR_QUIET, y + QR_QUIET, run, run);
			x += run;
		}
	}
	fputs("\"/>\n</svg>\n", f);
	QRcode_free(qr);
	if (fclose(f) != 0) {
		free(out);
		set_err(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
		return NULL;
	}
	return out;
}
