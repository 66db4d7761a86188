/* bf-run's main loop: collects the outcomes of the pipelines that ended, claims and starts
 * the next batches while workers are free (and the circuit breaker lets it), reads the
 * STATE lines of the running ones, and waits; the first signal stops starting new
 * pipelines, the second (or the end of --grace) stops the running ones. */
#include "stages/run/bf_run_int.h"

#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/bf_time.h"

volatile sig_atomic_t run_signals_seen;
static volatile sig_atomic_t last_signal;

static void on_child(int sig)
{
	(void)sig;
}

static void on_signal(int sig)
{
	run_signals_seen++;
	last_signal = sig;
}

/* Collects up to max dates ready to go, claiming them. Returns the count (0: none ready
 * now); *wake: when one waiting for a retry time or another run's claim may be ready. */
static size_t next_batch(struct ctx *c, size_t *batch, size_t max, int64_t *wake, struct bf_err *err, int *rc)
{
	size_t nb = 0;
	int64_t now = bf_mono_ms();
	*rc = 0;
	for (size_t q = 0; q < c->n && nb < max; q++) {
		struct item *t = &c->it[c->order[q]];
		if (t->st != RS_TODO || (t->solo && nb))
			continue;
		if (t->not_before > now) {
			if (!*wake || t->not_before < *wake)
				*wake = t->not_before;
			continue;
		}
		int res;
		if ((*rc = run_claim(c, t, &res, err)))
			return nb;
		if (res == CLAIM_BUSY) {
			t->busy = 1;
			t->not_before = now + 500;
			if (!*wake || t->not_before < *wake)
				*wake = t->not_before;
			continue;
		}
		if (res == CLAIM_DONE) {
			t->st = RS_ELSEWHERE;
			c->elsewhere++;
			c->parts_elsewhere += t->nown;
			continue;
		}
		t->busy = 0;
		t->st = RS_RUNNING;  /* claimed: not for another batch of this round */
		batch[nb++] = c->order[q];
		if (t->solo)
			break;
	}
	return nb;
}

static int todo_left(struct ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->it[i].st == RS_TODO)
			return 1;
	return 0;
}

