/*
 * ledger.c — the engine of the five ledgers (units, users, systems, assets,
 * devices): validation of JSON objects against field descriptors and the
 * tenant's profile, SQL generated once from the descriptors, the role
 * matrix, keyset paging.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "store/audit.h"
#include "store/canon.h"
#include "store/store_int.h"
#include "util/buf.h"

enum ftype {
	FT_TEXT,
	FT_BOOL,
	FT_ENUM,
	FT_UNIT,
	FT_USER,
	FT_SYSTEM,
	FT_ASSET,
	FT_SEGMENT,
	FT_KIND,
	FT_LIST,
	FT_CLASS,
	FT_MAC,
	FT_LOGIN,
};

struct field {
	const char *name;
	const char *label; /* Japanese, for messages and pages */
	enum ftype type;
	bool required;
	size_t max;	   /* text: characters (UTF-8 code points) */
	const char *enums; /* FT_ENUM: "a|b|c" */
	bool filter;	   /* may be given as a list filter */
};

struct ledger {
	const char *kind, *table, *label;
	const struct field *f;
	size_t n;
	bool updated_at;	/* created_at and updated_at columns */
	bool created_at;	/* created_at only */
	const char *extra_cols; /* more columns read after the fields (no input) */
	/* generated once */
	char *ins, *upd, *get, *del, *exists;
	char *ins_id, *copy, *max_id; /* bulk create (mmr_ledger_create_many) */
	char **list_m, **count_m;     /* by filter mask, made on first use */
};

static const struct field unit_fields[] = {
	{"name", "名称", FT_TEXT, true, 200, NULL, true},
	{"kind", "種別", FT_ENUM, false, 0, "department|section|office", true},
	{"parent_id", "上位組織", FT_UNIT, false, 0, NULL, true},
};
static const struct field user_fields[] = {
	{"login", "ログイン名", FT_LOGIN, true, 64, NULL, true},
	{"name", "氏名", FT_TEXT, true, 100, NULL, false},
	{"kana", "ふりがな", FT_TEXT, false, 100, NULL, false},
	{"unit_id", "所属", FT_UNIT, false, 0, NULL, true},
	{"absent", "不在", FT_BOOL, false, 0, NULL, false},
};
static const struct field system_fields[] = {
	{"name", "システム名", FT_TEXT, true, 200, NULL, false},
	{"segment", "ネットワーク", FT_SEGMENT, false, 0, NULL, true},
	{"manager_id", "情報システム管理者", FT_USER, false, 0, NULL, true},
	{"unit_id", "所管課", FT_UNIT, false, 0, NULL, true},
	{"location", "設置場所", FT_TEXT, false, 200, NULL, false},
	{"hosting", "形態", FT_ENUM, false, 0, "cloud|onprem", true},
	{"classes", "取り扱う情報の分類", FT_LIST, false, 32, NULL, false},
	{"contractor", "委託事業者", FT_TEXT, false, 200, NULL, false},
	{"maintenance_contract", "保守契約", FT_TEXT, false, 500, NULL, false},
};
static const struct field asset_fields[] = {
	{"name", "名称", FT_TEXT, true, 200, NULL, false},
	{"kind", "種別", FT_KIND, true, 0, NULL, true},
	{"classification", "分類", FT_CLASS, true, 0, NULL, false},
	{"medium", "媒体", FT_TEXT, false, 100, NULL, false},
	{"unit_id", "所管課", FT_UNIT, false, 0, NULL, true},
	{"manager_id", "管理者", FT_USER, false, 0, NULL, true},
	{"system_id", "情報システム", FT_SYSTEM, false, 0, NULL, true},
	{"segment", "ネットワーク", FT_SEGMENT, false, 0, NULL, true},
	{"location", "保管場所", FT_TEXT, false, 200, NULL, false},
	{"retention", "保存期間", FT_TEXT, false, 100, NULL, false},
	{"copy_of", "原本", FT_ASSET, false, 0, NULL, true},
	{"personal", "個人情報", FT_BOOL, false, 0, NULL, true},
	{"specific_personal", "特定個人情報", FT_BOOL, false, 0, NULL, true},
};
static const struct field device_fields[] = {
	{"identifier", "識別番号", FT_TEXT, true, 100, NULL, false},
	{"kind", "種別", FT_ENUM, true, 0, "terminal|tablet|media|other", true},
	{"mac", "MAC アドレス", FT_MAC, false, 0, NULL, false},
	{"serial", "製造番号", FT_TEXT, false, 100, NULL, false},
	{"holder_id", "管理者", FT_USER, false, 0, NULL, true},
	{"unit_id", "所管課", FT_UNIT, false, 0, NULL, true},
	{"segment", "ネットワーク", FT_SEGMENT, false, 0, NULL, true},
};

#define N(a) (sizeof(a) / sizeof((a)[0]))

static struct ledger ledgers[] = {
	{.kind = "units", .table = "units", .label = "組織", .f = unit_fields, .n = N(unit_fields)},
	{.kind = "users",
	 .table = "users",
	 .label = "利用者",
	 .f = user_fields,
	 .n = N(user_fields),
	 .created_at = true,
	 .extra_cols = "locked_at, totp_secret IS NOT NULL, password_temporary"},
	{.kind = "systems",
	 .table = "systems",
	 .label = "情報システム",
	 .f = system_fields,
	 .n = N(system_fields),
	 .updated_at = true},
	{.kind = "assets",
	 .table = "assets",
	 .label = "情報資産",
	 .f = asset_fields,
	 .n = N(asset_fields),
	 .updated_at = true},
	{.kind = "devices",
	 .table = "devices",
	 .label = "端末・記録媒体",
	 .f = device_fields,
	 .n = N(device_fields),
	 .updated_at = true},
};

/* Visibility of rows to a restricted actor ($V: NULL = sees all, $U: user). */
#define VIS_UNITS                                                                                  \
	"SELECT id FROM units WHERE tenant = $1 AND (id = (SELECT unit_id FROM users WHERE "       \
	"tenant = $1 AND id = CAST($U AS BIGINT)) OR id IN (SELECT scope_id FROM user_roles "      \
	"WHERE tenant = $1 AND user_id = CAST($U AS BIGINT) AND scope_kind = 'unit') OR "          \
	"parent_id IN (SELECT scope_id FROM user_roles WHERE tenant = $1 AND user_id = "           \
	"CAST($U AS BIGINT) AND scope_kind = 'unit'))"
#define VIS_SYSTEMS                                                                                \
	"SELECT id FROM systems WHERE tenant = $1 AND (manager_id = CAST($U AS BIGINT) OR id "     \
	"IN (SELECT scope_id FROM user_roles WHERE tenant = $1 AND user_id = CAST($U AS "          \
	"BIGINT) AND scope_kind = 'system'))"

static const char *visibility(const char *kind)
{
	if (!strcmp(kind, "units"))
		return NULL;
	if (!strcmp(kind, "users"))
		return "(unit_id IN (" VIS_UNITS ") OR id = CAST($U AS BIGINT))";
	if (!strcmp(kind, "systems"))
		return "(unit_id IN (" VIS_UNITS ") OR id IN (" VIS_SYSTEMS "))";
	if (!strcmp(kind, "assets"))
		return "(unit_id IN (" VIS_UNITS ") OR system_id IN (" VIS_SYSTEMS ") OR "
		       "manager_id = CAST($U AS BIGINT))";
	return "(unit_id IN (" VIS_UNITS ") OR holder_id = CAST($U AS BIGINT))";
}

/* ---- SQL generation (once, from the descriptors) ---- */

struct sbuf {
	char *s;
	size_t n, cap;
};

static void sb_add(struct sbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_add(struct sbuf *b, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int w = vsnprintf(b->s ? b->s + b->n : NULL, b->s ? b->cap - b->n : 0, fmt, ap);
		va_end(ap);
		if (w < 0)
			abort();
		if (b->s && b->n + (size_t)w < b->cap) {
			b->n += (size_t)w;
			return;
		}
		size_t cap = (b->cap + (size_t)w + 1) * 2;
		char *ns = realloc(b->s, cap);
		if (!ns)
			abort(); /* at start-up, before any request */
		b->s = ns;
		b->cap = cap;
	}
}

static bool is_int_type(enum ftype t)
{
	return t == FT_UNIT || t == FT_USER || t == FT_SYSTEM || t == FT_ASSET || t == FT_BOOL;
}

/* The columns row_json reads, in its order (a SELECT list or a RETURNING). */
static void row_cols(struct sbuf *b, const struct ledger *l)
{
	sb_add(b, "id");
	for (size_t i = 0; i < l->n; i++)
		sb_add(b, ", %s", l->f[i].name);
	if (l->extra_cols)
		sb_add(b, ", %s", l->extra_cols);
	if (l->updated_at)
		sb_add(b, ", created_at, updated_at");
}

/* List and count statements are generated per combination of the filters a
 * query uses (a mask: one bit per filterable field, then the class filter,
 * then "visibility restricted"), so that each WHERE names only what is
 * asked and the planner can use the indexes: a catch-all "($n IS NULL OR
 * col = $n)" per field made every page count scan the whole ledger.
 * Parameters: list $1 tenant, $2 after, $3 limit; count $1 tenant; then,
 * in both, one per filter in use, the class axis and level, the user. */
static void where_filters(struct sbuf *b, const struct ledger *l, bool count, unsigned mask, int nf)
{
	int p = count ? 2 : 4;
	sb_add(b, " FROM %s WHERE tenant = $1", l->table);
	if (!count)
		sb_add(b, " AND id > CAST($2 AS BIGINT)");
	int k = 0;
	for (size_t i = 0; i < l->n; i++) {
		if (!l->f[i].filter)
			continue;
		if (mask & (1u << k++)) {
			const char *cast = is_int_type(l->f[i].type) ? "BIGINT" : "TEXT";
			sb_add(b, " AND %s = CAST($%d AS %s)", l->f[i].name, p++, cast);
		}
	}
	if (mask & (1u << nf)) { /* assets: one class */
		sb_add(b,
		       " AND EXISTS (SELECT 1 FROM asset_classes c WHERE c.tenant = $1 AND "
		       "c.asset_id = assets.id AND c.axis = CAST($%d AS TEXT) AND c.level = "
		       "CAST($%d AS TEXT))",
		       p, p + 1);
		p += 2;
	}
	const char *vis = visibility(l->kind);
	if (vis && (mask & (1u << (nf + 1)))) { /* its $U: the user's parameter */
		sb_add(b, " AND ");
		for (const char *c = vis; *c; c++) {
			if (c[0] == '$' && c[1] == 'U') {
				sb_add(b, "$%d", p);
				c++;
			} else
				sb_add(b, "%c", *c);
		}
	}
}

