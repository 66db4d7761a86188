/* bf-report metrics: per stage, rows, time, rows per second and ms per date with their
 * percentiles, from the metrics and runs tables; every series; each bf-run's throughput. */
#include "stages/report/bf_report_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "proto/bf_json.h"
#include "state/bf_state.h"

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
	cJSON_AddNumberToObject(o, "sum", report_round3(sum));
	cJSON_AddNumberToObject(o, "mean", n ? report_round3(sum / (double)n) : 0);
	cJSON_AddNumberToObject(o, "min", report_round3(bf_report_percentile(v, n, 0)));
	cJSON_AddNumberToObject(o, "p50", report_round3(bf_report_percentile(v, n, 50)));
	cJSON_AddNumberToObject(o, "p95", report_round3(bf_report_percentile(v, n, 95)));
	cJSON_AddNumberToObject(o, "max", report_round3(bf_report_percentile(v, n, 100)));
	return o;
}

/* The metrics as JSON: stages (rows, time, rows/s, ms per date) and every series. */
cJSON *report_metrics_json(struct bf_report *r, struct bf_err *err)
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

	if (report_prepare(r, "SELECT run_id, stage, source, location, date, name, value FROM metrics"
		    " ORDER BY stage, name", &s, "metrics", err))
		return NULL;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		const char *stage = report_col(s, 1), *name = report_col(s, 5);
		if (!stage || !name || !report_wanted(r, report_col(s, 2), report_col(s, 3), report_col(s, 4)))
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
		report_db_fail(r, rc, "metrics", err);
		goto out;
	}
	qsort(se, nse, sizeof *se, cmp_series);
	/* the stage runs that wrote these metrics */
	struct bf_buf sql = BF_BUF_INIT;
	bf_buf_addf(&sql, "SELECT stage, exit_code, %s FROM runs WHERE run_id = ?", report_run_seconds(r));
	int prc = report_prepare(r, sql.p, &s, "runs", err);
	bf_buf_free(&sql);
	if (prc)
		goto out;
	for (size_t i = 0; i < nids; i++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, ids[i]);
		if (bf_sqlite_step(s) == SQLITE_ROW) {
			sr = bf_xrealloc(sr, (nsr + 1) * sizeof *sr);
			sr[nsr].run_id = ids[i];
			sr[nsr].stage = idstage[i];
			sr[nsr].exit_code = report_col_ll(s, 1);
			sr[nsr].seconds = sqlite3_column_type(s, 2) == SQLITE_NULL ? 0 : sqlite3_column_double(s, 2);
			nsr++;
		}
	}
	sqlite3_finalize(s);

	root = cJSON_CreateObject();
	report_add_str_or_null(root, "source", r->source);
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
		cJSON_AddNumberToObject(o, "run_seconds", report_round3(secs));
		if (have_rows)
			cJSON_AddNumberToObject(o, "rows", rows);
		else
			cJSON_AddNullToObject(o, "rows");
		if (timing) {
			ms = timing->sum;
			cJSON_AddStringToObject(o, "timing", timing->name);
			cJSON_AddNumberToObject(o, "dates", (double)timing->n);
			cJSON_AddNumberToObject(o, "ms", report_round3(ms));
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
			cJSON_AddNumberToObject(o, "ms", report_round3(secs * 1000));
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
	if (report_load_runs(r, &runs, &nruns, err)) {
		cJSON_Delete(root);
		root = NULL;
		goto out;
	}
	cJSON *ra = cJSON_AddArrayToObject(root, "runs");
	for (size_t i = 0; i < nruns; i++) {
		cJSON *o = cJSON_CreateObject();
		report_add_run_id(r, o, runs[i].run_id);
		cJSON_AddNumberToObject(o, "dates", (double)runs[i].dates);
		cJSON_AddNumberToObject(o, "rows_loaded", (double)runs[i].rows);
		if (runs[i].duration < 0)
			cJSON_AddNullToObject(o, "duration_s");
		else
			cJSON_AddNumberToObject(o, "duration_s", report_round3(runs[i].duration));
		cJSON_AddNumberToObject(o, "rows_per_s", runs[i].duration > 0 ? round(runs[i].rows / runs[i].duration) : 0);
		cJSON_AddNumberToObject(o, "ms_per_date",
					runs[i].dates && runs[i].duration > 0 ? report_round3(runs[i].duration * 1000 / runs[i].dates) : 0);
		cJSON_AddItemToArray(ra, o);
	}
	report_runs_free(runs, nruns);
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
	cJSON *root = report_metrics_json(r, err), *x;
	if (!root)
		return err->code;
	if (json)
		return report_print_json(root, out, err);
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
		fprintf(out, "  %6s  %6s  %11s  %10s  %10s  %9s%s\n", "run", "dates", "rows", "seconds", "rows/s", "ms/date",
			r->nstates ? "  state file" : "");
		cJSON_ArrayForEach(x, runs) {
			fprintf(out, "  %6.0f  %6.0f  %11.0f  %10.3f  %10.0f  %9.1f", bf_json_num(x, "run_id"), bf_json_num(x, "dates"),
				bf_json_num(x, "rows_loaded"), bf_json_num(x, "duration_s"), bf_json_num(x, "rows_per_s"), bf_json_num(x, "ms_per_date"));
			if (r->nstates)
				fprintf(out, "  %s", bf_json_str(x, "state"));
			fputc('\n', out);
		}
	}
	cJSON_Delete(root);
	return report_flush_out(out, err);
}
