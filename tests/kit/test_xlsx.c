/*
 * test_xlsx.c — src/util/xlsx: a table with Japanese text written, then the
 * file opened with libzip and its sheet parsed with libxml2: every string in
 * its cell as text, the bold header, autofilter, frozen header row, column
 * widths counting wide characters as two; refused input leaves no file.
 */
#include <libxml/parser.h>
#include <libxml/tree.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>
#include <cmocka.h>

#include "util/xlsx.h"

static char dir[256];

static const char *path_in(const char *name)
{
	static char p[2][512];
	static int k;
	char *b = p[k++ % 2];
	snprintf(b, sizeof(p[0]), "%s/%s", dir, name);
	return b;
}

static int exists(const char *p)
{
	struct stat st;
	return stat(p, &st) == 0;
}

/* The member `name` of zip file `path`, parsed. */
static xmlDoc *member(const char *path, const char *name)
{
	int ze;
	zip_t *z = zip_open(path, ZIP_RDONLY, &ze);
	assert_non_null(z);
	zip_stat_t st;
	assert_int_equal(zip_stat(z, name, 0, &st), 0);
	char *buf = malloc(st.size + 1);
	zip_file_t *f = zip_fopen(z, name, 0);
	assert_non_null(f);
	assert_int_equal(zip_fread(f, buf, st.size), (zip_int64_t)st.size);
	zip_fclose(f);
	zip_close(z);
	xmlDoc *doc = xmlReadMemory(buf, (int)st.size, name, NULL, XML_PARSE_NONET);
	free(buf);
	assert_non_null(doc);
	return doc;
}

static xmlNode *child(xmlNode *n, const char *name)
{
	for (xmlNode *c = n ? n->children : NULL; c; c = c->next)
		if (c->type == XML_ELEMENT_NODE && !strcmp((const char *)c->name, name))
			return c;
	return NULL;
}

static char *prop(xmlNode *n, const char *name)
{
	return (char *)xmlGetProp(n, (const xmlChar *)name);
}

static void prop_is(xmlNode *n, const char *name, const char *want)
{
	char *v = prop(n, name);
	if (!v || strcmp(v, want))
		fail_msg("%s=\"%s\", want \"%s\"", name, v ? v : "(none)", want);
	xmlFree(v);
}

/* The text of cell `ref` ("B3") in the sheet, and whether it has a style. */
static char *cell(xmlNode *sheet_data, const char *ref, int *styled)
{
	for (xmlNode *row = sheet_data->children; row; row = row->next)
		for (xmlNode *c = row->children; c; c = c->next) {
			char *r = prop(c, "r");
			int hit = r && !strcmp(r, ref);
			xmlFree(r);
			if (!hit)
				continue;
			char *t = prop(c, "t");
			assert_string_equal(t, "inlineStr");
			xmlFree(t);
			char *s = prop(c, "s");
			*styled = s && strcmp(s, "0");
			xmlFree(s);
			xmlNode *tn = child(child(c, "is"), "t");
			assert_non_null(tn);
			return (char *)xmlNodeGetContent(tn);
		}
	return NULL;
}

static void cell_is(xmlNode *sd, const char *ref, const char *want, int want_styled)
{
	int styled = -1;
	char *got = cell(sd, ref, &styled);
	if (!want) {
		if (got)
			fail_msg("%s: \"%s\", want empty", ref, got);
		return;
	}
	if (!got || strcmp(got, want))
		fail_msg("%s: \"%s\", want \"%s\"", ref, got ? got : "(none)", want);
	assert_int_equal(styled, want_styled);
	xmlFree(got);
}

static double col_width(xmlNode *ws, int col)
{
	for (xmlNode *c = child(ws, "cols")->children; c; c = c->next) {
		char *min = prop(c, "min"), *w = prop(c, "width");
		int hit = atoi(min) == col;
		double v = strtod(w, NULL);
		xmlFree(min);
		xmlFree(w);
		if (hit)
			return v;
	}
	fail_msg("no width for column %d", col);
	return 0;
}

