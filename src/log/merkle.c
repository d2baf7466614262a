/*
 * merkle.c — RFC 6962 / RFC 9162 hashing, the incremental right edge of a
 * tree, and inclusion / consistency proofs (generation from a node source,
 * verification from the proof alone). SHA-256 is OpenSSL's (SHA-NI where the
 * CPU has it).
 */
/* OpenSSL's SHA256_* functions (deprecated in 3.0 in favour of EVP) run the
 * same SHA-NI code without EVP's per-call provider dispatch, which costs more
 * than hashing a 65-byte node. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include <openssl/sha.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

static void sha256_2(uint8_t prefix, const void *a, size_t alen, const void *b, size_t blen,
		     mmr_hash out)
{
	SHA256_CTX c;
	if (SHA256_Init(&c) != 1 || SHA256_Update(&c, &prefix, 1) != 1 ||
	    (alen && SHA256_Update(&c, a, alen) != 1) ||
	    (blen && SHA256_Update(&c, b, blen) != 1) || SHA256_Final(out, &c) != 1) {
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
	sha256_2(0x01, left, MMR_HASH_LEN, right, MMR_HASH_LEN, out);
}

void mmr_log_empty_root(mmr_hash out)
{
	SHA256_CTX c;
	SHA256_Init(&c);
	SHA256_Final(out, &c);
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

/* hex digit → value + 1; 0 for anything else (the NUL included) */
static const uint8_t hexv1[256] = {
	['0'] = 1,  ['1'] = 2,	['2'] = 3,  ['3'] = 4,	['4'] = 5,  ['5'] = 6,
	['6'] = 7,  ['7'] = 8,	['8'] = 9,  ['9'] = 10, ['a'] = 11, ['b'] = 12,
	['c'] = 13, ['d'] = 14, ['e'] = 15, ['f'] = 16, ['A'] = 11, ['B'] = 12,
	['C'] = 13, ['D'] = 14, ['E'] = 15, ['F'] = 16,
};

int mmr_hash_from_hex(const char *hex, mmr_hash out)
{
	if (!hex)
		return -1;
	const unsigned char *p = (const unsigned char *)hex;
	for (size_t i = 0; i < MMR_HASH_LEN; i++) {
		unsigned a = hexv1[p[2 * i]];
		if (!a)
			return -1;
		unsigned b = hexv1[p[2 * i + 1]];
		if (!b)
			return -1;
		out[i] = (uint8_t)((a - 1) << 4 | (b - 1));
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
