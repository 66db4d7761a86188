/* Closures over the calendar, for the closure analysis (bf_closure_report): weekends
 * against weekdays, holiday periods, and the longest runs of dates closed at every
 * location. The definitions are the data's own, no holiday calendar:
 *   - weekend: Saturday and Sunday;
 *   - a holiday date: closed at most locations (more than half of those judged that date)
 *     on a weekday the business is normally open (at least half of that weekday's judged
 *     partitions, over every location, open); with one location it is the closed day on a
 *     weekday normally open. A holiday period is a run of consecutive holiday dates;
 *   - a date closed everywhere: every location judged that date closed it.
 * The caller owns its days; the JSON returned is the caller's to delete. */
#ifndef BF_CLOSURE_PERIODS_H
#define BF_CLOSURE_PERIODS_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cjson/cJSON.h>

struct bf_closure_day {
	const char *location;
	int32_t day;               /* bf_time days */
	int verdict;               /* 0 open, 1 closed, 2 pending (not judged) */
};

/* days in any order. Returns {"weekend": {...}, "weekdays": {...}, "holiday_dates",
 * "holiday_closures", "holiday_periods": [...], "longest_runs_everywhere": [...]}. */
cJSON *bf_closure_periods(const struct bf_closure_day *days, size_t n);
/* The same as text. */
void bf_closure_periods_text(FILE *out, const cJSON *periods);

#endif
