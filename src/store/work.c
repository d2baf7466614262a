/*
 * work.c — applications, approvals, exceptions and records (work.h).
 *
 * The decision point decides; this file keeps the procedure around it: who
 * may act at each step, from which state, and what is stored. A transition
 * is one transaction. Every refusal says, in Japanese, what was wrong.
 */
#include <ctype.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/request_json.h"
#include "store/audit.h"
#include "store/notify.h"
#include "store/store_int.h"
#include "store/work.h"

/* ---- the types ---- */

enum fkind { F_TEXT, F_DATE, F_USER, F_CRITERIA };

struct field {
	const char *id, *name;
	enum fkind kind;
	bool required;
};

#define MAX_FIELDS 5

static const struct app_type {
	const char *id, *name, *action, *kind;
	struct field f[MAX_FIELDS];
} types[] = {
	{"takeout",
	 "端末・記録媒体の持ち出し",
	 "device.takeout",
	 "device",
	 {{"destination", "持ち出し先", F_TEXT, true},
	  {"purpose", "用務", F_TEXT, true},
	  {"due_on", "返却予定日", F_DATE, true}}},
	{"provide",
	 "情報資産の外部提供",
	 "info.provide",
	 "information",
	 {{"recipient", "提供先", F_TEXT, true}, {"purpose", "提供の目的", F_TEXT, true}}},
	{"send",
	 "情報の送信（分類Ⅰ・Ⅱ等）",
	 "info.send",
	 "information",
	 {{"recipient", "送信先", F_TEXT, true}, {"method", "送信の方法", F_TEXT, true}}},
	{"software",
	 "ソフトウェアの導入",
	 "software.install",
	 "software",
	 {{"software", "ソフトウェア名", F_TEXT, true},
	  {"version", "版", F_TEXT, false},
	  {"purpose", "導入の目的", F_TEXT, true}}},
	{"device_change",
	 "機器構成の変更",
	 "device.modify",
	 "device",
	 {{"device", "機器", F_TEXT, true}, {"change", "変更の内容", F_TEXT, true}}},
	{"network_connect",
	 "外部ネットワークへの接続",
	 "network.connect",
	 "network",
	 {{"network", "接続先ネットワーク", F_TEXT, true}, {"purpose", "目的", F_TEXT, true}}},
	{"techinfo",
	 "技術情報・ソフトウェアの受け渡し",
	 "techinfo.handover",
	 "information",
	 {{"recipient", "受け渡し先", F_TEXT, true}, {"what", "受け渡すもの", F_TEXT, true}}},
	{"cloud",
	 "クラウドサービスの利用",
	 "cloud.use",
	 "cloud_service",
	 {{"service", "サービス名", F_TEXT, true},
	  {"provider", "提供者", F_TEXT, true},
	  {"purpose", "利用の目的", F_TEXT, true},
	  {"criteria", "利用判断基準・選定基準の確認", F_CRITERIA, false}}},
	{"byod",
	 "支給以外の端末の業務利用",
	 "byod.use",
	 "device",
	 {{"device", "端末", F_TEXT, true}, {"purpose", "利用の目的", F_TEXT, true}}},
	{"dispose",
	 "記録媒体・情報資産の廃棄",
	 "info.dispose",
	 "media",
	 {{"method", "廃棄の方法", F_TEXT, true},
	  {"certificate", "廃棄証明書（番号等）", F_TEXT, false},
	  {"witness_id", "立会者", F_USER, false}}},
	{"exception",
	 "例外措置",
	 "policy.exception",
	 "information",
	 {{"reason", "理由", F_TEXT, true},
	  {"scope_action", "例外とする行為", F_TEXT, true},
	  {"starts_on", "開始日", F_DATE, true},
	  {"ends_on", "終了日", F_DATE, true}}},
};
#define N_TYPES (sizeof types / sizeof types[0])

/* 豊橋市 第8 2(2) ア（クラウドサービス利用判断基準）and イ（選定基準）: the
 * checklist a cloud application fills in when 重要性分類Ⅰ・Ⅱ is involved. */
static const struct {
	const char *id, *text;
} cloud_criteria[] = {
	{"j1", "国内法適用"},
	{"j2", "データの国内保管"},
	{"j3", "画一的な約款の制限"},
	{"j4", "庁外通信回線からのアクセス制限"},
	{"j5", "庁外通信回線からのアクセスに対するセキュリティ対策"},
	{"s1", "クラウドサービスの利用を通じて本市が取り扱う情報のクラウドサービス提供者における"
	       "目的外利用の禁止"},
	{"s2", "クラウドサービス提供者における情報セキュリティ対策の実施内容及び管理体制"},
	{"s3", "クラウドサービスの提供に当たり、クラウドサービス提供者若しくはその従業員、再委託先"
	       "又はその他の者によって、本市の意図しない変更が加えられないための管理体制"},
	{"s4", "クラウドサービス提供者及び提供に従事する者の実績・専門性（情報セキュリティに係る"
	       "資格・実績等）"},
	{"s5", "情報セキュリティインシデントへの対処方法、連絡方法及びクラウドサービス提供者との"
	       "責任分担"},
	{"s6", "情報セキュリティ対策その他の契約の履行状況の確認方法"},
	{"s7", "情報セキュリティ対策の履行が不十分な場合の対処方法"},
	{"s8", "情報セキュリティ監査の受入れ"},
	{"s9", "サービスレベルの保証"},
	{"s10", "再委託における安全担保"},
	{"s11",
	 "クラウドサービスの終了又は変更時における事前通知等の取り決め及び情報資産の移行方法"},
	{"s12", "クラウドサービスが提供する部分を含む情報の流通経路全般にわたるセキュリティ対策"},
};
#define N_CRITERIA (sizeof cloud_criteria / sizeof cloud_criteria[0])

static const struct {
	const char *id, *name;
} state_names[] = {
	{"pending", "承認待ち"},	{"approved", "承認済み"}, {"rejected", "却下"},
	{"denied", "不可（ポリシー）"}, {"withdrawn", "取下げ"},  {"active", "持ち出し中"},
	{"returned", "返却済み"},	{"done", "実施済み"},
};

static const char *state_name(const char *s)
{
	for (size_t i = 0; i < sizeof state_names / sizeof state_names[0]; i++)
		if (!strcmp(state_names[i].id, s))
			return state_names[i].name;
	return s;
}

static const struct app_type *type_find(const char *id)
{
	for (size_t i = 0; id && i < N_TYPES; i++)
		if (!strcmp(types[i].id, id))
			return &types[i];
	return NULL;
}

json_t *mmr_app_types(void)
{
	json_t *a = json_array();
	for (size_t i = 0; i < N_TYPES; i++) {
		json_t *fs = json_array();
		for (size_t k = 0; k < MAX_FIELDS && types[i].f[k].id; k++) {
			static const char *const kn[] = {"text", "date", "user", "criteria"};
			json_array_append_new(fs, json_pack("{s:s, s:s, s:s, s:b}", "id",
							    types[i].f[k].id, "name",
							    types[i].f[k].name, "type",
							    kn[types[i].f[k].kind], "required",
							    types[i].f[k].required));
		}
		json_t *t = json_pack("{s:s, s:s, s:s, s:s, s:o}", "id", types[i].id, "name",
				      types[i].name, "action", types[i].action, "kind",
				      types[i].kind, "fields", fs);
		if (!strcmp(types[i].id, "cloud")) {
			json_t *c = json_array();
			for (size_t k = 0; k < N_CRITERIA; k++)
				json_array_append_new(c, json_pack("{s:s, s:s}", "id",
								   cloud_criteria[k].id, "text",
								   cloud_criteria[k].text));
			json_object_set_new(t, "criteria", c);
		}
		json_array_append_new(a, t);
	}
	return a;
}

/* ---- time ---- */

static void iso_at(int64_t t, char buf[32])
{
	time_t tt = (time_t)t;
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

static bool date_ok(const char *s)
{
	if (!s || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return false;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && !isdigit((unsigned char)s[i]))
			return false;
	int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > mdays[m - 1])
		return false;
	return !(m == 2 && d == 29 && !(y % 4 == 0 && (y % 100 != 0 || y % 400 == 0)));
}

/* ---- small helpers ---- */

static long setting(const mmr_policy *pol, const char *key, long dflt)
{
	long v;
	return mmr_policy_setting_int(pol, key, &v) == MMR_OK ? v : dflt;
}

static json_t *load_json(const char *text)
{
	json_t *j = text ? json_loads(text, 0, NULL) : NULL;
	return j ? j : json_null();
}

static char *dump(json_t *j)
{
	return json_dumps(j, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
}

static int bad(mmr_error *err, const char *field, const char *msg)
{
	mmr_field_error(err, MMR_EINVAL, field, "%s", msg);
	return MMR_EINVAL;
}

static int refuse(mmr_error *err, int code, const char *msg)
{
	mmr_error_set(err, code, "%s", msg);
	return code;
}

static bool has_role_text(const mmr_actor *who, const char *role)
{
	size_t n = strlen(role);
	for (const char *p = who->roles; (p = strstr(p, role)); p += n)
		if ((p == who->roles || p[-1] == ',') && (p[n] == ',' || !p[n]))
			return true;
	return false;
}

static int64_t user_unit(mmr_store *st, const char *tenant, int64_t user)
{
	static const char q[] = "SELECT unit_id FROM users WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	if (mmr_db_prepare(st->db, q, &s, NULL))
		return 0;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, user);
	int64_t u = mmr_stmt_step(s, NULL) == MMR_DB_ROW ? mmr_col_int(s, 0) : 0;
	mmr_stmt_reset(s);
	return u;
}

static bool user_exists(mmr_store *st, const char *tenant, int64_t user)
{
	static const char q[] = "SELECT 1 FROM users WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	if (mmr_db_prepare(st->db, q, &s, NULL))
		return false;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, user);
	bool ok = mmr_stmt_step(s, NULL) == MMR_DB_ROW;
	mmr_stmt_reset(s);
	return ok;
}

/* Does `user` hold `role` with a scope that covers an application of
 * `unit` (its section or the department above it) / `system`? */
static bool holds_for(mmr_store *st, const char *tenant, int64_t user, const char *role,
		      int64_t unit, int64_t system)
{
	static const char q[] = "SELECT scope_kind, scope_id FROM user_roles "
				"WHERE tenant = $1 AND user_id = $2 AND role = $3";
	mmr_stmt *s;
	if (mmr_db_prepare(st->db, q, &s, NULL))
		return false;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, user);
	mmr_stmt_text(s, 3, role);
	int64_t units[16];
	size_t n = 0;
	bool ok = false;
	while (!ok && mmr_stmt_step(s, NULL) == MMR_DB_ROW) {
		const char *k = mmr_col_text(s, 0);
		int64_t id = mmr_col_int(s, 1);
		if (!strcmp(k, "body"))
			ok = true;
		else if (!strcmp(k, "system"))
			ok = system && id == system;
		else if (!strcmp(k, "unit") && n < 16)
			units[n++] = id;
	}
	mmr_stmt_reset(s);
	if (ok || !unit)
		return ok;
	int64_t parent = mmr_unit_parent(st, tenant, unit);
	for (size_t i = 0; i < n && !ok; i++)
		ok = units[i] == unit || (parent && units[i] == parent);
	return ok;
}

