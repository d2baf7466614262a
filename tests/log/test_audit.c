/*
 * test_audit.c — the audit log in the store, on SQLite and (under
 * tests/pgtmp.sh) PostgreSQL: appends in the caller's transaction, proofs
 * from stored nodes, checkpoints, the refusing triggers, tamper detection
 * (edited, deleted, reordered, truncated rows, forged checkpoints — each
 * named by index), export and pruning with verify holding over the rest,
 * and what the services record. `test_audit SRC_ROOT sqlite|postgres`.
 */
#include <errno.h>
#include <inttypes.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include <pthread.h>
#include <sqlite3.h>
#include <sys/stat.h>
#include <sys/syscall.h>

#include "store/audit.h"
#include "store/audit_group.h"
#include "storefx.h"

static char keypath[512];
static struct mmr_log_key key;

struct fx {
	mmr_store *st;
	mmr_actor sys;
};

static void must(int rc, const mmr_error *err)
{
	if (rc)
		fail_msg("rc=%d %s", rc, err->message);
}

static void reset_db(void)
{
	mmr_error err;
	must(sfx_fresh(&err), &err);
}

static int setup(void **state)
{
	struct fx *f = calloc(1, sizeof *f);
	mmr_error err;
	reset_db();
	must(mmr_store_open(sfx_target, NULL, &f->st, &err), &err);
	must(sfx_tenant(f->st, "toyohashi", "豊橋市", "toyohashi", &err), &err);
	must(sfx_tenant(f->st, "other", "別の団体", "guideline", &err), &err);
	mmr_actor_system(&f->sys, "toyohashi");
	*state = f;
	return 0;
}

static int teardown(void **state)
{
	struct fx *f = *state;
	mmr_store_close(f->st);
	free(f);
	return 0;
}

static void append_n(struct fx *f, const char *tenant, int n, const char *at)
{
	mmr_error err;
	for (int i = 0; i < n; i++) {
		char id[16];
		snprintf(id, sizeof id, "%d", i + 1);
		json_t *dec = json_pack("{s:s, s:[s]}", "effect", "permit", "rules", "R-1");
		struct mmr_audit_event ev = {.tenant = tenant,
					     .actor = i % 3 ? "mgr1" : "staff1",
					     .action = i % 2 ? "ledger.update" : "ledger.create",
					     .object_kind = "assets",
					     .object_id = id,
					     .after = "00ff",
					     .decision = i % 4 ? NULL : dec,
					     .at = at};
		int64_t idx = -1;
		must(mmr_audit_append(f->st, &ev, &idx, &err), &err);
		json_decref(dec);
	}
}

/* The leaf data of the current row of `s` (columns idx, at, actor, action,
 * object_kind, object_id, before_digest, after_digest, decision), rebuilt
 * as mmr_audit_leaf_data makes it; `action` (non-NULL) replaces the row's.
 * Caller frees. */
static const char q_cols[] = "SELECT idx, at, actor, action, object_kind, object_id, "
			     "before_digest, after_digest, decision FROM audit_leaves "
			     "WHERE tenant = $1 ORDER BY idx";
static char *row_data(mmr_stmt *s, const char *tenant, const char *action)
{
	const char *d = mmr_col_text(s, 8);
	json_t *dec = d ? json_loads(d, JSON_DECODE_ANY, NULL) : NULL;
	struct mmr_audit_event ev = {.tenant = tenant,
				     .actor = mmr_col_text(s, 2),
				     .action = action ? action : mmr_col_text(s, 3),
				     .object_kind = mmr_col_text(s, 4),
				     .object_id = mmr_col_text(s, 5),
				     .before = mmr_col_text(s, 6),
				     .after = mmr_col_text(s, 7),
				     .decision = dec};
	char *out = mmr_audit_leaf_data(&ev, mmr_col_int(s, 0), mmr_col_text(s, 1));
	json_decref(dec);
	return out;
}

static int64_t size_of(struct fx *f, const char *tenant)
{
	mmr_error err;
	int64_t n = -1;
	must(mmr_audit_size(f->st, tenant, &n, &err), &err);
	return n;
}

static json_t *verify(struct fx *f)
{
	mmr_error err;
	json_t *rep = NULL;
	must(mmr_audit_verify(f->st, NULL, key.pk, NULL, NULL, &rep, &err), &err);
	return rep;
}

/* every tree and checkpoint holds (all tenants) */
static void verify_ok(struct fx *f)
{
	json_t *rep = verify(f);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
}

/* SQLite only (skipped on PostgreSQL): a group on the test database;
 * *size0 is toyohashi's log size before */
static mmr_audit_group *sqlite_group(struct fx *f, int64_t *size0)
{
	if (sfx_pg)
		skip();
	mmr_error err;
	*size0 = size_of(f, "toyohashi");
	mmr_audit_group *g;
	must(mmr_audit_group_open(sfx_target, NULL, &g, &err), &err);
	return g;
}

static void checkpoint(struct fx *f, const char *tenant)
{
	mmr_error err;
	json_t *cp = NULL;
	must(mmr_audit_checkpoint(f->st, tenant, &key, &cp, &err), &err);
	json_decref(cp);
}

/* verify without a key (pk NULL): the trees of a log with no checkpoint
 * hold; once a checkpoint is stored, it is a problem, never taken as signed */
static void keyless_verify(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	append_n(f, "toyohashi", 12, NULL);
	int64_t n = -1;
	must(mmr_audit_checkpoints_stored(f->st, NULL, &n, &err), &err);
	assert_int_equal(n, 0);
	json_t *rep = NULL;
	must(mmr_audit_verify(f->st, NULL, NULL, NULL, NULL, &rep, &err), &err);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	checkpoint(f, "toyohashi");
	must(mmr_audit_checkpoints_stored(f->st, "toyohashi", &n, &err), &err);
	assert_int_equal(n, 1);
	must(mmr_audit_checkpoints_stored(f->st, "other", &n, &err), &err);
	assert_int_equal(n, 0);
	must(mmr_audit_verify(f->st, NULL, NULL, NULL, NULL, &rep, &err), &err);
	json_t *pb = json_object_get(rep, "problem");
	assert_true(json_is_false(json_object_get(rep, "ok")));
	assert_string_equal(json_string_value(json_object_get(pb, "kind")), "checkpoint");
	assert_int_equal(json_integer_value(json_object_get(pb, "index")), 13);
	json_decref(rep);
	verify_ok(f); /* with the key it holds */
}

