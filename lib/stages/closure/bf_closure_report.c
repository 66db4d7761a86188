#include "stages/closure/bf_closure_report.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "base/bf_buf.h"
#include "proto/bf_json.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"
#include "stages/closure/bf_closure_periods.h"

static const char *const reasons[] = { "no_files", "insufficient_files", "low_activity", "low_sales" };
#define NREASONS 4
static const char *const wdays[] = { "", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

/* A closed weekday counts as holiday-like when at least this share of that weekday's
 * judged days at the location were open. */
#define NORMALLY_OPEN 0.5
#define TOP_RUNS 10
#define TOP_PROVISIONAL 10

struct row {
	char *source, *location;
	char date[11];
	int32_t day;
	int verdict;               /* 0 open, 1 closed, 2 pending */
	int reason;                /* index in reasons, -1 none or unknown */
	char *activity, *amount;   /* what the day was measured by; NULL none */
	char *how;                 /* how the activity stream was chosen; NULL unknown */
	int files_only, no_sales;  /* low_activity / low_sales were not judged */
	int weeks;                 /* its baseline window, 0 unknown */
	long long open_then;       /* open days in that window when judged, -1 unknown */
};

struct month {
	char ym[8];
	long long judged, closed, by_reason[NREASONS];
};

struct run {
	size_t first, last;        /* rows */
	long long days;
};

static double share(long long a, long long b)
{
	return b ? round((double)a / (double)b * 10000) / 10000 : 0;
}

static int cmp_run(const void *a, const void *b)
{
	const struct run *x = a, *y = b;
	if (x->days != y->days)
		return x->days < y->days ? 1 : -1;
	return x->first < y->first ? -1 : x->first > y->first;
}

static int same_loc(const struct row *a, const struct row *b)
{
	return !strcmp(a->source, b->source) && !strcmp(a->location, b->location);
}

static cJSON *reason_counts(const long long *by)
{
	cJSON *o = cJSON_CreateObject();
	for (int r = 0; r < NREASONS; r++)
		cJSON_AddNumberToObject(o, reasons[r], (double)by[r]);
	return o;
}

static int has_closures(struct bf_state *st)
{
	sqlite3_stmt *q;
	int yes = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT 1 FROM sqlite_master"
			       " WHERE type = 'table' AND name = 'closures'", -1, &q, NULL) == SQLITE_OK) {
		yes = bf_sqlite_step(q) == SQLITE_ROW;
		sqlite3_finalize(q);
	}
	return yes;
}

static char *col_dup(sqlite3_stmt *q, int i)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
	return s ? bf_xstrdup(s) : NULL;
}

static int col_is(sqlite3_stmt *q, int i, const char *v)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
	return s && !strcmp(s, v);
}

static int load(struct bf_state *st, const char *source, struct row **rows, size_t *n,
		struct bf_err *err)
{
	sqlite3_stmt *q;
	int rc = sqlite3_prepare_v2(st->db,
		"SELECT source, location, date, verdict, reason,"
		" json_extract(evidence, '$.thresholds.activity_stream'),"
		" json_extract(evidence, '$.thresholds.amount_column'),"
		" json_extract(evidence, '$.learned.activity_how'),"
		" json_extract(evidence, '$.thresholds.activity_basis'),"
		" json_extract(evidence, '$.thresholds.sales_basis'),"
		" json_extract(evidence, '$.baseline.weeks'), json_extract(evidence, '$.baseline.open_days')"
		" FROM closures WHERE ?1 IS NULL OR source = ?1 ORDER BY source, location, date", -1, &q, NULL);
	if (rc != SQLITE_OK && !has_closures(st))
		return bf_fail(err, BF_EDATA, st->path, "no closures table");
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(st->db, rc, "closures", err);
	if (source)
		sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
	while ((rc = bf_sqlite_step(q)) == SQLITE_ROW) {
		const char *d = (const char *)sqlite3_column_text(q, 2);
		const char *v = (const char *)sqlite3_column_text(q, 3);
		const char *r = (const char *)sqlite3_column_text(q, 4);
		int32_t day;
		if (!d || bf_date_parse(d, &day) || !v)
			continue;
		*rows = bf_xrealloc(*rows, (*n + 1) * sizeof **rows);
		struct row *x = &(*rows)[(*n)++];
		x->source = bf_xstrdup((const char *)sqlite3_column_text(q, 0));
		x->location = bf_xstrdup((const char *)sqlite3_column_text(q, 1));
		bf_date_iso(day, x->date);
		x->day = day;
		x->verdict = !strcmp(v, "closed") ? 1 : !strcmp(v, "pending") ? 2 : 0;
		x->reason = -1;
		for (int k = 0; r && k < NREASONS; k++)
			if (!strcmp(r, reasons[k]))
				x->reason = k;
		x->activity = col_dup(q, 5);
		x->amount = col_dup(q, 6);
		x->how = col_dup(q, 7);
		x->files_only = col_is(q, 8, "skipped");
		x->no_sales = col_is(q, 9, "skipped");
		x->weeks = sqlite3_column_type(q, 10) == SQLITE_NULL ? 0 : sqlite3_column_int(q, 10);
		x->open_then = sqlite3_column_type(q, 11) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 11);
	}
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : bf_sqlite_fail(st->db, rc, "closures", err);
}

