/*
 * storefx.h — what every store test shares: the backend it runs on (argv:
 * SRC_ROOT sqlite|postgres; PostgreSQL from tests/pgtmp.sh's MAMORI_TEST_PG),
 * an empty database before each test, and no file left behind.
 */
#ifndef MMR_TESTS_STOREFX_H
#define MMR_TESTS_STOREFX_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "mamori.h"
#include "store/store.h"

extern const char *sfx_root; /* the source tree */
extern char sfx_target[512]; /* a SQLite file or a postgres:// URI */
extern bool sfx_pg;	     /* the target is PostgreSQL */

/* Read argv; name makes the SQLite file /tmp/mamori-test-NAME-PID.db.
 * 0, or the exit status to return from main (usage, no server). */
int sfx_args(int argc, char **argv, const char *name);

/* Empty the database: PostgreSQL's schema dropped, SQLite's files removed. */
int sfx_fresh(mmr_error *err);

/* Empty the database and open a store on it (sfx_fresh, mmr_store_open). */
int sfx_open(mmr_store **st, mmr_error *err);

/* Add tenant `id` named `name` with the seed profile policy/PROFILE.yaml. */
int sfx_tenant(mmr_store *st, const char *id, const char *name, const char *profile,
	       mmr_error *err);

/* Remove the SQLite files (main, after the tests). */
void sfx_remove(void);

/* Remove an SQLite database's files: it, its -wal and its -shm. */
void sfx_remove_db(const char *path);

/* The first column of the first row of `sql` on SQLite file `path`, read
 * through a read-only connection of SQLite's own (plain VFS, not the
 * store's), into out; false when it cannot be read (then out is ""). */
bool sfx_sqlite_text(const char *path, const char *sql, char *out, size_t n);

struct sqlite3;

/* `sql` run on an open SQLite connection; false (the error on stderr) when
 * it fails. */
bool sfx_sqlite_exec(struct sqlite3 *db, const char *sql);

/* The first column of the first row of `sql` on an open SQLite connection,
 * as an integer, into *out; false when there is no row or it fails. */
bool sfx_sqlite_int(struct sqlite3 *db, const char *sql, int64_t *out);

#endif