static void append_proofs_checkpoints(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	/* leaf 0 of each tenant is its tenant.add */
	append_n(f, "toyohashi", 36, NULL);
	append_n(f, "other", 5, NULL);
	assert_int_equal(size_of(f, "toyohashi"), 37);
	assert_int_equal(size_of(f, "other"), 6);
	/* the stored tree equals the tree recomputed from the rows' columns */
	struct mmr_log_frontier fr = {0};
	mmr_db *db = mmr_store_db(f->st);
	mmr_stmt *s;
	static const char *q = q_cols;
	must(mmr_db_prepare(db, q, &s, &err), &err);
	mmr_stmt_text(s, 1, "toyohashi");
	while (mmr_stmt_step(s, &err) == MMR_DB_ROW) {
		char *d = row_data(s, "toyohashi", NULL);
		mmr_hash lh;
		mmr_log_leaf_hash(d, strlen(d), lh);
		free(d);
		mmr_log_frontier_push(&fr, lh, NULL, NULL);
	}
	mmr_stmt_reset(s);
	for (int64_t size = 1; size <= 37; size++) {
		mmr_hash want, got;
		struct mmr_log_frontier part = {0};
		/* recompute prefix roots */
		must(mmr_db_prepare(db, q, &s, &err), &err);
		mmr_stmt_text(s, 1, "toyohashi");
		for (int64_t i = 0; i < size && mmr_stmt_step(s, &err) == MMR_DB_ROW; i++) {
			char *d = row_data(s, "toyohashi", NULL);
			mmr_hash lh;
			mmr_log_leaf_hash(d, strlen(d), lh);
			free(d);
			mmr_log_frontier_push(&part, lh, NULL, NULL);
		}
		mmr_stmt_reset(s);
		mmr_log_frontier_root(&part, want);
		must(mmr_audit_root(f->st, "toyohashi", size, got, &err), &err);
		assert_memory_equal(got, want, 32);
	}
	/* every inclusion proof verifies against the root it names */
	for (int64_t i = 0; i < 37; i++) {
		json_t *p = NULL;
		must(mmr_audit_proof(f->st, "toyohashi", i, 0, &p, &err), &err);
		assert_int_equal(json_integer_value(json_object_get(p, "tree_size")), 37);
		json_t *ph = json_object_get(p, "proof");
		mmr_hash proof[MMR_LOG_MAX_PROOF], rt, leaf;
		for (size_t k = 0; k < json_array_size(ph); k++)
			assert_int_equal(mmr_hash_from_hex(json_string_value(json_array_get(ph, k)),
							   proof[k]),
					 0);
		assert_int_equal(
			mmr_hash_from_hex(json_string_value(json_object_get(p, "root")), rt), 0);
		assert_int_equal(
			mmr_hash_from_hex(json_string_value(json_object_get(p, "leaf_hash")), leaf),
			0);
		assert_true(mmr_log_verify_inclusion((uint64_t)i, 37, leaf, proof,
						     json_array_size(ph), rt));
		assert_string_equal(
			json_string_value(json_object_get(json_object_get(p, "entry"), "action")),
			i == 0	      ? "tenant.add"
			: (i - 1) % 2 ? "ledger.update"
				      : "ledger.create");
		/* the entry is the leaf's own row (read with its neighbours) */
		assert_int_equal(
			json_integer_value(json_object_get(json_object_get(p, "entry"), "index")),
			i);
		json_decref(p);
	}
	json_t *p = NULL;
	assert_int_equal(mmr_audit_proof(f->st, "toyohashi", 37, 0, &p, &err), MMR_ENOTFOUND);
	/* consistency between every pair of sizes */
	for (int64_t m = 1; m <= 37; m += 5)
		for (int64_t n = m; n <= 37; n += 7) {
			json_t *c = NULL;
			must(mmr_audit_consistency(f->st, "toyohashi", m, n, &c, &err), &err);
			json_decref(c);
		}
	assert_int_equal(mmr_audit_consistency(f->st, "toyohashi", 5, 38, &p, &err), MMR_EINVAL);
	/* checkpoints: a new one only when the log grew */
	json_t *cp = NULL;
	must(mmr_audit_checkpoint(f->st, "toyohashi", &key, &cp, &err), &err);
	assert_true(json_is_true(json_object_get(cp, "new")));
	assert_int_equal(json_integer_value(json_object_get(cp, "size")), 37);
	json_decref(cp);
	must(mmr_audit_checkpoint(f->st, "toyohashi", &key, &cp, &err), &err);
	assert_true(json_is_false(json_object_get(cp, "new")));
	json_decref(cp);
	size_t made = 0;
	must(mmr_audit_checkpoint_all(f->st, &key, &made, &err), &err);
	assert_int_equal(made, 1); /* "other" */
	must(mmr_audit_latest_checkpoint(f->st, "toyohashi", key.pk, &cp, &err), &err);
	assert_true(json_is_true(json_object_get(cp, "verified")));
	json_decref(cp);
	/* the proof now names the checkpoint */
	must(mmr_audit_proof(f->st, "toyohashi", 3, 0, &p, &err), &err);
	assert_true(json_is_string(json_object_get(p, "checkpoint")));
	json_decref(p);
	append_n(f, "toyohashi", 3, NULL);
	checkpoint(f, "toyohashi");
	json_t *rep = verify(f);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	assert_int_equal(json_integer_value(json_object_get(rep, "leaves")), 46);
	json_decref(rep);
	/* search */
	struct mmr_audit_query sq = {.actor = "staff1", .limit = 5};
	json_t *res = NULL;
	must(mmr_audit_search(f->st, "toyohashi", &sq, &res, &err), &err);
	assert_int_equal(json_array_size(json_object_get(res, "items")), 5);
	json_t *first = json_array_get(json_object_get(res, "items"), 0);
	assert_string_equal(json_string_value(json_object_get(first, "actor")), "staff1");
	assert_true(json_is_integer(json_object_get(res, "next")));
	sq.before = json_integer_value(json_object_get(res, "next"));
	json_decref(res);
	must(mmr_audit_search(f->st, "toyohashi", &sq, &res, &err), &err);
	assert_true(json_array_size(json_object_get(res, "items")) > 0);
	json_decref(res);
}

static void same_transaction(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	mmr_db *db = mmr_store_db(f->st);
	append_n(f, "toyohashi", 1, NULL);
	must(mmr_db_begin(db, &err), &err);
	append_n(f, "toyohashi", 3, NULL);
	mmr_db_rollback(db);
	assert_int_equal(size_of(f, "toyohashi"), 2);
	must(mmr_db_begin(db, &err), &err);
	append_n(f, "toyohashi", 3, NULL);
	must(mmr_db_commit(db, &err), &err);
	assert_int_equal(size_of(f, "toyohashi"), 5);
	json_t *rep = verify(f);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	/* refusals */
	assert_int_not_equal(
		mmr_db_exec(db, "UPDATE audit_leaves SET actor = 'x' WHERE idx = 1", &err), 0);
	assert_int_not_equal(mmr_db_exec(db, "DELETE FROM audit_leaves WHERE idx = 4", &err), 0);
	checkpoint(f, "toyohashi");
	assert_int_not_equal(mmr_db_exec(db, "DELETE FROM audit_checkpoints", &err), 0);
	assert_int_not_equal(mmr_db_exec(db, "UPDATE audit_checkpoints SET size = 1", &err), 0);
	assert_int_equal(size_of(f, "toyohashi"), 5);
}

static void drop_triggers(struct fx *f)
{
	mmr_error err;
	mmr_db *db = mmr_store_db(f->st);
	if (sfx_pg)
		must(mmr_db_exec(db,
				 "DROP TRIGGER audit_leaves_refuse ON audit_leaves; "
				 "DROP TRIGGER audit_upper_refuse ON audit_upper; "
				 "DROP TRIGGER audit_checkpoints_refuse ON audit_checkpoints",
				 &err),
		     &err);
	else
		must(mmr_db_exec(db,
				 "DROP TRIGGER audit_leaves_no_update; "
				 "DROP TRIGGER audit_leaves_no_delete; "
				 "DROP TRIGGER audit_upper_no_update; "
				 "DROP TRIGGER audit_upper_no_delete; "
				 "DROP TRIGGER audit_checkpoints_no_update; "
				 "DROP TRIGGER audit_checkpoints_no_delete",
				 &err),
		     &err);
}

/* tamper with a fresh log of `leaves` leaves (checkpoints at 10 and at the
 * end) by `sql`, or, when `fn` is given, by fn(f) making the SQL; verify
 * must fail naming `kind` and `index` */
static void tamper_run(int leaves, char *(*fn)(struct fx *f), const char *sql, const char *kind,
		       int64_t index)
{
	struct fx *f;
	assert_int_equal(setup((void **)&f), 0);
	mmr_error err;
	append_n(f, "toyohashi", 9, NULL); /* + tenant.add */
	checkpoint(f, "toyohashi");
	append_n(f, "toyohashi", leaves - 10, NULL);
	checkpoint(f, "toyohashi");
	json_t *rep = verify(f);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	drop_triggers(f);
	char *made = fn ? fn(f) : NULL;
	if (made)
		sql = made;
	must(mmr_db_exec(mmr_store_db(f->st), sql, &err), &err);
	rep = verify(f);
	json_t *pb = json_object_get(rep, "problem");
	if (!json_is_false(json_object_get(rep, "ok")) || !pb)
		fail_msg("not detected: %s", sql);
	const char *k = json_string_value(json_object_get(pb, "kind"));
	int64_t i = json_integer_value(json_object_get(pb, "index"));
	if (strcmp(k, kind) || i != index)
		fail_msg("%s: got %s %" PRId64 " (%s), want %s %" PRId64, sql, k, i,
			 json_string_value(json_object_get(pb, "message")), kind, index);
	json_decref(rep);
	free(made);
	teardown((void **)&f);
}

