/*
 * request.c — parse one JSON request of the decision contract (DESIGN.md)
 * against a policy. Strict: every field, action, role, kind, axis, level,
 * segment and context key must be known; the first problem is reported with
 * its JSON path and the offending value, and nothing is guessed.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/policy_int.h"
#include "core/request_json.h"

#define MAX_REQUEST_BYTES (1024u * 1024u)
#define MAX_LIST 256

/* Quote a JSON value for a message: at most ~80 bytes, cut on a UTF-8
 * boundary. */
static void quote(const json_t *v, char *out, size_t cap)
{
	char *s = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
	if (!s) {
		snprintf(out, cap, "?");
		return;
	}
	size_t n = strlen(s), lim = cap - 4 < 80 ? cap - 4 : 80;
	if (n > lim) {
		n = lim;
		while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
			n--;
		snprintf(out, cap, "%.*s…", (int)n, s);
	} else {
		snprintf(out, cap, "%s", s);
	}
	free(s);
}

static int bad(mmr_error *err, const char *path, const json_t *v, const char *what,
	       const char *known)
{
	char q[128];
	if (v)
		quote(v, q, sizeof q);
	else
		snprintf(q, sizeof q, "(なし)");
	if (known && *known)
		mmr_error_set(err, MMR_EINVAL, "%s: %s %s（使える値: %s）", path, what, q, known);
	else
		mmr_error_set(err, MMR_EINVAL, "%s: %s %s", path, what, q);
	return MMR_EINVAL;
}

static void list_names(const struct mmr_namelist *l, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < l->n && o + 1 < cap; i++) {
		int w = snprintf(out + o, cap - o, "%s%s", i ? " " : "", l->v[i].id);
		if (w < 0 || (size_t)w >= cap - o) {
			if (cap > 4)
				memcpy(out + cap - 4, "…", 4);
			break;
		}
		o += (size_t)w;
	}
}

static void list_levels(const struct mmr_axis *ax, char *out, size_t cap)
{
	size_t o = 0;
	out[0] = '\0';
	for (size_t i = 0; i < ax->n_levels && o + 1 < cap; i++) {
		int w = snprintf(out + o, cap - o, "%s%s", i ? " " : "", ax->levels[i].id);
		if (w < 0 || (size_t)w >= cap - o)
			break;
		o += (size_t)w;
	}
}

static bool only_keys(const json_t *obj, const char *const *keys, const char **unknown)
{
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)obj, k, v) {
		bool ok = false;
		for (const char *const *p = keys; *p; p++)
			if (!strcmp(*p, k))
				ok = true;
		if (!ok) {
			*unknown = k;
			return false;
		}
	}
	return true;
}

static int check_keys(const json_t *obj, const char *path, const char *const *keys,
		      const char *known, mmr_error *err)
{
	const char *unk;
	if (only_keys(obj, keys, &unk)) {
		return MMR_OK;
	}
	json_t *name = json_string(unk);
	char p[256];
	snprintf(p, sizeof p, "%s", path);
	bad(err, p, name, "未知のフィールド (unknown field)", known);
	json_decref(name);
	return MMR_EINVAL;
}

/* A level given as a string or a small integer. */
static const char *level_text(const json_t *v, char *buf, size_t cap)
{
	if (json_is_string(v))
		return json_string_value(v);
	if (json_is_integer(v)) {
		snprintf(buf, cap, "%lld", (long long)json_integer_value(v));
		return buf;
	}
	return NULL;
}

/* Fold one classification object {axis: level} into the effective levels. */
static int classification(const mmr_policy *pol, const json_t *obj, const char *path,
			  uint8_t *level, mmr_error *err)
{
	char p[256], buf[32], known[512];
	if (!json_is_object(obj))
		return bad(err, path, obj,
			   "分類はオブジェクト {軸: レベル} で書きます (expected object)", NULL);
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)obj, k, v) {
		snprintf(p, sizeof p, "%s.%s", path, k);
		int a = mmr_axis_find(pol, k);
		if (a < 0) {
			size_t o = 0;
			known[0] = '\0';
			for (size_t i = 0; i < pol->n_axes; i++)
				o += (size_t)snprintf(known + o, sizeof known - o, "%s%s",
						      i ? " " : "", pol->axes[i].id);
			json_t *name = json_string(k);
			bad(err, path, name, "未定義の分類軸 (unknown axis)", known);
			json_decref(name);
			return MMR_EINVAL;
		}
		const char *lt = level_text(v, buf, sizeof buf);
		int l = lt ? mmr_level_find(&pol->axes[a], lt) : -1;
		if (l < 0) {
			list_levels(&pol->axes[a], known, sizeof known);
			return bad(err, p, v, "未定義のレベル (unknown level)", known);
		}
		if (level[a] == MMR_LEVEL_NONE || (uint8_t)l < level[a])
			level[a] = (uint8_t)l;
	}
	return MMR_OK;
}

