/*
 * zonecheck.c — the three-layer check kept per tenant (zonecheck.h).
 */
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit.h"
#include "store/store_int.h"
#include "store/zonecheck.h"
#include "zones/zones.h"

static void sha256_hex(const char *buf, size_t len, char out[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int n = 0;
	EVP_Digest(buf, len, md, &n, EVP_sha256(), NULL);
	for (unsigned i = 0; i < n && i < 32; i++)
		snprintf(out + 2 * i, 3, "%02x", md[i]);
	out[64] = '\0';
}

static bool may_check(const mmr_actor *who)
{
	return who->admin || who->system;
}

static bool may_see(const mmr_actor *who)
{
	return who->admin || who->system || who->auditor;
}

int mmr_zonecheck_run(mmr_store *st, const mmr_actor *who, const char *zones_name,
		      const char *zones_yaml, size_t zones_len, const char *rules_name,
		      const char *rules, size_t rules_len, json_t **out, mmr_error *err)
{
	*out = NULL;
	if (!may_check(who)) {
		mmr_error_set(err, MMR_EDENIED,
			      "三層分離の確認は管理者と情報システムの担当者が行います");
		return MMR_EDENIED;
	}
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, who->tenant, &pol, err);
	if (rc)
		return rc;
	json_t *result = NULL;
	char *svg = NULL;
	if ((rc = mmr_zones_check(pol, zones_name, zones_yaml, zones_len, rules_name, rules,
				  rules_len, NULL, 0, &result, &svg, err)))
		return rc;
	bool clean = json_is_true(json_object_get(result, "clean"));
	size_t violations = json_array_size(json_object_get(result, "violations"));
	char zsum[65], rsum[65], now[32];
	sha256_hex(zones_yaml, zones_len, zsum);
	sha256_hex(rules, rules_len, rsum);
	mmr_now_iso(now);
	char *text = json_dumps(result, JSON_COMPACT);
	static const char ins[] =
		"INSERT INTO zone_checks (tenant, checked_by, zones_name, rules_name, "
		"zones_sha256, "
		"rules_sha256, clean, violations, result, svg, created_at) VALUES ($1, $2, $3, $4, "
		"$5, $6, $7, $8, $9, $10, $11) RETURNING id";
	int64_t id = 0;
	mmr_stmt *s;
	if (!text || !svg) {
		rc = MMR_ENOMEM;
		mmr_error_set(err, rc, "メモリが足りません");
	} else if (!(rc = mmr_db_begin(st->db, err))) {
		if (!(rc = mmr_db_prepare(st->db, ins, &s, err))) {
			mmr_stmt_text(s, 1, who->tenant);
			if (who->user_id)
				mmr_stmt_int(s, 2, who->user_id);
			else
				mmr_stmt_null(s, 2);
			mmr_stmt_text(s, 3, zones_name);
			mmr_stmt_text(s, 4, rules_name);
			mmr_stmt_text(s, 5, zsum);
			mmr_stmt_text(s, 6, rsum);
			mmr_stmt_int(s, 7, clean);
			mmr_stmt_int(s, 8, (int64_t)violations);
			mmr_stmt_text(s, 9, text);
			mmr_stmt_text(s, 10, svg);
			mmr_stmt_text(s, 11, now);
			rc = mmr_stmt_step(s, err);
			if (rc == MMR_DB_ROW) {
				id = mmr_col_int(s, 0);
				rc = MMR_OK;
			}
			mmr_stmt_reset(s);
		}
		json_t *rec = json_pack("{s:s, s:s, s:s, s:s, s:b, s:I}", "zones", zones_name,
					"zones_sha256", zsum, "rules", rules_name, "rules_sha256",
					rsum, "clean", clean, "violations", (json_int_t)violations);
		if (!rc)
			rc = mmr_audit_record(st, who, "zones.check", "zone_checks", id, NULL, rec,
					      NULL, err);
		json_decref(rec);
		rc = mmr_db_end(st->db, rc, err);
	}
	free(text);
	free(svg);
	if (rc) {
		json_decref(result);
		return rc;
	}
	*out = json_pack("{s:I, s:b, s:I, s:s, s:o}", "id", (json_int_t)id, "clean", clean,
			 "violations", (json_int_t)violations, "created_at", now, "result", result);
	return MMR_OK;
}

int mmr_zonecheck_list(mmr_store *st, const mmr_actor *who, json_t **out, mmr_error *err)
{
	*out = NULL;
	if (!may_see(who)) {
		mmr_error_set(err, MMR_EDENIED, "三層分離の確認結果は管理者と監査人が見られます");
		return MMR_EDENIED;
	}
	static const char q[] = "SELECT id, clean, violations, zones_name, rules_name, created_at "
				"FROM zone_checks WHERE tenant = $1 ORDER BY id DESC LIMIT 100";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	json_t *items = json_array();
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW)
		json_array_append_new(items, json_pack("{s:I, s:b, s:I, s:s, s:s, s:s}", "id",
						       (json_int_t)mmr_col_int(s, 0), "clean",
						       (int)mmr_col_int(s, 1), "violations",
						       (json_int_t)mmr_col_int(s, 2), "zones_name",
						       mmr_col_text(s, 3), "rules_name",
						       mmr_col_text(s, 4), "created_at",
						       mmr_col_text(s, 5)));
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o}", "items", items);
	return MMR_OK;
}

static int fetch(mmr_store *st, const mmr_actor *who, int64_t id, bool want_svg, json_t **out,
		 char **svg, mmr_error *err)
{
	if (!may_see(who)) {
		mmr_error_set(err, MMR_EDENIED, "三層分離の確認結果は管理者と監査人が見られます");
		return MMR_EDENIED;
	}
	static const char q[] = "SELECT id, clean, violations, zones_name, rules_name, created_at, "
				"zones_sha256, rules_sha256, result, svg FROM zone_checks "
				"WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, id);
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_ROW) {
		if (want_svg) {
			*svg = strdup(mmr_col_text(s, 9));
		} else {
			json_t *res = json_loads(mmr_col_text(s, 8), 0, NULL);
			*out = json_pack("{s:I, s:b, s:I, s:s, s:s, s:s, s:s, s:s, s:o}", "id",
					 (json_int_t)mmr_col_int(s, 0), "clean",
					 (int)mmr_col_int(s, 1), "violations",
					 (json_int_t)mmr_col_int(s, 2), "zones_name",
					 mmr_col_text(s, 3), "rules_name", mmr_col_text(s, 4),
					 "created_at", mmr_col_text(s, 5), "zones_sha256",
					 mmr_col_text(s, 6), "rules_sha256", mmr_col_text(s, 7),
					 "result", res ? res : json_object());
		}
	}
	mmr_stmt_reset(s);
	if (rc == MMR_DB_DONE) {
		mmr_error_set(err, MMR_ENOTFOUND, "確認結果 %" PRId64 " はありません", id);
		return MMR_ENOTFOUND;
	}
	return rc == MMR_DB_ROW ? MMR_OK : rc;
}

int mmr_zonecheck_get(mmr_store *st, const mmr_actor *who, int64_t id, json_t **out, mmr_error *err)
{
	*out = NULL;
	return fetch(st, who, id, false, out, NULL, err);
}

int mmr_zonecheck_svg(mmr_store *st, const mmr_actor *who, int64_t id, char **svg, mmr_error *err)
{
	*svg = NULL;
	int rc = fetch(st, who, id, true, NULL, svg, err);
	if (!rc && !*svg) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	return rc;
}
