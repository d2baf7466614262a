/*
 * xlsx.c — one-sheet table export with libxlsxwriter (constant-memory mode:
 * rows stream to a temporary file, so 100,000 assets need no more memory
 * than a few rows).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <xlsxwriter.h>

#include "util/utf8.h"
#include "util/xlsx.h"

#define MIN_WIDTH 8
#define MAX_WIDTH 80

static int set_err(mmr_error *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int set_err(mmr_error *err, int code, const char *fmt, ...)
{
	if (err) {
		err->code = code;
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(err->message, sizeof(err->message), fmt, ap);
		va_end(ap);
	}
	return code;
}

/* Display width of UTF-8 s (wide characters 2), or -1 if s is not valid
 * UTF-8; *chars is its length in code points. */
static long text_width(const char *s, size_t *chars)
{
	size_t len = strlen(s), i = 0;
	long w = 0;
	*chars = 0;
	while (i < len) {
		uint32_t cp;
		size_t l = mmr_utf8_decode(s + i, len - i, &cp);
		if (!l)
			return -1;
		w += mmr_utf8_width(cp);
		(*chars)++;
		i += l;
	}
	return w;
}

/* Check one cell and widen its column; row 0 is the header. */
static int check_cell(const char *s, size_t row, size_t col, double *width, mmr_error *err)
{
	if (!s)
		return MMR_OK;
	size_t chars;
	long w = text_width(s, &chars);
	if (w < 0)
		return set_err(
			err, MMR_EINVAL,
			"XLSX の %zu 行目 %zu 列目: UTF-8 として正しくない文字列です (EINVAL)",
			row + 1, col + 1);
	if (chars > MMR_XLSX_MAX_CELL_CHARS)
		return set_err(err, MMR_EINVAL,
			       "XLSX の %zu 行目 %zu 列目: セルの文字列が長すぎます（%d 文字まで） "
			       "(EINVAL)",
			       row + 1, col + 1, MMR_XLSX_MAX_CELL_CHARS);
	if ((double)w > *width)
		*width = (double)w;
	return MMR_OK;
}

static bool sheet_name_ok(const char *s)
{
	size_t chars;
	if (!s || !*s || text_width(s, &chars) < 0 || chars > 31)
		return false;
	if (strpbrk(s, "[]:*?/\\"))
		return false;
	size_t len = strlen(s);
	return s[0] != '\'' && s[len - 1] != '\'';
}

int mmr_xlsx_write_table(const char *path, const char *sheet_name, size_t ncols,
			 const char *const *headers, size_t nrows, const char *const *cells,
			 mmr_error *err)
{
	if (!path || !headers || ncols == 0)
		return set_err(err, MMR_EINVAL, "XLSX の出力先または見出しがありません (EINVAL)");
	if (!sheet_name_ok(sheet_name))
		return set_err(err, MMR_EINVAL,
			       "シート名「%s」は使えません（1〜31文字、[]:*?/\\ を含まず、' "
			       "で始まらず終わらない） (EINVAL)",
			       sheet_name ? sheet_name : "");
	if (ncols > MMR_XLSX_MAX_COLS)
		return set_err(err, MMR_ELIMIT,
			       "XLSX の列が多すぎます（%zu 列、上限 %d 列） (ELIMIT)", ncols,
			       MMR_XLSX_MAX_COLS);
	if (nrows > MMR_XLSX_MAX_ROWS)
		return set_err(err, MMR_ELIMIT,
			       "XLSX の行が多すぎます（%zu 行、上限 %d 行） (ELIMIT)", nrows,
			       MMR_XLSX_MAX_ROWS);

	int rc = MMR_OK;
	char *tmp = NULL;
	lxw_workbook *wb = NULL;
	double *width = calloc(ncols, sizeof(*width));
	if (!width)
		return set_err(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
	for (size_t c = 0; c < ncols && rc == MMR_OK; c++)
		rc = check_cell(headers[c], 0, c, &width[c], err);
	for (size_t r = 0; r < nrows && cells && rc == MMR_OK; r++)
		for (size_t c = 0; c < ncols && rc == MMR_OK; c++)
			rc = check_cell(cells[r * ncols + c], r + 1, c, &width[c], err);
	if (rc != MMR_OK)
		goto fail;

	size_t plen = strlen(path) + sizeof(".partial");
	tmp = malloc(plen);
	if (!tmp) {
		rc = set_err(err, MMR_ENOMEM, "メモリが足りません (ENOMEM)");
		goto fail;
	}
	snprintf(tmp, plen, "%s.partial", path);
	/* Create it here, owner-only, so that an unwritable place is reported
	 * by us (libxlsxwriter would also print to stderr). */
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0) {
		rc = set_err(err, MMR_EIO, "XLSX を書けません: %s: %s (EIO)", tmp, strerror(errno));
		free(tmp);
		tmp = NULL; /* not ours to unlink */
		goto fail;
	}
	close(fd);
	lxw_workbook_options opt = {.constant_memory = LXW_TRUE};
	wb = workbook_new_opt(tmp, &opt);
	if (!wb) {
		rc = set_err(err, MMR_ENOMEM, "XLSX ブックを作れません: %s (ENOMEM)", path);
		goto fail;
	}
	lxw_worksheet *ws = workbook_add_worksheet(wb, sheet_name);
	lxw_format *bold = workbook_add_format(wb);
	if (!ws || !bold) {
		rc = set_err(err, MMR_ENOMEM, "XLSX シートを作れません (ENOMEM)");
		goto fail;
	}
	format_set_bold(bold);
	lxw_error e = LXW_NO_ERROR;
	for (size_t c = 0; c < ncols && !e; c++) {
		double w = width[c] + 2;
		w = w < MIN_WIDTH ? MIN_WIDTH : w > MAX_WIDTH ? MAX_WIDTH : w;
		e = worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, w, NULL);
	}
	for (size_t c = 0; c < ncols && !e; c++)
		if (headers[c])
			e = worksheet_write_string(ws, 0, (lxw_col_t)c, headers[c], bold);
	for (size_t r = 0; r < nrows && cells && !e; r++)
		for (size_t c = 0; c < ncols && !e; c++) {
			const char *s = cells[r * ncols + c];
			if (s && *s)
				e = worksheet_write_string(ws, (lxw_row_t)(r + 1), (lxw_col_t)c, s,
							   NULL);
		}
	if (!e)
		e = worksheet_autofilter(ws, 0, 0, (lxw_row_t)nrows, (lxw_col_t)(ncols - 1));
	if (e) {
		rc = set_err(err, MMR_EIO, "XLSX を書けません: %s (EIO)", lxw_strerror(e));
		goto fail;
	}
	worksheet_freeze_panes(ws, 1, 0);
	e = workbook_close(wb);
	wb = NULL;
	if (e) {
		rc = set_err(err, MMR_EIO, "XLSX を書けません: %s: %s (EIO)", path,
			     lxw_strerror(e));
		goto fail;
	}
	if (rename(tmp, path) != 0) {
		rc = set_err(err, MMR_EIO, "XLSX を %s に置けません: %s (EIO)", path,
			     strerror(errno));
		goto fail;
	}
	free(tmp);
	free(width);
	return MMR_OK;

fail:
	if (wb)
		workbook_close(wb);
	if (tmp)
		unlink(tmp);
	free(tmp);
	free(width);
	return rc;
}
