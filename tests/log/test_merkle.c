/*
 * test_merkle.c — the audit log's mathematics against the public RFC 6962
 * vectors (../shared/testdata/merkle/rfc6962-vectors.json): roots of every
 * size, inclusion and consistency proofs generated and verified, and every
 * corruption the vectors' README lists rejected; the incremental frontier
 * against the recursive definition; checkpoints signed, parsed and forged.
 * `test_merkle VECTORS_JSON`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "log/log.h"

static const char *vectors_path;
static json_t *vec;

#define MAXL 64
static uint8_t leaves[MAXL][64];
static size_t leaf_len[MAXL];
static size_t n_leaves;

static void unhex(const char *hex, uint8_t *out, size_t *len)
{
	size_t n = strlen(hex) / 2;
	for (size_t i = 0; i < n; i++) {
		unsigned v;
		sscanf(hex + 2 * i, "%2x", &v);
		out[i] = (uint8_t)v;
	}
	*len = n;
}

static void hash_of(const char *hex, mmr_hash out)
{
	assert_int_equal(mmr_hash_from_hex(hex, out), 0);
}

/* node source over an in-memory tree of `n_leaves` leaves (recursive MTH) */
static void mth(uint64_t begin, uint64_t end, mmr_hash out)
{
	if (end - begin == 1) {
		mmr_log_leaf_hash(leaves[begin], leaf_len[begin], out);
		return;
	}
	uint64_t k = 1;
	while (k << 1 < end - begin)
		k <<= 1;
	mmr_hash l, r;
	mth(begin, begin + k, l);
	mth(begin + k, end, r);
	mmr_log_node_hash(l, r, out);
}

static int calls;
static int mem_node(void *ud, unsigned level, uint64_t index, mmr_hash out, mmr_error *err)
{
	(void)ud;
	calls++;
	uint64_t b = index << level, e = (index + 1) << level;
	if (e > n_leaves) {
		mmr_error_set(err, MMR_ENOTFOUND, "no node (%u,%llu)", level,
			      (unsigned long long)index);
		return MMR_ENOTFOUND;
	}
	mth(b, e, out);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	json_error_t je;
	vec = json_load_file(vectors_path, 0, &je);
	if (!vec) {
		fprintf(stderr, "%s: %s\n", vectors_path, je.text);
		return -1;
	}
	json_t *l = json_object_get(vec, "leaves_hex");
	n_leaves = json_array_size(l);
	for (size_t i = 0; i < n_leaves; i++)
		unhex(json_string_value(json_array_get(l, i)), leaves[i], &leaf_len[i]);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	json_decref(vec);
	return 0;
}

static void roots(void **state)
{
	(void)state;
	json_t *r = json_object_get(vec, "roots_by_size_hex");
	assert_int_equal(json_array_size(r), n_leaves + 1);
	struct mmr_log_frontier f = {0};
	for (size_t size = 0; size <= n_leaves; size++) {
		mmr_hash want, got;
		hash_of(json_string_value(json_array_get(r, size)), want);
		mmr_error err;
		assert_int_equal(mmr_log_root(mem_node, NULL, size, got, &err), 0);
		assert_memory_equal(got, want, 32);
		mmr_log_frontier_root(&f, got);
		assert_memory_equal(got, want, 32);
		if (size < n_leaves) {
			mmr_hash lh;
			mmr_log_leaf_hash(leaves[size], leaf_len[size], lh);
			mmr_log_frontier_push(&f, lh, NULL, NULL);
		}
	}
}

static void root_at(uint64_t size, mmr_hash out)
{
	hash_of(json_string_value(json_array_get(json_object_get(vec, "roots_by_size_hex"), size)),
		out);
}