static void tamper_case(const char *sql, const char *kind, int64_t index)
{
	tamper_run(20, NULL, sql, kind, index);
}

/* SQL that rewrites leaf 12's action and its leaf hash consistently (the
 * hash of the rebuilt data): only the tree above it can tell */
static char *consistent_edit(struct fx *f)
{
	mmr_error err;
	mmr_stmt *s;
	must(mmr_db_prepare(mmr_store_db(f->st), q_cols, &s, &err), &err);
	mmr_stmt_text(s, 1, "toyohashi");
	char *sql = NULL;
	while (mmr_stmt_step(s, &err) == MMR_DB_ROW) {
		if (mmr_col_int(s, 0) != 12)
			continue;
		char *d = row_data(s, "toyohashi", "ledger.delete");
		mmr_hash lh;
		char hx[65];
		mmr_log_leaf_hash(d, strlen(d), lh);
		mmr_hash_hex(lh, hx);
		free(d);
		sql = malloc(512);
		snprintf(sql, 512,
			 "UPDATE audit_leaves SET action = 'ledger.delete', hash = '%s' WHERE "
			 "tenant = 'toyohashi' AND idx = 12",
			 hx);
	}
	mmr_stmt_reset(s);
	assert_non_null(sql);
	return sql;
}

static void tamper(void **state)
{
	(void)state;
	/* an edited column (the data no longer matches) */
	tamper_case("UPDATE audit_leaves SET actor = 'someone' WHERE tenant = 'toyohashi' AND "
		    "idx = 7",
		    "row", 7);
	/* edited consistently: a column and the leaf hash rewritten; the node
	 * leaf 13 completes (over 12 and 13) no longer matches */
	tamper_run(20, consistent_edit, "(consistent edit of leaf 12)", "index", 13);
	/* the leaf hash alone rewritten */
	tamper_case("UPDATE audit_leaves SET hash = "
		    "'1111111111111111111111111111111111111111111111111111111111111111' WHERE "
		    "tenant = 'toyohashi' AND idx = 5",
		    "row", 5);
	/* deleted */
	tamper_case("DELETE FROM audit_leaves WHERE tenant = 'toyohashi' AND idx = 4", "index", 4);
	/* reordered: two rows swap their contents */
	tamper_case("UPDATE audit_leaves SET idx = CASE idx WHEN 2 THEN 1000 ELSE idx END WHERE "
		    "tenant = 'toyohashi'; UPDATE audit_leaves SET idx = 2 WHERE tenant = "
		    "'toyohashi' AND idx = 3; UPDATE audit_leaves SET idx = 3 WHERE tenant = "
		    "'toyohashi' AND idx = 1000",
		    "row", 2);
	/* truncated: the last rows gone */
	tamper_case("DELETE FROM audit_leaves WHERE tenant = 'toyohashi' AND idx >= 17", "index",
		    17);
	/* a forged checkpoint: the root replaced, note kept */
	tamper_case("UPDATE audit_checkpoints SET root = "
		    "'0000000000000000000000000000000000000000000000000000000000000000' WHERE "
		    "tenant = 'toyohashi' AND size = 10",
		    "checkpoint", 10);
	/* a forged note: size changed in the signed text */
	tamper_case("UPDATE audit_checkpoints SET note = replace(note, '\n20\n', '\n19\n'), size = "
		    "19 WHERE tenant = 'toyohashi' AND size = 20",
		    "checkpoint", 19);
	/* a stored node altered (proofs would lie) */
	tamper_case("UPDATE audit_leaves SET nodes = replace(nodes, substr(nodes, 1, 2), 'zz') "
		    "WHERE tenant = 'toyohashi' AND idx = 15",
		    "index", 15);
	/* a node appended to a row's nodes */
	tamper_case("UPDATE audit_leaves SET nodes = nodes || substr(hash, 1, 64) "
		    "WHERE tenant = 'toyohashi' AND idx = 6",
		    "index", 6);
	/* upper nodes (level >= 5, audit_upper) in a log of 70 leaves: leaf 31
	 * completes (5, 0), leaf 63 completes (5, 1) and (6, 0) */
	static const char z[] =
		"'0000000000000000000000000000000000000000000000000000000000000000'";
	char sql[512];
	snprintf(sql, sizeof sql,
		 "UPDATE audit_upper SET hash = %s WHERE tenant = 'toyohashi' AND idx = 63 "
		 "AND level = 6",
		 z);
	tamper_run(70, NULL, sql, "index", 63);
	tamper_run(70, NULL, "DELETE FROM audit_upper WHERE tenant = 'toyohashi' AND idx = 31",
		   "index", 31);
	/* a node moved to another key: proofs would not find it */
	tamper_run(70, NULL,
		   "UPDATE audit_upper SET j = j + 1000 WHERE tenant = 'toyohashi' AND idx = 31",
		   "index", 31);
	snprintf(sql, sizeof sql,
		 "INSERT INTO audit_upper (tenant, band, anc, level, j, idx, hash) VALUES "
		 "('toyohashi', 0, 7, 5, 99, 40, %s)",
		 z);
	tamper_run(70, NULL, sql, "index", 40);
	snprintf(sql, sizeof sql,
		 "INSERT INTO audit_upper (tenant, band, anc, level, j, idx, hash) VALUES "
		 "('toyohashi', 0, 8, 5, 100, 500, %s)",
		 z);
	tamper_run(70, NULL, sql, "index", 500);
}

/* The canonical leaf data escapes what JSON needs escaped wherever it falls
 * in a string (the builder scans eight bytes at a time) and copies the rest
 * verbatim: it parses back to the very strings. */
static void leaf_data_escapes(void **state)
{
	(void)state;
	const char *cases[] = {
		"plain",
		"十六文字より長い日本語の利用者名です",
		"a\"b",
		"0123456\"",
		"01234567\\",
		"0123456789abcdef\n",
		"\x01\x1f\t\r",
		"abcdefgh\x1fijklmnop",
		"\x7f and ~ stay",
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct mmr_audit_event ev = {.tenant = "t", .actor = cases[i], .action = "x.y"};
		char *d = mmr_audit_leaf_data(&ev, 12345678901, "2026-04-01T00:00:00.000Z");
		json_error_t je;
		json_t *o = json_loads(d, 0, &je);
		if (!o)
			fail_msg("case %zu: %s: %s", i, d, je.text);
		assert_string_equal(json_string_value(json_object_get(o, "actor")), cases[i]);
		assert_int_equal(json_integer_value(json_object_get(o, "index")), 12345678901);
		json_decref(o);
		free(d);
	}
	struct mmr_audit_event ev = {.tenant = "t", .actor = "a\"b", .action = "x.y"};
	char *d = mmr_audit_leaf_data(&ev, 0, "2026-04-01T00:00:00.000Z");
	assert_string_equal(d,
			    "{\"v\":1,\"tenant\":\"t\",\"index\":0,\"at\":\"2026-04-01T00:00:"
			    "00.000Z\",\"actor\":\"a\\\"b\",\"action\":\"x.y\",\"object_kind\":"
			    "null,\"object_id\":null,\"before\":null,\"after\":null,\"decision\":"
			    "null}");
	free(d);
	/* nothing to escape (the fast path): the same canonical text */
	json_t *dec = json_pack("{s:s, s:[s]}", "effect", "permit", "rules", "R-1");
	struct mmr_audit_event full = {.tenant = "toyohashi",
				       .actor = "mgr1",
				       .action = "ledger.update",
				       .object_kind = "assets",
				       .object_id = "42",
				       .before = "00ff",
				       .after = "ff00",
				       .decision = dec};
	d = mmr_audit_leaf_data(&full, 9876543210, "2026-04-01T09:00:00.000Z");
	assert_string_equal(d, "{\"v\":1,\"tenant\":\"toyohashi\",\"index\":9876543210,\"at\":"
			       "\"2026-04-01T09:00:00.000Z\",\"actor\":\"mgr1\",\"action\":"
			       "\"ledger.update\",\"object_kind\":\"assets\",\"object_id\":\"42\","
			       "\"before\":\"00ff\",\"after\":\"ff00\",\"decision\":{\"effect\":"
			       "\"permit\",\"rules\":[\"R-1\"]}}");
	free(d);
	json_decref(dec);
	struct mmr_audit_event empty = {.tenant = "t", .actor = "", .action = "x.y"};
	d = mmr_audit_leaf_data(&empty, 0, "2026-04-01T00:00:00.000Z");
	assert_string_equal(d,
			    "{\"v\":1,\"tenant\":\"t\",\"index\":0,\"at\":\"2026-04-01T00:00:"
			    "00.000Z\",\"actor\":\"\",\"action\":\"x.y\",\"object_kind\":"
			    "null,\"object_id\":null,\"before\":null,\"after\":null,\"decision\":"
			    "null}");
	free(d);
}

