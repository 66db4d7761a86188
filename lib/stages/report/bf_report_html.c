/* bf-report --html: one self-contained page (inline CSS and SVG, no script, nothing
 * fetched) with the summary, a calendar heat map (one <rect> per selected date, its status
 * in data-status and its closed locations in data-closed; class "day STATUS", or
 * "day partly_closed" for a loaded date closed at some locations; a <title> tooltip naming
 * the closed locations and their reasons) and a chart of the rows loaded per day. Nothing
 * is wider than the window (SVGs scale down, the runs table scrolls in its box). */
#include "stages/report/bf_report_int.h"

#include <math.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "base/bf_buf.h"
#include "proto/bf_json.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"

#define CELL 12
#define STEP 14
#define LEFT 34
#define YEAR_H (30 + 7 * STEP + 10)

static const char *const colors[5] = { "#d0d4da", "#2da44e", "#4a78c2", "#d1242f", "#e3a008" };
#define PARTLY_COLOR "#3aa3a3"
#define TOOLTIP_LOCATIONS 12

static void esc(FILE *out, const char *s)
{
	for (; s && *s; s++) {
		switch (*s) {
		case '&': fputs("&amp;", out); break;
		case '<': fputs("&lt;", out); break;
		case '>': fputs("&gt;", out); break;
		case '"': fputs("&quot;", out); break;
		case '\'': fputs("&#39;", out); break;
		default: fputc(*s, out);
		}
	}
}

static void summary_html(FILE *out, const cJSON *root)
{
	const cJSON *o = cJSON_GetObjectItemCaseSensitive(root, "overall"), *x;
	static const char *const rows[][2] = {
		{ "dates", "Dates selected" }, { "processed", "Processed" }, { "successful", "Successful (loaded or closed)" },
		{ "loaded", "Loaded" }, { "closed", "Closed" }, { "failed", "Failed" }, { "pending", "Pending" },
		{ "missing", "Missing (never worked on)" },
	};
	fputs("<section id=\"summary\"><h2>Summary</h2>\n<table class=\"summary\">\n", out);
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		char key[40];
		snprintf(key, sizeof key, "%s_pct", rows[i][0]);
		fprintf(out, "<tr data-key=\"%s\"><th>%s</th><td>%.0f</td>", rows[i][0], rows[i][1], bf_json_num(o, rows[i][0]));
		if (cJSON_GetObjectItemCaseSensitive(o, key))
			fprintf(out, "<td>%.1f%%</td>", bf_json_num(o, key));
		else
			fputs("<td></td>", out);
		fputs("</tr>\n", out);
	}
	static const char *const more[][2] = {
		{ "closed_partitions", "Closed location-days (partitions)" },
		{ "dates_partly_closed", "Dates closed at some locations" },
		{ "rows_extracted", "Rows extracted (from the source)" }, { "rows_loaded", "Rows loaded" },
		{ "marker_rows", "Closure marker rows (of the rows loaded)" },
		{ "quarantined_rows", "Quarantined rows" }, { "errors", "Errors" }, { "alerts", "Alerts" },
		{ "runs", "bf-run runs" }, { "duration_s", "Run time, s" }, { "rows_per_s", "Rows per second" },
	};
	for (size_t i = 0; i < sizeof more / sizeof more[0]; i++)
		fprintf(out, "<tr data-key=\"%s\"><th>%s</th><td>%.*f</td><td></td></tr>\n", more[i][0], more[i][1],
			!strcmp(more[i][0], "duration_s") ? 1 : 0, bf_json_num(o, more[i][0]));
	fputs("</table>\n", out);
	const cJSON *runs = cJSON_GetObjectItemCaseSensitive(root, "runs");
	/* several state files: each run with its file */
	int several = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(root, "state"));
	if (cJSON_GetArraySize(runs) > 0) {
		fputs("<h3>Runs</h3>\n<div class=\"wide\"><table class=\"runs\"><tr><th>run</th><th>started</th><th>exit</th><th>seconds</th>"
		      "<th>dates</th><th>loaded</th><th>closed</th><th>failed</th><th>pending</th><th>rows</th>"
		      "<th>quarantined</th><th>errors</th>", out);
		fputs(several ? "<th>state file</th></tr>\n" : "</tr>\n", out);
		cJSON_ArrayForEach(x, runs) {
			const cJSON *ec = cJSON_GetObjectItemCaseSensitive(x, "exit_code");
			fprintf(out, "<tr><td>%.0f</td><td>", bf_json_num(x, "run_id"));
			esc(out, bf_json_str(x, "started_at"));
			if (cJSON_IsNumber(ec))
				fprintf(out, "</td><td>%d</td>", ec->valueint);
			else
				fputs("</td><td>-</td>", out);
			fprintf(out, "<td>%.1f</td><td>%.0f</td><td>%.0f</td><td>%.0f</td><td>%.0f</td><td>%.0f</td>"
				"<td>%.0f</td><td>%.0f</td><td>%.0f</td>",
				bf_json_num(x, "duration_s"), bf_json_num(x, "dates"), bf_json_num(x, "loaded"), bf_json_num(x, "closed"), bf_json_num(x, "failed"),
				bf_json_num(x, "pending") + bf_json_num(x, "interrupted"), bf_json_num(x, "rows_loaded"), bf_json_num(x, "quarantined_rows"),
				bf_json_num(x, "errors"));
			if (several) {
				fputs("<td>", out);
				esc(out, bf_json_str(x, "state"));
				fputs("</td>", out);
			}
			fputs("</tr>\n", out);
		}
		fputs("</table></div>\n", out);
	}
	fputs("</section>\n", out);
}

