/* Unit tests for what bf-closure measures a day by (bf_closure_learn): the names, the
 * learned activity stream and amount column of several vendors' exports, the options,
 * order independence, the verdicts without a measure and of a table's partition, and the
 * catalogue read back from a state file. Printed as TAP. */
#include "stages/closure/bf_closure_learn.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_time.h"
#include "tap.h"

static int32_t D(const char *s)
{
	int32_t d;
	if (bf_date_parse(s, &d))
		abort();
	return d;
}

static int streq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && !strcmp(a, b));
}

/* One day of an export: "stream=rows" pairs (-1 rows: a file without rows). */
static void day(struct bf_closure_catalogue *c, ...)
{
	va_list ap;
	const char *name;
	int any = 0;
	va_start(ap, c);
	while ((name = va_arg(ap, const char *))) {
		long long rows = va_arg(ap, long long);
		if (rows < 0)
			rows = 0;
		bf_closure_catalogue_stream(c, name, 1, rows > 0, (double)rows);
		any = 1;
	}
	va_end(ap);
	c->days += any;
}

/* Learns with the given options and checks the activity stream and amount column. */
static void expect(const struct bf_closure_cfg *cfg, const struct bf_closure_catalogue *c,
		   const char *activity, const char *how, const char *amount, const char *what)
{
	struct bf_closure_measure m;
	bf_closure_learn(cfg, c, &m);
	char *got = NULL;
	if (m.amount_stream) {
		size_t n = strlen(m.amount_stream) + strlen(m.amount_column) + 2;
		got = malloc(n);
		snprintf(got, n, "%s.%s", m.amount_stream, m.amount_column);
	}
	const char *learned_amount = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m.learned, "amount_column"));
	int good = streq(m.activity_stream, activity) && streq(m.activity_how, how) && streq(got, amount) &&
		   streq(learned_amount, amount);
	if (!ok(good, "%s: %s (%s), %s", what, activity ? activity : "none", how, amount ? amount : "no amount")) {
		char *s = cJSON_PrintUnformatted(m.learned);
		diag("got %s (%s), %s; learned %s", m.activity_stream ? m.activity_stream : "none",
		     m.activity_how, got ? got : "no amount", s);
		free(s);
	}
	free(got);
	bf_closure_measure_free(&m);
}

static void test_names(void)
{
	ok(bf_closure_money_name("amount") == 0, "money name: amount first");
	ok(bf_closure_money_name("Gross Sales") >= 0 &&
	   bf_closure_money_name("Gross Sales") == bf_closure_money_name("grossSales") &&
	   bf_closure_money_name("gross_sales") == bf_closure_money_name("GrossSales"),
	   "money name: Gross Sales, grossSales, GrossSales and gross_sales are one name");
	ok(bf_closure_money_name("Total") > bf_closure_money_name("Amount"), "money name: amount before total");
	ok(bf_closure_money_name("tip") < 0 && bf_closure_money_name("discount_amount") < 0 &&
	   bf_closure_money_name("order_id") < 0, "money name: tip, discount_amount and order_id are not");
	ok(bf_closure_activity_name("order_details") == 0, "activity name: order_details first");
	ok(bf_closure_activity_name("Orders") >= 0 && bf_closure_activity_name("WorkOrders") >= 0 &&
	   bf_closure_activity_name("transactions") >= 0 && bf_closure_activity_name("sales") >= 0,
	   "activity names: orders, work_orders, transactions, sales");
	ok(bf_closure_activity_name("order_lines") < 0 && bf_closure_activity_name("payment_details") < 0,
	   "activity names: order_lines and payment_details are not");
}

