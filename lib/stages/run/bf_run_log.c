/* bf-run's JSON log: the run's summary, each date it judged, failed and interrupted dates,
 * errors, the circuit breaker and alerts. Written mode 0600 like the state file; the
 * target (and anything quoting a command line) with secrets masked. */
#include "stages/run/bf_run_int.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_redact.h"
#include "base/bf_time.h"

static const char *const outcome_names[] = {
	[RS_SKIP] = "skipped", [RS_TODO] = "left", [RS_RUNNING] = "left", [RS_OK] = "done",
	[RS_FAILED] = "failed", [RS_INTERRUPTED] = "interrupted", [RS_ELSEWHERE] = "done_elsewhere",
};

static void add_masked(cJSON *o, const char *k, const char *v)
{
	char *m = bf_redact(v ? v : "");
	cJSON_AddStringToObject(o, k, m);
	free(m);
}

static cJSON *summary(struct ctx *c, double secs)
{
	cJSON *s = cJSON_CreateObject();
	cJSON_AddNumberToObject(s, "dates_selected", (double)c->n);
	cJSON_AddNumberToObject(s, "dates_to_do", (double)c->todo);
	cJSON_AddNumberToObject(s, "processed", (double)c->processed);
	cJSON_AddNumberToObject(s, "successful", (double)c->ok);
	cJSON_AddNumberToObject(s, "successful_pct", run_pct(c->ok, c->processed));
	cJSON_AddNumberToObject(s, "failed", (double)c->failed);
	cJSON_AddNumberToObject(s, "failed_pct", run_pct(c->failed, c->processed));
	cJSON_AddNumberToObject(s, "partly_loaded", (double)c->partly);
	cJSON_AddNumberToObject(s, "partitions_committed", (double)c->parts_committed);
	/* closures per location-day (partitions); "closed" stays what it was, the dates closed
	 * at every location, now also under a name that says so */
	cJSON_AddNumberToObject(s, "closed_partitions", (double)c->parts_closed);
	cJSON_AddNumberToObject(s, "dates_closed_everywhere", (double)c->dates_closed);
	cJSON_AddNumberToObject(s, "closed", (double)c->dates_closed);
	cJSON_AddNumberToObject(s, "closed_pct", run_pct(c->dates_closed, c->processed));
	cJSON_AddNumberToObject(s, "skipped", (double)c->skipped);
	cJSON_AddNumberToObject(s, "done_elsewhere", (double)c->elsewhere);
	cJSON_AddNumberToObject(s, "interrupted", (double)c->interrupted);
	/* to do, and not done by this run nor another: interrupted, or held by the breaker */
	cJSON_AddNumberToObject(s, "left", (double)(c->todo - c->processed - c->elsewhere));
	cJSON_AddNumberToObject(s, "rows_loaded", (double)c->rows);
	cJSON_AddNumberToObject(s, "marker_rows", (double)c->markers);
	cJSON_AddNumberToObject(s, "rows_extracted", (double)c->extracted);
	cJSON_AddNumberToObject(s, "quarantined_rows", (double)c->quarantined);
	cJSON_AddNumberToObject(s, "quarantined_dates", (double)c->quarantined_dates);
	cJSON_AddNumberToObject(s, "duration_s", round(secs * 1000) / 1000);
	cJSON_AddNumberToObject(s, "rows_per_s", secs > 0 ? round((double)c->rows / secs) : 0);
	return s;
}

static cJSON *date_entry(const struct item *t)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "date", t->iso);
	cJSON_AddStringToObject(d, "outcome", outcome_names[t->st]);
	cJSON_AddNumberToObject(d, "partitions", t->nown);
	cJSON_AddNumberToObject(d, "partitions_committed", t->parts_loaded);
	cJSON_AddNumberToObject(d, "closed", t->parts_closed);
	cJSON_AddNumberToObject(d, "rows_loaded", (double)t->rows);
	cJSON_AddNumberToObject(d, "marker_rows", (double)t->markers);
	cJSON_AddNumberToObject(d, "rows_extracted", (double)t->extracted);
	cJSON_AddNumberToObject(d, "quarantined", (double)t->quarantined);
	cJSON_AddNumberToObject(d, "tries", t->tries);
	cJSON_AddNumberToObject(d, "duration_ms", (double)t->ms);
	return d;
}

static cJSON *breaker(const struct ctx *c)
{
	const struct breaker *b = &c->brk;
	cJSON *o = cJSON_CreateObject();
	cJSON_AddNumberToObject(o, "opened", b->opened);
	cJSON_AddBoolToObject(o, "stopped", b->stopped);
	if (b->opened) {
		char cause[64];
		snprintf(cause, sizeof cause, "%s exit %d", b->stage, b->code);
		cJSON_AddStringToObject(o, "cause", cause);
		cJSON_AddStringToObject(o, "last_error", b->last);
		cJSON_AddNumberToObject(o, "failed_probes", b->probes);
	}
	return o;
}