static int n_filters(const struct ledger *l)
{
	int nf = 0;
	for (size_t i = 0; i < l->n; i++)
		nf += l->f[i].filter;
	return nf;
}

static pthread_mutex_t list_sql_lock = PTHREAD_MUTEX_INITIALIZER;

/* The list (count = false) or count statement for this mask, made on first
 * use and kept for the life of the process (its address is the statement
 * cache's key). NULL when out of memory. */
static const char *list_sql(struct ledger *l, bool count, unsigned mask)
{
	int nf = n_filters(l);
	pthread_mutex_lock(&list_sql_lock);
	char ***slot = count ? &l->count_m : &l->list_m;
	if (!*slot)
		*slot = calloc((size_t)1 << (nf + 2), sizeof(char *));
	char *sql = NULL;
	if (*slot && !(sql = (*slot)[mask])) {
		struct sbuf b = {0};
		if (count) {
			sb_add(&b, "SELECT count(*)");
		} else {
			sb_add(&b, "SELECT ");
			row_cols(&b, l);
		}
		where_filters(&b, l, count, mask, nf);
		if (!count)
			sb_add(&b, " ORDER BY id LIMIT CAST($3 AS BIGINT)");
		sql = (*slot)[mask] = b.s;
	}
	pthread_mutex_unlock(&list_sql_lock);
	return sql;
}

/* "INSERT INTO table ([id, ]tenant, fields…, created_at[, updated_at])" */
/* "table (id, tenant, fields…, times)" (id only when asked) */
static void table_cols(struct sbuf *b, const struct ledger *l, bool id)
{
	sb_add(b, "%s (%stenant", l->table, id ? "id, " : "");
	for (size_t i = 0; i < l->n; i++)
		sb_add(b, ", %s", l->f[i].name);
	if (l->updated_at || l->created_at)
		sb_add(b, ", created_at");
	if (l->updated_at)
		sb_add(b, ", updated_at");
	sb_add(b, ")");
}

static void insert_into(struct sbuf *b, const struct ledger *l, bool id)
{
	sb_add(b, "INSERT INTO ");
	table_cols(b, l, id);
}

/* " VALUES ($1 … $lead, the fields, the time (once per time column)", the
 * closing parenthesis left to the caller */
static void insert_values(struct sbuf *b, const struct ledger *l, size_t lead)
{
	sb_add(b, " VALUES ($1");
	for (size_t i = 2; i <= lead; i++)
		sb_add(b, ", $%zu", i);
	for (size_t i = 0; i < l->n; i++)
		sb_add(b, ", $%zu", lead + 1 + i);
	if (l->updated_at || l->created_at)
		sb_add(b, ", $%zu", lead + 1 + l->n);
	if (l->updated_at)
		sb_add(b, ", $%zu", lead + 1 + l->n);
}

static void generate(struct ledger *l)
{
	struct sbuf b = {0};
	/* insert: $1 tenant, fields from $2, then the time */
	insert_into(&b, l, false);
	insert_values(&b, l, 1);
	/* the new row comes back with the columns `get` reads (one round trip
	 * fewer than reading it again) */
	sb_add(&b, ") RETURNING ");
	row_cols(&b, l);
	l->ins = b.s;
	/* update: $1 tenant, $2 id, fields from $3, then the time */
	b = (struct sbuf){0};
	sb_add(&b, "UPDATE %s SET ", l->table);
	for (size_t i = 0; i < l->n; i++)
		sb_add(&b, "%s%s = $%zu", i ? ", " : "", l->f[i].name, i + 3);
	if (l->updated_at)
		sb_add(&b, ", updated_at = $%zu", l->n + 3);
	sb_add(&b, " WHERE tenant = $1 AND id = $2");
	l->upd = b.s;
	/* get */
	b = (struct sbuf){0};
	sb_add(&b, "SELECT ");
	row_cols(&b, l);
	sb_add(&b, " FROM %s WHERE tenant = $1 AND id = $2", l->table);
	l->get = b.s;
	/* delete */
	b = (struct sbuf){0};
	sb_add(&b, "DELETE FROM %s WHERE tenant = $1 AND id = $2", l->table);
	l->del = b.s;
	/* exists (references) */
	b = (struct sbuf){0};
	sb_add(&b, "SELECT 1 FROM %s WHERE tenant = $1 AND id = $2", l->table);
	l->exists = b.s;
	/* bulk create: the row with its id given ($1 id, $2 tenant, fields from
	 * $3, then the time) */
	b = (struct sbuf){0};
	insert_into(&b, l, true);
	insert_values(&b, l, 2);
	sb_add(&b, ")");
	l->ins_id = b.s;
	/* PostgreSQL: the rows of a bulk create by COPY (the columns of ins_id,
	 * in the same order) */
	b = (struct sbuf){0};
	sb_add(&b, "COPY ");
	table_cols(&b, l, true);
	sb_add(&b, " FROM STDIN");
	l->copy = b.s;
	b = (struct sbuf){0};
	sb_add(&b, "SELECT coalesce(max(id), 0) FROM %s", l->table);
	l->max_id = b.s;
}

static pthread_once_t generated = PTHREAD_ONCE_INIT;

static void generate_all(void)
{
	for (size_t i = 0; i < N(ledgers); i++)
		generate(&ledgers[i]);
}

static struct ledger *ledger_find(const char *kind)
{
	pthread_once(&generated, generate_all);
	for (size_t i = 0; i < N(ledgers); i++)
		if (!strcmp(ledgers[i].kind, kind))
			return &ledgers[i];
	return NULL;
}

bool mmr_ledger_kind_valid(const char *kind)
{
	return ledger_find(kind) != NULL;
}

/* ---- validation ---- */

/* UTF-8 code points of s, or -1 if s is not valid UTF-8 or has control
 * characters (line breaks only where `lines` allows them). */
static long utf8_chars_lines(const char *s, bool lines)
{
	long n = 0;
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned c = *p;
		int len;
		uint32_t cp;
		if (c < 0x80) {
			if (c < 0x20 && c != '\t' && !(lines && (c == '\n' || c == '\r')))
				return -1;
			len = 1;
			cp = c;
		} else if ((c & 0xe0) == 0xc0) {
			len = 2;
			cp = c & 0x1f;
		} else if ((c & 0xf0) == 0xe0) {
			len = 3;
			cp = c & 0x0f;
		} else if ((c & 0xf8) == 0xf0) {
			len = 4;
			cp = c & 0x07;
		} else
			return -1;
		for (int i = 1; i < len; i++) {
			if ((p[i] & 0xc0) != 0x80)
				return -1;
			cp = (cp << 6) | (p[i] & 0x3f);
		}
		if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) ||
		    (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) || (cp >= 0xd800 && cp < 0xe000))
			return -1;
		p += len;
		n++;
	}
	return n;
}

static long utf8_chars(const char *s)
{
	return utf8_chars_lines(s, false);
}

static bool enum_has(const char *enums, const char *v)
{
	size_t vl = strlen(v);
	for (const char *p = enums; *p;) {
		const char *e = strchr(p, '|');
		size_t n = e ? (size_t)(e - p) : strlen(p);
		if (n == vl && !strncmp(p, v, n))
			return true;
		if (!e)
			break;
		p = e + 1;
	}
	return false;
}

static bool mac_ok(const char *s)
{
	if (strlen(s) != 17)
		return false;
	for (int i = 0; i < 17; i++) {
		if (i % 3 == 2) {
			if (s[i] != ':' && s[i] != '-')
				return false;
		} else if (!strchr("0123456789abcdefABCDEF", s[i]))
			return false;
	}
	return true;
}

static bool login_ok(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > 64)
		return false;
	for (const char *p = s; *p; p++)
		if (!(*p >= 'a' && *p <= 'z') && !(*p >= 'A' && *p <= 'Z') &&
		    !(*p >= '0' && *p <= '9') && !strchr("._-@", *p))
			return false;
	return true;
}

static int ref_exists(mmr_store *st, const char *tenant, const char *kind, int64_t id,
		      mmr_error *err)
{
	struct ledger *l = ledger_find(kind);
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, l->exists, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	rc = mmr_stmt_step(s, err);
	mmr_stmt_reset(s);
	if (rc == MMR_DB_ROW)
		return MMR_OK;
	return rc == MMR_DB_DONE ? MMR_ENOTFOUND : rc;
}

/* Normalise and check an asset's classification against the profile: an
 * object axis → level, levels as users write them, stored canonical. */
static int check_classification(const mmr_policy *pol, json_t *v, json_t **out, mmr_error *err)
{
	if (!json_is_object(v) || json_object_size(v) == 0) {
		mmr_field_error(err, MMR_EINVAL, "classification",
				"分類は {\"軸\": \"レベル\"} の形で 1 つ以上指定してください");
		return MMR_EINVAL;
	}
	json_t *norm = json_object();
	const char *axis;
	json_t *lv;
	json_object_foreach (v, axis, lv) {
		char field[128];
		snprintf(field, sizeof field, "classification.%s", axis);
		size_t n_levels;
		bool known = false;
		for (size_t i = 0; i < mmr_policy_axis_count(pol); i++) {
			const char *id;
			mmr_policy_axis_at(pol, i, &id, NULL, &n_levels);
			if (!strcmp(id, axis))
				known = true;
		}
		if (!known) {
			mmr_field_error(err, MMR_EINVAL, field,
					"分類の軸 \"%s\" はこの団体のプロファイルにありません",
					axis);
			json_decref(norm);
			return MMR_EINVAL;
		}
		const char *text = json_string_value(lv), *canon;
		char num[32];
		if (json_is_integer(lv)) {
			snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(lv));
			text = num;
		}
		if (!text || mmr_policy_level_resolve(pol, axis, text, &canon, NULL)) {
			mmr_field_error(err, MMR_EINVAL, field,
					"レベル \"%s\" は軸 \"%s\" にありません",
					text ? text : "(文字列でない)", axis);
			json_decref(norm);
			return MMR_EINVAL;
		}
		json_object_set_new(norm, axis, json_string(canon));
	}
	*out = norm;
	return MMR_OK;
}

/* Validate `obj` (a full object after merging) field by field. Unknown keys
 * are refused; `readonly` keys (id, timestamps, computed) are ignored.
 * `known` (may be NULL): references already found to exist during this
 * call's batch ({"units:12": true, …}), so that a bulk create asks for each
 * once instead of once per row. */
