/* bf-report dates: one line (or JSON object) per partition of the selection, and one per
 * selected date that was never worked on. */
#include "stages/report/bf_report_int.h"

#include <stdio.h>
#include <string.h>

#include "base/bf_time.h"

int bf_report_dates(struct bf_report *r, int json, FILE *out, struct bf_err *err)
{
	size_t pi = 0;
	cJSON *root = NULL, *arr = NULL;
	if (json) {
		root = cJSON_CreateObject();
		report_add_str_or_null(root, "source", r->source);
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
				report_add_str_or_null(o, "folder", p->folder);
				report_add_num_or_null(o, "rows", p->rows);
				report_add_num_or_null(o, "loaded_rows", p->loaded_rows);
				report_add_num_or_null(o, "quarantined", p->quarantined);
				cJSON_AddNumberToObject(o, "attempts", (double)(p->attempts < 0 ? 0 : p->attempts));
				report_add_num_or_null(o, "duration_ms", p->duration_ms);
				report_add_str_or_null(o, "last_error", p->last_error);
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
	if (json)
		return report_print_json(root, out, err);
	return report_flush_out(out, err);
}
