/*
 * db_sqlite.c — the SQLite backend of db.h: WAL, foreign keys on, a busy
 * timeout so that concurrent writers wait instead of failing.
 */
#include <errno.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>

#include "store/db_int.h"
#include "store/pcache.h"
#include "store/walbuf.h"

static int sqlite_error(sqlite3 *conn, int src, mmr_error *err)
{
	int ext = sqlite3_extended_errcode(conn);
	int code = MMR_EIO;
	if (ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY)
		code = MMR_ECONFLICT;
	else if ((src & 0xff) == SQLITE_CONSTRAINT)
		code = MMR_EINVAL;
	else if ((src & 0xff) == SQLITE_TOOBIG)
		code = MMR_ELIMIT;
	mmr_error_set(err, code, "データベースの誤り (sqlite): %s", sqlite3_errmsg(conn));
	return code;
}

static int sq_exec(mmr_db *db, const char *sql, mmr_error *err)
{
	char *msg = NULL;
	int rc = sqlite3_exec(db->conn, sql, NULL, NULL, &msg);
	sqlite3_free(msg);
	if (rc != SQLITE_OK)
		return sqlite_error(db->conn, rc, err);
	return MMR_OK;
}

/* $N → ?N: the store writes PostgreSQL's placeholders. */
static int sq_prepare(mmr_db *db, mmr_stmt *st, mmr_error *err)
{
	char *sql = strdup(st->sql);
	if (!sql) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	for (char *p = sql; *p; p++)
		if (*p == '$' && p[1] >= '0' && p[1] <= '9')
			*p = '?';
	sqlite3_stmt *s = NULL;
	int rc = sqlite3_prepare_v3(db->conn, sql, -1, SQLITE_PREPARE_PERSISTENT, &s, NULL);
	free(sql);
	if (rc != SQLITE_OK)
		return sqlite_error(db->conn, rc, err);
	st->native = s;
	return MMR_OK;
}

static int sq_step(mmr_stmt *st, mmr_error *err)
{
	sqlite3_stmt *s = st->native;
	if (!st->executed) {
		/* the statement owns a text parameter until its reset, which
		 * clears the bindings before it frees them (mmr_stmt_reset): SQLite
		 * need not copy it (SQLITE_STATIC) */
		for (int i = 1; i <= st->nparams; i++) {
			switch (st->params[i].type) {
			case P_TEXT:
				sqlite3_bind_text(s, i, st->params[i].text, -1, SQLITE_STATIC);
				break;
			case P_INT: sqlite3_bind_int64(s, i, st->params[i].i); break;
			default: sqlite3_bind_null(s, i);
			}
		}
		st->executed = true;
	}
	int rc = sqlite3_step(s);
	if (rc == SQLITE_ROW)
		return MMR_DB_ROW;
	if (rc == SQLITE_DONE) {
		st->changes = sqlite3_changes64(st->db->conn);
		return MMR_DB_DONE;
	}
	return sqlite_error(st->db->conn, rc, err);
}

static const char *sq_col_text(mmr_stmt *st, int c)
{
	return (const char *)sqlite3_column_text(st->native, c);
}

static int64_t sq_col_int(mmr_stmt *st, int c)
{
	return sqlite3_column_int64(st->native, c);
}

static bool sq_col_null(mmr_stmt *st, int c)
{
	return sqlite3_column_type(st->native, c) == SQLITE_NULL;
}

static void sq_reset(mmr_stmt *st)
{
	sqlite3_reset(st->native);
	sqlite3_clear_bindings(st->native);
}

static void sq_finalize(mmr_stmt *st)
{
	sqlite3_finalize(st->native);
}

static void sq_close(mmr_db *db)
{
	sqlite3_close_v2(db->conn);
}

static const struct mmr_db_ops sqlite_ops = {
	sq_prepare,  sq_step, sq_col_text, sq_col_int, sq_col_null, sq_reset,
	sq_finalize, sq_exec, sq_close,	   NULL,       NULL, /* a statement is a call here: send
								runs it */
};

int mmr_db_open_sqlite(const char *path, mmr_db *db, mmr_error *err)
{
	sqlite3 *conn = NULL;
	mmr_pcache_install(); /* before anything initialises SQLite */
	int rc = sqlite3_open_v2(path, &conn,
				 SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_NOMUTEX,
				 mmr_walbuf_vfs());
	if (rc != SQLITE_OK) {
		/* the system's reason when there is one: a missing directory
		 * reads "unable to open database file" alone otherwise */
		int sys = conn ? sqlite3_system_errno(conn) : 0;
		mmr_error_set(err, MMR_EIO, "データベース \"%s\" を開けません: %s%s%s%s", path,
			      conn ? sqlite3_errmsg(conn) : sqlite3_errstr(rc), sys ? " (" : "",
			      sys == ENOENT ? "そのディレクトリがありません"
			      : sys	    ? strerror(sys)
					    : "",
			      sys ? ")" : "");
		sqlite3_close_v2(conn);
		return MMR_EIO;
	}
	sqlite3_busy_timeout(conn, 10000);
	sqlite3_extended_result_codes(conn, 1);
	db->kind = MMR_DB_SQLITE;
	db->ops = &sqlite_ops;
	db->conn = conn;
	rc = sq_exec(
		db,
		"PRAGMA journal_mode=WAL; PRAGMA foreign_keys=ON; PRAGMA synchronous=FULL; "
		"PRAGMA mmap_size=268435456; PRAGMA cache_size=-32768; PRAGMA temp_store=MEMORY",
		err);
	if (rc) {
		mmr_error_set(err, rc, "データベース \"%s\" を開けません: %s", path,
			      sqlite3_errmsg(conn));
		sqlite3_close_v2(conn);
		return rc;
	}
	return MMR_OK;
}
