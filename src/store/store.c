/*
 * store.c — tenants, migrations, the acting user, and the ledgers.
 *
 * The five ledgers share one engine driven by a table of field descriptors
 * (struct ledger below): validation of JSON input, the SQL (generated once
 * from the descriptors, never from input, and prepared), the role matrix,
 * keyset paging. What is particular to a ledger — an asset's classification
 * and handling restrictions, a copy classified like its original, a user's
 * roles — is in the hooks beside it.
 */
#include <ctype.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "store/audit.h"
#include "store/embedded.h"
#include "store/store_int.h"

#ifndef MAMORI_POLICY_DIR
#define MAMORI_POLICY_DIR "policy"
#endif

int64_t mmr_unit_parent(mmr_store *st, const char *tenant, int64_t unit)
{
	static const char q[] = "SELECT parent_id FROM units WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	if (!unit || mmr_db_prepare(st->db, q, &s, NULL))
		return 0;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, unit);
	int64_t p = mmr_stmt_step(s, NULL) == MMR_DB_ROW ? mmr_col_int(s, 0) : 0;
	mmr_stmt_reset(s);
	return p;
}

void mmr_jst_day(int64_t t, long days, char out[16])
{
	time_t tt = (time_t)(t + 9 * 3600 + days * 86400);
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(out, 16, "%Y-%m-%d", &tm);
}

void mmr_now_iso(char buf[32])
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	struct tm tm;
	gmtime_r(&tv.tv_sec, &tm);
	size_t n = strftime(buf, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	unsigned ms = (unsigned)(tv.tv_usec / 1000) % 1000u;
	snprintf(buf + n, 32 - n, ".%03uZ", ms);
}

const struct mmr_embedded_file *mmr_embedded_find(const char *name)
{
	for (const struct mmr_embedded_file *f = mmr_embedded; f->name; f++)
		if (!strcmp(f->name, name))
			return f;
	return NULL;
}

/* Field errors read "[field] message" so that front ends can name the field. */
void mmr_field_error(mmr_error *err, int code, const char *field, const char *fmt, ...)
{
	if (!err)
		return;
	char msg[900];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	mmr_error_set(err, code, "[%s] %s", field, msg);
}

const char *mmr_store_error_field(const mmr_error *err, char *buf, size_t n)
{
	if (err->message[0] != '[')
		return NULL;
	const char *e = strchr(err->message, ']');
	if (!e || (size_t)(e - err->message) >= n)
		return NULL;
	memcpy(buf, err->message + 1, (size_t)(e - err->message - 1));
	buf[e - err->message - 1] = '\0';
	return buf;
}

const char *mmr_store_error_text(const mmr_error *err)
{
	const char *e = err->message[0] == '[' ? strchr(err->message, ']') : NULL;
	if (!e)
		return err->message;
	while (*++e == ' ')
		;
	return e;
}

/* ---- migrations ------------------------------------------------------------ */