static int same_str(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

/* What the verdicts were measured by: one entry per location, activity stream, amount
 * column and how the stream was chosen, with its verdicts and dates; and how many days
 * judged open (or closed by a later rule) had no activity stream (judged on files only)
 * or no amount column. */
static void add_measures(cJSON *root, const struct row *rows, size_t n)
{
	cJSON *ms = cJSON_AddArrayToObject(root, "measures");
	const struct row **first = bf_xmalloc((n + 1) * sizeof *first);
	size_t nm = 0;
	long long files_only = 0, no_sales = 0;
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		/* the rule was reached: open, or closed by a later rule */
		files_only += r->files_only && (r->verdict == 0 || (r->verdict == 1 && r->reason == 3));
		no_sales += r->no_sales && r->verdict == 0;
		cJSON *m = NULL;
		for (size_t k = 0; k < nm && !m; k++)
			if (same_loc(first[k], r) && same_str(first[k]->activity, r->activity) &&
			    same_str(first[k]->amount, r->amount) && same_str(first[k]->how, r->how))
				m = cJSON_GetArrayItem(ms, (int)k);
		if (m) {
			cJSON_SetNumberHelper(cJSON_GetObjectItemCaseSensitive(m, "verdicts"),
					      bf_json_num(m, "verdicts") + 1);
			cJSON_SetValuestring(cJSON_GetObjectItemCaseSensitive(m, "last"), r->date);
			continue;
		}
		first[nm++] = r;
		m = cJSON_CreateObject();
		cJSON_AddStringToObject(m, "source", r->source);
		cJSON_AddStringToObject(m, "location", r->location);
		add_str_or_null(m, "activity_stream", r->activity);
		add_str_or_null(m, "activity_how", r->how);
		add_str_or_null(m, "amount_column", r->amount);
		cJSON_AddNumberToObject(m, "verdicts", 1);
		cJSON_AddStringToObject(m, "first", r->date);
		cJSON_AddStringToObject(m, "last", r->date);
		cJSON_AddItemToArray(ms, m);
	}
	free(first);
	cJSON *nj = cJSON_AddObjectToObject(root, "not_judged");
	cJSON_AddNumberToObject(nj, "activity", (double)files_only);
	cJSON_AddNumberToObject(nj, "sales", (double)no_sales);
}

/* Verdicts judged before open days of their baseline window were (bf-run with several
 * workers, --newest-first): their window holds another number of open days now than
 * when they were judged, so judging them again may give another verdict. The others are
 * final. Judging every date from the first provisional one on again, in date order, makes
 * them all final (a window looks back only). rows are sorted by location and date. */
