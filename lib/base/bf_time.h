/* Dates as day numbers (days since 1970-01-01, proleptic Gregorian) and UTC times. */
#ifndef BF_TIME_H
#define BF_TIME_H

#include <stdint.h>

#define BF_DATE_NONE INT32_MIN

/* Parses YYYY-MM-DD or YYYYMMDD into *days; returns 0, or -1 when not a real date. */
int bf_date_parse(const char *s, int32_t *days);
/* Same, for exactly len bytes. */
int bf_date_parsen(const char *s, unsigned len, int32_t *days);
/* The one calendar of bf (Howard Hinnant's days_from_civil / civil_from_days): years
 * -1,000,000 to 1,000,000, month 1-12; a day past the month's end counts on. */
int32_t bf_date_from_ymd(int y, int m, int d);
void bf_date_to_ymd(int32_t days, int *y, int *m, int *d);
/* 1 when y is a Gregorian leap year (every 4th, not every 100th, every 400th). */
int bf_is_leap(int y);
/* 28-31; m is 1-12. */
int bf_days_in_month(int y, int m);
/* "YYYY-MM-DD" into out[11]. */
void bf_date_iso(int32_t days, char out[11]);
/* "YYYYMMDD" into out[9]. */
void bf_date_compact(int32_t days, char out[9]);
/* ISO weekday: 1 = Monday ... 7 = Sunday. */
int bf_date_weekday(int32_t days);
/* Today in the local time zone (TZ). */
int32_t bf_date_today(void);

/* Current UTC time as RFC 3339 with seconds: "2024-04-05T02:00:00Z" (out[21]). */
void bf_now_rfc3339(char out[21]);
/* Converts a Unix time to RFC 3339 UTC (out[21]). */
void bf_time_rfc3339(int64_t unix_seconds, char out[21]);
/* Monotonic milliseconds, for durations. */
int64_t bf_mono_ms(void);

#endif
