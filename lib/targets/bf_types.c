#include "targets/bf_types.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/bf_time.h"

static const struct {
	const char *name;
	enum bf_type t;
} type_names[] = {
	{ "string", BF_T_STRING }, { "text", BF_T_STRING },
	{ "integer", BF_T_INTEGER }, { "bigint", BF_T_INTEGER }, { "int", BF_T_INTEGER },
	{ "number", BF_T_NUMBER }, { "numeric", BF_T_NUMBER }, { "decimal", BF_T_NUMBER },
	{ "boolean", BF_T_BOOLEAN }, { "bool", BF_T_BOOLEAN },
	{ "date", BF_T_DATE },
	{ "date-time", BF_T_DATETIME }, { "datetime", BF_T_DATETIME }, { "timestamp", BF_T_DATETIME },
	{ "timestamptz", BF_T_TIMESTAMPTZ },
	{ "json", BF_T_JSON }, { "jsonb", BF_T_JSON },
	{ "vector", BF_T_VECTOR }, { "embedding", BF_T_VECTOR },
};

const char *bf_type_name(enum bf_type t)
{
	static const char *const n[] = { "string", "integer", "number", "boolean", "date",
					 "date-time", "timestamptz", "json", "vector" };
	return (unsigned)t < sizeof n / sizeof *n ? n[t] : "string";
}

int bf_type_parse(const char *name, enum bf_type *out)
{
	for (size_t i = 0; i < sizeof type_names / sizeof *type_names; i++)
		if (!strcasecmp(name, type_names[i].name)) {
			*out = type_names[i].t;
			return 0;
		}
	return -1;
}

const char *bf_type_sqlite(enum bf_type t)
{
	switch (t) {
	case BF_T_INTEGER:
	case BF_T_BOOLEAN: return "INTEGER";
	case BF_T_VECTOR: return "BLOB";
	default: return "TEXT";
	}
}

const char *bf_type_pg(enum bf_type t)
{
	switch (t) {
	case BF_T_INTEGER: return "bigint";
	case BF_T_NUMBER: return "numeric";
	case BF_T_BOOLEAN: return "boolean";
	case BF_T_DATE: return "date";
	case BF_T_DATETIME: return "timestamp";
	case BF_T_TIMESTAMPTZ: return "timestamptz";
	case BF_T_JSON: return "jsonb";
	case BF_T_VECTOR: return "real[]";
	default: return "text";
	}
}

static int is_type(const cJSON *ty, const char *name)
{
	if (cJSON_IsString(ty))
		return !strcmp(ty->valuestring, name);
	if (cJSON_IsArray(ty))
		for (const cJSON *e = ty->child; e; e = e->next)
			if (cJSON_IsString(e) && !strcmp(e->valuestring, name))
				return 1;
	return 0;
}

enum bf_type bf_type_of_schema(const cJSON *prop)
{
	if (!cJSON_IsObject(prop))
		return BF_T_STRING;
	const cJSON *ty = cJSON_GetObjectItemCaseSensitive(prop, "type");
	const cJSON *fmt = cJSON_GetObjectItemCaseSensitive(prop, "format");
	/* a union of real types (say ["string","integer"]) stays text: nothing is lost */
	int n = 0;
	if (cJSON_IsArray(ty))
		for (const cJSON *e = ty->child; e; e = e->next)
			n += cJSON_IsString(e) && strcmp(e->valuestring, "null");
	if (n > 1)
		return BF_T_STRING;
	if (is_type(ty, "integer"))
		return BF_T_INTEGER;
	if (is_type(ty, "number"))
		return BF_T_NUMBER;
	if (is_type(ty, "boolean"))
		return BF_T_BOOLEAN;
	if (is_type(ty, "object"))
		return BF_T_JSON;
	if (is_type(ty, "array")) {
		const cJSON *items = cJSON_GetObjectItemCaseSensitive(prop, "items");
		const cJSON *ity = items ? cJSON_GetObjectItemCaseSensitive(items, "type") : NULL;
		return is_type(ity, "number") || is_type(ity, "integer") ? BF_T_VECTOR : BF_T_JSON;
	}
	if (cJSON_IsString(fmt)) {
		if (!strcmp(fmt->valuestring, "date"))
			return BF_T_DATE;
		if (!strcmp(fmt->valuestring, "date-time"))
			return BF_T_DATETIME;
	}
	return BF_T_STRING;
}