static int role_of(const mmr_policy *pol, const json_t *v, const char *path, uint64_t *mask,
		   mmr_error *err)
{
	char known[1024];
	const json_t *s = v;
	if (json_is_object(v))
		s = json_object_get(v, "role");
	if (!json_is_string(s))
		return bad(err, path, v, "役割 id（文字列）が必要です (expected role id)", NULL);
	int k = mmr_named_find(&pol->roles, json_string_value(s));
	if (k < 0) {
		list_names(&pol->roles, known, sizeof known);
		return bad(err, path, s, "未定義の役割 (unknown role)", known);
	}
	*mask |= 1ull << k;
	return MMR_OK;
}

static int subject(const mmr_policy *pol, const json_t *s, mmr_request *r, mmr_error *err)
{
	static const char *const keys[] = {"roles", "unit", "id", "name", NULL};
	if (!json_is_object(s))
		return bad(err, "request.subject", s, "オブジェクトが必要です (expected object)",
			   NULL);
	if (check_keys(s, "request.subject", keys, "roles unit id name", err))
		return MMR_EINVAL;
	const json_t *roles = json_object_get(s, "roles");
	if (!roles)
		return bad(err, "request.subject.roles", NULL, "必須です (required)", NULL);
	if (!json_is_array(roles))
		return bad(err, "request.subject.roles", roles, "配列が必要です (expected array)",
			   NULL);
	if (json_array_size(roles) > MAX_LIST)
		return bad(err, "request.subject.roles", NULL, "多すぎます (too many)", NULL);
	size_t i;
	json_t *v;
	json_array_foreach (roles, i, v) {
		char p[64];
		snprintf(p, sizeof p, "request.subject.roles[%zu]", i);
		if (!json_is_string(v))
			return bad(err, p, v, "役割 id（文字列）が必要です (expected string)",
				   NULL);
		if (role_of(pol, v, p, &r->roles, err))
			return MMR_EINVAL;
	}
	for (const char *const *k = keys + 1; *k; k++) {
		const json_t *f = json_object_get(s, *k);
		if (f && !json_is_string(f)) {
			char p[64];
			snprintf(p, sizeof p, "request.subject.%s", *k);
			return bad(err, p, f, "文字列が必要です (expected string)", NULL);
		}
	}
	return MMR_OK;
}

static int resource(const mmr_policy *pol, const json_t *o, mmr_request *r, mmr_error *err)
{
	static const char *const keys[] = {"kind", "classification", "contents", "segment",
					   "id",   "name",	     NULL};
	char known[1024];
	if (!json_is_object(o))
		return bad(err, "request.resource", o, "オブジェクトが必要です (expected object)",
			   NULL);
	if (check_keys(o, "request.resource", keys, "kind classification contents segment id name",
		       err))
		return MMR_EINVAL;
	const json_t *kind = json_object_get(o, "kind");
	if (kind) {
		int k = json_is_string(kind) ? mmr_named_find(&pol->kinds, json_string_value(kind))
					     : -1;
		if (k < 0) {
			list_names(&pol->kinds, known, sizeof known);
			return bad(err, "request.resource.kind", kind,
				   "未定義の種別 (unknown kind)", known);
		}
		r->kind = k;
	}
	const json_t *seg = json_object_get(o, "segment");
	if (seg && !json_is_null(seg)) {
		int k = json_is_string(seg) ? mmr_named_find(&pol->segments, json_string_value(seg))
					    : -1;
		if (k < 0) {
			list_names(&pol->segments, known, sizeof known);
			return bad(err, "request.resource.segment", seg,
				   "未定義の系 (unknown segment)", known);
		}
		r->segment = k;
	}
	const json_t *cl = json_object_get(o, "classification");
	if (cl && classification(pol, cl, "request.resource.classification", r->level, err))
		return MMR_EINVAL;
	const json_t *ct = json_object_get(o, "contents");
	if (ct) {
		if (!json_is_array(ct))
			return bad(err, "request.resource.contents", ct,
				   "配列が必要です (expected array)", NULL);
		if (json_array_size(ct) > MAX_LIST)
			return bad(err, "request.resource.contents", NULL, "多すぎます (too many)",
				   NULL);
		size_t i;
		json_t *v;
		json_array_foreach (ct, i, v) {
			char p[64];
			snprintf(p, sizeof p, "request.resource.contents[%zu]", i);
			const json_t *c = v;
			/* an entry may be {classification: {...}} or the map itself */
			if (json_is_object(v) && json_object_get(v, "classification"))
				c = json_object_get(v, "classification");
			if (classification(pol, c, p, r->level, err))
				return MMR_EINVAL;
		}
	}
	for (const char *const *k = keys + 4; *k; k++) {
		const json_t *f = json_object_get(o, *k);
		if (f && !json_is_string(f)) {
			char p[64];
			snprintf(p, sizeof p, "request.resource.%s", *k);
			return bad(err, p, f, "文字列が必要です (expected string)", NULL);
		}
	}
	return MMR_OK;
}

