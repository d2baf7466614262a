/*
 * test_wareki.c — src/util/wareki: each era boundary (the day before and the
 * first day), 元年, the 1873 floor, bad dates, buffer sizes, ISO timestamps
 * moved to JST across midnight, year end and an era change, and fiscal years.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "util/wareki.h"

static void date_is(int y, int m, int d, const char *want)
{
	char buf[64];
	int rc = mmr_wareki_format(y, m, d, buf, sizeof(buf));
	if (rc != MMR_OK)
		fail_msg("%04d-%02d-%02d: rc %d", y, m, d, rc);
	if (strcmp(buf, want))
		fail_msg("%04d-%02d-%02d: got %s, want %s", y, m, d, buf, want);
}

static void date_bad(int y, int m, int d)
{
	char buf[64] = "x";
	if (mmr_wareki_format(y, m, d, buf, sizeof(buf)) != MMR_EINVAL)
		fail_msg("%04d-%02d-%02d accepted: %s", y, m, d, buf);
	assert_string_equal(buf, "");
}

static void era_boundaries(void **state)
{
	(void)state;
	date_is(2026, 11, 22, "令和8年11月22日（2026年11月22日）");
	date_is(1873, 1, 1, "明治6年1月1日（1873年1月1日）");
	date_is(1912, 7, 29, "明治45年7月29日（1912年7月29日）");
	date_is(1912, 7, 30, "大正元年7月30日（1912年7月30日）");
	date_is(1913, 1, 1, "大正2年1月1日（1913年1月1日）");
	date_is(1926, 12, 24, "大正15年12月24日（1926年12月24日）");
	date_is(1926, 12, 25, "昭和元年12月25日（1926年12月25日）");
	date_is(1927, 1, 1, "昭和2年1月1日（1927年1月1日）");
	date_is(1989, 1, 7, "昭和64年1月7日（1989年1月7日）");
	date_is(1989, 1, 8, "平成元年1月8日（1989年1月8日）");
	date_is(1990, 1, 8, "平成2年1月8日（1990年1月8日）");
	date_is(2019, 4, 30, "平成31年4月30日（2019年4月30日）");
	date_is(2019, 5, 1, "令和元年5月1日（2019年5月1日）");
	date_is(2019, 12, 31, "令和元年12月31日（2019年12月31日）");
	date_is(2020, 1, 1, "令和2年1月1日（2020年1月1日）");
	date_is(9999, 12, 31, "令和7981年12月31日（9999年12月31日）");

	const char *era;
	int ey;
	assert_int_equal(mmr_wareki_era(2019, 5, 1, &era, &ey), MMR_OK);
	assert_string_equal(era, "令和");
	assert_int_equal(ey, 1);
	assert_int_equal(mmr_wareki_era(1989, 1, 7, &era, &ey), MMR_OK);
	assert_string_equal(era, "昭和");
	assert_int_equal(ey, 64);
	assert_int_equal(mmr_wareki_era(1872, 12, 31, &era, &ey), MMR_EINVAL);
}

static void bad_dates(void **state)
{
	(void)state;
	date_bad(2026, 2, 30);
	date_bad(2026, 13, 1);
	date_bad(2026, 0, 10);
	date_bad(2026, 4, 31);
	date_bad(2026, 1, 0);
	date_bad(2026, 1, 32);
	date_bad(2025, 2, 29);
	date_bad(1900, 2, 29);
	date_bad(1872, 12, 31); /* lunisolar calendar: refused, see wareki.h */
	date_bad(1868, 10, 23);
	date_bad(10000, 1, 1);
	date_bad(-1, 1, 1);
	date_is(2024, 2, 29, "令和6年2月29日（2024年2月29日）");
	date_is(2000, 2, 29, "平成12年2月29日（2000年2月29日）");
	assert_int_equal(mmr_wareki_format(2026, 1, 1, NULL, 10), MMR_EINVAL);
}

static void buffer_sizes(void **state)
{
	(void)state;
	const char *want = "令和元年5月1日（2019年5月1日）";
	size_t len = strlen(want);
	char buf[64];
	assert_int_equal(mmr_wareki_format(2019, 5, 1, buf, len + 1), MMR_OK);
	assert_string_equal(buf, want);
	memset(buf, 'x', sizeof(buf));
	assert_int_equal(mmr_wareki_format(2019, 5, 1, buf, len), MMR_ELIMIT);
	assert_string_equal(buf, "");
	assert_int_equal(mmr_wareki_format(2019, 5, 1, buf, 0), MMR_ELIMIT);
	/* the longest date fits in 48 bytes */
	assert_int_equal(mmr_wareki_format(1926, 12, 24, buf, 48), MMR_OK);
	assert_int_equal(mmr_wareki_format(9999, 12, 31, buf, 48), MMR_OK);
	assert_int_equal(mmr_wareki_format_iso("9999-12-31T23:59:59Z", 0, buf, 64), MMR_OK);
	assert_int_equal(mmr_wareki_format_iso("2026-11-22T13:05:00Z", 540, buf, 20), MMR_ELIMIT);
	assert_string_equal(buf, "");
	assert_non_null(mmr_wareki_fiscal_year_label(1926, 12, buf, 24));
	assert_null(mmr_wareki_fiscal_year_label(2026, 11, buf, 8));
}

static void iso_is(const char *in, int tz, const char *want)
{
	char buf[96];
	int rc = mmr_wareki_format_iso(in, tz, buf, sizeof(buf));
	if (rc != MMR_OK)
		fail_msg("%s @%d: rc %d", in, tz, rc);
	if (strcmp(buf, want))
		fail_msg("%s @%d: got %s, want %s", in, tz, buf, want);
}

