#include "sources/bf_csv.h"

#include <csv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#ifdef __SSE2__
#include <emmintrin.h>
#endif

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_utf8.h"

#define RAW_CHUNK (64u << 10)
#define DATA_CHUNK (256u << 10)

struct bf_csv {
	bf_read_fn read;
	void *ctx;
	const char *name;
	struct bf_csv_opts o;
	struct csv_parser p;
	int p_live;

	/* raw input and, for gzip, the inflater */
	unsigned char *raw;
	int gz;                    /* -1 unknown yet, 0 plain, 1 gzip */
	z_stream z;
	int z_init;                /* inflateInit2 done: inflateEnd at close */
	int z_live, raw_eof;       /* z_live: inside a gzip member */

	/* decompressed data not yet split into lines */
	char *data;
	size_t dstart, dend;
	int data_eof, bom_done;
	int data_cr;               /* the data holds a CR: lines may end with one */
	int skip_line;             /* drop the rest of an over-long physical line */
	int skip_cr;               /* ... whose last byte dropped was a CR */

	struct bf_buf line;        /* a physical line spanning two data chunks */
	struct bf_buf rowraw;      /* the lines of a row still open (quoted newline) */
	long lineno;               /* physical lines consumed */
	long row_line;             /* line where the open row started */

	/* fields of the rows completed by the last feed; a fast row fills fp, flen and fx
	 * itself, libcsv's rows go through off, isnull and the arena */
	struct bf_buf arena;
	size_t *off, *flen;
	unsigned char *isnull, *fx;
	size_t nf, capf;
	size_t *row_end;           /* field index after each completed row */
	size_t nrows, caprows, next_row, row_first;
	int row_ended_eof;
	const char **fp;
	int fast;                  /* the row was split by fast_row */
	unsigned row_fx;           /* its fields' flags, or'ed */
	int fast_ok;               /* the delimiter allows the fast path */
	unsigned char cls[256];    /* byte classes of the fast path */

	size_t header_n;
	int have_header;
	int parse_error;
	const char *last_raw;
	size_t last_rawlen;
	int last_nl;               /* the last fed line ended with '\n' */
	char reason[96];
};

/* Byte classes of the fast path, besides BF_CSV_ESC and BF_CSV_HIGH. */
enum {
	K_STOP = 4,                /* ends an unquoted field: delimiter, quote, CR, LF */
	K_QSTOP = 8,               /* ends a run inside quotes: quote, CR, LF */
	K_UNQ = 16,                /* a field's bytes are in the arena (fx only) */
	K_OUT = BF_CSV_ESC | BF_CSV_HIGH
};

static void classes(struct bf_csv *c)
{
	for (int b = 0; b < 256; b++)
		c->cls[b] = b < 0x20 || b == '"' || b == '\\' ? BF_CSV_ESC : b >= 0x80 ? BF_CSV_HIGH : 0;
	c->cls['"'] |= K_STOP | K_QSTOP;
	c->cls['\r'] |= K_STOP | K_QSTOP;
	c->cls['\n'] |= K_STOP | K_QSTOP;
	c->cls[(unsigned char)c->o.delimiter] |= K_STOP;
	c->fast_ok = c->o.delimiter != '"' && c->o.delimiter != '\r' && c->o.delimiter != '\n' &&
		     !c->o.libcsv_only;
}

static int no_space(unsigned char c) { (void)c; return 0; }

static void parser_reset(struct bf_csv *c)
{
	if (c->p_live)
		csv_free(&c->p);
	csv_init(&c->p, CSV_STRICT | CSV_STRICT_FINI);
	csv_set_space_func(&c->p, no_space);
	csv_set_delim(&c->p, (unsigned char)c->o.delimiter);
	c->p_live = 1;
}

struct bf_csv *bf_csv_open(bf_read_fn read, void *ctx, const char *name,
			   const struct bf_csv_opts *opts)
{
	struct bf_csv *c = bf_xcalloc(1, sizeof *c);
	c->read = read;
	c->ctx = ctx;
	c->name = name;
	if (opts)
		c->o = *opts;
	if (!c->o.delimiter)
		c->o.delimiter = ',';
	if (!c->o.max_row)
		c->o.max_row = 16u << 20;
	c->gz = -1;
	c->raw = bf_xmalloc(RAW_CHUNK);
	c->data = bf_xmalloc(DATA_CHUNK + BF_CSV_PAD);
	classes(c);
	parser_reset(c);
	return c;
}

