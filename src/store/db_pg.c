/*
 * db_pg.c — the PostgreSQL backend of db.h (libpq): statements are
 * server-side prepared once per connection; parameters travel as text and
 * the server infers their types; results are read whole, then walked.
 */
#include <assert.h>
#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/db_int.h"

static int pg_result_error(PGresult *res, PGconn *conn, mmr_error *err)
{
	const char *state = res ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
	int code = MMR_EIO;
	if (state && !strcmp(state, "23505"))
		code = MMR_ECONFLICT;
	else if (state && (!strncmp(state, "23", 2) || !strncmp(state, "22", 2)))
		code = MMR_EINVAL;
	else if (state && !strcmp(state, "54000"))
		code = MMR_ELIMIT;
	const char *msg = res ? PQresultErrorMessage(res) : PQerrorMessage(conn);
	char one[512];
	snprintf(one, sizeof one, "%s", msg ? msg : "");
	one[strcspn(one, "\n")] = '\0';
	mmr_error_set(err, code, "データベースの誤り (postgres %s): %s", state ? state : "-", one);
	return code;
}

static int pg_exec(mmr_db *db, const char *sql, mmr_error *err)
{
	PGresult *res = PQexec(db->conn, sql);
	ExecStatusType s = PQresultStatus(res);
	int rc = MMR_OK;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		rc = pg_result_error(res, db->conn, err);
	PQclear(res);
	return rc;
}

/* Start the COPY statement `sql`: MMR_OK when the server waits for rows. */
static int copy_start(mmr_db *db, const char *sql, mmr_error *err)
{
	db->copy_failed = false;
	PGresult *res = PQexec(db->conn, sql);
	int rc = MMR_OK;
	if (PQresultStatus(res) != PGRES_COPY_IN)
		rc = pg_result_error(res, db->conn, err);
	PQclear(res);
	return rc;
}

/* End the open COPY statement (abandoned: none of its rows kept) and read
 * its result: MMR_OK, or its error in *err. */
static int copy_close(mmr_db *db, bool abandon, mmr_error *err)
{
	db->copy_failed = false;
	int crc = MMR_OK;
	if (PQputCopyEnd(db->conn, abandon ? "abandoned by the client" : NULL) == -1 &&
	    PQstatus(db->conn) != CONNECTION_OK)
		crc = pg_result_error(NULL, db->conn, err);
	PGresult *res;
	while ((res = PQgetResult(db->conn))) {
		ExecStatusType s = PQresultStatus(res);
		if (!crc && s != PGRES_COMMAND_OK)
			crc = pg_result_error(res, db->conn, err);
		PQclear(res);
	}
	return crc;
}

int mmr_db_copy_begin(mmr_db *db, const char *sql, mmr_error *err)
{
	if (db->kind != MMR_DB_POSTGRES) {
		mmr_error_set(err, MMR_EINVAL, "COPY は PostgreSQL でだけ使えます");
		return MMR_EINVAL;
	}
	return copy_start(db, sql, err);
}

int mmr_db_copy_begin_pausable(mmr_db *db, const char *sql, mmr_error *err)
{
	if (db->kind != MMR_DB_POSTGRES || db->depth < 2) {
		mmr_error_set(
			err, MMR_EINVAL,
			"中断できる COPY は PostgreSQL の入れ子のトランザクションでだけ使えます");
		return MMR_EINVAL;
	}
	assert(!db->copy_sql);
	db->copy_sql = sql;
	db->copy_depth = db->depth;
	db->copy_rc = MMR_OK;
	int rc = copy_start(db, sql, err);
	if (rc)
		db->copy_sql = NULL;
	else
		db->copy_live = true;
	return rc;
}

void mmr_db_copy_pause(mmr_db *db)
{
	assert(db->copy_live && db->depth == db->copy_depth);
	db->copy_live = false;
	mmr_error e;
	int rc = copy_close(db, false, &e);
	if (rc && !db->copy_rc) {
		db->copy_rc = rc;
		db->copy_err = e;
		/* the savepoint is kept (mmr_db_rollback of the caller releases
		 * it); cached statements hold no result of the failed piece */
		mmr_error ignored;
		pg_exec(db, "ROLLBACK TO SAVEPOINT mmr_nested", &ignored);
		db->epoch++;
	}
}

int mmr_db_copy_put(mmr_db *db, const char *rows, size_t len, mmr_error *err)
{
	if (db->copy_sql && !db->copy_live) { /* paused: a new piece */
		if (db->copy_rc) {
			*err = db->copy_err;
			return db->copy_rc;
		}
		assert(db->depth == db->copy_depth);
		int rc = copy_start(db, db->copy_sql, err);
		if (rc) {
			db->copy_rc = rc;
			db->copy_err = *err;
			return rc;
		}
		db->copy_live = true;
	}
	while (len) { /* (libpq takes an int length) */
		int n = len > (1u << 30) ? 1 << 30 : (int)len;
		if (PQputCopyData(db->conn, rows, n) != 1) {
			/* the server refused a row already (the COPY is over:
			 * its error is the result mmr_db_copy_end reads), or
			 * the connection failed */
			db->copy_failed = true;
			return pg_result_error(NULL, db->conn, err);
		}
		rows += n;
		len -= (size_t)n;
	}
	return MMR_OK;
}