static int partly(const struct bf_report_day *x)
{
	return x->status == BF_DAY_LOADED && x->closed;
}

/* The tooltip's word on closures: which locations closed, and why. */
static void closed_note(const struct bf_report *r, const struct bf_report_day *x, FILE *out)
{
	if (!x->closed)
		return;
	if (x->closed == x->partitions)
		fprintf(out, "; closed at every location (%d)", x->partitions);
	else
		fprintf(out, "; closed at %d of %d locations", x->closed, x->partitions);
	int shown = 0;
	for (size_t i = x->first; i < x->first + (size_t)x->partitions; i++) {
		const struct bf_report_part *p = &r->parts[i];
		if (strcmp(p->status, "closed"))
			continue;
		if (shown == TOOLTIP_LOCATIONS) {
			fprintf(out, ", and %d more", x->closed - shown);
			break;
		}
		fputs(shown++ ? ", " : ": ", out);
		esc(out, *p->location ? p->location : "-");
		fputs(" (", out);
		esc(out, p->reason ? p->reason : "closed");
		fputc(')', out);
	}
}

/* Month labels of a year: only over months that have a selected date, at its first one. */
static void month_labels(const struct bf_report *r, int y, int32_t mon0, int top, FILE *out)
{
	int last = 0;
	for (size_t i = 0; i < r->ndays; i++) {
		int yy, mm, dd;
		bf_date_to_ymd(r->days[i].date, &yy, &mm, &dd);
		if (yy != y || mm == last)
			continue;
		last = mm;
		fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"ml\">%s</text>",
			LEFT + (int)((r->days[i].date - mon0) / 7) * STEP, top + 26, report_months[mm - 1]);
	}
}

