/* The figures of the run going on now, as bf-run's progress line shows them (dates
 * processed of the total, done, closed, failed, partitions, rows, rows/s, ETA), read from
 * the state file: the newest bf-run row (runs, stage 'run') without an end whose process
 * lives, and what that bf-run recorded of itself (run_progress: its plan and how far it
 * is, written as partitions commit). Before bf-run wrote its first run_progress row (or
 * for a state file without one), the figures come from what it recorded per date
 * (run_dates) and the total from the dry run of the supervisor that started it. */
#include "serve/bf_serve_int.h"

#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "base/bf_buf.h"
#include "state/bf_state.h"

int serve_pid_alive(long long pid)
{
	char path[64], buf[256];
	if (pid <= 0 || (kill((pid_t)pid, 0) && errno != EPERM))
		return 0;
	/* a zombie (ended, not yet reaped by whoever is its parent now) is not alive */
	snprintf(path, sizeof path, "/proc/%lld/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	const char *rp = strrchr(buf, ')');
	return !(rp && rp[1] == ' ' && rp[2] == 'Z');
}

/* Seconds since an RFC 3339 UTC time ("2024-01-02T03:04:05Z"), -1 when unreadable. */
static double secs_since(const char *t)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	if (!t || !strptime(t, "%Y-%m-%dT%H:%M:%SZ", &tm))
		return -1;
	double s = difftime(time(NULL), timegm(&tm));
	return s < 0 ? 0 : s;
}

static int fail(sqlite3 *db, int rc, struct bf_err *err)
{
	return bf_sqlite_fail(db, rc, "runs", err);
}

/* bf-run's own figures (run_progress), as its progress line shows them. A state file
 * without the table (written by an older bf) has none. */
static int read_recorded(sqlite3 *db, struct serve_progress *p, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, "SELECT state, dates_planned, dates_done, dates_failed,"
				    " partitions_planned, partitions_done, partitions_closed, rows_loaded,"
				    " rows_quarantined, rows_per_s, eta_s, batch_size FROM run_progress"
				    " WHERE run_id = ?", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return strstr(sqlite3_errmsg(db), "no such table") ? 0 : fail(db, rc, err);
	sqlite3_bind_int64(s, 1, p->run_id);
	if ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		const char *st = (const char *)sqlite3_column_text(s, 0);
		p->recorded = 1;
		snprintf(p->state, sizeof p->state, "%s", st ? st : "");
		p->total = sqlite3_column_int64(s, 1);
		p->processed = sqlite3_column_int64(s, 2);
		p->failed = sqlite3_column_int64(s, 3);
		p->done = p->processed - p->failed;
		p->parts_planned = sqlite3_column_int64(s, 4);
		p->parts_done = sqlite3_column_int64(s, 5);
		p->parts_closed = sqlite3_column_int64(s, 6);
		p->rows = sqlite3_column_int64(s, 7);
		p->quarantined = sqlite3_column_int64(s, 8);
		p->rows_per_s = round(sqlite3_column_double(s, 9));
		p->eta_s = sqlite3_column_type(s, 10) == SQLITE_NULL ? -1 : round(sqlite3_column_double(s, 10));
		p->batch_size = sqlite3_column_int64(s, 11);
		/* bf-run's percentage: partitions committed of those planned */
		p->pct = p->parts_planned ? round(1000.0 * (double)p->parts_done / (double)p->parts_planned) / 10
					  : 100;
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : fail(db, rc, err);
}

int serve_progress_read(sqlite3 *db, pid_t mypid, int64_t myrun, long long mytotal,
			struct serve_progress *p, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;

	memset(p, 0, sizeof *p);
	p->total = -1;
	p->eta_s = -1;
	if (db) {
		rc = sqlite3_prepare_v2(db, "SELECT run_id, pid, started_at FROM runs WHERE stage = 'run'"
					" AND finished_at IS NULL ORDER BY run_id DESC LIMIT 8", -1, &s, NULL);
		if (rc != SQLITE_OK)
			return fail(db, rc, err);
		while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
			long long pid = sqlite3_column_int64(s, 1);
			if (!serve_pid_alive(pid))
				continue;
			p->running = 1;
			p->run_id = sqlite3_column_int64(s, 0);
			p->pid = pid;
			const char *t = (const char *)sqlite3_column_text(s, 2);
			snprintf(p->started_at, sizeof p->started_at, "%s", t ? t : "");
			break;
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE && rc != SQLITE_ROW)
			return fail(db, rc, err);
	}
	if (!p->running && mypid && !myrun) {
		/* ours, before its runs row is written */
		p->running = 1;
		p->pid = mypid;
	}
	if (!p->running)
		return 0;
	if (mypid && p->pid == mypid)
		p->total = mytotal;
	if (db && p->run_id) {
		rc = sqlite3_prepare_v2(db, "SELECT outcome, count(*), sum(rows) FROM run_dates WHERE run_id = ?"
					" GROUP BY outcome", -1, &s, NULL);
		if (rc != SQLITE_OK)
			return fail(db, rc, err);
		sqlite3_bind_int64(s, 1, p->run_id);
		while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
			const char *o = (const char *)sqlite3_column_text(s, 0);
			long long n = sqlite3_column_int64(s, 1);
			if (!o)
				continue;
			if (!strcmp(o, "interrupted")) {
				p->interrupted += n;
				continue;
			}
			/* bf-run: every outcome but an interruption is processed; all but a
			 * failure count as done; rows are those loaded */
			p->processed += n;
			if (!strcmp(o, "failed"))
				p->failed += n;
			else
				p->done += n;
			if (!strcmp(o, "closed"))
				p->closed += n;
			p->rows += sqlite3_column_int64(s, 2);
		}
		sqlite3_finalize(s);
		if (rc != SQLITE_DONE)
			return fail(db, rc, err);
	}
	p->secs = p->started_at[0] ? secs_since(p->started_at) : 0;
	if (p->secs > 0)
		p->rows_per_s = round((double)p->rows / p->secs);
	if (db && p->run_id && (rc = read_recorded(db, p, err)))
		return rc;
	if (p->recorded)
		return 0;
	if (p->total >= 0) {
		p->pct = p->total ? round(1000.0 * (double)p->processed / (double)p->total) / 10 : 100;
		if (p->processed >= p->total)
			p->eta_s = 0;
		else if (p->processed > 0 && p->secs > 0)
			p->eta_s = round(p->secs / (double)p->processed * (double)(p->total - p->processed));
	}
	return 0;
}
