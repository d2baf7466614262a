/*
 * incident.c — the incident desk (incident.h).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "store/audit.h"
#include "store/incident.h"
#include "store/notify.h"
#include "store/store_int.h"

#define DAY_MS (24LL * 3600 * 1000)

/* ---- vocabulary ---- */

static const struct {
	const char *id, *name;
} states[] = {
	{"reported", "報告受付（トリアージ待ち）"},
	{"not_incident", "インシデントではない"},
	{"containment", "封じ込め"},
	{"recovery", "復旧"},
	{"cause", "原因究明"},
	{"prevention", "再発防止"},
	{"closed", "終結"},
};

/* The only moves; triage makes the first two. */
static const struct {
	const char *from, *to;
	bool triage;
} moves[] = {
	{"reported", "not_incident", true}, {"reported", "containment", true},
	{"containment", "recovery", false}, {"recovery", "cause", false},
	{"cause", "prevention", false},	    {"prevention", "closed", false},
	{"not_incident", "closed", false},
};

static const struct {
	const char *id, *name;
	bool serious;
} severities[] = {
	{"low", "低", false},
	{"medium", "中", false},
	{"high", "高", true},
	{"critical", "重大", true},
};

/* 施行規則 (個人情報の保護に関する法律施行規則) triggers of the report to the
 * Personal Information Protection Commission, as /work/shared/DOMAIN.md
 * lists them for administrative bodies. */
static const struct {
	const char *id, *name;
} triggers[] = {
	{"sensitive", "要配慮個人情報が含まれる"},
	{"financial", "不正に利用されることにより財産的被害が生じるおそれ"},
	{"wrongful", "不正の目的をもって行われたおそれ"},
	{"over100", "本人の数が100人を超える"},
	{"ordinance", "条例要配慮個人情報が含まれる"},
};

static const struct {
	const char *id, *name;
} steps[] = {
	{"warning", "注意"},
	{"guidance", "指導"},
	{"suspension", "ネットワーク又は情報システムを使用する権利の停止"},
};

/* Who a case is escalated to, per profile (falling back to "guideline"):
 * `when` is "serious" (severity high or critical) or "personal" (personal
 * information involved). The roles are the profile's role ids; `bodies`
 * names those the clause names that are not users of mamori. The clause
 * text is quoted from the seeds (/work/shared/seeds/). */
static const struct escalation {
	const char *profile, *when;
	const char *roles[4];
	const char *bodies, *clause, *text;
} escalations[] = {
	{"toyohashi",
	 "serious",
	 {"committee", "ciso", NULL},
	 NULL,
	 "豊橋市 対策基準 第5 4(3)",
	 "情報システム管理者は、発生した事故等が重大であると判断した場合は、情報セキュリティ委員会"
	 "に"
	 "報告するものとする。"},
	{"ibaraki-gikai",
	 "personal",
	 {"council_chief", "council_manager", NULL},
	 "議会運営委員会、茨城町情報セキュリティ総括責任者",
	 "茨城町議会 対策基準 第2章 5(5)②",
	 "管理者は、情報セキュリティインシデントにより、個人情報・特定個人情報の漏えい等が発生した"
	 "場合、"
	 "必要に応じて議会運営委員会及び茨城町情報セキュリティ総括責任者へ報告し、住民等外部から報"
	 "告を"
	 "受けるための窓口を議会事務局内に設置するとともに、当該窓口への連絡手段を公表しなければな"
	 "らな"
	 "い。"},
	{"ibaraki-gikai",
	 "serious",
	 {"council_chief", NULL},
	 NULL,
	 "茨城町議会 対策基準 第2章 1(2)⑥",
	 "緊急時の責任者への早急に報告と回復のための対策。"},
	{"meguro",
	 "serious",
	 {"ciso", NULL},
	 NULL,
	 "目黒区 基本方針 5(1)イ(ウ)",
	 "区政全般における情報セキュリティに係る災害、障害、過失及び不正の脅威に対する対処に関する"
	 "こと。"},
	{"meguro",
	 "personal",
	 {"info_management_council", NULL},
	 NULL,
	 "目黒区 基本方針 5(3)ア",
	 "CISOは、区における個人情報の漏えい等の未然防止、再発防止等に係る調査及び検討を行うため、"
	 "情報"
	 "マネジメント会議を置く。"},
	/* 亀岡市 publishes only the outline of its 対策基準: the clause is a
	 * heading without a body. The case goes to the 最高情報統括責任者, who
	 * the outline makes responsible for acting on "情報セキュリティに関する
	 * 状況の変化等" (第8章 2); the text below is the heading's own words. */
	{"kameoka",
	 "serious",
	 {"chief_information_officer", NULL},
	 NULL,
	 "亀岡市 対策基準規程 第3章 (3)",
	 "セキュリティ事故・欠陥等の報告"},
	{"guideline",
	 "serious",
	 {"committee", "ciso", NULL},
	 NULL,
	 "総務省ガイドラインの体制（豊橋市 対策基準 第5 4(3) と同旨の既定）",
	 "情報システム管理者は、発生した事故等が重大であると判断した場合は、情報セキュリティ委員会"
	 "に"
	 "報告するものとする。"},
};

/* Where the emergency response plan comes from, per profile. */
static const struct {
	const char *profile, *clause;
} plan_clauses[] = {
	{"ibaraki-gikai", "茨城町議会 対策基準 第2章 7-3(1)(2)"},
	{"toyohashi",
	 "豊橋市 対策基準 第5 4(2)（緊急連絡体制の整備、被害の拡大防止、復旧、原因究明等）"},
	{NULL,
	 "総務省ガイドラインの緊急時対応計画（項目は 茨城町議会 対策基準 第2章 7-3(2) の四つ）"},
};

static const char *plan_clause(const char *profile)
{
	size_t i = 0;
	while (plan_clauses[i].profile && strcmp(plan_clauses[i].profile, profile))
		i++;
	return plan_clauses[i].clause;
}

/* Timeline actions in Japanese. */
static const char *action_name(const char *a)
{
	static const struct {
		const char *id, *name;
	} names[] = {
		{"reported", "報告"},
		{"triaged", "トリアージ"},
		{"updated", "判定の変更"},
		{"transition", "段階の移行"},
		{"note", "記録"},
		{"escalated.serious", "重大事故として上申"},
		{"escalated.personal", "個人情報の漏えい等として上申"},
		{"ppc.prompt", "個人情報保護委員会へ速報"},
		{"ppc.final", "個人情報保護委員会へ確報"},
		{"violation.warning", "違反への措置: 注意"},
		{"violation.guidance", "違反への措置: 指導"},
		{"violation.suspension", "違反への措置: 使用する権利の停止"},
	};
	for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
		if (!strcmp(names[i].id, a))
			return names[i].name;
	return a;
}

const char *mmr_incident_state_name(const char *s)
{
	for (size_t i = 0; s && i < sizeof states / sizeof states[0]; i++)
		if (!strcmp(states[i].id, s))
			return states[i].name;
	return NULL;
}

const char *mmr_incident_severity_name(const char *s)
{
	for (size_t i = 0; s && i < sizeof severities / sizeof severities[0]; i++)
		if (!strcmp(severities[i].id, s))
			return severities[i].name;
	return NULL;
}

static bool serious(const char *sev)
{
	for (size_t i = 0; sev && i < sizeof severities / sizeof severities[0]; i++)
		if (!strcmp(severities[i].id, sev))
			return severities[i].serious;
	return false;
}

static const char *trigger_name(const char *t)
{
	for (size_t i = 0; t && i < sizeof triggers / sizeof triggers[0]; i++)
		if (!strcmp(triggers[i].id, t))
			return triggers[i].name;
	return NULL;
}

static const char *step_name(const char *t)
{
	for (size_t i = 0; t && i < sizeof steps / sizeof steps[0]; i++)
		if (!strcmp(steps[i].id, t))
			return steps[i].name;
	return NULL;
}

/* ---- time ---- */

int64_t mmr_now_ms(void)
{
	struct timeval tv;
	gettimeofday(&tv, NULL);
	return (int64_t)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

void mmr_ms_to_iso(int64_t ms, char out[32])
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, 32 - n, ".%03dZ", (int)(ms % 1000));
}