static void export_prune(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	append_n(f, "toyohashi", 11, "2020-01-01T00:00:00.000Z"); /* + tenant.add */
	append_n(f, "toyohashi", 9, NULL);
	checkpoint(f, "toyohashi");
	int64_t now_ms = (int64_t)time(NULL) * 1000, pruned = 0;
	/* not exported yet */
	assert_int_equal(mmr_audit_prune(f->st, "toyohashi", 10, now_ms, &pruned, &err),
			 MMR_EDENIED);
	char path[600];
	snprintf(path, sizeof path, "%s.export.jsonl",
		 sfx_target[0] == '/' ? sfx_target : "/tmp/x");
	if (sfx_pg)
		snprintf(path, sizeof path, "/tmp/mamori-test-audit-%d.jsonl", (int)getpid());
	FILE *out = fopen(path, "w");
	assert_non_null(out);
	int64_t written = 0;
	must(mmr_audit_export(f->st, "toyohashi", 0, 15, out, path, &written, &err), &err);
	fclose(out);
	assert_int_equal(written, 15);
	/* every exported line's proof verifies against the checkpoint's root */
	out = fopen(path, "r");
	char line[8192];
	int lines = 0;
	json_t *cpline = NULL;
	json_t *entries = json_array();
	while (fgets(line, sizeof line, out)) {
		json_t *j = json_loads(line, 0, NULL);
		assert_non_null(j);
		if (json_object_get(j, "checkpoint")) {
			cpline = j;
			continue;
		}
		json_array_append_new(entries, j);
		lines++;
	}
	fclose(out);
	unlink(path);
	assert_int_equal(lines, 15);
	assert_non_null(cpline);
	const char *note =
		json_string_value(json_object_get(json_object_get(cpline, "checkpoint"), "note"));
	struct mmr_checkpoint cp;
	must(mmr_checkpoint_parse(note, strlen(note), key.pk, &cp, &err), &err);
	size_t i;
	json_t *e;
	json_array_foreach (entries, i, e) {
		const char *data = json_string_value(json_object_get(e, "data"));
		mmr_hash lh, proof[MMR_LOG_MAX_PROOF];
		mmr_log_leaf_hash(data, strlen(data), lh);
		json_t *ph = json_object_get(e, "proof");
		for (size_t k = 0; k < json_array_size(ph); k++)
			mmr_hash_from_hex(json_string_value(json_array_get(ph, k)), proof[k]);
		assert_true(mmr_log_verify_inclusion(
			(uint64_t)json_integer_value(json_object_get(e, "index")), cp.size, lh,
			proof, json_array_size(ph), cp.root));
	}
	json_decref(entries);
	json_decref(cpline);
	/* exported up to 15, but leaf 0 (tenant.add) and 12.. are recent */
	assert_int_equal(mmr_audit_prune(f->st, "toyohashi", 12, now_ms, &pruned, &err),
			 MMR_EDENIED);
	/* six years on they are all past retention; not past the export */
	int64_t later = now_ms + (int64_t)2200 * 86400000;
	assert_int_equal(mmr_audit_prune(f->st, "toyohashi", 16, later, &pruned, &err),
			 MMR_EDENIED);
	must(mmr_audit_prune(f->st, "toyohashi", 12, later, &pruned, &err), &err);
	assert_int_equal(pruned, 12);
	assert_int_equal(size_of(f, "toyohashi"), 21);
	/* what remains still verifies; proofs of kept leaves still hold */
	append_n(f, "toyohashi", 4, NULL);
	checkpoint(f, "toyohashi");
	json_t *rep = verify(f);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	json_t *p = NULL;
	must(mmr_audit_proof(f->st, "toyohashi", 13, 0, &p, &err), &err);
	assert_int_equal(json_integer_value(json_object_get(p, "tree_size")), 25);
	json_decref(p);
	must(mmr_audit_proof(f->st, "toyohashi", 3, 0, &p, &err), &err); /* pruned: hash only */
	assert_true(json_is_null(json_object_get(p, "entry")));
	json_decref(p);
	/* a pruned leaf's kept hash altered: caught */
	drop_triggers(f);
	if (sfx_pg)
		must(mmr_db_exec(mmr_store_db(f->st),
				 "DROP TRIGGER audit_pruned_refuse ON audit_pruned", &err),
		     &err);
	else
		must(mmr_db_exec(mmr_store_db(f->st), "DROP TRIGGER audit_pruned_no_update", &err),
		     &err);
	must(mmr_db_exec(mmr_store_db(f->st),
			 "UPDATE audit_pruned SET hash = "
			 "'1111111111111111111111111111111111111111111111111111111111111111' WHERE "
			 "idx = 5",
			 &err),
	     &err);
	rep = verify(f);
	assert_true(json_is_false(json_object_get(rep, "ok")));
	json_decref(rep);
}

static int count_action(struct fx *f, const char *tenant, const char *action)
{
	mmr_error err;
	struct mmr_audit_query q = {.action = action, .limit = 500};
	json_t *r = NULL;
	must(mmr_audit_search(f->st, tenant, &q, &r, &err), &err);
	int n = (int)json_array_size(json_object_get(r, "items"));
	json_decref(r);
	return n;
}