/* ---- decisions ---- */

static json_t *roles_of(const mmr_actor *who)
{
	json_t *roles = json_array();
	for (const char *p = who->roles; *p;) {
		const char *e = strchr(p, ',');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		json_array_append_new(roles, json_stringn(p, n));
		p = e ? e + 1 : p + n;
	}
	if (!json_array_size(roles))
		json_array_append_new(roles, json_string("staff"));
	return roles;
}

/* A granted exception of the applicant for this action, in force today:
 * its id, and *info = {"id","reason","ends_on","approved_by"}. */
static int64_t exception_in_force(mmr_store *st, const char *tenant, int64_t applicant,
				  const char *action, int64_t now, json_t **info)
{
	static const char q[] = "SELECT id, reason, ends_on, application_id FROM exceptions "
				"WHERE tenant = $1 AND holder_id = $2 AND action = $3 "
				"AND state = 'granted' AND starts_on <= $4 AND ends_on >= $4 "
				"ORDER BY id DESC";
	char today[16];
	mmr_jst_day(now, 0, today);
	mmr_stmt *s;
	*info = NULL;
	if (mmr_db_prepare(st->db, q, &s, NULL))
		return 0;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, applicant);
	mmr_stmt_text(s, 3, action);
	mmr_stmt_text(s, 4, today);
	int64_t id = 0;
	if (mmr_stmt_step(s, NULL) == MMR_DB_ROW) {
		id = mmr_col_int(s, 0);
		*info = json_pack("{s:I, s:s, s:s, s:I, s:s}", "id", (json_int_t)id, "reason",
				  mmr_col_text(s, 1), "ends_on", mmr_col_text(s, 2),
				  "application_id", (json_int_t)mmr_col_int(s, 3), "note",
				  "承認済みの例外措置により、承認を得たものとして判定しました");
	}
	mmr_stmt_reset(s);
	return id;
}

/* ---- reading an application ---- */

static json_t *app_row(mmr_stmt *s, int64_t now)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(mmr_col_int(s, 0)));
	const char *type = mmr_col_text(s, 1);
	const struct app_type *t = type_find(type);
	json_object_set_new(o, "type", json_string(type));
	json_object_set_new(o, "type_name", json_string(t ? t->name : type));
	json_object_set_new(o, "action", json_string(mmr_col_text(s, 2)));
	json_object_set_new(o, "applicant_id", json_integer(mmr_col_int(s, 3)));
	json_object_set_new(o, "applicant_name", json_string(mmr_col_text(s, 20)));
	static const char *const ids[] = {"unit_id", "system_id", "asset_id"};
	for (int i = 0; i < 3; i++)
		json_object_set_new(o, ids[i],
				    mmr_col_null(s, 4 + i) ? json_null()
							   : json_integer(mmr_col_int(s, 4 + i)));
	json_object_set_new(o, "title", json_string(mmr_col_text(s, 7)));
	json_t *detail = load_json(mmr_col_text(s, 8));
	json_t *shown = json_array(); /* the fields in order, with their Japanese names */
	for (size_t i = 0; t && i < MAX_FIELDS && t->f[i].id; i++) {
		json_t *v = json_object_get(detail, t->f[i].id);
		if (v && t->f[i].kind != F_CRITERIA)
			json_array_append_new(shown, json_pack("{s:s, s:s, s:O}", "id", t->f[i].id,
							       "name", t->f[i].name, "value", v));
	}
	json_object_set_new(o, "detail", detail);
	json_object_set_new(o, "detail_list", shown);
	json_object_set_new(o, "request", load_json(mmr_col_text(s, 9)));
	json_object_set_new(o, "decision", load_json(mmr_col_text(s, 10)));
	json_object_set_new(o, "route", load_json(mmr_col_text(s, 11)));
	json_object_set_new(o, "obligations", load_json(mmr_col_text(s, 12)));
	const char *state = mmr_col_text(s, 13);
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "state_name", json_string(state_name(state)));
	static const char *const opt[] = {"due_on", "started_at", "returned_at"};
	for (int i = 0; i < 3; i++) {
		const char *v = mmr_col_text(s, 14 + i);
		json_object_set_new(o, opt[i], v ? json_string(v) : json_null());
	}
	json_object_set_new(o, "exception_id",
			    mmr_col_null(s, 17) ? json_null() : json_integer(mmr_col_int(s, 17)));
	json_object_set_new(o, "created_at", json_string(mmr_col_text(s, 18)));
	json_object_set_new(o, "updated_at", json_string(mmr_col_text(s, 19)));
	char today[16];
	mmr_jst_day(now, 0, today);
	const char *due = mmr_col_text(s, 14);
	json_object_set_new(
		o, "overdue",
		json_boolean(!strcmp(state, "active") && due && strcmp(due, today) < 0));
	return o;
}

static int approvals_of(mmr_store *st, const char *tenant, int64_t id, json_t **out, mmr_error *err)
{
	static const char q[] =
		"SELECT p.approver_id, p.role, p.deputy_for, p.verdict, p.comment, p.at, u.name "
		"FROM approvals p JOIN users u ON u.tenant = p.tenant AND u.id = p.approver_id "
		"WHERE p.tenant = $1 AND p.application_id = $2 ORDER BY p.id";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	json_t *a = json_array();
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		const char *c = mmr_col_text(s, 4);
		json_array_append_new(
			a, json_pack("{s:I, s:s, s:o, s:s, s:s?, s:s, s:s}", "approver_id",
				     (json_int_t)mmr_col_int(s, 0), "role", mmr_col_text(s, 1),
				     "deputy_for",
				     mmr_col_null(s, 2) ? json_null()
							: json_integer(mmr_col_int(s, 2)),
				     "verdict", mmr_col_text(s, 3), "comment", c, "at",
				     mmr_col_text(s, 5), "approver_name", mmr_col_text(s, 6)));
	}
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		json_decref(a);
		return rc;
	}
	*out = a;
	return MMR_OK;
}

/* The raw application (no permission check). */
static int app_load(mmr_store *st, const char *tenant, int64_t id, int64_t now, json_t **out,
		    mmr_error *err)
{
	static const char q[] =
		"SELECT id, type, action, applicant_id, unit_id, system_id, asset_id, title, "
		"detail, "
		"request, decision, route, obligations, state, due_on, started_at, returned_at, "
		"exception_id, created_at, updated_at, "
		"(SELECT name FROM users u WHERE u.tenant = a.tenant AND u.id = a.applicant_id) "
		"FROM applications a WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_ROW)
		*out = app_row(s, now);
	mmr_stmt_reset(s);
	if (rc == MMR_DB_DONE) {
		mmr_error_set(err, MMR_ENOTFOUND, "申請 %" PRId64 " はありません", id);
		return MMR_ENOTFOUND;
	}
	if (rc != MMR_DB_ROW)
		return rc;
	json_t *ap = NULL;
	if ((rc = approvals_of(st, tenant, id, &ap, err))) {
		json_decref(*out);
		*out = NULL;
		return rc;
	}
	json_object_set_new(*out, "approvals", ap);
	return MMR_OK;
}

/* Whether `who` may act for `role` on application `a`: as a holder, or as the
 * deputy of an absent holder (*deputy_for set). */
static bool may_act_for(mmr_store *st, const mmr_actor *who, json_t *a, const char *role,
			int64_t *deputy_for)
{
	int64_t unit = mmr_jint(a, "unit_id"), sys = mmr_jint(a, "system_id");
	*deputy_for = 0;
	if (holds_for(st, who->tenant, who->user_id, role, unit, sys))
		return true;
	static const char q[] = "SELECT d.principal_id FROM deputies d JOIN users u "
				"ON u.tenant = d.tenant AND u.id = d.principal_id "
				"WHERE d.tenant = $1 AND d.deputy_id = $2 AND u.absent <> 0";
	mmr_stmt *s;
	if (mmr_db_prepare(st->db, q, &s, NULL))
		return false;
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, who->user_id);
	int64_t principals[16];
	size_t n = 0;
	while (n < 16 && mmr_stmt_step(s, NULL) == MMR_DB_ROW)
		principals[n++] = mmr_col_int(s, 0);
	mmr_stmt_reset(s);
	for (size_t i = 0; i < n; i++)
		if (principals[i] != mmr_jint(a, "applicant_id") &&
		    holds_for(st, who->tenant, principals[i], role, unit, sys)) {
			*deputy_for = principals[i];
			return true;
		}
	return false;
}

/* The role of the route (the latest decision's approvers) `who` can approve
 * for, or NULL. */
static const char *route_role_for(mmr_store *st, const mmr_actor *who, json_t *a,
				  int64_t *deputy_for)
{
	json_t *approvers = json_object_get(json_object_get(a, "decision"), "approvers");
	size_t i;
	json_t *r;
	json_array_foreach (approvers, i, r)
		if (may_act_for(st, who, a, json_string_value(r), deputy_for))
			return json_string_value(r);
	return NULL;
}

static bool may_see(mmr_store *st, const mmr_actor *who, json_t *a)
{
	if (who->admin || who->auditor || mmr_jint(a, "applicant_id") == who->user_id)
		return true;
	json_t *roles = json_object_get(a, "route");
	size_t i;
	json_t *r;
	int64_t dep;
	json_array_foreach (json_object_get(roles, "roles"), i, r)
		if (may_act_for(st, who, a, json_string_value(r), &dep))
			return true;
	json_array_foreach (json_object_get(a, "approvals"), i, r)
		if (mmr_jint(r, "approver_id") == who->user_id)
			return true;
	return false;
}

int mmr_app_get(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		mmr_error *err)
{
	*out = NULL;
	json_t *a;
	int rc = app_load(st, who->tenant, id, now, &a, err);
	if (rc)
		return rc;
	if (!may_see(st, who, a)) {
		json_decref(a);
		mmr_error_set(err, MMR_ENOTFOUND, "申請 %" PRId64 " はありません", id);
		return MMR_ENOTFOUND;
	}
	int64_t dep;
	json_object_set_new(a, "can_approve",
			    json_boolean(!strcmp(mmr_jstr(a, "state"), "pending") &&
					 mmr_jint(a, "applicant_id") != who->user_id &&
					 route_role_for(st, who, a, &dep) != NULL));
	*out = a;
	return MMR_OK;
}

