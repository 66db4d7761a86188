/* What bf-run says on stderr: the progress line while it works (its figures, which move
 * with every partition committed, from bf_run_states.c), the summary at the end. */
#include "stages/run/bf_run_int.h"

#include <stdio.h>

#include "base/bf_time.h"

void run_show_progress(struct ctx *c, int force)
{
	size_t dates = c->processed + c->elsewhere;
	double secs = (double)(bf_mono_ms() - c->t0) / 1000.0, share;
	long long done, rows, closed;
	double left = run_eta(c, &share, &done, &rows, &closed);
	char eta[32] = "?";
	if (left >= 0)
		snprintf(eta, sizeof eta, "%d:%02d", (int)left / 60, (int)left % 60);
	bf_progress_show(&c->prog, force,
			 "%3.0f%% %zu/%zu dates (%zu done, %zu failed), %lld/%lld partitions (%lld closed), "
			 "%lld rows, %.0f rows/s, ETA %s%s",
			 100.0 * share, dates, c->todo, c->ok, c->failed, done, c->parts_todo, closed,
			 rows, secs > 0 ? (double)rows / secs : 0, eta,
			 c->brk.state != BRK_CLOSED && !c->brk.stopped ? " (paused: circuit breaker)" : "");
}

double run_pct(size_t a, size_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

void run_summary(struct ctx *c, double secs)
{
	const char *red = c->color ? "\033[31m" : "", *green = c->color ? "\033[32m" : "",
		   *off = c->color ? "\033[0m" : "";
	const char *p = bf_prog();
	fprintf(stderr, "%s: %zu dates processed in %.1f s: %s%zu successful (%.1f%%)%s, %s%zu failed (%.1f%%)%s",
		p, c->processed, secs, green, c->ok, run_pct(c->ok, c->processed), off, c->failed ? red : "",
		c->failed, run_pct(c->failed, c->processed), c->failed ? off : "");
	if (c->partly)
		fprintf(stderr, " (%zu of them partly loaded)", c->partly);
	fprintf(stderr, "; %zu dates closed at every location\n", c->dates_closed);
	fprintf(stderr, "%s: %lld partitions (location-days) committed, %lld of them closed\n", p,
		c->parts_committed, c->parts_closed);
	fprintf(stderr, "%s: %lld rows loaded (%.0f rows/s), %lld of them closure marker rows; "
		"%lld rows extracted from the source\n", p, c->rows, secs > 0 ? (double)c->rows / secs : 0,
		c->markers, c->extracted);
	if (c->quarantined)
		fprintf(stderr, "%s: %s%lld rows quarantined%s, in %zu dates (see the quarantine table)\n", p, red,
			c->quarantined, off, c->quarantined_dates);
	if (c->skipped || c->elsewhere || c->interrupted)
		fprintf(stderr, "%s: %zu skipped (already done in the target), %zu done by another run, %zu interrupted\n",
			p, c->skipped, c->elsewhere, c->interrupted);
	for (size_t i = 0; i < c->n; i++)
		if (c->it[i].st == RS_FAILED)
			fprintf(stderr, "%s: %sfailed%s %s: %s\n", p, red, off, c->it[i].iso, c->it[i].error);
}