int64_t mmr_iso_to_ms(const char *s)
{
	if (!s)
		return -1;
	int y, mo, d, h = 0, mi = 0, sec = 0, ms = 0, consumed = 0;
	if (sscanf(s, "%4d-%2d-%2d%n", &y, &mo, &d, &consumed) != 3 || consumed != 10)
		return -1;
	const char *p = s + 10;
	int64_t offset_min = 540; /* a bare date is a day in Japan */
	if (*p == 'T' || *p == ' ') {
		int c2 = 0;
		if (sscanf(p + 1, "%2d:%2d%n", &h, &mi, &c2) != 2 || c2 != 5)
			return -1;
		p += 1 + c2;
		if (*p == ':') {
			if (!(p[1] >= '0' && p[1] <= '9' && p[2] >= '0' && p[2] <= '9'))
				return -1;
			sec = (p[1] - '0') * 10 + (p[2] - '0');
			p += 3;
			if (*p == '.') {
				int digits = 0;
				p++;
				while (*p >= '0' && *p <= '9') {
					if (digits < 3)
						ms = ms * 10 + (*p - '0');
					digits++;
					p++;
				}
				if (!digits || digits > 9)
					return -1;
				for (; digits < 3; digits++)
					ms *= 10;
			}
		}
		if (*p == 'Z') {
			offset_min = 0;
			p++;
		} else if ((*p == '+' || *p == '-') && p[1] && p[2] && p[3] == ':' && p[4] &&
			   p[5]) {
			int oh, om;
			if (sscanf(p + 1, "%2d:%2d", &oh, &om) != 2 || oh > 14 || om > 59)
				return -1;
			offset_min = (*p == '-' ? -1 : 1) * (oh * 60 + om);
			p += 6;
		} else
			return -1;
	}
	if (*p)
		return -1;
	static const int mdays[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < 1971 || y > 9999 || mo < 1 || mo > 12 || d < 1 || d > mdays[mo - 1] || h > 23 ||
	    mi > 59 || sec > 60)
		return -1;
	bool leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
	if (mo == 2 && d == 29 && !leap)
		return -1;
	struct tm tm = {.tm_year = y - 1900,
			.tm_mon = mo - 1,
			.tm_mday = d,
			.tm_hour = h,
			.tm_min = mi,
			.tm_sec = sec};
	int64_t t = (int64_t)timegm(&tm);
	return (t - offset_min * 60) * 1000 + ms;
}

/* ---- who ---- */

static bool has_role(const mmr_actor *who, const char *role)
{
	size_t n = strlen(role);
	for (const char *p = who->roles; *p;) {
		const char *e = strchr(p, ',');
		size_t l = e ? (size_t)(e - p) : strlen(p);
		if (l == n && !strncmp(p, role, n))
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

bool mmr_incident_is_csirt(const mmr_actor *who)
{
	return who->admin || has_role(who, "csirt");
}

/* ---- rows ---- */

static const char sel_case[] =
	"SELECT id, title, description, occurred_at, aware_at, reporter_id, state, severity, "
	"personal, ppc_triggers, wrongful, assignee_id, deadline, ppc_prompt_at, ppc_final_at, "
	"created_at, updated_at FROM incidents WHERE tenant = $1 AND id = $2";

static json_t *row_json(mmr_stmt *s)
{
	json_t *trig = json_loads(mmr_col_text(s, 9) ? mmr_col_text(s, 9) : "[]", 0, NULL);
	if (!json_is_array(trig)) {
		json_decref(trig);
		trig = json_array();
	}
	json_t *o = json_pack(
		"{s:I, s:s, s:s, s:s?, s:s, s:o, s:s, s:s?, s:b, s:o, s:b, s:o, s:s?, s:s?, s:s?, "
		"s:s, s:s}",
		"id", (json_int_t)mmr_col_int(s, 0), "title", mmr_col_text(s, 1), "description",
		mmr_col_text(s, 2), "occurred_at", mmr_col_text(s, 3), "aware_at",
		mmr_col_text(s, 4), "reporter_id",
		mmr_col_null(s, 5) ? json_null() : json_integer((json_int_t)mmr_col_int(s, 5)),
		"state", mmr_col_text(s, 6), "severity", mmr_col_text(s, 7), "personal",
		mmr_col_int(s, 8) != 0, "ppc_triggers", trig, "wrongful", mmr_col_int(s, 10) != 0,
		"assignee_id",
		mmr_col_null(s, 11) ? json_null() : json_integer((json_int_t)mmr_col_int(s, 11)),
		"deadline", mmr_col_text(s, 12), "ppc_prompt_at", mmr_col_text(s, 13),
		"ppc_final_at", mmr_col_text(s, 14), "created_at", mmr_col_text(s, 15),
		"updated_at", mmr_col_text(s, 16));
	return o;
}

static bool may_see(const mmr_actor *who, json_t *c)
{
	if (mmr_incident_is_csirt(who) || who->auditor)
		return true;
	return who->user_id && (mmr_jint(c, "reporter_id") == who->user_id ||
				mmr_jint(c, "assignee_id") == who->user_id);
}

/* The case `id` as `who` may see it; another tenant's or an unseen one does
 * not exist. */
static int load(mmr_store *st, const mmr_actor *who, int64_t id, json_t **out, mmr_error *err)
{
	*out = NULL;
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, sel_case, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, id);
	rc = mmr_stmt_step(s, err);
	json_t *c = rc == MMR_DB_ROW ? row_json(s) : NULL;
	mmr_stmt_reset(s);
	if (rc == MMR_DB_ROW && c && may_see(who, c)) {
		*out = c;
		return MMR_OK;
	}
	json_decref(c);
	if (rc != MMR_DB_ROW && rc != MMR_DB_DONE)
		return rc;
	mmr_field_error(err, MMR_ENOTFOUND, "id", "インシデント %" PRId64 " はありません", id);
	return MMR_ENOTFOUND;
}

static json_t *user_ref(mmr_store *st, const char *tenant, int64_t id)
{
	if (!id)
		return json_null();
	static const char q[] = "SELECT login, name FROM users WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	mmr_error err;
	if (mmr_db_prepare(st->db, q, &s, &err))
		return json_null();
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	json_t *o = json_null();
	if (mmr_stmt_step(s, &err) == MMR_DB_ROW)
		o = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "login", mmr_col_text(s, 0),
			      "name", mmr_col_text(s, 1));
	mmr_stmt_reset(s);
	return o ? o : json_null();
}

static int event(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now_ms,
		 const char *action, const char *from, const char *to, int64_t subject,
		 const char *note, mmr_error *err)
{
	static const char q[] =
		"INSERT INTO incident_events (tenant, incident_id, at, actor_id, actor_login, "
		"action, from_state, to_state, subject_id, note) VALUES ($1, $2, $3, $4, $5, $6, "
		"$7, $8, $9, $10)";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	char at[32];
	mmr_ms_to_iso(now_ms, at);
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, id);
	mmr_stmt_text(s, 3, at);
	if (who->user_id)
		mmr_stmt_int(s, 4, who->user_id);
	else
		mmr_stmt_null(s, 4);
	mmr_stmt_text(s, 5, who->login);
	mmr_stmt_text(s, 6, action);
	mmr_stmt_text(s, 7, from);
	mmr_stmt_text(s, 8, to);
	if (subject)
		mmr_stmt_int(s, 9, subject);
	else
		mmr_stmt_null(s, 9);
	mmr_stmt_text(s, 10, note && *note ? note : NULL);
	return mmr_stmt_run(s, err);
}

/* The audit log record of a change, in the caller's transaction. */
static int audit(mmr_store *st, const mmr_actor *who, const char *action, const char *kind,
		 int64_t id, const json_t *before, const json_t *after, mmr_error *err)
{
	return mmr_audit_record(st, who, action, kind, id, before, after, NULL, err);
}

static json_t *state_obj(int64_t id, const char *state)
{
	return json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", state);
}

static json_t *timeline(mmr_store *st, const char *tenant, int64_t id)
{
	static const char q[] = "SELECT at, actor_login, action, from_state, to_state, subject_id, "
				"note FROM incident_events WHERE tenant = $1 AND incident_id = $2 "
				"ORDER BY id";
	json_t *a = json_array();
	mmr_stmt *s;
	mmr_error err;
	if (mmr_db_prepare(st->db, q, &s, &err))
		return a;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	while (mmr_stmt_step(s, &err) == MMR_DB_ROW) {
		const char *from = mmr_col_text(s, 3), *to = mmr_col_text(s, 4);
		json_array_append_new(
			a,
			json_pack("{s:s, s:s, s:s, s:s, s:s?, s:s?, s:s?, s:s?, s:o, s:s?}", "at",
				  mmr_col_text(s, 0), "actor", mmr_col_text(s, 1), "action",
				  mmr_col_text(s, 2), "action_name",
				  action_name(mmr_col_text(s, 2)), "from", from, "to", to,
				  "from_name", mmr_incident_state_name(from), "to_name",
				  mmr_incident_state_name(to), "subject_id",
				  mmr_col_null(s, 5) ? json_null()
						     : json_integer((json_int_t)mmr_col_int(s, 5)),
				  "note", mmr_col_text(s, 6)));
	}
	mmr_stmt_reset(s);
	return a;
}

static json_t *targets(mmr_store *st, const char *tenant, int64_t id)
{
	static const char q[] = "SELECT kind, target_id FROM incident_targets WHERE tenant = $1 "
				"AND incident_id = $2 ORDER BY kind, target_id";
	json_t *o = json_pack("{s:[], s:[], s:[]}", "assets", "systems", "devices");
	mmr_stmt *s;
	mmr_error err;
	if (mmr_db_prepare(st->db, q, &s, &err))
		return o;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	while (mmr_stmt_step(s, &err) == MMR_DB_ROW) {
		json_t *a = json_object_get(o, mmr_col_text(s, 0));
		if (a)
			json_array_append_new(a, json_integer((json_int_t)mmr_col_int(s, 1)));
	}
	mmr_stmt_reset(s);
	return o;
}