static int migration_applied(mmr_db *db, int version, bool *applied, mmr_error *err)
{
	mmr_stmt *s;
	static const char q[] = "SELECT 1 FROM schema_migrations WHERE version = $1";
	int rc = mmr_db_prepare(db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_int(s, 1, version);
	rc = mmr_stmt_step(s, err);
	mmr_stmt_reset(s);
	*applied = rc == MMR_DB_ROW;
	return rc == MMR_DB_ROW || rc == MMR_DB_DONE ? MMR_OK : rc;
}

static int migrate(mmr_store *st, mmr_error *err)
{
	mmr_db *db = st->db;
	const char *dir =
		mmr_db_kind(db) == MMR_DB_SQLITE ? "migrations/sqlite/" : "migrations/postgres/";
	int rc = mmr_db_exec(db,
			     "CREATE TABLE IF NOT EXISTS schema_migrations ("
			     "version INTEGER PRIMARY KEY, name TEXT NOT NULL, "
			     "applied_at TEXT NOT NULL)",
			     err);
	if (rc)
		return rc;
	/* apply every version not yet applied, in order (not only those above
	 * the highest: a database may miss one that came with a merge) */
	size_t dl = strlen(dir);
	const struct mmr_embedded_file *todo[64];
	size_t n = 0;
	for (const struct mmr_embedded_file *f = mmr_embedded; f->name; f++) {
		if (strncmp(f->name, dir, dl))
			continue;
		if (n == sizeof todo / sizeof todo[0]) {
			mmr_error_set(err, MMR_ELIMIT, "移行が多すぎます（上限 %zu）", n);
			return MMR_ELIMIT;
		}
		todo[n++] = f;
	}
	for (size_t i = 1; i < n; i++) /* by version: insertion sort, a handful */
		for (size_t j = i; j > 0 && atoi(todo[j - 1]->name + dl) > atoi(todo[j]->name + dl);
		     j--) {
			const struct mmr_embedded_file *t = todo[j];
			todo[j] = todo[j - 1];
			todo[j - 1] = t;
		}
	for (size_t i = 0; i < n; i++) {
		const struct mmr_embedded_file *f = todo[i];
		int v = atoi(f->name + dl);
		bool applied = false;
		if ((rc = migration_applied(db, v, &applied, err)))
			return rc;
		if (applied)
			continue;
		if ((rc = mmr_db_begin(db, err)))
			return rc;
		rc = mmr_db_exec(db, f->data, err);
		if (!rc) {
			mmr_stmt *s;
			static const char ins[] = "INSERT INTO schema_migrations (version, name, "
						  "applied_at) VALUES ($1, $2, $3)";
			rc = mmr_db_prepare(db, ins, &s, err);
			if (!rc) {
				char now[32];
				mmr_now_iso(now);
				mmr_stmt_int(s, 1, v);
				mmr_stmt_text(s, 2, f->name + dl);
				mmr_stmt_text(s, 3, now);
				rc = mmr_stmt_run(s, err);
			}
		}
		if (rc) {
			char msg[sizeof err->message];
			snprintf(msg, sizeof msg, "%s", err->message);
			mmr_db_rollback(db);
			mmr_error_set(err, rc, "移行 %s に失敗しました: %s", f->name, msg);
			return rc;
		}
		if ((rc = mmr_db_commit(db, err)))
			return rc;
	}
	return MMR_OK;
}

int mmr_store_schema_version(mmr_store *st, int *version, mmr_error *err)
{
	mmr_stmt *s;
	static const char q[] = "SELECT COALESCE(MAX(version), 0) FROM schema_migrations";
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	rc = mmr_stmt_step(s, err);
	*version = rc == MMR_DB_ROW ? (int)mmr_col_int(s, 0) : 0;
	mmr_stmt_reset(s);
	return rc == MMR_DB_ROW ? MMR_OK : rc;
}

/* ---- open / close ------------------------------------------------------------ */

int mmr_store_open(const char *target, const char *policy_dir, mmr_store **out, mmr_error *err)
{
	*out = NULL;
	mmr_store *st = calloc(1, sizeof *st);
	if (!st) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	snprintf(st->policy_dir, sizeof st->policy_dir, "%s",
		 policy_dir ? policy_dir : MAMORI_POLICY_DIR);
	int rc = mmr_db_open(target, &st->db, err);
	if (!rc)
		rc = migrate(st, err);
	if (rc) {
		mmr_store_close(st);
		return rc;
	}
	*out = st;
	return MMR_OK;
}

void mmr_store_close(mmr_store *st)
{
	if (!st)
		return;
	for (size_t i = 0; i < st->n_tenants; i++)
		mmr_policy_free(st->tenants[i].pol);
	mmr_audit_forget(st);
	mmr_db_close(st->db);
	free(st);
}

mmr_db *mmr_store_db(mmr_store *st)
{
	return st->db;
}

/* ---- tenants ------------------------------------------------------------------ */

static bool id_ok(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (const char *p = s; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_' && *p != '.')
			return false;
	return true;
}

int mmr_tenant_add(mmr_store *st, const char *id, const char *name, const char *profile_path,
		   mmr_error *err)
{
	if (!id || !id_ok(id, 64)) {
		mmr_field_error(err, MMR_EINVAL, "id",
				"団体 ID \"%s\" は英数字と - _ . の 1〜64 文字にしてください",
				id ? id : "");
		return MMR_EINVAL;
	}
	char abs[PATH_MAX];
	if (!profile_path || !realpath(profile_path, abs)) {
		mmr_field_error(err, MMR_EINVAL, "profile", "プロファイル \"%s\" が見つかりません",
				profile_path ? profile_path : "");
		return MMR_EINVAL;
	}
	mmr_policy *pol;
	int rc = mmr_policy_load(abs, &pol, err);
	if (rc)
		return rc;
	mmr_policy_free(pol);
	mmr_stmt *s;
	static const char q[] =
		"INSERT INTO tenants (id, name, profile, created_at) VALUES ($1, $2, $3, $4)";
	if ((rc = mmr_db_prepare(st->db, q, &s, err)))
		return rc;
	char now[32];
	mmr_now_iso(now);
	mmr_stmt_text(s, 1, id);
	mmr_stmt_text(s, 2, name && *name ? name : id);
	mmr_stmt_text(s, 3, abs);
	mmr_stmt_text(s, 4, now);
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	rc = mmr_stmt_run(s, err);
	if (rc == MMR_ECONFLICT)
		mmr_field_error(err, rc, "id", "団体 \"%s\" はすでにあります", id);
	if (!rc) {
		mmr_actor sys;
		mmr_actor_system(&sys, id);
		json_t *after = json_pack("{s:s, s:s, s:s}", "id", id, "name",
					  name && *name ? name : id, "profile", abs);
		rc = mmr_audit_record(st, &sys, "tenant.add", "tenants", 0, NULL, after, NULL, err);
		json_decref(after);
	}
	return mmr_db_end(st->db, rc, err);
}

int mmr_tenant_policy(mmr_store *st, const char *tenant, const mmr_policy **pol, mmr_error *err)
{
	for (size_t i = 0; i < st->n_tenants; i++)
		if (!strcmp(st->tenants[i].id, tenant)) {
			*pol = st->tenants[i].pol;
			return MMR_OK;
		}
	mmr_stmt *s;
	static const char q[] = "SELECT profile FROM tenants WHERE id = $1";
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	rc = mmr_stmt_step(s, err);
	if (rc != MMR_DB_ROW) {
		mmr_stmt_reset(s);
		if (rc == MMR_DB_DONE) {
			mmr_error_set(err, MMR_ENOTFOUND, "団体 \"%s\" はありません", tenant);
			return MMR_ENOTFOUND;
		}
		return rc;
	}
	char path[PATH_MAX];
	snprintf(path, sizeof path, "%s", mmr_col_text(s, 0));
	mmr_stmt_reset(s);
	if (st->n_tenants == MMR_STORE_MAX_TENANTS) {
		mmr_error_set(err, MMR_ELIMIT, "団体が多すぎます（上限 %d）",
			      MMR_STORE_MAX_TENANTS);
		return MMR_ELIMIT;
	}
	mmr_policy *p;
	if ((rc = mmr_policy_load(path, &p, err)))
		return rc;
	struct mmr_tenant_entry *t = &st->tenants[st->n_tenants++];
	snprintf(t->id, sizeof t->id, "%s", tenant);
	t->pol = p;
	*pol = p;
	return MMR_OK;
}

json_t *mmr_tenant_list(mmr_store *st, mmr_error *err)
{
	mmr_stmt *s;
	static const char q[] = "SELECT id, name, profile FROM tenants ORDER BY id";
	if (mmr_db_prepare(st->db, q, &s, err))
		return NULL;
	json_t *a = json_array();
	int rc;
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW)
		json_array_append_new(a,
				      json_pack("{s:s, s:s, s:s}", "id", mmr_col_text(s, 0), "name",
						mmr_col_text(s, 1), "profile", mmr_col_text(s, 2)));
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		json_decref(a);
		return NULL;
	}
	return a;
}