static void japanese_table(void **state)
{
	(void)state;
	const char *headers[] = {"資産名", "機密性", "備考", "ID"};
	char longtext[400] = "";
	for (int i = 0; i < 100; i++)
		strcat(longtext, "長");
	const char *cells[] = {
		"住民基本台帳データ", "3A", NULL,     "0012", "=1+1", "2", "<&>\"'", "-5",
		"髙﨑 ①㈱",	      "",   longtext, "abc",
	};
	char p[512];
	snprintf(p, sizeof(p), "%s", path_in("台帳.xlsx"));
	mmr_error err = {0};
	int rc = mmr_xlsx_write_table(p, "情報資産台帳", 4, headers, 3, cells, &err);
	if (rc != MMR_OK)
		fail_msg("%s", err.message);
	assert_false(exists(path_in("台帳.xlsx.partial")));
	struct stat fst;
	assert_int_equal(stat(p, &fst), 0);
	assert_int_equal(fst.st_mode & 0777, 0600);

	xmlDoc *wbdoc = member(p, "xl/workbook.xml");
	xmlNode *sheet = child(child(xmlDocGetRootElement(wbdoc), "sheets"), "sheet");
	prop_is(sheet, "name", "情報資産台帳");
	xmlFreeDoc(wbdoc);

	xmlDoc *doc = member(p, "xl/worksheets/sheet1.xml");
	xmlNode *ws = xmlDocGetRootElement(doc);
	xmlNode *sd = child(ws, "sheetData");
	assert_non_null(sd);
	cell_is(sd, "A1", "資産名", 1);
	cell_is(sd, "B1", "機密性", 1);
	cell_is(sd, "C1", "備考", 1);
	cell_is(sd, "D1", "ID", 1);
	cell_is(sd, "A2", "住民基本台帳データ", 0);
	cell_is(sd, "B2", "3A", 0);
	cell_is(sd, "C2", NULL, 0);
	cell_is(sd, "D2", "0012", 0); /* text: the leading zeros stay */
	cell_is(sd, "A3", "=1+1", 0); /* text, not a formula */
	cell_is(sd, "C3", "<&>\"'", 0);
	cell_is(sd, "D3", "-5", 0);
	cell_is(sd, "A4", "髙﨑 ①㈱", 0);
	cell_is(sd, "B4", NULL, 0);
	cell_is(sd, "C4", longtext, 0);
	/* no formula element anywhere */
	for (xmlNode *row = sd->children; row; row = row->next)
		for (xmlNode *c = row->children; c; c = c->next)
			assert_null(child(c, "f"));

	prop_is(child(ws, "autoFilter"), "ref", "A1:D4");
	xmlNode *pane = child(child(child(ws, "sheetViews"), "sheetView"), "pane");
	assert_non_null(pane);
	prop_is(pane, "ySplit", "1");
	prop_is(pane, "state", "frozen");
	prop_is(pane, "topLeftCell", "A2");

	/* widths: 住民基本台帳データ is 9 wide characters = 18, + 2 */
	double w1 = col_width(ws, 1), w2 = col_width(ws, 2), w3 = col_width(ws, 3);
	assert_true(w1 >= 20 && w1 < 21);
	assert_true(w2 >= 8 && w2 < 9);	  /* "3A", "機密性" (6): the minimum 8 */
	assert_true(w3 >= 80 && w3 < 81); /* 100 wide characters: capped at 80 */
	xmlFreeDoc(doc);

	/* the header's style is bold */
	xmlDoc *st = member(p, "xl/styles.xml");
	xmlNode *fonts = child(xmlDocGetRootElement(st), "fonts");
	int bold_fonts = 0;
	for (xmlNode *f = fonts->children; f; f = f->next)
		bold_fonts += child(f, "b") != NULL;
	assert_int_equal(bold_fonts, 1);
	xmlFreeDoc(st);
	unlink(p);
}