/* ---- notifications ---- */

/* Everyone who may act for one of the route's roles on `a` now (holders in
 * scope, and the deputies of absent ones), except the applicant: an inbox
 * entry each, in the caller's transaction. */
static int notify_route(mmr_store *st, const char *tenant, json_t *a, mmr_error *err)
{
	static const char q[] =
		"SELECT DISTINCT r.user_id, u.absent FROM user_roles r JOIN users u "
		"ON u.tenant = r.tenant AND u.id = r.user_id "
		"WHERE r.tenant = $1 AND r.role = $2";
	static const char qd[] = "SELECT deputy_id FROM deputies WHERE tenant = $1 AND "
				 "principal_id = $2";
	int64_t who[64];
	size_t n = 0;
	size_t i;
	json_t *r;
	int64_t applicant = mmr_jint(a, "applicant_id");
	json_array_foreach (json_object_get(json_object_get(a, "decision"), "approvers"), i, r) {
		const char *role = json_string_value(r);
		mmr_stmt *s;
		int rc = mmr_db_prepare(st->db, q, &s, err);
		if (rc)
			return rc;
		mmr_stmt_text(s, 1, tenant);
		mmr_stmt_text(s, 2, role);
		int64_t cand[64];
		bool absent[64];
		size_t nc = 0;
		while (nc < 64 && (rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
			cand[nc] = mmr_col_int(s, 0);
			absent[nc++] = mmr_col_int(s, 1) != 0;
		}
		mmr_stmt_reset(s);
		for (size_t k = 0; k < nc; k++) {
			if (!holds_for(st, tenant, cand[k], role, mmr_jint(a, "unit_id"),
				       mmr_jint(a, "system_id")))
				continue;
			if (n < 64)
				who[n++] = cand[k];
			if (!absent[k] || mmr_db_prepare(st->db, qd, &s, NULL))
				continue;
			mmr_stmt_text(s, 1, tenant);
			mmr_stmt_int(s, 2, cand[k]);
			while (n < 64 && mmr_stmt_step(s, NULL) == MMR_DB_ROW)
				who[n++] = mmr_col_int(s, 0);
			mmr_stmt_reset(s);
		}
	}
	char subject[600], body[1200], link[64];
	snprintf(subject, sizeof subject, "承認依頼: %s「%s」", mmr_jstr(a, "type_name"),
		 mmr_jstr(a, "title"));
	snprintf(body, sizeof body, "%s さんから%sの申請があります。\n%s",
		 mmr_jstr(a, "applicant_name"), mmr_jstr(a, "type_name"),
		 mmr_jstr(json_object_get(a, "decision"), "reason"));
	snprintf(link, sizeof link, "/applications/%lld", (long long)mmr_jint(a, "id"));
	for (size_t k = 0; k < n; k++) {
		bool dup = who[k] == applicant;
		for (size_t j = 0; j < k && !dup; j++)
			dup = who[j] == who[k];
		if (dup)
			continue;
		int rc = mmr_notify_user(st, tenant, who[k], "application.pending", subject, body,
					 link, err);
		if (rc)
			return rc;
	}
	return MMR_OK;
}

/* Tell the applicant what became of their application. */
static int notify_applicant(mmr_store *st, const char *tenant, json_t *a, const char *what,
			    mmr_error *err)
{
	char subject[600], link[64];
	snprintf(subject, sizeof subject, "%s: %s「%s」", what, mmr_jstr(a, "type_name"),
		 mmr_jstr(a, "title"));
	snprintf(link, sizeof link, "/applications/%lld", (long long)mmr_jint(a, "id"));
	return mmr_notify_user(st, tenant, mmr_jint(a, "applicant_id"), "application.decided",
			       subject, mmr_jstr(json_object_get(a, "decision"), "reason"), link,
			       err);
}

/* ---- filing ---- */

static int check_detail(mmr_store *st, const mmr_policy *pol, const mmr_actor *who,
			const struct app_type *t, json_t *detail, json_t *ctx, int64_t now,
			mmr_error *err)
{
	const char *k;
	json_t *v;
	json_object_foreach (detail, k, v) {
		bool known = false;
		for (size_t i = 0; i < MAX_FIELDS && t->f[i].id && !known; i++)
			known = !strcmp(t->f[i].id, k);
		if (!known) {
			char f[96];
			snprintf(f, sizeof f, "detail.%s", k);
			return bad(err, f, "この申請にない項目です");
		}
	}
	for (size_t i = 0; i < MAX_FIELDS && t->f[i].id; i++) {
		const struct field *fd = &t->f[i];
		char f[96], msg[200];
		snprintf(f, sizeof f, "detail.%s", fd->id);
		v = json_object_get(detail, fd->id);
		if (!v || json_is_null(v)) {
			if (fd->required) {
				snprintf(msg, sizeof msg, "%sを入力してください", fd->name);
				return bad(err, f, msg);
			}
			continue;
		}
		switch (fd->kind) {
		case F_TEXT: {
			const char *s = json_string_value(v);
			if (!s || (fd->required && !*s) || strlen(s) > 4000) {
				snprintf(msg, sizeof msg, "%sは 4000 バイトまでの文字列です",
					 fd->name);
				return bad(err, f, msg);
			}
			break;
		}
		case F_DATE:
			if (!date_ok(json_string_value(v))) {
				snprintf(msg, sizeof msg, "%sは YYYY-MM-DD の日付です", fd->name);
				return bad(err, f, msg);
			}
			break;
		case F_USER:
			if (!json_is_integer(v) ||
			    !user_exists(st, who->tenant, json_integer_value(v))) {
				snprintf(msg, sizeof msg, "%sはこの団体の利用者の番号です",
					 fd->name);
				return bad(err, f, msg);
			}
			break;
		case F_CRITERIA:
			if (!json_is_object(v))
				return bad(err, f, "基準の番号 → true/false のオブジェクトです");
			const char *ck;
			json_t *cv;
			json_object_foreach (v, ck, cv) {
				bool known = false;
				for (size_t c = 0; c < N_CRITERIA && !known; c++)
					known = !strcmp(cloud_criteria[c].id, ck);
				if (!known || !json_is_boolean(cv)) {
					snprintf(f, sizeof f, "detail.criteria.%s", ck);
					return bad(err, f,
						   "基準の番号と true/false で答えてください");
				}
			}
			break;
		}
	}
	char today[16];
	mmr_jst_day(now, 0, today);
	if (!strcmp(t->id, "takeout")) {
		const char *due = mmr_jstr(detail, "due_on");
		char last[16];
		mmr_jst_day(now, setting(pol, "takeout.max_days", 3650), last);
		if (strcmp(due, today) < 0)
			return bad(err, "detail.due_on", "返却予定日が過去の日付です");
		if (strcmp(due, last) > 0) {
			char msg[200];
			snprintf(msg, sizeof msg,
				 "返却予定日はこの団体の上限（%ld 日）を超えています",
				 setting(pol, "takeout.max_days", 3650));
			return bad(err, "detail.due_on", msg);
		}
	}
	if (!strcmp(t->id, "dispose") && !mmr_jstr(detail, "certificate") &&
	    !json_is_integer(json_object_get(detail, "witness_id")))
		return bad(err, "detail.certificate",
			   "廃棄証明書か立会者のどちらかを記録してください");
	if (!strcmp(t->id, "exception")) {
		const char *s = mmr_jstr(detail, "starts_on"), *e = mmr_jstr(detail, "ends_on");
		if (strcmp(e, s) < 0)
			return bad(err, "detail.ends_on", "終了日が開始日より前です");
		const char *name;
		if (mmr_policy_vocab_find(pol, "action", mmr_jstr(detail, "scope_action"), &name))
			return bad(err, "detail.scope_action", "この団体のポリシーにない行為です");
	}
	if (!strcmp(t->id, "cloud")) {
		/* 重要性分類Ⅰ・Ⅱ (or 機密性3/2) involved: the criteria of 豊橋市 第8 2(2)
		 * must all have been checked. */
		json_t *hc = json_object_get(ctx, "handles_classes");
		bool high = false;
		size_t i;
		json_t *c;
		json_array_foreach (hc, i, c) {
			const char *s = json_string_value(c);
			if (s && (!strcmp(s, "I") || !strcmp(s, "II") || !strcmp(s, "Ⅰ") ||
				  !strcmp(s, "Ⅱ")))
				high = true;
		}
		json_t *cr = json_object_get(detail, "criteria");
		for (size_t ci = 0; high && ci < N_CRITERIA; ci++)
			if (!json_is_true(json_object_get(cr, cloud_criteria[ci].id))) {
				char f[64], msg[400];
				snprintf(f, sizeof f, "detail.criteria.%s", cloud_criteria[ci].id);
				snprintf(msg, sizeof msg,
					 "重要性分類Ⅰ・Ⅱの情報を扱うため「%s」の確認が必要です",
					 cloud_criteria[ci].text);
				return bad(err, f, msg);
			}
	}
	return MMR_OK;
}

/* The route and obligations checklist a decision gives. */
static json_t *route_of(json_t *dec)
{
	return json_pack("{s:O, s:s}", "roles", json_object_get(dec, "approvers"), "effect",
			 mmr_jstr(dec, "effect"));
}

static json_t *checklist_of(const mmr_policy *pol, json_t *dec, json_t *old)
{
	json_t *l = json_array();
	size_t i;
	json_t *o;
	json_array_foreach (json_object_get(dec, "obligations"), i, o) {
		const char *id = json_string_value(o), *text = NULL;
		if (mmr_policy_vocab_find(pol, "obligation", id, &text))
			text = id;
		json_t *prev = NULL;
		size_t j;
		json_t *p;
		json_array_foreach (old, j, p)
			if (!strcmp(mmr_jstr(p, "id"), id))
				prev = p;
		json_array_append_new(
			l, json_pack("{s:s, s:s, s:O}", "id", id, "text", text ? text : id,
				     "confirmed_at",
				     prev ? json_object_get(prev, "confirmed_at") : json_null()));
	}
	return l;
}

static const char *effect_state(json_t *dec)
{
	const char *e = mmr_jstr(dec, "effect");
	return !strcmp(e, "deny") ? "denied" : !strcmp(e, "permit") ? "approved" : "pending";
}

static int grant_exception(mmr_store *st, const mmr_policy *pol, const char *tenant, json_t *a,
			   int64_t now, mmr_error *err);

int mmr_app_create(mmr_store *st, const mmr_actor *who, json_t *in, int64_t now, json_t **out,
		   mmr_error *err)
{
	*out = NULL;
	if (!json_is_object(in))
		return bad(err, "", "オブジェクト（JSON の {…}）が必要です");
	if (!who->user_id)
		return refuse(err, MMR_EDENIED, "申請は利用者として行ってください");
	static const char *const keys[] = {"type",	"title",   "asset_id", "resource",
					   "system_id", "context", "detail",   NULL};
	const char *k;
	json_t *v;
	json_object_foreach (in, k, v) {
		bool ok = false;
		for (const char *const *p = keys; *p && !ok; p++)
			ok = !strcmp(*p, k);
		if (!ok)
			return bad(err, k, "未知の項目です");
	}
	const struct app_type *t = type_find(mmr_jstr(in, "type"));
	if (!t)
		return bad(err, "type", "申請の種類が違います（mmr_app_types を参照）");
	const char *title = mmr_jstr(in, "title");
	if (!title || !*title || strlen(title) > 400)
		return bad(err, "title", "件名を入力してください（400 バイトまで）");
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, who->tenant, &pol, err);
	if (rc)
		return rc;
	json_t *ctx = json_object_get(in, "context");
	if (ctx && !json_is_object(ctx))
		return bad(err, "context", "オブジェクトが必要です");
	if (json_object_get(ctx, "approvals"))
		return bad(err, "context.approvals", "承認は申請の経路で与えられます");
	json_t *detail = json_object_get(in, "detail");
	if (detail && !json_is_object(detail))
		return bad(err, "detail", "オブジェクトが必要です");
	json_t *empty = json_object();
	rc = check_detail(st, pol, who, t, detail ? detail : empty, ctx, now, err);
	json_decref(empty);
	if (rc)
		return rc;

	/* the resource: from the ledger when an asset is named */
	json_t *res;
	int64_t asset_id = mmr_jint(in, "asset_id");
	if (json_object_get(in, "asset_id") && !asset_id)
		return bad(err, "asset_id", "資産の番号が必要です");
	if (asset_id) {
		json_t *as;
		mmr_error e2;
		if (mmr_ledger_get(st, who, "assets", asset_id, &as, &e2))
			return bad(err, "asset_id", "この資産は台帳にないか、見る権限がありません");
		res = json_pack("{s:O}", "classification", json_object_get(as, "classification"));
		const char *kind = mmr_jstr(as, "kind"), *seg = mmr_jstr(as, "segment");
		json_object_set_new(res, "kind", json_string(kind ? kind : t->kind));
		if (seg)
			json_object_set_new(res, "segment", json_string(seg));
		json_decref(as);
	} else {
		json_t *r = json_object_get(in, "resource");
		if (r && !json_is_object(r))
			return bad(err, "resource", "オブジェクトが必要です");
		res = r ? json_deep_copy(r) : json_object();
		if (!json_object_get(res, "kind"))
			json_object_set_new(res, "kind", json_string(t->kind));
	}
	int64_t system_id = mmr_jint(in, "system_id");
	json_t *c = ctx ? json_deep_copy(ctx) : json_object();
	/* A granted exception in force for this action stands in for the
	 * approvals its decision asks for (the exception was itself approved
	 * by the authority the profile names); a deny stays a deny. */
	json_t *exc = NULL;
	int64_t exc_id =
		strcmp(t->id, "exception")
			? exception_in_force(st, who->tenant, who->user_id, t->action, now, &exc)
			: 0;
	json_object_set_new(c, "approvals", json_array());
	json_t *req = json_pack("{s:s, s:{s:o}, s:o, s:o}", "action", t->action, "subject", "roles",
				roles_of(who), "resource", res, "context", c);
	json_t *dec;
	if ((rc = mmr_decide_value(pol, req, &dec, err))) {
		json_decref(req);
		json_decref(exc);
		return rc;
	}
	if (exc_id && !strcmp(mmr_jstr(dec, "effect"), "needs_approval")) {
		json_object_set(c, "approvals", json_object_get(dec, "approvers"));
		json_decref(dec);
		if ((rc = mmr_decide_value(pol, req, &dec, err))) {
			json_decref(req);
			json_decref(exc);
			return rc;
		}
		json_object_set_new(dec, "exception", exc);
		exc = NULL;
	} else {
		exc_id = 0;
	}
	json_decref(exc);
	json_t *route = route_of(dec);
	json_t *checklist = checklist_of(pol, dec, NULL);
	const char *state = effect_state(dec);
	char *s_detail = dump(detail ? detail : json_object()), *s_req = dump(req),
	     *s_dec = dump(dec), *s_route = dump(route), *s_obl = dump(checklist);
	json_decref(route);
	json_decref(checklist);
	json_decref(req);
	char nowiso[32];
	iso_at(now, nowiso);
	static const char ins[] =
		"INSERT INTO applications (tenant, type, action, applicant_id, unit_id, system_id, "
		"asset_id, title, detail, request, decision, route, obligations, state, due_on, "
		"exception_id, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, "
		"$10, $11, $12, $13, $14, $15, $16, $17, $17) RETURNING id";
	int64_t unit = user_unit(st, who->tenant, who->user_id);
	int64_t id = 0;
	if ((rc = mmr_db_begin(st->db, err)))
		goto done;
	mmr_stmt *s;
	if (!(rc = mmr_db_prepare(st->db, ins, &s, err))) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_text(s, 2, t->id);
		mmr_stmt_text(s, 3, t->action);
		mmr_stmt_int(s, 4, who->user_id);
		if (unit)
			mmr_stmt_int(s, 5, unit);
		else
			mmr_stmt_null(s, 5);
		if (system_id)
			mmr_stmt_int(s, 6, system_id);
		else
			mmr_stmt_null(s, 6);
		if (asset_id)
			mmr_stmt_int(s, 7, asset_id);
		else
			mmr_stmt_null(s, 7);
		mmr_stmt_text(s, 8, title);
		mmr_stmt_text(s, 9, s_detail);
		mmr_stmt_text(s, 10, s_req);
		mmr_stmt_text(s, 11, s_dec);
		mmr_stmt_text(s, 12, s_route);
		mmr_stmt_text(s, 13, s_obl);
		mmr_stmt_text(s, 14, state);
		mmr_stmt_text(s, 15, !strcmp(t->id, "takeout") ? mmr_jstr(detail, "due_on") : NULL);
		if (exc_id)
			mmr_stmt_int(s, 16, exc_id);
		else
			mmr_stmt_null(s, 16);
		mmr_stmt_text(s, 17, nowiso);
		rc = mmr_stmt_step(s, err);
		if (rc == MMR_DB_ROW) {
			id = mmr_col_int(s, 0);
			rc = MMR_OK;
		}
		mmr_stmt_reset(s);
	}
	json_t *a = NULL;
	if (!rc)
		rc = app_load(st, who->tenant, id, now, &a, err);
	if (!rc)
		rc = mmr_audit_record(st, who, "application.create", "applications", id, NULL, a,
				      json_object_get(a, "decision"), err);
	if (!rc && !strcmp(state, "pending"))
		rc = notify_route(st, who->tenant, a, err);
	if (!rc && !strcmp(t->id, "exception") && !strcmp(state, "approved"))
		rc = grant_exception(st, pol, who->tenant, a, now, err);
	rc = mmr_db_end(st->db, rc, err);
	json_decref(a);
	if (!rc)
		rc = mmr_app_get(st, who, id, now, out, err);
