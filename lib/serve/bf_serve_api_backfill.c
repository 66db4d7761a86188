/* GET /api/backfill: the run going on now (bf-run's progress figures), the last bf-run
 * runs with what each did, and the partitions of the source by status: a few short
 * statements on the thread's read-only connection. Each thread keeps its last reply
 * while the state file has no new commit (PRAGMA data_version), the supervisor has no
 * news and the second (of the elapsed time, the rate and the liveness of runs) is the
 * same: a dashboard polling it costs one PRAGMA per request. */
#include "serve/bf_serve_int.h"

#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/bf_buf.h"

#include "base/bf_exit.h"
#include "state/bf_state.h"

static const char *const statuses[] = { "pending", "running", "loaded", "closed", "failed" };
static const char *const outcomes[] = { "loaded", "closed", "pending", "failed", "interrupted" };

static void add_ll_or_null(cJSON *o, const char *k, long long v)
{
	if (v < 0)
		cJSON_AddNullToObject(o, k);
	else
		cJSON_AddNumberToObject(o, k, (double)v);
}

static cJSON *current_json(const struct serve_progress *p)
{
	cJSON *o = cJSON_CreateObject(), *d;
	add_ll_or_null(o, "run_id", p->run_id ? p->run_id : -1);
	cJSON_AddNumberToObject(o, "pid", (double)p->pid);
	if (p->started_at[0])
		cJSON_AddStringToObject(o, "started_at", p->started_at);
	else
		cJSON_AddNullToObject(o, "started_at");
	d = cJSON_AddObjectToObject(o, "dates");
	cJSON_AddNumberToObject(d, "processed", (double)p->processed);
	add_ll_or_null(d, "total", p->total);
	cJSON_AddNumberToObject(d, "done", (double)p->done);
	cJSON_AddNumberToObject(d, "closed", (double)p->closed);
	cJSON_AddNumberToObject(d, "failed", (double)p->failed);
	cJSON_AddNumberToObject(d, "interrupted", (double)p->interrupted);
	cJSON_AddNumberToObject(o, "rows", (double)p->rows);
	cJSON_AddNumberToObject(o, "rows_per_s", p->rows_per_s);
	cJSON_AddNumberToObject(o, "elapsed_s", p->secs);
	if (p->total >= 0)
		cJSON_AddNumberToObject(o, "percent", p->pct);
	else
		cJSON_AddNullToObject(o, "percent");
	if (p->eta_s >= 0)
		cJSON_AddNumberToObject(o, "eta_s", p->eta_s);
	else
		cJSON_AddNullToObject(o, "eta_s");
	if (p->recorded) {
		cJSON_AddStringToObject(o, "state", p->state);
		d = cJSON_AddObjectToObject(o, "partitions");
		cJSON_AddNumberToObject(d, "planned", (double)p->parts_planned);
		cJSON_AddNumberToObject(d, "done", (double)p->parts_done);
		cJSON_AddNumberToObject(d, "closed", (double)p->parts_closed);
		cJSON_AddNumberToObject(o, "rows_quarantined", (double)p->quarantined);
		cJSON_AddNumberToObject(o, "batch_size", (double)p->batch_size);
	}
	return o;
}

static int fail(struct serve *sv, sqlite3 *db, int rc, struct serve_reply *r)
{
	struct bf_err err = { 0 };
	bf_sqlite_fail(db, rc, "state file", &err);
	serve_db_drop(sv);
	serve_reply_err(r, &err);
	return -1;
}

