/*
 * audit_group.h — group commit for the audit log (issue 4).
 *
 * Durable appends cost one fsync each when every caller commits its own
 * transaction. A group owns one store connection and one committer thread:
 * callers from any number of threads hand it work, the committer runs all the
 * work that queued up while the previous transaction was being made durable
 * in one transaction (each piece inside its own savepoint), commits once, and
 * only then answers each caller. So a caller is acknowledged only after its
 * record is durable, and many callers share one fsync.
 *
 * A piece of work is a function run on the group's store: a service's state
 * change together with the mmr_audit_append that records it, so the leaf and
 * the change still commit in one transaction (or, when the function fails,
 * neither: its savepoint is rolled back and the others commit).
 *
 * Thread safety: mmr_audit_group_run/append may be called from any thread.
 * A work function runs on the committer thread; it must use only the store it
 * is given and must not call back into the group (it would wait for itself).
 */
#ifndef MMR_STORE_AUDIT_GROUP_H
#define MMR_STORE_AUDIT_GROUP_H

#include <stdint.h>

#include "store/audit.h"

typedef struct mmr_audit_group mmr_audit_group;

/* Open a group on its own connection to `target` (see mmr_store_open) and
 * start its committer. Close with mmr_audit_group_close, which finishes the
 * queued work first. */
int mmr_audit_group_open(const char *target, const char *policy_dir, mmr_audit_group **out,
			 mmr_error *err);
void mmr_audit_group_close(mmr_audit_group *g);

/* Work run inside the shared transaction: MMR_OK, or an mmr_code with err
 * filled (then only this work is undone). */
typedef int (*mmr_audit_work_fn)(mmr_store *st, void *ud, mmr_error *err);

/* Run `fn(store, ud)` in the next group transaction and return once that
 * transaction is committed: fn's result, or the commit's error (then nothing
 * of fn is kept). */
int mmr_audit_group_run(mmr_audit_group *g, mmr_audit_work_fn fn, void *ud, mmr_error *err);

/* mmr_audit_append through the group: *index_out (may be NULL) is the leaf's
 * index, valid once this returns MMR_OK (the leaf is durable). Appends of one
 * tenant queued together are written by one mmr_audit_append_many (the same
 * leaves as one by one, in queue order); when that fails they are run one by
 * one, so that a bad event fails alone. */
int mmr_audit_group_append(mmr_audit_group *g, const struct mmr_audit_event *ev, int64_t *index_out,
			   mmr_error *err);

/* Let `st` (another connection: a server's worker) append through g: its
 * appends made outside a transaction (mmr_audit_append, mmr_audit_record:
 * a view of a top-class asset, say) are then group-committed, acknowledged
 * once durable, instead of each paying its own flush. Appends inside a
 * caller's transaction stay in it: the leaf and the state change commit
 * together. g must outlive st's use; NULL detaches. */
void mmr_audit_group_attach(mmr_audit_group *g, mmr_store *st);

/* Transactions committed and pieces of work run so far (their ratio is the
 * mean group size). */
void mmr_audit_group_counts(mmr_audit_group *g, uint64_t *commits, uint64_t *works);

/* SQLite: checkpoints run so far by the group's checkpointer thread and by
 * its committer (when the WAL reached its restart size; see audit_group.c).
 * Zero on PostgreSQL. */
void mmr_audit_group_checkpoints(mmr_audit_group *g, uint64_t *by_checkpointer,
				 uint64_t *by_committer);

/* SQLite: flushes of the WAL (fdatasync) the syncers made so far, and the
 * seconds they took in all (flushes under way at once each count their
 * own). Zero on PostgreSQL. */
void mmr_audit_group_flushes(mmr_audit_group *g, uint64_t *flushes, double *flush_s);

/* Seconds the committer spent so far running work (the statements of the
 * transactions) and committing them (WAL writes and fsync): where a group's
 * time goes. */
void mmr_audit_group_times(mmr_audit_group *g, double *work_s, double *commit_s);

#endif
