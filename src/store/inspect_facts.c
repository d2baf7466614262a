/*
 * inspect_facts.c — facts mamori already holds that answer inspection items
 * by themselves. One function per fact, one row per fact in mmr_facts[]:
 * adding a fact is adding a row (its clause finder and its evaluation).
 * A fact counts the records that break the item for one section (unit > 0:
 * the records of that unit) or for the whole body (unit 0).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/inspect_int.h"

/* ---- clause finders (on mmr_policy_describe_json's JSON) ---- */

static const char *rule_clause(json_t *r)
{
	return json_string_value(json_object_get(json_object_get(r, "citation"), "clause"));
}

static const char *first_axis_clause(json_t *d)
{
	size_t i;
	json_t *a;
	json_array_foreach (json_object_get(d, "axes"), i, a) {
		const char *c = json_string_value(json_object_get(a, "clause"));
		if (c && *c)
			return c;
	}
	return NULL;
}

static const char *role_clause(json_t *d, const char *role)
{
	size_t i;
	json_t *r;
	json_array_foreach (json_object_get(d, "roles"), i, r)
		if (!strcmp(json_string_value(json_object_get(r, "id")), role))
			return json_string_value(json_object_get(r, "clause"));
	return NULL;
}

static const char *system_manager_clause(json_t *d)
{
	return role_clause(d, "system_manager");
}

static const char *csirt_clause(json_t *d)
{
	return role_clause(d, "csirt");
}

/* The first rule whose condition names context key `key`. */
static const char *rule_with_context(json_t *d, const char *key)
{
	size_t i;
	json_t *r;
	json_array_foreach (json_object_get(d, "rules"), i, r) {
		json_t *w = json_object_get(json_object_get(r, "when"), "context");
		json_t *u = json_object_get(json_object_get(r, "unless"), "context");
		if (json_object_get(w, key) || json_object_get(u, key))
			return rule_clause(r);
	}
	return NULL;
}

static const char *mfa_clause(json_t *d)
{
	return rule_with_context(d, "mfa");
}

/* The first rule on an action whose id contains `part`. */
static const char *rule_with_action(json_t *d, const char *part)
{
	size_t i, j;
	json_t *r, *a;
	json_array_foreach (json_object_get(d, "rules"), i, r)
		json_array_foreach (json_object_get(r, "actions"), j, a)
			if (strstr(json_string_value(a), part))
				return rule_clause(r);
	return NULL;
}

static const char *takeout_clause(json_t *d)
{
	const char *c = rule_with_action(d, "takeout");
	return c ? c : rule_with_action(d, "take_out");
}

static const char *exception_clause(json_t *d)
{
	return rule_with_action(d, "policy.exception");
}

/* ---- evaluations ---- */

/* Count the rows of `sql` (bound to tenant and unit) and keep the first few
 * as evidence of `kind` (columns: id, title). */
static int count_rows(mmr_store *st, const char *sql, const char *tenant, int64_t unit,
		      struct mmr_iparam extra, const char *kind, struct mmr_fact_result *r,
		      mmr_error *err)
{
	mmr_stmt *s;
	int rc = mmr_iq_prepare(st->db, sql, IPARAMS(IP_S(tenant), IP_I(unit), extra), &s, err);
	if (rc)
		return rc;
	r->available = true;
	r->evidence = json_array();
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		if (r->count++ < MMR_FACT_EVIDENCE) {
			char ref[32];
			snprintf(ref, sizeof ref, "%" PRId64, mmr_col_int(s, 0));
			json_array_append_new(r->evidence,
					      json_pack("{s:s, s:s, s:s}", "kind", kind, "ref", ref,
							"title", mmr_col_text(s, 1)));
		}
	}
	mmr_stmt_reset(s);
	return rc == MMR_DB_DONE ? MMR_OK : rc;
}

/* Assets without a level on every axis of the profile. */
static int assets_unclassified(mmr_store *st, const char *tenant, int64_t unit,
			       struct mmr_fact_result *r, mmr_error *err)
{
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, tenant, &pol, err);
	if (rc)
		return rc;
	static const char q[] =
		"SELECT a.id, a.name FROM assets a WHERE a.tenant = $1 AND (CAST($2 AS BIGINT) = 0 "
		"OR a.unit_id = CAST($2 AS BIGINT)) AND (SELECT count(*) FROM asset_classes c "
		"WHERE "
		"c.tenant = $1 AND c.asset_id = a.id) < CAST($3 AS BIGINT) ORDER BY a.id";
	return count_rows(st, q, tenant, unit, IP_I(mmr_policy_axis_count(pol)), "asset", r, err);
}

