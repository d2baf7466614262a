/*
 * audit.h — the tamper-evident audit log in the store (issue 4).
 *
 * One RFC 6962 Merkle tree per tenant (src/log/log.h for the mathematics).
 * mmr_audit_append() adds a leaf inside the caller's current transaction (or
 * its own when there is none), so that the record and the state change it
 * describes commit together: neither exists without the other. An append
 * writes one row (the leaf's columns, its hash and the hashes of the low
 * nodes it completes; one append in 16 also writes the upper nodes it
 * completes to audit_upper), reads O(log n) stored nodes at most, and never
 * rebuilds. The canonical leaf data is not stored: it is rebuilt from the
 * columns (mmr_audit_leaf_data), and verify checks it against the stored
 * leaf hash.
 *
 * Everything else answers JSON (jansson, new references) for the CLI, the
 * API and the pages: checkpoints (signed notes), inclusion and consistency
 * proofs, verification of every tree, export to JSON Lines, pruning of
 * exported ranges past the retention period, and search.
 *
 * Never put a secret or a password in an event: digests of before/after
 * states are made by mmr_audit_digest(), which drops secret fields.
 */
#ifndef MMR_STORE_AUDIT_H
#define MMR_STORE_AUDIT_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "log/log.h"
#include "store/store.h"

/* When the profile sets no log.retention_days: five years. */
#define MMR_AUDIT_DEFAULT_RETENTION_DAYS 1827
/* When the profile sets no log.checkpoint_interval_seconds. */
#define MMR_AUDIT_DEFAULT_CHECKPOINT_SECONDS 300

/* One record. Strings are copied; NULL means "none" (actor and action are
 * required). */
struct mmr_audit_event {
	const char *tenant;
	const char *actor;	 /* login of the person, "system", or the login tried */
	const char *action;	 /* "ledger.create", "session.signin", "asset.view", … */
	const char *object_kind; /* "assets", "users", "session", … */
	const char *object_id;
	const char *before;	/* digest (hex) of the object before, see mmr_audit_digest */
	const char *after;	/* digest after */
	const json_t *decision; /* for governed actions: the decision with its rules */
	const char *at;		/* UTC "YYYY-MM-DDTHH:MM:SS.mmmZ"; NULL: now */
};

/* Append `ev` as the next leaf of its tenant's log. *index_out (may be NULL)
 * receives the leaf's index. */
int mmr_audit_append(mmr_store *st, const struct mmr_audit_event *ev, int64_t *index_out,
		     mmr_error *err);

/* Append evs[0 … n) as the next n leaves of their tenant's log, in order:
 * the same rows, hashes and stored nodes as n mmr_audit_append calls, in the
 * caller's transaction (or one of its own), but with one lock, one read of
 * the log's edge and, on PostgreSQL, one statement per chunk of leaves. All
 * events must name the same tenant (MMR_EINVAL otherwise, nothing appended).
 * Events without `at` share one time. *first_index (may be NULL) receives
 * the index of the first new leaf (-1 when n is 0: nothing is appended). */
int mmr_audit_append_many(mmr_store *st, const struct mmr_audit_event *evs, size_t n,
			  int64_t *first_index, mmr_error *err);

/* Convenience for services: actor from `who`, object id as a number (≤ 0:
 * none), before/after objects digested (NULL: none). */
int mmr_audit_record(mmr_store *st, const mmr_actor *who, const char *action,
		     const char *object_kind, int64_t object_id, const json_t *before,
		     const json_t *after, const json_t *decision, mmr_error *err);

/* SHA-256 (hex) of the canonical JSON of `obj` with secret fields
 * (password*, *secret*, token*, csrf) removed at every depth. */
void mmr_audit_digest(const json_t *obj, char out[65]);

/* The canonical leaf data of an event at `index` (what is hashed). Caller
 * frees. */
char *mmr_audit_leaf_data(const struct mmr_audit_event *ev, int64_t index, const char *at);

/* Leaves in the tenant's log (pruned ones included). */
int mmr_audit_size(mmr_store *st, const char *tenant, int64_t *size, mmr_error *err);

/* The tree head of the first `size` leaves. */
int mmr_audit_root(mmr_store *st, const char *tenant, int64_t size, mmr_hash root, mmr_error *err);

/* The log's origin line: "mamori/<tenant>". */
void mmr_audit_origin(const char *tenant, char *out, size_t n);

/* Sign and store a checkpoint of the tenant's current size (when it grew
 * since the last one, or there is none). *out: {"tenant","size","root",
 * "note","created_at","new":bool}. */
int mmr_audit_checkpoint(mmr_store *st, const char *tenant, const struct mmr_log_key *key,
			 json_t **out, mmr_error *err);
