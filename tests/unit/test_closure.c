/* Unit tests for bf_closure (the verdict rules, money parsing, the state-file history),
 * printed as TAP. */
#include "stages/closure/bf_closure.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_time.h"
#include "stages/closure/bf_closure_learn.h"

#include "tap.h"

static int32_t D(const char *s)
{
	int32_t d;
	if (bf_date_parse(s, &d))
		abort();
	return d;
}

static double ev_num(const cJSON *ev, const char *obj, const char *key)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(ev, obj);
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsNumber(v) ? v->valuedouble : NAN;
}

static const char *ev_str(const cJSON *ev, const char *obj, const char *key)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(ev, obj);
	const cJSON *v = o ? cJSON_GetObjectItemCaseSensitive(o, key) : NULL;
	return cJSON_IsString(v) ? v->valuestring : "";
}

static void test_money(void)
{
	static const struct { const char *s; int ok; double v; } c[] = {
		{ "1,234.50", 1, 1234.5 }, { "$12.50", 1, 12.5 }, { "12", 1, 12 }, { "-3.25", 1, -3.25 },
		{ "(4.00)", 1, -4 }, { "12.5 EUR", 1, 12.5 }, { " 7 ", 1, 7 }, { "€ 1.234,5", 0, 0 },
		{ "", 0, 0 }, { "abc", 0, 0 }, { "1e5", 0, 0 }, { "1.2.3", 0, 0 }, { "12abc3", 0, 0 },
		{ "0.00", 1, 0 }, { "1'000.00", 1, 1000 },
	};
	for (size_t i = 0; i < sizeof c / sizeof c[0]; i++) {
		double v = -999;
		int r = bf_closure_money(c[i].s, strlen(c[i].s), &v);
		if (c[i].ok)
			ok(r == 0 && fabs(v - c[i].v) < 1e-9, "money \"%s\" = %g (got %g)", c[i].s, c[i].v, v);
		else
			ok(r != 0, "money \"%s\" refused", c[i].s);
	}
}

static void test_median(void)
{
	double a[] = { 5, 1, 3 }, b[] = { 4, 1, 3, 2 };
	ok(bf_closure_median(a, 3) == 3, "median of 3 values");
	ok(bf_closure_median(b, 4) == 2.5, "median of 4 values");
	ok(isnan(bf_closure_median(NULL, 0)), "median of nothing is NAN");
}

/* A history of open days: n weeks back of every day before date, each with rows/sales/files. */
static void make_history(struct bf_closure_history *h, int32_t date, int weeks, double rows,
			 double sales, double files, double monday_rows)
{
	memset(h, 0, sizeof *h);
	for (int32_t d = date - 7 * weeks; d < date; d++) {
		h->days = realloc(h->days, (h->n + 1) * sizeof *h->days);
		struct bf_closure_day *x = &h->days[h->n++];
		x->date = d;
		x->rows = bf_date_weekday(d) == 1 && monday_rows >= 0 ? monday_rows : rows;
		x->sales = sales;
		x->files = files;
	}
	h->streams = calloc(2, sizeof *h->streams);
	h->streams[0] = strdup("order_details");
	h->streams[1] = strdup("payment_details");
	h->nstreams = 2;
}

struct obs_buf {
	struct bf_closure_stream s[2];
	struct bf_closure_obs o;
};

/* A Toast-shaped day is measured by order_details and its amount. */
static const struct bf_closure_measure toast = {
	.activity_stream = (char *)"order_details", .activity_known = 1,
	.amount_stream = (char *)"order_details", .amount_column = (char *)"amount",
	.activity_how = "option", .amount_how = "option",
};

