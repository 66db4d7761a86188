/* Unit tests for bf_msg: the line reader (limits, truncated last line, CRLF, blank lines),
 * every protocol error with its line number, and bf_out's reporting of write failures. TAP. */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_exit.h"
#include "proto/bf_msg.h"

#include "tap.h"

/* A descriptor that reads back data (a temporary file). */
static int fd_of(const void *data, size_t len)
{
	FILE *f = tmpfile();
	fwrite(data, 1, len, f);
	fflush(f);
	int fd = dup(fileno(f));
	fclose(f);
	lseek(fd, 0, SEEK_SET);
	return fd;
}

/* A before_wait hook: counts its calls, then finishes the line and closes the pipe, or
 * fails with its code. */
struct waiter {
	int calls, wfd, code;
};

static int on_wait(void *ctx, struct bf_err *err)
{
	struct waiter *w = ctx;
	w->calls++;
	if (w->code)
		return bf_fail(err, w->code, "hook", "refused");
	if (write(w->wfd, "o\n", 2) != 2)
		return bf_fail(err, BF_EIO, "hook", "write");
	close(w->wfd);
	return 0;
}

/* Reads every line; returns them joined by '|' and the final code in *rc. */
static char *lines(const char *in, size_t max, int *rc, struct bf_err *err, long *lineno)
{
	int fd = fd_of(in, strlen(in));
	struct bf_lines r;
	struct bf_buf out = BF_BUF_INIT;
	char *l;
	size_t n;
	bf_lines_init(&r, fd, "stdin", max);
	while ((*rc = bf_lines_next(&r, &l, &n, err)) == 1) {
		if (out.len)
			bf_buf_addc(&out, '|');
		bf_buf_addf(&out, "%ld:", r.lineno);
		bf_buf_add(&out, l, n);
		if (l[n] != '\0')
			bf_buf_adds(&out, "<not terminated>");
	}
	*lineno = r.lineno;
	bf_lines_free(&r);
	close(fd);
	bf_buf_adds(&out, "");
	return bf_buf_detach(&out);
}

/* Parses one line; returns the code, err filled. */
static int parse(const char *s, long lineno, int tree, struct bf_msg *m, struct bf_err *err)
{
	static char buf[4096];
	size_t n = strlen(s);
	memcpy(buf, s, n + 1);
	memset(err, 0, sizeof *err);
	return bf_msg_parse(buf, n, lineno, "stdin", tree, m, err);
}

static void bad(const char *s, const char *want_msg)
{
	struct bf_msg m;
	struct bf_err err;
	int rc = parse(s, 42, 1, &m, &err);
	ok(rc == BF_EDATA && strstr(err.msg, "stdin: line 42: ") == err.msg && strstr(err.msg, want_msg),
	   "refused (%s): %s", want_msg, s) || (diag("rc %d, message: %s", rc, err.msg), 0);
	bf_msg_clear(&m);
}