static int loop(struct ctx *c, struct bf_err *err)
{
	const struct bf_run_opts *o = c->o;
	int stopping = 0, killed = 0, rc = 0;
	int64_t stop_at = 0;
	size_t *batch = bf_xmalloc(c->batch * sizeof *batch);
	struct pollfd fds[MAX_JOBS * 5 + 1];

	for (;;) {
		int64_t now = bf_mono_ms();
		if (run_signals_seen >= 2 && killed < 2) {
			for (size_t i = 0; i < c->njobs; i++) {
				c->jobs[i].interrupted = 1;
				bf_pipeline_kill(&c->jobs[i].p, SIGKILL);
			}
			killed = 2;
			stopping = 1;
		} else if (run_signals_seen == 1 && !stopping) {
			stopping = 1;
			stop_at = o->grace >= 0 ? now + (int64_t)(o->grace * 1000) : 0;
			bf_progress_done(&c->prog);
			fprintf(stderr, "%s: %s: finishing the %zu pipelines running, starting no more%s\n",
				bf_prog(), strsignal(last_signal), c->njobs,
				o->grace >= 0 ? " (then stopping them after the grace period)" : "; again to stop now");
		}
		if (stopping && stop_at && now >= stop_at && !killed) {
			for (size_t i = 0; i < c->njobs; i++) {
				c->jobs[i].interrupted = 1;
				bf_pipeline_kill(&c->jobs[i].p, SIGTERM);
			}
			killed = 1;
			stop_at = now + 5000;  /* then SIGKILL */
		} else if (killed == 1 && now >= stop_at) {
			for (size_t i = 0; i < c->njobs; i++)
				bf_pipeline_kill(&c->jobs[i].p, SIGKILL);
			killed = 2;
		}
		/* one transaction: the outcomes of the pipelines that ended, the lease and the
		 * claims of the next batch */
		for (size_t i = 0; i < c->njobs;) {
			run_read_states(&c->jobs[i]);
			if (bf_pipeline_step(&c->jobs[i].p)) {
				struct bf_err terr = { 0 };
				if (run_txn_begin(c, &terr))
					bf_err_print(&terr);  /* then each write on its own */
				run_finish_job(c, &c->jobs[i]);
				c->jobs[i] = c->jobs[--c->njobs];
			} else {
				i++;
			}
		}
		run_renew(c);
		/* each batch is started as soon as its claim is committed (one after the other,
		 * as the workers free up: stages of different pipelines do not all start at once) */
		int64_t wake = 0;
		if (c->brk.stopped)
			stopping = 1;
		for (;;) {
			size_t nb = 0, max = c->batch_now;
			int gate = !stopping && !rc && c->njobs < (size_t)o->max_workers ? run_breaker_gate(c, now, &wake) : 0;
			if (gate == 2)
				max = 1;   /* the circuit breaker's probe: one date */
			if (gate)
				nb = next_batch(c, batch, max, &wake, err, &rc);
			if (gate == 2 && !nb)
				c->brk.state = BRK_OPEN;  /* no date to probe with yet */
			struct bf_err cerr = { 0 };
			if (run_txn_commit(c, &cerr) && !rc) {
				*err = cerr;
				rc = cerr.code;
			}
			if (nb && !rc)
				rc = run_start_job(c, batch, nb, gate == 2, err);
			else
				for (size_t i = 0; i < nb; i++) {  /* not started: give the dates back */
					c->it[batch[i]].st = RS_TODO;
					run_release(c, &c->it[batch[i]]);
				}
			if (!nb || rc || gate == 2)
				break;
		}
		if (rc && !c->njobs)
			break;
		if (rc)
			stopping = 1;
		c->stopping = stopping;
		if (!c->njobs && (stopping || !todo_left(c)))
			break;
		size_t nfds = 0;
		for (size_t i = 0; i < c->njobs; i++) {
			bf_pipeline_pollfds(&c->jobs[i].p, fds, &nfds, sizeof fds / sizeof fds[0]);
			if (c->jobs[i].live.fd >= 0 && nfds < sizeof fds / sizeof fds[0]) {
				fds[nfds].fd = c->jobs[i].live.fd;
				fds[nfds].events = POLLIN;
				fds[nfds++].revents = 0;
			}
		}
		int timeout = 200;
		if (wake && !c->njobs)
			timeout = (int)(wake - now > 0 ? (wake - now < 1000 ? wake - now : 1000) : 1);
		/* signals are blocked but here: a child's exit or a Ctrl-C wakes us at once */
		struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000L };
		ppoll(fds, nfds, &ts, &c->waitmask);
		run_reap_alerts(c, 0);
		run_show_progress(c, 0);
		run_record_progress(c, NULL, 0);
	}
	free(batch);
	/* dates left to do are interrupted when we were stopped */
	for (size_t i = 0; i < c->n; i++) {
		struct item *t = &c->it[i];
		if (t->st == RS_TODO && (stopping || rc)) {
			if (t->tries) {
				t->st = RS_INTERRUPTED;
				c->interrupted++;
				if (c->brk.stopped) {
					/* tried, and held back by the circuit breaker: left for the next run */
					struct bf_buf e = BF_BUF_INIT;
					bf_buf_addf(&e, "not done: %s (bf-run stopped by its circuit breaker)",
						    t->error ? t->error : c->brk.last);
					run_mark_partitions(c, t, "pending", e.p);
					run_record_date(c, t, "interrupted");
					bf_buf_free(&e);
				}
			}
		}
	}
	run_show_progress(c, 1);
	bf_progress_done(&c->prog);
	run_reap_alerts(c, 1);
	return rc;
}

int run_loop(struct ctx *c, struct bf_err *err)
{
	struct sigaction sa, old_int, old_term, old_hup, old_chld;
	int rc;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, &old_chld);
	signal(SIGPIPE, SIG_IGN);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &c->waitmask);
	rc = loop(c, err);
	sigprocmask(SIG_SETMASK, &c->waitmask, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	return rc;
}
