#include "state/bf_claims.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/bf_time.h"
#include "state/bf_state.h"

void bf_claimant_init(struct bf_claimant *me, int64_t run_id, double lease)
{
	memset(me, 0, sizeof *me);
	me->run_id = run_id;
	me->pid = (long)getpid();
	me->lease = lease;
	if (gethostname(me->host, sizeof me->host - 1))
		snprintf(me->host, sizeof me->host, "localhost");
}

static int pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Whether the claim row of s (pid, host, lease_until) is held by someone else still working. */
static int claim_live(const struct bf_claimant *me, sqlite3_stmt *s, char *holder, size_t len)
{
	pid_t pid = (pid_t)sqlite3_column_int64(s, 0);
	const char *host = (const char *)sqlite3_column_text(s, 1);
	long long until = sqlite3_column_int64(s, 2);
	if (pid == me->pid && host && !strcmp(host, me->host))
		return 0;
	if (until < (long long)time(NULL))
		return 0;
	if (host && !strcmp(host, me->host) && !pid_alive(pid))
		return 0;
	snprintf(holder, len, "pid %ld on %s", (long)pid, host ? host : "?");
	return 1;
}

int bf_claim_held(sqlite3 *db, const struct bf_claimant *me, const char *source, const char *date,
		  int *held, char *holder, size_t len, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	*held = 0;
	rc = sqlite3_prepare_v2(db, "SELECT pid, host, lease_until FROM claims WHERE source = ? AND date = ?",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(db, rc, "claim", err);
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, date, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(s);
	if (rc == SQLITE_ROW)
		*held = claim_live(me, s, holder, len);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		return bf_sqlite_fail(db, rc, "claim", err);
	return 0;
}

int bf_claim_take(sqlite3 *db, const struct bf_claimant *me, const char *source, const char *date,
		  struct bf_err *err)
{
	sqlite3_stmt *s;
	char now[21];
	int rc;
	bf_now_rfc3339(now);
	rc = sqlite3_prepare_v2(db,
				"INSERT OR REPLACE INTO claims (source, date, run_id, pid, host, claimed_at, lease_until)"
				" VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(db, rc, "claim", err);
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, me->run_id);
	sqlite3_bind_int64(s, 4, me->pid);
	sqlite3_bind_text(s, 5, me->host, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 7, (long long)time(NULL) + (long long)me->lease);
	rc = bf_sqlite_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : bf_sqlite_fail(db, rc, "claim", err);
}

void bf_claim_release(sqlite3 *db, const struct bf_claimant *me, const char *source, const char *date)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "DELETE FROM claims WHERE source = ? AND date = ? AND pid = ? AND host = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, me->pid);
	sqlite3_bind_text(s, 4, me->host, -1, SQLITE_STATIC);
	bf_sqlite_step(s);
	sqlite3_finalize(s);
}

void bf_claims_renew(sqlite3 *db, const struct bf_claimant *me)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, "UPDATE claims SET lease_until = ? WHERE pid = ? AND host = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, (long long)time(NULL) + (long long)me->lease);
	sqlite3_bind_int64(s, 2, me->pid);
	sqlite3_bind_text(s, 3, me->host, -1, SQLITE_STATIC);
	bf_sqlite_step(s);
	sqlite3_finalize(s);
}

void bf_claims_held(sqlite3 *db, const struct bf_claimant *me, const char *source,
		    void (*fn)(void *arg, const char *date, const char *holder), void *arg)
{
	sqlite3_stmt *s;
	char holder[300];
	if (!db || sqlite3_prepare_v2(db, "SELECT pid, host, lease_until, date FROM claims WHERE source = ?",
				      -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	while (bf_sqlite_step(s) == SQLITE_ROW) {
		const char *date = (const char *)sqlite3_column_text(s, 3);
		if (date && claim_live(me, s, holder, sizeof holder))
			fn(arg, date, holder);
	}
	sqlite3_finalize(s);
}