/* Checkpoints of every tenant with a log (the serve timer). */
int mmr_audit_checkpoint_all(mmr_store *st, const struct mmr_log_key *key, size_t *made,
			     mmr_error *err);
/* The serve timer: for each tenant whose last checkpoint is older than its
 * profile's log.checkpoint_interval_seconds (default above) at `now_ms`,
 * sign a new one if its log grew. */
int mmr_audit_checkpoint_due(mmr_store *st, const struct mmr_log_key *key, int64_t now_ms,
			     size_t *made, mmr_error *err);
/* How many checkpoints are stored, of `tenant` or (NULL) of every tenant. */
int mmr_audit_checkpoints_stored(mmr_store *st, const char *tenant, int64_t *n, mmr_error *err);
/* The latest stored checkpoint, checked against `pk` when non-NULL:
 * {"tenant","size","root","note","created_at","verified":bool|null}, or
 * MMR_ENOTFOUND. */
int mmr_audit_latest_checkpoint(mmr_store *st, const char *tenant, const uint8_t *pk, json_t **out,
				mmr_error *err);

/* Inclusion proof of leaf `index` in the tree of `size` leaves (0: the latest
 * checkpoint's size when it covers the leaf, else the current size):
 * {"index","tree_size","leaf_hash","proof":[hex…],"root","entry":{…},
 *  "checkpoint": note or null}. The proof is verified before it is answered. */
int mmr_audit_proof(mmr_store *st, const char *tenant, int64_t index, int64_t size, json_t **out,
		    mmr_error *err);
/* Consistency proof between sizes m < n: {"from","to","root_from","root_to",
 * "proof":[hex…]}. */
int mmr_audit_consistency(mmr_store *st, const char *tenant, int64_t m, int64_t n, json_t **out,
			  mmr_error *err);

/* Verify: recompute every tenant's tree (or only `tenant`) from its rows,
 * compare the stored nodes, and check every checkpoint's signature (`pk`)
 * and root. Answers MMR_OK with *report {"ok":true,…} when all holds; when
 * something does not, MMR_OK as well with "ok":false and "problem":
 * {"tenant","kind":"index"|"row"|"checkpoint","index","message"} naming the
 * first. Errors (I/O) are returned as codes. The leaves are hashed on a
 * helper thread while the next rows are read, so `progress` may be called
 * from that thread: never two calls at once, and all before this returns. */
typedef void (*mmr_audit_progress_fn)(void *ud, int64_t done, int64_t total);
/* `pk` may be NULL only where no checkpoint is stored (see
 * mmr_audit_checkpoints_stored): a checkpoint met without a key to check it
 * against is a problem of kind "checkpoint", never taken as signed. */
int mmr_audit_verify(mmr_store *st, const char *tenant, const uint8_t *pk,
		     mmr_audit_progress_fn progress, void *ud, json_t **report, mmr_error *err);

/* Export leaves [from, to) as JSON Lines to `out`: one line per leaf with its
 * inclusion proof in the latest checkpoint, then one line with that
 * checkpoint. `to` must not exceed the latest checkpoint's size. When
 * `file_name` is non-NULL the export is recorded (prune needs it). */
int mmr_audit_export(mmr_store *st, const char *tenant, int64_t from, int64_t to, FILE *out,
		     const char *file_name, int64_t *written, mmr_error *err);

/* Prune the leaves of `tenant` before `before`: only those exported, older
 * than the profile's log.retention_days (default above) at `now_ms` (Unix ms), and covered by
 * a checkpoint. Their hashes stay (audit_pruned), so verify and proofs of what
 * remains still hold. *pruned: leaves removed. */
int mmr_audit_prune(mmr_store *st, const char *tenant, int64_t before, int64_t now_ms,
		    int64_t *pruned, mmr_error *err);

/* Search one tenant's log, newest first: filters (NULL: any) and keyset
 * paging (entries with index < before; 0: from the newest). Answers
 * {"items":[{"index","at","actor","action","object_kind","object_id",
 * "before","after","decision"}…],"next": index or null}. */
struct mmr_audit_query {
	const char *actor;
	const char *action;
	const char *object_kind;
	const char *object_id;
	const char *from; /* "YYYY-MM-DD…" inclusive, compared with `at` */
	const char *to;	  /* exclusive */
	int64_t before;
	int limit; /* 1..500 */
};
int mmr_audit_search(mmr_store *st, const char *tenant, const struct mmr_audit_query *q,
		     json_t **out, mmr_error *err);

/* Drop what the log caches for `st` (mmr_store_close calls it). */
void mmr_audit_forget(mmr_store *st);

/* Whether the top level of the confidentiality axis of the tenant's profile
 * is among the asset's classification (a view of it must be recorded). */
bool mmr_audit_asset_is_top(mmr_store *st, const char *tenant, const json_t *asset);

#endif
