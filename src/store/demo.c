/*
 * demo.c — `mamori init --demo`: the five bodies of the seeds, each with its
 * own profile, an organisation, a person for every role its policy names,
 * systems in each segment and a few hundred assets, all created through the
 * same services as everything else (so every rule of the ledgers holds).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "store/incident.h"
#include "store/work.h"
#include "store/store_int.h"

#define DEMO_PASSWORD "Mamori-Demo-2026!"

static const struct {
	const char *id, *name, *profile;
	bool council;
} bodies[] = {
	{"tsuruoka", "鶴岡市", "tsuruoka.yaml", false},
	{"toyohashi", "豊橋市", "toyohashi.yaml", false},
	{"ibaraki-gikai", "茨城町議会", "ibaraki-gikai.yaml", true},
	{"meguro", "目黒区", "meguro.yaml", false},
	{"kameoka", "亀岡市", "kameoka.yaml", false},
};

static const struct {
	const char *dept;
	const char *sections[3];
} city_units[] =
	{
		{"総務部", {"総務課", "情報政策課", "人事課"}},
		{"市民部", {"市民課", "保険年金課", NULL}},
		{"健康福祉部", {"福祉課", "介護保険課", "健康増進課"}},
		{"財務部", {"税務課", "財政課", NULL}},
},
  council_units[] = {
	  {"議会事務局", {"議事係", "庶務係", NULL}},
};

static const struct {
	const char *name, *segment, *hosting, *unit;
} systems[] =
	{
		{"住民記録システム", "mynumber", "onprem", "市民課"},
		{"税務システム", "mynumber", "onprem", "税務課"},
		{"財務会計システム", "lgwan", "onprem", "財政課"},
		{"文書管理システム", "lgwan", "onprem", "総務課"},
		{"グループウェア", "lgwan", "cloud", "情報政策課"},
		{"ホームページ管理システム", "internet", "cloud", "情報政策課"},
		{"インターネットメール", "internet", "cloud", "情報政策課"},
},
  council_systems[] = {
	  {"会議録検索システム", "internet", "cloud", "議事係"},
	  {"議会事務局ファイルサーバ", "lgwan", "onprem", "庶務係"},
	  {"議会インターネット端末", "internet", "onprem", "庶務係"},
};

/* name, sensitivity (0 high, 1 middle, 2 low), segment, personal, specific */
static const struct {
	const char *name;
	int sens;
	const char *segment;
	bool personal, specific;
} assets[] = {
	{"住民基本台帳データ", 0, "mynumber", true, true},
	{"個人番号利用事務の申請書", 0, "mynumber", true, true},
	{"課税台帳", 0, "mynumber", true, true},
	{"国民健康保険被保険者台帳", 0, "mynumber", true, true},
	{"介護認定審査資料", 0, "lgwan", true, false},
	{"生活保護ケース記録", 0, "lgwan", true, false},
	{"職員人事記録", 0, "lgwan", true, false},
	{"入札予定価格調書", 0, "lgwan", false, false},
	{"庁内会議資料", 1, "lgwan", false, false},
	{"予算要求資料", 1, "lgwan", false, false},
	{"業務委託契約書", 1, "lgwan", false, false},
	{"情報システム設定資料", 1, "lgwan", false, false},
	{"ネットワーク構成図", 0, "lgwan", false, false},
	{"議事録（非公開部分）", 1, "lgwan", false, false},
	{"広報誌原稿", 2, "internet", false, false},
	{"ホームページ掲載資料", 2, "internet", false, false},
	{"公開済み統計データ", 2, "internet", false, false},
	{"イベント案内", 2, "internet", false, false},
	{"例規集", 2, "internet", false, false},
	{"問合せ対応記録", 1, "lgwan", true, false},
};

static int64_t find_unit(json_t *units, const char *name)
{
	json_t *v = json_object_get(units, name);
	return json_is_integer(v) ? json_integer_value(v) : 0;
}

