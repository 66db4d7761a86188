#include "stages/closure/bf_closure.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "proto/bf_filter.h"
#include "proto/bf_jsoncheck.h"
#include "proto/bf_json.h"
#include "proto/bf_msg.h"
#include "base/bf_time.h"

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
	c->activity_stream = "order_details";
	c->amount_stream = "order_details";
	c->amount_column = "amount";
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

static int has_str(char *const *list, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(list[i], s))
			return 1;
	return 0;
}

static void add_expected(struct bf_closure_verdict *v, const char *s)
{
	if (has_str(v->expected, v->nexpected, s))
		return;
	v->expected = bf_xrealloc(v->expected, (v->nexpected + 1) * sizeof *v->expected);
	v->expected[v->nexpected++] = bf_xstrdup(s);
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
	char iso[11];
	if (!h)
		h = &none;
	memset(v, 0, sizeof *v);
	cJSON *ev = v->evidence = cJSON_CreateObject();

	/* observed */
	cJSON *ob = cJSON_AddObjectToObject(ev, "observed");
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
	cJSON_AddNumberToObject(ob, "activity_rows", (double)obs->activity_rows);
	if (obs->have_sales)
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
	if (obs->table) {
		/* ---- a database table's partition (STATE "kind":"table"): no files to count;
		 * judged by its rows and sums alone ---- */
		files_basis = "not_applicable: a table source has no files";
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
	if (cfg->min_rows >= 0) {
		t_rows = (double)cfg->min_rows;
		rows_basis = "min_rows";
	} else if (!isnan(b.rows)) {
		t_rows = cfg->activity_fraction * b.rows;
		rows_basis = "fraction_of_median";
	} else {
		t_rows = 1;
		rows_basis = "floor";
	}
	if (cfg->have_min_sales) {
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
	cJSON_AddNumberToObject(th, "activity_rows", round2(t_rows));
	cJSON_AddStringToObject(th, "activity_basis", rows_basis);
	cJSON_AddStringToObject(th, "activity_stream", cfg->activity_stream);
	if (t_sales >= 0)
		cJSON_AddNumberToObject(th, "sales", round2(t_sales));
	else if (!strcmp(sales_basis, "floor"))
		cJSON_AddNumberToObject(th, "sales", 0);
	else
		cJSON_AddNullToObject(th, "sales");
	cJSON_AddStringToObject(th, "sales_basis", sales_basis);
	{
		struct bf_buf a = BF_BUF_INIT;
		bf_buf_addf(&a, "%s.%s", cfg->amount_stream, cfg->amount_column);
		cJSON_AddStringToObject(th, "amount_column", a.p);
		bf_buf_free(&a);
		if (cfg->void_column && *cfg->void_column)
			cJSON_AddStringToObject(th, "void_column", cfg->void_column);
	}
	cJSON_AddNumberToObject(th, "activity_fraction", cfg->activity_fraction);
	cJSON_AddNumberToObject(th, "sales_fraction", cfg->sales_fraction);

	/* the rules, in order */
	const char *reason = NULL;
	int have_files = obs->files >= 0;
	/* a table's partition skips the file rules (see the thresholds' files_basis) */
	if (!obs->table && ((obs->folder && strcmp(obs->folder, "present")) || (have_files && obs->files == 0) ||
			    (!obs->folder && !have_files && total == 0)))
		reason = "no_files";
	else if (have_files && t_files >= 0 && (double)obs->files < t_files)
		reason = "insufficient_files";
	else if ((double)obs->activity_rows < t_rows)
		reason = "low_activity";
	else if (obs->have_sales &&
		 ((t_sales >= 0 && obs->sales < t_sales) ||
		  (!strcmp(sales_basis, "floor") && obs->sales <= 0)))
		reason = "low_sales";
	v->verdict = reason ? "closed" : "open";
	v->reason = reason;
}

/* ---- the state file ---- */

static void add_stream_name(struct bf_closure_history *h, const char *s)
{
	if (has_str(h->streams, h->nstreams, s))
		return;
	h->streams = bf_xrealloc(h->streams, (h->nstreams + 1) * sizeof *h->streams);
	h->streams[h->nstreams++] = bf_xstrdup(s);
}

/* A query of the open days of one location in [?3, ?4), its four parameters bound. */
static int prepare_window(struct bf_state *st, const char *sql, const char *const win[4],
			  sqlite3_stmt **q, struct bf_err *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, q, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(st->db, rc, "closure history", err);
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(*q, i + 1, win[i], -1, SQLITE_STATIC);
	return 0;
}

int bf_closure_history_load(struct bf_state *st, const char *source, const char *location,
			    int32_t date, int weeks, struct bf_closure_history *h, struct bf_err *err)
{
	char lo[11], hi[11];
	sqlite3_stmt *q = NULL;
	int rc;
	memset(h, 0, sizeof *h);
	bf_date_iso(date - 7 * weeks, lo);
	bf_date_iso(date, hi);
	const char *win[4] = { source, location, lo, hi };
	if ((rc = prepare_window(st,
		"SELECT date, json_extract(evidence, '$.observed.activity_rows'),"
		" json_extract(evidence, '$.observed.sales'), json_extract(evidence, '$.observed.files')"
		" FROM closures WHERE source = ?1 AND location = ?2 AND verdict = 'open'"
		" AND date >= ?3 AND date < ?4 ORDER BY date", win, &q, err)))
		return rc;
	while ((rc = bf_sqlite_step(q)) == SQLITE_ROW) {
		int32_t d;
		const char *ds = (const char *)sqlite3_column_text(q, 0);
		if (!ds || bf_date_parse(ds, &d))
			continue;
		h->days = bf_xrealloc(h->days, (h->n + 1) * sizeof *h->days);
		struct bf_closure_day *x = &h->days[h->n++];
		x->date = d;
		x->rows = sqlite3_column_type(q, 1) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 1);
		x->sales = sqlite3_column_type(q, 2) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 2);
		x->files = sqlite3_column_type(q, 3) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 3);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return bf_sqlite_fail(st->db, rc, "closure history", err);
	if ((rc = prepare_window(st,
		"SELECT DISTINCT f.stream FROM files f JOIN closures c"
		" ON c.source = f.source AND c.location = f.location AND c.date = f.date"
		" WHERE c.source = ?1 AND c.location = ?2 AND c.verdict = 'open'"
		" AND c.date >= ?3 AND c.date < ?4 ORDER BY f.stream", win, &q, err)))
		return rc;
	while ((rc = bf_sqlite_step(q)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(q, 0);
		if (s)
			add_stream_name(h, s);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return bf_sqlite_fail(st->db, rc, "closure history", err);
	return 0;
}

int bf_closure_store(struct bf_state *st, const char *source, const char *location,
		     const char *date, const struct bf_closure_verdict *v, struct bf_err *err)
{
	sqlite3_stmt *q;
	char now[21];
	int rc = sqlite3_prepare_v2(st->db,
		"INSERT OR REPLACE INTO closures (source, location, date, verdict, reason, evidence,"
		" decided_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(st->db, rc, "closures", err);
	char *ev = v->evidence ? cJSON_PrintUnformatted(v->evidence) : NULL;
	bf_now_rfc3339(now);
	sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, location, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, date, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, v->verdict, -1, SQLITE_STATIC);
	if (v->reason)
		sqlite3_bind_text(q, 5, v->reason, -1, SQLITE_STATIC);
	if (ev)
		sqlite3_bind_text(q, 6, ev, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, now, -1, SQLITE_STATIC);
	if (st->run_id)
		sqlite3_bind_int64(q, 8, st->run_id);
	rc = bf_sqlite_step(q);
	sqlite3_finalize(q);
	cJSON_free(ev);
	return rc == SQLITE_DONE ? 0 : bf_sqlite_fail(st->db, rc, "closures", err);
}

/* ---- the stage ---- */

/* A held message: header then the line's bytes (without '\n'). */
struct held {
	uint32_t type;             /* enum bf_msg_type */
	uint32_t pad;
	uint64_t len;
	uint64_t rs_start, rs_len; /* RECORD: the record object's span */
};

struct hold {
	char *mem;
	size_t len, cap, max;
	FILE *spill;               /* unlinked temporary file, NULL until needed */
	long long spilled_bytes;   /* of the partition held now */
	long long total_spilled;
	int spills;
};

struct cl {
	const struct bf_closure_opts *o;
	struct bf_state *st;
	struct hold hold;
	long long held_msgs;
	struct bf_closure_stream *streams;   /* of the partition */
	size_t nstreams;
	long long activity_rows, bad_amounts, voided;
	double sales;
	int have_sales;
	char **seen;               /* streams with a SCHEMA in this process */
	size_t nseen;
	char *amount_key[2];
	struct bf_buf tmp, members_open, members_closed;
	struct bf_buf rec;
	long long parts, closed, pending;
};

static int hold_spill(struct hold *h, struct bf_err *err)
{
	if (!h->spill) {
		const char *dir = getenv("TMPDIR");
		struct bf_buf path = BF_BUF_INIT;
		bf_buf_adds(&path, dir && *dir ? dir : "/tmp");
		bf_buf_adds(&path, "/bf-closure.XXXXXX");
		int fd = mkstemp(path.p);
		if (fd < 0) {
			int e = errno;
			int rc = bf_fail(err, BF_EOS, path.p, "cannot create a spill file: %s", strerror(e));
			bf_buf_free(&path);
			return rc;
		}
		unlink(path.p);
		bf_buf_free(&path);
		h->spill = fdopen(fd, "w+b");
		if (!h->spill) {
			close(fd);
			return bf_fail(err, BF_EOS, "spill file", "%s", strerror(errno));
		}
	}
	if (h->len && fwrite(h->mem, 1, h->len, h->spill) != h->len)
		return bf_fail(err, BF_EIO, "spill file", "write failed: %s", strerror(errno));
	h->spilled_bytes += (long long)h->len;
	h->total_spilled += (long long)h->len;
	h->spills++;
	h->len = 0;
	return 0;
}

static int hold_add(struct hold *h, const struct held *hd, const char *line, struct bf_err *err)
{
	size_t need = sizeof *hd + hd->len;
	int rc;
	if (h->len + need > h->max && (rc = hold_spill(h, err)))
		return rc;
	if (need > h->max) {
		/* a single message larger than the whole budget goes straight to the file */
		if (fwrite(hd, sizeof *hd, 1, h->spill) != 1 ||
		    fwrite(line, 1, hd->len, h->spill) != hd->len)
			return bf_fail(err, BF_EIO, "spill file", "write failed: %s", strerror(errno));
		h->spilled_bytes += (long long)need;
		h->total_spilled += (long long)need;
		return 0;
	}
	if (h->len + need > h->cap) {
		size_t cap = h->cap ? h->cap : 1 << 16;
		while (cap < h->len + need)
			cap *= 2;
		if (cap > h->max)
			cap = h->max;
		h->mem = bf_xrealloc(h->mem, cap);
		h->cap = cap;
	}
	memcpy(h->mem + h->len, hd, sizeof *hd);
	memcpy(h->mem + h->len + sizeof *hd, line, hd->len);
	h->len += need;
	return 0;
}

static void hold_free(struct hold *h)
{
	free(h->mem);
	if (h->spill)
		fclose(h->spill);
	memset(h, 0, sizeof *h);
}

static void part_reset(struct cl *c)
{
	for (size_t i = 0; i < c->nstreams; i++)
		free(c->streams[i].name);
	free(c->streams);
	c->streams = NULL;
	c->nstreams = 0;
	c->activity_rows = c->bad_amounts = c->voided = 0;
	c->sales = 0;
	c->have_sales = 0;
	c->held_msgs = 0;
}

static struct bf_closure_stream *part_stream(struct cl *c, const char *name, size_t len)
{
	for (size_t i = c->nstreams; i-- > 0;)
		if (strlen(c->streams[i].name) == len && !memcmp(c->streams[i].name, name, len))
			return &c->streams[i];
	c->streams = bf_xrealloc(c->streams, (c->nstreams + 1) * sizeof *c->streams);
	struct bf_closure_stream *s = &c->streams[c->nstreams++];
	s->name = bf_xstrndup(name, len);
	s->rows = 0;
	s->has_file = 0;
	return s;
}

static int cb_hold(struct cl *c, const struct bf_msg *m, struct bf_err *err)
{
	struct held hd = { (uint32_t)m->type, 0, m->len, m->record_span.start, m->record_span.len };
	c->held_msgs++;
	return hold_add(&c->hold, &hd, m->line, err);
}

static int on_other(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err)
{
	struct cl *c = ctx;
	(void)f;
	int rc = cb_hold(c, m, err);
	return rc ? rc : BF_FILTER_TAKEN;
}

static void add_closure_props(cJSON *schema)
{
	cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	if (!cJSON_IsObject(props))
		props = cJSON_AddObjectToObject(schema, "properties");
	if (!props)
		return;
	if (!cJSON_GetObjectItemCaseSensitive(props, "closure_indicator")) {
		cJSON *p = cJSON_AddObjectToObject(props, "closure_indicator");
		cJSON_AddStringToObject(p, "type", "boolean");
	}
	if (!cJSON_GetObjectItemCaseSensitive(props, "closure_reason")) {
		cJSON *p = cJSON_AddObjectToObject(props, "closure_reason");
		cJSON *t = cJSON_AddArrayToObject(p, "type");
		cJSON_AddItemToArray(t, cJSON_CreateString("string"));
		cJSON_AddItemToArray(t, cJSON_CreateString("null"));
	}
}

static void mark_seen(struct cl *c, const char *stream)
{
	if (has_str(c->seen, c->nseen, stream))
		return;
	c->seen = bf_xrealloc(c->seen, (c->nseen + 1) * sizeof *c->seen);
	c->seen[c->nseen++] = bf_xstrdup(stream);
}

static int on_schema(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err)
{
	struct cl *c = ctx;
	(void)f;
	if (!cJSON_IsObject(m->schema))
		return bf_fail(err, BF_EDATA, "stdin", "line %ld: \"schema\" is not an object", m->lineno);
	mark_seen(c, m->stream);
	add_closure_props(m->schema);
	char *s = cJSON_PrintUnformatted(m->root);
	struct held hd = { BF_MSG_SCHEMA, 0, strlen(s), 0, 0 };
	c->held_msgs++;
	int rc = hold_add(&c->hold, &hd, s, err);
	cJSON_free(s);
	return rc ? rc : BF_FILTER_TAKEN;
}

/* A truthy flag value: true, "true", "t", "yes", "y", "1" (any case). */
static int truthy(const char *v, size_t n)
{
	if (n == 4 && !memcmp(v, "true", 4))
		return 1;
	if (n >= 2 && *v == '"') {
		v++;
		n -= 2;
	}
	static const char *const yes[] = { "true", "t", "yes", "y", "1" };
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (strlen(yes[i]) == n && !strncasecmp(v, yes[i], n))
			return 1;
	return 0;
}

/* The amount of an activity record, found without building its tree. */
static void take_amount(struct cl *c, const struct bf_msg *m)
{
	const char *rec = m->line + m->record_span.start;
	const char *vc = c->o->cfg.void_column;
	const char *keys[3] = { c->o->cfg.amount_column, vc && *vc ? vc : NULL, NULL };
	struct bf_jsoncheck ck;
	memset(&ck, 0, sizeof ck);
	ck.keys = keys;
	if (bf_jsoncheck(rec, m->record_span.len, &ck) || !ck.spans[0].len)
		return;
	const char *v = rec + ck.spans[0].start;
	size_t n = ck.spans[0].len;
	double d;
	if (n == 4 && !memcmp(v, "null", 4))
		return;
	c->have_sales = 1;
	if (keys[1] && ck.spans[1].len && truthy(rec + ck.spans[1].start, ck.spans[1].len)) {
		c->voided++;
		return;
	}
	if (*v == '"') {
		v++;
		n -= 2;
		if (memchr(v, '\\', n)) {
			cJSON *j = cJSON_ParseWithLength(v - 1, n + 2);
			int good = cJSON_IsString(j) && !bf_closure_money(j->valuestring, strlen(j->valuestring), &d);
			cJSON_Delete(j);
			if (good)
				c->sales += d;
			else
				c->bad_amounts++;
			return;
		}
		if (n == 0)
			return;
	}
	if (bf_closure_money(v, n, &d))
		c->bad_amounts++;
	else
		c->sales += d;
}

static int on_record(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err)
{
	struct cl *c = ctx;
	(void)f;
	const char *sname = m->line + m->stream_span.start + 1;
	size_t slen = m->stream_span.len >= 2 ? m->stream_span.len - 2 : 0;
	struct bf_closure_stream *s = part_stream(c, sname, slen);
	s->rows++;
	if (!strcmp(s->name, c->o->cfg.activity_stream))
		c->activity_rows++;
	if (!strcmp(s->name, c->o->cfg.amount_stream))
		take_amount(c, m);
	int rc = cb_hold(c, m, err);
	return rc ? rc : BF_FILTER_TAKEN;
}

/* Writes one held message, transformed. mode: 0 unchanged, 1 with closure members. */
static void replay_one(struct cl *c, struct bf_filter *f, const struct held *hd, const char *line,
		       const struct bf_buf *members)
{
	if (hd->type == BF_MSG_RECORD && members) {
		struct bf_jsoncheck_span rs = { (size_t)hd->rs_start, (size_t)hd->rs_len };
		bf_filter_write_spliced(f, line, (size_t)hd->len, rs, members->p, members->len);
		return;
	}
	(void)c;
	bf_filter_write(f, line, (size_t)hd->len);
	bf_filter_write(f, "\n", 1);
}

static int replay(struct cl *c, struct bf_filter *f, const struct bf_buf *members, struct bf_err *err)
{
	struct hold *h = &c->hold;
	int rc = 0;
	if (h->spill) {
		if (fflush(h->spill) || fseek(h->spill, 0, SEEK_SET))
			return bf_fail(err, BF_EIO, "spill file", "%s", strerror(errno));
		struct held hd;
		while (fread(&hd, sizeof hd, 1, h->spill) == 1) {
			bf_buf_reset(&c->tmp);
			bf_buf_grow(&c->tmp, (size_t)hd.len);
			if (fread(c->tmp.p, 1, (size_t)hd.len, h->spill) != hd.len) {
				rc = bf_fail(err, BF_EIO, "spill file", "short read");
				break;
			}
			c->tmp.len = (size_t)hd.len;
			c->tmp.p[c->tmp.len] = '\0';
			replay_one(c, f, &hd, c->tmp.p, members);
			if (f->out.err)
				break;
		}
		if (!rc && ferror(h->spill))
			rc = bf_fail(err, BF_EIO, "spill file", "read failed");
		/* start over: an empty file for the next partition */
		if (!rc && (fflush(h->spill) || ftruncate(fileno(h->spill), 0) ||
			    fseek(h->spill, 0, SEEK_SET)))
			rc = bf_fail(err, BF_EIO, "spill file", "%s", strerror(errno));
		if (c->tmp.cap > (1u << 20)) {
			bf_buf_free(&c->tmp);
		}
	}
	for (size_t off = 0; !rc && off < h->len;) {
		struct held hd;
		memcpy(&hd, h->mem + off, sizeof hd);
		replay_one(c, f, &hd, h->mem + off + sizeof hd, members);
		off += sizeof hd + (size_t)hd.len;
	}
	h->len = 0;
	h->spills = 0;
	h->spilled_bytes = 0;
	return rc;
}

static void members_for(struct bf_buf *b, const char *reason)
{
	bf_buf_reset(b);
	if (reason) {
		bf_buf_adds(b, "\"closure_indicator\":true,\"closure_reason\":");
		bf_buf_add_json_str(b, reason, strlen(reason));
	} else {
		bf_buf_adds(b, "\"closure_indicator\":false,\"closure_reason\":null");
	}
}

static void write_marker(struct cl *c, struct bf_filter *f, const char *stream, const char *loc,
			 const char *date, const char *reason)
{
	char now[21];
	if (!has_str(c->seen, c->nseen, stream)) {
		cJSON *schema = cJSON_CreateObject();
		cJSON_AddStringToObject(schema, "type", "object");
		cJSON *props = cJSON_AddObjectToObject(schema, "properties");
		cJSON *p = cJSON_AddObjectToObject(props, "_bf_date");
		cJSON_AddStringToObject(p, "type", "string");
		cJSON_AddStringToObject(p, "format", "date");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(props, "_bf_location"), "type", "string");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(props, "_bf_source"), "type", "string");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(props, "_bf_line"), "type", "integer");
		add_closure_props(schema);
		cJSON *keys = cJSON_CreateArray();
		cJSON_AddItemToArray(keys, cJSON_CreateString("_bf_source"));
		cJSON_AddItemToArray(keys, cJSON_CreateString("_bf_line"));
		cJSON *msg = bf_msg_new_schema(stream, schema, keys);
		bf_filter_write_json(f, msg);
		cJSON_Delete(msg);
		mark_seen(c, stream);
	}
	struct bf_buf *b = &c->rec;
	bf_now_rfc3339(now);
	bf_buf_reset(b);
	bf_buf_adds(b, "{\"type\":\"RECORD\",\"stream\":");
	bf_buf_add_json_str(b, stream, strlen(stream));
	bf_buf_adds(b, ",\"record\":{\"_bf_date\":");
	bf_buf_add_json_str(b, date, strlen(date));
	bf_buf_adds(b, ",\"_bf_location\":");
	bf_buf_add_json_str(b, loc, strlen(loc));
	bf_buf_adds(b, ",\"_bf_source\":\"closure\",\"_bf_line\":0,\"closure_indicator\":true,\"closure_reason\":");
	bf_buf_add_json_str(b, reason, strlen(reason));
	bf_buf_adds(b, "},\"time_extracted\":\"");
	bf_buf_adds(b, now);
	bf_buf_adds(b, "\"}\n");
	bf_filter_write(f, b->p, b->len);
}

