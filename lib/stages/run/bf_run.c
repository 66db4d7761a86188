/* bf-run's entry: plans the run, then shows the plan (--dry-run) or runs it; says what the
 * run comes to (exit 1 for failed dates or quarantined rows, 69 when the circuit breaker
 * stopped it, 75 when interrupted) and frees what the run held. The files it calls are
 * listed in bf_run_int.h. */
#include "stages/run/bf_run.h"

#include <cjson/cJSON.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_cli.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"
#include "stages/run/bf_run_int.h"
#include "targets/bf_target.h"

/* The run's own verdict once the loop is over (rc 0 so far). */
static int verdict(struct ctx *c, struct bf_err *err)
{
	int rc = run_breaker_verdict(c, err);
	if (rc)
		return rc;
	if (run_signals_seen || c->interrupted)
		return bf_fail(err, BF_ETEMP, NULL, "interrupted: %zu dates left; run the same command again to finish",
			       c->todo - c->processed - c->elsewhere);
	if (c->failed && c->quarantined)
		return bf_fail(err, BF_PARTIAL, NULL, "%zu of %zu dates failed; %lld rows quarantined", c->failed,
			       c->processed, c->quarantined);
	if (c->failed)
		return bf_fail(err, BF_PARTIAL, NULL, "%zu of %zu dates failed", c->failed, c->processed);
	if (c->quarantined)
		return bf_fail(err, BF_PARTIAL, NULL, "done, but %lld rows were quarantined in %zu dates (see the "
			       "quarantine table)", c->quarantined, c->quarantined_dates);
	return 0;
}

static void ctx_free(struct ctx *c, int32_t *days)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->it[i].last_error);
		free(c->it[i].error);
		free(c->it[i].ls);
		free(c->it[i].own);
	}
	for (size_t i = 0; i < c->nstages; i++) {
		free(c->stages[i].path);
		bf_strv_free(&c->stages[i].argv);
	}
	bf_cli_list_free(c->src_args, c->nsrc_args);
	for (size_t i = 0; i < c->nloc; i++)
		free(c->locs[i]);
	free(c->locs);
	free(c->it);
	free(c->order);
	free(days);
	free(c->canon);
	free(c->target_key);
	for (size_t i = 0; c->env[i]; i++)
		free(c->env[i]);
	free(c->rates);
	free(c->fail_times);
	cJSON_Delete(c->alerts);
}

int bf_run_run(const struct bf_run_opts *o, struct bf_err *err)
{
	struct ctx c = { .o = o };
	int32_t lo, hi, *days = NULL;
	size_t ndays;
	int rc;
	char started[21];

	bf_now_rfc3339(started);
	c.t0 = bf_mono_ms();
	c.alerts = cJSON_CreateArray();
	const char *nc = getenv("NO_COLOR");
	c.color = isatty(2) && !(nc && *nc);
	bf_retry_init(&c.retry, o->retries, o->retry_base_ms, 30000);
	/* done means done in this target: keyed the way its bf-load keys it */
	if (o->target)
		c.target_key = bf_target_key(o->target, bf_target_schema_in_args(o->load_args.v, o->load_args.n));

	if ((rc = run_discover(&c, &lo, &hi, err)))
		goto out;
	if ((rc = run_setup_stages(&c, err)))
		goto out;
	const char *path = bf_state_path(o->state_path);
	if ((rc = run_open_state(&c, path, err)))
		goto out;
	bf_claimant_init(&c.me, c.st ? c.st->run_id : 0, o->lease);
	int sel = o->dates.all || o->dates.n || o->dates.start != BF_DATE_NONE;
	if (!sel && o->retry_failed)
		ndays = run_failed_dates(&c, &days);
	else
		ndays = bf_datesel_resolve(&o->dates, lo, hi, &days);
	size_t nsel = ndays;
	ndays = run_shard_days(&c, days, ndays);
	if (!ndays)
		bf_warn(c.canon, nsel ? "none of the selected partitions is this shard's" :
			o->dates.all ? "no date folders found" : "no dates selected");
	c.n = ndays;
	c.it = bf_xcalloc(ndays ? ndays : 1, sizeof *c.it);
	c.order = bf_xcalloc(ndays ? ndays : 1, sizeof *c.order);
	for (size_t i = 0; i < ndays; i++) {
		c.it[i].day = days[i];
		bf_date_iso(days[i], c.it[i].iso);
		run_shard_item(&c, &c.it[i]);
		c.order[i] = o->newest_first ? ndays - 1 - i : i;
	}
	if (ndays && ((rc = run_load_status(&c, c.it[0].iso, c.it[ndays - 1].iso, err)) ||
		      (rc = run_reconcile(&c, path, err))))
		goto out;
	run_look_at_claims(&c);
	for (size_t i = 0; i < ndays; i++) {
		struct item *t = &c.it[i];
		int run = o->retry_failed ? t->plan == P_FAILED : o->force || t->plan != P_DONE;
		t->st = run ? RS_TODO : RS_SKIP;
		c.todo += (size_t)run;
		c.parts_todo += run ? t->nown : 0;
		c.skipped += (size_t)!run;
	}
	run_batch_init(&c);
	if (o->dry_run) {
		rc = run_dry_run(&c);
		goto out;
	}

	/* the stages see our run and our state file */
	struct bf_buf e = BF_BUF_INIT;
	bf_buf_addf(&e, "BF_RUN_ID=%lld", (long long)c.st->run_id);
	c.env[0] = bf_buf_detach(&e);
	bf_buf_addf(&e, "BF_STATE=%s", path);
	c.env[1] = bf_buf_detach(&e);
	size_t ne = 2;
	/* bf-extract skips only what is done in this target */
	if (c.target_key) {
		bf_buf_addf(&e, "BF_TARGET=%s", c.target_key);
		c.env[ne++] = bf_buf_detach(&e);
	}
	/* a --shell-pipeline's bf-extract takes --shard "$BF_SHARD" */
	if (c.shard_arg[0]) {
		bf_buf_addf(&e, "BF_SHARD=%s", c.shard_arg);
		c.env[ne++] = bf_buf_detach(&e);
	}
	/* glibc's malloc backs its heap with transparent huge pages: a stage touches tens of
	 * MB per date (held partitions, SQLite's page cache), and one fault per 2 MB instead
	 * of one per 4 KB cut the backfill's CPU time by a tenth (docs/running.md). A
	 * GLIBC_TUNABLES of the user's own stands. */
	if (!getenv("GLIBC_TUNABLES"))
		c.env[ne++] = bf_xstrdup("GLIBC_TUNABLES=glibc.malloc.hugetlb=1");
	c.env[ne] = NULL;

	bf_progress_init(&c.prog, o->progress < 0 ? -1 : 1);
	run_record_progress(&c, "running", 1);
	rc = run_loop(&c, err);
	run_record_progress(&c, "finished", 1);

	double secs = (double)(bf_mono_ms() - c.t0) / 1000.0;
	if (!rc)
		rc = verdict(&c, err);
	if (o->progress >= 0)
		run_summary(&c, secs);
	run_log(&c, &rc, started, secs, err);
out:
	if (c.st)
		bf_state_run_end(c.st, rc);
	else
		sqlite3_close(c.db);
	bf_state_close(c.st);
	ctx_free(&c, days);
	return rc;
}