static void services_record(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	assert_int_equal(count_action(f, "toyohashi", "tenant.add"), 1);
	json_t *in = json_loads(
		"{\"login\":\"aud1\",\"name\":\"監査 次郎\",\"roles\":[\"auditor\"]}", 0, NULL);
	json_t *u = NULL;
	must(mmr_ledger_create(f->st, &f->sys, "users", in, &u, &err), &err);
	json_decref(in);
	int64_t uid = json_integer_value(json_object_get(u, "id"));
	json_decref(u);
	const char *pw = "Kakushi-Pass#2026";
	must(mmr_user_set_password(f->st, "toyohashi", uid, pw, false, &err), &err);
	/* a top-class asset (重要性分類Ⅰ) and a lower one */
	json_t *a = NULL, *b = NULL;
	in = json_loads("{\"name\":\"住民記録\",\"kind\":\"information\","
			"\"classification\":{\"importance\":\"Ⅰ\"}}",
			0, NULL);
	must(mmr_ledger_create(f->st, &f->sys, "assets", in, &a, &err), &err);
	json_decref(in);
	in = json_loads("{\"name\":\"広報誌\",\"kind\":\"information\","
			"\"classification\":{\"importance\":\"IV\"}}",
			0, NULL);
	must(mmr_ledger_create(f->st, &f->sys, "assets", in, &b, &err), &err);
	json_decref(in);
	int64_t top = json_integer_value(json_object_get(a, "id"));
	int64_t low = json_integer_value(json_object_get(b, "id"));
	json_decref(a);
	json_decref(b);
	mmr_actor aud;
	must(mmr_actor_load(f->st, "toyohashi", uid, &aud, &err), &err);
	json_t *o = NULL;
	must(mmr_ledger_get(f->st, &aud, "assets", top, &o, &err), &err);
	json_decref(o);
	must(mmr_ledger_get(f->st, &aud, "assets", low, &o, &err), &err);
	json_decref(o);
	assert_int_equal(count_action(f, "toyohashi", "asset.view"), 1);
	json_t *patch = json_loads("{\"name\":\"住民記録（本庁）\"}", 0, NULL);
	must(mmr_ledger_update(f->st, &f->sys, "assets", top, patch, &o, &err), &err);
	json_decref(patch);
	json_decref(o);
	must(mmr_ledger_delete(f->st, &f->sys, "assets", low, &err), &err);
	assert_int_equal(count_action(f, "toyohashi", "ledger.create"), 3);
	assert_int_equal(count_action(f, "toyohashi", "ledger.update"), 1);
	assert_int_equal(count_action(f, "toyohashi", "ledger.delete"), 1);
	assert_int_equal(count_action(f, "toyohashi", "user.password_set"), 1);
	/* the update carries distinct before/after digests */
	struct mmr_audit_query q = {.action = "ledger.update", .limit = 1};
	json_t *r = NULL;
	must(mmr_audit_search(f->st, "toyohashi", &q, &r, &err), &err);
	json_t *e = json_array_get(json_object_get(r, "items"), 0);
	assert_int_equal(strlen(json_string_value(json_object_get(e, "before"))), 64);
	assert_string_not_equal(json_string_value(json_object_get(e, "before")),
				json_string_value(json_object_get(e, "after")));
	json_decref(r);
	/* sign-in, failures, lockout (guideline threshold: toyohashi inherits 5) */
	struct mmr_signin si;
	must(mmr_session_open(f->st, "toyohashi", "aud1", pw, NULL, 1000, &si, &err), &err);
	assert_int_equal(count_action(f, "toyohashi", "session.signin"), 1);
	assert_int_equal(mmr_session_open(f->st, "toyohashi", "nobody", "x", NULL, 1000, &si, &err),
			 MMR_EAUTH);
	int rc = 0;
	for (int i = 0; i < 10 && rc != MMR_ELOCKED; i++)
		rc = mmr_session_open(f->st, "toyohashi", "aud1", "wrong-Pass#1", NULL, 1000, &si,
				      &err);
	assert_int_equal(rc, MMR_ELOCKED);
	assert_true(count_action(f, "toyohashi", "session.signin_failed") >= 2);
	assert_int_equal(count_action(f, "toyohashi", "session.lockout"), 1);
	assert_int_equal(mmr_session_open(f->st, "toyohashi", "aud1", pw, NULL, 1000, &si, &err),
			 MMR_ELOCKED);
	assert_int_equal(count_action(f, "toyohashi", "session.signin_locked"), 1);
	/* no password, typed or hashed, is anywhere in the log */
	mmr_stmt *s;
	must(mmr_db_prepare(mmr_store_db(f->st), q_cols, &s, &err), &err);
	mmr_stmt_text(s, 1, "toyohashi");
	int rows = 0;
	while (mmr_stmt_step(s, &err) == MMR_DB_ROW) {
		char *d = row_data(s, "toyohashi", NULL);
		assert_null(strstr(d, pw));
		assert_null(strstr(d, "wrong-Pass"));
		assert_null(strstr(d, "argon2"));
		free(d);
		rows++;
	}
	mmr_stmt_reset(s);
	assert_true(rows > 10);
	json_t *rep = verify(f);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
}

/* proofs in a log big enough for the upper-node cache (levels ≥ 6): the same
 * answer cold and warm, each verifying against the signed root */
static void proofs_cached(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	mmr_db *db = mmr_store_db(f->st);
	must(mmr_db_begin(db, &err), &err);
	append_n(f, "toyohashi", 1100, NULL);
	must(mmr_db_commit(db, &err), &err);
	json_t *cp = NULL;
	must(mmr_audit_checkpoint(f->st, "toyohashi", &key, &cp, &err), &err);
	int64_t size = json_integer_value(json_object_get(cp, "size"));
	mmr_hash signed_root;
	assert_int_equal(
		mmr_hash_from_hex(json_string_value(json_object_get(cp, "root")), signed_root), 0);
	json_decref(cp);
	for (int round = 0; round < 2; round++)
		for (int64_t i = 0; i < size; i += 37) {
			json_t *p = NULL;
			must(mmr_audit_proof(f->st, "toyohashi", i, 0, &p, &err), &err);
			json_t *ph = json_object_get(p, "proof");
			mmr_hash proof[MMR_LOG_MAX_PROOF], leaf;
			for (size_t k = 0; k < json_array_size(ph); k++)
				mmr_hash_from_hex(json_string_value(json_array_get(ph, k)),
						  proof[k]);
			mmr_hash_from_hex(json_string_value(json_object_get(p, "leaf_hash")), leaf);
			assert_true(mmr_log_verify_inclusion((uint64_t)i, (uint64_t)size, leaf,
							     proof, json_array_size(ph),
							     signed_root));
			json_decref(p);
		}
	/* a reopened store does not answer from the old one's cache */
	mmr_store_close(f->st);
	must(mmr_store_open(sfx_target, NULL, &f->st, &err), &err);
	json_t *p = NULL;
	must(mmr_audit_proof(f->st, "toyohashi", 700, 0, &p, &err), &err);
	json_decref(p);
}

/* ---- group commit ---- */

#define G_THREADS 8
#define G_EACH 40

struct gcaller {
	mmr_audit_group *g;
	int t;
	int64_t idx[G_EACH];
	int fails;
};

static void *gcall(void *arg)
{
	struct gcaller *c = arg;
	for (int i = 0; i < G_EACH; i++) {
		char id[32];
		snprintf(id, sizeof id, "%d-%d", c->t, i);
		/* thread 0 sends a bad event now and then: it alone fails, the
		 * appends batched with it are kept */
		bool bad = c->t == 0 && i % 10 == 5;
		struct mmr_audit_event ev = {.tenant = "toyohashi",
					     .actor = bad ? NULL : "group",
					     .action = "test.group",
					     .object_kind = "test",
					     .object_id = id};
		mmr_error err;
		c->idx[i] = -1;
		int rc = mmr_audit_group_append(c->g, &ev, &c->idx[i], &err);
		if (rc != (bad ? MMR_EINVAL : MMR_OK))
			c->fails++;
	}
	return NULL;
}

/* a state change and its leaf, or (failing after both) neither */
struct change {
	const char *id;
	bool fail;
	int64_t idx;
};

static int change_fn(mmr_store *st, void *ud, mmr_error *err)
{
	struct change *c = ud;
	static const char q[] = "INSERT INTO audit_exports (tenant, upto, file, sha256, "
				"created_at) VALUES ('toyohashi', 0, $1, 'x', $1)";
	mmr_stmt *s;
	int rc = mmr_db_prepare(mmr_store_db(st), q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, c->id);
	if ((rc = mmr_stmt_run(s, err)))
		return rc;
	struct mmr_audit_event ev = {.tenant = "toyohashi",
				     .actor = "group",
				     .action = "test.change",
				     .object_kind = "test",
				     .object_id = c->id};
	if ((rc = mmr_audit_append(st, &ev, &c->idx, err)))
		return rc;
	if (c->fail) {
		mmr_error_set(err, MMR_EINVAL, "わざと失敗");
		return MMR_EINVAL;
	}
	return MMR_OK;
}

static int64_t count_sql(struct fx *f, const char *q, const char *arg)
{
	mmr_error err;
	mmr_stmt *s;
	must(mmr_db_prepare(mmr_store_db(f->st), q, &s, &err), &err);
	mmr_stmt_text(s, 1, arg);
	assert_int_equal(mmr_stmt_step(s, &err), MMR_DB_ROW);
	int64_t n = mmr_col_int(s, 0);
	mmr_stmt_reset(s);
	return n;
}

