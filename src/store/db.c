/*
 * db.c — the backend-independent half of db.h: opening by target, the
 * per-connection statement cache, parameter bindings, transactions with
 * nesting (an inner begin is a savepoint, so a service can call another).
 */
#include <stdlib.h>
#include <string.h>

#include "store/db_int.h"

int mmr_db_open(const char *target, mmr_db **out, mmr_error *err)
{
	*out = NULL;
	if (!target || !*target) {
		mmr_error_set(err, MMR_EINVAL, "データベースの指定がありません (--db)");
		return MMR_EINVAL;
	}
	mmr_db *db = calloc(1, sizeof *db);
	if (!db) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	int rc;
	if (!strncmp(target, "postgres://", 11) || !strncmp(target, "postgresql://", 13))
		rc = mmr_db_open_pg(target, db, err);
	else
		rc = mmr_db_open_sqlite(target, db, err);
	if (rc) {
		free(db);
		return rc;
	}
	*out = db;
	return MMR_OK;
}

void mmr_db_close(mmr_db *db)
{
	if (!db)
		return;
	for (size_t i = 0; i < db->n_cache; i++) {
		mmr_stmt_reset(db->cache[i]);
		db->ops->finalize(db->cache[i]);
		free(db->cache[i]);
	}
	free(db->cache);
	db->ops->close(db);
	free(db);
}

enum mmr_db_kind mmr_db_kind(const mmr_db *db)
{
	return db->kind;
}

void *mmr_db_native(mmr_db *db)
{
	return db->conn;
}

int mmr_db_exec(mmr_db *db, const char *sql, mmr_error *err)
{
	mmr_db_copy_yield(db);
	return db->ops->exec(db, sql, err);
}

/* Transaction control on SQLite runs as cached prepared statements (parsing
 * "BEGIN IMMEDIATE" for every short transaction costs more than running it);
 * PostgreSQL runs the text. */
static const char q_begin_write[] = "BEGIN IMMEDIATE";
static const char q_begin_read[] = "BEGIN";
static const char q_commit[] = "COMMIT";
static const char q_rollback[] = "ROLLBACK";
static const char q_savepoint[] = "SAVEPOINT mmr_nested";
static const char q_release[] = "RELEASE SAVEPOINT mmr_nested";
static const char q_rollback_to[] = "ROLLBACK TO SAVEPOINT mmr_nested";

static int tx_run(mmr_db *db, const char *sql, mmr_error *err)
{
	mmr_db_copy_yield(db);
	if (db->kind != MMR_DB_SQLITE)
		return db->ops->exec(db, sql, err);
	mmr_error scratch;
	mmr_stmt *s;
	int rc = mmr_db_prepare(db, sql, &s, err ? err : &scratch);
	if (!rc)
		rc = mmr_stmt_run(s, err ? err : &scratch);
	return rc;
}

static int begin_as(mmr_db *db, const char *first, mmr_error *err)
{
	int rc = tx_run(db, db->depth ? q_savepoint : first, err);
	if (!rc) {
		if (db->depth == 0)
			db->epoch++;
		db->depth++;
	}
	return rc;
}

int mmr_db_begin(mmr_db *db, mmr_error *err)
{
	/* SQLite: take the write lock at BEGIN (IMMEDIATE), so that a
	 * transaction that reads and then writes waits for another writer
	 * (busy timeout) instead of failing with SQLITE_BUSY when its read
	 * snapshot is overtaken by a commit in between. */
	return begin_as(db, db->kind == MMR_DB_SQLITE ? q_begin_write : "BEGIN", err);
}

int mmr_db_depth(const mmr_db *db)
{
	return db->depth;
}

int mmr_db_begin_read(mmr_db *db, mmr_error *err)
{
	return begin_as(db, db->kind == MMR_DB_SQLITE ? q_begin_read : "BEGIN READ ONLY", err);
}

int mmr_db_commit(mmr_db *db, mmr_error *err)
{
	if (db->depth == 0) {
		mmr_error_set(err, MMR_EINVAL, "commit outside a transaction");
		return MMR_EINVAL;
	}
	int rc = tx_run(db, db->depth > 1 ? q_release : q_commit, err);
	if (rc) {
		mmr_db_rollback(db);
		return rc;
	}
	db->depth--;
	if (db->depth == 0)
		db->epoch++;
	return MMR_OK;
}

int mmr_db_end(mmr_db *db, int rc, mmr_error *err)
{
	if (rc) {
		mmr_db_rollback(db);
		return rc;
	}
	return mmr_db_commit(db, err);
}