static void test_vendors(void)
{
	struct bf_closure_cfg cfg;
	bf_closure_cfg_init(&cfg);
	struct bf_closure_catalogue c = { 0 };

	/* a pizzeria: Orders.csv and OrderLines.csv */
	for (int i = 0; i < 20; i++)
		day(&c, "order_lines", 150LL, "orders", 60LL, NULL);
	bf_closure_catalogue_money(&c, "orders", "total", 1200, 1200);
	bf_closure_catalogue_money(&c, "order_lines", "price", 3000, 3000);
	expect(&cfg, &c, "orders", "well_known_name", "orders.total", "pizzeria");
	bf_closure_catalogue_free(&c);

	/* Toast: seven files, order_details with amount and total */
	for (int i = 0; i < 3; i++)
		day(&c, "all_items_report", 40LL, "cash_entries", 11LL, "check_details", 60LL,
		    "item_selection_details", 150LL, "kitchen_timings", 80LL, "order_details", 60LL,
		    "payment_details", 61LL, NULL);
	bf_closure_catalogue_money(&c, "order_details", "total", 180, 180);
	bf_closure_catalogue_money(&c, "order_details", "amount", 180, 180);
	expect(&cfg, &c, "order_details", "well_known_name", "order_details.amount", "Toast");
	bf_closure_catalogue_free(&c);

	/* Square: Transactions with Gross Sales and Net Sales; Items */
	for (int i = 0; i < 10; i++)
		day(&c, "items", 300LL, "transactions", 90LL, NULL);
	bf_closure_catalogue_money(&c, "transactions", "Net Sales", 900, 900);
	bf_closure_catalogue_money(&c, "transactions", "Gross Sales", 900, 900);
	expect(&cfg, &c, "transactions", "well_known_name", "transactions.Gross Sales", "Square");
	bf_closure_catalogue_free(&c);

	/* Lightspeed: Sales with Total; SaleLines */
	for (int i = 0; i < 10; i++)
		day(&c, "sale_lines", 300LL, "sales", 90LL, NULL);
	bf_closure_catalogue_money(&c, "sales", "total", 900, 899);
	expect(&cfg, &c, "sales", "well_known_name", "sales.total", "Lightspeed");
	bf_closure_catalogue_free(&c);

	/* a work-order table, one stream, its first day */
	day(&c, "work_orders", 12LL, NULL);
	bf_closure_catalogue_money(&c, "work_orders", "invoice_total", 12, 12);
	expect(&cfg, &c, "work_orders", "well_known_name", "work_orders.invoice_total", "work orders");
	bf_closure_catalogue_free(&c);

	/* a table of another name, alone: its rows are the activity, even on a day of none */
	day(&c, "service_calls", -1LL, NULL);
	expect(&cfg, &c, "service_calls", "only_stream", NULL, "the only stream, no rows, no money column");
	bf_closure_catalogue_free(&c);
}

static void test_unknown_names(void)
{
	struct bf_closure_cfg cfg;
	bf_closure_cfg_init(&cfg);
	struct bf_closure_catalogue c = { 0 };
	for (int i = 0; i < BF_CLOSURE_LEARN_MIN_DAYS - 1; i++)
		day(&c, "ventes", 60LL, "lignes", 150LL, "caisse", 5LL, NULL);
	expect(&cfg, &c, NULL, "none", NULL, "unknown names, six days: nothing learned");
	struct bf_closure_measure m;
	bf_closure_learn(&cfg, &c, &m);
	const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m.learned, "activity_why"));
	ok(why && strstr(why, "too few") && strstr(why, "7 needed"), "the evidence says why: %s", why ? why : "");
	why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m.learned, "amount_why"));
	ok(why && strstr(why, "not judged"), "and that low_sales is not judged: %s", why ? why : "");
	bf_closure_measure_free(&m);
	day(&c, "ventes", 60LL, "lignes", 150LL, "caisse", 5LL, NULL);
	expect(&cfg, &c, "lignes", "most_days", NULL, "unknown names, a week: the stream with rows on most days, then most rows");
	/* a stream with rows on more days beats one with more rows */
	day(&c, "ventes", 60LL, "lignes", -1LL, "caisse", 5LL, NULL);
	day(&c, "ventes", 60LL, "lignes", -1LL, "caisse", 5LL, NULL);
	expect(&cfg, &c, "ventes", "most_days", NULL, "rows on more days first");
	bf_closure_catalogue_free(&c);

	/* a well-known name there on a few days only is not the export's activity */
	for (int i = 0; i < 10; i++)
		day(&c, "lines", 100LL, i < 3 ? "orders" : NULL, 40LL, NULL);
	expect(&cfg, &c, "lines", "most_days", NULL, "orders on 3 of 10 days is not taken");
	bf_closure_catalogue_free(&c);

	expect(&cfg, &c, NULL, "none", NULL, "nothing at all");
}

