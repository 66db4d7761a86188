#include "stages/report/bf_report.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <sqlite3.h>

#include "base/bf_buf.h"
#include "proto/bf_json.h"
#include "stages/closure/bf_closure_report.h"
#include "base/bf_exit.h"
#include "state/bf_state.h"
#include "base/bf_time.h"

const char *const bf_day_status_names[5] = { "missing", "loaded", "closed", "failed", "pending" };

#define DB(r) ((sqlite3 *)(r)->db)

/* ------------------------------------------------------------------------------------ */
/* Opening */

static int has_table(sqlite3 *db, const char *name)
{
	sqlite3_stmt *s;
	int yes = 0;
	if (sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
	yes = bf_sqlite_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return yes;
}

/* Maps a failure of the read-only connection to an exit code. */
static int db_fail(struct bf_report *r, int rc, const char *what, struct bf_err *err)
{
	int prim = rc & 0xff;
	if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT)
		return bf_fail(err, BF_EDATA, r->path, "not a bf state file (%s)", sqlite3_errstr(rc));
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		return bf_fail(err, BF_ETEMP, r->path, "%s: state file locked, try again", what);
	if (prim == SQLITE_PERM || prim == SQLITE_AUTH)
		return bf_fail(err, BF_ENOPERM, r->path, "%s: %s", what, sqlite3_errmsg(DB(r)));
	if (prim == SQLITE_CANTOPEN || prim == SQLITE_IOERR)
		return bf_fail(err, BF_EIO, r->path, "%s: %s", what, sqlite3_errmsg(DB(r)));
	return bf_fail(err, BF_ESOFTWARE, r->path, "%s: %s", what, sqlite3_errmsg(DB(r)));
}

static int prepare(struct bf_report *r, const char *sql, sqlite3_stmt **s, const char *what,
		   struct bf_err *err)
{
	int rc = sqlite3_prepare_v2(DB(r), sql, -1, s, NULL);
	return rc == SQLITE_OK ? 0 : db_fail(r, rc, what, err);
}

static const char *col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

static long long col_ll(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, i);
}

static char *dup_or_null(const char *s)
{
	return s ? bf_xstrdup(s) : NULL;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* Whether date (ISO, may be NULL) is selected. */
static int date_wanted(const struct bf_report *r, const char *date, int explicit_sel)
{
	int32_t d;
	if (!date)
		return !explicit_sel;
	if (bf_date_parse(date, &d))
		return 0;
	return bsearch(&d, r->selected, r->nselected, sizeof d, cmp_i32) != NULL;
}

static int loc_wanted(const struct bf_report *r, const char *location)
{
	if (!r->nlocations)
		return 1;
	for (size_t i = 0; i < r->nlocations; i++)
		if (!strcmp(location, r->locations[i]))
			return 1;
	return 0;
}

/* Whether a row of the state file is in the selection; location NULL: not checked
 * (run_dates has none). */
static int wanted(const struct bf_report *r, const char *source, const char *location, const char *date)
{
	if (r->source && (!source || strcmp(source, r->source)))
		return 0;
	if (location && !loc_wanted(r, location))
		return 0;
	return date_wanted(r, date, r->explicit_sel);
}

/* The --source given: as stored, else a local folder's real path, else as given. */
static int resolve_source(struct bf_report *r, const char *src, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc, found = 0;
	if (!src)
		return 0;
	if ((rc = prepare(r, "SELECT 1 FROM partitions WHERE source = ? LIMIT 1", &s, "partitions", err)))
		return rc;
	sqlite3_bind_text(s, 1, src, -1, SQLITE_STATIC);
	found = bf_sqlite_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	if (!found && !strstr(src, "://")) {
		char *real = realpath(src, NULL);
		if (real) {
			r->source = real;
			return 0;
		}
	}
	r->source = bf_xstrdup(src);
	return 0;
}

static int load_parts(struct bf_report *r, const struct bf_datesel *ds, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	int32_t lo = BF_DATE_NONE, hi = BF_DATE_NONE;
	struct bf_report_part *all = NULL;
	size_t n = 0, cap = 0;

	if ((rc = prepare(r, "SELECT source, location, date, status, attempts, last_error, folder, rows,"
			  " loaded_rows, quarantined, duration_ms FROM partitions ORDER BY date, source, location",
			  &s, "partitions", err)))
		return rc;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		int32_t d;
		const char *src = col(s, 0), *loc = col(s, 1), *date = col(s, 2);
		if (!src || !loc || !date || bf_date_parse(date, &d))
			continue;
		/* source and location first; the dates once the selection is known */
		if ((r->source && strcmp(src, r->source)) || !loc_wanted(r, loc))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			all = bf_xrealloc(all, cap * sizeof *all);
		}
		struct bf_report_part *p = &all[n++];
		memset(p, 0, sizeof *p);
		p->source = bf_xstrdup(src);
		p->location = bf_xstrdup(loc);
		bf_date_iso(d, p->date);
		p->status = bf_xstrdup(col(s, 3) ? col(s, 3) : "pending");
		p->attempts = col_ll(s, 4);
		p->last_error = dup_or_null(col(s, 5));
		p->folder = dup_or_null(col(s, 6));
		p->rows = col_ll(s, 7);
		p->loaded_rows = col_ll(s, 8);
		p->quarantined = col_ll(s, 9);
		p->duration_ms = col_ll(s, 10);
		if (lo == BF_DATE_NONE || d < lo)
			lo = d;
		if (hi == BF_DATE_NONE || d > hi)
			hi = d;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		r->parts = all;
		r->nparts = n;
		return db_fail(r, rc, "partitions", err);
	}

	/* the selection: explicit dates, or every date from the first to the last found */
	if (r->explicit_sel) {
		r->nselected = bf_datesel_resolve(ds, lo, hi, &r->selected);
	} else if (lo != BF_DATE_NONE) {
		r->nselected = (size_t)(hi - lo) + 1;
		r->selected = bf_xmalloc(r->nselected * sizeof *r->selected);
		for (size_t i = 0; i < r->nselected; i++)
			r->selected[i] = lo + (int32_t)i;
	}
	/* keep the selected partitions */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (date_wanted(r, all[i].date, 1)) {
			all[k++] = all[i];
		} else {
			free(all[i].source);
			free(all[i].location);
			free(all[i].status);
			free(all[i].last_error);
			free(all[i].folder);
		}
	}
	r->parts = all;
	r->nparts = k;

	/* one day per selected date */
	r->ndays = r->nselected;
	r->days = bf_xcalloc(r->ndays ? r->ndays : 1, sizeof *r->days);
	size_t pi = 0;
	for (size_t i = 0; i < r->ndays; i++) {
		struct bf_report_day *d = &r->days[i];
		int loaded = 0, closed = 0, failed = 0, pending = 0;
		char iso[11];
		d->date = r->selected[i];
		bf_date_iso(d->date, iso);
		while (pi < r->nparts && strcmp(r->parts[pi].date, iso) < 0)
			pi++;
		for (; pi < r->nparts && !strcmp(r->parts[pi].date, iso); pi++) {
			const struct bf_report_part *p = &r->parts[pi];
			d->partitions++;
			if (p->rows > 0)
				d->rows += p->rows;
			if (p->loaded_rows > 0)
				d->loaded_rows += p->loaded_rows;
			if (p->quarantined > 0)
				d->quarantined += p->quarantined;
			if (p->attempts > d->attempts)
				d->attempts = p->attempts;
			if (!strcmp(p->status, "loaded"))
				loaded++;
			else if (!strcmp(p->status, "closed"))
				closed++;
			else if (!strcmp(p->status, "failed"))
				failed++;
			else
				pending++;
		}
		d->status = !d->partitions ? BF_DAY_MISSING : failed ? BF_DAY_FAILED : pending ? BF_DAY_PENDING
			    : closed == d->partitions ? BF_DAY_CLOSED : BF_DAY_LOADED;
		(void)loaded;
	}
	return 0;
}