static struct bf_closure_obs *obs(struct obs_buf *b, const char *folder, long long files,
				  long long orders, long long payments, double sales)
{
	memset(b, 0, sizeof *b);
	b->s[0] = (struct bf_closure_stream){ (char *)"order_details", orders, 1 };
	b->s[1] = (struct bf_closure_stream){ (char *)"payment_details", payments, 1 };
	b->o.folder = folder;
	b->o.files = files;
	b->o.streams = b->s;
	b->o.nstreams = 2;
	b->o.measure = &toast;
	b->o.activity_rows = orders;
	b->o.sales = sales;
	b->o.have_sales = orders > 0;
	return &b->o;
}

static void expect(const struct bf_closure_cfg *cfg, int32_t date, const struct bf_closure_obs *o,
		   const struct bf_closure_history *h, const char *verdict, const char *reason,
		   const char *what)
{
	struct bf_closure_verdict v;
	bf_closure_decide(cfg, date, o, h, &v);
	int good = !strcmp(v.verdict, verdict) &&
		   ((!reason && !v.reason) || (reason && v.reason && !strcmp(reason, v.reason)));
	if (!ok(good, "%s: %s %s", what, verdict, reason ? reason : "")) {
		char *s = cJSON_PrintUnformatted(v.evidence);
		diag("got %s %s; evidence %s", v.verdict, v.reason ? v.reason : "-", s);
		free(s);
	}
	bf_closure_verdict_free(&v);
}