void bf_csv_close(struct bf_csv *c)
{
	if (!c)
		return;
	if (c->p_live)
		csv_free(&c->p);
	if (c->z_init)
		inflateEnd(&c->z);
	free(c->raw);
	free(c->data);
	bf_buf_free(&c->line);
	bf_buf_free(&c->rowraw);
	bf_buf_free(&c->arena);
	free(c->off);
	free(c->flen);
	free(c->isnull);
	free(c->fx);
	free(c->row_end);
	free(c->fp);
	free(c);
}

int bf_csv_was_gzip(const struct bf_csv *c) { return c->gz == 1; }

/* Fills c->data with the next decompressed bytes; returns 0, or an exit code. */
static int fill(struct bf_csv *c, struct bf_err *err)
{
	c->dstart = c->dend = 0;
	for (;;) {
		if (c->gz != 1) {
			/* the first read fits the raw buffer, in case it is gzip */
			long n = c->read(c->ctx, c->data, c->gz == -1 ? RAW_CHUNK : DATA_CHUNK, err);
			if (n < 0)
				return (int)-n;
			/* the gzip magic needs two bytes, whatever the first read gave */
			while (c->gz == -1 && n == 1) {
				long m = c->read(c->ctx, c->data + 1, RAW_CHUNK - 1, err);
				if (m < 0)
					return (int)-m;
				if (m == 0)
					break;
				n += m;
			}
			if (n == 0) {
				c->data_eof = 1;
				return 0;
			}
			if (c->gz == -1) {
				if (n >= 2 && (unsigned char)c->data[0] == 0x1f && (unsigned char)c->data[1] == 0x8b) {
					/* gzip: move what we read into the raw buffer and inflate */
					c->gz = 1;
					memcpy(c->raw, c->data, (size_t)n);
					memset(&c->z, 0, sizeof c->z);
					if (inflateInit2(&c->z, 15 + 32) != Z_OK)
						return bf_fail(err, BF_EOS, c->name, "cannot start gzip decompression");
					c->z_init = c->z_live = 1;
					c->z.next_in = c->raw;
					c->z.avail_in = (uInt)n;
					continue;
				}
				c->gz = 0;
			}
			c->dend = (size_t)n;
			return 0;
		}
		if (c->z.avail_in == 0 && !c->raw_eof) {
			long n = c->read(c->ctx, c->raw, RAW_CHUNK, err);
			if (n < 0)
				return (int)-n;
			if (n == 0)
				c->raw_eof = 1;
			c->z.next_in = c->raw;
			c->z.avail_in = (uInt)n;
		}
		if (c->z.avail_in == 0 && c->raw_eof) {
			if (c->z_live)
				return bf_fail(err, BF_EDATA, c->name, "gzip data ends early (truncated file)");
			c->data_eof = 1;
			return 0;
		}
		if (!c->z_live) {
			/* another gzip member follows (concatenated .gz) */
			if (inflateReset(&c->z) != Z_OK)
				return bf_fail(err, BF_EOS, c->name, "cannot restart gzip decompression");
			c->z_live = 1;
		}
		c->z.next_out = (unsigned char *)c->data;
		c->z.avail_out = DATA_CHUNK;
		int zr = inflate(&c->z, Z_NO_FLUSH);
		if (zr != Z_OK && zr != Z_STREAM_END && zr != Z_BUF_ERROR)
			return bf_fail(err, BF_EDATA, c->name, "gzip data is corrupt: %s",
				       c->z.msg ? c->z.msg : "inflate failed");
		c->dend = DATA_CHUNK - c->z.avail_out;
		if (zr == Z_STREAM_END)
			c->z_live = 0;  /* keep the stream allocated for a next member */
		if (c->dend)
			return 0;
	}
}

static void grow_fields(struct bf_csv *c)
{
	c->capf = c->capf ? c->capf * 2 : 64;
	c->off = bf_xrealloc(c->off, c->capf * sizeof *c->off);
	c->flen = bf_xrealloc(c->flen, c->capf * sizeof *c->flen);
	c->isnull = bf_xrealloc(c->isnull, c->capf);
	c->fx = bf_xrealloc(c->fx, c->capf);
	c->fp = bf_xrealloc(c->fp, c->capf * sizeof *c->fp);
}

