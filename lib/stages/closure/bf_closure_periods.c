#include "stages/closure/bf_closure_periods.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_time.h"
#include "proto/bf_json.h"

#define TOP_RUNS 10

/* One date over every location. */
struct date {
	int32_t day;
	long long judged, closed;
};

struct span {
	int32_t first, last;
	long long closures;
};

static int cmp_day(const void *a, const void *b)
{
	int32_t x = ((const struct bf_closure_day *)a)->day, y = ((const struct bf_closure_day *)b)->day;
	return (x > y) - (x < y);
}

static int cmp_span(const void *a, const void *b)
{
	const struct span *x = a, *y = b;
	int32_t dx = x->last - x->first, dy = y->last - y->first;
	if (dx != dy)
		return dx < dy ? 1 : -1;
	return (x->first > y->first) - (x->first < y->first);
}

static double share(long long a, long long b)
{
	return b ? round((double)a / (double)b * 10000) / 10000 : 0;
}

static cJSON *part_of_week(long long judged, long long closed, long long all_closed)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "judged", (double)judged);
	cJSON_AddNumberToObject(o, "closed", (double)closed);
	cJSON_AddNumberToObject(o, "closed_share", share(closed, judged));
	cJSON_AddNumberToObject(o, "share_of_closures", share(closed, all_closed));
	return o;
}

static cJSON *span_json(const struct span *s)
{
	char a[11], b[11];
	cJSON *o = cJSON_CreateObject();
	bf_date_iso(s->first, a);
	bf_date_iso(s->last, b);
	cJSON_AddStringToObject(o, "start", a);
	cJSON_AddStringToObject(o, "end", b);
	cJSON_AddNumberToObject(o, "days", (double)(s->last - s->first + 1));
	cJSON_AddNumberToObject(o, "closures", (double)s->closures);
	return o;
}

/* Runs of consecutive dates for which want(date) holds. */
static struct span *runs_of(const struct date *d, size_t n, int (*want)(const struct date *, const void *),
			    const void *arg, size_t *nout)
{
	struct span *v = NULL;
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (!want(&d[i], arg))
			continue;
		if (k && v[k - 1].last + 1 == d[i].day) {
			v[k - 1].last = d[i].day;
			v[k - 1].closures += d[i].closed;
			continue;
		}
		v = bf_xrealloc(v, (k + 1) * sizeof *v);
		v[k++] = (struct span){ d[i].day, d[i].day, d[i].closed };
	}
	*nout = k;
	return v;
}

static int everywhere(const struct date *d, const void *arg)
{
	(void)arg;
	return d->judged && d->closed == d->judged;
}

/* arg: the weekdays normally open (1..7) */
static int holiday(const struct date *d, const void *arg)
{
	const int *open = arg;
	return d->judged && 2 * d->closed > d->judged && open[bf_date_weekday(d->day)];
}