/* The same days added in another order learn the same, to the byte. */
static void test_order(void)
{
	struct bf_closure_cfg cfg;
	bf_closure_cfg_init(&cfg);
	struct bf_closure_catalogue a = { 0 }, b = { 0 };
	static const char *const names[] = { "x_lines", "y_heads", "z_pay" };
	long long rows[10][3];
	for (int i = 0; i < 10; i++)
		for (int k = 0; k < 3; k++)
			rows[i][k] = (i * 7 + k * 13) % 5 == 0 ? 0 : 20 + (i * 31 + k * 17) % 50;
	for (int pass = 0; pass < 2; pass++) {
		struct bf_closure_catalogue *c = pass ? &b : &a;
		for (int j = 0; j < 10; j++) {
			int i = pass ? 9 - j : j;
			for (int k = 0; k < 3; k++) {
				int kk = pass ? 2 - k : k;
				bf_closure_catalogue_stream(c, names[kk], 1, rows[i][kk] > 0, (double)rows[i][kk]);
				bf_closure_catalogue_money(c, names[kk], "total", rows[i][kk], rows[i][kk]);
			}
			c->days++;
		}
	}
	struct bf_closure_measure ma, mb;
	bf_closure_learn(&cfg, &a, &ma);
	bf_closure_learn(&cfg, &b, &mb);
	char *sa = cJSON_PrintUnformatted(ma.learned), *sb = cJSON_PrintUnformatted(mb.learned);
	ok(ma.activity_stream && !strcmp(sa, sb), "the days and streams in reverse order: the same measure and evidence");
	diag("%s", sa);
	free(sa);
	free(sb);
	bf_closure_measure_free(&ma);
	bf_closure_measure_free(&mb);
	bf_closure_catalogue_free(&a);
	bf_closure_catalogue_free(&b);
}

static void test_amount(void)
{
	struct bf_closure_cfg cfg;
	bf_closure_cfg_init(&cfg);
	struct bf_closure_catalogue c = { 0 };
	day(&c, "orders", 50LL, NULL);
	bf_closure_catalogue_money(&c, "orders", "total", 50, 0);      /* "1.234,50": not money */
	expect(&cfg, &c, "orders", "well_known_name", NULL, "values that do not parse as money: no amount");
	bf_closure_catalogue_money(&c, "orders", "price", 50, 46);     /* 92% */
	expect(&cfg, &c, "orders", "well_known_name", "orders.price", "a column whose values are 92% money");
	bf_closure_catalogue_money(&c, "orders", "sub_total", 0, 0);   /* never a value */
	bf_closure_catalogue_money(&c, "orders", "amount", 50, 25);    /* half */
	expect(&cfg, &c, "orders", "well_known_name", "orders.price", "a better name with half its values money is not taken");
	bf_closure_catalogue_money(&c, "payments", "amount", 50, 50);  /* another stream's */
	expect(&cfg, &c, "orders", "well_known_name", "orders.price", "another stream's amount is not taken");

	/* options */
	cfg.amount_stream = "payments";
	cfg.amount_column = "amount";
	expect(&cfg, &c, "orders", "well_known_name", "payments.amount", "--amount-column");
	cfg.activity_stream = "order_details";
	cfg.amount_stream = NULL;
	cfg.amount_column = NULL;
	struct bf_closure_measure m;
	bf_closure_learn(&cfg, &c, &m);
	ok(!strcmp(m.activity_stream, "order_details") && !m.activity_known && !strcmp(m.activity_how, "option") &&
	   !m.amount_stream, "--activity-stream of a stream not in the export: given, not known, no amount");
	const char *why = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(m.learned, "activity_why"));
	ok(why && strstr(why, "--activity-stream") && strstr(why, "not judged"), "and the evidence says so: %s", why ? why : "");
	bf_closure_measure_free(&m);
	cfg.activity_stream = "orders";
	expect(&cfg, &c, "orders", "option", "orders.price", "--activity-stream of a stream in the export; its amount learned");
	bf_closure_catalogue_free(&c);
}