static const char *profile_of(mmr_store *st, const char *tenant)
{
	const mmr_policy *pol;
	mmr_error err;
	if (mmr_tenant_policy(st, tenant, &pol, &err))
		return "guideline";
	return mmr_policy_id(pol);
}

/* The escalation rules of a profile (its own, else the guideline's). */
static json_t *escalation_rules(const char *profile)
{
	json_t *a = json_array();
	for (int pass = 0; pass < 2 && !json_array_size(a); pass++) {
		const char *p = pass ? "guideline" : profile;
		for (size_t i = 0; i < sizeof escalations / sizeof escalations[0]; i++) {
			const struct escalation *e = &escalations[i];
			if (strcmp(e->profile, p))
				continue;
			json_t *roles = json_array();
			for (size_t r = 0; r < 4 && e->roles[r]; r++)
				json_array_append_new(roles, json_string(e->roles[r]));
			json_array_append_new(a, json_pack("{s:s, s:s, s:o, s:s?, s:s, s:s, s:s}",
							   "when", e->when, "when_name",
							   !strcmp(e->when, "serious")
								   ? "重大な事故（深刻度 高・重大）"
								   : "個人情報の漏えい等",
							   "roles", roles, "bodies", e->bodies,
							   "clause", e->clause, "text", e->text,
							   "profile", e->profile));
		}
	}
	return a;
}

/* PPC report: required when personal information is involved and a trigger
 * of the 施行規則 applies. 速報 within 3 days of awareness — the stricter
 * end of the "about 3–5 days" practice, so that no reading of "速やかに"
 * finds the body late; 確報 within 30 days, 60 when a wrongful purpose is
 * suspected. */
static json_t *ppc(json_t *c, int64_t now_ms)
{
	bool required = json_is_true(json_object_get(c, "personal")) &&
			json_array_size(json_object_get(c, "ppc_triggers")) > 0;
	int64_t aware = mmr_iso_to_ms(mmr_jstr(c, "aware_at"));
	if (!required || aware < 0)
		return json_pack("{s:b}", "required", false);
	bool wrongful = json_is_true(json_object_get(c, "wrongful"));
	int64_t pd = aware + 3 * DAY_MS, fd = aware + (wrongful ? 60 : 30) * DAY_MS;
	char p[32], f[32];
	mmr_ms_to_iso(pd, p);
	mmr_ms_to_iso(fd, f);
	const char *pf = mmr_jstr(c, "ppc_prompt_at"), *ff = mmr_jstr(c, "ppc_final_at");
	json_t *names = json_array();
	size_t i;
	json_t *t;
	json_array_foreach (json_object_get(c, "ppc_triggers"), i, t) {
		const char *n = trigger_name(json_string_value(t));
		if (n)
			json_array_append_new(names, json_string(n));
	}
	return json_pack("{s:b, s:s, s:s, s:i, s:s?, s:s?, s:b, s:b, s:o}", "required", true,
			 "prompt_due", p, "final_due", f, "final_days", wrongful ? 60 : 30,
			 "prompt_filed_at", pf, "final_filed_at", ff, "prompt_overdue",
			 !pf && now_ms > pd, "final_overdue", !ff && now_ms > fd, "trigger_names",
			 names);
}

static json_t *next_states(const char *state)
{
	json_t *a = json_array();
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
		if (!strcmp(moves[i].from, state))
			json_array_append_new(a, json_pack("{s:s, s:s, s:b}", "id", moves[i].to,
							   "name",
							   mmr_incident_state_name(moves[i].to),
							   "triage", moves[i].triage));
	return a;
}

static void decorate(mmr_store *st, const mmr_actor *who, json_t *c, int64_t now_ms, bool full)
{
	const char *state = mmr_jstr(c, "state");
	json_object_set_new(c, "state_name", json_string(mmr_incident_state_name(state)));
	const char *sev = mmr_jstr(c, "severity");
	if (sev)
		json_object_set_new(c, "severity_name",
				    json_string(mmr_incident_severity_name(sev)));
	json_object_set_new(c, "serious", json_boolean(serious(sev)));
	json_object_set_new(c, "ppc", ppc(c, now_ms));
	json_object_set_new(c, "reporter", user_ref(st, who->tenant, mmr_jint(c, "reporter_id")));
	json_object_set_new(c, "assignee", user_ref(st, who->tenant, mmr_jint(c, "assignee_id")));
	int64_t dl = mmr_iso_to_ms(mmr_jstr(c, "deadline"));
	bool open = strcmp(state, "closed") && strcmp(state, "not_incident");
	json_object_set_new(c, "overdue", json_boolean(open && dl >= 0 && now_ms > dl));
	if (!full)
		return;
	int64_t id = mmr_jint(c, "id");
	json_object_set_new(c, "targets", targets(st, who->tenant, id));
	json_object_set_new(c, "timeline", timeline(st, who->tenant, id));
	json_object_set_new(c, "next_states", next_states(state));
	json_object_set_new(c, "escalation", escalation_rules(profile_of(st, who->tenant)));
	bool csirt = mmr_incident_is_csirt(who);
	json_object_set_new(
		c, "may",
		json_pack("{s:b, s:b}", "triage", csirt, "advance",
			  csirt || (who->user_id && mmr_jint(c, "assignee_id") == who->user_id)));
}

/* ---- input ---- */

static int check_keys(json_t *in, const char *const *keys, mmr_error *err)
{
	if (!json_is_object(in)) {
		mmr_field_error(err, MMR_EINVAL, "body", "JSON のオブジェクトが必要です");
		return MMR_EINVAL;
	}
	const char *k;
	json_t *v;
	json_object_foreach (in, k, v) {
		bool ok = false;
		for (const char *const *p = keys; *p && !ok; p++)
			ok = !strcmp(*p, k);
		if (!ok) {
			mmr_field_error(err, MMR_EINVAL, k, "未知の項目です");
			return MMR_EINVAL;
		}
	}
	return MMR_OK;
}

static int text_field(json_t *in, const char *k, bool required, size_t max, const char **out,
		      mmr_error *err)
{
	json_t *v = json_object_get(in, k);
	*out = NULL;
	if (!v || json_is_null(v)) {
		if (required) {
			mmr_field_error(err, MMR_EINVAL, k, "入力してください");
			return MMR_EINVAL;
		}
		return MMR_OK;
	}
	const char *s = json_string_value(v);
	if (!s) {
		mmr_field_error(err, MMR_EINVAL, k, "文字列で指定してください");
		return MMR_EINVAL;
	}
	if (required && !*s) {
		mmr_field_error(err, MMR_EINVAL, k, "入力してください");
		return MMR_EINVAL;
	}
	if (strlen(s) > max) {
		mmr_field_error(err, MMR_EINVAL, k, "長すぎます（%zu バイトまで）", max);
		return MMR_EINVAL;
	}
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		if (*p < 0x20 && *p != '\n' && *p != '\t' && *p != '\r') {
			mmr_field_error(err, MMR_EINVAL, k, "制御文字は使えません");
			return MMR_EINVAL;
		}
	*out = s;
	return MMR_OK;
}

static int time_field(json_t *in, const char *k, char out[32], bool *given, mmr_error *err)
{
	const char *s;
	*given = false;
	int rc = text_field(in, k, false, 64, &s, err);
	if (rc || !s)
		return rc;
	int64_t ms = mmr_iso_to_ms(s);
	if (ms < 0) {
		mmr_field_error(err, MMR_EINVAL, k,
				"日時 \"%.64s\" を読めません（例: 2026-04-01T09:30:00+09:00）", s);
		return MMR_EINVAL;
	}
	mmr_ms_to_iso(ms, out);
	*given = true;
	return MMR_OK;
}

static int exists_in(mmr_store *st, const char *tenant, const char *kind, int64_t id, bool *found,
		     mmr_error *err)
{
	static const char qa[] = "SELECT 1 FROM assets WHERE tenant = $1 AND id = $2";
	static const char qs[] = "SELECT 1 FROM systems WHERE tenant = $1 AND id = $2";
	static const char qd[] = "SELECT 1 FROM devices WHERE tenant = $1 AND id = $2";
	static const char qu[] = "SELECT 1 FROM users WHERE tenant = $1 AND id = $2";
	const char *q = !strcmp(kind, "assets")	   ? qa
			: !strcmp(kind, "systems") ? qs
			: !strcmp(kind, "devices") ? qd
						   : qu;
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	rc = mmr_stmt_step(s, err);
	mmr_stmt_reset(s);
	*found = rc == MMR_DB_ROW;
	return rc == MMR_DB_ROW || rc == MMR_DB_DONE ? MMR_OK : rc;
}

static void case_link(int64_t id, char out[48])
{
	snprintf(out, 48, "/incidents/%" PRId64, id);
}

/* ---- report ---- */

