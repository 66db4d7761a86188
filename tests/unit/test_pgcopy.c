/* Unit tests for bf_pgcopy, the PostgreSQL COPY encoder: binary numeric (base 10000,
 * weight, sign, display scale), dates and timestamps (from 2000-01-01), booleans,
 * integers, text, jsonb, real[] arrays, nulls, the tuple and header framing, what the
 * binary path refuses; and text COPY's escapes. TAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "targets/bf_pgcopy.h"
#include "targets/bf_target.h"

#include "tap.h"

static struct bf_cell text(const char *s)
{
	struct bf_cell c = { .kind = BF_C_TEXT, .s = s, .len = strlen(s) };
	return c;
}

static struct bf_cell integer(long long i)
{
	struct bf_cell c = { .kind = BF_C_INT, .i = i };
	return c;
}

static char hex[8192];

/* The binary tuple of one value of type ty, as hex without its field count; "refused"
 * when the binary path does not take it (then the buffer must be as it was). */
static const char *bin1(enum bf_type ty, struct bf_cell c)
{
	struct bf_col col = { .name = "c", .type = ty };
	struct bf_stream_def def = { .name = "s", .cols = &col, .ncols = 1 };
	struct bf_row r = { .def = &def, .cells = &c };
	struct bf_buf b = BF_BUF_INIT;
	bf_buf_adds(&b, "keep");
	if (bf_pgcopy_row_bin(&b, &r)) {
		snprintf(hex, sizeof hex, "%s", b.len == 4 && !strcmp(b.p, "keep") ? "refused" : "refused, buffer changed");
	} else if (b.len < 6 || memcmp(b.p + 4, "\0\1", 2)) {
		snprintf(hex, sizeof hex, "no field count");
	} else {
		size_t o = 0;
		for (size_t i = 6; i < b.len && o + 3 < sizeof hex; i++)
			o += (size_t)snprintf(hex + o, sizeof hex - o, "%02x", (unsigned char)b.p[i]);
		hex[o] = '\0';
	}
	bf_buf_free(&b);
	return hex;
}

#define BIN(ty, cell, want, ...) is_str(bin1(ty, cell), want, __VA_ARGS__)

