/*
 * test_canon.c — the canonical text of the audit digests (src/store/canon.c)
 * is exactly what jansson writes with JSON_COMPACT | JSON_SORT_KEYS of the
 * value without its secret keys, for generated values full of what escaping
 * gets wrong, and remembered values are written the same as fresh ones.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "store/audit.h"
#include "store/canon.h"

static uint64_t rng = 88172645463325252ULL;
static uint64_t next(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static const char *const pieces[] = {
	"a", "名称", "\"", "\\", "\n", "\t",	 "\r",	  "\b",	      "\f",	"\x01", "\x1f",
	"/", "\x7f", "①",  "﨑", "😀",  "\u2028", "token", "password", "secret", "csrf", "totp",
	" ", "}",    "{",  "[",	 ",",  ":",	 "é",	  "\xc2\xa0", "id",	"Z",
};

static json_t *gen_string(void)
{
	char b[256] = "";
	size_t n = next() % 6;
	for (size_t i = 0; i < n; i++)
		strncat(b, pieces[next() % (sizeof pieces / sizeof pieces[0])],
			sizeof b - strlen(b) - 1);
	return json_string(b);
}

static json_t *gen(int depth)
{
	switch (next() % (depth > 3 ? 5 : 7)) {
	case 0: return gen_string();
	case 1: return json_integer((json_int_t)(next() % 2 ? next() : -(next() % 1000)));
	case 2: return json_true();
	case 3: return json_false();
	case 4: return json_null();
	case 5: {
		json_t *a = json_array();
		for (size_t i = next() % 4; i > 0; i--)
			json_array_append_new(a, gen(depth + 1));
		return a;
	}
	default: {
		json_t *o = json_object();
		for (size_t i = next() % 6; i > 0; i--) {
			json_t *k = gen_string();
			json_object_set_new(o, json_string_value(k), gen(depth + 1));
			json_decref(k);
		}
		return o;
	}
	}
}

static json_t *scrubbed(const json_t *v)
{
	if (json_is_object(v)) {
		json_t *o = json_object();
		const char *k;
		json_t *x;
		json_object_foreach ((json_t *)v, k, x)
			if (!(strstr(k, "password") || strstr(k, "secret") ||
			      !strncmp(k, "token", 5) || !strcmp(k, "csrf") || strstr(k, "totp")))
				json_object_set_new(o, k, scrubbed(x));
		return o;
	}
	if (json_is_array(v)) {
		json_t *a = json_array();
		for (size_t i = 0; i < json_array_size(v); i++)
			json_array_append_new(a, scrubbed(json_array_get(v, i)));
		return a;
	}
	return json_deep_copy(v);
}

static void same_as_jansson(void **state)
{
	(void)state;
	struct mmr_canon c = {0};
	for (int i = 0; i < 20000; i++) {
		json_t *v = gen(0);
		json_t *clean = scrubbed(v);
		char *want = json_dumps(clean, JSON_COMPACT | JSON_SORT_KEYS | JSON_ENCODE_ANY);
		assert_non_null(want);
		assert_int_equal(mmr_canon_text(&c, v), 0);
		if (strcmp(c.out.p, want))
			fail_msg("canon %s\njansson %s", c.out.p, want);
		assert_int_equal(c.out.len, strlen(want));
		/* and the digest is mmr_audit_digest's */
		char d1[65], d2[65];
		mmr_canon_digest(&c, v, d1);
		mmr_audit_digest(v, d2);
		assert_string_equal(d1, d2);
		free(want);
		json_decref(clean);
		json_decref(v);
	}
	mmr_canon_free(&c);
}

static void remembered(void **state)
{
	(void)state;
	struct mmr_canon c = {0};
	json_t *shared = json_pack("[{s:s, s:[s,s]}]", "axis", "importance", "restrictions",
				   "持ち出し禁止", "複製は \"許可\" を得て");
	mmr_canon_remember(&c, shared);
	for (int i = 0; i < 3; i++) {
		json_t *o = json_pack("{s:i, s:O, s:s}", "id", i, "handling", shared, "name", "x");
		char *want = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
		assert_int_equal(mmr_canon_text(&c, o), 0);
		assert_string_equal(c.out.p, want);
		free(want);
		json_decref(o);
	}
	/* a real has no canonical text here: the digest falls back to jansson */
	json_t *r = json_pack("{s:f, s:s}", "x", 1.5, "password", "p");
	assert_int_equal(mmr_canon_text(&c, r), -1);
	char d1[65], d2[65];
	mmr_canon_digest(&c, r, d1);
	mmr_audit_digest(r, d2);
	assert_string_equal(d1, d2);
	json_decref(r);
	json_decref(shared);
	mmr_canon_free(&c);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(same_as_jansson),
		cmocka_unit_test(remembered),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