/* A field of libcsv's, copied into the arena; its flags are not known. */
static void cb_field(void *s, size_t len, void *data)
{
	struct bf_csv *c = data;
	if (c->nf == c->capf)
		grow_fields(c);
	c->off[c->nf] = c->arena.len;
	c->flen[c->nf] = len;
	c->isnull[c->nf] = len == 0;
	c->fx[c->nf] = K_OUT;
	if (len)
		bf_buf_add(&c->arena, s, len);
	c->nf++;
}

static void cb_row(int term, void *data)
{
	struct bf_csv *c = data;
	if (c->nrows == c->caprows) {
		c->caprows = c->caprows ? c->caprows * 2 : 8;
		c->row_end = bf_xrealloc(c->row_end, c->caprows * sizeof *c->row_end);
	}
	c->row_end[c->nrows++] = c->nf;
	c->row_ended_eof = term == -1;
}

/* A line with nothing but line ends (and, unless the header has one column, blanks). */
static int blank(const struct bf_csv *c, const char *s, size_t n)
{
	int spaces_ok = !c->have_header || c->header_n != 1;
	for (size_t i = 0; i < n; i++)
		if (s[i] != '\r' && s[i] != '\n' && !(spaces_ok && (s[i] == ' ' || s[i] == '\t')))
			return 0;
	return 1;
}

/* The first byte at or after u[e] that ends a field (quoted: a quote, CR or LF;
 * unquoted: also the delimiter); the flags of the bytes before it go into *acc. The
 * line's CR or LF end stops it. */
static inline size_t scan(const struct bf_csv *c, const unsigned char *u, size_t e,
			  int quoted, unsigned *acc)
{
	const unsigned char *k = c->cls, stop = quoted ? K_QSTOP : K_STOP;
	unsigned a = 0, x;
	while (!((x = k[u[e]]) & stop)) {
		a |= x;
		e++;
	}
	*acc |= a & K_OUT;
	return e;
}

/* The fast path: a whole line that starts a row and holds no CR but its line end, split
 * here as libcsv would split it (strict mode, no space trimming) without libcsv's
 * per-byte state machine. Quoted fields are taken when they close on this line and are
 * followed by a delimiter or the end; anything else (a quote inside an unquoted field,
 * text after a closing quote, a quoted newline) returns 0 and goes to libcsv. The same
 * pass notes which fields need JSON escaping or hold bytes >= 0x80. */
static int fast_row(struct bf_csv *c, const char *s, size_t n)
{
	size_t m = n - 1;            /* without the '\n' */
	if (m && s[m - 1] == '\r')
		m--;
	if (m == 0 || c->nf || !c->fast_ok)
		return 0;
	const unsigned char *u = (const unsigned char *)s;
	const unsigned char d = (unsigned char)c->o.delimiter;
	size_t nf = 0, start = 0, arena0 = c->arena.len;
	unsigned row = 0;
	for (;;) {
		if (nf == c->capf)
			grow_fields(c);
		unsigned acc = 0;
		size_t e = start;
		if (u[start] != '"') {
			e = scan(c, u, start, 0, &acc);   /* s[m] is CR or LF: a stop */
			if (e < m && u[e] != d)
				goto slow;               /* a quote or CR inside an unquoted field */
			c->fp[nf] = e > start ? s + start : NULL;
			c->flen[nf] = e - start;
		} else {
			/* quoted: find the closing quote, "" being an escaped one */
			int escaped = 0;
			for (e = start + 1;; e += 2) {
				e = scan(c, u, e, 1, &acc);
				if (e >= m || u[e] != '"')
					goto slow;       /* a CR, or it closes on a later line */
				if (e + 1 >= m || u[e + 1] != '"')
					break;
				escaped = 1;
			}
			if (e + 1 < m && u[e + 1] != d)
				goto slow;               /* text after the closing quote */
			size_t len = e - start - 1;
			c->fp[nf] = len ? s + start + 1 : NULL;
			c->flen[nf] = len;
			if (escaped) {
				acc |= BF_CSV_ESC | K_UNQ;
				c->off[nf] = c->arena.len;
				size_t w = 0;
				for (size_t i = start + 1; i < e; i++, w++) {
					bf_buf_addc(&c->arena, s[i]);
					i += s[i] == '"';
				}
				c->flen[nf] = w;
			}
			e++;
		}
		c->fx[nf++] = (unsigned char)(acc & (K_OUT | K_UNQ));
		row |= acc;
		if (e >= m)
			break;
		start = e + 1;
	}
	if (row & K_UNQ) {
		/* the arena is complete: point at the unescaped copies */
		bf_buf_grow(&c->arena, BF_CSV_PAD);
		for (size_t i = 0; i < nf; i++)
			if (c->fx[i] & K_UNQ) {
				c->fp[i] = c->arena.p + c->off[i];
				c->fx[i] &= K_OUT;
			}
	}
	c->nf = nf;
	c->fast = 1;
	c->row_fx = row & K_OUT;
	cb_row('\n', c);
	return 1;
slow:
	/* forget the fields taken so far; libcsv reads the line from its start */
	bf_buf_truncate(&c->arena, arena0);
	return 0;
}

