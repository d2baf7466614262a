/*
 * db.h — one SQL interface over the two backends, SQLite (db_sqlite.c) and
 * PostgreSQL (db_pg.c), so that every query of the store is written once.
 *
 * SQL is written with PostgreSQL's positional parameters $1, $2, …; the
 * SQLite backend reads them as ?1, ?2, …. Statements are prepared once per
 * connection and cached by the address of their SQL text, which must
 * therefore be a string with static storage (a literal): nothing is ever
 * concatenated into SQL.
 *
 * A connection is used by one thread at a time. Errors are returned as an
 * mmr_code and described in an mmr_error: a unique or check violation is
 * MMR_ECONFLICT / MMR_EINVAL, anything else MMR_EIO with the backend's text.
 */
#ifndef MMR_STORE_DB_H
#define MMR_STORE_DB_H

#include <stdbool.h>
#include <stdint.h>

#include "mamori.h"

typedef struct mmr_db mmr_db;
typedef struct mmr_stmt mmr_stmt;

enum mmr_db_kind { MMR_DB_SQLITE, MMR_DB_POSTGRES };

/* mmr_stmt_step results besides errors */
#define MMR_DB_ROW 100
#define MMR_DB_DONE 101

#define MMR_DB_MAX_PARAMS 24

/* Open `target`: "postgres://…" or "postgresql://…" is PostgreSQL (libpq
 * connection URI); anything else is a SQLite file path, created if missing,
 * in WAL mode with foreign keys on. Close with mmr_db_close(). */
int mmr_db_open(const char *target, mmr_db **out, mmr_error *err);
void mmr_db_close(mmr_db *db);
enum mmr_db_kind mmr_db_kind(const mmr_db *db);
/* The native handle (sqlite3 * or PGconn *), for modules that take one. */
void *mmr_db_native(mmr_db *db);

/* Run SQL without parameters (may hold several statements: migrations). */
int mmr_db_exec(mmr_db *db, const char *sql, mmr_error *err);

/* Transactions. Begin/commit fail with err filled; rollback is best effort
 * and always leaves the connection outside a transaction. */
int mmr_db_begin(mmr_db *db, mmr_error *err);
/* A transaction that only reads: one snapshot, no write lock (SQLite's
 * deferred BEGIN, PostgreSQL's READ ONLY). Nested, it is a savepoint. */
int mmr_db_begin_read(mmr_db *db, mmr_error *err);
int mmr_db_commit(mmr_db *db, mmr_error *err);
void mmr_db_rollback(mmr_db *db);
/* End a transaction by the outcome of its work: commit when rc is MMR_OK,
 * otherwise roll back; the result (rc, or the commit's error — a failed
 * commit has rolled back already, so it is not rolled back twice). */
int mmr_db_end(mmr_db *db, int rc, mmr_error *err);
/* How deep in transactions the connection is (0: none). */
int mmr_db_depth(const mmr_db *db);

/* Prepare (or fetch from the connection's cache) the statement for `sql`.
 * The statement belongs to the connection: do not free it; call
 * mmr_stmt_reset() when done with it (also after an error). */
int mmr_db_prepare(mmr_db *db, const char *sql, mmr_stmt **out, mmr_error *err);

/* Bind parameter i (1-based). Text is copied; NULL binds SQL NULL. */
void mmr_stmt_text(mmr_stmt *st, int i, const char *s);
void mmr_stmt_int(mmr_stmt *st, int i, int64_t v);
void mmr_stmt_null(mmr_stmt *st, int i);

/* Execute (first call) and advance: MMR_DB_ROW with a row to read,
 * MMR_DB_DONE at the end, or an mmr_code with err filled. */
int mmr_stmt_step(mmr_stmt *st, mmr_error *err);

/* Column c (0-based) of the current row. Text is NULL for SQL NULL and is
 * valid until the next step or reset. */
const char *mmr_col_text(mmr_stmt *st, int c);
int64_t mmr_col_int(mmr_stmt *st, int c);
bool mmr_col_null(mmr_stmt *st, int c);

/* Rows changed by the last executed INSERT/UPDATE/DELETE. */
int64_t mmr_stmt_changes(mmr_stmt *st);

/* Clear the result and the bindings, ready for the next use. */
void mmr_stmt_reset(mmr_stmt *st);

/* Run a statement that returns nothing (or ignore its rows): bind with the
 * helpers first. Resets the statement. */
int mmr_stmt_run(mmr_stmt *st, mmr_error *err);

/* Run a statement that returns nothing without waiting for it: on
 * PostgreSQL it is sent and the server works on it while the caller goes on
 * (building the next one); mmr_stmt_finish waits for it and answers its
 * result. Nothing else may use the connection in between. SQLite runs it at
 * once (send answers its result, finish MMR_OK). Resets the bindings. */
int mmr_stmt_send(mmr_stmt *st, mmr_error *err);
int mmr_stmt_finish(mmr_stmt *st, mmr_error *err);

/* PostgreSQL only (MMR_EINVAL on SQLite): rows written by COPY … FROM STDIN
 * in text format. mmr_db_copy_begin runs `sql` (a COPY statement; static
 * text, as for mmr_db_prepare); mmr_db_copy_put sends rows (whole rows: the
 * fields of each separated by a tab and ended by a newline, see
 * mmr_buf_copy_text), which the server inserts while the caller makes the
 * next ones; mmr_db_copy_end ends the COPY and waits for it. Given rc, the
 * caller's own error (its err filled), it abandons the COPY (no row of it is
 * kept) and answers rc; given MMR_OK (or a put's error), it answers the
 * COPY's result: a row refused by a key, check or trigger fails it, and then
 * none of its rows are kept. After mmr_db_copy_begin succeeded,
 * mmr_db_copy_end must be called (also after a failed put); nothing else may
 * use the connection in between. */
int mmr_db_copy_begin(mmr_db *db, const char *sql, mmr_error *err);
/* A COPY that other statements may interrupt (the streamed import, whose
 * validation of the next rows may query while the rows before are being
 * inserted). It must run inside a savepoint of its own (mmr_db_begin nested
 * in a transaction), MMR_EINVAL otherwise. Any other use of the connection
 * meanwhile (a statement reaching the server, mmr_db_exec, a transaction
 * command) first ends the COPY statement — a pause, which waits for the
 * server to insert what it was sent — and the next mmr_db_copy_put starts
 * the same COPY again. A piece that failed when paused is rolled back to the
 * COPY's savepoint (so that the statement that paused it runs), and its error
 * is answered by every later put and by mmr_db_copy_end. Otherwise as
 * mmr_db_copy_begin; mmr_db_copy_end ends it. */
int mmr_db_copy_begin_pausable(mmr_db *db, const char *sql, mmr_error *err);
int mmr_db_copy_put(mmr_db *db, const char *rows, size_t len, mmr_error *err);
int mmr_db_copy_end(mmr_db *db, int rc, mmr_error *err);

#endif