/* ---- casts ---- */

void bf_cell_free(struct bf_cell *c)
{
	bf_buf_free(&c->own);
}

static int refuse(char *why, size_t whylen, const char *what, const struct bf_member *m)
{
	int n = m->len > 60 ? 60 : (int)m->len;
	snprintf(why, whylen, "%s: \"%.*s%s\"", what, n, m->val, m->len > 60 ? "..." : "");
	return -1;
}

static void set_text(struct bf_cell *c, const char *s, size_t n)
{
	c->kind = BF_C_TEXT;
	c->s = s;
	c->len = n;
}

static void own_text(struct bf_cell *c)
{
	set_text(c, c->own.p, c->own.len);
}

/* Trims ASCII blanks. */
static void trim(const char **s, size_t *n)
{
	while (*n && (**s == ' ' || **s == '\t'))
		(*s)++, (*n)--;
	while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
		(*n)--;
}

/* A decimal: [+-]digits[.digits][e[+-]digits], ".5" and "5." too. Normalised into c->own
 * (c NULL: only checked):
 * no '+', no leading zeros, "0.5", "5". Returns 0 or -1. */
static int decimal(const char *s, size_t n, struct bf_cell *c)
{
	size_t i = 0;
	int neg = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	size_t ib = i;
	while (i < n && isdigit((unsigned char)s[i]))
		i++;
	size_t ie = i, fb = i, fe = i;
	if (i < n && s[i] == '.') {
		fb = ++i;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
		fe = i;
	}
	if (ie == ib && fe == fb)
		return -1;
	size_t xb = i;
	if (i < n && (s[i] == 'e' || s[i] == 'E')) {
		i++;
		if (i < n && (s[i] == '+' || s[i] == '-'))
			i++;
		size_t d = i;
		while (i < n && isdigit((unsigned char)s[i]))
			i++;
		if (i == d)
			return -1;
	}
	if (i != n)
		return -1;
	if (!c)
		return 0;
	if (s[0] != '+' && ie > ib && (ie - ib == 1 || s[ib] != '0') && !(fb > ie && fe == fb)) {
		set_text(c, s, n);         /* already normalised: no copy */
		return 0;
	}
	bf_buf_reset(&c->own);
	while (ib + 1 < ie && s[ib] == '0')
		ib++;
	if (neg)
		bf_buf_addc(&c->own, '-');
	if (ie == ib)
		bf_buf_addc(&c->own, '0');
	else
		bf_buf_add(&c->own, s + ib, ie - ib);
	if (fe > fb) {
		bf_buf_addc(&c->own, '.');
		bf_buf_add(&c->own, s + fb, fe - fb);
	}
	bf_buf_add(&c->own, s + xb, n - xb);
	own_text(c);
	return 0;
}

static int integer(const char *s, size_t n, long long *out)
{
	size_t i = 0;
	int neg = 0;
	if (i < n && (s[i] == '+' || s[i] == '-'))
		neg = s[i++] == '-';
	if (i == n)
		return -1;
	unsigned long long v = 0, lim = neg ? (unsigned long long)INT64_MAX + 1 : (unsigned long long)INT64_MAX;
	for (; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		unsigned d = (unsigned)(s[i] - '0');
		if (v > (lim - d) / 10)
			return -2;
		v = v * 10 + d;
	}
	*out = neg ? (long long)(0 - v) : (long long)v;
	return 0;
}

static int boolean(const char *s, size_t n, long long *out)
{
	static const char *const yes[] = { "true", "t", "yes", "y", "1", "on" };
	static const char *const no[] = { "false", "f", "no", "n", "0", "off" };
	if (n == 4 && !memcmp(s, "true", 4)) {
		*out = 1;
		return 0;
	}
	if (n == 5 && !memcmp(s, "false", 5)) {
		*out = 0;
		return 0;
	}
	for (size_t i = 0; i < 6; i++) {
		if (strlen(yes[i]) == n && !strncasecmp(s, yes[i], n)) {
			*out = 1;
			return 0;
		}
		if (strlen(no[i]) == n && !strncasecmp(s, no[i], n)) {
			*out = 0;
			return 0;
		}
	}
	return -1;
}