static void test_rules(void)
{
	struct bf_closure_cfg cfg;
	struct bf_closure_history big, cafe, empty = { 0 };
	struct obs_buf b;
	int32_t day = D("2024-03-13");  /* a Wednesday */
	bf_closure_cfg_init(&cfg);
	cfg.today = D("2024-04-01");
	make_history(&big, day, 8, 5000, 150000, 7, -1);
	make_history(&cafe, day, 8, 20, 600, 7, 4);

	expect(&cfg, day, obs(&b, "present", 7, 5000, 5000, 150000), &big, "open", NULL, "a normal day");
	expect(&cfg, day, obs(&b, "missing", 0, 0, 0, 0), &big, "closed", "no_files", "folder missing");
	expect(&cfg, day, obs(&b, "empty", 0, 0, 0, 0), &big, "closed", "no_files", "folder empty");
	expect(&cfg, day, obs(&b, "present", 3, 5000, 5000, 150000), &big, "closed", "insufficient_files",
	       "3 of 7 files");
	expect(&cfg, day, obs(&b, "present", 7, 0, 0, 0), &big, "closed", "low_activity", "header-only files");
	expect(&cfg, day, obs(&b, "present", 7, 120, 120, 3000), &big, "closed", "low_activity",
	       "120 orders where 5000 is usual");
	expect(&cfg, day, obs(&b, "present", 7, 600, 600, 18000), &big, "open", NULL,
	       "600 orders where 5000 is usual (above a tenth)");
	expect(&cfg, day, obs(&b, "present", 7, 5000, 5000, 900), &big, "closed", "low_sales",
	       "orders but almost no sales");
	/* the same small numbers are an ordinary day for a cafe */
	expect(&cfg, day, obs(&b, "present", 7, 18, 18, 540), &cafe, "open", NULL, "cafe: 18 orders");
	expect(&cfg, day, obs(&b, "present", 7, 1, 1, 30), &cafe, "closed", "low_activity", "cafe: 1 order");
	/* Mondays are slow at the cafe: judged against Mondays */
	int32_t monday = D("2024-03-11");
	struct bf_closure_history cafe_mon;
	make_history(&cafe_mon, monday, 8, 20, 600, 7, 4);
	expect(&cfg, monday, obs(&b, "present", 7, 3, 3, 90), &cafe_mon, "open", NULL,
	       "cafe: 3 orders on a Monday (Mondays have 4)");
	/* no history: absolute floors */
	expect(&cfg, day, obs(&b, "present", 7, 0, 0, 0), &empty, "closed", "low_activity", "no history, no rows");
	expect(&cfg, day, obs(&b, "present", 7, 2, 2, 60), &empty, "open", NULL, "no history, some rows");
	expect(&cfg, day, obs(&b, "present", 7, 2, 2, 0), &empty, "closed", "low_sales", "no history, zero sales");
	/* pending */
	expect(&cfg, cfg.today, obs(&b, "present", 7, 5000, 5000, 150000), &big, "pending", NULL, "today");
	expect(&cfg, cfg.today + 3, obs(&b, "missing", 0, 0, 0, 0), &big, "pending", NULL, "a future date");
	expect(&cfg, cfg.today - 1, obs(&b, "missing", 0, 0, 0, 0), &big, "closed", "no_files",
	       "yesterday is due with --due-days 1");
	cfg.due_days = 2;
	expect(&cfg, cfg.today - 1, obs(&b, "missing", 0, 0, 0, 0), &big, "pending", NULL,
	       "yesterday is not due with --due-days 2");
	cfg.due_days = 1;
	/* absolute thresholds */
	cfg.min_rows = 1000;
	expect(&cfg, day, obs(&b, "present", 7, 600, 600, 18000), &big, "closed", "low_activity",
	       "--min-rows 1000 with 600 rows");
	cfg.min_rows = 10;
	expect(&cfg, day, obs(&b, "present", 7, 120, 120, 16000), &big, "open", NULL, "--min-rows 10 with 120 rows");
	cfg.min_sales = 5000;
	cfg.have_min_sales = 1;
	expect(&cfg, day, obs(&b, "present", 7, 120, 120, 3000), &big, "closed", "low_sales",
	       "--min-sales 5000 with 3000");
	cfg.min_files = 2;
	expect(&cfg, day, obs(&b, "present", 3, 5000, 5000, 150000), &big, "open", NULL, "--min-files 2 with 3 files");
	expect(&cfg, day, obs(&b, "present", 1, 5000, 5000, 150000), &big, "closed", "insufficient_files",
	       "--min-files 2 with 1 file");

	/* the evidence */
	bf_closure_cfg_init(&cfg);
	cfg.today = D("2024-04-01");
	struct bf_closure_verdict v;
	bf_closure_decide(&cfg, day, obs(&b, "present", 7, 120, 0, 3000), &big, &v);
	ok(ev_num(v.evidence, "thresholds", "activity_rows") == 500, "evidence: threshold 0.1 x median 5000");
	ok(ev_num(v.evidence, "baseline", "median_activity_rows") == 5000, "evidence: baseline median");
	ok(!strcmp(ev_str(v.evidence, "baseline", "basis"), "weekday"), "evidence: same-weekday basis");
	ok(ev_num(v.evidence, "baseline", "days") == 8, "evidence: 8 Wednesdays in 8 weeks");
	ok(ev_num(v.evidence, "observed", "activity_rows") == 120, "evidence: observed rows");
	ok(ev_num(v.evidence, "observed", "sales") == 3000, "evidence: observed sales");
	ok(v.nexpected == 2, "expected streams learned from history (%zu)", v.nexpected);
	const cJSON *miss = cJSON_GetObjectItemCaseSensitive(
		cJSON_GetObjectItemCaseSensitive(v.evidence, "observed"), "streams_without_rows");
	ok(cJSON_GetArraySize(miss) == 1 && !strcmp(miss->child->valuestring, "payment_details"),
	   "evidence: the stream without rows");
	bf_closure_verdict_free(&v);
	bf_closure_decide(&cfg, day, obs(&b, "present", 7, 0, 0, 0), &empty, &v);
	ok(!strcmp(ev_str(v.evidence, "baseline", "basis"), "floor") &&
	   strstr(ev_str(v.evidence, "baseline", "note"), "floor") != NULL, "evidence: says when floors were used");
	bf_closure_verdict_free(&v);
	char *es[] = { (char *)"a", (char *)"b", (char *)"c" };
	cfg.expect_streams = es;
	cfg.nexpect_streams = 3;
	bf_closure_decide(&cfg, day, obs(&b, "present", 3, 5000, 5000, 150000), &empty, &v);
	ok(v.nexpected == 3 && !strcmp(v.expected[2], "c"), "--expect-streams replaces the learned list");
	bf_closure_verdict_free(&v);

	bf_closure_history_free(&big);
	bf_closure_history_free(&cafe);
	bf_closure_history_free(&cafe_mon);
}

