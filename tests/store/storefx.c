/* storefx.c — see storefx.h. */
#include "storefx.h"

#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "store/db.h"

const char *sfx_root;
char sfx_target[512];
bool sfx_pg;

int sfx_args(int argc, char **argv, const char *name)
{
	if (argc < 3) {
		fprintf(stderr, "usage: %s SRC_ROOT sqlite|postgres\n", argv[0]);
		return 2;
	}
	sfx_root = argv[1];
	if (!strcmp(argv[2], "postgres")) {
		const char *pg = getenv("MAMORI_TEST_PG");
		if (!pg) {
			fprintf(stderr, "MAMORI_TEST_PG is not set (run under tests/pgtmp.sh)\n");
			return 1;
		}
		snprintf(sfx_target, sizeof sfx_target, "%s", pg);
		sfx_pg = true;
	} else {
		snprintf(sfx_target, sizeof sfx_target, "/tmp/mamori-test-%s-%d.db", name,
			 (int)getpid());
	}
	return 0;
}

void sfx_remove_db(const char *path)
{
	static const char *const suffix[] = {"", "-wal", "-shm"};
	for (size_t i = 0; i < sizeof suffix / sizeof suffix[0]; i++) {
		char p[600];
		snprintf(p, sizeof p, "%s%s", path, suffix[i]);
		unlink(p);
	}
}

void sfx_remove(void)
{
	if (!sfx_pg)
		sfx_remove_db(sfx_target);
}

bool sfx_sqlite_text(const char *path, const char *sql, char *out, size_t n)
{
	out[0] = 0;
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	bool ok = sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
		  sqlite3_busy_timeout(db, 10000) == SQLITE_OK &&
		  sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
		  sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0);
	if (ok)
		snprintf(out, n, "%s", (const char *)sqlite3_column_text(s, 0));
	sqlite3_finalize(s);
	sqlite3_close(db);
	return ok;
}

bool sfx_sqlite_exec(sqlite3 *db, const char *sql)
{
	char *e = NULL;
	int rc = sqlite3_exec(db, sql, NULL, NULL, &e);
	if (rc != SQLITE_OK)
		fprintf(stderr, "%s: %s\n", sql, e ? e : sqlite3_errstr(rc));
	sqlite3_free(e);
	return rc == SQLITE_OK;
}

bool sfx_sqlite_int(sqlite3 *db, const char *sql, int64_t *out)
{
	sqlite3_stmt *s = NULL;
	bool ok = sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK &&
		  sqlite3_step(s) == SQLITE_ROW;
	if (ok)
		*out = sqlite3_column_int64(s, 0);
	sqlite3_finalize(s);
	return ok;
}

int sfx_fresh(mmr_error *err)
{
	if (!sfx_pg) {
		sfx_remove();
		return MMR_OK;
	}
	mmr_db *db;
	int rc = mmr_db_open(sfx_target, &db, err);
	if (rc)
		return rc;
	rc = mmr_db_exec(db, "DROP SCHEMA public CASCADE; CREATE SCHEMA public", err);
	mmr_db_close(db);
	return rc;
}

int sfx_open(mmr_store **st, mmr_error *err)
{
	int rc = sfx_fresh(err);
	return rc ? rc : mmr_store_open(sfx_target, NULL, st, err);
}

int sfx_tenant(mmr_store *st, const char *id, const char *name, const char *profile, mmr_error *err)
{
	char p[1024];
	snprintf(p, sizeof p, "%s/policy/%s.yaml", sfx_root, profile);
	return mmr_tenant_add(st, id, name, p, err);
}
