/* Unit tests for the SQL sources' values and zones (sources/sql/bf_sqlval.h) and their
 * spec checks (bf_sqlsrc_check): the first instant of a business day across DST changes
 * (a gap that swallows midnight, an hour that repeats, half-hour offsets), the business
 * date of an instant, timestamps to ISO 8601, booleans, base64; secrets and option
 * combinations refused. TAP. */
#include <stdio.h>
#include <string.h>

#include "base/bf_exit.h"
#include "base/bf_time.h"
#include "sources/sql/bf_sqlsrc.h"
#include "sources/sql/bf_sqlval.h"

#include "tap.h"

static int day_start_is(const char *zone, const char *date, const char *want)
{
	int32_t d;
	char out[40];
	bf_date_parse(date, &d);
	bf_tz_day_start(zone, d, out);
	if (strcmp(out, want))
		diag("%s %s: got %s, want %s", zone, date, out, want);
	return !strcmp(out, want);
}

static int date_of_is(const char *zone, const char *ts, const char *want)
{
	char iso[11] = "none";
	int32_t d = bf_tz_date_of(zone, ts, strlen(ts));
	if (d != BF_DATE_NONE)
		bf_date_iso(d, iso);
	if (strcmp(iso, want))
		diag("%s %s: got %s, want %s", zone, ts, iso, want);
	return !strcmp(iso, want);
}

static int text_is(enum bf_sqlkind k, const char *raw, size_t n, const char *want)
{
	struct bf_buf scratch = BF_BUF_INIT;
	const char *out;
	size_t len;
	bf_sqlval_text(k, raw, n, &scratch, &out, &len);
	int r = len == strlen(want) && !memcmp(out, want, len);
	if (!r)
		diag("%s: got %.*s, want %s", raw, (int)len, out, want);
	bf_buf_free(&scratch);
	return r;
}

static int refused(const char *spec, const struct bf_source_opts *o, const char *why)
{
	struct bf_err err = { 0 };
	int rc = bf_sqlsrc_check(spec, o, &err);
	if (rc != BF_EUSAGE || !strstr(err.msg, why))
		diag("%s: %d %s", spec, rc, err.msg);
	return rc == BF_EUSAGE && strstr(err.msg, why);
}

