/*
 * test_csv.c — src/csv: every file under tests/data/kit/csv/good/ parses to
 * the rows of its .json ([[row, field, …], …]); every file under
 * tests/data/kit/csv/bad/ is refused with the message fragment of its
 * .expect (parsed with small limits: 4096 bytes, 10 rows, 8 fields, 64 bytes
 * a field); the default limits; callback errors passed through; and the
 * writer (quoting, formula neutralisation) read back by the reader.
 */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "csv/csv.h"
#include "mamori.h"
#include "testutil.h"

static const struct mmr_csv_limits small = {4096, 10, 8, 64};

/* Collects the records as [[row, field, …], …]. */
static int collect(void *ud, size_t row, size_t n, const char *const *f, mmr_error *err)
{
	(void)err;
	json_t *rec = json_array();
	json_array_append_new(rec, json_integer((json_int_t)row));
	for (size_t i = 0; i < n; i++) {
		assert_non_null(f[i]);
		json_array_append_new(rec, json_string(f[i]));
	}
	json_array_append_new((json_t *)ud, rec);
	return MMR_OK;
}

static void good_files(void **state)
{
	(void)state;
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/tests/data/kit/csv/good", tu_root);
	size_t n;
	char **files = tu_list(dir, ".csv", &n);
	assert_non_null(files);
	assert_true(n >= 9);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *buf = tu_read(tu_path("%s/%s", dir, files[i]), &len);
		assert_non_null(buf);
		char *stem = strdup(files[i]);
		stem[strlen(stem) - 4] = '\0';
		const char *want_path = tu_path("%s/%s.json", dir, stem);
		free(stem);
		json_error_t je;
		json_t *want = json_load_file(want_path, 0, &je);
		if (!want)
			fail_msg("%s: %s", want_path, je.text);
		json_t *got = json_array();
		mmr_error err = {0};
		int rc = mmr_csv_parse(buf, len, NULL, collect, got, &err);
		if (rc != MMR_OK)
			fail_msg("%s: %s", files[i], err.message);
		if (!json_equal(got, want)) {
			char *g = json_dumps(got, JSON_ENSURE_ASCII);
			fail_msg("%s: got %s", files[i], g);
		}
		/* the same with a copy that has no byte past the end (ASan sees overreads) */
		char *exact = malloc(len ? len : 1);
		memcpy(exact, buf, len);
		json_t *got2 = json_array();
		assert_int_equal(mmr_csv_parse(exact, len, &small, collect, got2, &err), MMR_OK);
		assert_true(json_equal(got2, want));
		json_decref(got2);
		free(exact);
		json_decref(got);
		json_decref(want);
		free(buf);
	}
	tu_free_list(files);
}

static void bad_files(void **state)
{
	(void)state;
	char dir[512];
	snprintf(dir, sizeof(dir), "%s/tests/data/kit/csv/bad", tu_root);
	size_t n;
	char **files = tu_list(dir, ".csv", &n);
	assert_non_null(files);
	assert_true(n >= 14);
	for (size_t i = 0; i < n; i++) {
		size_t len;
		char *buf = tu_read(tu_path("%s/%s", dir, files[i]), &len);
		assert_non_null(buf);
		char *frag = tu_read_expect(dir, files[i]);
		if (!frag)
			fail_msg("%s: no .expect", files[i]);
		char *exact = malloc(len);
		memcpy(exact, buf, len);
		json_t *got = json_array();
		mmr_error err = {0};
		int rc = mmr_csv_parse(exact, len, &small, collect, got, &err);
		if (rc == MMR_OK)
			fail_msg("%s: accepted", files[i]);
		if (rc != err.code)
			fail_msg("%s: rc %d but err.code %d", files[i], rc, err.code);
		if (!strstr(err.message, frag))
			fail_msg("%s:\n  got  %s\n  want …%s…", files[i], err.message, frag);
		const char *code = rc == MMR_ELIMIT ? "(ELIMIT)" : "(EINVAL)";
		assert_non_null(strstr(err.message, code));
		json_decref(got);
		free(exact);
		free(frag);
		free(buf);
	}
	tu_free_list(files);
}