static int on_state(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err)
{
	struct cl *c = ctx;
	cJSON *bf = bf_msg_state_bf(m);
	const char *date = bf ? bf_json_str(bf, "date") : NULL;
	const char *loc = bf ? bf_json_str(bf, "location") : NULL;
	const char *source = bf ? bf_json_str(bf, "source") : NULL;
	const char *status = bf ? bf_json_str(bf, "status") : NULL;
	int32_t day;
	int rc;

	if (!date || bf_date_parse(date, &day) || (status && !strcmp(status, "failed"))) {
		/* not a partition we can judge: everything as it came */
		if ((rc = replay(c, f, NULL, err)))
			return rc;
		part_reset(c);
		return BF_FILTER_PASS;
	}
	if (!loc)
		loc = "";
	if (!source)
		source = "";

	/* what the STATE says about the files */
	const cJSON *fl = cJSON_GetObjectItemCaseSensitive(bf, "files");
	const cJSON *fc = cJSON_GetObjectItemCaseSensitive(bf, "file_count");
	struct bf_closure_obs obs = { 0 };
	obs.folder = bf_json_str(bf, "folder");
	const char *kind = bf_json_str(bf, "kind");
	obs.table = kind && !strcmp(kind, "table");
	obs.files = cJSON_IsNumber(fc) ? (long long)fc->valuedouble : cJSON_IsArray(fl) ? cJSON_GetArraySize(fl) : -1;
	const cJSON *fl_arr = cJSON_IsArray(fl) ? fl : NULL, *fi;
	cJSON_ArrayForEach(fi, fl_arr) {
		const char *s = bf_json_str(fi, "stream");
		if (s)
			part_stream(c, s, strlen(s))->has_file = 1;
	}
	obs.streams = c->streams;
	obs.nstreams = c->nstreams;
	obs.activity_rows = c->activity_rows;
	obs.sales = c->sales;
	obs.have_sales = c->have_sales;
	obs.bad_amounts = c->bad_amounts;
	obs.voided = c->voided;
	obs.seen_streams = (const char *const *)c->seen;
	obs.nseen = c->nseen;

	struct bf_closure_history h = { 0 };
	struct bf_closure_verdict v = { 0 };
	if ((rc = bf_closure_history_load(c->st, source, loc, day, c->o->cfg.baseline_weeks, &h, err)))
		return rc;
	bf_closure_decide(&c->o->cfg, day, &obs, &h, &v);
	bf_closure_history_free(&h);
	if (c->hold.spilled_bytes)
		cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(v.evidence, "observed"),
					"spilled_bytes", (double)c->hold.spilled_bytes);
	if ((rc = bf_closure_store(c->st, source, loc, date, &v, err))) {
		bf_closure_verdict_free(&v);
		return rc;
	}

	/* records, then markers, then the STATE with the verdict */
	int closed = !strcmp(v.verdict, "closed");
	members_for(&c->members_open, closed ? v.reason : NULL);
	rc = replay(c, f, &c->members_open, err);
	if (!rc && closed) {
		for (size_t i = 0; i < v.nexpected; i++) {
			long long r = 0;
			for (size_t k = 0; k < c->nstreams; k++)
				if (!strcmp(c->streams[k].name, v.expected[i]))
					r = c->streams[k].rows;
			if (!r)
				write_marker(c, f, v.expected[i], loc, date, v.reason);
		}
	}
	if (!rc) {
		cJSON *cj = cJSON_CreateObject();
		cJSON_AddStringToObject(cj, "verdict", v.verdict);
		if (v.reason)
			cJSON_AddStringToObject(cj, "reason", v.reason);
		else
			cJSON_AddNullToObject(cj, "reason");
		cJSON_AddItemToObject(cj, "evidence", v.evidence);
		v.evidence = NULL;
		cJSON_DeleteItemFromObjectCaseSensitive(bf, "closure");
		cJSON_AddItemToObject(bf, "closure", cj);
		bf_filter_write_json(f, m->root);
		rc = bf_filter_flush(f, err);
	}
	c->parts++;
	c->closed += closed;
	c->pending += !strcmp(v.verdict, "pending");
	if (bf_log_level() >= 2)
		bf_note(NULL, "%s/%s: %s%s%s", loc[0] ? loc : "-", date, v.verdict, v.reason ? " " : "",
			v.reason ? v.reason : "");
	bf_closure_verdict_free(&v);
	part_reset(c);
	return rc ? rc : BF_FILTER_TAKEN;
}

