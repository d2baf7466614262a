/*
 * audit_group.c — group commit for the audit log (see audit_group.h).
 *
 * Callers queue a request that lives on their own stack and sleep on its
 * own semaphore until the committer posts it. The committer takes the whole
 * queue, runs it in one transaction (a savepoint per request), commits, and
 * wakes exactly the callers of that transaction — outside the queue's lock,
 * so that a woken caller never waits for the lock the committer holds, and
 * a caller sleeping or waking takes no lock at all. The committer wakes only
 * the first caller; each woken caller wakes two more (a binary tree over the
 * batch), so the wake-ups (a system call each) leave the committer's path
 * and run on the callers' threads. Appends of one tenant queued together run
 * as one mmr_audit_append_many.
 *
 * SQLite: the group's connection commits without waiting for the disk
 * (synchronous=NORMAL), and two more threads, the syncers, make the WAL
 * durable (fdatasync of the -wal file) before they wake the callers of the
 * transactions a flush covers. So the committer runs transaction k+1 while
 * transaction k's flush is under way, a transaction committed during one
 * syncer's flush is flushed by the other at once (flushes overlap on the
 * disk: on this project's machines two at a time gave 1.5-1.7 times the
 * flushes a second at about the same latency), and a caller is still
 * answered only once its record is on the disk. (The WAL is written in order: a
 * flush after transaction k's commit holds k and everything before it. A
 * checkpoint under NORMAL flushes the WAL before it copies it, and the
 * database after.) A flush that fails fails every caller it would have
 * answered: their records may or may not be on the disk.
 *
 * SQLite checkpoints leave the committer too: its connection does not
 * checkpoint after commits (sqlite3_wal_hook replaces the automatic one);
 * a third thread, the checkpointer, copies the WAL into the database (a
 * PASSIVE checkpoint on a connection of its own, which flushes the WAL
 * before it copies and the database after) whenever CKPT_FRAMES frames have
 * come since its last. (Not the syncer: callers would wait for their answer
 * while it copies.) A checkpoint running beside the writer rarely catches
 * up with it, and only a caught-up WAL starts over from its beginning: so
 * once the WAL holds WAL_RESTART frames the committer, between two
 * transactions, checkpoints what is left itself (little: the checkpointer
 * has copied the rest), and the next transaction writes the WAL from its start
 * again. PostgreSQL commits as before: its server flushes the WAL before the
 * commit returns.
 */
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <semaphore.h>
#include <sqlite3.h>
#include <stdio.h>
#include <unistd.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/audit_group.h"
#include "store/db.h"
#include "store/store_int.h"

struct request {
	mmr_audit_work_fn fn; /* NULL: an append of ev */
	void *ud;
	const struct mmr_audit_event *ev;
	int64_t index; /* the appended leaf's */
	int rc;
	mmr_error err;
	sem_t done;   /* posted once rc and err are final: no herd of callers per commit */
	uint64_t seq; /* committed, not yet durable: its batch's number (see syncer) */
	struct request *next;
	struct request *kid[2]; /* whom this caller wakes once woken */
};

/* SQLite: the syncers (see the top). Two flushes under way at once overlap
 * on the disk: a transaction committed while one is under way is flushed
 * by the other without waiting for it to end. */
#define SYNCERS 2

struct syncer {
	mmr_audit_group *g;
	pthread_t thread;
	int fd;		       /* its own descriptor of the -wal file; -1: not yet */
	struct request **tree; /* its wake tree */
	size_t cap;
};