/* The CP932 file decodes ①, ㈱, 髙, 﨑 and the NEC/IBM extensions exactly. */
static void cp932_characters(void **state)
{
	(void)state;
	size_t len;
	char *buf = tu_read(tu_path("%s/tests/data/kit/csv/good/cp932.csv", tu_root), &len);
	assert_non_null(buf);
	assert_non_null(memmem(buf, len, "\x87\x40", 2));	  /* ① NEC row 13 */
	assert_non_null(memmem(buf, len, "\xfb\xfc", 2));	  /* 髙 IBM extension */
	assert_non_null(memmem(buf, len, "\xfa\xb1", 2));	  /* 﨑 IBM extension */
	assert_non_null(memmem(buf, len, "\xed\x40", 2));	  /* 纊 NEC-selected IBM */
	assert_non_null(memmem(buf, len, "\xee\xe0\xed\x95", 4)); /* 髙﨑 NEC-selected IBM */
	json_t *got = json_array();
	mmr_error err = {0};
	assert_int_equal(mmr_csv_parse(buf, len, NULL, collect, got, &err), MMR_OK);
	json_t *r2 = json_array_get(got, 1), *r3 = json_array_get(got, 2);
	assert_string_equal(json_string_value(json_array_get(r2, 1)), "①住民票");
	assert_string_equal(json_string_value(json_array_get(r2, 3)), "㈱髙島屋≒");
	assert_string_equal(json_string_value(json_array_get(r2, 4)), "髙﨑");
	assert_string_equal(json_string_value(json_array_get(r3, 1)), "山﨑ファイル, 2025");
	assert_string_equal(json_string_value(json_array_get(r3, 2)), "纊ⅰⅰ￤");
	json_decref(got);
	free(buf);
}

struct stop {
	size_t calls, stop_at;
};

static int stop_cb(void *ud, size_t row, size_t n, const char *const *f, mmr_error *err)
{
	(void)n;
	(void)f;
	struct stop *s = ud;
	s->calls++;
	if (row == s->stop_at) {
		snprintf(err->message, sizeof(err->message), "行 %zu: 分類がありません", row);
		err->code = MMR_EDENIED;
		return MMR_EDENIED;
	}
	return MMR_OK;
}

static void callback_error_passes_through(void **state)
{
	(void)state;
	const char *csv = "a,b\n1,2\n3,4\n5,6\n";
	struct stop s = {0, 3};
	mmr_error err = {0};
	assert_int_equal(mmr_csv_parse(csv, strlen(csv), NULL, stop_cb, &s, &err), MMR_EDENIED);
	assert_int_equal(s.calls, 3);
	assert_string_equal(err.message, "行 3: 分類がありません");
	assert_int_equal(mmr_csv_parse(NULL, 0, NULL, stop_cb, &s, &err), MMR_OK);
	assert_int_equal(mmr_csv_parse(NULL, 1, NULL, stop_cb, &s, &err), MMR_EINVAL);
	assert_int_equal(mmr_csv_parse(csv, 3, NULL, NULL, &s, &err), MMR_EINVAL);
}

static int count_cb(void *ud, size_t row, size_t n, const char *const *f, mmr_error *err)
{
	(void)row;
	(void)n;
	(void)f;
	(void)err;
	(*(size_t *)ud)++;
	return MMR_OK;
}

static void default_limits(void **state)
{
	(void)state;
	mmr_error err = {0};
	size_t calls = 0;
	/* 64 MiB + 1 byte: refused before reading (calloc'd pages stay untouched) */
	char *big = calloc(MMR_CSV_DEFAULT_MAX_BYTES + 1, 1);
	assert_non_null(big);
	assert_int_equal(
		mmr_csv_parse(big, MMR_CSV_DEFAULT_MAX_BYTES + 1, NULL, count_cb, &calls, &err),
		MMR_ELIMIT);
	assert_non_null(strstr(err.message, "上限 67108864 バイト"));
	free(big);

	/* 256 fields pass, 257 do not */
	char line[1024];
	size_t k = 0;
	for (int i = 0; i < 257; i++) {
		line[k++] = 'x';
		line[k++] = i < 256 ? ',' : '\n';
	}
	assert_int_equal(mmr_csv_parse(line, k, NULL, count_cb, &calls, &err), MMR_ELIMIT);
	assert_non_null(strstr(err.message, "1 行目: 列が多すぎます（上限 256 列）"));
	assert_int_equal(mmr_csv_parse(line + 2, k - 2, NULL, count_cb, &calls, &err), MMR_OK);

	/* 64 KiB field passes, one byte more does not */
	size_t fl = MMR_CSV_DEFAULT_MAX_FIELD_BYTES;
	char *f = malloc(fl + 8);
	memset(f, 'y', fl + 1);
	assert_int_equal(mmr_csv_parse(f, fl, NULL, count_cb, &calls, &err), MMR_OK);
	assert_int_equal(mmr_csv_parse(f, fl + 1, NULL, count_cb, &calls, &err), MMR_ELIMIT);
	assert_non_null(strstr(err.message, "1 行目 1 列目: フィールドが長すぎます（上限 65536"));
	free(f);

	/* rows: exactly max passes */
	struct mmr_csv_limits lim = {1 << 20, 1000, 4, 16};
	char *rows = malloc(1001 * 4);
	size_t rl = 0;
	for (int i = 0; i < 1001; i++) {
		memcpy(rows + rl, "a,b\n", 4);
		rl += 4;
	}
	calls = 0;
	assert_int_equal(mmr_csv_parse(rows, rl - 4, &lim, count_cb, &calls, &err), MMR_OK);
	assert_int_equal(calls, 1000);
	assert_int_equal(mmr_csv_parse(rows, rl, &lim, count_cb, &calls, &err), MMR_ELIMIT);
	assert_non_null(strstr(err.message, "上限 1000 行、1001 行目"));
	free(rows);
}