static int on_end(void *ctx, struct bf_filter *f, struct bf_err *err)
{
	struct cl *c = ctx;
	if (c->held_msgs) {
		bf_warn(NULL, "input ended before the STATE of the last partition: %lld messages passed on as they were",
			c->held_msgs);
		int rc = replay(c, f, NULL, err);
		part_reset(c);
		return rc;
	}
	return 0;
}

int bf_closure_run(const struct bf_closure_opts *o, int in_fd, int out_fd, struct bf_err *err)
{
	struct cl c = { .o = o };
	struct bf_filter_ops ops = {
		.on_schema = on_schema, .on_record = on_record, .on_state = on_state,
		.on_end = on_end, .record_tree = 0, .on_other = on_other,
	};
	int rc;
	c.hold.max = o->max_memory ? o->max_memory : BF_CLOSURE_MAX_MEMORY_DEFAULT;
	if (c.hold.max < 4096)
		c.hold.max = 4096;
	if ((rc = bf_state_open(bf_state_path(o->state_path), &c.st, err)) ||
	    (rc = bf_state_run_begin(c.st, "closure", o->args, err)))
		goto done;
	rc = bf_filter_run(&ops, &c, in_fd, out_fd, o->max_line ? o->max_line : BF_MAX_LINE_DEFAULT, err);
	if (!rc && c.hold.total_spilled)
		bf_note(NULL, "spilled %lld bytes to a temporary file", c.hold.total_spilled);
done:
	if (c.st)
		bf_state_run_end(c.st, rc);
	bf_state_close(c.st);
	hold_free(&c.hold);
	part_reset(&c);
	for (size_t i = 0; i < c.nseen; i++)
		free(c.seen[i]);
	free(c.seen);
	bf_buf_free(&c.tmp);
	bf_buf_free(&c.members_open);
	bf_buf_free(&c.members_closed);
	bf_buf_free(&c.rec);
	return rc;
}
