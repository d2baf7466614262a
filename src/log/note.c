/*
 * note.c — checkpoints in the C2SP tlog-checkpoint / signed-note format,
 * signed with Ed25519 (libsodium), and the signing key file.
 */
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log/log.h"

#define KEY_MAGIC "mamori-log-key-v1\n"
#define EMDASH "\xe2\x80\x94"

static int sodium_ready(mmr_error *err)
{
	if (sodium_init() < 0) {
		mmr_error_set(err, MMR_EIO, "libsodium を初期化できません");
		return MMR_EIO;
	}
	return MMR_OK;
}

const char *mmr_log_key_path(const char *path)
{
	if (path && *path)
		return path;
	const char *env = getenv("MAMORI_LOG_KEY");
	if (env && *env)
		return env;
	return "var/mamori-log.key";
}

static int mkdir_parent(const char *path)
{
	char dir[4096];
	snprintf(dir, sizeof dir, "%s", path);
	char *slash = strrchr(dir, '/');
	if (!slash || slash == dir)
		return 0;
	*slash = 0;
	for (char *p = dir + 1; *p; p++) {
		if (*p == '/') {
			*p = 0;
			if (mkdir(dir, 0700) && errno != EEXIST)
				return -1;
			*p = '/';
		}
	}
	if (mkdir(dir, 0700) && errno != EEXIST)
		return -1;
	return 0;
}

int mmr_log_key_load(const char *path, bool create, struct mmr_log_key *key, mmr_error *err)
{
	int rc = sodium_ready(err);
	if (rc)
		return rc;
	path = mmr_log_key_path(path);
	uint8_t seed[crypto_sign_SEEDBYTES];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT && create) {
		if (mkdir_parent(path)) {
			mmr_error_set(err, MMR_EIO, "%s: 鍵のディレクトリを作れません: %s", path,
				      strerror(errno));
			return MMR_EIO;
		}
		randombytes_buf(seed, sizeof seed);
		char b64[sodium_base64_ENCODED_LEN(crypto_sign_SEEDBYTES,
						   sodium_base64_VARIANT_ORIGINAL)];
		sodium_bin2base64(b64, sizeof b64, seed, sizeof seed,
				  sodium_base64_VARIANT_ORIGINAL);
		char text[128];
		int len = snprintf(text, sizeof text, "%s%s\n", KEY_MAGIC, b64);
		int wfd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (wfd < 0 && errno == EEXIST)
			return mmr_log_key_load(path, false, key, err); /* raced: use theirs */
		if (wfd < 0 || write(wfd, text, (size_t)len) != len || fsync(wfd)) {
			mmr_error_set(err, MMR_EIO, "%s: 鍵を書けません: %s", path,
				      strerror(errno));
			if (wfd >= 0)
				close(wfd);
			sodium_memzero(seed, sizeof seed);
			sodium_memzero(text, sizeof text);
			return MMR_EIO;
		}
		close(wfd);
		sodium_memzero(text, sizeof text);
	} else {
		if (fd < 0) {
			mmr_error_set(err, errno == ENOENT ? MMR_ENOTFOUND : MMR_EIO,
				      "%s: 署名鍵を開けません: %s (mamori log key で作ります)",
				      path, strerror(errno));
			return errno == ENOENT ? MMR_ENOTFOUND : MMR_EIO;
		}
		struct stat sb;
		if (fstat(fd, &sb) || (sb.st_mode & 077)) {
			close(fd);
			mmr_error_set(
				err, MMR_EDENIED,
				"%s: 署名鍵が他の利用者から読めます (chmod 600 にしてください)",
				path);
			return MMR_EDENIED;
		}
		char text[256];
		ssize_t n = read(fd, text, sizeof text - 1);
		close(fd);
		if (n < 0)
			n = 0;
		text[n] = 0;
		size_t mlen = strlen(KEY_MAGIC);
		size_t got = 0;
		const char *end = NULL;
		if ((size_t)n < mlen || memcmp(text, KEY_MAGIC, mlen) ||
		    sodium_base642bin(seed, sizeof seed, text + mlen, (size_t)n - mlen, "\n", &got,
				      &end, sodium_base64_VARIANT_ORIGINAL) ||
		    got != sizeof seed) {
			sodium_memzero(text, sizeof text);
			mmr_error_set(err, MMR_EINVAL, "%s: 署名鍵の形式が正しくありません", path);
			return MMR_EINVAL;
		}
		sodium_memzero(text, sizeof text);
	}
	crypto_sign_seed_keypair(key->pk, key->sk, seed);
	sodium_memzero(seed, sizeof seed);
	return MMR_OK;
}

