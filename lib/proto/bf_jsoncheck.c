/* Strict RFC 8259 syntax checker: one forward pass, no recursion, no
 * allocation.  Containers are tracked on a fixed array of 512 flags. */
#include "proto/bf_jsoncheck.h"

#include <stdint.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#endif

/* Class of a byte inside a string. */
enum { SC_PLAIN = 0, SC_QUOTE, SC_BSLASH, SC_CTRL, SC_HIGH };

#define R_CTRL 3,3,3,3,3,3,3,3,3,3,3,3,3,3,3,3
#define R_PLAIN 0,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0
#define R_HIGH 4,4,4,4,4,4,4,4,4,4,4,4,4,4,4,4
static const unsigned char str_cls[256] = {
	R_CTRL, R_CTRL,                                 /* 0x00-0x1F */
	0, 0, SC_QUOTE, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,  /* 0x20-0x2F */
	R_PLAIN, R_PLAIN,                               /* 0x30-0x4F */
	0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, SC_BSLASH, 0, 0, 0, /* 0x50-0x5F */
	R_PLAIN, R_PLAIN,                               /* 0x60-0x7F */
	R_HIGH, R_HIGH, R_HIGH, R_HIGH,                 /* 0x80-0xBF */
	R_HIGH, R_HIGH, R_HIGH, R_HIGH,                 /* 0xC0-0xFF */
};
#undef R_CTRL
#undef R_PLAIN
#undef R_HIGH

#define ONES  0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL

/* Nonzero iff one of the 8 bytes of w is '"', '\\', < 0x20 or >= 0x80.
   The lowest flagged byte is exactly the first such byte: the subtractions
   only borrow out of a byte that is itself flagged. */
static inline uint64_t str_special(uint64_t w)
{
	uint64_t q = w ^ (ONES * '"');
	uint64_t b = w ^ (ONES * '\\');
	return (((q - ONES) & ~q) | ((b - ONES) & ~b) | (w - ONES * 0x20) | w)
		   & HIGHS;
}

#if defined(__GNUC__) && defined(__BYTE_ORDER__) && \
	__BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
#define FIRST_FLAGGED(m) ((size_t)__builtin_ctzll(m) >> 3)
#endif

/* JSON whitespace: tab, LF, CR, space. */
static inline int is_ws(unsigned c)
{
	return c <= ' ' && ((0x100002600ULL >> c) & 1);
}

static inline size_t skip_ws(const unsigned char *s, size_t p, size_t len)
{
	while (p < len && is_ws(s[p]))
		p++;
	return p;
}

static inline int is_digit(unsigned c)
{
	return c - '0' < 10u;
}

/* Offset of the first non-digit at or after p. */
static inline size_t skip_digits(const unsigned char *s, size_t p, size_t len)
{
#ifdef FIRST_FLAGGED
	/* A byte is flagged unless it is '0'..'9'; no carry or borrow leaves a
	   digit, so the lowest flagged byte is the first non-digit. */
	while (p + 8 <= len) {
		uint64_t w;
		memcpy(&w, s + p, 8);
		uint64_t m = ((w + ONES * 0x46) | (w - ONES * 0x30)) & HIGHS;
		if (m)
			return p + FIRST_FLAGGED(m);
		p += 8;
	}
#endif
	while (p < len && is_digit(s[p]))
		p++;
	return p;
}

static int hexval(unsigned c)
{
	if (c - '0' < 10u)
		return (int)(c - '0');
	c |= 0x20;
	if (c - 'a' < 6u)
		return (int)(c - 'a' + 10);
	return -1;
}

#define HEX_BAD -1
#define HEX_EOF -2
/* Value of the 4 hex digits at s[p..p+4), HEX_BAD if a present byte is not
   a hex digit, HEX_EOF if the input ends first. */
static long hex4(const unsigned char *s, size_t p, size_t len)
{
	long v = 0;
	for (int i = 0; i < 4; i++) {
		if (p + (size_t)i >= len)
			return HEX_EOF;
		int h = hexval(s[p + (size_t)i]);
		if (h < 0)
			return HEX_BAD;
		v = v << 4 | h;
	}
	return v;
}