int bf_report_open(const struct bf_report_opts *o, struct bf_report **out, struct bf_err *err)
{
	struct bf_report *r;
	struct bf_buf uri = BF_BUF_INIT;
	sqlite3 *db = NULL;
	int rc, v = -1;

	*out = NULL;
	if (access(o->state_path, F_OK))
		return bf_fail(err, errno == ENOENT || errno == ENOTDIR ? BF_ENOINPUT : BF_EOS, o->state_path,
			       "%s", errno == ENOENT ? "no such state file" : strerror(errno));
	if (access(o->state_path, R_OK))
		return bf_fail(err, BF_ENOPERM, o->state_path, "cannot read: %s", strerror(errno));
	/* read-only, through a URI so that the file is never created or written */
	bf_buf_adds(&uri, "file:");
	for (const char *p = o->state_path; *p; p++) {
		if (*p == '?' || *p == '#' || *p == '%')
			bf_buf_addf(&uri, "%%%02X", (unsigned char)*p);
		else
			bf_buf_addc(&uri, *p);
	}
	bf_buf_adds(&uri, "?mode=ro");
	rc = sqlite3_open_v2(uri.p, &db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	bf_buf_free(&uri);
	r = bf_xcalloc(1, sizeof *r);
	r->db = db;
	r->path = bf_xstrdup(o->state_path);
	if (rc != SQLITE_OK) {
		rc = bf_fail(err, BF_EIO, o->state_path, "cannot open: %s",
			     db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		bf_report_close(r);
		return rc;
	}
	sqlite3_busy_timeout(db, 10000);
	sqlite3_stmt *s;
	if ((rc = prepare(r, "PRAGMA user_version", &s, "schema version", err))) {
		bf_report_close(r);
		return rc;
	}
	rc = bf_sqlite_step(s);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		rc = db_fail(r, rc, "schema version", err);
		bf_report_close(r);
		return rc;
	}
	if (v > bf_migrations_count) {
		rc = bf_fail(err, BF_ECONFIG, o->state_path,
			     "state file schema version %d is newer than this bf knows (%d)", v, bf_migrations_count);
		bf_report_close(r);
		return rc;
	}
	if (!has_table(db, "partitions") || !has_table(db, "runs")) {
		rc = bf_fail(err, BF_EDATA, o->state_path, "not a bf state file (no partitions table)");
		bf_report_close(r);
		return rc;
	}
	if (o->nlocations) {
		r->locations = bf_xcalloc(o->nlocations, sizeof *r->locations);
		for (size_t i = 0; i < o->nlocations; i++)
			r->locations[i] = bf_xstrdup(o->locations[i]);
		r->nlocations = o->nlocations;
	}
	/* --all is the same as no selection: every date from the first to the last found */
	r->explicit_sel = o->dates && !o->dates->all && (o->dates->n || o->dates->start != BF_DATE_NONE ||
							 o->dates->end != BF_DATE_NONE);
	if ((rc = resolve_source(r, o->source, err)) || (rc = load_parts(r, o->dates, err))) {
		bf_report_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void bf_report_close(struct bf_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nparts; i++) {
		free(r->parts[i].source);
		free(r->parts[i].location);
		free(r->parts[i].status);
		free(r->parts[i].last_error);
		free(r->parts[i].folder);
	}
	free(r->parts);
	free(r->days);
	free(r->selected);
	free(r->source);
	free(r->path);
	sqlite3_close(DB(r));
	for (size_t i = 0; i < r->nlocations; i++)
		free(r->locations[i]);
	free(r->locations);
	free(r);
}

/* ------------------------------------------------------------------------------------ */
/* Helpers */

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

double bf_report_percentile(double *v, size_t n, double p)
{
	if (!n)
		return 0;
	qsort(v, n, sizeof *v, cmp_double);
	double rank = ceil(p / 100.0 * (double)n);
	size_t i = rank < 1 ? 0 : (size_t)rank - 1;
	return v[i < n ? i : n - 1];
}

static double pct(long long a, long long b)
{
	return b > 0 ? round(1000.0 * (double)a / (double)b) / 10.0 : 0;
}

static double round3(double x)
{
	return round(x * 1000.0) / 1000.0;
}

static int flush_out(FILE *out, struct bf_err *err)
{
	if (fflush(out) || ferror(out))
		return bf_fail(err, BF_EIO, "output", "write failed: %s", strerror(errno ? errno : EIO));
	return 0;
}

static int print_json(cJSON *root, FILE *out, struct bf_err *err)
{
	char *s = cJSON_Print(root);
	if (!s)
		return bf_fail(err, BF_EOS, "json", "out of memory");
	fputs(s, out);
	fputc('\n', out);
	cJSON_free(s);
	return flush_out(out, err);
}

static void add_num_or_null(cJSON *o, const char *k, long long v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, (double)v);
}

static void add_str_or_null(cJSON *o, const char *k, const char *v)
{
	if (v)
		cJSON_AddStringToObject(o, k, v);
	else
		cJSON_AddNullToObject(o, k);
}

/* ------------------------------------------------------------------------------------ */
/* Summary */

struct runrow {
	long long run_id, exit_code, children;
	char *started, *finished, *args;
	double duration;           /* seconds, < 0 unknown */
	long long n[5];            /* run_dates outcomes: loaded closed pending failed interrupted */
	long long dates, rows, quarantined, errors, alerts;
};

static const char *const outcomes[5] = { "loaded", "closed", "pending", "failed", "interrupted" };

static void runs_free(struct runrow *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].started);
		free(v[i].finished);
		free(v[i].args);
	}
	free(v);
}

static int cmp_runrow(const void *a, const void *b)
{
	long long x = *(const long long *)a, y = ((const struct runrow *)b)->run_id;
	return (x > y) - (x < y);
}

/* Counts rows of a table (quarantine, errors) per bf-run of v (sorted by run_id): rows of
 * the bf-run itself and of the stages it started, in one pass over the table. */
static int count_by_run(struct bf_report *r, struct runrow *v, size_t n, const char *table, int which,
			struct bf_err *err)
{
	sqlite3_stmt *s;
	char sql[320];
	int rc;
	if (!n)
		return 0;
	snprintf(sql, sizeof sql,
		 "SELECT t.source, t.location, t.date, coalesce(r.parent_run, t.run_id), count(*) FROM %s t"
		 " LEFT JOIN runs r ON r.run_id = t.run_id WHERE t.run_id IS NOT NULL"
		 " GROUP BY 4, t.source, t.location, t.date", table);
	if ((rc = prepare(r, sql, &s, table, err)))
		return rc;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(s, 3);
		struct runrow *x = bsearch(&id, v, n, sizeof *v, cmp_runrow);
		if (!x || !wanted(r, col(s, 0), col(s, 1), col(s, 2)))
			continue;
		if (which == 0)
			x->quarantined += sqlite3_column_int64(s, 4);
		else
			x->errors += sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_fail(r, rc, table, err);
}

