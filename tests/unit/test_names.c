/* Unit tests for bf_names: the documented snake_case rule, stream names, and that no header
 * list ever yields two equal column names or a reserved one (fixed cases and a fuzz). TAP. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "sources/bf_names.h"

#include "tap.h"

static void snake(const char *in, const char *want)
{
	char out[BF_NAME_MAX + 1];
	bf_snake_case(in, strlen(in), 7, out);
	is_str(out, want, "snake_case(\"%s\") = %s", in, want);
}

static void stream(const char *in, const char *want)
{
	char out[BF_NAME_MAX + 1];
	bf_stream_name(in, out);
	is_str(out, want, "stream_name(\"%s\") = %s", in, want);
}

/* Every name is a valid snake_case identifier, unique, and not reserved. */
static int names_ok(char **names, size_t n, const char **why)
{
	for (size_t i = 0; i < n; i++) {
		const char *s = names[i];
		size_t len = strlen(s);
		if (len == 0 || len > BF_NAME_MAX) { *why = "length"; return 0; }
		for (size_t k = 0; k < len; k++)
			if (!((s[k] >= 'a' && s[k] <= 'z') || (s[k] >= '0' && s[k] <= '9') || s[k] == '_')) {
				*why = "character";
				return 0;
			}
		if (s[0] >= '0' && s[0] <= '9') { *why = "leading digit"; return 0; }
		if (bf_name_reserved(s)) { *why = "reserved"; return 0; }
		for (size_t j = 0; j < i; j++)
			if (!strcmp(names[j], s)) { *why = "collision"; return 0; }
	}
	return 1;
}

static uint64_t rng = 88172645463325252ull;
static unsigned rnd(unsigned n)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (unsigned)(rng % n);
}

static char **column_names(const char *const *h, size_t n)
{
	size_t *lens = malloc(n * sizeof *lens);
	for (size_t i = 0; i < n; i++)
		lens[i] = strlen(h[i]);
	char **out = bf_column_names(h, lens, n);
	free(lens);
	return out;
}

static void header_case(const char *desc, const char *const *h, size_t n, const char *const *want)
{
	char **names = column_names(h, n);
	int same = 1;
	for (size_t i = 0; i < n; i++)
		if (strcmp(names[i], want[i])) {
			diag("column %zu: got %s, want %s", i + 1, names[i], want[i]);
			same = 0;
		}
	ok(same, "header: %s", desc);
	bf_names_free(names, n);
}