#define SCAN_FAIL ((size_t)-1)

static size_t fail_at(struct bf_jsoncheck *ck, size_t off, const char *msg)
{
	ck->err_offset = off;
	ck->err_msg = msg;
	return SCAN_FAIL;
}

/* One UTF-8 sequence with lead byte s[p] >= 0x80 (RFC 3629 table).
   Returns the offset after it. */
static size_t scan_utf8(const unsigned char *s, size_t p, size_t len,
			struct bf_jsoncheck *ck)
{
	unsigned c = s[p];
	unsigned lo = 0x80, hi = 0xBF;
	size_t n;

	if (c < 0xC2 || c > 0xF4)
		return fail_at(ck, p, "invalid UTF-8");
	if (c < 0xE0) {
		n = 1;
	} else if (c < 0xF0) {
		n = 2;
		if (c == 0xE0)
			lo = 0xA0;          /* overlong */
		else if (c == 0xED)
			hi = 0x9F;          /* UTF-16 surrogates */
	} else {
		n = 3;
		if (c == 0xF0)
			lo = 0x90;          /* overlong */
		else if (c == 0xF4)
			hi = 0x8F;          /* above U+10FFFF */
	}
	if (p + 1 >= len)
		return fail_at(ck, len, "unexpected end of input");
	if (s[p + 1] < lo || s[p + 1] > hi)
		return fail_at(ck, p + 1, "invalid UTF-8");
	for (size_t i = 2; i <= n; i++) {
		if (p + i >= len)
			return fail_at(ck, len, "unexpected end of input");
		if ((s[p + i] & 0xC0) != 0x80)
			return fail_at(ck, p + i, "invalid UTF-8");
	}
	return p + n + 1;
}

/* The escape starting with the backslash at s[p].  Returns the offset after
   it (after both halves of a surrogate pair). */
static size_t scan_escape(const unsigned char *s, size_t p, size_t len,
			  struct bf_jsoncheck *ck)
{
	if (p + 1 >= len)
		return fail_at(ck, len, "unexpected end of input");
	switch (s[p + 1]) {
	case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r':
	case 't':
		return p + 2;
	case 'u':
		break;
	default:
		return fail_at(ck, p, "invalid escape");
	}
	long cp = hex4(s, p + 2, len);
	if (cp == HEX_EOF)
		return fail_at(ck, len, "unexpected end of input");
	if (cp == HEX_BAD)
		return fail_at(ck, p, "invalid \\u escape");
	if (cp >= 0xDC00 && cp <= 0xDFFF)
		return fail_at(ck, p, "unpaired surrogate");
	if (cp < 0xD800 || cp > 0xDBFF)
		return p + 6;
	/* High surrogate: a \u escape of a low surrogate must follow. */
	if (p + 6 >= len)
		return fail_at(ck, len, "unexpected end of input");
	if (s[p + 6] != '\\')
		return fail_at(ck, p, "unpaired surrogate");
	if (p + 7 >= len)
		return fail_at(ck, len, "unexpected end of input");
	if (s[p + 7] != 'u')
		return fail_at(ck, p, "unpaired surrogate");
	long lo = hex4(s, p + 8, len);
	if (lo == HEX_EOF)
		return fail_at(ck, len, "unexpected end of input");
	if (lo == HEX_BAD)
		return fail_at(ck, p + 6, "invalid \\u escape");
	if (lo < 0xDC00 || lo > 0xDFFF)
		return fail_at(ck, p, "unpaired surrogate");
	return p + 12;
}

/* The string whose opening quote is s[p].  Returns the offset after the
   closing quote; *escaped is set if it contains a backslash. */
