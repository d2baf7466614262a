/*
 * test_sanitize.c — the sanitizer's library API on hostile input: every
 * truncation and many byte flips of the hostile Office and PDF documents
 * are either refused or rebuilt (never crash, never leak — this runs under
 * ASan), and whatever is rebuilt is clean on a second pass; the time
 * limit; the report; the rename helper.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "sanitize/sanitize.h"
#include "testutil.h"

static char fixtures[] = "/tmp/mamori-sanitize-XXXXXX";

static int make_fixtures(void **state)
{
	(void)state;
	if (!mkdtemp(fixtures))
		return -1;
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "python3 '%s/tests/sanitize/make_fixtures.py' '%s/fx'", tu_root,
		 fixtures);
	return system(cmd) == 0 ? 0 : -1;
}

static int remove_fixtures(void **state)
{
	(void)state;
	char cmd[2048];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", fixtures);
	return system(cmd) == 0 ? 0 : -1;
}

static unsigned char *fixture(const char *name, size_t *len)
{
	char path[1024];
	snprintf(path, sizeof path, "%s/fx/%s", fixtures, name);
	unsigned char *d = (unsigned char *)tu_read(path, len);
	assert_non_null(d);
	return d;
}

/* Sanitize; when rebuilt, the output must come through a second pass with
 * nothing removed. Returns whether the first pass rebuilt it. */
static bool sanitize_and_rescan(mmr_sanitizer *s, const char *name, const unsigned char *d,
				size_t n)
{
	mmr_sanitize_result *r = NULL;
	mmr_error err = {0};
	assert_int_equal(mmr_sanitize_buffer(s, name, d, n, &r, &err), MMR_OK);
	bool ok = mmr_sanitize_result_ok(r);
	if (ok) {
		size_t on;
		const unsigned char *o = mmr_sanitize_result_data(r, &on);
		assert_non_null(o);
		mmr_sanitize_result *r2 = NULL;
		assert_int_equal(mmr_sanitize_buffer(s, name, o, on, &r2, &err), MMR_OK);
		assert_true(mmr_sanitize_result_ok(r2));
		assert_int_equal(mmr_sanitize_result_removed_count(r2), 0);
		mmr_sanitize_result_free(r2);
	} else {
		assert_true(mmr_sanitize_result_reason(r)[0] != '\0');
		size_t on = 1;
		assert_null(mmr_sanitize_result_data(r, &on));
		assert_int_equal(on, 0);
	}
	mmr_sanitize_result_free(r);
	return ok;
}

static void hostile_whole(const char *name, size_t min_removed)
{
	mmr_sanitizer *s = NULL;
	mmr_error err = {0};
	assert_int_equal(mmr_sanitizer_new(NULL, &s, &err), MMR_OK);
	size_t n;
	unsigned char *d = fixture(name, &n);
	mmr_sanitize_result *r = NULL;
	assert_int_equal(mmr_sanitize_buffer(s, name, d, n, &r, &err), MMR_OK);
	assert_true(mmr_sanitize_result_ok(r));
	assert_true(mmr_sanitize_result_removed_count(r) >= min_removed);
	mmr_sanitize_result_free(r);
	assert_true(sanitize_and_rescan(s, name, d, n));
	free(d);
	mmr_sanitizer_free(s);
}

static void docm_is_disarmed(void **state)
{
	(void)state;
	hostile_whole("macro.docm", 7);
}

static void pdf_is_disarmed(void **state)
{
	(void)state;
	hostile_whole("hostile.pdf", 8);
}

/* Every prefix, and a byte flipped at many places. */
static void mangled(const char *name, size_t flip_stride)
{
	mmr_sanitizer *s = NULL;
	mmr_error err = {0};
	assert_int_equal(mmr_sanitizer_new(NULL, &s, &err), MMR_OK);
	size_t n;
	unsigned char *d = fixture(name, &n);
	size_t rebuilt = 0, runs = 0;
	for (size_t len = 0; len < n; len++, runs++)
		rebuilt += sanitize_and_rescan(s, name, d, len);
	unsigned char *m = malloc(n);
	assert_non_null(m);
	for (size_t i = 0; i < n; i += flip_stride, runs++) {
		memcpy(m, d, n);
		m[i] ^= 0x5a;
		rebuilt += sanitize_and_rescan(s, name, m, n);
	}
	printf("%s: %zu mangled inputs, %zu rebuilt, %zu refused\n", name, runs, rebuilt,
	       runs - rebuilt);
	free(m);
	free(d);
	mmr_sanitizer_free(s);
}

static void docm_mangled(void **state)
{
	(void)state;
	mangled("macro.docm", 3);
}

static void pdf_mangled(void **state)
{
	(void)state;
	mangled("hostile.pdf", 2);
}

static void xlsx_mangled(void **state)
{
	(void)state;
	mangled("dde.xlsx", 5);
}