struct mmr_audit_group {
	mmr_store *st;
	pthread_t thread;
	/* Two locks: `lock` guards only the queue (the callers take it once an
	 * append, 128 of them at once in bench_log), `slock` everything the
	 * group's own threads share (the syncers', the checkpointer's, the
	 * figures), so that a syncer taking a committed batch or answering
	 * callers never waits behind callers queueing. */
	pthread_mutex_t lock;
	pthread_cond_t queued; /* the committer waits for work */
	struct request *head, *tail;
	bool stop;
	pthread_mutex_t slock;
	uint64_t commits, works;
	double work_s, commit_s; /* the committer's, read under slock */
	struct request **tree;	 /* the committer's: a batch by position */
	size_t cap_tree;
	struct mmr_audit_event *evs; /* the committer's: APPEND_RUN events (NULL: none) */
	/* SQLite: the syncers (see the top and syncer()); under slock but
	 * for syncers[] */
	char wal[4096]; /* the -wal file's path ("" on PostgreSQL: no syncer) */
	struct syncer syncers[SYNCERS];
	int nsyncers;			       /* running */
	pthread_cond_t committed;	       /* syncers wait for committed batches */
	struct request *sync_head, *sync_tail; /* committed, not yet answered */
	uint64_t batch_seq;		       /* the last batch handed to the syncers */
	uint64_t claimed;		       /* the last a flush under way or done covers */
	uint64_t durable;		       /* the last a flush that ended well covers */
	bool sync_stop;
	int sync_err; /* the first failed flush's errno */
	uint64_t flushes;
	double flush_s;
	/* SQLite: the checkpointer (see the top) */
	pthread_t ckpter;
	bool ckpting;		 /* the checkpointer runs */
	pthread_cond_t ckpt_due; /* it waits for CKPT_FRAMES new frames */
	bool ckpt_stop;
	sqlite3 *ckpt;	/* its connection (NULL: none yet) */
	int wal_frames; /* frames in the WAL after the last commit (under slock) */
	int ckpt_at;	/* wal_frames at the checkpointer's last (under slock) */
	uint64_t ckpts_ckpter, ckpts_committer;
};

/* The checkpointer checkpoints once this many frames have come since its last;
 * at WAL_RESTART frames the committer finishes the checkpoint itself. */
#define CKPT_FRAMES 1000
#define WAL_RESTART 8192

static double mono_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* Appends of one tenant queued one after another run as one
 * mmr_audit_append_many (one edge read, one statement a chunk on
 * PostgreSQL) in one savepoint; when it fails, they are run again one by one
 * so that only the failing one fails. At most this many a call: */
#define APPEND_RUN 4096

/* The appends from r on that can share one mmr_audit_append_many: how many
 * (0 when r is not an append). */
static size_t append_run(const struct request *r)
{
	size_t n = 0;
	for (const struct request *q = r; q && n < APPEND_RUN && !q->fn; q = q->next, n++)
		if (!q->ev || !q->ev->tenant || !r->ev || !r->ev->tenant ||
		    strcmp(q->ev->tenant, r->ev->tenant))
			break;
	return n;
}

/* Run one request in its own savepoint. */
static void run_one(mmr_audit_group *g, struct request *r)
{
	mmr_db *db = mmr_store_db(g->st);
	if ((r->rc = mmr_db_begin(db, &r->err))) /* a savepoint */
		return;
	int rc = r->fn ? r->fn(g->st, r->ud, &r->err)
		       : mmr_audit_append(g->st, r->ev, &r->index, &r->err);
	r->rc = mmr_db_end(db, rc, &r->err);
}

/* Run the `n` appends from r (append_run) in one savepoint; false when they
 * must be run one by one. `evs` has room for APPEND_RUN events. */
static bool run_appends(mmr_audit_group *g, struct request *r, size_t n,
			struct mmr_audit_event *evs)
{
	mmr_db *db = mmr_store_db(g->st);
	mmr_error err;
	struct request *q = r;
	for (size_t i = 0; i < n; i++, q = q->next)
		evs[i] = *q->ev;
	int64_t first = -1;
	if (mmr_db_begin(db, &err))
		return false;
	int rc = mmr_audit_append_many(g->st, evs, n, &first, &err);
	if (mmr_db_end(db, rc, &err))
		return false;
	q = r;
	for (size_t i = 0; i < n; i++, q = q->next) {
		q->rc = MMR_OK;
		q->index = first + (int64_t)i;
	}
	return true;
}

/* One transaction over `batch`: each request's rc and err are final after.
 * *work_s and *commit_s receive the time spent in each half. */
