/* bf-report summary: dates by status (every location of a date together), partitions,
 * closures per location-day, rows extracted and loaded (closure marker rows apart),
 * quarantined rows, errors and alerts, overall and per bf-run run; text or JSON. */
#include "stages/report/bf_report_int.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "base/bf_time.h"
#include "proto/bf_json.h"
#include "state/bf_state.h"

/* Rows of a table (quarantine, errors) in the selection. */
static int count_table(struct bf_report *r, const char *sql, long long *count, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	*count = 0;
	if ((rc = report_prepare(r, sql, &s, "counts", err)))
		return rc;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW)
		if (report_wanted(r, report_col(s, 0), report_col(s, 1), report_col(s, 2)))
			*count += sqlite3_column_int64(s, 3);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : report_db_fail(r, rc, "counts", err);
}

struct totals {
	long long dates, by[5], parts, pstat[5], rows, loaded, markers, quarantined, errors, alerts;
	long long partly;          /* loaded dates closed at some locations */
	long long runs, run_rows;
	double duration;
	char from[11], to[11];
};

const char *const report_part_statuses[5] = { "pending", "running", "loaded", "closed", "failed" };

static int totals(struct bf_report *r, struct runrow *runs, size_t nruns, struct totals *t, struct bf_err *err)
{
	int rc;
	memset(t, 0, sizeof *t);
	t->dates = (long long)r->ndays;
	for (size_t i = 0; i < r->ndays; i++) {
		t->by[r->days[i].status]++;
		t->partly += r->days[i].status == BF_DAY_LOADED && r->days[i].closed;
	}
	if (r->ndays) {
		bf_date_iso(r->days[0].date, t->from);
		bf_date_iso(r->days[r->ndays - 1].date, t->to);
	}
	for (size_t i = 0; i < r->nparts; i++) {
		const struct bf_report_part *p = &r->parts[i];
		t->parts++;
		for (int k = 0; k < 5; k++)
			if (!strcmp(p->status, report_part_statuses[k]))
				t->pstat[k]++;
		if (p->rows > 0)
			t->rows += p->rows;
		if (p->loaded_rows > 0)
			t->loaded += p->loaded_rows;
		if (p->marker_rows > 0)
			t->markers += p->marker_rows;
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

static cJSON *run_json(const struct bf_report *r, const struct runrow *x)
{
	cJSON *o = cJSON_CreateObject();
	long long ok = x->n[0] + x->n[1] + x->n[2];
	report_add_run_id(r, o, x->run_id);
	report_add_str_or_null(o, "started_at", x->started);
	report_add_str_or_null(o, "finished_at", x->finished);
	report_add_num_or_null(o, "exit_code", x->exit_code);
	if (x->duration < 0)
		cJSON_AddNullToObject(o, "duration_s");
	else
		cJSON_AddNumberToObject(o, "duration_s", report_round3(x->duration));
	report_add_str_or_null(o, "args", x->args);
	cJSON_AddNumberToObject(o, "child_runs", (double)x->children);
	cJSON_AddNumberToObject(o, "dates", (double)x->dates);
	cJSON_AddNumberToObject(o, "successful", (double)ok);
	cJSON_AddNumberToObject(o, "successful_pct", report_pct(ok, x->dates));
	for (int k = 0; k < 5; k++) {
		char key[32];
		cJSON_AddNumberToObject(o, report_outcomes[k], (double)x->n[k]);
		snprintf(key, sizeof key, "%s_pct", report_outcomes[k]);
		cJSON_AddNumberToObject(o, key, report_pct(x->n[k], x->dates));
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
	if (report_load_runs(r, &runs, &nruns, err))
		return NULL;
	if (totals(r, runs, nruns, &t, err)) {
		report_runs_free(runs, nruns);
		return NULL;
	}
	cJSON *root = cJSON_CreateObject(), *o = cJSON_CreateObject(), *p = cJSON_CreateObject();
	report_add_states(r, root);
	report_add_str_or_null(root, "source", r->source);
	report_add_str_or_null(root, "from", r->ndays ? t.from : NULL);
	report_add_str_or_null(root, "to", r->ndays ? t.to : NULL);
	cJSON_AddItemToObject(root, "overall", o);
	cJSON_AddNumberToObject(o, "dates", (double)t.dates);
	cJSON_AddNumberToObject(o, "processed", (double)(t.dates - t.by[BF_DAY_MISSING]));
	cJSON_AddNumberToObject(o, "successful", (double)(t.by[BF_DAY_LOADED] + t.by[BF_DAY_CLOSED]));
	cJSON_AddNumberToObject(o, "successful_pct", report_pct(t.by[BF_DAY_LOADED] + t.by[BF_DAY_CLOSED], t.dates));
	for (int k = BF_DAY_LOADED; k <= BF_DAY_PENDING; k++) {
		char key[32];
		cJSON_AddNumberToObject(o, bf_day_status_names[k], (double)t.by[k]);
		snprintf(key, sizeof key, "%s_pct", bf_day_status_names[k]);
		cJSON_AddNumberToObject(o, key, report_pct(t.by[k], t.dates));
	}
	cJSON_AddNumberToObject(o, "missing", (double)t.by[BF_DAY_MISSING]);
	cJSON_AddNumberToObject(o, "missing_pct", report_pct(t.by[BF_DAY_MISSING], t.dates));
	/* closures per location-day (partitions), and dates by how many locations closed */
	cJSON_AddNumberToObject(o, "closed_partitions", (double)t.pstat[3]);
	cJSON_AddNumberToObject(o, "dates_closed_everywhere", (double)t.by[BF_DAY_CLOSED]);
	cJSON_AddNumberToObject(o, "dates_partly_closed", (double)t.partly);
	cJSON_AddItemToObject(o, "partitions", p);
	cJSON_AddNumberToObject(p, "total", (double)t.parts);
	for (int k = 0; k < 5; k++)
		cJSON_AddNumberToObject(p, report_part_statuses[k], (double)t.pstat[k]);
	cJSON_AddNumberToObject(o, "rows_extracted", (double)t.rows);
	cJSON_AddNumberToObject(o, "rows_loaded", (double)t.loaded);
	cJSON_AddNumberToObject(o, "marker_rows", (double)t.markers);
	cJSON_AddNumberToObject(o, "quarantined_rows", (double)t.quarantined);
	cJSON_AddNumberToObject(o, "errors", (double)t.errors);
	cJSON_AddNumberToObject(o, "alerts", (double)t.alerts);
	cJSON_AddNumberToObject(o, "runs", (double)t.runs);
	cJSON_AddNumberToObject(o, "duration_s", report_round3(t.duration));
	cJSON_AddNumberToObject(o, "rows_per_s", t.duration > 0 ? round(t.run_rows / t.duration) : 0);
	cJSON *arr = cJSON_AddArrayToObject(root, "runs");
	for (size_t i = 0; i < nruns; i++)
		cJSON_AddItemToArray(arr, run_json(r, &runs[i]));
	report_runs_free(runs, nruns);
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
	if (!root)
		return err->code;
	if (json)
		return report_print_json(root, out, err);
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "overall");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(o, "partitions");
	char dur[32];
	if (!r->nstates)
		fprintf(out, "state file   %s\n", r->path);
	for (size_t i = 0; i < r->nstates; i++)
		fprintf(out, "%-12s %s\n", i ? "" : "state files", r->states[i]);
	if (r->source)
		fprintf(out, "source       %s\n", r->source);
	if (bf_json_str(root, "from"))
		fprintf(out, "dates        %s .. %s\n", bf_json_str(root, "from"), bf_json_str(root, "to"));
	fprintf(out, "\nOverall\n");
	fprintf(out, "  dates       %8.0f\n", bf_json_num(o, "dates"));
	fprintf(out, "  processed   %8.0f\n", bf_json_num(o, "processed"));
	fprintf(out, "  successful  %8.0f  %5.1f%%  (loaded or closed at every location)\n", bf_json_num(o, "successful"), bf_json_num(o, "successful_pct"));
	for (int k = BF_DAY_LOADED; k <= BF_DAY_PENDING; k++) {
		char key[32];
		snprintf(key, sizeof key, "%s_pct", bf_day_status_names[k]);
		fprintf(out, "  %-11s %8.0f  %5.1f%%", bf_day_status_names[k], bf_json_num(o, bf_day_status_names[k]), bf_json_num(o, key));
		if (k == BF_DAY_LOADED && bf_json_num(o, "dates_partly_closed") > 0)
			fprintf(out, "  (%.0f of them closed at some locations)", bf_json_num(o, "dates_partly_closed"));
		if (k == BF_DAY_CLOSED)
			fprintf(out, "  (at every location)");
		fputc('\n', out);
	}
	fprintf(out, "  missing     %8.0f  %5.1f%%  (never worked on)\n", bf_json_num(o, "missing"), bf_json_num(o, "missing_pct"));
	fprintf(out, "  partitions  %8.0f  (loaded %.0f, closed %.0f, failed %.0f, pending %.0f, running %.0f)\n",
		bf_json_num(p, "total"), bf_json_num(p, "loaded"), bf_json_num(p, "closed"), bf_json_num(p, "failed"), bf_json_num(p, "pending"),
		bf_json_num(p, "running"));
	fprintf(out, "  closed      %8.0f  location-days (partitions); %.0f dates at every location, %.0f at some\n",
		bf_json_num(o, "closed_partitions"), bf_json_num(o, "dates_closed_everywhere"),
		bf_json_num(o, "dates_partly_closed"));
	fprintf(out, "  rows extracted %11.0f  (read from the source)\n", bf_json_num(o, "rows_extracted"));
	fprintf(out, "  rows loaded    %11.0f\n", bf_json_num(o, "rows_loaded"));
	fprintf(out, "    closure markers %9.0f  (of the rows loaded: added on closed days, never extracted)\n",
		bf_json_num(o, "marker_rows"));
	fprintf(out, "  quarantined    %11.0f\n", bf_json_num(o, "quarantined_rows"));
	fprintf(out, "  errors         %11.0f\n", bf_json_num(o, "errors"));
	fprintf(out, "  alerts         %11.0f\n", bf_json_num(o, "alerts"));
	fmt_duration(dur, sizeof dur, bf_json_num(o, "duration_s"));
	fprintf(out, "  bf-run runs    %11.0f  (%s, %.0f rows/s)\n", bf_json_num(o, "runs"), dur, bf_json_num(o, "rows_per_s"));
	if (r->nconflicts) {
		fprintf(out, "\nConflicts (a partition in several state files; the copy finished last counts)\n");
		for (size_t i = 0; i < r->nconflicts; i++)
			fprintf(out, "  %s  %s  %s: in %s; counted: %s\n", r->conflicts[i].date, r->conflicts[i].location,
				r->conflicts[i].source, r->conflicts[i].states, r->conflicts[i].counted);
	}
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(root, "runs"), *x;
	if (cJSON_GetArraySize(runs) > 0) {
		fprintf(out, "\nRuns\n");
		fprintf(out, "  %6s  %-20s  %4s  %9s  %6s  %6s  %6s  %6s  %6s  %10s  %6s  %6s%s\n", "run", "started",
			"exit", "duration", "dates", "loaded", "closed", "failed", "pend.", "rows", "quar.", "errors",
			r->nstates ? "  state file" : "");
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
		fprintf(out, "  %6.0f  %-20s  %4s  %9s  %6.0f  %6.0f  %6.0f  %6.0f  %6.0f  %10.0f  %6.0f  %6.0f",
			bf_json_num(x, "run_id"), bf_json_str(x, "started_at") ? bf_json_str(x, "started_at") : "-", e, dur, bf_json_num(x, "dates"),
			bf_json_num(x, "loaded"), bf_json_num(x, "closed"), bf_json_num(x, "failed"), bf_json_num(x, "pending") + bf_json_num(x, "interrupted"),
			bf_json_num(x, "rows_loaded"), bf_json_num(x, "quarantined_rows"), bf_json_num(x, "errors"));
		if (r->nstates)
			fprintf(out, "  %s", bf_json_str(x, "state"));
		fputc('\n', out);
	}
	cJSON_Delete(root);
	return report_flush_out(out, err);
}