/* Systems with no 情報システム管理者. */
static int systems_no_manager(mmr_store *st, const char *tenant, int64_t unit,
			      struct mmr_fact_result *r, mmr_error *err)
{
	static const char q[] =
		"SELECT id, name FROM systems WHERE tenant = $1 AND (CAST($2 AS BIGINT) = 0 OR "
		"unit_id = CAST($2 AS BIGINT)) AND manager_id IS NULL AND CAST($3 AS BIGINT) = 0 "
		"ORDER BY id";
	return count_rows(st, q, tenant, unit, IP_I(0), "system", r, err);
}

/* Accounts the profile requires MFA of (mfa.required_roles / _segments) that
 * have no authenticator enrolled. */
static int users_mfa_missing(mmr_store *st, const char *tenant, int64_t unit,
			     struct mmr_fact_result *r, mmr_error *err)
{
	static const char q[] =
		"SELECT id, login FROM users WHERE tenant = $1 AND (CAST($2 AS BIGINT) = 0 OR "
		"unit_id = CAST($2 AS BIGINT)) AND totp_secret IS NULL ORDER BY id";
	json_t *rows;
	int rc = mmr_iq_rows(st->db, q, IPARAMS(IP_S(tenant), IP_I(unit)), "id:i,login:s", &rows,
			     err);
	if (rc)
		return rc;
	r->available = true;
	r->evidence = json_array();
	size_t i;
	json_t *u;
	json_array_foreach (rows, i, u) {
		mmr_actor a;
		bool required = false;
		int64_t id = json_integer_value(json_object_get(u, "id"));
		if ((rc = mmr_actor_load(st, tenant, id, &a, err)) ||
		    (rc = mmr_user_mfa_required(st, &a, &required, err)))
			break;
		if (!required)
			continue;
		if (r->count++ < MMR_FACT_EVIDENCE) {
			char ref[32];
			snprintf(ref, sizeof ref, "%" PRId64, id);
			json_array_append_new(r->evidence,
					      json_pack("{s:s, s:s, s:O}", "kind", "user", "ref",
							ref, "title", json_object_get(u, "login")));
		}
	}
	json_decref(rows);
	return rc;
}

/* Take-outs (持ち出し) carried out and not returned by their due date. */
static int takeouts_overdue(mmr_store *st, const char *tenant, int64_t unit,
			    struct mmr_fact_result *r, mmr_error *err)
{
	static const char q[] =
		"SELECT id, title FROM applications WHERE tenant = $1 AND (CAST($2 AS BIGINT) = 0 "
		"OR unit_id = CAST($2 AS BIGINT)) AND state = 'active' AND due_on IS NOT NULL AND "
		"due_on < $3 ORDER BY id";
	char today[16];
	mmr_jst_day((int64_t)time(NULL), 0, today);
	return count_rows(st, q, tenant, unit, IP_S(today), "application", r, err);
}

/* Exceptions (例外措置) still granted after the day they end. */
static int exceptions_expired(mmr_store *st, const char *tenant, int64_t unit,
			      struct mmr_fact_result *r, mmr_error *err)
{
	static const char q[] =
		"SELECT e.application_id, e.scope FROM exceptions e WHERE e.tenant = $1 AND "
		"(CAST($2 AS BIGINT) = 0 OR e.unit_id = CAST($2 AS BIGINT)) AND e.state = "
		"'granted' AND e.ends_on < $3 AND (e.reviewed_at IS NULL OR "
		"substr(e.reviewed_at, 1, 10) <= e.ends_on) ORDER BY e.id";
	char today[16];
	mmr_jst_day((int64_t)time(NULL), 0, today);
	return count_rows(st, q, tenant, unit, IP_S(today), "application", r, err);
}

/* The latest three-layer check (mamori zones, kept from the web or the API)
 * found violations; no check at all is "not available" (nothing to count). */
