/* Fuzz target of what bf-load sends PostgreSQL's COPY: a record value cast to a column
 * type (bf_cast, lib/targets/bf_types), then encoded as a row of text COPY and of
 * binary COPY. The first byte chooses the type and the JSON kind of the value; the rest
 * is the value. Properties, for every value the cast accepts:
 *  - text COPY: one line, the value escaped so that unescaping gives it back (\N for
 *    null, t/f for booleans, decimal integers, {...} of floats that read back exactly);
 *  - binary COPY: taken for every cast value of every type except numbers beyond
 *    1000 digits or an exponent beyond 1000; and what it holds decodes to the value:
 *    integers, booleans, text and jsonb as they are; numeric digits, weight, sign and
 *    display scale equal to the decimal's; dates and timestamps counted from 2000-01-01
 *    as an independent calendar counts them (fractions of a second rounded as
 *    PostgreSQL rounds them); real[] with the floats' bits.
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_time.h"

#include "targets/bf_pgcopy.h"
#define encode_text bf_pgcopy_row_text
#define encode_binary bf_pgcopy_row_bin

#include "fuzz.h"

/* The binary path's limits on numbers (bf_pgcopy.h): digits and exponent. */
#define LIMIT_DIGITS 1000
#define LIMIT_EXP 1000

/* ---- text COPY ---- */

static void check_text(const struct bf_buf *b, enum bf_type ty, const struct bf_cell *c)
{
	CHECK(b->len > 0 && b->p[b->len - 1] == '\n', "a text row ends with a newline");
	struct bf_buf v = BF_BUF_INIT;
	bf_buf_adds(&v, "");
	for (size_t i = 0; i + 1 < b->len; i++) {
		char ch = b->p[i];
		CHECK(ch != '\n' && ch != '\r' && ch != '\t', "a raw 0x%02x in a text row", ch);
		if (ch != '\\') {
			bf_buf_addc(&v, ch);
			continue;
		}
		char e = b->p[++i];
		CHECK(i + 1 < b->len, "a backslash at the end of a text row");
		bf_buf_addc(&v, e == 'n' ? '\n' : e == 'r' ? '\r' : e == 't' ? '\t' : e == '\\' ? '\\' : 0);
		CHECK(e == 'n' || e == 'r' || e == 't' || e == '\\' || (e == 'N' && b->len == 3),
		      "escape \\%c", e);
	}
	if (c->kind == BF_C_NULL) {
		CHECK(b->len == 3 && !memcmp(b->p, "\\N\n", 3), "null is \\N");
	} else if (c->kind == BF_C_TEXT) {
		CHECK(v.len == c->len && !memcmp(v.p, c->s, c->len), "text does not unescape to the value");
	} else if (c->kind == BF_C_INT && ty == BF_T_BOOLEAN) {
		CHECK(v.len == 1 && v.p[0] == (c->i ? 't' : 'f'), "boolean %lld", c->i);
	} else if (c->kind == BF_C_INT) {
		char num[32];
		snprintf(num, sizeof num, "%lld", c->i);
		CHECK(!strcmp(v.p, num), "integer %lld written %s", c->i, v.p);
	} else if (c->kind == BF_C_VEC) {
		CHECK(v.len >= 2 && v.p[0] == '{' && v.p[v.len - 1] == '}', "an array in braces");
		char *p = v.p + 1;
		for (size_t k = 0; k < c->nv; k++) {
			char *end;
			float f = strtof(p, &end);
			CHECK(end != p && (*end == ',' || *end == '}'), "element %zu of %s", k, v.p);
			CHECK(memcmp(&f, &c->v[k], 4) == 0 || (f == 0 && c->v[k] == 0),
			      "element %zu reads back as %.9g, not %.9g", k, (double)f, (double)c->v[k]);
			p = end + 1;
		}
		CHECK(c->nv > 0 || v.len == 2, "an empty array is {}");
	}
	bf_buf_free(&v);
}

/* ---- binary COPY ---- */

static uint64_t get_be(const unsigned char *p, int n)
{
	uint64_t v = 0;
	for (int i = 0; i < n; i++)
		v = v << 8 | p[i];
	return v;
}

/* A decimal's value as sign, significant digits and the power of ten of the first one;
 * zero has no digits. The text is what the cast produced: [-]D*[.D*][(e|E)[+-]D+]. */
struct decv {
	int neg;
	char dg[2100];
	size_t n;
	long power;
	long dscale;
};