static void images_mangled(void **state)
{
	(void)state;
	mangled("meta.png", 1);
	mangled("comment.gif", 1);
}

static void time_limit_refuses(void **state)
{
	(void)state;
	mmr_sanitize_opts o = {.max_seconds = 1e-9};
	mmr_sanitizer *s = NULL;
	mmr_error err = {0};
	assert_int_equal(mmr_sanitizer_new(&o, &s, &err), MMR_OK);
	size_t n;
	unsigned char *d = fixture("macro.docm", &n);
	mmr_sanitize_result *r = NULL;
	assert_int_equal(mmr_sanitize_buffer(s, "macro.docm", d, n, &r, &err), MMR_OK);
	assert_false(mmr_sanitize_result_ok(r));
	assert_non_null(strstr(mmr_sanitize_result_reason(r), "処理時間"));
	mmr_sanitize_result_free(r);
	free(d);
	mmr_sanitizer_free(s);
}

static void size_limit_refuses(void **state)
{
	(void)state;
	mmr_sanitize_opts o = {.max_input_bytes = 100};
	mmr_sanitizer *s = NULL;
	mmr_error err = {0};
	assert_int_equal(mmr_sanitizer_new(&o, &s, &err), MMR_OK);
	size_t n;
	unsigned char *d = fixture("clean.pdf", &n);
	mmr_sanitize_result *r = NULL;
	assert_int_equal(mmr_sanitize_buffer(s, "clean.pdf", d, n, &r, &err), MMR_OK);
	assert_false(mmr_sanitize_result_ok(r));
	assert_non_null(strstr(mmr_sanitize_result_reason(r), "大きすぎ"));
	mmr_sanitize_result_free(r);
	free(d);
	mmr_sanitizer_free(s);
}

static void report_json(void **state)
{
	(void)state;
	mmr_sanitizer *s = NULL;
	mmr_error err = {0};
	assert_int_equal(mmr_sanitizer_new(NULL, &s, &err), MMR_OK);
	size_t n;
	unsigned char *d = fixture("macro.docm", &n);
	mmr_sanitize_result *r = NULL;
	assert_int_equal(mmr_sanitize_buffer(s, "in/macro.docm", d, n, &r, &err), MMR_OK);
	assert_string_equal(mmr_sanitize_result_type(r), "docx");
	assert_string_equal(mmr_sanitize_result_extension(r), "docx");
	assert_false(mmr_sanitize_result_name_mismatch(r));
	char *js = mmr_sanitize_result_json(r, "in/macro.docm", "out/macro.docx");
	json_error_t je;
	json_t *o = json_loads(js, 0, &je);
	assert_non_null(o);
	assert_string_equal(json_string_value(json_object_get(o, "verdict")), "sanitized");
	assert_string_equal(json_string_value(json_object_get(o, "output")), "out/macro.docx");
	assert_int_equal(strlen(json_string_value(json_object_get(o, "sha256_before"))), 64);
	assert_string_not_equal(json_string_value(json_object_get(o, "sha256_before")),
				json_string_value(json_object_get(o, "sha256_after")));
	json_t *vba = json_object_get(json_object_get(o, "removed"), "vba_project");
	assert_int_equal(json_integer_value(json_object_get(vba, "count")), 2);
	assert_int_equal((size_t)json_integer_value(json_object_get(o, "removed_total")),
			 mmr_sanitize_result_removed_count(r));
	char summary[256];
	mmr_sanitize_result_removed_summary(r, summary, sizeof summary);
	assert_non_null(strstr(summary, "vba_project ×2"));
	json_decref(o);
	free(js);
	mmr_sanitize_result_free(r);
	free(d);
	mmr_sanitizer_free(s);
}

static void rename_helper(void **state)
{
	(void)state;
	char *a = mmr_sanitize_rename("dir.v2/report.docm", "docx");
	char *b = mmr_sanitize_rename("dir.v2/README", "txt");
	char *c = mmr_sanitize_rename(".hidden", "pdf");
	assert_string_equal(a, "dir.v2/report.docx");
	assert_string_equal(b, "dir.v2/README.txt");
	assert_string_equal(c, ".hidden.pdf");
	free(a);
	free(b);
	free(c);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		tu_root = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(docm_is_disarmed),   cmocka_unit_test(pdf_is_disarmed),
		cmocka_unit_test(time_limit_refuses), cmocka_unit_test(size_limit_refuses),
		cmocka_unit_test(report_json),	      cmocka_unit_test(rename_helper),
		cmocka_unit_test(docm_mangled),	      cmocka_unit_test(xlsx_mangled),
		cmocka_unit_test(pdf_mangled),	      cmocka_unit_test(images_mangled),
	};
	return cmocka_run_group_tests(tests, make_fixtures, remove_fixtures);
}