static int zones_violations(mmr_store *st, const char *tenant, int64_t unit,
			    struct mmr_fact_result *r, mmr_error *err)
{
	(void)unit; /* the firewall is the body's, not a section's */
	static const char q[] = "SELECT id, violations FROM zone_checks WHERE tenant = $1 "
				"ORDER BY id DESC LIMIT 1";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_ROW) {
		char ref[32], title[96];
		snprintf(ref, sizeof ref, "%" PRId64, mmr_col_int(s, 0));
		snprintf(title, sizeof title, "三層の分離の確認 %s（違反 %" PRId64 " 件）", ref,
			 mmr_col_int(s, 1));
		r->available = true;
		r->count = mmr_col_int(s, 1);
		r->evidence =
			json_pack("[{s:s, s:s, s:s}]", "kind", "zones", "ref", ref, "title", title);
	} else {
		r->available = false;
	}
	mmr_stmt_reset(s);
	return rc == MMR_DB_ROW || rc == MMR_DB_DONE ? MMR_OK : rc;
}

/* The clause the profile gives for the separation of the segments. */
static const char *zones_clause(json_t *d)
{
	const char *c = rule_with_context(d, "to_segment");
	return c ? c : rule_with_context(d, "from_segment");
}

/* Incidents closed without ever reaching the prevention step (再発防止), by
 * the section of the person who reported them. */
static int incidents_no_prevention(mmr_store *st, const char *tenant, int64_t unit,
				   struct mmr_fact_result *r, mmr_error *err)
{
	static const char q[] =
		"SELECT i.id, i.title FROM incidents i LEFT JOIN users u ON u.tenant = i.tenant "
		"AND "
		"u.id = i.reporter_id WHERE i.tenant = $1 AND (CAST($2 AS BIGINT) = 0 OR u.unit_id "
		"= CAST($2 AS BIGINT)) AND i.state = 'closed' AND CAST($3 AS BIGINT) = 0 AND NOT "
		"EXISTS (SELECT 1 FROM incident_events e WHERE e.tenant = i.tenant AND "
		"e.incident_id = i.id AND e.to_state = 'prevention') ORDER BY i.id";
	return count_rows(st, q, tenant, unit, IP_I(0), "incident", r, err);
}

const struct mmr_fact mmr_facts[] = {
	{"assets.unclassified", "分類の欠けた情報資産",
	 "情報資産をすべて分類し、台帳に記録しているか。", first_axis_clause, assets_unclassified},
	{"systems.no_manager", "情報システム管理者のいない情報システム",
	 "情報システムごとに情報システム管理者を定めているか。", system_manager_clause,
	 systems_no_manager},
	{"users.mfa_missing", "多要素認証が必要なのに未登録の利用者",
	 "多要素認証が必要な利用者が、認証器を登録しているか。", mfa_clause, users_mfa_missing},
	{"takeouts.overdue", "返却期限を過ぎた持ち出し",
	 "情報資産・端末の持ち出しを、返却期限までに返却させているか。", takeout_clause,
	 takeouts_overdue},
	{"exceptions.expired", "期限を過ぎても許可されたままの例外措置",
	 "例外措置を期限で終え、見直しているか。", exception_clause, exceptions_expired},
	{"incidents.no_prevention", "再発防止策を経ずに閉じたインシデント",
	 "インシデントごとに再発防止策を講じているか。", csirt_clause, incidents_no_prevention},
	{"zones.violations", "ファイアウォールの規則が許す三層分離の違反",
	 "マイナンバー利用事務系・LGWAN接続系・インターネット接続系の分離が、ファイアウォールの規則"
	 "で"
	 "守られているか（最新の確認結果）。",
	 zones_clause, zones_violations},
};
const size_t mmr_n_facts = sizeof mmr_facts / sizeof mmr_facts[0];

const struct mmr_fact *mmr_fact_find(const char *id)
{
	for (size_t i = 0; id && i < mmr_n_facts; i++)
		if (!strcmp(mmr_facts[i].id, id))
			return &mmr_facts[i];
	return NULL;
}

int mmr_inspect_facts(mmr_store *st, const mmr_actor *who, int64_t unit, json_t **out,
		      mmr_error *err)
{
	json_t *a = json_array();
	for (size_t i = 0; i < mmr_n_facts; i++) {
		struct mmr_fact_result r = {0};
		int rc = mmr_facts[i].eval(st, who->tenant, unit, &r, err);
		if (rc) {
			json_decref(r.evidence);
			json_decref(a);
			return rc;
		}
		json_array_append_new(a, json_pack("{s:s, s:s, s:b, s:I, s:o}", "fact",
						   mmr_facts[i].id, "label", mmr_facts[i].label,
						   "available", r.available, "count",
						   (json_int_t)r.count, "evidence",
						   r.evidence ? r.evidence : json_array()));
	}
	*out = a;
	return MMR_OK;
}