static void add_provisional(cJSON *root, const struct row *rows, size_t n)
{
	cJSON *pv = cJSON_AddObjectToObject(root, "provisional");
	cJSON *list = cJSON_CreateArray();
	const char *from = NULL, *to = NULL;
	long long count = 0;
	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		if (r->verdict != 2 && (!to || strcmp(r->date, to) > 0))
			to = r->date;
		if (r->verdict == 2 || r->open_then < 0 || r->weeks <= 0)
			continue;
		long long now = 0;
		for (size_t j = i; j-- > 0 && same_loc(&rows[j], r) && rows[j].day >= r->day - 7 * r->weeks;)
			now += rows[j].verdict == 0;
		if (now == r->open_then)
			continue;
		count++;
		if (!from || strcmp(r->date, from) < 0)
			from = r->date;
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "source", r->source);
		cJSON_AddStringToObject(o, "location", r->location);
		cJSON_AddStringToObject(o, "date", r->date);
		cJSON_AddStringToObject(o, "verdict", r->verdict ? "closed" : "open");
		add_str_or_null(o, "reason", r->reason >= 0 ? reasons[r->reason] : NULL);
		cJSON_AddNumberToObject(o, "open_days_then", (double)r->open_then);
		cJSON_AddNumberToObject(o, "open_days_now", (double)now);
		cJSON_AddItemToArray(list, o);
	}
	cJSON_AddNumberToObject(pv, "count", (double)count);
	add_str_or_null(pv, "rejudge_from", from);
	add_str_or_null(pv, "rejudge_to", count ? to : NULL);
	cJSON_AddItemToObject(pv, "verdicts", list);
}