/* ---- the acting user ------------------------------------------------------------ */

void mmr_actor_system(mmr_actor *actor, const char *tenant)
{
	memset(actor, 0, sizeof *actor);
	snprintf(actor->tenant, sizeof actor->tenant, "%s", tenant);
	snprintf(actor->login, sizeof actor->login, "%s", "(system)");
	actor->admin = true;
}

int mmr_actor_load(mmr_store *st, const char *tenant, int64_t user_id, mmr_actor *actor,
		   mmr_error *err)
{
	memset(actor, 0, sizeof *actor);
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, tenant, &pol, err);
	if (rc)
		return rc;
	mmr_stmt *s;
	static const char qu[] = "SELECT login FROM users WHERE tenant = $1 AND id = $2";
	if ((rc = mmr_db_prepare(st->db, qu, &s, err)))
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, user_id);
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_ROW)
		snprintf(actor->login, sizeof actor->login, "%s", mmr_col_text(s, 0));
	mmr_stmt_reset(s);
	if (rc == MMR_DB_DONE) {
		mmr_error_set(err, MMR_ENOTFOUND, "利用者 %" PRId64 " はありません", user_id);
		return MMR_ENOTFOUND;
	}
	if (rc != MMR_DB_ROW)
		return rc;
	snprintf(actor->tenant, sizeof actor->tenant, "%s", tenant);
	actor->user_id = user_id;
	static const char qr[] = "SELECT role, scope_kind, scope_id FROM user_roles "
				 "WHERE tenant = $1 AND user_id = $2 ORDER BY id";
	if ((rc = mmr_db_prepare(st->db, qr, &s, err)))
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, user_id);
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW)
		mmr_actor_add_role(pol, actor, mmr_col_text(s, 0), mmr_col_text(s, 1),
				   mmr_col_int(s, 2));
	mmr_stmt_reset(s);
	return rc == MMR_DB_DONE ? MMR_OK : rc;
}