uint32_t mmr_log_key_id(const char *name, const uint8_t pk[32])
{
	crypto_hash_sha256_state s;
	uint8_t h[32], alg = 0x01;
	crypto_hash_sha256_init(&s);
	crypto_hash_sha256_update(&s, (const uint8_t *)name, strlen(name));
	crypto_hash_sha256_update(&s, (const uint8_t *)"\n", 1);
	crypto_hash_sha256_update(&s, &alg, 1);
	crypto_hash_sha256_update(&s, pk, 32);
	crypto_hash_sha256_final(&s, h);
	return (uint32_t)h[0] << 24 | (uint32_t)h[1] << 16 | (uint32_t)h[2] << 8 | h[3];
}

void mmr_log_vkey(const char *name, const uint8_t pk[32], char *out, size_t n)
{
	uint8_t k[33];
	k[0] = 0x01;
	memcpy(k + 1, pk, 32);
	char b64[sodium_base64_ENCODED_LEN(33, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(b64, sizeof b64, k, sizeof k, sodium_base64_VARIANT_ORIGINAL);
	snprintf(out, n, "%s+%08x+%s", name, mmr_log_key_id(name, pk), b64);
}

static bool origin_ok(const char *o)
{
	if (!*o)
		return false;
	for (const unsigned char *p = (const unsigned char *)o; *p; p++)
		if (*p < 0x20 || *p == 0x7f || *p == ' ' || *p == '+')
			return false;
	return true;
}

int mmr_checkpoint_sign(const struct mmr_checkpoint *cp, const struct mmr_log_key *key, char *out,
			size_t n, mmr_error *err)
{
	int rc = sodium_ready(err);
	if (rc)
		return rc;
	if (!origin_ok(cp->origin)) {
		mmr_error_set(err, MMR_EINVAL,
			      "チェックポイントの origin \"%s\" が正しくありません", cp->origin);
		return MMR_EINVAL;
	}
	char root[sodium_base64_ENCODED_LEN(MMR_HASH_LEN, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(root, sizeof root, cp->root, MMR_HASH_LEN,
			  sodium_base64_VARIANT_ORIGINAL);
	char body[512];
	int blen = snprintf(body, sizeof body, "%s\n%llu\n%s\n", cp->origin,
			    (unsigned long long)cp->size, root);
	if (blen < 0 || (size_t)blen >= sizeof body) {
		mmr_error_set(err, MMR_ELIMIT, "チェックポイントが長すぎます");
		return MMR_ELIMIT;
	}
	uint8_t sig[4 + crypto_sign_BYTES];
	uint32_t id = mmr_log_key_id(cp->origin, key->pk);
	sig[0] = (uint8_t)(id >> 24);
	sig[1] = (uint8_t)(id >> 16);
	sig[2] = (uint8_t)(id >> 8);
	sig[3] = (uint8_t)id;
	crypto_sign_detached(sig + 4, NULL, (const uint8_t *)body, (unsigned long long)blen,
			     key->sk);
	char sb64[sodium_base64_ENCODED_LEN(sizeof sig, sodium_base64_VARIANT_ORIGINAL)];
	sodium_bin2base64(sb64, sizeof sb64, sig, sizeof sig, sodium_base64_VARIANT_ORIGINAL);
	int len = snprintf(out, n, "%s\n" EMDASH " %s %s\n", body, cp->origin, sb64);
	if (len < 0 || (size_t)len >= n) {
		mmr_error_set(err, MMR_ELIMIT, "チェックポイントの出力先が小さすぎます");
		return MMR_ELIMIT;
	}
	return MMR_OK;
}

static int bad(mmr_error *err, const char *what)
{
	mmr_error_set(err, MMR_EINVAL, "チェックポイントの形式が正しくありません: %s", what);
	return MMR_EINVAL;
}

int mmr_checkpoint_parse(const char *text, size_t len, const uint8_t *pk, struct mmr_checkpoint *cp,
			 mmr_error *err)
{
	int rc = sodium_ready(err);
	if (rc)
		return rc;
	memset(cp, 0, sizeof *cp);
	if (len > 65536)
		return bad(err, "長すぎます");
	if (memchr(text, 0, len))
		return bad(err, "NUL 文字があります");
	/* the body ends at the first blank line */
	size_t body_len = 0;
	for (size_t i = 0; i + 1 < len; i++)
		if (text[i] == '\n' && text[i + 1] == '\n') {
			body_len = i + 1;
			break;
		}
	if (!body_len)
		return bad(err, "空行 (本文と署名の区切り) がありません");
	/* line 1: origin */
	const char *p = text, *end = text + body_len;
	const char *nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || nl == p || (size_t)(nl - p) >= sizeof cp->origin)
		return bad(err, "1 行目 (origin)");
	memcpy(cp->origin, p, (size_t)(nl - p));
	cp->origin[nl - p] = 0;
	if (!origin_ok(cp->origin))
		return bad(err, "1 行目 (origin) に使えない文字があります");
	/* line 2: size, decimal without leading zeros */
	p = nl + 1;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || nl == p || nl - p > 20 || (*p == '0' && nl - p > 1))
		return bad(err, "2 行目 (大きさ)");
	uint64_t size = 0;
	for (const char *q = p; q < nl; q++) {
		if (*q < '0' || *q > '9')
			return bad(err, "2 行目 (大きさ) が数字ではありません");
		uint64_t d = (uint64_t)(*q - '0');
		if (size > (UINT64_MAX - d) / 10)
			return bad(err, "2 行目 (大きさ) が大きすぎます");
		size = size * 10 + d;
	}
	cp->size = size;
	/* line 3: root hash, base64 of 32 bytes */
	p = nl + 1;
	nl = memchr(p, '\n', (size_t)(end - p));
	if (!nl || nl - p != 44)
		return bad(err, "3 行目 (根のハッシュ)");
	size_t got = 0;
	const char *b64end = NULL;
	if (sodium_base642bin(cp->root, MMR_HASH_LEN, p, 44, NULL, &got, &b64end,
			      sodium_base64_VARIANT_ORIGINAL) ||
	    got != MMR_HASH_LEN || b64end != nl)
		return bad(err, "3 行目 (根のハッシュ) が base64 の 32 バイトではありません");
	/* further body lines (extensions) are allowed: non-empty, checked by the loop above */
	/* signature lines */
	const char *s = text + body_len + 1, *tend = text + len;
	if (s >= tend || tend[-1] != '\n')
		return bad(err, "署名行がないか、改行で終わっていません");
	bool verified = false;
	size_t n_sigs = 0;
	while (s < tend) {
		nl = memchr(s, '\n', (size_t)(tend - s));
		size_t ll = (size_t)(nl - s);
		if (ll < 5 || memcmp(s, EMDASH " ", 4))
			return bad(err, "署名行が \"— \" で始まっていません");
		const char *name = s + 4;
		const char *sp = memchr(name, ' ', (size_t)(nl - name));
		if (!sp || sp == name)
			return bad(err, "署名行に鍵の名前がありません");
		const char *sigb64 = sp + 1;
		uint8_t sig[4 + crypto_sign_BYTES + 16];
		got = 0;
		if (sodium_base642bin(sig, sizeof sig, sigb64, (size_t)(nl - sigb64), NULL, &got,
				      &b64end, sodium_base64_VARIANT_ORIGINAL) ||
		    b64end != nl || got < 5)
			return bad(err, "署名が base64 ではありません");
		n_sigs++;
		if (pk && !verified && (size_t)(sp - name) == strlen(cp->origin) &&
		    !memcmp(name, cp->origin, (size_t)(sp - name)) &&
		    got == 4 + crypto_sign_BYTES) {
			uint32_t id = mmr_log_key_id(cp->origin, pk);
			uint32_t gid = (uint32_t)sig[0] << 24 | (uint32_t)sig[1] << 16 |
				       (uint32_t)sig[2] << 8 | sig[3];
			if (id == gid && crypto_sign_verify_detached(sig + 4, (const uint8_t *)text,
								     body_len, pk) == 0)
				verified = true;
		}
		s = nl + 1;
	}
	if (!n_sigs)
		return bad(err, "署名行がありません");
	if (pk && !verified) {
		mmr_error_set(err, MMR_EDENIED,
			      "チェックポイント (%s, 大きさ %llu) の署名が鍵と合いません",
			      cp->origin, (unsigned long long)cp->size);
		return MMR_EDENIED;
	}
	return MMR_OK;
}