void mmr_db_rollback(mmr_db *db)
{
	if (db->depth == 0)
		return;
	db->epoch++;
	for (size_t i = 0; i < db->n_cache; i++)
		mmr_stmt_reset(db->cache[i]);
	if (db->depth > 1) {
		tx_run(db, q_rollback_to, NULL);
		tx_run(db, q_release, NULL);
	} else {
		tx_run(db, q_rollback, NULL);
	}
	db->depth--;
}

int mmr_db_prepare(mmr_db *db, const char *sql, mmr_stmt **out, mmr_error *err)
{
	for (size_t i = 0; i < db->n_cache; i++)
		if (db->cache[i]->sql == sql) {
			*out = db->cache[i];
			return MMR_OK;
		}
	if (db->n_cache == db->cap_cache) {
		size_t cap = db->cap_cache ? db->cap_cache * 2 : 32;
		mmr_stmt **c = realloc(db->cache, cap * sizeof *c);
		if (!c)
			goto nomem;
		db->cache = c;
		db->cap_cache = cap;
	}
	mmr_stmt *st = calloc(1, sizeof *st);
	if (!st)
		goto nomem;
	st->db = db;
	st->sql = sql;
	st->index = (int)db->n_cache;
	mmr_db_copy_yield(db);
	int rc = db->ops->prepare(db, st, err);
	if (rc) {
		free(st);
		return rc;
	}
	db->cache[db->n_cache++] = st;
	*out = st;
	return MMR_OK;
nomem:
	mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
	return MMR_ENOMEM;
}

static void param_clear(mmr_stmt *st, int i)
{
	free(st->params[i].text);
	st->params[i].text = NULL;
	st->params[i].type = P_NULL;
}

void mmr_stmt_text(mmr_stmt *st, int i, const char *s)
{
	if (i < 1 || i > MMR_DB_MAX_PARAMS)
		return;
	param_clear(st, i);
	if (s) {
		st->params[i].text = strdup(s);
		st->params[i].type = st->params[i].text ? P_TEXT : P_NULL;
	}
	if (i > st->nparams)
		st->nparams = i;
}

void mmr_stmt_int(mmr_stmt *st, int i, int64_t v)
{
	if (i < 1 || i > MMR_DB_MAX_PARAMS)
		return;
	param_clear(st, i);
	st->params[i].type = P_INT;
	st->params[i].i = v;
	if (i > st->nparams)
		st->nparams = i;
}

void mmr_stmt_null(mmr_stmt *st, int i)
{
	if (i < 1 || i > MMR_DB_MAX_PARAMS)
		return;
	param_clear(st, i);
	if (i > st->nparams)
		st->nparams = i;
}

int mmr_stmt_step(mmr_stmt *st, mmr_error *err)
{
	if (!st->executed)
		mmr_db_copy_yield(st->db);
	return st->db->ops->step(st, err);
}

const char *mmr_col_text(mmr_stmt *st, int c)
{
	return st->db->ops->col_text(st, c);
}

int64_t mmr_col_int(mmr_stmt *st, int c)
{
	return st->db->ops->col_int(st, c);
}

bool mmr_col_null(mmr_stmt *st, int c)
{
	return st->db->ops->col_null(st, c);
}

int64_t mmr_stmt_changes(mmr_stmt *st)
{
	return st->changes;
}

void mmr_stmt_reset(mmr_stmt *st)
{
	st->db->ops->reset(st);
	for (int i = 1; i <= st->nparams; i++)
		param_clear(st, i);
	st->nparams = 0;
	st->executed = false;
}

int mmr_stmt_run(mmr_stmt *st, mmr_error *err)
{
	int rc;
	do
		rc = mmr_stmt_step(st, err);
	while (rc == MMR_DB_ROW);
	int64_t changes = st->changes;
	mmr_stmt_reset(st);
	st->changes = changes;
	return rc == MMR_DB_DONE ? MMR_OK : rc;
}

int mmr_stmt_send(mmr_stmt *st, mmr_error *err)
{
	if (!st->db->ops->send)
		return mmr_stmt_run(st, err);
	mmr_db_copy_yield(st->db);
	int rc = st->db->ops->send(st, err);
	for (int i = 1; i <= st->nparams; i++)
		param_clear(st, i);
	st->nparams = 0;
	return rc;
}

int mmr_stmt_finish(mmr_stmt *st, mmr_error *err)
{
	return st->db->ops->finish ? st->db->ops->finish(st, err) : MMR_OK;
}
