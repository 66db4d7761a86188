/* Unit tests for bf_jsonscan (reading checked JSON without a tree), printed as TAP. */
#include "proto/bf_jsonscan.h"

#include <stdlib.h>
#include <string.h>

#include "proto/bf_jsoncheck.h"
#include "tap.h"

/* The members of obj as "key=value;" with names and values as written. */
static void walk(const char *obj, struct bf_buf *out)
{
	struct bf_json_kv kv;
	bf_buf_reset(out);
	for (const char *p = bf_json_first(obj); bf_json_next(&p, obj + strlen(obj), &kv);) {
		bf_buf_add(out, kv.key, kv.keylen);
		bf_buf_adds(out, kv.key_esc ? "~=" : "=");
		bf_buf_add(out, kv.val, kv.vallen);
		bf_buf_adds(out, kv.val_esc ? "~;" : ";");
	}
}

static int span_is(const char *text, struct bf_json_span s, const char *want)
{
	if (!want)
		return s.start == 0 && s.len == 0;
	return s.len == strlen(want) && !memcmp(text + s.start, want, s.len);
}

static void test_walk(void)
{
	struct bf_buf b = BF_BUF_INIT;
	walk("{}", &b);
	is_str(b.p, "", "walk: an empty object has no member");
	walk("{ \"a\" : 1 , \"b\":\t\"x\" }", &b);
	is_str(b.p, "a=1;b=\"x\";", "walk: whitespace around names, colons and commas");
	walk("{\"o\":{\"a\":[1,{\"}\":\"]\"}],\"b\":null},\"n\":-1.5e3,\"t\":true,\"f\":false,\"z\":null}", &b);
	is_str(b.p, "o={\"a\":[1,{\"}\":\"]\"}],\"b\":null};n=-1.5e3;t=true;f=false;z=null;",
	       "walk: nested values are skipped whole, brackets in strings ignored");
	walk("{\"a\\\"b\":\"c\\\\\",\"long name of more than eight bytes\":\"v\\u00e9\"}", &b);
	is_str(b.p, "a\\\"b~=\"c\\\\\"~;long name of more than eight bytes=\"v\\u00e9\"~;",
	       "walk: escaped names and values are flagged");
	bf_buf_free(&b);
}

static void test_text(void)
{
	struct bf_buf b = BF_BUF_INIT;
	char out[64];
	int nul = 0;
	const char *in = "a\\u00e9\\n\\\"\\/\\ud83d\\ude00";
	size_t n = bf_json_unescape(in, strlen(in), out, &nul);
	ok(n == 10 && !memcmp(out, "a\xc3\xa9\n\"/\xf0\x9f\x98\x80", 10) && out[n] == 0 && !nul,
	   "unescape: \\u, \\n, \\\", \\/ and a surrogate pair as UTF-8");
	n = bf_json_unescape("x\\u0000y", 8, out, &nul);
	ok(n == 3 && out[1] == 0 && nul, "unescape: \\u0000 is a NUL, and said");

	ok(bf_json_text("\"plain\"", 7, &b) && !strcmp(b.p, "plain"), "text: a string without escapes");
	ok(bf_json_text("\"a\\tb\"", 6, &b) && !strcmp(b.p, "a\tb") && b.len == 3, "text: escapes decoded");
	ok(bf_json_text("\"a\\u0000b\"", 10, &b) && b.len == 1, "text: cut at a NUL");
	ok(bf_json_text("12.50", 5, &b) && !strcmp(b.p, "12.50"), "text: a number as written");
	ok(!bf_json_text("null", 4, &b) && b.len == 0, "text: null has none");
	ok(!bf_json_text(NULL, 0, &b), "text: an absent value has none");

	ok(bf_json_name_is("order\\u005fdetails", 18, 1, "order_details", 13), "name: escaped name = its text");
	ok(!bf_json_name_is("order\\u005fdetails", 18, 1, "order\\u005fdetails", 18),
	   "name: not compared by its raw bytes");
	ok(!bf_json_name_is("ab\\u0063", 8, 1, "abcd", 4) && !bf_json_name_is("ab\\u0063d", 9, 1, "abc", 3),
	   "name: a prefix is not the name");
	ok(bf_json_name_is("type", 4, 0, "type", 4) && !bf_json_name_is("typ", 3, 0, "type", 4),
	   "name: unescaped names by their bytes");
	bf_buf_free(&b);
}