/* Verdicts: without a measure, files only; a table's partition. */
static void test_decide(void)
{
	struct bf_closure_cfg cfg;
	bf_closure_cfg_init(&cfg);
	cfg.today = D("2024-06-01");
	int32_t date = D("2024-05-15");
	struct bf_closure_stream s[2] = { { (char *)"orders", 0, 1 }, { (char *)"order_lines", 0, 1 } };
	struct bf_closure_catalogue c = { 0 };
	struct bf_closure_measure m;
	struct bf_closure_verdict v;
	struct bf_closure_obs o = { 0 };
	o.folder = "present";
	o.files = 2;
	o.streams = s;
	o.nstreams = 2;

	/* an export measured by nothing: a header-only day is judged on its files only */
	cfg.activity_stream = "order_details";
	day(&c, "orders", -1LL, "order_lines", -1LL, NULL);
	bf_closure_learn(&cfg, &c, &m);
	o.measure = &m;
	bf_closure_decide(&cfg, date, &o, NULL, &v);
	const cJSON *th = cJSON_GetObjectItemCaseSensitive(v.evidence, "thresholds");
	const cJSON *ob = cJSON_GetObjectItemCaseSensitive(v.evidence, "observed");
	ok(!strcmp(v.verdict, "open") && v.activity_skipped && v.sales_skipped,
	   "a stream that is not in the export is no evidence of a closure (%s %s)", v.verdict, v.reason ? v.reason : "");
	ok(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(th, "activity_basis")), "skipped") &&
	   !strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(th, "sales_basis")), "skipped") &&
	   cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(ob, "activity_rows")) &&
	   cJSON_IsNull(cJSON_GetObjectItemCaseSensitive(th, "amount_column")),
	   "evidence: activity and sales skipped, no activity rows, no amount column");
	ok(cJSON_GetObjectItemCaseSensitive(v.evidence, "learned") != NULL, "evidence: what was learned");
	bf_closure_verdict_free(&v);
	o.folder = "missing";
	o.files = 0;
	bf_closure_decide(&cfg, date, &o, NULL, &v);
	ok(!strcmp(v.verdict, "closed") && !strcmp(v.reason, "no_files") && !v.activity_skipped,
	   "files still close a day without a measure (no_files)");
	bf_closure_verdict_free(&v);
	bf_closure_measure_free(&m);

	/* learned, the same header-only day is low_activity */
	cfg.activity_stream = NULL;
	bf_closure_learn(&cfg, &c, &m);
	o.folder = "present";
	o.files = 2;
	bf_closure_decide(&cfg, date, &o, NULL, &v);
	ok(!strcmp(v.verdict, "closed") && !strcmp(v.reason, "low_activity"), "learned orders: header-only files are low_activity");
	bf_closure_verdict_free(&v);

	/* a table's partition: no folder, no files; its rows are the activity */
	struct bf_closure_stream w = { (char *)"work_orders", 0, 0 };
	struct bf_closure_catalogue tc = { 0 };
	struct bf_closure_measure tm;
	day(&tc, "work_orders", -1LL, NULL);
	bf_closure_learn(&cfg, &tc, &tm);
	struct bf_closure_obs t = { 0 };
	t.kind = "table";
	t.files = 0;
	t.streams = &w;
	t.nstreams = 1;
	t.measure = &tm;
	bf_closure_decide(&cfg, date, &t, NULL, &v);
	th = cJSON_GetObjectItemCaseSensitive(v.evidence, "thresholds");
	ok(!strcmp(v.verdict, "closed") && !strcmp(v.reason, "low_activity"),
	   "a table with no rows that day: low_activity, not no_files (%s %s)", v.verdict, v.reason ? v.reason : "");
	ok(!strcmp(cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(th, "files_basis")), "not_applicable"),
	   "evidence: the file rules do not apply");
	bf_closure_verdict_free(&v);
	w.rows = 40;
	t.activity_rows = 40;
	struct bf_closure_history h = { 0 };
	h.days = calloc(8, sizeof *h.days);
	for (int i = 0; i < 8; i++)
		h.days[h.n++] = (struct bf_closure_day){ date - 7 * (i + 1), 50, -1, -1 };
	bf_closure_decide(&cfg, date, &t, &h, &v);
	ok(!strcmp(v.verdict, "open"), "a table with 40 rows where 50 is usual: open");
	bf_closure_verdict_free(&v);
	w.rows = 3;
	t.activity_rows = 3;
	bf_closure_decide(&cfg, date, &t, &h, &v);
	ok(!strcmp(v.verdict, "closed") && !strcmp(v.reason, "low_activity"), "a table with 3 rows where 50 is usual: low_activity");
	bf_closure_verdict_free(&v);
	bf_closure_history_free(&h);
	bf_closure_measure_free(&tm);
	bf_closure_catalogue_free(&tc);
	bf_closure_measure_free(&m);
	bf_closure_catalogue_free(&c);
}

/* The catalogue read back from the closures table: the days around, not the day itself,
 * not pending ones, not partitions that failed since. */