static inline size_t scan_string(const unsigned char *s, size_t p, size_t len,
				 struct bf_jsoncheck *ck, int *escaped)
{
	p++;
	for (;;) {
#if defined(__SSE2__) && defined(FIRST_FLAGGED)
		/* Fast path: skip plain ASCII 16 bytes at a time.  The signed
		   compare flags bytes < 0x20 and >= 0x80 at once. */
		while (p + 16 <= len) {
			__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + p));
			__m128i x = _mm_or_si128(
			    _mm_or_si128(_mm_cmpeq_epi8(v, _mm_set1_epi8('"')),
					 _mm_cmpeq_epi8(v, _mm_set1_epi8('\\'))),
			    _mm_cmplt_epi8(v, _mm_set1_epi8(0x20)));
			unsigned m = (unsigned)_mm_movemask_epi8(x);
			if (m) {
				p += (size_t)__builtin_ctz(m);
				goto special;
			}
			p += 16;
		}
#endif
		/* Skip plain ASCII 8 bytes at a time. */
		while (p + 8 <= len) {
			uint64_t w;
			memcpy(&w, s + p, 8);
			uint64_t m = str_special(w);
			if (m) {
#ifdef FIRST_FLAGGED
				p += FIRST_FLAGGED(m);
				goto special;
#else
				break;
#endif
			}
			p += 8;
		}
		while (p < len && str_cls[s[p]] == SC_PLAIN)
			p++;
		if (p >= len)
			return fail_at(ck, len, "unexpected end of input");
#ifdef FIRST_FLAGGED
special:
#endif
		switch (str_cls[s[p]]) {
		case SC_QUOTE:
			return p + 1;
		case SC_BSLASH:
			*escaped = 1;
			p = scan_escape(s, p, len, ck);
			break;
		case SC_CTRL:
			return fail_at(ck, p, "control character in string");
		default:
			p = scan_utf8(s, p, len, ck);
			break;
		}
		if (p == SCAN_FAIL)
			return p;
	}
}

/* The number starting at s[p] ('-' or a digit). */
static inline size_t scan_number(const unsigned char *s, size_t p, size_t len,
				 struct bf_jsoncheck *ck)
{
	if (s[p] == '-')
		p++;
	if (p >= len)
		return fail_at(ck, len, "unexpected end of input");
	if (s[p] == '0') {
		p++;
		if (p < len && is_digit(s[p]))
			return fail_at(ck, p, "leading zero in number");
	} else if (is_digit(s[p])) {
		p = skip_digits(s, p + 1, len);
	} else {
		return fail_at(ck, p, "expected digit in number");
	}
	if (p < len && s[p] == '.') {
		p++;
		if (p >= len)
			return fail_at(ck, len, "unexpected end of input");
		if (!is_digit(s[p]))
			return fail_at(ck, p, "expected digit in number");
		p = skip_digits(s, p + 1, len);
	}
	if (p < len && (s[p] | 0x20) == 'e') {
		p++;
		if (p < len && (s[p] == '+' || s[p] == '-'))
			p++;
		if (p >= len)
			return fail_at(ck, len, "unexpected end of input");
		if (!is_digit(s[p]))
			return fail_at(ck, p, "expected digit in number");
		p = skip_digits(s, p + 1, len);
	}
	return p;
}

/* The literal true, false or null whose first byte is s[p]. */
static size_t scan_literal(const unsigned char *s, size_t p, size_t len,
			   struct bf_jsoncheck *ck)
{
	const char *lit = s[p] == 't' ? "true" : s[p] == 'f' ? "false" : "null";
	size_t n = strlen(lit);
	for (size_t i = 1; i < n; i++) {
		if (p + i >= len)
			return fail_at(ck, len, "unexpected end of input");
		if (s[p + i] != (unsigned char)lit[i])
			return fail_at(ck, p + i, "invalid literal");
	}
	return p + n;
}