/* Feeds one physical line (or the unterminated end of the file) to the parser. */
static void feed(struct bf_csv *c, const char *s, size_t n, int nl)
{
	c->last_nl = nl;
	if (c->rowraw.len == 0)
		c->row_line = c->lineno;
	if (nl && c->rowraw.len == 0 && fast_row(c, s, n))
		return;
	size_t used = csv_parse(&c->p, s, n, cb_field, cb_row, c);
	if (used != n || csv_error(&c->p) != CSV_SUCCESS) {
		c->parse_error = 1;
		return;
	}
}

/* Drops a UTF-8 BOM from the first physical line (whole, whatever the reads were). */
static void skip_bom(struct bf_csv *c, const char **l, size_t *n)
{
	if (c->bom_done)
		return;
	c->bom_done = 1;
	if (*n >= 3 && memcmp(*l, "\xEF\xBB\xBF", 3) == 0) {
		*l += 3;
		*n -= 3;
	}
}

/* Adds s[0..n) to the raw bytes of a row over max_row, keeping its first max_row bytes:
 * the same whatever the sizes of the reads were. */
static void keep_cut(struct bf_csv *c, const char *s, size_t n)
{
	size_t room = c->o.max_row > c->rowraw.len ? c->o.max_row - c->rowraw.len : 0;
	bf_buf_add(&c->rowraw, s, n < room ? n : room);
}

/* The first CR or LF of s[0, n), or NULL. */
static const char *find_cr_lf(const char *s, size_t n)
{
	size_t i = 0;
#ifdef __SSE2__
	const __m128i cr = _mm_set1_epi8('\r'), lf = _mm_set1_epi8('\n');
	for (; i + 16 <= n; i += 16) {
		__m128i v = _mm_loadu_si128((const __m128i *)(const void *)(s + i));
		unsigned m = (unsigned)_mm_movemask_epi8(_mm_or_si128(_mm_cmpeq_epi8(v, cr), _mm_cmpeq_epi8(v, lf)));
		if (m)
			return s + i + __builtin_ctz(m);
	}
#endif
	for (; i < n; i++)
		if (s[i] == '\r' || s[i] == '\n')
			return s + i;
	return NULL;
}

/* The byte that ends the first physical line of s[0, n): the LF of an LF or a CRLF, or
 * a lone CR. NULL when there is none yet: a CR that is the last byte may be the first
 * half of a CRLF. */
static const char *line_end(const struct bf_csv *c, const char *s, size_t n)
{
	if (!c->data_cr)
		return memchr(s, '\n', n);
	const char *p = find_cr_lf(s, n);
	if (!p || *p == '\n')
		return p;
	if (p + 1 == s + n)
		return NULL;
	return p[1] == '\n' ? p + 1 : p;
}

