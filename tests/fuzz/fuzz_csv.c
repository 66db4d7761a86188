/* Fuzz target of the CSV reader (lib/sources/bf_csv): the fast path, libcsv's path, and
 * gzip. The first byte chooses the delimiter, how many bytes a read returns, a small
 * row limit, and whether the rest is gzipped before it is read. Properties:
 *  - the fast path and libcsv alone read the same header, rows, bad rows and errors,
 *    and so do reads of any size, and the gzipped input;
 *  - a good row has as many fields as the header, each valid UTF-8, with flags that
 *    hold (no BF_CSV_ESC: no quote, backslash or control byte; no BF_CSV_HIGH: no byte
 *    >= 0x80), readable BF_CSV_PAD bytes past its end (as bf_csv.h promises);
 *  - a bad row has a reason and its raw bytes. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "base/bf_buf.h"
#include "base/bf_utf8.h"
#include "sources/bf_csv.h"

#include "fuzz.h"

struct mem {
	const unsigned char *p;
	size_t len, off, chunk;
};

static long mem_read(void *ctx, void *buf, size_t len, struct bf_err *err)
{
	struct mem *m = ctx;
	(void)err;
	size_t n = m->len - m->off;
	if (n > len)
		n = len;
	if (m->chunk && n > m->chunk)
		n = m->chunk;
	memcpy(buf, m->p + m->off, n);
	m->off += n;
	return (long)n;
}

static void check_field(const struct bf_csv_row *r, size_t i)
{
	const unsigned char *f = (const unsigned char *)r->f[i];
	size_t n = r->len[i];
	unsigned char flags = r->flags[i];
	volatile unsigned char sink = 0;
	if (!f) {
		CHECK(n == 0, "a null field of length %zu", n);
		return;
	}
	CHECK(n > 0, "an empty field that is not null (field %zu)", i);
	for (size_t k = 0; k < n; k++) {
		CHECK((flags & BF_CSV_ESC) || (f[k] >= 0x20 && f[k] != '"' && f[k] != '\\'),
		      "field %zu byte %zu (0x%02x) needs escaping but has no BF_CSV_ESC", i, k, f[k]);
		CHECK((flags & BF_CSV_HIGH) || f[k] < 0x80,
		      "field %zu byte %zu (0x%02x) without BF_CSV_HIGH", i, k, f[k]);
	}
	for (size_t k = 0; k < BF_CSV_PAD; k++)
		sink ^= f[n + k];      /* ASan says whether the padding is there */
	(void)sink;
	size_t bad;
	CHECK(bf_utf8_valid((const char *)f, n, &bad), "field %zu of a good row: invalid UTF-8", i);
}

/* Reads everything into a transcript (t, which may hold NULs); checks each row on the way. */
static void transcript(struct bf_buf *t, const unsigned char *in, size_t len, size_t chunk,
		       char delim, size_t max_row, int libcsv_only, int *was_gzip)
{
	struct mem m = { in, len, 0, chunk };
	struct bf_csv_opts o = { .delimiter = delim, .max_row = max_row, .libcsv_only = libcsv_only };
	struct bf_csv *c = bf_csv_open(mem_read, &m, "fuzz.csv", &o);
	struct bf_buf out = BF_BUF_INIT;
	struct bf_csv_row r;
	bf_buf_adds(&out, "");
	struct bf_err err = { 0 };
	size_t header_n = 0;
	int rc = bf_csv_header(c, &r, &err);
	if (rc == 1) {
		header_n = r.n;
		bf_buf_addf(&out, "H%ld %zu\n", r.line, r.n);
		while ((rc = bf_csv_next(c, &r, &err)) == 1) {
			if (r.bad) {
				CHECK(*r.bad, "an empty reason");
				bf_buf_addf(&out, "B%ld %s :: ", r.line, r.bad);
				bf_buf_add(&out, r.raw, r.rawlen);
				bf_buf_addc(&out, '\n');
				continue;
			}
			CHECK(r.n == header_n, "a good row of %zu fields, header %zu", r.n, header_n);
			bf_buf_addf(&out, "R%ld", r.line);
			for (size_t i = 0; i < r.n; i++) {
				check_field(&r, i);
				bf_buf_addc(&out, '|');
				if (r.f[i])
					bf_buf_add(&out, r.f[i], r.len[i]);
				else
					bf_buf_adds(&out, "<null>");
			}
			bf_buf_addc(&out, '\n');
		}
	}
	if (rc != 0)
		bf_buf_addf(&out, "E%d %s\n", rc, err.msg);
	*was_gzip = bf_csv_was_gzip(c);
	bf_csv_close(c);
	*t = out;
}