static void inclusion(void **state)
{
	(void)state;
	json_t *ps = json_object_get(vec, "inclusion_proofs");
	size_t i;
	json_t *p;
	assert_true(json_array_size(ps) > 0);
	json_array_foreach (ps, i, p) {
		uint64_t idx = (uint64_t)json_integer_value(json_object_get(p, "leaf_index"));
		uint64_t size = (uint64_t)json_integer_value(json_object_get(p, "tree_size"));
		json_t *ph = json_object_get(p, "proof_hex");
		size_t n = json_array_size(ph);
		mmr_hash proof[MMR_LOG_MAX_PROOF + 2], gen[MMR_LOG_MAX_PROOF], root, leaf;
		for (size_t k = 0; k < n; k++)
			hash_of(json_string_value(json_array_get(ph, k)), proof[k]);
		/* generation agrees with the published proof */
		size_t gn = 0;
		mmr_error err;
		assert_int_equal(mmr_log_inclusion_proof(mem_node, NULL, idx, size, gen, &gn, &err),
				 0);
		assert_int_equal(gn, n);
		assert_memory_equal(gen, proof, n * 32);
		root_at(size, root);
		mmr_log_leaf_hash(leaves[idx], leaf_len[idx], leaf);
		assert_true(mmr_log_verify_inclusion(idx, size, leaf, proof, n, root));
		/* every corruption fails */
		assert_false(mmr_log_verify_inclusion(idx + 1, size, leaf, proof, n, root));
		if (idx > 0)
			assert_false(mmr_log_verify_inclusion(idx - 1, size, leaf, proof, n, root));
		assert_false(mmr_log_verify_inclusion(idx ^ 2, size, leaf, proof, n, root));
		assert_false(mmr_log_verify_inclusion(idx, size * 2, leaf, proof, n, root));
		assert_false(mmr_log_verify_inclusion(idx, size / 2, leaf, proof, n, root));
		mmr_hash bad;
		memcpy(bad, leaf, 32);
		bad[0] ^= 1;
		assert_false(mmr_log_verify_inclusion(idx, size, bad, proof, n, root));
		assert_false(mmr_log_verify_inclusion(idx, size, leaf, proof, n, bad));
		for (size_t k = 0; k < n; k++)
			for (int bit = 0; bit < 256; bit += 37) {
				proof[k][bit / 8] ^= (uint8_t)(1 << (bit % 8));
				assert_false(
					mmr_log_verify_inclusion(idx, size, leaf, proof, n, root));
				proof[k][bit / 8] ^= (uint8_t)(1 << (bit % 8));
			}
		/* appended / prepended garbage or root */
		mmr_hash ext[MMR_LOG_MAX_PROOF + 2];
		memcpy(ext, proof, n * 32);
		memcpy(ext[n], root, 32);
		assert_false(mmr_log_verify_inclusion(idx, size, leaf, ext, n + 1, root));
		memset(ext[n], 0x5a, 32);
		assert_false(mmr_log_verify_inclusion(idx, size, leaf, ext, n + 1, root));
		memcpy(ext[0], root, 32);
		memcpy(ext + 1, proof, n * 32);
		assert_false(mmr_log_verify_inclusion(idx, size, leaf, ext, n + 1, root));
		if (n > 0) {
			/* an element removed */
			assert_false(
				mmr_log_verify_inclusion(idx, size, leaf, proof + 1, n - 1, root));
			assert_false(mmr_log_verify_inclusion(idx, size, leaf, proof, n - 1, root));
		}
	}
	/* all proofs of all sizes: generate and verify */
	for (uint64_t size = 1; size <= n_leaves; size++)
		for (uint64_t idx = 0; idx < size; idx++) {
			mmr_hash proof[MMR_LOG_MAX_PROOF], root, leaf;
			size_t n = 0;
			mmr_error err;
			assert_int_equal(
				mmr_log_inclusion_proof(mem_node, NULL, idx, size, proof, &n, &err),
				0);
			root_at(size, root);
			mmr_log_leaf_hash(leaves[idx], leaf_len[idx], leaf);
			assert_true(mmr_log_verify_inclusion(idx, size, leaf, proof, n, root));
		}
	mmr_error err;
	size_t n;
	mmr_hash proof[MMR_LOG_MAX_PROOF];
	assert_int_equal(mmr_log_inclusion_proof(mem_node, NULL, 8, 8, proof, &n, &err),
			 MMR_EINVAL);
}

