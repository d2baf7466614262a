/*
 * merkle.c — RFC 6962 / RFC 9162 hashing, the incremental right edge of a
 * tree, and inclusion / consistency proofs (generation from a node source,
 * verification from the proof alone). SHA-256 is OpenSSL's EVP (SHA-NI where
 * the CPU has it); one digest context per thread is reused.
 */
#include <openssl/evp.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

static EVP_MD *g_md;
static pthread_key_t g_key;
static pthread_once_t g_once = PTHREAD_ONCE_INIT;
static _Thread_local EVP_MD_CTX *tl_ctx;

static void ctx_destroy(void *c)
{
	EVP_MD_CTX_free(c);
}

static void main_exit(void)
{
	/* the main thread's context: thread-key destructors do not run for it */
	EVP_MD_CTX *c = pthread_getspecific(g_key);
	if (c) {
		pthread_setspecific(g_key, NULL);
		EVP_MD_CTX_free(c);
		tl_ctx = NULL;
	}
	EVP_MD_free(g_md);
	g_md = NULL;
}

static void init_once(void)
{
	g_md = EVP_MD_fetch(NULL, "SHA256", NULL);
	if (!g_md || pthread_key_create(&g_key, ctx_destroy)) {
		fprintf(stderr, "mamori: OpenSSL SHA-256 is not available\n");
		abort();
	}
	atexit(main_exit);
}

static EVP_MD_CTX *ctx_get(void)
{
	if (!tl_ctx) {
		pthread_once(&g_once, init_once);
		tl_ctx = EVP_MD_CTX_new();
		if (!tl_ctx) {
			fprintf(stderr, "mamori: メモリが足りません\n");
			abort();
		}
		pthread_setspecific(g_key, tl_ctx);
	}
	return tl_ctx;
}

static void sha256_2(uint8_t prefix, const void *a, size_t alen, const void *b, size_t blen,
		     mmr_hash out)
{
	EVP_MD_CTX *c = ctx_get();
	unsigned int n = 0;
	if (EVP_DigestInit_ex2(c, g_md, NULL) != 1 || EVP_DigestUpdate(c, &prefix, 1) != 1 ||
	    (alen && EVP_DigestUpdate(c, a, alen) != 1) ||
	    (blen && EVP_DigestUpdate(c, b, blen) != 1) || EVP_DigestFinal_ex(c, out, &n) != 1) {
		fprintf(stderr, "mamori: SHA-256 failed\n");
		abort();
	}
}

void mmr_log_leaf_hash(const void *data, size_t len, mmr_hash out)
{
	sha256_2(0x00, data, len, NULL, 0, out);
}

void mmr_log_node_hash(const mmr_hash left, const mmr_hash right, mmr_hash out)
{
	uint8_t buf[2 * MMR_HASH_LEN];
	memcpy(buf, left, MMR_HASH_LEN);
	memcpy(buf + MMR_HASH_LEN, right, MMR_HASH_LEN);
	sha256_2(0x01, buf, sizeof buf, NULL, 0, out);
}

void mmr_log_empty_root(mmr_hash out)
{
	EVP_MD_CTX *c = ctx_get();
	unsigned int n = 0;
	EVP_DigestInit_ex2(c, g_md, NULL);
	EVP_DigestFinal_ex(c, out, &n);
}

void mmr_hash_hex(const mmr_hash h, char out[2 * MMR_HASH_LEN + 1])
{
	static const char d[] = "0123456789abcdef";
	for (size_t i = 0; i < MMR_HASH_LEN; i++) {
		out[2 * i] = d[h[i] >> 4];
		out[2 * i + 1] = d[h[i] & 15];
	}
	out[2 * MMR_HASH_LEN] = 0;
}

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int mmr_hash_from_hex(const char *hex, mmr_hash out)
{
	if (!hex)
		return -1;
	for (size_t i = 0; i < MMR_HASH_LEN; i++) {
		int a = hexval(hex[2 * i]);
		if (a < 0)
			return -1;
		int b = hexval(hex[2 * i + 1]);
		if (b < 0)
			return -1;
		out[i] = (uint8_t)(a << 4 | b);
	}
	return hex[2 * MMR_HASH_LEN] ? -1 : 0;
}

