/*
 * xlsx.h — the spreadsheet export (XLSX via libxlsxwriter) behind `mamori
 * export`. The CSV export writer (mmr_csv_bom, mmr_csv_write_bom) lives in
 * csv/csv.h and is included here so that one include gives both.
 */
#ifndef MMR_XLSX_H
#define MMR_XLSX_H

#include <stddef.h>

#include "csv/csv.h"
#include "mamori.h"

/* Excel's own limits. */
#define MMR_XLSX_MAX_ROWS 1048575 /* data rows, below the header */
#define MMR_XLSX_MAX_COLS 16384
#define MMR_XLSX_MAX_CELL_CHARS 32767

/* Write one sheet named `sheet_name` (Excel's rules: 1–31 characters, none
 * of []:*?/\, not starting or ending with ') to `path`: a bold header row of
 * ncols `headers`, then nrows rows from `cells` (row-major, nrows × ncols
 * UTF-8 strings; a NULL cell, or cells NULL, is left empty). Every cell is
 * written as text — nothing is evaluated as a formula or turned into a number
 * or date, so "0012" and "=1+1" are shown as typed. The header row is frozen
 * and carries an autofilter; each column is as wide as its widest cell (East
 * Asian wide characters count as two; at least 8, at most 80).
 *
 * Everything is checked before the file is touched: UTF-8 validity, cell
 * length, sheet name, Excel's row and column limits. The workbook is written
 * to PATH.partial and renamed to PATH only when complete, so a failure
 * leaves no half-written PATH. The file is created readable and writable by
 * its owner only (0600): exports carry classified information.
 *
 * MMR_OK; MMR_EINVAL (NULL arguments, ncols 0, bad sheet name, invalid UTF-8
 * naming the row and column, a cell over 32767 characters); MMR_ELIMIT (more
 * rows or columns than Excel has); MMR_EIO (the file could not be written);
 * MMR_ENOMEM. */
int mmr_xlsx_write_table(const char *path, const char *sheet_name, size_t ncols,
			 const char *const *headers, size_t nrows, const char *const *cells,
			 mmr_error *err);

#endif