int main(void)
{
	/* numeric: length, ndigits, weight, sign, dscale, then base-10000 digits */
	BIN(BF_T_NUMBER, text("0"), "00000008" "0000" "0000" "0000" "0000", "numeric 0");
	BIN(BF_T_NUMBER, text("12345.678"), "0000000e" "0003" "0001" "0000" "0003" "0001" "0929" "1a7c",
	    "numeric 12345.678: 1|2345|6780, weight 1, scale 3");
	BIN(BF_T_NUMBER, text("-0.5"), "0000000a" "0001" "ffff" "4000" "0001" "1388",
	    "numeric -0.5: 5000, weight -1, negative, scale 1");
	BIN(BF_T_NUMBER, text("10000"), "0000000a" "0001" "0001" "0000" "0000" "0001",
	    "numeric 10000: trailing zero groups dropped, weight 1");
	BIN(BF_T_NUMBER, text("0.0001"), "0000000a" "0001" "ffff" "0000" "0004" "0001",
	    "numeric 0.0001: weight -1, scale 4");
	BIN(BF_T_NUMBER, text("0.00001"), "0000000a" "0001" "fffe" "0000" "0005" "03e8",
	    "numeric 0.00001: 1000 at weight -2, scale 5");
	BIN(BF_T_NUMBER, text("1e3"), "0000000a" "0001" "0000" "0000" "0000" "03e8",
	    "numeric 1e3: 1000, scale 0");
	BIN(BF_T_NUMBER, text("1.5e-2"), "0000000a" "0001" "ffff" "0000" "0003" "0096",
	    "numeric 1.5e-2: 0.015 is 150 at weight -1, scale 3");
	BIN(BF_T_NUMBER, text("-0"), "00000008" "0000" "0000" "0000" "0000", "numeric -0 is 0, not negative");
	BIN(BF_T_NUMBER, text("99999999.99"), "0000000e" "0003" "0001" "0000" "0002" "270f" "270f" "26ac",
	    "numeric 99999999.99");
	BIN(BF_T_NUMBER, text("abc"), "refused", "numeric: not a number is refused");
	BIN(BF_T_NUMBER, text("1e1001"), "refused", "numeric: an exponent past 1000 is refused");
	BIN(BF_T_NUMBER, text("1.5x"), "refused", "numeric: trailing text is refused");
	{
		char big[1100];
		memset(big, '7', 1001);
		big[1001] = '\0';
		BIN(BF_T_NUMBER, text(big), "refused", "numeric: over 1000 digits is left to text COPY");
	}

	/* dates: days from 2000-01-01 */
	BIN(BF_T_DATE, text("2000-01-01"), "00000004" "00000000", "date 2000-01-01 is day 0");
	BIN(BF_T_DATE, text("1970-01-01"), "00000004" "ffffd533", "date 1970-01-01 is day -10957");
	BIN(BF_T_DATE, text("2024-02-29"), "00000004" "00002279", "date 2024-02-29 is day 8825");
	BIN(BF_T_DATE, text("2100-03-01"), "00000004" "00008ee8", "date 2100-03-01 (2100 has no Feb 29) is day 36584");
	BIN(BF_T_DATE, text("0001-01-01"), "00000004" "fff4dbf9", "date 0001-01-01 is day -730119");
	BIN(BF_T_DATE, text("9999-12-31"), "00000004" "002c95d3", "date 9999-12-31 is day 2921939");
	BIN(BF_T_DATE, text("0000-01-01"), "refused", "date: year 0 is refused");
	BIN(BF_T_DATE, text("2024-13-01"), "refused", "date: month 13 is refused");
	BIN(BF_T_DATE, text("2024-1-01"), "refused", "date: a short field is refused");
	BIN(BF_T_DATE, text("20240101"), "refused", "date: the compact form is refused (not a cast result)");

	/* timestamps: microseconds from 2000-01-01 00:00 */
	BIN(BF_T_DATETIME, text("2000-01-01 00:00:00"), "00000008" "0000000000000000", "timestamp 0");
	BIN(BF_T_DATETIME, text("2000-01-01 00:00:01.5"), "00000008" "000000000016e360", "timestamp 1.5 s");
	BIN(BF_T_DATETIME, text("1999-12-31 23:59:59"), "00000008" "fffffffffff0bdc0", "timestamp -1 s");
	BIN(BF_T_DATETIME, text("2024-04-04 11:32:05"), "00000008" "0002b8427513b740",
	    "timestamp 2024-04-04 11:32:05");
	BIN(BF_T_DATETIME, text("2000-01-01 00:00:00.1234567"), "00000008" "000000000001e241",
	    "timestamp: 7 fraction digits round to the microsecond (123457)");
	BIN(BF_T_DATETIME, text("2000-01-01 00:00:00.000001"), "00000008" "0000000000000001", "timestamp: 1 us");
	BIN(BF_T_DATETIME, text("2000-01-01 24:00:00"), "refused", "timestamp: hour 24 is refused");
	BIN(BF_T_DATETIME, text("2000-01-01 00:00:00Z"), "refused", "timestamp without time zone: Z is refused");
	BIN(BF_T_DATETIME, text("2000-01-01T00:00:00"), "refused", "timestamp: T is refused (not a cast result)");
	BIN(BF_T_DATETIME, text("2000-01-01 00:00:00."), "refused", "timestamp: a bare dot is refused");
	BIN(BF_T_TIMESTAMPTZ, text("2000-01-01 00:00:00Z"), "00000008" "0000000000000000", "timestamptz with Z");
	BIN(BF_T_TIMESTAMPTZ, text("2000-01-01 00:00:00.25Z"), "00000008" "000000000003d090", "timestamptz 0.25 s");
	BIN(BF_T_TIMESTAMPTZ, text("2000-01-01 00:00:00"), "refused", "timestamptz without Z is refused");

	/* booleans, integers, text, jsonb, null */
	BIN(BF_T_BOOLEAN, integer(1), "00000001" "01", "boolean true");
	BIN(BF_T_BOOLEAN, integer(0), "00000001" "00", "boolean false");
	BIN(BF_T_INTEGER, integer(-2), "00000008" "fffffffffffffffe", "bigint -2");
	BIN(BF_T_INTEGER, integer(9007199254740993LL), "00000008" "0020000000000001", "bigint past 2^53");
	BIN(BF_T_STRING, text("Crème"), "00000006" "4372c3a86d65", "text: its UTF-8 bytes");
	BIN(BF_T_STRING, text(""), "00000000", "text: empty is a zero-length field, not null");
	BIN(BF_T_JSON, text("{\"a\":1}"), "00000008" "01" "7b2261223a317d", "jsonb: version 1, then the text");
	{
		struct bf_cell null = { .kind = BF_C_NULL };
		BIN(BF_T_INTEGER, null, "ffffffff", "null is length -1");
		BIN(BF_T_NUMBER, null, "ffffffff", "null of any type");
	}
	BIN(BF_T_INTEGER, text("12"), "refused", "an integer column with a text cell is refused");

	/* real[] */
	{
		static const float v[2] = { 1.0f, -2.5f };
		struct bf_cell c = { .kind = BF_C_VEC, .v = v, .nv = 2 };
		BIN(BF_T_VECTOR, c, "00000024" "00000001" "00000000" "000002bc" "00000002" "00000001"
		    "00000004" "3f800000" "00000004" "c0200000",
		    "real[]: one dimension, no nulls, float4 elements, length and lower bound 1");
		struct bf_cell e = { .kind = BF_C_VEC, .v = v, .nv = 0 };
		BIN(BF_T_VECTOR, e, "0000000c" "00000000" "00000000" "000002bc", "an empty real[] has no dimension");
	}

	/* framing: header, and a tuple of several fields; a refused field leaves nothing */
	{
		struct bf_buf b = BF_BUF_INIT;
		bf_pgcopy_bin_header(&b);
		ok(b.len == 19 && !memcmp(b.p, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19), "the 19-byte binary header");
		struct bf_col cols[3] = { { .name = "a", .type = BF_T_INTEGER }, { .name = "b", .type = BF_T_STRING }, { .name = "c", .type = BF_T_DATE } };
		struct bf_stream_def def = { .name = "s", .cols = cols, .ncols = 3 };
		struct bf_cell cells[3] = { integer(1), text("x"), text("2000-01-02") };
		struct bf_row r = { .def = &def, .cells = cells };
		size_t before = b.len;
		ok(bf_pgcopy_row_bin(&b, &r) == 0 && b.len - before == 2 + 12 + 5 + 8 &&
		   !memcmp(b.p + before, "\0\3", 2), "a tuple: field count 3, then each field");
		cells[2] = text("2000-02-30x");
		before = b.len;
		ok(bf_pgcopy_row_bin(&b, &r) == -1 && b.len == before, "a refused last field takes back the whole tuple");
		bf_buf_free(&b);
	}

	/* type OIDs of the binary path */
	ok(bf_pgcopy_type_oid(BF_T_INTEGER) == 20 && bf_pgcopy_type_oid(BF_T_NUMBER) == 1700 &&
	   bf_pgcopy_type_oid(BF_T_BOOLEAN) == 16 && bf_pgcopy_type_oid(BF_T_DATE) == 1082 &&
	   bf_pgcopy_type_oid(BF_T_DATETIME) == 1114 && bf_pgcopy_type_oid(BF_T_TIMESTAMPTZ) == 1184 &&
	   bf_pgcopy_type_oid(BF_T_JSON) == 3802 && bf_pgcopy_type_oid(BF_T_VECTOR) == 1021 &&
	   bf_pgcopy_type_oid(BF_T_STRING) == 25, "the OIDs of bigint numeric boolean date timestamp "
	   "timestamptz jsonb real[] text");

	/* text COPY */
	{
		static const float v[2] = { 0.5f, 3.0f };
		struct bf_col cols[6] = { { .name = "a", .type = BF_T_STRING }, { .name = "b", .type = BF_T_BOOLEAN }, { .name = "c", .type = BF_T_BOOLEAN },
					  { .name = "d", .type = BF_T_INTEGER }, { .name = "e", .type = BF_T_VECTOR }, { .name = "f", .type = BF_T_NUMBER } };
		struct bf_stream_def def = { .name = "s", .cols = cols, .ncols = 6 };
		struct bf_cell cells[6] = { text("a\\b\nc\rd\te"), integer(1), integer(0), integer(-9223372036854775807LL - 1),
					    { .kind = BF_C_VEC, .v = v, .nv = 2 }, { .kind = BF_C_NULL } };
		struct bf_row r = { .def = &def, .cells = cells };
		struct bf_buf b = BF_BUF_INIT;
		bf_pgcopy_row_text(&b, &r);
		is_str(b.p, "a\\\\b\\nc\\rd\\te\tt\tf\t-9223372036854775808\t{0.5,3}\t\\N\n",
		       "text COPY: backslash escapes, t/f, the smallest bigint, {array}, \\N, tabs and a newline");
		bf_buf_reset(&b);
		cells[0] = text("");
		struct bf_stream_def one = { .name = "s", .cols = cols, .ncols = 1 };
		r.def = &one;
		bf_pgcopy_row_text(&b, &r);
		is_str(b.p, "\n", "text COPY: an empty string is an empty field, not \\N");
		bf_buf_free(&b);
	}
	return done_testing();
}