int mmr_incident_report(mmr_store *st, const mmr_actor *who, json_t *in, int64_t now_ms,
			json_t **out, mmr_error *err)
{
	*out = NULL;
	static const char *const keys[] = {"title",  "description", "occurred_at", "aware_at",
					   "assets", "systems",	    "devices",	   NULL};
	int rc = check_keys(in, keys, err);
	const char *title = NULL, *desc = NULL;
	if (!rc)
		rc = text_field(in, "title", true, 400, &title, err);
	if (!rc)
		rc = text_field(in, "description", true, 20000, &desc, err);
	char occurred[32] = "", aware[32];
	bool has_occ = false, has_aware = false;
	if (!rc)
		rc = time_field(in, "occurred_at", occurred, &has_occ, err);
	if (!rc)
		rc = time_field(in, "aware_at", aware, &has_aware, err);
	if (rc)
		return rc;
	if (!has_aware)
		mmr_ms_to_iso(now_ms, aware);
	if (has_occ && mmr_iso_to_ms(occurred) > now_ms + 60000) {
		mmr_field_error(err, MMR_EINVAL, "occurred_at", "発生日時が未来です");
		return MMR_EINVAL;
	}
	static const char *const kinds[] = {"assets", "systems", "devices"};
	for (size_t k = 0; k < 3; k++) {
		json_t *a = json_object_get(in, kinds[k]);
		if (a && !json_is_array(a)) {
			mmr_field_error(err, MMR_EINVAL, kinds[k], "番号の配列で指定してください");
			return MMR_EINVAL;
		}
		if (json_array_size(a) > 100) {
			mmr_field_error(err, MMR_EINVAL, kinds[k], "100 件までです");
			return MMR_EINVAL;
		}
		size_t i;
		json_t *v;
		json_array_foreach (a, i, v) {
			if (!json_is_integer(v) || json_integer_value(v) <= 0) {
				mmr_field_error(err, MMR_EINVAL, kinds[k],
						"%zu 番目が番号（正の整数）ではありません", i + 1);
				return MMR_EINVAL;
			}
			bool found;
			if ((rc = exists_in(st, who->tenant, kinds[k], json_integer_value(v),
					    &found, err)))
				return rc;
			if (!found) {
				mmr_field_error(err, MMR_EINVAL, kinds[k],
						"%s %" JSON_INTEGER_FORMAT
						" はこの団体の台帳にありません",
						!strcmp(kinds[k], "assets")    ? "情報資産"
						: !strcmp(kinds[k], "systems") ? "情報システム"
									       : "機器",
						json_integer_value(v));
				return MMR_EINVAL;
			}
		}
	}
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	static const char q[] =
		"INSERT INTO incidents (tenant, title, description, occurred_at, aware_at, "
		"reporter_id, state, created_at, updated_at) VALUES ($1, $2, $3, $4, $5, $6, "
		"'reported', $7, $7) RETURNING id";
	mmr_stmt *s;
	int64_t id = 0;
	char now[32];
	mmr_ms_to_iso(now_ms, now);
	if (!(rc = mmr_db_prepare(st->db, q, &s, err))) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_text(s, 2, title);
		mmr_stmt_text(s, 3, desc);
		mmr_stmt_text(s, 4, has_occ ? occurred : NULL);
		mmr_stmt_text(s, 5, aware);
		if (who->user_id)
			mmr_stmt_int(s, 6, who->user_id);
		else
			mmr_stmt_null(s, 6);
		mmr_stmt_text(s, 7, now);
		if ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
			id = mmr_col_int(s, 0);
			rc = MMR_OK;
		}
		mmr_stmt_reset(s);
	}
	static const char qt[] = "INSERT INTO incident_targets (tenant, incident_id, kind, "
				 "target_id) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING";
	for (size_t k = 0; k < 3 && !rc; k++) {
		size_t i;
		json_t *v;
		json_array_foreach (json_object_get(in, kinds[k]), i, v) {
			if ((rc = mmr_db_prepare(st->db, qt, &s, err)))
				break;
			mmr_stmt_text(s, 1, who->tenant);
			mmr_stmt_int(s, 2, id);
			mmr_stmt_text(s, 3, kinds[k]);
			mmr_stmt_int(s, 4, json_integer_value(v));
			if ((rc = mmr_stmt_run(s, err)))
				break;
		}
	}
	if (!rc)
		rc = event(st, who, id, now_ms, "reported", NULL, "reported", 0, title, err);
	if (!rc)
		rc = audit(st, who, "incident.report", "incidents", id, NULL, in, err);
	if (!rc) {
		char link[48], subj[600];
		case_link(id, link);
		snprintf(subj, sizeof subj, "【インシデント報告】#%" PRId64 " %s", id, title);
		rc = mmr_notify_role(st, who->tenant, "csirt", "incident.reported", subj, desc,
				     link, who->user_id, NULL, err);
	}
	if ((rc = mmr_db_end(st->db, rc, err)))
		return rc;
	mmr_actor sys = *who;
	sys.admin = true; /* the reporter sees the case they reported */
	if ((rc = load(st, &sys, id, out, err)))
		return rc;
	decorate(st, who, *out, now_ms, true);
	return MMR_OK;
}

int mmr_incident_get(mmr_store *st, const mmr_actor *who, int64_t id, int64_t now_ms, json_t **out,
		     mmr_error *err)
{
	int rc = load(st, who, id, out, err);
	if (!rc)
		decorate(st, who, *out, now_ms, true);
	return rc;
}

int mmr_incident_list(mmr_store *st, const mmr_actor *who, const char *state, bool open_only,
		      int64_t before, int limit, int64_t now_ms, json_t **out, mmr_error *err)
{
	*out = NULL;
	if (limit < 1 || limit > 500) {
		mmr_field_error(err, MMR_EINVAL, "limit", "limit は 1〜500 にしてください");
		return MMR_EINVAL;
	}
	if (state && *state && !mmr_incident_state_name(state)) {
		mmr_field_error(err, MMR_EINVAL, "state", "状態 \"%.64s\" はありません", state);
		return MMR_EINVAL;
	}
	bool all = mmr_incident_is_csirt(who) || who->auditor;
	static const char q[] =
		"SELECT id, title, description, occurred_at, aware_at, reporter_id, state, "
		"severity, personal, ppc_triggers, wrongful, assignee_id, deadline, ppc_prompt_at, "
		"ppc_final_at, created_at, updated_at FROM incidents WHERE tenant = $1 AND "
		"($2 = 0 OR id < $2) AND ($3 = '' OR state = $3) AND ($4 = 0 OR state NOT IN "
		"('closed', 'not_incident')) AND ($5 = 1 OR reporter_id = $6 OR assignee_id = $6) "
		"ORDER BY id DESC LIMIT $7";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, before);
	mmr_stmt_text(s, 3, state ? state : "");
	mmr_stmt_int(s, 4, open_only ? 1 : 0);
	mmr_stmt_int(s, 5, all ? 1 : 0);
	mmr_stmt_int(s, 6, who->user_id);
	mmr_stmt_int(s, 7, limit + 1);
	json_t *items = json_array();
	int n = 0;
	bool more = false;
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		if (n == limit) {
			more = true;
			continue;
		}
		json_array_append_new(items, row_json(s));
		n++;
	}
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		json_decref(items);
		return rc;
	}
	size_t i;
	json_t *c;
	int64_t last = 0;
	json_array_foreach (items, i, c) {
		decorate(st, who, c, now_ms, false);
		last = mmr_jint(c, "id");
	}
	*out = json_pack("{s:o, s:o}", "items", items, "next",
			 more ? json_integer((json_int_t)last) : json_null());
	return MMR_OK;
}

/* ---- triage and updates ---- */

static int denied_not_csirt(mmr_error *err, const char *what)
{
	mmr_field_error(err, MMR_EDENIED, "role", "%sは CSIRT（または管理者）だけが行えます", what);
	return MMR_EDENIED;
}

/* Notify the escalation roles of every rule that now applies and has not
 * been applied to this case before (a timeline entry "escalated.WHEN"). */
