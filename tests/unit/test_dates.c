/* Unit tests for bf_time (parsing, validation, conversions, weekdays) and bf_datesel
 * (the date selection every tool shares). TAP. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/bf_datesel.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"

#include "tap.h"

static int32_t D(const char *s)
{
	int32_t d = BF_DATE_NONE;
	if (bf_date_parse(s, &d))
		diag("test bug: bad date %s", s);
	return d;
}

static void parse_bad(const char *s)
{
	int32_t d = 777;
	ok(bf_date_parse(s, &d) == -1 && d == 777, "refused: \"%s\"", s);
}

/* Resolves a selection built from options; returns the dates as "a,b,c". */
static int sel(const char *const *opts, int32_t lo, int32_t hi, char *out, size_t outsz,
	       struct bf_err *err)
{
	struct bf_datesel s;
	bf_datesel_init(&s);
	int rc = 0;
	for (size_t i = 0; opts[i] && !rc; i += 2)
		rc = bf_datesel_option(&s, opts[i], opts[i + 1] ? opts[i + 1] : "", err);
	if (!rc)
		rc = bf_datesel_validate(&s, err);
	out[0] = '\0';
	if (!rc) {
		int32_t *d;
		size_t n = bf_datesel_resolve(&s, lo, hi, &d);
		size_t o = 0;
		for (size_t i = 0; i < n; i++) {
			char iso[11];
			bf_date_iso(d[i], iso);
			o += (size_t)snprintf(out + o, outsz - o, "%s%s", i ? "," : "", iso);
		}
		free(d);
	}
	bf_datesel_free(&s);
	return rc;
}

