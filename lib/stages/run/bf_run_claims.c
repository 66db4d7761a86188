/* Claims on dates in the state file, so that two runs never work on the same date: a claim
 * holds while its lease runs and its process lives; bf-run renews its leases while it works. */
#include "stages/run/bf_run_int.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/bf_time.h"

static int pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Whether a claim row is held by someone else still working. */
static int claim_live(struct ctx *c, sqlite3_stmt *s, char *holder, size_t len)
{
	pid_t pid = (pid_t)sqlite3_column_int64(s, 0);
	const char *host = (const char *)sqlite3_column_text(s, 1);
	long long until = sqlite3_column_int64(s, 2);
	if (pid == getpid() && host && !strcmp(host, c->host))
		return 0;
	if (until < (long long)time(NULL))
		return 0;
	if (host && !strcmp(host, c->host) && !pid_alive(pid))
		return 0;
	snprintf(holder, len, "pid %ld on %s", (long)pid, host ? host : "?");
	return 1;
}

/* Marks claims held by other live runs (dry run and plan). */
void run_look_at_claims(struct ctx *c)
{
	sqlite3_stmt *s;
	if (!c->db || sqlite3_prepare_v2(c->db, "SELECT pid, host, lease_until, date FROM claims WHERE source = ?",
					 -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
	while (bf_sqlite_step(s) == SQLITE_ROW) {
		struct item *t = run_find_item(c, (const char *)sqlite3_column_text(s, 3));
		if (t)
			t->busy = claim_live(c, s, t->holder, sizeof t->holder);
	}
	sqlite3_finalize(s);
}

/* Takes the date for this run (or says who has it, or that it got done meanwhile), in
 * the round's transaction. */
int run_claim(struct ctx *c, struct item *t, int *res, struct bf_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;
	*res = CLAIM_OK;
	if ((rc = run_txn_begin(c, err)))
		return rc;
	rc = sqlite3_prepare_v2(c->db, "SELECT pid, host, lease_until FROM claims WHERE source = ? AND date = ?",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, t->iso, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(s);
	if (rc == SQLITE_ROW && claim_live(c, s, t->holder, sizeof t->holder))
		*res = CLAIM_BUSY;
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(s);
	s = NULL;
	if (*res == CLAIM_OK && !c->o->force && t->tries == 0) {
		if ((rc = run_load_status(c, t->iso, t->iso, err)))
			goto fail;
		if (t->plan == P_DONE)
			*res = CLAIM_DONE;
	}
	if (*res == CLAIM_OK) {
		char now[21];
		bf_now_rfc3339(now);
		rc = sqlite3_prepare_v2(c->db,
					"INSERT OR REPLACE INTO claims (source, date, run_id, pid, host, claimed_at, lease_until)"
					" VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &s, NULL);
		if (rc != SQLITE_OK)
			goto sqlfail;
		sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, t->iso, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, c->st->run_id);
		sqlite3_bind_int64(s, 4, (long long)getpid());
		sqlite3_bind_text(s, 5, c->host, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, now, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, (long long)time(NULL) + (long long)c->o->lease);
		rc = bf_sqlite_step(s);
		if (rc != SQLITE_DONE)
			goto sqlfail;
		sqlite3_finalize(s);
		s = NULL;
	}
	return 0;
sqlfail:
	rc = bf_sqlite_fail(c->db, rc, "claim", err);
fail:
	sqlite3_finalize(s);
	return rc;
}

void run_release(struct ctx *c, struct item *t)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(c->db, "DELETE FROM claims WHERE source = ? AND date = ? AND pid = ? AND host = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, t->iso, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (long long)getpid());
	sqlite3_bind_text(s, 4, c->host, -1, SQLITE_STATIC);
	bf_sqlite_step(s);
	sqlite3_finalize(s);
}

void run_renew(struct ctx *c)
{
	sqlite3_stmt *s;
	int64_t now = bf_mono_ms();
	if (now - c->last_renew < (int64_t)(c->o->lease * 1000 / 4))
		return;
	c->last_renew = now;
	if (sqlite3_prepare_v2(c->db, "UPDATE claims SET lease_until = ? WHERE pid = ? AND host = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, (long long)time(NULL) + (long long)c->o->lease);
	sqlite3_bind_int64(s, 2, (long long)getpid());
	sqlite3_bind_text(s, 3, c->host, -1, SQLITE_STATIC);
	bf_sqlite_step(s);
	sqlite3_finalize(s);
}