static int escalate(mmr_store *st, const mmr_actor *who, json_t *c, int64_t now_ms, mmr_error *err)
{
	bool is_serious = serious(mmr_jstr(c, "severity"));
	bool is_personal = json_is_true(json_object_get(c, "personal"));
	int64_t id = mmr_jint(c, "id");
	json_t *rules = escalation_rules(profile_of(st, who->tenant));
	size_t i;
	json_t *r;
	int rc = MMR_OK;
	json_array_foreach (rules, i, r) {
		const char *when = mmr_jstr(r, "when");
		if (!(!strcmp(when, "serious") ? is_serious : is_personal))
			continue;
		char action[48];
		snprintf(action, sizeof action, "escalated.%s", when);
		static const char q[] = "SELECT 1 FROM incident_events WHERE tenant = $1 AND "
					"incident_id = $2 AND action = $3";
		mmr_stmt *s;
		if ((rc = mmr_db_prepare(st->db, q, &s, err)))
			break;
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, id);
		mmr_stmt_text(s, 3, action);
		rc = mmr_stmt_step(s, err);
		mmr_stmt_reset(s);
		if (rc == MMR_DB_ROW) {
			rc = MMR_OK;
			continue;
		}
		if (rc != MMR_DB_DONE)
			break;
		rc = MMR_OK;
		char subj[700], body[3000], link[48], note[2000];
		case_link(id, link);
		snprintf(subj, sizeof subj, "【%s】インシデント #%" PRId64 " %s",
			 !strcmp(when, "serious") ? "重大事故の報告" : "個人情報の漏えい等", id,
			 mmr_jstr(c, "title"));
		snprintf(body, sizeof body, "%s\n\n深刻度: %s\n状態: %s\n\n根拠: %s\n「%s」%s%s\n",
			 mmr_jstr(c, "title"),
			 mmr_incident_severity_name(mmr_jstr(c, "severity"))
				 ? mmr_incident_severity_name(mmr_jstr(c, "severity"))
				 : "未判定",
			 mmr_incident_state_name(mmr_jstr(c, "state")), mmr_jstr(r, "clause"),
			 mmr_jstr(r, "text"),
			 mmr_jstr(r, "bodies") ? "\n報告先（mamori 外）: " : "",
			 mmr_jstr(r, "bodies") ? mmr_jstr(r, "bodies") : "");
		size_t total = 0;
		json_t *roles = json_object_get(r, "roles");
		size_t j;
		json_t *role;
		json_array_foreach (roles, j, role) {
			size_t cnt;
			if ((rc = mmr_notify_role(st, who->tenant, json_string_value(role),
						  "incident.escalated", subj, body, link, 0, &cnt,
						  err)))
				break;
			total += cnt;
		}
		if (rc)
			break;
		snprintf(note, sizeof note, "%s により %zu 名に通知%s%s", mmr_jstr(r, "clause"),
			 total, mmr_jstr(r, "bodies") ? "。mamori 外の報告先: " : "",
			 mmr_jstr(r, "bodies") ? mmr_jstr(r, "bodies") : "");
		if ((rc = event(st, who, id, now_ms, action, NULL, NULL, 0, note, err)))
			break;
		json_t *esc = json_pack("{s:I, s:s, s:s, s:I}", "id", (json_int_t)id, "clause",
					mmr_jstr(r, "clause"), "when", when, "notified",
					(json_int_t)total);
		rc = audit(st, who, "incident.escalate", "incidents", id, NULL, esc, err);
		json_decref(esc);
		if (rc)
			break;
	}
	json_decref(rules);
	return rc;
}

/* Validate and write the triage fields of `in` onto case `c` (in the
 * transaction); `changes` gets a line per change for the timeline. */
static int apply_fields(mmr_store *st, const mmr_actor *who, json_t *c, json_t *in,
			bool need_severity, char *changes, size_t cn, mmr_error *err)
{
	int rc;
	const char *sev = NULL, *note = NULL;
	if ((rc = text_field(in, "severity", need_severity, 16, &sev, err)))
		return rc;
	if (sev && !mmr_incident_severity_name(sev)) {
		mmr_field_error(err, MMR_EINVAL, "severity",
				"深刻度 \"%.16s\" はありません（low 低 / medium 中 / high 高 / "
				"critical 重大）",
				sev);
		return MMR_EINVAL;
	}
	(void)note;
	json_t *v;
	bool personal = json_is_true(json_object_get(c, "personal"));
	if ((v = json_object_get(in, "personal"))) {
		if (!json_is_boolean(v)) {
			mmr_field_error(err, MMR_EINVAL, "personal",
					"true か false で指定してください");
			return MMR_EINVAL;
		}
		personal = json_is_true(v);
	}
	json_t *trig = json_deep_copy(json_object_get(c, "ppc_triggers"));
	if (!trig)
		trig = json_array();
	if ((v = json_object_get(in, "ppc_triggers"))) {
		if (!json_is_array(v)) {
			json_decref(trig);
			mmr_field_error(err, MMR_EINVAL, "ppc_triggers", "配列で指定してください");
			return MMR_EINVAL;
		}
		json_array_clear(trig);
		size_t i;
		json_t *t;
		json_array_foreach (v, i, t) {
			if (!trigger_name(json_string_value(t))) {
				json_decref(trig);
				mmr_field_error(
					err, MMR_EINVAL, "ppc_triggers",
					"%zu 番目 \"%.32s\" は施行規則の報告要件ではありません"
					"（sensitive / financial / wrongful / over100 / "
					"ordinance）",
					i + 1, json_string_value(t) ? json_string_value(t) : "");
				return MMR_EINVAL;
			}
			bool dup = false;
			size_t k;
			json_t *u;
			json_array_foreach (trig, k, u)
				dup = dup || json_equal(u, t);
			if (!dup)
				json_array_append(trig, t);
		}
	}
	bool wrongful = json_is_true(json_object_get(c, "wrongful"));
	if ((v = json_object_get(in, "wrongful"))) {
		if (!json_is_boolean(v)) {
			json_decref(trig);
			mmr_field_error(err, MMR_EINVAL, "wrongful",
					"true か false で指定してください");
			return MMR_EINVAL;
		}
		wrongful = json_is_true(v);
	} else if (json_object_get(in, "ppc_triggers")) {
		wrongful = false;
	}
	/* the wrongful purpose is one of the triggers and its flag at once */
	{
		bool in_trig = false;
		size_t i;
		json_t *t;
		json_array_foreach (trig, i, t)
			in_trig = in_trig || !strcmp(json_string_value(t), "wrongful");
		if (wrongful && !in_trig)
			json_array_append_new(trig, json_string("wrongful"));
		if (in_trig)
			wrongful = true;
	}
	if (!personal && json_array_size(trig)) {
		json_decref(trig);
		mmr_field_error(err, MMR_EINVAL, "ppc_triggers",
				"個人情報が関係しない事案に報告要件は付けられません（personal を "
				"true にしてください）");
		return MMR_EINVAL;
	}
	int64_t assignee = mmr_jint(c, "assignee_id");
	if ((v = json_object_get(in, "assignee_id"))) {
		if (json_is_null(v))
			assignee = 0;
		else if (!json_is_integer(v) || json_integer_value(v) <= 0) {
			json_decref(trig);
			mmr_field_error(err, MMR_EINVAL, "assignee_id",
					"利用者の番号で指定してください");
			return MMR_EINVAL;
		} else {
			bool found;
			assignee = json_integer_value(v);
			if ((rc = exists_in(st, who->tenant, "users", assignee, &found, err))) {
				json_decref(trig);
				return rc;
			}
			if (!found) {
				json_decref(trig);
				mmr_field_error(err, MMR_EINVAL, "assignee_id",
						"利用者 %" PRId64 " はこの団体にいません",
						assignee);
				return MMR_EINVAL;
			}
		}
	}
	char deadline[32] = "", aware[32] = "";
	bool has_dl = false, has_aw = false;
	if ((rc = time_field(in, "deadline", deadline, &has_dl, err)) ||
	    (rc = time_field(in, "aware_at", aware, &has_aw, err))) {
		json_decref(trig);
		return rc;
	}
	bool clear_dl =
		json_is_null(json_object_get(in, "deadline")) && json_object_get(in, "deadline");
	/* the change lines */
	size_t used = 0;
#define CHG(...)                                                                                   \
	do {                                                                                       \
		if (used < cn)                                                                     \
			used += (size_t)snprintf(changes + used, cn - used, __VA_ARGS__);          \
	} while (0)
	const char *old_sev = mmr_jstr(c, "severity");
	if (sev && (!old_sev || strcmp(old_sev, sev)))
		CHG("深刻度: %s → %s\n", old_sev ? mmr_incident_severity_name(old_sev) : "未判定",
		    mmr_incident_severity_name(sev));
	if (personal != json_is_true(json_object_get(c, "personal")))
		CHG("個人情報: %s\n", personal ? "あり" : "なし");
	if (!json_equal(trig, json_object_get(c, "ppc_triggers"))) {
		CHG("報告要件（施行規則）:");
		size_t i;
		json_t *t;
		json_array_foreach (trig, i, t)
			CHG(" %s;", trigger_name(json_string_value(t)));
		if (!json_array_size(trig))
			CHG(" なし");
		CHG("\n");
	}
	if (wrongful != json_is_true(json_object_get(c, "wrongful")))
		CHG("不正の目的のおそれ: %s\n", wrongful ? "あり" : "なし");
	if (assignee != mmr_jint(c, "assignee_id"))
		CHG("担当者: 利用者 %" PRId64 "\n", assignee);
	if (has_dl)
		CHG("期限: %s\n", deadline);
	if (clear_dl)
		CHG("期限: なし\n");
	if (has_aw)
		CHG("認知日時: %s\n", aware);
#undef CHG
	static const char q[] =
		"UPDATE incidents SET severity = COALESCE($3, severity), personal = $4, "
		"ppc_triggers = $5, wrongful = $6, assignee_id = $7, deadline = CASE WHEN $8 = 1 "
		"THEN $9 ELSE deadline END, aware_at = COALESCE($10, aware_at) "
		"WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	char *tj = json_dumps(trig, JSON_COMPACT);
	if (!(rc = mmr_db_prepare(st->db, q, &s, err))) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, mmr_jint(c, "id"));
		mmr_stmt_text(s, 3, sev);
		mmr_stmt_int(s, 4, personal ? 1 : 0);
		mmr_stmt_text(s, 5, tj ? tj : "[]");
		mmr_stmt_int(s, 6, wrongful ? 1 : 0);
		if (assignee)
			mmr_stmt_int(s, 7, assignee);
		else
			mmr_stmt_null(s, 7);
		mmr_stmt_int(s, 8, has_dl || clear_dl ? 1 : 0);
		mmr_stmt_text(s, 9, has_dl ? deadline : NULL);
		mmr_stmt_text(s, 10, has_aw ? aware : NULL);
		rc = mmr_stmt_run(s, err);
	}
	free(tj);
	json_decref(trig);
	return rc;
}