done:
	free(s_detail), free(s_req), free(s_dec), free(s_route), free(s_obl);
	json_decref(dec);
	return rc;
}

/* ---- transitions ---- */

static int set_state(mmr_store *st, const char *tenant, int64_t id, const char *from,
		     const char *to, int64_t now, mmr_error *err)
{
	static const char q[] =
		"UPDATE applications SET state = $4, updated_at = $5, "
		"started_at = CASE WHEN $4 IN ('active', 'done') THEN $5 "
		"ELSE started_at END, "
		"returned_at = CASE WHEN $4 = 'returned' THEN $5 ELSE returned_at END "
		"WHERE tenant = $1 AND id = $2 AND state = $3";
	char nowiso[32];
	iso_at(now, nowiso);
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	mmr_stmt_text(s, 3, from);
	mmr_stmt_text(s, 4, to);
	mmr_stmt_text(s, 5, nowiso);
	rc = mmr_stmt_step(s, err);
	int64_t n = rc == MMR_DB_DONE ? mmr_stmt_changes(s) : 0;
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE)
		return rc;
	if (n != 1) {
		mmr_error_set(err, MMR_ECONFLICT,
			      "申請の状態が変わっています。読み込み直してください");
		return MMR_ECONFLICT;
	}
	return MMR_OK;
}

/* Refuse a transition from the wrong state, naming both. */
static int wrong_state(mmr_error *err, json_t *a, const char *what)
{
	mmr_error_set(err, MMR_ECONFLICT, "「%s」の申請は%sできません",
		      state_name(mmr_jstr(a, "state")), what);
	return MMR_ECONFLICT;
}

/* Load for a transition inside the caller's transaction; ENOTFOUND when
 * `who` may not see it. */
static int load_for(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **a,
		    mmr_error *err)
{
	int rc = app_load(st, who->tenant, id, now, a, err);
	if (rc)
		return rc;
	if (!may_see(st, who, *a)) {
		json_decref(*a);
		*a = NULL;
		mmr_error_set(err, MMR_ENOTFOUND, "申請 %" PRId64 " はありません", id);
		return MMR_ENOTFOUND;
	}
	return MMR_OK;
}

typedef int (*step_fn)(mmr_store *st, const mmr_policy *pol, const mmr_actor *who, json_t *a,
		       void *arg, int64_t now, mmr_error *err);

/* Run one transition in a transaction and answer the application after it. */
static int transition(mmr_store *st, const mmr_actor *who, int64_t id, const char *action,
		      step_fn fn, void *arg, int64_t now, json_t **out, mmr_error *err)
{
	*out = NULL;
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, who->tenant, &pol, err);
	if (rc)
		return rc;
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	json_t *a = NULL;
	rc = load_for(st, who, id, now, &a, err);
	if (!rc)
		rc = fn(st, pol, who, a, arg, now, err);
	json_t *after = NULL;
	if (!rc)
		rc = app_load(st, who->tenant, id, now, &after, err);
	if (!rc)
		rc = mmr_audit_record(st, who, action, "applications", id, a, after,
				      json_object_get(after, "decision"), err);
	if (!rc && strcmp(mmr_jstr(a, "state"), mmr_jstr(after, "state"))) {
		const char *to = mmr_jstr(after, "state");
		if (!strcmp(to, "approved"))
			rc = notify_applicant(st, who->tenant, after, "承認されました", err);
		else if (!strcmp(to, "rejected"))
			rc = notify_applicant(st, who->tenant, after, "却下されました", err);
	} else if (!rc && !strcmp(mmr_jstr(after, "state"), "pending") &&
		   !json_equal(json_object_get(json_object_get(a, "decision"), "approvers"),
			       json_object_get(json_object_get(after, "decision"), "approvers"))) {
		rc = notify_route(st, who->tenant, after, err); /* the next in an all-of route */
	}
	json_decref(after);
	json_decref(a);
	rc = mmr_db_end(st->db, rc, err);
	return rc ? rc : mmr_app_get(st, who, id, now, out, err);
}

