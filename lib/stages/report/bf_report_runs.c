/* The bf-run runs that worked on the selection, with what they did to it (dates by
 * outcome, rows, quarantined rows, errors, alerts): for the summary and the metrics. */
#include "stages/report/bf_report_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_redact.h"
#include "state/bf_state.h"

const char *const report_outcomes[5] = { "loaded", "closed", "pending", "failed", "interrupted" };

void report_runs_free(struct runrow *v, size_t n)
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
	if ((rc = report_prepare(r, sql, &s, table, err)))
		return rc;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(s, 3);
		struct runrow *x = bsearch(&id, v, n, sizeof *v, cmp_runrow);
		if (!x || !report_wanted(r, report_col(s, 0), report_col(s, 1), report_col(s, 2)))
			continue;
		if (which == 0)
			x->quarantined += sqlite3_column_int64(s, 4);
		else
			x->errors += sqlite3_column_int64(s, 4);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : report_db_fail(r, rc, table, err);
}

/* The bf-run runs that worked on the selection (every bf-run run when nothing is filtered). */
int report_load_runs(struct bf_report *r, struct runrow **out, size_t *nout, struct bf_err *err)
{
	sqlite3_stmt *s, *d;
	struct runrow *v = NULL;
	size_t n = 0;
	int rc;
	int filtered = r->source || r->explicit_sel;
	int has_rd = bf_sqlite_has_table(DB(r), "run_dates"), has_alerts = bf_sqlite_has_table(DB(r), "alerts");

	*out = NULL;
	*nout = 0;
	struct bf_buf sql = BF_BUF_INIT;
	bf_buf_addf(&sql, "SELECT run_id, started_at, finished_at, exit_code, args, %s,"
		    " (SELECT count(*) FROM runs c WHERE c.parent_run = runs.run_id)"
		    " FROM runs WHERE stage = 'run' ORDER BY run_id", report_run_seconds(r));
	rc = report_prepare(r, sql.p, &s, "runs", err);
	bf_buf_free(&sql);
	if (rc)
		return rc;
	if (has_rd) {
		if ((rc = report_prepare(r, "SELECT source, date, outcome, rows FROM run_dates WHERE run_id = ?", &d,
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
				if (!report_wanted(r, report_col(d, 0), NULL, report_col(d, 1)))
					continue;
				x.dates++;
				for (int k = 0; k < 5; k++)
					if (report_col(d, 2) && !strcmp(report_col(d, 2), report_outcomes[k]))
						x.n[k]++;
				if (sqlite3_column_int64(d, 3) > 0)
					x.rows += sqlite3_column_int64(d, 3);
			}
		}
		if (filtered && !x.dates)
			continue;
		x.started = report_dup_or_null(report_col(s, 1));
		x.finished = report_dup_or_null(report_col(s, 2));
		x.exit_code = report_col_ll(s, 3);
		/* a state file written before args were masked may hold a secret: never shown */
		x.args = bf_redact(report_col(s, 4));
		x.duration = sqlite3_column_type(s, 5) == SQLITE_NULL ? -1 : sqlite3_column_double(s, 5);
		x.children = sqlite3_column_int64(s, 6);
		v = bf_xrealloc(v, (n + 1) * sizeof *v);
		v[n++] = x;
	}
	sqlite3_finalize(s);
	sqlite3_finalize(d);
	if (rc != SQLITE_DONE) {
		report_runs_free(v, n);
		return report_db_fail(r, rc, "runs", err);
	}
	if ((rc = count_by_run(r, v, n, "quarantine", 0, err)) || (rc = count_by_run(r, v, n, "errors", 1, err))) {
		report_runs_free(v, n);
		return rc;
	}
	if (has_alerts) {
		if ((rc = report_prepare(r, "SELECT count(*) FROM alerts WHERE run_id = ?", &s, "alerts", err))) {
			report_runs_free(v, n);
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