/* ---- incremental tree ------------------------------------------------------- */

void mmr_log_frontier_push(struct mmr_log_frontier *f, const mmr_hash leaf,
			   mmr_log_newnode_fn node_cb, void *ud)
{
	mmr_hash h;
	memcpy(h, leaf, MMR_HASH_LEN);
	uint64_t idx = f->size;
	unsigned level = 0;
	while (idx & 1) {
		mmr_log_node_hash(f->h[--f->n], h, h);
		level++;
		idx >>= 1;
		if (node_cb)
			node_cb(ud, level, idx, h);
	}
	memcpy(f->h[f->n++], h, MMR_HASH_LEN);
	f->size++;
}

void mmr_log_frontier_root(const struct mmr_log_frontier *f, mmr_hash out)
{
	if (f->n == 0) {
		mmr_log_empty_root(out);
		return;
	}
	mmr_hash r;
	memcpy(r, f->h[f->n - 1], MMR_HASH_LEN);
	for (size_t i = f->n - 1; i-- > 0;)
		mmr_log_node_hash(f->h[i], r, r);
	memcpy(out, r, MMR_HASH_LEN);
}

/* ---- proofs ------------------------------------------------------------------ */

static uint64_t split_point(uint64_t n) /* largest power of two < n, n ≥ 2 */
{
	uint64_t k = 1;
	while (k << 1 < n)
		k <<= 1;
	return k;
}

static unsigned log2u(uint64_t v)
{
	unsigned l = 0;
	while (v >>= 1)
		l++;
	return l;
}

int mmr_log_subtree(mmr_log_node_fn get, void *ud, uint64_t begin, uint64_t end, mmr_hash out,
		    mmr_error *err)
{
	uint64_t size = end - begin;
	if (end <= begin) {
		mmr_error_set(err, MMR_EINVAL, "空の部分木です (%llu..%llu)",
			      (unsigned long long)begin, (unsigned long long)end);
		return MMR_EINVAL;
	}
	if ((size & (size - 1)) == 0 && begin % size == 0) {
		unsigned level = log2u(size);
		return get(ud, level, begin >> level, out, err);
	}
	uint64_t k = split_point(size);
	mmr_hash l, r;
	int rc = mmr_log_subtree(get, ud, begin, begin + k, l, err);
	if (!rc)
		rc = mmr_log_subtree(get, ud, begin + k, end, r, err);
	if (!rc)
		mmr_log_node_hash(l, r, out);
	return rc;
}

int mmr_log_root(mmr_log_node_fn get, void *ud, uint64_t size, mmr_hash out, mmr_error *err)
{
	if (size == 0) {
		mmr_log_empty_root(out);
		return MMR_OK;
	}
	return mmr_log_subtree(get, ud, 0, size, out, err);
}

int mmr_log_inclusion_proof(mmr_log_node_fn get, void *ud, uint64_t index, uint64_t size,
			    mmr_hash proof[MMR_LOG_MAX_PROOF], size_t *n_out, mmr_error *err)
{
	*n_out = 0;
	if (index >= size) {
		mmr_error_set(err, MMR_EINVAL, "索引 %llu は木の大きさ %llu の外です",
			      (unsigned long long)index, (unsigned long long)size);
		return MMR_EINVAL;
	}
	/* walk down from the root, collecting siblings; then reverse */
	mmr_hash tmp[MMR_LOG_MAX_PROOF];
	size_t n = 0;
	uint64_t lo = 0, hi = size;
	while (hi - lo > 1) {
		uint64_t k = split_point(hi - lo);
		int rc;
		if (index - lo < k) {
			rc = mmr_log_subtree(get, ud, lo + k, hi, tmp[n++], err);
			hi = lo + k;
		} else {
			rc = mmr_log_subtree(get, ud, lo, lo + k, tmp[n++], err);
			lo = lo + k;
		}
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < n; i++)
		memcpy(proof[i], tmp[n - 1 - i], MMR_HASH_LEN);
	*n_out = n;
	return MMR_OK;
}