static int set_state(mmr_store *st, const mmr_actor *who, int64_t id, const char *to,
		     int64_t now_ms, mmr_error *err)
{
	static const char q[] =
		"UPDATE incidents SET state = $3, updated_at = $4 WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	char now[32];
	mmr_ms_to_iso(now_ms, now);
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, id);
	mmr_stmt_text(s, 3, to);
	mmr_stmt_text(s, 4, now);
	return mmr_stmt_run(s, err);
}

/* Re-read the case after a change (inside the transaction) as the system. */
static int reload(mmr_store *st, const mmr_actor *who, int64_t id, json_t **c, mmr_error *err)
{
	mmr_actor sys = *who;
	sys.admin = true;
	json_decref(*c);
	*c = NULL;
	return load(st, &sys, id, c, err);
}

static int notify_assignee(mmr_store *st, const mmr_actor *who, json_t *before, json_t *after,
			   mmr_error *err)
{
	int64_t a = mmr_jint(after, "assignee_id");
	if (!a || a == mmr_jint(before, "assignee_id") || a == who->user_id)
		return MMR_OK;
	char subj[600], link[48];
	case_link(mmr_jint(after, "id"), link);
	snprintf(subj, sizeof subj, "【担当】インシデント #%" PRId64 " %s の担当になりました",
		 mmr_jint(after, "id"), mmr_jstr(after, "title"));
	return mmr_notify_user(st, who->tenant, a, "incident.assigned", subj,
			       mmr_jstr(after, "description"), link, err);
}

static int triage_or_update(mmr_store *st, const mmr_actor *who, int64_t id, json_t *in,
			    bool triage, int64_t now_ms, json_t **out, mmr_error *err)
{
	*out = NULL;
	static const char *const tkeys[] = {"incident", "severity",    "personal", "ppc_triggers",
					    "wrongful", "assignee_id", "deadline", "aware_at",
					    "note",	NULL};
	int rc = check_keys(in, triage ? tkeys : tkeys + 1, err);
	if (rc)
		return rc;
	json_t *c;
	if ((rc = load(st, who, id, &c, err)))
		return rc;
	if (!mmr_incident_is_csirt(who)) {
		json_decref(c);
		return denied_not_csirt(err, triage ? "トリアージ" : "深刻度や担当者の変更");
	}
	const char *state = mmr_jstr(c, "state");
	json_t *inc = json_object_get(in, "incident");
	const char *to = NULL;
	if (triage) {
		if (!json_is_boolean(inc)) {
			json_decref(c);
			mmr_field_error(err, MMR_EINVAL, "incident",
					"インシデントかどうか（true / false）を指定してください");
			return MMR_EINVAL;
		}
		to = json_is_true(inc) ? "containment" : "not_incident";
		if (strcmp(state, "reported")) {
			mmr_field_error(
				err, MMR_ECONFLICT, "state",
				"状態「%s」の事案はトリアージできません（トリアージは「%s」"
				"の事案だけ）。状態「%s」から「%s」へは移れません",
				mmr_incident_state_name(state), mmr_incident_state_name("reported"),
				mmr_incident_state_name(state), mmr_incident_state_name(to));
			json_decref(c);
			return MMR_ECONFLICT;
		}
	} else if (!strcmp(state, "closed") || !strcmp(state, "reported")) {
		mmr_field_error(err, MMR_ECONFLICT, "state", "状態「%s」の事案は変更できません%s",
				mmr_incident_state_name(state),
				!strcmp(state, "reported") ? "（先にトリアージしてください）" : "");
		json_decref(c);
		return MMR_ECONFLICT;
	}
	const char *note = NULL;
	if ((rc = text_field(in, "note", false, 4000, &note, err))) {
		json_decref(c);
		return rc;
	}
	if ((rc = mmr_db_begin(st->db, err))) {
		json_decref(c);
		return rc;
	}
	char changes[2000] = "";
	rc = apply_fields(st, who, c, in, triage && to && !strcmp(to, "containment"), changes,
			  sizeof changes, err);
	if (!rc && to)
		rc = set_state(st, who, id, to, now_ms, err);
	else if (!rc)
		rc = set_state(st, who, id, state, now_ms, err);
	if (!rc) {
		char text[6100];
		snprintf(text, sizeof text, "%s%s", changes, note ? note : "");
		size_t tl = strlen(text);
		while (tl && text[tl - 1] == '\n')
			text[--tl] = '\0';
		rc = event(st, who, id, now_ms, triage ? "triaged" : "updated",
			   triage ? state : NULL, to, 0, text, err);
	}
	json_t *after = NULL;
	if (!rc)
		rc = reload(st, who, id, &after, err);
	if (!rc)
		rc = audit(st, who, triage ? "incident.triage" : "incident.update", "incidents", id,
			   c, after, err);
	if (!rc)
		rc = escalate(st, who, after, now_ms, err);
	if (!rc)
		rc = notify_assignee(st, who, c, after, err);
	if (!rc && triage && mmr_jint(c, "reporter_id") &&
	    mmr_jint(c, "reporter_id") != who->user_id) {
		char subj[600], link[48];
		case_link(id, link);
		snprintf(subj, sizeof subj, "インシデント #%" PRId64 " は「%s」と判定されました",
			 id, mmr_incident_state_name(to));
		rc = mmr_notify_user(st, who->tenant, mmr_jint(c, "reporter_id"),
				     "incident.triaged", subj, mmr_jstr(c, "title"), link, err);
	}
	json_decref(c);
	if ((rc = mmr_db_end(st->db, rc, err))) {
		json_decref(after);
		return rc;
	}
	json_decref(after);
	return mmr_incident_get(st, who, id, now_ms, out, err);
}

int mmr_incident_triage(mmr_store *st, const mmr_actor *who, int64_t id, json_t *in, int64_t now_ms,
			json_t **out, mmr_error *err)
{
	return triage_or_update(st, who, id, in, true, now_ms, out, err);
}

int mmr_incident_update(mmr_store *st, const mmr_actor *who, int64_t id, json_t *in, int64_t now_ms,
			json_t **out, mmr_error *err)
{
	return triage_or_update(st, who, id, in, false, now_ms, out, err);
}

int mmr_incident_transition(mmr_store *st, const mmr_actor *who, int64_t id, const char *to,
			    const char *note, int64_t now_ms, json_t **out, mmr_error *err)
{
	*out = NULL;
	json_t *c;
	int rc = load(st, who, id, &c, err);
	if (rc)
		return rc;
	const char *from = mmr_jstr(c, "state");
	if (!to || !mmr_incident_state_name(to)) {
		mmr_field_error(err, MMR_EINVAL, "to",
				"状態 \"%.32s\" はありません（containment / recovery / cause / "
				"prevention / closed）",
				to ? to : "");
		json_decref(c);
		return MMR_EINVAL;
	}
	bool csirt = mmr_incident_is_csirt(who);
	if (!csirt && !(who->user_id && mmr_jint(c, "assignee_id") == who->user_id)) {
		json_decref(c);
		mmr_field_error(err, MMR_EDENIED, "role",
				"事案を進められるのは担当者と CSIRT（または管理者）だけです");
		return MMR_EDENIED;
	}
	bool ok = false, triage = false;
	for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
		if (!strcmp(moves[i].from, from) && !strcmp(moves[i].to, to)) {
			ok = true;
			triage = moves[i].triage;
		}
	if (!ok || triage) {
		char nexts[400] = "";
		size_t used = 0;
		for (size_t i = 0; i < sizeof moves / sizeof moves[0]; i++)
			if (!strcmp(moves[i].from, from) && used < sizeof nexts)
				used += (size_t)snprintf(nexts + used, sizeof nexts - used,
							 "%s「%s」", used ? "・" : "",
							 mmr_incident_state_name(moves[i].to));
		if (triage)
			mmr_field_error(
				err, MMR_ECONFLICT, "to",
				"状態「%s」から「%s」へはトリアージで移ります（CSIRT の判定）",
				mmr_incident_state_name(from), mmr_incident_state_name(to));
		else
			mmr_field_error(err, MMR_ECONFLICT, "to",
					"状態「%s」から「%s」へは移れません（次に進めるのは %s）",
					mmr_incident_state_name(from), mmr_incident_state_name(to),
					*nexts ? nexts : "ありません（終結済み）");
		json_decref(c);
		return MMR_ECONFLICT;
	}
	if (note && strlen(note) > 4000) {
		json_decref(c);
		mmr_field_error(err, MMR_EINVAL, "note", "長すぎます（4000 バイトまで）");
		return MMR_EINVAL;
	}
	if ((rc = mmr_db_begin(st->db, err))) {
		json_decref(c);
		return rc;
	}
	rc = set_state(st, who, id, to, now_ms, err);
	if (!rc)
		rc = event(st, who, id, now_ms, "transition", from, to, 0, note, err);
	if (!rc) {
		json_t *b = state_obj(id, from), *a = state_obj(id, to);
		rc = audit(st, who, "incident.transition", "incidents", id, b, a, err);
		json_decref(b);
		json_decref(a);
	}
	int64_t rep = mmr_jint(c, "reporter_id");
	if (!rc && rep && rep != who->user_id) {
		char subj[600], link[48];
		case_link(id, link);
		snprintf(subj, sizeof subj, "インシデント #%" PRId64 " は「%s」に進みました", id,
			 mmr_incident_state_name(to));
		rc = mmr_notify_user(st, who->tenant, rep, "incident.transition", subj,
				     mmr_jstr(c, "title"), link, err);
	}
	json_decref(c);
	if ((rc = mmr_db_end(st->db, rc, err)))
		return rc;
	return mmr_incident_get(st, who, id, now_ms, out, err);
}