/* appends from several threads through one group: every caller gets its own
 * index, all are there once the calls return, transactions were shared, the
 * log verifies; a failing piece of work leaves neither its change nor its
 * leaf while the others in its transaction commit */
static void group_commit(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	int64_t size0 = size_of(f, "toyohashi");
	mmr_audit_group *g;
	must(mmr_audit_group_open(sfx_target, NULL, &g, &err), &err);
	pthread_t t[G_THREADS];
	struct gcaller c[G_THREADS];
	for (int i = 0; i < G_THREADS; i++) {
		c[i] = (struct gcaller){.g = g, .t = i};
		assert_int_equal(pthread_create(&t[i], NULL, gcall, &c[i]), 0);
	}
	for (int i = 0; i < G_THREADS; i++)
		pthread_join(t[i], NULL);
	char seen[G_THREADS * G_EACH] = {0};
	const int n_bad = G_EACH / 10, n_ok = G_THREADS * G_EACH - n_bad;
	for (int i = 0; i < G_THREADS; i++) {
		assert_int_equal(c[i].fails, 0);
		for (int k = 0; k < G_EACH; k++) {
			if (i == 0 && k % 10 == 5)
				continue;
			int64_t x = c[i].idx[k] - size0;
			assert_true(x >= 0 && x < n_ok);
			assert_false(seen[x]);
			seen[x] = 1;
		}
	}
	assert_int_equal(size_of(f, "toyohashi"), size0 + n_ok);
	/* each acknowledged leaf is the caller's */
	static const char q_id[] = "SELECT COUNT(*) FROM audit_leaves WHERE tenant = 'toyohashi' "
				   "AND action = 'test.group' AND object_id = $1";
	assert_int_equal(count_sql(f, q_id, "3-17"), 1);
	uint64_t commits = 0, works = 0;
	mmr_audit_group_counts(g, &commits, &works);
	assert_int_equal(works, G_THREADS * G_EACH);
	assert_true(commits < works); /* some transactions were shared */
	/* a thread's appends are in its order (batched ones too) */
	for (int i = 0; i < G_THREADS; i++)
		for (int k = 1; k < G_EACH; k++)
			if (!(i == 0 && (k % 10 == 5 || k % 10 == 6)))
				assert_true(c[i].idx[k] > c[i].idx[k - 1]);
	/* a state change with its leaf: kept together, or dropped together */
	struct change ok1 = {"keep-1", false, -1}, bad = {"drop", true, -1},
		      ok2 = {"keep-2", false, -1};
	must(mmr_audit_group_run(g, change_fn, &ok1, &err), &err);
	assert_int_equal(mmr_audit_group_run(g, change_fn, &bad, &err), MMR_EINVAL);
	must(mmr_audit_group_run(g, change_fn, &ok2, &err), &err);
	/* a store attached to the group (a server's worker): its appends
	 * outside a transaction go through the group, those inside stay in it */
	mmr_audit_group_attach(g, f->st);
	uint64_t works0, works1;
	mmr_audit_group_counts(g, &commits, &works0);
	struct mmr_audit_event ev = {.tenant = "toyohashi",
				     .actor = "aud1",
				     .action = "asset.view",
				     .object_id = "att-1"};
	int64_t at_idx = -1;
	must(mmr_audit_append(f->st, &ev, &at_idx, &err), &err);
	mmr_audit_group_counts(g, &commits, &works1);
	assert_int_equal(works1, works0 + 1);
	assert_int_equal(at_idx, ok2.idx + 1);
	mmr_db *adb = mmr_store_db(f->st);
	must(mmr_db_begin(adb, &err), &err);
	ev.object_id = "att-2";
	must(mmr_audit_append(f->st, &ev, NULL, &err), &err);
	must(mmr_db_commit(adb, &err), &err);
	mmr_audit_group_counts(g, &commits, &works0);
	assert_int_equal(works0, works1);
	mmr_audit_group_attach(NULL, f->st);
	mmr_audit_group_close(g);
	assert_int_equal(ok2.idx, ok1.idx + 1); /* the failed one's index was reused */
	static const char q_exp[] = "SELECT COUNT(*) FROM audit_exports WHERE file = $1";
	static const char q_leaf[] = "SELECT COUNT(*) FROM audit_leaves WHERE tenant = "
				     "'toyohashi' AND object_id = $1";
	assert_int_equal(count_sql(f, q_exp, "keep-1"), 1);
	assert_int_equal(count_sql(f, q_leaf, "keep-1"), 1);
	assert_int_equal(count_sql(f, q_exp, "drop"), 0);
	assert_int_equal(count_sql(f, q_leaf, "drop"), 0);
	assert_int_equal(count_sql(f, q_leaf, "keep-2"), 1);
	assert_int_equal(count_sql(f, q_leaf, "att-1"), 1);
	assert_int_equal(count_sql(f, q_leaf, "att-2"), 1);
	/* this store's appends after the group's (its cached edge is stale) */
	append_n(f, "toyohashi", 3, NULL);
	checkpoint(f, "toyohashi");
	json_t *rep = verify(f);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
}

/* ---- batch appends ---------------------------------------------------------------- */

#define M_TOTAL 8611 /* leaves after tenant.add: past 8192, a node of band 2 */
static char m_ids[M_TOTAL][48];

/* the i-th event of the batch tests: fixed times, NULLs, escapes */
static struct mmr_audit_event m_event(int i, const json_t *dec)
{
	if (i % 7 == 3)
		snprintf(m_ids[i], sizeof m_ids[i], "id \"%d\" \\ back\nline 日本,{x}", i);
	else
		snprintf(m_ids[i], sizeof m_ids[i], "%d", i);
	return (struct mmr_audit_event){.tenant = "toyohashi",
					.actor = i % 3 ? "mgr1" : "staff \"1\"",
					.action = i % 2 ? "import.row" : "ledger.create",
					.object_kind = i % 5 ? "assets" : NULL,
					.object_id = m_ids[i],
					.before = i % 4 ? NULL : "NULL",
					.after = "00ff",
					.decision = i % 6 ? NULL : dec,
					.at = "2026-01-02T03:04:05.678Z"};
}

/* the appends of the batch tests: >0 single appends, <0 a batch of -k
 * (a 0 is an empty batch) */
static const int m_script[] = {3, -1, 0, -1000, 5, -1500, 2, -100, -6000};

static void m_run(struct fx *f, bool batches, const json_t *dec)
{
	mmr_error err;
	int next = 0;
	int64_t size0 = size_of(f, "toyohashi");
	static struct mmr_audit_event evs[M_TOTAL];
	for (size_t k = 0; k < sizeof m_script / sizeof *m_script; k++) {
		int c = m_script[k];
		if (c > 0 || !batches) {
			for (int i = 0; i < abs(c); i++) {
				struct mmr_audit_event ev = m_event(next, dec);
				int64_t idx = -1;
				must(mmr_audit_append(f->st, &ev, &idx, &err), &err);
				assert_int_equal(idx, size0 + next);
				next++;
			}
			continue;
		}
		for (int i = 0; i < -c; i++)
			evs[i] = m_event(next + i, dec);
		int64_t first = -2;
		must(mmr_audit_append_many(f->st, evs, (size_t)-c, &first, &err), &err);
		assert_int_equal(first, c ? size0 + next : -1);
		next += -c;
	}
	assert_int_equal(next, M_TOTAL);
	assert_int_equal(size_of(f, "toyohashi"), size0 + M_TOTAL);
}