int mmr_db_copy_end(mmr_db *db, int rc, mmr_error *err)
{
	bool pausable = db->copy_sql != NULL, live = !pausable || db->copy_live;
	int prc = pausable ? db->copy_rc : MMR_OK;
	mmr_error pe;
	if (prc)
		pe = db->copy_err;
	db->copy_sql = NULL;
	db->copy_live = false;
	db->copy_rc = MMR_OK;
	bool abandon = rc && !db->copy_failed;
	mmr_error e;
	int crc = live ? copy_close(db, abandon, &e) : MMR_OK;
	if (abandon)
		return rc;
	if (prc) { /* a piece before failed first */
		*err = pe;
		return prc;
	}
	if (!crc)
		return rc;
	*err = e;
	return crc;
}

static int pg_prepare(mmr_db *db, mmr_stmt *st, mmr_error *err)
{
	char name[32];
	snprintf(name, sizeof name, "mmr%d", st->index);
	PGresult *res = PQprepare(db->conn, name, st->sql, 0, NULL);
	int rc = MMR_OK;
	if (PQresultStatus(res) != PGRES_COMMAND_OK)
		rc = pg_result_error(res, db->conn, err);
	PQclear(res);
	return rc;
}

/* The parameters as libpq takes them (text; integers written into ints). */
static void pg_values(mmr_stmt *st, const char **values, char (*ints)[24], char name[32])
{
	for (int i = 1; i <= st->nparams; i++) {
		switch (st->params[i].type) {
		case P_TEXT: values[i - 1] = st->params[i].text; break;
		case P_INT:
			snprintf(ints[i - 1], sizeof ints[i - 1], "%" PRId64, st->params[i].i);
			values[i - 1] = ints[i - 1];
			break;
		default: values[i - 1] = NULL;
		}
	}
	snprintf(name, 32, "mmr%d", st->index);
}

static int pg_send(mmr_stmt *st, mmr_error *err)
{
	const char *values[MMR_DB_MAX_PARAMS];
	char ints[MMR_DB_MAX_PARAMS][24];
	char name[32];
	pg_values(st, values, ints, name);
	if (!PQsendQueryPrepared(st->db->conn, name, st->nparams, values, NULL, NULL, 0))
		return pg_result_error(NULL, st->db->conn, err);
	st->sent = true;
	return MMR_OK;
}

static int pg_finish(mmr_stmt *st, mmr_error *err)
{
	if (!st->sent)
		return MMR_OK;
	st->sent = false;
	int rc = MMR_OK;
	PGresult *res;
	while ((res = PQgetResult(st->db->conn))) {
		ExecStatusType s = PQresultStatus(res);
		if (!rc && s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
			rc = pg_result_error(res, st->db->conn, err);
		PQclear(res);
	}
	return rc;
}

static int pg_step(mmr_stmt *st, mmr_error *err)
{
	if (!st->executed) {
		const char *values[MMR_DB_MAX_PARAMS];
		char ints[MMR_DB_MAX_PARAMS][24];
		char name[32];
		pg_values(st, values, ints, name);
		PGresult *res =
			PQexecPrepared(st->db->conn, name, st->nparams, values, NULL, NULL, 0);
		ExecStatusType s = PQresultStatus(res);
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
			int rc = pg_result_error(res, st->db->conn, err);
			PQclear(res);
			return rc;
		}
		st->native = res;
		st->executed = true;
		st->row = -1;
		st->nrows = PQntuples(res);
		const char *n = PQcmdTuples(res);
		st->changes = n && *n ? strtoll(n, NULL, 10) : 0;
	}
	if (st->row + 1 < st->nrows) {
		st->row++;
		return MMR_DB_ROW;
	}
	return MMR_DB_DONE;
}

static const char *pg_col_text(mmr_stmt *st, int c)
{
	if (!st->native || PQgetisnull(st->native, st->row, c))
		return NULL;
	return PQgetvalue(st->native, st->row, c);
}

static int64_t pg_col_int(mmr_stmt *st, int c)
{
	const char *v = pg_col_text(st, c);
	if (!v)
		return 0;
	if (!strcmp(v, "t"))
		return 1;
	return strtoll(v, NULL, 10);
}

static bool pg_col_null(mmr_stmt *st, int c)
{
	return !st->native || PQgetisnull(st->native, st->row, c);
}

static void pg_reset(mmr_stmt *st)
{
	PQclear(st->native);
	st->native = NULL;
	st->row = -1;
	st->nrows = 0;
}

static void pg_finalize(mmr_stmt *st)
{
	(void)st;
}

static void pg_close(mmr_db *db)
{
	PQfinish(db->conn);
}

static const struct mmr_db_ops pg_ops = {
	pg_prepare,  pg_step, pg_col_text, pg_col_int, pg_col_null, pg_reset,
	pg_finalize, pg_exec, pg_close,	   pg_send,    pg_finish,
};

int mmr_db_open_pg(const char *uri, mmr_db *db, mmr_error *err)
{
	PGconn *conn = PQconnectdb(uri);
	if (PQstatus(conn) != CONNECTION_OK) {
		char one[512];
		snprintf(one, sizeof one, "%s", PQerrorMessage(conn));
		one[strcspn(one, "\n")] = '\0';
		/* never echo the URI: it may hold a password */
		mmr_error_set(err, MMR_EIO, "PostgreSQL に接続できません: %s", one);
		PQfinish(conn);
		return MMR_EIO;
	}
	db->kind = MMR_DB_POSTGRES;
	db->ops = &pg_ops;
	db->conn = conn;
	return pg_exec(db, "SET client_min_messages = warning; SET TIME ZONE 'UTC'", err);
}
