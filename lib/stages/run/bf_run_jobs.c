/* One pipeline per batch of dates: starting it (its last stage's stdout read back, see
 * bf_run_states.c), and when it ends, judging each of its dates from the state file (done,
 * retried, run alone, failed, partly loaded, interrupted, held by the circuit breaker). */
#include "stages/run/bf_run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"

static void job_free(struct job *j)
{
	free(j->items);
	free(j->first_argv);
	free(j->dates_arg);
	if (j->live.fd >= 0)
		close(j->live.fd);
	j->live.fd = -1;
	bf_buf_free(&j->live.part);
	bf_pipeline_free(&j->p);
}

int run_start_job(struct ctx *c, size_t *batch, size_t nb, int probe, struct bf_err *err)
{
	struct job *j = &c->jobs[c->njobs];
	struct bf_buf dates = BF_BUF_INIT;
	int out[2];
	memset(j, 0, sizeof *j);
	j->live.fd = -1;
	for (size_t i = 0; i < nb; i++) {
		bf_buf_adds(&dates, i ? "," : "");
		bf_buf_adds(&dates, c->it[batch[i]].iso);
	}
	j->dates_arg = bf_buf_detach(&dates);
	j->items = bf_xmalloc(nb * sizeof *j->items);
	memcpy(j->items, batch, nb * sizeof *batch);
	j->n = nb;
	j->probe = probe;
	j->t0 = bf_mono_ms();
	const struct stage *s0 = &c->stages[0];
	size_t k = s0->argv.n;
	j->first_argv = bf_xcalloc(k + nb + 2, sizeof *j->first_argv);
	memcpy(j->first_argv, s0->argv.v, k * sizeof *s0->argv.v);
	if (c->o->shell_pipeline) {
		for (size_t i = 0; i < nb; i++)
			j->first_argv[k++] = c->it[batch[i]].iso;
	} else {
		j->first_argv[k++] = "--dates";
		j->first_argv[k++] = j->dates_arg;
	}
	char *const *argvs[4];
	argvs[0] = j->first_argv;
	for (size_t i = 1; i < c->nstages; i++)
		argvs[i] = c->stages[i].argv.v;
	char *env[sizeof c->env / sizeof c->env[0] + 2];
	size_t ne = 0;
	for (; c->env[ne]; ne++)
		env[ne] = c->env[ne];
	bf_buf_addf(&dates, "BF_DATES=%s", j->dates_arg);
	env[ne++] = dates.p;
	if (c->o->shell_pipeline && c->o->force)
		env[ne++] = "BF_FORCE=1";
	env[ne] = NULL;
	j->p.echo = c->o->verbose;
	int rc = 0;
	if (pipe2(out, O_CLOEXEC))
		rc = bf_fail(err, BF_EOS, "pipe", "cannot start a pipeline: %s", strerror(errno));
	else
		rc = bf_pipeline_start(&j->p, argvs, c->nstages, env, -1, out[1], err);
	bf_buf_free(&dates);
	for (size_t i = 0; i < nb; i++) {
		struct item *t = &c->it[batch[i]];
		t->st = RS_RUNNING;
		if (!t->t0)
			t->t0 = j->t0;
		t->tries++;
	}
	if (rc) {
		job_free(j);
		return rc;
	}
	close(out[1]);
	j->live.fd = out[0];
	fcntl(out[0], F_SETFL, fcntl(out[0], F_GETFL) | O_NONBLOCK);
	c->njobs++;
	return 0;
}

static void set_error(struct item *t, const char *stage, int code, const char *msg)
{
	free(t->error);
	t->error = bf_xstrdup(msg);
	snprintf(t->stage, sizeof t->stage, "%s", stage ? stage : "");
	t->code = code;
}

