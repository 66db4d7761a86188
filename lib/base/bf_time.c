#include "base/bf_time.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

/* Howard Hinnant's days_from_civil / civil_from_days. */
int32_t bf_date_from_ymd(int y, int m, int d)
{
	y -= m <= 2;
	int era = (y >= 0 ? y : y - 399) / 400;
	unsigned yoe = (unsigned)(y - era * 400);
	unsigned doy = (unsigned)((153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1);
	unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return (int32_t)(era * 146097 + (int)doe - 719468);
}

void bf_date_to_ymd(int32_t z, int *y, int *m, int *d)
{
	z += 719468;
	int era = (z >= 0 ? z : z - 146096) / 146097;
	unsigned doe = (unsigned)(z - era * 146097);
	unsigned yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int yy = (int)yoe + era * 400;
	unsigned doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	unsigned mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = yy + (*m <= 2);
}

int bf_is_leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

int bf_days_in_month(int y, int m)
{
	static const unsigned char mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	return mdays[m - 1] + (m == 2 && bf_is_leap(y));
}

static int digits(const char *s, unsigned n, int *out)
{
	int v = 0;
	for (unsigned i = 0; i < n; i++) {
		if (s[i] < '0' || s[i] > '9')
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	*out = v;
	return 0;
}

int bf_date_parsen(const char *s, unsigned len, int32_t *days)
{
	int y, m, d;
	if (len == 10 && s[4] == '-' && s[7] == '-') {
		if (digits(s, 4, &y) || digits(s + 5, 2, &m) || digits(s + 8, 2, &d))
			return -1;
	} else if (len == 8) {
		if (digits(s, 4, &y) || digits(s + 4, 2, &m) || digits(s + 6, 2, &d))
			return -1;
	} else {
		return -1;
	}
	if (y < 1900 || m < 1 || m > 12 || d < 1 || d > bf_days_in_month(y, m))
		return -1; /* 2024-02-30 */
	*days = bf_date_from_ymd(y, m, d);
	return 0;
}

int bf_date_parse(const char *s, int32_t *days)
{
	return bf_date_parsen(s, (unsigned)strlen(s), days);
}

static void put_digits(char *o, unsigned v, int n)
{
	for (int i = n - 1; i >= 0; i--) {
		o[i] = (char)('0' + v % 10);
		v /= 10;
	}
}

void bf_date_iso(int32_t days, char out[11])
{
	int y, m, d;
	bf_date_to_ymd(days, &y, &m, &d);
	put_digits(out, (unsigned)y, 4);
	out[4] = '-';
	put_digits(out + 5, (unsigned)m, 2);
	out[7] = '-';
	put_digits(out + 8, (unsigned)d, 2);
	out[10] = '\0';
}

void bf_date_compact(int32_t days, char out[9])
{
	int y, m, d;
	bf_date_to_ymd(days, &y, &m, &d);
	put_digits(out, (unsigned)y, 4);
	put_digits(out + 4, (unsigned)m, 2);
	put_digits(out + 6, (unsigned)d, 2);
	out[8] = '\0';
}

int bf_date_weekday(int32_t days)
{
	/* 1970-01-01 was a Thursday (4) */
	int w = (int)((days % 7 + 7 + 3) % 7);
	return w + 1;
}

int32_t bf_date_today(void)
{
	time_t t = time(NULL);
	struct tm tm;
	localtime_r(&t, &tm);
	return bf_date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void bf_time_rfc3339(int64_t unix_seconds, char out[21])
{
	time_t t = (time_t)unix_seconds;
	struct tm tm;
	gmtime_r(&t, &tm);
	strftime(out, 21, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

void bf_now_rfc3339(char out[21])
{
	bf_time_rfc3339((int64_t)time(NULL), out);
}

int64_t bf_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
