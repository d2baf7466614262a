/*
 * test_walbuf.c — the WAL-gathering VFS shim (src/store/walbuf.c) keeps
 * SQLite's guarantees: what one connection commits through it another
 * connection (plain VFS) reads whole, while it writes and after it is
 * killed; a transaction larger than the cache (pages spilled to the WAL and
 * written again, checksums rewritten in place) and larger than the buffer
 * comes out right; the WAL starting over (checkpoints from another
 * connection) loses nothing; two writers through the shim taking turns,
 * a spill rolled back (wholly, or to a savepoint) and a commit padded to the
 * sector (psow=0) leave nothing pending for others to read or to land later
 * (the cases of the review of the shim). `test_walbuf`.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>
#include <pthread.h>
#include <signal.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "store/walbuf.h"
#include "storefx.h"

static char path[256];

static sqlite3 *open_db(bool shim, const char *pragmas)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE,
					 shim ? mmr_walbuf_vfs() : NULL),
			 SQLITE_OK);
	sqlite3_busy_timeout(db, 10000);
	assert_int_equal(sqlite3_exec(db, "PRAGMA journal_mode=WAL", NULL, NULL, NULL), SQLITE_OK);
	if (pragmas)
		assert_int_equal(sqlite3_exec(db, pragmas, NULL, NULL, NULL), SQLITE_OK);
	return db;
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
	int64_t v = 0;
	assert_true(sfx_sqlite_int(db, sql, &v));
	return v;
}

static void exec_ok(sqlite3 *db, const char *sql)
{
	assert_true(sfx_sqlite_exec(db, sql));
}

static const char *one_text(sqlite3 *db, const char *sql, char *out, size_t n)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, sql, -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	snprintf(out, n, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	return out;
}

static void integrity_ok(void)
{
	char v[64];
	assert_true(sfx_sqlite_text(path, "PRAGMA integrity_check", v, sizeof v));
	assert_string_equal(v, "ok");
}

static int setup(void **state)
{
	(void)state;
	snprintf(path, sizeof path, "/tmp/mamori-test-walbuf-%d.db", (int)getpid());
	sfx_remove_db(path);
	return 0;
}

static int teardown(void **state)
{
	(void)state;
	sfx_remove_db(path);
	return 0;
}

/* a transaction of 8 MB through a cache of 10 pages: pages spill to the WAL
 * mid-transaction, are changed and written again (in place), the buffer
 * fills many times over */