static int validate(mmr_store *st, const mmr_policy *pol, const char *tenant,
		    const struct ledger *l, json_t *obj, json_t *known, mmr_error *err)
{
	if (!json_is_object(obj)) {
		mmr_error_set(err, MMR_EINVAL, "オブジェクト（JSON の {…}）が必要です");
		return MMR_EINVAL;
	}
	static const char *const readonly[] = {
		"id",		"created_at",	      "updated_at", "handling", "locked",
		"mfa_enrolled", "password_temporary", "roles",	    "deputies"};
	const char *key;
	json_t *v;
	json_object_foreach (obj, key, v) {
		bool ok = false;
		for (size_t i = 0; i < l->n && !ok; i++)
			ok = !strcmp(l->f[i].name, key);
		for (size_t i = 0; i < N(readonly) && !ok; i++)
			ok = !strcmp(readonly[i], key);
		if (!ok) {
			mmr_field_error(err, MMR_EINVAL, key, "未知の項目 \"%s\" です（%s）", key,
					l->label);
			return MMR_EINVAL;
		}
	}
	for (size_t i = 0; i < l->n; i++) {
		const struct field *f = &l->f[i];
		v = json_object_get(obj, f->name);
		if (!v || json_is_null(v)) {
			if (f->required && !(f->type == FT_CLASS &&
					     json_is_integer(json_object_get(obj, "copy_of")))) {
				mmr_field_error(err, MMR_EINVAL, f->name, "%s（%s）は必須です",
						f->label, f->name);
				return MMR_EINVAL;
			}
			continue;
		}
		const char *s = json_string_value(v);
		switch (f->type) {
		case FT_TEXT:
		case FT_LOGIN:
		case FT_MAC:
		case FT_ENUM:
		case FT_SEGMENT:
		case FT_KIND: {
			if (!s) {
				mmr_field_error(err, MMR_EINVAL, f->name,
						"%s は文字列にしてください", f->label);
				return MMR_EINVAL;
			}
			/* free text other than a ledger's name may span lines */
			long chars = utf8_chars_lines(s, f->type == FT_TEXT && i > 0);
			if (chars < 0) {
				mmr_field_error(
					err, MMR_EINVAL, f->name,
					"%s に不正な文字（UTF-8 でない、制御文字）があります",
					f->label);
				return MMR_EINVAL;
			}
			if (f->required && chars == 0) {
				mmr_field_error(err, MMR_EINVAL, f->name, "%s が空です", f->label);
				return MMR_EINVAL;
			}
			if (f->max && (size_t)chars > f->max) {
				mmr_field_error(err, MMR_ELIMIT, f->name,
						"%s が長すぎます（%ld 文字、上限 %zu 文字）",
						f->label, chars, f->max);
				return MMR_ELIMIT;
			}
			if (f->type == FT_ENUM && !enum_has(f->enums, s)) {
				mmr_field_error(err, MMR_EINVAL, f->name,
						"%s \"%s\" は使えません（使える値: %s）", f->label,
						s, f->enums);
				return MMR_EINVAL;
			}
			if (f->type == FT_LOGIN && !login_ok(s)) {
				mmr_field_error(
					err, MMR_EINVAL, f->name,
					"ログイン名 \"%s\" は英数字と . _ - @ の 64 文字以内にして"
					"ください",
					s);
				return MMR_EINVAL;
			}
			if (f->type == FT_MAC && !mac_ok(s)) {
				mmr_field_error(
					err, MMR_EINVAL, f->name,
					"MAC アドレス \"%s\" は 00:11:22:33:44:55 の形にしてくだ"
					"さい",
					s);
				return MMR_EINVAL;
			}
			if ((f->type == FT_SEGMENT || f->type == FT_KIND) &&
			    mmr_policy_vocab_find(pol, f->type == FT_SEGMENT ? "segment" : "kind",
						  s, NULL)) {
				mmr_field_error(err, MMR_EINVAL, f->name,
						"%s \"%s\" はこの団体のプロファイルにありません",
						f->label, s);
				return MMR_EINVAL;
			}
			break;
		}
		case FT_BOOL:
			if (!json_is_boolean(v)) {
				mmr_field_error(err, MMR_EINVAL, f->name,
						"%s は true か false にしてください", f->label);
				return MMR_EINVAL;
			}
			break;
		case FT_UNIT:
		case FT_USER:
		case FT_SYSTEM:
		case FT_ASSET: {
			if (!json_is_integer(v) || json_integer_value(v) <= 0) {
				mmr_field_error(err, MMR_EINVAL, f->name,
						"%s は番号（正の整数）にしてください", f->label);
				return MMR_EINVAL;
			}
			const char *kind = f->type == FT_UNIT	  ? "units"
					   : f->type == FT_USER	  ? "users"
					   : f->type == FT_SYSTEM ? "systems"
								  : "assets";
			char rkey[48];
			snprintf(rkey, sizeof rkey, "%s:%" JSON_INTEGER_FORMAT, kind,
				 json_integer_value(v));
			if (known && json_object_get(known, rkey))
				break;
			int rc = ref_exists(st, tenant, kind, json_integer_value(v), err);
			if (!rc && known)
				json_object_set_new(known, rkey, json_true());
			if (rc == MMR_ENOTFOUND) {
				mmr_field_error(err, MMR_EINVAL, f->name,
						"%s %" JSON_INTEGER_FORMAT " はありません",
						f->label, json_integer_value(v));
				return MMR_EINVAL;
			}
			if (rc)
				return rc;
			break;
		}
		case FT_LIST: {
			if (!json_is_array(v) || json_array_size(v) > f->max) {
				mmr_field_error(err, MMR_EINVAL, f->name,
						"%s は文字列の配列（%zu 個まで）にしてください",
						f->label, f->max);
				return MMR_EINVAL;
			}
			size_t j;
			json_t *e;
			json_array_foreach (v, j, e) {
				if (!json_is_string(e) || utf8_chars(json_string_value(e)) < 0 ||
				    utf8_chars(json_string_value(e)) > 100) {
					mmr_field_error(
						err, MMR_EINVAL, f->name,
						"%s[%zu] は 100 文字以内の文字列にしてください",
						f->label, j);
					return MMR_EINVAL;
				}
			}
			break;
		}
		case FT_CLASS: {
			json_t *norm;
			int rc = check_classification(pol, v, &norm, err);
			if (rc)
				return rc;
			json_object_set_new(obj, f->name, norm);
			break;
		}
		}
	}
	return MMR_OK;
}

/* ---- rows <-> JSON ---- */

/* 取扱制限 of a classification: derived from the profile, never typed in. */
static json_t *handling_json(const mmr_policy *pol, const json_t *cls)
{
	json_t *handling = json_array();
	for (size_t i = 0; i < mmr_policy_axis_count(pol); i++) {
		const char *axis, *axis_name;
		size_t nl;
		mmr_policy_axis_at(pol, i, &axis, &axis_name, &nl);
		const char *level = json_string_value(json_object_get(cls, axis));
		size_t rank;
		const char *canon;
		if (!level || mmr_policy_level_resolve(pol, axis, level, &canon, &rank))
			continue;
		const char *level_name;
		mmr_policy_level_at(pol, i, rank, NULL, &level_name);
		json_t *r = json_array();
		const char *t;
		for (size_t k = 0; (t = mmr_policy_level_restriction(pol, i, rank, k)); k++)
			json_array_append_new(r, json_string(t));
		json_array_append_new(handling,
				      json_pack("{s:s, s:s, s:s, s:s?, s:o}", "axis", axis,
						"axis_name", axis_name, "level", canon,
						"level_name", level_name, "restrictions", r));
	}
	return handling;
}

static json_t *row_json(const mmr_policy *pol, const struct ledger *l, mmr_stmt *s)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(mmr_col_int(s, 0)));
	for (size_t i = 0; i < l->n; i++) {
		int c = (int)i + 1;
		const struct field *f = &l->f[i];
		if (mmr_col_null(s, c)) {
			json_object_set_new(o, f->name, json_null());
			continue;
		}
		switch (f->type) {
		case FT_BOOL:
			json_object_set_new(o, f->name, json_boolean(mmr_col_int(s, c)));
			break;
		case FT_UNIT:
		case FT_USER:
		case FT_SYSTEM:
		case FT_ASSET:
			json_object_set_new(o, f->name, json_integer(mmr_col_int(s, c)));
			break;
		case FT_LIST:
		case FT_CLASS: {
			json_t *j = json_loads(mmr_col_text(s, c), 0, NULL);
			json_object_set_new(o, f->name, j ? j : json_null());
			break;
		}
		default: json_object_set_new(o, f->name, json_string(mmr_col_text(s, c)));
		}
	}
	int c = (int)l->n + 1;
	if (!strcmp(l->kind, "users")) {
		json_object_set_new(o, "locked", json_boolean(!mmr_col_null(s, c)));
		json_object_set_new(o, "mfa_enrolled", json_boolean(mmr_col_int(s, c + 1)));
		json_object_set_new(o, "password_temporary", json_boolean(mmr_col_int(s, c + 2)));
		c += 3;
	}
	if (l->updated_at) {
		json_object_set_new(o, "created_at", json_string(mmr_col_text(s, c)));
		json_object_set_new(o, "updated_at", json_string(mmr_col_text(s, c + 1)));
	}
	if (!strcmp(l->kind, "assets"))
		json_object_set_new(o, "handling",
				    handling_json(pol, json_object_get(o, "classification")));
	return o;
}

/* How a field's value is stored in its column. */
enum stored { STORED_NULL, STORED_INT, STORED_TEXT };

/* A field's value as its column stores it: an absent boolean as 0, an
 * absent unit kind as "section", booleans as 0/1, arrays and objects as
 * their compact JSON with sorted keys (*owned, for the caller to free; NULL
 * text when out of memory). */
static enum stored stored_value(const struct ledger *l, const struct field *f, json_t *v,
				int64_t *iv, const char **tv, char **owned)
{
	*owned = NULL;
	if (!v || json_is_null(v)) {
		if (f->type == FT_BOOL) {
			*iv = 0;
			return STORED_INT;
		}
		if (f->type == FT_ENUM && !strcmp(l->kind, "units")) {
			*tv = "section";
			return STORED_TEXT;
		}
		return STORED_NULL;
	}
	if (json_is_boolean(v) || json_is_integer(v)) {
		*iv = json_is_boolean(v) ? json_is_true(v) : json_integer_value(v);
		return STORED_INT;
	}
	*tv = json_is_string(v) ? json_string_value(v)
				: (*owned = json_dumps(v, JSON_COMPACT | JSON_SORT_KEYS));
	return STORED_TEXT;
}

static void bind_fields(mmr_stmt *s, const struct ledger *l, json_t *obj, int first)
{
	for (size_t i = 0; i < l->n; i++) {
		int p = first + (int)i;
		int64_t iv;
		const char *tv;
		char *owned;
		switch (stored_value(l, &l->f[i], json_object_get(obj, l->f[i].name), &iv, &tv,
				     &owned)) {
		case STORED_INT: mmr_stmt_int(s, p, iv); break;
		case STORED_TEXT: mmr_stmt_text(s, p, tv); break;
		default: mmr_stmt_null(s, p);
		}
		free(owned);
	}
}