static cJSON *analyse(const struct row *rows, size_t n, const char *source)
{
	long long open = 0, closed = 0, pending = 0, by_reason[NREASONS] = { 0 }, unknown = 0;
	long long wd_judged[8] = { 0 }, wd_closed[8] = { 0 };
	struct month *months = NULL;
	size_t nmonths = 0;

	for (size_t i = 0; i < n; i++) {
		const struct row *r = &rows[i];
		if (r->verdict == 2) {
			pending++;
			continue;
		}
		int wd = bf_date_weekday(r->day);
		wd_judged[wd]++;
		struct month *m = NULL;
		for (size_t k = 0; k < nmonths; k++)
			if (!memcmp(months[k].ym, r->date, 7))
				m = &months[k];
		if (!m) {
			months = bf_xrealloc(months, (nmonths + 1) * sizeof *months);
			m = &months[nmonths++];
			memset(m, 0, sizeof *m);
			memcpy(m->ym, r->date, 7);
		}
		m->judged++;
		if (r->verdict == 1) {
			closed++;
			wd_closed[wd]++;
			m->closed++;
			if (r->reason >= 0) {
				by_reason[r->reason]++;
				m->by_reason[r->reason]++;
			} else {
				unknown++;
			}
		} else {
			open++;
		}
	}

	cJSON *root = cJSON_CreateObject();
	if (source)
		cJSON_AddStringToObject(root, "source", source);
	else
		cJSON_AddNullToObject(root, "source");
	cJSON *p = cJSON_AddObjectToObject(root, "partitions");
	cJSON_AddNumberToObject(p, "judged", (double)(open + closed));
	cJSON_AddNumberToObject(p, "open", (double)open);
	cJSON_AddNumberToObject(p, "closed", (double)closed);
	cJSON_AddNumberToObject(p, "pending", (double)pending);
	cJSON_AddNumberToObject(p, "closed_share", share(closed, open + closed));

	cJSON *br = cJSON_AddArrayToObject(root, "by_reason");
	for (int k = 0; k < NREASONS; k++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "reason", reasons[k]);
		cJSON_AddNumberToObject(o, "count", (double)by_reason[k]);
		cJSON_AddNumberToObject(o, "share_of_closed", share(by_reason[k], closed));
		cJSON_AddNumberToObject(o, "share_of_judged", share(by_reason[k], open + closed));
		cJSON_AddItemToArray(br, o);
	}
	if (unknown) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "reason", "other");
		cJSON_AddNumberToObject(o, "count", (double)unknown);
		cJSON_AddNumberToObject(o, "share_of_closed", share(unknown, closed));
		cJSON_AddNumberToObject(o, "share_of_judged", share(unknown, open + closed));
		cJSON_AddItemToArray(br, o);
	}

	/* months in order */
	for (size_t a = 1; a < nmonths; a++)
		for (size_t b = a; b > 0 && strcmp(months[b - 1].ym, months[b].ym) > 0; b--) {
			struct month t = months[b];
			months[b] = months[b - 1];
			months[b - 1] = t;
		}
	cJSON *bm = cJSON_AddArrayToObject(root, "by_month");
	for (size_t k = 0; k < nmonths; k++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "month", months[k].ym);
		cJSON_AddNumberToObject(o, "judged", (double)months[k].judged);
		cJSON_AddNumberToObject(o, "closed", (double)months[k].closed);
		cJSON_AddNumberToObject(o, "closed_share", share(months[k].closed, months[k].judged));
		cJSON_AddItemToObject(o, "reasons", reason_counts(months[k].by_reason));
		cJSON_AddItemToArray(bm, o);
	}
	free(months);

	cJSON *bw = cJSON_AddArrayToObject(root, "by_weekday");
	for (int wd = 1; wd <= 7; wd++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "weekday", wdays[wd]);
		cJSON_AddNumberToObject(o, "judged", (double)wd_judged[wd]);
		cJSON_AddNumberToObject(o, "closed", (double)wd_closed[wd]);
		cJSON_AddNumberToObject(o, "closed_share", share(wd_closed[wd], wd_judged[wd]));
		cJSON_AddNumberToObject(o, "share_of_closures", share(wd_closed[wd], closed));
		cJSON_AddItemToArray(bw, o);
	}

	/* runs of consecutive closed days, per location (rows are sorted by location, date) */
	struct run *runs = NULL;
	size_t nruns = 0;
	for (size_t i = 0; i < n; i++) {
		if (rows[i].verdict != 1)
			continue;
		if (nruns) {
			struct run *last = &runs[nruns - 1];
			const struct row *prev = &rows[last->last];
			if (same_loc(prev, &rows[i]) && rows[i].day == prev->day + 1) {
				last->last = i;
				last->days++;
				continue;
			}
		}
		runs = bf_xrealloc(runs, (nruns + 1) * sizeof *runs);
		runs[nruns++] = (struct run){ i, i, 1 };
	}
	if (nruns)
		qsort(runs, nruns, sizeof *runs, cmp_run);
	cJSON *lr = cJSON_AddArrayToObject(root, "longest_runs");
	cJSON *lpl = cJSON_AddArrayToObject(root, "longest_run_per_location");
	for (size_t k = 0; k < nruns; k++) {
		const struct row *a = &rows[runs[k].first], *b = &rows[runs[k].last];
		int top = k < TOP_RUNS, first_of_loc = 1;
		for (size_t j = 0; j < k && first_of_loc; j++)
			if (same_loc(&rows[runs[j].first], a))
				first_of_loc = 0;
		if (!top && !first_of_loc)
			continue;
		long long by[NREASONS] = { 0 };
		for (size_t i = runs[k].first; i <= runs[k].last; i++)
			if (rows[i].reason >= 0)
				by[rows[i].reason]++;
		for (int pass = 0; pass < 2; pass++) {
			if ((pass == 0 && !top) || (pass == 1 && !first_of_loc))
				continue;
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "source", a->source);
			cJSON_AddStringToObject(o, "location", a->location);
			cJSON_AddStringToObject(o, "start", a->date);
			cJSON_AddStringToObject(o, "end", b->date);
			cJSON_AddNumberToObject(o, "days", (double)runs[k].days);
			cJSON_AddItemToObject(o, "reasons", reason_counts(by));
			cJSON_AddItemToArray(pass ? lpl : lr, o);
		}
	}
	free(runs);

	/* holiday-like: closed on a weekday the location is normally open */
	cJSON *hol = cJSON_AddArrayToObject(root, "holiday_like");
	for (size_t i = 0; i < n;) {
		size_t j = i;
		long long wo[8] = { 0 }, wj[8] = { 0 };
		while (j < n && same_loc(&rows[i], &rows[j])) {
			if (rows[j].verdict != 2) {
				int wd = bf_date_weekday(rows[j].day);
				wj[wd]++;
				wo[wd] += rows[j].verdict == 0;
			}
			j++;
		}
		for (size_t k = i; k < j; k++) {
			if (rows[k].verdict != 1)
				continue;
			int wd = bf_date_weekday(rows[k].day);
			double s = wj[wd] ? (double)wo[wd] / (double)wj[wd] : 0;
			if (wo[wd] < 2 || s < NORMALLY_OPEN)
				continue;
			cJSON *o = cJSON_CreateObject();
			cJSON_AddStringToObject(o, "source", rows[k].source);
			cJSON_AddStringToObject(o, "location", rows[k].location);
			cJSON_AddStringToObject(o, "date", rows[k].date);
			cJSON_AddStringToObject(o, "weekday", wdays[wd]);
			if (rows[k].reason >= 0)
				cJSON_AddStringToObject(o, "reason", reasons[rows[k].reason]);
			else
				cJSON_AddNullToObject(o, "reason");
			cJSON_AddNumberToObject(o, "weekday_open_share", share(wo[wd], wj[wd]));
			cJSON_AddItemToArray(hol, o);
		}
		i = j;
	}
	add_measures(root, rows, n);
	add_provisional(root, rows, n);
	/* weekends, holiday periods, runs closed everywhere (bf_closure_periods.h) */
	struct bf_closure_day *cd = bf_xmalloc((n ? n : 1) * sizeof *cd);
	for (size_t i = 0; i < n; i++)
		cd[i] = (struct bf_closure_day){ rows[i].location, rows[i].day, rows[i].verdict };
	cJSON_AddItemToObject(root, "periods", bf_closure_periods(cd, n));
	free(cd);
	return root;
}