static void big_transaction(void **state)
{
	(void)state;
	assert_non_null(mmr_walbuf_vfs());
	sqlite3 *w = open_db(true, "PRAGMA cache_size=10; PRAGMA synchronous=NORMAL");
	assert_int_equal(
		sqlite3_exec(w,
			     "CREATE TABLE t (k INTEGER PRIMARY KEY, v BLOB);"
			     "BEGIN;"
			     "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
			     "WHERE i < 8000) INSERT INTO t SELECT i, zeroblob(1000) FROM n;"
			     "UPDATE t SET v = randomblob(1000) WHERE k % 3 = 0;"
			     "UPDATE t SET v = zeroblob(900) WHERE k % 3 = 1;"
			     "COMMIT",
			     NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3 *r = open_db(false, NULL);
	assert_int_equal(one_int(r, "SELECT count(*) FROM t"), 8000);
	assert_int_equal(one_int(r, "SELECT sum(length(v)) FROM t"),
			 2667 * 900 + 2666 * 1000 + 2667 * 1000);
	sqlite3_close(r);
	sqlite3_close(w);
	integrity_ok();
}

/* a reader (plain VFS) checks an invariant while the writer commits through
 * the shim and a third connection makes the WAL start over */
static volatile int writer_done;

static void *reader(void *arg)
{
	int *bad = arg;
	sqlite3 *r = open_db(false, NULL);
	while (!writer_done) {
		sqlite3_stmt *s;
		if (sqlite3_prepare_v2(r, "SELECT count(*), coalesce(sum(v), 0) FROM u", -1, &s,
				       NULL) != SQLITE_OK) {
			(*bad)++;
			break;
		}
		int rc = sqlite3_step(s);
		if (rc != SQLITE_ROW || sqlite3_column_int64(s, 1) != 0 ||
		    sqlite3_column_int64(s, 0) % 2)
			(*bad)++;
		sqlite3_finalize(s);
	}
	sqlite3_close(r);
	return NULL;
}

static void concurrent_reader(void **state)
{
	(void)state;
	sqlite3 *w = open_db(true, "PRAGMA synchronous=NORMAL");
	assert_int_equal(sqlite3_exec(w, "CREATE TABLE u (k INTEGER PRIMARY KEY, v INTEGER)", NULL,
				      NULL, NULL),
			 SQLITE_OK);
	sqlite3 *ck = open_db(false, NULL);
	int bad = 0;
	writer_done = 0;
	pthread_t t;
	assert_int_equal(pthread_create(&t, NULL, reader, &bad), 0);
	for (int i = 1; i <= 600; i++) {
		char sql[200];
		/* each transaction: +i and -i, and some pages' worth of padding */
		snprintf(sql, sizeof sql,
			 "BEGIN; INSERT INTO u (v) VALUES (%d); INSERT INTO u (v) VALUES (-%d); "
			 "COMMIT",
			 i, i);
		assert_int_equal(sqlite3_exec(w, sql, NULL, NULL, NULL), SQLITE_OK);
		if (i % 50 == 0) /* from elsewhere: the writer's next write starts over */
			sqlite3_wal_checkpoint_v2(ck, "main", SQLITE_CHECKPOINT_RESTART, NULL,
						  NULL);
	}
	writer_done = 1;
	pthread_join(t, NULL);
	assert_int_equal(bad, 0);
	assert_int_equal(one_int(ck, "SELECT count(*) FROM u"), 1200);
	sqlite3_close(ck);
	sqlite3_close(w);
	integrity_ok();
}

/* a writer killed with SIGKILL: every transaction it saw committed is there */
static void killed_writer(void **state)
{
	(void)state;
	sqlite3 *w = open_db(true, NULL);
	assert_int_equal(
		sqlite3_exec(w, "CREATE TABLE c (k INTEGER PRIMARY KEY, v BLOB)", NULL, NULL, NULL),
		SQLITE_OK);
	sqlite3_close(w);
	for (int round = 0; round < 5; round++) {
		int fds[2];
		assert_int_equal(pipe(fds), 0);
		pid_t pid = fork();
		assert_true(pid >= 0);
		if (pid == 0) {
			close(fds[0]);
			sqlite3 *cw = open_db(true, "PRAGMA synchronous=NORMAL");
			for (int64_t k = (int64_t)round * 1000000;; k++) {
				char sql[160];
				snprintf(sql, sizeof sql,
					 "INSERT INTO c VALUES (%lld, randomblob(3000))",
					 (long long)k);
				if (sqlite3_exec(cw, sql, NULL, NULL, NULL) != SQLITE_OK)
					_exit(1);
				if (write(fds[1], &k, sizeof k) != sizeof k)
					_exit(0);
			}
		}
		close(fds[1]);
		int64_t k, last = -1;
		if (read(fds[0], &k, sizeof k) == sizeof k)
			last = k;
		usleep(50000 + (useconds_t)(round * 20000));
		kill(pid, SIGKILL);
		waitpid(pid, NULL, 0);
		while (read(fds[0], &k, sizeof k) == sizeof k)
			last = k;
		close(fds[0]);
		assert_true(last >= 0);
		sqlite3 *r = open_db(false, NULL);
		char sql[160];
		snprintf(sql, sizeof sql, "SELECT count(*) FROM c WHERE k BETWEEN %lld AND %lld",
			 (long long)round * 1000000, (long long)last);
		assert_int_equal(one_int(r, sql), last - (int64_t)round * 1000000 + 1);
		sqlite3_close(r);
		integrity_ok();
	}
}

/* two writers through the shim, one-page commits in turn under NORMAL: a
 * writer that is behind the other's frames still writes its commit before
 * it is published */
static void writers_in_turn(void **state)
{
	(void)state;
	sqlite3 *a = open_db(true, "PRAGMA synchronous=NORMAL"),
		*b = open_db(true, "PRAGMA synchronous=NORMAL");
	exec_ok(a, "CREATE TABLE t1 (k INTEGER PRIMARY KEY, v); CREATE TABLE t2 (k INTEGER "
		   "PRIMARY KEY, v); INSERT INTO t1 VALUES (1, 'a0'); INSERT INTO t2 VALUES (1, "
		   "'b0')");
	sqlite3 *r = open_db(false, NULL);
	char v[64], sql[128];
	for (int i = 1; i <= 20; i++) {
		snprintf(sql, sizeof sql, "UPDATE t1 SET v = 'a%d'", i);
		exec_ok(a, sql);
		snprintf(sql, sizeof sql, "UPDATE t2 SET v = 'b%d'", i);
		exec_ok(b, sql);
		if (i % 7 == 0) /* the WAL starts over under one of them */
			sqlite3_wal_checkpoint_v2(r, "main", SQLITE_CHECKPOINT_RESTART, NULL, NULL);
		snprintf(sql, sizeof sql, "a%d", i);
		assert_string_equal(one_text(r, "SELECT v FROM t1", v, sizeof v), sql);
		snprintf(sql, sizeof sql, "b%d", i);
		assert_string_equal(one_text(r, "SELECT v FROM t2", v, sizeof v), sql);
	}
	exec_ok(r, "PRAGMA wal_checkpoint(TRUNCATE)");
	sqlite3_close(r);
	sqlite3_close(a);
	sqlite3_close(b);
	integrity_ok();
}

/* a transaction that spilled pages to the WAL and rolled back leaves
 * nothing to be written later over the frames another writer commits next;
 * a spill rolled back to a savepoint, then a commit, is published whole */
static void spills_rolled_back(void **state)
{
	(void)state;
	sqlite3 *a = open_db(true, "PRAGMA synchronous=FULL; PRAGMA cache_size=10"),
		*b = open_db(true, "PRAGMA synchronous=FULL");
	exec_ok(b, "CREATE TABLE t (k INTEGER PRIMARY KEY, v); INSERT INTO t VALUES (1, 'x0'); "
		   "CREATE TABLE big (k INTEGER PRIMARY KEY, v); PRAGMA wal_checkpoint");
	exec_ok(a, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE "
		   "i < 150) INSERT INTO big SELECT i, zeroblob(1000) FROM n");
	exec_ok(a, "ROLLBACK");
	exec_ok(b, "UPDATE t SET v = 'x1'; INSERT INTO big VALUES (7, 'b')");
	assert_int_equal(one_int(a, "SELECT count(*) FROM big"), 1); /* a reads the WAL */
	sqlite3 *r = open_db(false, NULL);
	char v[64];
	assert_string_equal(one_text(r, "SELECT v FROM t", v, sizeof v), "x1");
	assert_int_equal(one_int(r, "SELECT count(*) FROM big"), 1);
	/* under NORMAL: spill, roll back to a savepoint, commit */
	exec_ok(a, "PRAGMA synchronous=NORMAL");
	exec_ok(a, "BEGIN; WITH RECURSIVE n(i) AS (SELECT 100 UNION ALL SELECT i + 1 FROM n "
		   "WHERE i < 140) INSERT INTO big SELECT i, zeroblob(1000) FROM n");
	exec_ok(a, "SAVEPOINT s; WITH RECURSIVE n(i) AS (SELECT 141 UNION ALL SELECT i + 1 FROM n "
		   "WHERE i < 250) INSERT INTO big SELECT i, zeroblob(1000) FROM n");
	exec_ok(a, "ROLLBACK TO s; RELEASE s; UPDATE t SET v = 'x2'; COMMIT");
	assert_string_equal(one_text(r, "SELECT v FROM t", v, sizeof v), "x2");
	assert_int_equal(one_int(r, "SELECT count(*) FROM big"), 42);
	sqlite3_close(r);
	sqlite3_close(a);
	sqlite3_close(b);
	integrity_ok();
}

/* without powersafe overwrite SQLite pads a commit to the sector and syncs
 * in the middle of a frame: the WAL still holds whole frames once done */
static void padded_commits(void **state)
{
	(void)state;
	char uri[300];
	snprintf(uri, sizeof uri, "file:%s?psow=0", path);
	sqlite3 *a;
	assert_int_equal(
		sqlite3_open_v2(uri, &a,
				SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI,
				mmr_walbuf_vfs()),
		SQLITE_OK);
	exec_ok(a, "PRAGMA page_size=1024; PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL; "
		   "CREATE TABLE t (k INTEGER PRIMARY KEY, v)");
	sqlite3 *r = open_db(false, NULL);
	char wal[300];
	snprintf(wal, sizeof wal, "%s-wal", path);
	for (int i = 1; i <= 6; i++) {
		exec_ok(a, "INSERT INTO t VALUES (NULL, 'x')");
		struct stat sb;
		assert_int_equal(stat(wal, &sb), 0);
		assert_int_equal((sb.st_size - 32) % (1024 + 24), 0);
		assert_int_equal(one_int(r, "SELECT count(*) FROM t"), i);
	}
	sqlite3_close(r);
	sqlite3_close(a);
	integrity_ok();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(big_transaction, setup, teardown),
		cmocka_unit_test_setup_teardown(concurrent_reader, setup, teardown),
		cmocka_unit_test_setup_teardown(killed_writer, setup, teardown),
		cmocka_unit_test_setup_teardown(writers_in_turn, setup, teardown),
		cmocka_unit_test_setup_teardown(spills_rolled_back, setup, teardown),
		cmocka_unit_test_setup_teardown(padded_commits, setup, teardown),
	};
	return cmocka_run_group_tests_name("walbuf", tests, NULL, NULL);
}
