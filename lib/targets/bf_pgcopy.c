#include "targets/bf_pgcopy.h"

#include <math.h>
#include <stdint.h>
#include <string.h>

#include "base/bf_time.h"

/* ---- text COPY ---- */

static void copy_text(struct bf_buf *b, const char *s, size_t n)
{
	size_t i = 0, start = 0;
	for (; i < n; i++) {
		char c = s[i], e;
		switch (c) {
		case '\\': e = '\\'; break;
		case '\n': e = 'n'; break;
		case '\r': e = 'r'; break;
		case '\t': e = 't'; break;
		default: continue;
		}
		bf_buf_add(b, s + start, i - start);
		bf_buf_addc(b, '\\');
		bf_buf_addc(b, e);
		start = i + 1;
	}
	bf_buf_add(b, s + start, n - start);
}

static void copy_int(struct bf_buf *b, long long i)
{
	char num[24], *e = num + sizeof num, *p = e;
	unsigned long long v = i < 0 ? 0ULL - (unsigned long long)i : (unsigned long long)i;
	do
		*--p = (char)('0' + v % 10);
	while (v /= 10);
	if (i < 0)
		*--p = '-';
	bf_buf_add(b, p, (size_t)(e - p));
}

void bf_pgcopy_row_text(struct bf_buf *b, const struct bf_row *r)
{
	size_t n = r->def->ncols;
	for (size_t i = 0; i < n; i++) {
		const struct bf_cell *c = &r->cells[i];
		if (i)
			bf_buf_addc(b, '\t');
		switch (c->kind) {
		case BF_C_TEXT: copy_text(b, c->s, c->len); break;
		case BF_C_INT:
			if (r->def->cols[i].type == BF_T_BOOLEAN)
				bf_buf_addc(b, c->i ? 't' : 'f');
			else
				copy_int(b, c->i);
			break;
		case BF_C_VEC:
			bf_buf_addc(b, '{');
			for (size_t k = 0; k < c->nv; k++)
				bf_buf_addf(b, k ? ",%.9g" : "%.9g", (double)c->v[k]);
			bf_buf_addc(b, '}');
			break;
		default: bf_buf_add(b, "\\N", 2); break;
		}
	}
	bf_buf_addc(b, '\n');
}

/* ---- binary COPY ----
 * Spares the server parsing every value from text. Each value is sent as exactly what
 * the server's text input would store. Anything else (a table column of another type,
 * a number beyond modest limits, a form of text not expected) is left to text COPY,
 * which the server parses as before. */

enum {
	OID_BOOL = 16, OID_INT8 = 20, OID_TEXT = 25, OID_FLOAT4 = 700, OID_FLOAT4_ARRAY = 1021,
	OID_DATE = 1082, OID_TIMESTAMP = 1114, OID_TIMESTAMPTZ = 1184, OID_NUMERIC = 1700,
	OID_JSONB = 3802,
};

unsigned bf_pgcopy_type_oid(enum bf_type t)
{
	switch (t) {
	case BF_T_INTEGER: return OID_INT8;
	case BF_T_NUMBER: return OID_NUMERIC;
	case BF_T_BOOLEAN: return OID_BOOL;
	case BF_T_DATE: return OID_DATE;
	case BF_T_DATETIME: return OID_TIMESTAMP;
	case BF_T_TIMESTAMPTZ: return OID_TIMESTAMPTZ;
	case BF_T_JSON: return OID_JSONB;
	case BF_T_VECTOR: return OID_FLOAT4_ARRAY;
	default: return OID_TEXT;
	}
}

static unsigned char *be16(unsigned char *o, unsigned v)
{
	o[0] = (unsigned char)(v >> 8);
	o[1] = (unsigned char)v;
	return o + 2;
}

static unsigned char *be32(unsigned char *o, uint32_t v)
{
	return be16(be16(o, v >> 16), v & 0xFFFF);
}

static unsigned char *be64(unsigned char *o, uint64_t v)
{
	return be32(be32(o, (uint32_t)(v >> 32)), (uint32_t)v);
}

/* Room for n more bytes at the end of b; commit them with put_end(). */
static unsigned char *put_at(struct bf_buf *b, size_t n)
{
	bf_buf_grow(b, n);
	return (unsigned char *)b->p + b->len;
}

static void put_end(struct bf_buf *b, const unsigned char *o)
{
	b->len = (size_t)(o - (const unsigned char *)b->p);
}

/* A field of n bytes from s (text, and jsonb after its version byte). */
static void put_bytes(struct bf_buf *b, int version, const char *s, size_t n)
{
	unsigned char *o = be32(put_at(b, n + 5), (uint32_t)(n + (version > 0)));
	if (version > 0)
		*o++ = (unsigned char)version;
	memcpy(o, s, n);
	put_end(b, o + n);
}