struct verdict {
	bool approve;
	const char *comment;
};

static int step_approve(mmr_store *st, const mmr_policy *pol, const mmr_actor *who, json_t *a,
			void *arg, int64_t now, mmr_error *err)
{
	struct verdict *v = arg;
	if (strcmp(mmr_jstr(a, "state"), "pending"))
		return wrong_state(err, a, "承認・却下");
	if (mmr_jint(a, "applicant_id") == who->user_id)
		return refuse(err, MMR_EDENIED, "自分の申請は承認できません");
	int64_t dep = 0;
	const char *role = route_role_for(st, who, a, &dep);
	if (!role)
		return refuse(err, MMR_EDENIED,
			      "この申請を承認できる役割がありません（代理者は本人が不在のときだけ"
			      "承認できます）");
	json_t *approvals = json_object_get(a, "approvals");
	size_t i;
	json_t *p;
	json_array_foreach (approvals, i, p)
		if (mmr_jint(p, "approver_id") == who->user_id &&
		    !strcmp(mmr_jstr(p, "role"), role))
			return refuse(err, MMR_ECONFLICT, "この役割ではすでに承認しています");
	char nowiso[32];
	iso_at(now, nowiso);
	static const char ins[] =
		"INSERT INTO approvals (tenant, application_id, approver_id, role, deputy_for, "
		"verdict, comment, at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8)";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, ins, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, mmr_jint(a, "id"));
	mmr_stmt_int(s, 3, who->user_id);
	mmr_stmt_text(s, 4, role);
	if (dep)
		mmr_stmt_int(s, 5, dep);
	else
		mmr_stmt_null(s, 5);
	mmr_stmt_text(s, 6, v->approve ? "approve" : "reject");
	mmr_stmt_text(s, 7, v->comment && *v->comment ? v->comment : NULL);
	mmr_stmt_text(s, 8, nowiso);
	if ((rc = mmr_stmt_run(s, err)))
		return rc;
	if (!v->approve)
		return set_state(st, who->tenant, mmr_jint(a, "id"), "pending", "rejected", now,
				 err);
	/* decide again with every role approved so far */
	json_t *req = json_deep_copy(json_object_get(a, "request"));
	json_t *roles = json_object_get(json_object_get(req, "context"), "approvals");
	json_array_foreach (approvals, i, p)
		if (!strcmp(mmr_jstr(p, "verdict"), "approve"))
			json_array_append_new(roles, json_string(mmr_jstr(p, "role")));
	json_array_append_new(roles, json_string(role));
	json_t *dec;
	rc = mmr_decide_value(pol, req, &dec, err);
	if (rc) {
		json_decref(req);
		return rc;
	}
	const char *state = effect_state(dec);
	json_t *cl = checklist_of(pol, dec, json_object_get(a, "obligations"));
	char *s_req = dump(req), *s_dec = dump(dec), *s_obl = dump(cl);
	json_decref(cl);
	json_decref(req);
	static const char upd[] = "UPDATE applications SET request = $3, decision = $4, "
				  "obligations = $5, updated_at = $6 WHERE tenant = $1 AND id = $2";
	if (!(rc = mmr_db_prepare(st->db, upd, &s, err))) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, mmr_jint(a, "id"));
		mmr_stmt_text(s, 3, s_req);
		mmr_stmt_text(s, 4, s_dec);
		mmr_stmt_text(s, 5, s_obl);
		mmr_stmt_text(s, 6, nowiso);
		rc = mmr_stmt_run(s, err);
	}
	free(s_req), free(s_dec), free(s_obl);
	if (!rc && strcmp(state, "pending"))
		rc = set_state(st, who->tenant, mmr_jint(a, "id"), "pending", state, now, err);
	if (!rc && !strcmp(state, "approved") && !strcmp(mmr_jstr(a, "type"), "exception")) {
		json_object_set_new(a, "decision", dec);
		dec = NULL;
		rc = grant_exception(st, pol, who->tenant, a, now, err);
	}
	json_decref(dec);
	return rc;
}

int mmr_app_approve(mmr_store *st, const mmr_actor *who, int64_t id, bool approve,
		    const char *comment, int64_t now, json_t **out, mmr_error *err)
{
	if (comment && strlen(comment) > 4000)
		return bad(err, "comment", "コメントは 4000 バイトまでです");
	struct verdict v = {approve, comment};
	return transition(st, who, id, approve ? "application.approve" : "application.reject",
			  step_approve, &v, now, out, err);
}

static bool all_confirmed(json_t *a)
{
	size_t i;
	json_t *o;
	json_array_foreach (json_object_get(a, "obligations"), i, o)
		if (json_is_null(json_object_get(o, "confirmed_at")))
			return false;
	return true;
}

static int step_confirm(mmr_store *st, const mmr_policy *pol, const mmr_actor *who, json_t *a,
			void *arg, int64_t now, mmr_error *err)
{
	(void)pol;
	json_t *ids = arg;
	if (mmr_jint(a, "applicant_id") != who->user_id)
		return refuse(err, MMR_EDENIED, "義務の確認は申請者が行います");
	const char *state = mmr_jstr(a, "state");
	if (strcmp(state, "approved") && strcmp(state, "pending"))
		return wrong_state(err, a, "義務の確認が");
	char nowiso[32];
	iso_at(now, nowiso);
	json_t *l = json_object_get(a, "obligations");
	size_t i;
	json_t *x;
	json_array_foreach (ids, i, x) {
		bool found = false;
		size_t j;
		json_t *o;
		json_array_foreach (l, j, o)
			found |= json_is_string(x) &&
				 !strcmp(mmr_jstr(o, "id"), json_string_value(x));
		if (!found) {
			char f[64];
			snprintf(f, sizeof f, "ids[%zu]", i);
			return bad(err, f, "この申請の義務ではありません");
		}
	}
	json_array_foreach (l, i, x) {
		bool pick = !ids;
		size_t j;
		json_t *y;
		json_array_foreach (ids, j, y)
			pick |= !strcmp(json_string_value(y), mmr_jstr(x, "id"));
		if (pick && json_is_null(json_object_get(x, "confirmed_at")))
			json_object_set_new(x, "confirmed_at", json_string(nowiso));
	}
	char *s_obl = dump(l);
	static const char upd[] = "UPDATE applications SET obligations = $3, updated_at = $4 "
				  "WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, upd, &s, err);
	if (!rc) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, mmr_jint(a, "id"));
		mmr_stmt_text(s, 3, s_obl);
		mmr_stmt_text(s, 4, nowiso);
		rc = mmr_stmt_run(s, err);
	}
	free(s_obl);
	return rc;
}

int mmr_app_confirm(mmr_store *st, const mmr_actor *who, int64_t id, json_t *ids, int64_t now,
		    json_t **out, mmr_error *err)
{
	if (ids && !json_is_array(ids))
		return bad(err, "ids", "義務の ID の配列が必要です");
	return transition(st, who, id, "application.confirm", step_confirm, ids, now, out, err);
}

static int step_start(mmr_store *st, const mmr_policy *pol, const mmr_actor *who, json_t *a,
		      void *arg, int64_t now, mmr_error *err)
{
	(void)pol, (void)arg;
	if (mmr_jint(a, "applicant_id") != who->user_id)
		return refuse(err, MMR_EDENIED, "実施は申請者が行います");
	if (strcmp(mmr_jstr(a, "state"), "approved"))
		return wrong_state(err, a, "実施");
	if (!all_confirmed(a))
		return refuse(err, MMR_ECONFLICT, "確認していない義務があります");
	bool takeout = !strcmp(mmr_jstr(a, "type"), "takeout");
	return set_state(st, who->tenant, mmr_jint(a, "id"), "approved",
			 takeout ? "active" : "done", now, err);
}

int mmr_app_start(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		  mmr_error *err)
{
	return transition(st, who, id, "application.start", step_start, NULL, now, out, err);
}

static int step_return(mmr_store *st, const mmr_policy *pol, const mmr_actor *who, json_t *a,
		       void *arg, int64_t now, mmr_error *err)
{
	(void)pol, (void)arg;
	bool approver = false;
	size_t i;
	json_t *p;
	json_array_foreach (json_object_get(a, "approvals"), i, p)
		approver |= mmr_jint(p, "approver_id") == who->user_id;
	if (mmr_jint(a, "applicant_id") != who->user_id && !approver && !who->admin)
		return refuse(err, MMR_EDENIED, "返却は申請者か承認者が記録します");
	if (strcmp(mmr_jstr(a, "type"), "takeout") || strcmp(mmr_jstr(a, "state"), "active"))
		return wrong_state(err, a, "返却");
	return set_state(st, who->tenant, mmr_jint(a, "id"), "active", "returned", now, err);
}

int mmr_app_return(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		   mmr_error *err)
{
	return transition(st, who, id, "application.return", step_return, NULL, now, out, err);
}

static int step_withdraw(mmr_store *st, const mmr_policy *pol, const mmr_actor *who, json_t *a,
			 void *arg, int64_t now, mmr_error *err)
{
	(void)pol, (void)arg;
	if (mmr_jint(a, "applicant_id") != who->user_id)
		return refuse(err, MMR_EDENIED, "取下げは申請者が行います");
	if (strcmp(mmr_jstr(a, "state"), "pending"))
		return wrong_state(err, a, "取下げ");
	return set_state(st, who->tenant, mmr_jint(a, "id"), "pending", "withdrawn", now, err);
}

int mmr_app_withdraw(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		     mmr_error *err)
{
	return transition(st, who, id, "application.withdraw", step_withdraw, NULL, now, out, err);
}

