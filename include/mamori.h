/*
 * mamori.h — the embedding API of libmamori, the policy decision point.
 *
 * A program that must ask "may this person do this with this asset?" links
 * libmamori, loads a body's policy profile once, and then decides requests in
 * memory:
 *
 *     mmr_policy *pol; mmr_error err;
 *     if (mmr_policy_load("policy/toyohashi.yaml", &pol, &err) != MMR_OK)
 *         die(err.message);                 // names file:line:column
 *     mmr_request *req;
 *     if (mmr_request_parse(pol, json, len, &req, &err) != MMR_OK)
 *         reject(err.message);              // names the bad field and value
 *     mmr_decision *d = mmr_decision_new();
 *     mmr_decide(pol, req, d);
 *     char *out = mmr_decision_json(pol, d); // the contract of DESIGN.md
 *     ...
 *     free(out); mmr_decision_free(d); mmr_request_free(req); mmr_policy_free(pol);
 *
 * Handles are opaque. A loaded policy is immutable: any number of threads may
 * decide against it at once, each with its own request and decision.
 * Nothing here prints, exits, touches the network or a database.
 */
#ifndef MAMORI_H
#define MAMORI_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/* The one error convention: functions that can fail return one of these. */
enum mmr_code {
	MMR_OK = 0,
	MMR_EINVAL = 1,	   /* bad input: profile, request, argument */
	MMR_ENOMEM = 2,	   /* out of memory */
	MMR_EIO = 3,	   /* a file could not be read */
	MMR_ENOTFOUND = 4, /* a named thing does not exist */
	MMR_EDENIED = 5,   /* refused by policy */
	MMR_ELIMIT = 6,	   /* input exceeds a fixed limit */
	MMR_ECONFLICT = 7, /* the thing exists already / a newer state exists */
	MMR_EAUTH = 8,	   /* not signed in, or bad credentials */
	MMR_ELOCKED = 9	   /* the account is locked */
};

/* Filled by a failing call: code plus one human-readable line that names the
 * place (file:line:column or JSON path) and what is wrong. */
typedef struct mmr_error {
	int code;
	char message[1024];
} mmr_error;

/* The English code name of an mmr_code ("EINVAL"), for messages. */
const char *mmr_code_name(int code);

/* Fill err (if non-NULL) with code and a formatted message; modules built on
 * libmamori use it so that every error reads the same. */
