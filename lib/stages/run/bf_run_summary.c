/* What bf-run says on stderr: the progress line while it works, the summary at the end. */
#include "stages/run/bf_run_int.h"

#include <stdio.h>

#include "base/bf_time.h"

void run_show_progress(struct ctx *c, int force)
{
	size_t done = c->processed + c->elsewhere;
	double secs = (double)(bf_mono_ms() - c->t0) / 1000.0;
	double rps = secs > 0 ? (double)c->rows / secs : 0;
	char eta[32] = "?";
	if (done && c->todo > done) {
		double left = secs / (double)done * (double)(c->todo - done);
		snprintf(eta, sizeof eta, "%d:%02d", (int)left / 60, (int)left % 60);
	} else if (c->todo <= done) {
		snprintf(eta, sizeof eta, "0:00");
	}
	bf_progress_show(&c->prog, force,
			 "%3.0f%% %zu/%zu dates, %zu done, %zu closed, %zu failed, %lld rows, %.0f rows/s, ETA %s",
			 c->todo ? 100.0 * (double)done / (double)c->todo : 100.0, done, c->todo, c->ok,
			 c->closed, c->failed, c->rows, rps, eta);
}

double run_pct(size_t a, size_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

void run_summary(struct ctx *c, double secs)
{
	const char *red = c->color ? "\033[31m" : "", *green = c->color ? "\033[32m" : "",
		   *off = c->color ? "\033[0m" : "";
	fprintf(stderr,
		"%s: %zu dates processed in %.1f s: %s%zu successful (%.1f%%)%s, %zu closed (%.1f%%), "
		"%s%zu failed (%.1f%%)%s; %lld rows loaded (%.0f rows/s)\n",
		bf_prog(), c->processed, secs, green, c->ok, run_pct(c->ok, c->processed), off, c->closed,
		run_pct(c->closed, c->processed), c->failed ? red : "", c->failed, run_pct(c->failed, c->processed),
		c->failed ? off : "", c->rows, secs > 0 ? (double)c->rows / secs : 0);
	if (c->skipped || c->elsewhere || c->interrupted)
		fprintf(stderr, "%s: %zu skipped (already done), %zu done by another run, %zu interrupted\n",
			bf_prog(), c->skipped, c->elsewhere, c->interrupted);
	for (size_t i = 0; i < c->n; i++)
		if (c->it[i].st == RS_FAILED)
			fprintf(stderr, "%s: %sfailed%s %s: %s\n", bf_prog(), red, off, c->it[i].iso,
				c->it[i].error);
}