static void consistency(void **state)
{
	(void)state;
	json_t *ps = json_object_get(vec, "consistency_proofs");
	size_t i;
	json_t *p;
	assert_true(json_array_size(ps) > 0);
	json_array_foreach (ps, i, p) {
		uint64_t m = (uint64_t)json_integer_value(json_object_get(p, "size1"));
		uint64_t n = (uint64_t)json_integer_value(json_object_get(p, "size2"));
		json_t *ph = json_object_get(p, "proof_hex");
		size_t len = json_array_size(ph);
		mmr_hash proof[MMR_LOG_MAX_PROOF + 2], gen[MMR_LOG_MAX_PROOF], r1, r2;
		for (size_t k = 0; k < len; k++)
			hash_of(json_string_value(json_array_get(ph, k)), proof[k]);
		size_t gn = 0;
		mmr_error err;
		assert_int_equal(mmr_log_consistency_proof(mem_node, NULL, m, n, gen, &gn, &err),
				 0);
		assert_int_equal(gn, len);
		assert_memory_equal(gen, proof, len * 32);
		root_at(m, r1);
		root_at(n, r2);
		assert_true(mmr_log_verify_consistency(m, n, r1, r2, proof, len));
		if (m == n)
			continue;
		assert_false(mmr_log_verify_consistency(m, n, r2, r1, proof, len)); /* swapped */
		assert_false(mmr_log_verify_consistency(m, n, r1, r2, proof, 0));   /* empty */
		assert_false(mmr_log_verify_consistency(m, n * 2, r1, r2, proof, len));
		if (n / 2 >= m)
			assert_false(mmr_log_verify_consistency(m, n / 2, r1, r2, proof, len));
		if (m > 1)
			assert_false(mmr_log_verify_consistency(m - 1, n, r1, r2, proof, len));
		for (size_t k = 0; k < len; k++) {
			proof[k][k % 32] ^= 0x10;
			assert_false(mmr_log_verify_consistency(m, n, r1, r2, proof, len));
			proof[k][k % 32] ^= 0x10;
		}
		mmr_hash ext[MMR_LOG_MAX_PROOF + 2];
		memcpy(ext, proof, len * 32);
		memset(ext[len], 0xa5, 32);
		assert_false(mmr_log_verify_consistency(m, n, r1, r2, ext, len + 1));
		memcpy(ext[0], r1, 32);
		memcpy(ext + 1, proof, len * 32);
		assert_false(mmr_log_verify_consistency(m, n, r1, r2, ext, len + 1));
		assert_false(mmr_log_verify_consistency(m, n, r1, r2, proof + 1, len - 1));
	}
	for (uint64_t n = 1; n <= n_leaves; n++)
		for (uint64_t m = 1; m <= n; m++) {
			mmr_hash proof[MMR_LOG_MAX_PROOF], r1, r2;
			size_t len = 0;
			mmr_error err;
			assert_int_equal(
				mmr_log_consistency_proof(mem_node, NULL, m, n, proof, &len, &err),
				0);
			root_at(m, r1);
			root_at(n, r2);
			assert_true(mmr_log_verify_consistency(m, n, r1, r2, proof, len));
		}
}

static int frontier_nodes;
static void count_node(void *ud, unsigned level, uint64_t index, const mmr_hash h)
{
	(void)ud;
	mmr_hash want;
	mmr_error err;
	assert_int_equal(mem_node(NULL, level, index, want, &err), 0);
	assert_memory_equal(h, want, 32);
	frontier_nodes++;
}

static void frontier_nodes_match(void **state)
{
	(void)state;
	struct mmr_log_frontier f = {0};
	for (size_t i = 0; i < n_leaves; i++) {
		mmr_hash lh;
		mmr_log_leaf_hash(leaves[i], leaf_len[i], lh);
		mmr_log_frontier_push(&f, lh, count_node, NULL);
	}
	assert_int_equal(frontier_nodes, 7); /* 4 + 2 + 1 internal nodes of 8 leaves */
	assert_int_equal(f.n, 1);
}

