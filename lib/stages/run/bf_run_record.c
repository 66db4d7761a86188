/* What bf-run writes in the state file: the round's transaction, the outcome of each date
 * (run_dates), the status of partitions a pipeline left undone, and run_progress (what
 * the progress line shows, for readers of the state file). */
#include "stages/run/bf_run_int.h"

#include <string.h>

#include "base/bf_time.h"

/* bf-run's writes between two waits go in one transaction (outcomes of the pipelines
 * that ended, claims of the next batches, lease renewal): one commit per round instead
 * of several per date. It is committed before any stage starts, so the stages never wait
 * on our write lock for long. */
int run_txn_begin(struct ctx *c, struct bf_err *err)
{
	if (c->in_txn)
		return 0;
	int rc = bf_sqlite_exec(c->db, "BEGIN IMMEDIATE", "state file", err);
	c->in_txn = !rc;
	return rc;
}

int run_txn_commit(struct ctx *c, struct bf_err *err)
{
	if (!c->in_txn)
		return 0;
	c->in_txn = 0;
	int rc = bf_sqlite_exec(c->db, "COMMIT", "state file", err);
	if (rc)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

void run_record_date(struct ctx *c, struct item *t, const char *outcome)
{
	sqlite3_stmt *s;
	char now[21];
	bf_now_rfc3339(now);
	if (sqlite3_prepare_v2(c->db,
			       "INSERT OR REPLACE INTO run_dates (run_id, source, date, outcome, exit_code, stage,"
			       " error, tries, rows, duration_ms, at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK) {
		bf_warn("state file", "cannot record the outcome of %s: %s", t->iso, sqlite3_errmsg(c->db));
		return;
	}
	sqlite3_bind_int64(s, 1, c->st->run_id);
	sqlite3_bind_text(s, 2, c->canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, t->iso, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, outcome, -1, SQLITE_STATIC);
	if (t->code)
		sqlite3_bind_int(s, 5, t->code);
	if (t->stage[0])
		sqlite3_bind_text(s, 6, t->stage, -1, SQLITE_STATIC);
	if (t->error)
		sqlite3_bind_text(s, 7, t->error, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 8, t->tries);
	sqlite3_bind_int64(s, 9, t->rows);
	sqlite3_bind_int64(s, 10, t->ms);
	sqlite3_bind_text(s, 11, now, -1, SQLITE_STATIC);
	if (bf_sqlite_step(s) != SQLITE_DONE)
		bf_warn("state file", "cannot record the outcome of %s: %s", t->iso, sqlite3_errmsg(c->db));
	sqlite3_finalize(s);
}

/* Sets every location of the date that is not done to status (failed, pending). */
void run_mark_partitions(struct ctx *c, struct item *t, const char *status, const char *error)
{
	for (size_t i = 0; i < c->nloc; i++) {
		char cur[16];
		struct bf_err err = { 0 };
		if (!run_owns(t, i))
			continue;  /* another shard's */
		if (bf_state_partition_status(c->st, c->canon, c->locs[i], t->iso, cur, &err)) {
			bf_err_print(&err);
			continue;
		}
		/* a date done before stays done, unless --force redid it and this attempt failed */
		if ((!strcmp(cur, "loaded") || !strcmp(cur, "closed") || !strcmp(cur, "pending")) &&
		    !(c->o->force && !strcmp(status, "failed")))
			continue;
		if (!strcmp(cur, "failed") && !strcmp(status, "failed"))
			continue;  /* keep the stage's own, more precise, error */
		struct bf_partition_update u = { c->canon, c->locs[i], t->iso, status, NULL, -1, -1, -1, -1,
						 error, 0, -1 };
		if (bf_state_partition_update(c->st, &u, &err))
			bf_err_print(&err);
	}
}

void run_record_progress(struct ctx *c, const char *state, int force)
{
	int64_t now = bf_mono_ms();
	if (!state)
		state = c->stopping ? "stopping" : c->brk.state != BRK_CLOSED ? "paused" : "running";
	if (!c->st || (!force && now - c->last_progress_write < 1000))
		return;
	c->last_progress_write = now;
	double share;
	long long done, rows, closed;
	double eta = run_eta(c, &share, &done, &rows, &closed);
	double secs = (double)(now - c->t0) / 1000.0;
	struct live lv;
	run_live_totals(c, &lv);
	char at[21];
	bf_now_rfc3339(at);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(c->db,
			       "INSERT OR REPLACE INTO run_progress (run_id, source, target, state, dates_selected,"
			       " dates_planned, partitions_planned, dates_done, dates_failed, partitions_done,"
			       " partitions_closed, rows_loaded, rows_quarantined, rows_per_s, eta_s, batch_size,"
			       " updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", -1, &s, NULL) != SQLITE_OK) {
		bf_warn("state file", "cannot record the progress: %s", sqlite3_errmsg(c->db));
		return;
	}
	sqlite3_bind_int64(s, 1, c->st->run_id);
	sqlite3_bind_text(s, 2, c->canon, -1, SQLITE_STATIC);
	if (c->target_key)
		sqlite3_bind_text(s, 3, c->target_key, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, state, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 5, (long long)c->n);
	sqlite3_bind_int64(s, 6, (long long)c->todo);
	sqlite3_bind_int64(s, 7, c->parts_todo);
	sqlite3_bind_int64(s, 8, (long long)(c->processed + c->elsewhere));
	sqlite3_bind_int64(s, 9, (long long)c->failed);
	sqlite3_bind_int64(s, 10, done);
	sqlite3_bind_int64(s, 11, closed);
	sqlite3_bind_int64(s, 12, rows);
	sqlite3_bind_int64(s, 13, c->quarantined + lv.quarantined);
	sqlite3_bind_double(s, 14, secs > 0 ? (double)rows / secs : 0);
	if (eta >= 0)
		sqlite3_bind_double(s, 15, eta);
	sqlite3_bind_int64(s, 16, (long long)c->batch_now);
	sqlite3_bind_text(s, 17, at, -1, SQLITE_STATIC);
	if (bf_sqlite_step(s) != SQLITE_DONE)
		bf_warn("state file", "cannot record the progress: %s", sqlite3_errmsg(c->db));
	sqlite3_finalize(s);
}
