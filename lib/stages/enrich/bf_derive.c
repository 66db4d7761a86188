#include "stages/enrich/bf_derive.h"

#include <ctype.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "base/bf_time.h"

/* ---- time zones ---- */

static int parse_offset(const char *s, int *off)
{
	int sign, h = 0, m = 0, nd = 0;
	if (*s != '+' && *s != '-')
		return -1;
	sign = *s++ == '-' ? -1 : 1;
	while (isdigit((unsigned char)*s) && nd < 2) {
		h = h * 10 + (*s++ - '0');
		nd++;
	}
	if (!nd)
		return -1;
	if (*s == ':')
		s++;
	if (*s) {
		if (!isdigit((unsigned char)s[0]) || !isdigit((unsigned char)s[1]) || s[2])
			return -1;
		m = (s[0] - '0') * 10 + (s[1] - '0');
	}
	if (h > 14 || m > 59)
		return -1;
	*off = sign * (h * 3600 + m * 60);
	return 0;
}

int bf_tz_parse(const char *spec, struct bf_tz *tz)
{
	memset(tz, 0, sizeof *tz);
	tz->memo_key = -1;
	if (!spec || !*spec)
		return 0;
	if (!strcmp(spec, "UTC") || !strcmp(spec, "Z") || !strcmp(spec, "utc")) {
		tz->kind = BF_TZ_FIXED;
		return 0;
	}
	if (*spec == '+' || *spec == '-') {
		tz->kind = BF_TZ_FIXED;
		return parse_offset(spec, &tz->offset_s);
	}
	/* an IANA name: it must exist, or glibc silently takes UTC */
	if (strstr(spec, "..") || *spec == '/')
		return -1;
	const char *dir = getenv("TZDIR");
	char path[512];
	struct stat sb;
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", spec);
	if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode))
		return -1;
	if (setenv("TZ", spec, 1) != 0)
		return -1;
	tzset();
	tz->kind = BF_TZ_ZONE;
	return 0;
}

/* ---- timestamps ---- */

static size_t trim(const char **s, size_t n)
{
	while (n && isspace((unsigned char)**s)) {
		(*s)++;
		n--;
	}
	while (n && isspace((unsigned char)(*s)[n - 1]))
		n--;
	return n;
}

/* Reads 1..maxd digits at *p; returns the number or -1. */
static int num(const char **p, const char *e, int maxd)
{
	int v = 0, nd = 0;
	while (*p < e && isdigit((unsigned char)**p) && nd < maxd) {
		v = v * 10 + (**p - '0');
		(*p)++;
		nd++;
	}
	return nd ? v : -1;
}

