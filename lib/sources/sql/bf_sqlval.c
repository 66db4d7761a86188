#include "sources/sql/bf_sqlval.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/bf_time.h"

/* ---- timestamps ---- */

struct ts {
	int y, mo, d, h, mi, s;
	const char *frac;          /* the digits after '.', nfrac of them */
	size_t nfrac;
	int has_off;
	long off;                  /* seconds east of UTC */
};

static int num(const char *s, size_t n, size_t *i, int width, int *out)
{
	int v = 0;
	for (int k = 0; k < width; k++, (*i)++) {
		if (*i >= n || s[*i] < '0' || s[*i] > '9')
			return -1;
		v = v * 10 + (s[*i] - '0');
	}
	*out = v;
	return 0;
}

/* "YYYY-MM-DD[ T]HH:MM:SS[.f][ ][Z|+HH[:MM[:SS]]|+HHMM]" */
static int ts_parse(const char *s, size_t n, struct ts *t)
{
	size_t i = 0;
	memset(t, 0, sizeof *t);
	if (num(s, n, &i, 4, &t->y) || i >= n || s[i++] != '-' || num(s, n, &i, 2, &t->mo) || i >= n ||
	    s[i++] != '-' || num(s, n, &i, 2, &t->d))
		return -1;
	if (i == n)
		return 0;
	if (s[i] != ' ' && s[i] != 'T')
		return -1;
	i++;
	if (num(s, n, &i, 2, &t->h) || i >= n || s[i++] != ':' || num(s, n, &i, 2, &t->mi))
		return -1;
	if (i < n && s[i] == ':') {
		i++;
		if (num(s, n, &i, 2, &t->s))
			return -1;
	}
	if (i < n && s[i] == '.') {
		t->frac = s + ++i;
		while (i < n && s[i] >= '0' && s[i] <= '9')
			i++;
		t->nfrac = (size_t)(s + i - t->frac);
	}
	if (i < n && s[i] == ' ')
		i++;
	if (i == n)
		return 0;
	if (s[i] == 'Z' && i + 1 == n) {
		t->has_off = 1;
		return 0;
	}
	if (s[i] != '+' && s[i] != '-')
		return -1;
	int sign = s[i++] == '-' ? -1 : 1, oh = 0, om = 0, os = 0;
	if (num(s, n, &i, 2, &oh))
		return -1;
	if (i < n && s[i] == ':')
		i++;
	if (i < n && num(s, n, &i, 2, &om))
		return -1;
	if (i < n && s[i] == ':')
		i++;
	if (i < n && num(s, n, &i, 2, &os))
		return -1;
	if (i != n)
		return -1;
	t->has_off = 1;
	t->off = sign * (oh * 3600L + om * 60L + os);
	return 0;
}

static char *digits(char *o, unsigned v, int width)
{
	for (int i = width - 1; i >= 0; i--, v /= 10)
		o[i] = (char)('0' + v % 10);
	return o + width;
}

/* "YYYY-MM-DDTHH:MM:SS[.f][+HH:MM[:SS]]" (written by hand: this runs for every value) */
static void ts_put(struct bf_buf *b, const struct ts *t, int with_off)
{
	bf_buf_grow(b, 40 + t->nfrac);
	char *o = b->p + b->len;
	o = digits(o, (unsigned)t->y, 4);
	*o++ = '-';
	o = digits(o, (unsigned)t->mo, 2);
	*o++ = '-';
	o = digits(o, (unsigned)t->d, 2);
	*o++ = 'T';
	o = digits(o, (unsigned)t->h, 2);
	*o++ = ':';
	o = digits(o, (unsigned)t->mi, 2);
	*o++ = ':';
	o = digits(o, (unsigned)t->s, 2);
	if (t->nfrac) {
		*o++ = '.';
		memcpy(o, t->frac, t->nfrac);
		o += t->nfrac;
	}
	if (with_off) {
		long a = t->off < 0 ? -t->off : t->off;
		*o++ = t->off < 0 ? '-' : '+';
		o = digits(o, (unsigned)(a / 3600 % 100), 2);
		*o++ = ':';
		o = digits(o, (unsigned)(a / 60 % 60), 2);
		if (a % 60) {
			*o++ = ':';
			o = digits(o, (unsigned)(a % 60), 2);
		}
	}
	b->len = (size_t)(o - b->p);
	*o = '\0';
}

/* ---- base64 ---- */

void bf_base64(struct bf_buf *b, const unsigned char *p, size_t n)
{
	static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
	bf_buf_grow(b, (n + 2) / 3 * 4 + 1);
	char *o = b->p + b->len;
	size_t i = 0;
	for (; i + 3 <= n; i += 3) {
		unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
		*o++ = a[v >> 18];
		*o++ = a[v >> 12 & 63];
		*o++ = a[v >> 6 & 63];
		*o++ = a[v & 63];
	}
	if (i < n) {
		unsigned v = (unsigned)p[i] << 16 | (i + 1 < n ? (unsigned)p[i + 1] << 8 : 0);
		*o++ = a[v >> 18];
		*o++ = a[v >> 12 & 63];
		*o++ = i + 1 < n ? a[v >> 6 & 63] : '=';
		*o++ = '=';
	}
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
}