cJSON *bf_closure_periods(const struct bf_closure_day *days, size_t n)
{
	struct bf_closure_day *v = bf_xmalloc((n ? n : 1) * sizeof *v);
	struct date *d = bf_xmalloc((n ? n : 1) * sizeof *d);
	size_t nd = 0;
	long long we_j = 0, we_c = 0, wd_j = 0, wd_c = 0, wk_j[8] = { 0 }, wk_o[8] = { 0 };
	if (n)
		memcpy(v, days, n * sizeof *v);
	qsort(v, n, sizeof *v, cmp_day);
	for (size_t i = 0; i < n; i++) {
		if (v[i].verdict == 2)
			continue;
		int wd = bf_date_weekday(v[i].day), closed = v[i].verdict == 1;
		if (wd >= 6) {
			we_j++;
			we_c += closed;
		} else {
			wd_j++;
			wd_c += closed;
		}
		wk_j[wd]++;
		wk_o[wd] += !closed;
		if (!nd || d[nd - 1].day != v[i].day)
			d[nd++] = (struct date){ v[i].day, 0, 0 };
		d[nd - 1].judged++;
		d[nd - 1].closed += closed;
	}
	int open[8] = { 0 };
	for (int wd = 1; wd <= 7; wd++)
		open[wd] = wk_j[wd] && 2 * wk_o[wd] >= wk_j[wd];

	cJSON *root = cJSON_CreateObject();
	cJSON_AddItemToObject(root, "weekend", part_of_week(we_j, we_c, we_c + wd_c));
	cJSON_AddItemToObject(root, "weekdays", part_of_week(wd_j, wd_c, we_c + wd_c));

	size_t nh, ne;
	struct span *hol = runs_of(d, nd, holiday, open, &nh);
	long long hdates = 0, hclosures = 0;
	cJSON *hp = cJSON_CreateArray();
	for (size_t i = 0; i < nh; i++) {
		hdates += hol[i].last - hol[i].first + 1;
		hclosures += hol[i].closures;
		cJSON_AddItemToArray(hp, span_json(&hol[i]));
	}
	cJSON_AddNumberToObject(root, "holiday_dates", (double)hdates);
	cJSON_AddNumberToObject(root, "holiday_closures", (double)hclosures);
	cJSON_AddNumberToObject(root, "holiday_share_of_closures", share(hclosures, we_c + wd_c));
	cJSON_AddItemToObject(root, "holiday_periods", hp);

	struct span *ev = runs_of(d, nd, everywhere, NULL, &ne);
	if (ne)
		qsort(ev, ne, sizeof *ev, cmp_span);
	long long edates = 0;
	for (size_t i = 0; i < ne; i++)
		edates += ev[i].last - ev[i].first + 1;
	cJSON_AddNumberToObject(root, "dates_closed_everywhere", (double)edates);
	cJSON *lr = cJSON_AddArrayToObject(root, "longest_runs_everywhere");
	for (size_t i = 0; i < ne && i < TOP_RUNS; i++)
		cJSON_AddItemToArray(lr, span_json(&ev[i]));
	free(hol);
	free(ev);
	free(d);
	free(v);
	return root;
}

static void text_spans(FILE *out, const cJSON *arr)
{
	const cJSON *o;
	if (!cJSON_GetArraySize(arr)) {
		fprintf(out, "  (none)\n");
		return;
	}
	fprintf(out, "  %-10s  %-10s %5s %9s\n", "from", "to", "days", "closures");
	cJSON_ArrayForEach(o, arr)
		fprintf(out, "  %-10s  %-10s %5.0f %9.0f\n", bf_json_str(o, "start"), bf_json_str(o, "end"),
			bf_json_num(o, "days"), bf_json_num(o, "closures"));
}

void bf_closure_periods_text(FILE *out, const cJSON *p)
{
	const cJSON *we = cJSON_GetObjectItemCaseSensitive(p, "weekend");
	const cJSON *wd = cJSON_GetObjectItemCaseSensitive(p, "weekdays");
	fprintf(out, "\nWeekends and weekdays:\n  %-9s %7s %7s %7s %12s\n", "", "judged", "closed", "share", "of closures");
	fprintf(out, "  %-9s %7.0f %7.0f %6.1f%% %11.1f%%\n", "weekend", bf_json_num(we, "judged"), bf_json_num(we, "closed"),
		100 * bf_json_num(we, "closed_share"), 100 * bf_json_num(we, "share_of_closures"));
	fprintf(out, "  %-9s %7.0f %7.0f %6.1f%% %11.1f%%\n", "weekdays", bf_json_num(wd, "judged"), bf_json_num(wd, "closed"),
		100 * bf_json_num(wd, "closed_share"), 100 * bf_json_num(wd, "share_of_closures"));
	fprintf(out, "\nHoliday periods (closed at most locations on a weekday normally open): %.0f dates, "
		"%.0f closures (%.1f%% of closures)\n", bf_json_num(p, "holiday_dates"), bf_json_num(p, "holiday_closures"),
		100 * bf_json_num(p, "holiday_share_of_closures"));
	text_spans(out, cJSON_GetObjectItemCaseSensitive(p, "holiday_periods"));
	fprintf(out, "\nLongest runs closed at every location (%.0f such dates):\n",
		bf_json_num(p, "dates_closed_everywhere"));
	text_spans(out, cJSON_GetObjectItemCaseSensitive(p, "longest_runs_everywhere"));
}