static void test_pick(void)
{
	static const char *const keys[] = { "type", "stream", "record", NULL };
	const char *line = "{\"type\":\"RECORD\",\"str\\u0065am\":\"s\",\"record\":{\"type\":1,\"a\":[\"stream\"]},"
			   "\"type\":\"again\"}";
	struct bf_json_pick pk;
	bf_json_pick_init(&pk, keys);
	bf_json_pick(&pk, line, strlen(line));
	ok(span_is(line, pk.spans[0], "\"RECORD\"") && span_is(line, pk.spans[1], "\"s\"") &&
	   span_is(line, pk.spans[2], "{\"type\":1,\"a\":[\"stream\"]}"),
	   "pick: top-level members by name, escaped names included, nested ones not");
	ok(pk.duplicate, "pick: a second \"type\" is flagged, the first kept");

	/* the checker hands the same members to a pick while it checks */
	struct bf_jsoncheck ck = { 0 };
	struct bf_json_pick pc;
	bf_json_pick_init(&pc, keys);
	ck.pick = &pc;
	ok(bf_jsoncheck(line, strlen(line), &ck) == 0 && !memcmp(pc.spans, pk.spans, sizeof pk.spans) &&
	   pc.duplicate == pk.duplicate, "pick: the checker's pick and the scanner's agree");

	static const char *const none[] = { NULL };
	bf_json_pick_init(&pk, none);
	bf_json_pick(&pk, line, strlen(line));
	ok(span_is(line, pk.spans[0], NULL) && !pk.duplicate, "pick: no names, nothing picked");
}

static void test_members(void)
{
	const char *rec = "{\"s\":\"x\",\"e\":\"a\\u00e9\\u0000\",\"n\\u0061me\":12,\"b\":true,\"z\":null,"
			  "\"a\":[1],\"o\":{}}";
	struct bf_member *m = NULL;
	size_t cap = 0;
	struct bf_buf scratch = BF_BUF_INIT;
	long n = bf_json_members(rec, strlen(rec), &m, &cap, &scratch);
	ok(n == 7, "members: seven");
	ok(n == 7 && m[0].kind == BF_J_STRING && m[0].len == 1 && m[0].val[0] == 'x' && m[0].no_nul,
	   "members: a string's text, in place");
	ok(n == 7 && m[1].kind == BF_J_STRING && m[1].len == 4 && !memcmp(m[1].val, "a\xc3\xa9", 4) &&
	   !m[1].no_nul, "members: escapes decoded, a NUL said");
	ok(n == 7 && m[2].keylen == 4 && !memcmp(m[2].key, "name", 4) && m[2].kind == BF_J_NUMBER &&
	   m[2].len == 2 && !memcmp(m[2].val, "12", 2), "members: an escaped name decoded; a number as written");
	ok(n == 7 && m[3].kind == BF_J_TRUE && m[4].kind == BF_J_NULL && m[5].kind == BF_J_ARRAY &&
	   m[5].len == 3 && m[6].kind == BF_J_OBJECT && m[6].len == 2, "members: literals, array, object");
	ok(bf_json_members("[1]", 3, &m, &cap, &scratch) == -1, "members: not an object");
	ok(bf_json_members(" {}", 3, &m, &cap, &scratch) == 0, "members: an empty object");
	free(m);
	bf_buf_free(&scratch);
}

int main(void)
{
	test_walk();
	test_text();
	test_pick();
	test_members();
	return done_testing();
}
