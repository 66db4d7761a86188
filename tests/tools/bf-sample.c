/* bf-sample: writes a deterministic point-of-sale nightly export drop (Toast-style CSV
 * files laid out as OUT/<location>/<YYYYMMDD>/<File>.csv) and OUT/manifest.json, which
 * describes exactly what was written: closed days and their expected closure reasons,
 * good and bad row counts, injected defects. Same arguments and seed, same bytes.
 *
 * Self-contained on purpose (only cJSON and zlib): the demo, the tests and the
 * benchmarks use it to make input for the bf tools. See bf-sample.1. */
#include <cjson/cJSON.h>
#include <dirent.h>
#include <errno.h>
#include <ftw.h>
#include <getopt.h>
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <unistd.h>
#include <zlib.h>

#define PROG "bf-sample"
#define VERSION "0.1.0"

enum { EXIT_USAGE = 64, EXIT_OSERR = 71, EXIT_CANTCREAT = 73, EXIT_IOERR = 74 };

/* ------------------------------------------------------------------------------------
 * Messages */

static void fail(int code, const char *where, const char *what) __attribute__((noreturn));
static void fail(int code, const char *where, const char *what)
{
	fprintf(stderr, "%s: %s: %s\n", PROG, where, what);
	exit(code);
}

static void *xmalloc(size_t n)
{
	void *p = calloc(1, n ? n : 1);
	if (!p)
		fail(EXIT_OSERR, "memory", strerror(errno));
	return p;
}

static void *xrealloc(void *p, size_t n)
{
	void *q = realloc(p, n ? n : 1);
	if (!q)
		fail(EXIT_OSERR, "memory", strerror(errno));
	return q;
}

/* ------------------------------------------------------------------------------------
 * PRNG: splitmix64, nothing else. Every partition gets its own stream derived from
 * (seed, location, date), so a partition's bytes do not depend on the others. */

struct rng {
	uint64_t s;
};

static uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static uint64_t rng_next(struct rng *r)
{
	return mix64(r->s += 0x9E3779B97F4A7C15ULL);
}

static struct rng rng_for(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
	struct rng r;
	r.s = mix64(seed ^ 0x5851F42D4C957F2DULL);
	r.s = mix64(r.s ^ (a + 0x632BE59BD9B4E019ULL));
	r.s = mix64(r.s ^ (b + 0x8CB92BA72F3D8DD7ULL));
	r.s = mix64(r.s ^ (c + 0xD1B54A32D192ED03ULL));
	return r;
}

/* Uniform in [0, n). */
static uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static int rng_range(struct rng *r, int lo, int hi)
{
	return lo + (int)rng_below(r, (uint32_t)(hi - lo + 1));
}

/* True with probability permille/1000. */
static int rng_chance(struct rng *r, unsigned permille)
{
	return rng_below(r, 1000) < permille;
}

/* Roughly normal with mean 0 and standard deviation 1000 (Irwin-Hall of four uniforms).
 * Integers only, here and in every computation that shapes the output, so the bytes do
 * not depend on the floating point of the machine or the compiler. */
static int rng_normal_milli(struct rng *r)
{
	uint64_t x = rng_next(r);
	int64_t s = (int64_t)(x & 0xffff) + (int64_t)(x >> 16 & 0xffff) +
		    (int64_t)(x >> 32 & 0xffff) + (int64_t)(x >> 48) - 2 * 65536;
	return (int)(s * 1732 / 65536);
}

/* ------------------------------------------------------------------------------------
 * Calendar: days since 1970-01-01 (proleptic Gregorian). */

static int64_t days_from_civil(int y, int m, int d)
{
	y -= m <= 2;
	int64_t era = (y >= 0 ? y : y - 399) / 400;
	int64_t yoe = y - era * 400;
	int64_t doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
	int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
	return era * 146097 + doe - 719468;
}

static void civil_from_days(int64_t z, int *y, int *m, int *d)
{
	z += 719468;
	int64_t era = (z >= 0 ? z : z - 146096) / 146097;
	int64_t doe = z - era * 146097;
	int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t mp = (5 * doy + 2) / 153;
	*d = (int)(doy - (153 * mp + 2) / 5 + 1);
	*m = (int)(mp < 10 ? mp + 3 : mp - 9);
	*y = (int)(yoe + era * 400 + (*m <= 2));
}

/* 0 = Sunday ... 6 = Saturday. */
static int weekday(int64_t z)
{
	return (int)(((z + 4) % 7 + 7) % 7);
}

static int days_in_month(int y, int m)
{
	static const int dm[12] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
	if (m == 2 && ((y % 4 == 0 && y % 100 != 0) || y % 400 == 0))
		return 29;
	return dm[m - 1];
}

