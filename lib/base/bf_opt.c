#include "base/bf_opt.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_cli.h"

/* strtoll over the whole string: 0, or -1 when anything is left over or it overflows */
static int whole(const char *s, long long *v)
{
	char *end;
	errno = 0;
	*v = strtoll(s, &end, 10);
	return end == s || *end || errno ? -1 : 0;
}

/* strtod of a finite number; *end is what follows it */
static int number(const char *s, double *v, const char **end)
{
	char *e;
	*v = strtod(s, &e);
	*end = e;
	return e == s || !isfinite(*v) ? -1 : 0;
}

int bf_opt_llong(const char *opt, const char *s, long long lo, long long hi, long long *v)
{
	long long n;
	if (whole(s, &n) || n < lo || n > hi)
		return bf_cli_usage_error("%s: expected a whole number from %lld to %lld, not \"%s\"",
					  opt, lo, hi, s);
	*v = n;
	return 0;
}

int bf_opt_int(const char *opt, const char *s, int lo, int hi, int *v)
{
	long long n;
	int rc = bf_opt_llong(opt, s, lo, hi, &n);
	if (!rc)
		*v = (int)n;
	return rc;
}

int bf_opt_num(const char *opt, const char *s, double lo, double hi, double *v)
{
	double d;
	const char *end;
	if (number(s, &d, &end) || *end || !(d >= lo && d <= hi))
		return bf_cli_usage_error("%s: expected a number from %g to %g, not \"%s\"", opt, lo, hi, s);
	*v = d;
	return 0;
}

/* "64M" -> 64 << 20; -1 for anything else than digits with an optional k/M/G[B|iB] */
static int size_value(const char *s, unsigned long long *v)
{
	const char *p = s;
	char *end;
	while (isspace((unsigned char)*p))
		p++;
	if (*p == '-' || !isdigit((unsigned char)p[*p == '+']))
		return -1;
	errno = 0;
	unsigned long long n = strtoull(p, &end, 10);
	if (errno)
		return -1;
	unsigned shift = 0;
	if (*end) {
		const char *u = strchr("kKmMgG", *end);
		if (!u)
			return -1;
		shift = 10 * (unsigned)(1 + (u - "kKmMgG") / 2);
		end++;
		if (*end && strcmp(end, "B") && strcmp(end, "iB"))
			return -1;
	}
	if (shift && n > (ULLONG_MAX >> shift))
		return -1;
	*v = n << shift;
	return 0;
}

int bf_opt_size(const char *opt, const char *s, size_t lo, size_t hi, size_t *v)
{
	unsigned long long n;
	if (size_value(s, &n) || n < lo || n > hi) {
		if (hi == SIZE_MAX)
			return bf_cli_usage_error("%s: expected a size of at least %zu bytes (suffixes k, M, G), "
						  "not \"%s\"", opt, lo, s);
		return bf_cli_usage_error("%s: expected a size from %zu to %zu bytes (suffixes k, M, G), "
					  "not \"%s\"", opt, lo, hi, s);
	}
	*v = (size_t)n;
	return 0;
}

/* A duration in units of `unit` seconds: "1.5" -> 1.5, "500ms" -> 0.5 / unit. */
static int duration(const char *s, double unit, double *v)
{
	static const struct { const char *name; double secs; } units[] = {
		{ "ms", 0.001 }, { "s", 1 }, { "m", 60 }, { "h", 3600 },
	};
	const char *end;
	double d;
	if (number(s, &d, &end))
		return -1;
	if (!*end) {
		*v = d;
		return 0;
	}
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (!strcmp(end, units[i].name)) {
			*v = d * units[i].secs / unit;
			return isfinite(*v) ? 0 : -1;
		}
	return -1;
}

/* A duration option in units of `unit` seconds (named unit_name) within [lo, hi]. */
static int duration_opt(const char *opt, const char *s, double unit, const char *unit_name,
			double lo, double hi, double *v)
{
	if (duration(s, unit, v) || !(*v >= lo && *v <= hi))
		return bf_cli_usage_error("%s: expected a duration from %.15g to %.15g %s (units ms, s, m, h), "
					  "not \"%s\"", opt, lo, hi, unit_name, s);
	return 0;
}

int bf_opt_secs(const char *opt, const char *s, double lo, double hi, double *v)
{
	double d;
	int rc = duration_opt(opt, s, 1, "seconds", lo, hi, &d);
	if (!rc)
		*v = d;
	return rc;
}

int bf_opt_ms(const char *opt, const char *s, long lo, long hi, long *v)
{
	double d;
	int rc = duration_opt(opt, s, 0.001, "milliseconds", (double)lo, (double)hi, &d);
	if (!rc)
		*v = lround(d);
	return rc;
}