int mmr_app_list(mmr_store *st, const mmr_actor *who, const char *filter, int64_t now, json_t **out,
		 mmr_error *err)
{
	*out = NULL;
	if (!filter)
		filter = "mine";
	bool mine = !strcmp(filter, "mine"), to_approve = !strcmp(filter, "to_approve"),
	     overdue = !strcmp(filter, "overdue"), all = !strcmp(filter, "all");
	if (!mine && !to_approve && !overdue && !all)
		return bad(err, "filter", "mine / to_approve / overdue / all のどれかです");
	static const char q[] =
		"SELECT id FROM applications WHERE tenant = $1 AND "
		"($2 = 0 OR applicant_id = $3) AND ($4 = 0 OR state = 'pending') AND "
		"($5 = 0 OR (state = 'active' AND due_on < $6)) ORDER BY id DESC LIMIT 500";
	char today[16];
	mmr_jst_day(now, 0, today);
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, mine);
	mmr_stmt_int(s, 3, who->user_id);
	mmr_stmt_int(s, 4, to_approve);
	mmr_stmt_int(s, 5, overdue);
	mmr_stmt_text(s, 6, today);
	int64_t ids[500];
	size_t n = 0;
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW && n < 500)
		ids[n++] = mmr_col_int(s, 0);
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE && rc != MMR_DB_ROW)
		return rc;
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *a;
		mmr_error e2;
		if (mmr_app_get(st, who, ids[i], now, &a, &e2))
			continue; /* not visible to who */
		if (to_approve && !json_is_true(json_object_get(a, "can_approve"))) {
			json_decref(a);
			continue;
		}
		json_object_del(a, "request");
		json_array_append_new(items, a);
	}
	*out = json_pack("{s:o, s:s}", "items", items, "filter", filter);
	return MMR_OK;
}

/* ---- exceptions ---- */

static int grant_exception(mmr_store *st, const mmr_policy *pol, const char *tenant, json_t *a,
			   int64_t now, mmr_error *err)
{
	json_t *d = json_object_get(a, "detail");
	json_t *ctx = json_object_get(json_object_get(a, "request"), "context");
	bool emergency = json_is_true(json_object_get(ctx, "emergency"));
	/* who answers for it: the approvers of the ordinary route (for an
	 * emergency, those who receive the after-the-fact report) */
	json_t *roles = json_array();
	json_t *req = json_deep_copy(json_object_get(a, "request"));
	json_object_set_new(json_object_get(req, "context"), "emergency", json_false());
	json_object_set_new(json_object_get(req, "context"), "approvals", json_array());
	json_t *dec;
	if (mmr_decide_value(pol, req, &dec, err) == MMR_OK) {
		json_array_extend(roles, json_object_get(dec, "approvers"));
		json_decref(dec);
	}
	json_decref(req);
	char nowiso[32], report_due[16], review[16];
	iso_at(now, nowiso);
	mmr_jst_day(now, setting(pol, "exception.emergency_report_days", 3), report_due);
	mmr_jst_day(now, setting(pol, "exception.review_interval_days", 90), review);
	char *s_roles = dump(roles);
	json_decref(roles);
	json_t *scope = json_pack("{s:O}", "resource",
				  json_object_get(json_object_get(a, "request"), "resource"));
	char *s_scope = dump(scope);
	json_decref(scope);
	static const char ins[] =
		"INSERT INTO exceptions (tenant, application_id, holder_id, unit_id, action, "
		"scope, "
		"reason, starts_on, ends_on, emergency, report_due_on, approver_roles, state, "
		"next_review_on, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, "
		"$12, 'granted', $13, $14) RETURNING id";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, ins, &s, err);
	if (!rc) {
		mmr_stmt_text(s, 1, tenant);
		mmr_stmt_int(s, 2, mmr_jint(a, "id"));
		mmr_stmt_int(s, 3, mmr_jint(a, "applicant_id"));
		if (mmr_jint(a, "unit_id"))
			mmr_stmt_int(s, 4, mmr_jint(a, "unit_id"));
		else
			mmr_stmt_null(s, 4);
		mmr_stmt_text(s, 5, mmr_jstr(d, "scope_action"));
		mmr_stmt_text(s, 6, s_scope);
		mmr_stmt_text(s, 7, mmr_jstr(d, "reason"));
		mmr_stmt_text(s, 8, mmr_jstr(d, "starts_on"));
		mmr_stmt_text(s, 9, mmr_jstr(d, "ends_on"));
		mmr_stmt_int(s, 10, emergency);
		mmr_stmt_text(s, 11, emergency ? report_due : NULL);
		mmr_stmt_text(s, 12, s_roles);
		mmr_stmt_text(s, 13, review);
		mmr_stmt_text(s, 14, nowiso);
		rc = mmr_stmt_step(s, err);
		if (rc == MMR_DB_ROW) {
			int64_t eid = mmr_col_int(s, 0);
			mmr_stmt_reset(s);
			mmr_actor sys;
			mmr_actor_system(&sys, tenant);
			json_t *rec = json_pack(
				"{s:I, s:I, s:s, s:s, s:s, s:b}", "id", (json_int_t)eid,
				"application_id", (json_int_t)mmr_jint(a, "id"), "action",
				mmr_jstr(d, "scope_action"), "starts_on", mmr_jstr(d, "starts_on"),
				"ends_on", mmr_jstr(d, "ends_on"), "emergency", emergency);
			rc = mmr_audit_record(st, &sys, "exception.grant", "exceptions", eid, NULL,
					      rec, json_object_get(a, "decision"), err);
			json_decref(rec);
		} else {
			mmr_stmt_reset(s);
		}
	}
	free(s_roles), free(s_scope);
	return rc;
}

static json_t *exc_row(mmr_stmt *s, int64_t now)
{
	char today[16], soon[16];
	mmr_jst_day(now, 0, today);
	mmr_jst_day(now, 30, soon);
	const char *starts = mmr_col_text(s, 7), *ends = mmr_col_text(s, 8);
	const char *state = mmr_col_text(s, 12);
	const char *status = !strcmp(state, "revoked")	 ? "revoked"
			     : strcmp(ends, today) < 0	 ? "expired"
			     : strcmp(starts, today) > 0 ? "not_started"
			     : strcmp(ends, soon) <= 0	 ? "expiring"
							 : "active";
	static const struct {
		const char *id, *name;
	} sn[] = {{"revoked", "取消し"},
		  {"expired", "期限切れ"},
		  {"not_started", "開始前"},
		  {"expiring", "まもなく期限"},
		  {"active", "有効"}};
	const char *status_name = status;
	for (size_t i = 0; i < 5; i++)
		if (!strcmp(sn[i].id, status))
			status_name = sn[i].name;
	const char *report_due = mmr_col_text(s, 10), *reported = mmr_col_text(s, 11);
	const char *next_review = mmr_col_text(s, 14);
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(mmr_col_int(s, 0)));
	json_object_set_new(o, "application_id", json_integer(mmr_col_int(s, 1)));
	json_object_set_new(o, "holder_id", json_integer(mmr_col_int(s, 2)));
	json_object_set_new(o, "holder_name", json_string(mmr_col_text(s, 17)));
	json_object_set_new(o, "action", json_string(mmr_col_text(s, 4)));
	json_object_set_new(o, "scope", load_json(mmr_col_text(s, 5)));
	json_object_set_new(o, "reason", json_string(mmr_col_text(s, 6)));
	json_object_set_new(o, "starts_on", json_string(starts));
	json_object_set_new(o, "ends_on", json_string(ends));
	json_object_set_new(o, "emergency", json_boolean(mmr_col_int(s, 9)));
	json_object_set_new(o, "report_due_on", report_due ? json_string(report_due) : json_null());
	json_object_set_new(o, "reported_at", reported ? json_string(reported) : json_null());
	const char *report = mmr_col_text(s, 16);
	json_object_set_new(o, "report", report ? json_string(report) : json_null());
	json_object_set_new(o, "approver_roles", load_json(mmr_col_text(s, 13)));
	json_object_set_new(o, "state", json_string(state));
	json_object_set_new(o, "status", json_string(status));
	json_object_set_new(o, "status_name", json_string(status_name));
	json_object_set_new(o, "next_review_on",
			    next_review ? json_string(next_review) : json_null());
	const char *reviewed = mmr_col_text(s, 15);
	json_object_set_new(o, "reviewed_at", reviewed ? json_string(reviewed) : json_null());
	json_object_set_new(o, "report_overdue",
			    json_boolean(report_due && !reported && strcmp(report_due, today) < 0));
	json_object_set_new(o, "review_due",
			    json_boolean(!strcmp(state, "granted") && next_review &&
					 strcmp(next_review, today) <= 0));
	return o;
}

#define EXC_SELECT                                                                                 \
	"SELECT e.id, e.application_id, e.holder_id, e.unit_id, e.action, e.scope, e.reason, "     \
	"e.starts_on, e.ends_on, e.emergency, e.report_due_on, e.reported_at, e.state, "           \
	"e.approver_roles, e.next_review_on, e.reviewed_at, e.report, u.name "                     \
	"FROM exceptions e JOIN users u ON u.tenant = e.tenant AND u.id = e.holder_id "

/* May `who` oversee exceptions (review, revoke, see all)? */
static bool exc_overseer(mmr_store *st, const mmr_actor *who, json_t *e)
{
	if (who->admin)
		return true;
	size_t i;
	json_t *r;
	json_array_foreach (json_object_get(e, "approver_roles"), i, r)
		if (has_role_text(who, json_string_value(r)) &&
		    holds_for(st, who->tenant, who->user_id, json_string_value(r),
			      mmr_jint(e, "unit_id"), 0))
			return true;
	return false;
}

int mmr_exc_get(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		mmr_error *err)
{
	*out = NULL;
	static const char q[] = EXC_SELECT "WHERE e.tenant = $1 AND e.id = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, id);
	rc = mmr_stmt_step(s, err);
	json_t *e = rc == MMR_DB_ROW ? exc_row(s, now) : NULL;
	if (e)
		json_object_set_new(e, "unit_id",
				    mmr_col_null(s, 3) ? json_null()
						       : json_integer(mmr_col_int(s, 3)));
	mmr_stmt_reset(s);
	if (rc != MMR_DB_ROW && rc != MMR_DB_DONE)
		return rc;
	if (!e || !(who->auditor || mmr_jint(e, "holder_id") == who->user_id ||
		    exc_overseer(st, who, e))) {
		json_decref(e);
		mmr_error_set(err, MMR_ENOTFOUND, "例外措置 %" PRId64 " はありません", id);
		return MMR_ENOTFOUND;
	}
	json_object_set_new(e, "can_oversee", json_boolean(exc_overseer(st, who, e)));
	*out = e;
	return MMR_OK;
}

int mmr_exc_list(mmr_store *st, const mmr_actor *who, int64_t now, json_t **out, mmr_error *err)
{
	*out = NULL;
	static const char q[] = "SELECT id FROM exceptions WHERE tenant = $1 ORDER BY ends_on, id";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	int64_t *ids = NULL;
	size_t n = 0, cap = 0;
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		if (n == cap) {
			cap = cap ? cap * 2 : 64;
			int64_t *t = realloc(ids, cap * sizeof *ids);
			if (!t)
				break;
			ids = t;
		}
		ids[n++] = mmr_col_int(s, 0);
	}
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		free(ids);
		return rc == MMR_DB_ROW ? refuse(err, MMR_ENOMEM, "メモリが足りません") : rc;
	}
	json_t *items = json_array();
	for (size_t i = 0; i < n; i++) {
		json_t *e;
		mmr_error e2;
		if (!mmr_exc_get(st, who, ids[i], now, &e, &e2))
			json_array_append_new(items, e);
	}
	free(ids);
	*out = json_pack("{s:o}", "items", items);
	return MMR_OK;
}