void mmr_error_set(mmr_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

enum mmr_effect { MMR_PERMIT = 0, MMR_DENY = 1, MMR_NEEDS_APPROVAL = 2 };

/* "permit", "deny" or "needs_approval". */
const char *mmr_effect_name(int effect);

typedef struct mmr_policy mmr_policy;
typedef struct mmr_request mmr_request;
typedef struct mmr_decision mmr_decision;

/* ---- policies ----------------------------------------------------------- */

/* Load and compile the profile at `path`, following `extends:` to base
 * profiles in the same directory. On success *out owns everything; free it
 * with mmr_policy_free(). On failure *out is NULL and err names the first
 * problem as "file:line:column: message". */
int mmr_policy_load(const char *path, mmr_policy **out, mmr_error *err);

/* As mmr_policy_load, from memory. `name` is used in messages; `base_dir`
 * (may be NULL) is where `extends:` looks for base profiles. */
int mmr_policy_load_buffer(const char *name, const char *yaml, size_t len, const char *base_dir,
			   mmr_policy **out, mmr_error *err);

void mmr_policy_free(mmr_policy *pol);

/* The profile id ("toyohashi"); owned by the policy. */
const char *mmr_policy_id(const mmr_policy *pol);

/* Lint the profile at `path`: everything the loader refuses, plus citations
 * whose text does not occur in their source document and rules that
 * contradict each other for the same conditions. Calls `report` once per
 * problem (file, 1-based line and column, message) and returns how many
 * there were (0: clean), or -1 if `path` itself could not be read. */
typedef void (*mmr_report_fn)(void *ud, const char *file, int line, int col, const char *message);
int mmr_policy_check(const char *path, mmr_report_fn report, void *ud);

/* A JSON description of the policy (roles, axes with levels, definitions
 * and handling restrictions, segments, obligations, settings, rules with
 * citations). With axis and level non-NULL, only that level and the rules
 * that apply at it. Returns a malloc'd string the caller frees with free(),
 * or NULL with err filled (unknown axis or level). */
char *mmr_policy_describe_json(const mmr_policy *pol, const char *axis, const char *level,
			       mmr_error *err);

/* An integer setting ("lockout.threshold", "password.min_length",
 * "session.idle_timeout_minutes", …). MMR_ENOTFOUND when not set. */
int mmr_policy_setting_int(const mmr_policy *pol, const char *key, long *out);

/* A list setting ("password.require", "mfa.required_segments"): up to `max`
 * of its items into `items` (strings owned by the policy) and the number of
 * items the setting holds into *n (may exceed max; only max are stored).
 * An empty list is set (MMR_OK, *n = 0). MMR_ENOTFOUND when not set or not a
 * list setting. */
int mmr_policy_setting_list(const mmr_policy *pol, const char *key, const char **items, size_t max,
			    size_t *n);

/* ---- introspection: roles, axes, levels ------------------------------------ */

/* What a role may do in the ledgers (who may edit what), set per role in the
 * profile with `access:`. Decisions about governed actions are the rules';
 * this is only the role matrix of the ledgers. */
#define MMR_ACCESS_ADMIN "admin"     /* the whole body: every ledger, units, users */
#define MMR_ACCESS_MANAGER "manager" /* the assets and devices of the units in scope */
#define MMR_ACCESS_SYSTEM "system"   /* the systems in scope and their assets */
#define MMR_ACCESS_AUDITOR "auditor" /* reads everything in the body, changes nothing */
#define MMR_ACCESS_STAFF "staff"     /* reads what the own unit holds (the default) */

size_t mmr_policy_role_count(const mmr_policy *pol);
/* The i-th role (0-based, profile order): id, Japanese name, access class
 * (one of MMR_ACCESS_*, never NULL). Strings live as long as the policy.
 * MMR_ENOTFOUND when i is out of range. */
int mmr_policy_role_at(const mmr_policy *pol, size_t i, const char **id, const char **name,
		       const char **access);
/* The same by role id; MMR_ENOTFOUND for an unknown role. */
int mmr_policy_role_find(const mmr_policy *pol, const char *id, const char **name,
			 const char **access);

size_t mmr_policy_axis_count(const mmr_policy *pol);
/* The i-th classification axis: id and Japanese name, and how many levels
 * (levels are ordered highest first). */
int mmr_policy_axis_at(const mmr_policy *pol, size_t i, const char **id, const char **name,
		       size_t *n_levels);
/* Level j (0 = highest) of axis i: canonical id and Japanese name. */
int mmr_policy_level_at(const mmr_policy *pol, size_t i, size_t j, const char **id,
			const char **name);
/* Resolve a level as a user writes it ("3A", "Ⅰ", "I", full-width …) on the
 * axis named `axis` to its canonical id and rank (0 = highest).
 * MMR_ENOTFOUND for an unknown axis or level. */
int mmr_policy_level_resolve(const mmr_policy *pol, const char *axis, const char *text,
			     const char **id, size_t *rank);
/* The k-th handling restriction (取扱制限) of level j of axis i, or NULL
 * past the last. */
const char *mmr_policy_level_restriction(const mmr_policy *pol, size_t i, size_t j, size_t k);

/* Whether `id` is declared in the profile as a `what` ("kind", "segment",
 * "role", "action", "obligation"); its Japanese name in *name if non-NULL.
 * MMR_ENOTFOUND when not, MMR_EINVAL for an unknown `what`. */
int mmr_policy_vocab_find(const mmr_policy *pol, const char *what, const char *id,
			  const char **name);
/* The i-th entry of a vocabulary, as above; MMR_ENOTFOUND past the end. */
int mmr_policy_vocab_at(const mmr_policy *pol, const char *what, size_t i, const char **id,
			const char **name);

/* ---- requests ------------------------------------------------------------ */

/* Parse one JSON request (the contract of DESIGN.md) against `pol`: every
 * action, role, kind, axis, level, segment and context key must be known to
 * the policy. On failure err names the JSON path and quotes the bad value.
 * Free the request with mmr_request_free(). */
int mmr_request_parse(const mmr_policy *pol, const char *json, size_t len, mmr_request **out,
		      mmr_error *err);
void mmr_request_free(mmr_request *req);

/* ---- decisions ----------------------------------------------------------- */

mmr_decision *mmr_decision_new(void);
void mmr_decision_free(mmr_decision *d);

/* Decide `req` under `pol` into `d` (overwritten). Allocation-free; returns
 * the effect. */
int mmr_decide(const mmr_policy *pol, const mmr_request *req, mmr_decision *d);

int mmr_decision_effect(const mmr_decision *d);

/* The decision as JSON: effect, approvers, obligations, rules, citations
 * (clause, text, document), reason (one Japanese sentence or two).
 * malloc'd; the caller frees with free(). NULL only when out of memory. */
char *mmr_decision_json(const mmr_policy *pol, const mmr_decision *d);
/* The same on one line, without indentation (for the wire: the HTTP API). */
char *mmr_decision_json_compact(const mmr_policy *pol, const mmr_decision *d);

#ifdef __cplusplus
}
#endif
#endif /* MAMORI_H */