static int create(mmr_store *st, const mmr_actor *sys, const char *kind, json_t *obj, int64_t *id,
		  mmr_error *err)
{
	json_t *out;
	int rc = mmr_ledger_create(st, sys, kind, obj, &out, err);
	json_decref(obj);
	if (rc)
		return rc;
	if (id)
		*id = json_integer_value(json_object_get(out, "id"));
	json_decref(out);
	return MMR_OK;
}

static int demo_body(mmr_store *st, size_t b, mmr_demo_report_fn report, void *ud, mmr_error *err)
{
	char path[PATH_MAX + 64];
	snprintf(path, sizeof path, "%s/%s", st->policy_dir, bodies[b].profile);
	int rc = mmr_tenant_add(st, bodies[b].id, bodies[b].name, path, err);
	if (rc)
		return rc;
	const mmr_policy *pol;
	if ((rc = mmr_tenant_policy(st, bodies[b].id, &pol, err)))
		return rc;
	mmr_actor sys;
	mmr_actor_system(&sys, bodies[b].id);
	json_t *units = json_object();
	size_t nu = bodies[b].council ? 1 : sizeof city_units / sizeof city_units[0];
	for (size_t i = 0; i < nu && !rc; i++) {
		const char *dept = bodies[b].council ? council_units[i].dept : city_units[i].dept;
		int64_t did;
		rc = create(st, &sys, "units",
			    json_pack("{s:s, s:s}", "name", dept, "kind", "department"), &did, err);
		if (rc)
			break;
		json_object_set_new(units, dept, json_integer(did));
		for (size_t j = 0; j < 3 && !rc; j++) {
			const char *sec = bodies[b].council ? council_units[i].sections[j]
							    : city_units[i].sections[j];
			if (!sec)
				continue;
			int64_t sid;
			rc = create(st, &sys, "units",
				    json_pack("{s:s, s:s, s:I}", "name", sec, "kind", "section",
					      "parent_id", (json_int_t)did),
				    &sid, err);
			if (!rc)
				json_object_set_new(units, sec, json_integer(sid));
		}
	}
	const char *home = bodies[b].council ? "庶務係" : "情報政策課";
	/* systems, in each segment the profile knows */
	size_t ns = bodies[b].council ? sizeof council_systems / sizeof council_systems[0]
				      : sizeof systems / sizeof systems[0];
	json_t *sys_ids = json_array();
	for (size_t i = 0; i < ns && !rc; i++) {
		const char *name = bodies[b].council ? council_systems[i].name : systems[i].name;
		const char *seg =
			bodies[b].council ? council_systems[i].segment : systems[i].segment;
		const char *host =
			bodies[b].council ? council_systems[i].hosting : systems[i].hosting;
		const char *unit = bodies[b].council ? council_systems[i].unit : systems[i].unit;
		json_t *o = json_pack("{s:s, s:s, s:I}", "name", name, "hosting", host, "unit_id",
				      (json_int_t)find_unit(units, unit));
		if (!mmr_policy_vocab_find(pol, "segment", seg, NULL))
			json_object_set_new(o, "segment", json_string(seg));
		int64_t id;
		rc = create(st, &sys, "systems", o, &id, err);
		if (!rc)
			json_array_append_new(sys_ids, json_pack("{s:I, s:s}", "id", (json_int_t)id,
								 "segment", seg));
	}
	/* a person for every role the policy names */
	for (size_t i = 0; i < mmr_policy_role_count(pol) && !rc; i++) {
		const char *role, *role_name, *access;
		mmr_policy_role_at(pol, i, &role, &role_name, &access);
		json_t *scope;
		if (!strcmp(access, MMR_ACCESS_MANAGER))
			scope = json_pack("{s:s, s:s, s:I}", "role", role, "scope", "unit",
					  "scope_id", (json_int_t)find_unit(units, home));
		else if (!strcmp(access, MMR_ACCESS_SYSTEM) && json_array_size(sys_ids))
			scope = json_pack(
				"{s:s, s:s, s:O}", "role", role, "scope", "system", "scope_id",
				json_object_get(
					json_array_get(sys_ids, json_array_size(sys_ids) - 2),
					"id"));
		else
			scope = json_pack("{s:s, s:s}", "role", role, "scope", "body");
		char login[80];
		snprintf(login, sizeof login, "%s", role);
		for (char *p = login; *p; p++)
			if (*p == '_')
				*p = '.';
		json_t *u =
			json_pack("{s:s, s:s, s:I, s:[o]}", "login", login, "name", role_name,
				  "unit_id", (json_int_t)find_unit(units, home), "roles", scope);
		int64_t uid;
		rc = create(st, &sys, "users", u, &uid, err);
		if (!rc)
			rc = mmr_user_set_password(st, bodies[b].id, uid, DEMO_PASSWORD, false,
						   err);
		if (!rc && report)
			report(ud, bodies[b].id, login, role_name, DEMO_PASSWORD);
	}
	/* a few hundred assets: each kind of record, for five fiscal years, in
	 * the sections that hold them */
	const char *secs[] = {"総務課", "情報政策課", "市民課", "保険年金課",
			      "福祉課", "介護保険課", "税務課", "財政課"};
	const char *csecs[] = {"議事係", "庶務係"};
	for (int year = 4; year <= 8 && !rc; year++) {
		for (size_t i = 0; i < sizeof assets / sizeof assets[0] && !rc; i++) {
			for (int copy = 0; copy < (bodies[b].council ? 1 : 3) && !rc; copy++) {
				json_t *cls = json_object();
				for (size_t a = 0; a < mmr_policy_axis_count(pol); a++) {
					const char *axis;
					size_t nl;
					mmr_policy_axis_at(pol, a, &axis, NULL, &nl);
					size_t rank = assets[i].sens == 0   ? 0
						      : assets[i].sens == 1 ? nl / 2
									    : nl - 1;
					if (a > 0 && assets[i].sens > 0)
						rank = nl - 1;
					const char *lid;
					mmr_policy_level_at(pol, a, rank, &lid, NULL);
					json_object_set_new(cls, axis, json_string(lid));
				}
				char name[200];
				snprintf(name, sizeof name, "%s（令和%d年度）%s", assets[i].name,
					 year, copy ? (copy == 1 ? " 第2分冊" : " 第3分冊") : "");
				const char *sec = bodies[b].council ? csecs[i % 2]
								    : secs[(i + (size_t)copy) % 8];
				json_t *o = json_pack(
					"{s:s, s:s, s:o, s:I, s:s, s:s, s:b, s:b, s:s}", "name",
					name, "kind", "information", "classification", cls,
					"unit_id", (json_int_t)find_unit(units, sec), "medium",
					assets[i].sens == 2 ? "電子データ" : "電子データ・紙",
					"retention", assets[i].sens == 0 ? "30年" : "5年",
					"personal", assets[i].personal, "specific_personal",
					assets[i].specific, "location", "庁舎内");
				if (!mmr_policy_vocab_find(pol, "segment", assets[i].segment, NULL))
					json_object_set_new(o, "segment",
							    json_string(assets[i].segment));
				rc = create(st, &sys, "assets", o, NULL, err);
			}
		}
	}
	json_decref(units);
	json_decref(sys_ids);
	return rc;
}

int mmr_store_demo(mmr_store *st, mmr_demo_report_fn report, void *ud, mmr_error *err)
{
	int rc = mmr_db_begin(st->db, err);
	if (rc)
		return rc;
	for (size_t b = 0; b < sizeof bodies / sizeof bodies[0] && !rc; b++)
		rc = demo_body(st, b, report, ud, err);
	rc = rc ? rc : mmr_incident_demo(st, err);
	rc = rc ? rc : mmr_work_demo(st, (int64_t)time(NULL), err);
	return mmr_db_end(st->db, rc, err);
}