static void test_catalogue_load(void)
{
	char path[] = "/tmp/bf-test-closure-learn-XXXXXX";
	int fd = mkstemp(path);
	struct bf_err err = { 0 };
	struct bf_state *st = NULL;
	close(fd);
	unlink(path);
	if (!ok(bf_state_open(path, &st, &err) == 0, "state file opens (%s)", err.msg))
		return;
	struct bf_closure_cfg cfg;
	bf_closure_cfg_init(&cfg);
	cfg.today = D("2024-06-01");
	int32_t mid = D("2024-03-01");
	int rc = 0;
	for (int32_t d = mid - 70; d < mid + 70 && !rc; d++) {
		struct bf_closure_stream s[2] = { { (char *)"orders", 60, 1 }, { (char *)"order_lines", 150, 1 } };
		struct bf_closure_catalogue c = { 0 };
		struct bf_closure_measure m;
		struct bf_closure_verdict v;
		struct bf_closure_obs o = { 0 };
		char iso[11];
		day(&c, "orders", 60LL, "order_lines", 150LL, NULL);
		bf_closure_learn(&cfg, &c, &m);
		o.folder = "present";
		o.files = 2;
		o.streams = s;
		o.nstreams = 2;
		o.measure = &m;
		o.activity_rows = 60;
		bf_closure_decide(&cfg, d, &o, NULL, &v);
		cJSON *mc = cJSON_AddObjectToObject(cJSON_AddObjectToObject(
			cJSON_GetObjectItemCaseSensitive(v.evidence, "observed"), "money_columns"), "orders");
		cJSON *t = cJSON_AddObjectToObject(mc, "total");
		cJSON_AddNumberToObject(t, "values", 60);
		cJSON_AddNumberToObject(t, "parsed", 59);
		if (d == mid + 3)
			v.verdict = "pending";
		bf_date_iso(d, iso);
		rc = bf_closure_store(st, "src", "L1", iso, &v, &err);
		bf_closure_verdict_free(&v);
		bf_closure_measure_free(&m);
		bf_closure_catalogue_free(&c);
	}
	ok(rc == 0, "verdicts stored (%s)", err.msg);
	char iso[11];
	bf_date_iso(mid - 2, iso);
	sqlite3_stmt *q;
	sqlite3_prepare_v2(st->db, "INSERT INTO partitions (source, location, date, status, updated_at)"
			   " VALUES ('src', 'L1', ?, 'failed', '2024-06-01T00:00:00Z')",
			   -1, &q, NULL);
	sqlite3_bind_text(q, 1, iso, -1, SQLITE_STATIC);
	ok(bf_sqlite_step(q) == SQLITE_DONE, "a partition failed since");
	sqlite3_finalize(q);

	struct bf_closure_catalogue c = { 0 };
	rc = bf_closure_catalogue_load(st, "src", "L1", mid, 8, &c, &err);
	/* [mid - 56, mid + 56) but mid, mid + 3 (pending) and mid - 2 (failed) */
	ok(rc == 0 && c.days == 112 - 3, "catalogue: the judged days of 8 weeks on each side (%lld)", c.days);
	int good = c.nstreams == 2 && c.nmoney == 1;
	for (size_t i = 0; good && i < c.nstreams; i++)
		good = c.streams[i].days == c.days && c.streams[i].rows_days == c.days &&
		       c.streams[i].rows == (double)c.days * (strcmp(c.streams[i].name, "orders") ? 150 : 60);
	ok(good, "catalogue: days, days with rows and rows of each stream");
	ok(good && !strcmp(c.money[0].stream, "orders") && !strcmp(c.money[0].column, "total") &&
	   c.money[0].values == 60 * c.days && c.money[0].parsed == 59 * c.days,
	   "catalogue: values of the money columns, and those that parse");
	struct bf_closure_measure m;
	bf_closure_learn(&cfg, &c, &m);
	ok(m.activity_stream && !strcmp(m.activity_stream, "orders") && m.amount_column &&
	   !strcmp(m.amount_column, "total"), "learned from it: orders, orders.total");
	bf_closure_measure_free(&m);
	bf_closure_catalogue_free(&c);
	rc = bf_closure_catalogue_load(st, "src", "L2", mid, 8, &c, &err);
	ok(rc == 0 && c.days == 0 && c.nstreams == 0, "catalogue of another location is empty");
	bf_closure_catalogue_free(&c);

	bf_state_close(st);
	unlink(path);
	char aux[80];
	snprintf(aux, sizeof aux, "%s-wal", path);
	unlink(aux);
	snprintf(aux, sizeof aux, "%s-shm", path);
	unlink(aux);
}

int main(void)
{
	test_names();
	test_vendors();
	test_unknown_names();
	test_order();
	test_amount();
	test_decide();
	test_catalogue_load();
	return done_testing();
}