int mmr_incident_note(mmr_store *st, const mmr_actor *who, int64_t id, const char *note,
		      int64_t now_ms, mmr_error *err)
{
	json_t *c;
	int rc = load(st, who, id, &c, err);
	if (rc)
		return rc;
	json_decref(c);
	if (!note || !*note || strlen(note) > 4000) {
		mmr_field_error(err, MMR_EINVAL, "note",
				"記録する内容を 4000 バイトまでで入力してください");
		return MMR_EINVAL;
	}
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	rc = event(st, who, id, now_ms, "note", NULL, NULL, 0, note, err);
	if (!rc) {
		json_t *a = json_pack("{s:I, s:s}", "id", (json_int_t)id, "note", note);
		rc = audit(st, who, "incident.note", "incidents", id, NULL, a, err);
		json_decref(a);
	}
	return mmr_db_end(st->db, rc, err);
}

int mmr_incident_ppc_filed(mmr_store *st, const mmr_actor *who, int64_t id, const char *which,
			   const char *note, int64_t now_ms, mmr_error *err)
{
	json_t *c;
	int rc = load(st, who, id, &c, err);
	if (rc)
		return rc;
	if (!mmr_incident_is_csirt(who)) {
		json_decref(c);
		return denied_not_csirt(err, "個人情報保護委員会への報告の記録");
	}
	bool prompt = which && !strcmp(which, "prompt"), fin = which && !strcmp(which, "final");
	json_t *p = ppc(c, now_ms);
	bool required = json_is_true(json_object_get(p, "required"));
	json_decref(p);
	const char *done = mmr_jstr(c, prompt ? "ppc_prompt_at" : "ppc_final_at");
	json_decref(c);
	if (!prompt && !fin) {
		mmr_field_error(err, MMR_EINVAL, "report",
				"report は prompt（速報）か final（確報）です");
		return MMR_EINVAL;
	}
	if (!required) {
		mmr_field_error(err, MMR_ECONFLICT, "report",
				"この事案は個人情報保護委員会への報告の対象になっていません"
				"（個人情報と施行規則の報告要件をトリアージで指定してください）");
		return MMR_ECONFLICT;
	}
	if (done) {
		mmr_field_error(err, MMR_ECONFLICT, "report", "%sは記録済みです",
				prompt ? "速報" : "確報");
		return MMR_ECONFLICT;
	}
	static const char qp[] =
		"UPDATE incidents SET ppc_prompt_at = $3 WHERE tenant = $1 AND id = $2";
	static const char qf[] =
		"UPDATE incidents SET ppc_final_at = $3 WHERE tenant = $1 AND id = $2";
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	mmr_stmt *s;
	char now[32];
	mmr_ms_to_iso(now_ms, now);
	if (!(rc = mmr_db_prepare(st->db, prompt ? qp : qf, &s, err))) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, id);
		mmr_stmt_text(s, 3, now);
		rc = mmr_stmt_run(s, err);
	}
	if (!rc)
		rc = event(st, who, id, now_ms, prompt ? "ppc.prompt" : "ppc.final", NULL, NULL, 0,
			   note, err);
	if (!rc) {
		json_t *a = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)id, "report",
				      prompt ? "prompt" : "final", "at", now);
		rc = audit(st, who, prompt ? "incident.ppc_prompt" : "incident.ppc_final",
			   "incidents", id, NULL, a, err);
		json_decref(a);
	}
	return mmr_db_end(st->db, rc, err);
}

int mmr_incident_violation(mmr_store *st, const mmr_actor *who, int64_t id, int64_t user_id,
			   const char *step, const char *note, int64_t now_ms, mmr_error *err)
{
	json_t *c;
	int rc = load(st, who, id, &c, err);
	if (rc)
		return rc;
	if (!mmr_incident_is_csirt(who)) {
		json_decref(c);
		return denied_not_csirt(err, "違反時の対応");
	}
	bool closed = !strcmp(mmr_jstr(c, "state"), "closed");
	json_decref(c);
	if (closed) {
		mmr_field_error(err, MMR_ECONFLICT, "state", "終結した事案には記録できません");
		return MMR_ECONFLICT;
	}
	if (!step_name(step)) {
		mmr_field_error(err, MMR_EINVAL, "step",
				"措置 \"%.32s\" はありません（warning 注意 / guidance 指導 / "
				"suspension 使用する権利の停止）",
				step ? step : "");
		return MMR_EINVAL;
	}
	bool found;
	if ((rc = exists_in(st, who->tenant, "users", user_id, &found, err)))
		return rc;
	if (!found) {
		mmr_field_error(err, MMR_EINVAL, "user_id",
				"利用者 %" PRId64 " はこの団体にいません", user_id);
		return MMR_EINVAL;
	}
	if (user_id == who->user_id) {
		mmr_field_error(err, MMR_EDENIED, "user_id", "自分自身への措置は記録できません");
		return MMR_EDENIED;
	}
	if (note && strlen(note) > 4000) {
		mmr_field_error(err, MMR_EINVAL, "note", "長すぎます（4000 バイトまで）");
		return MMR_EINVAL;
	}
	if (!strcmp(step, "suspension")) {
		/* 茨城町議会 7-6③: only when warning and guidance did not help */
		static const char q[] =
			"SELECT 1 FROM incident_events WHERE tenant = $1 AND incident_id = $2 AND "
			"subject_id = $3 AND action IN ('violation.warning', 'violation.guidance')";
		mmr_stmt *s;
		if ((rc = mmr_db_prepare(st->db, q, &s, err)))
			return rc;
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, id);
		mmr_stmt_int(s, 3, user_id);
		rc = mmr_stmt_step(s, err);
		mmr_stmt_reset(s);
		if (rc == MMR_DB_DONE) {
			mmr_field_error(
				err, MMR_ECONFLICT, "step",
				"使用する権利の停止は、注意・指導によっても改善されない場合の"
				"措置です（茨城町議会 対策基準 第2章 7-6③）。先に注意か指導を記録"
				"してください");
			return MMR_ECONFLICT;
		}
		if (rc != MMR_DB_ROW)
			return rc;
	}
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	char action[40];
	snprintf(action, sizeof action, "violation.%s", step);
	rc = event(st, who, id, now_ms, action, NULL, NULL, user_id, note, err);
	if (!rc) {
		char aa[64];
		snprintf(aa, sizeof aa, "incident.%s", action);
		json_t *a = json_pack("{s:I, s:I, s:s}", "incident_id", (json_int_t)id, "user_id",
				      (json_int_t)user_id, "step", step);
		rc = audit(st, who, aa, "users", user_id, NULL, a, err);
		json_decref(a);
	}
	if (!rc && !strcmp(step, "suspension")) {
		static const char ql[] =
			"UPDATE users SET locked_at = $3 WHERE tenant = $1 AND id = $2";
		static const char qs[] = "DELETE FROM sessions WHERE tenant = $1 AND user_id = $2";
		mmr_stmt *s;
		char now[32];
		mmr_ms_to_iso(now_ms, now);
		if (!(rc = mmr_db_prepare(st->db, ql, &s, err))) {
			mmr_stmt_text(s, 1, who->tenant);
			mmr_stmt_int(s, 2, user_id);
			mmr_stmt_text(s, 3, now);
			rc = mmr_stmt_run(s, err);
		}
		if (!rc && !(rc = mmr_db_prepare(st->db, qs, &s, err))) {
			mmr_stmt_text(s, 1, who->tenant);
			mmr_stmt_int(s, 2, user_id);
			rc = mmr_stmt_run(s, err);
		}
	}
	if (!rc) {
		char subj[400], link[48];
		snprintf(link, sizeof link, "/inbox");
		snprintf(subj, sizeof subj, "情報セキュリティポリシー違反への措置: %s",
			 step_name(step));
		rc = mmr_notify_user(st, who->tenant, user_id, "incident.violation", subj,
				     note ? note : step_name(step), link, err);
	}
	return mmr_db_end(st->db, rc, err);
}