static void dec_value(const char *s, size_t n, struct decv *d)
{
	size_t i = 0, il = 0, fl = 0;
	long exp = 0;
	char all[2100];
	size_t na = 0;
	memset(d, 0, sizeof *d);
	if (i < n && (s[i] == '-' || s[i] == '+'))
		d->neg = s[i++] == '-';
	while (i < n && s[i] >= '0' && s[i] <= '9')
		all[na++] = s[i++], il++;
	if (i < n && s[i] == '.')
		for (i++; i < n && s[i] >= '0' && s[i] <= '9'; i++)
			all[na++] = s[i], fl++;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		int eneg = s[++i] == '-';
		i += s[i] == '-' || s[i] == '+';
		for (; i < n; i++)
			exp = exp * 10 + (s[i] - '0');
		exp = eneg ? -exp : exp;
	}
	size_t a = 0, b = na;
	while (a < b && all[a] == '0')
		a++;
	while (b > a && all[b - 1] == '0')
		b--;
	memcpy(d->dg, all + a, b - a);
	d->n = b - a;
	d->power = (long)il - 1 - (long)a + exp;
	d->dscale = (long)fl - exp > 0 ? (long)fl - exp : 0;
	if (!d->n)
		d->neg = 0, d->power = 0;
}

static void check_numeric(const unsigned char *p, size_t len, const struct bf_cell *c)
{
	struct decv want, got;
	dec_value(c->s, c->len, &want);
	CHECK(len >= 8, "numeric of %zu bytes", len);
	unsigned ng = (unsigned)get_be(p, 2), sign = (unsigned)get_be(p + 4, 2);
	int weight = (int16_t)get_be(p + 2, 2);
	long dscale = (long)get_be(p + 6, 2);
	CHECK(len == 8 + 2 * (size_t)ng, "numeric of %u groups in %zu bytes", ng, len);
	CHECK(sign == 0 || sign == 0x4000, "numeric sign 0x%x", sign);
	memset(&got, 0, sizeof got);
	got.neg = sign == 0x4000;
	char dg[2200];
	size_t nd = 0;
	for (unsigned g = 0; g < ng; g++) {
		unsigned v = (unsigned)get_be(p + 8 + 2 * g, 2);
		CHECK(v < 10000, "numeric group %u is %u", g, v);
		CHECK(g + 1 < ng || v != 0, "a trailing zero group");
		CHECK(g > 0 || v != 0, "a leading zero group");
		nd += (size_t)snprintf(dg + nd, sizeof dg - nd, "%04u", v);
	}
	size_t a = 0, b = nd;
	while (a < b && dg[a] == '0')
		a++;
	while (b > a && dg[b - 1] == '0')
		b--;
	memcpy(got.dg, dg + a, b - a);
	got.n = b - a;
	got.power = got.n ? (long)weight * 4 + 3 - (long)a : 0;
	CHECK(got.neg == want.neg && got.n == want.n && !memcmp(got.dg, want.dg, got.n) &&
	      got.power == want.power, "numeric is not %.*s (%zu digits, power %ld; got %zu, power %ld)",
	      (int)c->len, c->s, want.n, want.power, got.n, got.power);
	CHECK(dscale == want.dscale, "display scale %ld, %ld expected for %.*s", dscale, want.dscale,
	      (int)c->len, c->s);
}

/* days from 2000-01-01 of "YYYY-MM-DD" at s, by bf_time's calendar */
static long long days2000(const char *s)
{
	int y = atoi(s), m = (s[5] - '0') * 10 + (s[6] - '0'), d = (s[8] - '0') * 10 + (s[9] - '0');
	int yy, mm, dd;
	int32_t z = bf_date_from_ymd(y, m, d);
	bf_date_to_ymd(z, &yy, &mm, &dd);
	CHECK(yy == y && mm == m && dd == d, "%.10s is not a calendar date", s);
	return (long long)z - 10957;
}

static void check_timestamp(const unsigned char *p, size_t len, const struct bf_cell *c, int tz)
{
	const char *s = c->s;
	CHECK(len == 8, "timestamp of %zu bytes", len);
	CHECK(c->len >= 19 && s[10] == ' ' && s[13] == ':' && s[16] == ':', "timestamp text %.*s",
	      (int)c->len, s);
	long long secs = days2000(s) * 86400 + atoi(s + 11) * 3600LL + atoi(s + 14) * 60LL + atoi(s + 17);
	double frac = 0;
	if (c->len > 19 && s[19] == '.') {
		char f[16] = "0";
		size_t k = 1;
		for (size_t i = 19; i < c->len && s[i] != 'Z' && k < sizeof f - 1; i++)
			f[k++] = s[i];
		f[k] = '\0';
		frac = strtod(f, NULL);
	}
	long long want = secs * 1000000LL + (long long)rint(frac * 1000000.0);
	long long got = (long long)get_be(p, 8);
	CHECK(got == want, "timestamp %.*s: %lld microseconds, %lld expected", (int)c->len, s, got, want);
	CHECK(!tz || s[c->len - 1] == 'Z', "timestamptz text without Z");
}