static unsigned char *gzip(const unsigned char *in, size_t len, size_t *outlen)
{
	z_stream z;
	memset(&z, 0, sizeof z);
	CHECK(deflateInit2(&z, 6, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) == Z_OK, "deflateInit2");
	size_t cap = deflateBound(&z, (uLong)len) + 32;
	unsigned char *out = malloc(cap);
	CHECK(out, "malloc");
	z.next_in = (unsigned char *)(uintptr_t)in;
	z.avail_in = (uInt)len;
	z.next_out = out;
	z.avail_out = (uInt)cap;
	CHECK(deflate(&z, Z_FINISH) == Z_STREAM_END, "deflate");
	*outlen = cap - z.avail_out;
	deflateEnd(&z);
	return out;
}

static int same(const struct bf_buf *a, const struct bf_buf *b)
{
	return a->len == b->len && (a->len == 0 || !memcmp(a->p, b->p, a->len));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char delims[4] = { ',', ';', '\t', '|' };
	static const size_t chunks[8] = { 1, 2, 3, 7, 64, 4093, 65536, 0 };
	if (size < 1 || size > 1 << 16)
		return 0;
	unsigned sel = data[0];
	const unsigned char *in = data + 1;
	size_t len = size - 1;
	char delim = delims[sel & 3];
	size_t chunk = chunks[(sel >> 2) & 7];
	size_t max_row = sel & 0x20 ? 64 : 0;
	int zip = (sel & 0x40) != 0;

	int gz_fast, gz_slow, gz_pieces, gz_unz;
	struct bf_buf fast, slow, pieces, unz;
	transcript(&fast, in, len, 0, delim, max_row, 0, &gz_fast);
	transcript(&slow, in, len, 0, delim, max_row, 1, &gz_slow);
	if (!same(&fast, &slow)) {
		fuzz_show("fast path", fast.p, fast.len);
		fuzz_show("libcsv only", slow.p, slow.len);
		CHECK(0, "the fast path and libcsv differ");
	}
	transcript(&pieces, in, len, chunk, delim, max_row, 0, &gz_pieces);
	CHECK(gz_fast == gz_slow && gz_fast == gz_pieces, "gzip detection depends on the reads");
	if (!same(&fast, &pieces)) {
		fuzz_show("read whole", fast.p, fast.len);
		fuzz_show("read in pieces", pieces.p, pieces.len);
		CHECK(0, "reads of %zu bytes differ", chunk);
	}
	if (zip) {
		size_t zlen;
		unsigned char *z = gzip(in, len, &zlen);
		transcript(&unz, z, zlen, chunk, delim, max_row, 0, &gz_unz);
		CHECK(gz_unz, "gzip not recognised");
		/* an input that is gzip itself is read decompressed: not comparable */
		if (!gz_fast && !same(&fast, &unz)) {
			fuzz_show("plain", fast.p, fast.len);
			fuzz_show("gzipped", unz.p, unz.len);
			CHECK(0, "the gzipped input reads differently");
		}
		bf_buf_free(&unz);
		free(z);
	}
	bf_buf_free(&fast);
	bf_buf_free(&slow);
	bf_buf_free(&pieces);
	return 0;
}
