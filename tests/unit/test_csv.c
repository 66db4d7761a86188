/* Unit tests for bf_csv: quoted fields, embedded newlines, CRLF, BOM, gzip, blank lines,
 * ragged rows, invalid UTF-8, truncated last lines, rows over max_row, tiny reads, and
 * memory that does not grow with the file (a 50 MB stream through a read callback). TAP. */
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <zlib.h>

#include "base/bf_buf.h"
#include "sources/bf_csv.h"
#include "base/bf_exit.h"

#include "tap.h"

/* A read callback over a memory buffer, at most chunk bytes a call. */
struct mem { const unsigned char *p; size_t len, off, chunk; int fail_at; };

static long mem_read(void *ctx, void *buf, size_t len, struct bf_err *err)
{
	struct mem *m = ctx;
	if (m->fail_at >= 0 && m->off >= (size_t)m->fail_at)
		return -bf_fail(err, BF_EIO, "mem", "injected read error");
	size_t n = m->len - m->off;
	if (n > len)
		n = len;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (long)n;
}

/* Parses a whole input into a textual form:
 *   H a|b|c          the header
 *   R3 x|<null>|z    a good row starting at line 3
 *   B5 reason :: raw a bad row at line 5
 * and ends with "E<code>" when a call failed. */
static char *parse_with(const void *in, size_t len, size_t chunk, size_t max_row, int libcsv_only)
{
	struct mem m = { in, len, 0, chunk, -1 };
	struct bf_csv_opts o = { .max_row = max_row, .libcsv_only = libcsv_only };
	struct bf_csv *c = bf_csv_open(mem_read, &m, "t.csv", &o);
	struct bf_buf out = BF_BUF_INIT;
	struct bf_csv_row r;
	struct bf_err err = { 0 };
	int rc = bf_csv_header(c, &r, &err);
	if (rc == 1) {
		bf_buf_adds(&out, "H ");
		for (size_t i = 0; i < r.n; i++) {
			if (i)
				bf_buf_addc(&out, '|');
			bf_buf_add(&out, r.f[i] ? r.f[i] : "<null>", r.f[i] ? r.len[i] : 6);
		}
		bf_buf_addc(&out, '\n');
		while ((rc = bf_csv_next(c, &r, &err)) == 1) {
			if (r.bad) {
				bf_buf_addf(&out, "B%ld %s :: ", r.line, r.bad);
				bf_buf_add(&out, r.raw, r.rawlen);
				bf_buf_addc(&out, '\n');
				continue;
			}
			bf_buf_addf(&out, "R%ld ", r.line);
			for (size_t i = 0; i < r.n; i++) {
				if (i)
					bf_buf_addc(&out, '|');
				bf_buf_add(&out, r.f[i] ? r.f[i] : "<null>", r.f[i] ? r.len[i] : 6);
			}
			bf_buf_addc(&out, '\n');
		}
	}
	if (rc != 0)
		bf_buf_addf(&out, "E%d %s\n", rc, err.msg);
	bf_csv_close(c);
	return bf_buf_detach(&out);
}

static char *parse_all(const void *in, size_t len, size_t chunk, size_t max_row)
{
	return parse_with(in, len, chunk, max_row, 0);
}

/* Random CSV-ish bytes, heavy in what is hard: quotes, doubled quotes, delimiters in
 * quotes, CR, LF, CRLF, blank lines, empty and ragged rows, UTF-8 and broken UTF-8. */
static size_t random_csv(uint64_t *seed, char *out, size_t cap)
{
	static const char *const bits[] = {
		",", ",", ",", "\n", "\n", "\r\n", "\"", "\"\"", "\",\"", "a", "bc", "12.50", " ",
		"x\ty", "\\", "caf\xc3\xa9", "\xe2\x82\xac", "\xff", "\xc3", "\r", "\"\n\"", "\n\n",
		"\"q,\"\"r\"\"\"", "\x01", "\xef\xbb\xbf",
	};
	size_t n = 0, want = 1 + (size_t)(*seed % 120);
	while (want-- && n + 8 < cap) {
		*seed = *seed * 6364136223846793005ULL + 1442695040888963407ULL;
		const char *b = bits[(*seed >> 33) % (sizeof bits / sizeof bits[0])];
		size_t k = strlen(b);
		memcpy(out + n, b, k);
		n += k;
	}
	return n;
}