static void test_state(void)
{
	char path[] = "/tmp/bf-test-closure-XXXXXX";
	int fd = mkstemp(path);
	struct bf_err err = { 0 };
	struct bf_state *st = NULL;
	close(fd);
	unlink(path);
	if (!ok(bf_state_open(path, &st, &err) == 0, "state file opens (%s)", err.msg))
		return;
	struct bf_closure_cfg cfg;
	bf_closure_cfg_init(&cfg);
	cfg.today = D("2024-04-01");
	struct obs_buf b;
	int32_t day0 = D("2024-01-01"), day = D("2024-03-13");
	int rc = 0;
	for (int32_t d = day0; d < day && !rc; d++) {
		struct bf_closure_verdict v;
		char iso[11];
		bf_date_iso(d, iso);
		long long rows = d % 10 == 0 ? 0 : 100 + (d % 7) * 10;
		bf_closure_decide(&cfg, d, obs(&b, "present", 2, rows, rows, (double)rows * 10), NULL, &v);
		rc = bf_closure_store(st, "src", "L1", iso, &v, &err);
		bf_closure_verdict_free(&v);
	}
	ok(rc == 0, "verdicts stored (%s)", err.msg);
	struct bf_closure_history h;
	rc = bf_closure_history_load(st, "src", "L1", day, 8, "order_details", "order_details.amount", &h, &err);
	ok(rc == 0, "history loads");
	size_t expect_n = 0;
	for (int32_t d = day - 56; d < day; d++)
		expect_n += d % 10 != 0;
	ok(h.n == expect_n, "history: the open days of the previous 8 weeks (%zu, want %zu)", h.n, expect_n);
	int all_in = 1;
	for (size_t i = 0; i < h.n; i++)
		all_in &= h.days[i].date >= day - 56 && h.days[i].date < day && h.days[i].rows >= 100 &&
			  h.days[i].sales == h.days[i].rows * 10 && h.days[i].files == 2;
	ok(all_in, "history: rows, sales and files of each day");
	bf_closure_history_free(&h);
	rc = bf_closure_history_load(st, "src", "L1", day, 8, "orders", "order_details.amount", &h, &err);
	all_in = rc == 0 && h.n == expect_n;
	for (size_t i = 0; all_in && i < h.n; i++)
		all_in &= h.days[i].rows < 0 && h.days[i].sales >= 100 && h.days[i].files == 2;
	ok(all_in, "history: no rows of days whose activity was another stream (sales still)");
	bf_closure_history_free(&h);
	rc = bf_closure_history_load(st, "src", "L1", day, 8, "order_details", NULL, &h, &err);
	all_in = rc == 0 && h.n == expect_n;
	for (size_t i = 0; all_in && i < h.n; i++)
		all_in &= h.days[i].rows >= 100 && h.days[i].sales < 0;
	ok(all_in, "history: no sales of days measured by another amount (none now)");
	bf_closure_history_free(&h);
	rc = bf_closure_history_load(st, "src", "L2", day, 8, "order_details", "order_details.amount", &h, &err);
	ok(rc == 0 && h.n == 0, "history of another location is empty");
	bf_closure_history_free(&h);
	bf_state_close(st);
	unlink(path);
	char aux[64];
	snprintf(aux, sizeof aux, "%s-wal", path);
	unlink(aux);
	snprintf(aux, sizeof aux, "%s-shm", path);
	unlink(aux);
}

int main(void)
{
	test_money();
	test_median();
	test_rules();
	test_state();
	return done_testing();
}
