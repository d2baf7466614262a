/*
 * vocab.c — the fixed vocabularies of the decision contract (DESIGN.md):
 * actions, resource kinds, context keys, role ids, settings keys; and the
 * look-ups over them. Vocabulary, not policy: no body's rule lives here.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "core/policy_int.h"

static const struct {
	const char *id, *name;
} builtin_actions[] = {
	{"info.provide", "情報資産の外部提供"},
	{"info.send", "電子的な送信"},
	{"info.transport", "情報資産の運搬"},
	{"info.copy", "情報資産の複製"},
	{"info.store", "情報資産の保管"},
	{"info.dispose", "情報資産の廃棄・返却"},
	{"info.publish", "情報の公開"},
	{"device.takeout", "端末・記録媒体の庁舎外持ち出し"},
	{"media.write", "電磁的記録媒体への書き出し"},
	{"software.install", "ソフトウェアの導入"},
	{"device.modify", "機器構成の変更"},
	{"network.connect", "ネットワークへの接続"},
	{"network.external_access", "外部からのネットワークアクセス"},
	{"cloud.use", "クラウドサービスの利用"},
	{"byod.use", "個人所有端末の業務利用"},
	{"mail.autoforward", "電子メールの自動転送"},
	{"mail.bulk", "電子メールの複数宛先への同時送信"},
	{"privileged.access", "特権（管理者権限）によるアクセス"},
	{"system.change", "情報システムの変更作業"},
	{"techinfo.handover", "技術情報・ソフトウェアの受け渡し"},
	{"web.browse", "ウェブ閲覧"},
	{"meeting.download", "会議資料のダウンロード"},
	{"system.login", "情報システムへのログイン"},
	{"policy.exception", "例外措置"},
};

static const struct {
	const char *id, *name;
} builtin_kinds[] = {
	{"information", "情報"},
	{"device", "端末・機器"},
	{"media", "電磁的記録媒体"},
	{"system", "情報システム"},
	{"software", "ソフトウェア"},
	{"network", "ネットワーク"},
	{"cloud_service", "クラウドサービス"},
	{"account", "アカウント"},
};

static const struct {
	const char *id, *name;
} builtin_segments[] = {
	{"mynumber", "マイナンバー利用事務系"},
	{"lgwan", "LGWAN接続系"},
	{"internet", "インターネット接続系"},
};

static const struct {
	const char *id, *name;
} builtin_roles[] = {
	{"ciso", "最高情報セキュリティ責任者"},
	{"chief_security_officer", "統括情報セキュリティ責任者"},
	{"security_officer", "情報セキュリティ責任者"},
	{"security_manager", "情報セキュリティ管理者"},
	{"system_manager", "情報システム管理者"},
	{"system_staff", "情報システム担当者"},
	{"committee", "情報セキュリティ委員会"},
	{"csirt", "CSIRT"},
	{"auditor", "監査人"},
	{"staff", "職員等"},
	{"contractor", "委託事業者"},
	{"council_chief", "議会情報セキュリティ最高責任者"},
	{"council_deputy", "副責任者"},
	{"council_manager", "情報セキュリティ・システム管理者"},
	{"council_staff", "情報システム担当者"},
	{"assembly_member", "議員"},
	{"information_officer", "情報責任者"},
	{"asset_manager", "情報資産管理責任者"},
};

static const struct {
	const char *id, *name;
	enum mmr_ctx_type type;
	const char *values[6];
} builtin_ctx[] = {
	{"destination", "宛先", MMR_CTX_ENUM, {"internal", "external", "public_agency"}},
	{"channel",
	 "経路",
	 MMR_CTX_ENUM,
	 {"internet-mail", "lgwan-mail", "usb", "paper", "network"}},
	{"from_segment", "送信元の系", MMR_CTX_SEGMENT, {0}},
	{"to_segment", "送信先の系", MMR_CTX_SEGMENT, {0}},
	{"sanitized", "無害化", MMR_CTX_ENUM, {"none", "text", "screen", "cdr"}},
	{"purpose", "目的", MMR_CTX_ENUM, {"business", "nonbusiness"}},
	{"approvals", "承認", MMR_CTX_ROLES, {0}},
	{"handles_classes", "取り扱う情報の分類", MMR_CTX_CLASSES, {0}},
	{"encrypted", "暗号化", MMR_CTX_BOOL, {0}},
	{"password_protected", "パスワード設定", MMR_CTX_BOOL, {0}},
	{"mfa", "多要素認証", MMR_CTX_BOOL, {0}},
	{"emergency", "緊急時", MMR_CTX_BOOL, {0}},
	{"law_basis", "法令又は条例の根拠", MMR_CTX_BOOL, {0}},
	{"no_alternative", "他に合理的な方法がない", MMR_CTX_BOOL, {0}},
	{"recipients_hidden", "受信者間でアドレスを秘匿", MMR_CTX_BOOL, {0}},
	{"two_person", "2名以上での作業", MMR_CTX_BOOL, {0}},
};

static const struct {
	const char *key;
	enum mmr_setting_type type;
} builtin_settings[MMR_N_SETTINGS] = {
	{"password.min_length", MMR_SET_INT},
	{"password.require", MMR_SET_LIST},
	{"password.min_classes", MMR_SET_INT},
	{"password.change_temporary", MMR_SET_BOOL},
	{"lockout.threshold", MMR_SET_INT},
	{"session.idle_timeout_minutes", MMR_SET_INT},
	{"session.admin_max_minutes", MMR_SET_INT},
	{"mfa.required_segments", MMR_SET_LIST},
	{"mfa.required_roles", MMR_SET_LIST},
	{"exception.emergency_report_days", MMR_SET_INT},
	{"exception.review_interval_days", MMR_SET_INT},
	{"takeout.max_days", MMR_SET_INT},
	{"log.retention_days", MMR_SET_INT},
	{"log.checkpoint_interval_seconds", MMR_SET_INT},
	{"inspection.interval_months", MMR_SET_INT},
	{"mail.max_message_bytes", MMR_SET_INT},
	{"mail.max_depth", MMR_SET_INT},
	{"mail.max_parts", MMR_SET_INT},
	{"mail.html_allowed", MMR_SET_BOOL},
	{"sanitize.max_input_mb", MMR_SET_INT},
	{"sanitize.max_seconds", MMR_SET_INT},
	{"sanitize.remove_links", MMR_SET_BOOL},
};

#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int push_named(mmr_policy *pol, struct mmr_namelist *l, const char *id, const char *name)
{
	struct mmr_named *v = mmr_arena_grow(pol->arena, l->v, l->n, l->n + 1, sizeof(*v));
	if (!v)
		return MMR_ENOMEM;
	l->v = v;
	v[l->n].id = id;
	v[l->n].name = name;
	v[l->n].builtin = true;
	l->n++;
	return MMR_OK;
}

int mmr_vocab_install(mmr_policy *pol)
{
	for (size_t i = 0; i < COUNT(builtin_actions); i++)
		if (push_named(pol, &pol->actions, builtin_actions[i].id, builtin_actions[i].name))
			return MMR_ENOMEM;
	for (size_t i = 0; i < COUNT(builtin_kinds); i++)
		if (push_named(pol, &pol->kinds, builtin_kinds[i].id, builtin_kinds[i].name))
			return MMR_ENOMEM;
	for (size_t i = 0; i < COUNT(builtin_segments); i++)
		if (push_named(pol, &pol->segments, builtin_segments[i].id,
			       builtin_segments[i].name))
			return MMR_ENOMEM;
	for (size_t i = 0; i < COUNT(builtin_ctx); i++) {
		struct mmr_ctxkey *k = &pol->ctx[pol->n_ctx++];
		k->id = builtin_ctx[i].id;
		k->name = builtin_ctx[i].name;
		k->type = builtin_ctx[i].type;
		k->builtin = true;
		for (size_t j = 0; j < COUNT(builtin_ctx[i].values) && builtin_ctx[i].values[j];
		     j++)
			k->values[k->n_values++] = builtin_ctx[i].values[j];
	}
	for (size_t i = 0; i < MMR_N_SETTINGS; i++) {
		pol->settings[i].key = builtin_settings[i].key;
		pol->settings[i].type = builtin_settings[i].type;
	}
	return MMR_OK;
}

/* Segments are declared by the profile; these are the contract's names for
 * a profile that declares an id without a name. */