static const char *str(const cJSON *o, const char *k)
{
	const char *s = bf_json_str(o, k);
	return s ? s : "";
}

static void text_runs(FILE *out, const cJSON *arr)
{
	const cJSON *o;
	fprintf(out, "  %-12s %-10s  %-10s %5s  %s\n", "location", "from", "to", "days", "reasons");
	cJSON_ArrayForEach(o, arr) {
		fprintf(out, "  %-12s %-10s  %-10s %5.0f ", str(o, "location")[0] ? str(o, "location") : "-",
			str(o, "start"), str(o, "end"), bf_json_num(o, "days"));
		const cJSON *r;
		cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(o, "reasons"))
			if (r->valuedouble > 0)
				fprintf(out, " %s=%.0f", r->string, r->valuedouble);
		fputc('\n', out);
	}
}

static const char *str_or(const cJSON *o, const char *k, const char *none)
{
	const char *s = bf_json_str(o, k);
	return s && *s ? s : none;
}

/* What the verdicts were measured by, what was not judged, which verdicts are provisional. */
static void text_measures(FILE *out, const cJSON *root)
{
	const cJSON *o, *nj = cJSON_GetObjectItemCaseSensitive(root, "not_judged");
	const cJSON *pv = cJSON_GetObjectItemCaseSensitive(root, "provisional");
	fprintf(out, "\nMeasured by (activity stream and amount column, learned or given):\n");
	fprintf(out, "  %-12s %-22s %-16s %-28s %8s  %-10s  %s\n", "location", "activity stream", "how",
		"amount column", "verdicts", "from", "to");
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(root, "measures"))
		fprintf(out, "  %-12s %-22s %-16s %-28s %8.0f  %-10s  %s\n", str_or(o, "location", "-"),
			str_or(o, "activity_stream", "none"), str_or(o, "activity_how", "-"),
			str_or(o, "amount_column", "none"), bf_json_num(o, "verdicts"), str(o, "first"), str(o, "last"));
	fprintf(out, "Judged on files only (no activity stream): %.0f; without sales (no amount column): %.0f\n",
		bf_json_num(nj, "activity"), bf_json_num(nj, "sales"));

	fprintf(out, "\nProvisional (judged before open days of their baseline window were): %.0f\n",
		bf_json_num(pv, "count"));
	if (!bf_json_num(pv, "count"))
		return;
	fprintf(out, "  %-12s %-10s  %-26s %10s %10s\n", "location", "date", "verdict", "open then", "open now");
	int k = 0;
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(pv, "verdicts")) {
		if (k++ == TOP_PROVISIONAL) {
			fprintf(out, "  ... and %.0f more (--json lists them all)\n", bf_json_num(pv, "count") - TOP_PROVISIONAL);
			break;
		}
		char v[40];
		snprintf(v, sizeof v, "%s%s%s", str(o, "verdict"), bf_json_str(o, "reason") ? " " : "", str(o, "reason"));
		fprintf(out, "  %-12s %-10s  %-26s %10.0f %10.0f\n", str_or(o, "location", "-"), str(o, "date"), v,
			bf_json_num(o, "open_days_then"), bf_json_num(o, "open_days_now"));
	}
	fprintf(out, "  Judged again in date order from %s to %s, every verdict is final\n"
		"  (bf-run --force --max-workers 1 --start-date %s --end-date %s).\n",
		str(pv, "rejudge_from"), str(pv, "rejudge_to"), str(pv, "rejudge_from"), str(pv, "rejudge_to"));
}