static void checkpoints(void **state)
{
	(void)state;
	char dir[] = "/tmp/mamori-test-log-XXXXXX";
	assert_non_null(mkdtemp(dir));
	char kp[256];
	snprintf(kp, sizeof kp, "%s/sub/log.key", dir);
	struct mmr_log_key key, key2, other;
	mmr_error err;
	assert_int_equal(mmr_log_key_load(kp, false, &key, &err), MMR_ENOTFOUND);
	assert_int_equal(mmr_log_key_load(kp, true, &key, &err), 0);
	assert_int_equal(mmr_log_key_load(kp, false, &key2, &err), 0);
	assert_memory_equal(key.pk, key2.pk, 32);
	char kp2[256];
	snprintf(kp2, sizeof kp2, "%s/other.key", dir);
	assert_int_equal(mmr_log_key_load(kp2, true, &other, &err), 0);

	struct mmr_checkpoint cp = {.size = 8};
	snprintf(cp.origin, sizeof cp.origin, "mamori/toyohashi");
	root_at(8, cp.root);
	char text[1024];
	assert_int_equal(mmr_checkpoint_sign(&cp, &key, text, sizeof text, &err), 0);
	assert_non_null(strstr(text, "mamori/toyohashi\n8\nXcnaeacGWamtVZy3Ad7Z"));
	assert_non_null(strstr(text, "\n\n\xe2\x80\x94 mamori/toyohashi "));
	struct mmr_checkpoint back;
	assert_int_equal(mmr_checkpoint_parse(text, strlen(text), key.pk, &back, &err), 0);
	assert_string_equal(back.origin, cp.origin);
	assert_int_equal(back.size, 8);
	assert_memory_equal(back.root, cp.root, 32);
	/* another key, an edited size, an edited root: refused */
	assert_int_equal(mmr_checkpoint_parse(text, strlen(text), other.pk, &back, &err),
			 MMR_EDENIED);
	char forged[1024];
	snprintf(forged, sizeof forged, "%s", text);
	forged[strlen("mamori/toyohashi\n")] = '9';
	assert_int_equal(mmr_checkpoint_parse(forged, strlen(forged), key.pk, &back, &err),
			 MMR_EDENIED);
	snprintf(forged, sizeof forged, "%s", text);
	forged[strlen("mamori/toyohashi\n8\n") + 3] ^= 1;
	assert_int_not_equal(mmr_checkpoint_parse(forged, strlen(forged), key.pk, &back, &err), 0);
	/* bad shapes */
	const char *bads[] = {
		"",
		"origin\n",
		"origin\n8\n",
		"origin\n08\nXcnaeacGWamtVZy3Ad7Z2audgjqtL0lg8+Nw7/RgQyg=\n\n\xe2\x80\x94 o AAAA\n",
		"origin\n8\nXcnaeacGWamtVZy3Ad7Z2audgjqtL0lg8+Nw7/RgQyg=\n\n",
		"origin\n8\nXcnaeacGWamtVZy3Ad7Z2audgjqtL0lg8+Nw7/RgQyg=\n\n- o AAAAAAAA\n",
		"origin\n8\nXcnaeacGWamtVZy3Ad7Z2audgjqtL0lg8+Nw7/RgQ=\n\n\xe2\x80\x94 o "
		"AAAAAAAA\n",
		"origin\n99999999999999999999\nXcnaeacGWamtVZy3Ad7Z2audgjqtL0lg8+Nw7/RgQyg=\n\n"
		"\xe2\x80\x94 o AAAAAAAA\n",
		"origin\n8\nXcnaeacGWamtVZy3Ad7Z2audgjqtL0lg8+Nw7/RgQyg=\n\n\xe2\x80\x94 o "
		"AAAAAAAA",
		"or igin\n8\nXcnaeacGWamtVZy3Ad7Z2audgjqtL0lg8+Nw7/RgQyg=\n\n\xe2\x80\x94 o "
		"AAAAAAAA\n",
	};
	for (size_t i = 0; i < sizeof bads / sizeof *bads; i++)
		assert_int_equal(mmr_checkpoint_parse(bads[i], strlen(bads[i]), NULL, &back, &err),
				 MMR_EINVAL);
	/* a well-formed note with an unknown key parses without a key check */
	const char *ok = "origin\n8\nXcnaeacGWamtVZy3Ad7Z2audgjqtL0lg8+Nw7/RgQyg=\n\n"
			 "\xe2\x80\x94 o AAAAAAAA\n";
	assert_int_equal(mmr_checkpoint_parse(ok, strlen(ok), NULL, &back, &err), 0);
	assert_int_equal(mmr_checkpoint_parse(ok, strlen(ok), key.pk, &back, &err), MMR_EDENIED);
	char vk[256];
	mmr_log_vkey("mamori", key.pk, vk, sizeof vk);
	assert_true(!strncmp(vk, "mamori+", 7));
	unlink(kp);
	unlink(kp2);
	snprintf(kp, sizeof kp, "%s/sub", dir);
	rmdir(kp);
	rmdir(dir);
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: test_merkle VECTORS_JSON\n");
		return 2;
	}
	vectors_path = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(roots),       cmocka_unit_test(inclusion),
		cmocka_unit_test(consistency), cmocka_unit_test(frontier_nodes_match),
		cmocka_unit_test(checkpoints),
	};
	return cmocka_run_group_tests(tests, setup, teardown);
}