static void run_batch(mmr_audit_group *g, struct request *batch, double *work_s, double *commit_s)
{
	mmr_db *db = mmr_store_db(g->st);
	mmr_error err;
	double t0 = mono_s();
	int rc = mmr_db_begin(db, &err);
	for (struct request *r = batch; r;) {
		if (rc) {
			r->rc = rc;
			r->err = err;
			r = r->next;
			continue;
		}
		size_t n = g->evs ? append_run(r) : 0;
		if (n > 1 && run_appends(g, r, n, g->evs)) {
			while (n--)
				r = r->next;
			continue;
		}
		run_one(g, r);
		r = r->next;
	}
	double t1 = mono_s();
	if (!rc)
		rc = mmr_db_commit(db, &err);
	*work_s = t1 - t0;
	*commit_s = mono_s() - t1;
	if (rc) /* nothing of the batch is kept */
		for (struct request *r = batch; r; r = r->next)
			if (!r->rc) {
				r->rc = rc;
				r->err = err;
			}
}

/* Wake the n callers of `batch`: the first, which wakes two more, and so on
 * (a binary tree over the batch laid out in *tree). */
static void wake(struct request *batch, size_t n, struct request ***tree, size_t *cap)
{
	if (n > *cap) {
		struct request **t = realloc(*tree, n * sizeof *t);
		if (t) {
			*tree = t;
			*cap = n;
		}
	}
	if (n <= *cap) { /* wake the root; each woken caller wakes its kids */
		size_t i = 0;
		for (struct request *r = batch; r; r = r->next)
			(*tree)[i++] = r;
		for (i = 0; i < n; i++) {
			(*tree)[i]->kid[0] = 2 * i + 1 < n ? (*tree)[2 * i + 1] : NULL;
			(*tree)[i]->kid[1] = 2 * i + 2 < n ? (*tree)[2 * i + 2] : NULL;
		}
		sem_post(&(*tree)[0]->done);
	} else { /* no memory for the tree: wake them all from here */
		for (struct request *r = batch, *next; r; r = next) {
			next = r->next; /* r is gone once posted */
			r->kid[0] = r->kid[1] = NULL;
			sem_post(&r->done);
		}
	}
}

/* Whether the batch's transaction did not commit (then nothing of it is
 * kept, and its callers are answered at once). */
static bool batch_failed(const struct request *batch)
{
	for (const struct request *r = batch; r; r = r->next)
		if (r->rc == MMR_OK)
			return false;
	return true;
}

/* The checkpointer (see the top). A checkpoint that fails (the database
 * busy, say) is left for the next one, and in the end for the committer's. */
static void *checkpointer(void *arg)
{
	mmr_audit_group *g = arg;
	pthread_setname_np(pthread_self(), "mamori-ckpt"); /* for top, perf */
	pthread_mutex_lock(&g->slock);
	for (;;) {
		while (!g->ckpt_stop && g->wal_frames - g->ckpt_at < CKPT_FRAMES)
			pthread_cond_wait(&g->ckpt_due, &g->slock);
		if (g->ckpt_stop)
			break;
		int frames = g->wal_frames;
		pthread_mutex_unlock(&g->slock);
		if (!g->ckpt) {
			const char *file =
				sqlite3_db_filename(mmr_db_native(mmr_store_db(g->st)), "main");
			if (sqlite3_open_v2(file, &g->ckpt,
					    SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
					    NULL) != SQLITE_OK ||
			    sqlite3_exec(g->ckpt, "PRAGMA synchronous=FULL", NULL, NULL, NULL) !=
				    SQLITE_OK) {
				sqlite3_close(g->ckpt);
				g->ckpt = NULL;
			}
		}
		bool ok = g->ckpt &&
			  sqlite3_wal_checkpoint_v2(g->ckpt, "main", SQLITE_CHECKPOINT_PASSIVE,
						    NULL, NULL) == SQLITE_OK;
		pthread_mutex_lock(&g->slock);
		g->ckpt_at = frames < g->wal_frames ? frames : g->wal_frames;
		g->ckpts_ckpter += ok;
	}
	pthread_mutex_unlock(&g->slock);
	return NULL;
}

/* The committer's connection after each commit: the WAL's size, and at
 * WAL_RESTART frames the rest of the checkpoint (see the top). */
