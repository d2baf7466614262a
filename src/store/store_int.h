/* store_int.h — what the store's files share. */
#ifndef MMR_STORE_INT_H
#define MMR_STORE_INT_H

#include <jansson.h>
#include <limits.h>
#include <stdint.h>

#include "store/store.h"

#define MMR_STORE_MAX_TENANTS 256

struct mmr_tenant_entry {
	char id[65];
	mmr_policy *pol;
};

struct mmr_store {
	mmr_db *db;
	char policy_dir[PATH_MAX];
	struct mmr_tenant_entry tenants[MMR_STORE_MAX_TENANTS];
	size_t n_tenants;
	struct mmr_audit_cache *audit; /* audit.c: right edges of recent logs; NULL until used */
	/* standalone appends (outside a transaction) go through this group
	 * commit when set (mmr_audit_group_attach; not owned) */
	struct mmr_audit_group *group;
	/* a SQLite bulk import is running: its one transaction is all or
	 * nothing, so a row needs no savepoint of its own (see import.c) */
	bool bulk;
};

/* err = "[field] message" */
void mmr_field_error(mmr_error *err, int code, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* The parent unit of `unit` (its department), 0 when none or unknown. */
int64_t mmr_unit_parent(mmr_store *st, const char *tenant, int64_t unit);

/* The calendar day in Japan ("YYYY-MM-DD") of Unix time t plus `days`: the
 * day a city hall counts due dates by. */
void mmr_jst_day(int64_t t, long days, char out[16]);

/* o[k] as an integer (0 when absent or not one) / as a string (NULL). */
static inline int64_t mmr_jint(const json_t *o, const char *k)
{
	json_t *v = json_object_get(o, k);
	return json_is_integer(v) ? (int64_t)json_integer_value(v) : 0;
}
static inline const char *mmr_jstr(const json_t *o, const char *k)
{
	return json_string_value(json_object_get(o, k));
}

/* Add one user_roles row to *actor (a role the profile lacks grants nothing). */
void mmr_actor_add_role(const mmr_policy *pol, mmr_actor *actor, const char *role,
			const char *scope, int64_t scope_id);

/* How many rows a tenant's ledger holds (kind: "assets", …), as kept by the
 * triggers of migration 0007: no count over the rows. */
int mmr_ledger_total(mmr_store *st, const char *tenant, const char *kind, int64_t *n,
		     mmr_error *err);

/* Whether the actor sees the whole body (administrators, auditors, roles
 * with a body-wide scope): ledgers, answers, the dashboard's figures. */
static inline bool mmr_actor_sees_all(const mmr_actor *who)
{
	return who->admin || who->auditor || who->body_scope;
}

/* Create many rows of one ledger at once (the CSV import; assets, systems,
 * devices): every object is validated first, each refused one reported
 * through bad(ud, i, err), and nothing is written unless all are good (then
 * MMR_EINVAL). With `write`, the rows, their classes and one audit leaf each
 * are written inside the caller's transaction (in a savepoint): on
 * PostgreSQL in multi-row statements. The objects may be changed
 * (normalised). A failure while writing (a uniqueness conflict the
 * validation cannot see) undoes the writing and returns its code; the caller
 * may then create the rows one by one to name the row. */
typedef void (*mmr_bulk_bad_fn)(void *ud, size_t i, const mmr_error *err);
int mmr_ledger_create_many(mmr_store *st, const mmr_actor *who, const char *kind,
			   json_t *const *objs, size_t n, bool write, mmr_bulk_bad_fn bad, void *ud,
			   mmr_import_progress_fn progress, void *pud, mmr_error *err);

/* The same written while the objects still come (the CSV import on
 * PostgreSQL: the server inserts the rows while the caller reads and checks
 * the next ones). mmr_ledger_bulk_open (PostgreSQL, inside the caller's
 * transaction; `expect`: a bound on the objects to come, for which ids are
 * taken at once — ids beyond the objects given stay unused) answers a handle
 * that mmr_ledger_bulk_close frees. mmr_ledger_bulk_add validates `obj` as
 * mmr_ledger_create_many does (normalising it; a reference is kept until it
 * is written):
 * MMR_OK when it is good, its refusal (err filled: MMR_EINVAL, MMR_ELIMIT,
 * MMR_EDENIED) — after which nothing more is written and what was is undone,
 * but later objects are still checked — or MMR_ENOMEM / MMR_EIO to stop.
 * While every object is good, they are written a piece at a time inside a
 * savepoint, by a COPY that the checks' queries may pause. mmr_ledger_bulk_
 * close with `write` writes the rest, the assets' classes and one audit leaf
 * each and answers MMR_OK, or undoes the writing and answers why: an object
 * was refused, or a failure only the database saw (a name already taken) —
 * the caller may then create the objects one by one to name the row.
 * Without `write` it undoes the writing. */
typedef struct mmr_bulk mmr_bulk;
int mmr_ledger_bulk_open(mmr_store *st, const mmr_actor *who, const char *kind, size_t expect,
			 mmr_import_progress_fn progress, void *pud, mmr_bulk **out,
			 mmr_error *err);
int mmr_ledger_bulk_add(mmr_bulk *b, json_t *obj, mmr_error *err);
/* Nothing more is written, what was is undone (the caller found a bad row
 * of its own); later objects are still checked by mmr_ledger_bulk_add. */
void mmr_ledger_bulk_stop(mmr_bulk *b);
int mmr_ledger_bulk_close(mmr_bulk *b, bool write, mmr_error *err);

#endif