/* every stored column of the tenant's leaves and upper nodes, as text */
static char *m_snapshot(struct fx *f)
{
	static const char q_l[] = "SELECT idx, at, actor, action, object_kind, object_id, "
				  "before_digest, after_digest, decision, hash, nodes "
				  "FROM audit_leaves WHERE tenant = 'toyohashi' ORDER BY idx";
	static const char q_u[] = "SELECT band, anc, level, j, idx, hash FROM audit_upper "
				  "WHERE tenant = 'toyohashi' ORDER BY idx, level";
	const char *qs[] = {q_l, q_u};
	int cols[] = {11, 6};
	size_t cap = 1 << 20, len = 0;
	char *out = malloc(cap);
	mmr_error err;
	for (int q = 0; q < 2; q++) {
		mmr_stmt *s;
		must(mmr_db_prepare(mmr_store_db(f->st), qs[q], &s, &err), &err);
		int rc;
		while ((rc = mmr_stmt_step(s, &err)) == MMR_DB_ROW)
			for (int c = 0; c < cols[q]; c++) {
				const char *t = mmr_col_null(s, c) ? "\\N" : mmr_col_text(s, c);
				size_t n = strlen(t) + 2;
				if (len + n + 1 > cap)
					out = realloc(out, cap *= 2);
				len += (size_t)snprintf(out + len, cap - len, "%s%c", t,
							c + 1 == cols[q] ? '\n' : '|');
			}
		assert_int_equal(rc, MMR_DB_DONE);
		mmr_stmt_reset(s);
	}
	return out;
}

/* mmr_audit_append_many writes exactly what single appends write: the same
 * rows, hashes, stored nodes and upper rows, mixed with single appends,
 * across chunks and upper bands; proofs verify against the single appends'
 * roots; a rolled-back batch (transaction or savepoint) leaves nothing and
 * its edge is not trusted after */
static void append_many(void **state)
{
	struct fx *f = *state;
	mmr_error err;
	mmr_db *db = mmr_store_db(f->st);
	json_t *dec = json_pack("{s:s, s:[s], s:s}", "effect", "permit", "rules", "R-1", "note",
				"a\"b\\c 日本 {x,y}");
	int64_t size0 = size_of(f, "toyohashi");
	/* the reference: single appends, rolled back after reading them */
	static const int64_t sizes[] = {1,    4,    5,	  6,	1006, 1007, 1012,	2048,
					2512, 2513, 2613, 4096, 8192, 8193, M_TOTAL + 1};
	mmr_hash roots[sizeof sizes / sizeof *sizes];
	must(mmr_db_begin(db, &err), &err);
	m_run(f, false, dec);
	char *want = m_snapshot(f);
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++)
		must(mmr_audit_root(f->st, "toyohashi", sizes[i], roots[i], &err), &err);
	mmr_db_rollback(db);
	assert_int_equal(size_of(f, "toyohashi"), size0);
	/* the same through batches, in the caller's transaction */
	must(mmr_db_begin(db, &err), &err);
	m_run(f, true, dec);
	char *got = m_snapshot(f);
	assert_string_equal(got, want);
	free(got);
	free(want);
	must(mmr_db_commit(db, &err), &err);
	for (size_t i = 0; i < sizeof sizes / sizeof *sizes; i++) {
		mmr_hash r;
		must(mmr_audit_root(f->st, "toyohashi", sizes[i], r, &err), &err);
		assert_memory_equal(r, roots[i], 32);
	}
	static const int64_t probes[] = {0, 3, 5, 1005, 2047, 2511, 4095, 8191, M_TOTAL};
	for (size_t i = 0; i < sizeof probes / sizeof *probes; i++) {
		json_t *p = NULL;
		must(mmr_audit_proof(f->st, "toyohashi", probes[i], M_TOTAL + 1, &p, &err), &err);
		json_t *ph = json_object_get(p, "proof");
		mmr_hash proof[MMR_LOG_MAX_PROOF], leaf;
		for (size_t k = 0; k < json_array_size(ph); k++)
			assert_int_equal(mmr_hash_from_hex(json_string_value(json_array_get(ph, k)),
							   proof[k]),
					 0);
		assert_int_equal(
			mmr_hash_from_hex(json_string_value(json_object_get(p, "leaf_hash")), leaf),
			0);
		assert_true(mmr_log_verify_inclusion((uint64_t)probes[i], M_TOTAL + 1, leaf, proof,
						     json_array_size(ph),
						     roots[sizeof sizes / sizeof *sizes - 1]));
		json_decref(p);
	}
	int64_t size1 = size_of(f, "toyohashi");
	/* a batch in its own transaction; n = 1 */
	struct mmr_audit_event evs[3] = {m_event(1, dec), m_event(2, NULL), m_event(3, NULL)};
	int64_t first = -2;
	must(mmr_audit_append_many(f->st, evs, 1, &first, &err), &err);
	assert_int_equal(first, size1);
	/* refused: events of two tenants, an event without actor — nothing kept */
	evs[1].tenant = "other";
	assert_int_equal(mmr_audit_append_many(f->st, evs, 3, &first, &err), MMR_EINVAL);
	evs[1].tenant = "toyohashi";
	evs[2].actor = NULL;
	assert_int_equal(mmr_audit_append_many(f->st, evs, 3, &first, &err), MMR_EINVAL);
	evs[2].actor = "mgr1";
	assert_int_equal(size_of(f, "toyohashi"), size1 + 1);
	/* rolled back: the caller's transaction, then a savepoint inside one */
	must(mmr_db_begin(db, &err), &err);
	must(mmr_audit_append_many(f->st, evs, 3, &first, &err), &err);
	assert_int_equal(first, size1 + 1);
	mmr_db_rollback(db);
	assert_int_equal(size_of(f, "toyohashi"), size1 + 1);
	must(mmr_db_begin(db, &err), &err);
	must(mmr_audit_append_many(f->st, evs, 2, &first, &err), &err);
	assert_int_equal(first, size1 + 1);
	must(mmr_db_begin(db, &err), &err); /* a savepoint */
	must(mmr_audit_append_many(f->st, evs, 3, &first, &err), &err);
	assert_int_equal(first, size1 + 3);
	mmr_db_rollback(db);
	must(mmr_audit_append_many(f->st, evs, 3, &first, &err), &err);
	assert_int_equal(first, size1 + 3); /* the rolled-back edge was not trusted */
	must(mmr_db_commit(db, &err), &err);
	int64_t idx = -1;
	must(mmr_audit_append(f->st, &evs[0], &idx, &err), &err);
	assert_int_equal(idx, size1 + 6);
	assert_int_equal(size_of(f, "toyohashi"), size1 + 7);
	checkpoint(f, "toyohashi");
	json_t *rep = verify(f);
	assert_true(json_is_true(json_object_get(rep, "ok")));
	json_decref(rep);
	json_decref(dec);
}

/* SQLite: a long run of group appends. The syncer checkpoints beside the
 * committer, the committer finishes a checkpoint when the WAL reaches its
 * restart size, so the WAL stays bounded; the database stays whole for a
 * connection that is not the store's (default VFS, no walbuf), and the log
 * verifies. */
#define W_THREADS 8
#define W_EACH 1500

struct wcaller {
	mmr_audit_group *g;
	int t, fails, seen_missing;
};

