/* bf-sample: the CSV writer (struct csvw in sample.h), its field formatters and the files
 * of a partition. */
#include <errno.h>
#include <string.h>

#include "sample.h"

static void w_flush(struct csvw *w)
{
	if (!w->len)
		return;
	if (w->gz) {
		if (gzwrite(w->gz, w->buf, (unsigned)w->len) != (int)w->len) {
			int e = 0;
			const char *msg = gzerror(w->gz, &e);
			fail(BF_EIO, w->path, e == Z_ERRNO ? strerror(errno) : msg);
		}
	} else if (fwrite(w->buf, 1, w->len, w->fp) != w->len) {
		fail(BF_EIO, w->path, strerror(errno));
	}
	w->len = 0;
}

static inline void sep(struct csvw *w)
{
	if (w->field++)
		w->buf[w->len++] = ',';
	w->fld_start = w->len;
	w->fld_nl = w->nl;
}

static const char digits2[] =
	"00010203040506070809101112131415161718192021222324252627282930313233343536373839"
	"40414243444546474849505152535455565758596061626364656667686970717273747576777879"
	"8081828384858687888990919293949596979899";

/* Writes the digits of v ending at end; returns where they start. */
static char *digits32(char *end, uint32_t v)
{
	while (v >= 100) {
		uint32_t q = v % 100;
		v /= 100;
		end -= 2;
		memcpy(end, digits2 + 2 * q, 2);
	}
	if (v >= 10) {
		end -= 2;
		memcpy(end, digits2 + 2 * v, 2);
	} else {
		*--end = (char)('0' + v);
	}
	return end;
}

size_t fmt_u64(char *dst, uint64_t v)
{
	char t[24], *p = t + sizeof t;
	while (v > UINT32_MAX) {                      /* 8 digits at a time */
		uint32_t lo = (uint32_t)(v % 100000000);
		char *q = digits32(p, lo);
		v /= 100000000;
		while (q > p - 8)
			*--q = '0';
		p -= 8;
	}
	p = digits32(p, (uint32_t)v);
	size_t n = (size_t)(t + sizeof t - p);
	memcpy(dst, p, n);
	return n;
}

