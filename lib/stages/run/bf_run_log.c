/* bf-run's JSON log: the run's summary, failed and interrupted dates, errors and alerts. */
#include "stages/run/bf_run_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_exit.h"
#include "base/bf_time.h"

static int write_log(struct ctx *c, const char *path, int code, const char *started, double secs,
		     struct bf_err *err)
{
	char now[21];
	bf_now_rfc3339(now);
	cJSON *r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "run_id", (double)c->st->run_id);
	cJSON_AddStringToObject(r, "source", c->canon);
	cJSON_AddStringToObject(r, "target", c->o->target ? c->o->target : "");
	cJSON_AddStringToObject(r, "started_at", started);
	cJSON_AddStringToObject(r, "finished_at", now);
	cJSON_AddNumberToObject(r, "exit_code", code);
	cJSON *s = cJSON_AddObjectToObject(r, "summary");
	cJSON_AddNumberToObject(s, "dates_selected", (double)c->n);
	cJSON_AddNumberToObject(s, "dates_to_do", (double)c->todo);
	cJSON_AddNumberToObject(s, "processed", (double)c->processed);
	cJSON_AddNumberToObject(s, "successful", (double)c->ok);
	cJSON_AddNumberToObject(s, "successful_pct", run_pct(c->ok, c->processed));
	cJSON_AddNumberToObject(s, "closed", (double)c->closed);
	cJSON_AddNumberToObject(s, "closed_pct", run_pct(c->closed, c->processed));
	cJSON_AddNumberToObject(s, "failed", (double)c->failed);
	cJSON_AddNumberToObject(s, "failed_pct", run_pct(c->failed, c->processed));
	cJSON_AddNumberToObject(s, "skipped", (double)c->skipped);
	cJSON_AddNumberToObject(s, "done_elsewhere", (double)c->elsewhere);
	cJSON_AddNumberToObject(s, "interrupted", (double)c->interrupted);
	cJSON_AddNumberToObject(s, "rows_loaded", (double)c->rows);
	cJSON_AddNumberToObject(s, "duration_s", round(secs * 1000) / 1000);
	cJSON_AddNumberToObject(s, "rows_per_s", secs > 0 ? round((double)c->rows / secs) : 0);
	cJSON *fd = cJSON_AddArrayToObject(r, "failed_dates");
	cJSON *er = cJSON_AddArrayToObject(r, "errors");
	cJSON *id = cJSON_AddArrayToObject(r, "interrupted_dates");
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
		cJSON_AddStringToObject(e, "error", t->error ? t->error : "");
		cJSON_AddNumberToObject(e, "tries", t->tries);
		cJSON_AddItemToArray(er, e);
	}
	cJSON_AddItemReferenceToObject(r, "alerts", c->alerts);
	char *js = cJSON_Print(r);
	cJSON_Delete(r);
	FILE *f = fopen(path, "w");
	int rc = 0;
	/* each path closes f once: a failed fclose has closed it all the same */
	if (!f || fputs(js, f) < 0 || fputc('\n', f) < 0) {
		rc = bf_fail(err, BF_EIO, path, "cannot write the log: %s", strerror(errno));
		if (f)
			fclose(f);
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