struct tm_parts {
	int y, mo, d, h, mi, s;
	char frac[10];             /* digits after the point, "" if none */
	int has_time, has_tz, tzmin;
};

static int digits(const char *s, size_t n, size_t *i, int min, int max, int *out)
{
	int v = 0, k = 0;
	while (*i < n && k < max && isdigit((unsigned char)s[*i])) {
		v = v * 10 + (s[*i] - '0');
		(*i)++;
		k++;
	}
	if (k < min)
		return -1;
	*out = v;
	return 0;
}

static int valid_date(int y, int mo, int d)
{
	if (y < 1 || y > 9999 || mo < 1 || mo > 12 || d < 1)
		return 0;
	return d <= bf_days_in_month(y, mo);
}

/* ISO 8601 (YYYY-MM-DD[ T]HH:MM[:SS[.f]][Z|+HH[:MM]]), YYYYMMDD, and point-of-sale
 * M/D/YY[YY][ H:MM[:SS][ AM|PM]]. */
static int parse_when(const char *s, size_t n, struct tm_parts *t)
{
	size_t i = 0;
	memset(t, 0, sizeof *t);
	int a;
	size_t nd = 0;
	while (nd < n && s[nd] >= '0' && s[nd] <= '9')
		nd++;
	if (n == 8 && nd == 8) {                /* YYYYMMDD; s is not NUL-terminated */
		digits(s, n, &i, 4, 4, &t->y);
		digits(s, n, &i, 2, 2, &t->mo);
		digits(s, n, &i, 2, 2, &t->d);
		return valid_date(t->y, t->mo, t->d) ? 0 : -1;
	}
	if (digits(s, n, &i, 1, 4, &a))
		return -1;
	if (i == 4 && i < n && s[i] == '-') {
		t->y = a;
		i++;
		if (digits(s, n, &i, 2, 2, &t->mo) || i >= n || s[i++] != '-' || digits(s, n, &i, 2, 2, &t->d))
			return -1;
		if (i < n && (s[i] == 'T' || s[i] == 't' || s[i] == ' ')) {
			i++;
			t->has_time = 1;
			if (digits(s, n, &i, 2, 2, &t->h) || i >= n || s[i++] != ':' ||
			    digits(s, n, &i, 2, 2, &t->mi))
				return -1;
			if (i < n && s[i] == ':') {
				i++;
				if (digits(s, n, &i, 2, 2, &t->s))
					return -1;
				if (i < n && (s[i] == '.' || s[i] == ',')) {
					size_t k = 0;
					i++;
					while (i < n && isdigit((unsigned char)s[i])) {
						if (k < 9)
							t->frac[k++] = s[i];
						i++;
					}
					if (!k)
						return -1;
				}
			}
			if (i < n && (s[i] == 'Z' || s[i] == 'z')) {
				t->has_tz = 1;
				i++;
			} else if (i < n && (s[i] == '+' || s[i] == '-')) {
				int sign = s[i++] == '-' ? -1 : 1, hh, mm = 0;
				if (digits(s, n, &i, 2, 2, &hh))
					return -1;
				if (i < n && s[i] == ':')
					i++;
				if (i < n && digits(s, n, &i, 2, 2, &mm))
					return -1;
				if (hh > 23 || mm > 59)
					return -1;
				t->has_tz = 1;
				t->tzmin = sign * (hh * 60 + mm);
			}
		}
	} else if (i <= 2 && i < n && s[i] == '/') {
		t->mo = a;
		i++;
		size_t yb;
		if (digits(s, n, &i, 1, 2, &t->d) || i >= n || s[i++] != '/')
			return -1;
		yb = i;
		if (digits(s, n, &i, 2, 4, &t->y) || (i - yb != 2 && i - yb != 4))
			return -1;
		if (i - yb == 2)
			t->y += t->y < 70 ? 2000 : 1900;
		if (i < n && s[i] == ' ') {
			while (i < n && s[i] == ' ')
				i++;
			t->has_time = 1;
			if (digits(s, n, &i, 1, 2, &t->h) || i >= n || s[i++] != ':' ||
			    digits(s, n, &i, 2, 2, &t->mi))
				return -1;
			if (i < n && s[i] == ':') {
				i++;
				if (digits(s, n, &i, 2, 2, &t->s))
					return -1;
			}
			while (i < n && s[i] == ' ')
				i++;
			if (i + 2 == n && (s[i + 1] == 'M' || s[i + 1] == 'm')) {
				int pm = s[i] == 'P' || s[i] == 'p';
				if (!pm && s[i] != 'A' && s[i] != 'a')
					return -1;
				if (t->h < 1 || t->h > 12)
					return -1;
				t->h = t->h % 12 + (pm ? 12 : 0);
				i += 2;
			}
		}
	} else {
		return -1;
	}
	if (i != n || !valid_date(t->y, t->mo, t->d) || t->h > 23 || t->mi > 59 || t->s > 59)
		return -1;
	return 0;
}