static int exc_update(mmr_store *st, const mmr_actor *who, int64_t id, int what, const char *text,
		      int64_t now, json_t **out, mmr_error *err)
{
	*out = NULL;
	if (text && strlen(text) > 4000)
		return bad(err, "note", "4000 バイトまでです");
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, who->tenant, &pol, err);
	if (rc)
		return rc;
	json_t *e;
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	if ((rc = mmr_exc_get(st, who, id, now, &e, err))) {
		mmr_db_rollback(st->db);
		return rc;
	}
	char nowiso[32], next[16];
	iso_at(now, nowiso);
	mmr_jst_day(now, setting(pol, "exception.review_interval_days", 90), next);
	static const char q_report[] = "UPDATE exceptions SET reported_at = $3, report = $4 "
				       "WHERE tenant = $1 AND id = $2 AND reported_at IS NULL";
	static const char q_review[] = "UPDATE exceptions SET reviewed_at = $3, review_note = $4, "
				       "next_review_on = $5 WHERE tenant = $1 AND id = $2 "
				       "AND state = 'granted'";
	static const char q_revoke[] = "UPDATE exceptions SET state = 'revoked', reviewed_at = $3, "
				       "review_note = $4 WHERE tenant = $1 AND id = $2 "
				       "AND state = 'granted'";
	const char *q = what == 0 ? q_report : what == 1 ? q_review : q_revoke;
	if (what == 0) {
		if (mmr_jint(e, "holder_id") != who->user_id)
			rc = refuse(err, MMR_EDENIED, "事後の報告は例外措置を講じた本人が行います");
		else if (!json_is_true(json_object_get(e, "emergency")))
			rc = refuse(err, MMR_ECONFLICT, "緊急時の例外措置ではありません");
		else if (!text || !*text)
			rc = bad(err, "report", "報告の内容を入力してください");
	} else if (!json_is_true(json_object_get(e, "can_oversee"))) {
		rc = refuse(err, MMR_EDENIED, "例外措置の見直し・取消しは承認者の役割が行います");
	}
	mmr_stmt *s;
	if (!rc && !(rc = mmr_db_prepare(st->db, q, &s, err))) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, id);
		mmr_stmt_text(s, 3, nowiso);
		mmr_stmt_text(s, 4, text && *text ? text : NULL);
		if (what == 1)
			mmr_stmt_text(s, 5, next);
		rc = mmr_stmt_step(s, err);
		int64_t n = rc == MMR_DB_DONE ? mmr_stmt_changes(s) : 0;
		mmr_stmt_reset(s);
		if (rc == MMR_DB_DONE)
			rc = n == 1 ? MMR_OK
				    : refuse(err, MMR_ECONFLICT,
					     what == 0 ? "報告はすでに済んでいます"
						       : "取り消された例外措置です");
	}
	json_t *after = NULL;
	if (!rc)
		rc = mmr_exc_get(st, who, id, now, &after, err);
	if (!rc) {
		static const char *const actions[] = {"exception.report", "exception.review",
						      "exception.revoke"};
		rc = mmr_audit_record(st, who, actions[what], "exceptions", id, e, after, NULL,
				      err);
	}
	json_decref(after);
	json_decref(e);
	rc = mmr_db_end(st->db, rc, err);
	return rc ? rc : mmr_exc_get(st, who, id, now, out, err);
}

int mmr_exc_report(mmr_store *st, const mmr_actor *who, int64_t id, const char *report, int64_t now,
		   json_t **out, mmr_error *err)
{
	return exc_update(st, who, id, 0, report, now, out, err);
}

int mmr_exc_review(mmr_store *st, const mmr_actor *who, int64_t id, const char *note, int64_t now,
		   json_t **out, mmr_error *err)
{
	return exc_update(st, who, id, 1, note, now, out, err);
}

int mmr_exc_revoke(mmr_store *st, const mmr_actor *who, int64_t id, const char *note, int64_t now,
		   json_t **out, mmr_error *err)
{
	return exc_update(st, who, id, 2, note, now, out, err);
}

/* ---- records ---- */

static const struct {
	const char *kind, *name;
	const char *fields[5]; /* required keys of data */
} record_kinds[] = {
	{"two_person", "2名以上での作業記録", {"work", "started_at", "ended_at", NULL}},
	{"maintenance", "保守作業の記録", {"work", "contractor", "done_on", NULL}},
	{"room_entry", "入退室管理簿", {"person", "affiliation", "entered_at", "purpose", NULL}},
	{"media_handover", "記録媒体の受け渡し記録", {"media", "from", "to", "handed_on", NULL}},
};

static int record_kind(const char *kind)
{
	for (size_t i = 0; kind && i < sizeof record_kinds / sizeof record_kinds[0]; i++)
		if (!strcmp(record_kinds[i].kind, kind))
			return (int)i;
	return -1;
}

static json_t *record_row(mmr_stmt *s)
{
	int k = record_kind(mmr_col_text(s, 1));
	const char *conf = mmr_col_text(s, 7);
	json_t *o =
		json_pack("{s:I, s:s, s:s, s:o, s:I, s:s, s:o, s:s?, s:s}", "id",
			  (json_int_t)mmr_col_int(s, 0), "kind", mmr_col_text(s, 1), "kind_name",
			  k >= 0 ? record_kinds[k].name : "", "data", load_json(mmr_col_text(s, 4)),
			  "recorded_by", (json_int_t)mmr_col_int(s, 5), "recorded_by_name",
			  mmr_col_text(s, 9), "partner_id",
			  mmr_col_null(s, 6) ? json_null() : json_integer(mmr_col_int(s, 6)),
			  "partner_confirmed_at", conf, "created_at", mmr_col_text(s, 8));
	json_object_set_new(o, "system_id",
			    mmr_col_null(s, 2) ? json_null() : json_integer(mmr_col_int(s, 2)));
	json_object_set_new(o, "asset_id",
			    mmr_col_null(s, 3) ? json_null() : json_integer(mmr_col_int(s, 3)));
	json_object_set_new(o, "complete",
			    json_boolean(strcmp(mmr_col_text(s, 1), "two_person") || conf));
	return o;
}

#define REC_SELECT                                                                                 \
	"SELECT r.id, r.kind, r.system_id, r.asset_id, r.data, r.recorded_by, r.partner_id, "      \
	"r.partner_confirmed_at, r.created_at, u.name FROM work_records r JOIN users u "           \
	"ON u.tenant = r.tenant AND u.id = r.recorded_by "

static int record_get(mmr_store *st, const char *tenant, int64_t id, json_t **out, mmr_error *err)
{
	static const char q[] = REC_SELECT "WHERE r.tenant = $1 AND r.id = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	rc = mmr_stmt_step(s, err);
	*out = rc == MMR_DB_ROW ? record_row(s) : NULL;
	mmr_stmt_reset(s);
	if (rc == MMR_DB_DONE) {
		mmr_error_set(err, MMR_ENOTFOUND, "記録 %" PRId64 " はありません", id);
		return MMR_ENOTFOUND;
	}
	return rc == MMR_DB_ROW ? MMR_OK : rc;
}

int mmr_record_create(mmr_store *st, const mmr_actor *who, const char *kind, json_t *in,
		      int64_t now, json_t **out, mmr_error *err)
{
	*out = NULL;
	int k = record_kind(kind);
	if (k < 0)
		return bad(err, "kind",
			   "two_person / maintenance / room_entry / media_handover のどれかです");
	if (!who->user_id)
		return refuse(err, MMR_EDENIED, "記録は利用者として行ってください");
	if (!json_is_object(in))
		return bad(err, "", "オブジェクト（JSON の {…}）が必要です");
	json_t *data = json_object_get(in, "data");
	if (!json_is_object(data))
		return bad(err, "data", "記録の内容（オブジェクト）が必要です");
	for (size_t i = 0; record_kinds[k].fields[i]; i++) {
		const char *v = mmr_jstr(data, record_kinds[k].fields[i]);
		if (!v || !*v || strlen(v) > 2000) {
			char f[64];
			snprintf(f, sizeof f, "data.%s", record_kinds[k].fields[i]);
			return bad(err, f, "入力してください（2000 バイトまでの文字列）");
		}
	}
	int64_t partner = mmr_jint(in, "partner_id");
	if (!strcmp(kind, "two_person")) {
		if (!partner)
			return bad(err, "partner_id",
				   "2名以上での作業には、もう一人の作業者が必要です");
		if (partner == who->user_id)
			return bad(err, "partner_id",
				   "もう一人の作業者は記録者と別の人でなければなりません");
	}
	if (partner && !user_exists(st, who->tenant, partner))
		return bad(err, "partner_id", "この団体の利用者ではありません");
	char nowiso[32];
	iso_at(now, nowiso);
	char *s_data = dump(data);
	static const char ins[] =
		"INSERT INTO work_records (tenant, kind, system_id, asset_id, data, recorded_by, "
		"partner_id, created_at) VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id";
	mmr_stmt *s;
	int rc = mmr_db_begin(st->db, err);
	int64_t id = 0;
	if (!rc && !(rc = mmr_db_prepare(st->db, ins, &s, err))) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_text(s, 2, kind);
		int64_t sys = mmr_jint(in, "system_id"), asset = mmr_jint(in, "asset_id");
		if (sys)
			mmr_stmt_int(s, 3, sys);
		else
			mmr_stmt_null(s, 3);
		if (asset)
			mmr_stmt_int(s, 4, asset);
		else
			mmr_stmt_null(s, 4);
		mmr_stmt_text(s, 5, s_data);
		mmr_stmt_int(s, 6, who->user_id);
		if (partner)
			mmr_stmt_int(s, 7, partner);
		else
			mmr_stmt_null(s, 7);
		mmr_stmt_text(s, 8, nowiso);
		rc = mmr_stmt_step(s, err);
		if (rc == MMR_DB_ROW) {
			id = mmr_col_int(s, 0);
			rc = MMR_OK;
		}
		mmr_stmt_reset(s);
		if (!rc)
			rc = record_get(st, who->tenant, id, out, err);
		if (!rc)
			rc = mmr_audit_record(st, who, "record.create", "work_records", id, NULL,
					      *out, NULL, err);
		rc = mmr_db_end(st->db, rc, err);
		if (rc && *out) {
			json_decref(*out);
			*out = NULL;
		}
	}
	free(s_data);
	return rc;
}