int mmr_incident_ppc_due(mmr_store *st, const mmr_actor *who, int64_t now_ms, json_t **out,
			 mmr_error *err)
{
	*out = NULL;
	bool all = mmr_incident_is_csirt(who) || who->auditor;
	static const char q[] =
		"SELECT id, title, description, occurred_at, aware_at, reporter_id, state, "
		"severity, personal, ppc_triggers, wrongful, assignee_id, deadline, ppc_prompt_at, "
		"ppc_final_at, created_at, updated_at FROM incidents WHERE tenant = $1 AND "
		"personal = 1 AND ppc_triggers <> '[]' AND (ppc_prompt_at IS NULL OR ppc_final_at "
		"IS NULL) AND ($2 = 1 OR reporter_id = $3 OR assignee_id = $3) ORDER BY id";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	mmr_stmt_int(s, 2, all ? 1 : 0);
	mmr_stmt_int(s, 3, who->user_id);
	json_t *items = json_array();
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
		json_t *c = row_json(s);
		json_t *p = ppc(c, now_ms);
		static const char *const which[] = {"prompt", "final"};
		for (int w = 0; w < 2; w++) {
			char k[32];
			snprintf(k, sizeof k, "%s_filed_at", which[w]);
			if (!json_is_true(json_object_get(p, "required")) || mmr_jstr(p, k))
				continue;
			snprintf(k, sizeof k, "%s_due", which[w]);
			const char *due = mmr_jstr(p, k);
			json_array_append_new(
				items,
				json_pack("{s:I, s:s, s:s, s:s, s:s, s:b, s:s}", "incident_id",
					  (json_int_t)mmr_jint(c, "id"), "title",
					  mmr_jstr(c, "title"), "report", which[w], "report_name",
					  w ? "確報" : "速報", "due_at", due, "overdue",
					  now_ms > mmr_iso_to_ms(due), "state_name",
					  mmr_incident_state_name(mmr_jstr(c, "state"))));
		}
		json_decref(p);
		json_decref(c);
	}
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE) {
		json_decref(items);
		return rc;
	}
	/* by due date (ISO strings of one format sort as times) */
	size_t n = json_array_size(items);
	for (size_t i = 1; i < n; i++)
		for (size_t j = i; j > 0; j--) {
			json_t *a = json_array_get(items, j - 1), *b = json_array_get(items, j);
			if (strcmp(mmr_jstr(a, "due_at"), mmr_jstr(b, "due_at")) <= 0)
				break;
			json_incref(a);
			json_array_set(items, j - 1, b);
			json_array_set_new(items, j, a);
		}
	*out = json_pack("{s:o}", "items", items);
	return MMR_OK;
}

/* ---- the emergency response plan ---- */

int mmr_incident_plan_get(mmr_store *st, const mmr_actor *who, json_t **out, mmr_error *err)
{
	*out = NULL;
	static const char q[] = "SELECT contacts, report_items, measures, prevention, updated_at, "
				"updated_by FROM incident_plans WHERE tenant = $1";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_ROW)
		*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:b}", "contacts",
				 mmr_col_text(s, 0), "report_items", mmr_col_text(s, 1), "measures",
				 mmr_col_text(s, 2), "prevention", mmr_col_text(s, 3), "updated_at",
				 mmr_col_text(s, 4), "updated_by", mmr_col_text(s, 5), "clause",
				 plan_clause(profile_of(st, who->tenant)), "written", true);
	else if (rc == MMR_DB_DONE)
		*out = json_pack("{s:s, s:s, s:s, s:s, s:s, s:b}", "contacts", "", "report_items",
				 "", "measures", "", "prevention", "", "clause",
				 plan_clause(profile_of(st, who->tenant)), "written", false);
	mmr_stmt_reset(s);
	return rc == MMR_DB_ROW || rc == MMR_DB_DONE ? MMR_OK : rc;
}

int mmr_incident_plan_put(mmr_store *st, const mmr_actor *who, json_t *in, int64_t now_ms,
			  json_t **out, mmr_error *err)
{
	*out = NULL;
	if (!who->admin) {
		mmr_field_error(err, MMR_EDENIED, "role",
				"緊急時対応計画は管理者だけが編集できます");
		return MMR_EDENIED;
	}
	static const char *const keys[] = {"contacts", "report_items", "measures", "prevention",
					   NULL};
	int rc = check_keys(in, keys, err);
	const char *v[4] = {NULL};
	for (int i = 0; i < 4 && !rc; i++)
		rc = text_field(in, keys[i], true, 20000, &v[i], err);
	if (rc)
		return rc;
	static const char q[] =
		"INSERT INTO incident_plans (tenant, contacts, report_items, measures, prevention, "
		"updated_at, updated_by) VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (tenant) "
		"DO UPDATE SET contacts = excluded.contacts, report_items = excluded.report_items, "
		"measures = excluded.measures, prevention = excluded.prevention, updated_at = "
		"excluded.updated_at, updated_by = excluded.updated_by";
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	mmr_stmt *s;
	char now[32];
	mmr_ms_to_iso(now_ms, now);
	if (!(rc = mmr_db_prepare(st->db, q, &s, err))) {
		mmr_stmt_text(s, 1, who->tenant);
		for (int i = 0; i < 4; i++)
			mmr_stmt_text(s, 2 + i, v[i]);
		mmr_stmt_text(s, 6, now);
		mmr_stmt_text(s, 7, who->login);
		rc = mmr_stmt_run(s, err);
	}
	if (!rc)
		rc = audit(st, who, "incident.plan", "incident_plans", 0, NULL, in, err);
	if ((rc = mmr_db_end(st->db, rc, err)))
		return rc;
	return mmr_incident_plan_get(st, who, out, err);
}

/* ---- demo ---- */

static int demo_tenant(mmr_store *st, const char *tenant, mmr_error *err)
{
	mmr_actor sys;
	mmr_actor_system(&sys, tenant);
	int64_t now = mmr_now_ms();
	json_t *plan = json_object();
	json_object_set_new(
		plan, "contacts",
		json_string("CSIRT（情報政策課）内線 2100\n"
			    "情報セキュリティ委員会 事務局 内線 2101\n"
			    "県警サイバー犯罪相談窓口・J-LIS・JPCERT/CC（連絡先は別表）"));
	json_object_set_new(
		plan, "report_items",
		json_string("発生日時・認知日時、発見者、影響を受けた情報資産と情報"
			    "システム、個人情報の有無と件数、二次被害のおそれ、講じた措置"));
	json_object_set_new(plan, "measures",
			    json_string("ネットワークからの切り離し、証拠保全（ログとディスクの"
					"複製）、被害拡大の防止、復旧"));
	json_object_set_new(plan, "prevention",
			    json_string("原因の分析、再発防止策の策定と周知、研修への反映"));
	json_t *o = NULL;
	int rc = mmr_incident_plan_put(st, &sys, plan, now, &o, err);
	json_decref(plan);
	json_decref(o);
	if (rc)
		return rc;
	json_t *r1 = json_pack("{s:s, s:s, s:s}", "title",
			       "USB メモリの紛失（住民票の写しの交付記録）", "description",
			       "窓口業務で使用していた USB メモリ 1 本が所在不明。住民約 150 名分の"
			       "氏名・住所を含む交付記録が保存されていた可能性がある。",
			       "occurred_at", "2026-03-30T17:00:00+09:00");
	json_t *r2 =
		json_pack("{s:s, s:s}", "title", "不審メールの添付ファイルを開いた", "description",
			  "職員が取引先を装ったメールの添付ファイルを開いた。端末は LAN から"
			  "切り離し済み。");
	json_t *c1 = NULL, *c2 = NULL;
	rc = mmr_incident_report(st, &sys, r1, now - 2 * DAY_MS, &c1, err);
	if (!rc)
		rc = mmr_incident_report(st, &sys, r2, now - 3600 * 1000, &c2, err);
	json_decref(r1);
	json_decref(r2);
	if (!rc) {
		json_t *t =
			json_pack("{s:b, s:s, s:b, s:[s], s:s}", "incident", true, "severity",
				  "high", "personal", true, "ppc_triggers", "over100", "note",
				  "住民 100 名超の個人情報の漏えいのおそれ。委員会への報告対象。");
		json_t *x = NULL;
		rc = mmr_incident_triage(st, &sys, mmr_jint(c1, "id"), t, now - DAY_MS, &x, err);
		json_decref(t);
		json_decref(x);
	}
	json_decref(c1);
	json_decref(c2);
	return rc;
}

int mmr_incident_demo(mmr_store *st, mmr_error *err)
{
	json_t *l = mmr_tenant_list(st, err);
	if (!l)
		return MMR_EIO;
	int rc = MMR_OK;
	size_t i;
	json_t *t;
	json_array_foreach (l, i, t) {
		if ((rc = demo_tenant(st, mmr_jstr(t, "id"), err)))
			break;
	}
	json_decref(l);
	return rc;
}