static cJSON *document(struct ctx *c, int code, const char *started, double secs)
{
	char now[21];
	bf_now_rfc3339(now);
	cJSON *r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "run_id", (double)c->st->run_id);
	add_masked(r, "source", c->canon);
	add_masked(r, "target", c->o->target);
	if (c->shard_arg[0])
		cJSON_AddStringToObject(r, "shard", c->shard_arg);  /* "K/N": this run's share only */
	if (c->target_key)
		add_masked(r, "target_key", c->target_key);
	cJSON_AddStringToObject(r, "started_at", started);
	cJSON_AddStringToObject(r, "finished_at", now);
	cJSON_AddNumberToObject(r, "exit_code", code);
	cJSON_AddItemToObject(r, "summary", summary(c, secs));
	cJSON *fd = cJSON_AddArrayToObject(r, "failed_dates");
	cJSON *er = cJSON_AddArrayToObject(r, "errors");
	cJSON *id = cJSON_AddArrayToObject(r, "interrupted_dates");
	cJSON *ds = cJSON_AddArrayToObject(r, "dates");
	for (size_t q = 0; q < c->n; q++) {
		struct item *t = &c->it[c->order[q]];
		if (t->st == RS_OK || t->st == RS_FAILED || t->st == RS_INTERRUPTED)
			cJSON_AddItemToArray(ds, date_entry(t));
	}
	for (size_t i = 0; i < c->n; i++) {
		struct item *t = &c->it[i];
		if (t->st == RS_INTERRUPTED)
			cJSON_AddItemToArray(id, cJSON_CreateString(t->iso));
		if (t->st != RS_FAILED)
			continue;
		cJSON_AddItemToArray(fd, cJSON_CreateString(t->iso));
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "date", t->iso);
		cJSON_AddStringToObject(e, "stage", t->stage);
		cJSON_AddNumberToObject(e, "exit_code", t->code);
		add_masked(e, "error", t->error);
		cJSON_AddNumberToObject(e, "tries", t->tries);
		/* a failed date that some locations committed is partly loaded */
		cJSON *pl = cJSON_AddArrayToObject(e, "partly_loaded");
		for (size_t k = 0; k < c->nloc; k++)
			if (run_owns(t, k) && t->ls[k].tstatus && t->ls[k].tmine)
				cJSON_AddItemToArray(pl, cJSON_CreateString(c->locs[k]));
		cJSON_AddItemToArray(er, e);
	}
	cJSON_AddItemToObject(r, "breaker", breaker(c));
	cJSON_AddItemReferenceToObject(r, "alerts", c->alerts);
	return r;
}

static int write_log(struct ctx *c, const char *path, int code, const char *started, double secs,
		     struct bf_err *err)
{
	cJSON *r = document(c, code, started, secs);
	char *js = cJSON_Print(r);
	cJSON_Delete(r);
	/* 0600, like the state file: an existing file is made so too */
	int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	struct stat sb;
	if (fd >= 0 && !fstat(fd, &sb) && S_ISREG(sb.st_mode) && (sb.st_mode & 077))
		fchmod(fd, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	int rc = 0;
	/* each path closes f once: a failed fclose has closed it all the same */
	if (!f || fputs(js, f) < 0 || fputc('\n', f) < 0) {
		rc = bf_fail(err, BF_EIO, path, "cannot write the log: %s", strerror(errno));
		if (f)
			fclose(f);
		else if (fd >= 0)
			close(fd);
	} else if (fclose(f)) {
		rc = bf_fail(err, BF_EIO, path, "cannot write the log: %s", strerror(errno));
	}
	free(js);
	return rc;
}

void run_log(struct ctx *c, int *rc, const char *started, double secs, struct bf_err *err)
{
	const struct bf_run_opts *o = c->o;
	if (!o->log_path || (strcmp(o->log_path, "") && strcmp(o->log_path, "-"))) {
		char def[64], ts[21];
		const char *lp = o->log_path;
		if (!lp) {
			bf_now_rfc3339(ts);
			snprintf(def, sizeof def, "bf-run-%.4s%.2s%.2sT%.2s%.2s%.2sZ.json", ts, ts + 5, ts + 8,
				 ts + 11, ts + 14, ts + 17);
			lp = def;
		}
		struct bf_err lerr = { 0 };
		if (write_log(c, lp, *rc, started, secs, &lerr)) {
			if (!*rc) {        /* the run's error now: the caller says it */
				*err = lerr;
				*rc = lerr.code;
			} else {
				bf_err_print(&lerr);
			}
		} else if (o->progress >= 0) {
			fprintf(stderr, "%s: log: %s\n", bf_prog(), lp);
		}
	}
}
