/*
 * bench_log.c — the audit log (issue 4) on SQLite, durable (WAL,
 * synchronous=FULL, as the store opens it):
 *
 *   log.append_single_per_s  mmr_audit_append, each its own durable transaction
 *   log.append_per_s         group commit: THREADS callers through one
 *                            mmr_audit_group, each acknowledged once durable
 *   log.raw_insert_*         plain INSERTs of the very same rows into a copy of the
 *                            table (same indexes, same sync), done the same way
 *   log.append_vs_raw        their ratio, measured in the same run (goal >= 0.7)
 *   log.verify_leaves_per_s  mmr_audit_verify over the appended log (goal >= 1,000,000);
 *                            best of passes; log.verify_leaves_per_cpu_s is the same
 *                            work per CPU second of all threads (verify hashes on a
 *                            helper thread), which moves less on a shared machine
 *   log.proof_us             mmr_audit_proof (what `mamori log proof` calls) of random
 *                            leaves of a 10,000,000-leaf log (goal < 100 us); the log is
 *                            built by a bulk path here (frontier + rows of typical events,
 *                            laid out as appends lay them out), not service calls;
 *                            log.proof_cpu_us is the CPU time of the same proofs
 *   log.append_many_per_s    mmr_audit_append_many (imports) in one transaction, before
 *                            its commit (goal >= 200,000/s); log.append_many_pg_per_s the
 *                            same on PostgreSQL when MAMORI_BENCH_LOG_PG names a server
 *                            (goal >= 80,000/s)
 *
 * `bench_log SOURCE_ROOT`; MAMORI_BENCH_LOG_LEAVES (size of the big log),
 * MAMORI_BENCH_LOG_THREADS (callers, default 128), MAMORI_BENCH_LOG_ONLY
 * (append|verify|many|proof), MAMORI_BENCH_LOG_VPASSES, MAMORI_BENCH_LOG_PROOFS,
 * MAMORI_BENCH_LOG_MANY (leaves of the batch part, default 200,000),
 * MAMORI_BENCH_LOG_PG (a PostgreSQL URI for it), MAMORI_BENCH_LOG_BIGDB (a file that keeps the big
 * log between runs: it takes minutes to build), MAMORI_BENCH_LOG_PRAGMA (SQL run on the proof
 * connection first, e.g. to try cache or mmap sizes).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <pthread.h>

#include "store/audit.h"
#include "store/audit_group.h"

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* CPU time of the process (all threads) and of the calling thread: on a
 * shared machine they move less than wall time */
