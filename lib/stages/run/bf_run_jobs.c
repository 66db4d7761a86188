/* One pipeline per batch of dates: starting it, and when it ends, judging each of its dates
 * from the state file (done, retried, run alone, failed, interrupted). */
#include "stages/run/bf_run_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"

int run_start_job(struct ctx *c, size_t *batch, size_t nb, struct bf_err *err)
{
	struct job *j = &c->jobs[c->njobs];
	struct bf_buf dates = BF_BUF_INIT;
	memset(j, 0, sizeof *j);
	for (size_t i = 0; i < nb; i++) {
		bf_buf_adds(&dates, i ? "," : "");
		bf_buf_adds(&dates, c->it[batch[i]].iso);
	}
	j->dates_arg = bf_buf_detach(&dates);
	j->items = bf_xmalloc(nb * sizeof *j->items);
	memcpy(j->items, batch, nb * sizeof *batch);
	j->n = nb;
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
	char *env[6];
	size_t ne = 0;
	for (; c->env[ne]; ne++)
		env[ne] = c->env[ne];
	bf_buf_addf(&dates, "BF_DATES=%s", j->dates_arg);
	env[ne++] = dates.p;
	if (c->o->shell_pipeline && c->o->force)
		env[ne++] = "BF_FORCE=1";
	env[ne] = NULL;
	j->p.echo = c->o->verbose;
	int rc = bf_pipeline_start(&j->p, argvs, c->nstages, env, -1, -1, err);
	bf_buf_free(&dates);
	for (size_t i = 0; i < nb; i++) {
		struct item *t = &c->it[batch[i]];
		t->st = RS_RUNNING;
		if (!t->t0)
			t->t0 = j->t0;
		t->tries++;
	}
	if (rc) {
		free(j->items);
		free(j->first_argv);
		free(j->dates_arg);
		bf_pipeline_free(&j->p);
		return rc;
	}
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

void run_finish_job(struct ctx *c, struct job *j)
{
	int code;
	int k = bf_pipeline_verdict(&j->p, &code);
	struct bf_err err = { 0 };
	int64_t now = bf_mono_ms();
	char line[1024], how[128];
	long long batch_rows = 0;
	int batch_ok = 1;

	const char *stage = k >= 0 ? c->stages[k].name : NULL;
	if (k >= 0) {
		bf_child_describe(&j->p.c[k], how, sizeof how);
		if (j->p.c[k].lasterr[0])
			snprintf(line, sizeof line, "%s", j->p.c[k].lasterr);
		else
			snprintf(line, sizeof line, "%s: %s", stage, how);
	}
	/* when forced or when the pipeline did not succeed, a status left by an earlier run
	 * (e.g. pending after an interruption) is not this pipeline's work */
	int mine_needed = c->o->force || k >= 0 || j->interrupted;
	for (size_t i = 0; i < j->n; i++) {
		struct item *t = &c->it[j->items[i]];
		if (run_load_status(c, t->iso, t->iso, &err))
			bf_err_print(&err);
		t->ms = now - t->t0;
		/* done (by this run, see mine_needed) */
		if ((size_t)t->nrows >= c->nloc && t->nloaded + t->nclosed + t->npending == t->nrows && t->nrows &&
		    (!mine_needed || t->nmine == t->nrows)) {
			t->st = RS_OK;
			t->rows = t->loaded_rows;
			t->closed = t->nclosed == t->nrows;
			t->code = 0;
			c->processed++;
			c->ok++;
			c->closed += (size_t)t->closed;
			c->rows += t->rows;
			batch_rows += t->rows;
			run_record_date(c, t, t->closed ? "closed" : t->npending ? "pending" : "loaded");
			bf_state_metric(c->st, c->canon, NULL, t->iso, "pipeline_ms", (double)t->ms);
			run_release(c, t);
			run_check_alerts(c, t, 0, -1);
			continue;
		}
		batch_ok = 0;
		if (j->interrupted) {
			t->st = RS_INTERRUPTED;
			set_error(t, NULL, BF_ETEMP, "interrupted");
			c->interrupted++;
			run_mark_partitions(c, t, "pending", "interrupted by bf-run");
			run_record_date(c, t, "interrupted");
			run_release(c, t);
			continue;
		}
		if (j->n > 1 && !run_signals_seen) {
			/* which date broke the batch is not always known: each date it left undone
			 * gets a pipeline of its own, so one bad date cannot fail its neighbours */
			t->st = RS_TODO;
			t->solo = 1;
			t->tries--;
			bf_note(t->iso, "its batch of %zu dates failed (%s); running it on its own", j->n,
				k >= 0 ? how : "not loaded");
			continue;
		}
		if (k >= 0) {
			/* the partition's own error names the file; the stage's line is the fallback */
			const char *msg = t->nfailed && t->last_error ? t->last_error : line;
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
		t->st = RS_FAILED;
		c->processed++;
		c->failed++;
		run_mark_partitions(c, t, "failed", t->error);
		bf_state_error(c->st, c->canon, NULL, t->iso, t->code, t->error);
		run_record_date(c, t, "failed");
		run_release(c, t);
		bf_progress_done(&c->prog);
		if (bf_log_level() >= 1)
			fprintf(stderr, "%s: %s: failed (%s%s%s): %s\n", bf_prog(), t->iso, stage ? stage : "",
				stage ? " " : "", k >= 0 ? how : "not loaded", t->error);
		run_check_alerts(c, t, 1, -1);
	}
	if (batch_ok && now > j->t0) {
		double rate = (double)batch_rows * 1000.0 / (double)(now - j->t0);
		run_check_alerts(c, &c->it[j->items[j->n - 1]], 0, rate);
	}
	free(j->items);
	free(j->first_argv);
	free(j->dates_arg);
	bf_pipeline_free(&j->p);
}
