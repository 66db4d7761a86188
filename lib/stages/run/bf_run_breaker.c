/* The circuit breaker: when the pipelines of --breaker-failures dates in a row fail with
 * the same retryable cause (one stage, exit 69 or 75: a target or source that is down),
 * bf-run stops starting dates instead of spending every date's retries on it (one date
 * retried counts once: its own retries are --retries). It waits
 * --breaker-cooldown seconds, runs one date as a probe, and resumes when the probe (or any
 * pipeline still running) gets a date done; after --breaker-probes failed probes it stops
 * the run with exit 69. The dates caught by it keep their retries: they are given back
 * and left for the next run. */
#include "stages/run/bf_run_int.h"

#include <stdio.h>
#include <string.h>

#include "base/bf_exit.h"
#include "base/bf_time.h"

static int64_t cooldown_ms(const struct ctx *c)
{
	return (int64_t)(c->o->breaker_cooldown * 1000);
}

static void say(struct ctx *c, const char *msg)
{
	bf_progress_done(&c->prog);
	if (bf_log_level() >= 1)
		fprintf(stderr, "%s: circuit breaker: %s\n", bf_prog(), msg);
}

int run_breaker_failure(struct ctx *c, const struct job *j, const char *stage, int code, const char *line)
{
	int probe = j->probe;
	struct breaker *b = &c->brk;
	char what[700], msg[900];
	if (c->o->breaker_failures <= 0)
		return 0;
	int same = b->count && b->code == code && !strcmp(b->stage, stage ? stage : "");
	if (!same) {
		if (b->state != BRK_CLOSED)
			b->state = BRK_CLOSED;  /* another cause: judged as usual */
		b->count = b->probes = 0;
		b->streak++;
		b->code = code;
		snprintf(b->stage, sizeof b->stage, "%s", stage ? stage : "");
	}
	for (size_t i = 0; i < j->n; i++) {
		struct item *t = &c->it[j->items[i]];
		if (t->streak != b->streak) {
			t->streak = b->streak;
			b->count++;
		}
	}
	snprintf(b->last, sizeof b->last, "%s", line ? line : "");
	snprintf(what, sizeof what, "%s exit %d (%s)", b->stage, b->code, b->last);
	if (b->state == BRK_CLOSED) {
		if (b->count < c->o->breaker_failures)
			return 0;
		b->state = BRK_OPEN;
		b->opened++;
		b->since = bf_mono_ms();
		b->until = b->since + cooldown_ms(c);
		/* said as an alert: on stderr, in the alerts table and to --alert-command */
		run_alert(c, "breaker_open", (double)b->count, c->o->breaker_failures,
			  "circuit breaker: %s for %d dates in a row: no new dates for %g s, then one to probe",
			  what, b->count, c->o->breaker_cooldown);
		return 1;
	}
	if (probe) {
		b->probes++;
		if (b->probes >= c->o->breaker_probes) {
			b->stopped = 1;
			snprintf(msg, sizeof msg, "probe %d of %d failed too: %s", b->probes, c->o->breaker_probes, what);
			say(c, msg);
		} else {
			b->state = BRK_OPEN;
			b->until = bf_mono_ms() + cooldown_ms(c);
			snprintf(msg, sizeof msg, "probe %d of %d failed: %s; pausing again", b->probes,
				 c->o->breaker_probes, what);
			say(c, msg);
		}
	}
	return 1;
}

void run_breaker_success(struct ctx *c)
{
	struct breaker *b = &c->brk;
	if (b->state != BRK_CLOSED && !b->stopped) {
		say(c, "a date was done again: resuming");
	}
	if (!b->stopped)
		b->state = BRK_CLOSED;
	if (b->count)
		b->streak++;
	b->count = b->probes = 0;
}

int run_breaker_gate(struct ctx *c, int64_t now, int64_t *wake)
{
	struct breaker *b = &c->brk;
	if (b->stopped)
		return 0;
	if (b->state == BRK_CLOSED)
		return 1;
	if (b->state == BRK_OPEN && now < b->until) {
		if (!*wake || b->until < *wake)
			*wake = b->until;
		return 0;
	}
	if (b->state == BRK_OPEN) {
		/* the pause is over: one probe, once the pipelines caught in it are done */
		for (size_t i = 0; i < c->njobs; i++)
			if (!c->jobs[i].probe)
				return 0;
		b->state = BRK_PROBING;
		return 2;
	}
	return 0;  /* probing: wait for the probe */
}

int run_breaker_verdict(struct ctx *c, struct bf_err *err)
{
	const struct breaker *b = &c->brk;
	if (!b->stopped)
		return 0;
	size_t left = 0;
	for (size_t i = 0; i < c->n; i++)
		left += c->it[i].st == RS_TODO || c->it[i].st == RS_INTERRUPTED;
	double secs = (double)(bf_mono_ms() - b->since) / 1000.0;
	return bf_fail(err, BF_EUNAVAIL, NULL,
		       "stopped by the circuit breaker: %s exit %d for %d dates in a row and %d failed probe%s over "
		       "%.0f s (last: %s); %zu dates left: run the same command again once it is back",
		       b->stage, b->code, b->count, b->probes, b->probes == 1 ? "" : "s", secs, b->last, left);
}
