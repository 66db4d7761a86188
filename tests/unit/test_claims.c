/* Unit tests for bf_claims: a claim is ours, another live process's, or stale (its process
 * gone on this host, its lease run out elsewhere); only the holder gives it back; renewal
 * extends every lease of ours; the listing names live holders only. TAP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "state/bf_claims.h"
#include "state/bf_state.h"

#include "tap.h"

static char dir[] = "/tmp/bf-test-claims.XXXXXX";

static long long q1(sqlite3 *db, const char *sql)
{
	sqlite3_stmt *s;
	long long v = -999;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	return v;
}

/* A pid that belonged to a process of ours that has exited. */
static long dead_pid(void)
{
	pid_t p = fork();
	if (p == 0)
		_exit(0);
	waitpid(p, NULL, 0);
	return (long)p;
}

struct seen {
	char dates[8][11];
	char holders[8][300];
	int n;
};

static void collect(void *arg, const char *date, const char *holder)
{
	struct seen *s = arg;
	if (s->n < 8) {
		snprintf(s->dates[s->n], sizeof s->dates[0], "%s", date);
		snprintf(s->holders[s->n], sizeof s->holders[0], "%s", holder);
		s->n++;
	}
}

int main(void)
{
	struct bf_err err = { 0 };
	struct bf_state *st = NULL;
	struct bf_claimant me, peer, ghost, far, far_old;
	char holder[64], path[256], want[300];
	int held = -1;

	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP cannot create a temporary directory\n");
		return 0;
	}
	snprintf(path, sizeof path, "%s/s.db", dir);
	if (bf_state_open(path, &st, &err)) {
		printf("1..0 # SKIP cannot open a state file: %s\n", err.msg);
		return 0;
	}
	sqlite3 *db = st->db;

	bf_claimant_init(&me, 7, 60);
	ok(me.pid == (long)getpid() && me.host[0] && me.run_id == 7 && me.lease == 60,
	   "a claimant is this process on this host (%s)", me.host);
	peer = me;                 /* another live process on this host */
	peer.pid = (long)getppid();
	peer.run_id = 8;
	ghost = me;                /* a process of this host that is gone */
	ghost.pid = dead_pid();
	far = me;                  /* another host: its processes cannot be seen */
	snprintf(far.host, sizeof far.host, "elsewhere.example");
	far.pid = me.pid;
	far_old = far;
	far_old.lease = -10;       /* its lease ran out ten seconds ago */

	ok(bf_claim_held(db, &me, "src", "2024-01-01", &held, holder, sizeof holder, &err) == 0 && !held,
	   "a date nobody took is free");
	ok(bf_claim_take(db, &me, "src", "2024-01-01", &err) == 0, "taking it");
	ok(q1(db, "SELECT count(*) FROM claims WHERE source = 'src' AND date = '2024-01-01' AND run_id = 7") == 1 &&
	   q1(db, "SELECT pid FROM claims") == me.pid &&
	   q1(db, "SELECT lease_until - strftime('%s', 'now') FROM claims") >= 58,
	   "the claims table holds it with our run, pid and a lease of 60 s");
	ok(bf_claim_held(db, &me, "src", "2024-01-01", &held, holder, sizeof holder, &err) == 0 && !held,
	   "our own claim does not hold us back");
	snprintf(want, sizeof want, "pid %ld on %s", me.pid, me.host);
	holder[0] = '\0';
	ok(bf_claim_held(db, &peer, "src", "2024-01-01", &held, holder, sizeof holder, &err) == 0 && held &&
	   !strcmp(holder, want), "another live process sees it held (%s)", holder);
	ok(bf_claim_held(db, &peer, "src", "2024-01-02", &held, holder, sizeof holder, &err) == 0 && !held,
	   "a claim is on one date only");
	ok(bf_claim_held(db, &peer, "other", "2024-01-01", &held, holder, sizeof holder, &err) == 0 && !held,
	   "and of one source only");

	bf_claim_release(db, &peer, "src", "2024-01-01");
	ok(q1(db, "SELECT count(*) FROM claims") == 1, "another process cannot give our claim back");
	bf_claim_release(db, &me, "src", "2024-01-01");
	ok(q1(db, "SELECT count(*) FROM claims") == 0, "we can");

	/* stale claims */
	ok(bf_claim_take(db, &ghost, "src", "2024-01-03", &err) == 0 &&
	   bf_claim_held(db, &me, "src", "2024-01-03", &held, holder, sizeof holder, &err) == 0 && !held,
	   "the claim of a process of this host that is gone is stale");
	ok(bf_claim_take(db, &me, "src", "2024-01-03", &err) == 0 &&
	   q1(db, "SELECT count(*) FROM claims WHERE date = '2024-01-03'") == 1 &&
	   q1(db, "SELECT pid FROM claims WHERE date = '2024-01-03'") == me.pid, "and is taken over");
	ok(bf_claim_take(db, &far, "src", "2024-01-04", &err) == 0 &&
	   bf_claim_held(db, &me, "src", "2024-01-04", &held, holder, sizeof holder, &err) == 0 && held &&
	   strstr(holder, "elsewhere.example"), "another host's claim holds while its lease runs (%s)", holder);
	ok(bf_claim_take(db, &far_old, "src", "2024-01-05", &err) == 0 &&
	   bf_claim_held(db, &me, "src", "2024-01-05", &held, holder, sizeof holder, &err) == 0 && !held,
	   "and is stale once the lease ran out");

	/* the listing */
	struct seen seen = { .n = 0 };
	bf_claims_held(db, &me, "src", collect, &seen);
	ok(seen.n == 1 && !strcmp(seen.dates[0], "2024-01-04") && strstr(seen.holders[0], "elsewhere.example"),
	   "the listing names the live holders of others only (%d)", seen.n);
	seen.n = 0;
	bf_claims_held(db, &far, "src", collect, &seen);
	ok(seen.n == 1 && !strcmp(seen.dates[0], "2024-01-03"),
	   "seen from the other host, our claim is the live one (%d)", seen.n);
	seen.n = 0;
	bf_claims_held(NULL, &me, "src", collect, &seen);
	ok(seen.n == 0, "no connection: nothing listed");

	/* renewal: every claim of ours, nobody else's */
	sqlite3_exec(db, "UPDATE claims SET lease_until = 0", NULL, NULL, NULL);
	bf_claims_renew(db, &me);
	ok(q1(db, "SELECT lease_until - strftime('%s', 'now') FROM claims WHERE date = '2024-01-03'") >= 58 &&
	   q1(db, "SELECT lease_until FROM claims WHERE date = '2024-01-04'") == 0,
	   "renewing extends our leases and leaves the others'");

	/* a state file without the table */
	{
		sqlite3 *bare;
		char p2[300];
		snprintf(p2, sizeof p2, "%s/bare.db", dir);
		sqlite3_open(p2, &bare);
		memset(&err, 0, sizeof err);
		int rc = bf_claim_held(bare, &me, "src", "2024-01-01", &held, holder, sizeof holder, &err);
		ok(rc != 0 && err.msg[0], "no claims table: an error, not a free date (%d: %s)", rc, err.msg);
		memset(&err, 0, sizeof err);
		rc = bf_claim_take(bare, &me, "src", "2024-01-01", &err);
		ok(rc != 0 && err.msg[0], "and taking fails (%d)", rc);
		sqlite3_close(bare);
		unlink(p2);
	}

	bf_state_close(st);
	char p[300];
	snprintf(p, sizeof p, "%s/s.db-wal", dir);
	unlink(p);
	snprintf(p, sizeof p, "%s/s.db-shm", dir);
	unlink(p);
	unlink(path);
	rmdir(dir);
	return done_testing();
}