static void calendar_svg(struct bf_report *r, FILE *out)
{
	long long count[5] = { 0 }, closed = 0, npartly = 0;
	for (size_t i = 0; i < r->ndays; i++) {
		count[r->days[i].status]++;
		closed += r->days[i].closed;
		npartly += partly(&r->days[i]);
	}
	fputs("<section id=\"calendar-section\"><h2>Calendar</h2>\n<p class=\"legend\">", out);
	static const int order[5] = { BF_DAY_LOADED, BF_DAY_CLOSED, BF_DAY_FAILED, BF_DAY_PENDING, BF_DAY_MISSING };
	for (int i = 0; i < 5; i++) {
		fprintf(out, "<span class=\"key %s\"></span> %s%s <b data-count=\"%s\">%lld</b> ",
			bf_day_status_names[order[i]], bf_day_status_names[order[i]],
			order[i] == BF_DAY_CLOSED ? " at every location" : "", bf_day_status_names[order[i]],
			count[order[i]] - (order[i] == BF_DAY_LOADED ? npartly : 0));
		if (order[i] == BF_DAY_LOADED)
			fprintf(out, "<span class=\"key partly_closed\"></span> closed at some locations "
				"<b data-count=\"partly_closed\">%lld</b> ", npartly);
	}
	fprintf(out, "<br>closed location-days (partitions): <b data-count=\"closed_partitions\">%lld</b>", closed);
	fputs("</p>\n", out);
	if (!r->ndays) {
		fputs("<p>No dates.</p></section>\n", out);
		return;
	}
	int y0, y1, m, d;
	bf_date_to_ymd(r->days[0].date, &y0, &m, &d);
	bf_date_to_ymd(r->days[r->ndays - 1].date, &y1, &m, &d);
	int years = y1 - y0 + 1;
	int width = LEFT + 54 * STEP + 10, height = years * YEAR_H;
	fprintf(out, "<svg id=\"calendar\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
		" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"calendar of dates by status\">\n",
		width, height, width, height);
	size_t i = 0;
	for (int y = y0; y <= y1; y++) {
		int top = (y - y0) * YEAR_H;
		int32_t jan1 = bf_date_from_ymd(y, 1, 1);
		int32_t mon0 = jan1 - (bf_date_weekday(jan1) - 1);
		fprintf(out, "<g class=\"year\" data-year=\"%d\"><text x=\"0\" y=\"%d\" class=\"yl\">%d</text>\n", y,
			top + 12, y);
		month_labels(r, y, mon0, top, out);
		static const char *const wd[] = { "Mon", "", "Wed", "", "Fri", "", "Sun" };
		for (int k = 0; k < 7; k++)
			if (*wd[k])
				fprintf(out, "<text x=\"0\" y=\"%d\" class=\"wl\">%s</text>", top + 30 + k * STEP + 10, wd[k]);
		fputc('\n', out);
		for (; i < r->ndays; i++) {
			const struct bf_report_day *x = &r->days[i];
			int yy, dd;
			bf_date_to_ymd(x->date, &yy, &m, &dd);
			if (yy != y)
				break;
			char iso[11];
			bf_date_iso(x->date, iso);
			const char *st = bf_day_status_names[x->status];
			fprintf(out, "<rect class=\"day %s\" data-status=\"%s\" data-date=\"%s\" data-rows=\"%lld\""
				" data-closed=\"%d\" x=\"%d\" y=\"%d\" width=\"%d\" height=\"%d\" rx=\"2\"><title>%s: %s",
				partly(x) ? "partly_closed" : st, st, iso, x->loaded_rows, x->closed,
				LEFT + (int)((x->date - mon0) / 7) * STEP, top + 30 + (bf_date_weekday(x->date) - 1) * STEP,
				CELL, CELL, iso, st);
			closed_note(r, x, out);
			if (x->status != BF_DAY_MISSING)
				fprintf(out, "; %lld rows loaded, %lld attempt%s", x->loaded_rows, x->attempts,
					x->attempts == 1 ? "" : "s");
			fputs("</title></rect>\n", out);
		}
		fputs("</g>\n", out);
	}
	fputs("</svg></section>\n", out);
}

