/* bf-sample: the plans, drawn before any partition: which days are closed and how, where
 * defects go. */
#include "sample.h"

static int is_holiday(int64_t date)
{
	int y, m, d;
	bf_date_to_ymd((int32_t)date, &y, &m, &d);
	if (m == 12 && d == 25)
		return 1;                                  /* Christmas Day */
	return m == 11 && sample_weekday(date) == 4 && d >= 22 && d <= 28;   /* Thanksgiving */
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

void plan_closures(struct gen *g)
{
	int days = g->c.days;
	static const int extra_w[CL_N] = { 0, 30, 10, 15, 20, 15, 10 };
	g->closure = sample_zalloc((size_t)g->c.locations * (size_t)days);
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

void plan_defects(struct gen *g)
{
	int days = g->c.days;
	size_t cap = 3 * D_N;
	struct rng r = rng_for(g->c.seed, 4, 0, 0);
	g->plan = sample_zalloc(cap * sizeof *g->plan);
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

