/*
 * store.h — mamori's memory: tenants (bodies, each with its policy profile),
 * their organisation, people and roles, and the ledgers (情報資産台帳,
 * 情報システム台帳, devices), on SQLite or PostgreSQL (db.h).
 *
 * Objects cross this interface as JSON (jansson), the shape of the HTTP API:
 * the same validation serves the API, the CLI and the CSV import. Every call
 * is scoped to one tenant and, where it reads or changes a ledger, to the
 * acting user (mmr_actor): the role matrix (the `access:` class of each of
 * the actor's roles in the tenant's profile, with its scope) decides who may
 * see and change what; another tenant's object does not exist (ENOTFOUND).
 *
 * Ownership: json_t results are new references the caller decrefs; the store
 * keeps a loaded, compiled profile per tenant for as long as it is open.
 * A store handle is used by one thread at a time (open one per thread).
 */
#ifndef MMR_STORE_H
#define MMR_STORE_H

#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "mamori.h"
#include "store/db.h"

typedef struct mmr_store mmr_store;

/* Open the database at `target` (see mmr_db_open) and bring its schema to
 * the newest migration. `policy_dir` is where relative profile paths are
 * looked up (NULL: the built-in default). */
int mmr_store_open(const char *target, const char *policy_dir, mmr_store **out, mmr_error *err);
void mmr_store_close(mmr_store *st);
mmr_db *mmr_store_db(mmr_store *st);
/* Schema version after migrations. */
int mmr_store_schema_version(mmr_store *st, int *version, mmr_error *err);

/* ---- tenants --------------------------------------------------------------- */

/* Add a tenant with its profile (the file must load; its absolute path is
 * stored). MMR_ECONFLICT if the id exists. */
int mmr_tenant_add(mmr_store *st, const char *id, const char *name, const char *profile_path,
		   mmr_error *err);
/* The tenant's compiled profile (owned by the store). */
int mmr_tenant_policy(mmr_store *st, const char *tenant, const mmr_policy **pol, mmr_error *err);
/* [{"id","name","profile"}…] */
json_t *mmr_tenant_list(mmr_store *st, mmr_error *err);

/* ---- who acts ---------------------------------------------------------------- */

enum mmr_access_level {
	MMR_AL_STAFF = 0,
	MMR_AL_SYSTEM = 1,
	MMR_AL_MANAGER = 2,
	MMR_AL_AUDITOR = 3,
	MMR_AL_ADMIN = 4,
};

#define MMR_ACTOR_MAX_SCOPES 16

/* One role grant of the actor: its access class and scope. */
struct mmr_actor_scope {
	char access[16]; /* MMR_ACCESS_* */
	char kind[8];	 /* "body", "unit", "system" */
	int64_t id;	 /* unit or system id */
};

/* The acting user, as the services see them. */
typedef struct mmr_actor {
	char tenant[65];
	int64_t user_id; /* 0: the system itself (CLI administration) */
	char login[65];
	bool admin;	 /* some role with access: admin */
	bool auditor;	 /* some role with access: auditor */
	bool manager;	 /* some role with access: manager (scoped to units) */
	bool system;	 /* some role with access: system (scoped to systems) */
	bool body_scope; /* a manager/system role scoped to the whole body */
	char roles[512]; /* the role ids, comma separated */
	struct mmr_actor_scope scopes[MMR_ACTOR_MAX_SCOPES];
	size_t n_scopes;
} mmr_actor;

/* Fill `actor` for user `user_id` of `tenant` from their roles and the
 * tenant's profile. MMR_ENOTFOUND for an unknown user. */
int mmr_actor_load(mmr_store *st, const char *tenant, int64_t user_id, mmr_actor *actor,
		   mmr_error *err);
/* The system actor of a tenant (CLI administration: may do everything). */
void mmr_actor_system(mmr_actor *actor, const char *tenant);

/* ---- ledgers ----------------------------------------------------------------
 * `kind` is one of "units", "users", "systems", "assets", "devices".
 * Create answers the stored object (with "id"); MMR_EINVAL with err naming
 * the field (err->message starts with the field name after "field:"); see
 * mmr_store_error_field(). Update merges `patch` into the object. */
int mmr_ledger_create(mmr_store *st, const mmr_actor *who, const char *kind, json_t *obj,
		      json_t **out, mmr_error *err);
int mmr_ledger_get(mmr_store *st, const mmr_actor *who, const char *kind, int64_t id, json_t **out,
		   mmr_error *err);
int mmr_ledger_update(mmr_store *st, const mmr_actor *who, const char *kind, int64_t id,
		      json_t *patch, json_t **out, mmr_error *err);
int mmr_ledger_delete(mmr_store *st, const mmr_actor *who, const char *kind, int64_t id,
		      mmr_error *err);

/* List with filters (field → value, as strings) and keyset paging: objects
 * with id > after, at most `limit` (1..500). Answers
 * {"items":[…], "next": id or null, "total": n}. Filters by classification
 * are "class.<axis>" → level. */
struct mmr_ledger_query {
	const char *filters[16][2];
	size_t n_filters;
	int64_t after;
	int limit;
};
int mmr_ledger_list(mmr_store *st, const mmr_actor *who, const char *kind,
		    const struct mmr_ledger_query *q, json_t **out, mmr_error *err);

