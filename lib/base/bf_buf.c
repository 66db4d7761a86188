#include "base/bf_buf.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_log.h"

static void oom(size_t n)
{
	fprintf(stderr, "%s: out of memory allocating %zu bytes\n", bf_prog(), n);
	abort();
}

void *bf_xmalloc(size_t n)
{
	void *p = malloc(n ? n : 1);
	if (!p)
		oom(n);
	return p;
}

void *bf_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		oom(n * size);
	return p;
}

void *bf_xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		oom(n);
	return q;
}

char *bf_xstrdup(const char *s)
{
	return bf_xstrndup(s, strlen(s));
}

char *bf_xstrndup(const char *s, size_t n)
{
	char *p = bf_xmalloc(n + 1);
	memcpy(p, s, n);
	p[n] = '\0';
	return p;
}

/* What every empty buffer points at; nothing ever writes into it. */
char bf_buf_slop[1];

void bf_buf_init(struct bf_buf *b)
{
	b->p = bf_buf_slop;
	b->len = b->cap = 0;
}

struct bf_buf *bf_buf_array(size_t n)
{
	struct bf_buf *a = bf_xmalloc((n ? n : 1) * sizeof *a);
	for (size_t i = 0; i < n; i++)
		bf_buf_init(&a[i]);
	return a;
}

void bf_buf_free(struct bf_buf *b)
{
	if (b->cap)
		free(b->p);
	bf_buf_init(b);
}

char *bf_buf_detach(struct bf_buf *b)
{
	char *p = b->cap ? b->p : bf_xstrdup("");
	bf_buf_init(b);
	return p;
}

void bf_buf_grow(struct bf_buf *b, size_t extra)
{
	size_t need = b->len + extra + 1;
	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 64;
	while (cap < need)
		cap *= 2;
	b->p = bf_xrealloc(b->cap ? b->p : NULL, cap);
	if (!b->cap)
		b->p[0] = '\0';
	b->cap = cap;
}

void bf_buf_add(struct bf_buf *b, const void *data, size_t len)
{
	bf_buf_grow(b, len);
	if (len)
		memcpy(b->p + b->len, data, len);
	b->len += len;
	b->p[b->len] = '\0';
}

void bf_buf_adds(struct bf_buf *b, const char *s)
{
	bf_buf_add(b, s, strlen(s));
}

void bf_buf_addc(struct bf_buf *b, char c)
{
	bf_buf_grow(b, 1);
	b->p[b->len++] = c;
	b->p[b->len] = '\0';
}

void bf_buf_addf(struct bf_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n <= 0)
		return;
	bf_buf_grow(b, (size_t)n);
	va_start(ap, fmt);
	vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t)n;
}

void bf_buf_addu(struct bf_buf *b, unsigned long long v)
{
	char tmp[24];
	size_t i = sizeof tmp;
	do {
		tmp[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v);
	bf_buf_add(b, tmp + i, sizeof tmp - i);
}

void bf_buf_truncate(struct bf_buf *b, size_t len)
{
	if (len < b->len) {
		b->len = len;
		b->p[len] = '\0';
	}
}

/* 1 for bytes that need escaping inside a JSON string. */
static const unsigned char json_esc[256] = {
	1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1, 1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,1,
	0,0,1,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,
	0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0, 0,0,0,0,0,0,0,0,0,0,0,0,1,0,0,0,
};

/* Nonzero when one of the 8 bytes of w is '"', '\\' or below 0x20 (may over-report
 * after a true hit: callers then look at the bytes one by one). */
static inline uint64_t json_special(uint64_t w)
{
	const uint64_t ones = 0x0101010101010101ull, high = 0x8080808080808080ull;
	uint64_t q = w ^ (ones * '"'), b = w ^ (ones * '\\');
	return (((w - ones * 0x20) & ~w) | ((q - ones) & ~q) | ((b - ones) & ~b)) & high;
}

char *bf_json_str_put(char *o, const char *s, size_t len)
{
	static const char hex[] = "0123456789abcdef";
	const unsigned char *u = (const unsigned char *)s;
	size_t i = 0;
	*o++ = '"';
	while (i < len) {
		if (i + 8 <= len) {
			uint64_t w;
			memcpy(&w, s + i, 8);
			if (!json_special(w)) {
				memcpy(o, s + i, 8);
				o += 8;
				i += 8;
				continue;
			}
		}
		size_t stop = i + 8 < len ? i + 8 : len;
		for (; i < stop; i++) {
			unsigned char c = u[i];
			if (!json_esc[c]) {
				*o++ = (char)c;
				continue;
			}
			*o++ = '\\';
			switch (c) {
			case '"': *o++ = '"'; break;
			case '\\': *o++ = '\\'; break;
			case '\n': *o++ = 'n'; break;
			case '\r': *o++ = 'r'; break;
			case '\t': *o++ = 't'; break;
			case '\b': *o++ = 'b'; break;
			case '\f': *o++ = 'f'; break;
			default:
				*o++ = 'u'; *o++ = '0'; *o++ = '0';
				*o++ = hex[c >> 4]; *o++ = hex[c & 15];
			}
		}
	}
	*o++ = '"';
	return o;
}

void bf_buf_add_json_str(struct bf_buf *b, const char *s, size_t len)
{
	/* worst case: every byte becomes \u00XX */
	bf_buf_grow(b, len * 6 + 2);
	char *o = bf_json_str_put(b->p + b->len, s, len);
	b->len = (size_t)(o - b->p);
	b->p[b->len] = '\0';
}
