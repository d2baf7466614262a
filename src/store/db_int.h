/* db_int.h — what db.c shares with the two backends. */
#ifndef MMR_STORE_DB_INT_H
#define MMR_STORE_DB_INT_H

#include "store/db.h"

struct mmr_stmt {
	mmr_db *db;
	const char *sql; /* the caller's static text: the cache key */
	int index;	 /* position in the connection's cache */
	int nparams;
	struct {
		enum { P_NULL, P_TEXT, P_INT } type;
		char *text;
		int64_t i;
	} params[MMR_DB_MAX_PARAMS + 1]; /* 1-based */
	void *native;			 /* sqlite3_stmt *, or PGresult * of the last run */
	int row, nrows;			 /* PostgreSQL: cursor over the result */
	bool executed;
	bool sent; /* PostgreSQL: mmr_stmt_send'd, its result not yet read */
	int64_t changes;
	char num[32]; /* PostgreSQL: integer columns are read from text */
};

struct mmr_db_ops {
	int (*prepare)(mmr_db *db, mmr_stmt *st, mmr_error *err);
	int (*step)(mmr_stmt *st, mmr_error *err);
	const char *(*col_text)(mmr_stmt *st, int c);
	int64_t (*col_int)(mmr_stmt *st, int c);
	bool (*col_null)(mmr_stmt *st, int c);
	void (*reset)(mmr_stmt *st);
	void (*finalize)(mmr_stmt *st);
	int (*exec)(mmr_db *db, const char *sql, mmr_error *err);
	void (*close)(mmr_db *db);
	/* optional: run without waiting, then wait (NULL: send runs it) */
	int (*send)(mmr_stmt *st, mmr_error *err);
	int (*finish)(mmr_stmt *st, mmr_error *err);
};

struct mmr_db {
	enum mmr_db_kind kind;
	const struct mmr_db_ops *ops;
	void *conn;
	mmr_stmt **cache;
	size_t n_cache, cap_cache;
	int depth; /* transaction nesting: inner begins are savepoints */
	/* changes when a transaction begins or ends and at every rollback (of a
	 * savepoint too): what a caller cached while it stays the same is
	 * still what the open transaction holds */
	uint64_t epoch;
	bool copy_failed; /* PostgreSQL: a put of the COPY in progress failed */
	/* PostgreSQL, a pausable COPY (mmr_db_copy_begin_pausable): its
	 * statement (NULL when none), whether that statement is open on the
	 * server now, the transaction depth it runs at, and how a piece of it
	 * ended when a piece failed (kept for the next put and the end) */
	const char *copy_sql;
	bool copy_live;
	int copy_depth;
	int copy_rc;
	mmr_error copy_err;
};

/* PostgreSQL: end the open piece of a pausable COPY before the connection
 * is used for something else (db.c calls it wherever a statement reaches the
 * server). A piece that failed is kept in copy_rc and rolled back to the
 * COPY's savepoint, so that the statement which paused it runs in a usable
 * transaction. */
void mmr_db_copy_pause(mmr_db *db);
static inline void mmr_db_copy_yield(mmr_db *db)
{
	if (db->copy_live)
		mmr_db_copy_pause(db);
}

int mmr_db_open_sqlite(const char *path, mmr_db *db, mmr_error *err);
int mmr_db_open_pg(const char *uri, mmr_db *db, mmr_error *err);

#endif