static void rows_chart(struct bf_report *r, FILE *out)
{
	fputs("<section id=\"rows-section\"><h2>Rows loaded per day</h2>\n", out);
	if (!r->ndays) {
		fputs("<p>No dates.</p></section>\n", out);
		return;
	}
	long long max = 0;
	for (size_t i = 0; i < r->ndays; i++)
		if (r->days[i].loaded_rows > max)
			max = r->days[i].loaded_rows;
	int32_t first = r->days[0].date, last = r->days[r->ndays - 1].date;
	long span = (long)(last - first) + 1;
	/* the plot is at most 760 px wide (the page fits 900 px): bars get thinner, never wider */
	double bw = span > 0 ? fmin(12.0, 760.0 / (double)span) : 12.0;
	int left = 60, top = 10, h = 200;
	int width = left + (int)ceil(bw * (double)span) + 20, height = top + h + 40;
	fprintf(out, "<svg id=\"rows\" xmlns=\"http://www.w3.org/2000/svg\" width=\"%d\" height=\"%d\""
		" viewBox=\"0 0 %d %d\" role=\"img\" aria-label=\"rows loaded per day\">\n", width, height, width, height);
	fprintf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>", left, top + h,
		width - 10, top + h);
	fprintf(out, "<line class=\"axis\" x1=\"%d\" y1=\"%d\" x2=\"%d\" y2=\"%d\"/>\n", left, top, left, top + h);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"end\">%lld</text>", left - 4, top + 8, max);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"end\">0</text>\n", left - 4, top + h);
	char iso[11];
	bf_date_iso(first, iso);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"tick\">%s</text>", left, top + h + 16, iso);
	bf_date_iso(last, iso);
	fprintf(out, "<text x=\"%d\" y=\"%d\" class=\"tick\" text-anchor=\"end\">%s</text>\n", width - 10, top + h + 16,
		iso);
	for (size_t i = 0; i < r->ndays; i++) {
		const struct bf_report_day *x = &r->days[i];
		double bh = max > 0 ? (double)h * (double)x->loaded_rows / (double)max : 0;
		bf_date_iso(x->date, iso);
		fprintf(out, "<rect class=\"bar bar-%s\" data-date=\"%s\" x=\"%.1f\" y=\"%.1f\" width=\"%.1f\" height=\"%.1f\">"
			"<title>%s: %lld rows loaded (%s)</title></rect>\n",
			bf_day_status_names[x->status], iso, left + bw * (double)(x->date - first), top + h - bh,
			bw > 2 ? bw - 1 : bw, bh, iso, x->loaded_rows, partly(x) ? "loaded, closed at some locations"
			: bf_day_status_names[x->status]);
	}
	fputs("</svg></section>\n", out);
}

int bf_report_html(struct bf_report *r, FILE *out, struct bf_err *err)
{
	cJSON *sum = bf_report_summary_json(r, err);
	if (!sum)
		return err->code;
	fputs("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\n<title>bf report", out);
	if (r->source) {
		fputs(": ", out);
		esc(out, r->source);
	}
	fputs("</title>\n<style>\n"
	      "body{font:14px/1.4 system-ui,sans-serif;margin:1.5em;color:#1f2328}\n"
	      "table{border-collapse:collapse}th,td{padding:2px 10px;text-align:right;white-space:nowrap}\n"
	      "th{text-align:left;font-weight:600}table.runs td,table.runs th{border-bottom:1px solid #eee}\n"
	      "svg text{font:10px sans-serif;fill:#57606a}.yl{font-weight:bold;font-size:12px}\n"
	      "svg{max-width:100%;height:auto}div.wide{max-width:100%;overflow-x:auto}\n"
	      ".axis{stroke:#8c959f}\n.key{display:inline-block;width:11px;height:11px;border-radius:2px}\n", out);
	for (int k = 0; k < 5; k++)
		fprintf(out, "rect.%s,.key.%s{fill:%s;background:%s}\n", bf_day_status_names[k], bf_day_status_names[k],
			colors[k], colors[k]);
	fprintf(out, "rect.partly_closed,.key.partly_closed{fill:%s;background:%s}\n", PARTLY_COLOR, PARTLY_COLOR);
	fputs("rect.bar{fill:#2da44e}rect.bar-failed{fill:#d1242f}rect.bar-closed{fill:#4a78c2}\n"
	      "</style></head><body>\n<h1>bf report</h1>\n<p class=\"meta\">State file <code>", out);
	esc(out, r->path);
	fputs("</code>", out);
	if (r->source) {
		fputs(", source <code>", out);
		esc(out, r->source);
		fputs("</code>", out);
	}
	if (bf_json_str(sum, "from")) {
		fputs(", dates ", out);
		esc(out, bf_json_str(sum, "from"));
		fputs(" to ", out);
		esc(out, bf_json_str(sum, "to"));
	}
	char now[21];
	bf_now_rfc3339(now);
	fprintf(out, ", written %s.</p>\n", now);
	summary_html(out, sum);
	calendar_svg(r, out);
	rows_chart(r, out);
	fputs("</body></html>\n", out);
	cJSON_Delete(sum);
	if (fflush(out) || ferror(out))
		return bf_fail(err, BF_EIO, "html", "write failed");
	return 0;
}