/* ---- the role matrix ---- */

static bool scope_has(const mmr_actor *who, const char *access, const char *kind, int64_t id)
{
	for (size_t i = 0; i < who->n_scopes; i++) {
		const struct mmr_actor_scope *sc = &who->scopes[i];
		if (strcmp(sc->access, access))
			continue;
		if (!strcmp(sc->kind, "body"))
			return true;
		if (!strcmp(sc->kind, kind) && sc->id == id)
			return true;
	}
	return false;
}

static int64_t system_manager(mmr_store *st, const char *tenant, int64_t sys)
{
	static const char q[] = "SELECT manager_id FROM systems WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	if (mmr_db_prepare(st->db, q, &s, NULL))
		return 0;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, sys);
	int64_t p = mmr_stmt_step(s, NULL) == MMR_DB_ROW ? mmr_col_int(s, 0) : 0;
	mmr_stmt_reset(s);
	return p;
}

static bool manages_unit(mmr_store *st, const mmr_actor *who, int64_t unit)
{
	if (!unit)
		return false;
	if (scope_has(who, MMR_ACCESS_MANAGER, "unit", unit))
		return true;
	int64_t parent = mmr_unit_parent(st, who->tenant, unit);
	return parent && scope_has(who, MMR_ACCESS_MANAGER, "unit", parent);
}

static bool manages_system(mmr_store *st, const mmr_actor *who, int64_t sys)
{
	if (!sys || !who->system)
		return false;
	return scope_has(who, MMR_ACCESS_SYSTEM, "system", sys) ||
	       system_manager(st, who->tenant, sys) == who->user_id;
}

/* May `who` create / change / delete this object (its state `obj`)? */
static bool may_write(mmr_store *st, const mmr_actor *who, const struct ledger *l, json_t *obj)
{
	if (who->admin)
		return true;
	const char *k = l->kind;
	if (!strcmp(k, "units") || !strcmp(k, "users"))
		return false;
	if (!strcmp(k, "systems"))
		return who->system &&
		       (scope_has(who, MMR_ACCESS_SYSTEM, "body", 0) ||
			(mmr_jint(obj, "id") && manages_system(st, who, mmr_jint(obj, "id"))) ||
			mmr_jint(obj, "manager_id") == who->user_id);
	if (who->manager && manages_unit(st, who, mmr_jint(obj, "unit_id")))
		return true;
	if (!strcmp(k, "assets") && manages_system(st, who, mmr_jint(obj, "system_id")))
		return true;
	return false;
}

/* ---- asset specifics: classes table, copies ---- */

/* The asset's classes: replaced on an update, only inserted for a new asset
 * (nothing to delete: the import writes 100,000 of these). */
static int asset_classes_write(mmr_store *st, const char *tenant, int64_t id, bool created,
			       json_t *cls, mmr_error *err)
{
	static const char del[] = "DELETE FROM asset_classes WHERE tenant = $1 AND asset_id = $2";
	static const char ins[] = "INSERT INTO asset_classes (tenant, asset_id, axis, level) "
				  "VALUES ($1, $2, $3, $4)";
	mmr_stmt *s;
	int rc;
	if (!created) {
		if ((rc = mmr_db_prepare(st->db, del, &s, err)))
			return rc;
		mmr_stmt_text(s, 1, tenant);
		mmr_stmt_int(s, 2, id);
		if ((rc = mmr_stmt_run(s, err)))
			return rc;
	}
	if ((rc = mmr_db_prepare(st->db, ins, &s, err)))
		return rc;
	const char *axis;
	json_t *lv;
	json_object_foreach (cls, axis, lv) {
		mmr_stmt_text(s, 1, tenant);
		mmr_stmt_int(s, 2, id);
		mmr_stmt_text(s, 3, axis);
		mmr_stmt_text(s, 4, json_string_value(lv));
		if ((rc = mmr_stmt_run(s, err)))
			return rc;
	}
	return MMR_OK;
}

static int get_row(mmr_store *st, const mmr_policy *pol, const struct ledger *l, const char *tenant,
		   int64_t id, json_t **out, mmr_error *err);

/* A copy is classified like its original: take the original's. */
static int copy_classification(mmr_store *st, const mmr_policy *pol, const char *tenant,
			       json_t *obj, mmr_error *err)
{
	int64_t orig = mmr_jint(obj, "copy_of");
	if (!orig)
		return MMR_OK;
	if (orig == mmr_jint(obj, "id")) {
		mmr_field_error(err, MMR_EINVAL, "copy_of", "自分自身を原本にはできません");
		return MMR_EINVAL;
	}
	json_t *o;
	int rc = get_row(st, pol, ledger_find("assets"), tenant, orig, &o, err);
	if (rc == MMR_ENOTFOUND) {
		mmr_field_error(err, MMR_EINVAL, "copy_of", "原本 %" PRId64 " はありません", orig);
		return MMR_EINVAL;
	}
	if (rc)
		return rc;
	json_t *want = json_object_get(o, "classification");
	json_t *given = json_object_get(obj, "classification");
	if (given && !json_is_null(given) && !json_equal(given, want)) {
		json_decref(o);
		mmr_field_error(err, MMR_EINVAL, "classification",
				"複製の分類は原本（%" PRId64 "）と同じでなければなりません", orig);
		return MMR_EINVAL;
	}
	json_object_set(obj, "classification", want);
	json_decref(o);
	return MMR_OK;
}

/* After an original's classification changed, its copies (and theirs) follow. */
static int propagate_to_copies(mmr_store *st, const char *tenant, int64_t id, json_t *cls,
			       int depth, mmr_error *err)
{
	if (depth > 16)
		return MMR_OK;
	static const char q[] = "SELECT id FROM assets WHERE tenant = $1 AND copy_of = $2";
	static const char u[] = "UPDATE assets SET classification = $3, updated_at = $4 "
				"WHERE tenant = $1 AND id = $2";
	int64_t ids[256];
	size_t n = 0;
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW && n < 256)
		ids[n++] = mmr_col_int(s, 0);
	mmr_stmt_reset(s);
	if (rc != MMR_DB_DONE && rc != MMR_DB_ROW)
		return rc;
	rc = MMR_OK;
	char *text = json_dumps(cls, JSON_COMPACT | JSON_SORT_KEYS);
	char now[32];
	mmr_now_iso(now);
	for (size_t i = 0; i < n; i++) {
		if ((rc = mmr_db_prepare(st->db, u, &s, err)))
			break;
		mmr_stmt_text(s, 1, tenant);
		mmr_stmt_int(s, 2, ids[i]);
		mmr_stmt_text(s, 3, text);
		mmr_stmt_text(s, 4, now);
		if ((rc = mmr_stmt_run(s, err)))
			break;
		if ((rc = asset_classes_write(st, tenant, ids[i], false, cls, err)))
			break;
		if ((rc = propagate_to_copies(st, tenant, ids[i], cls, depth + 1, err)))
			break;
	}
	free(text);
	return rc;
}

/* ---- user specifics: roles ---- */

static json_t *user_roles_json(mmr_store *st, const char *tenant, int64_t id)
{
	static const char q[] = "SELECT role, scope_kind, scope_id FROM user_roles WHERE tenant = "
				"$1 AND user_id = $2 ORDER BY id";
	json_t *a = json_array();
	mmr_stmt *s;
	if (mmr_db_prepare(st->db, q, &s, NULL))
		return a;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	while (mmr_stmt_step(s, NULL) == MMR_DB_ROW) {
		json_t *r = json_pack("{s:s, s:s}", "role", mmr_col_text(s, 0), "scope",
				      mmr_col_text(s, 1));
		if (!mmr_col_null(s, 2))
			json_object_set_new(r, "scope_id", json_integer(mmr_col_int(s, 2)));
		json_array_append_new(a, r);
	}
	mmr_stmt_reset(s);
	return a;
}

static int user_add_role(mmr_store *st, const char *tenant, int64_t user_id, const char *role,
			 const char *scope_kind, int64_t scope_id, mmr_error *err)
{
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, tenant, &pol, err);
	if (rc)
		return rc;
	if (!role || mmr_policy_role_find(pol, role, NULL, NULL)) {
		mmr_field_error(err, MMR_EINVAL, "role",
				"役割 \"%s\" はこの団体のプロファイルにありません",
				role ? role : "");
		return MMR_EINVAL;
	}
	if (!scope_kind)
		scope_kind = "body";
	if (strcmp(scope_kind, "body") && strcmp(scope_kind, "unit") &&
	    strcmp(scope_kind, "system")) {
		mmr_field_error(err, MMR_EINVAL, "scope",
				"範囲 \"%s\" は body, unit, system のいずれかにしてください",
				scope_kind);
		return MMR_EINVAL;
	}
	if (strcmp(scope_kind, "body")) {
		rc = ref_exists(st, tenant, !strcmp(scope_kind, "unit") ? "units" : "systems",
				scope_id, err);
		if (rc == MMR_ENOTFOUND) {
			mmr_field_error(err, MMR_EINVAL, "scope_id",
					"範囲の %s %" PRId64 " はありません", scope_kind, scope_id);
			return MMR_EINVAL;
		}
		if (rc)
			return rc;
	}
	static const char q[] = "INSERT INTO user_roles (tenant, user_id, role, scope_kind, "
				"scope_id) VALUES ($1, $2, $3, $4, $5)";
	mmr_stmt *s;
	if ((rc = mmr_db_prepare(st->db, q, &s, err)))
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, user_id);
	mmr_stmt_text(s, 3, role);
	mmr_stmt_text(s, 4, scope_kind);
	if (strcmp(scope_kind, "body"))
		mmr_stmt_int(s, 5, scope_id);
	else
		mmr_stmt_null(s, 5);
	return mmr_stmt_run(s, err);
}

int mmr_user_add_role(mmr_store *st, const char *tenant, int64_t user_id, const char *role,
		      const char *scope_kind, int64_t scope_id, mmr_error *err)
{
	int rc = mmr_db_begin(st->db, err);
	if (rc)
		return rc;
	rc = user_add_role(st, tenant, user_id, role, scope_kind, scope_id, err);
	if (!rc) {
		mmr_actor sys;
		mmr_actor_system(&sys, tenant);
		json_t *after = json_pack("{s:s, s:s, s:I}", "role", role, "scope",
					  scope_kind ? scope_kind : "body", "scope_id",
					  (json_int_t)scope_id);
		rc = mmr_audit_record(st, &sys, "user.role_add", "users", user_id, NULL, after,
				      NULL, err);
		json_decref(after);
	}
	return mmr_db_end(st->db, rc, err);
}