static void text(FILE *out, const cJSON *root)
{
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(root, "partitions"), *o;
	const char *src = str(root, "source");
	fprintf(out, "Closures%s%s\n", src[0] ? " of " : "", src);
	fprintf(out, "partitions judged: %.0f (open %.0f, closed %.0f = %.1f%%), pending %.0f\n\n",
		bf_json_num(p, "judged"), bf_json_num(p, "open"), bf_json_num(p, "closed"), 100 * bf_json_num(p, "closed_share"),
		bf_json_num(p, "pending"));

	fprintf(out, "By reason:\n  %-20s %7s %10s %10s\n", "reason", "count", "of closed", "of judged");
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(root, "by_reason"))
		fprintf(out, "  %-20s %7.0f %9.1f%% %9.1f%%\n", str(o, "reason"), bf_json_num(o, "count"),
			100 * bf_json_num(o, "share_of_closed"), 100 * bf_json_num(o, "share_of_judged"));

	fprintf(out, "\nBy month:\n  %-8s %7s %7s %7s  %8s %8s %8s %8s\n", "month", "judged", "closed", "share",
		"no_files", "insuff.", "low_act.", "low_sal.");
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(root, "by_month")) {
		const cJSON *r = cJSON_GetObjectItemCaseSensitive(o, "reasons");
		fprintf(out, "  %-8s %7.0f %7.0f %6.1f%%  %8.0f %8.0f %8.0f %8.0f\n", str(o, "month"),
			bf_json_num(o, "judged"), bf_json_num(o, "closed"), 100 * bf_json_num(o, "closed_share"),
			bf_json_num(r, "no_files"), bf_json_num(r, "insufficient_files"), bf_json_num(r, "low_activity"), bf_json_num(r, "low_sales"));
	}

	fprintf(out, "\nBy weekday:\n  %-8s %7s %7s %7s %12s\n", "weekday", "judged", "closed", "share", "of closures");
	cJSON_ArrayForEach(o, cJSON_GetObjectItemCaseSensitive(root, "by_weekday"))
		fprintf(out, "  %-8s %7.0f %7.0f %6.1f%% %11.1f%%\n", str(o, "weekday"), bf_json_num(o, "judged"),
			bf_json_num(o, "closed"), 100 * bf_json_num(o, "closed_share"), 100 * bf_json_num(o, "share_of_closures"));

	fprintf(out, "\nLongest runs of consecutive closed days:\n");
	text_runs(out, cJSON_GetObjectItemCaseSensitive(root, "longest_runs"));
	fprintf(out, "\nLongest run per location:\n");
	text_runs(out, cJSON_GetObjectItemCaseSensitive(root, "longest_run_per_location"));

	const cJSON *hol = cJSON_GetObjectItemCaseSensitive(root, "holiday_like");
	fprintf(out, "\nClosed on a weekday normally open (holiday-like): %d\n", cJSON_GetArraySize(hol));
	if (cJSON_GetArraySize(hol))
		fprintf(out, "  %-10s %-3s  %-12s %-20s %s\n", "date", "day", "location", "reason", "weekday open");
	cJSON_ArrayForEach(o, hol)
		fprintf(out, "  %-10s %-3s  %-12s %-20s %.0f%%\n", str(o, "date"), str(o, "weekday"),
			str(o, "location")[0] ? str(o, "location") : "-", str(o, "reason"),
			100 * bf_json_num(o, "weekday_open_share"));
	text_measures(out, root);
	bf_closure_periods_text(out, cJSON_GetObjectItemCaseSensitive(root, "periods"));
}

int bf_closure_report(struct bf_state *st, const char *source, int json, FILE *out,
		      struct bf_err *err)
{
	struct row *rows = NULL;
	size_t n = 0;
	int rc = load(st, source, &rows, &n, err);
	if (!rc) {
		cJSON *root = analyse(rows, n, source);
		if (json) {
			char *s = cJSON_PrintUnformatted(root);
			fputs(s, out);
			fputc('\n', out);
			cJSON_free(s);
		} else {
			text(out, root);
		}
		cJSON_Delete(root);
		if (fflush(out) || ferror(out))
			rc = bf_fail(err, BF_EIO, "stdout", "write failed: %s", strerror(errno ? errno : EIO));
	}
	for (size_t i = 0; i < n; i++) {
		free(rows[i].source);
		free(rows[i].location);
		free(rows[i].activity);
		free(rows[i].amount);
		free(rows[i].how);
	}
	free(rows);
	return rc;
}