/* The bf-run runs that worked on the selection (every bf-run run when nothing is filtered). */
static int load_runs(struct bf_report *r, struct runrow **out, size_t *nout, struct bf_err *err)
{
	sqlite3_stmt *s, *d;
	struct runrow *v = NULL;
	size_t n = 0;
	int rc;
	int filtered = r->source || r->explicit_sel;
	int has_rd = has_table(DB(r), "run_dates"), has_alerts = has_table(DB(r), "alerts");

	*out = NULL;
	*nout = 0;
	if ((rc = prepare(r, "SELECT run_id, started_at, finished_at, exit_code, args,"
			  " (julianday(finished_at) - julianday(started_at)) * 86400.0,"
			  " (SELECT count(*) FROM runs c WHERE c.parent_run = runs.run_id)"
			  " FROM runs WHERE stage = 'run' ORDER BY run_id", &s, "runs", err)))
		return rc;
	if (has_rd) {
		if ((rc = prepare(r, "SELECT source, date, outcome, rows FROM run_dates WHERE run_id = ?", &d,
				  "run_dates", err))) {
			sqlite3_finalize(s);
			return rc;
		}
	} else {
		d = NULL;
	}
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		struct runrow x;
		memset(&x, 0, sizeof x);
		x.run_id = sqlite3_column_int64(s, 0);
		if (d) {
			sqlite3_reset(d);
			sqlite3_bind_int64(d, 1, x.run_id);
			while (bf_sqlite_step(d) == SQLITE_ROW) {
				if (!wanted(r, col(d, 0), NULL, col(d, 1)))
					continue;
				x.dates++;
				for (int k = 0; k < 5; k++)
					if (col(d, 2) && !strcmp(col(d, 2), outcomes[k]))
						x.n[k]++;
				if (sqlite3_column_int64(d, 3) > 0)
					x.rows += sqlite3_column_int64(d, 3);
			}
		}
		if (filtered && !x.dates)
			continue;
		x.started = dup_or_null(col(s, 1));
		x.finished = dup_or_null(col(s, 2));
		x.exit_code = col_ll(s, 3);
		x.args = dup_or_null(col(s, 4));
		x.duration = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_double(s, 5);
		x.children = sqlite3_column_int64(s, 6);
		v = bf_xrealloc(v, (n + 1) * sizeof *v);
		v[n++] = x;
	}
	sqlite3_finalize(s);
	sqlite3_finalize(d);
	if (rc != SQLITE_DONE) {
		runs_free(v, n);
		return db_fail(r, rc, "runs", err);
	}
	if ((rc = count_by_run(r, v, n, "quarantine", 0, err)) || (rc = count_by_run(r, v, n, "errors", 1, err))) {
		runs_free(v, n);
		return rc;
	}
	if (has_alerts) {
		if ((rc = prepare(r, "SELECT count(*) FROM alerts WHERE run_id = ?", &s, "alerts", err))) {
			runs_free(v, n);
			return rc;
		}
		for (size_t i = 0; i < n; i++) {
			sqlite3_reset(s);
			sqlite3_bind_int64(s, 1, v[i].run_id);
			if (bf_sqlite_step(s) == SQLITE_ROW)
				v[i].alerts = sqlite3_column_int64(s, 0);
		}
		sqlite3_finalize(s);
	}
	*out = v;
	*nout = n;
	return 0;
}

/* Rows of a table (quarantine, errors) in the selection. */
static int count_table(struct bf_report *r, const char *sql, long long *count, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	*count = 0;
	if ((rc = prepare(r, sql, &s, "counts", err)))
		return rc;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW)
		if (wanted(r, col(s, 0), col(s, 1), col(s, 2)))
			*count += sqlite3_column_int64(s, 3);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : db_fail(r, rc, "counts", err);
}

struct totals {
	long long dates, by[5], parts, pstat[5], rows, loaded, quarantined, errors, alerts;
	long long runs, run_rows;
	double duration;
	char from[11], to[11];
};

static const char *const pstatus[5] = { "pending", "running", "loaded", "closed", "failed" };

static int totals(struct bf_report *r, struct runrow *runs, size_t nruns, struct totals *t, struct bf_err *err)
{
	int rc;
	memset(t, 0, sizeof *t);
	t->dates = (long long)r->ndays;
	for (size_t i = 0; i < r->ndays; i++)
		t->by[r->days[i].status]++;
	if (r->ndays) {
		bf_date_iso(r->days[0].date, t->from);
		bf_date_iso(r->days[r->ndays - 1].date, t->to);
	}
	for (size_t i = 0; i < r->nparts; i++) {
		const struct bf_report_part *p = &r->parts[i];
		t->parts++;
		for (int k = 0; k < 5; k++)
			if (!strcmp(p->status, pstatus[k]))
				t->pstat[k]++;
		if (p->rows > 0)
			t->rows += p->rows;
		if (p->loaded_rows > 0)
			t->loaded += p->loaded_rows;
	}
	if ((rc = count_table(r, "SELECT source, location, date, count(*) FROM quarantine GROUP BY source, location, date",
			      &t->quarantined, err)) ||
	    (rc = count_table(r, "SELECT source, location, date, count(*) FROM errors GROUP BY source, location, date",
			      &t->errors, err)))
		return rc;
	for (size_t i = 0; i < nruns; i++) {
		t->runs++;
		t->alerts += runs[i].alerts;
		t->run_rows += runs[i].rows;
		if (runs[i].duration > 0)
			t->duration += runs[i].duration;
	}
	return 0;
}

static cJSON *run_json(const struct runrow *x)
{
	cJSON *o = cJSON_CreateObject();
	long long ok = x->n[0] + x->n[1] + x->n[2];
	cJSON_AddNumberToObject(o, "run_id", (double)x->run_id);
	add_str_or_null(o, "started_at", x->started);
	add_str_or_null(o, "finished_at", x->finished);
	add_num_or_null(o, "exit_code", x->exit_code);
	if (x->duration < 0)
		cJSON_AddNullToObject(o, "duration_s");
	else
		cJSON_AddNumberToObject(o, "duration_s", round3(x->duration));
	add_str_or_null(o, "args", x->args);
	cJSON_AddNumberToObject(o, "child_runs", (double)x->children);
	cJSON_AddNumberToObject(o, "dates", (double)x->dates);
	cJSON_AddNumberToObject(o, "successful", (double)ok);
	cJSON_AddNumberToObject(o, "successful_pct", pct(ok, x->dates));
	for (int k = 0; k < 5; k++) {
		char key[32];
		cJSON_AddNumberToObject(o, outcomes[k], (double)x->n[k]);
		snprintf(key, sizeof key, "%s_pct", outcomes[k]);
		cJSON_AddNumberToObject(o, key, pct(x->n[k], x->dates));
	}
	cJSON_AddNumberToObject(o, "rows_loaded", (double)x->rows);
	cJSON_AddNumberToObject(o, "rows_per_s", x->duration > 0 ? round(x->rows / x->duration) : 0);
	cJSON_AddNumberToObject(o, "quarantined_rows", (double)x->quarantined);
	cJSON_AddNumberToObject(o, "errors", (double)x->errors);
	cJSON_AddNumberToObject(o, "alerts", (double)x->alerts);
	return o;
}

