/*
 * test_pcache.c — the page cache the store installs (src/store/pcache.c)
 * keeps SQLite's pages right while b-tree splits in the middle of an index
 * swap page numbers through the lock page's: random keys into an indexed
 * table, in a large cache and in a tiny one (pages evicted and read again),
 * with transactions committed, rolled back and rolled back to a savepoint;
 * after each, the database is whole (integrity_check), every committed row
 * is found by its key through the index, and nothing rolled back remains.
 * The swaps did happen through the wrapper (its count grows), and the store
 * installed it (a store connection was the process's first use of SQLite).
 * `test_pcache`.
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
#include <sqlite3.h>

#include "store/db.h"
#include "store/pcache.h"
#include "storefx.h"

static char path[256];

static void exec_ok(sqlite3 *db, const char *sql)
{
	assert_true(sfx_sqlite_exec(db, sql));
}

static int64_t one_int(sqlite3 *db, const char *sql)
{
	int64_t v = 0;
	assert_true(sfx_sqlite_int(db, sql, &v));
	return v;
}

static void integrity_ok(sqlite3 *db)
{
	sqlite3_stmt *s;
	assert_int_equal(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &s, NULL), SQLITE_OK);
	assert_int_equal(sqlite3_step(s), SQLITE_ROW);
	assert_string_equal((const char *)sqlite3_column_text(s, 0), "ok");
	sqlite3_finalize(s);
}

/* the key of row i: scattered, so that splits fall in the index's middle */
static void row_key(int64_t i, char *out, size_t n)
{
	uint64_t x = (uint64_t)i * 0x9E3779B97F4A7C15u;
	x ^= x >> 29;
	snprintf(out, n, "%016llx-%08lld", (unsigned long long)x, (long long)i);
}

/* rows [from, to) in transactions of `per`; each transaction's last
 * `undo` rows are written in a savepoint rolled back; `whole_undo`: the
 * last transaction is rolled back whole */
static void write_rows(sqlite3 *db, int64_t from, int64_t to, int per, int undo, bool whole_undo)
{
	sqlite3_stmt *ins;
	assert_int_equal(sqlite3_prepare_v2(db, "INSERT INTO t (id, k, v) VALUES (?1, ?2, ?3)", -1,
					    &ins, NULL),
			 SQLITE_OK);
	for (int64_t i = from; i < to;) {
		exec_ok(db, "BEGIN");
		int64_t end = i + per < to ? i + per : to;
		for (; i < end; i++) {
			if (end - i == undo)
				exec_ok(db, "SAVEPOINT sp");
			char k[48], v[200];
			row_key(i, k, sizeof k);
			memset(v, 'a' + (int)(i % 26), sizeof v - 1);
			v[sizeof v - 1] = 0;
			sqlite3_bind_int64(ins, 1, i);
			sqlite3_bind_text(ins, 2, k, -1, SQLITE_TRANSIENT);
			sqlite3_bind_text(ins, 3, v, -1, SQLITE_TRANSIENT);
			assert_int_equal(sqlite3_step(ins), SQLITE_DONE);
			sqlite3_reset(ins);
		}
		if (undo)
			exec_ok(db, "ROLLBACK TO sp; RELEASE sp");
		exec_ok(db, whole_undo && i >= to ? "ROLLBACK" : "COMMIT");
	}
	sqlite3_finalize(ins);
}

/* whether row i is kept by the writes of splits_keep_pages */
static bool kept_row(int64_t i)
{
	if (i >= 20000 && i < 30000)
		return i % 100 < 70; /* each transaction's last 30 rolled back */
	return i < 30000 || i >= 31000;
}

/* every kept row below `to` is found through the index by its key, and no
 * other is there */
static void rows_hold(sqlite3 *db, int64_t to)
{
	sqlite3_stmt *q;
	assert_int_equal(sqlite3_prepare_v2(db, "SELECT id FROM t INDEXED BY t_k WHERE k = ?1", -1,
					    &q, NULL),
			 SQLITE_OK);
	int64_t kept = 0;
	for (int64_t i = 0; i < to; i++) {
		char k[48];
		row_key(i, k, sizeof k);
		sqlite3_bind_text(q, 1, k, -1, SQLITE_TRANSIENT);
		int rc = sqlite3_step(q);
		if (kept_row(i)) {
			assert_int_equal(rc, SQLITE_ROW);
			assert_int_equal(sqlite3_column_int64(q, 0), i);
			kept++;
		} else {
			assert_int_equal(rc, SQLITE_DONE);
		}
		sqlite3_reset(q);
	}
	sqlite3_finalize(q);
	assert_int_equal(one_int(db, "SELECT count(*) FROM t"), kept);
}

static sqlite3 *open_plain(const char *cache)
{
	sqlite3 *db = NULL;
	assert_int_equal(sqlite3_open(path, &db), SQLITE_OK);
	exec_ok(db, "PRAGMA journal_mode=WAL");
	exec_ok(db, cache);
	return db;
}

static void splits_keep_pages(void **state)
{
	(void)state;
	/* the store's own connection comes first: it installs the cache */
	mmr_db *sdb;
	mmr_error err;
	assert_int_equal(mmr_db_open(path, &sdb, &err), MMR_OK);
	assert_true(mmr_pcache_install());
	assert_int_equal(mmr_db_exec(sdb,
				     "CREATE TABLE t (id INTEGER PRIMARY KEY, k TEXT NOT NULL, "
				     "v TEXT NOT NULL); CREATE INDEX t_k ON t(k)",
				     &err),
			 MMR_OK);
	mmr_db_close(sdb);

	uint64_t moves0 = mmr_pcache_lock_moves();
	/* a large cache: nothing evicted, every swap inside the cache */
	sqlite3 *db = open_plain("PRAGMA cache_size=-32768");
	write_rows(db, 0, 20000, 100, 0, false);
	integrity_ok(db);
	rows_hold(db, 20000);
	uint64_t moves1 = mmr_pcache_lock_moves();
	assert_true(moves1 > moves0 + 10); /* splits in the middle, swapped */

	/* savepoints rolled back in every transaction, and a last one rolled
	 * back whole: what they split is undone, pages and all */
	write_rows(db, 20000, 30000, 100, 30, false);
	write_rows(db, 30000, 31000, 1000, 0, true);
	integrity_ok(db);
	sqlite3_close(db);

	/* a tiny cache: pages evicted and read again between swaps */
	db = open_plain("PRAGMA cache_size=12");
	write_rows(db, 31000, 40000, 50, 0, false);
	integrity_ok(db);
	sqlite3_close(db);
	assert_true(mmr_pcache_lock_moves() > moves1);

	/* read back by a fresh connection, nothing cached */
	db = open_plain("PRAGMA cache_size=-2000");
	rows_hold(db, 40000);
	integrity_ok(db);
	sqlite3_close(db);
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	snprintf(path, sizeof path, "/tmp/mamori-test-pcache-%d.db", (int)getpid());
	sfx_remove_db(path);
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(splits_keep_pages),
	};
	int rc = cmocka_run_group_tests(tests, NULL, NULL);
	sfx_remove_db(path);
	return rc;
}