/* What this run committed of the date (all of it when done, some when partly). */
static void take_figures(struct ctx *c, struct item *t, int mine)
{
	t->rows = t->markers = t->extracted = 0;
	t->parts_closed = t->parts_loaded = 0;
	for (size_t i = 0; i < c->nloc; i++) {
		const struct locstat *l = &t->ls[i];
		if (!run_owns(t, i) || !l->tstatus || (mine && !l->tmine))
			continue;
		t->parts_loaded++;
		t->parts_closed += l->tstatus == 'c';
		t->rows += l->trows;
		t->markers += l->tmarkers;
		t->extracted += l->rows;
	}
	c->rows += t->rows;
	c->markers += t->markers;
	c->extracted += t->extracted;
	c->parts_closed += t->parts_closed;
	c->parts_committed += t->parts_loaded;
	if (t->quarantined) {
		c->quarantined += t->quarantined;
		c->quarantined_dates++;
	}
}

/* The locations committed by this run of a date that failed: "185129 (216 rows)". */
static void partly_note(const struct ctx *c, const struct item *t, struct bf_buf *b)
{
	for (size_t i = 0, n = 0; i < c->nloc; i++) {
		const struct locstat *l = &t->ls[i];
		if (!run_owns(t, i) || !l->tstatus || !l->tmine)
			continue;
		bf_buf_addf(b, "%s%s (%lld rows%s)", n++ ? ", " : "", *c->locs[i] ? c->locs[i] : "-", l->trows,
			    l->tstatus == 'c' ? ", closed" : "");
	}
}

static void date_done(struct ctx *c, struct item *t, long long *data_rows, long long *data_parts,
		      long long *parts)
{
	int pending = 0;
	int closed = 0;
	t->st = RS_OK;
	/* the figures are this run's: a location committed by an earlier run is left out */
	take_figures(c, t, 1);
	t->code = 0;
	c->processed++;
	c->ok++;
	c->parts_done += t->nown;
	*parts += t->nown;
	for (size_t i = 0; i < c->nloc; i++) {
		if (!run_owns(t, i))
			continue;
		pending += t->ls[i].tstatus == 'p';
		closed += t->ls[i].tstatus == 'c';
		if (t->ls[i].tstatus != 'c' && t->ls[i].rows > 0) {
			*data_rows += t->ls[i].trows;
			(*data_parts)++;
		}
	}
	c->dates_closed += closed == t->nown;
	run_record_date(c, t, closed == t->nown ? "closed" : pending ? "pending" : "loaded");
	bf_state_metric(c->st, c->canon, NULL, t->iso, "pipeline_ms", (double)t->ms);
	run_release(c, t);
	run_breaker_success(c);
	run_check_alerts(c, t, 0, -1);
}

static void date_failed(struct ctx *c, struct item *t, const char *stage, const char *how)
{
	t->st = RS_FAILED;
	c->processed++;
	c->failed++;
	c->parts_done += t->nown;
	struct bf_buf partly = BF_BUF_INIT;
	if (run_item_mine(c, t)) {
		/* what did commit stays in the target: counted, and said */
		take_figures(c, t, 1);
		c->partly++;
		partly_note(c, t, &partly);
	} else if (t->quarantined) {
		c->quarantined += t->quarantined;
		c->quarantined_dates++;
	}
	run_mark_partitions(c, t, "failed", t->error);
	bf_state_error(c->st, c->canon, NULL, t->iso, t->code, t->error);
	run_record_date(c, t, "failed");
	run_release(c, t);
	bf_progress_done(&c->prog);
	if (bf_log_level() >= 1) {
		fprintf(stderr, "%s: %s: failed (%s%s%s): %s\n", bf_prog(), t->iso, stage ? stage : "",
			stage ? " " : "", how, t->error);
		if (partly.len)
			fprintf(stderr, "%s: %s: partly loaded: %s committed before the failure\n", bf_prog(), t->iso,
				partly.p);
	}
	bf_buf_free(&partly);
	run_check_alerts(c, t, 1, -1);
}