/* The last 10 runs, newest first, each with its outcomes (run_dates). */
static int runs_json(struct serve *sv, sqlite3 *db, cJSON *arr, struct serve_reply *r)
{
	sqlite3_stmt *s;
	long long lo = -1;
	int rc = sqlite3_prepare_v2(db, "SELECT run_id, started_at, finished_at, exit_code, pid, args FROM runs"
				    " WHERE stage = 'run' ORDER BY run_id DESC LIMIT 10", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fail(sv, db, rc, r);
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		cJSON *o = cJSON_CreateObject(), *sm;
		long long id = sqlite3_column_int64(s, 0);
		lo = id;
		cJSON_AddNumberToObject(o, "run_id", (double)id);
		for (int k = 1; k <= 2; k++) {
			const char *t = (const char *)sqlite3_column_text(s, k);
			if (t)
				cJSON_AddStringToObject(o, k == 1 ? "started_at" : "finished_at", t);
			else
				cJSON_AddNullToObject(o, k == 1 ? "started_at" : "finished_at");
		}
		if (sqlite3_column_type(s, 3) == SQLITE_NULL)
			cJSON_AddNullToObject(o, "exit_code");
		else
			cJSON_AddNumberToObject(o, "exit_code", sqlite3_column_int(s, 3));
		cJSON_AddBoolToObject(o, "running", sqlite3_column_type(s, 2) == SQLITE_NULL &&
							   serve_pid_alive(sqlite3_column_int64(s, 4)));
		const char *args = (const char *)sqlite3_column_text(s, 5);
		cJSON_AddStringToObject(o, "args", args ? args : "");
		sm = cJSON_AddObjectToObject(o, "summary");
		cJSON_AddNumberToObject(sm, "dates", 0);
		for (size_t k = 0; k < sizeof outcomes / sizeof outcomes[0]; k++)
			cJSON_AddNumberToObject(sm, outcomes[k], 0);
		cJSON_AddNumberToObject(sm, "rows_loaded", 0);
		cJSON_AddItemToArray(arr, o);
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return fail(sv, db, rc, r);
	if (lo < 0)
		return 0;
	rc = sqlite3_prepare_v2(db, "SELECT run_id, outcome, count(*), coalesce(sum(rows), 0) FROM run_dates"
				" WHERE run_id >= ? GROUP BY run_id, outcome", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fail(sv, db, rc, r);
	sqlite3_bind_int64(s, 1, lo);
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		long long id = sqlite3_column_int64(s, 0);
		const char *oc = (const char *)sqlite3_column_text(s, 1);
		cJSON *x;
		cJSON_ArrayForEach(x, arr) {
			if ((long long)cJSON_GetObjectItemCaseSensitive(x, "run_id")->valuedouble != id || !oc)
				continue;
			cJSON *sm = cJSON_GetObjectItemCaseSensitive(x, "summary"), *v;
			double n = (double)sqlite3_column_int64(s, 2);
			if ((v = cJSON_GetObjectItemCaseSensitive(sm, oc)))
				cJSON_SetNumberValue(v, v->valuedouble + n);
			v = cJSON_GetObjectItemCaseSensitive(sm, "dates");
			cJSON_SetNumberValue(v, v->valuedouble + n);
			v = cJSON_GetObjectItemCaseSensitive(sm, "rows_loaded");
			cJSON_SetNumberValue(v, v->valuedouble + (double)sqlite3_column_int64(s, 3));
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : fail(sv, db, rc, r);
}

static int parts_json(struct serve *sv, sqlite3 *db, cJSON *o, struct serve_reply *r)
{
	sqlite3_stmt *s;
	long long total = 0;
	int rc = sqlite3_prepare_v2(db, "SELECT status, count(*) FROM partitions WHERE source = ? GROUP BY status",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return fail(sv, db, rc, r);
	sqlite3_bind_text(s, 1, sv->canon, -1, SQLITE_STATIC);
	for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++)
		cJSON_AddNumberToObject(o, statuses[k], 0);
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		const char *st = (const char *)sqlite3_column_text(s, 0);
		long long n = sqlite3_column_int64(s, 1);
		cJSON *v = st ? cJSON_GetObjectItemCaseSensitive(o, st) : NULL;
		if (v)
			cJSON_SetNumberValue(v, (double)n);
		total += n;
	}
	sqlite3_finalize(s);
	cJSON_AddNumberToObject(o, "total", (double)total);
	return rc == SQLITE_DONE ? 0 : fail(sv, db, rc, r);
}

void serve_api_backfill(struct serve_req *q, struct serve_reply *r)
{
	struct serve *sv = q->sv;
	struct serve_progress p;
	struct bf_err err = { 0 };
	sqlite3 *db = serve_state_db(sv, &err);
	if (!db && err.code != BF_ENOINPUT) {
		serve_reply_err(r, &err);
		return;
	}
	struct serve_cache *c = serve_db_cache(sv);
	long long key[3] = { serve_db_version(db), (long long)serve_child_gen(sv), (long long)time(NULL) };
	if (db && key[0] >= 0 && c->valid && !memcmp(key, c->key, sizeof key)) {
		char *copy = bf_xmalloc(c->len + 1);
		memcpy(copy, c->body, c->len + 1);
		serve_reply_take(r, 200, "application/json", copy, c->len);
		return;
	}
	pid_t mypid;
	int64_t myrun;
	long long mytotal;
	serve_child_get(sv, &mypid, &myrun, &mytotal);
	if (serve_progress_read(db, mypid, myrun, mytotal, &p, &err)) {
		serve_db_drop(sv);
		serve_reply_err(r, &err);
		return;
	}
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "source", sv->canon);
	cJSON_AddBoolToObject(root, "running", p.running);
	cJSON_AddItemToObject(root, "current", p.running ? current_json(&p) : cJSON_CreateNull());
	cJSON *runs = cJSON_AddArrayToObject(root, "runs");
	cJSON *parts = cJSON_AddObjectToObject(root, "partitions");
	if (db && (runs_json(sv, db, runs, r) || parts_json(sv, db, parts, r))) {
		cJSON_Delete(root);
		return;
	}
	if (!db) {
		/* no state file yet: nothing was run */
		for (size_t k = 0; k < sizeof statuses / sizeof statuses[0]; k++)
			cJSON_AddNumberToObject(parts, statuses[k], 0);
		cJSON_AddNumberToObject(parts, "total", 0);
	}
	serve_reply_json(r, 200, root);
	if (db && key[0] >= 0) {
		free(c->body);
		c->body = bf_xmalloc(r->len + 1);
		memcpy(c->body, r->body, r->len + 1);
		c->len = r->len;
		memcpy(c->key, key, sizeof key);
		c->valid = 1;
	}
}