/* The fast path and libcsv must agree on every input, split at any read size. */
static void test_fast_path_matches_libcsv(void)
{
	uint64_t seed = 0x5eed;
	char in[2048];
	int bad = 0;
	for (int i = 0; i < 20000 && !bad; i++) {
		/* a header first, so that most inputs have data rows to compare */
		size_t n = (size_t)snprintf(in, sizeof in, "%s", i % 3 ? "a,b,c\n" : "");
		n += random_csv(&seed, in + n, sizeof in - n);
		char *fast = parse_with(in, n, (size_t)(i % 5) * 3, 0, 0);
		char *slow = parse_with(in, n, 0, 0, 1);
		if (strcmp(fast, slow)) {
			bad = 1;
			diag("input %d (%zu bytes) parsed differently:\nfast: %s\nlibcsv: %s", i, n, fast, slow);
		}
		free(fast);
		free(slow);
	}
	ok(!bad, "the fast path and libcsv agree on 20000 random inputs");
}

/* Checks the parse of s, whole and read one byte at a time (every split point). */
static void expect(const char *desc, const char *s, size_t len, const char *want)
{
	char *got = parse_all(s, len, 0, 0);
	int same = strcmp(got, want) == 0;
	char *got1 = parse_all(s, len, 1, 0);
	char *got7 = parse_all(s, len, 7, 0);
	int same1 = strcmp(got1, want) == 0, same7 = strcmp(got7, want) == 0;
	ok(same && same1 && same7, "%s", desc);
	if (!same || !same1 || !same7) {
		diag("want:\n%s", want);
		diag("got (whole):\n%s", got);
		if (!same1)
			diag("got (1-byte reads):\n%s", got1);
		if (!same7)
			diag("got (7-byte reads):\n%s", got7);
	}
	free(got);
	free(got1);
	free(got7);
}
#define EXPECT(desc, lit, want) expect(desc, lit, sizeof(lit) - 1, want)

/* The flags of the first data row's fields: "-" null, "0" none, "E" BF_CSV_ESC,
 * "H" BF_CSV_HIGH, "EH" both; '|' between fields. */
static char *first_flags(const char *in)
{
	struct mem m = { (const unsigned char *)in, strlen(in), 0, 0, -1 };
	struct bf_csv *c = bf_csv_open(mem_read, &m, "t.csv", NULL);
	struct bf_buf out = BF_BUF_INIT;
	struct bf_csv_row r;
	struct bf_err err = { 0 };
	if (bf_csv_header(c, &r, &err) == 1 && bf_csv_next(c, &r, &err) == 1 && !r.bad) {
		for (size_t i = 0; i < r.n; i++) {
			if (i)
				bf_buf_addc(&out, '|');
			if (!r.f[i])
				bf_buf_addc(&out, '-');
			else if (!r.flags[i])
				bf_buf_addc(&out, '0');
			if (r.f[i] && (r.flags[i] & BF_CSV_ESC))
				bf_buf_addc(&out, 'E');
			if (r.f[i] && (r.flags[i] & BF_CSV_HIGH))
				bf_buf_addc(&out, 'H');
		}
	}
	bf_csv_close(c);
	bf_buf_adds(&out, "");
	return bf_buf_detach(&out);
}

static void expect_flags(const char *desc, const char *in, const char *want)
{
	char *got = first_flags(in);
	if (!ok(strcmp(got, want) == 0, "flags: %s", desc))
		diag("want %s, got %s", want, got);
	free(got);
}

static unsigned char *gzip_mem(const char *s, size_t len, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY);
	size_t cap = deflateBound(&z, len) + 64;
	unsigned char *out = malloc(cap);
	z.next_in = (unsigned char *)s;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	deflate(&z, Z_FINISH);
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

/* A generator of a big CSV file, read through the callback without holding it. */
struct gen { long long rows, emitted; char pending[512]; size_t plen, poff; unsigned long long bytes; };