static void to_utc(struct tm_parts *t)
{
	if (!t->has_tz || !t->tzmin)
		return;
	long long secs = bf_date_from_ymd(t->y, t->mo, t->d) * 86400LL + t->h * 3600 + t->mi * 60 + t->s -
			 t->tzmin * 60LL;
	long long days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
	long long rem = secs - days * 86400;
	bf_date_to_ymd((int32_t)days, &t->y, &t->mo, &t->d);
	t->h = (int)(rem / 3600);
	t->mi = (int)(rem / 60 % 60);
	t->s = (int)(rem % 60);
	t->tzmin = 0;
}

static int when(enum bf_type ty, const char *s, size_t n, struct bf_cell *c, char *why, size_t whylen,
		const struct bf_member *m)
{
	struct tm_parts t;
	if (ty == BF_T_DATE && n == 10 && s[4] == '-' && s[7] == '-' && parse_when(s, n, &t) == 0 &&
	    !t.has_time) {
		set_text(c, s, n);        /* already canonical */
		return 0;
	}
	if (parse_when(s, n, &t))
		return refuse(why, whylen, ty == BF_T_DATE ? "not a date" : "not a date-time", m);
	if (ty == BF_T_DATETIME && !t.has_tz && n >= 19 && s[4] == '-' && s[10] == ' ' &&
	    s[16] == ':' && (n == 19 || (s[19] == '.' && n <= 29))) {
		set_text(c, s, n);        /* already "YYYY-MM-DD HH:MM:SS[.f]" */
		return 0;
	}
	bf_buf_reset(&c->own);
	if (ty == BF_T_DATE) {
		if (t.has_tz || t.h || t.mi || t.s || t.frac[0])
			return refuse(why, whylen, "a date with a time of day", m);
		bf_buf_addf(&c->own, "%04d-%02d-%02d", t.y, t.mo, t.d);
	} else {
		to_utc(&t);
		if (t.y < 1 || t.y > 9999)
			return refuse(why, whylen, "date-time out of range", m);
		bf_buf_addf(&c->own, "%04d-%02d-%02d %02d:%02d:%02d", t.y, t.mo, t.d, t.h, t.mi, t.s);
		if (t.frac[0])
			bf_buf_addf(&c->own, ".%s", t.frac);
		if (ty == BF_T_TIMESTAMPTZ)
			bf_buf_addc(&c->own, 'Z');
	}
	own_text(c);
	return 0;
}