static int digit(char c) { return c >= '0' && c <= '9'; }

/* n digits at s as a number, -1 if one is not a digit */
static long num(const char *s, size_t n)
{
	long v = 0;
	for (size_t i = 0; i < n; i++) {
		if (!digit(s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

/* The loader's decimals: [-]D*[.D*][(e|E)[+-]D+]. Beyond these limits (PostgreSQL's own
 * are far wider) a number goes through text COPY. */
#define NUM_DIGITS 1000
#define NUM_EXP 1000
struct dec {
	const char *ip, *fp;       /* integer and fraction digits */
	size_t il, fl;
	long exp;
	int neg;
};

static int dec_parse(const char *s, size_t n, struct dec *d)
{
	size_t i = 0;
	*d = (struct dec){ 0 };
	if (i < n && s[i] == '-')
		d->neg = 1, i++;
	d->ip = s + i;
	while (i < n && digit(s[i]))
		i++;
	d->il = (size_t)(s + i - d->ip);
	if (i < n && s[i] == '.') {
		d->fp = s + ++i;
		while (i < n && digit(s[i]))
			i++;
		d->fl = (size_t)(s + i - d->fp);
	}
	if (d->il + d->fl == 0 || d->il + d->fl > NUM_DIGITS)
		return -1;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		int neg = ++i < n && s[i] == '-';
		i += i < n && (s[i] == '-' || s[i] == '+');
		size_t b = i;
		for (; i < n && digit(s[i]); i++)
			if (d->exp <= NUM_EXP)
				d->exp = d->exp * 10 + (s[i] - '0');
		if (i == b || d->exp > NUM_EXP)
			return -1;
		d->exp = neg ? -d->exp : d->exp;
	}
	return i == n ? 0 : -1;
}

/* floor(p / 4): the base-10000 group of the decimal power p */
static long group_of(long p)
{
	return p >= 0 ? p / 4 : -((-p + 3) / 4);
}

/* numeric: base-10000 digits, weight of the first, sign, and the display scale that
 * numeric_in gives: fraction digits minus the exponent, at least 0 */
static int put_numeric(struct bf_buf *b, const char *s, size_t n)
{
	static const unsigned p10[4] = { 1, 10, 100, 1000 };
	struct dec d;
	char dg[NUM_DIGITS];
	unsigned grp[NUM_DIGITS / 4 + 2];
	if (dec_parse(s, n, &d))
		return -1;
	long dscale = (long)d.fl - d.exp;
	dscale = dscale < 0 ? 0 : dscale;
	memcpy(dg, d.ip, d.il);
	if (d.fl)
		memcpy(dg + d.il, d.fp, d.fl);
	size_t k0 = 0, k1 = d.il + d.fl;
	while (k0 < k1 && dg[k0] == '0')
		k0++;
	while (k1 > k0 && dg[k1 - 1] == '0')
		k1--;
	long weight = 0, ng = 0;
	if (k0 < k1) {
		/* digit k stands for 10^(il - 1 - k + exp) */
		long p = (long)d.il - 1 - (long)k0 + d.exp, g = group_of(p);
		unsigned r = (unsigned)(p - 4 * g);
		weight = g;
		ng = weight - group_of((long)d.il - (long)k1 + d.exp) + 1;
		memset(grp, 0, (size_t)ng * sizeof *grp);
		for (size_t k = k0; k < k1; k++) {
			grp[weight - g] += (unsigned)(dg[k] - '0') * p10[r];
			if (r-- == 0)
				r = 3, g--;
		}
	}
	unsigned char *o = be32(put_at(b, 12 + 2 * (size_t)ng), (uint32_t)(8 + 2 * ng));
	o = be16(o, (unsigned)ng);
	o = be16(o, (unsigned)weight & 0xFFFF);
	o = be16(o, d.neg && ng ? 0x4000 : 0);
	o = be16(o, (unsigned)dscale);
	for (long i = 0; i < ng; i++)
		o = be16(o, grp[i]);
	put_end(b, o);
	return 0;
}

/* PostgreSQL counts dates from 2000-01-01, day 10957 of bf's calendar */
#define PG_EPOCH_DAYS 10957

/* "YYYY-MM-DD" at s as days from 2000-01-01; -1 unless every field is in range */
static int ymd(const char *s, long long *days)
{
	long y = num(s, 4), m = num(s + 5, 2), d = num(s + 8, 2);
	if (s[4] != '-' || s[7] != '-' || y < 1 || m < 1 || m > 12 || d < 1 || d > 31)
		return -1;
	*days = (long long)bf_date_from_ymd((int)y, (int)m, (int)d) - PG_EPOCH_DAYS;
	return 0;
}

static int put_date(struct bf_buf *b, const char *s, size_t n)
{
	long long days;
	if (n != 10 || ymd(s, &days))
		return -1;
	put_end(b, be32(be32(put_at(b, 8), 4), (uint32_t)(int32_t)days));
	return 0;
}

/* timestamp[tz]: microseconds from 2000-01-01 00:00 of "YYYY-MM-DD HH:MM:SS[.F]" (and
 * "Z" with tz). The fraction is rounded as the server does it: rint(strtod(".F") * 1e6),
 * and F / 10^k is the same correctly rounded double as strtod's. */
static int put_timestamp(struct bf_buf *b, const char *s, size_t n, int tz)
{
	static const double p10[10] = { 1, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9 };
	long long days;
	if (n < 19 || ymd(s, &days) || s[10] != ' ' || s[13] != ':' || s[16] != ':')
		return -1;
	long h = num(s + 11, 2), mi = num(s + 14, 2), sec = num(s + 17, 2);
	if (h < 0 || h > 23 || mi < 0 || mi > 59 || sec < 0 || sec > 59)
		return -1;
	size_t i = 19, k = 0;
	long long usec = 0;
	if (i < n && s[i] == '.') {
		while (++i < n && digit(s[i]) && k < 9)
			k++;
		long f = num(s + 20, k);
		if (k == 0 || f < 0)
			return -1;
		usec = (long long)rint((double)f / p10[k] * 1000000.0);
	}
	if (tz && i < n && s[i] == 'Z')
		i++;
	if (i != n || (tz && s[n - 1] != 'Z'))
		return -1;
	usec += ((days * 86400 + h * 3600 + mi * 60 + sec) * 1000000LL);
	put_end(b, be64(be32(put_at(b, 12), 8), (uint64_t)usec));
	return 0;
}

/* real[]: one dimension (none when empty), no nulls, float4 elements */
static void put_vector(struct bf_buf *b, const struct bf_cell *c)
{
	size_t n = c->nv;
	unsigned char *o = put_at(b, 24 + 8 * n);
	o = be32(o, (uint32_t)(n ? 20 + 8 * n : 12));
	o = be32(o, n ? 1 : 0);
	o = be32(o, 0);
	o = be32(o, OID_FLOAT4);
	if (n) {
		o = be32(o, (uint32_t)n);
		o = be32(o, 1);
	}
	for (size_t k = 0; k < n; k++) {
		uint32_t u;
		memcpy(&u, &c->v[k], 4);
		o = be32(be32(o, 4), u);
	}
	put_end(b, o);
}

/* One value; -1 for what the binary path does not take. */
static int put_cell(struct bf_buf *b, enum bf_type ty, const struct bf_cell *c)
{
	if (c->kind == BF_C_NULL) {
		put_end(b, be32(put_at(b, 4), 0xFFFFFFFFu));
		return 0;
	}
	if (c->kind == BF_C_INT && ty == BF_T_INTEGER) {
		put_end(b, be64(be32(put_at(b, 12), 8), (uint64_t)c->i));
		return 0;
	}
	if (c->kind == BF_C_INT && ty == BF_T_BOOLEAN) {
		unsigned char *o = be32(put_at(b, 5), 1);
		*o++ = c->i != 0;
		put_end(b, o);
		return 0;
	}
	if (c->kind == BF_C_VEC && ty == BF_T_VECTOR) {
		put_vector(b, c);
		return 0;
	}
	if (c->kind != BF_C_TEXT)
		return -1;
	switch (ty) {
	case BF_T_STRING: put_bytes(b, 0, c->s, c->len); return 0;
	case BF_T_JSON: put_bytes(b, 1, c->s, c->len); return 0;
	case BF_T_NUMBER: return put_numeric(b, c->s, c->len);
	case BF_T_DATE: return put_date(b, c->s, c->len);
	case BF_T_DATETIME: return put_timestamp(b, c->s, c->len, 0);
	case BF_T_TIMESTAMPTZ: return put_timestamp(b, c->s, c->len, 1);
	default: return -1;
	}
}

int bf_pgcopy_row_bin(struct bf_buf *b, const struct bf_row *r)
{
	size_t mark = b->len, n = r->def->ncols;
	put_end(b, be16(put_at(b, 2), (unsigned)n));
	for (size_t i = 0; i < n; i++) {
		if (put_cell(b, r->def->cols[i].type, &r->cells[i])) {
			bf_buf_truncate(b, mark);
			return -1;
		}
	}
	b->p[b->len] = '\0';
	return 0;
}

void bf_pgcopy_bin_header(struct bf_buf *b)
{
	/* signature, flags, header extension length */
	bf_buf_add(b, "PGCOPY\n\377\r\n\0\0\0\0\0\0\0\0\0", 19);
}