static int user_roles_replace(mmr_store *st, const char *tenant, int64_t id, json_t *roles,
			      mmr_error *err)
{
	if (!json_is_array(roles) || json_array_size(roles) > MMR_ACTOR_MAX_SCOPES) {
		mmr_field_error(err, MMR_EINVAL, "roles",
				"roles は [{\"role\": …, \"scope\": …}] の配列（%d 個まで）にしてく"
				"ださい",
				MMR_ACTOR_MAX_SCOPES);
		return MMR_EINVAL;
	}
	static const char del[] = "DELETE FROM user_roles WHERE tenant = $1 AND user_id = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, del, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	if ((rc = mmr_stmt_run(s, err)))
		return rc;
	size_t i;
	json_t *r;
	json_array_foreach (roles, i, r) {
		const char *role = json_is_string(r)
					   ? json_string_value(r)
					   : json_string_value(json_object_get(r, "role"));
		const char *scope = json_string_value(json_object_get(r, "scope"));
		int64_t sid = mmr_jint(r, "scope_id");
		if ((rc = user_add_role(st, tenant, id, role, scope, sid, err)))
			return rc;
	}
	return MMR_OK;
}

/* ---- get / create / update / delete / list ---- */

static int get_row(mmr_store *st, const mmr_policy *pol, const struct ledger *l, const char *tenant,
		   int64_t id, json_t **out, mmr_error *err)
{
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, l->get, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_int(s, 2, id);
	rc = mmr_stmt_step(s, err);
	if (rc == MMR_DB_ROW)
		*out = row_json(pol, l, s);
	mmr_stmt_reset(s);
	if (rc == MMR_DB_DONE) {
		mmr_error_set(err, MMR_ENOTFOUND, "%s %" PRId64 " はありません", l->label, id);
		return MMR_ENOTFOUND;
	}
	if (rc != MMR_DB_ROW)
		return rc;
	if (!strcmp(l->kind, "users"))
		json_object_set_new(*out, "roles", user_roles_json(st, tenant, id));
	return MMR_OK;
}

/* Whether a restricted actor sees row `o` (same predicate as the list). */
static bool may_read(mmr_store *st, const mmr_actor *who, const struct ledger *l, json_t *o)
{
	if (mmr_actor_sees_all(who) || !strcmp(l->kind, "units"))
		return true;
	if (may_write(st, who, l, o))
		return true;
	int64_t unit = mmr_jint(o, "unit_id");
	static const char q[] = "SELECT unit_id FROM users WHERE tenant = $1 AND id = $2";
	mmr_stmt *s;
	int64_t own = 0;
	if (!mmr_db_prepare(st->db, q, &s, NULL)) {
		mmr_stmt_text(s, 1, who->tenant);
		mmr_stmt_int(s, 2, who->user_id);
		if (mmr_stmt_step(s, NULL) == MMR_DB_ROW)
			own = mmr_col_int(s, 0);
		mmr_stmt_reset(s);
	}
	if (unit && unit == own)
		return true;
	if (!strcmp(l->kind, "users") && mmr_jint(o, "id") == who->user_id)
		return true;
	if (!strcmp(l->kind, "devices") && mmr_jint(o, "holder_id") == who->user_id)
		return true;
	if (!strcmp(l->kind, "assets") && mmr_jint(o, "manager_id") == who->user_id)
		return true;
	for (size_t i = 0; i < who->n_scopes; i++)
		if (!strcmp(who->scopes[i].kind, "unit") &&
		    (who->scopes[i].id == unit ||
		     who->scopes[i].id == mmr_unit_parent(st, who->tenant, unit)))
			return true;
	return false;
}

static int denied(mmr_error *err, const struct ledger *l, const char *what)
{
	mmr_error_set(err, MMR_EDENIED, "この%sを%sする権限がありません", l->label, what);
	return MMR_EDENIED;
}

static int ledger_get(mmr_store *st, const mmr_actor *who, const char *kind, int64_t id,
		      json_t **out, mmr_error *err)
{
	*out = NULL;
	struct ledger *l = ledger_find(kind);
	if (!l) {
		mmr_error_set(err, MMR_ENOTFOUND, "台帳 \"%s\" はありません", kind);
		return MMR_ENOTFOUND;
	}
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, who->tenant, &pol, err);
	if (!rc)
		rc = get_row(st, pol, l, who->tenant, id, out, err);
	if (rc)
		return rc;
	if (!may_read(st, who, l, *out)) {
		/* what one may not see does not exist for one */
		json_decref(*out);
		*out = NULL;
		mmr_error_set(err, MMR_ENOTFOUND, "%s %" PRId64 " はありません", l->label, id);
		return MMR_ENOTFOUND;
	}
	return MMR_OK;
}