static void iso_bad(const char *in, int tz)
{
	char buf[96] = "x";
	if (mmr_wareki_format_iso(in, tz, buf, sizeof(buf)) != MMR_EINVAL)
		fail_msg("%s @%d accepted: %s", in ? in : "(null)", tz, buf);
	assert_string_equal(buf, "");
}

static void iso_timestamps(void **state)
{
	(void)state;
	iso_is("2026-11-22T13:05:00Z", 540, "令和8年11月22日 22時05分（2026-11-22 22:05）");
	iso_is("2026-11-22", 540, "令和8年11月22日（2026-11-22）");
	iso_is("2026-11-22 13:05:00", 540, "令和8年11月22日 22時05分（2026-11-22 22:05）");
	iso_is("2026-11-22T13:05Z", 540, "令和8年11月22日 22時05分（2026-11-22 22:05）");
	iso_is("2026-11-22T13:05:59.999999Z", 540, "令和8年11月22日 22時05分（2026-11-22 22:05）");
	iso_is("2026-11-22T22:05:00+09:00", 540, "令和8年11月22日 22時05分（2026-11-22 22:05）");
	iso_is("2026-11-22T22:05:00+0900", 0, "令和8年11月22日 13時05分（2026-11-22 13:05）");
	iso_is("2026-11-22T08:05:00-05:00", 540, "令和8年11月22日 22時05分（2026-11-22 22:05）");
	iso_is("2026-11-22T13:05:00Z", 0, "令和8年11月22日 13時05分（2026-11-22 13:05）");
	/* across midnight, the year end, a leap day and the 令和 change */
	iso_is("2026-11-22T15:30:00Z", 540, "令和8年11月23日 0時30分（2026-11-23 00:30）");
	iso_is("2026-12-31T15:00:00Z", 540, "令和9年1月1日 0時00分（2027-01-01 00:00）");
	iso_is("2024-02-28T20:00:00Z", 540, "令和6年2月29日 5時00分（2024-02-29 05:00）");
	iso_is("2019-04-30T14:59:59Z", 540, "平成31年4月30日 23時59分（2019-04-30 23:59）");
	iso_is("2019-04-30T15:00:00Z", 540, "令和元年5月1日 0時00分（2019-05-01 00:00）");
	iso_is("1989-01-07T15:00:00Z", 540, "平成元年1月8日 0時00分（1989-01-08 00:00）");
	iso_is("2026-01-01T03:00:00Z", -300, "令和7年12月31日 22時00分（2025-12-31 22:00）");
	iso_is("2026-06-30T23:59:60Z", 0, "令和8年6月30日 23時59分（2026-06-30 23:59）");

	iso_bad("2026-11-22T24:00:00Z", 540);
	iso_bad("2026-11-22T13:60:00Z", 540);
	iso_bad("2026-11-22T13:05:61Z", 540);
	iso_bad("2026-02-30", 540);
	iso_bad("2026-13-01T00:00:00Z", 540);
	iso_bad("2026-11-22T13:05:00ZZ", 540);
	iso_bad("2026-11-22T13", 540);
	iso_bad("2026-11-22T13:05:00+9", 540);
	iso_bad("2026-11-22T13:05:00+09:60", 540);
	iso_bad("2026-11-22T13:05:00.Z", 540);
	iso_bad("2026-11-22T13:05:00.1234567890Z", 540);
	iso_bad("26-11-22", 540);
	iso_bad("2026-1-22", 540);
	iso_bad("2026-11-22x", 540);
	iso_bad("", 540);
	iso_bad(NULL, 540);
	iso_bad("2026-11-22T13:05:00Z", 1441);
	iso_bad("2026-11-22T13:05:00Z", -1441);
	iso_bad("1873-01-01T00:00:00+09:00", 0); /* before 1873 in UTC */
	iso_bad("9999-12-31T20:00:00Z", 540);	 /* after 9999 in JST */
}

static void fy_is(int y, int m, const char *want)
{
	char buf[32];
	const char *got = mmr_wareki_fiscal_year_label(y, m, buf, sizeof(buf));
	if (!got)
		fail_msg("%d-%02d: NULL", y, m);
	assert_ptr_equal(got, buf);
	if (strcmp(got, want))
		fail_msg("%d-%02d: got %s, want %s", y, m, got, want);
}

static void fiscal_years(void **state)
{
	(void)state;
	fy_is(2026, 11, "令和8年度");
	fy_is(2026, 4, "令和8年度");
	fy_is(2027, 3, "令和8年度");
	fy_is(2026, 3, "令和7年度");
	fy_is(2019, 4, "令和元年度");
	fy_is(2020, 3, "令和元年度");
	fy_is(2019, 3, "平成30年度");
	fy_is(1989, 4, "平成元年度");
	fy_is(1989, 3, "昭和63年度");
	fy_is(1926, 4, "昭和元年度");
	fy_is(1886, 4, "明治19年度");
	char buf[32];
	assert_null(mmr_wareki_fiscal_year_label(1886, 3, buf, sizeof(buf)));
	assert_null(mmr_wareki_fiscal_year_label(2026, 0, buf, sizeof(buf)));
	assert_null(mmr_wareki_fiscal_year_label(2026, 13, buf, sizeof(buf)));
	assert_null(mmr_wareki_fiscal_year_label(-2147483647 - 1, 1, buf, sizeof(buf)));
	assert_null(mmr_wareki_fiscal_year_label(2026, 4, NULL, 32));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(era_boundaries), cmocka_unit_test(bad_dates),
		cmocka_unit_test(buffer_sizes),	  cmocka_unit_test(iso_timestamps),
		cmocka_unit_test(fiscal_years),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
