/* bf-sample's parts: the drop it writes (files, closures, defects), its options, the
 * random streams, the CSV writer, the partition being generated and the generator's
 * state. Every part is a file of tests/tools/sample/; bf-sample.c holds the command line
 * and the driver. The generator owns all its memory until the program ends. */
#ifndef SAMPLE_H
#define SAMPLE_H

#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <zlib.h>

#include "base/bf_exit.h"
#include "base/bf_time.h"

#define PROG "bf-sample"
#define VERSION "0.1.0"

/* Prints "bf-sample: where: what" ("bf-sample: what" when where is NULL) and exits. */
void fail(int code, const char *where, const char *what) __attribute__((noreturn));
/* Zeroed memory (abort when there is none). */
void *sample_zalloc(size_t n);

/* ------------------------------------------------------------------------------------
 * PRNG: splitmix64, nothing else. Every partition gets its own stream derived from
 * (seed, location, date), so a partition's bytes do not depend on the others. */

struct rng {
	uint64_t s;
};

static inline uint64_t mix64(uint64_t z)
{
	z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
	z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
	return z ^ (z >> 31);
}

static inline uint64_t rng_next(struct rng *r)
{
	return mix64(r->s += 0x9E3779B97F4A7C15ULL);
}

static inline struct rng rng_for(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
	struct rng r;
	r.s = mix64(seed ^ 0x5851F42D4C957F2DULL);
	r.s = mix64(r.s ^ (a + 0x632BE59BD9B4E019ULL));
	r.s = mix64(r.s ^ (b + 0x8CB92BA72F3D8DD7ULL));
	r.s = mix64(r.s ^ (c + 0xD1B54A32D192ED03ULL));
	return r;
}

/* Uniform in [0, n). */
static inline uint32_t rng_below(struct rng *r, uint32_t n)
{
	return (uint32_t)(((rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi]. */
static inline int rng_range(struct rng *r, int lo, int hi)
{
	return lo + (int)rng_below(r, (uint32_t)(hi - lo + 1));
}

/* True with probability permille/1000. */
static inline int rng_chance(struct rng *r, unsigned permille)
{
	return rng_below(r, 1000) < permille;
}

/* Roughly normal with mean 0 and standard deviation 1000 (Irwin-Hall of four uniforms).
 * Integers only, here and in every computation that shapes the output, so the bytes do
 * not depend on the floating point of the machine or the compiler. */
static inline int rng_normal_milli(struct rng *r)
{
	uint64_t x = rng_next(r);
	int64_t s = (int64_t)(x & 0xffff) + (int64_t)(x >> 16 & 0xffff) +
		    (int64_t)(x >> 32 & 0xffff) + (int64_t)(x >> 48) - 2 * 65536;
	return (int)(s * 1732 / 65536);
}

/* ------------------------------------------------------------------------------------
 * Calendar: bf's (base/bf_time.h); days since 1970-01-01. */

/* 0 = Sunday ... 6 = Saturday. */
static inline int sample_weekday(int64_t z)
{
	return bf_date_weekday((int32_t)z) % 7;
}

static inline char *put2(char *p, int v)
{
	p[0] = (char)('0' + v / 10);
	p[1] = (char)('0' + v % 10);
	return p + 2;
}

/* ------------------------------------------------------------------------------------
 * The files of a drop, closures and defects (drop.c) */

enum fkind { F_ALL_ITEMS, F_CASH, F_CHECK, F_ITEMSEL, F_KITCHEN, F_ORDER, F_PAYMENT, NF };
enum closure {
	CL_OPEN, CL_MISSING, CL_EMPTY, CL_FEW_FILES, CL_HEADER_ONLY, CL_FEW_ORDERS, CL_NO_SALES,
	CL_N
};
enum { R_NO_FILES, R_INSUFFICIENT, R_LOW_ACTIVITY, R_LOW_SALES, R_N };
enum dkind { D_NONE, D_BOM, D_RAGGED, D_TRUNCATED, D_INVALID_UTF8, D_BLANK_LINES, D_GZIP, D_N };

extern const char *const file_stem[NF];
extern const char *const stream_name[NF];
extern const char *const *const file_header[NF];
extern const char *const closure_name[CL_N];
extern const char *const closure_reason[CL_N];
extern const char *const reason_name[R_N];
extern const char *const defect_name[D_N];

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
 * CSV writer (csv.c): one per file kind, reused for every partition. Rows are built in a
 * large buffer that is flushed (to stdio or zlib) only between rows, so the current and
 * the last row can still be edited when a defect is injected. Physical lines are counted
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

/* A partition being generated */
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

size_t fmt_u64(char *dst, uint64_t v);
size_t fmt_money(char *p, int64_t cents);
size_t fmt_t12(char *p, int secs);
void f_raw(struct csvw *w, const char *s, size_t n);
void f_str(struct csvw *w, const char *s);
void f_empty(struct csvw *w);
void f_text(struct csvw *w, const char *s);
void f_u(struct csvw *w, uint64_t v);
void f_money(struct csvw *w, int64_t cents);
void f_pct(struct csvw *w, int64_t num, int64_t den);
void f_bool(struct csvw *w, int v);
void f_ts12(struct csvw *w, const struct day *dy, int secs);
void f_ts24(struct csvw *w, const struct day *dy, int secs);
void f_hms(struct csvw *w, int secs);
void f_minsec(struct csvw *w, int secs);
int row_begin(struct csvw *w);
int row_end(struct csvw *w);
void w_open(struct csvw *w, int k, const char *dir, int gz);
int w_close(struct csvw *w);

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

/* partition.c */
void gen_partition(struct gen *g, int loc, int dayidx, struct part *pt);
/* Creates path and its missing parents, or fails (73). */
void sample_mkdirs(const char *path);
/* plan.c */
void plan_closures(struct gen *g);
void plan_defects(struct gen *g);
/* manifest.c */
void write_manifest(struct gen *g);

#endif