static void check_binary(const struct bf_buf *b, enum bf_type ty, const struct bf_cell *c)
{
	const unsigned char *p = (const unsigned char *)b->p;
	CHECK(b->len >= 6 && get_be(p, 2) == 1, "a tuple of one field");
	int32_t flen = (int32_t)get_be(p + 2, 4);
	const unsigned char *v = p + 6;
	if (c->kind == BF_C_NULL) {
		CHECK(flen == -1 && b->len == 6, "null is length -1");
		return;
	}
	CHECK(flen >= 0 && (size_t)flen == b->len - 6, "field of %d bytes in %zu", flen, b->len - 6);
	size_t len = (size_t)flen;
	switch (ty) {
	case BF_T_INTEGER:
		CHECK(len == 8 && (long long)get_be(v, 8) == c->i, "int8 %lld", c->i);
		break;
	case BF_T_BOOLEAN:
		CHECK(len == 1 && v[0] == (c->i != 0), "bool %lld", c->i);
		break;
	case BF_T_STRING:
		CHECK(len == c->len && !memcmp(v, c->s, len), "text");
		break;
	case BF_T_JSON:
		CHECK(len == c->len + 1 && v[0] == 1 && !memcmp(v + 1, c->s, c->len), "jsonb");
		break;
	case BF_T_NUMBER:
		check_numeric(v, len, c);
		break;
	case BF_T_DATE:
		CHECK(len == 4 && c->len == 10 && (int32_t)get_be(v, 4) == days2000(c->s), "date %.*s",
		      (int)c->len, c->s);
		break;
	case BF_T_DATETIME:
	case BF_T_TIMESTAMPTZ:
		check_timestamp(v, len, c, ty == BF_T_TIMESTAMPTZ);
		break;
	case BF_T_VECTOR: {
		size_t n = c->nv;
		CHECK(len == (n ? 20 + 8 * n : 12), "real[] of %zu in %zu bytes", n, len);
		CHECK(get_be(v, 4) == (n ? 1 : 0) && get_be(v + 4, 4) == 0 && get_be(v + 8, 4) == 700,
		      "real[] header");
		for (size_t k = 0; n && k < n; k++) {
			uint32_t u;
			memcpy(&u, &c->v[k], 4);
			CHECK(get_be(v + 20 + 8 * k, 4) == 4 && get_be(v + 24 + 8 * k, 4) == u, "element %zu", k);
		}
		CHECK(!n || (get_be(v + 12, 4) == n && get_be(v + 16, 4) == 1), "real[] dimension");
		break;
	}
	}
}

/* Whether the binary path may refuse the cast value: only numbers beyond its limits. */
static int binary_may_refuse(enum bf_type ty, const struct bf_cell *c)
{
	if (ty != BF_T_NUMBER || c->kind != BF_C_TEXT)
		return 0;
	size_t digits = 0;
	long exp = 0;
	const char *e = memchr(c->s, 'e', c->len);
	if (!e)
		e = memchr(c->s, 'E', c->len);
	for (const char *p = c->s; p < (e ? e : c->s + c->len); p++)
		digits += *p >= '0' && *p <= '9';
	if (e)
		for (const char *p = e + 1; p < c->s + c->len && exp <= 1000; p++)
			if (*p >= '0' && *p <= '9')
				exp = exp * 10 + (*p - '0');
	return digits > LIMIT_DIGITS || exp > LIMIT_EXP;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum bf_json_kind kinds[4] = { BF_J_STRING, BF_J_STRING, BF_J_NUMBER, BF_J_ARRAY };
	if (size < 1 || size > 4096)
		return 0;
	enum bf_type ty = (enum bf_type)(data[0] % 9);
	struct bf_member m = { .key = "v", .keylen = 1, .kind = kinds[(data[0] / 9) % 4] };
	/* the value as in a record line: followed by a quote (parse_when() in bf_types.c
	 * reads an 8-byte value with strspn, which a quote or NUL stops) */
	char *val = malloc(size + 1);
	CHECK(val, "malloc");
	memcpy(val, data + 1, size - 1);
	val[size - 1] = '"';
	val[size] = '\0';
	m.val = val;
	m.len = size - 1;
	m.no_nul = memchr(m.val, '\0', m.len) == NULL;
	if (m.kind == BF_J_NUMBER && m.len == 0)
		m.kind = BF_J_NULL;
	struct bf_cell cell = { 0 };
	char why[160];
	if (bf_cast(ty, &m, &cell, why, sizeof why) == 0) {
		struct bf_col col = { .name = "v", .type = ty };
		struct bf_stream_def def = { .name = "s", .cols = &col, .ncols = 1 };
		struct bf_row row = { &def, &cell, m.val, m.len };
		struct bf_buf text = BF_BUF_INIT, bin = BF_BUF_INIT;
		encode_text(&text, &row);
		check_text(&text, ty, &cell);
		if (encode_binary(&bin, &row) == 0)
			check_binary(&bin, ty, &cell);
		else
			CHECK(binary_may_refuse(ty, &cell), "binary COPY refuses a %s value: %.*s",
			      bf_type_name(ty), cell.kind == BF_C_TEXT ? (int)cell.len : 0,
			      cell.kind == BF_C_TEXT ? cell.s : "");
		bf_buf_free(&text);
		bf_buf_free(&bin);
	}
	bf_cell_free(&cell);
	free(val);
	return 0;
}