const char *mmr_vocab_segment_name(const char *id)
{
	for (size_t i = 0; i < COUNT(builtin_segments); i++)
		if (!strcmp(builtin_segments[i].id, id))
			return builtin_segments[i].name;
	return NULL;
}

const char *mmr_vocab_role_name(const char *id)
{
	for (size_t i = 0; i < COUNT(builtin_roles); i++)
		if (!strcmp(builtin_roles[i].id, id))
			return builtin_roles[i].name;
	return NULL;
}

const char *mmr_ctx_type_name(enum mmr_ctx_type t)
{
	switch (t) {
	case MMR_CTX_BOOL: return "bool";
	case MMR_CTX_ENUM: return "enum";
	case MMR_CTX_SEGMENT: return "segment";
	case MMR_CTX_ROLES: return "roles";
	case MMR_CTX_CLASSES: return "classes";
	}
	return "?";
}

const char *mmr_code_name(int code)
{
	switch (code) {
	case MMR_OK: return "OK";
	case MMR_EINVAL: return "EINVAL";
	case MMR_ENOMEM: return "ENOMEM";
	case MMR_EIO: return "EIO";
	case MMR_ENOTFOUND: return "ENOTFOUND";
	case MMR_EDENIED: return "EDENIED";
	case MMR_ELIMIT: return "ELIMIT";
	case MMR_ECONFLICT: return "ECONFLICT";
	case MMR_EAUTH: return "EAUTH";
	case MMR_ELOCKED: return "ELOCKED";
	default: return "EUNKNOWN";
	}
}