static int days_in_month(int y, int m)
{
	static const int dm[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

int bf_derive_parse_ts(const char *s, size_t n, struct bf_ts *t)
{
	n = trim(&s, n);
	const char *p = s, *e = s + n;
	int a, b, c;
	memset(t, 0, sizeof *t);
	if ((a = num(&p, e, 4)) < 0 || p >= e)
		return -1;
	if (p - s == 4 && *p == '-') {          /* YYYY-MM-DD */
		p++;
		t->y = a;
		if ((t->mo = num(&p, e, 2)) < 0 || p >= e || *p++ != '-' || (t->d = num(&p, e, 2)) < 0)
			return -1;
	} else if (*p == '/') {                  /* M/D/YY or M/D/YYYY */
		p++;
		if ((b = num(&p, e, 2)) < 0 || p >= e || *p++ != '/')
			return -1;
		const char *ys = p;
		if ((c = num(&p, e, 4)) < 0)
			return -1;
		if (p - ys == 2)
			c += c < 70 ? 2000 : 1900;
		else if (p - ys != 4)
			return -1;
		t->y = c;
		t->mo = a;
		t->d = b;
	} else {
		return -1;
	}
	if (t->y < 1900 || t->y > 2999 || t->mo < 1 || t->mo > 12 || t->d < 1 ||
	    t->d > days_in_month(t->y, t->mo))
		return -1;
	if (p == e)
		return 0;
	if (*p != ' ' && *p != 'T')
		return -1;
	while (p < e && (*p == ' ' || *p == 'T'))
		p++;
	if ((t->h = num(&p, e, 2)) < 0 || p >= e || *p++ != ':' || (t->mi = num(&p, e, 2)) < 0)
		return -1;
	if (p < e && *p == ':') {
		p++;
		if ((t->s = num(&p, e, 2)) < 0)
			return -1;
		if (p < e && *p == '.') {        /* fractions of a second: dropped */
			p++;
			while (p < e && isdigit((unsigned char)*p))
				p++;
		}
	}
	while (p < e && *p == ' ')
		p++;
	if (p < e) {
		if (e - p != 2 || (tolower((unsigned char)p[1]) != 'm'))
			return -1;
		int pm = tolower((unsigned char)p[0]);
		if ((pm != 'a' && pm != 'p') || t->h < 1 || t->h > 12)
			return -1;
		if (t->h == 12)
			t->h = 0;
		if (pm == 'p')
			t->h += 12;
	}
	if (t->h > 23 || t->mi > 59 || t->s > 60)
		return -1;
	t->has_time = 1;
	return 0;
}

static int zone_offset(struct bf_tz *tz, const struct bf_ts *t)
{
	int64_t key = ((int64_t)t->y * 10000 + t->mo * 100 + t->d) * 100 + t->h;
	if (key == tz->memo_key)
		return tz->memo_off;
	struct tm tm = { 0 };
	tm.tm_year = t->y - 1900;
	tm.tm_mon = t->mo - 1;
	tm.tm_mday = t->d;
	tm.tm_hour = t->h;
	tm.tm_min = 30;
	tm.tm_isdst = -1;
	if (mktime(&tm) == (time_t)-1)
		return 0;
	tz->memo_key = key;
	tz->memo_off = (int)tm.tm_gmtoff;
	return tz->memo_off;
}

static char *two(char *p, int v)
{
	p[0] = (char)('0' + v / 10 % 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

size_t bf_derive_ts_iso(struct bf_tz *tz, const struct bf_ts *t, char *out)
{
	char *p = out;
	p = two(p, t->y / 100);
	p = two(p, t->y % 100);
	*p++ = '-';
	p = two(p, t->mo);
	*p++ = '-';
	p = two(p, t->d);
	if (t->has_time) {
		*p++ = 'T';
		p = two(p, t->h);
		*p++ = ':';
		p = two(p, t->mi);
		*p++ = ':';
		p = two(p, t->s);
		if (tz->kind != BF_TZ_NONE) {
			int off = tz->kind == BF_TZ_FIXED ? tz->offset_s : zone_offset(tz, t);
			if (off == 0) {
				*p++ = 'Z';
			} else {
				int a = off < 0 ? -off : off;
				*p++ = off < 0 ? '-' : '+';
				p = two(p, a / 3600);
				*p++ = ':';
				p = two(p, a / 60 % 60);
			}
		}
	}
	*p = '\0';
	return (size_t)(p - out);
}

const char *bf_derive_weekday(const struct bf_ts *t)
{
	static const char *const names[] = { "Monday", "Tuesday", "Wednesday", "Thursday",
					     "Friday", "Saturday", "Sunday" };
	return names[bf_date_weekday(bf_date_from_ymd(t->y, t->mo, t->d)) - 1];
}

const char *bf_derive_daypart(int h)
{
	if (h >= 5 && h < 11)
		return "breakfast";
	if (h >= 11 && h < 15)
		return "lunch";
	if (h >= 15 && h < 17)
		return "afternoon";
	if (h >= 17 && h < 22)
		return "dinner";
	return "late_night";
}

/* ---- money ---- */

int bf_derive_money_cents(const char *s, size_t n, long long *cents)
{
	n = trim(&s, n);
	const char *p = s, *e = s + n;
	int neg = 0, paren = 0, digits = 0;
	long long whole = 0, frac = 0;
	if (p < e && *p == '(') {
		paren = 1;
		p++;
	}
	if (p < e && (*p == '-' || *p == '+'))
		neg = *p++ == '-';
	if (p < e && *p == '$')
		p++;
	if (p < e && *p == '-' && !neg) {
		neg = 1;
		p++;
	}
	/* digits may be grouped by commas in threes: 1,234 and 12,345,678, not 1,2,3 */
	int group = -1;             /* digits since the last comma; -1 before the first */
	for (; p < e; p++) {
		if (isdigit((unsigned char)*p)) {
			/* the cents must fit: whole * 100 + 99 <= LLONG_MAX */
			if (whole > ((LLONG_MAX - 99) / 100 - (*p - '0')) / 10)
				return -1;
			whole = whole * 10 + (*p - '0');
			digits++;
			group += group >= 0;
		} else if (*p == ',' && digits && p + 1 < e && isdigit((unsigned char)p[1])) {
			if (group >= 0 ? group != 3 : digits > 3)
				return -1;
			group = 0;
		} else {
			break;
		}
	}
	if (group >= 0 && group != 3)
		return -1;
	if (p < e && *p == '.') {
		int nf = 0;
		for (p++; p < e && isdigit((unsigned char)*p); p++, nf++) {
			if (nf < 2)
				frac = frac * 10 + (*p - '0');
			else if (*p != '0')
				return -1;      /* a fraction of a cent: never rounded */
			digits++;
		}
		if (nf == 1)
			frac *= 10;
	}
	if (!digits)
		return -1;
	while (p < e && *p == ' ')
		p++;
	if (paren) {
		if (p >= e || *p++ != ')')
			return -1;
		neg = !neg;
	}
	while (p < e && *p == ' ')
		p++;
	if (p < e && e - p == 3 && isalpha((unsigned char)p[0]) && isalpha((unsigned char)p[1]) &&
	    isalpha((unsigned char)p[2]))
		p = e;              /* a currency code */
	if (p != e)
		return -1;
	*cents = (neg ? -1 : 1) * (whole * 100 + frac);
	return 0;
}

/* ---- durations ---- */

static int unit_seconds(const char *w, size_t n)
{
	static const struct { const char *name; int s; } u[] = {
		{ "s", 1 }, { "sec", 1 }, { "secs", 1 }, { "second", 1 }, { "seconds", 1 },
		{ "m", 60 }, { "min", 60 }, { "mins", 60 }, { "minute", 60 }, { "minutes", 60 },
		{ "h", 3600 }, { "hr", 3600 }, { "hrs", 3600 }, { "hour", 3600 }, { "hours", 3600 },
		{ "d", 86400 }, { "day", 86400 }, { "days", 86400 },
	};
	for (size_t i = 0; i < sizeof u / sizeof u[0]; i++)
		if (strlen(u[i].name) == n && !strncasecmp(u[i].name, w, n))
			return u[i].s;
	return 0;
}

int bf_derive_duration_s(const char *s, size_t n, long long *secs)
{
	n = trim(&s, n);
	const char *p = s, *e = s + n;
	if (!n)
		return -1;
	/* clock form: [h:]m:ss or plain seconds */
	int clock = 1;
	for (const char *q = s; q < e; q++)
		if (!isdigit((unsigned char)*q) && *q != ':')
			clock = 0;
	if (clock) {
		long long part[3];
		int np = 0;
		while (p < e) {
			const char *st = p;
			long long v = 0;
			while (p < e && isdigit((unsigned char)*p) && p - st < 12)
				v = v * 10 + (*p++ - '0');
			if (p == st || np == 3)
				return -1;
			if (np > 0 && p - st != 2)
				return -1;
			part[np++] = v;
			if (p < e && *p++ != ':')
				return -1;
			if (p == e && e[-1] == ':')
				return -1;
		}
		if (np == 1)
			*secs = part[0];
		else if (np == 2) {
			if (part[1] > 59)
				return -1;
			*secs = part[0] * 60 + part[1];
		} else {
			if (part[1] > 59 || part[2] > 59)
				return -1;
			*secs = part[0] * 3600 + part[1] * 60 + part[2];
		}
		return 0;
	}
	/* words: NUMBER UNIT [, | and] ... */
	double total = 0;
	int terms = 0;
	while (p < e) {
		while (p < e && (*p == ' ' || *p == ','))
			p++;
		if (p < e && e - p >= 4 && !strncasecmp(p, "and ", 4) && terms) {
			p += 4;
			continue;
		}
		if (p >= e)
			break;
		char *end;
		char nb[32];
		size_t k = 0;
		while (p + k < e && k < sizeof nb - 1 && (isdigit((unsigned char)p[k]) || p[k] == '.'))
			k++;
		if (!k)
			return -1;
		memcpy(nb, p, k);
		nb[k] = 0;
		double v = strtod(nb, &end);
		if (*end || !isfinite(v))
			return -1;
		p += k;
		while (p < e && *p == ' ')
			p++;
		const char *w = p;
		while (p < e && isalpha((unsigned char)*p))
			p++;
		int us = unit_seconds(w, (size_t)(p - w));
		if (!us)
			return -1;
		total += v * us;
		terms++;
	}
	if (!terms || total > 9e15)
		return -1;
	*secs = llround(total);
	return 0;
}