static int wal_hook(void *ud, sqlite3 *db, const char *name, int frames)
{
	mmr_audit_group *g = ud;
	bool restart = frames >= WAL_RESTART &&
		       sqlite3_wal_checkpoint_v2(db, name, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL) ==
			       SQLITE_OK;
	pthread_mutex_lock(&g->slock);
	g->wal_frames = frames;
	g->ckpts_committer += restart;
	if (frames < g->ckpt_at) /* the WAL started over */
		g->ckpt_at = 0;
	if (frames - g->ckpt_at >= CKPT_FRAMES)
		pthread_cond_signal(&g->ckpt_due);
	pthread_mutex_unlock(&g->slock);
	return SQLITE_OK;
}

/* A syncer: flush the WAL once for every batch committed so far (a flush
 * covers every write made before it began), then answer the callers of
 * every batch a finished flush covers — its own, and those of a flush
 * begun earlier by the other syncer that has not ended yet. Each syncer
 * flushes through a descriptor of its own, so that a failed write-back is
 * reported to both (Linux reports it once per open file), and a flush that
 * ended well means what it covers is on the disk. */
static void *syncer(void *arg)
{
	struct syncer *sy = arg;
	mmr_audit_group *g = sy->g;
	pthread_setname_np(pthread_self(), "mamori-sync");
	pthread_mutex_lock(&g->slock);
	for (;;) {
		while (g->claimed == g->batch_seq && !g->sync_stop)
			pthread_cond_wait(&g->committed, &g->slock);
		if (g->claimed == g->batch_seq)
			break; /* stopped, and every batch is covered */
		uint64_t upto = g->batch_seq;
		g->claimed = upto;
		int e = g->sync_err;
		pthread_mutex_unlock(&g->slock);
		double took = -1; /* the flush's seconds; -1: none made */
		if (!e && sy->fd < 0 && (sy->fd = open(g->wal, O_RDONLY | O_CLOEXEC)) < 0) {
			e = errno;
		} else if (!e) {
			double t0 = mono_s();
			if (fdatasync(sy->fd))
				e = errno;
			took = mono_s() - t0;
		}
		pthread_mutex_lock(&g->slock);
		if (took >= 0) {
			g->flushes++;
			g->flush_s += took;
		}
		/* A failed flush stays failed: Linux reports a lost write-back
		 * once, and a later flush that succeeds does not bring back the
		 * pages that were lost before, so no later record is confirmed
		 * either (a new group, on a healthy disk, starts afresh). */
		if (e && !g->sync_err)
			g->sync_err = e;
		e = g->sync_err;
		if (!e && upto > g->durable)
			g->durable = upto;
		if (!e)
			upto = g->durable;
		struct request *list = NULL, **tail = &list;
		size_t n = 0;
		while (g->sync_head && g->sync_head->seq <= upto) {
			*tail = g->sync_head;
			tail = &g->sync_head->next;
			g->sync_head = g->sync_head->next;
			n++;
		}
		*tail = NULL;
		if (!g->sync_head)
			g->sync_tail = NULL;
		pthread_mutex_unlock(&g->slock);
		for (struct request *r = list; e && r; r = r->next)
			if (r->rc == MMR_OK) {
				r->rc = MMR_EIO;
				mmr_error_set(
					&r->err, MMR_EIO,
					"監査ログをディスクに書き切れたか確かめられません: %s",
					strerror(e));
			}
		if (n)
			wake(list, n, &sy->tree, &sy->cap);
		pthread_mutex_lock(&g->slock);
	}
	pthread_mutex_unlock(&g->slock);
	return NULL;
}

/* Raise one of the group's threads' stop flag, wake it where it waits, and
 * wait until it has ended. */
static void thread_stop(pthread_mutex_t *lock, bool *stop, pthread_cond_t *wait, pthread_t t)
{
	pthread_mutex_lock(lock);
	*stop = true;
	pthread_cond_signal(wait);
	pthread_mutex_unlock(lock);
	pthread_join(t, NULL);
}

/* Let the syncers answer what they hold, then end them. */
static void syncer_stop(mmr_audit_group *g)
{
	pthread_mutex_lock(&g->slock);
	g->sync_stop = true;
	pthread_cond_broadcast(&g->committed);
	pthread_mutex_unlock(&g->slock);
	for (int i = 0; i < g->nsyncers; i++) {
		struct syncer *sy = &g->syncers[i];
		pthread_join(sy->thread, NULL);
		if (sy->fd >= 0)
			close(sy->fd);
		free(sy->tree);
	}
	g->nsyncers = 0;
}

