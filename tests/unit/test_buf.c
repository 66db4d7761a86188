/* Unit tests for bf_buf: growth, formatting, detaching and JSON string escaping. TAP. */
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"

#include "tap.h"

/* Escapes s and checks that a JSON parser reads back exactly the same bytes. */
static void roundtrip(const char *s, size_t len, const char *what)
{
	struct bf_buf b = BF_BUF_INIT;
	bf_buf_add_json_str(&b, s, len);
	cJSON *v = cJSON_ParseWithLength(b.p, b.len);
	ok(v && cJSON_IsString(v) && strlen(v->valuestring) == len &&
	   memcmp(v->valuestring, s, len) == 0, "json escaping round-trips: %s", what);
	cJSON_Delete(v);
	bf_buf_free(&b);
}

int main(void)
{
	struct bf_buf b = BF_BUF_INIT, i2;

	ok(b.p && b.p[0] == '\0' && b.len == 0, "an empty buffer is a string, not NULL");
	bf_buf_init(&i2);
	ok(i2.p == b.p && i2.cap == 0, "bf_buf_init and BF_BUF_INIT share the one empty string");
	bf_buf_reset(&b);
	ok(b.len == 0 && b.p[0] == '\0', "reset of an empty buffer is harmless");
	bf_buf_adds(&b, "");
	ok(b.p && b.p[0] == '\0' && b.len == 0, "adding nothing still gives a NUL-terminated string");
	bf_buf_adds(&b, "abc");
	bf_buf_addc(&b, '-');
	bf_buf_add(&b, "xyz", 2);
	is_str(b.p, "abc-xy", "adds, addc, add");
	bf_buf_addf(&b, "[%d:%s]", 42, "q");
	is_str(b.p, "abc-xy[42:q]", "addf appends formatted text");
	bf_buf_reset(&b);
	bf_buf_addu(&b, 0);
	bf_buf_addc(&b, ' ');
	bf_buf_addu(&b, 18446744073709551615ull);
	is_str(b.p, "0 18446744073709551615", "addu prints 0 and the largest value");

	/* growth keeps the content and the terminator */
	bf_buf_reset(&b);
	for (int i = 0; i < 100000; i++)
		bf_buf_addc(&b, (char)('a' + i % 26));
	int same = b.len == 100000 && b.p[100000] == '\0' && b.cap > b.len;
	for (int i = 0; i < 100000 && same; i++)
		same = b.p[i] == (char)('a' + i % 26);
	ok(same, "100000 single-byte appends keep every byte, NUL-terminated");
	bf_buf_truncate(&b, 3);
	is_str(b.p, "abc", "truncate shortens and terminates");
	bf_buf_truncate(&b, 10);
	is_int(b.len, 3, "truncate never lengthens");
	char *d = bf_buf_detach(&b);
	is_str(d, "abc", "detach hands over the bytes");
	ok(b.p && b.p[0] == '\0' && b.len == 0 && b.cap == 0, "detach leaves an empty buffer, still a string");
	free(d);
	d = bf_buf_detach(&b);
	ok(d && d[0] == '\0', "detach of an empty buffer gives an empty string");
	free(d);
	bf_buf_free(&b);
	bf_buf_free(&b);
	ok(b.p && b.p[0] == '\0' && b.cap == 0, "free twice is harmless and leaves an empty string");
	bf_buf_addf(&b, "%s", "");
	ok(b.p && b.p[0] == '\0' && b.len == 0, "formatting nothing keeps the empty string");

	/* JSON strings */
	bf_buf_add_json_str(&b, "a\"b\\c\nd\re\tf\bg\fh\x01i\x1f", 18);
	is_str(b.p, "\"a\\\"b\\\\c\\nd\\re\\tf\\bg\\fh\\u0001i\\u001f\"", "json escapes quote, backslash, controls");
	bf_buf_reset(&b);
	bf_buf_add_json_str(&b, "", 0);
	is_str(b.p, "\"\"", "empty json string");
	bf_buf_reset(&b);
	bf_buf_add_json_str(&b, "a\0b", 3);
	is_str(b.p, "\"a\\u0000b\"", "an embedded NUL is escaped, not a terminator");
	bf_buf_reset(&b);
	bf_buf_add_json_str(&b, "caf\xc3\xa9 \xe2\x82\xac /", 11);
	is_str(b.p, "\"caf\xc3\xa9 \xe2\x82\xac /\"", "UTF-8 and '/' are kept as they are");
	bf_buf_free(&b);

	char all[128];
	for (int i = 1; i < 128; i++)
		all[i - 1] = (char)i;
	roundtrip(all, 127, "every ASCII byte but NUL (cJSON strings end at NUL)");
	char big[70000];
	for (size_t i = 0; i < sizeof big; i++)
		big[i] = "\"\\\n\x01x"[i % 5];
	roundtrip(big, sizeof big, "70000 bytes, mostly escaped (worst-case growth)");

	/* appending after escaping into a nearly full buffer */
	bf_buf_init(&b);
	bf_buf_grow(&b, 10);
	size_t cap = b.cap;
	bf_buf_add(&b, "0123456789", cap > 10 ? 10 : cap);
	bf_buf_add_json_str(&b, "\x01\x01\x01", 3);
	bf_buf_adds(&b, "!");
	ok(b.len == 10 + 20 + 1 && strcmp(b.p + 10, "\"\\u0001\\u0001\\u0001\"!") == 0,
	   "escaping grows a full buffer correctly");
	bf_buf_free(&b);

	char *s = bf_xstrndup("hello", 3);
	is_str(s, "hel", "xstrndup cuts");
	free(s);
	return done_testing();
}
