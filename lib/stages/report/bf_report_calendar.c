/* bf-report calendar: a heat map, weeks across and weekdays down, one cell per selected
 * date by status (a loaded date closed at some locations has a cell of its own); or the
 * days as JSON. Closures are also counted per location-day, as the partitions are. */
#include "stages/report/bf_report_int.h"

#include <stdio.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_time.h"

/* by status; the sixth: loaded, closed at some locations */
#define PARTLY 5
static const char cell_char[6] = { '.', '#', '-', 'X', '?', '+' };
static const char *const cell_color[6] = { "\033[2m", "\033[32m", "\033[34m", "\033[1;31m", "\033[33m", "\033[36m" };

static int cell_of(const struct bf_report_day *x)
{
	return x->status == BF_DAY_LOADED && x->closed ? PARTLY : (int)x->status;
}
const char *const report_months[12] = { "Jan", "Feb", "Mar", "Apr", "May", "Jun",
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
	long long count[6] = { 0 }, closed = 0;
	for (size_t i = 0; i < r->ndays; i++) {
		count[cell_of(&r->days[i])]++;
		closed += r->days[i].closed;
	}
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
					memcpy(label + 4 + w, report_months[mm - 1], 3);
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
				int cell = cell_of(x);
				if (color && cur != cell) {
					bf_buf_adds(&line, cur >= 0 ? "\033[0m" : "");
					bf_buf_adds(&line, cell_color[cell]);
					cur = cell;
				}
				bf_buf_addc(&line, cell_char[cell]);
			}
			if (color && cur >= 0)
				bf_buf_adds(&line, "\033[0m");
			while (line.len && line.p[line.len - 1] == ' ')
				line.len--;
			fprintf(out, "%.*s\n", (int)line.len, line.p);
			bf_buf_free(&line);
		}
		fputc('\n', out);
	}
	static const int order[6] = { BF_DAY_LOADED, PARTLY, BF_DAY_CLOSED, BF_DAY_FAILED, BF_DAY_PENDING, BF_DAY_MISSING };
	fprintf(out, "legend:");
	for (int i = 0; i < 6; i++) {
		int k = order[i];
		const char *name = k == PARTLY ? "partly closed" : bf_day_status_names[k];
		if (k == PARTLY && !count[k])
			continue;
		if (color)
			fprintf(out, "  %s%c\033[0m %s %lld", cell_color[k], cell_char[k], name, count[k]);
		else
			fprintf(out, "  %c %s %lld", cell_char[k], name, count[k]);
	}
	fputc('\n', out);
	fprintf(out, "closed location-days (partitions): %lld; %lld dates closed at every location, %lld at some\n",
		closed, count[BF_DAY_CLOSED], count[PARTLY]);
}

int bf_report_calendar(struct bf_report *r, int json, int color, FILE *out, struct bf_err *err)
{
	if (!json) {
		calendar_text(r, color, out);
		return report_flush_out(out, err);
	}
	long long count[5] = { 0 }, closed = 0, partly = 0;
	cJSON *root = cJSON_CreateObject(), *c = cJSON_CreateObject();
	char iso[11];
	report_add_str_or_null(root, "source", r->source);
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
		closed += x->closed;
		partly += cell_of(x) == PARTLY;
		bf_date_iso(x->date, iso);
		cJSON_AddStringToObject(o, "date", iso);
		cJSON_AddStringToObject(o, "status", bf_day_status_names[x->status]);
		cJSON_AddNumberToObject(o, "weekday", bf_date_weekday(x->date));
		cJSON_AddNumberToObject(o, "partitions", x->partitions);
		cJSON_AddNumberToObject(o, "closed", x->closed);
		cJSON_AddNumberToObject(o, "rows", (double)x->rows);
		cJSON_AddNumberToObject(o, "loaded_rows", (double)x->loaded_rows);
		cJSON_AddItemToArray(days, o);
	}
	for (int k = BF_DAY_LOADED; k <= BF_DAY_PENDING; k++)
		cJSON_AddNumberToObject(c, bf_day_status_names[k], (double)count[k]);
	cJSON_AddNumberToObject(c, "missing", (double)count[BF_DAY_MISSING]);
	cJSON_AddNumberToObject(c, "partly_closed", (double)partly);
	cJSON_AddNumberToObject(c, "closed_partitions", (double)closed);
	return report_print_json(root, out, err);
}