int main(void)
{
	ok(day_start_is("UTC", "2024-03-10", "2024-03-10 00:00:00+00:00"), "UTC");
	ok(day_start_is("America/New_York", "2024-03-10", "2024-03-10 00:00:00-05:00"), "New York, the spring change day");
	ok(day_start_is("America/New_York", "2024-03-11", "2024-03-11 00:00:00-04:00"), "New York, the day after");
	ok(day_start_is("America/New_York", "2024-11-04", "2024-11-04 00:00:00-05:00"), "New York, after fall back");
	ok(day_start_is("America/Sao_Paulo", "2018-11-04", "2018-11-04 01:00:00-02:00"),
	   "Sao Paulo: a gap swallows midnight, the day starts at 01:00");
	ok(day_start_is("America/Sao_Paulo", "2018-02-18", "2018-02-18 00:00:00-03:00"),
	   "Sao Paulo: the day after an hour that repeats before midnight");
	ok(day_start_is("Australia/Lord_Howe", "2024-04-07", "2024-04-07 00:00:00+11:00"), "Lord Howe, +11");
	ok(day_start_is("Australia/Lord_Howe", "2024-04-08", "2024-04-08 00:00:00+10:30"), "Lord Howe, half an hour back");
	ok(day_start_is("Asia/Kolkata", "2024-01-01", "2024-01-01 00:00:00+05:30"), "Kolkata");

	ok(date_of_is("America/New_York", "2024-03-10 04:59:59+00", "2024-03-09"), "an instant before the local midnight");
	ok(date_of_is("America/New_York", "2024-03-10T05:00:00Z", "2024-03-10"), "the local midnight, Z");
	ok(date_of_is("America/New_York", "2024-03-11 03:59:59.9+00:00", "2024-03-10"), "the last second of a 23-hour day");
	ok(date_of_is("Asia/Tokyo", "2024-03-09 15:00:00+0000", "2024-03-10"), "east of UTC: the next date");
	ok(date_of_is("UTC", "2024-03-09 23:30:00-01:00", "2024-03-10"), "an offset moves it to the next date");
	ok(date_of_is("UTC", "2024-03-09 23:30:00", "2024-03-09"), "no offset: its own date");
	ok(date_of_is("UTC", "2024-03-09", "2024-03-09"), "a date");
	ok(date_of_is("UTC", "infinity", "none"), "not a timestamp");

	ok(text_is(BF_SQL_TIMESTAMP, "2024-03-10 01:02:03", 19, "2024-03-10T01:02:03"), "timestamp: T");
	ok(text_is(BF_SQL_TIMESTAMP, "2024-03-10 01:02:03.000500", 26, "2024-03-10T01:02:03.000500"), "fraction kept");
	ok(text_is(BF_SQL_TIMESTAMPTZ, "2024-03-10 01:02:03-05", 22, "2024-03-10T01:02:03-05:00"), "offset +HH:MM");
	ok(text_is(BF_SQL_TIMESTAMPTZ, "2024-03-10 01:02:03.5 +05:30", 28, "2024-03-10T01:02:03.5+05:30"), "spaced offset");
	ok(text_is(BF_SQL_TIMESTAMPTZ, "1900-01-01 00:00:00+00:53:28", 28, "1900-01-01T00:00:00+00:53:28"),
	   "an offset with seconds keeps them");
	ok(text_is(BF_SQL_TIMESTAMPTZ, "2024-03-10 01:02:03Z", 20, "2024-03-10T01:02:03+00:00"), "Z");
	ok(text_is(BF_SQL_TIMESTAMPTZ, "infinity", 8, "infinity"), "infinity as it is");
	ok(text_is(BF_SQL_BOOLEAN, "t", 1, "true") && text_is(BF_SQL_BOOLEAN, "0", 1, "false") &&
	   text_is(BF_SQL_BOOLEAN, "TRUE", 4, "true"), "booleans");
	ok(text_is(BF_SQL_BINARY, "\x00\xff\x10", 3, "AP8Q") && text_is(BF_SQL_BINARY, "ab", 2, "YWI=") &&
	   text_is(BF_SQL_BINARY, "", 0, ""), "base64");
	ok(text_is(BF_SQL_NUMBER, "-12345678901234567890.0100", 26, "-12345678901234567890.0100"), "numbers as they are");

	struct bf_source_opts o = { .table = "t", .date_column = "d" };
	ok(refused("postgresql://u:pw@h/db", &o, "contains a password"), "a password in a URL");
	ok(refused("postgres://u@h/db?sslmode=require&password=x", &o, "contains a password"), "in its parameters");
	ok(refused("odbc:DSN=x;PWD=y", &o, "contains a password") && refused("odbc:DSN=x; Password ={y;z}", &o, "password") &&
	   refused("odbc:DSN=x;priv_key_file_pwd=y", &o, "password") && refused("odbc:DSN=x;TOKEN=y", &o, "secret"),
	   "secrets in an ODBC connection string");
	struct bf_err err = { 0 };
	ok(bf_sqlsrc_check("odbc:DSN=x;Authenticator=SNOWFLAKE_JWT;PRIV_KEY_FILE=/k.p8", &o, &err) == 0,
	   "a key file's path is no secret");
	ok(bf_sqlsrc_check("sqlite:x.db", &o, &err) == 0 && bf_sqlsrc_is_spec("SQLITE:x") && !bf_sqlsrc_is_spec("/data/drop"),
	   "schemes");
	struct bf_source_opts both = { .table = "t", .query = "select 1", .date_column = "d" };
	struct bf_source_opts none = { .date_column = "d" };
	struct bf_source_opts nodate = { .table = "t" };
	struct bf_source_opts zone = { .table = "t", .date_column = "d", .time_zone = "Mars/Olympus" };
	struct bf_source_opts dots = { .table = "t", .date_column = "d", .time_zone = "../../etc/passwd" };
	ok(refused("sqlite:x", &both, "one of them") && refused("sqlite:x", &none, "one of them") &&
	   refused("sqlite:x", &nodate, "--date-column") && refused("sqlite:x", &zone, "unknown time zone") &&
	   refused("sqlite:x", &dots, "unknown time zone"), "option combinations");
	return done_testing();
}