/* "YYYY-MM-DD" strictly; returns 0 on success. */
static int parse_date(const char *s, int64_t *out)
{
	int y, m, d;
	char tail;
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	for (int i = 0; i < 10; i++)
		if (i != 4 && i != 7 && (s[i] < '0' || s[i] > '9'))
			return -1;
	if (sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
		return -1;
	if (y < 1971 || y > 2199 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return -1;
	*out = days_from_civil(y, m, d);
	return 0;
}

static inline char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

static void format_date(int64_t z, char out[11])
{
	int y, m, d;
	civil_from_days(z, &y, &m, &d);
	y %= 10000;
	out[0] = (char)('0' + y / 1000);
	out[1] = (char)('0' + y / 100 % 10);
	out[2] = (char)('0' + y / 10 % 10);
	out[3] = (char)('0' + y % 10);
	out[4] = '-';
	put2(out + 5, m);
	out[7] = '-';
	put2(out + 8, d);
	out[10] = 0;
}

/* ------------------------------------------------------------------------------------
 * The files of a drop: names, streams and headers (Toast data-export field reference). */

enum fkind { F_ALL_ITEMS, F_CASH, F_CHECK, F_ITEMSEL, F_KITCHEN, F_ORDER, F_PAYMENT, NF };

static const char *const file_stem[NF] = {
	"AllItemsReport", "CashEntries", "CheckDetails", "ItemSelectionDetails",
	"KitchenTimings", "OrderDetails", "PaymentDetails",
};

static const char *const stream_name[NF] = {
	"all_items_report", "cash_entries", "check_details", "item_selection_details",
	"kitchen_timings", "order_details", "payment_details",
};

static const char *const hdr_all_items[] = {
	"Master ID", "Item ID", "Parent ID", "Menu Name", "Menu Group", "Subgroup", "Menu Item",
	"Tags", "Avg Price", "Item Qty (incl voids)", "% of Ttl Qty (incl voids)",
	"Gross Amount (incl voids)", "% of Ttl Amt (incl voids)", "Item Qty", "Gross Amount",
	"Void Qty", "Void Amount", "Discount Amount", "Net Amount", "# Orders",
	"% of Ttl # Orders", "% Qty (Group)", "% Qty (Menu)", "% Qty (All)",
	"% Net Amt (Group)", "% Net Amt (Menu)", "% Net Amt (All)", NULL,
};

static const char *const hdr_cash[] = {
	"Location", "Entry Id", "Created Date", "Action", "Amount", "Cash Drawer",
	"Payout Reason", "No Sale Reason", "Comment", "Employee", "Employee 2", NULL,
};

static const char *const hdr_check[] = {
	"Customer Id", "Customer", "Customer Phone", "Customer Email", "Location Code",
	"Opened Date", "Opened Time", "Item Description", "Server", "Tax", "Tender", "Check Id",
	"Check #", "Total", "Customer Family", "Table Size", "Discount", "Reason of Discount",
	"Link", NULL,
};

static const char *const hdr_itemsel[] = {
	"Location", "Order Id", "Order #", "Sent Date", "Order Date", "Check Id", "Server",
	"Table", "Dining Area", "Service", "Dining Option", "Item Selection Id", "Item Id",
	"Master Id", "SKU", "PLU", "Menu Item", "Menu Subgroup(s)", "Menu Group", "Menu",
	"Sales Category", "Gross Price", "Discount", "Net Price", "Qty", "Tax", "Void?",
	"Deferred", "Tax Exempt", "Tax Inclusion Option", "Dining Option Tax", "Tab Name", NULL,
};

static const char *const hdr_kitchen[] = {
	"Location", "ID", "Server", "Check #", "Table", "Check Opened", "Station",
	"Expediter Level", "Fired Date", "Fulfilled Date", "Fulfillment Time", "Fulfilled By",
	NULL,
};

static const char *const hdr_order[] = {
	"Location", "Order Id", "Order #", "Checks", "Opened", "# of Guests", "Tab Names",
	"Server", "Table", "Revenue Center", "Dining Area", "Service", "Dining Options",
	"Discount Amount", "Amount", "Tax", "Tip", "Gratuity", "Total", "Voided", "Paid",
	"Closed", "Duration (Opened to Paid)", "Order Source", NULL,
};

static const char *const hdr_payment[] = {
	"Location", "Payment Id", "Order Id", "Order #", "Paid Date", "Order Date", "Check Id",
	"Check #", "Tab Name", "Server", "Table", "Dining Area", "Service", "Dining Option",
	"House Acct #", "Amount", "Tip", "Gratuity", "Total", "Swiped Card Amount",
	"Keyed Card Amount", "Amount Tendered", "Refunded", "Refund Date", "Refund Amount",
	"Refund Tip Amount", "Void User", "Void Approver", "Void Date", "Status", "Type",
	"Cash Drawer", "Card Type", "Other Type", "Email", "Phone", "Last 4 Card Digits",
	"V/MC/D Fees", "Room Info", "Receipt", "Source", NULL,
};

static const char *const *const file_header[NF] = {
	hdr_all_items, hdr_cash, hdr_check, hdr_itemsel, hdr_kitchen, hdr_order, hdr_payment,
};

/* ------------------------------------------------------------------------------------
 * Closures and defects */

enum closure {
	CL_OPEN, CL_MISSING, CL_EMPTY, CL_FEW_FILES, CL_HEADER_ONLY, CL_FEW_ORDERS, CL_NO_SALES,
	CL_N
};

static const char *const closure_name[CL_N] = {
	NULL, "missing_folder", "empty_folder", "few_files", "header_only", "few_orders",
	"no_sales",
};

static const char *const closure_reason[CL_N] = {
	NULL, "no_files", "no_files", "insufficient_files", "low_activity", "low_activity",
	"low_sales",
};

enum { R_NO_FILES, R_INSUFFICIENT, R_LOW_ACTIVITY, R_LOW_SALES, R_N };
static const char *const reason_name[R_N] = {
	"no_files", "insufficient_files", "low_activity", "low_sales",
};

enum dkind { D_NONE, D_BOM, D_RAGGED, D_TRUNCATED, D_INVALID_UTF8, D_BLANK_LINES, D_GZIP, D_N };

static const char *const defect_name[D_N] = {
	NULL, "bom", "ragged", "truncated", "invalid_utf8", "blank_lines", "gzip",
};

/* ------------------------------------------------------------------------------------
 * Options */

struct cfg {
	const char *out;
	uint64_t seed;
	int64_t start;
	int days;
	int orders_per_day;
	int locations;
	unsigned defects;          /* bit (1 << enum dkind) */
	int gzip_all, lf, no_closures, force, quiet;
};

/* ------------------------------------------------------------------------------------
 * CSV writer: one per file kind, reused for every partition. Rows are built in a large
 * buffer that is flushed (to stdio or zlib) only between rows, so the current and the
 * last row can still be edited when a defect is injected. Physical lines are counted
 * as they are written, embedded newlines included. */

#define WBUF_CAP (1u << 20)
#define ROW_RESERVE (16u << 10)

struct csvw {
	char *buf;
	size_t len;
	FILE *fp;
	gzFile gz;
	int on;                    /* written in this partition */
	int nfields;
	int field;                 /* fields started in the current row */
	const char *eol;
	size_t eol_len;
	uint64_t nl;               /* newline bytes written so far */
	size_t row_start;          /* current (or last) row */
	uint64_t row_nl;
	size_t fld_start;          /* content of the current (or last) field */
	uint64_t fld_nl;
	long rows, bad, row_index;
	/* the defect planned for this file, if any */
	int dkind;
	long drow;
	int dvariant;
	long dline;                /* line where it landed; 0 = not applied */
	const char *ddetail;
	char name[64];             /* file name as written */
	char path[PATH_MAX];
};

static void w_flush(struct csvw *w)
{
	if (!w->len)
		return;
	if (w->gz) {
		if (gzwrite(w->gz, w->buf, (unsigned)w->len) != (int)w->len) {
			int e = 0;
			const char *msg = gzerror(w->gz, &e);
			fail(EXIT_IOERR, w->path, e == Z_ERRNO ? strerror(errno) : msg);
		}
	} else if (fwrite(w->buf, 1, w->len, w->fp) != w->len) {
		fail(EXIT_IOERR, w->path, strerror(errno));
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

static size_t fmt_u64(char *dst, uint64_t v)
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
static void f_raw(struct csvw *w, const char *s, size_t n)
{
	sep(w);
	memcpy(w->buf + w->len, s, n);
	w->len += n;
}

static void f_str(struct csvw *w, const char *s)
{
	f_raw(w, s, strlen(s));
}

static void f_empty(struct csvw *w)
{
	sep(w);
}

/* Any text: quoted (RFC 4180) when it holds a comma, a quote or a line break. */
static void f_text(struct csvw *w, const char *s)
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

static void f_u(struct csvw *w, uint64_t v)
{
	sep(w);
	w->len += fmt_u64(w->buf + w->len, v);
}

static size_t fmt_money(char *p, int64_t cents)
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

static void f_money(struct csvw *w, int64_t cents)
{
	sep(w);
	w->len += fmt_money(w->buf + w->len, cents);
}

/* 100 * num / den with two decimals ("12.34"); "0.00" when den is 0. */
static void f_pct(struct csvw *w, int64_t num, int64_t den)
{
	f_money(w, den ? (num * 10000 + den / 2) / den : 0);
}

static void f_bool(struct csvw *w, int v)
{
	if (v)
		f_raw(w, "true", 4);
	else
		f_raw(w, "false", 5);
}

/* "11:32 AM" */
static size_t fmt_t12(char *p, int secs)
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

struct day {
	int loc;
	int64_t date;
	int y, m, d, wd;
	char ymd[11];              /* 2024-04-04 */
	char d12[12];              /* 4/4/24 */
	size_t d12n;
	char d24[12];              /* 04/04/2024 */
	const char *locname;
	const char *loccode;
	char locq[160];            /* locname as a CSV field */
	size_t locqn;
	struct rng r;
};

/* "4/4/24 11:32 AM" */
static void f_ts12(struct csvw *w, const struct day *dy, int secs)
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
static void f_ts24(struct csvw *w, const struct day *dy, int secs)
{
	sep(w);
	char *p = w->buf + w->len;
	memcpy(p, dy->d24, 10);
	p[10] = ' ';
	fmt_t24(p + 11, secs);
	w->len += 19;
}

/* "1:23:05" */
static void f_hms(struct csvw *w, int secs)
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
static void f_minsec(struct csvw *w, int secs)
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
static int row_begin(struct csvw *w)
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
static int row_end(struct csvw *w)
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
 * Generator state */

struct part {
	int loc, day;
	unsigned char closure;
	unsigned char folder;      /* 0 missing, 1 empty, 2 present */
	struct {
		unsigned char written, gz;
		long rows, bad;
	} f[NF];
	long orders;
	int64_t sales;
};

struct defect_rec {
	int loc, day, file, kind;
	long line;
	char name[64];
	const char *detail;
};

struct dplan {
	int loc, day, file, kind;
};

struct gen {
	struct cfg c;
	struct csvw w[NF];
	char (*locid)[12];
	char (*locname)[64];
	int *locfactor;            /* per mille */
	unsigned char *closure;    /* [loc * days + day] */
	struct dplan *plan;
	size_t nplan;
	struct part *parts;
	size_t nparts;
	struct defect_rec *defs;
	size_t ndefs, capdefs;
	int *times;
	size_t captimes;
	long total_rows, total_bad;
};

/* ------------------------------------------------------------------------------------
 * Reference data */

enum station { ST_GRILL, ST_FRY, ST_PANTRY, ST_PASTRY, ST_BAR, ST_N };
static const char *const station_name[ST_N] = { "Grill", "Fry", "Pantry", "Pastry", "Bar" };

static const char *const menu_name[] = { "Food", "Drinks", "Happy Hour" };
static const char *const group_name[] = {
	"Starters", "Salads", "Burgers & Sandwiches", "Mains", "Desserts", "Cocktails", "Beer",
	"Wine", "Non-Alcoholic",
};
#define NGROUPS (sizeof group_name / sizeof group_name[0])
#define NMENUS (sizeof menu_name / sizeof menu_name[0])

struct menu_item {
	const char *name;
	int group, menu;
	const char *subgroup;
	const char *category;
	int price;                 /* cents */
	int station;
	const char *tags;
	const char *sku, *plu;
	int weight;
};

static const struct menu_item menu[] = {
	{ "Jalapeño Poppers", 0, 0, "Hot Starters", "Food", 1095, ST_FRY, "Vegetarian", "SKU-1001", "", 40 },
	{ "Crab Cakes, Maryland Style", 0, 0, "Hot Starters", "Food", 1695, ST_GRILL, "", "SKU-1002", "4011", 25 },
	{ "Truffle Fries", 0, 0, "Hot Starters", "Food", 950, ST_FRY, "Vegetarian, Gluten Free", "SKU-1003", "", 60 },
	{ "Burrata & Heirloom Tomatoes", 0, 0, "Cold Starters", "Food", 1450, ST_PANTRY, "Vegetarian", "SKU-1004", "", 25 },
	{ "Wings (12 pc)", 0, 0, "Hot Starters", "Food", 1595, ST_FRY, "", "SKU-1005", "4015", 45 },
	{ "Soup du Jour", 0, 0, "", "Food", 795, ST_PANTRY, "", "", "", 20 },
	{ "Caesar Salad", 1, 0, "", "Food", 1250, ST_PANTRY, "", "SKU-1101", "", 35 },
	{ "Niçoise Salad", 1, 0, "", "Food", 1595, ST_PANTRY, "Gluten Free", "SKU-1102", "", 15 },
	{ "Kale & Quinoa Bowl", 1, 0, "", "Food", 1395, ST_PANTRY, "Vegan, Gluten Free", "SKU-1103", "", 20 },
	{ "Classic Cheeseburger", 2, 0, "Burgers", "Food", 1595, ST_GRILL, "", "SKU-1201", "4201", 70 },
	{ "The \"Big Easy\" Burger", 2, 0, "Burgers", "Food", 1895, ST_GRILL, "", "SKU-1202", "4202", 35 },
	{ "Beyond Burger", 2, 0, "Burgers", "Food", 1695, ST_GRILL, "Vegan", "SKU-1203", "", 20 },
	{ "Fried Chicken Sandwich", 2, 0, "Sandwiches", "Food", 1550, ST_FRY, "", "SKU-1204", "", 45 },
	{ "Croque-Monsieur", 2, 0, "Sandwiches", "Food", 1450, ST_GRILL, "", "SKU-1205", "", 15 },
	{ "Steak Frites", 3, 0, "", "Food", 3200, ST_GRILL, "Gluten Free", "SKU-1301", "", 30 },
	{ "Pan-Seared Salmon", 3, 0, "", "Food", 2850, ST_GRILL, "Gluten Free", "SKU-1302", "", 30 },
	{ "Fish & Chips", 3, 0, "", "Food", 2195, ST_FRY, "", "SKU-1303", "", 35 },
	{ "Mushroom Risotto", 3, 0, "", "Food", 2250, ST_GRILL, "Vegetarian", "SKU-1304", "", 20 },
	{ "12\" Margherita Pizza", 3, 0, "Pizza", "Food", 1800, ST_GRILL, "Vegetarian", "SKU-1305", "4305", 40 },
	{ "Half Roast Chicken", 3, 0, "", "Food", 2450, ST_GRILL, "Gluten Free", "SKU-1306", "", 20 },
	{ "Crème brûlée", 4, 0, "", "Food", 995, ST_PASTRY, "Vegetarian", "SKU-1401", "", 25 },
	{ "Chocolate Lava Cake", 4, 0, "", "Food", 1050, ST_PASTRY, "Vegetarian", "SKU-1402", "", 25 },
	{ "Key Lime Pie", 4, 0, "", "Food", 895, ST_PASTRY, "", "SKU-1403", "", 15 },
	{ "Affogato", 4, 0, "", "Food", 750, ST_PASTRY, "", "", "", 10 },
	{ "Old Fashioned", 5, 1, "Whiskey", "Liquor", 1400, ST_BAR, "", "SKU-2001", "", 35 },
	{ "Spicy Margarita", 5, 1, "Tequila", "Liquor", 1300, ST_BAR, "", "SKU-2002", "", 40 },
	{ "Espresso Martini", 5, 1, "Vodka", "Liquor", 1450, ST_BAR, "", "SKU-2003", "", 30 },
	{ "Aperol Spritz", 5, 2, "", "Liquor", 900, ST_BAR, "", "SKU-2004", "", 25 },
	{ "Negroni", 5, 1, "Gin", "Liquor", 1350, ST_BAR, "", "SKU-2005", "", 15 },
	{ "IPA Draft 16oz", 6, 1, "Draft", "Beer", 800, ST_BAR, "", "SKU-2101", "6101", 55 },
	{ "Pilsner Draft 16oz", 6, 1, "Draft", "Beer", 750, ST_BAR, "", "SKU-2102", "6102", 35 },
	{ "Happy Hour Draft", 6, 2, "Draft", "Beer", 500, ST_BAR, "", "SKU-2103", "", 20 },
	{ "Modelo Especial", 6, 1, "Bottles & Cans", "Beer", 700, ST_BAR, "", "SKU-2104", "", 20 },
	{ "Sauvignon Blanc, Glass", 7, 1, "White", "Wine", 1200, ST_BAR, "", "SKU-2201", "", 30 },
	{ "Pinot Noir, Glass", 7, 1, "Red", "Wine", 1400, ST_BAR, "", "SKU-2202", "", 30 },
	{ "Côtes du Rhône, Bottle", 7, 1, "Red", "Wine", 4800, ST_BAR, "", "SKU-2203", "", 8 },
	{ "Prosecco, Glass", 7, 2, "Sparkling", "Wine", 1100, ST_BAR, "", "SKU-2204", "", 15 },
	{ "Fountain Soda", 8, 1, "", "NA Beverage", 350, ST_BAR, "", "", "6301", 60 },
	{ "Fresh Lemonade", 8, 1, "", "NA Beverage", 450, ST_BAR, "Vegan", "", "", 25 },
	{ "Iced Tea", 8, 1, "", "NA Beverage", 400, ST_BAR, "", "", "", 25 },
	{ "Cold Brew", 8, 1, "Coffee", "NA Beverage", 500, ST_BAR, "", "", "", 15 },
	{ "Sparkling Water, 750ml", 8, 1, "", "NA Beverage", 650, ST_BAR, "", "SKU-2305", "", 15 },
};
#define NMENU ((int)(sizeof menu / sizeof menu[0]))

static const char *const servers[] = {
	"Alex Johnson", "María García", "Sam O'Connor", "Priya Patel", "José Núñez",
	"Chloé Martin", "Marcus Lee", "Zoë Schäfer", "Devon Brooks", "Siobhán Kelly",
	"Tyler Nguyen", "Hannah Kim", "Andre Williams", "Emma Lindqvist",
};
#define NSERVERS ((int)(sizeof servers / sizeof servers[0]))

static const char *const bartenders[] = { "Jamie Rivera", "Björn Olsen", "Keisha Grant", "Luca Romano" };
#define NBARTENDERS ((int)(sizeof bartenders / sizeof bartenders[0]))

static const char *const cooks[] = {
	"Luis Peña", "Ana Müller", "DeShawn Carter", "Mei Lin", "Rafael Ortiz", "Greta Novak",
};
#define NCOOKS ((int)(sizeof cooks / sizeof cooks[0]))

static const char *const managers[] = { "Pat Morgan (Manager)", "Renée Dubois", "Chris Okafor" };
#define NMANAGERS ((int)(sizeof managers / sizeof managers[0]))

struct customer {
	const char *name, *phone, *email;
};

static const struct customer customers[] = {
	{ "Jordan Kim", "(617) 555-0142", "jordan.kim@example.com" },
	{ "Smith, Pat", "(617) 555-0199", "pat.smith@example.org" },
	{ "Renée Lefèvre", "(857) 555-0110", "renee.lefevre@example.net" },
	{ "\"Big\" Mike Donovan", "(781) 555-0177", "bigmike@example.com" },
	{ "Aiko Tanaka", "(617) 555-0123", "aiko.t@example.com" },
	{ "Carlos Jiménez", "(339) 555-0155", "cjimenez@example.org" },
	{ "Fatima Al-Sayed", "(617) 555-0188", "fatima.alsayed@example.com" },
	{ "O'Brien, Liam", "(508) 555-0101", "liam.obrien@example.net" },
	{ "Nguyễn Thị Lan", "(617) 555-0164", "lan.nguyen@example.com" },
	{ "Sophie Dubois", "(857) 555-0133", "sophie@example.org" },
	{ "Ben Carter", "", "" },
	{ "Olivia Brown", "(617) 555-0145", "" },
};
#define NCUSTOMERS ((int)(sizeof customers / sizeof customers[0]))

static const char *const tab_names[] = {
	"Jordan K.", "Smith, Pat", "\"Big\" Mike", "Table 12 - birthday", "Renée", "Liam O.",
	"Aiko", "Carlos J.", "Bar tab #4", "Lee party, 6", "Fatima", "Sophie D.",
};
#define NTABS ((int)(sizeof tab_names / sizeof tab_names[0]))
/* Now and then a tab name runs over two lines. */
static const char *const tab_names_multiline[] = {
	"Lee family\nallergy: peanuts", "Birthday - \"Sam\"\nbring candle w/ dessert",
	"Walk-in, party of 5\nhigh chair",
};

enum dining { OPT_DINE_IN, OPT_TAKE_OUT, OPT_DELIVERY, OPT_CURBSIDE };
static const char *const dining_option[] = { "Dine In", "Take Out", "Delivery", "Curbside" };

enum source { SRC_IN_STORE, SRC_ONLINE, SRC_DOORDASH, SRC_UBER, SRC_GRUBHUB, SRC_KIOSK };
static const char *const order_source[] = {
	"In store", "Online Ordering", "DoorDash", "Uber Eats", "Grubhub", "Kiosk",
};
static const char *const pay_source[] = { "In Store", "Online", "API", "API", "API", "Kiosk" };

enum area { AREA_NONE, AREA_MAIN, AREA_BAR, AREA_PATIO };
static const char *const area_name[] = { "", "Main Dining", "Bar", "Patio" };
static const char *const revenue_center[] = { "Takeout", "Dining Room", "Bar", "Patio" };

static const char *const service_name[] = { "Brunch", "Lunch", "Happy Hour", "Dinner" };

enum ptype { PT_CREDIT, PT_CASH, PT_GIFT, PT_OTHER, PT_HOUSE };
static const char *const pay_type[] = { "Credit", "Cash", "Gift Card", "Other", "House Account" };
static const char *const card_type[] = { "VISA", "MASTERCARD", "AMEX", "DISCOVER" };

static const char *const discount_reason[] = {
	"", "Employee Meal", "Happy Hour", "Manager Comp - long wait", "Loyalty, $5 off",
	"Comp - \"kitchen error\"",
};

static const char *const payout_reasons[] = {
	"Produce delivery", "Ice run", "Cleaning supplies, urgent", "Farmers' market",
};
static const char *const nosale_reasons[] = { "Make change", "Count drawer", "Customer needed change for parking" };
static const char *const cash_comments[] = {
	"", "", "", "Receipt in envelope", "Paid driver, \"COD\" delivery",
	"Counted twice.\nShort in quarters", "Approved by GM",
};

static const char *const location_names[] = {
	"Harbor Street Kitchen", "Café Lumière, Midtown", "Northside Tap & Grill",
	"Pier 9 Oyster Bar", "The \"Old Mill\" Tavern", "Jalapeño Cantina",
};
#define NLOCNAMES ((int)(sizeof location_names / sizeof location_names[0]))

/* ------------------------------------------------------------------------------------
 * Orders */

#define MAX_ITEMS 12
#define MAX_CHECKS 2
#define MAX_PAYS 4

struct item {
	uint64_t sel_id;
	int menu, qty, check, voided, sent;
	int64_t gross, disc, net, tax;
};

struct check {
	uint64_t id;
	int num;
	int64_t gross, disc, amount, tax, tip, grat;
};

struct pay {
	uint64_t id;
	int check, type, card, swiped, refunded, receipt, last4, other;
	int64_t amount, tip, grat, tendered, fees, refund;
};

struct order {
	uint64_t id;
	int num, opened, paid, closed;
	int guests, option, source, area, service, customer, voided, disc_reason;
	const char *server, *tab;
	char table[8];
	int nitems, nchecks, npay;
	struct item it[MAX_ITEMS];
	struct check ck[MAX_CHECKS];
	struct pay p[MAX_PAYS];
	int64_t gross, disc, amount, tax, tip, grat;
};

/* What a day adds up to, for AllItemsReport and CashEntries. */
struct agg {
	long qty_all, qty, void_qty, orders;
	int64_t gross_all, gross, void_amt, disc, net;
	int last_order;
};

struct daystate {
	struct agg a[NMENU];
	int64_t cash[2];           /* cash taken per drawer */
	int check_no;
	uint32_t seq_check, seq_pay, seq_sel, seq_kit, seq_cash;
	long orders;               /* good OrderDetails rows */
	int64_t sales;             /* their non-voided Amount */
	int64_t last_counted;      /* what the last OrderDetails row added to sales, -1 if not counted */
};

#define TAX_BP 825             /* 8.25 % */
#define TEN16 10000000000000000ULL

/* A 17-digit id: kind digit, day (5), location (2), then 9 digits that are a bijective
 * scramble of (sequence, noise): unique per kind, day and location. */
static uint64_t id17(const struct day *dy, int kind, uint32_t seq, struct rng *r)
{
	uint64_t x = (uint64_t)(seq % 1000000) * 1000 + rng_below(r, 1000);
	x = (x * 387420489ULL + 123456789ULL) % 1000000000ULL;
	return (uint64_t)kind * TEN16 + (uint64_t)(dy->date % 100000) * 100000000000ULL +
	       (uint64_t)(dy->loc % 100) * 1000000000ULL + x;
}

static uint64_t menu_item_id(int i)
{
	return 2 * TEN16 + mix64((uint64_t)i + 1000) % TEN16;
}

static uint64_t menu_master_id(int i)
{
	return 3 * TEN16 + mix64((uint64_t)i + 2000) % TEN16;
}

static int menu_total_weight;

static int pick_menu(struct rng *r, int drinks_only)
{
	for (;;) {
		int w = (int)rng_below(r, (uint32_t)menu_total_weight), i = 0;
		while (w >= menu[i].weight)
			w -= menu[i++].weight;
		if (!drinks_only || menu[i].station == ST_BAR)
			return i;
	}
}

static int clamp_day(int t)
{
	return t < 0 ? 0 : t > 86399 ? 86399 : t;
}

static int64_t tax_of(int64_t net)
{
	return (net * TAX_BP + 5000) / 10000;
}

static void make_items(struct day *dy, struct daystate *ds, struct order *o, int bar)
{
	struct rng *r = &dy->r;
	int n;
	if (o->option == OPT_DINE_IN)
		n = bar ? rng_range(r, 1, 3) : o->guests + rng_range(r, 0, o->guests);
	else
		n = rng_range(r, 1, 4);
	if (n > MAX_ITEMS)
		n = MAX_ITEMS;
	o->nitems = n;
	for (int i = 0; i < n; i++) {
		struct item *it = &o->it[i];
		it->menu = pick_menu(r, bar && i > 0);
		const struct menu_item *mi = &menu[it->menu];
		it->qty = mi->station == ST_BAR && rng_chance(r, 150) ? 2 : 1;
		it->gross = (int64_t)mi->price * it->qty;
		if (mi->station != ST_BAR && rng_chance(r, 120))
			it->gross += 150 * it->qty;        /* add-ons */
		it->voided = rng_chance(r, 12);
		it->check = i % (o->nchecks ? o->nchecks : 1);
		/* one draw per statement: the order of evaluation within an expression is
		 * unspecified in C, and the bytes must not depend on the compiler */
		it->sent = o->opened + rng_range(r, 20, 240);
		if (mi->station == ST_PASTRY && o->option == OPT_DINE_IN)
			it->sent += rng_range(r, 1800, 3600);      /* dessert comes later */
		it->sent = clamp_day(it->sent);
		it->sel_id = id17(dy, 7, ds->seq_sel++, r);
	}
}

static void apply_discount(struct rng *r, struct order *o, int no_sales)
{
	int reason = 0;
	if (no_sales)
		reason = rng_chance(r, 500) ? 3 : 5;
	else if (rng_chance(r, 70))
		reason = rng_range(r, 1, 5);
	o->disc_reason = reason;
	int target = (int)rng_below(r, (uint32_t)o->nitems);
	for (int i = 0; i < o->nitems; i++) {
		struct item *it = &o->it[i];
		int64_t d = 0;
		switch (reason) {
		case 1: d = it->gross / 2; break;
		case 2: d = menu[it->menu].station == ST_BAR ? it->gross / 4 : 0; break;
		case 3: d = no_sales || i == target ? it->gross : 0; break;
		case 4: d = i == target ? (it->gross < 500 ? it->gross : 500) : 0; break;
		case 5: d = no_sales || i == target ? it->gross : 0; break;
		default: break;
		}
		it->disc = d;
		it->net = it->gross - d;
		it->tax = tax_of(it->net);
	}
}

static void make_payments(struct day *dy, struct daystate *ds, struct order *o)
{
	struct rng *r = &dy->r;
	o->npay = 0;
	for (int c = 0; c < o->nchecks; c++) {
		struct check *ck = &o->ck[c];
		int64_t due = ck->amount + ck->tax;
		if (o->voided || due + ck->grat == 0)
			continue;
		int type, other = 0;
		if (o->source == SRC_ONLINE) {
			type = PT_CREDIT;
		} else if (o->source >= SRC_DOORDASH && o->source <= SRC_GRUBHUB) {
			type = PT_OTHER;
			other = o->source;
		} else {
			int u = (int)rng_below(r, 100);
			type = u < 76 ? PT_CREDIT : u < 95 ? PT_CASH : u < 99 ? PT_GIFT : PT_HOUSE;
			if (type == PT_CASH && o->source == SRC_KIOSK)
				type = PT_CREDIT;
		}
		int parts = type == PT_CREDIT && o->option == OPT_DINE_IN && rng_chance(r, 80) ? 2 : 1;
		for (int k = 0; k < parts; k++) {
			struct pay *p = &o->p[o->npay++];
			memset(p, 0, sizeof *p);
			p->id = id17(dy, 6, ds->seq_pay++, r);
			p->check = c;
			p->type = type;
			p->other = other;
			p->amount = parts == 1 ? due : k == 0 ? due / 2 : due - due / 2;
			p->grat = k == 0 ? ck->grat : 0;
			int base_pct = 0;
			if (type == PT_CREDIT || type == PT_GIFT)
				base_pct = o->option == OPT_DINE_IN ? rng_range(r, 15, 25)
					 : rng_chance(r, 500) ? rng_range(r, 5, 15) : 0;
			if (p->grat)
				base_pct = 0;
			p->tip = p->amount * base_pct / 100;
			ck->tip += p->tip;
			if (type == PT_CREDIT) {
				int u = (int)rng_below(r, 100);
				p->card = u < 55 ? 0 : u < 82 ? 1 : u < 95 ? 2 : 3;
				p->swiped = o->source == SRC_IN_STORE || o->source == SRC_KIOSK ? !rng_chance(r, 60) : 0;
				p->last4 = (int)rng_below(r, 10000);
				if (p->card != 2)
					p->fees = (p->amount + p->tip + p->grat) * 26 / 1000 + 10;
				if (rng_chance(r, 4)) {
					p->refunded = 1;
					p->refund = rng_chance(r, 500) ? p->amount : p->amount / 2;
				}
			} else if (type == PT_CASH) {
				int64_t t = p->amount + p->grat;
				int64_t step = t > 4000 ? 2000 : 500;
				p->tendered = rng_chance(r, 300) ? t : (t / step + 1) * step;
				ds->cash[o->area == AREA_BAR] += t;
			}
			p->receipt = (int)rng_below(r, 4);
		}
	}
}

/* One order, drawn from the partition's stream. */
static void make_order(struct day *dy, struct daystate *ds, int idx, int opened, int no_sales,
		       struct order *o)
{
	struct rng *r = &dy->r;
	o->num = idx + 1;
	o->id = id17(dy, 4, (uint32_t)idx, r);
	o->opened = opened;
	o->customer = -1;
	o->tab = "";
	o->table[0] = 0;
	o->area = AREA_NONE;
	o->guests = 1;
	o->server = "";
	int u = (int)rng_below(r, 100);
	if (u < 62) {
		o->option = OPT_DINE_IN;
		o->source = SRC_IN_STORE;
	} else if (u < 72) {
		o->option = OPT_TAKE_OUT;
		o->source = SRC_IN_STORE;
	} else if (u < 77) {
		o->option = OPT_TAKE_OUT;
		o->source = SRC_KIOSK;
	} else if (u < 86) {
		o->option = rng_chance(r, 400) ? OPT_CURBSIDE : OPT_TAKE_OUT;
		o->source = SRC_ONLINE;
	} else {
		o->option = OPT_DELIVERY;
		u = (int)rng_below(r, 10);
		o->source = u < 5 ? SRC_DOORDASH : u < 8 ? SRC_UBER : SRC_GRUBHUB;
	}
	int bar = 0;
	if (o->option == OPT_DINE_IN) {
		static const int guests_w[8] = { 15, 40, 15, 18, 5, 4, 2, 1 };
		u = (int)rng_below(r, 100);
		o->area = u < 65 ? AREA_MAIN : u < 85 ? AREA_BAR : AREA_PATIO;
		if (o->area == AREA_PATIO && (dy->m < 5 || dy->m > 9))
			o->area = AREA_MAIN;
		bar = o->area == AREA_BAR;
		if (bar) {
			o->guests = rng_range(r, 1, 2);
			o->table[0] = 'B';
			o->table[1 + fmt_u64(o->table + 1, (uint64_t)rng_range(r, 1, 12))] = 0;
			o->server = bartenders[rng_below(r, NBARTENDERS)];
		} else {
			int w = (int)rng_below(r, 100), g = 0;
			while (w >= guests_w[g])
				w -= guests_w[g++];
			o->guests = g + 1;
			if (o->area == AREA_PATIO) {
				o->table[0] = 'P';
				o->table[1 + fmt_u64(o->table + 1, (uint64_t)rng_range(r, 1, 10))] = 0;
			} else {
				o->table[fmt_u64(o->table, (uint64_t)rng_range(r, 1, 30))] = 0;
			}
			o->server = servers[rng_below(r, NSERVERS)];
		}
	} else if (o->source == SRC_IN_STORE) {
		o->server = servers[rng_below(r, NSERVERS)];
	}
	int h = opened / 3600;
	o->service = h < 15 ? (dy->wd == 0 || dy->wd == 6 ? 0 : 1) : h < 17 ? 2 : 3;

	/* who */
	if (o->source != SRC_IN_STORE && o->source != SRC_KIOSK) {
		o->customer = (int)rng_below(r, NCUSTOMERS);
		o->tab = customers[o->customer].name;
	} else {
		if (rng_chance(r, 150))
			o->customer = (int)rng_below(r, NCUSTOMERS);
		if (rng_chance(r, bar ? 400 : o->option == OPT_DINE_IN ? 30 : 600))
			o->tab = rng_chance(r, 15) ? tab_names_multiline[rng_below(r, 3)]
						   : tab_names[rng_below(r, NTABS)];
	}

	/* what */
	o->nchecks = o->option == OPT_DINE_IN && o->guests >= 2 && rng_chance(r, 120) ? 2 : 1;
	make_items(dy, ds, o, bar);
	o->voided = no_sales ? rng_chance(r, 700) : rng_chance(r, 15);
	apply_discount(r, o, no_sales && !o->voided);

	o->gross = o->disc = o->amount = o->tax = o->tip = o->grat = 0;
	for (int c = 0; c < o->nchecks; c++) {
		struct check *ck = &o->ck[c];
		memset(ck, 0, sizeof *ck);
		ck->num = ++ds->check_no;
		ck->id = id17(dy, 5, ds->seq_check++, r);
	}
	for (int i = 0; i < o->nitems; i++) {
		struct item *it = &o->it[i];
		if (it->voided)
			continue;
		struct check *ck = &o->ck[it->check];
		ck->gross += it->gross;
		ck->disc += it->disc;
		ck->amount += it->net;
		ck->tax += it->tax;
	}
	for (int c = 0; c < o->nchecks; c++) {
		struct check *ck = &o->ck[c];
		if (o->guests >= 6 && !no_sales)
			ck->grat = ck->amount / 5;
	}

	/* when */
	int dur;
	if (o->option == OPT_DINE_IN)
		dur = bar ? rng_range(r, 900, 7200) : 2100 + 9 * rng_normal_milli(r) / 10 + 300 * o->guests;
	else if (o->source == SRC_IN_STORE)
		dur = rng_range(r, 240, 1200);
	else
		dur = rng_range(r, 0, 90);
	if (dur < 0)
		dur = 60;
	if (o->voided) {
		o->paid = -1;
		o->closed = clamp_day(opened + rng_range(r, 60, 1200));
	} else {
		o->paid = clamp_day(opened + dur);
		o->closed = clamp_day(o->paid + rng_range(r, 0, 240));
	}

	/* how */
	make_payments(dy, ds, o);
	for (int c = 0; c < o->nchecks; c++) {
		struct check *ck = &o->ck[c];
		o->gross += ck->gross;
		o->disc += ck->disc;
		o->amount += ck->amount;
		o->tax += ck->tax;
		o->tip += ck->tip;
		o->grat += ck->grat;
	}
}

/* ------------------------------------------------------------------------------------
 * One function per file kind: the rows of an order, or of a day. */

static void row_order_details(struct csvw *w, struct day *dy, struct daystate *ds,
			      const struct order *o)
{
	char checks[32];
	if (!row_begin(w)) {
		ds->last_counted = -1;
		return;
	}
	f_raw(w, dy->locq, dy->locqn);
	f_u(w, o->id);
	f_u(w, (uint64_t)o->num);
	size_t n = fmt_u64(checks, (uint64_t)o->ck[0].num);
	if (o->nchecks == 2) {
		memcpy(checks + n, ", ", 2);
		n += 2 + fmt_u64(checks + n + 2, (uint64_t)o->ck[1].num);
		checks[n] = 0;
		f_text(w, checks);
	} else {
		f_raw(w, checks, n);
	}
	f_ts12(w, dy, o->opened);
	f_u(w, (uint64_t)o->guests);
	f_text(w, o->tab);
	f_text(w, o->server);
	f_str(w, o->table);
	f_str(w, revenue_center[o->area]);
	f_str(w, area_name[o->area]);
	f_str(w, service_name[o->service]);
	f_str(w, dining_option[o->option]);
	f_money(w, o->disc);
	f_money(w, o->amount);
	f_money(w, o->tax);
	f_money(w, o->tip);
	f_money(w, o->grat);
	f_money(w, o->amount + o->tax + o->tip + o->grat);
	f_bool(w, o->voided);
	if (o->paid >= 0)
		f_ts12(w, dy, o->paid);
	else
		f_empty(w);
	f_ts12(w, dy, o->closed);
	if (o->paid >= 0)
		f_hms(w, o->paid - o->opened);
	else
		f_empty(w);
	f_str(w, order_source[o->source]);
	if (row_end(w)) {
		ds->orders++;
		ds->last_counted = o->voided ? 0 : o->amount;
		ds->sales += ds->last_counted;
	} else {
		ds->last_counted = -1;
	}
}

static void f_customer_id(struct csvw *w, int customer)
{
	char t[48];
	uint64_t h = mix64((uint64_t)customer + 7777), h2 = mix64(h);
	snprintf(t, sizeof t, "%08x-%04x-4%03x-%04x-%012llx", (unsigned)(h >> 32),
		 (unsigned)(h >> 16) & 0xffffu, (unsigned)h & 0xfffu,
		 (unsigned)(h2 >> 48 & 0x3fffu) | 0x8000u, (unsigned long long)(h2 & 0xffffffffffffULL));
	f_raw(w, t, 36);
}

static void row_check_details(struct csvw *w, const struct day *dy, const struct order *o, int c)
{
	const struct check *ck = &o->ck[c];
	char desc[700], tender[64], t[64];
	size_t n = 0, m = 0;
	if (!row_begin(w))
		return;
	if (o->customer >= 0) {
		const struct customer *cu = &customers[o->customer];
		f_customer_id(w, o->customer);
		f_text(w, cu->name);
		f_text(w, cu->phone);
		f_text(w, cu->email);
	} else {
		f_empty(w);
		f_empty(w);
		f_empty(w);
		f_empty(w);
	}
	f_str(w, dy->loccode);
	f_raw(w, dy->d12, dy->d12n);
	f_raw(w, t, fmt_t12(t, o->opened));
	desc[0] = 0;
	for (int i = 0; i < o->nitems; i++) {
		const char *nm = menu[o->it[i].menu].name;
		size_t l = strlen(nm);
		if (o->it[i].check != c || n + l + 3 >= sizeof desc)
			continue;
		if (n) {
			memcpy(desc + n, ", ", 2);
			n += 2;
		}
		memcpy(desc + n, nm, l + 1);
		n += l;
	}
	f_text(w, desc);
	f_text(w, o->server);
	f_money(w, ck->tax);
	tender[0] = 0;
	unsigned seen = 0;
	for (int k = 0; k < o->npay; k++) {
		const struct pay *p = &o->p[k];
		const char *nm = pay_type[p->type];
		size_t l = strlen(nm);
		if (p->check != c || (seen & (1u << p->type)) || m + l + 3 >= sizeof tender)
			continue;
		seen |= 1u << p->type;
		if (m) {
			memcpy(tender + m, ", ", 2);
			m += 2;
		}
		memcpy(tender + m, nm, l + 1);
		m += l;
	}
	f_text(w, tender);
	f_u(w, ck->id);
	f_u(w, (uint64_t)ck->num);
	f_money(w, ck->amount + ck->tax + ck->tip + ck->grat);
	f_empty(w);
	f_u(w, (uint64_t)o->guests);
	f_money(w, ck->disc);
	f_text(w, ck->disc ? discount_reason[o->disc_reason] : "");
	memcpy(t, "https://pos.example.com/checks/", 31);
	f_raw(w, t, 31 + fmt_u64(t + 31, ck->id));
	row_end(w);
}

static void row_item_selection(struct csvw *w, const struct day *dy, const struct order *o,
			       const struct item *it)
{
	const struct menu_item *mi = &menu[it->menu];
	if (!row_begin(w))
		return;
	f_raw(w, dy->locq, dy->locqn);
	f_u(w, o->id);
	f_u(w, (uint64_t)o->num);
	f_ts24(w, dy, it->sent);
	f_ts24(w, dy, o->opened);
	f_u(w, o->ck[it->check].id);
	f_text(w, o->server);
	f_str(w, o->table);
	f_str(w, area_name[o->area]);
	f_str(w, service_name[o->service]);
	f_str(w, dining_option[o->option]);
	f_u(w, it->sel_id);
	f_u(w, menu_item_id(it->menu));
	f_u(w, menu_master_id(it->menu));
	f_str(w, mi->sku);
	f_str(w, mi->plu);
	f_text(w, mi->name);
	f_text(w, mi->subgroup);
	f_text(w, group_name[mi->group]);
	f_str(w, menu_name[mi->menu]);
	f_str(w, mi->category);
	f_money(w, it->gross);
	f_money(w, it->disc);
	f_money(w, it->net);
	f_u(w, (uint64_t)it->qty);
	f_money(w, it->tax);
	f_bool(w, it->voided || o->voided);
	f_bool(w, 0);
	f_bool(w, 0);
	f_str(w, "Tax not included");
	f_money(w, 0);
	f_text(w, o->tab);
	row_end(w);
}

static void row_kitchen_timing(struct csvw *w, const struct day *dy, const struct order *o,
			       const struct check *ck, uint64_t id, int station, int fired,
			       int fulfilled, const char *by)
{
	if (!row_begin(w))
		return;
	f_raw(w, dy->locq, dy->locqn);
	f_u(w, id);
	f_text(w, o->server);
	f_u(w, (uint64_t)ck->num);
	f_str(w, o->table);
	f_ts12(w, dy, o->opened);
	f_str(w, station_name[station]);
	f_raw(w, station == ST_PASTRY ? "2" : "1", 1);
	f_ts12(w, dy, fired);
	if (fulfilled >= 0) {
		f_ts12(w, dy, fulfilled);
		f_minsec(w, fulfilled - fired);
		f_text(w, by);
	} else {
		f_empty(w);
		f_empty(w);
		f_empty(w);
	}
	row_end(w);
}

/* One ticket per check and station; drawn whether or not the file is written. */
static void kitchen_tickets(struct csvw *w, struct day *dy, struct daystate *ds,
			    const struct order *o)
{
	static const int lo[ST_N] = { 480, 300, 180, 240, 60 }, hi[ST_N] = { 1320, 720, 540, 600, 300 };
	struct rng *r = &dy->r;
	if (o->voided)
		return;
	for (int c = 0; c < o->nchecks; c++) {
		int first[ST_N];
		for (int s = 0; s < ST_N; s++)
			first[s] = -1;
		for (int i = 0; i < o->nitems; i++) {
			const struct item *it = &o->it[i];
			int s = menu[it->menu].station;
			if (it->check == c && !it->voided && (first[s] < 0 || it->sent < first[s]))
				first[s] = it->sent;
		}
		for (int s = 0; s < ST_N; s++) {
			if (first[s] < 0)
				continue;
			uint64_t id = id17(dy, 8, ds->seq_kit++, r);
			int fired = clamp_day(first[s] + rng_range(r, 0, 45));
			int done = rng_chance(r, 8) ? -1 : clamp_day(fired + rng_range(r, lo[s], hi[s]));
			const char *by = s == ST_BAR ? bartenders[rng_below(r, NBARTENDERS)]
				       : cooks[rng_below(r, NCOOKS)];
			row_kitchen_timing(w, dy, o, &o->ck[c], id, s, fired, done, by);
		}
	}
}

static void row_payment_details(struct csvw *w, const struct day *dy, const struct order *o,
				const struct pay *p)
{
	static const char *const receipt[4] = { "Printed", "Email", "Text", "None" };
	static const char *const drawer[2] = { "Front Drawer", "Bar Drawer" };
	const struct check *ck = &o->ck[p->check];
	int64_t total = p->amount + p->tip + p->grat;
	char t[32];
	if (!row_begin(w))
		return;
	f_raw(w, dy->locq, dy->locqn);
	f_u(w, p->id);
	f_u(w, o->id);
	f_u(w, (uint64_t)o->num);
	f_ts24(w, dy, o->paid);
	f_ts24(w, dy, o->opened);
	f_u(w, ck->id);
	f_u(w, (uint64_t)ck->num);
	f_text(w, o->tab);
	f_text(w, o->server);
	f_str(w, o->table);
	f_str(w, area_name[o->area]);
	f_str(w, service_name[o->service]);
	f_str(w, dining_option[o->option]);
	if (p->type == PT_HOUSE) {
		snprintf(t, sizeof t, "HA-%04d", 1000 + p->last4 % 9000);
		f_str(w, t);
	} else {
		f_empty(w);
	}
	f_money(w, p->amount);
	f_money(w, p->tip);
	f_money(w, p->grat);
	f_money(w, total);
	if (p->type == PT_CREDIT && p->swiped)
		f_money(w, total);
	else
		f_empty(w);
	if (p->type == PT_CREDIT && !p->swiped)
		f_money(w, total);
	else
		f_empty(w);
	if (p->type == PT_CASH)
		f_money(w, p->tendered);
	else
		f_empty(w);
	f_bool(w, p->refunded);
	if (p->refunded) {
		f_ts24(w, dy, clamp_day(o->closed + 600 + (int)(p->id % 3600)));
		f_money(w, p->refund);
		f_money(w, 0);
	} else {
		f_empty(w);
		f_empty(w);
		f_empty(w);
	}
	f_empty(w);
	f_empty(w);
	f_empty(w);
	f_str(w, p->type == PT_CREDIT || p->type == PT_GIFT ? "CAPTURED" : "CLOSED");
	f_str(w, pay_type[p->type]);
	f_str(w, p->type == PT_CASH ? drawer[o->area == AREA_BAR] : "");
	f_str(w, p->type == PT_CREDIT ? card_type[p->card] : "");
	f_str(w, p->type == PT_OTHER ? order_source[p->other] : "");
	if (o->customer >= 0 && o->source != SRC_IN_STORE && o->source != SRC_KIOSK) {
		f_text(w, customers[o->customer].email);
		f_text(w, customers[o->customer].phone);
	} else {
		f_empty(w);
		f_empty(w);
	}
	if (p->type == PT_CREDIT) {
		put2(put2(t, p->last4 / 100), p->last4 % 100);
		f_raw(w, t, 4);
	} else {
		f_empty(w);
	}
	if (p->fees)
		f_money(w, p->fees);
	else
		f_empty(w);
	f_empty(w);
	f_str(w, receipt[p->receipt]);
	f_str(w, pay_source[o->source]);
	row_end(w);
}

static void add_items(struct daystate *ds, const struct order *o, int idx)
{
	for (int i = 0; i < o->nitems; i++) {
		const struct item *it = &o->it[i];
		struct agg *a = &ds->a[it->menu];
		a->qty_all += it->qty;
		a->gross_all += it->gross;
		if (it->voided || o->voided) {
			a->void_qty += it->qty;
			a->void_amt += it->gross;
		} else {
			a->qty += it->qty;
			a->gross += it->gross;
			a->disc += it->disc;
			a->net += it->net;
		}
		if (a->last_order != idx + 1) {
			a->last_order = idx + 1;
			a->orders++;
		}
	}
}

/* One row per menu item sold (or voided) that day. */
static void rows_all_items(struct csvw *w, const struct daystate *ds, long norders)
{
	long qty_all = 0, qty = 0, gq[NGROUPS] = { 0 }, mq[NMENUS] = { 0 };
	int64_t gross_all = 0, net = 0, gn[NGROUPS] = { 0 }, mn[NMENUS] = { 0 };
	for (int i = 0; i < NMENU; i++) {
		const struct agg *a = &ds->a[i];
		qty_all += a->qty_all;
		gross_all += a->gross_all;
		qty += a->qty;
		net += a->net;
		gq[menu[i].group] += a->qty;
		gn[menu[i].group] += a->net;
		mq[menu[i].menu] += a->qty;
		mn[menu[i].menu] += a->net;
	}
	for (int i = 0; i < NMENU; i++) {
		const struct agg *a = &ds->a[i];
		const struct menu_item *mi = &menu[i];
		if (!a->qty_all || !row_begin(w))
			continue;
		f_u(w, menu_master_id(i));
		f_u(w, menu_item_id(i));
		f_empty(w);
		f_str(w, menu_name[mi->menu]);
		f_text(w, group_name[mi->group]);
		f_text(w, mi->subgroup);
		f_text(w, mi->name);
		f_text(w, mi->tags);
		f_money(w, a->qty ? a->gross / a->qty : a->gross_all / a->qty_all);
		f_u(w, (uint64_t)a->qty_all);
		f_pct(w, a->qty_all, qty_all);
		f_money(w, a->gross_all);
		f_pct(w, a->gross_all, gross_all);
		f_u(w, (uint64_t)a->qty);
		f_money(w, a->gross);
		f_u(w, (uint64_t)a->void_qty);
		f_money(w, a->void_amt);
		f_money(w, a->disc);
		f_money(w, a->net);
		f_u(w, (uint64_t)a->orders);
		f_pct(w, a->orders, norders);
		f_pct(w, a->qty, gq[mi->group]);
		f_pct(w, a->qty, mq[mi->menu]);
		f_pct(w, a->qty, qty);
		f_pct(w, a->net, gn[mi->group]);
		f_pct(w, a->net, mn[mi->menu]);
		f_pct(w, a->net, net);
		row_end(w);
	}
}

static void row_cash_entry(struct csvw *w, const struct day *dy, uint64_t id, int t,
			   const char *action, int64_t amount, const char *drawer,
			   const char *payout, const char *nosale, const char *comment,
			   const char *emp, const char *emp2)
{
	if (!row_begin(w))
		return;
	f_raw(w, dy->locq, dy->locqn);
	f_u(w, id);
	f_ts24(w, dy, t);
	f_str(w, action);
	f_money(w, amount);
	f_str(w, drawer);
	f_text(w, payout);
	f_text(w, nosale);
	f_text(w, comment);
	f_text(w, emp);
	f_text(w, emp2);
	row_end(w);
}

/* The day's drawer activity: float, no-sales, pay-outs, tip-outs, collection, close-out. */
static void rows_cash_entries(struct csvw *w, struct day *dy, struct daystate *ds)
{
	static const char *const drawer[2] = { "Front Drawer", "Bar Drawer" };
	struct rng *r = &dy->r;
	for (int k = 0; k < 2; k++) {
		const char *mgr = managers[rng_below(r, NMANAGERS)];
		int t = (dy->wd == 0 || dy->wd == 6 ? 9 * 3600 : 10 * 3600) + 2700 + rng_range(r, 0, 600);
		int64_t out = 0;
		row_cash_entry(w, dy, id17(dy, 9, ds->seq_cash++, r), t, "CASH_IN", 20000, drawer[k],
			       "", "", "", mgr, "");
		int ne = rng_range(r, 1, 4);
		for (int e = 0; e < ne; e++) {
			t += rng_range(r, 1800, 9000);
			if (t > 21 * 3600)
				break;
			int u = (int)rng_below(r, 3);
			uint64_t id = id17(dy, 9, ds->seq_cash++, r);
			const char *comment = rng_chance(r, 300) ? cash_comments[rng_below(r, 7)] : "";
			const char *who = k ? bartenders[rng_below(r, NBARTENDERS)] : servers[rng_below(r, NSERVERS)];
			if (u == 0) {
				row_cash_entry(w, dy, id, t, "NO_SALE", 0, drawer[k], "",
					       nosale_reasons[rng_below(r, 3)], comment, who, "");
			} else if (u == 1) {
				int64_t a = rng_range(r, 1500, 9000);
				out += a;
				row_cash_entry(w, dy, id, t, "PAY_OUT", a, drawer[k],
					       payout_reasons[rng_below(r, 4)], "", comment, mgr, "");
			} else {
				int64_t a = rng_range(r, 2000, 8000);
				out += a;
				row_cash_entry(w, dy, id, t, "TIP_OUT", a, drawer[k], "", "", comment, who, mgr);
			}
		}
		t = 22 * 3600 + rng_range(r, 600, 3000);
		int64_t collected = 20000 + ds->cash[k] - out;
		if (collected < 0)
			collected = 0;
		const char *mgr2 = managers[rng_below(r, NMANAGERS)];
		row_cash_entry(w, dy, id17(dy, 9, ds->seq_cash++, r), t, "CASH_COLLECTED", collected,
			       drawer[k], "", "", "", mgr, mgr2);
		int u = (int)rng_below(r, 100);
		int64_t diff = u < 70 ? 0 : rng_range(r, 5, 500);
		uint64_t id = id17(dy, 9, ds->seq_cash++, r);
		int tc = clamp_day(t + rng_range(r, 60, 600));
		const char *comment = u >= 85 && rng_chance(r, 500) ? cash_comments[5] : "";
		row_cash_entry(w, dy, id, tc,
			       u < 70 ? "CLOSE_OUT_EXACT" : u < 85 ? "CLOSE_OUT_OVERAGE" : "CLOSE_OUT_SHORTAGE",
			       diff, drawer[k], "", "", comment, mgr, "");
	}
}

/* ------------------------------------------------------------------------------------
 * Files of a partition */

static void w_open(struct csvw *w, int k, const char *dir, int gz)
{
	snprintf(w->name, sizeof w->name, "%s.csv%s", file_stem[k], gz ? ".gz" : "");
	if (snprintf(w->path, sizeof w->path, "%s/%s", dir, w->name) >= (int)sizeof w->path)
		fail(EXIT_CANTCREAT, dir, "path too long");
	errno = 0;
	w->fp = NULL;
	w->gz = NULL;
	if (gz) {
		w->gz = gzopen(w->path, "wb6");
		if (!w->gz)
			fail(EXIT_CANTCREAT, w->path, errno ? strerror(errno) : "cannot open");
		gzbuffer(w->gz, 1u << 17);
	} else {
		w->fp = fopen(w->path, "wb");
		if (!w->fp)
			fail(EXIT_CANTCREAT, w->path, strerror(errno));
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
static int w_close(struct csvw *w)
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
			fail(EXIT_IOERR, w->path, rc == Z_ERRNO ? strerror(errno) : "gzip write failed");
		w->gz = NULL;
	} else {
		if (fclose(w->fp) != 0)
			fail(EXIT_IOERR, w->path, strerror(errno));
		w->fp = NULL;
	}
	w->on = 0;
	return cut;
}

static void make_dir(const char *path)
{
	if (mkdir(path, 0777) != 0 && errno != EEXIST)
		fail(EXIT_CANTCREAT, path, strerror(errno));
}

/* ------------------------------------------------------------------------------------
 * Volume */

/* Sun..Sat */
static const int weekday_factor[7] = { 950, 700, 850, 900, 1000, 1300, 1350 };
/* Jan..Dec, then Jan again: summer peak, January dip */
static const int month_factor[13] = {
	800, 880, 950, 1000, 1060, 1140, 1180, 1150, 1040, 1000, 960, 1020, 800,
};

/* The orders a normal day would have, before noise, in thousandths of an order. */
static int64_t normal_orders_milli(const struct gen *g, const struct day *dy)
{
	int64_t a = month_factor[dy->m - 1], b = month_factor[dy->m];
	int64_t season = a + (b - a) * (dy->d - 1) / days_in_month(dy->y, dy->m);
	return (int64_t)g->c.orders_per_day * g->locfactor[dy->loc] * weekday_factor[dy->wd] *
	       season / 1000000;
}

static int draw_time(struct rng *r, int weekend)
{
	int open = weekend ? 10 * 3600 : 11 * 3600, last = 22 * 3600;
	int u = (int)rng_below(r, 100);
	int s;
	if (u < 42)
		s = 45000 + 3 * rng_normal_milli(r);       /* lunch around 12:30, sd 50 min */
	else if (u < 88)
		s = 68400 + 9 * rng_normal_milli(r) / 2;   /* dinner around 19:00, sd 75 min */
	else
		s = open + (int)rng_below(r, (uint32_t)(last - open));
	return s < open ? open + (open - s) % 3600 : s > last ? last - (s - last) % 3600 : s;
}

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;
	return (x > y) - (x < y);
}

/* ------------------------------------------------------------------------------------
 * A partition */

static void day_init(const struct gen *g, struct day *dy, int loc, int dayidx)
{
	memset(dy, 0, sizeof *dy);
	dy->loc = loc;
	dy->date = g->c.start + dayidx;
	civil_from_days(dy->date, &dy->y, &dy->m, &dy->d);
	dy->wd = weekday(dy->date);
	format_date(dy->date, dy->ymd);
	dy->d12n = (size_t)snprintf(dy->d12, sizeof dy->d12, "%d/%d/%02d", dy->m, dy->d, dy->y % 100);
	snprintf(dy->d24, sizeof dy->d24, "%02d/%02d/%04d", dy->m, dy->d, dy->y % 10000);
	dy->locname = g->locname[loc];
	dy->loccode = g->locid[loc];
	{
		/* the location is in most rows: quote it once */
		struct csvw tmp;
		memset(&tmp, 0, sizeof tmp);
		tmp.buf = dy->locq;
		f_text(&tmp, dy->locname);
		dy->locqn = tmp.len;
	}
	dy->r = rng_for(g->c.seed, 1, (uint64_t)loc, (uint64_t)dy->date);
}

static void add_defect(struct gen *g, const struct day *dy, int dayidx, int k,
		       const struct csvw *w)
{
	if (g->ndefs == g->capdefs) {
		g->capdefs = g->capdefs ? 2 * g->capdefs : 32;
		g->defs = xrealloc(g->defs, g->capdefs * sizeof *g->defs);
	}
	struct defect_rec *d = &g->defs[g->ndefs++];
	d->loc = dy->loc;
	d->day = dayidx;
	d->file = k;
	d->kind = w->dkind;
	d->line = w->dline;
	d->detail = w->ddetail;
	snprintf(d->name, sizeof d->name, "%s", w->name);
}

/* Sets the defects planned for a partition of n orders on its writers. The row a defect
 * lands on comes from its own stream, so the data do not change with --defects. */
static void arm_defects(struct gen *g, int loc, int dayidx, long n)
{
	for (int k = 0; k < NF; k++) {
		g->w[k].dkind = D_NONE;
		g->w[k].drow = -1;
		g->w[k].dvariant = 0;
	}
	for (size_t i = 0; i < g->nplan; i++) {
		const struct dplan *p = &g->plan[i];
		if (p->loc != loc || p->day != dayidx)
			continue;
		struct csvw *w = &g->w[p->file];
		struct rng dr = rng_for(g->c.seed, 3, (uint64_t)loc, (uint64_t)dayidx * 8 + (uint64_t)p->file);
		/* rows the file will have at least, about */
		long est = p->file == F_CASH ? 4 : p->file == F_ALL_ITEMS ? (n < 8 ? n : 8)
			 : p->file == F_KITCHEN || p->file == F_PAYMENT ? n * 4 / 5 : n;
		w->dkind = p->kind;
		w->drow = est > 2 ? 1 + (long)rng_below(&dr, (uint32_t)(est - 1)) : 1;
		w->dvariant = rng_chance(&dr, 500);
	}
}

/* Closes the partition's files and records what they hold. */
static void close_files(struct gen *g, const struct day *dy, int dayidx, struct daystate *ds,
			struct part *pt)
{
	for (int k = 0; k < NF; k++) {
		struct csvw *w = &g->w[k];
		if (!w->on)
			continue;
		if (w_close(w) && k == F_ORDER && ds->last_counted >= 0) {
			/* the last order's row was cut: it is no longer a good row */
			ds->orders--;
			ds->sales -= ds->last_counted;
		}
		pt->f[k].written = 1;
		pt->f[k].gz = g->c.gzip_all || w->dkind == D_GZIP;
		pt->f[k].rows = w->rows;
		pt->f[k].bad = w->bad;
		g->total_rows += w->rows;
		g->total_bad += w->bad;
		if (w->dkind != D_NONE && w->dline != 0)
			add_defect(g, dy, dayidx, k, w);
	}
	pt->orders = ds->orders;
	pt->sales = ds->sales;
}

static void gen_partition(struct gen *g, int loc, int dayidx, struct part *pt)
{
	struct day dy;
	static struct daystate ds;
	static struct order o;
	char dir[PATH_MAX];

	day_init(g, &dy, loc, dayidx);
	memset(pt, 0, sizeof *pt);
	memset(&ds, 0, sizeof ds);
	pt->loc = loc;
	pt->day = dayidx;
	pt->closure = g->closure[(size_t)loc * (size_t)g->c.days + (size_t)dayidx];

	/* thousandths of an order; noise about 8%, within 25% */
	int64_t normal = normal_orders_milli(g, &dy);
	int64_t noisy = normal * (1000 + 80 * rng_normal_milli(&dy.r) / 1000) / 1000;
	if (noisy < normal * 3 / 4)
		noisy = normal * 3 / 4;
	if (noisy > normal * 5 / 4)
		noisy = normal * 5 / 4;
	long n = (long)((noisy + 500) / 1000);
	if (n < 1)
		n = 1;

	if (pt->closure == CL_MISSING)
		return;
	if (snprintf(dir, sizeof dir, "%s/%s/%04d%02d%02d", g->c.out, g->locid[loc], dy.y, dy.m,
		     dy.d) >= (int)sizeof dir)
		fail(EXIT_CANTCREAT, g->c.out, "path too long");
	make_dir(dir);
	pt->folder = 1;
	if (pt->closure == CL_EMPTY)
		return;
	pt->folder = 2;

	unsigned mask = (1u << NF) - 1;
	if (pt->closure == CL_FEW_FILES) {
		int a = (int)rng_below(&dy.r, NF), b = (int)rng_below(&dy.r, NF);
		mask = (1u << a) | (rng_chance(&dy.r, 500) ? 1u << b : 0);
	}
	int no_sales = pt->closure == CL_NO_SALES;
	if (pt->closure == CL_HEADER_ONLY) {
		n = 0;
	} else if (pt->closure == CL_FEW_ORDERS) {
		long cap = (long)(normal * 4 / 100 / 1000);
		n = rng_range(&dy.r, 1, 3);
		if (n > cap)
			n = cap < 1 ? 1 : cap;
	} else if (no_sales) {
		n = (long)((noisy * (600 + rng_below(&dy.r, 401)) / 1000 + 500) / 1000);
		if (n < 1)
			n = 1;
	}

	arm_defects(g, loc, dayidx, n);
	for (int k = 0; k < NF; k++)
		if (mask & (1u << k))
			w_open(&g->w[k], k, dir, g->c.gzip_all || g->w[k].dkind == D_GZIP);

	/* the day's orders, in the order they were opened */
	if ((size_t)n > g->captimes) {
		g->captimes = (size_t)n * 2;
		g->times = xrealloc(g->times, g->captimes * sizeof *g->times);
	}
	int weekend = dy.wd == 0 || dy.wd == 6;
	for (long i = 0; i < n; i++)
		g->times[i] = draw_time(&dy.r, weekend);
	qsort(g->times, (size_t)n, sizeof *g->times, cmp_int);

	ds.last_counted = -1;
	for (long i = 0; i < n; i++) {
		memset(&o, 0, offsetof(struct order, it));
		make_order(&dy, &ds, (int)i, g->times[i], no_sales, &o);
		row_order_details(&g->w[F_ORDER], &dy, &ds, &o);
		for (int c = 0; c < o.nchecks; c++)
			row_check_details(&g->w[F_CHECK], &dy, &o, c);
		for (int k = 0; k < o.nitems; k++)
			row_item_selection(&g->w[F_ITEMSEL], &dy, &o, &o.it[k]);
		add_items(&ds, &o, (int)i);
		kitchen_tickets(&g->w[F_KITCHEN], &dy, &ds, &o);
		for (int k = 0; k < o.npay; k++)
			row_payment_details(&g->w[F_PAYMENT], &dy, &o, &o.p[k]);
	}
	rows_all_items(&g->w[F_ALL_ITEMS], &ds, n);
	if (n > 0)
		rows_cash_entries(&g->w[F_CASH], &dy, &ds);

	close_files(g, &dy, dayidx, &ds, pt);
}

/* ------------------------------------------------------------------------------------
 * Plans: which days are closed and how, where defects go */

static int is_holiday(int64_t date)
{
	int y, m, d;
	civil_from_days(date, &y, &m, &d);
	if (m == 12 && d == 25)
		return 1;                                  /* Christmas Day */
	return m == 11 && weekday(date) == 4 && d >= 22 && d <= 28;   /* Thanksgiving */
}

static int place_closure(unsigned char *cl, int lo, int hi, int kind, struct rng *r)
{
	for (int t = 0; t < 2000; t++) {
		int d = lo + (int)rng_below(r, (uint32_t)(hi - lo));
		if (cl[d])
			continue;
		/* keep closures apart while that is easy */
		if (t < 1000 && ((d > lo && cl[d - 1]) || (d + 1 < hi && cl[d + 1])))
			continue;
		cl[d] = (unsigned char)kind;
		return 1;
	}
	return 0;
}

static void plan_closures(struct gen *g)
{
	int days = g->c.days;
	static const int extra_w[CL_N] = { 0, 30, 10, 15, 20, 15, 10 };
	g->closure = xmalloc((size_t)g->c.locations * (size_t)days);
	if (g->c.no_closures)
		return;
	for (int loc = 0; loc < g->c.locations; loc++) {
		unsigned char *cl = g->closure + (size_t)loc * (size_t)days;
		struct rng r = rng_for(g->c.seed, 2, (uint64_t)loc, 0);
		int lo = 28, hi = days - 3, count = 0;
		if (hi <= lo)
			continue;
		for (int d = lo; d < hi; d++)
			if (is_holiday(g->c.start + d)) {
				static const int hk[3] = { CL_MISSING, CL_EMPTY, CL_HEADER_ONLY };
				cl[d] = (unsigned char)hk[rng_below(&r, 3)];
				count++;
			}
		if (days >= 60)
			for (int k = CL_MISSING; k < CL_N; k++)
				count += place_closure(cl, lo, hi, k, &r);
		int target = (days * 3 + 50) / 100 + (int)rng_below(&r, 2);
		while (count < target) {
			int w = (int)rng_below(&r, 100), k = 1;
			while (w >= extra_w[k])
				w -= extra_w[k++];
			if (!place_closure(cl, lo, hi, k, &r))
				break;
			count++;
		}
	}
}

static void plan_defects(struct gen *g)
{
	int days = g->c.days;
	size_t cap = 3 * D_N;
	struct rng r = rng_for(g->c.seed, 4, 0, 0);
	g->plan = xmalloc(cap * sizeof *g->plan);
	for (int kind = 1; kind < D_N; kind++) {
		if (!(g->c.defects & (1u << kind)) || (kind == D_GZIP && g->c.gzip_all))
			continue;
		for (int inst = 0; inst < 3; inst++) {
			for (int t = 0; t < 4000; t++) {
				int loc = (int)rng_below(&r, (uint32_t)g->c.locations);
				int day = (int)rng_below(&r, (uint32_t)days);
				int file = (int)rng_below(&r, NF), busy = 0, same = 0;
				if (g->closure[(size_t)loc * (size_t)days + (size_t)day] != CL_OPEN)
					continue;
				if (days > 3 && day >= days - 3 && t < 3000)
					continue;      /* keep the last days clean while possible */
				for (size_t i = 0; i < g->nplan; i++)
					if (g->plan[i].loc == loc && g->plan[i].day == day) {
						busy = 1;
						same |= g->plan[i].file == file;
					}
				if (same || (busy && t < 2000))
					continue;
				g->plan[g->nplan++] = (struct dplan){ loc, day, file, kind };
				break;
			}
		}
	}
}

/* ------------------------------------------------------------------------------------
 * manifest.json */

static cJSON *jchk(cJSON *item)
{
	if (!item)
		fail(EXIT_OSERR, "manifest", "out of memory");
	return item;
}

static cJSON *jadd(cJSON *obj, const char *key, cJSON *item)
{
	jchk(item);
	if (key ? !cJSON_AddItemToObject(obj, key, item) : !cJSON_AddItemToArray(obj, item))
		fail(EXIT_OSERR, "manifest", "out of memory");
	return item;
}

static cJSON *jmoney(int64_t cents)
{
	char t[32];
	t[fmt_money(t, cents)] = 0;
	return cJSON_CreateString(t);
}

static void write_manifest(struct gen *g)
{
	char t[64], path[PATH_MAX];
	long closed = 0, by_reason[R_N] = { 0 };
	cJSON *root = jchk(cJSON_CreateObject());

	jadd(root, "generator", cJSON_CreateString(PROG));
	jadd(root, "version", cJSON_CreateString(VERSION));
	snprintf(t, sizeof t, "%llu", (unsigned long long)g->c.seed);
	jadd(root, "seed", cJSON_CreateRaw(t));
	format_date(g->c.start, t);
	jadd(root, "start_date", cJSON_CreateString(t));
	format_date(g->c.start + g->c.days - 1, t);
	jadd(root, "end_date", cJSON_CreateString(t));
	jadd(root, "days", cJSON_CreateNumber(g->c.days));
	jadd(root, "orders_per_day", cJSON_CreateNumber(g->c.orders_per_day));
	jadd(root, "line_ending", cJSON_CreateString(g->c.lf ? "lf" : "crlf"));
	jadd(root, "gzip", cJSON_CreateBool(g->c.gzip_all));
	jadd(root, "closures", cJSON_CreateBool(!g->c.no_closures));
	cJSON *a = jadd(root, "locations", cJSON_CreateArray());
	for (int l = 0; l < g->c.locations; l++)
		jadd(a, NULL, cJSON_CreateString(g->locid[l]));
	a = jadd(root, "location_names", cJSON_CreateObject());
	for (int l = 0; l < g->c.locations; l++)
		jadd(a, g->locid[l], cJSON_CreateString(g->locname[l]));
	a = jadd(root, "streams", cJSON_CreateArray());
	for (int k = 0; k < NF; k++)
		jadd(a, NULL, cJSON_CreateString(stream_name[k]));
	a = jadd(root, "files", cJSON_CreateArray());
	for (int k = 0; k < NF; k++) {
		snprintf(t, sizeof t, "%s.csv", file_stem[k]);
		jadd(a, NULL, cJSON_CreateString(t));
	}

	static const char *const folder_state[] = { "missing", "empty", "present" };
	a = jadd(root, "partitions", cJSON_CreateArray());
	for (size_t i = 0; i < g->nparts; i++) {
		const struct part *pt = &g->parts[i];
		cJSON *p = jadd(a, NULL, cJSON_CreateObject());
		jadd(p, "location", cJSON_CreateString(g->locid[pt->loc]));
		format_date(g->c.start + pt->day, t);
		jadd(p, "date", cJSON_CreateString(t));
		jadd(p, "folder", cJSON_CreateString(folder_state[pt->folder]));
		jadd(p, "closed", cJSON_CreateBool(pt->closure != CL_OPEN));
		if (pt->closure != CL_OPEN) {
			jadd(p, "reason", cJSON_CreateString(closure_reason[pt->closure]));
			jadd(p, "closure", cJSON_CreateString(closure_name[pt->closure]));
			closed++;
			for (int rr = 0; rr < R_N; rr++)
				by_reason[rr] += !strcmp(reason_name[rr], closure_reason[pt->closure]);
		} else {
			jadd(p, "reason", cJSON_CreateNull());
			jadd(p, "closure", cJSON_CreateNull());
		}
		cJSON *fs = jadd(p, "files", cJSON_CreateObject());
		for (int k = 0; k < NF; k++) {
			if (!pt->f[k].written)
				continue;
			snprintf(t, sizeof t, "%s.csv%s", file_stem[k], pt->f[k].gz ? ".gz" : "");
			cJSON *f = jadd(fs, t, cJSON_CreateObject());
			jadd(f, "rows", cJSON_CreateNumber((double)pt->f[k].rows));
			jadd(f, "bad_rows", cJSON_CreateNumber((double)pt->f[k].bad));
		}
		jadd(p, "orders", cJSON_CreateNumber((double)pt->orders));
		jadd(p, "sales", jmoney(pt->sales));
	}

	a = jadd(root, "defects", cJSON_CreateArray());
	for (size_t i = 0; i < g->ndefs; i++) {
		const struct defect_rec *d = &g->defs[i];
		const struct part *pt = &g->parts[(size_t)d->day * (size_t)g->c.locations + (size_t)d->loc];
		cJSON *o = jadd(a, NULL, cJSON_CreateObject());
		jadd(o, "location", cJSON_CreateString(g->locid[d->loc]));
		format_date(g->c.start + d->day, t);
		jadd(o, "date", cJSON_CreateString(t));
		jadd(o, "file", cJSON_CreateString(d->name));
		jadd(o, "line", d->line > 0 ? cJSON_CreateNumber((double)d->line) : cJSON_CreateNull());
		jadd(o, "kind", cJSON_CreateString(defect_name[d->kind]));
		if (d->detail)
			jadd(o, "detail", cJSON_CreateString(d->detail));
		jadd(o, "rows", cJSON_CreateNumber((double)pt->f[d->file].rows));
		jadd(o, "bad_rows", cJSON_CreateNumber((double)pt->f[d->file].bad));
	}

	cJSON *tot = jadd(root, "totals", cJSON_CreateObject());
	jadd(tot, "partitions", cJSON_CreateNumber((double)g->nparts));
	jadd(tot, "closed", cJSON_CreateNumber((double)closed));
	jadd(tot, "rows", cJSON_CreateNumber((double)g->total_rows));
	jadd(tot, "bad_rows", cJSON_CreateNumber((double)g->total_bad));
	jadd(tot, "defects", cJSON_CreateNumber((double)g->ndefs));
	cJSON *br = jadd(tot, "closed_by_reason", cJSON_CreateObject());
	for (int rr = 0; rr < R_N; rr++)
		jadd(br, reason_name[rr], cJSON_CreateNumber((double)by_reason[rr]));

	char *s = cJSON_Print(root);
	if (!s)
		fail(EXIT_OSERR, "manifest", "out of memory");
	snprintf(path, sizeof path, "%s/manifest.json", g->c.out);
	FILE *fp = fopen(path, "wb");
	if (!fp)
		fail(EXIT_CANTCREAT, path, strerror(errno));
	if (fputs(s, fp) == EOF || fputc('\n', fp) == EOF)
		fail(EXIT_IOERR, path, strerror(errno));
	if (fclose(fp) != 0)
		fail(EXIT_IOERR, path, strerror(errno));
	cJSON_free(s);
	cJSON_Delete(root);
}

/* ------------------------------------------------------------------------------------
 * Command line */

static void usage(FILE *fp)
{
	fputs("usage: bf-sample --out DIR [--seed N] [--start-date YYYY-MM-DD] [--days N]\n"
	      "                 [--orders-per-day N] [--locations N] [--defects LIST] [--gzip]\n"
	      "                 [--lf] [--no-closures] [--force] [--quiet]\n"
	      "\n"
	      "Writes a deterministic point-of-sale nightly export drop, DIR/<location>/<YYYYMMDD>/\n"
	      "<File>.csv, and DIR/manifest.json describing it (closed days, row counts, defects).\n"
	      "\n"
	      "  -o, --out DIR            output folder; created; must be empty unless --force\n"
	      "      --seed N             random seed (default 1); same seed, same bytes\n"
	      "      --start-date DATE    first date (default 2024-01-01)\n"
	      "      --days N             number of dates (default 440)\n"
	      "      --orders-per-day N   average orders of a location-day (default 300)\n"
	      "      --locations N        number of locations, 185129, 185130, ... (default 2)\n"
	      "      --defects LIST       inject defects: bom,ragged,truncated,invalid_utf8,\n"
	      "                           blank_lines,gzip, or all (default none)\n"
	      "      --gzip               write every file as <File>.csv.gz\n"
	      "      --lf                 end lines with LF (default CRLF, like the POS)\n"
	      "      --no-closures        no closed days\n"
	      "      --force              allow a non-empty DIR; earlier output in it is removed\n"
	      "  -q, --quiet              no summary on a terminal\n"
	      "  -h, --help               this help\n"
	      "  -V, --version            print the version\n",
	      fp);
}

static uint64_t parse_num(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char msg[160];
	char *end = NULL;
	int ok = *s >= '0' && *s <= '9';
	errno = 0;
	unsigned long long v = ok ? strtoull(s, &end, 10) : 0;
	if (!ok || errno || *end || v < min || v > max) {
		snprintf(msg, sizeof msg, "not an integer from %llu to %llu: '%.40s'",
			 (unsigned long long)min, (unsigned long long)max, s);
		fail(EXIT_USAGE, opt, msg);
	}
	return v;
}

static unsigned parse_defects(const char *s)
{
	unsigned mask = 0;
	char buf[256], msg[200];
	if (strlen(s) >= sizeof buf)
		fail(EXIT_USAGE, "--defects", "list too long");
	strcpy(buf, s);
	for (char *tok = buf, *next; tok; tok = next) {
		int k;
		next = strchr(tok, ',');
		if (next)
			*next++ = 0;
		if (!*tok)
			fail(EXIT_USAGE, "--defects", "empty item in the list");
		if (!strcmp(tok, "all")) {
			mask |= ((1u << D_N) - 1) & ~1u;
			continue;
		}
		if (!strcmp(tok, "none"))
			continue;
		for (k = 1; k < D_N; k++)
			if (!strcmp(tok, defect_name[k]))
				break;
		if (k == D_N) {
			snprintf(msg, sizeof msg, "unknown defect '%.40s' (bom, ragged, truncated, "
				 "invalid_utf8, blank_lines, gzip, all, none)", tok);
			fail(EXIT_USAGE, "--defects", msg);
		}
		mask |= 1u << k;
	}
	return mask;
}

enum {
	O_SEED = 256, O_START, O_DAYS, O_OPD, O_LOCATIONS, O_DEFECTS, O_GZIP, O_LF,
	O_NO_CLOSURES, O_FORCE,
};

static void parse_args(int argc, char **argv, struct cfg *c)
{
	static const struct option longopts[] = {
		{ "out", required_argument, NULL, 'o' },
		{ "seed", required_argument, NULL, O_SEED },
		{ "start-date", required_argument, NULL, O_START },
		{ "days", required_argument, NULL, O_DAYS },
		{ "orders-per-day", required_argument, NULL, O_OPD },
		{ "locations", required_argument, NULL, O_LOCATIONS },
		{ "defects", required_argument, NULL, O_DEFECTS },
		{ "gzip", no_argument, NULL, O_GZIP },
		{ "lf", no_argument, NULL, O_LF },
		{ "no-closures", no_argument, NULL, O_NO_CLOSURES },
		{ "force", no_argument, NULL, O_FORCE },
		{ "quiet", no_argument, NULL, 'q' },
		{ "help", no_argument, NULL, 'h' },
		{ "version", no_argument, NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	char where[64];

	memset(c, 0, sizeof *c);
	c->seed = 1;
	c->start = days_from_civil(2024, 1, 1);
	c->days = 440;
	c->orders_per_day = 300;
	c->locations = 2;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, ":o:qhV", longopts, NULL)) != -1) {
		switch (ch) {
		case 'o': c->out = optarg; break;
		case O_SEED: c->seed = parse_num("--seed", optarg, 0, UINT64_MAX); break;
		case O_START:
			if (parse_date(optarg, &c->start))
				fail(EXIT_USAGE, "--start-date", "not a date YYYY-MM-DD from 1971 to 2199");
			break;
		case O_DAYS: c->days = (int)parse_num("--days", optarg, 1, 36600); break;
		case O_OPD: c->orders_per_day = (int)parse_num("--orders-per-day", optarg, 1, 50000); break;
		case O_LOCATIONS: c->locations = (int)parse_num("--locations", optarg, 1, 99); break;
		case O_DEFECTS: c->defects = parse_defects(optarg); break;
		case O_GZIP: c->gzip_all = 1; break;
		case O_LF: c->lf = 1; break;
		case O_NO_CLOSURES: c->no_closures = 1; break;
		case O_FORCE: c->force = 1; break;
		case 'q': c->quiet = 1; break;
		case 'h':
			usage(stdout);
			if (fflush(stdout) != 0 || ferror(stdout))
				fail(EXIT_IOERR, "stdout", strerror(errno));
			exit(0);
		case 'V':
			if (printf("%s %s\n", PROG, VERSION) < 0 || fflush(stdout) != 0)
				fail(EXIT_IOERR, "stdout", strerror(errno));
			exit(0);
		case ':':
		case '?':
		default:
			if (optopt && optopt < 256 && argv[optind - 1][1] != '-')
				snprintf(where, sizeof where, "-%c", optopt);
			else
				snprintf(where, sizeof where, "%.60s", argv[optind - 1]);
			fail(EXIT_USAGE, where, ch == ':' ? "option requires an argument"
							  : "unknown option (see --help)");
		}
	}
	if (optind < argc) {
		snprintf(where, sizeof where, "%.60s", argv[optind]);
		fail(EXIT_USAGE, where, "unexpected argument (see --help)");
	}
	if (!c->out || !*c->out)
		fail(EXIT_USAGE, "--out", "required (see --help)");
	if (c->start + c->days - 1 > days_from_civil(2199, 12, 31))
		fail(EXIT_USAGE, "--days", "the range goes past 2199-12-31");
}

/* ------------------------------------------------------------------------------------
 * Output folder */

static void mkdir_p(const char *path)
{
	char buf[PATH_MAX];
	if (snprintf(buf, sizeof buf, "%s", path) >= (int)sizeof buf)
		fail(EXIT_CANTCREAT, path, "path too long");
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		make_dir(buf);
		*p = '/';
	}
	make_dir(buf);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	(void)st;
	(void)ftw;
	if ((flag == FTW_DP ? rmdir(path) : unlink(path)) != 0)
		fail(EXIT_CANTCREAT, path, strerror(errno));
	return 0;
}

static int all_digits(const char *s)
{
	if (!*s)
		return 0;
	for (; *s; s++)
		if (*s < '0' || *s > '9')
			return 0;
	return 1;
}

/* Creates OUT, or checks it is empty; with --force, removes earlier output in it
 * (manifest.json and the all-digit location folders), leaving anything else alone. */
static void prepare_out(const struct cfg *c)
{
	struct stat st;
	char path[PATH_MAX];
	if (stat(c->out, &st) != 0) {
		if (errno != ENOENT)
			fail(EXIT_CANTCREAT, c->out, strerror(errno));
		mkdir_p(c->out);
		return;
	}
	if (!S_ISDIR(st.st_mode))
		fail(EXIT_CANTCREAT, c->out, "exists and is not a directory");
	DIR *d = opendir(c->out);
	if (!d)
		fail(EXIT_CANTCREAT, c->out, strerror(errno));
	struct dirent *e;
	int nonempty = 0;
	while ((e = readdir(d))) {
		if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
			continue;
		nonempty = 1;
		if (!c->force)
			break;
		if (strcmp(e->d_name, "manifest.json") && !all_digits(e->d_name))
			continue;
		if (snprintf(path, sizeof path, "%s/%s", c->out, e->d_name) >= (int)sizeof path)
			fail(EXIT_CANTCREAT, c->out, "path too long");
		if (nftw(path, rm_entry, 16, FTW_DEPTH | FTW_PHYS) != 0)
			fail(EXIT_CANTCREAT, path, strerror(errno));
	}
	closedir(d);
	if (nonempty && !c->force)
		fail(EXIT_USAGE, c->out, "not empty (use --force to overwrite earlier output)");
}

/* ------------------------------------------------------------------------------------
 * Driver */

static void setup(struct gen *g)
{
	for (int i = 0; i < NMENU; i++)
		menu_total_weight += menu[i].weight;
	int nl = g->c.locations;
	g->locid = xmalloc((size_t)nl * sizeof *g->locid);
	g->locname = xmalloc((size_t)nl * sizeof *g->locname);
	g->locfactor = xmalloc((size_t)nl * sizeof *g->locfactor);
	for (int l = 0; l < nl; l++) {
		struct rng r = rng_for(g->c.seed, 5, (uint64_t)l, 0);
		snprintf(g->locid[l], sizeof g->locid[l], "%d", 185129 + l);
		if (l < NLOCNAMES)
			snprintf(g->locname[l], sizeof g->locname[l], "%s", location_names[l]);
		else
			snprintf(g->locname[l], sizeof g->locname[l], "%s #%d",
				 location_names[l % NLOCNAMES], l / NLOCNAMES + 1);
		g->locfactor[l] = l == 0 ? 1000 : l == 1 ? 720 : 500 + (int)rng_below(&r, 701);
	}
	for (int k = 0; k < NF; k++) {
		g->w[k].buf = xmalloc(WBUF_CAP);
		g->w[k].eol = g->c.lf ? "\n" : "\r\n";
		g->w[k].eol_len = g->c.lf ? 1 : 2;
	}
	g->nparts = (size_t)g->c.days * (size_t)nl;
	g->parts = xmalloc(g->nparts * sizeof *g->parts);
}

static void generate(struct gen *g)
{
	char dir[PATH_MAX];
	for (int l = 0; l < g->c.locations; l++) {
		snprintf(dir, sizeof dir, "%s/%s", g->c.out, g->locid[l]);
		make_dir(dir);
	}
	/* partitions sorted by date, then location */
	for (int d = 0; d < g->c.days; d++)
		for (int l = 0; l < g->c.locations; l++)
			gen_partition(g, l, d, &g->parts[(size_t)d * (size_t)g->c.locations + (size_t)l]);
}

static void report(const struct gen *g)
{
	long closed = 0;
	if (g->c.quiet || !isatty(STDERR_FILENO))
		return;
	for (size_t i = 0; i < g->nparts; i++)
		closed += g->parts[i].closure != CL_OPEN;
	fprintf(stderr, "%s: %s: %zu partitions (%ld closed), %ld rows, %ld bad rows, %zu defects\n",
		PROG, g->c.out, g->nparts, closed, g->total_rows, g->total_bad, g->ndefs);
}

int main(int argc, char **argv)
{
	static struct gen g;
	parse_args(argc, argv, &g.c);
	prepare_out(&g.c);
	setup(&g);
	plan_closures(&g);
	plan_defects(&g);
	generate(&g);
	write_manifest(&g);
	report(&g);
	return 0;
}