cJSON *bf_report_summary_json(struct bf_report *r, struct bf_err *err)
{
	struct runrow *runs;
	size_t nruns;
	struct totals t;
	if (load_runs(r, &runs, &nruns, err))
		return NULL;
	if (totals(r, runs, nruns, &t, err)) {
		runs_free(runs, nruns);
		return NULL;
	}
	cJSON *root = cJSON_CreateObject(), *o = cJSON_CreateObject(), *p = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "state", r->path);
	add_str_or_null(root, "source", r->source);
	add_str_or_null(root, "from", r->ndays ? t.from : NULL);
	add_str_or_null(root, "to", r->ndays ? t.to : NULL);
	cJSON_AddItemToObject(root, "overall", o);
	cJSON_AddNumberToObject(o, "dates", (double)t.dates);
	cJSON_AddNumberToObject(o, "processed", (double)(t.dates - t.by[BF_DAY_MISSING]));
	cJSON_AddNumberToObject(o, "successful", (double)(t.by[BF_DAY_LOADED] + t.by[BF_DAY_CLOSED]));
	cJSON_AddNumberToObject(o, "successful_pct", pct(t.by[BF_DAY_LOADED] + t.by[BF_DAY_CLOSED], t.dates));
	for (int k = BF_DAY_LOADED; k <= BF_DAY_PENDING; k++) {
		char key[32];
		cJSON_AddNumberToObject(o, bf_day_status_names[k], (double)t.by[k]);
		snprintf(key, sizeof key, "%s_pct", bf_day_status_names[k]);
		cJSON_AddNumberToObject(o, key, pct(t.by[k], t.dates));
	}
	cJSON_AddNumberToObject(o, "missing", (double)t.by[BF_DAY_MISSING]);
	cJSON_AddNumberToObject(o, "missing_pct", pct(t.by[BF_DAY_MISSING], t.dates));
	cJSON_AddItemToObject(o, "partitions", p);
	cJSON_AddNumberToObject(p, "total", (double)t.parts);
	for (int k = 0; k < 5; k++)
		cJSON_AddNumberToObject(p, pstatus[k], (double)t.pstat[k]);
	cJSON_AddNumberToObject(o, "rows_extracted", (double)t.rows);
	cJSON_AddNumberToObject(o, "rows_loaded", (double)t.loaded);
	cJSON_AddNumberToObject(o, "quarantined_rows", (double)t.quarantined);
	cJSON_AddNumberToObject(o, "errors", (double)t.errors);
	cJSON_AddNumberToObject(o, "alerts", (double)t.alerts);
	cJSON_AddNumberToObject(o, "runs", (double)t.runs);
	cJSON_AddNumberToObject(o, "duration_s", round3(t.duration));
	cJSON_AddNumberToObject(o, "rows_per_s", t.duration > 0 ? round(t.run_rows / t.duration) : 0);
	cJSON *arr = cJSON_AddArrayToObject(root, "runs");
	for (size_t i = 0; i < nruns; i++)
		cJSON_AddItemToArray(arr, run_json(&runs[i]));
	runs_free(runs, nruns);
	return root;
}

static void fmt_duration(char *buf, size_t n, double s)
{
	if (s < 60)
		snprintf(buf, n, "%.1fs", s);
	else if (s < 3600)
		snprintf(buf, n, "%dm%02ds", (int)(s / 60), (int)fmod(s, 60));
	else
		snprintf(buf, n, "%dh%02dm%02ds", (int)(s / 3600), (int)fmod(s / 60, 60), (int)fmod(s, 60));
}

int bf_report_summary(struct bf_report *r, int json, FILE *out, struct bf_err *err)
{
	cJSON *root = bf_report_summary_json(r, err);
	int rc;
	if (!root)
		return err->code;
	if (json) {
		rc = print_json(root, out, err);
		cJSON_Delete(root);
		return rc;
	}
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "overall");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "partitions");
	char dur[32];
	fprintf(out, "state file   %s\n", r->path);
	if (r->source)
		fprintf(out, "source       %s\n", r->source);
	if (bf_json_str(root, "from"))
		fprintf(out, "dates        %s .. %s\n", bf_json_str(root, "from"), bf_json_str(root, "to"));
	fprintf(out, "\nOverall\n");
	fprintf(out, "  dates       %8.0f\n", bf_json_num(o, "dates"));
	fprintf(out, "  processed   %8.0f\n", bf_json_num(o, "processed"));
	fprintf(out, "  successful  %8.0f  %5.1f%%  (loaded or closed)\n", bf_json_num(o, "successful"), bf_json_num(o, "successful_pct"));
	for (int k = BF_DAY_LOADED; k <= BF_DAY_PENDING; k++) {
		char key[32];
		snprintf(key, sizeof key, "%s_pct", bf_day_status_names[k]);
		fprintf(out, "  %-11s %8.0f  %5.1f%%\n", bf_day_status_names[k], bf_json_num(o, bf_day_status_names[k]), bf_json_num(o, key));
	}
	fprintf(out, "  missing     %8.0f  %5.1f%%  (never worked on)\n", bf_json_num(o, "missing"), bf_json_num(o, "missing_pct"));
	fprintf(out, "  partitions  %8.0f  (loaded %.0f, closed %.0f, failed %.0f, pending %.0f, running %.0f)\n",
		bf_json_num(p, "total"), bf_json_num(p, "loaded"), bf_json_num(p, "closed"), bf_json_num(p, "failed"), bf_json_num(p, "pending"),
		bf_json_num(p, "running"));
	fprintf(out, "  rows extracted %11.0f\n", bf_json_num(o, "rows_extracted"));
	fprintf(out, "  rows loaded    %11.0f\n", bf_json_num(o, "rows_loaded"));
	fprintf(out, "  quarantined    %11.0f\n", bf_json_num(o, "quarantined_rows"));
	fprintf(out, "  errors         %11.0f\n", bf_json_num(o, "errors"));
	fprintf(out, "  alerts         %11.0f\n", bf_json_num(o, "alerts"));
	fmt_duration(dur, sizeof dur, bf_json_num(o, "duration_s"));
	fprintf(out, "  bf-run runs    %11.0f  (%s, %.0f rows/s)\n", bf_json_num(o, "runs"), dur, bf_json_num(o, "rows_per_s"));
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(root, "runs"), *x;
	if (cJSON_GetArraySize(runs) > 0) {
		fprintf(out, "\nRuns\n");
		fprintf(out, "  %6s  %-20s  %4s  %9s  %6s  %6s  %6s  %6s  %6s  %10s  %6s  %6s\n", "run", "started",
			"exit", "duration", "dates", "loaded", "closed", "failed", "pend.", "rows", "quar.", "errors");
	}
	cJSON_ArrayForEach(x, runs) {
		const cJSON *ec = cJSON_GetObjectItemCaseSensitive(x, "exit_code");
		char e[8];
		if (cJSON_IsNumber(ec))
			snprintf(e, sizeof e, "%d", ec->valueint);
		else
			snprintf(e, sizeof e, "-");
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x, "duration_s")))
			fmt_duration(dur, sizeof dur, bf_json_num(x, "duration_s"));
		else
			snprintf(dur, sizeof dur, "-");
		fprintf(out, "  %6.0f  %-20s  %4s  %9s  %6.0f  %6.0f  %6.0f  %6.0f  %6.0f  %10.0f  %6.0f  %6.0f\n",
			bf_json_num(x, "run_id"), bf_json_str(x, "started_at") ? bf_json_str(x, "started_at") : "-", e, dur, bf_json_num(x, "dates"),
			bf_json_num(x, "loaded"), bf_json_num(x, "closed"), bf_json_num(x, "failed"), bf_json_num(x, "pending") + bf_json_num(x, "interrupted"),
			bf_json_num(x, "rows_loaded"), bf_json_num(x, "quarantined_rows"), bf_json_num(x, "errors"));
	}
	cJSON_Delete(root);
	return flush_out(out, err);
}

/* ------------------------------------------------------------------------------------ */
/* Dates */