/* Reads input until at least one row completed (or a bad one, or EOF). */
static int advance(struct bf_csv *c, struct bf_err *err)
{
	/* drop what the previous rows used */
	c->nrows = c->next_row = c->row_first = 0;
	c->fast = 0;
	if (c->rowraw.len == 0) {
		c->nf = 0;
		bf_buf_reset(&c->arena);
	}
	for (;;) {
		if (c->dstart == c->dend) {
			if (c->data_eof)
				return 0;
			int rc = fill(c, err);
			if (rc)
				return rc;
			memset(c->data + c->dend, 0, BF_CSV_PAD);  /* padding read past fields: defined */
			c->data_cr = memchr(c->data, '\r', c->dend) != NULL;
			if (c->dstart == c->dend && c->data_eof) {
				/* end of file: the unterminated last line, then the open row */
				if (c->line.len) {
					c->lineno++;
					const char *l = c->line.p;
					size_t n = c->line.len;
					skip_bom(c, &l, &n);
					if (c->rowraw.len == 0 && blank(c, l, n)) {
						bf_buf_reset(&c->line);
						return 0;
					}
					feed(c, l, n, 0);
					bf_buf_add(&c->rowraw, l, n);
					bf_buf_reset(&c->line);
					if (c->parse_error)
						return 1;
				}
				if (c->rowraw.len) {
					if (csv_fini(&c->p, cb_field, cb_row, c) != 0)
						c->parse_error = 2;
					c->last_raw = c->rowraw.p;
					c->last_rawlen = c->rowraw.len;
					return 1;
				}
				return 0;
			}
			continue;
		}
		char *s = c->data + c->dstart;
		size_t avail = c->dend - c->dstart;
		if (c->skip_line) {
			/* the rest of a line already quarantined as too long is not a row; a CR
			 * dropped last ended it unless an LF follows */
			const char *end = c->skip_cr ? (*s == '\n' ? s : NULL) : line_end(c, s, avail);
			if (!end && c->skip_cr) {
				c->skip_cr = 0;
				c->skip_line = 0;
				c->lineno++;
				continue;
			}
			if (!end) {
				c->skip_cr = s[avail - 1] == '\r';
				c->dstart = c->dend;
				continue;
			}
			c->dstart += (size_t)(end - s) + 1;
			c->lineno++;
			c->skip_line = c->skip_cr = 0;
			continue;
		}
		/* the bytes of s that end the line: none when a line held back ended with a CR
		 * that no LF follows */
		size_t used;
		if (c->line.len && c->line.p[c->line.len - 1] == '\r' && *s != '\n') {
			used = 0;
		} else {
			const char *nl = line_end(c, s, avail);
			if (!nl) {
				bf_buf_add(&c->line, s, avail);
				c->dstart = c->dend;
				/* as if the line were whole: without the BOM, cut at max_row */
				size_t bom = !c->bom_done && c->line.len >= 3 &&
					     memcmp(c->line.p, "\xEF\xBB\xBF", 3) == 0 ? 3 : 0;
				if (c->line.len - bom + c->rowraw.len > c->o.max_row) {
					if (c->rowraw.len == 0)
						c->row_line = c->lineno + 1;
					c->bom_done = 1;
					c->parse_error = 3;
					c->skip_line = 1;
					c->skip_cr = c->line.p[c->line.len - 1] == '\r';
					keep_cut(c, c->line.p + bom, c->line.len - bom);
					bf_buf_reset(&c->line);
					return 1;
				}
				continue;
			}
			used = (size_t)(nl - s) + 1;
		}
		size_t n = used;
		const char *l = s;
		if (c->line.len) {
			bf_buf_add(&c->line, s, n);
			bf_buf_grow(&c->line, BF_CSV_PAD);
			memset(c->line.p + c->line.len, 0, BF_CSV_PAD);  /* padding read past fields: defined */
			l = c->line.p;
			n = c->line.len;
		}
		c->dstart += used;
		c->lineno++;
		skip_bom(c, &l, &n);
		if (c->rowraw.len + n > c->o.max_row) {
			if (c->rowraw.len == 0)
				c->row_line = c->lineno;
			c->parse_error = 3;
			keep_cut(c, l, n);
			bf_buf_reset(&c->line);
			return 1;
		}
		if (c->rowraw.len == 0 && blank(c, l, n)) {
			bf_buf_reset(&c->line);
			continue;
		}
		feed(c, l, n, 1);
		if (c->parse_error || c->nrows == 0) {
			/* inside a quoted field that goes on (or broken): keep the bytes */
			bf_buf_add(&c->rowraw, l, n);
			bf_buf_reset(&c->line);
			if (c->parse_error)
				return 1;
			if (c->rowraw.len > c->o.max_row) {
				c->parse_error = 3;
				return 1;
			}
			continue;
		}
		if (c->rowraw.len) {
			bf_buf_add(&c->rowraw, l, n);
			c->last_raw = c->rowraw.p;
			c->last_rawlen = c->rowraw.len;
		} else {
			c->last_raw = l;
			c->last_rawlen = n;
		}
		/* c->line (if used) stays valid until the next advance */
		return 1;
	}
}

