/* bf-report --prometheus: the summary and the metrics in Prometheus text exposition
 * format (for node_exporter's textfile collector). */
#include "stages/report/bf_report_int.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/bf_buf.h"
#include "proto/bf_json.h"

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

/* The sample name with the labels of file k (several files) and extra ("" or
 * `outcome="..."`). */
static void prom_name(FILE *out, const struct bf_report *r, size_t k, const char *name, const char *extra)
{
	fputs(name, out);
	if (!r->nstates && !*extra) {
		fputc(' ', out);
		return;
	}
	fputc('{', out);
	fputs(extra, out);
	if (r->nstates) {
		fprintf(out, "%sstate=\"", *extra ? "," : "");
		prom_escape(out, r->states[k]);
		fputc('"', out);
	}
	fputs("} ", out);
}

/* The gauges of the last bf-run of each file (last[k] NULL: none). */
static void last_runs(FILE *out, const struct bf_report *r, const cJSON **last, size_t n)
{
	static const char *const gauges[][3] = {
		{ "bf_run_duration_seconds", "duration_s", "Wall-clock duration of the last bf-run." },
		{ "bf_run_exit_code", "exit_code", "Exit status of the last bf-run (-1 while running or killed)." },
		{ "bf_run_rows_per_second", "rows_per_s", "Rows loaded per second of the last bf-run." },
	};
	size_t any = 0;
	for (size_t k = 0; k < n; k++)
		any += last[k] != NULL;
	if (!any)
		return;
	for (size_t g = 0; g < sizeof gauges / sizeof gauges[0]; g++) {
		prom_head(out, gauges[g][0], "gauge", gauges[g][2]);
		for (size_t k = 0; k < n; k++) {
			if (!last[k])
				continue;
			prom_name(out, r, k, gauges[g][0], "");
			if (g == 1)
				prom_num(out, cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(last[k], "exit_code"))
						      ? bf_json_num(last[k], "exit_code") : -1);
			else
				prom_num(out, bf_json_num(last[k], gauges[g][1]));
		}
	}
	prom_head(out, "bf_run_dates", "gauge", "Dates of the last bf-run by outcome.");
	for (size_t k = 0; k < n; k++) {
		for (int o = 0; last[k] && o < 5; o++) {
			char extra[64];
			snprintf(extra, sizeof extra, "outcome=\"%s\"", report_outcomes[o]);
			prom_name(out, r, k, "bf_run_dates", extra);
			prom_num(out, bf_json_num(last[k], report_outcomes[o]));
		}
	}
	int head = 0;
	for (size_t k = 0; k < n; k++) {
		const char *fin = last[k] ? bf_json_str(last[k], "finished_at") : NULL;
		struct tm tm;
		memset(&tm, 0, sizeof tm);
		if (!fin || !strptime(fin, "%Y-%m-%dT%H:%M:%SZ", &tm))
			continue;
		if (!head++)
			prom_head(out, "bf_run_last_finished_timestamp_seconds", "gauge",
				  "When the last bf-run finished (Unix time).");
		prom_name(out, r, k, "bf_run_last_finished_timestamp_seconds", "");
		prom_num(out, (double)timegm(&tm));
	}
}

int bf_report_prometheus(struct bf_report *r, FILE *out, struct bf_err *err)
{
	cJSON *sum = bf_report_summary_json(r, err), *x;
	if (!sum)
		return err->code;
	cJSON *met = report_metrics_json(r, err);
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
		fprintf(out, "bf_partitions{status=\"%s\"} ", report_part_statuses[k]);
		prom_num(out, bf_json_num(p, report_part_statuses[k]));
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
	/* the last bf-run: of the file, or of each file (labelled state="...") */
	size_t nlast = r->nstates ? r->nstates : 1;
	const cJSON **last = bf_xcalloc(nlast, sizeof *last);
	cJSON_ArrayForEach(x, runs) {
		size_t k = 0;
		while (k < r->nstates && strcmp(r->states[k], bf_json_str(x, "state") ? bf_json_str(x, "state") : ""))
			k++;
		if (k < nlast)
			last[k] = x;
	}
	last_runs(out, r, last, nlast);
	free(last);
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
	return report_flush_out(out, err);
}