int bf_report_dates(struct bf_report *r, int json, FILE *out, struct bf_err *err)
{
	size_t pi = 0;
	cJSON *root = NULL, *arr = NULL;
	if (json) {
		root = cJSON_CreateObject();
		add_str_or_null(root, "source", r->source);
		arr = cJSON_AddArrayToObject(root, "dates");
	} else {
		fprintf(out, "%-10s  %-12s  %-7s  %9s  %9s  %8s  %s\n", "date", "location", "status", "rows", "loaded",
			"attempts", "last error");
	}
	for (size_t i = 0; i < r->ndays; i++) {
		char iso[11];
		bf_date_iso(r->days[i].date, iso);
		if (r->days[i].status == BF_DAY_MISSING) {
			if (json) {
				cJSON *o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "date", iso);
				cJSON_AddNullToObject(o, "source");
				cJSON_AddNullToObject(o, "location");
				cJSON_AddStringToObject(o, "status", "missing");
				cJSON_AddNullToObject(o, "folder");
				cJSON_AddNullToObject(o, "rows");
				cJSON_AddNullToObject(o, "loaded_rows");
				cJSON_AddNullToObject(o, "quarantined");
				cJSON_AddNumberToObject(o, "attempts", 0);
				cJSON_AddNullToObject(o, "duration_ms");
				cJSON_AddNullToObject(o, "last_error");
				cJSON_AddItemToArray(arr, o);
			} else {
				fprintf(out, "%-10s  %-12s  %-7s  %9s  %9s  %8d  %s\n", iso, "-", "missing", "-", "-", 0, "");
			}
			continue;
		}
		while (pi < r->nparts && strcmp(r->parts[pi].date, iso) < 0)
			pi++;
		for (; pi < r->nparts && !strcmp(r->parts[pi].date, iso); pi++) {
			const struct bf_report_part *p = &r->parts[pi];
			if (json) {
				cJSON *o = cJSON_CreateObject();
				cJSON_AddStringToObject(o, "date", p->date);
				cJSON_AddStringToObject(o, "source", p->source);
				cJSON_AddStringToObject(o, "location", p->location);
				cJSON_AddStringToObject(o, "status", p->status);
				add_str_or_null(o, "folder", p->folder);
				add_num_or_null(o, "rows", p->rows);
				add_num_or_null(o, "loaded_rows", p->loaded_rows);
				add_num_or_null(o, "quarantined", p->quarantined);
				cJSON_AddNumberToObject(o, "attempts", (double)(p->attempts < 0 ? 0 : p->attempts));
				add_num_or_null(o, "duration_ms", p->duration_ms);
				add_str_or_null(o, "last_error", p->last_error);
				cJSON_AddItemToArray(arr, o);
			} else {
				char rows[24], loaded[24];
				const char *e = p->last_error ? p->last_error : "";
				int elen = (int)strcspn(e, "\n");
				snprintf(rows, sizeof rows, p->rows < 0 ? "-" : "%lld", p->rows);
				snprintf(loaded, sizeof loaded, p->loaded_rows < 0 ? "-" : "%lld", p->loaded_rows);
				fprintf(out, "%-10s  %-12s  %-7s  %9s  %9s  %8lld  %.*s\n", p->date,
					*p->location ? p->location : "-", p->status, rows, loaded,
					p->attempts < 0 ? 0 : p->attempts, elen, e);
			}
		}
	}
	if (json) {
		int rc = print_json(root, out, err);
		cJSON_Delete(root);
		return rc;
	}
	return flush_out(out, err);
}

/* ------------------------------------------------------------------------------------ */
/* Metrics */

struct series {
	char *stage, *name;
	double *v;
	size_t n, cap;
	double sum;
};

struct stagerun {
	long long run_id;
	char *stage;
	long long exit_code;
	double seconds;
};

static int cmp_series(const void *a, const void *b)
{
	const struct series *x = a, *y = b;
	int c = strcmp(x->stage, y->stage);
	return c ? c : strcmp(x->name, y->name);
}

static int ends_with(const char *s, const char *suffix)
{
	size_t a = strlen(s), b = strlen(suffix);
	return a >= b && !strcmp(s + a - b, suffix);
}

static cJSON *stats_json(double *v, size_t n, double sum)
{
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "count", (double)n);
	cJSON_AddNumberToObject(o, "sum", round3(sum));
	cJSON_AddNumberToObject(o, "mean", n ? round3(sum / (double)n) : 0);
	cJSON_AddNumberToObject(o, "min", round3(bf_report_percentile(v, n, 0)));
	cJSON_AddNumberToObject(o, "p50", round3(bf_report_percentile(v, n, 50)));
	cJSON_AddNumberToObject(o, "p95", round3(bf_report_percentile(v, n, 95)));
	cJSON_AddNumberToObject(o, "max", round3(bf_report_percentile(v, n, 100)));
	return o;
}

