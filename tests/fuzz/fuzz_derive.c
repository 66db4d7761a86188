/* Fuzz target of bf-enrich's offline parsers (lib/stages/enrich/bf_derive): money,
 * timestamps, durations, fixed time-zone offsets, and the hashing embedding. The first
 * byte chooses the parser; the rest is the value. Properties (besides no crash and no
 * undefined behaviour, such as an overflow):
 *  - money: a value that parses gives cents that read back the same from "-D.CC";
 *  - timestamps: the fields are in range, and the ISO 8601 text reads back to the same
 *    fields; with a fixed offset the text ends with Z or +HH:MM;
 *  - durations: the seconds are not negative and read back the same as plain seconds
 *    and as H:MM:SS;
 *  - offsets: whole minutes within 14:59;
 *  - the embedding is finite, of length 1 when it found words and 0 when it did not. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "stages/enrich/bf_derive.h"
#include "model/bf_embed_hash.h"

#include "fuzz.h"

static void money(const char *s, size_t n)
{
	long long c, back;
	if (bf_derive_money_cents(s, n, &c))
		return;
	unsigned long long a = c < 0 ? 0ULL - (unsigned long long)c : (unsigned long long)c;
	char text[48];
	int k = snprintf(text, sizeof text, "%s%llu.%02llu", c < 0 ? "-" : "", a / 100, a % 100);
	CHECK(bf_derive_money_cents(text, (size_t)k, &back) == 0 && back == c,
	      "%lld cents do not read back from \"%s\"", c, text);
}

static void timestamp(const char *s, size_t n, int offset_min)
{
	struct bf_ts t, back;
	if (bf_derive_parse_ts(s, n, &t))
		return;
	static const int mdays[] = { 31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	CHECK(t.y >= 1900 && t.y <= 2999 && t.mo >= 1 && t.mo <= 12 && t.d >= 1 &&
	      t.d <= mdays[t.mo - 1], "date %d-%d-%d", t.y, t.mo, t.d);
	CHECK(t.h >= 0 && t.h <= 23 && t.mi >= 0 && t.mi <= 59 && t.s >= 0 && t.s <= 60,
	      "time %d:%d:%d", t.h, t.mi, t.s);
	CHECK(bf_derive_weekday(&t) != NULL && bf_derive_daypart(t.h) != NULL, "weekday, daypart");
	struct bf_tz none, fixed;
	CHECK(bf_tz_parse("", &none) == 0, "no zone");
	char iso[64];
	size_t k = bf_derive_ts_iso(&none, &t, iso);
	CHECK(k == strlen(iso) && k < 32, "ISO text of %zu bytes", k);
	CHECK(bf_derive_parse_ts(iso, k, &back) == 0, "\"%s\" does not read back", iso);
	CHECK(back.y == t.y && back.mo == t.mo && back.d == t.d && back.has_time == t.has_time &&
	      (!t.has_time || (back.h == t.h && back.mi == t.mi && back.s == t.s)),
	      "\"%s\" reads back to other fields", iso);
	char spec[16];
	int a = offset_min < 0 ? -offset_min : offset_min;
	snprintf(spec, sizeof spec, "%c%02d:%02d", offset_min < 0 ? '-' : '+', a / 60, a % 60);
	CHECK(bf_tz_parse(spec, &fixed) == 0, "offset %s", spec);
	k = bf_derive_ts_iso(&fixed, &t, iso);
	CHECK(k == strlen(iso) && k < 32, "ISO text of %zu bytes", k);
	if (t.has_time)
		CHECK(offset_min ? !strcmp(iso + k - 6, spec) : iso[k - 1] == 'Z',
		      "\"%s\" does not end with its offset %s", iso, spec);
}

static void duration(const char *s, size_t n)
{
	long long secs, back;
	if (bf_derive_duration_s(s, n, &secs))
		return;
	CHECK(secs >= 0, "%lld seconds", secs);
	char text[64];
	if (secs < 1000000000000LL) {
		int k = snprintf(text, sizeof text, "%lld", secs);
		CHECK(bf_derive_duration_s(text, (size_t)k, &back) == 0 && back == secs,
		      "%lld seconds do not read back from \"%s\"", secs, text);
		k = snprintf(text, sizeof text, "%lld:%02lld:%02lld", secs / 3600, secs / 60 % 60, secs % 60);
		CHECK(bf_derive_duration_s(text, (size_t)k, &back) == 0 && back == secs,
		      "%lld seconds do not read back from \"%s\"", secs, text);
	}
}

static void offset(const char *s, size_t n)
{
	char spec[32];
	struct bf_tz tz;
	if (n >= sizeof spec || memchr(s, '\0', n) || (n && s[0] != '+' && s[0] != '-'))
		return;                   /* zone names would set TZ for the whole process */
	memcpy(spec, s, n);
	spec[n] = '\0';
	if (bf_tz_parse(spec, &tz))
		return;
	if (tz.kind == BF_TZ_FIXED)
		CHECK(tz.offset_s % 60 == 0 && tz.offset_s >= -(14 * 3600 + 59 * 60) &&
		      tz.offset_s <= 14 * 3600 + 59 * 60, "offset of %d s from \"%s\"", tz.offset_s, spec);
}

static void embed(const char *s, size_t n, int dim)
{
	float v[64];
	int nf = bf_embed_hash(s, n, dim, v);
	double sum = 0;
	for (int i = 0; i < dim; i++) {
		CHECK(isfinite(v[i]), "element %d is %g", i, (double)v[i]);
		sum += (double)v[i] * v[i];
	}
	CHECK(nf >= 0, "%d features", nf);
	if (nf)
		CHECK(fabs(sqrt(sum) - 1) < 1e-3, "length %g with %d features", sqrt(sum), nf);
	else
		CHECK(sum == 0, "length %g without features", sqrt(sum));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 1)
		return 0;
	unsigned sel = data[0];
	const char *s = (const char *)data + 1;
	size_t n = size - 1;
	switch (sel % 5) {
	case 0: money(s, n); break;
	case 1: timestamp(s, n, ((int)(sel / 5) % 49 - 24) * 37); break;
	case 2: duration(s, n); break;
	case 3: offset(s, n); break;
	default: embed(s, n, 1 + (int)(sel / 5) % 64); break;
	}
	return 0;
}