/* Write rows with the writer, read them back with the reader. */
static void writer_round_trip(void **state)
{
	(void)state;
	char *out = NULL;
	size_t outlen = 0;
	FILE *f = open_memstream(&out, &outlen);
	assert_non_null(f);
	const char *hdr[] = {"資産名", "備考", "数"};
	const char *r1[] = {"住民票, 写し", "彼は\"はい\"と言った\r\n二行目", "-5"};
	const char *r2[] = {"=HYPERLINK(\"http://evil\")", "+1", "@SUM(A1)"};
	const char *r3[] = {"\tx", "\rcr", NULL};
	const char *r4[] = {"plain", "", "1-2"};
	assert_int_equal(mmr_csv_bom(f), MMR_OK);
	assert_int_equal(mmr_csv_write_bom(f, 3, hdr), MMR_OK);
	assert_int_equal(mmr_csv_write_bom(f, 3, r1), MMR_OK);
	assert_int_equal(mmr_csv_write_bom(f, 3, r2), MMR_OK);
	assert_int_equal(mmr_csv_write_bom(f, 3, r3), MMR_OK);
	assert_int_equal(mmr_csv_write_bom(f, 3, r4), MMR_OK);
	const char *r5[] = {""};
	assert_int_equal(mmr_csv_write_bom(f, 1, r5), MMR_OK);
	assert_int_equal(fclose(f), 0);
	const char *want = "\xEF\xBB\xBF"
			   "資産名,備考,数\r\n"
			   "\"住民票, 写し\",\"彼は\"\"はい\"\"と言った\r\n二行目\",'-5\r\n"
			   "\"'=HYPERLINK(\"\"http://evil\"\")\",'+1,'@SUM(A1)\r\n"
			   "'\tx,\"'\rcr\",\r\n"
			   "plain,,1-2\r\n"
			   "\"\"\r\n";
	assert_string_equal(out, want);

	json_t *got = json_array();
	mmr_error err = {0};
	assert_int_equal(mmr_csv_parse(out, outlen, NULL, collect, got, &err), MMR_OK);
	json_t *want_rows =
		json_loads("[[1,\"資産名\",\"備考\",\"数\"],"
			   "[2,\"住民票, 写し\",\"彼は\\\"はい\\\"と言った\\r\\n二行目\",\"'-5\"],"
			   "[3,\"'=HYPERLINK(\\\"http://evil\\\")\",\"'+1\",\"'@SUM(A1)\"],"
			   "[4,\"'\\tx\",\"'\\rcr\",\"\"],[5,\"plain\",\"\",\"1-2\"],[6,\"\"]]",
			   0, NULL);
	assert_non_null(want_rows);
	if (!json_equal(got, want_rows))
		fail_msg("read back: %s", json_dumps(got, 0));
	json_decref(got);
	json_decref(want_rows);
	free(out);
}

int main(int argc, char **argv)
{
	if (argc > 1)
		tu_root = argv[1];
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(good_files),	    cmocka_unit_test(bad_files),
		cmocka_unit_test(cp932_characters), cmocka_unit_test(callback_error_passes_through),
		cmocka_unit_test(default_limits),   cmocka_unit_test(writer_round_trip),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