/* A value known to need no quoting. */
void f_raw(struct csvw *w, const char *s, size_t n)
{
	sep(w);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

void f_str(struct csvw *w, const char *s)
{
	f_raw(w, s, strlen(s));
}

void f_empty(struct csvw *w)
{
	sep(w);
}

/* Any text: quoted (RFC 4180) when it holds a comma, a quote or a line break. */
void f_text(struct csvw *w, const char *s)
{
	size_t i = strcspn(s, ",\"\r\n"), n;
	sep(w);
	if (!s[i]) {
		n = i < 2048 ? i : 2048;
		memcpy(w->buf + w->len, s, n);
		w->len += n;
		return;
	}
	n = i + strlen(s + i);
	if (n > 2048)
		n = 2048;
	char *p = w->buf + w->len;
	*p++ = '"';
	for (i = 0; i < n; i++) {
		if (s[i] == '"')
			*p++ = '"';
		else if (s[i] == '\n')
			w->nl++;
		*p++ = s[i];
	}
	*p++ = '"';
	w->len = (size_t)(p - w->buf);
}

void f_u(struct csvw *w, uint64_t v)
{
	sep(w);
	w->len += fmt_u64(w->buf + w->len, v);
}

size_t fmt_money(char *p, int64_t cents)
{
	size_t n = 0;
	if (cents < 0) {
		p[n++] = '-';
		cents = -cents;
	}
	n += fmt_u64(p + n, (uint64_t)cents / 100);
	p[n++] = '.';
	p[n++] = (char)('0' + cents / 10 % 10);
	p[n++] = (char)('0' + cents % 10);
	return n;
}

void f_money(struct csvw *w, int64_t cents)
{
	sep(w);
	w->len += fmt_money(w->buf + w->len, cents);
}

/* 100 * num / den with two decimals ("12.34"); "0.00" when den is 0. */
void f_pct(struct csvw *w, int64_t num, int64_t den)
{
	f_money(w, den ? (num * 10000 + den / 2) / den : 0);
}

void f_bool(struct csvw *w, int v)
{
	if (v)
		f_raw(w, "true", 4);
	else
		f_raw(w, "false", 5);
}

/* "11:32 AM" */
size_t fmt_t12(char *p, int secs)
{
	char *s = p;
	int h = secs / 3600, m = secs / 60 % 60, h12 = h % 12 ? h % 12 : 12;
	if (h12 >= 10)
		*p++ = '1';
	*p++ = (char)('0' + h12 % 10);
	*p++ = ':';
	p = put2(p, m);
	*p++ = ' ';
	*p++ = h < 12 ? 'A' : 'P';
	*p++ = 'M';
	return (size_t)(p - s);
}

/* "13:05:09" */
static size_t fmt_t24(char *p, int secs)
{
	put2(p, secs / 3600);
	p[2] = ':';
	put2(p + 3, secs / 60 % 60);
	p[5] = ':';
	put2(p + 6, secs % 60);
	return 8;
}

/* ------------------------------------------------------------------------------------
 * A partition being generated */

/* "4/4/24 11:32 AM" */
void f_ts12(struct csvw *w, const struct day *dy, int secs)
{
	sep(w);
	char *p = w->buf + w->len;
	memcpy(p, dy->d12, dy->d12n);
	p += dy->d12n;
	*p++ = ' ';
	p += fmt_t12(p, secs);
	w->len = (size_t)(p - w->buf);
}

/* "04/04/2024 11:32:05" */
void f_ts24(struct csvw *w, const struct day *dy, int secs)
{
	sep(w);
	char *p = w->buf + w->len;
	memcpy(p, dy->d24, 10);
	p[10] = ' ';
	fmt_t24(p + 11, secs);
	w->len += 19;
}

/* "1:23:05" */
void f_hms(struct csvw *w, int secs)
{
	sep(w);
	char *p = w->buf + w->len;
	p += fmt_u64(p, (uint64_t)(secs / 3600));
	*p++ = ':';
	p = put2(p, secs / 60 % 60);
	*p++ = ':';
	p = put2(p, secs % 60);
	w->len = (size_t)(p - w->buf);
}

/* "2 minutes and 52 seconds" */
void f_minsec(struct csvw *w, int secs)
{
	int m = secs / 60, s = secs % 60;
	sep(w);
	char *p = w->buf + w->len;
	p += fmt_u64(p, (uint64_t)m);
	memcpy(p, " minutes and ", 13);
	p += m == 1 ? 7 : 8;
	memcpy(p, " and ", 5);
	p += 5;
	p += fmt_u64(p, (uint64_t)s);
	memcpy(p, " seconds", 8);
	p += s == 1 ? 7 : 8;
	w->len = (size_t)(p - w->buf);
}

/* Starts a row; 0 when the file is not written in this partition. */
int row_begin(struct csvw *w)
{
	if (!w->on)
		return 0;
	if (w->len + ROW_RESERVE > WBUF_CAP)
		w_flush(w);
	if (w->dkind == D_BLANK_LINES && w->row_index == w->drow && w->row_index > 0) {
		w->dline = (long)w->nl + 1;
		for (int i = 0; i < 2; i++) {
			memcpy(w->buf + w->len, w->eol, w->eol_len);
			w->len += w->eol_len;
			w->nl++;
		}
	}
	w->row_start = w->len;
	w->row_nl = w->nl;
	w->field = 0;
	return 1;
}

/* Ends a row; returns whether it is a good one. */
int row_end(struct csvw *w)
{
	int good = 1;
	if (w->row_index == w->drow && (w->dkind == D_RAGGED || w->dkind == D_INVALID_UTF8)) {
		if (w->dkind == D_RAGGED && w->dvariant) {
			w->dline = (long)w->row_nl + 1;
			memcpy(w->buf + w->len, ",0.00", 5);
			w->len += 5;
			w->ddetail = "extra_field";
		} else if (w->dkind == D_RAGGED) {
			/* drop the last field and its comma */
			w->dline = (long)w->row_nl + 1;
			w->len = w->fld_start - 1;
			w->nl = w->fld_nl;
			w->ddetail = "missing_field";
		} else {
			/* the last field becomes text with an invalid sequence */
			w->len = w->fld_start;
			w->nl = w->fld_nl;
			w->dline = (long)w->nl + 1;
			memcpy(w->buf + w->len, "Caf\xC3\x28 au lait", 13);
			w->len += 13;
		}
		good = 0;
	}
	memcpy(w->buf + w->len, w->eol, w->eol_len);
	w->len += w->eol_len;
	w->nl++;
	w->row_index++;
	if (good)
		w->rows++;
	else
		w->bad++;
	return good;
}

/* ------------------------------------------------------------------------------------
 * Files of a partition */

void w_open(struct csvw *w, int k, const char *dir, int gz)
{
	snprintf(w->name, sizeof w->name, "%s.csv%s", file_stem[k], gz ? ".gz" : "");
	if (snprintf(w->path, sizeof w->path, "%s/%s", dir, w->name) >= (int)sizeof w->path)
		fail(BF_EIO, dir, "path too long");
	errno = 0;
	w->fp = NULL;
	w->gz = NULL;
	if (gz) {
		w->gz = gzopen(w->path, "wb6");
		if (!w->gz)
			fail(BF_EIO, w->path, errno ? strerror(errno) : "cannot open");
		gzbuffer(w->gz, 1u << 17);
	} else {
		w->fp = fopen(w->path, "wb");
		if (!w->fp)
			fail(BF_EIO, w->path, strerror(errno));
	}
	w->on = 1;
	w->len = 0;
	w->nl = 0;
	w->rows = w->bad = w->row_index = 0;
	w->dline = 0;
	w->ddetail = NULL;
	if (w->dkind == D_BOM) {
		memcpy(w->buf, "\xEF\xBB\xBF", 3);
		w->len = 3;
		w->dline = 1;
	} else if (w->dkind == D_GZIP) {
		w->dline = -1;
	}
	const char *const *h = file_header[k];
	w->field = 0;
	for (w->nfields = 0; h[w->nfields]; w->nfields++)
		f_text(w, h[w->nfields]);
	memcpy(w->buf + w->len, w->eol, w->eol_len);
	w->len += w->eol_len;
	w->nl++;
	w->row_start = w->len;
	w->row_nl = w->nl;
}

/* Cuts the last row in the middle: no final newline, fewer fields than the header, and
 * never inside a quoted field or across a line. */
static void cut_last_row(struct csvw *w)
{
	size_t p = w->row_start, end = w->len - w->eol_len, cut = 0;
	int inq = 0, seps = 0, target = w->nfields / 2;
	for (; p < end; p++) {
		char ch = w->buf[p];
		if (inq) {
			if (ch == '"') {
				if (p + 1 < end && w->buf[p + 1] == '"')
					p++;
				else
					inq = 0;
			} else if (ch == '\n' || ch == '\r') {
				break;
			}
		} else if (ch == '"') {
			inq = 1;
		} else if (ch == ',') {
			cut = p + 1;
			if (++seps == target)
				break;
		}
	}
	if (!cut)
		cut = w->row_start + 1;
	/* a few characters of the next field, when they are plain ASCII */
	for (int k = 0; k < 3 && cut < end; k++) {
		char ch = w->buf[cut];
		if (!((ch >= '0' && ch <= '9') || (ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z')))
			break;
		cut++;
	}
	w->len = cut;
	w->nl = w->row_nl;
	w->dline = (long)w->row_nl + 1;
}

/* Returns 1 when the last row was cut (a truncated defect). */
int w_close(struct csvw *w)
{
	int cut = 0;
	if (!w->on)
		return 0;
	if (w->dkind == D_TRUNCATED && w->rows > 0) {
		cut_last_row(w);
		w->rows--;
		w->bad++;
		cut = 1;
	}
	w_flush(w);
	if (w->gz) {
		int rc = gzclose(w->gz);
		if (rc != Z_OK)
			fail(BF_EIO, w->path, rc == Z_ERRNO ? strerror(errno) : "gzip write failed");
		w->gz = NULL;
	} else {
		if (fclose(w->fp) != 0)
			fail(BF_EIO, w->path, strerror(errno));
		w->fp = NULL;
	}
	w->on = 0;
	return cut;
}