/* The metrics as JSON: stages (rows, time, rows/s, ms per date) and every series. */
static cJSON *metrics_json(struct bf_report *r, struct bf_err *err)
{
	sqlite3_stmt *s;
	struct series *se = NULL;
	size_t nse = 0;
	struct stagerun *sr = NULL;
	size_t nsr = 0;
	long long *ids = NULL;
	char **idstage = NULL;
	size_t nids = 0;
	cJSON *root = NULL;
	int rc;

	if (prepare(r, "SELECT run_id, stage, source, location, date, name, value FROM metrics"
		    " ORDER BY stage, name", &s, "metrics", err))
		return NULL;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		const char *stage = col(s, 1), *name = col(s, 5);
		if (!stage || !name || !wanted(r, col(s, 2), col(s, 3), col(s, 4)))
			continue;
		if (!nse || strcmp(se[nse - 1].stage, stage) || strcmp(se[nse - 1].name, name)) {
			se = bf_xrealloc(se, (nse + 1) * sizeof *se);
			memset(&se[nse], 0, sizeof *se);
			se[nse].stage = bf_xstrdup(stage);
			se[nse].name = bf_xstrdup(name);
			nse++;
		}
		struct series *x = &se[nse - 1];
		if (x->n == x->cap) {
			x->cap = x->cap ? 2 * x->cap : 64;
			x->v = bf_xrealloc(x->v, x->cap * sizeof *x->v);
		}
		x->v[x->n++] = sqlite3_column_double(s, 6);
		x->sum += sqlite3_column_double(s, 6);
		if (sqlite3_column_type(s, 0) != SQLITE_NULL) {
			long long id = sqlite3_column_int64(s, 0);
			size_t k;
			for (k = nids; k > 0; k--)
				if (ids[k - 1] == id && !strcmp(idstage[k - 1], stage))
					break;
			if (!k) {
				ids = bf_xrealloc(ids, (nids + 1) * sizeof *ids);
				idstage = bf_xrealloc(idstage, (nids + 1) * sizeof *idstage);
				ids[nids] = id;
				idstage[nids++] = x->stage;
			}
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		db_fail(r, rc, "metrics", err);
		goto out;
	}
	qsort(se, nse, sizeof *se, cmp_series);
	/* the stage runs that wrote these metrics */
	if (prepare(r, "SELECT stage, exit_code, (julianday(finished_at) - julianday(started_at)) * 86400.0"
		    " FROM runs WHERE run_id = ?", &s, "runs", err))
		goto out;
	for (size_t i = 0; i < nids; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, ids[i]);
		if (bf_sqlite_step(s) == SQLITE_ROW) {
			sr = bf_xrealloc(sr, (nsr + 1) * sizeof *sr);
			sr[nsr].run_id = ids[i];
			sr[nsr].stage = idstage[i];
			sr[nsr].exit_code = col_ll(s, 1);
			sr[nsr].seconds = sqlite3_column_type(s, 2) == SQLITE_NULL ? 0 : sqlite3_column_double(s, 2);
			nsr++;
		}
	}
	sqlite3_finalize(s);

	root = cJSON_CreateObject();
	add_str_or_null(root, "source", r->source);
	cJSON *stages = cJSON_AddArrayToObject(root, "stages");
	for (size_t i = 0; i < nse;) {
		size_t j = i;
		const char *stage = se[i].stage;
		double rows = 0, ms = 0;
		int have_rows = 0;
		struct series *timing = NULL;
		for (; j < nse && !strcmp(se[j].stage, stage); j++) {
			if (!strcmp(se[j].name, "rows") || !strcmp(se[j].name, "loaded_rows")) {
				rows += se[j].sum;
				have_rows = 1;
			}
			if (ends_with(se[j].name, "_ms") && !timing)
				timing = &se[j];
		}
		long long nruns = 0, failed = 0;
		double secs = 0;
		for (size_t k = 0; k < nsr; k++) {
			if (strcmp(sr[k].stage, stage))
				continue;
			nruns++;
			failed += sr[k].exit_code > 0;
			secs += sr[k].seconds;
		}
		cJSON *o = cJSON_CreateObject();
		cJSON_AddStringToObject(o, "stage", stage);
		cJSON_AddNumberToObject(o, "runs", (double)nruns);
		cJSON_AddNumberToObject(o, "failed_runs", (double)failed);
		cJSON_AddNumberToObject(o, "run_seconds", round3(secs));
		if (have_rows)
			cJSON_AddNumberToObject(o, "rows", rows);
		else
			cJSON_AddNullToObject(o, "rows");
		if (timing) {
			ms = timing->sum;
			cJSON_AddStringToObject(o, "timing", timing->name);
			cJSON_AddNumberToObject(o, "dates", (double)timing->n);
			cJSON_AddNumberToObject(o, "ms", round3(ms));
			if (have_rows)
				cJSON_AddNumberToObject(o, "rows_per_s", ms > 0 ? round(rows / (ms / 1000.0)) : 0);
			else
				cJSON_AddNullToObject(o, "rows_per_s");
			cJSON *pd = stats_json(timing->v, timing->n, timing->sum);
			cJSON_AddItemToObject(o, "ms_per_date", pd);
		} else {
			/* no per-date timing: the stage's process run times (whole seconds) */
			cJSON_AddStringToObject(o, "timing", "runs");
			cJSON_AddNumberToObject(o, "dates", (double)se[i].n);
			cJSON_AddNumberToObject(o, "ms", round3(secs * 1000));
			if (have_rows)
				cJSON_AddNumberToObject(o, "rows_per_s", secs > 0 ? round(rows / secs) : 0);
			else
				cJSON_AddNullToObject(o, "rows_per_s");
			cJSON_AddNullToObject(o, "ms_per_date");
		}
		cJSON_AddItemToArray(stages, o);
		i = j;
	}
	cJSON *series = cJSON_AddArrayToObject(root, "series");
	for (size_t i = 0; i < nse; i++) {
		cJSON *o = stats_json(se[i].v, se[i].n, se[i].sum);
		cJSON_AddStringToObject(o, "stage", se[i].stage);
		cJSON_AddStringToObject(o, "name", se[i].name);
		cJSON_AddItemToArray(series, o);
	}
	/* the wall-clock throughput of each bf-run */
	struct runrow *runs;
	size_t nruns;
	if (load_runs(r, &runs, &nruns, err)) {
		cJSON_Delete(root);
		root = NULL;
		goto out;
	}
	cJSON *ra = cJSON_AddArrayToObject(root, "runs");
	for (size_t i = 0; i < nruns; i++) {
		cJSON *o = cJSON_CreateObject();
		cJSON_AddNumberToObject(o, "run_id", (double)runs[i].run_id);
		cJSON_AddNumberToObject(o, "dates", (double)runs[i].dates);
		cJSON_AddNumberToObject(o, "rows_loaded", (double)runs[i].rows);
		if (runs[i].duration < 0)
			cJSON_AddNullToObject(o, "duration_s");
		else
			cJSON_AddNumberToObject(o, "duration_s", round3(runs[i].duration));
		cJSON_AddNumberToObject(o, "rows_per_s", runs[i].duration > 0 ? round(runs[i].rows / runs[i].duration) : 0);
		cJSON_AddNumberToObject(o, "ms_per_date",
					runs[i].dates && runs[i].duration > 0 ? round3(runs[i].duration * 1000 / runs[i].dates) : 0);
		cJSON_AddItemToArray(ra, o);
	}
	runs_free(runs, nruns);
out:  /* root is NULL after a failure */
	for (size_t i = 0; i < nse; i++) {
		free(se[i].stage);
		free(se[i].name);
		free(se[i].v);
	}
	free(se);
	free(sr);
	free(ids);
	free(idstage);
	return root;
}

int bf_report_metrics(struct bf_report *r, int json, FILE *out, struct bf_err *err)
{
	cJSON *root = metrics_json(r, err), *x;
	int rc;
	if (!root)
		return err->code;
	if (json) {
		rc = print_json(root, out, err);
		cJSON_Delete(root);
		return rc;
	}
	fprintf(out, "Stages (every observation, re-runs included)\n");
	fprintf(out, "  %-8s  %5s  %6s  %6s  %11s  %10s  %9s  %9s  %9s  %s\n", "stage", "runs", "failed", "dates", "rows",
		"rows/s", "ms/date", "p50 ms", "p95 ms", "timing");
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(root, "stages")) {
		const cJSON *pd = cJSON_GetObjectItemCaseSensitive(x, "ms_per_date");
		char rows[24], mean[24], p50[24], p95[24];
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x, "rows")))
			snprintf(rows, sizeof rows, "%.0f", bf_json_num(x, "rows"));
		else
			snprintf(rows, sizeof rows, "-");
		if (cJSON_IsObject(pd)) {
			snprintf(mean, sizeof mean, "%.1f", bf_json_num(pd, "mean"));
			snprintf(p50, sizeof p50, "%.1f", bf_json_num(pd, "p50"));
			snprintf(p95, sizeof p95, "%.1f", bf_json_num(pd, "p95"));
		} else {
			snprintf(mean, sizeof mean, "-");
			snprintf(p50, sizeof p50, "-");
			snprintf(p95, sizeof p95, "-");
		}
		char rps[24];
		if (cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x, "rows_per_s")))
			snprintf(rps, sizeof rps, "%.0f", bf_json_num(x, "rows_per_s"));
		else
			snprintf(rps, sizeof rps, "-");
		fprintf(out, "  %-8s  %5.0f  %6.0f  %6.0f  %11s  %10s  %9s  %9s  %9s  %s\n", bf_json_str(x, "stage"),
			bf_json_num(x, "runs"), bf_json_num(x, "failed_runs"), bf_json_num(x, "dates"), rows, rps, mean, p50, p95,
			bf_json_str(x, "timing"));
	}
	fprintf(out, "\nSeries\n");
	fprintf(out, "  %-8s  %-18s  %7s  %14s  %11s  %11s  %11s  %11s\n", "stage", "name", "count", "sum", "mean", "p50",
		"p95", "max");
	cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(root, "series"))
		fprintf(out, "  %-8s  %-18s  %7.0f  %14.1f  %11.1f  %11.1f  %11.1f  %11.1f\n", bf_json_str(x, "stage"),
			bf_json_str(x, "name"), bf_json_num(x, "count"), bf_json_num(x, "sum"), bf_json_num(x, "mean"), bf_json_num(x, "p50"), bf_json_num(x, "p95"),
			bf_json_num(x, "max"));
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(root, "runs");
	if (cJSON_GetArraySize(runs) > 0) {
		fprintf(out, "\nbf-run runs (wall clock)\n");
		fprintf(out, "  %6s  %6s  %11s  %10s  %10s  %9s\n", "run", "dates", "rows", "seconds", "rows/s", "ms/date");
		cJSON_ArrayForEach(x, runs)
			fprintf(out, "  %6.0f  %6.0f  %11.0f  %10.3f  %10.0f  %9.1f\n", bf_json_num(x, "run_id"), bf_json_num(x, "dates"),
				bf_json_num(x, "rows_loaded"), bf_json_num(x, "duration_s"), bf_json_num(x, "rows_per_s"), bf_json_num(x, "ms_per_date"));
	}
	cJSON_Delete(root);
	return flush_out(out, err);
}