void mmr_actor_add_role(const mmr_policy *pol, mmr_actor *actor, const char *role,
			const char *scope, int64_t scope_id)
{
	const char *access = NULL;
	if (mmr_policy_role_find(pol, role, NULL, &access))
		return; /* a role the profile no longer has grants nothing */
	if (actor->n_scopes < MMR_ACTOR_MAX_SCOPES) {
		struct mmr_actor_scope *sc = &actor->scopes[actor->n_scopes++];
		snprintf(sc->access, sizeof sc->access, "%s", access);
		snprintf(sc->kind, sizeof sc->kind, "%s", scope);
		sc->id = scope_id;
	}
	bool body = !strcmp(scope, "body");
	if (!strcmp(access, MMR_ACCESS_ADMIN))
		actor->admin = true;
	else if (!strcmp(access, MMR_ACCESS_AUDITOR))
		actor->auditor = true;
	else if (!strcmp(access, MMR_ACCESS_MANAGER)) {
		actor->manager = true;
		actor->body_scope |= body;
	} else if (!strcmp(access, MMR_ACCESS_SYSTEM)) {
		actor->system = true;
		actor->body_scope |= body;
	}
	size_t used = strlen(actor->roles), need = strlen(role) + (used ? 1 : 0);
	if (used + need < sizeof actor->roles) /* whole names only, never a cut one */
		snprintf(actor->roles + used, sizeof actor->roles - used, "%s%s", used ? "," : "",
			 role);
}