static int context(const mmr_policy *pol, const json_t *o, mmr_request *r, mmr_error *err)
{
	char p[256], known[1024];
	if (!json_is_object(o))
		return bad(err, "request.context", o, "オブジェクトが必要です (expected object)",
			   NULL);
	const char *k;
	json_t *v;
	json_object_foreach ((json_t *)o, k, v) {
		snprintf(p, sizeof p, "request.context.%s", k);
		int ki = mmr_ctx_find(pol, k);
		if (ki < 0) {
			size_t off = 0;
			known[0] = '\0';
			for (size_t i = 0; i < pol->n_ctx && off < sizeof known; i++)
				off += (size_t)snprintf(known + off, sizeof known - off, "%s%s",
							i ? " " : "", pol->ctx[i].id);
			json_t *name = json_string(k);
			bad(err, "request.context", name,
			    "未定義のコンテキストキー (unknown context key)", known);
			json_decref(name);
			return MMR_EINVAL;
		}
		const struct mmr_ctxkey *ck = &pol->ctx[ki];
		if (json_is_null(v))
			continue; /* same as absent */
		switch (ck->type) {
		case MMR_CTX_BOOL:
			if (!json_is_boolean(v))
				return bad(err, p, v, "true か false が必要です (expected boolean)",
					   NULL);
			r->ctx[ki] = json_is_true(v) ? 2 : 1;
			break;
		case MMR_CTX_ENUM:
		case MMR_CTX_SEGMENT: {
			int vi = json_is_string(v)
					 ? mmr_ctx_value_find(pol, ck, json_string_value(v))
					 : -1;
			if (vi < 0) {
				if (ck->type == MMR_CTX_SEGMENT) {
					list_names(&pol->segments, known, sizeof known);
					return bad(err, p, v, "未定義の系 (unknown segment)",
						   known);
				}
				size_t off = 0;
				known[0] = '\0';
				for (size_t i = 0; i < ck->n_values; i++)
					off += (size_t)snprintf(known + off, sizeof known - off,
								"%s%s", i ? " " : "",
								ck->values[i]);
				return bad(err, p, v, "未定義の値 (unknown value)", known);
			}
			r->ctx[ki] = (uint8_t)vi;
			break;
		}
		case MMR_CTX_ROLES: {
			if (!json_is_array(v))
				return bad(err, p, v, "配列が必要です (expected array)", NULL);
			if (json_array_size(v) > MAX_LIST)
				return bad(err, p, NULL, "多すぎます (too many)", NULL);
			size_t i;
			json_t *e;
			json_array_foreach (v, i, e) {
				char pe[300];
				snprintf(pe, sizeof pe, "%s[%zu]", p, i);
				if (role_of(pol, e, pe, &r->approvals, err))
					return MMR_EINVAL;
			}
			r->ctx[ki] = json_array_size(v) ? 1 : 0;
			break;
		}
		case MMR_CTX_CLASSES: {
			if (!json_is_array(v))
				return bad(err, p, v, "配列が必要です (expected array)", NULL);
			if (json_array_size(v) > MAX_LIST)
				return bad(err, p, NULL, "多すぎます (too many)", NULL);
			size_t i;
			json_t *e;
			json_array_foreach (v, i, e) {
				char pe[300], buf[32];
				snprintf(pe, sizeof pe, "%s[%zu]", p, i);
				if (json_is_object(e)) {
					if (classification(pol, e, pe, r->level, err))
						return MMR_EINVAL;
					continue;
				}
				/* a bare level names a level of the first axis */
				const char *lt = level_text(e, buf, sizeof buf);
				int l = (lt && pol->n_axes) ? mmr_level_find(&pol->axes[0], lt)
							    : -1;
				if (l < 0) {
					if (pol->n_axes)
						list_levels(&pol->axes[0], known, sizeof known);
					else
						known[0] = '\0';
					return bad(err, pe, e, "未定義のレベル (unknown level)",
						   known);
				}
				if (r->level[0] == MMR_LEVEL_NONE || (uint8_t)l < r->level[0])
					r->level[0] = (uint8_t)l;
			}
			r->ctx[ki] = json_array_size(v) ? 1 : 0;
			break;
		}
		}
	}
	return MMR_OK;
}