static void raw_trim(const char **raw, size_t *len)
{
	while (*len && ((*raw)[*len - 1] == '\n' || (*raw)[*len - 1] == '\r'))
		(*len)--;
}

/* Hands out the next completed row of the last feed, or the bad row. */
static int take(struct bf_csv *c, struct bf_csv_row *row)
{
	memset(row, 0, sizeof *row);
	row->line = c->row_line;
	if (c->parse_error) {
		row->raw = c->rowraw.p;
		row->rawlen = c->rowraw.len;
		row->bad = c->parse_error == 1 ? "malformed quoting"
			 : c->parse_error == 2 ? "truncated last line (unterminated quoted field)"
			 : "row too long (unterminated quoted field?)";
		raw_trim(&row->raw, &row->rawlen);
		return 1;
	}
	size_t first = c->row_first, end = c->row_end[c->next_row];
	size_t n = end - first;
	if (!c->fast) {
		bf_buf_grow(&c->arena, BF_CSV_PAD);
		for (size_t i = 0; i < n; i++)
			c->fp[i] = c->isnull[first + i] ? NULL : c->arena.p + c->off[first + i];
	}
	row->n = n;
	row->f = c->fp;
	row->len = c->flen + first;
	row->flags = c->fx + first;
	row->raw = c->last_raw;
	row->rawlen = c->last_rawlen;
	raw_trim(&row->raw, &row->rawlen);
	c->row_first = end;
	c->next_row++;
	return 1;
}

/* After a row was handed out: forget the bytes of a completed multi-line row. */
static void settle(struct bf_csv *c)
{
	if (c->next_row >= c->nrows && !c->parse_error) {
		bf_buf_reset(&c->rowraw);
		bf_buf_reset(&c->line);
	}
}

static int next_row(struct bf_csv *c, struct bf_csv_row *row, struct bf_err *err)
{
	if (c->parse_error) {
		/* the bad row was handed out: start clean (rows the same line completed
		 * before the error are in its raw bytes already, not rows of their own) */
		c->parse_error = 0;
		c->nrows = c->next_row = 0;
		bf_buf_reset(&c->rowraw);
		bf_buf_reset(&c->line);
		c->nf = 0;
		bf_buf_reset(&c->arena);
		parser_reset(c);
	}
	if (c->next_row < c->nrows)
		return take(c, row);
	settle(c);
	int rc = advance(c, err);
	if (rc != 1)
		return rc;
	if (!c->parse_error && c->nrows == 0)
		return 0;
	return take(c, row);
}

int bf_csv_header(struct bf_csv *c, struct bf_csv_row *row, struct bf_err *err)
{
	int rc = next_row(c, row, err);
	if (rc != 1)
		return rc;
	if (row->bad)
		return bf_fail(err, BF_EDATA, c->name, "%ld: header: %s", row->line, row->bad);
	size_t bad;
	if (!bf_utf8_valid(row->raw, row->rawlen, &bad))
		return bf_fail(err, BF_EDATA, c->name, "%ld: header: invalid UTF-8 at byte %zu",
			       row->line, bad + 1);
	c->header_n = row->n;
	c->have_header = 1;
	return 1;
}

int bf_csv_next(struct bf_csv *c, struct bf_csv_row *row, struct bf_err *err)
{
	char *reason = c->reason;
	int rc = next_row(c, row, err);
	if (rc != 1 || row->bad)
		return rc;
	size_t bad;
	/* a fast row knows whether it has bytes >= 0x80 */
	int check = !c->fast || (c->row_fx & BF_CSV_HIGH);
	if (check && !bf_utf8_valid(row->raw, row->rawlen, &bad)) {
		snprintf(reason, sizeof c->reason, "invalid UTF-8 at byte %zu", bad + 1);
		row->bad = reason;
	} else if (row->n != c->header_n) {
		int truncated = c->row_ended_eof && !c->last_nl && c->next_row >= c->nrows &&
				row->n < c->header_n;
		snprintf(reason, sizeof c->reason, "%s (%zu fields, header has %zu)",
			 truncated ? "truncated last line" : "ragged row", row->n, c->header_n);
		row->bad = reason;
	}
	return 1;
}