int mmr_log_consistency_proof(mmr_log_node_fn get, void *ud, uint64_t m, uint64_t n,
			      mmr_hash proof[MMR_LOG_MAX_PROOF], size_t *n_out, mmr_error *err)
{
	*n_out = 0;
	if (m == 0 || m > n) {
		mmr_error_set(err, MMR_EINVAL, "整合性証明の大きさが正しくありません (%llu → %llu)",
			      (unsigned long long)m, (unsigned long long)n);
		return MMR_EINVAL;
	}
	mmr_hash tmp[MMR_LOG_MAX_PROOF];
	size_t cnt = 0;
	uint64_t lo = 0, hi = n, mm = m;
	bool whole = true;
	int rc = 0;
	for (;;) {
		if (mm == hi - lo) {
			if (!whole)
				rc = mmr_log_subtree(get, ud, lo, hi, tmp[cnt++], err);
			break;
		}
		uint64_t k = split_point(hi - lo);
		if (mm <= k) {
			rc = mmr_log_subtree(get, ud, lo + k, hi, tmp[cnt++], err);
			hi = lo + k;
		} else {
			rc = mmr_log_subtree(get, ud, lo, lo + k, tmp[cnt++], err);
			mm -= k;
			lo += k;
			whole = false;
		}
		if (rc)
			return rc;
	}
	if (rc)
		return rc;
	for (size_t i = 0; i < cnt; i++)
		memcpy(proof[i], tmp[cnt - 1 - i], MMR_HASH_LEN);
	*n_out = cnt;
	return MMR_OK;
}

bool mmr_log_verify_inclusion(uint64_t index, uint64_t size, const mmr_hash leaf,
			      const void *proof_v, size_t n, const mmr_hash root)
{
	const uint8_t *proof = proof_v;
	if (index >= size)
		return false;
	uint64_t fn = index, sn = size - 1;
	mmr_hash r;
	memcpy(r, leaf, MMR_HASH_LEN);
	for (size_t i = 0; i < n; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			mmr_log_node_hash((proof + MMR_HASH_LEN * i), r, r);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			mmr_log_node_hash(r, (proof + MMR_HASH_LEN * i), r);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(r, root, MMR_HASH_LEN) == 0;
}

bool mmr_log_verify_consistency(uint64_t m, uint64_t n, const mmr_hash root1, const mmr_hash root2,
				const void *proof_v, size_t len)
{
	if (m == 0 || m > n)
		return false;
	if (m == n)
		return len == 0 && memcmp(root1, root2, MMR_HASH_LEN) == 0;
	if (len == 0 || len > MMR_LOG_MAX_PROOF)
		return false;
	const uint8_t *path = proof_v;
	size_t plen = len;
	mmr_hash first;
	size_t start = 0;
	if ((m & (m - 1)) == 0) {
		memcpy(first, root1, MMR_HASH_LEN);
	} else {
		memcpy(first, path, MMR_HASH_LEN);
		start = 1;
	}
	uint64_t fn = m - 1, sn = n - 1;
	while (fn & 1) {
		fn >>= 1;
		sn >>= 1;
	}
	mmr_hash fr, sr;
	memcpy(fr, first, MMR_HASH_LEN);
	memcpy(sr, first, MMR_HASH_LEN);
	for (size_t i = start; i < plen; i++) {
		if (sn == 0)
			return false;
		if ((fn & 1) || fn == sn) {
			mmr_log_node_hash((path + MMR_HASH_LEN * i), fr, fr);
			mmr_log_node_hash((path + MMR_HASH_LEN * i), sr, sr);
			if (!(fn & 1))
				while (!(fn & 1) && fn != 0) {
					fn >>= 1;
					sn >>= 1;
				}
		} else {
			mmr_log_node_hash(sr, (path + MMR_HASH_LEN * i), sr);
		}
		fn >>= 1;
		sn >>= 1;
	}
	return sn == 0 && memcmp(fr, root1, MMR_HASH_LEN) == 0 &&
	       memcmp(sr, root2, MMR_HASH_LEN) == 0;
}
