/* Offline derivations of bf-enrich: pure functions on one value, no allocation.
 * POS timestamps ("4/4/24 11:32 AM", "04/04/2024 11:32:05", "2024-04-04 11:32:05") to
 * ISO 8601 in a business time zone, weekday, hour and daypart; money strings to integer
 * cents; durations ("2 minutes and 52 seconds", "1:23", "1:23:05") to seconds (the
 * hashing text embedding is model/bf_embed_hash). A parser returns 0 on success and -1
 * when the value is not of its kind: callers keep the value as it was and count it,
 * nothing is guessed. struct bf_tz is the caller's; a zone name sets TZ in the
 * environment of the process (one business time zone per process). */
#ifndef BF_DERIVE_H
#define BF_DERIVE_H

#include <stddef.h>
#include <stdint.h>

enum bf_tz_kind { BF_TZ_NONE = 0, BF_TZ_FIXED, BF_TZ_ZONE };

struct bf_tz {
	enum bf_tz_kind kind;
	int offset_s;              /* BF_TZ_FIXED */
	/* BF_TZ_ZONE: the offset found for the last (date, hour), to spare mktime */
	int64_t memo_key;
	int memo_off;
};

/* "" or NULL: none (ISO without offset, the wall time as read); "UTC", "Z", "+05:30",
 * "-0400", "+5": fixed; anything else an IANA zone name ("America/New_York"), checked
 * to exist under /usr/share/zoneinfo (or TZDIR). Returns 0 or -1. */
int bf_tz_parse(const char *spec, struct bf_tz *tz);

struct bf_ts {
	int y, mo, d, h, mi, s;
	int has_time;              /* 0 for a date alone */
};

int bf_derive_parse_ts(const char *s, size_t n, struct bf_ts *t);
/* ISO 8601 of t in tz into out (at least 32 bytes); returns its length. */
size_t bf_derive_ts_iso(struct bf_tz *tz, const struct bf_ts *t, char *out);
/* "Monday" ... "Sunday". */
const char *bf_derive_weekday(const struct bf_ts *t);
/* breakfast [5,11) lunch [11,15) afternoon [15,17) dinner [17,22) late_night otherwise. */
const char *bf_derive_daypart(int hour);

/* "12.50", "$1,234.5", "-3", "(3.00)", "12.50 USD" -> cents; more than 2 decimals
 * that are not zeros is refused. */
int bf_derive_money_cents(const char *s, size_t n, long long *cents);
/* "2 minutes and 52 seconds", "1 hour, 5 mins", "52s", "1:23" (m:ss), "1:23:05"
 * (h:mm:ss), "172" (seconds), "1.5 hours" -> whole seconds (rounded). */
int bf_derive_duration_s(const char *s, size_t n, long long *secs);

#endif