void run_finish_job(struct ctx *c, struct job *j)
{
	int code;
	int k = bf_pipeline_verdict(&j->p, &code);
	struct bf_err err = { 0 };
	int64_t now = bf_mono_ms();
	char line[1024], how[128];
	long long data_rows = 0, data_parts = 0, parts = 0;
	size_t ndone = 0;

	run_read_states(j);
	const char *stage = k >= 0 ? c->stages[k].name : NULL;
	snprintf(how, sizeof how, "not loaded");
	if (k >= 0) {
		bf_child_describe(&j->p.c[k], how, sizeof how);
		if (j->p.c[k].lasterr[0])
			snprintf(line, sizeof line, "%s", j->p.c[k].lasterr);
		else
			snprintf(line, sizeof line, "%s: %s", stage, how);
	}
	/* when forced or when the pipeline did not succeed, a status left by an earlier run
	 * (e.g. committed before an interruption) is not this pipeline's work */
	int mine_needed = c->o->force || k >= 0 || j->interrupted;
	int held = 0;  /* the circuit breaker holds this pipeline's failure */
	if (k >= 0 && bf_exit_retryable(code) && !j->interrupted && !run_signals_seen)
		held = run_breaker_failure(c, j, stage, code, line);
	for (size_t i = 0; i < j->n; i++) {
		struct item *t = &c->it[j->items[i]];
		if (run_load_status(c, t->iso, t->iso, &err))
			bf_err_print(&err);
		t->ms = now - t->t0;
		if (run_item_committed(c, t, mine_needed)) {
			date_done(c, t, &data_rows, &data_parts, &parts);
			ndone++;
			continue;
		}
		if (j->interrupted) {
			t->st = RS_INTERRUPTED;
			set_error(t, NULL, BF_ETEMP, "interrupted");
			c->interrupted++;
			run_mark_partitions(c, t, "pending", "interrupted by bf-run");
			run_record_date(c, t, "interrupted");
			run_release(c, t);
			continue;
		}
		if (held) {
			/* the cause is not this date's: it keeps its tries for later */
			struct bf_buf e = BF_BUF_INIT;
			t->st = RS_TODO;
			t->tries--;
			t->not_before = 0;
			set_error(t, stage, code, line);
			bf_buf_addf(&e, "held by bf-run's circuit breaker: %s", line);
			run_mark_partitions(c, t, "pending", e.p);
			bf_buf_free(&e);
			run_release(c, t);
			continue;
		}
		if (j->n > 1 && !run_signals_seen) {
			/* which date broke the batch is not always known: each date it left undone
			 * gets a pipeline of its own, so one bad date cannot fail its neighbours */
			t->st = RS_TODO;
			t->solo = 1;
			t->tries--;
			bf_note(t->iso, "its batch of %zu dates failed (%s); running it on its own", j->n, how);
			continue;
		}
		int nfailed = 0;
		for (size_t l = 0; l < c->nloc; l++)
			nfailed += run_owns(t, l) && t->ls[l].pstatus == 'f';
		if (k >= 0) {
			/* the partition's own error names the file; the stage's line is the fallback */
			const char *msg = nfailed && t->last_error ? t->last_error : line;
			set_error(t, stage, code, msg);
		} else {
			set_error(t, NULL, BF_PARTIAL, t->last_error ? t->last_error : "not loaded (no stage failed)");
		}
		if (bf_exit_retryable(t->code) && t->tries <= c->o->retries && !run_signals_seen) {
			int64_t d = bf_retry_delay_ms(&c->retry, t->tries - 1, -1);
			t->st = RS_TODO;
			t->not_before = now + d;
			bf_note(t->iso, "%s (%s), retrying in %lld ms", t->error, how, (long long)d);
			continue;
		}
		date_failed(c, t, stage, how);
	}
	if (j->probe && c->brk.state == BRK_PROBING)
		c->brk.state = BRK_CLOSED;  /* the probe ended some other way: judged as usual */
	run_batch_measure(c, j->n, ndone, now - j->t0);
	/* rows per second of the partitions with data: closed and empty ones (and their share
	 * of the time) are left out, so that a closed day is not a drop in throughput */
	if (ndone == j->n && data_parts && parts && now > j->t0) {
		double secs = (double)(now - j->t0) / 1000.0 * (double)data_parts / (double)parts;
		run_check_alerts(c, &c->it[j->items[j->n - 1]], 0, (double)data_rows / secs);
	}
	job_free(j);
}