int main(void)
{
	/* the rule, clause by clause */
	snake("OrderId", "order_id");
	snake("orderId", "order_id");
	snake("HTTPCode", "http_code");
	snake("GetHTTPResponseCode", "get_http_response_code");
	snake("Order Id", "order_id");
	snake("Order  --  Id", "order_id");
	snake("Check #", "check_num");
	snake("Tip %", "tip_pct");
	snake("Food & Bev", "food_and_bev");
	snake("#", "num");
	snake("Amount (USD)", "amount_usd");
	snake("  leading and trailing  ", "leading_and_trailing");
	snake("__x__", "x");
	snake("Item2Price", "item2_price");
	snake("3rd Party", "_3rd_party");
	snake("2024", "_2024");
	snake("", "column_7");
	snake("   ", "column_7");
	snake("???", "column_7");
	snake("Caf\xc3\xa9 Name", "caf_name");
	snake("already_snake", "already_snake");
	snake("ALLCAPS", "allcaps");
	snake("x\"; DROP TABLE y; --", "x_drop_table_y");
	{
		char long_in[200], out[BF_NAME_MAX + 1];
		memset(long_in, 'a', sizeof long_in);
		bf_snake_case(long_in, sizeof long_in, 1, out);
		is_int(strlen(out), 59, "names are cut to 59 bytes");
		memset(long_in, 'a', 58);
		long_in[58] = ' ';
		long_in[59] = 'b';
		bf_snake_case(long_in, 60, 1, out);
		ok(strlen(out) == 58 && out[57] == 'a', "a cut never leaves a trailing '_' (%s)", out);
		memset(long_in, '9', 100);
		bf_snake_case(long_in, 100, 1, out);
		ok(strlen(out) == 59 && out[0] == '_', "a cut name with a leading digit is still 59 bytes");
	}

	stream("OrderDetails.csv", "order_details");
	stream("OrderDetails.csv.gz", "order_details");
	stream("185129/20240404/CheckDetails.csv", "check_details");
	stream("AllItemsReport.CSV", "all_items_report");
	stream("Kitchen Timings.csv", "kitchen_timings");
	stream("noext", "noext");
	stream(".csv", "csv");
	stream("###.csv", "num_num_num");
	stream("---.csv", "stream");
	stream("Column Totals.csv", "column_totals");
	stream("column_7.csv", "column_7");

	/* reserved names */
	const char *const reserved[] = { "_bf_date", "_bf_location", "_bf_source", "_bf_line",
					 "closure_indicator", "closure_reason" };
	int allres = 1;
	for (size_t i = 0; i < 6; i++)
		allres &= bf_name_reserved(reserved[i]);
	ok(allres && !bf_name_reserved("order_id") && !bf_name_reserved("bf_date"),
	   "the reserved names are exactly the lineage and closure columns");

	/* collisions */
	{
		const char *h[] = { "Order Id", "OrderId", "order_id", "ORDER ID" };
		const char *w[] = { "order_id", "order_id_2", "order_id_3", "order_id_4" };
		header_case("equal snake names get _2, _3, ...", h, 4, w);
	}
	{
		const char *h[] = { "A", "a", "a_2" };
		const char *w[] = { "a", "a_3", "a_2" };
		header_case("a suffix never takes a later column's own name", h, 3, w);
	}
	{
		const char *h[] = { "Closure Indicator", "closure_reason", "x" };
		const char *w[] = { "closure_indicator_2", "closure_reason_2", "x" };
		header_case("reserved names are suffixed", h, 3, w);
	}
	{
		const char *h[] = { "", "", "column_1" };
		const char *w[] = { "column_1", "column_2", "column_1_2" };
		header_case("empty headers become column_N; the later equal name is suffixed", h, 3, w);
	}
	{
		const char *h[] = { "x\"; DROP TABLE y; --", "x drop table y" };
		const char *w[] = { "x_drop_table_y", "x_drop_table_y_2" };
		header_case("a header with SQL in it is only a name", h, 2, w);
	}
	{
		char a[80], b[80];
		memset(a, 'q', 70); a[70] = 0;
		memset(b, 'q', 75); b[75] = 0;
		const char *h[] = { a, b };
		char **names = column_names(h, 2);
		const char *why = "";
		ok(names_ok(names, 2, &why) && strlen(names[1]) <= BF_NAME_MAX,
		   "two long headers equal after the cut do not collide (%s, %s)", names[0], names[1]);
		bf_names_free(names, 2);
	}

	/* fuzz: random headers from a small alphabet that makes collisions likely */
	static const char *const pieces[] = { "a", "A", "b", "B", "_", " ", "-", "#", "%", "&", "2",
		"_2", "_3", "id", "Id", "ID", "closure", "_indicator", "reason", "_bf", "_date",
		"column", "_1", "\xc3\xa9", "" };
	const size_t np = sizeof pieces / sizeof pieces[0];
	int fuzz_ok = 1;
	for (int iter = 0; iter < 20000 && fuzz_ok; iter++) {
		size_t n = 1 + rnd(12);
		char *h[12];
		for (size_t i = 0; i < n; i++) {
			char tmp[64] = "";
			size_t k = rnd(5);
			for (size_t j = 0; j < k; j++)
				strcat(tmp, pieces[rnd((unsigned)np)]);
			h[i] = strdup(tmp);
		}
		char **names = column_names((const char *const *)h, n);
		const char *why = "";
		if (!names_ok(names, n, &why)) {
			fuzz_ok = 0;
			diag("iteration %d: %s", iter, why);
			for (size_t i = 0; i < n; i++)
				diag("  \"%s\" -> %s", h[i], names[i]);
		}
		bf_names_free(names, n);
		for (size_t i = 0; i < n; i++)
			free(h[i]);
	}
	ok(fuzz_ok, "20000 random headers: names unique, valid, never reserved");

	/* the reserved names themselves as headers, and their snake forms */
	{
		const char *h[] = { "_bf_date", "_bf_location", "_bf_source", "_bf_line",
				    "closure_indicator", "closure_reason", "bf_date", "bf date" };
		char **names = column_names(h, 8);
		const char *why = "";
		ok(names_ok(names, 8, &why), "headers spelling the reserved names do not collide (%s)", why);
		bf_names_free(names, 8);
	}
	/* many equal headers */
	{
		const char *h[300];
		for (int i = 0; i < 300; i++)
			h[i] = (i & 1) ? "Amount" : "amount_2";
		char **names = column_names(h, 300);
		const char *why = "";
		ok(names_ok(names, 300, &why), "300 headers of two kinds stay distinct (%s)", why);
		bf_names_free(names, 300);
	}
	bf_names_free(NULL, 3);
	return done_testing();
}
