/*
 * wareki.c — 和暦 formatting and the fiscal year; civil-date arithmetic by
 * day numbers (H. Hinnant's days_from_civil), independent of libc time zones.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "util/wareki.h"

#define FIRST_YEAR 1873 /* Gregorian calendar in Japan from 明治6年1月1日 */
#define LAST_YEAR 9999

static const struct era {
	const char *name;
	int y, m, d; /* first day */
} eras[] = {
	{"令和", 2019, 5, 1},  {"平成", 1989, 1, 8},   {"昭和", 1926, 12, 25},
	{"大正", 1912, 7, 30}, {"明治", 1868, 10, 23},
};

static bool leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_date(int y, int m, int d)
{
	static const int mdays[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	if (y < FIRST_YEAR || y > LAST_YEAR || m < 1 || m > 12 || d < 1)
		return false;
	return d <= mdays[m - 1] + (m == 2 && leap(y));
}

static int64_t days_from_civil(int64_t y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

int mmr_wareki_era(int year, int month, int day, const char **era, int *era_year)
{
	if (!valid_date(year, month, day))
		return MMR_EINVAL;
	for (size_t i = 0; i < sizeof(eras) / sizeof(eras[0]); i++) {
		const struct era *e = &eras[i];
		if (year > e->y ||
		    (year == e->y && (month > e->m || (month == e->m && day >= e->d)))) {
			*era = e->name;
			*era_year = year - e->y + 1;
			return MMR_OK;
		}
	}
	return MMR_EINVAL; /* unreachable: FIRST_YEAR is in 明治 */
}

/* "令和8年" / "令和元年" into buf. */
static int era_year_text(const char *era, int ey, char *buf, size_t n)
{
	int w = ey == 1 ? snprintf(buf, n, "%s元年", era) : snprintf(buf, n, "%s%d年", era, ey);
	return w < 0 || (size_t)w >= n ? MMR_ELIMIT : MMR_OK;
}

/* Finish: w is snprintf's result for buf[0..n). */
static int done(int w, char *buf, size_t n)
{
	if (w < 0 || (size_t)w >= n) {
		if (n)
			buf[0] = '\0';
		return MMR_ELIMIT;
	}
	return MMR_OK;
}

static int fail(int code, char *buf, size_t n)
{
	if (buf && n)
		buf[0] = '\0';
	return code;
}

int mmr_wareki_format(int year, int month, int day, char *buf, size_t n)
{
	const char *era;
	int ey;
	char eys[32];
	if (!buf)
		return MMR_EINVAL;
	if (mmr_wareki_era(year, month, day, &era, &ey) != MMR_OK)
		return fail(MMR_EINVAL, buf, n);
	era_year_text(era, ey, eys, sizeof(eys));
	return done(
		snprintf(buf, n, "%s%d月%d日（%d年%d月%d日）", eys, month, day, year, month, day),
		buf, n);
}

/* Read exactly `digits` decimal digits at *p into *v. */
static bool digits_at(const char **p, int digits, int *v)
{
	int x = 0;
	for (int i = 0; i < digits; i++) {
		char c = (*p)[i];
		if (c < '0' || c > '9')
			return false;
		x = x * 10 + (c - '0');
	}
	*p += digits;
	*v = x;
	return true;
}

int mmr_wareki_format_iso(const char *s, int tz_offset_minutes, char *buf, size_t n)
{
	if (!buf)
		return MMR_EINVAL;
	if (!s || tz_offset_minutes < -1440 || tz_offset_minutes > 1440)
		return fail(MMR_EINVAL, buf, n);
	const char *p = s;
	int y, mo, d, h = 0, mi = 0, sec = 0;
	if (!digits_at(&p, 4, &y) || *p++ != '-' || !digits_at(&p, 2, &mo) || *p++ != '-' ||
	    !digits_at(&p, 2, &d))
		return fail(MMR_EINVAL, buf, n);
	if (!valid_date(y, mo, d))
		return fail(MMR_EINVAL, buf, n);
	const char *era;
	int ey;
	char eys[32];
	if (*p == '\0') {
		mmr_wareki_era(y, mo, d, &era, &ey);
		era_year_text(era, ey, eys, sizeof(eys));
		return done(snprintf(buf, n, "%s%d月%d日（%04d-%02d-%02d）", eys, mo, d, y, mo, d),
			    buf, n);
	}
	if ((*p != 'T' && *p != ' ') || (p++, !digits_at(&p, 2, &h)) || *p++ != ':' ||
	    !digits_at(&p, 2, &mi))
		return fail(MMR_EINVAL, buf, n);
	if (*p == ':') {
		p++;
		if (!digits_at(&p, 2, &sec))
			return fail(MMR_EINVAL, buf, n);
		if (*p == '.' || *p == ',') {
			p++;
			int k = 0;
			while (*p >= '0' && *p <= '9' && k < 9) {
				p++;
				k++;
			}
			if (!k || (*p >= '0' && *p <= '9'))
				return fail(MMR_EINVAL, buf, n);
		}
	}
	if (h > 23 || mi > 59 || sec > 60) /* 60: a leap second */
		return fail(MMR_EINVAL, buf, n);
	int zone = 0; /* minutes east of UTC of the text */
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		int sign = *p++ == '-' ? -1 : 1, zh, zm;
		if (!digits_at(&p, 2, &zh))
			return fail(MMR_EINVAL, buf, n);
		if (*p == ':')
			p++;
		if (!digits_at(&p, 2, &zm) || zh > 23 || zm > 59)
			return fail(MMR_EINVAL, buf, n);
		zone = sign * (zh * 60 + zm);
	}
	if (*p != '\0')
		return fail(MMR_EINVAL, buf, n);

	int64_t minutes = days_from_civil(y, mo, d) * 1440 + h * 60 + mi - zone + tz_offset_minutes;
	int64_t days = minutes >= 0 ? minutes / 1440 : -((-minutes + 1439) / 1440);
	int64_t rest = minutes - days * 1440;
	civil_from_days(days, &y, &mo, &d);
	h = (int)(rest / 60);
	mi = (int)(rest % 60);
	if (mmr_wareki_era(y, mo, d, &era, &ey) != MMR_OK)
		return fail(MMR_EINVAL, buf, n);
	era_year_text(era, ey, eys, sizeof(eys));
	return done(snprintf(buf, n, "%s%d月%d日 %d時%02d分（%04d-%02d-%02d %02d:%02d）", eys, mo,
			     d, h, mi, y, mo, d, h, mi),
		    buf, n);
}

const char *mmr_wareki_fiscal_year_label(int year, int month, char *buf, size_t n)
{
	if (!buf || month < 1 || month > 12 || year < 1 || year > LAST_YEAR)
		return NULL;
	int fy = month >= 4 ? year : year - 1;
	if (fy < 1886 || fy > LAST_YEAR)
		return NULL;
	const char *era;
	int ey;
	if (mmr_wareki_era(fy, 12, 31, &era, &ey) != MMR_OK)
		return NULL;
	char eys[32];
	era_year_text(era, ey, eys, sizeof(eys));
	int w = snprintf(buf, n, "%s度", eys);
	if (w < 0 || (size_t)w >= n) {
		if (n)
			buf[0] = '\0';
		return NULL;
	}
	return buf;
}