/* ------------------------------------------------------------------------------------ */
/* Calendar */

static const char cell_char[5] = { '.', '#', '-', 'X', '?' };
static const char *const cell_color[5] = { "\033[2m", "\033[32m", "\033[34m", "\033[1;31m", "\033[33m" };
static const char *const months[] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
				      "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
static const char *const wday_names[] = { "Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun" };

static const struct bf_report_day *find_day(const struct bf_report *r, int32_t d)
{
	size_t lo = 0, hi = r->ndays;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (r->days[mid].date < d)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo < r->ndays && r->days[lo].date == d ? &r->days[lo] : NULL;
}

static void calendar_text(struct bf_report *r, int color, FILE *out)
{
	long long count[5] = { 0 };
	for (size_t i = 0; i < r->ndays; i++)
		count[r->days[i].status]++;
	if (!r->ndays) {
		fprintf(out, "no dates\n");
		return;
	}
	int y0, y1, m, d;
	bf_date_to_ymd(r->days[0].date, &y0, &m, &d);
	bf_date_to_ymd(r->days[r->ndays - 1].date, &y1, &m, &d);
	for (int y = y0; y <= y1; y++) {
		int32_t start = bf_date_from_ymd(y, 1, 1), end = bf_date_from_ymd(y, 12, 31);
		if (start < r->days[0].date)
			start = r->days[0].date;
		if (end > r->days[r->ndays - 1].date)
			end = r->days[r->ndays - 1].date;
		int32_t mon0 = start - (bf_date_weekday(start) - 1);
		int weeks = (int)((end - mon0) / 7) + 1;
		char label[4 + 54 + 4];
		memset(label, ' ', sizeof label);
		label[sizeof label - 1] = '\0';
		int last = -10;
		for (int w = 0; w < weeks; w++) {
			for (int k = 0; k < 7; k++) {
				int32_t day = mon0 + w * 7 + k;
				int yy, mm, dd;
				bf_date_to_ymd(day, &yy, &mm, &dd);
				if (day < start || day > end || yy != y || (dd != 1 && day != start))
					continue;
				if (4 + w >= last + 4 && 4 + w + 3 < (int)sizeof label) {
					memcpy(label + 4 + w, months[mm - 1], 3);
					last = 4 + w;
				}
			}
		}
		size_t ll = sizeof label - 1;
		while (ll && label[ll - 1] == ' ')
			ll--;
		fprintf(out, "%d\n%.*s\n", y, (int)ll, label);
		for (int k = 0; k < 7; k++) {
			fprintf(out, "%s ", wday_names[k]);
			int cur = -1;
			struct bf_buf line = BF_BUF_INIT;
			for (int w = 0; w < weeks; w++) {
				int32_t day = mon0 + w * 7 + k;
				const struct bf_report_day *x = day < start || day > end ? NULL : find_day(r, day);
				if (!x) {
					if (color && cur >= 0) {
						bf_buf_adds(&line, "\033[0m");
						cur = -1;
					}
					bf_buf_addc(&line, ' ');
					continue;
				}
				if (color && cur != (int)x->status) {
					bf_buf_adds(&line, cur >= 0 ? "\033[0m" : "");
					bf_buf_adds(&line, cell_color[x->status]);
					cur = (int)x->status;
				}
				bf_buf_addc(&line, cell_char[x->status]);
			}
			if (color && cur >= 0)
				bf_buf_adds(&line, "\033[0m");
			while (line.len && line.p[line.len - 1] == ' ')
				line.len--;
			fprintf(out, "%.*s\n", (int)line.len, line.p ? line.p : "");
			bf_buf_free(&line);
		}
		fputc('\n', out);
	}
	static const int order[5] = { BF_DAY_LOADED, BF_DAY_CLOSED, BF_DAY_FAILED, BF_DAY_PENDING, BF_DAY_MISSING };
	fprintf(out, "legend:");
	for (int i = 0; i < 5; i++) {
		int k = order[i];
		if (color)
			fprintf(out, "  %s%c\033[0m %s %lld", cell_color[k], cell_char[k], bf_day_status_names[k], count[k]);
		else
			fprintf(out, "  %c %s %lld", cell_char[k], bf_day_status_names[k], count[k]);
	}
	fputc('\n', out);
}

int bf_report_calendar(struct bf_report *r, int json, int color, FILE *out, struct bf_err *err)
{
	if (!json) {
		calendar_text(r, color, out);
		return flush_out(out, err);
	}
	long long count[5] = { 0 };
	cJSON *root = cJSON_CreateObject(), *c = cJSON_CreateObject();
	char iso[11];
	add_str_or_null(root, "source", r->source);
	if (r->ndays) {
		bf_date_iso(r->days[0].date, iso);
		cJSON_AddStringToObject(root, "from", iso);
		bf_date_iso(r->days[r->ndays - 1].date, iso);
		cJSON_AddStringToObject(root, "to", iso);
	} else {
		cJSON_AddNullToObject(root, "from");
		cJSON_AddNullToObject(root, "to");
	}
	cJSON_AddItemToObject(root, "counts", c);
	cJSON *days = cJSON_AddArrayToObject(root, "days");
	for (size_t i = 0; i < r->ndays; i++) {
		const struct bf_report_day *x = &r->days[i];
		cJSON *o = cJSON_CreateObject();
		count[x->status]++;
		bf_date_iso(x->date, iso);
		cJSON_AddStringToObject(o, "date", iso);
		cJSON_AddStringToObject(o, "status", bf_day_status_names[x->status]);
		cJSON_AddNumberToObject(o, "weekday", bf_date_weekday(x->date));
		cJSON_AddNumberToObject(o, "partitions", x->partitions);
		cJSON_AddNumberToObject(o, "rows", (double)x->rows);
		cJSON_AddNumberToObject(o, "loaded_rows", (double)x->loaded_rows);
		cJSON_AddItemToArray(days, o);
	}
	for (int k = BF_DAY_LOADED; k <= BF_DAY_PENDING; k++)
		cJSON_AddNumberToObject(c, bf_day_status_names[k], (double)count[k]);
	cJSON_AddNumberToObject(c, "missing", (double)count[BF_DAY_MISSING]);
	int rc = print_json(root, out, err);
	cJSON_Delete(root);
	return rc;
}

/* ------------------------------------------------------------------------------------ */
/* Closures: the closure engineer's analysis, on our read-only connection */

int bf_report_closures(struct bf_report *r, int json, FILE *out, struct bf_err *err)
{
	struct bf_state st;
	memset(&st, 0, sizeof st);
	st.db = DB(r);
	st.path = r->path;
	if (!has_table(DB(r), "closures"))
		return bf_fail(err, BF_EDATA, r->path, "no closures table");
	return bf_closure_report(&st, r->source, json, out, err);
}

/* ------------------------------------------------------------------------------------ */
/* Prometheus text exposition */

