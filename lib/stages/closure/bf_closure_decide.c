#include "stages/closure/bf_closure_int.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_time.h"
#include "stages/closure/bf_closure_learn.h"

static const char *const weekday_names[] = { "", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

void bf_closure_cfg_init(struct bf_closure_cfg *c)
{
	memset(c, 0, sizeof *c);
	c->today = bf_date_today();
	c->due_days = 1;
	c->baseline_weeks = 8;
	c->activity_fraction = 0.1;
	c->sales_fraction = 0.1;
	c->expect_files = -1;
	c->min_files = -1;
	c->min_rows = -1;
	c->void_column = "voided";
}

void bf_closure_history_free(struct bf_closure_history *h)
{
	if (!h)
		return;
	free(h->days);
	for (size_t i = 0; i < h->nstreams; i++)
		free(h->streams[i]);
	free(h->streams);
	memset(h, 0, sizeof *h);
}

void bf_closure_verdict_free(struct bf_closure_verdict *v)
{
	if (!v)
		return;
	cJSON_Delete(v->evidence);
	for (size_t i = 0; i < v->nexpected; i++)
		free(v->expected[i]);
	free(v->expected);
	memset(v, 0, sizeof *v);
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

double bf_closure_median(double *v, size_t n)
{
	if (!n)
		return NAN;
	qsort(v, n, sizeof *v, cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

int bf_closure_money(const char *s, size_t len, double *out)
{
	char num[64];
	size_t n = 0;
	int neg = 0, digits = 0, dot = 0;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		if (c >= '0' && c <= '9') {
			if (n >= sizeof num - 2)
				return -1;
			num[n++] = (char)c;
			digits = 1;
		} else if (c == '.') {
			if (dot++)
				return -1;
			num[n++] = '.';
		} else if (c == '-' && !digits) {
			neg = !neg;
		} else if (c == '(' && !digits) {
			neg = 1;
		} else if (c == ',' && dot) {
			return -1;   /* "1.234,50": a decimal comma, not supported */
		} else if (c == ',' || c == ' ' || c == '\'' || c == '+' || c == ')' || c == '$' ||
			   c >= 0x80 || (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) {
			/* thousands separators, currency signs and codes */
			if (((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z')) && digits && i + 1 < len &&
			    s[i + 1] >= '0' && s[i + 1] <= '9')
				return -1;   /* "1e5", "12abc3": not money */
		} else {
			return -1;
		}
	}
	if (!digits)
		return -1;
	num[n] = '\0';
	double d = strtod(num, NULL);
	*out = neg ? -d : d;
	return 0;
}


static void add_expected(struct bf_closure_verdict *v, const char *s)
{
	bf_closure_strv_add(&v->expected, &v->nexpected, s);
}

static double round2(double x)
{
	return round(x * 100) / 100;
}

static void add_num_or_null(cJSON *o, const char *k, double x)
{
	if (isnan(x) || x < 0)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, round2(x));
}

/* The medians of the history the thresholds are relative to. */
struct base {
	const char *basis;         /* weekday, all_days, floor */
	size_t days;
	double rows, sales, files; /* medians, NAN when unknown */
};

static double median_of(const struct bf_closure_history *h, int32_t date, int same_weekday, int what,
			size_t *count)
{
	double *v = bf_xmalloc((h->n + 1) * sizeof *v);
	size_t n = 0;
	for (size_t i = 0; i < h->n; i++) {
		const struct bf_closure_day *d = &h->days[i];
		if (same_weekday && (date - d->date) % 7)
			continue;
		double x = what == 0 ? d->rows : what == 1 ? d->sales : d->files;
		if (x >= 0)
			v[n++] = x;
	}
	double m = bf_closure_median(v, n);
	free(v);
	if (count)
		*count = n;
	return m;
}

void bf_closure_decide(const struct bf_closure_cfg *cfg, int32_t date,
		       const struct bf_closure_obs *obs, const struct bf_closure_history *h,
		       struct bf_closure_verdict *v)
{
	static const struct bf_closure_history none = { 0 };
	static const struct bf_closure_measure nothing = { .activity_how = "none", .amount_how = "none" };
	const struct bf_closure_measure *me = obs->measure ? obs->measure : &nothing;
	int table = obs->kind && !strcmp(obs->kind, "table");
	int measured = me->activity_stream && me->activity_known;
	char iso[11];
	if (!h)
		h = &none;
	memset(v, 0, sizeof *v);
	cJSON *ev = v->evidence = cJSON_CreateObject();

	/* observed */
	cJSON *ob = cJSON_AddObjectToObject(ev, "observed");
	if (obs->kind)
		cJSON_AddStringToObject(ob, "kind", obs->kind);
	if (obs->folder)
		cJSON_AddStringToObject(ob, "folder", obs->folder);
	else
		cJSON_AddNullToObject(ob, "folder");
	if (obs->files >= 0)
		cJSON_AddNumberToObject(ob, "files", (double)obs->files);
	else
		cJSON_AddNullToObject(ob, "files");
	cJSON *rows = cJSON_AddObjectToObject(ob, "rows");
	long long total = 0;
	for (size_t i = 0; i < obs->nstreams; i++) {
		cJSON_AddNumberToObject(rows, obs->streams[i].name, (double)obs->streams[i].rows);
		total += obs->streams[i].rows;
	}
	if (measured)
		cJSON_AddNumberToObject(ob, "activity_rows", (double)obs->activity_rows);
	else
		cJSON_AddNullToObject(ob, "activity_rows");
	if (obs->have_sales && me->amount_stream)
		cJSON_AddNumberToObject(ob, "sales", round2(obs->sales));
	else
		cJSON_AddNullToObject(ob, "sales");
	if (obs->voided)
		cJSON_AddNumberToObject(ob, "voided_rows", (double)obs->voided);
	if (obs->bad_amounts)
		cJSON_AddNumberToObject(ob, "unparsed_amounts", (double)obs->bad_amounts);

	/* expected streams: given, else learned, plus those seen in this run and today */
	if (cfg->expect_streams) {
		for (size_t i = 0; i < cfg->nexpect_streams; i++)
			add_expected(v, cfg->expect_streams[i]);
	} else {
		for (size_t i = 0; i < h->nstreams; i++)
			add_expected(v, h->streams[i]);
		for (size_t i = 0; i < obs->nseen; i++)
			add_expected(v, obs->seen_streams[i]);
		for (size_t i = 0; i < obs->nstreams; i++)
			add_expected(v, obs->streams[i].name);
	}
	cJSON *miss = cJSON_AddArrayToObject(ob, "streams_without_rows");
	for (size_t i = 0; i < v->nexpected; i++) {
		long long r = 0;
		for (size_t k = 0; k < obs->nstreams; k++)
			if (!strcmp(obs->streams[k].name, v->expected[i]))
				r = obs->streams[k].rows;
		if (!r)
			cJSON_AddItemToArray(miss, cJSON_CreateString(v->expected[i]));
	}

	/* pending: the export is not due yet */
	int32_t due = date + (cfg->due_days > 0 ? cfg->due_days : 0);
	if (date >= cfg->today || due > cfg->today) {
		cJSON *p = cJSON_AddObjectToObject(ev, "pending");
		bf_date_iso(cfg->today, iso);
		cJSON_AddStringToObject(p, "today", iso);
		bf_date_iso(due > date ? due : date + 1, iso);
		cJSON_AddStringToObject(p, "due", iso);
		cJSON_AddNumberToObject(p, "due_days", cfg->due_days);
		if (me->learned)
			cJSON_AddItemToObject(ev, "learned", cJSON_Duplicate(me->learned, 1));
		v->verdict = "pending";
		v->reason = NULL;
		return;
	}

	/* the baseline */
	struct base b = { "floor", 0, NAN, NAN, NAN };
	size_t n_wd = 0, n_all = 0, n_files = 0;
	double wd_rows = median_of(h, date, 1, 0, &n_wd);
	double all_rows = median_of(h, date, 0, 0, &n_all);
	if (n_wd) {
		b.basis = "weekday";
		b.days = n_wd;
		b.rows = wd_rows;
		b.sales = median_of(h, date, 1, 1, NULL);
	} else if (n_all) {
		b.basis = "all_days";
		b.days = n_all;
		b.rows = all_rows;
		b.sales = median_of(h, date, 0, 1, NULL);
	}
	b.files = median_of(h, date, 0, 2, &n_files);

	cJSON *bj = cJSON_AddObjectToObject(ev, "baseline");
	cJSON_AddStringToObject(bj, "basis", b.basis);
	cJSON_AddStringToObject(bj, "weekday", weekday_names[bf_date_weekday(date)]);
	cJSON_AddNumberToObject(bj, "weeks", cfg->baseline_weeks);
	cJSON_AddNumberToObject(bj, "open_days", (double)h->n);
	cJSON_AddNumberToObject(bj, "days", (double)b.days);
	add_num_or_null(bj, "median_activity_rows", b.rows);
	add_num_or_null(bj, "median_sales", b.sales);
	add_num_or_null(bj, "median_files", b.files);
	if (!strcmp(b.basis, "floor"))
		cJSON_AddStringToObject(bj, "note", "no open days in the window yet: absolute floors "
					"(no activity rows is low_activity, sales of 0 or less is low_sales)");
	else if (!strcmp(b.basis, "all_days"))
		cJSON_AddStringToObject(bj, "note", "no open day on this weekday in the window: median of all open days");

	/* thresholds */
	cJSON *th = cJSON_AddObjectToObject(ev, "thresholds");
	double t_files = -1, t_rows, t_sales = -1;
	const char *files_basis = "none";
	if (table) {
		files_basis = "not_applicable";
	} else if (cfg->min_files >= 0) {
		t_files = (double)cfg->min_files;
		files_basis = "min_files";
	} else if (cfg->expect_files >= 0) {
		t_files = (double)cfg->expect_files;
		files_basis = "expect_files";
	} else if (cfg->expect_streams) {
		t_files = (double)cfg->nexpect_streams;
		files_basis = "expect_streams";
	} else if (n_files) {
		t_files = floor(b.files);
		files_basis = "history";
	}
	const char *rows_basis, *sales_basis = "none";
	if (!measured) {
		t_rows = -1;
		rows_basis = "skipped";
	} else if (cfg->min_rows >= 0) {
		t_rows = (double)cfg->min_rows;
		rows_basis = "min_rows";
	} else if (!isnan(b.rows)) {
		t_rows = cfg->activity_fraction * b.rows;
		rows_basis = "fraction_of_median";
	} else {
		t_rows = 1;
		rows_basis = "floor";
	}
	if (!me->amount_stream) {
		sales_basis = "skipped";
	} else if (cfg->have_min_sales) {
		t_sales = cfg->min_sales;
		sales_basis = "min_sales";
	} else if (!isnan(b.sales)) {
		t_sales = cfg->sales_fraction * b.sales;
		sales_basis = "fraction_of_median";
	} else if (!strcmp(b.basis, "floor")) {
		sales_basis = "floor";
	}
	if (t_files >= 0)
		cJSON_AddNumberToObject(th, "files", t_files);
	else
		cJSON_AddNullToObject(th, "files");
	cJSON_AddStringToObject(th, "files_basis", files_basis);
	if (t_rows >= 0)
		cJSON_AddNumberToObject(th, "activity_rows", round2(t_rows));
	else
		cJSON_AddNullToObject(th, "activity_rows");
	cJSON_AddStringToObject(th, "activity_basis", rows_basis);
	if (me->activity_stream)
		cJSON_AddStringToObject(th, "activity_stream", me->activity_stream);
	else
		cJSON_AddNullToObject(th, "activity_stream");
	if (t_sales >= 0)
		cJSON_AddNumberToObject(th, "sales", round2(t_sales));
	else if (!strcmp(sales_basis, "floor"))
		cJSON_AddNumberToObject(th, "sales", 0);
	else
		cJSON_AddNullToObject(th, "sales");
	cJSON_AddStringToObject(th, "sales_basis", sales_basis);
	if (me->amount_stream) {
		struct bf_buf a = BF_BUF_INIT;
		bf_buf_addf(&a, "%s.%s", me->amount_stream, me->amount_column);
		cJSON_AddStringToObject(th, "amount_column", a.p);
		bf_buf_free(&a);
		if (cfg->void_column && *cfg->void_column)
			cJSON_AddStringToObject(th, "void_column", cfg->void_column);
	} else {
		cJSON_AddNullToObject(th, "amount_column");
	}
	cJSON_AddNumberToObject(th, "activity_fraction", cfg->activity_fraction);
	cJSON_AddNumberToObject(th, "sales_fraction", cfg->sales_fraction);
	if (me->learned)
		cJSON_AddItemToObject(ev, "learned", cJSON_Duplicate(me->learned, 1));

	/* the rules, in order; a table's partition has no files to count */
	const char *reason = NULL;
	int have_files = !table && obs->files >= 0;
	if (!table && ((obs->folder && strcmp(obs->folder, "present")) || (have_files && obs->files == 0) ||
		       (!obs->folder && !have_files && total == 0)))
		reason = "no_files";
	else if (have_files && t_files >= 0 && (double)obs->files < t_files)
		reason = "insufficient_files";
	if (!reason && !measured)
		v->activity_skipped = 1;
	else if (!reason && (double)obs->activity_rows < t_rows)
		reason = "low_activity";
	if (!reason && !me->amount_stream)
		v->sales_skipped = 1;
	else if (!reason && obs->have_sales &&
		 ((t_sales >= 0 && obs->sales < t_sales) ||
		  (!strcmp(sales_basis, "floor") && obs->sales <= 0)))
		reason = "low_sales";
	v->verdict = reason ? "closed" : "open";
	v->reason = reason;
}