static int vector(const char *s, size_t n, struct bf_cell *c, char *why, size_t whylen,
		  const struct bf_member *m)
{
	size_t i = 0, count = 0;
	bf_buf_reset(&c->own);
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (i >= n || s[i] != '[')
		return refuse(why, whylen, "not an array of numbers", m);
	i++;
	for (;;) {
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i < n && s[i] == ']' && count == 0) {
			i++;
			break;
		}
		size_t b = i;
		while (i < n && (isdigit((unsigned char)s[i]) || s[i] == '-' || s[i] == '+' || s[i] == '.' ||
				 s[i] == 'e' || s[i] == 'E'))
			i++;
		char tok[64];
		if (i == b || i - b >= sizeof tok || decimal(s + b, i - b, NULL))
			return refuse(why, whylen, "not an array of numbers", m);
		memcpy(tok, s + b, i - b);
		tok[i - b] = '\0';
		errno = 0;
		double d = strtod(tok, NULL);
		if (!isfinite(d) || fabs(d) > FLT_MAX)
			return refuse(why, whylen, "an array element out of float32 range", m);
		float f = (float)d;
		bf_buf_add(&c->own, &f, sizeof f);
		count++;
		while (i < n && isspace((unsigned char)s[i]))
			i++;
		if (i < n && s[i] == ',') {
			i++;
			continue;
		}
		if (i < n && s[i] == ']') {
			i++;
			break;
		}
		return refuse(why, whylen, "not an array of numbers", m);
	}
	while (i < n && isspace((unsigned char)s[i]))
		i++;
	if (i != n)
		return refuse(why, whylen, "not an array of numbers", m);
	c->kind = BF_C_VEC;
	c->v = (const float *)(void *)c->own.p;
	c->nv = count;
	return 0;
}

int bf_cast(enum bf_type ty, const struct bf_member *m, struct bf_cell *c, char *why, size_t whylen)
{
	const char *s = m->val;
	size_t n = m->len;
	c->kind = BF_C_NULL;
	if (m->kind == BF_J_NULL)
		return 0;
	if (m->kind == BF_J_STRING && !m->no_nul && memchr(s, '\0', n))
		return refuse(why, whylen, "a NUL character in text", m);
	if (ty == BF_T_STRING) {
		if (m->kind == BF_J_TRUE || m->kind == BF_J_FALSE)
			set_text(c, m->kind == BF_J_TRUE ? "true" : "false", m->kind == BF_J_TRUE ? 4 : 5);
		else
			set_text(c, s, n);
		return 0;
	}
	if (ty == BF_T_JSON) {
		if (m->kind == BF_J_STRING) {
			bf_buf_reset(&c->own);
			bf_buf_add_json_str(&c->own, s, n);
			own_text(c);
		} else {
			set_text(c, s, n);
		}
		return 0;
	}
	if (ty == BF_T_VECTOR) {
		if (m->kind != BF_J_ARRAY && m->kind != BF_J_STRING)
			return refuse(why, whylen, "not an array of numbers", m);
		if (m->kind == BF_J_STRING && n == 0)
			return 0;
		return vector(s, n, c, why, whylen, m);
	}
	if (m->kind == BF_J_ARRAY || m->kind == BF_J_OBJECT)
		return refuse(why, whylen, "not a scalar", m);
	if (m->kind == BF_J_TRUE || m->kind == BF_J_FALSE) {
		if (ty != BF_T_BOOLEAN)
			return refuse(why, whylen, "a boolean", m);
		c->kind = BF_C_INT;
		c->i = m->kind == BF_J_TRUE;
		return 0;
	}
	trim(&s, &n);
	if (n == 0)
		return 0;          /* an empty cell is null */
	switch (ty) {
	case BF_T_INTEGER: {
		int r = integer(s, n, &c->i);
		if (r == -2)
			return refuse(why, whylen, "integer out of 64-bit range", m);
		if (r)
			return refuse(why, whylen, "not an integer", m);
		c->kind = BF_C_INT;
		return 0;
	}
	case BF_T_NUMBER:
		if (decimal(s, n, c))
			return refuse(why, whylen, "not a number", m);
		return 0;
	case BF_T_BOOLEAN:
		if (boolean(s, n, &c->i))
			return refuse(why, whylen, "not a boolean", m);
		c->kind = BF_C_INT;
		return 0;
	case BF_T_DATE:
	case BF_T_DATETIME:
	case BF_T_TIMESTAMPTZ:
		return when(ty, s, n, c, why, whylen, m);
	default:
		set_text(c, s, n);
		return 0;
	}
}

void bf_vec_le_bytes(const struct bf_cell *c, struct bf_buf *out)
{
	bf_buf_reset(out);
	for (size_t i = 0; i < c->nv; i++) {
		uint32_t u;
		memcpy(&u, &c->v[i], 4);
		unsigned char b[4] = { (unsigned char)u, (unsigned char)(u >> 8), (unsigned char)(u >> 16),
				       (unsigned char)(u >> 24) };
		bf_buf_add(out, b, 4);
	}
}
