/* bf-report calendar: a heat map, weeks across and weekdays down, one cell per selected
 * date by status; or the days as JSON. */
#include "stages/report/bf_report_int.h"

#include <stdio.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_time.h"

static const char cell_char[5] = { '.', '#', '-', 'X', '?' };
static const char *const cell_color[5] = { "\033[2m", "\033[32m", "\033[34m", "\033[1;31m", "\033[33m" };
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
		return report_flush_out(out, err);
	}
	long long count[5] = { 0 };
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
	return report_print_json(root, out, err);
}