static double cpu_s(clockid_t which)
{
	struct timespec ts;
	clock_gettime(which, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(int rc, const mmr_error *err, const char *what)
{
	fprintf(stderr, "bench_log: %s: rc=%d %s\n", what, rc, err->message);
	exit(1);
}

static void rm_db(const char *p)
{
	char w[600];
	unlink(p);
	snprintf(w, sizeof w, "%s-wal", p);
	unlink(w);
	snprintf(w, sizeof w, "%s-shm", p);
	unlink(w);
}

static void event(int64_t i, struct mmr_audit_event *ev, char *id, size_t n)
{
	snprintf(id, n, "%" PRId64, 1000 + i % 5000);
	ev->tenant = "bench";
	ev->actor = i % 3 ? "mgr1" : "staff1";
	ev->action = i % 2 ? "ledger.update" : "ledger.create";
	ev->object_kind = "assets";
	ev->object_id = id;
	ev->before = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
	ev->after = "60303ae22b998861bce3b28f33eec1be758a213c86c93c076dbe9f558c11c752";
	ev->decision = NULL;
	ev->at = "2026-04-01T09:00:00.000Z";
}

static const char raw_ddl[] =
	"CREATE TABLE raw_leaves (tenant TEXT NOT NULL, idx INTEGER NOT NULL, at TEXT NOT NULL, "
	"actor TEXT NOT NULL, action TEXT NOT NULL, object_kind TEXT, object_id TEXT, "
	"before_digest TEXT, after_digest TEXT, decision TEXT, hash TEXT NOT "
	"NULL, nodes TEXT NOT NULL, PRIMARY KEY (tenant, idx)) WITHOUT ROWID; "
	"CREATE INDEX raw_leaves_actor ON raw_leaves(tenant, actor, idx); "
	"CREATE INDEX raw_leaves_object ON raw_leaves(tenant, object_kind, object_id, idx)";
static const char raw_ins[] =
	"INSERT INTO raw_leaves (tenant, idx, at, actor, action, object_kind, object_id, "
	"before_digest, after_digest, decision, hash, nodes) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

/* the rows an append writes, precomputed: raw inserts of the same rows
 * (audit_leaves; the audit_upper rows, one append in 16, are not copied) */
struct row {
	char hash[65];
	char nodes[64 * 64 + 1];
};

/* ---- single appends: one durable transaction each ---- */

static void raw_bind(mmr_stmt *s, const struct row *r, int64_t idx, int64_t k)
{
	struct mmr_audit_event ev;
	char id[32];
	event(k, &ev, id, sizeof id);
	mmr_stmt_text(s, 1, ev.tenant);
	mmr_stmt_int(s, 2, idx);
	mmr_stmt_text(s, 3, ev.at);
	mmr_stmt_text(s, 4, ev.actor);
	mmr_stmt_text(s, 5, ev.action);
	mmr_stmt_text(s, 6, ev.object_kind);
	mmr_stmt_text(s, 7, ev.object_id);
	mmr_stmt_text(s, 8, ev.before);
	mmr_stmt_text(s, 9, ev.after);
	mmr_stmt_null(s, 10);
	mmr_stmt_text(s, 11, r->hash);
	mmr_stmt_text(s, 12, r->nodes);
}

static double single_append_run(mmr_store *st, int64_t first, int64_t n)
{
	mmr_error err;
	double t0 = now_s();
	for (int64_t k = first; k < first + n; k++) {
		struct mmr_audit_event ev;
		char id[32];
		event(k, &ev, id, sizeof id);
		int rc = mmr_audit_append(st, &ev, NULL, &err); /* its own transaction */
		if (rc)
			die(rc, &err, "append");
	}
	return (double)n / (now_s() - t0);
}

static double single_raw_run(mmr_store *st, struct row *rows, int64_t base, int64_t first,
			     int64_t n)
{
	mmr_error err;
	mmr_db *db = mmr_store_db(st);
	double t0 = now_s();
	for (int64_t k = 0; k < n; k++) {
		int rc = mmr_db_begin(db, &err);
		if (rc)
			die(rc, &err, "begin");
		mmr_stmt *s;
		if ((rc = mmr_db_prepare(db, raw_ins, &s, &err)))
			die(rc, &err, "prepare");
		raw_bind(s, &rows[k], base + k, first + k);
		if ((rc = mmr_stmt_run(s, &err)) || (rc = mmr_db_commit(db, &err)))
			die(rc, &err, "raw insert");
	}
	return (double)n / (now_s() - t0);
}

/* ---- group commit: THREADS callers, one group ---- */

#define MAX_THREADS 1024
static int THREADS = 128; /* MAMORI_BENCH_LOG_THREADS overrides */

struct gjob {
	mmr_audit_group *g;
	struct row *rows; /* NULL: appends; else raw inserts of these rows */
	int64_t base, first, n, step, off;
	double cpu_s; /* this caller's CPU time, when it has ended */
};

struct raw_work {
	const struct row *r;
	int64_t idx, k;
};

static int raw_fn(mmr_store *st, void *ud, mmr_error *err)
{
	struct raw_work *w = ud;
	mmr_stmt *s;
	int rc = mmr_db_prepare(mmr_store_db(st), raw_ins, &s, err);
	if (rc)
		return rc;
	raw_bind(s, w->r, w->idx, w->k);
	return mmr_stmt_run(s, err);
}

static void *gthread(void *arg)
{
	struct gjob *j = arg;
	mmr_error err;
	for (int64_t i = j->off; i < j->n; i += j->step) {
		int rc;
		if (!j->rows) {
			struct mmr_audit_event ev;
			char id[32];
			event(j->first + i, &ev, id, sizeof id);
			rc = mmr_audit_group_append(j->g, &ev, NULL, &err);
		} else {
			/* the row appended at base + i, inserted plainly */
			struct raw_work w = {&j->rows[i], j->base + i, j->first + i};
			rc = mmr_audit_group_run(j->g, raw_fn, &w, &err);
		}
		if (rc)
			die(rc, &err, j->rows ? "group raw insert" : "group append");
	}
	j->cpu_s = cpu_s(CLOCK_THREAD_CPUTIME_ID);
	return NULL;
}

/* CPU seconds of the last group_run: its callers', and the process's in
 * all (the rest is the group's threads': committer, syncers, checkpointer) */
static double run_callers_cpu, run_all_cpu;

static double group_run(mmr_audit_group *g, struct row *rows, int64_t base, int64_t first,
			int64_t n)
{
	pthread_t t[MAX_THREADS];
	struct gjob j[MAX_THREADS];
	double t0 = now_s(), c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
	for (int i = 0; i < THREADS; i++) {
		j[i] = (struct gjob){g, rows, base, first, n, THREADS, i, 0};
		pthread_create(&t[i], NULL, gthread, &j[i]);
	}
	for (int i = 0; i < THREADS; i++)
		pthread_join(t[i], NULL);
	double wall = now_s() - t0;
	run_all_cpu = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
	run_callers_cpu = 0;
	for (int i = 0; i < THREADS; i++)
		run_callers_cpu += j[i].cpu_s;
	return (double)n / wall;
}

/* the rows of leaves [from, from + n) as stored */
static void read_rows(mmr_store *st, int64_t from, int64_t n, struct row *rows)
{
	mmr_error err;
	static const char q[] = "SELECT hash, nodes FROM audit_leaves WHERE tenant = "
				"'bench' AND idx >= $1 ORDER BY idx";
	mmr_stmt *s;
	int rc = mmr_db_prepare(mmr_store_db(st), q, &s, &err);
	if (rc)
		die(rc, &err, "select");
	mmr_stmt_int(s, 1, from);
	for (int64_t k = 0; k < n && mmr_stmt_step(s, &err) == MMR_DB_ROW; k++) {
		snprintf(rows[k].hash, sizeof rows[k].hash, "%s", mmr_col_text(s, 0));
		snprintf(rows[k].nodes, sizeof rows[k].nodes, "%s", mmr_col_text(s, 1));
	}
	mmr_stmt_reset(s);
}

/* the big log: rows as appends write them (columns of typical events, leaf
 * hash of their canonical data, nodes of levels 1-4 in the row, higher ones
 * in audit_upper), written directly with synchronous=OFF while building */
struct bulk_nodes {
	char *low;
	size_t len;
	unsigned n_up, level[64];
	mmr_hash up[64];
};

static void bulk_node(void *ud, unsigned level, uint64_t index, const mmr_hash h)
{
	(void)index;
	struct bulk_nodes *a = ud;
	if (level >= 5) {
		a->level[a->n_up] = level;
		memcpy(a->up[a->n_up++], h, MMR_HASH_LEN);
		return;
	}
	mmr_hash_hex(h, a->low + a->len);
	a->len += 64;
}

/* Read a file through once (into the page cache); its size in MB. */
static long long warm_file(const char *path)
{
	FILE *f = fopen(path, "rb");
	if (!f)
		return 0;
	static char buf[1 << 20];
	long long n = 0;
	size_t got;
	while ((got = fread(buf, 1, sizeof buf, f)) > 0)
		n += (long long)got;
	fclose(f);
	return n >> 20;
}

static void bulk_build(mmr_store *st, int64_t n)
{
	mmr_error err;
	mmr_db *db = mmr_store_db(st);
	int rc = mmr_db_exec(db, "PRAGMA synchronous=OFF", &err);
	if (rc)
		die(rc, &err, "pragma");
	static const char ins[] =
		"INSERT INTO audit_leaves (tenant, idx, at, actor, action, object_kind, object_id, "
		"before_digest, after_digest, decision, hash, nodes) "
		"VALUES ('big', $1, $2, $3, $4, $5, $6, $7, $8, NULL, $9, $10)";
	static const char ins_up[] = "INSERT INTO audit_upper (tenant, band, anc, level, j, idx, "
				     "hash) VALUES ('big', $1, $2, $3, $4, $5, $6)";
	struct mmr_log_frontier f = {0};
	char nodes[64 * 64 + 1];
	for (int64_t i = 0; i < n; i += 100000) {
		if ((rc = mmr_db_begin(db, &err)))
			die(rc, &err, "begin");
		for (int64_t k = i; k < i + 100000 && k < n; k++) {
			struct mmr_audit_event ev;
			char id[32], hx[65];
			event(k, &ev, id, sizeof id);
			ev.tenant = "big";
			char *data = mmr_audit_leaf_data(&ev, k, ev.at);
			mmr_hash lh;
			mmr_log_leaf_hash(data, strlen(data), lh);
			free(data);
			struct bulk_nodes a = {.low = nodes};
			mmr_log_frontier_push(&f, lh, bulk_node, &a);
			nodes[a.len] = 0;
			mmr_hash_hex(lh, hx);
			mmr_stmt *s;
			if ((rc = mmr_db_prepare(db, ins, &s, &err)))
				die(rc, &err, "prepare");
			mmr_stmt_int(s, 1, k);
			mmr_stmt_text(s, 2, ev.at);
			mmr_stmt_text(s, 3, ev.actor);
			mmr_stmt_text(s, 4, ev.action);
			mmr_stmt_text(s, 5, ev.object_kind);
			mmr_stmt_text(s, 6, ev.object_id);
			mmr_stmt_text(s, 7, ev.before);
			mmr_stmt_text(s, 8, ev.after);
			mmr_stmt_text(s, 9, hx);
			mmr_stmt_text(s, 10, nodes);
			if ((rc = mmr_stmt_run(s, &err)))
				die(rc, &err, "bulk insert");
			for (unsigned u = 0; u < a.n_up; u++) {
				if ((rc = mmr_db_prepare(db, ins_up, &s, &err)))
					die(rc, &err, "prepare");
				/* the key audit.c gives it (0008_audit_narrow.sql) */
				unsigned lv = a.level[u], band = (lv - 5) / 4;
				int64_t j = ((k + 1) >> lv) - 1;
				mmr_hash_hex(a.up[u], hx);
				mmr_stmt_int(s, 1, band);
				mmr_stmt_int(s, 2, j >> (5 + 4 * band + 4 - lv));
				mmr_stmt_int(s, 3, lv);
				mmr_stmt_int(s, 4, j);
				mmr_stmt_int(s, 5, k);
				mmr_stmt_text(s, 6, hx);
				if ((rc = mmr_stmt_run(s, &err)))
					die(rc, &err, "bulk insert upper");
			}
		}
		if ((rc = mmr_db_commit(db, &err)))
			die(rc, &err, "commit");
	}
	if ((rc = mmr_db_exec(db, "PRAGMA synchronous=FULL", &err)))
		die(rc, &err, "pragma");
}

/* ---- batch appends: mmr_audit_append_many inside one transaction ---- */

/* CPU seconds (user + system) process `pid` used so far: a PostgreSQL
 * server backend on this machine; -1 when unknown */
static double proc_cpu_s(long pid)
{
	char p[64], buf[1024];
	snprintf(p, sizeof p, "/proc/%ld/stat", pid);
	FILE *f = fopen(p, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	const char *q = strrchr(buf, ')'); /* fields after the command name */
	unsigned long ut, stime;
	if (!q ||
	    sscanf(q + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu", &ut, &stime) != 2)
		return -1;
	return (double)(ut + stime) / (double)sysconf(_SC_CLK_TCK);
}

/* Append `n` leaves to a fresh tenant of `target` in batches of `batch`
 * inside one transaction; *in_tx: leaves/s before the commit, *with_commit:
 * including it; *cpu_rate: leaves per CPU second before the commit (this
 * thread's CPU plus, on PostgreSQL, its server backend's), which moves less
 * than wall time on a shared machine. */
static void many_run(const char *target, const char *profile, const char *tenant, int64_t n,
		     int64_t batch, double *in_tx, double *with_commit, double *cpu_rate)
{
	mmr_error err;
	mmr_store *st;
	int rc = mmr_store_open(target, NULL, &st, &err);
	if (rc)
		die(rc, &err, "open many");
	if ((rc = mmr_tenant_add(st, tenant, tenant, profile, &err)))
		die(rc, &err, "tenant many");
	struct mmr_audit_event *evs = calloc((size_t)batch, sizeof *evs);
	char(*ids)[32] = calloc((size_t)batch, sizeof *ids);
	mmr_db *db = mmr_store_db(st);
	long backend = 0;
	if (mmr_db_kind(db) == MMR_DB_POSTGRES) {
		static const char q_pid[] = "SELECT pg_backend_pid()";
		mmr_stmt *s;
		if ((rc = mmr_db_prepare(db, q_pid, &s, &err)) ||
		    (rc = mmr_stmt_step(s, &err)) != MMR_DB_ROW)
			die(rc, &err, "backend pid");
		backend = (long)mmr_col_int(s, 0);
		mmr_stmt_reset(s);
	}
	double server0 = backend ? proc_cpu_s(backend) : 0;
	double c0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
	double t0 = now_s();
	if ((rc = mmr_db_begin(db, &err)))
		die(rc, &err, "begin many");
	for (int64_t done = 0; done < n; done += batch) {
		int64_t k = n - done < batch ? n - done : batch;
		for (int64_t i = 0; i < k; i++) {
			event(done + i, &evs[i], ids[i], sizeof ids[i]);
			evs[i].tenant = tenant;
		}
		if ((rc = mmr_audit_append_many(st, evs, (size_t)k, NULL, &err)))
			die(rc, &err, "append many");
	}
	double t1 = now_s();
	double cpu = cpu_s(CLOCK_THREAD_CPUTIME_ID) - c0;
	if (backend) {
		double server1 = proc_cpu_s(backend);
		if (getenv("MAMORI_BENCH_LOG_VERBOSE"))
			fprintf(stderr, "many: client %.2f us, server %.2f us CPU per leaf\n",
				cpu / (double)n * 1e6, (server1 - server0) / (double)n * 1e6);
		cpu = server0 < 0 || server1 < 0 ? -1 : cpu + server1 - server0;
	}
	*cpu_rate = cpu > 0 ? (double)n / cpu : 0;
	if ((rc = mmr_db_commit(db, &err)))
		die(rc, &err, "commit many");
	double t2 = now_s();
	*in_tx = (double)n / (t1 - t0);
	*with_commit = (double)n / (t2 - t0);
	free(evs);
	free(ids);
	mmr_store_close(st);
}

/* The limit of many_run on SQLite: the rows it appended to `tenant`,
 * inserted plainly (one prepared INSERT a row, as the SQLite path of
 * mmr_audit_append_many runs) into raw_many (same indexes) under tenant
 * `raw`, in one transaction; leaves/s before the commit. */
static const char raw_many_ddl[] =
	"CREATE TABLE raw_many (tenant TEXT NOT NULL, idx INTEGER NOT NULL, at TEXT NOT NULL, "
	"actor TEXT NOT NULL, action TEXT NOT NULL, object_kind TEXT, object_id TEXT, "
	"before_digest TEXT, after_digest TEXT, decision TEXT, hash TEXT NOT "
	"NULL, nodes TEXT NOT NULL, PRIMARY KEY (tenant, idx)) WITHOUT ROWID; "
	"CREATE INDEX raw_many_actor ON raw_many(tenant, actor, idx); "
	"CREATE INDEX raw_many_object ON raw_many(tenant, object_kind, object_id, idx)";
static const char raw_many_ins[] =
	"INSERT INTO raw_many (tenant, idx, at, actor, action, object_kind, object_id, "
	"before_digest, after_digest, decision, hash, nodes) "
	"VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)";

static double many_raw(mmr_store *st, const char *tenant, const char *raw, int64_t n)
{
	mmr_error err;
	mmr_db *db = mmr_store_db(st);
	static const char q[] = "SELECT hash, nodes FROM audit_leaves WHERE tenant = $1 AND "
				"idx > 0 ORDER BY idx";
	char **hash = calloc((size_t)n, sizeof *hash), **nodes = calloc((size_t)n, sizeof *nodes);
	mmr_stmt *s;
	int rc = mmr_db_prepare(db, q, &s, &err);
	if (rc)
		die(rc, &err, "select many");
	mmr_stmt_text(s, 1, tenant);
	for (int64_t k = 0; k < n && mmr_stmt_step(s, &err) == MMR_DB_ROW; k++) {
		hash[k] = strdup(mmr_col_text(s, 0));
		nodes[k] = strdup(mmr_col_text(s, 1));
	}
	mmr_stmt_reset(s);
	double t0 = now_s();
	if ((rc = mmr_db_begin(db, &err)))
		die(rc, &err, "begin raw many");
	for (int64_t k = 0; k < n; k++) {
		struct mmr_audit_event ev;
		char id[32];
		event(k, &ev, id, sizeof id);
		if ((rc = mmr_db_prepare(db, raw_many_ins, &s, &err)))
			die(rc, &err, "prepare raw many");
		mmr_stmt_text(s, 1, raw);
		mmr_stmt_int(s, 2, k + 1);
		mmr_stmt_text(s, 3, ev.at);
		mmr_stmt_text(s, 4, ev.actor);
		mmr_stmt_text(s, 5, ev.action);
		mmr_stmt_text(s, 6, ev.object_kind);
		mmr_stmt_text(s, 7, ev.object_id);
		mmr_stmt_text(s, 8, ev.before);
		mmr_stmt_text(s, 9, ev.after);
		mmr_stmt_null(s, 10);
		mmr_stmt_text(s, 11, hash[k]);
		mmr_stmt_text(s, 12, nodes[k]);
		if ((rc = mmr_stmt_run(s, &err)))
			die(rc, &err, "raw many");
	}
	double rate = (double)n / (now_s() - t0);
	if ((rc = mmr_db_commit(db, &err)))
		die(rc, &err, "commit raw many");
	for (int64_t k = 0; k < n; k++) {
		free(hash[k]);
		free(nodes[k]);
	}
	free(hash);
	free(nodes);
	return rate;
}

int main(int argc, char **argv)
{
	if (argc < 2) {
		fprintf(stderr, "usage: bench_log SOURCE_ROOT [MAMORI]\n");
		return 2;
	}
	char dbp[256], keyp[256], profile[1024];
	snprintf(dbp, sizeof dbp, "/tmp/mamori-bench-log-%d.db", (int)getpid());
	snprintf(keyp, sizeof keyp, "/tmp/mamori-bench-log-%d.key", (int)getpid());
	snprintf(profile, sizeof profile, "%s/policy/guideline.yaml", argv[1]);
	rm_db(dbp);
	mmr_error err;
	mmr_store *st;
	int rc = mmr_store_open(dbp, NULL, &st, &err);
	if (rc)
		die(rc, &err, "open");
	if ((rc = mmr_tenant_add(st, "bench", "bench", profile, &err)))
		die(rc, &err, "tenant");
	if ((rc = mmr_db_exec(mmr_store_db(st), raw_ddl, &err)))
		die(rc, &err, "raw table");
	struct mmr_log_key key;
	if ((rc = mmr_log_key_load(keyp, true, &key, &err)))
		die(rc, &err, "key");

	/* MAMORI_BENCH_LOG_ONLY=append|verify|proof runs one part (for profiling) */
	const char *only = getenv("MAMORI_BENCH_LOG_ONLY");
	const char *nt = getenv("MAMORI_BENCH_LOG_THREADS");
	if (nt && atoi(nt) > 0)
		THREADS = atoi(nt) < MAX_THREADS ? atoi(nt) : MAX_THREADS;
#define PART(name) (!only || !strcmp(only, name))
	/* append vs raw, interleaved rounds of the same size in the same run:
	 * first one caller committing each append alone (one fsync each), then
	 * THREADS callers through one group (appends that queue up share a
	 * transaction; each caller returns once its append is durable). The raw
	 * figure inserts the very rows just appended into raw_leaves (same
	 * indexes, same sync settings), the same way (alone / same group). */
	int64_t next = 0;
	mmr_audit_size(st, "bench", &next, &err);
	const int64_t single_n = 300, round = 30000;
	const int rounds = 3;
	int64_t raw_base = 0;
	struct row *rows = calloc((size_t)round, sizeof *rows);
	if (PART("append")) {
		double s_app = 0, s_raw = 0, g_app = 0, g_raw = 0;
		for (int r = 0; r < rounds; r++) {
			int64_t before = next;
			s_app += single_append_run(st, next, single_n);
			next += single_n;
			read_rows(st, before, single_n, rows);
			s_raw += single_raw_run(st, rows, raw_base, before, single_n);
			raw_base += single_n;
		}
		mmr_audit_group *g;
		if ((rc = mmr_audit_group_open(dbp, NULL, &g, &err)))
			die(rc, &err, "group");
		double a_wall = 0, a_work = 0, a_commit = 0; /* the append rounds' */
		double a_flush_s = 0, a_callers_cpu = 0, a_all_cpu = 0;
		uint64_t a_flushes = 0;
		for (int r = 0; r < rounds; r++) {
			int64_t before = next;
			double w0, c0, w1, c1, f0, f1;
			uint64_t n0, n1;
			mmr_audit_group_times(g, &w0, &c0);
			mmr_audit_group_flushes(g, &n0, &f0);
			double rate = group_run(g, NULL, 0, next, round);
			a_callers_cpu += run_callers_cpu;
			a_all_cpu += run_all_cpu;
			mmr_audit_group_times(g, &w1, &c1);
			mmr_audit_group_flushes(g, &n1, &f1);
			a_flushes += n1 - n0;
			a_flush_s += f1 - f0;
			g_app += rate;
			a_wall += (double)round / rate;
			a_work += w1 - w0;
			a_commit += c1 - c0;
			next += round;
			read_rows(st, before, round, rows);
			g_raw += group_run(g, rows, raw_base, before, round);
			raw_base += round;
		}
		uint64_t commits = 0, works = 0;
		mmr_audit_group_counts(g, &commits, &works);
		double a_work_all, a_commit_all;
		mmr_audit_group_times(g, &a_work_all, &a_commit_all);
		/* the same appends with twice the callers (not in the figures
		 * above): how the rate moves with the callers waiting at once */
		int callers = THREADS;
		THREADS = 2 * callers <= MAX_THREADS ? 2 * callers : MAX_THREADS;
		uint64_t c0 = commits, w0 = works, c1, w1;
		double more = group_run(g, NULL, 0, next, round);
		next += round;
		mmr_audit_group_counts(g, &c1, &w1);
		int more_callers = THREADS;
		THREADS = callers;
		mmr_audit_group_close(g);
		s_app /= rounds;
		s_raw /= rounds;
		g_app /= rounds;
		g_raw /= rounds;
		printf("log.append_single_per_s: %.0f appends/s (one caller, each append its own "
		       "durable transaction)\n",
		       s_app);
		printf("log.raw_insert_single_per_s: %.0f rows/s (same rows, each its own durable "
		       "transaction)\n",
		       s_raw);
		printf("log.append_single_vs_raw: %.2f\n", s_app / s_raw);
		printf("log.append_per_s: %.0f appends/s (group commit: %d threads, each append "
		       "acknowledged once durable; mean %.0f per transaction)\n",
		       g_app, THREADS, commits ? (double)works / (double)commits : 0.0);
		printf("log.append_per_s.goal_ratio: %.2f (goal 50000/s)\n", g_app / 50000.0);
		printf("log.append_per_s_more_callers: %.0f appends/s (one round of the same "
		       "appends with %d callers: mean %.0f per transaction; not the figure "
		       "above)\n",
		       more, more_callers, c1 > c0 ? (double)(w1 - w0) / (double)(c1 - c0) : 0.0);
		printf("log.raw_insert_per_s: %.0f rows/s (same rows, same sync, same %d threads "
		       "through the same group)\n",
		       g_raw, THREADS);
		printf("log.append_vs_raw: %.2f (goal 0.7)\n", g_app / g_raw);
		printf("log.append_vs_raw.goal_ratio: %.2f (goal 0.7)\n", g_app / g_raw / 0.7);
		printf("log.group_commit_share: %.2f (of the group appends' wall time, the part "
		       "the committer spent committing: WAL writes; %.2f running the statements; "
		       "the rest it waited for callers)\n",
		       a_commit / a_wall, a_work / a_wall);
		printf("log.group_flush_ms: %.2f ms (mean fdatasync of the WAL by the syncers, "
		       "%.0f appends a flush, %.0f flushes/s; a caller waits for one: the disk's "
		       "limit)\n",
		       a_flushes ? a_flush_s / (double)a_flushes * 1e3 : 0.0,
		       a_flushes ? (double)(rounds * round) / (double)a_flushes : 0.0,
		       a_flushes ? (double)a_flushes / a_wall : 0.0);
		printf("log.group_cpu_us: %.1f us of CPU an append: %.1f the callers' (asking, "
		       "sleeping until answered, being woken, waking two more: the kernel's part "
		       "mostly), %.1f the group's threads'; %.2f cores busy of %ld\n",
		       a_all_cpu / (double)(rounds * round) * 1e6,
		       a_callers_cpu / (double)(rounds * round) * 1e6,
		       (a_all_cpu - a_callers_cpu) / (double)(rounds * round) * 1e6,
		       a_all_cpu / a_wall, sysconf(_SC_NPROCESSORS_ONLN));
		printf("log.group_work_us: %.1f us (statements per append in the group)\n",
		       a_work / (double)(rounds * round) * 1e6);
		printf("log.group_commit_ms: %.2f ms (per group transaction, all rounds)\n",
		       commits ? a_commit_all / (double)commits * 1e3 : 0.0);
	}
	free(rows);

	json_t *cp = NULL;
	double t0;
	if (PART("verify")) {
		if (only) { /* the log of the append part, made quickly */
			mmr_db *db = mmr_store_db(st);
			for (int64_t i = 0; i < 100000; i++) {
				struct mmr_audit_event ev;
				char id[32];
				event(i, &ev, id, sizeof id);
				if ((i % 10000 == 0 && (rc = mmr_db_begin(db, &err))) ||
				    (rc = mmr_audit_append(st, &ev, NULL, &err)) ||
				    (i % 10000 == 9999 && (rc = mmr_db_commit(db, &err))))
					die(rc, &err, "append");
			}
		}
		/* verify the appended log */
		if ((rc = mmr_audit_checkpoint(st, "bench", &key, &cp, &err)))
			die(rc, &err, "checkpoint");
		json_decref(cp);
		json_t *rep = NULL;
		/* the best of three passes (the machine is shared) */
		double vt = 1e9, vc = 1e9;
		int vpasses = getenv("MAMORI_BENCH_LOG_VPASSES")
				      ? atoi(getenv("MAMORI_BENCH_LOG_VPASSES"))
				      : 3;
		for (int pass = 0; pass < vpasses; pass++) {
			json_decref(rep);
			rep = NULL;
			t0 = now_s();
			double c0 = cpu_s(CLOCK_PROCESS_CPUTIME_ID);
			if ((rc = mmr_audit_verify(st, "bench", key.pk, NULL, NULL, &rep, &err)))
				die(rc, &err, "verify");
			double t = now_s() - t0, c = cpu_s(CLOCK_PROCESS_CPUTIME_ID) - c0;
			vt = t < vt ? t : vt;
			vc = c < vc ? c : vc;
		}
		int64_t leaves = json_integer_value(json_object_get(rep, "leaves"));
		if (!json_is_true(json_object_get(rep, "ok")))
			fprintf(stderr, "bench_log: verify found a problem\n");
		json_decref(rep);
		printf("log.verify_leaves_per_s: %.0f leaves/s (%" PRId64 " leaves, rows read and "
		       "rehashed, checkpoints checked; best of passes)\n",
		       (double)leaves / vt, leaves);
		printf("log.verify_leaves_per_s.goal_ratio: %.2f (goal 1000000/s)\n",
		       (double)leaves / vt / 1e6);
		printf("log.verify_leaves_per_cpu_s: %.0f leaves per CPU second (all threads; best "
		       "of "
		       "passes)\n",
		       (double)leaves / vc);

		/* the tree arithmetic alone (no database): leaf + node hashing of a
		 * million typical leaves, to show what the rows' reading costs */
		{
			char *one = mmr_audit_leaf_data(
				&(struct mmr_audit_event){
					.tenant = "bench",
					.actor = "mgr1",
					.action = "ledger.update",
					.object_kind = "assets",
					.object_id = "1234",
					.before = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822c"
						  "d15d6c15b0f00a08",
					.after = "60303ae22b998861bce3b28f33eec1be758a213c86c93c0"
						 "76dbe9f558c11c752"},
				12345, "2026-04-01T09:00:00.000Z");
			size_t len = strlen(one);
			struct mmr_log_frontier f = {0};
			const int64_t m = 1000000;
			t0 = now_s();
			for (int64_t i = 0; i < m; i++) {
				mmr_hash lh;
				one[len - 2] = (char)('0' + i % 10);
				mmr_log_leaf_hash(one, len, lh);
				mmr_log_frontier_push(&f, lh, NULL, NULL);
			}
			double ht = now_s() - t0;
			free(one);
			printf("log.tree_leaves_per_s: %.0f leaves/s (hashing only, %zu-byte "
			       "leaves, no "
			       "database)\n",
			       (double)m / ht, len);
		}
	}
	if (PART("many")) {
		/* mmr_audit_append_many (imports): batches of 10,000 in one
		 * transaction, on this SQLite file and, when MAMORI_BENCH_LOG_PG
		 * names one, on PostgreSQL (tests/pgtmp.sh; PGTMP_FSYNC=on) */
		int64_t mn = 200000;
		const int64_t mb = 10000;
		if (getenv("MAMORI_BENCH_LOG_MANY") && atoll(getenv("MAMORI_BENCH_LOG_MANY")) > 0)
			mn = atoll(getenv("MAMORI_BENCH_LOG_MANY"));
		double best_tx = 0, best_all = 0, best_cpu = 0, best_raw = 0;
		if ((rc = mmr_db_exec(mmr_store_db(st), raw_many_ddl, &err)))
			die(rc, &err, "raw many table");
		for (int pass = 0; pass < 3; pass++) {
			char tenant[32], raw[32];
			snprintf(tenant, sizeof tenant, "many%d", pass);
			snprintf(raw, sizeof raw, "raw%d", pass);
			double tx, all, cr;
			many_run(dbp, profile, tenant, mn, mb, &tx, &all, &cr);
			double rr = many_raw(st, tenant, raw, mn);
			best_tx = tx > best_tx ? tx : best_tx;
			best_all = all > best_all ? all : best_all;
			best_cpu = cr > best_cpu ? cr : best_cpu;
			best_raw = rr > best_raw ? rr : best_raw;
		}
		printf("log.append_many_per_s: %.0f leaves/s (SQLite, %" PRId64
		       " leaves in batches "
		       "of %" PRId64 " in one transaction, before its commit; best of 3)\n",
		       best_tx, mn, mb);
		printf("log.append_many_per_s.goal_ratio: %.2f (goal 200000/s)\n", best_tx / 2e5);
		printf("log.append_many_commit_per_s: %.0f leaves/s (the same with the commit)\n",
		       best_all);
		printf("log.append_many_per_cpu_s: %.0f leaves per CPU second (before the "
		       "commit)\n",
		       best_cpu);
		printf("log.raw_insert_many_per_s: %.0f rows/s (the same rows, plain prepared "
		       "INSERTs in one transaction; best of 3)\n",
		       best_raw);
		printf("log.append_many_vs_raw: %.2f\n", best_tx / best_raw);
		const char *pg = getenv("MAMORI_BENCH_LOG_PG");
		if (pg) {
			best_tx = best_all = best_cpu = 0;
			for (int pass = 0; pass < 3; pass++) {
				char tenant[32];
				snprintf(tenant, sizeof tenant, "many%d", pass);
				double tx, all, cr;
				many_run(pg, profile, tenant, mn, mb, &tx, &all, &cr);
				best_tx = tx > best_tx ? tx : best_tx;
				best_all = all > best_all ? all : best_all;
				best_cpu = cr > best_cpu ? cr : best_cpu;
			}
			printf("log.append_many_pg_per_s: %.0f leaves/s (PostgreSQL, the same; "
			       "best "
			       "of 3)\n",
			       best_tx);
			printf("log.append_many_pg_per_s.goal_ratio: %.2f (goal 80000/s)\n",
			       best_tx / 8e4);
			printf("log.append_many_pg_commit_per_s: %.0f leaves/s (the same with the "
			       "commit)\n",
			       best_all);
			printf("log.append_many_pg_per_cpu_s: %.0f leaves per CPU second (client "
			       "and server backend, before the commit)\n",
			       best_cpu);
			/* group commit on PostgreSQL: THREADS callers, one group */
			mmr_store *pst;
			mmr_audit_group *pg_g;
			if ((rc = mmr_store_open(pg, NULL, &pst, &err)) ||
			    (rc = mmr_tenant_add(pst, "bench", "bench", profile, &err)))
				die(rc, &err, "pg bench tenant");
			mmr_store_close(pst);
			if ((rc = mmr_audit_group_open(pg, NULL, &pg_g, &err)))
				die(rc, &err, "pg group");
			double pg_rate = 0;
			for (int r = 0; r < 3; r++) {
				double rate = group_run(pg_g, NULL, 0, r * 20000, 20000);
				pg_rate = rate > pg_rate ? rate : pg_rate;
			}
			uint64_t pc = 0, pw = 0;
			mmr_audit_group_counts(pg_g, &pc, &pw);
			mmr_audit_group_close(pg_g);
			printf("log.append_pg_per_s: %.0f appends/s (PostgreSQL group commit: %d "
			       "threads, each acknowledged once durable; mean %.0f per "
			       "transaction; best of 3)\n",
			       pg_rate, THREADS, pc ? (double)pw / (double)pc : 0.0);
		}
	}
	if (PART("proof")) {
		/* proofs in a big log */
		int64_t big = 10000000;
		const char *env = getenv("MAMORI_BENCH_LOG_LEAVES");
		if (env && atoll(env) > 0)
			big = atoll(env);
		/* MAMORI_BENCH_LOG_BIGDB=FILE keeps the big log in FILE between runs
		 * (built when FILE does not hold it yet) */
		const char *bigdb = getenv("MAMORI_BENCH_LOG_BIGDB");
		mmr_store *pst = st;
		int64_t have = 0;
		if (bigdb) {
			if ((rc = mmr_store_open(bigdb, NULL, &pst, &err)))
				die(rc, &err, "open big");
			mmr_audit_size(pst, "big", &have, &err);
		}
		/* MAMORI_BENCH_LOG_PRAGMA: SQL run on the proof connection first (to
		 * try cache and mmap sizes) */
		if (getenv("MAMORI_BENCH_LOG_PRAGMA") &&
		    (rc = mmr_db_exec(mmr_store_db(pst), getenv("MAMORI_BENCH_LOG_PRAGMA"), &err)))
			die(rc, &err, "pragma");
		t0 = now_s();
		if (have != big)
			bulk_build(pst, big);
		double bt = now_s() - t0;
		if ((rc = mmr_audit_checkpoint(pst, "big", &key, &cp, &err)))
			die(rc, &err, "checkpoint big");
		json_decref(cp);
		/* "page cache warm": the whole file is read once first (the first
		 * pass alone touches only its own random pages, and this machine's
		 * page cache does not keep a 4 GB file between runs) */
		{
			double w0 = now_s();
			long long mb = warm_file(bigdb ? bigdb : dbp);
			printf("log.proof_warm_s: %.1f s (read %lld MB of the log's file)\n",
			       now_s() - w0, mb);
		}
		srand(42);
		int nproof = 2000;
		if (getenv("MAMORI_BENCH_LOG_PROOFS") &&
		    atoi(getenv("MAMORI_BENCH_LOG_PROOFS")) > 0)
			nproof = atoi(getenv("MAMORI_BENCH_LOG_PROOFS"));
		/* warm: the first pass reads pages from disk */
		for (int pass = 0; pass < 2; pass++) {
			t0 = now_s();
			double c0 = cpu_s(CLOCK_THREAD_CPUTIME_ID);
			for (int i = 0; i < nproof; i++) {
				int64_t idx =
					(int64_t)(((uint64_t)rand() << 31 | (uint64_t)rand()) %
						  (uint64_t)big);
				json_t *p = NULL;
				if ((rc = mmr_audit_proof(pst, "big", idx, 0, &p, &err)))
					die(rc, &err, "proof");
				json_decref(p);
			}
			double us = (now_s() - t0) / nproof * 1e6;
			double cus = (cpu_s(CLOCK_THREAD_CPUTIME_ID) - c0) / nproof * 1e6;
			if (pass == 1) {
				printf("log.proof_cpu_us: %.1f us (CPU time of the same proofs: "
				       "user + "
				       "system, without waiting for a CPU)\n",
				       cus);
				printf("log.proof_us: %.1f us (verified inclusion proof + entry, "
				       "%" PRId64 "-leaf log, page cache warm)\n",
				       us, big);
				printf("log.proof_us.goal_ratio: %.2f (goal < 100 us)\n",
				       us / 100.0);
			} else {
				printf("log.proof_cold_us: %.1f us (first pass)\n", us);
			}
		}
		if (have != big)
			printf("log.bulk_build_s: %.1f s (%" PRId64 " leaves)\n", bt, big);
		if (pst != st)
			mmr_store_close(pst);
	}
	mmr_store_close(st);
	rm_db(dbp);
	unlink(keyp);
	return 0;
}