int mmr_ledger_get(mmr_store *st, const mmr_actor *who, const char *kind, int64_t id, json_t **out,
		   mmr_error *err)
{
	int rc = ledger_get(st, who, kind, id, out, err);
	/* a view of an asset of the profile's highest confidentiality class is
	 * recorded in the audit log (issue 4) */
	if (!rc && !strcmp(kind, "assets") && mmr_audit_asset_is_top(st, who->tenant, *out) &&
	    (rc = mmr_audit_record(st, who, "asset.view", kind, id, NULL, NULL, NULL, err))) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

static int write_row(mmr_store *st, const mmr_policy *pol, const mmr_actor *who,
		     const struct ledger *l, json_t *obj, int64_t id, json_t **out, mmr_error *err)
{
	int rc;
	bool created = id == 0;
	if (!strcmp(l->kind, "assets") &&
	    (rc = copy_classification(st, pol, who->tenant, obj, err)))
		return rc;
	if ((rc = validate(st, pol, who->tenant, l, obj, NULL, err)))
		return rc;
	if (!may_write(st, who, l, obj))
		return denied(err, l, id ? "変更" : "登録");
	char now[32];
	mmr_now_iso(now);
	mmr_stmt *s;
	if ((rc = mmr_db_prepare(st->db, id ? l->upd : l->ins, &s, err)))
		return rc;
	mmr_stmt_text(s, 1, who->tenant);
	if (id) {
		mmr_stmt_int(s, 2, id);
		bind_fields(s, l, obj, 3);
		if (l->updated_at)
			mmr_stmt_text(s, (int)l->n + 3, now);
		rc = mmr_stmt_run(s, err);
	} else {
		bind_fields(s, l, obj, 2);
		if (l->updated_at || l->created_at)
			mmr_stmt_text(s, (int)l->n + 2, now);
		rc = mmr_stmt_step(s, err);
		if (rc == MMR_DB_ROW) {
			id = mmr_col_int(s, 0);
			if (strcmp(l->kind, "users")) /* a user's roles are written below */
				*out = row_json(pol, l, s);
			rc = MMR_OK;
		}
		mmr_stmt_reset(s);
	}
	if (rc == MMR_ECONFLICT) {
		const char *f = l->f[0].name;
		mmr_field_error(err, rc, f, "同じ%sの%sがすでにあります", l->f[0].label, l->label);
	}
	if (rc)
		return rc;
	if (!strcmp(l->kind, "assets")) {
		json_t *cls = json_object_get(obj, "classification");
		/* a new asset has no copies yet to carry its class to */
		if ((rc = asset_classes_write(st, who->tenant, id, created, cls, err)) ||
		    (!created && (rc = propagate_to_copies(st, who->tenant, id, cls, 0, err))))
			return rc;
	}
	if (!strcmp(l->kind, "users") && json_object_get(obj, "roles") &&
	    (rc = user_roles_replace(st, who->tenant, id, json_object_get(obj, "roles"), err)))
		return rc;
	return *out ? MMR_OK : get_row(st, pol, l, who->tenant, id, out, err);
}

int mmr_ledger_create(mmr_store *st, const mmr_actor *who, const char *kind, json_t *obj,
		      json_t **out, mmr_error *err)
{
	*out = NULL;
	struct ledger *l = ledger_find(kind);
	if (!l) {
		mmr_error_set(err, MMR_ENOTFOUND, "台帳 \"%s\" はありません", kind);
		return MMR_ENOTFOUND;
	}
	if (!json_is_object(obj)) {
		mmr_error_set(err, MMR_EINVAL, "オブジェクト（JSON の {…}）が必要です");
		return MMR_EINVAL;
	}
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, who->tenant, &pol, err);
	if (rc)
		return rc;
	json_t *o = json_deep_copy(obj);
	json_object_del(o, "id");
	if (!st->bulk && (rc = mmr_db_begin(st->db, err))) {
		json_decref(o);
		return rc;
	}
	rc = write_row(st, pol, who, l, o, 0, out, err);
	json_decref(o);
	if (!rc)
		rc = mmr_audit_record(st, who, "ledger.create", kind,
				      json_integer_value(json_object_get(*out, "id")), NULL, *out,
				      NULL, err);
	if (!st->bulk)
		rc = mmr_db_end(st->db, rc, err);
	if (rc && *out) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

/* ---- many new rows at once (the CSV import) ---- */

/* The object `get` reads back for a row written from `obj` (validated) with
 * this id at this time — what row_json makes of the stored columns — so
 * that a bulk create need not read its rows again to digest them. */
static json_t *written_json(const struct ledger *l, json_t *obj, int64_t id, const char *now,
			    json_t *handling)
{
	json_t *o = json_object();
	json_object_set_new(o, "id", json_integer(id));
	for (size_t i = 0; i < l->n; i++) {
		const struct field *f = &l->f[i];
		json_t *v = json_object_get(obj, f->name);
		if (!v || json_is_null(v)) { /* what the column holds: its default */
			int64_t iv;
			const char *tv;
			char *owned;
			enum stored k = stored_value(l, f, v, &iv, &tv, &owned);
			json_object_set_new(o, f->name,
					    k == STORED_INT    ? json_boolean(iv)
					    : k == STORED_TEXT ? json_string(tv)
							       : json_null());
		} else if (f->type == FT_BOOL)
			json_object_set_new(o, f->name, json_boolean(json_is_true(v)));
		else
			json_object_set(o, f->name, v);
	}
	if (l->updated_at) {
		json_object_set_new(o, "created_at", json_string(now));
		json_object_set_new(o, "updated_at", json_string(now));
	}
	if (!strcmp(l->kind, "assets"))
		json_object_set(o, "handling", handling);
	return o;
}

/* The 取扱制限 of a classification, made once per import for each
 * classification met (`seen`: its canonical text → the array) and
 * remembered by `c`, since every asset of the class digests the same text. */
static json_t *handling_for(const mmr_policy *pol, json_t *seen, struct mmr_canon *c, json_t *cls)
{
	char *key = json_dumps(cls, JSON_COMPACT | JSON_SORT_KEYS);
	json_t *h = key ? json_object_get(seen, key) : NULL;
	if (!h) {
		h = handling_json(pol, cls);
		if (key)
			json_object_set_new(seen, key, h);
		mmr_canon_remember(c, h);
		if (!key)
			return h; /* the caller's, then */
	}
	free(key);
	return json_incref(h);
}

/* one field of a row as a COPY field, stored as bind_fields stores it */
static void copy_field(struct mmr_buf *a, const struct ledger *l, const struct field *f, json_t *v)
{
	int64_t iv;
	const char *tv;
	char *owned;
	switch (stored_value(l, f, v, &iv, &tv, &owned)) {
	case STORED_INT: mmr_buf_copy_int(a, iv); break;
	case STORED_TEXT:
		if (tv)
			mmr_buf_copy_text(a, tv);
		else
			a->oom = true;
		break;
	default: mmr_buf_copy_text(a, NULL);
	}
	free(owned);
}

/* rows per piece of a COPY (the server inserts one piece while the caller
 * makes the next one's digests), and per progress report */
#define BULK_CHUNK 1000

/* PostgreSQL: rows [from, to) as COPY rows of l->copy into `rows` (emptied
 * first), and for assets their classes' rows appended to `cls`. */
static int copy_rows(struct mmr_buf *rows, struct mmr_buf *cls, const struct ledger *l,
		     const char *tenant, const char *now, json_t *const *objs, const int64_t *ids,
		     size_t from, size_t to, mmr_error *err)
{
	bool assets = !strcmp(l->kind, "assets");
	rows->len = 0;
	for (size_t r = from; r < to; r++) {
		mmr_buf_copy_int(rows, ids[r]);
		mmr_buf_copy_text(rows, tenant);
		for (size_t i = 0; i < l->n; i++)
			copy_field(rows, l, &l->f[i], json_object_get(objs[r], l->f[i].name));
		if (l->updated_at || l->created_at)
			mmr_buf_copy_text(rows, now);
		if (l->updated_at)
			mmr_buf_copy_text(rows, now);
		mmr_buf_copy_row(rows);
		const char *axis;
		json_t *lv;
		if (assets)
			json_object_foreach (json_object_get(objs[r], "classification"), axis, lv) {
				mmr_buf_copy_text(cls, tenant);
				mmr_buf_copy_int(cls, ids[r]);
				mmr_buf_copy_text(cls, axis);
				mmr_buf_copy_text(cls, json_string_value(lv));
				mmr_buf_copy_row(cls);
			}
	}
	if (rows->oom || cls->oom) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	return MMR_OK;
}

/* SQLite: the rows one by one (an INSERT there is a call, not a round trip). */
static int write_rows_sqlite(mmr_store *st, const struct ledger *l, const char *tenant,
			     json_t *const *objs, const int64_t *ids, size_t from, size_t to,
			     const char *now, mmr_error *err)
{
	int rc = MMR_OK;
	for (size_t r = from; !rc && r < to; r++) {
		mmr_stmt *s;
		if ((rc = mmr_db_prepare(st->db, l->ins_id, &s, err)))
			break;
		mmr_stmt_int(s, 1, ids[r]);
		mmr_stmt_text(s, 2, tenant);
		bind_fields(s, l, objs[r], 3);
		if (l->updated_at || l->created_at)
			mmr_stmt_text(s, (int)l->n + 3, now);
		if ((rc = mmr_stmt_run(s, err)))
			break;
		if (!strcmp(l->kind, "assets"))
			rc = asset_classes_write(st, tenant, ids[r], true,
						 json_object_get(objs[r], "classification"), err);
	}
	return rc;
}

/* n new ids for `l`'s table, in order */
static int reserve_ids(mmr_store *st, const struct ledger *l, size_t n, int64_t *ids,
		       mmr_error *err)
{
	mmr_stmt *s;
	int rc;
	if (mmr_db_kind(st->db) == MMR_DB_POSTGRES) {
		/* the ids are taken in one statement; they come back as a range
		 * when no one else took one meanwhile (then 100,000 ids are two
		 * numbers, not 100,000 rows), else one by one. The sequence is
		 * looked up once (the sub-select), not for every id: nextval of
		 * pg_get_serial_sequence's text parsed the name and searched the
		 * catalog 100,000 times (390 ms, against 120 ms so) */
		static const char q_range[] =
			"SELECT min(v), max(v) FROM (SELECT nextval(CAST((SELECT "
			"pg_get_serial_sequence($1, 'id')) AS regclass)) AS v FROM "
			"generate_series(1, CAST($2 AS BIGINT))) s";
		static const char q_each[] = "SELECT nextval(CAST((SELECT "
					     "pg_get_serial_sequence($1, 'id')) AS regclass)) "
					     "FROM generate_series(1, CAST($2 AS BIGINT))";
		if ((rc = mmr_db_prepare(st->db, q_range, &s, err)))
			return rc;
		mmr_stmt_text(s, 1, l->table);
		mmr_stmt_int(s, 2, (int64_t)n);
		rc = mmr_stmt_step(s, err);
		int64_t lo = rc == MMR_DB_ROW ? mmr_col_int(s, 0) : 0;
		int64_t hi = rc == MMR_DB_ROW ? mmr_col_int(s, 1) : 0;
		mmr_stmt_reset(s);
		if (rc != MMR_DB_ROW)
			return rc == MMR_DB_DONE ? MMR_EIO : rc;
		if (hi - lo + 1 == (int64_t)n) {
			for (size_t i = 0; i < n; i++)
				ids[i] = lo + (int64_t)i;
			return MMR_OK;
		}
		if ((rc = mmr_db_prepare(st->db, q_each, &s, err)))
			return rc;
		mmr_stmt_text(s, 1, l->table);
		mmr_stmt_int(s, 2, (int64_t)n);
		size_t i = 0;
		while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW && i < n)
			ids[i++] = mmr_col_int(s, 0);
		mmr_stmt_reset(s);
		return rc == MMR_DB_DONE && i == n ? MMR_OK : rc == MMR_DB_DONE ? MMR_EIO : rc;
	}
	/* SQLite gives a new row the largest id plus one: the same, given here
	 * (the write transaction holds the database) */
	if ((rc = mmr_db_prepare(st->db, l->max_id, &s, err)))
		return rc;
	rc = mmr_stmt_step(s, err);
	int64_t max = rc == MMR_DB_ROW ? mmr_col_int(s, 0) : 0;
	mmr_stmt_reset(s);
	if (rc != MMR_DB_ROW)
		return rc == MMR_DB_DONE ? MMR_EIO : rc;
	for (size_t i = 0; i < n; i++)
		ids[i] = max + 1 + (int64_t)i;
	return MMR_OK;
}

/* Write the n validated objects and their audit leaves. */
static int create_many_write(mmr_store *st, const mmr_policy *pol, const mmr_actor *who,
			     const struct ledger *l, json_t *const *objs, size_t n,
			     mmr_import_progress_fn progress, void *ud, mmr_error *err)
{
	int64_t *ids = calloc(n, sizeof *ids); /* n > 0: see mmr_ledger_create_many */
	struct mmr_audit_event *evs = calloc(n, sizeof *evs);
	char(*dig)[65] = calloc(n, sizeof *dig);
	char(*oid)[24] = calloc(n, sizeof *oid);
	int rc = MMR_OK;
	if (!ids || !evs || !dig || !oid) {
		rc = MMR_ENOMEM;
		mmr_error_set(err, rc, "メモリが足りません");
		goto out;
	}
	char now[32];
	mmr_now_iso(now);
	if ((rc = reserve_ids(st, l, n, ids, err)))
		goto out;
	bool pg = mmr_db_kind(st->db) == MMR_DB_POSTGRES;
	bool assets = !strcmp(l->kind, "assets");
	struct mmr_canon canon = {0};
	json_t *seen = json_object();
	/* PostgreSQL: the rows by one COPY, sent a piece at a time (the server
	 * inserts a piece while the next one is made and digested); the
	 * assets' classes by a second one after it */
	struct mmr_buf rows = {0}, cls = {0};
	bool copying = pg && !(rc = mmr_db_copy_begin(st->db, l->copy, err));
	for (size_t from = 0; !rc && from < n; from += BULK_CHUNK) {
		size_t to = from + BULK_CHUNK < n ? from + BULK_CHUNK : n;
		if (pg) {
			rc = copy_rows(&rows, &cls, l, who->tenant, now, objs, ids, from, to, err);
			if (!rc)
				rc = mmr_db_copy_put(st->db, rows.p, rows.len, err);
		} else {
			rc = write_rows_sqlite(st, l, who->tenant, objs, ids, from, to, now, err);
		}
		for (size_t r = from; !rc && r < to; r++) {
			json_t *h =
				assets ? handling_for(pol, seen, &canon,
						      json_object_get(objs[r], "classification"))
				       : NULL;
			json_t *after = written_json(l, objs[r], ids[r], now, h);
			mmr_canon_digest(&canon, after, dig[r]);
			json_decref(after);
			json_decref(h);
			snprintf(oid[r], sizeof oid[r], "%" PRId64, ids[r]);
			evs[r] = (struct mmr_audit_event){
				.tenant = who->tenant,
				.actor = who->user_id ? who->login : "system",
				.action = "ledger.create",
				.object_kind = l->kind,
				.object_id = oid[r],
				.after = dig[r],
			};
		}
		if (!rc && progress)
			progress(ud, from);
	}
	if (copying)
		rc = mmr_db_copy_end(st->db, rc, err);
	if (!rc && assets && pg) {
		static const char q_cls[] =
			"COPY asset_classes (tenant, asset_id, axis, level) FROM STDIN";
		if (!(rc = mmr_db_copy_begin(st->db, q_cls, err)))
			rc = mmr_db_copy_end(st->db, mmr_db_copy_put(st->db, cls.p, cls.len, err),
					     err);
	}
	free(rows.p);
	free(cls.p);
	if (!rc && progress)
		progress(ud, n);
	mmr_canon_free(&canon);
	json_decref(seen);
	if (!rc)
		rc = mmr_audit_append_many(st, evs, n, NULL, err);
out:
	free(ids);
	free(evs);
	free(dig);
	free(oid);
	return rc;
}

/* One object of a bulk create checked as mmr_ledger_create checks it (`known`:
 * the references found so far, see validate); the object is normalised. */
static int bulk_check(mmr_store *st, const mmr_policy *pol, const mmr_actor *who,
		      const struct ledger *l, json_t *o, json_t *known, mmr_error *e)
{
	if (!json_is_object(o)) {
		mmr_error_set(e, MMR_EINVAL, "オブジェクト（JSON の {…}）が必要です");
		return MMR_EINVAL;
	}
	json_object_del(o, "id");
	int rc = !strcmp(l->kind, "assets") ? copy_classification(st, pol, who->tenant, o, e)
					    : MMR_OK;
	if (!rc)
		rc = validate(st, pol, who->tenant, l, o, known, e);
	if (!rc && !may_write(st, who, l, o))
		rc = denied(e, l, "登録");
	return rc;
}