int main(void)
{
	int rc;
	long ln;
	struct bf_err err = { 0 };
	char *got;

	got = lines("a\nb\r\n\n\r\nc\n", 0, &rc, &err, &ln);
	is_str(got, "1:a|2:b|5:c", "lines: CR of CRLF dropped, empty lines skipped but counted");
	ok(rc == 0, "then end of input (0)");
	free(got);

	got = lines("", 0, &rc, &err, &ln);
	ok(rc == 0 && !strcmp(got, ""), "empty input: no lines");
	free(got);

	got = lines("a\nb\n{\"trunc", 0, &rc, &err, &ln);
	ok(!strcmp(got, "1:a|2:b") && rc == BF_EDATA && strstr(err.msg, "stdin: line 3: truncated"),
	   "a last line without a newline is an error naming line 3 (%s)", err.msg);
	free(got);

	got = lines("12345678\n123456789\nx\n", 8, &rc, &err, &ln);
	ok(!strcmp(got, "1:12345678") && rc == BF_EDATA && strstr(err.msg, "line 2: longer than 8 bytes"),
	   "a line one byte over the limit is an error with its number (%s)", err.msg);
	free(got);

	{
		/* an over-long line is refused without reading it all into memory */
		size_t big = 3u << 20;
		char *s = malloc(big + 3);
		memset(s, 'x', big);
		strcpy(s + big, "\n");
		got = lines(s, 1u << 20, &rc, &err, &ln);
		ok(rc == BF_EDATA && strstr(err.msg, "line 1: longer than 1048576 bytes"),
		   "a 3 MiB line with a 1 MiB limit (%s)", err.msg);
		free(got);
		s[big] = '\0';
		got = lines(s, 1u << 20, &rc, &err, &ln);
		ok(rc == BF_EDATA && strstr(err.msg, "line 1: longer than"),
		   "an over-long last line without newline is over-long, not truncated (%s)", err.msg);
		free(got);
		/* lines around the read-buffer size boundaries */
		struct bf_buf in = BF_BUF_INIT;
		size_t sizes[] = { 1, 262143, 262144, 262145, 1048575, 5, 2000000 };
		for (size_t i = 0; i < 7; i++) {
			for (size_t k = 0; k < sizes[i]; k++)
				bf_buf_addc(&in, (char)('a' + (i + k) % 26));
			bf_buf_addc(&in, '\n');
		}
		int fd = fd_of(in.p, in.len);
		struct bf_lines r;
		char *l;
		size_t n;
		int allok = 1;
		bf_lines_init(&r, fd, "stdin", 0);
		for (size_t i = 0; i < 7; i++) {
			if (bf_lines_next(&r, &l, &n, &err) != 1 || n != sizes[i] || l[0] != (char)('a' + i % 26) ||
			    l[n - 1] != (char)('a' + (i + n - 1) % 26))
				allok = 0;
		}
		ok(allok && bf_lines_next(&r, &l, &n, &err) == 0, "long lines across buffer boundaries come back whole");
		bf_lines_free(&r);
		close(fd);
		bf_buf_free(&in);
		free(s);
	}

	{
		/* before_wait: called only when a read would wait, and its error stops the reader */
		int p[2];
		struct bf_lines r;
		char *l;
		size_t n;
		if (pipe(p) || write(p[1], "one\ntw", 6) != 6)
			return 1;
		struct waiter w = { 0, p[1], 0 };
		bf_lines_init(&r, p[0], "stdin", 0);
		r.before_wait = on_wait;
		r.wait_ctx = &w;
		rc = bf_lines_next(&r, &l, &n, &err);
		ok(rc == 1 && !strcmp(l, "one") && w.calls == 0, "before_wait: not called while input is ready");
		rc = bf_lines_next(&r, &l, &n, &err);
		ok(rc == 1 && !strcmp(l, "two") && w.calls == 1, "before_wait: called once before a read that would wait");
		rc = bf_lines_next(&r, &l, &n, &err);
		ok(rc == 0 && w.calls == 1, "before_wait: not called at end of input");
		bf_lines_free(&r);
		close(p[0]);
		if (pipe(p))
			return 1;
		struct waiter f = { 0, p[1], BF_EUNAVAIL };
		bf_lines_init(&r, p[0], "stdin", 0);
		r.before_wait = on_wait;
		r.wait_ctx = &f;
		rc = bf_lines_next(&r, &l, &n, &err);
		ok(rc == BF_EUNAVAIL && f.calls == 1 && strstr(err.msg, "refused"),
		   "before_wait: its error is the reader's (%s)", err.msg);
		bf_lines_free(&r);
		close(p[0]);
		close(p[1]);
	}

	/* messages */
	struct bf_msg m;
	ok(parse("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"a\":\"1\"}}", 1, 1, &m, &err) == 0 &&
	   m.type == BF_MSG_RECORD && !strcmp(m.stream, "s") && cJSON_IsObject(m.record),
	   "a RECORD with its tree");
	bf_msg_clear(&m);
	ok(parse("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{}}", 1, 0, &m, &err) == 0 && !m.root &&
	   m.record_span.len == 2, "a RECORD without a tree has spans");
	ok(bf_msg_tree(&m, "stdin", &err) == 0 && cJSON_IsObject(m.record), "and its tree on demand");
	bf_msg_clear(&m);
	ok(parse("{\"type\":\"SCHEMA\",\"stream\":\"s\",\"schema\":{},\"key_properties\":[\"a\"]}", 1, 1, &m, &err) == 0 &&
	   m.type == BF_MSG_SCHEMA && cJSON_IsArray(m.key_properties), "a SCHEMA");
	bf_msg_clear(&m);
	ok(parse("{\"type\":\"STATE\",\"value\":{\"bf\":{\"date\":\"2024-04-04\"}}}", 1, 1, &m, &err) == 0 &&
	   m.type == BF_MSG_STATE && bf_msg_state_bf(&m), "a STATE with a bf value");
	bf_msg_clear(&m);
	ok(parse("{\"type\":\"STATE\",\"value\":{\"bookmarks\":{}}}", 1, 1, &m, &err) == 0 && !bf_msg_state_bf(&m),
	   "a foreign STATE has no bf value");
	bf_msg_clear(&m);
	ok(parse("{\"type\":\"ACTIVATE_VERSION\",\"stream\":\"s\",\"version\":1}", 1, 1, &m, &err) == 0 &&
	   m.type == BF_MSG_OTHER && !strcmp(m.type_name, "ACTIVATE_VERSION"), "an unknown type is OTHER, with its name");
	bf_msg_clear(&m);
	ok(parse("  {\"type\":\"STATE\",\"value\":1}\t", 1, 0, &m, &err) == 0, "whitespace around the object");
	bf_msg_clear(&m);

	/* names written with escapes mean their text */
	struct bf_buf sn = BF_BUF_INIT;
	ok(parse("{\"type\":\"RECORD\",\"stream\":\"order\\u005fdetails\",\"record\":{}}", 1, 0, &m, &err) == 0 &&
	   !strcmp(bf_msg_stream_name(&m, &sn), "order_details"), "the stream name of a RECORD, without a tree, decoded");
	ok(bf_msg_tree(&m, "stdin", &err) == 0 && !strcmp(m.stream, bf_msg_stream_name(&m, &sn)),
	   "the same as its tree says");
	bf_msg_clear(&m);
	ok(parse("{\"type\":\"SCHEMA\",\"stream\":\"a\\u0000b\",\"schema\":{}}", 1, 1, &m, &err) == 0 &&
	   !strcmp(bf_msg_stream_name(&m, &sn), "a") && sn.len == 1 && !strcmp(m.stream, "a"),
	   "a stream name holding a NUL is cut there, as in the tree");
	bf_msg_clear(&m);
	ok(parse("{\"typ\\u0065\":\"RECO\\u0052D\",\"str\\u0065am\":\"s\",\"record\":{}}", 1, 0, &m, &err) == 0 &&
	   m.type == BF_MSG_RECORD && !strcmp(bf_msg_stream_name(&m, &sn), "s"),
	   "member names and the type written with escapes");
	bf_msg_clear(&m);
	bf_buf_free(&sn);

	bad("not json", "invalid JSON at byte 2: invalid literal");
	bad("hello", "invalid JSON at byte 1: unexpected character");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"a\":01}}", "leading zero");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"a\":2.}}", "invalid JSON");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"a\":\"\\x\"}}", "invalid escape");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"a\":\"\x01\"}}", "control character");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"a\":\"\xff\"}}", "invalid UTF-8");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"a\":1,}}", "trailing comma");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{}} x", "trailing characters");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{}}{}", "trailing characters");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"a\":\"\\ud800\"}}", "surrogate");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{\"a\":NaN}}", "invalid JSON");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{'a':1}}", "invalid JSON");
	bad("{\"type\":\"RECORD\",", "unexpected end of input");
	bad("[\"type\",\"RECORD\"]", "not a JSON object");
	bad("\"RECORD\"", "not a JSON object");
	bad("42", "not a JSON object");
	bad("null", "not a JSON object");
	bad("{}", "no \"type\"");
	bad("{\"stream\":\"s\",\"record\":{}}", "no \"type\"");
	bad("{\"type\":1}", "\"type\" is not a string");
	bad("{\"type\":null}", "\"type\" is not a string");
	bad("{\"type\":\"RECORD\",\"type\":\"STATE\",\"value\":1}", "duplicate member");
	/* found by tests/fuzz/fuzz_msg: a member written with an escape is the same member */
	bad("{\"type\":\"STATE\",\"value\":1,\"\\u0074ype\":\"RECORD\"}", "duplicate member");
	bad("{\"\\u0074ype\":\"STATE\",\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{}}",
	    "duplicate member");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":{},\"rec\\u006frd\":{}}", "duplicate member");
	bad("{\"type\":\"RECORD\",\"record\":{}}", "RECORD without a \"stream\" string");
	bad("{\"type\":\"RECORD\",\"stream\":5,\"record\":{}}", "RECORD without a \"stream\" string");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\"}", "RECORD without a \"record\" object");
	bad("{\"type\":\"RECORD\",\"stream\":\"s\",\"record\":[]}", "RECORD without a \"record\" object");
	bad("{\"type\":\"SCHEMA\",\"schema\":{}}", "SCHEMA without a \"stream\" string");
	bad("{\"type\":\"SCHEMA\",\"stream\":\"s\"}", "SCHEMA without a \"schema\" object");
	bad("{\"type\":\"SCHEMA\",\"stream\":\"s\",\"schema\":\"x\"}", "SCHEMA without a \"schema\" object");
	bad("{\"type\":\"SCHEMA\",\"stream\":\"s\",\"schema\":{},\"key_properties\":\"a\"}", "\"key_properties\" is not an array");
	bad("{\"type\":\"STATE\"}", "STATE without a \"value\"");
	bad("\xEF\xBB\xBF{\"type\":\"STATE\",\"value\":1}", "invalid JSON");

	/* bf_out */
	{
		int fd = open("/dev/full", O_WRONLY);
		if (fd >= 0) {
			struct bf_out o;
			bf_out_init(&o, fd, "stdout");
			bf_out_write(&o, "hello\n", 6);
			int frc = bf_out_close(&o, &err);
			ok(frc == BF_EIO && strstr(err.msg, "stdout: write:"), "writing to /dev/full is 74 at close (%s)", err.msg);
		} else {
			ok(1, "# SKIP no /dev/full");
		}
		int p[2];
		if (pipe(p) == 0) {
			struct bf_out o;
			char buf[64] = "";
			bf_out_init(&o, p[1], "stdout");
			bf_out_write(&o, "ab", 2);
			cJSON *v = cJSON_CreateObject();
			cJSON_AddStringToObject(v, "k", "v\n");
			bf_out_json_line(&o, v);
			cJSON_Delete(v);
			int frc = bf_out_close(&o, &err);
			ssize_t n = read(p[0], buf, sizeof buf - 1);
			ok(frc == 0 && n > 0 && !strcmp(buf, "ab{\"k\":\"v\\n\"}\n"), "buffered writes and a JSON line arrive in order");
			close(p[0]);
		}
		/* a large write bypassing the buffer keeps the order */
		FILE *f = tmpfile();
		struct bf_out o;
		bf_out_init(&o, dup(fileno(f)), "file");
		char *big = malloc(1u << 20);
		memset(big, 'B', 1u << 20);
		bf_out_write(&o, "A", 1);
		bf_out_write(&o, big, 1u << 20);
		bf_out_write(&o, "C", 1);
		ok(bf_out_close(&o, &err) == 0, "close after a large write");
		fseek(f, 0, SEEK_SET);
		int c0 = fgetc(f);
		fseek(f, 1 << 20, SEEK_SET);
		int c1 = fgetc(f), c2 = fgetc(f);
		ok(c0 == 'A' && c1 == 'B' && c2 == 'C', "a write larger than the buffer stays in order");
		fclose(f);
		free(big);
		/* a closed descriptor */
		bf_out_init(&o, 1000, "nowhere");
		bf_out_write(&o, "x", 1);
		ok(bf_out_close(&o, &err) == BF_EIO, "a bad descriptor is 74");
	}
	cJSON *s = bf_msg_new_schema("st", cJSON_CreateObject(), NULL);
	char *txt = cJSON_PrintUnformatted(s);
	is_str(txt, "{\"type\":\"SCHEMA\",\"stream\":\"st\",\"schema\":{},\"key_properties\":[]}", "SCHEMA builder");
	cJSON_free(txt);
	cJSON_Delete(s);
	return done_testing();
}