static void prom_escape(FILE *out, const char *s)
{
	for (; *s; s++) {
		if (*s == '\\' || *s == '"')
			fputc('\\', out);
		if (*s == '\n') {
			fputs("\\n", out);
			continue;
		}
		fputc(*s, out);
	}
}

static void prom_head(FILE *out, const char *name, const char *type, const char *help)
{
	fprintf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

static void prom_num(FILE *out, double v)
{
	if (v == floor(v) && fabs(v) < 1e15)
		fprintf(out, "%.0f\n", v);
	else
		fprintf(out, "%.6g\n", v);
}

int bf_report_prometheus(struct bf_report *r, FILE *out, struct bf_err *err)
{
	cJSON *sum = bf_report_summary_json(r, err), *x;
	if (!sum)
		return err->code;
	cJSON *met = metrics_json(r, err);
	if (!met) {
		cJSON_Delete(sum);
		return err->code;
	}
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(sum, "overall");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "partitions");
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(sum, "runs");

	prom_head(out, "bf_dates", "gauge", "Selected dates by status (every location of a date taken together).");
	for (int k = BF_DAY_LOADED; k <= BF_DAY_PENDING; k++) {
		fprintf(out, "bf_dates{status=\"%s\"} ", bf_day_status_names[k]);
		prom_num(out, bf_json_num(o, bf_day_status_names[k]));
	}
	fprintf(out, "bf_dates{status=\"missing\"} ");
	prom_num(out, bf_json_num(o, "missing"));
	prom_head(out, "bf_partitions", "gauge", "Partitions (source, location, date) by status.");
	for (int k = 0; k < 5; k++) {
		fprintf(out, "bf_partitions{status=\"%s\"} ", pstatus[k]);
		prom_num(out, bf_json_num(p, pstatus[k]));
	}
	static const char *const counters[][3] = {
		{ "bf_rows_extracted_total", "rows_extracted", "Data rows extracted for the selected partitions." },
		{ "bf_rows_loaded_total", "rows_loaded", "Rows committed by the sink for the selected partitions." },
		{ "bf_quarantined_rows_total", "quarantined_rows", "Bad input rows kept in quarantine." },
		{ "bf_errors_total", "errors", "Errors recorded in the state file." },
		{ "bf_alerts_total", "alerts", "Alerts raised by bf-run." },
		{ "bf_runs_total", "runs", "bf-run runs that worked on the selection." },
	};
	for (size_t k = 0; k < sizeof counters / sizeof counters[0]; k++) {
		prom_head(out, counters[k][0], "counter", counters[k][2]);
		fprintf(out, "%s ", counters[k][0]);
		prom_num(out, bf_json_num(o, counters[k][1]));
	}
	int nr = cJSON_GetArraySize(runs);
	if (nr > 0) {
		const cJSON *last = cJSON_GetArrayItem(runs, nr - 1);
		prom_head(out, "bf_run_duration_seconds", "gauge", "Wall-clock duration of the last bf-run.");
		fprintf(out, "bf_run_duration_seconds ");
		prom_num(out, bf_json_num(last, "duration_s"));
		prom_head(out, "bf_run_exit_code", "gauge", "Exit status of the last bf-run (-1 while running or killed).");
		fprintf(out, "bf_run_exit_code ");
		prom_num(out, cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(last, "exit_code")) ? bf_json_num(last, "exit_code") : -1);
		prom_head(out, "bf_run_rows_per_second", "gauge", "Rows loaded per second of the last bf-run.");
		fprintf(out, "bf_run_rows_per_second ");
		prom_num(out, bf_json_num(last, "rows_per_s"));
		prom_head(out, "bf_run_dates", "gauge", "Dates of the last bf-run by outcome.");
		for (int k = 0; k < 5; k++) {
			fprintf(out, "bf_run_dates{outcome=\"%s\"} ", outcomes[k]);
			prom_num(out, bf_json_num(last, outcomes[k]));
		}
		const char *fin = bf_json_str(last, "finished_at");
		if (fin) {
			struct tm tm;
			memset(&tm, 0, sizeof tm);
			if (strptime(fin, "%Y-%m-%dT%H:%M:%SZ", &tm)) {
				prom_head(out, "bf_run_last_finished_timestamp_seconds", "gauge",
					  "When the last bf-run finished (Unix time).");
				fprintf(out, "bf_run_last_finished_timestamp_seconds ");
				prom_num(out, (double)timegm(&tm));
			}
		}
	}
	const cJSON *stages = cJSON_GetObjectItemCaseSensitive(met, "stages");
	prom_head(out, "bf_stage_rows_per_second", "gauge", "Rows per second of a stage over its timed work.");
	cJSON_ArrayForEach(x, stages) {
		if (!cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(x, "rows_per_s")))
			continue;
		fprintf(out, "bf_stage_rows_per_second{stage=\"");
		prom_escape(out, bf_json_str(x, "stage"));
		fprintf(out, "\"} ");
		prom_num(out, bf_json_num(x, "rows_per_s"));
	}
	prom_head(out, "bf_stage_date_duration_seconds", "summary", "Time a stage spent on one date.");
	cJSON_ArrayForEach(x, stages) {
		const cJSON *pd = cJSON_GetObjectItemCaseSensitive(x, "ms_per_date");
		if (!cJSON_IsObject(pd))
			continue;
		static const char *const q[] = { "0.5", "0.95" }, *const qk[] = { "p50", "p95" };
		for (int k = 0; k < 2; k++) {
			fprintf(out, "bf_stage_date_duration_seconds{stage=\"");
			prom_escape(out, bf_json_str(x, "stage"));
			fprintf(out, "\",quantile=\"%s\"} ", q[k]);
			prom_num(out, bf_json_num(pd, qk[k]) / 1000.0);
		}
		fprintf(out, "bf_stage_date_duration_seconds_sum{stage=\"");
		prom_escape(out, bf_json_str(x, "stage"));
		fprintf(out, "\"} ");
		prom_num(out, bf_json_num(pd, "sum") / 1000.0);
		fprintf(out, "bf_stage_date_duration_seconds_count{stage=\"");
		prom_escape(out, bf_json_str(x, "stage"));
		fprintf(out, "\"} ");
		prom_num(out, bf_json_num(pd, "count"));
	}
	cJSON_Delete(sum);
	cJSON_Delete(met);
	return flush_out(out, err);
}

/* ------------------------------------------------------------------------------------ */
/* Files written whole or not at all */

int bf_report_write_file(struct bf_report *r, const char *path,
			 int (*write)(struct bf_report *r, FILE *out, struct bf_err *err), struct bf_err *err)
{
	struct bf_buf tmp = BF_BUF_INIT;
	int rc;
	bf_buf_addf(&tmp, "%s.tmp.%ld", path, (long)getpid());
	FILE *f = fopen(tmp.p, "w");
	if (!f) {
		rc = bf_fail(err, errno == EACCES || errno == EPERM ? BF_ENOPERM : BF_EIO, path, "cannot create %s: %s",
			     tmp.p, strerror(errno));
		bf_buf_free(&tmp);
		return rc;
	}
	rc = write(r, f, err);
	if (!rc && fsync(fileno(f)))
		rc = bf_fail(err, BF_EIO, path, "fsync: %s", strerror(errno));
	if (fclose(f) && !rc)
		rc = bf_fail(err, BF_EIO, path, "write failed: %s", strerror(errno));
	if (!rc && rename(tmp.p, path))
		rc = bf_fail(err, BF_EIO, path, "rename: %s", strerror(errno));
	if (rc)
		unlink(tmp.p);
	bf_buf_free(&tmp);
	return rc;
}
