/* What the files of bf-report's core share; private to lib/stages/report (callers include
 * stages/report/bf_report.h). Every writer works from the struct bf_report that
 * bf_report_open loaded and from short queries on its read-only connection.
 *
 *   bf_report.c             opening: the connection, the selection, partitions and days
 *   bf_report_out.c         JSON printing, numbers, checking the output
 *   bf_report_runs.c        the bf-run runs that worked on the selection
 *   bf_report_summary.c     summary (text, JSON)
 *   bf_report_dates.c       dates (text, JSON)
 *   bf_report_metrics.c     metrics (text, JSON)
 *   bf_report_calendar.c    calendar (text, JSON)
 *   bf_report_closures.c    closures (stages/closure's analysis)
 *   bf_report_prometheus.c  --prometheus
 *   bf_report_html.c        --html
 *   bf_report_file.c        files written whole or not at all
 *   bf_report_states.c      several state files: the file of a run, the files in JSON */
#ifndef BF_REPORT_INT_H
#define BF_REPORT_INT_H

#include <cjson/cJSON.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdio.h>

#include "base/bf_log.h"
#include "stages/report/bf_report.h"

#define DB(r) ((sqlite3 *)(r)->db)

/* bf_report.c */
/* The SQL of a run's seconds in the runs table (duration_ms when the file has it). */
const char *report_run_seconds(const struct bf_report *r);
/* Maps a failure of the read-only connection to an exit code, err filled. */
int report_db_fail(struct bf_report *r, int rc, const char *what, struct bf_err *err);
int report_prepare(struct bf_report *r, const char *sql, sqlite3_stmt **s, const char *what,
		   struct bf_err *err);
const char *report_col(sqlite3_stmt *s, int i);
/* The column as a number, -1 when NULL. */
long long report_col_ll(sqlite3_stmt *s, int i);
char *report_dup_or_null(const char *s);
/* Several files: the path of file k ("?" when there is none). */
const char *report_state_at(const struct bf_report *r, long long k);
/* Whether a row of the state file is in the selection; location NULL: not checked
 * (run_dates has none). */
int report_wanted(const struct bf_report *r, const char *source, const char *location, const char *date);

/* bf_report_out.c */
/* The p-th percentile (0..100, nearest rank) of v[0..n), sorted in place; 0 when n is 0. */
double bf_report_percentile(double *v, size_t n, double p);
/* a in percent of b, to one decimal; 0 when b is 0. */
double report_pct(long long a, long long b);
double report_round3(double x);
/* Flushes out: 0, or BF_EIO with err filled when a write failed. */
int report_flush_out(FILE *out, struct bf_err *err);
/* Prints root (indented) and a newline, deletes root, flushes. */
int report_print_json(cJSON *root, FILE *out, struct bf_err *err);
/* v < 0 (unknown) as null. */
void report_add_num_or_null(cJSON *o, const char *k, long long v);
void report_add_str_or_null(cJSON *o, const char *k, const char *v);

/* bf_report_runs.c */
struct runrow {
	long long run_id, exit_code, children;
	char *started, *finished, *args;
	double duration;           /* seconds, < 0 unknown */
	long long n[5];            /* run_dates outcomes: loaded closed pending failed interrupted */
	long long dates, rows, quarantined, errors, alerts;
};
/* The outcomes of run_dates, in the order of runrow.n. */
extern const char *const report_outcomes[5];
/* The bf-run runs that worked on the selection (every bf-run run when nothing is
 * filtered), sorted by run_id. */
int report_load_runs(struct bf_report *r, struct runrow **out, size_t *nout, struct bf_err *err);
void report_runs_free(struct runrow *v, size_t n);

/* bf_report_summary.c */
/* The partition statuses, in the order of the summary's partition counts. */
extern const char *const report_part_statuses[5];
/* The summary as a cJSON object (caller deletes); NULL with err filled. */
cJSON *bf_report_summary_json(struct bf_report *r, struct bf_err *err);

/* bf_report_metrics.c */
/* The metrics as JSON: stages (rows, time, rows/s, ms per date) and every series (caller
 * deletes); NULL with err filled. */
cJSON *report_metrics_json(struct bf_report *r, struct bf_err *err);

/* bf_report_states.c */
/* Adds "run_id" (as its file numbers it) and, for several files, "state" (its file). */
void report_add_run_id(const struct bf_report *r, cJSON *o, long long run_id);
/* The file of a run id; NULL for one file. */
const char *report_run_state(const struct bf_report *r, long long run_id);
/* "state": the path, or for several files an array of them; and "conflicts" for several. */
void report_add_states(const struct bf_report *r, cJSON *root);

/* bf_report_calendar.c */
extern const char *const report_months[12];  /* "Jan" ... */

#endif