int mmr_ledger_create_many(mmr_store *st, const mmr_actor *who, const char *kind,
			   json_t *const *objs, size_t n, bool write, mmr_bulk_bad_fn bad, void *ud,
			   mmr_import_progress_fn progress, void *pud, mmr_error *err)
{
	struct ledger *l = ledger_find(kind);
	if (!l || !strcmp(kind, "users") || !strcmp(kind, "units")) {
		mmr_error_set(err, MMR_EINVAL, "台帳 \"%s\" は一括では登録できません", kind);
		return MMR_EINVAL;
	}
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, who->tenant, &pol, err);
	if (rc)
		return rc;
	/* every object first: nothing is written unless all are good */
	json_t *known = json_object();
	size_t n_bad = 0;
	for (size_t i = 0; i < n; i++) {
		mmr_error e;
		rc = bulk_check(st, pol, who, l, objs[i], known, &e);
		if (rc == MMR_ENOMEM || rc == MMR_EIO) {
			json_decref(known);
			*err = e;
			return rc;
		}
		if (rc) {
			n_bad++;
			bad(ud, i, &e);
		}
	}
	json_decref(known);
	if (n_bad) {
		mmr_error_set(err, MMR_EINVAL, "%zu 件の誤りがあります", n_bad);
		return MMR_EINVAL;
	}
	if (!write || !n)
		return MMR_OK;
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	rc = create_many_write(st, pol, who, l, objs, n, progress, pud, err);
	return mmr_db_end(st->db, rc, err);
}

/* ---- a bulk create written while its objects still come (PostgreSQL) ---- */

struct mmr_bulk {
	mmr_store *st;
	const mmr_actor *who;
	const struct ledger *l;
	const mmr_policy *pol;
	json_t *known; /* references found (validate) */
	mmr_import_progress_fn progress;
	void *pud;
	size_t expect; /* the caller's bound on the objects to come */
	/* every object so far was good and the database took what it was
	 * sent: the objects are still being written */
	bool writing;
	bool opened;   /* the savepoint and the COPY are open */
	bool analyzed; /* the table's statistics taken mid-way (bulk_add) */
	int db_rc;     /* the database refused the writing (and why) */
	mmr_error db_err;
	/* the objects taken (references), their ids, digests and id texts;
	 * [0, sent) are in the COPY */
	json_t **objs;
	int64_t *ids;
	char (*dig)[65];
	char (*oid)[24];
	size_t n, cap, sent;
	int64_t *pool; /* ids reserved, [pool_used, pool_n) still free */
	size_t pool_n, pool_used;
	struct mmr_buf rows, cls;
	struct mmr_canon canon;
	json_t *seen; /* classification text → its 取扱制限 (handling_for) */
	char now[32];
};

int mmr_ledger_bulk_open(mmr_store *st, const mmr_actor *who, const char *kind, size_t expect,
			 mmr_import_progress_fn progress, void *pud, mmr_bulk **out, mmr_error *err)
{
	*out = NULL;
	struct ledger *l = ledger_find(kind);
	if (!l || !strcmp(kind, "users") || !strcmp(kind, "units") ||
	    mmr_db_kind(st->db) != MMR_DB_POSTGRES || mmr_db_depth(st->db) == 0) {
		mmr_error_set(err, MMR_EINVAL, "台帳 \"%s\" は流しながらは登録できません", kind);
		return MMR_EINVAL;
	}
	mmr_bulk *b = calloc(1, sizeof *b);
	if (!b) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
		return MMR_ENOMEM;
	}
	int rc = mmr_tenant_policy(st, who->tenant, &b->pol, err);
	if (rc) {
		free(b);
		return rc;
	}
	b->st = st;
	b->who = who;
	b->l = l;
	b->known = json_object();
	b->seen = json_object();
	b->progress = progress;
	b->pud = pud;
	b->expect = expect;
	b->writing = true;
	mmr_now_iso(b->now);
	*out = b;
	return MMR_OK;
}

/* Stop writing (an object was refused, or the caller gave up: rc): the COPY
 * abandoned and everything written undone. */
static void bulk_stop(mmr_bulk *b, int rc)
{
	b->writing = false;
	if (!b->opened)
		return;
	b->opened = false;
	mmr_error e;
	mmr_db_copy_end(b->st->db, rc, &e);
	mmr_db_rollback(b->st->db);
}

/* The objects [sent, n) into the COPY, then their audit digests (the server
 * inserts them meanwhile). The savepoint, the ids and the COPY on first use.
 * MMR_OK also when the database refused them (the writing stopped: db_rc);
 * MMR_ENOMEM or MMR_EIO to stop the caller. */
static int bulk_flush(mmr_bulk *b, mmr_error *err)
{
	mmr_db *db = b->st->db;
	const struct ledger *l = b->l;
	size_t from = b->sent, to = b->n;
	if (!b->writing || from == to)
		return MMR_OK;
	int rc;
	for (size_t r = from; r < to; r++) {
		if (b->pool_used == b->pool_n) {
			/* ids for the rest of the expected objects at once: taking
			 * more later would pause the COPY */
			size_t want = b->expect > r ? b->expect - r : 0;
			if (want < to - r)
				want = to - r + BULK_CHUNK;
			free(b->pool);
			b->pool_n = b->pool_used = 0;
			if (!(b->pool = malloc(want * sizeof *b->pool))) {
				mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
				return MMR_ENOMEM;
			}
			if ((rc = reserve_ids(b->st, l, want, b->pool, err)))
				return rc;
			b->pool_n = want;
		}
		b->ids[r] = b->pool[b->pool_used++];
	}
	if (!b->opened) {
		if ((rc = mmr_db_begin(db, err)))
			return rc;
		if ((rc = mmr_db_copy_begin_pausable(db, l->copy, err))) {
			mmr_db_rollback(db);
			return rc;
		}
		b->opened = true;
	}
	if ((rc = copy_rows(&b->rows, &b->cls, l, b->who->tenant, b->now, b->objs, b->ids, from, to,
			    err))) {
		bulk_stop(b, rc);
		return rc;
	}
	if ((rc = mmr_db_copy_put(db, b->rows.p, b->rows.len, err))) {
		/* the database refused a row (or the connection failed) */
		mmr_error e = *err;
		b->writing = false;
		b->opened = false;
		rc = mmr_db_copy_end(db, rc, &e);
		mmr_db_rollback(db);
		if (rc == MMR_ENOMEM || rc == MMR_EIO) {
			*err = e;
			return rc;
		}
		b->db_rc = rc;
		b->db_err = e;
		return MMR_OK;
	}
	bool assets = !strcmp(l->kind, "assets");
	for (size_t r = from; r < to; r++) {
		json_t *h = assets ? handling_for(b->pol, b->seen, &b->canon,
						  json_object_get(b->objs[r], "classification"))
				   : NULL;
		json_t *after = written_json(l, b->objs[r], b->ids[r], b->now, h);
		mmr_canon_digest(&b->canon, after, b->dig[r]);
		json_decref(after);
		json_decref(h);
		snprintf(b->oid[r], sizeof b->oid[r], "%" PRId64, b->ids[r]);
		/* written and digested: the object is not needed any more (a
		 * large import holds one piece of objects, not the file's) */
		json_decref(b->objs[r]);
		b->objs[r] = NULL;
	}
	b->sent = to;
	if (b->progress)
		b->progress(b->pud, from);
	return MMR_OK;
}

void mmr_ledger_bulk_stop(mmr_bulk *b)
{
	bulk_stop(b, MMR_EINVAL);
}

/* rows of a stream after which a copy's check gathers the statistics */
#define BULK_ANALYZE_ROWS 2000

int mmr_ledger_bulk_add(mmr_bulk *b, json_t *obj, mmr_error *err)
{
	int rc;
	/* A copy's check reads its original from the assets table this stream
	 * fills. Statistics of the table before it (an empty ledger: one row)
	 * made the planner read the growing table through the wrong index, all
	 * of it for each copy (20,000 copies: 6.4 s of the 11): once it holds
	 * some of the stream's rows, ANALYZE, which counts them (once; it
	 * pauses the COPY) */
	if (!b->analyzed && b->writing && b->sent >= BULK_ANALYZE_ROWS && json_is_object(obj) &&
	    mmr_jint(obj, "copy_of")) {
		b->analyzed = true;
		if ((rc = mmr_db_exec(b->st->db, "ANALYZE assets", err)))
			return rc;
	}
	rc = bulk_check(b->st, b->pol, b->who, b->l, obj, b->known, err);
	if (rc == MMR_ENOMEM || rc == MMR_EIO)
		return rc;
	if (rc) {
		bulk_stop(b, MMR_EINVAL);
		return rc;
	}
	if (!b->writing) /* only checked */
		return MMR_OK;
	if (b->n == b->cap) {
		size_t cap = b->cap ? b->cap * 2 : 1024;
		json_t **o = realloc(b->objs, cap * sizeof *o);
		if (o)
			b->objs = o;
		int64_t *ids = o ? realloc(b->ids, cap * sizeof *ids) : NULL;
		if (ids)
			b->ids = ids;
		char(*dig)[65] = ids ? realloc(b->dig, cap * sizeof *dig) : NULL;
		if (dig)
			b->dig = dig;
		char(*oid)[24] = dig ? realloc(b->oid, cap * sizeof *oid) : NULL;
		if (!oid) {
			mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
			return MMR_ENOMEM;
		}
		b->oid = oid;
		b->cap = cap;
	}
	b->objs[b->n++] = json_incref(obj);
	if (b->n - b->sent >= BULK_CHUNK)
		return bulk_flush(b, err);
	return MMR_OK;
}

