/* Unit tests for bf_derive (offline derivations of bf-enrich), printed as TAP. */
#include "stages/enrich/bf_derive.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static void iso(struct bf_tz *tz, const char *in, const char *want)
{
	struct bf_ts t;
	char out[32], desc[160];
	int rc = bf_derive_parse_ts(in, strlen(in), &t);
	if (rc == 0)
		bf_derive_ts_iso(tz, &t, out);
	snprintf(desc, sizeof desc, "timestamp \"%s\" -> %s", in, want ? want : "refused");
	if (!want)
		ok(rc == -1, "%s", desc);
	else {
		ok(rc == 0 && !strcmp(out, want), "%s", desc);
		if (rc == 0 && strcmp(out, want))
			diag("  got %s", out);
	}
}

static void money(const char *in, int good, long long want)
{
	long long c = 0;
	char desc[160];
	int rc = bf_derive_money_cents(in, strlen(in), &c);
	snprintf(desc, sizeof desc, "money \"%s\" -> %s%lld", in, good ? "" : "refused ", want);
	ok(good ? rc == 0 && c == want : rc == -1, "%s", desc);
	if (good && c != want)
		diag("  got %lld (rc %d)", c, rc);
}

static void dur(const char *in, int good, long long want)
{
	long long c = 0;
	char desc[160];
	int rc = bf_derive_duration_s(in, strlen(in), &c);
	snprintf(desc, sizeof desc, "duration \"%s\" -> %s%lld", in, good ? "" : "refused ", want);
	ok(good ? rc == 0 && c == want : rc == -1, "%s", desc);
	if (good && c != want)
		diag("  got %lld (rc %d)", c, rc);
}

int main(void)
{
	struct bf_tz none, fixed, zone, bad;
	struct bf_ts t;

	ok(bf_tz_parse(NULL, &none) == 0 && none.kind == BF_TZ_NONE, "no time zone");
	ok(bf_tz_parse("-04:00", &fixed) == 0 && fixed.offset_s == -4 * 3600, "fixed offset -04:00");
	ok(bf_tz_parse("+0530", &bad) == 0 && bad.offset_s == 5 * 3600 + 1800, "fixed offset +0530");
	ok(bf_tz_parse("Mars/Olympus_Mons", &bad) == -1, "unknown zone name refused");
	ok(bf_tz_parse("+25:00", &bad) == -1, "offset out of range refused");

	iso(&none, "4/4/24 11:32 AM", "2024-04-04T11:32:00");
	iso(&none, "4/4/24 12:05 AM", "2024-04-04T00:05:00");
	iso(&none, "4/4/24 12:05 PM", "2024-04-04T12:05:00");
	iso(&none, "12/31/2023 11:59 PM", "2023-12-31T23:59:00");
	iso(&none, "04/04/2024 11:32:05", "2024-04-04T11:32:05");
	iso(&none, "2024-04-04 11:32:05", "2024-04-04T11:32:05");
	iso(&none, "2024-04-04T11:32:05.250", "2024-04-04T11:32:05");
	iso(&none, "4/4/2024", "2024-04-04");
	iso(&fixed, "4/4/24 11:32 AM", "2024-04-04T11:32:00-04:00");
	iso(&none, "2/30/24 11:32 AM", NULL);
	iso(&none, "4/4/24 13:32 PM", NULL);
	iso(&none, "4/4/24 11:32 XM", NULL);
	iso(&none, "yesterday", NULL);
	iso(&none, "", NULL);
	iso(&none, "4/4/24 11:32 AM trailing", NULL);
	if (bf_tz_parse("America/New_York", &zone) == 0) {
		iso(&zone, "4/4/24 11:32 AM", "2024-04-04T11:32:00-04:00");
		iso(&zone, "1/15/24 6:00 PM", "2024-01-15T18:00:00-05:00");
		iso(&zone, "3/10/24 3:30 AM", "2024-03-10T03:30:00-04:00");
	} else {
		skip(3, "no zoneinfo for America/New_York");
	}
	bf_derive_parse_ts("4/4/24 11:32 AM", 15, &t);
	ok(!strcmp(bf_derive_weekday(&t), "Thursday"), "4/4/24 is a Thursday");
	ok(!strcmp(bf_derive_daypart(7), "breakfast") && !strcmp(bf_derive_daypart(11), "lunch") &&
	   !strcmp(bf_derive_daypart(16), "afternoon") && !strcmp(bf_derive_daypart(21), "dinner") &&
	   !strcmp(bf_derive_daypart(23), "late_night") && !strcmp(bf_derive_daypart(2), "late_night"),
	   "dayparts");

	money("12.50", 1, 1250);
	money("12.5", 1, 1250);
	money("12", 1, 1200);
	money("0.07", 1, 7);
	money("$1,234.56", 1, 123456);
	money("-3.00", 1, -300);
	money("(3.00)", 1, -300);
	money("-$4.10", 1, -410);
	money("12.500", 1, 1250);
	money("12.50 USD", 1, 1250);
	money("12.505", 0, 0);
	money("abc", 0, 0);
	money("", 0, 0);
	money("1.2.3", 0, 0);
	money("12.50x", 0, 0);
	/* out of range: unparsed, never a wrapped-around amount */
	money("92233720368547758.08", 0, 0);
	money("-92233720368547758.08", 0, 0);
	money("99999999999999999999", 0, 0);
	money("92233720368547757.99", 1, 9223372036854775799LL);
	money("-92233720368547757.99", 1, -9223372036854775799LL);
	/* digit grouping: commas between groups of three, the first of one to three digits */
	money("1,234.50", 1, 123450);
	money("12,345,678", 1, 1234567800);
	money("123,456", 1, 12345600);
	money("(1,234.50)", 1, -123450);
	money("1,2,3.00", 0, 0);
	money("1,23", 0, 0);
	money("1,2345", 0, 0);
	money("1234,567", 0, 0);
	money("12,34,567", 0, 0);
	money("1,234,56", 0, 0);
	money(",123", 0, 0);
	money("1,,234", 0, 0);
	money("1,234,", 0, 0);
	money("92233720368547758", 0, 0);
	money("92233720368547759", 0, 0);
	money("99999999999999999", 0, 0);

	dur("2 minutes and 52 seconds", 1, 172);
	dur("1 hour, 2 minutes and 3 seconds", 1, 3723);
	dur("52 seconds", 1, 52);
	dur("1.5 hours", 1, 5400);
	dur("45s", 1, 45);
	dur("1:23", 1, 83);
	dur("1:23:05", 1, 4985);
	dur("172", 1, 172);
	dur("0:00", 1, 0);
	dur("1:75", 0, 0);
	dur("1:2", 0, 0);
	dur("two minutes", 0, 0);
	dur("5 fortnights", 0, 0);
	dur("", 0, 0);

	return done_testing();
}
