/* Dates per pipeline. --batch-size fixes it. Otherwise the most is taken from the plan
 * (the dates to run divided by four times the workers, 1 to 16: each worker still gets
 * about four pipelines), and the size starts at one date and follows the measured time per
 * date so that a pipeline takes about --batch-seconds (default 30): fast dates share the
 * cost of starting the stages, slow ones (minutes a date) run one a pipeline, so that a
 * failure, a retry or a signal never waits on a long batch. */
#include "stages/run/bf_run_int.h"

void run_batch_init(struct ctx *c)
{
	const struct bf_run_opts *o = c->o;
	if (o->batch_size > 0) {
		c->batch = c->batch_now = (size_t)o->batch_size;
		return;
	}
	size_t b = c->todo / (4 * (size_t)o->max_workers);
	c->batch = b < 1 ? 1 : b > 16 ? 16 : b;
	c->batch_now = 1;
}

void run_batch_measure(struct ctx *c, size_t nb, size_t ndone, int64_t ms)
{
	if (c->o->batch_size > 0 || !nb || !ndone)
		return;
	/* a pipeline's time per date, start-up included; the latest counts as much as the
	 * ones before it together */
	double per = (double)ms / (double)nb;
	c->ms_per_date = c->ms_per_date > 0 ? (c->ms_per_date + per) / 2 : per;
	double want = c->o->batch_seconds * 1000.0 / (c->ms_per_date > 1 ? c->ms_per_date : 1);
	/* grows at most twofold from one pipeline to the next: one fast date is no proof */
	double most = (double)c->batch;
	if (most > 2.0 * (double)c->batch_now)
		most = 2.0 * (double)c->batch_now;
	c->batch_now = want < 1 ? 1 : want > most ? (size_t)most : (size_t)want;
}
