/*
 * canon.c — the canonical text of JSON values for the audit digests (see
 * canon.h).
 */
#include "store/canon.h"

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log/log.h"

bool mmr_canon_secret_key(const char *k)
{
	return strstr(k, "password") || strstr(k, "secret") || !strncmp(k, "token", 5) ||
	       !strcmp(k, "csrf") || strstr(k, "totp");
}

static void put(struct mmr_canon *c, const char *s, size_t n)
{
	mmr_buf_put(&c->out, s, n);
}

/* A string as jansson writes it: '"' and '\' escaped, control characters as
 * \b \f \n \r \t or \u00XX (upper-case hex), everything else as it is (the
 * text is UTF-8 already: jansson refuses any other). */
static void put_string(struct mmr_canon *c, const char *s, size_t len)
{
	put(c, "\"", 1);
	const char *run = s, *end = s + len;
	for (const char *p = s; p < end; p++) {
		unsigned char ch = (unsigned char)*p;
		if (ch >= 0x20 && ch != '"' && ch != '\\')
			continue;
		put(c, run, (size_t)(p - run));
		char esc[8];
		size_t el = 2;
		esc[0] = '\\';
		switch (ch) {
		case '"': esc[1] = '"'; break;
		case '\\': esc[1] = '\\'; break;
		case '\b': esc[1] = 'b'; break;
		case '\f': esc[1] = 'f'; break;
		case '\n': esc[1] = 'n'; break;
		case '\r': esc[1] = 'r'; break;
		case '\t': esc[1] = 't'; break;
		default: el = (size_t)snprintf(esc, sizeof esc, "\\u%04X", ch);
		}
		put(c, esc, el);
		run = p + 1;
	}
	put(c, run, (size_t)(end - run));
	put(c, "\"", 1);
}

/* Remove the secret keys of v, at every depth (v is a copy). */
static void strip_secrets(json_t *v)
{
	if (json_is_object(v)) {
		const char *k;
		json_t *x;
		void *tmp;
		json_object_foreach_safe(v, tmp, k, x)
		{
			if (mmr_canon_secret_key(k))
				json_object_del(v, k);
			else
				strip_secrets(x);
		}
	} else if (json_is_array(v)) {
		for (size_t i = 0; i < json_array_size(v); i++)
			strip_secrets(json_array_get(v, i));
	}
}

static int key_cmp(const void *a, const void *b)
{
	return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int dump(struct mmr_canon *c, const json_t *v);

static int dump_object(struct mmr_canon *c, const json_t *v)
{
	size_t n = json_object_size(v);
	const char *stack[32], **keys = n <= 32 ? stack : malloc(n * sizeof *keys);
	if (!keys)
		return -1;
	size_t k = 0;
	const char *key;
	json_t *x;
	json_object_foreach ((json_t *)v, key, x)
		if (!mmr_canon_secret_key(key))
			keys[k++] = key;
	qsort(keys, k, sizeof *keys, key_cmp);
	int rc = 0;
	put(c, "{", 1);
	for (size_t i = 0; i < k && !rc; i++) {
		if (i)
			put(c, ",", 1);
		put_string(c, keys[i], strlen(keys[i]));
		put(c, ":", 1);
		rc = dump(c, json_object_get(v, keys[i]));
	}
	put(c, "}", 1);
	if (keys != stack)
		free(keys);
	return rc;
}

static int dump_value(struct mmr_canon *c, const json_t *v)
{
	switch (json_typeof(v)) {
	case JSON_OBJECT: return dump_object(c, v);
	case JSON_ARRAY: {
		put(c, "[", 1);
		for (size_t i = 0; i < json_array_size(v); i++) {
			if (i)
				put(c, ",", 1);
			if (dump(c, json_array_get(v, i)))
				return -1;
		}
		put(c, "]", 1);
		return 0;
	}
	case JSON_STRING: put_string(c, json_string_value(v), json_string_length(v)); return 0;
	case JSON_INTEGER: {
		char b[32];
		int l = snprintf(b, sizeof b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
		put(c, b, (size_t)l);
		return 0;
	}
	case JSON_TRUE: put(c, "true", 4); return 0;
	case JSON_FALSE: put(c, "false", 5); return 0;
	case JSON_NULL: put(c, "null", 4); return 0;
	default: return -1; /* a real: jansson's own formatting */
	}
}

static int dump(struct mmr_canon *c, const json_t *v)
{
	for (size_t i = 0; i < c->nmemo; i++) {
		if (c->memo[i].v != v)
			continue;
		if (c->memo[i].text) {
			put(c, c->memo[i].text, c->memo[i].len);
			return 0;
		}
		size_t from = c->out.len;
		if (dump_value(c, v) || c->out.oom)
			return -1;
		c->memo[i].len = c->out.len - from;
		c->memo[i].text = malloc(c->memo[i].len + 1);
		if (c->memo[i].text)
			memcpy(c->memo[i].text, c->out.p + from, c->memo[i].len + 1);
		return 0;
	}
	return dump_value(c, v);
}

void mmr_canon_remember(struct mmr_canon *c, const json_t *v)
{
	for (size_t i = 0; i < c->nmemo; i++)
		if (c->memo[i].v == v)
			return;
	if (c->nmemo == MMR_CANON_MEMO)
		return;
	c->memo[c->nmemo].v = json_incref((json_t *)v);
	c->memo[c->nmemo].text = NULL;
	c->nmemo++;
}

int mmr_canon_text(struct mmr_canon *c, const json_t *v)
{
	c->out.len = 0;
	c->out.oom = false;
	put(c, "", 0);
	if (dump(c, v) || c->out.oom)
		return -1;
	return 0;
}

void mmr_canon_digest(struct mmr_canon *c, const json_t *v, char out[65])
{
	mmr_hash h;
	if (!mmr_canon_text(c, v)) {
		mmr_log_leaf_hash(c->out.p, c->out.len, h);
	} else {
		/* jansson's text of the value without its secrets */
		json_t *copy = json_deep_copy(v);
		strip_secrets(copy);
		char *text = json_dumps(copy, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		json_decref(copy);
		mmr_log_leaf_hash(text ? text : "", text ? strlen(text) : 0, h);
		free(text);
	}
	mmr_hash_hex(h, out);
}

void mmr_canon_free(struct mmr_canon *c)
{
	for (size_t i = 0; i < c->nmemo; i++) {
		json_decref((json_t *)c->memo[i].v);
		free(c->memo[i].text);
	}
	free(c->out.p);
	*c = (struct mmr_canon){0};
}