int mmr_request_parse(const mmr_policy *pol, const char *json, size_t len, mmr_request **out,
		      mmr_error *err)
{
	*out = NULL;
	if (len > MAX_REQUEST_BYTES) {
		mmr_error_set(err, MMR_ELIMIT,
			      "request: 大きすぎます（%zu バイト、上限 %u）(too large)", len,
			      MAX_REQUEST_BYTES);
		return MMR_ELIMIT;
	}
	json_error_t jerr;
	json_t *root = json_loadb(json, len, JSON_REJECT_DUPLICATES, &jerr);
	if (!root) {
		mmr_error_set(err, MMR_EINVAL,
			      "request: JSON の構文誤り（%d 行 %d 列）: %s (malformed JSON)",
			      jerr.line, jerr.column, jerr.text);
		return MMR_EINVAL;
	}
	int rc = mmr_request_from_json(pol, root, out, err);
	json_decref(root);
	return rc;
}

int mmr_request_from_json(const mmr_policy *pol, const json_t *root, mmr_request **out,
			  mmr_error *err)
{
	static const char *const keys[] = {"action", "subject", "resource", "context", "id", NULL};
	char known[4096];
	*out = NULL;
	mmr_request *r = calloc(1, sizeof *r);
	int rc = MMR_EINVAL;
	if (!r) {
		mmr_error_set(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
		rc = MMR_ENOMEM;
		goto fail;
	}
	r->kind = -1;
	r->segment = -1;
	memset(r->level, MMR_LEVEL_NONE, sizeof r->level);
	if (!json_is_object(root)) {
		bad(err, "request", root, "オブジェクトが必要です (expected object)", NULL);
		goto fail;
	}
	if (check_keys(root, "request", keys, "action subject resource context id", err))
		goto fail;
	const json_t *action = json_object_get(root, "action");
	if (!action) {
		bad(err, "request.action", NULL, "必須です (required)", NULL);
		goto fail;
	}
	r->action = json_is_string(action)
			    ? mmr_named_find(&pol->actions, json_string_value(action))
			    : -1;
	if (r->action < 0) {
		list_names(&pol->actions, known, sizeof known);
		bad(err, "request.action", action, "未定義のアクション (unknown action)", known);
		goto fail;
	}
	const json_t *s = json_object_get(root, "subject");
	if (!s) {
		bad(err, "request.subject", NULL, "必須です (required)", NULL);
		goto fail;
	}
	if (subject(pol, s, r, err))
		goto fail;
	const json_t *res = json_object_get(root, "resource");
	if (res && resource(pol, res, r, err))
		goto fail;
	const json_t *ctx = json_object_get(root, "context");
	if (ctx && context(pol, ctx, r, err))
		goto fail;
	const json_t *id = json_object_get(root, "id");
	if (id && !json_is_string(id)) {
		bad(err, "request.id", id, "文字列が必要です (expected string)", NULL);
		goto fail;
	}
	*out = r;
	return MMR_OK;
fail:
	free(r);
	return rc;
}

void mmr_request_free(mmr_request *req)
{
	free(req);
}