/* Whether `kind` is one of the ledgers. */
bool mmr_ledger_kind_valid(const char *kind);

/* The field an EINVAL error is about ("classification.confidentiality"), or
 * NULL: the store writes "field: …" messages as "[FIELD] message". */
const char *mmr_store_error_field(const mmr_error *err, char *buf, size_t n);
/* The message without its "[field] " tag: what a person reads. */
const char *mmr_store_error_text(const mmr_error *err);

/* ---- users: credentials and sign-in ----------------------------------------- */

/* Set a user's password (checked against the profile's password rule and
 * hashed with Argon2id). `temporary` marks an administrator-issued password
 * that must be changed at first sign-in. */
int mmr_user_set_password(mmr_store *st, const char *tenant, int64_t user_id, const char *password,
			  bool temporary, mmr_error *err);
int mmr_user_find_login(mmr_store *st, const char *tenant, const char *login, int64_t *user_id,
			mmr_error *err);
/* Grant a role with a scope ("body", "unit" + unit id, "system" + system id).
 * The role must exist in the tenant's profile. */
int mmr_user_add_role(mmr_store *st, const char *tenant, int64_t user_id, const char *role,
		      const char *scope_kind, int64_t scope_id, mmr_error *err);

/* Result of a sign-in. */
struct mmr_signin {
	int64_t user_id;
	char token[65];	    /* the bearer token (hex); only here, never stored */
	char csrf[65];	    /* the session's CSRF token */
	int64_t expires_at; /* Unix seconds */
	bool must_change;   /* temporary password: only a password change is allowed */
	bool mfa_enrolment; /* MFA is required but not enrolled yet */
};

/* Check credentials and open a session. Bad login or password → MMR_EAUTH
 * (and the failure is counted; at the profile's lockout.threshold the account
 * locks → MMR_ELOCKED from then on). MFA: when the user has TOTP enrolled,
 * `totp` must be valid. `now` is Unix seconds. */
int mmr_session_open(mmr_store *st, const char *tenant, const char *login, const char *password,
		     const char *totp, int64_t now, struct mmr_signin *out, mmr_error *err);
/* Look up a session by its token; refreshes its idle clock. MMR_EAUTH when
 * unknown, expired or idle longer than the profile's
 * session.idle_timeout_minutes. */
int mmr_session_check(mmr_store *st, const char *token, int64_t now, mmr_actor *actor,
		      char csrf[65], bool *must_change, mmr_error *err);
int mmr_session_close(mmr_store *st, const char *token, mmr_error *err);

/* Whether the profile requires MFA of this user (mfa.required_roles,
 * mfa.required_segments). */
int mmr_user_mfa_required(mmr_store *st, const mmr_actor *who, bool *required, mmr_error *err);
/* Enrol TOTP: `secret` (base32) becomes the user's once `code` proves the
 * authenticator holds it. */
int mmr_user_totp_enrol(mmr_store *st, const mmr_actor *who, const char *secret, const char *code,
			int64_t now, mmr_error *err);

/* Unlock an account (administrators). */
int mmr_user_unlock(mmr_store *st, const char *tenant, int64_t user_id, mmr_error *err);

/* ---- administration --------------------------------------------------------- */

/* Back up the database at `target` to `file` (SQLite: online backup API, the
 * file must not exist; PostgreSQL: pg_dump custom format). */
int mmr_store_backup(const char *target, const char *file, mmr_error *err);
/* Restore `file` into `target` (SQLite: replaces the database's content;
 * PostgreSQL: pg_restore --clean in one transaction). */
int mmr_store_restore(const char *target, const char *file, mmr_error *err);

/* Create the five bodies of the seeds with a realistic organisation, people
 * for the roles their policies name, systems in each segment and a few
 * hundred assets. Sign-ins go to `report` (login, role, password) — one
 * demo password for all, printed, never stored in clear. */
typedef void (*mmr_demo_report_fn)(void *ud, const char *tenant, const char *login,
				   const char *role_name, const char *password);
int mmr_store_demo(mmr_store *st, mmr_demo_report_fn report, void *ud, mmr_error *err);

/* ---- import and export --------------------------------------------------------- */

typedef void (*mmr_import_progress_fn)(void *ud, size_t rows_done);

/* Import a CSV (UTF-8 with or without BOM, or CP932) into ledger `kind`
 * ("assets", "systems", "users") as `who`: all rows or none. On bad rows,
 * MMR_EINVAL and *errors = [{"row","column","field","error"}…] (caller
 * decrefs); on success *imported rows. Columns: see import.c. */
int mmr_import_csv(mmr_store *st, const mmr_actor *who, const char *kind, const char *buf,
		   size_t len, mmr_import_progress_fn progress, void *ud, json_t **errors,
		   size_t *imported, mmr_error *err);
/* Export what `who` sees of ledger `kind` to `path` ("csv": UTF-8 with BOM
 * for Excel; "xlsx"). The file must not exist. */
int mmr_export(mmr_store *st, const mmr_actor *who, const char *kind, const char *format,
	       const char *path, size_t *rows, mmr_error *err);

/* UTC now as "YYYY-MM-DDTHH:MM:SS.mmmZ". */
void mmr_now_iso(char buf[32]);

#endif