int bf_jsoncheck(const char *buf, size_t len, struct bf_jsoncheck *ck)
{
	const unsigned char *s = (const unsigned char *)buf;
	unsigned char stack[BF_JSONCHECK_MAX_DEPTH];   /* 1: object, 0: array */
	size_t depth = 0, p, kstart, mkey = 0, mklen = 0, vstart = 0;
	int offer = 0, kesc = 0, in_obj = 0, escaped;

	ck->err_offset = 0;
	ck->err_msg = NULL;
	ck->top_is_object = 0;

	if (len >= 3 && s[0] == 0xEF && s[1] == 0xBB && s[2] == 0xBF)
		goto fail_bom;
	p = skip_ws(s, 0, len);
	ck->top_is_object = p < len && s[p] == '{';

value:      /* expect a value at s[p] (whitespace allowed) */
	p = skip_ws(s, p, len);
	if (p >= len)
		goto fail_eof;
	switch (s[p]) {
	case '{':
	case '[':
		if (depth == BF_JSONCHECK_MAX_DEPTH) {
			fail_at(ck, p, "nesting too deep");
			goto fail;
		}
		in_obj = s[p] == '{';
		stack[depth++] = (unsigned char)in_obj;
		p = skip_ws(s, p + 1, len);
		if (p >= len)
			goto fail_eof;
		if (s[p] == (in_obj ? '}' : ']')) {
			p++;
			goto closed;
		}
		if (in_obj)
			goto key;
		goto value;
	case '"':
		escaped = 0;
		p = scan_string(s, p, len, ck, &escaped);
		break;
	case '-': case '0': case '1': case '2': case '3': case '4': case '5':
	case '6': case '7': case '8': case '9':
		p = scan_number(s, p, len, ck);
		break;
	case 't': case 'f': case 'n':
		p = scan_literal(s, p, len, ck);
		break;
	default:
		fail_at(ck, p, "unexpected character");
		goto fail;
	}
	if (p == SCAN_FAIL)
		goto fail;
	goto after;

closed:     /* s[p-1] closed the innermost container */
	depth--;
	in_obj = depth && stack[depth - 1];

after:      /* a value ended just before s[p] */
	if (offer && depth == 1) {
		struct bf_json_kv kv = { buf + mkey, mklen, kesc, buf + vstart, p - vstart, 0 };
		bf_json_pick_offer(ck->pick, buf, &kv);
		offer = 0;
	}
	if (depth == 0)
		goto done;
	p = skip_ws(s, p, len);
	if (p >= len)
		goto fail_eof;
	if (s[p] == ',') {
		p = skip_ws(s, p + 1, len);
		if (p >= len)
			goto fail_eof;
		if (s[p] == (in_obj ? '}' : ']')) {
			fail_at(ck, p, "trailing comma");
			goto fail;
		}
		if (in_obj)
			goto key;
		goto value;
	}
	if (s[p] == (in_obj ? '}' : ']')) {
		p++;
		goto closed;
	}
	fail_at(ck, p, in_obj ? "expected ',' or '}'" : "expected ',' or ']'");
	goto fail;

key:        /* expect a member name at s[p] (no whitespace) */
	if (s[p] != '"') {
		fail_at(ck, p, "expected string key");
		goto fail;
	}
	kstart = p + 1;
	escaped = 0;
	p = scan_string(s, p, len, ck, &escaped);
	if (p == SCAN_FAIL)
		goto fail;
	if (depth == 1 && ck->pick) {
		mkey = kstart;
		mklen = p - 1 - kstart;
		kesc = escaped;
		offer = 1;
	}
	p = skip_ws(s, p, len);
	if (p >= len)
		goto fail_eof;
	if (s[p] != ':') {
		fail_at(ck, p, "expected ':'");
		goto fail;
	}
	p = skip_ws(s, p + 1, len);
	if (depth == 1)
		vstart = p;
	goto value;

done:
	p = skip_ws(s, p, len);
	if (p != len) {
		fail_at(ck, p, "trailing characters after JSON value");
		goto fail;
	}
	return 0;

fail_bom:
	fail_at(ck, 0, "byte order mark");
	goto fail;
fail_eof:
	fail_at(ck, len, "unexpected end of input");
fail:
	return -1;
}