int main(void)
{
	int32_t d;
	ok(bf_date_parse("1970-01-01", &d) == 0 && d == 0, "1970-01-01 is day 0");
	ok(bf_date_parse("19700102", &d) == 0 && d == 1, "compact form");
	ok(bf_date_parse("2024-04-04", &d) == 0 && d == 19817, "2024-04-04 is day 19817");
	ok(bf_date_parse("1969-12-31", &d) == 0 && d == -1, "dates before 1970 are negative");
	ok(bf_date_parse("2024-02-29", &d) == 0, "leap day 2024");
	ok(bf_date_parse("2000-02-29", &d) == 0, "leap day 2000 (divisible by 400)");
	parse_bad("1900-02-29");
	parse_bad("2023-02-29");
	parse_bad("2024-02-30");
	parse_bad("2024-04-31");
	parse_bad("2024-13-01");
	parse_bad("2024-00-10");
	parse_bad("2024-01-00");
	parse_bad("2024-01-32");
	parse_bad("2024-1-01");
	parse_bad("2024/01/01");
	parse_bad("20240101 ");
	parse_bad(" 20240101");
	parse_bad("2024-01-01T00:00:00Z");
	parse_bad("202401011");
	parse_bad("2024011");
	parse_bad("");
	parse_bad("abcd-ef-gh");
	parse_bad("2024-+1-01");
	parse_bad("1899-12-31");
	ok(bf_date_parsen("2024-04-04xyz", 10, &d) == 0 && d == 19817, "parsen stops at len");
	ok(bf_date_parsen("20240404", 7, &d) == -1, "parsen with a short len refuses");

	/* the one calendar: leap years and its boundaries */
	ok(bf_is_leap(2000) && bf_is_leap(2024) && bf_is_leap(1600) && bf_is_leap(4),
	   "leap: 2000, 2024, 1600, 4");
	ok(!bf_is_leap(1900) && !bf_is_leap(2100) && !bf_is_leap(2023) && !bf_is_leap(1) &&
	   !bf_is_leap(9999), "not leap: 1900, 2100, 2023, 1, 9999");
	is_int(bf_days_in_month(2024, 2), 29, "February 2024 has 29 days");
	is_int(bf_days_in_month(1900, 2), 28, "February 1900 has 28 days");
	is_int(bf_days_in_month(2000, 2), 29, "February 2000 has 29 days");
	is_int(bf_days_in_month(2100, 2), 28, "February 2100 has 28 days");
	{
		static const int want[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
		int all = 1;
		for (int m = 1; m <= 12; m++)
			all &= bf_days_in_month(2023, m) == want[m - 1];
		ok(all, "the months of 2023 have 31, 28, 31, 30, ... days");
	}
	is_int(bf_date_from_ymd(1970, 1, 1), 0, "1970-01-01 is day 0");
	is_int(bf_date_from_ymd(2000, 1, 1), 10957, "2000-01-01 is day 10957 (PostgreSQL's epoch)");
	is_int(bf_date_from_ymd(2000, 3, 1) - bf_date_from_ymd(2000, 2, 28), 2, "2000 has a Feb 29");
	is_int(bf_date_from_ymd(1900, 3, 1) - bf_date_from_ymd(1900, 2, 28), 1, "1900 has no Feb 29");
	is_int(bf_date_from_ymd(2100, 3, 1) - bf_date_from_ymd(2100, 2, 28), 1, "2100 has no Feb 29");
	is_int(bf_date_from_ymd(1900, 1, 1), -25567, "1900-01-01 is day -25567");
	is_int(bf_date_from_ymd(2100, 1, 1), 47482, "2100-01-01 is day 47482");
	is_int(bf_date_from_ymd(1, 1, 1), -719162, "0001-01-01 is day -719162");
	is_int(bf_date_from_ymd(9999, 12, 31), 2932896, "9999-12-31 is day 2932896");
	is_int(bf_date_from_ymd(2024, 2, 30), bf_date_from_ymd(2024, 3, 1), "a day past the month's end counts on");
	{
		int y, m, dd;
		bf_date_to_ymd(-719162, &y, &m, &dd);
		ok(y == 1 && m == 1 && dd == 1, "day -719162 is 0001-01-01");
		bf_date_to_ymd(2932896, &y, &m, &dd);
		ok(y == 9999 && m == 12 && dd == 31, "day 2932896 is 9999-12-31");
		bf_date_to_ymd(bf_date_from_ymd(2024, 2, 29), &y, &m, &dd);
		ok(y == 2024 && m == 2 && dd == 29, "2024-02-29 round-trips");
		bf_date_to_ymd(-1, &y, &m, &dd);
		ok(y == 1969 && m == 12 && dd == 31, "day -1 is 1969-12-31");
		/* every day of years 1 to 9999 follows the one before */
		int run = 1;
		int32_t z = bf_date_from_ymd(1, 1, 1);
		for (int yy = 1; yy <= 9999 && run; yy++)
			for (int mm = 1; mm <= 12 && run; mm++)
				for (int d1 = 1; d1 <= bf_days_in_month(yy, mm) && run; d1++, z++) {
					bf_date_to_ymd(z, &y, &m, &dd);
					if (bf_date_from_ymd(yy, mm, d1) != z || y != yy || m != mm || dd != d1) {
						diag("%04d-%02d-%02d: day %d", yy, mm, d1, (int)z);
						run = 0;
					}
				}
		ok(run, "0001-01-01..9999-12-31: each day is the one before plus 1, both ways");
	}
	parse_bad("2100-02-29");
	ok(bf_date_parse("9999-12-31", &d) == 0 && d == 2932896, "9999-12-31 parses");
	ok(bf_date_parse("1900-01-01", &d) == 0 && d == -25567, "1900-01-01 parses (the earliest)");

	/* conversions round-trip over a wide range, and consecutive days are consecutive */
	int rt = 1, prev_y = 0, prev_m = 0, prev_d = 0;
	for (int32_t z = bf_date_from_ymd(1900, 1, 1); z <= bf_date_from_ymd(2200, 12, 31) && rt; z++) {
		int y, m, dd;
		char iso[11], compact[9];
		int32_t back;
		bf_date_to_ymd(z, &y, &m, &dd);
		bf_date_iso(z, iso);
		bf_date_compact(z, compact);
		if (bf_date_from_ymd(y, m, dd) != z || bf_date_parse(iso, &back) || back != z ||
		    bf_date_parse(compact, &back) || back != z || strlen(iso) != 10 || strlen(compact) != 8)
			rt = 0;
		if (prev_y && !(dd == prev_d + 1 || (dd == 1 && (m == prev_m + 1 || (m == 1 && y == prev_y + 1)))))
			rt = 0;
		if (!rt)
			diag("day %d: %s", (int)z, iso);
		prev_y = y; prev_m = m; prev_d = dd;
	}
	ok(rt, "every day 1900..2200 round-trips through ymd, ISO and compact text");
	{
		char iso[11], compact[9];
		bf_date_iso(D("2024-04-04"), iso);
		bf_date_compact(D("2024-04-04"), compact);
		is_str(iso, "2024-04-04", "iso text");
		is_str(compact, "20240404", "compact text");
	}

	/* weekdays, against timegm/gmtime as an independent reference */
	is_int(bf_date_weekday(D("1970-01-01")), 4, "1970-01-01 was a Thursday");
	is_int(bf_date_weekday(D("2024-04-04")), 4, "2024-04-04 was a Thursday");
	is_int(bf_date_weekday(D("2024-04-07")), 7, "2024-04-07 was a Sunday (7)");
	is_int(bf_date_weekday(D("2024-04-08")), 1, "2024-04-08 was a Monday (1)");
	is_int(bf_date_weekday(D("1969-12-29")), 1, "1969-12-29 (before day 0) was a Monday");
	int wk = 1;
	for (int32_t z = D("1950-01-01"); z < D("2100-01-01") && wk; z += 3) {
		time_t t = (time_t)z * 86400;
		struct tm tm;
		gmtime_r(&t, &tm);
		int want = tm.tm_wday == 0 ? 7 : tm.tm_wday;
		int y, m, dd;
		bf_date_to_ymd(z, &y, &m, &dd);
		if (bf_date_weekday(z) != want || y != tm.tm_year + 1900 || m != tm.tm_mon + 1 || dd != tm.tm_mday) {
			diag("day %d", (int)z);
			wk = 0;
		}
	}
	ok(wk, "weekday and ymd agree with gmtime from 1950 to 2100");

	/* time */
	{
		char s[21];
		bf_time_rfc3339(0, s);
		is_str(s, "1970-01-01T00:00:00Z", "rfc3339 of 0");
		bf_time_rfc3339(1712282400, s);
		is_str(s, "2024-04-05T02:00:00Z", "rfc3339 of a known time");
		bf_now_rfc3339(s);
		ok(strlen(s) == 20 && s[10] == 'T' && s[19] == 'Z', "now is RFC 3339 UTC (%s)", s);
		int64_t a = bf_mono_ms(), b = bf_mono_ms();
		ok(b >= a, "monotonic clock does not go back");
		int32_t today = bf_date_today();
		ok(today > D("2020-01-01") && today < D("2200-01-01"), "today is plausible");
	}

	/* datesel */
	char out[4096];
	struct bf_err err = { 0 };
	{
		const char *o[] = { "date", "20240404", NULL };
		ok(sel(o, BF_DATE_NONE, BF_DATE_NONE, out, sizeof out, &err) == 0 &&
		   !strcmp(out, "2024-04-04"), "--date YYYYMMDD");
	}
	{
		const char *o[] = { "dates", "2024-04-05,20240403 2024-04-05\t2024-04-04", NULL };
		ok(sel(o, BF_DATE_NONE, BF_DATE_NONE, out, sizeof out, &err) == 0 &&
		   !strcmp(out, "2024-04-03,2024-04-04,2024-04-05"),
		   "--dates: commas and blanks, sorted, duplicates dropped (%s)", out);
	}
	{
		const char *o[] = { "start-date", "2024-02-27", "end-date", "20240302", NULL };
		ok(sel(o, BF_DATE_NONE, BF_DATE_NONE, out, sizeof out, &err) == 0 &&
		   !strcmp(out, "2024-02-27,2024-02-28,2024-02-29,2024-03-01,2024-03-02"),
		   "a range is inclusive and crosses a leap day (%s)", out);
	}
	{
		const char *o[] = { "start-date", "2024-01-01", "end-date", "2024-01-01", NULL };
		ok(sel(o, BF_DATE_NONE, BF_DATE_NONE, out, sizeof out, &err) == 0 &&
		   !strcmp(out, "2024-01-01"), "a one-day range");
	}
	{
		const char *o[] = { "all", NULL, NULL };
		ok(sel(o, D("2024-12-30"), D("2025-01-02"), out, sizeof out, &err) == 0 &&
		   !strcmp(out, "2024-12-30,2024-12-31,2025-01-01,2025-01-02"),
		   "--all: every date from the earliest found to the latest (%s)", out);
		ok(sel(o, BF_DATE_NONE, BF_DATE_NONE, out, sizeof out, &err) == 0 && out[0] == '\0',
		   "--all with nothing found selects nothing");
	}
	struct { const char *desc; const char *o[8]; } bad[] = {
		{ "nothing selected", { NULL } },
		{ "--date and --all", { "date", "2024-04-04", "all", NULL, NULL } },
		{ "--date and a range", { "date", "2024-04-04", "start-date", "2024-04-01", "end-date", "2024-04-05", NULL } },
		{ "--all and a range", { "all", NULL, "start-date", "2024-04-01", "end-date", "2024-04-05", NULL } },
		{ "--start-date alone", { "start-date", "2024-04-01", NULL } },
		{ "--end-date alone", { "end-date", "2024-04-01", NULL } },
		{ "end before start", { "start-date", "2024-04-02", "end-date", "2024-04-01", NULL } },
		{ "--date with two dates", { "date", "2024-04-01,2024-04-02", NULL } },
		{ "--date not a date", { "date", "2024-02-30", NULL } },
		{ "--dates with a bad one", { "dates", "2024-04-01,yesterday", NULL } },
		{ "--dates with none", { "dates", " , ", NULL } },
		{ "--date empty", { "date", "", NULL } },
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		memset(&err, 0, sizeof err);
		int rc = sel(bad[i].o, BF_DATE_NONE, BF_DATE_NONE, out, sizeof out, &err);
		ok(rc == BF_EUSAGE && err.code == BF_EUSAGE && err.msg[0], "usage error: %s (%s)",
		   bad[i].desc, err.msg);
	}
	{
		struct bf_datesel s;
		bf_datesel_init(&s);
		ok(bf_datesel_option(&s, "nope", "x", &err) == -1, "an unknown option name is not taken");
		char *argv[] = { "2024-04-04" };
		ok(bf_datesel_args(&s, 1, argv, &err) == BF_EUSAGE, "a stray argument without --dates is refused");
		bf_datesel_option(&s, "dates", "2024-04-01", &err);
		char *argv2[] = { "2024-04-03", "20240402" };
		ok(bf_datesel_args(&s, 2, argv2, &err) == 0 && s.n == 3, "arguments after --dates join it");
		int32_t *dd;
		size_t n = bf_datesel_resolve(&s, BF_DATE_NONE, BF_DATE_NONE, &dd);
		ok(n == 3 && dd[0] == D("2024-04-01") && dd[2] == D("2024-04-03"), "and are sorted");
		free(dd);
		bf_datesel_free(&s);
		bf_datesel_free(&s);
	}
	{
		/* a long range (the benchmark's 432 days) */
		const char *o[] = { "start-date", "2023-01-01", "end-date", "2024-03-07", NULL };
		struct bf_datesel s;
		bf_datesel_init(&s);
		for (int i = 0; o[i]; i += 2)
			bf_datesel_option(&s, o[i], o[i + 1], &err);
		int32_t *dd;
		size_t n = bf_datesel_resolve(&s, BF_DATE_NONE, BF_DATE_NONE, &dd);
		int consecutive = n == 432;
		for (size_t i = 1; i < n; i++)
			consecutive &= dd[i] == dd[i - 1] + 1;
		ok(consecutive, "2023-01-01..2024-03-07 is 432 consecutive days (%zu)", n);
		free(dd);
		bf_datesel_free(&s);
	}
	return done_testing();
}
