/* Unit tests for bf_utf8_valid (RFC 3629). TAP. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_utf8.h"

#include "tap.h"

struct u8case { const char *name, *s; size_t len; int valid; size_t bad; };
#define V(n, s) { n, s, sizeof(s) - 1, 1, 0 }
#define X(n, s, at) { n, s, sizeof(s) - 1, 0, at }

static const struct u8case cases[] = {
	V("empty", ""),
	V("ascii", "hello, world"),
	V("two-byte", "caf\xc3\xa9"),
	V("three-byte euro", "\xe2\x82\xac"),
	V("four-byte emoji", "\xf0\x9f\x98\x80"),
	V("U+10FFFF", "\xf4\x8f\xbf\xbf"),
	V("U+D7FF (just below surrogates)", "\xed\x9f\xbf"),
	V("U+E000 (just above surrogates)", "\xee\x80\x80"),
	V("U+0800 (smallest three-byte)", "\xe0\xa0\x80"),
	V("U+10000 (smallest four-byte)", "\xf0\x90\x80\x80"),
	V("NUL is valid UTF-8", "a\0b"),
	V("long ascii then multibyte", "0123456789abcdefghijklmnopqrstuv\xc3\xa9"),
	X("lone continuation", "ab\x80", 2),
	X("overlong two-byte C0", "\xc0\xaf", 0),
	X("overlong two-byte C1", "x\xc1\xbf", 1),
	X("overlong three-byte", "\xe0\x80\xaf", 0),
	X("overlong four-byte", "\xf0\x80\x80\xaf", 0),
	X("surrogate D800", "ok\xed\xa0\x80", 2),
	X("surrogate DFFF", "\xed\xbf\xbf", 0),
	X("above U+10FFFF", "\xf4\x90\x80\x80", 0),
	X("F5 lead byte", "\xf5\x80\x80\x80", 0),
	X("FF byte", "abc\xff", 3),
	X("latin-1 e-acute", "caf\xe9", 3),
	X("truncated two-byte at end", "abc\xc3", 3),
	X("truncated three-byte at end", "\xe2\x82", 0),
	X("truncated four-byte at end", "\xf0\x9f\x98", 0),
	X("bad second byte", "\xe2\x28\xa1", 0),
	X("bad third byte", "\xe2\x82\x28", 0),
	X("bad fourth byte", "\xf0\x9f\x98\x28", 0),
	X("invalid after 8-byte ascii run", "0123456789abcdef\x80", 16),
	X("invalid after multibyte", "\xc3\xa9\xc3\xa9\xc3", 4),
};

int main(void)
{
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		const struct u8case *c = &cases[i];
		size_t bad = 12345;
		int v = bf_utf8_valid(c->s, c->len, &bad);
		if (c->valid)
			ok(v == 1, "valid: %s", c->name);
		else
			ok(v == 0 && bad == c->bad, "invalid at %zu: %s", c->bad, c->name) ||
				(diag("returned %d, bad %zu", v, bad), 0);
	}
	ok(bf_utf8_valid("\xff", 1, NULL) == 0, "bad may be NULL");
	/* the length is respected: bytes beyond it are not read */
	ok(bf_utf8_valid("ab\xff", 2, NULL) == 1, "only len bytes are checked");
	ok(bf_utf8_valid("\xc3\xa9", 1, NULL) == 0, "a sequence cut by len is invalid");

	/* every position of the 8-byte fast path */
	int allok = 1;
	for (size_t pos = 0; pos < 40; pos++) {
		char buf[48];
		memset(buf, 'a', sizeof buf);
		buf[pos] = (char)0x80;
		size_t bad = 0;
		if (bf_utf8_valid(buf, sizeof buf, &bad) || bad != pos)
			allok = 0;
	}
	ok(allok, "a bad byte is found at every offset, with its offset");

	/* exhaustive check of two-byte sequences against the definition */
	int agree = 1;
	for (unsigned a = 0x80; a < 0x100 && agree; a++)
		for (unsigned b = 0; b < 0x100; b++) {
			char s[2] = { (char)a, (char)b };
			int want = a >= 0xC2 && a <= 0xDF && b >= 0x80 && b <= 0xBF;
			if (bf_utf8_valid(s, 2, NULL) != want) {
				diag("%02x %02x", a, b);
				agree = 0;
				break;
			}
		}
	ok(agree, "every two-byte sequence is judged as RFC 3629 says");

	/* every code point encodes to something valid; surrogates to something invalid */
	int cps = 1;
	for (unsigned cp = 0x80; cp <= 0x10FFFF && cps; cp++) {
		unsigned char s[4];
		size_t n;
		if (cp < 0x800) {
			s[0] = (unsigned char)(0xC0 | cp >> 6); s[1] = (unsigned char)(0x80 | (cp & 63)); n = 2;
		} else if (cp < 0x10000) {
			s[0] = (unsigned char)(0xE0 | cp >> 12); s[1] = (unsigned char)(0x80 | (cp >> 6 & 63));
			s[2] = (unsigned char)(0x80 | (cp & 63)); n = 3;
		} else {
			s[0] = (unsigned char)(0xF0 | cp >> 18); s[1] = (unsigned char)(0x80 | (cp >> 12 & 63));
			s[2] = (unsigned char)(0x80 | (cp >> 6 & 63)); s[3] = (unsigned char)(0x80 | (cp & 63)); n = 4;
		}
		int want = !(cp >= 0xD800 && cp <= 0xDFFF);
		if (bf_utf8_valid((const char *)s, n, NULL) != want) {
			diag("U+%04X", cp);
			cps = 0;
		}
	}
	ok(cps, "every scalar value is valid, every surrogate invalid");
	return done_testing();
}