static long gen_read(void *ctx, void *buf, size_t len, struct bf_err *err)
{
	(void)err;
	struct gen *g = ctx;
	size_t o = 0;
	while (o < len) {
		if (g->poff == g->plen) {
			if (g->emitted > g->rows)
				break;
			if (g->emitted == 0)
				g->plen = (size_t)snprintf(g->pending, sizeof g->pending,
							   "Order Id,Location,Amount,Note,Opened\r\n");
			else
				g->plen = (size_t)snprintf(g->pending, sizeof g->pending,
					"%lld,185129,%lld.%02lld,\"a note, with \"\"quotes\"\"\nand a newline\",2024-04-04 12:%02lld:00\r\n",
					100000000000000000LL + g->emitted, g->emitted % 1000, g->emitted % 100, g->emitted % 60);
			g->poff = 0;
			g->emitted++;
		}
		size_t n = g->plen - g->poff;
		if (n > len - o)
			n = len - o;
		memcpy((char *)buf + o, g->pending + g->poff, n);
		g->poff += n;
		o += n;
	}
	g->bytes += o;
	return (long)o;
}

static long max_rss_kb(void)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	return ru.ru_maxrss;
}

int main(void)
{
	EXPECT("plain rows",
	       "a,b,c\n1,2,3\n4,5,6\n",
	       "H a|b|c\nR2 1|2|3\nR3 4|5|6\n");
	EXPECT("empty cells are null, spaces around fields are kept",
	       "a,b,c\n,x ,\n  y,, z\n",
	       "H a|b|c\nR2 <null>|x |<null>\nR3   y|<null>| z\n");
	EXPECT("a quote inside an unquoted field is malformed quoting (strict RFC 4180)",
	       "a,b,c\n \" q\",,\n1,2,3\n",
	       "H a|b|c\nB2 malformed quoting ::  \" q\",,\nR3 1|2|3\n");
	EXPECT("quoted fields with delimiters and doubled quotes",
	       "a,b\n\"x,y\",\"say \"\"hi\"\"\"\n",
	       "H a|b\nR2 x,y|say \"hi\"\n");
	EXPECT("an empty quoted field is empty, not null? (libcsv gives length 0: null)",
	       "a,b\n\"\",x\n",
	       "H a|b\nR2 <null>|x\n");
	EXPECT("embedded newlines keep the row's first line number",
	       "a,b\n\"line1\nline2\nline3\",z\n5,6\n",
	       "H a|b\nR2 line1\nline2\nline3|z\nR5 5|6\n");
	/* a line ends at an LF, a CRLF or a lone CR, in any mix: each row its own line */
	EXPECT("a lone CR in an LF file ends a line: two rows, two line numbers (the key stays unique)",
	       "a,b\n1,x\ry,w\n2,z\n",
	       "H a|b\nR2 1|x\nR3 y|w\nR4 2|z\n");
	EXPECT("a lone CR between two whole rows of a line: two rows on two lines",
	       "a,b\n1,2\r3,4\n",
	       "H a|b\nR2 1|2\nR3 3|4\n");
	EXPECT("a lone CR before a quoted field that goes on: that row starts on the next line",
	       "a,b\n1,x\r\"y\nz\",2\n3,4\n",
	       "H a|b\nR2 1|x\nR3 y\nz|2\nR5 3|4\n");
	EXPECT("a CR-only file: rows and line numbers as with LF",
	       "a,b\r1,2\r3,4\r",
	       "H a|b\nR2 1|2\nR3 3|4\n");
	EXPECT("a CR-only file: a bad row's raw bytes are that row's, not the whole file",
	       "a,b\r1,2\r3,4,5\r\"x\"y,1\r6,7\r",
	       "H a|b\nR2 1|2\nB3 ragged row (3 fields, header has 2) :: 3,4,5\n"
	       "B4 malformed quoting :: \"x\"y,1\nR5 6|7\n");
	EXPECT("a CR-only file: a quoted CR is data and counts as a line",
	       "a,b\r\"x\ry\",1\r2,3\r",
	       "H a|b\nR2 x\ry|1\nR4 2|3\n");
	EXPECT("a CR-only file: blank lines and an unterminated last line",
	       "a,b\r\r\r1,2\r\r3,4",
	       "H a|b\nR4 1|2\nR6 3|4\n");
	EXPECT("LF, CRLF and lone CR mixed",
	       "a,b\r\n1,2\r3,4\n5,6\r\n\r\r\n7,8\n",
	       "H a|b\nR2 1|2\nR3 3|4\nR4 5|6\nR7 7|8\n");
	EXPECT("a CR then CRLF: a blank line between",
	       "a,b\n1,2\r\r\n3,4\n",
	       "H a|b\nR2 1|2\nR4 3|4\n");
	EXPECT("CRLF line ends",
	       "a,b\r\n1,2\r\n\"x\r\ny\",3\r\n",
	       "H a|b\nR2 1|2\nR3 x\r\ny|3\n");
	EXPECT("a UTF-8 BOM is dropped from the header",
	       "\xEF\xBB\xBF" "Id,Name\n1,caf\xc3\xa9\n",
	       "H Id|Name\nR2 1|caf\xc3\xa9\n");
	EXPECT("blank lines are skipped, line numbers still count them",
	       "\n\na,b\n\n1,2\n\r\n   \n3,4\n\n",
	       "H a|b\nR5 1|2\nR8 3|4\n");
	EXPECT("a blank unterminated last line is skipped too",
	       "a,b\n1,2\n   ",
	       "H a|b\nR2 1|2\n");
	EXPECT("ragged rows are bad with their raw bytes, the rest goes on",
	       "a,b,c\n1,2\n1,2,3,4\n5,6,7\n",
	       "H a|b|c\nB2 ragged row (2 fields, header has 3) :: 1,2\n"
	       "B3 ragged row (4 fields, header has 3) :: 1,2,3,4\nR4 5|6|7\n");
	EXPECT("invalid UTF-8 is bad, with the byte position",
	       "a,b\n1,caf\xe9\n2,ok\n",
	       "H a|b\nB2 invalid UTF-8 at byte 6 :: 1,caf\xe9\nR3 2|ok\n");
	EXPECT("a last line without a newline but complete is a good row",
	       "a,b\n1,2\n3,4",
	       "H a|b\nR2 1|2\nR3 3|4\n");
	EXPECT("a truncated last line (no newline, too few fields)",
	       "a,b,c\n1,2,3\n4,5",
	       "H a|b|c\nR2 1|2|3\nB3 truncated last line (2 fields, header has 3) :: 4,5\n");
	EXPECT("a truncated last line inside a quoted field",
	       "a,b\n1,2\n3,\"unterminated\nstill",
	       "H a|b\nR2 1|2\nB3 truncated last line (unterminated quoted field) :: 3,\"unterminated\nstill\n");
	EXPECT("a short row that ends with a newline is ragged, not truncated",
	       "a,b,c\n4,5\n",
	       "H a|b|c\nB2 ragged row (2 fields, header has 3) :: 4,5\n");
	EXPECT("text after a closing quote is malformed, and the next row is read",
	       "a,b\n\"x\"y,2\n3,4\n",
	       "H a|b\nB2 malformed quoting :: \"x\"y,2\nR3 3|4\n");
	EXPECT("header only",
	       "a,b\n",
	       "H a|b\n");
	EXPECT("header only, no newline",
	       "a,b",
	       "H a|b\n");
	EXPECT("an empty file has no header", "", "");
	EXPECT("a file of blank lines has no header", "\n\r\n\n", "");
	EXPECT("a BOM alone is an empty file", "\xEF\xBB\xBF", "");
	EXPECT("a header with invalid UTF-8 is an error",
	       "a,\xff\n1,2\n",
	       "E65 t.csv: 1: header: invalid UTF-8 at byte 3\n");
	EXPECT("a header with an unterminated quote is an error",
	       "a,\"b\n",
	       "E65 t.csv: 1: header: truncated last line (unterminated quoted field)\n");
	EXPECT("one column: a blank line is skipped",
	       "only\nx\n\ny\n",
	       "H only\nR2 x\nR4 y\n");
	EXPECT("a BOM only at the start: later ones are data",
	       "a\n\xEF\xBB\xBFx\n",
	       "H a\nR2 \xEF\xBB\xBFx\n");
	expect_flags("plain ASCII fields need nothing", "a,b,c\nx,,\"y z\"\n", "0|-|0");
	expect_flags("quotes, backslashes and tabs need escaping",
		     "a,b,c,d\n\"q\"\"x\",t\\b,t\tb,\"p,q\"\n", "E|E|E|0");
	expect_flags("bytes >= 0x80 are noted", "a,b\ncaf\xC3\xA9,\"\xC3\xA9\t\"\n", "H|EH");
	expect_flags("a row libcsv splits has both flags on every field",
		     "a,b\n\"x\ny\",z\n", "EH|EH");
	{
		/* many doubled quotes in one row: their unescaped copies outgrow the arena */
		struct bf_buf in = BF_BUF_INIT, want = BF_BUF_INIT;
		bf_buf_adds(&want, "H ");
		for (int i = 0; i < 100; i++) {
			bf_buf_addf(&in, "%sc%d", i ? "," : "", i);
			bf_buf_addf(&want, "%sc%d", i ? "|" : "", i);
		}
		bf_buf_adds(&in, "\n");
		bf_buf_adds(&want, "\nR2 ");
		for (int i = 0; i < 100; i++) {
			bf_buf_addf(&in, "%s\"v%d \"\"q\"\" %d\"", i ? "," : "", i, i);
			bf_buf_addf(&want, "%sv%d \"q\" %d", i ? "|" : "", i, i);
		}
		bf_buf_adds(&in, "\n");
		bf_buf_adds(&want, "\n");
		expect("a hundred fields with doubled quotes in one row", in.p, in.len, want.p);
		bf_buf_free(&in);
		bf_buf_free(&want);
	}
	EXPECT("NUL bytes are data (valid UTF-8)",
	       "a,b\nx\0y,2\n",
	       "H a|b\nR2 x\0y|2\n");

	/* semicolon delimiter */
	{
		const char in[] = "a;b\n1,5;2\n";
		struct mem m = { (const unsigned char *)in, sizeof in - 1, 0, 0, -1 };
		struct bf_csv_opts o = { .delimiter = ';' };
		struct bf_csv *c = bf_csv_open(mem_read, &m, "t.csv", &o);
		struct bf_csv_row r;
		struct bf_err err = { 0 };
		ok(bf_csv_header(c, &r, &err) == 1 && r.n == 2 && bf_csv_next(c, &r, &err) == 1 &&
		   !r.bad && r.n == 2 && r.len[0] == 3 && !memcmp(r.f[0], "1,5", 3), "another delimiter");
		bf_csv_close(c);
	}

	/* the raw bytes of a bad multi-line row are all of its lines */
	{
		static const char in[] = "a,b,c\n\"x\ny\",2\n9,9,9\n";
		char *got = parse_all(in, sizeof in - 1, 0, 0);
		is_str(got, "H a|b|c\nB2 ragged row (2 fields, header has 3) :: \"x\ny\",2\nR4 9|9|9\n",
		       "a bad row spanning lines keeps all its raw bytes");
		free(got);
	}

	/* max_row */
	{
		struct bf_buf in = BF_BUF_INIT;
		bf_buf_adds(&in, "a,b\n1,2\n3,\"");
		for (int i = 0; i < 5000; i++)
			bf_buf_adds(&in, "0123456789\n");
		bf_buf_adds(&in, "\"\n4,5\n");
		char *got = parse_all(in.p, in.len, 0, 4096);
		ok(strstr(got, "R2 1|2\n") && strstr(got, "B3 row too long") && !strstr(got, "E"),
		   "a row over max_row is bad, not an error");
		char *bad = strstr(got, "B3 row too long");
		size_t badlen = bad ? strcspn(bad, "B") : 0;
		char *nextbad = bad ? strstr(bad + 1, "\nB") : NULL;
		ok(bad && nextbad && (size_t)(nextbad - bad) < 4096 + 200, "and its raw bytes are bounded by max_row");
		(void)badlen;
		free(got);
		bf_buf_reset(&in);
		bf_buf_adds(&in, "a,b\n");
		for (int i = 0; i < 1000; i++)
			bf_buf_adds(&in, "0123456789");
		bf_buf_adds(&in, ",x\n1,2\n");
		got = parse_all(in.p, in.len, 0, 4096);
		ok(strstr(got, "B2 row too long") != NULL && strstr(got, "R3 1|2"),
		   "a single long line over max_row is bad, with its line number, and reading goes on");
		free(got);
		bf_buf_reset(&in);
		bf_buf_adds(&in, "a,b\n1,2\n");
		for (int i = 0; i < 30000; i++)
			bf_buf_adds(&in, "0123456789");
		bf_buf_adds(&in, ",x\n3,4\n");
		got = parse_all(in.p, in.len, 0, 100000);
		ok(strstr(got, "B3 row too long") != NULL && strstr(got, "R2 1|2") && strstr(got, "R4 3|4"),
		   "a line over max_row spanning read chunks is bad at its own line");
		free(got);
		bf_buf_reset(&in);
		bf_buf_adds(&in, "a,b\n");
		for (int i = 0; i < 70000; i++)
			bf_buf_adds(&in, "yyyyyyyyyy");
		bf_buf_adds(&in, ",z\n3,4\n");
		got = parse_all(in.p, in.len, 0, 100000);
		ok(strstr(got, "B2 row too long") && strstr(got, "R3 3|4") && !strstr(got, "R2") &&
		   !strstr(got, "|z\n"), "the tail of a line far over max_row is not taken for a row");
		free(got);
		/* found by tests/fuzz/fuzz_csv: the raw bytes kept of a row over max_row, and
		 * whether a first line with a BOM is over it, depended on the sizes of the reads */
		static const char *const long_rows[] = {
			"a\n0123456789012345678901234567890123456789\nb\n",
			"a\n\"0123456789\n0123456789\n0123456789\n0123\"\nb\n",
			("\xef\xbb\xbf" "a0123456789012345678901234567\nb\n"),
		};
		int same = 1;
		for (size_t k = 0; k < sizeof long_rows / sizeof *long_rows; k++) {
			const char *s = long_rows[k];
			char *whole = parse_all(s, strlen(s), 0, 30);
			for (size_t chunk = 1; chunk < 12 && same; chunk++) {
				char *part = parse_all(s, strlen(s), chunk, 30);
				if (strcmp(whole, part)) {
					same = 0;
					diag("input %zu, reads of %zu bytes:\nwhole: %s\npieces: %s", k, chunk,
					     whole, part);
				}
				free(part);
			}
			free(whole);
		}
		ok(same, "a row over max_row reads the same whatever the sizes of the reads");
		/* the same in a CR-only file: the lone CR ends the long line */
		bf_buf_reset(&in);
		bf_buf_adds(&in, "a,b\r1,2\r");
		for (int i = 0; i < 70000; i++)
			bf_buf_adds(&in, "yyyyyyyyyy");
		bf_buf_adds(&in, ",z\r3,4\r5,6\r");
		got = parse_all(in.p, in.len, 0, 100000);
		ok(strstr(got, "R2 1|2\nB3 row too long") && strstr(got, "R4 3|4\nR5 5|6\n") && !strstr(got, "|z\n"),
		   "a CR-only file: a line over max_row is bad at its own line, and the next lines are rows");
		bad = strstr(got, "B3 row too long");
		/* (max_row plus at most one read chunk of 256 KiB; the file is 700 KB) */
		ok(bad && strlen(bad) < 100000 + (256 << 10), "and its raw bytes are bounded, not the rest of the file");
		free(got);
		bf_buf_free(&in);
	}

	/* gzip */
	{
		const char plain[] = "a,b\r\n1,\"x\ny\"\r\n2,caf\xe9\r\n3,4";
		size_t zlen;
		unsigned char *z = gzip_mem(plain, sizeof plain - 1, &zlen);
		char *want = parse_all(plain, sizeof plain - 1, 0, 0);
		char *got = parse_all(z, zlen, 0, 0);
		is_str(got, want, ".csv.gz gives the same rows as the plain file");
		char *got1 = parse_all(z, zlen, 1, 0);
		is_str(got1, want, ".csv.gz read one byte at a time");
		struct mem m = { z, zlen, 0, 0, -1 };
		struct bf_csv *c = bf_csv_open(mem_read, &m, "t.csv.gz", NULL);
		struct bf_csv_row r;
		struct bf_err err = { 0 };
		bf_csv_header(c, &r, &err);
		ok(bf_csv_was_gzip(c), "gzip is detected from the bytes");
		bf_csv_close(c);
		/* truncated gzip */
		char *cut = parse_all(z, zlen - 10, 0, 0);
		ok(strstr(cut, "E65") && strstr(cut, "truncated"), "a truncated .gz is an error (65)");
		free(cut);
		/* corrupt gzip */
		unsigned char *bad = malloc(zlen);
		memcpy(bad, z, zlen);
		for (size_t i = 12; i < zlen - 8; i++)
			bad[i] ^= 0x5a;
		cut = parse_all(bad, zlen, 0, 0);
		ok(strstr(cut, "E65") != NULL, "a corrupt .gz is an error (65)");
		free(cut);
		free(bad);
		/* two gzip members */
		size_t z2len;
		unsigned char *z2 = gzip_mem("5,6\n", 4, &z2len);
		unsigned char *cat = malloc(zlen + z2len);
		const char plain2[] = "a,b\r\n1,\"x\ny\"\r\n2,caf\xe9\r\n3,4" "5,6\n";
		memcpy(cat, z, zlen);
		memcpy(cat + zlen, z2, z2len);
		char *want2 = parse_all(plain2, sizeof plain2 - 1, 0, 0);
		free(got);
		got = parse_all(cat, zlen + z2len, 0, 0);
		is_str(got, want2, "concatenated gzip members are read as one file");
		free(want2);
		free(cat);
		free(z2);
		free(got);
		free(got1);
		free(want);
		free(z);
		/* a BOM inside gzip */
		z = gzip_mem("\xEF\xBB\xBFId\n7\n", 8, &zlen);
		got = parse_all(z, zlen, 0, 0);
		is_str(got, "H Id\nR2 7\n", "a BOM inside a .csv.gz is dropped");
		free(got);
		got = parse_all(z, zlen, 1, 0);
		is_str(got, "H Id\nR2 7\n", "... also when the .gz comes one byte at a time");
		free(got);
		free(z);
	}

	/* a read error is returned as the callback's code */
	{
		const char in[] = "a,b\n1,2\n3,4\n5,6\n";
		struct mem m = { (const unsigned char *)in, sizeof in - 1, 0, 4, 9 };
		struct bf_csv *c = bf_csv_open(mem_read, &m, "t.csv", NULL);
		struct bf_csv_row r;
		struct bf_err err = { 0 };
		int rc = bf_csv_header(c, &r, &err);
		while (rc == 1)
			rc = bf_csv_next(c, &r, &err);
		ok(rc == BF_EIO && strstr(err.msg, "injected"), "a read error comes back as its code (%d)", rc);
		bf_csv_close(c);
	}
	bf_csv_close(NULL);

	/* memory: stream ~50 MB and check the peak RSS grows by little */
	{
		struct gen g = { 0 };
		g.rows = 560000;
		long rss0 = max_rss_kb();
		struct bf_csv *c = bf_csv_open(gen_read, &g, "big.csv", NULL);
		struct bf_csv_row r;
		struct bf_err err = { 0 };
		long long good = 0, bad = 0, lastline = 0;
		int rc = bf_csv_header(c, &r, &err);
		while (rc == 1 && (rc = bf_csv_next(c, &r, &err)) == 1) {
			if (r.bad)
				bad++;
			else if (r.n == 5)
				good++;
			lastline = r.line;
		}
		bf_csv_close(c);
		long grew = max_rss_kb() - rss0;
		ok(rc == 0 && good == g.rows && bad == 0, "%lld rows of %.0f MB read, none bad", good, g.bytes / 1e6);
		ok(g.bytes > 50000000ull, "the stream is over 50 MB (%llu bytes)", g.bytes);
		ok(lastline == 1 + 2 * g.rows - 1, "line numbers count the embedded newlines (%lld)", lastline);
		ok(grew < 8 * 1024, "peak RSS grew by %ld kB (< 8 MB) while reading it", grew);
	}
	test_fast_path_matches_libcsv();
	return done_testing();
}