int mmr_record_confirm(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now, json_t **out,
		       mmr_error *err)
{
	*out = NULL;
	json_t *r;
	int rc = record_get(st, who->tenant, id, &r, err);
	if (rc)
		return rc;
	int64_t partner = mmr_jint(r, "partner_id");
	bool done = !json_is_null(json_object_get(r, "partner_confirmed_at"));
	json_decref(r);
	if (partner != who->user_id)
		return refuse(err, MMR_EDENIED, "確認は記録に名前のある相手の作業者が行います");
	if (done)
		return refuse(err, MMR_ECONFLICT, "すでに確認済みです");
	char nowiso[32];
	iso_at(now, nowiso);
	static const char q[] = "UPDATE work_records SET partner_confirmed_at = $3 "
				"WHERE tenant = $1 AND id = $2 AND partner_confirmed_at IS NULL";
	mmr_stmt *s;
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	if (!(rc = mmr_db_prepare(st->db, q, &s, err))) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, id);
		mmr_stmt_text(s, 3, nowiso);
		rc = mmr_stmt_run(s, err);
	}
	if (!rc)
		rc = record_get(st, who->tenant, id, out, err);
	if (!rc)
		rc = mmr_audit_record(st, who, "record.confirm", "work_records", id, NULL, *out,
				      NULL, err);
	rc = mmr_db_end(st->db, rc, err);
	if (rc && *out) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int mmr_record_list(mmr_store *st, const mmr_actor *who, const char *kind, json_t **out,
		    mmr_error *err)
{
	*out = NULL;
	if (kind && record_kind(kind) < 0)
		return bad(err, "kind",
			   "two_person / maintenance / room_entry / media_handover のどれかです");
	bool all = who->admin || who->auditor || who->manager || who->system;
	static const char q[] =
		REC_SELECT "WHERE r.tenant = $1 AND ($2 = '' OR r.kind = $2) "
			   "AND ($3 = 1 OR r.recorded_by = $4 OR r.partner_id = $4) "
			   "ORDER BY r.id DESC LIMIT 500";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_text(s, 2, kind ? kind : "");
	mmr_stmt_int(s, 3, all);
	mmr_stmt_int(s, 4, who->user_id);
	json_t *items = json_array();
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW)
		json_array_append_new(items, record_row(s));
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		json_decref(items);
		return rc;
	}
	*out = json_pack("{s:o}", "items", items);
	return MMR_OK;
}

int mmr_user_set_deputy(mmr_store *st, const mmr_actor *who, int64_t principal, int64_t deputy,
			bool remove, mmr_error *err)
{
	if (!who->admin)
		return refuse(err, MMR_EDENIED, "代理者の指定は管理者が行います");
	if (principal == deputy)
		return bad(err, "deputy_id", "本人を自分の代理者にはできません");
	if (!user_exists(st, who->tenant, principal))
		return bad(err, "principal_id", "この団体の利用者ではありません");
	if (!user_exists(st, who->tenant, deputy))
		return bad(err, "deputy_id", "この団体の利用者ではありません");
	static const char ins[] = "INSERT INTO deputies (tenant, principal_id, deputy_id) "
				  "VALUES ($1, $2, $3)";
	static const char del[] = "DELETE FROM deputies WHERE tenant = $1 AND principal_id = $2 "
				  "AND deputy_id = $3";
	mmr_stmt *s;
	int rc = mmr_db_begin(st->db, err);
	if (rc)
		return rc;
	if (!(rc = mmr_db_prepare(st->db, remove ? del : ins, &s, err))) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, principal);
		mmr_stmt_int(s, 3, deputy);
		rc = mmr_stmt_run(s, err);
		if (rc == MMR_ECONFLICT)
			mmr_error_set(err, rc, "すでに代理者です");
	}
	if (!rc) {
		json_t *rec = json_pack("{s:I, s:I}", "principal_id", (json_int_t)principal,
					"deputy_id", (json_int_t)deputy);
		rc = mmr_audit_record(st, who, remove ? "user.deputy_remove" : "user.deputy_set",
				      "users", principal, NULL, rec, NULL, err);
		json_decref(rec);
	}
	return mmr_db_end(st->db, rc, err);
}

/* ---- reminders ---- */

static int remind_tenant(mmr_store *st, const char *tenant, int64_t now, size_t *sent,
			 mmr_error *err)
{
	char today[16];
	mmr_jst_day(now, 0, today);
	/* take-outs past their return date, once a day */
	static const char q_over[] =
		"UPDATE applications SET reminded_on = $2 WHERE tenant = $1 AND state = 'active' "
		"AND due_on < $2 AND (reminded_on IS NULL OR reminded_on < $2) "
		"RETURNING id, applicant_id, title, due_on";
	/* emergency exceptions whose report is late; exceptions due for review */
	static const char q_exc[] =
		"UPDATE exceptions SET reminded_on = $2 WHERE tenant = $1 AND state = 'granted' "
		"AND ((emergency <> 0 AND reported_at IS NULL AND report_due_on < $2) OR "
		"next_review_on <= $2 OR (ends_on >= $2 AND ends_on <= $3)) "
		"AND (reminded_on IS NULL OR reminded_on < $2) "
		"RETURNING id, holder_id, reason, ends_on, report_due_on, reported_at, emergency";
	char soon[16];
	mmr_jst_day(now, 14, soon);
	int rc = mmr_db_begin(st->db, err);
	if (rc)
		return rc;
	struct item {
		int64_t id, user;
		char text[600];
	} items[256];
	size_t n = 0;
	mmr_stmt *s;
	if (!(rc = mmr_db_prepare(st->db, q_over, &s, err))) {
		mmr_stmt_text(s, 1, tenant);
		mmr_stmt_text(s, 2, today);
		while (n < 256 && (rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
			items[n].id = mmr_col_int(s, 0);
			items[n].user = mmr_col_int(s, 1);
			snprintf(items[n].text, sizeof items[n].text,
				 "返却期限（%s）を過ぎています: 持ち出し「%s」", mmr_col_text(s, 3),
				 mmr_col_text(s, 2));
			n++;
		}
		mmr_stmt_reset(s);
		rc = rc == MMR_DB_ROW || rc == MMR_DB_DONE ? MMR_OK : rc;
	}
	for (size_t i = 0; !rc && i < n; i++) {
		char link[64];
		snprintf(link, sizeof link, "/applications/%lld", (long long)items[i].id);
		rc = mmr_notify_user(st, tenant, items[i].user, "application.overdue",
				     items[i].text, items[i].text, link, err);
		if (!rc)
			(*sent)++;
	}
	n = 0;
	if (!rc && !(rc = mmr_db_prepare(st->db, q_exc, &s, err))) {
		mmr_stmt_text(s, 1, tenant);
		mmr_stmt_text(s, 2, today);
		mmr_stmt_text(s, 3, soon);
		while (n < 256 && (rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
			items[n].id = mmr_col_int(s, 0);
			items[n].user = mmr_col_int(s, 1);
			const char *due = mmr_col_text(s, 4);
			bool late = mmr_col_int(s, 6) && mmr_col_null(s, 5) && due &&
				    strcmp(due, today) < 0;
			snprintf(items[n].text, sizeof items[n].text,
				 late ? "緊急時の例外措置の事後報告が期限（%s）を過ぎています: %s"
				      : "例外措置の期限（%s）または見直しの時期です: %s",
				 late ? due : mmr_col_text(s, 3), mmr_col_text(s, 2));
			n++;
		}
		mmr_stmt_reset(s);
		rc = rc == MMR_DB_ROW || rc == MMR_DB_DONE ? MMR_OK : rc;
	}
	for (size_t i = 0; !rc && i < n; i++) {
		rc = mmr_notify_user(st, tenant, items[i].user, "exception.reminder", items[i].text,
				     items[i].text, "/exceptions", err);
		if (!rc)
			(*sent)++;
	}
	return mmr_db_end(st->db, rc, err);
}

int mmr_work_remind(mmr_store *st, int64_t now, size_t *sent, mmr_error *err)
{
	*sent = 0;
	json_t *tenants = mmr_tenant_list(st, err);
	if (!tenants)
		return MMR_EIO;
	size_t i;
	json_t *t;
	int rc = MMR_OK;
	json_array_foreach (tenants, i, t) {
		if ((rc = remind_tenant(st, json_string_value(json_object_get(t, "id")), now, sent,
					err)))
			break;
	}
	json_decref(tenants);
	return rc;
}

/* ---- demo ---- */

/* In every tenant: a take-out and a software installation filed by a member
 * of staff, so that the demo shows the route and the approver's list. */
int mmr_work_demo(mmr_store *st, int64_t now, mmr_error *err)
{
	json_t *tenants = mmr_tenant_list(st, err);
	if (!tenants)
		return MMR_EIO;
	static const char q[] =
		"SELECT u.id FROM users u JOIN user_roles r ON r.tenant = u.tenant "
		"AND r.user_id = u.id WHERE u.tenant = $1 AND u.unit_id IS NOT NULL "
		"AND r.role IN ('staff', 'council_staff', 'assembly_member') "
		"ORDER BY u.id LIMIT 1";
	char due[16];
	mmr_jst_day(now, 3, due);
	int rc = MMR_OK;
	size_t i;
	json_t *t;
	json_array_foreach (tenants, i, t) {
		const char *tenant = mmr_jstr(t, "id");
		mmr_stmt *s;
		if ((rc = mmr_db_prepare(st->db, q, &s, err)))
			break;
		mmr_stmt_text(s, 1, tenant);
		int64_t uid = mmr_stmt_step(s, err) == MMR_DB_ROW ? mmr_col_int(s, 0) : 0;
		mmr_stmt_reset(s);
		if (!uid)
			continue;
		mmr_actor who;
		if ((rc = mmr_actor_load(st, tenant, uid, &who, err)))
			break;
		json_t *apps[2] = {
			json_pack("{s:s, s:s, s:{s:s}, s:{s:s}, s:{s:s, s:s, s:s}}", "type",
				  "takeout", "title", "住民説明会で使うノートPCの持ち出し",
				  "resource", "kind", "device", "context", "destination",
				  "external", "detail", "destination", "市民会館", "purpose",
				  "住民説明会", "due_on", due),
			json_pack("{s:s, s:s, s:{s:s}, s:{s:s, s:s, s:s}}", "type", "software",
				  "title", "PDF 編集ソフトの導入", "resource", "kind", "software",
				  "detail", "software", "PDF 編集ソフト", "version", "2026",
				  "purpose", "申請書様式の作成"),
		};
		for (int k = 0; k < 2 && !rc; k++) {
			json_t *o = NULL;
			rc = mmr_app_create(st, &who, apps[k], now, &o, err);
			json_decref(o);
		}
		json_decref(apps[0]);
		json_decref(apps[1]);
		if (rc)
			break;
	}
	json_decref(tenants);
	return rc;
}
