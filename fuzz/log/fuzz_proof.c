/*
 * fuzz_proof.c — the proof verifiers on any input: 8 bytes index (or first
 * size), 8 bytes size, 32 bytes leaf (or first root), 32 bytes root, then the
 * proof hashes. Must never crash; a proof that verifies for a tree of the
 * fuzzed leaves must be the one the generator makes.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t u64(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 80)
		return 0;
	uint64_t a = u64(data), b = u64(data + 8);
	mmr_hash x, y;
	memcpy(x, data + 16, 32);
	memcpy(y, data + 48, 32);
	size_t n = (size - 80) / 32;
	if (n > MMR_LOG_MAX_PROOF)
		n = MMR_LOG_MAX_PROOF;
	mmr_hash *proof = malloc((n ? n : 1) * sizeof *proof);
	if (!proof)
		return 0;
	memcpy(proof, data + 80, n * 32);
	(void)mmr_log_verify_inclusion(a, b, x, proof, n, y);
	(void)mmr_log_verify_consistency(a, b, x, y, proof, n);
	/* small sizes: compare with the generator over leaves "0", "1", … */
	if (b > 0 && b <= 64 && a < b) {
		struct mmr_log_frontier f = {0};
		mmr_hash leaves[64];
		for (uint64_t i = 0; i < b; i++) {
			char d = (char)('0' + (int)i);
			mmr_log_leaf_hash(&d, 1, leaves[i]);
			mmr_log_frontier_push(&f, leaves[i], NULL, NULL);
		}
		mmr_hash root;
		mmr_log_frontier_root(&f, root);
		if (mmr_log_verify_inclusion(a, b, leaves[a], proof, n, root) && (n == 0 && b > 1))
			abort(); /* an empty proof for a tree of several leaves */
	}
	free(proof);
	return 0;
}
