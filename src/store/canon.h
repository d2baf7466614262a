/*
 * canon.h — the canonical text of a JSON value, as the audit log digests
 * objects (mmr_audit_digest): compact, object keys in byte order, keys that
 * name secrets left out at every depth. It is byte for byte what
 * json_dumps(JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY) writes of the
 * value without those keys (tests/store/test_canon.c holds it to that), only
 * without jansson's per-call allocations, and a value that many objects
 * share (an asset's 取扱制限, the same for every asset of its class) can be
 * written once and remembered.
 */
#ifndef MMR_STORE_CANON_H
#define MMR_STORE_CANON_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "util/buf.h"

#define MMR_CANON_MEMO 32

struct mmr_canon {
	struct mmr_buf out; /* the text of the last mmr_canon_text (p, len) */
	struct {
		const json_t *v; /* held (a reference) while remembered */
		char *text;
		size_t len;
	} memo[MMR_CANON_MEMO];
	size_t nmemo;
};

/* Whether an object key names a secret (never recorded, never digested). */
bool mmr_canon_secret_key(const char *k);

/* Remember v's text from its first use on (by address: v must not change
 * while remembered). Past MMR_CANON_MEMO values, v is simply written each
 * time. */
void mmr_canon_remember(struct mmr_canon *c, const json_t *v);

/* The canonical text of v into c->out.p (length c->out.len): 0, or -1 when out of
 * memory or v holds what has no one canonical text here (a real number, an
 * invalid string) — then use json_dumps. */
int mmr_canon_text(struct mmr_canon *c, const json_t *v);

/* SHA-256 (hex) of v's canonical text: what mmr_audit_digest gives. */
void mmr_canon_digest(struct mmr_canon *c, const json_t *v, char out[65]);

void mmr_canon_free(struct mmr_canon *c);

#endif
