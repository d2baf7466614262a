/*
 * wareki.h — dates as city hall writes them: 和暦 (Japanese era) with the
 * Western date beside it, and the fiscal year (年度, April to March).
 *
 * Range: 1873-01-01 (明治6年, the day Japan adopted the Gregorian calendar)
 * to 9999-12-31. Before 1873 official dates were lunisolar (天保暦), so a
 * Gregorian date cannot be turned into the 明治 date people wrote without
 * a calendar table; such dates are refused rather than printed wrong.
 * Eras begin on the days they officially did: 大正 1912-07-30, 昭和
 * 1926-12-25, 平成 1989-01-08, 令和 2019-05-01 (明治 began 1868-10-23,
 * before the range). The first year of an era is written 元年.
 * Pure, thread-safe; no locale or time zone of the process is used.
 */
#ifndef MMR_WAREKI_H
#define MMR_WAREKI_H

#include <stddef.h>

#include "mamori.h"

/* The era of a valid date in range: *era ("令和", static) and *era_year
 * (1 = 元年). MMR_OK or MMR_EINVAL (invalid date such as 2026-02-30 or month
 * 13, or outside the range). */
int mmr_wareki_era(int year, int month, int day, const char **era, int *era_year);

/* "令和8年11月22日（2026年11月22日）", "令和元年5月1日（2019年5月1日）" into
 * buf (n bytes, NUL-terminated). MMR_OK; MMR_EINVAL for an invalid or
 * out-of-range date; MMR_ELIMIT when buf is too small (48 bytes always
 * suffice). On error buf holds "" (when n > 0). */
int mmr_wareki_format(int year, int month, int day, char *buf, size_t n);

/* A stored timestamp shown at a time zone: `iso8601_utc` is
 * "YYYY-MM-DD", or "YYYY-MM-DDTHH:MM[:SS[.fraction]]" with 'T' or a space,
 * then "Z", "+HH:MM", "-HH:MM", "+HHMM" or nothing (= UTC; SQLite's
 * datetime() form). The time is moved to UTC+tz_offset_minutes (JST: +540;
 * -1440…1440) and shown as "令和8年11月22日 22時05分（2026-11-22 22:05）"
 * (seconds dropped, not rounded). A date without a time is shown as the
 * date it names, not moved: "令和8年11月22日（2026-11-22）".
 * MMR_OK; MMR_EINVAL for anything else (bad syntax, invalid date or time,
 * offset out of range, a result outside the range); MMR_ELIMIT when buf is
 * too small (64 bytes always suffice). On error buf holds "" (when n > 0). */
int mmr_wareki_format_iso(const char *iso8601_utc, int tz_offset_minutes, char *buf, size_t n);

/* The Japanese fiscal year (April to March) holding the given month, as
 * "令和8年度" (2026-04 … 2027-03), "令和元年度" (2019-04 … 2020-03). The era
 * is the one in effect at the end of the fiscal year's first calendar year
 * (so 2019-04 is 令和元年度, as the government named it, and 1988-04 昭和63
 * 年度); for 1912 and 1926 this gives 大正元年度 and 昭和元年度, where old
 * budgets also say 明治45年度 and 大正15年度. April fiscal years began in
 * 1886 (明治19年度); earlier, and month outside 1…12, give NULL. Returns
 * buf, or NULL (also when buf is too small; 24 bytes always suffice). */
const char *mmr_wareki_fiscal_year_label(int year, int month, char *buf, size_t n);

#endif