const char *mmr_effect_name(int effect)
{
	switch (effect) {
	case MMR_PERMIT: return "permit";
	case MMR_DENY: return "deny";
	case MMR_NEEDS_APPROVAL: return "needs_approval";
	default: return "unknown";
	}
}

void mmr_error_set(mmr_error *err, int code, const char *fmt, ...)
{
	if (!err)
		return;
	err->code = code;
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(err->message, sizeof(err->message), fmt, ap);
	va_end(ap);
}

int mmr_named_find(const struct mmr_namelist *l, const char *id)
{
	for (size_t i = 0; i < l->n; i++)
		if (!strcmp(l->v[i].id, id))
			return (int)i;
	return -1;
}

int mmr_axis_find(const mmr_policy *pol, const char *id)
{
	for (size_t i = 0; i < pol->n_axes; i++)
		if (!strcmp(pol->axes[i].id, id))
			return (int)i;
	return -1;
}

int mmr_ctx_find(const mmr_policy *pol, const char *id)
{
	for (size_t i = 0; i < pol->n_ctx; i++)
		if (!strcmp(pol->ctx[i].id, id))
			return (int)i;
	return -1;
}

int mmr_setting_find(const mmr_policy *pol, const char *key)
{
	for (size_t i = 0; i < MMR_N_SETTINGS; i++)
		if (!strcmp(pol->settings[i].key, key))
			return (int)i;
	return -1;
}

/* Fold a level spelling into ASCII: Ⅰ–Ⅻ (U+2160–216B) and ⅰ–ⅻ become
 * I, II, …; full-width ASCII (U+FF01–FF5E) becomes ASCII. Returns false if
 * the result does not fit. */
static bool level_fold(const char *s, char *out, size_t cap)
{
	static const char *roman[] = {"I",   "II",   "III", "IV", "V",	"VI",
				      "VII", "VIII", "IX",  "X",  "XI", "XII"};
	size_t o = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		const char *rep = NULL;
		char one[2] = {0, 0};
		if (p[0] == 0xE2 && p[1] == 0x85 && p[2] >= 0xA0 && p[2] <= 0xBB) {
			unsigned cp = 0x2140u + (p[2] - 0x80u);
			unsigned idx = cp >= 0x2170 ? cp - 0x2170 : cp - 0x2160;
			if (idx < 12)
				rep = roman[idx];
			p += 3;
		} else if (p[0] == 0xEF && (p[1] == 0xBC || p[1] == 0xBD) && p[2] >= 0x80 &&
			   p[2] <= 0xBF) {
			unsigned cp = ((p[1] & 0x3Fu) << 6) | (p[2] & 0x3Fu);
			cp |= 0xF000u;
			if (cp >= 0xFF01 && cp <= 0xFF5E) {
				one[0] = (char)(cp - 0xFF01 + 0x21);
				rep = one;
			}
			p += 3;
		} else {
			one[0] = (char)*p++;
			rep = one;
		}
		if (!rep)
			return false;
		size_t n = strlen(rep);
		if (o + n >= cap)
			return false;
		memcpy(out + o, rep, n);
		o += n;
	}
	out[o] = '\0';
	return true;
}

int mmr_level_find(const struct mmr_axis *ax, const char *s)
{
	char f[64];
	if (!level_fold(s, f, sizeof f))
		return -1;
	for (size_t i = 0; i < ax->n_levels; i++) {
		if (!strcasecmp(ax->levels[i].id, f))
			return (int)i;
	}
	for (size_t i = 0; i < ax->n_levels; i++) {
		const struct mmr_slist *al = &ax->levels[i].aliases;
		for (size_t j = 0; j < al->n; j++)
			if (!strcasecmp(al->v[j].s, f))
				return (int)i;
	}
	return -1;
}

int mmr_ctx_value_find(const mmr_policy *pol, const struct mmr_ctxkey *k, const char *s)
{
	if (k->type == MMR_CTX_ENUM) {
		for (size_t i = 0; i < k->n_values; i++)
			if (!strcmp(k->values[i], s))
				return (int)i + 1;
		return -1;
	}
	if (k->type == MMR_CTX_SEGMENT) {
		int i = mmr_named_find(&pol->segments, s);
		return i < 0 ? -1 : i + 1;
	}
	return -1;
}