void bf_sqlval_text(enum bf_sqlkind k, const char *raw, size_t n, struct bf_buf *scratch,
		    const char **out, size_t *outn)
{
	struct ts t;
	*out = raw;
	*outn = n;
	switch (k) {
	case BF_SQL_TIMESTAMP:
	case BF_SQL_TIMESTAMPTZ:
		if (ts_parse(raw, n, &t) || n < 16)
			return;    /* infinity, a BC date, ...: as the database wrote it */
		if (k == BF_SQL_TIMESTAMP && !t.has_off && raw[10] == 'T' && (n == 19 || raw[19] == '.'))
			return;    /* already ISO */
		bf_buf_reset(scratch);
		ts_put(scratch, &t, t.has_off);
		break;
	case BF_SQL_BOOLEAN:
		if (!n)
			return;
		if (strchr("tTyY1", raw[0]))
			*out = "true", *outn = 4;
		else if (strchr("fFnN0", raw[0]))
			*out = "false", *outn = 5;
		return;
	case BF_SQL_BINARY:
		bf_buf_reset(scratch);
		bf_base64(scratch, (const unsigned char *)raw, n);
		break;
	default:
		return;
	}
	*out = scratch->p;
	*outn = scratch->len;
}

/* ---- time zones ---- */

struct tzsave {
	char *old;
	int had;
};

static void tz_push(struct tzsave *z, const char *zone)
{
	const char *old = getenv("TZ");
	z->had = old != NULL;
	z->old = old ? strdup(old) : NULL;
	setenv("TZ", zone, 1);
	tzset();
}

static void tz_pop(struct tzsave *z)
{
	if (z->had && z->old)
		setenv("TZ", z->old, 1);
	else
		unsetenv("TZ");
	free(z->old);
	tzset();
}

int bf_tz_known(const char *zone)
{
	if (!zone || !*zone)
		return 0;
	if (!strcmp(zone, "UTC"))
		return 1;
	if (zone[0] == '/' || zone[0] == ':' || strstr(zone, ".."))
		return 0;
	const char *dir = getenv("TZDIR");
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir && *dir ? dir : "/usr/share/zoneinfo", zone);
	return access(path, R_OK) == 0;
}

static int32_t local_date(time_t t, long *gmtoff)
{
	struct tm tm;
	localtime_r(&t, &tm);
	if (gmtoff)
		*gmtoff = tm.tm_gmtoff;
	return bf_date_from_ymd(tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday);
}

void bf_tz_day_start(const char *zone, int32_t date, char out[40])
{
	struct tzsave z;
	int y, m, d;
	tz_push(&z, zone);
	bf_date_to_ymd(date, &y, &m, &d);
	/* the first second whose local date is date: local time only moves forward, so a
	 * search between two days before and two days after finds it */
	time_t lo = (time_t)date * 86400 - 2 * 86400, hi = (time_t)date * 86400 + 2 * 86400;
	while (hi - lo > 1) {
		time_t mid = lo + (hi - lo) / 2;
		if (local_date(mid, NULL) >= date)
			hi = mid;
		else
			lo = mid;
	}
	long off;
	struct tm tm;
	local_date(hi, &off);
	localtime_r(&hi, &tm);
	long a = off < 0 ? -off : off;
	snprintf(out, 40, "%04u-%02u-%02u %02u:%02u:%02u%c%02u:%02u", (unsigned)(tm.tm_year + 1900) % 10000u,
		 (unsigned)(tm.tm_mon + 1) % 100u, (unsigned)tm.tm_mday % 100u, (unsigned)tm.tm_hour % 100u,
		 (unsigned)tm.tm_min % 100u, (unsigned)tm.tm_sec % 100u, off < 0 ? '-' : '+',
		 (unsigned)(a / 3600) % 100u, (unsigned)(a / 60 % 60));
	tz_pop(&z);
}

int32_t bf_tz_date_of(const char *zone, const char *s, size_t n)
{
	struct ts t;
	if (ts_parse(s, n, &t))
		return BF_DATE_NONE;
	int32_t days = bf_date_from_ymd(t.y, t.mo, t.d);
	if (!t.has_off)
		return days;
	time_t secs = (time_t)days * 86400 + t.h * 3600 + t.mi * 60 + t.s - t.off;
	struct tzsave z;
	tz_push(&z, zone);
	int32_t r = local_date(secs, NULL);
	tz_pop(&z);
	return r;
}