/* End the checkpointer (a checkpoint under way finishes first). */
static void ckpter_stop(mmr_audit_group *g)
{
	if (!g->ckpting)
		return;
	thread_stop(&g->slock, &g->ckpt_stop, &g->ckpt_due, g->ckpter);
	g->ckpting = false;
	sqlite3_close(g->ckpt);
	g->ckpt = NULL;
}

static void *committer(void *arg)
{
	mmr_audit_group *g = arg;
	pthread_setname_np(pthread_self(), "mamori-commit");
	pthread_mutex_lock(&g->lock);
	for (;;) {
		while (!g->head && !g->stop)
			pthread_cond_wait(&g->queued, &g->lock);
		if (!g->head)
			break;
		struct request *batch = g->head;
		g->head = g->tail = NULL;
		pthread_mutex_unlock(&g->lock);
		double work_s, commit_s;
		run_batch(g, batch, &work_s, &commit_s);
		uint64_t n = 0;
		for (struct request *r = batch; r; r = r->next)
			n++;
		bool handed = g->nsyncers && !batch_failed(batch);
		pthread_mutex_lock(&g->slock); /* counted before any caller returns */
		g->commits++;
		g->works += n;
		g->work_s += work_s;
		g->commit_s += commit_s;
		if (handed) {
			/* committed, not yet durable: a syncer answers them */
			if (g->sync_tail)
				g->sync_tail->next = batch;
			else
				g->sync_head = batch;
			uint64_t seq = ++g->batch_seq;
			struct request *t = batch;
			for (t->seq = seq; t->next; t = t->next)
				t->next->seq = seq;
			g->sync_tail = t;
			pthread_cond_signal(&g->committed);
		}
		pthread_mutex_unlock(&g->slock);
		if (!handed)
			wake(batch, n, &g->tree, &g->cap_tree);
		pthread_mutex_lock(&g->lock);
	}
	pthread_mutex_unlock(&g->lock);
	return NULL;
}

int mmr_audit_group_open(const char *target, const char *policy_dir, mmr_audit_group **out,
			 mmr_error *err)
{
	*out = NULL;
	mmr_audit_group *g = calloc(1, sizeof *g);
	if (!g) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	int rc = mmr_store_open(target, policy_dir, &g->st, err);
	if (rc) {
		free(g);
		return rc;
	}
	g->evs = calloc(APPEND_RUN, sizeof *g->evs); /* without: appends one by one */
	pthread_mutex_init(&g->lock, NULL);
	pthread_mutex_init(&g->slock, NULL);
	pthread_cond_init(&g->queued, NULL);
	pthread_cond_init(&g->committed, NULL);
	pthread_cond_init(&g->ckpt_due, NULL);
	mmr_db *db = mmr_store_db(g->st);
	if (mmr_db_kind(db) == MMR_DB_SQLITE) {
		const char *file = sqlite3_db_filename(mmr_db_native(db), "main");
		if (file && *file &&
		    snprintf(g->wal, sizeof g->wal, "%s-wal", file) < (int)sizeof g->wal &&
		    !mmr_db_exec(db, "PRAGMA synchronous=NORMAL", NULL)) {
			for (int i = 0; i < SYNCERS; i++) {
				struct syncer *sy = &g->syncers[g->nsyncers];
				*sy = (struct syncer){.g = g, .fd = -1};
				if (!pthread_create(&sy->thread, NULL, syncer, sy))
					g->nsyncers++;
			}
			if (!g->nsyncers) {
				mmr_db_exec(db, "PRAGMA synchronous=FULL", NULL);
			} else {
				/* checkpoints: the checkpointer's, at WAL_RESTART the
				 * committer's (without the thread: SQLite's own) */
				if (!pthread_create(&g->ckpter, NULL, checkpointer, g)) {
					g->ckpting = true;
					sqlite3_wal_hook(mmr_db_native(db), wal_hook, g);
				}
			}
		}
	}
	if (pthread_create(&g->thread, NULL, committer, g)) {
		syncer_stop(g);
		ckpter_stop(g);
		mmr_store_close(g->st);
		pthread_mutex_destroy(&g->lock);
		pthread_mutex_destroy(&g->slock);
		pthread_cond_destroy(&g->queued);
		pthread_cond_destroy(&g->committed);
		pthread_cond_destroy(&g->ckpt_due);
		free(g->evs);
		free(g);
		mmr_error_set(err, MMR_EIO, "監査ログの書き込みスレッドを起動できません");
		return MMR_EIO;
	}
	*out = g;
	return MMR_OK;
}

