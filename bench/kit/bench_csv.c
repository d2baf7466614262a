/*
 * bench_csv.c — figures for the CSV import reader, as `name: value unit`.
 *
 *   bench_csv ROOT [MAMORI]
 *
 * 100,000 asset-like rows (a header and 12 columns: name, kind, medium,
 * section, manager, three classifications, segment, location, retention,
 * note; Japanese text, some quoted fields with commas and newlines) are
 * generated in memory as UTF-8 with BOM and converted to CP932 with iconv;
 * each is parsed with mmr_csv_parse (default limits, a callback that only
 * counts) 5 times, and the best run is reported:
 *
 * csv.utf8.rows_per_s, csv.utf8.mb_per_s    UTF-8 input
 * csv.cp932.rows_per_s, csv.cp932.mb_per_s  CP932 input (detection and
 *                                           conversion included)
 * and beside each rows_per_s its ratio to issue 3's import goal (≥ 20,000
 * assets/s for the whole import; the reader is one part of it).
 */
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "csv/csv.h"

#define ROWS 100000
#define RUNS 5
#define IMPORT_GOAL 20000.0

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int count(void *ud, size_t row, size_t n, const char *const *f, mmr_error *err)
{
	(void)row;
	(void)err;
	size_t *c = ud;
	*c += n && f[0][0] ? 1 : 0;
	return MMR_OK;
}

static char *make_utf8(size_t *len)
{
	static const char *kinds[] = {"電磁的記録", "紙文書", "データベース", "外部記録媒体"};
	static const char *sections[] = {
		"市民課",	"税務課", "情報政策課",		 "保険年金課",
		"こども未来課", "総務課", "選挙管理委員会事務局"};
	static const char *classes[] = {"3A", "3B", "3C", "2", "1"};
	static const char *segments[] = {"mynumber", "lgwan", "internet"};
	char *buf = NULL;
	FILE *f = open_memstream(&buf, len);
	if (!f)
		return NULL;
	fputs("\xEF\xBB\xBF資産名,種別,媒体,所管課,管理者,機密性,完全性,可用性,系,保管場所,"
	      "保存期間,"
	      "備考\r\n",
	      f);
	for (int i = 0; i < ROWS; i++) {
		fprintf(f,
			"住民記録データ第%d号,%s,サーバ,%s,山田 太郎,%s,2,2,%s,本庁舎3階サーバ室,"
			"%d年,",
			i, kinds[i % 4], sections[i % 7], classes[i % 5], segments[i % 3],
			1 + i % 30);
		if (i % 10 == 0)
			fputs("\"複製あり, 原本は書庫\r\n取扱注意 ①\"\r\n", f);
		else
			fputs("髙﨑様より受領\r\n", f);
	}
	fclose(f);
	return buf;
}

static char *to_cp932(const char *in, size_t inlen, size_t *outlen)
{
	iconv_t cd = iconv_open("CP932", "UTF-8");
	if (cd == (iconv_t)-1)
		return NULL;
	size_t cap = inlen;
	char *out = malloc(cap), *op = out, *ip = (char *)in + 3; /* no BOM */
	size_t il = inlen - 3, ol = cap;
	if (!out || iconv(cd, &ip, &il, &op, &ol) == (size_t)-1) {
		free(out);
		iconv_close(cd);
		return NULL;
	}
	iconv_close(cd);
	*outlen = (size_t)(op - out);
	return out;
}

static int run(const char *name, const char *buf, size_t len)
{
	double best = 1e9;
	for (int r = 0; r < RUNS; r++) {
		size_t rows = 0;
		mmr_error err = {0};
		double t0 = now();
		int rc = mmr_csv_parse(buf, len, NULL, count, &rows, &err);
		double t = now() - t0;
		if (rc != MMR_OK || rows != ROWS + 1) {
			fprintf(stderr, "%s: %s (%zu rows)\n", name, err.message, rows);
			return 1;
		}
		if (t < best)
			best = t;
	}
	double rps = ROWS / best;
	printf("csv.%s.rows_per_s: %.0f rows/s\n", name, rps);
	printf("csv.%s.rows_per_s_vs_import_goal: %.1f x (goal >= 20000 rows/s)\n", name,
	       rps / IMPORT_GOAL);
	printf("csv.%s.mb_per_s: %.1f MB/s (%zu bytes)\n", name, (double)len / best / 1e6, len);
	return 0;
}

int main(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	size_t ulen = 0, clen = 0;
	char *u = make_utf8(&ulen);
	char *c = u ? to_cp932(u, ulen, &clen) : NULL;
	if (!u || !c) {
		fprintf(stderr, "bench_csv: could not build the input\n");
		return 1;
	}
	int rc = run("utf8", u, ulen) | run("cp932", c, clen);
	free(u);
	free(c);
	return rc;
}