int mmr_ledger_bulk_close(mmr_bulk *b, bool write, mmr_error *err)
{
	if (!b)
		return MMR_OK;
	mmr_db *db = b->st->db;
	int rc = MMR_OK;
	mmr_error e;
	if (!write || !b->writing) {
		bulk_stop(b, MMR_EINVAL);
		if (write) { /* an object was refused, or the database refused */
			rc = b->db_rc ? b->db_rc : MMR_EINVAL;
			if (b->db_rc)
				*err = b->db_err;
			else
				mmr_error_set(err, rc, "登録できない行があります");
		}
		goto out;
	}
	if ((rc = bulk_flush(b, err)))
		goto out;
	if (!b->writing) { /* refused by the database */
		*err = b->db_err;
		rc = b->db_rc;
		goto out;
	}
	if (!b->opened) /* no object */
		goto out;
	b->opened = false;
	rc = mmr_db_copy_end(db, MMR_OK, err);
	if (!rc && !strcmp(b->l->kind, "assets")) {
		static const char q_cls[] =
			"COPY asset_classes (tenant, asset_id, axis, level) FROM STDIN";
		if (!(rc = mmr_db_copy_begin(db, q_cls, err)))
			rc = mmr_db_copy_end(db, mmr_db_copy_put(db, b->cls.p, b->cls.len, err),
					     err);
	}
	if (b->progress && !rc)
		b->progress(b->pud, b->n);
	struct mmr_audit_event *evs = rc ? NULL : calloc(b->n, sizeof *evs);
	if (!rc && !evs) {
		rc = MMR_ENOMEM;
		mmr_error_set(err, rc, "メモリが足りません");
	}
	for (size_t r = 0; !rc && r < b->n; r++)
		evs[r] = (struct mmr_audit_event){
			.tenant = b->who->tenant,
			.actor = b->who->user_id ? b->who->login : "system",
			.action = "ledger.create",
			.object_kind = b->l->kind,
			.object_id = b->oid[r],
			.after = b->dig[r],
		};
	if (!rc)
		rc = mmr_audit_append_many(b->st, evs, b->n, NULL, err);
	free(evs);
	rc = mmr_db_end(db, rc, err);
out:
	if (b->opened) {
		b->opened = false;
		mmr_db_copy_end(db, MMR_EINVAL, &e);
		mmr_db_rollback(db);
	}
	for (size_t r = b->sent; r < b->n; r++)
		json_decref(b->objs[r]);
	free(b->objs);
	free(b->ids);
	free(b->dig);
	free(b->oid);
	free(b->pool);
	free(b->rows.p);
	free(b->cls.p);
	mmr_canon_free(&b->canon);
	json_decref(b->seen);
	json_decref(b->known);
	free(b);
	return rc;
}

int mmr_ledger_update(mmr_store *st, const mmr_actor *who, const char *kind, int64_t id,
		      json_t *patch, json_t **out, mmr_error *err)
{
	*out = NULL;
	struct ledger *l = ledger_find(kind);
	if (!l) {
		mmr_error_set(err, MMR_ENOTFOUND, "台帳 \"%s\" はありません", kind);
		return MMR_ENOTFOUND;
	}
	if (!json_is_object(patch)) {
		mmr_error_set(err, MMR_EINVAL, "オブジェクト（JSON の {…}）が必要です");
		return MMR_EINVAL;
	}
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, who->tenant, &pol, err);
	if (rc)
		return rc;
	if ((rc = mmr_db_begin(st->db, err)))
		return rc;
	json_t *cur = NULL, *before = NULL;
	rc = ledger_get(st, who, kind, id, &cur, err);
	if (!rc && !may_write(st, who, l, cur))
		rc = denied(err, l, "変更");
	if (!rc)
		before = json_deep_copy(cur);
	if (!rc) {
		json_t *roles = json_object_get(patch, "roles");
		json_object_del(cur, "roles");
		json_object_update(cur, patch);
		json_object_set_new(cur, "id", json_integer(id));
		if (!roles)
			json_object_del(cur, "roles");
		/* a copy's class is its original's: write_row refuses another */
		rc = write_row(st, pol, who, l, cur, id, out, err);
	}
	if (!rc)
		rc = mmr_audit_record(st, who, "ledger.update", kind, id, before, *out, NULL, err);
	json_decref(before);
	json_decref(cur);
	rc = mmr_db_end(st->db, rc, err);
	if (rc && *out) {
		json_decref(*out);
		*out = NULL;
	}
	return rc;
}

int mmr_ledger_delete(mmr_store *st, const mmr_actor *who, const char *kind, int64_t id,
		      mmr_error *err)
{
	struct ledger *l = ledger_find(kind);
	if (!l) {
		mmr_error_set(err, MMR_ENOTFOUND, "台帳 \"%s\" はありません", kind);
		return MMR_ENOTFOUND;
	}
	int rc = mmr_db_begin(st->db, err);
	if (rc)
		return rc;
	json_t *cur = NULL;
	rc = ledger_get(st, who, kind, id, &cur, err);
	if (!rc && !may_write(st, who, l, cur))
		rc = denied(err, l, "削除");
	if (!rc) {
		mmr_stmt *s;
		rc = mmr_db_prepare(st->db, l->del, &s, err);
		if (!rc) {
			mmr_stmt_text(s, 1, who->tenant);
			mmr_stmt_int(s, 2, id);
			rc = mmr_stmt_run(s, err);
			if (rc == MMR_EINVAL)
				mmr_error_set(err, rc = MMR_ECONFLICT,
					      "%s %" PRId64
					      " はほかの台帳から参照されているため削除で"
					      "きません",
					      l->label, id);
		}
	}
	if (!rc)
		rc = mmr_audit_record(st, who, "ledger.delete", kind, id, cur, NULL, NULL, err);
	json_decref(cur);
	return mmr_db_end(st->db, rc, err);
}

int mmr_ledger_total(mmr_store *st, const char *tenant, const char *kind, int64_t *n,
		     mmr_error *err)
{
	static const char q[] = "SELECT n FROM ledger_counts WHERE tenant = $1 AND ledger = $2";
	mmr_stmt *s;
	int rc = mmr_db_prepare(st->db, q, &s, err);
	if (rc)
		return rc;
	mmr_stmt_text(s, 1, tenant);
	mmr_stmt_text(s, 2, kind);
	rc = mmr_stmt_step(s, err);
	*n = rc == MMR_DB_ROW ? mmr_col_int(s, 0) : 0;
	mmr_stmt_reset(s);
	return rc == MMR_DB_ROW || rc == MMR_DB_DONE ? MMR_OK : rc;
}

int mmr_ledger_list(mmr_store *st, const mmr_actor *who, const char *kind,
		    const struct mmr_ledger_query *q, json_t **out, mmr_error *err)
{
	*out = NULL;
	struct ledger *l = ledger_find(kind);
	if (!l) {
		mmr_error_set(err, MMR_ENOTFOUND, "台帳 \"%s\" はありません", kind);
		return MMR_ENOTFOUND;
	}
	const mmr_policy *pol;
	int rc = mmr_tenant_policy(st, who->tenant, &pol, err);
	if (rc)
		return rc;
	int limit = q->limit > 0 ? q->limit : 50;
	if (limit > 500) {
		mmr_field_error(err, MMR_EINVAL, "limit", "limit は 1〜500 にしてください");
		return MMR_EINVAL;
	}
	/* resolve filters to parameter values */
	const char *fv[32] = {0};
	int64_t fi[32] = {0};
	bool is_int[32] = {0};
	const char *class_axis = NULL, *class_level = NULL;
	for (size_t k = 0; k < q->n_filters; k++) {
		const char *name = q->filters[k][0], *val = q->filters[k][1];
		if (!strncmp(name, "class.", 6) && !strcmp(kind, "assets")) {
			const char *canon;
			if (mmr_policy_level_resolve(pol, name + 6, val, &canon, NULL)) {
				mmr_field_error(err, MMR_EINVAL, name,
						"分類 \"%s\" のレベル \"%s\" はありません",
						name + 6, val);
				return MMR_EINVAL;
			}
			class_axis = name + 6;
			class_level = canon;
			continue;
		}
		int p = 0;
		bool found = false;
		for (size_t i = 0; i < l->n; i++) {
			if (!l->f[i].filter)
				continue;
			if (!strcmp(l->f[i].name, name)) {
				found = true;
				if (is_int_type(l->f[i].type)) {
					char *end;
					long long v = strtoll(val, &end, 10);
					if (l->f[i].type == FT_BOOL &&
					    (!strcmp(val, "true") || !strcmp(val, "false"))) {
						v = !strcmp(val, "true");
						end = (char *)val + strlen(val);
					}
					if (*end || end == val) {
						mmr_field_error(err, MMR_EINVAL, name,
								"絞り込み %s は番号にしてください",
								name);
						return MMR_EINVAL;
					}
					fi[p] = v;
					is_int[p] = true;
				}
				fv[p] = val;
				break;
			}
			p++;
		}
		if (!found) {
			mmr_field_error(err, MMR_EINVAL, name, "%s は \"%s\" で絞り込めません",
					l->label, name);
			return MMR_EINVAL;
		}
	}
	int nf = n_filters(l);
	unsigned mask = 0;
	for (int i = 0; i < nf; i++)
		if (fv[i])
			mask |= 1u << i;
	if (class_axis)
		mask |= 1u << nf;
	bool restricted = visibility(kind) && !mmr_actor_sees_all(who);
	if (restricted)
		mask |= 1u << (nf + 1);
	json_t *items = json_array();
	int64_t total = 0, last = 0;
	for (int pass = 0; pass < 2; pass++) {
		mmr_stmt *s;
		if (pass == 1 && mask == 0) { /* the whole ledger */
			if ((rc = mmr_ledger_total(st, who->tenant, l->table, &total, err)))
				break;
			continue;
		}
		const char *sql = list_sql(l, pass == 1, mask);
		if (!sql) {
			mmr_error_set(err, MMR_ENOMEM, "メモリが足りません");
			rc = MMR_ENOMEM;
			break;
		}
		if ((rc = mmr_db_prepare(st->db, sql, &s, err)))
			break;
		mmr_stmt_text(s, 1, who->tenant);
		int p = 2;
		if (!pass) {
			mmr_stmt_int(s, 2, q->after > 0 ? q->after : 0);
			mmr_stmt_int(s, 3, limit);
			p = 4;
		}
		for (int i = 0; i < nf; i++) {
			if (!fv[i])
				continue;
			if (is_int[i])
				mmr_stmt_int(s, p++, fi[i]);
			else
				mmr_stmt_text(s, p++, fv[i]);
		}
		if (class_axis) {
			mmr_stmt_text(s, p++, class_axis);
			mmr_stmt_text(s, p++, class_level);
		}
		if (restricted)
			mmr_stmt_int(s, p++, who->user_id);
		while ((rc = mmr_stmt_step(s, err)) == MMR_DB_ROW) {
			if (pass) {
				total = mmr_col_int(s, 0);
				continue;
			}
			json_t *o = row_json(pol, l, s);
			last = mmr_col_int(s, 0);
			json_array_append_new(items, o);
		}
		mmr_stmt_reset(s);
		if (rc != MMR_DB_DONE)
			break;
		rc = MMR_OK;
	}
	if (rc) {
		json_decref(items);
		return rc;
	}
	if (!strcmp(kind, "users")) {
		size_t i;
		json_t *o;
		json_array_foreach (items, i, o)
			json_object_set_new(o, "roles",
					    user_roles_json(st, who->tenant, mmr_jint(o, "id")));
	}
	json_t *next = json_array_size(items) == (size_t)limit ? json_integer(last) : json_null();
	*out = json_pack("{s:o, s:o, s:I}", "items", items, "next", next, "total",
			 (json_int_t)total);
	return MMR_OK;
}