void mmr_audit_group_close(mmr_audit_group *g)
{
	if (!g)
		return;
	thread_stop(&g->lock, &g->stop, &g->queued, g->thread);
	syncer_stop(g); /* after the committer: it hands the syncer its last */
	ckpter_stop(g);
	mmr_store_close(g->st);
	pthread_mutex_destroy(&g->lock);
	pthread_mutex_destroy(&g->slock);
	pthread_cond_destroy(&g->queued);
	pthread_cond_destroy(&g->committed);
	pthread_cond_destroy(&g->ckpt_due);
	free(g->tree);
	free(g->evs);
	free(g);
}

/* Queue r, wait until its transaction is done; r->rc. */
static int submit(mmr_audit_group *g, struct request *r, mmr_error *err)
{
	sem_init(&r->done, 0, 0);
	pthread_mutex_lock(&g->lock);
	if (g->stop) {
		pthread_mutex_unlock(&g->lock);
		sem_destroy(&r->done);
		mmr_error_set(err, MMR_EINVAL, "監査ログの書き込みは終了しています");
		return MMR_EINVAL;
	}
	if (g->tail)
		g->tail->next = r;
	else
		g->head = r;
	g->tail = r;
	pthread_cond_signal(&g->queued);
	pthread_mutex_unlock(&g->lock);
	while (sem_wait(&r->done) != 0) /* EINTR */
		;
	for (int k = 0; k < 2; k++) /* still asleep: only this caller posts them */
		if (r->kid[k])
			sem_post(&r->kid[k]->done);
	sem_destroy(&r->done);
	if (r->rc && err)
		*err = r->err;
	return r->rc;
}

int mmr_audit_group_run(mmr_audit_group *g, mmr_audit_work_fn fn, void *ud, mmr_error *err)
{
	if (!fn) {
		mmr_error_set(err, MMR_EINVAL, "監査ログの書き込みに仕事がありません");
		return MMR_EINVAL;
	}
	struct request r = {.fn = fn, .ud = ud};
	return submit(g, &r, err);
}

int mmr_audit_group_append(mmr_audit_group *g, const struct mmr_audit_event *ev, int64_t *index_out,
			   mmr_error *err)
{
	struct request r = {.ev = ev, .index = -1};
	int rc = submit(g, &r, err);
	if (!rc && index_out)
		*index_out = r.index;
	return rc;
}

void mmr_audit_group_times(mmr_audit_group *g, double *work_s, double *commit_s)
{
	pthread_mutex_lock(&g->slock);
	*work_s = g->work_s;
	*commit_s = g->commit_s;
	pthread_mutex_unlock(&g->slock);
}

void mmr_audit_group_counts(mmr_audit_group *g, uint64_t *commits, uint64_t *works)
{
	pthread_mutex_lock(&g->slock);
	*commits = g->commits;
	*works = g->works;
	pthread_mutex_unlock(&g->slock);
}

void mmr_audit_group_flushes(mmr_audit_group *g, uint64_t *flushes, double *flush_s)
{
	pthread_mutex_lock(&g->slock);
	*flushes = g->flushes;
	*flush_s = g->flush_s;
	pthread_mutex_unlock(&g->slock);
}

void mmr_audit_group_checkpoints(mmr_audit_group *g, uint64_t *by_checkpointer,
				 uint64_t *by_committer)
{
	pthread_mutex_lock(&g->slock);
	*by_checkpointer = g->ckpts_ckpter;
	*by_committer = g->ckpts_committer;
	pthread_mutex_unlock(&g->slock);
}

void mmr_audit_group_attach(mmr_audit_group *g, mmr_store *st)
{
	if (st && (!g || st != g->st)) /* never the group's own connection */
		st->group = g;
}
