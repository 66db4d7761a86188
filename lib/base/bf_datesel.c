#include "base/bf_datesel.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"

void bf_datesel_init(struct bf_datesel *s)
{
	memset(s, 0, sizeof *s);
	s->start = s->end = BF_DATE_NONE;
}

void bf_datesel_free(struct bf_datesel *s)
{
	free(s->dates);
	bf_datesel_init(s);
}

static int one(const char *opt, const char *s, size_t n, int32_t *d, struct bf_err *err)
{
	if (bf_date_parsen(s, (unsigned)n, d) != 0)
		return bf_fail(err, BF_EUSAGE, opt, "not a date: \"%.*s\" (YYYY-MM-DD or YYYYMMDD)",
			       (int)(n > 40 ? 40 : n), s);
	return 0;
}

static int add_list(struct bf_datesel *s, const char *opt, const char *arg, struct bf_err *err)
{
	const char *p = arg;
	while (*p) {
		size_t skip = strspn(p, ", \t\n");
		p += skip;
		size_t n = strcspn(p, ", \t\n");
		if (!n)
			break;
		int32_t d;
		if (one(opt, p, n, &d, err))
			return BF_EUSAGE;
		if (s->n == s->cap) {
			s->cap = s->cap ? s->cap * 2 : 16;
			s->dates = bf_xrealloc(s->dates, s->cap * sizeof *s->dates);
		}
		s->dates[s->n++] = d;
		p += n;
	}
	return 0;
}

int bf_datesel_option(struct bf_datesel *s, const char *name, const char *arg, struct bf_err *err)
{
	if (!strcmp(name, "all")) {
		s->all = 1;
		return 0;
	}
	if (!strcmp(name, "date")) {
		size_t before = s->n;
		int rc = add_list(s, "--date", arg, err);
		if (!rc && s->n != before + 1)
			return bf_fail(err, BF_EUSAGE, "--date", "takes exactly one date (use --dates for several)");
		return rc;
	}
	if (!strcmp(name, "dates")) {
		s->dates_opt = 1;
		return add_list(s, "--dates", arg, err);
	}
	if (!strcmp(name, "start-date"))
		return one("--start-date", arg, strlen(arg), &s->start, err);
	if (!strcmp(name, "end-date"))
		return one("--end-date", arg, strlen(arg), &s->end, err);
	return -1;
}

int bf_datesel_args(struct bf_datesel *s, int argc, char **argv, struct bf_err *err)
{
	for (int i = 0; i < argc; i++) {
		if (!s->dates_opt)
			return bf_fail(err, BF_EUSAGE, argv[i], "unexpected argument");
		if (add_list(s, "--dates", argv[i], err))
			return BF_EUSAGE;
	}
	return 0;
}

int bf_datesel_validate(const struct bf_datesel *s, struct bf_err *err)
{
	int kinds = (s->all != 0) + (s->n > 0 || s->dates_opt) +
		    (s->start != BF_DATE_NONE || s->end != BF_DATE_NONE);
	if (kinds == 0)
		return bf_fail(err, BF_EUSAGE, NULL,
			       "no dates selected (--date, --dates, --start-date/--end-date or --all)");
	if (kinds > 1)
		return bf_fail(err, BF_EUSAGE, NULL, "choose one of --date/--dates, a range, or --all");
	if ((s->start == BF_DATE_NONE) != (s->end == BF_DATE_NONE))
		return bf_fail(err, BF_EUSAGE, NULL, "--start-date and --end-date go together");
	if (s->start != BF_DATE_NONE && s->end < s->start)
		return bf_fail(err, BF_EUSAGE, "--end-date", "is before --start-date");
	if (s->dates_opt && s->n == 0)
		return bf_fail(err, BF_EUSAGE, "--dates", "no dates given");
	return 0;
}

static int cmp32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

size_t bf_datesel_resolve(const struct bf_datesel *s, int32_t lo, int32_t hi, int32_t **out)
{
	int32_t a = s->all ? lo : s->start, b = s->all ? hi : s->end;
	*out = NULL;
	if (s->all || s->start != BF_DATE_NONE) {
		if (a == BF_DATE_NONE || b == BF_DATE_NONE || b < a)
			return 0;
		size_t n = (size_t)(b - a) + 1;
		*out = bf_xmalloc(n * sizeof **out);
		for (size_t i = 0; i < n; i++)
			(*out)[i] = a + (int32_t)i;
		return n;
	}
	if (!s->n)
		return 0;
	int32_t *d = bf_xmalloc(s->n * sizeof *d);
	memcpy(d, s->dates, s->n * sizeof *d);
	qsort(d, s->n, sizeof *d, cmp32);
	size_t k = 0;
	for (size_t i = 0; i < s->n; i++)
		if (k == 0 || d[k - 1] != d[i])
			d[k++] = d[i];
	*out = d;
	return k;
}
