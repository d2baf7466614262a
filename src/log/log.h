/*
 * log.h — the mathematics of the audit log (issue 4), with no database:
 *
 *  - RFC 6962 / RFC 9162 Merkle tree hashing (SHA-256 through OpenSSL's EVP):
 *    leaf = H(0x00 ‖ data), node = H(0x01 ‖ left ‖ right), empty = H("");
 *  - tree heads, inclusion and consistency proofs, generated from a node
 *    source (a callback answering the hash of a complete, aligned subtree)
 *    and verified from the proof alone (RFC 9162 §2.1.3.2, §2.1.4.2);
 *  - checkpoints in the C2SP tlog-checkpoint / signed-note text format:
 *        <origin>\n<size>\n<base64 root>\n\n— <key name> <base64(keyhash4 ‖ sig)>\n
 *    signed with Ed25519 (libsodium);
 *  - the Ed25519 signing key file (0600, outside the database).
 */
#ifndef MMR_LOG_H
#define MMR_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori.h"

#define MMR_HASH_LEN 32
#define MMR_LOG_MAX_PROOF 64 /* hashes in a proof of a tree of < 2^63 leaves */

typedef uint8_t mmr_hash[MMR_HASH_LEN];

/* ---- hashing ----------------------------------------------------------------- */

void mmr_log_leaf_hash(const void *data, size_t len, mmr_hash out);
void mmr_log_node_hash(const mmr_hash left, const mmr_hash right, mmr_hash out);
void mmr_log_empty_root(mmr_hash out);

void mmr_hash_hex(const mmr_hash h, char out[2 * MMR_HASH_LEN + 1]);
/* 0 on success; -1 when `hex` is not exactly 64 hex digits. */
int mmr_hash_from_hex(const char *hex, mmr_hash out);

/* ---- incremental tree --------------------------------------------------------
 * The right edge of a tree: the roots of its complete subtrees, largest first
 * (one per set bit of `size`). Appending a leaf merges equal-sized roots and
 * reports each node it completes (level ≥ 1) so that a store can keep them. */
struct mmr_log_frontier {
	uint64_t size;
	size_t n;
	mmr_hash h[64];
};

/* Append leaf hash `leaf`; `node_cb` (may be NULL) is called for each new
 * complete node at level ≥ 1 with its level and index (node (L, i) covers
 * leaves [i·2^L, (i+1)·2^L)). */
typedef void (*mmr_log_newnode_fn)(void *ud, unsigned level, uint64_t index, const mmr_hash h);
void mmr_log_frontier_push(struct mmr_log_frontier *f, const mmr_hash leaf,
			   mmr_log_newnode_fn node_cb, void *ud);
void mmr_log_frontier_root(const struct mmr_log_frontier *f, mmr_hash out);

/* ---- proofs from stored nodes ----------------------------------------------- */

/* The node source: the hash of the complete subtree (level, index). Answers
 * 0, or an mmr_code with err filled. */
typedef int (*mmr_log_node_fn)(void *ud, unsigned level, uint64_t index, mmr_hash out,
			       mmr_error *err);

/* MTH(D[begin:end]) for 0 ≤ begin < end, begin aligned to the largest power
 * of two below end - begin (as every subtree in RFC 6962 proofs is). */
int mmr_log_subtree(mmr_log_node_fn get, void *ud, uint64_t begin, uint64_t end, mmr_hash out,
		    mmr_error *err);
int mmr_log_root(mmr_log_node_fn get, void *ud, uint64_t size, mmr_hash out, mmr_error *err);

/* PATH(index, D[0:size]) and PROOF(m, D[0:n]); *n_out hashes into proof. */
int mmr_log_inclusion_proof(mmr_log_node_fn get, void *ud, uint64_t index, uint64_t size,
			    mmr_hash proof[MMR_LOG_MAX_PROOF], size_t *n_out, mmr_error *err);
int mmr_log_consistency_proof(mmr_log_node_fn get, void *ud, uint64_t m, uint64_t n,
			      mmr_hash proof[MMR_LOG_MAX_PROOF], size_t *n_out, mmr_error *err);

/* Verification (RFC 9162): true when the proof holds. The proof is n
 * consecutive 32-byte hashes (an array of mmr_hash). */
bool mmr_log_verify_inclusion(uint64_t index, uint64_t size, const mmr_hash leaf,
			      const void *proof_v, size_t n, const mmr_hash root);
bool mmr_log_verify_consistency(uint64_t m, uint64_t n, const mmr_hash root1, const mmr_hash root2,
				const void *proof_v, size_t len);

/* ---- keys and checkpoints -------------------------------------------------- */

struct mmr_log_key {
	uint8_t pk[32];
	uint8_t sk[64]; /* libsodium's secret key (seed ‖ public key) */
};

/* The key file: `path` or, when NULL, $MAMORI_LOG_KEY, else
 * "var/mamori-log.key". */
const char *mmr_log_key_path(const char *path);
/* Load the key; when missing and `create` is set, generate one and write it
 * with mode 0600 (the directory is created). */
int mmr_log_key_load(const char *path, bool create, struct mmr_log_key *key, mmr_error *err);
/* The signed-note key id: SHA-256(name ‖ "\n" ‖ 0x01 ‖ pk)[0:4]. */
uint32_t mmr_log_key_id(const char *name, const uint8_t pk[32]);
/* "<name>+<keyid hex8>+<base64(0x01 ‖ pk)>" (the note verifier key). */
void mmr_log_vkey(const char *name, const uint8_t pk[32], char *out, size_t n);

struct mmr_checkpoint {
	char origin[256];
	uint64_t size;
	mmr_hash root;
};

/* The note text, signed: origin/size/root body, blank line, signature line
 * named `origin`. `out` receives a NUL-terminated string. */
int mmr_checkpoint_sign(const struct mmr_checkpoint *cp, const struct mmr_log_key *key, char *out,
			size_t n, mmr_error *err);
/* Parse a signed checkpoint; when `pk` is non-NULL, the signature line of the
 * key named by the origin must verify (MMR_EDENIED otherwise). Bounded: the
 * text may be any bytes. */
int mmr_checkpoint_parse(const char *text, size_t len, const uint8_t *pk, struct mmr_checkpoint *cp,
			 mmr_error *err);

#endif
