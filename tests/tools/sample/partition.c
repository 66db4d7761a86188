/* bf-sample: one partition (a location's date): its volume, its files, its defects. */
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_file.h"
#include "orders.h"

void sample_mkdirs(const char *path)
{
	struct bf_err err = { 0 };
	if (bf_mkdirs(path, 0777, &err))
		fail(BF_EIO, NULL, err.msg);
}

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
	int64_t season = a + (b - a) * (dy->d - 1) / bf_days_in_month(dy->y, dy->m);
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
	bf_date_to_ymd((int32_t)dy->date, &dy->y, &dy->m, &dy->d);
	dy->wd = sample_weekday(dy->date);
	bf_date_iso((int32_t)(dy->date), dy->ymd);
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
		g->defs = bf_xrealloc(g->defs, g->capdefs * sizeof *g->defs);
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

void gen_partition(struct gen *g, int loc, int dayidx, struct part *pt)
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
		fail(BF_EIO, g->c.out, "path too long");
	sample_mkdirs(dir);
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
		g->times = bf_xrealloc(g->times, g->captimes * sizeof *g->times);
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