static void refused(void **state)
{
	(void)state;
	const char *h[] = {"a", "b"};
	const char *bad_utf8[] = {"ok", "ok", "ok", "\xff\xfe"};
	char p[512];
	snprintf(p, sizeof(p), "%s", path_in("bad.xlsx"));
	mmr_error err = {0};
	assert_int_equal(mmr_xlsx_write_table(p, "s", 2, h, 2, bad_utf8, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "3 行目 2 列目: UTF-8"));
	assert_false(exists(p));
	assert_false(exists(path_in("bad.xlsx.partial")));

	const char *bad_head[] = {"a", "\xc0\xaf"};
	assert_int_equal(mmr_xlsx_write_table(p, "s", 2, bad_head, 0, NULL, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "1 行目 2 列目"));

	static const char *names[] = {
		"",	 "a/b",
		"a[1]",	 "x:y",
		"what?", "'q",
		"q'",	 "一二三四五六七八九十一二三四五六七八九十一二三四五六七八九十一二"};
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		assert_int_equal(mmr_xlsx_write_table(p, names[i], 2, h, 0, NULL, &err),
				 MMR_EINVAL);
		assert_non_null(strstr(err.message, "シート名"));
	}
	assert_int_equal(mmr_xlsx_write_table(p, NULL, 2, h, 0, NULL, &err), MMR_EINVAL);
	assert_int_equal(mmr_xlsx_write_table(p, "s", 0, h, 0, NULL, &err), MMR_EINVAL);
	assert_int_equal(mmr_xlsx_write_table(NULL, "s", 2, h, 0, NULL, &err), MMR_EINVAL);
	assert_int_equal(mmr_xlsx_write_table(p, "s", 2, NULL, 0, NULL, &err), MMR_EINVAL);
	assert_int_equal(mmr_xlsx_write_table(p, "s", 2, h, MMR_XLSX_MAX_ROWS + 1, NULL, &err),
			 MMR_ELIMIT);
	assert_int_equal(mmr_xlsx_write_table(p, "s", MMR_XLSX_MAX_COLS + 1, h, 0, NULL, &err),
			 MMR_ELIMIT);

	/* a cell over Excel's 32767 characters */
	char *big = malloc(MMR_XLSX_MAX_CELL_CHARS + 2);
	memset(big, 'x', MMR_XLSX_MAX_CELL_CHARS + 1);
	big[MMR_XLSX_MAX_CELL_CHARS + 1] = '\0';
	const char *bigrow[] = {big, "y"};
	assert_int_equal(mmr_xlsx_write_table(p, "s", 2, h, 1, bigrow, &err), MMR_EINVAL);
	assert_non_null(strstr(err.message, "2 行目 1 列目: セルの文字列が長すぎます"));
	big[MMR_XLSX_MAX_CELL_CHARS] = '\0';
	assert_int_equal(mmr_xlsx_write_table(p, "s", 2, h, 1, bigrow, &err), MMR_OK);
	free(big);
	assert_true(exists(p));
	unlink(p);
	assert_false(exists(p));

	/* a directory that does not exist: EIO, nothing left behind */
	char nowhere[512];
	snprintf(nowhere, sizeof(nowhere), "%s", path_in("no/such/dir/x.xlsx"));
	assert_int_equal(mmr_xlsx_write_table(nowhere, "s", 2, h, 0, NULL, &err), MMR_EIO);
	assert_false(exists(nowhere));
	assert_false(exists(path_in("no/such/dir/x.xlsx.partial")));

	/* cells NULL: the header alone */
	assert_int_equal(mmr_xlsx_write_table(p, "見出しのみ", 2, h, 0, NULL, &err), MMR_OK);
	xmlDoc *doc = member(p, "xl/worksheets/sheet1.xml");
	prop_is(child(xmlDocGetRootElement(doc), "autoFilter"), "ref", "A1:B1");
	xmlFreeDoc(doc);
	unlink(p);
}

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "%s/mmr-xlsx-XXXXXX",
		 getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	return rmdir(dir);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(japanese_table),
		cmocka_unit_test(refused),
	};
	int rc = cmocka_run_group_tests(tests, setup, teardown);
	xmlCleanupParser();
	return rc;
}