static void *wcall(void *arg)
{
	struct wcaller *c = arg;
	/* a connection of its own, plain VFS: an acknowledged leaf is there for
	 * any reader at once (walbuf wrote it before SQLite published it) */
	sqlite3 *plain = NULL;
	if (sqlite3_open_v2(sfx_target, &plain, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		c->fails++;
	sqlite3_busy_timeout(plain, 10000);
	for (int i = 0; i < W_EACH; i++) {
		char id[32];
		snprintf(id, sizeof id, "w%d-%d", c->t, i);
		struct mmr_audit_event ev = {.tenant = "toyohashi",
					     .actor = "group",
					     .action = "test.wal",
					     .object_kind = "test",
					     .object_id = id};
		mmr_error err;
		int64_t idx = -1;
		if (mmr_audit_group_append(c->g, &ev, &idx, &err) != MMR_OK) {
			c->fails++;
			continue;
		}
		if (i % 25)
			continue;
		sqlite3_stmt *q = NULL;
		if (sqlite3_prepare_v2(plain,
				       "SELECT object_id FROM audit_leaves WHERE tenant = "
				       "'toyohashi' AND idx = ?",
				       -1, &q, NULL) != SQLITE_OK) {
			c->fails++;
			continue;
		}
		sqlite3_bind_int64(q, 1, idx);
		if (sqlite3_step(q) != SQLITE_ROW ||
		    strcmp((const char *)sqlite3_column_text(q, 0), id))
			c->seen_missing++;
		sqlite3_finalize(q);
	}
	sqlite3_close(plain);
	return NULL;
}

static void group_wal_bounded(void **state)
{
	struct fx *f = *state;
	int64_t size0;
	mmr_audit_group *g = sqlite_group(f, &size0);
	pthread_t t[W_THREADS];
	struct wcaller c[W_THREADS];
	for (int i = 0; i < W_THREADS; i++) {
		c[i] = (struct wcaller){.g = g, .t = i};
		assert_int_equal(pthread_create(&t[i], NULL, wcall, &c[i]), 0);
	}
	for (int i = 0; i < W_THREADS; i++) {
		pthread_join(t[i], NULL);
		assert_int_equal(c[i].fails, 0);
		assert_int_equal(c[i].seen_missing, 0);
	}
	uint64_t by_ckpter = 0, by_committer = 0, flushes = 0, commits = 0, works = 0;
	double flush_s = 0;
	mmr_audit_group_checkpoints(g, &by_ckpter, &by_committer);
	mmr_audit_group_flushes(g, &flushes, &flush_s);
	mmr_audit_group_counts(g, &commits, &works);
	mmr_audit_group_close(g);
	/* every flush covers at least one committed transaction */
	assert_true(flushes > 0 && flushes <= commits && flush_s > 0);
	assert_int_equal(works, W_THREADS * W_EACH);
	assert_true(by_ckpter > 0);
	assert_true(by_committer > 0); /* it finished one at the restart size */
	char wal[600];
	snprintf(wal, sizeof wal, "%s-wal", sfx_target);
	struct stat sb;
	assert_int_equal(stat(wal, &sb), 0);
	/* restart size (8192 frames of 4 KiB + 24) and one transaction more */
	assert_true(sb.st_size < 40 * 1024 * 1024);
	assert_int_equal(size_of(f, "toyohashi"), size0 + W_THREADS * W_EACH);
	char v[64], want[32];
	assert_true(sfx_sqlite_text(sfx_target, "PRAGMA integrity_check", v, sizeof v));
	assert_string_equal(v, "ok");
	assert_true(sfx_sqlite_text(sfx_target,
				    "SELECT COUNT(*) FROM audit_leaves WHERE tenant = 'toyohashi' "
				    "AND action = 'test.wal'",
				    v, sizeof v));
	snprintf(want, sizeof want, "%d", W_THREADS * W_EACH);
	assert_string_equal(v, want);
	verify_ok(f);
}

/* SQLite: a flush of the WAL that fails. This test program's fdatasync
 * stands in for libc's (the group's syncers and SQLite call it): while
 * fail_flush holds an errno, every flush fails with it. */
static int fail_flush;

int fdatasync(int fd)
{
	int e = __atomic_load_n(&fail_flush, __ATOMIC_SEQ_CST);
	if (e) {
		errno = e;
		return -1;
	}
	return (int)syscall(SYS_fdatasync, fd);
}

#define F_THREADS 4
#define F_EACH 60

struct fcaller {
	mmr_audit_group *g;
	int t, round, ok, eio, other;
};

static void *fcall(void *arg)
{
	struct fcaller *c = arg;
	for (int i = 0; i < F_EACH; i++) {
		char id[48];
		snprintf(id, sizeof id, "f%d-%d-%d", c->round, c->t, i);
		struct mmr_audit_event ev = {.tenant = "toyohashi",
					     .actor = "group",
					     .action = "test.flush",
					     .object_kind = "test",
					     .object_id = id};
		mmr_error err;
		int rc = mmr_audit_group_append(c->g, &ev, NULL, &err);
		if (rc == MMR_OK)
			c->ok++;
		else if (rc == MMR_EIO && strstr(err.message, "ディスク") &&
			 strstr(err.message, strerror(EIO)))
			c->eio++;
		else
			c->other++;
	}
	return NULL;
}

/* F_THREADS callers of F_EACH appends each; how many were acknowledged,
 * refused for the flush, refused otherwise */
static void flush_round(mmr_audit_group *g, int round, int *ok, int *eio, int *other)
{
	pthread_t t[F_THREADS];
	struct fcaller c[F_THREADS];
	*ok = *eio = *other = 0;
	for (int i = 0; i < F_THREADS; i++) {
		c[i] = (struct fcaller){.g = g, .t = i, .round = round};
		assert_int_equal(pthread_create(&t[i], NULL, fcall, &c[i]), 0);
	}
	for (int i = 0; i < F_THREADS; i++) {
		pthread_join(t[i], NULL);
		*ok += c[i].ok;
		*eio += c[i].eio;
		*other += c[i].other;
	}
}

/* Appends acknowledged before a flush fails; none after it, not even once
 * the disk is healthy again (Linux reports a lost write-back once: a later
 * flush that ends well does not bring it back), each refused with the
 * flush's error; a new group acknowledges again, and the log verifies. */
static void group_flush_fails(void **state)
{
	struct fx *f = *state;
	int64_t size0;
	mmr_audit_group *g = sqlite_group(f, &size0);
	int ok, eio, other;
	flush_round(g, 0, &ok, &eio, &other);
	assert_int_equal(ok, F_THREADS * F_EACH);
	__atomic_store_n(&fail_flush, EIO, __ATOMIC_SEQ_CST);
	flush_round(g, 1, &ok, &eio, &other);
	assert_int_equal(ok, 0);
	assert_int_equal(other, 0);
	assert_int_equal(eio, F_THREADS * F_EACH);
	__atomic_store_n(&fail_flush, 0, __ATOMIC_SEQ_CST);
	flush_round(g, 2, &ok, &eio, &other);
	assert_int_equal(ok, 0); /* the failure stays */
	assert_int_equal(eio, F_THREADS * F_EACH);
	mmr_audit_group_close(g);
	int64_t size3;
	g = sqlite_group(f, &size3);
	flush_round(g, 3, &ok, &eio, &other);
	assert_int_equal(ok, F_THREADS * F_EACH);
	mmr_audit_group_close(g);
	/* the refused were committed, only not confirmed durable: they are
	 * there, in order, and the log verifies */
	assert_int_equal(size_of(f, "toyohashi"), size0 + 4 * F_THREADS * F_EACH);
	verify_ok(f);
}

int main(int argc, char **argv)
{
	int bad = sfx_args(argc, argv, "audit");
	if (bad)
		return bad;
	snprintf(keypath, sizeof keypath, "/tmp/mamori-test-audit-%d.key", (int)getpid());
	mmr_error err;
	if (mmr_log_key_load(keypath, true, &key, &err)) {
		fprintf(stderr, "%s\n", err.message);
		return 1;
	}
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup_teardown(append_proofs_checkpoints, setup, teardown),
		cmocka_unit_test_setup_teardown(same_transaction, setup, teardown),
		cmocka_unit_test(tamper),
		cmocka_unit_test_setup_teardown(keyless_verify, setup, teardown),
		cmocka_unit_test(leaf_data_escapes),
		cmocka_unit_test_setup_teardown(export_prune, setup, teardown),
		cmocka_unit_test_setup_teardown(services_record, setup, teardown),
		cmocka_unit_test_setup_teardown(proofs_cached, setup, teardown),
		cmocka_unit_test_setup_teardown(group_commit, setup, teardown),
		cmocka_unit_test_setup_teardown(append_many, setup, teardown),
		cmocka_unit_test_setup_teardown(group_wal_bounded, setup, teardown),
		cmocka_unit_test_setup_teardown(group_flush_fails, setup, teardown),
	};
	int rc = cmocka_run_group_tests_name(argv[2], tests, NULL, NULL);
	unlink(keypath);
	sfx_remove();
	return rc;
}
