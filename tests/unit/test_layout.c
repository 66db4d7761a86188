/* Unit tests for bf_layout: parsing of layouts, rendering a partition's folder, matching
 * folder names back to a location and a date. TAP. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_exit.h"
#include "sources/bf_layout.h"
#include "base/bf_time.h"

#include "tap.h"

static int32_t D(const char *s)
{
	int32_t d = BF_DATE_NONE;
	bf_date_parse(s, &d);
	return d;
}

static void render(const char *spec, const char *loc, const char *date, const char *want)
{
	struct bf_layout l;
	struct bf_err err = { 0 };
	struct bf_buf b = BF_BUF_INIT;
	if (bf_layout_parse(spec, &l, &err)) {
		ok(0, "render %s: parse failed: %s", spec, err.msg);
		bf_layout_free(&l);
		return;
	}
	bf_layout_render(&l, loc, D(date), &b);
	is_str(b.p, want, "render \"%s\" for %s/%s", spec ? spec : "(default)", loc ? loc : "-", date);
	bf_buf_free(&b);
	bf_layout_free(&l);
}

static void refuse(const char *spec)
{
	struct bf_layout l;
	struct bf_err err = { 0 };
	int rc = bf_layout_parse(spec, &l, &err);
	ok(rc == BF_EUSAGE && err.msg[0], "refused layout \"%s\" (%s)", spec, err.msg);
	bf_layout_free(&l);
}

int main(void)
{
	render(NULL, "185129", "2024-04-04", "185129/20240404");
	render("", "185129", "2024-04-04", "185129/20240404");
	render("{location}/{yyyymmdd}", "7", "2024-12-31", "7/20241231");
	render("exports/{location}/{date}", "a b", "2024-01-02", "exports/a b/2024-01-02");
	render("{location}/{yyyy}/{mm}/{dd}", "L", "2024-04-04", "L/2024/04/04");
	render("{yyyy}/{mm}/{dd}", NULL, "2023-11-05", "2023/11/05");
	render("day-{yyyy}{mm}{dd}", "", "2023-11-05", "day-20231105");
	render("store_{location}/d{date}x", "9", "2024-02-29", "store_9/d2024-02-29x");

	{
		struct bf_layout l;
		struct bf_err err = { 0 };
		ok(bf_layout_parse(NULL, &l, &err) == 0 && l.n == 2 && l.loc_seg == 0 && l.first_date_seg == 1,
		   "the default has a location segment then a date segment");
		struct bf_buf b = BF_BUF_INIT;
		bf_layout_render_prefix(&l, 0, "x", &b);
		is_str(b.p, "", "the prefix before the location is the root");
		bf_layout_render_prefix(&l, 1, "185129", &b);
		is_str(b.p, "185129", "the prefix up to the date is the location folder");
		bf_buf_free(&b);
		bf_layout_free(&l);
		ok(bf_layout_parse("{yyyy}/{mm}/{dd}", &l, &err) == 0 && l.loc_seg == -1 && l.first_date_seg == 0,
		   "a layout without a location");
		bf_layout_free(&l);
		ok(bf_layout_parse("a/b/{location}/{yyyy}/{mm}{dd}", &l, &err) == 0 && l.loc_seg == 2 &&
		   l.first_date_seg == 3 && l.n == 5, "literal folders before the location");
		bf_layout_free(&l);
	}

	refuse("{location}");
	refuse("plain/folder");
	refuse("{yyyymmdd}/{location}");
	refuse("{location}/{location}/{date}");
	refuse("{location}{yyyymmdd}");
	refuse("{mm}/{location}/{yyyymmdd}");
	refuse("{location}//{yyyymmdd}");
	refuse("{location}/../{yyyymmdd}");
	refuse("./{yyyymmdd}");
	refuse("{location}/{yyyymmdd}/extra");
	refuse("{location}/{week}");
	refuse("{location}/{YYYYMMDD}");

	/* matching */
	struct bf_layout l;
	struct bf_err err = { 0 };
	bf_layout_parse("store_{location}/d{yyyymmdd}", &l, &err);
	struct bf_layout_caps c = { -1, -1, -1, "" };
	ok(bf_layout_match(&l, 0, "store_185129", &c) && !strcmp(c.location, "185129"),
	   "location captured between literals");
	ok(bf_layout_match(&l, 1, "d20240404", &c) && c.y == 2024 && c.m == 4 && c.d == 4 &&
	   !strcmp(c.location, "185129"), "date captured, location kept");
	struct bf_layout_caps c2 = { -1, -1, -1, "keep" };
	ok(!bf_layout_match(&l, 0, "shop_1", &c2) && !strcmp(c2.location, "keep"),
	   "no match leaves the captures untouched");
	ok(!bf_layout_match(&l, 0, "store_", &c2), "an empty location does not match");
	ok(!bf_layout_match(&l, 1, "d2024040", &c2) && c2.y == -1, "a short date does not match");
	ok(!bf_layout_match(&l, 1, "d202404045", &c2), "a long date does not match");
	ok(!bf_layout_match(&l, 1, "d2024O404", &c2), "a non-digit does not match");
	ok(!bf_layout_match(&l, 1, "20240404", &c2), "a missing literal does not match");
	ok(!bf_layout_match(&l, 2, "x", &c2), "a segment past the end does not match");
	bf_layout_free(&l);

	bf_layout_parse("{location}-pos/{yyyy}/{mm}/{dd}", &l, &err);
	struct bf_layout_caps c3 = { -1, -1, -1, "" };
	ok(bf_layout_match(&l, 0, "a-pos-pos", &c3) && !strcmp(c3.location, "a-pos"),
	   "the location runs up to where the rest of the segment matches (%s)", c3.location);
	ok(bf_layout_match(&l, 1, "2024", &c3) && bf_layout_match(&l, 2, "02", &c3) &&
	   bf_layout_match(&l, 3, "29", &c3) && c3.y == 2024 && c3.m == 2 && c3.d == 29,
	   "year, month and day from three segments");
	ok(!bf_layout_match(&l, 1, "24", &c3), "a two-digit year does not match");
	bf_layout_free(&l);

	bf_layout_parse("{date}", &l, &err);
	struct bf_layout_caps c4 = { -1, -1, -1, "" };
	ok(bf_layout_match(&l, 0, "2024-04-04", &c4) && c4.d == 4, "{date} matches YYYY-MM-DD");
	ok(!bf_layout_match(&l, 0, "20240404", &c4), "{date} does not match YYYYMMDD");
	ok(!bf_layout_match(&l, 0, "2024-04-04.bak", &c4), "trailing text does not match");
	bf_layout_free(&l);

	/* a long location name is refused rather than cut */
	bf_layout_parse(NULL, &l, &err);
	char longname[400];
	memset(longname, 'x', sizeof longname - 1);
	longname[sizeof longname - 1] = '\0';
	struct bf_layout_caps c5 = { -1, -1, -1, "" };
	ok(!bf_layout_match(&l, 0, longname, &c5), "a location longer than the capture is not matched");

	/* render and match are inverse for every day of a leap year */
	int inv = 1;
	struct bf_buf b = BF_BUF_INIT;
	for (int32_t z = D("2024-01-01"); z <= D("2024-12-31") && inv; z++) {
		bf_layout_render(&l, "185129", z, &b);
		const char *slash = strchr(b.p, '/');
		struct bf_layout_caps k = { -1, -1, -1, "" };
		char first[64];
		snprintf(first, sizeof first, "%.*s", (int)(slash - b.p), b.p);
		if (!bf_layout_match(&l, 0, first, &k) || !bf_layout_match(&l, 1, slash + 1, &k) ||
		    bf_date_from_ymd(k.y, k.m, k.d) != z || strcmp(k.location, "185129"))
			inv = 0;
	}
	ok(inv, "match(render(location, date)) gives back the location and date, all of 2024");
	bf_buf_free(&b);
	bf_layout_free(&l);
	bf_layout_free(&l);
	return done_testing();
}
