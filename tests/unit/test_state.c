/* Unit tests for bf_state: file mode 0600 under umask 022 and 000, WAL, user_version and
 * migrations, refusal of a newer file (78), busy retries between two connections, and the
 * partition / file / quarantine records. TAP. */
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/bf_exit.h"
#include "state/bf_state.h"

#include "tap.h"

static char dir[] = "/tmp/bf-test-state.XXXXXX";

static char *path_of(const char *name)
{
	static char p[4][256];
	static int k;
	k = (k + 1) % 4;
	snprintf(p[k], sizeof p[k], "%s/%s", dir, name);
	return p[k];
}

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

static const char *qs(sqlite3 *db, const char *sql)
{
	static char out[512];
	sqlite3_stmt *s;
	out[0] = '\0';
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW && sqlite3_column_text(s, 0))
			snprintf(out, sizeof out, "%s", (const char *)sqlite3_column_text(s, 0));
		sqlite3_finalize(s);
	}
	return out;
}

struct holder { sqlite3 *db; int ms; };

static void *release_later(void *p)
{
	struct holder *h = p;
	struct timespec ts = { h->ms / 1000, (long)(h->ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
	sqlite3_exec(h->db, "COMMIT", NULL, NULL, NULL);
	return NULL;
}

int main(void)
{
	struct bf_err err = { 0 };
	struct bf_state *st = NULL;
	struct stat sb;

	if (!mkdtemp(dir)) {
		printf("1..0 # SKIP cannot create a temporary directory\n");
		return 0;
	}

	/* created 0600 whatever the umask */
	mode_t old = umask(022);
	ok(bf_state_open(path_of("a.db"), &st, &err) == 0, "a new state file opens");
	ok(stat(path_of("a.db"), &sb) == 0 && (sb.st_mode & 0777) == 0600,
	   "created 0600 under umask 022 (%o)", (unsigned)(sb.st_mode & 0777));
	bf_state_close(st);
	umask(000);
	ok(bf_state_open(path_of("b.db"), &st, &err) == 0 && stat(path_of("b.db"), &sb) == 0 &&
	   (sb.st_mode & 0777) == 0600, "created 0600 under umask 000 (%o)", (unsigned)(sb.st_mode & 0777));
	ok(stat(path_of("b.db-wal"), &sb) != 0 || (sb.st_mode & 0077) == 0,
	   "its WAL file is not readable by others either");
	umask(old);

	/* settings and schema */
	ok(!strcmp(qs(st->db, "PRAGMA journal_mode"), "wal"), "journal mode is WAL");
	ok(q1(st->db, "PRAGMA foreign_keys") == 1, "foreign keys are on");
	ok(q1(st->db, "PRAGMA user_version") == bf_migrations_count && bf_migrations_count >= 1,
	   "user_version is the number of migrations (%d)", bf_migrations_count);
	ok(q1(st->db, "SELECT count(*) FROM sqlite_master WHERE name IN "
		      "('runs','partitions','files','quarantine','errors','closures','metrics')") == 7,
	   "the tables of docs/DESIGN.md 3 exist");
	bf_state_close(st);
	st = NULL;
	ok(bf_state_open(path_of("b.db"), &st, &err) == 0 &&
	   q1(st->db, "PRAGMA user_version") == bf_migrations_count, "reopening keeps the version");
	bf_state_close(st);
	bf_state_close(NULL);

	/* a file from a newer bf */
	{
		sqlite3 *db;
		sqlite3_open(path_of("b.db"), &db);
		char sql[64];
		snprintf(sql, sizeof sql, "PRAGMA user_version=%d", bf_migrations_count + 1);
		sqlite3_exec(db, sql, NULL, NULL, NULL);
		sqlite3_close(db);
		memset(&err, 0, sizeof err);
		int rc = bf_state_open(path_of("b.db"), &st, &err);
		ok(rc == BF_ECONFIG && !st && strstr(err.msg, "newer"), "a newer state file is refused with 78 (%s)", err.msg);
	}
	/* an older one is migrated */
	{
		sqlite3 *db;
		sqlite3_open(path_of("c.db"), &db);
		sqlite3_exec(db, "CREATE TABLE keep_me(x); INSERT INTO keep_me VALUES (7)", NULL, NULL, NULL);
		sqlite3_close(db);
		ok(bf_state_open(path_of("c.db"), &st, &err) == 0 &&
		   q1(st->db, "PRAGMA user_version") == bf_migrations_count &&
		   q1(st->db, "SELECT x FROM keep_me") == 7, "a version-0 file is migrated in place");
		bf_state_close(st);
	}
	/* not a database */
	{
		FILE *f = fopen(path_of("junk.db"), "w");
		fputs("this is not an SQLite database, not at all, no.........................................", f);
		fclose(f);
		int rc = bf_state_open(path_of("junk.db"), &st, &err);
		ok(rc != 0 && !st, "a file that is not a database is refused (%d: %s)", rc, err.msg);
	}
	/* a directory that does not exist */
	{
		int rc = bf_state_open("/nonexistent-dir-bf/x.db", &st, &err);
		ok(rc != 0 && !st, "a state file in a missing folder fails (%d)", rc);
	}

	/* state path */
	unsetenv("BF_STATE");
	is_str(bf_state_path(NULL), "bf-state.db", "the default path");
	setenv("BF_STATE", "/x/env.db", 1);
	is_str(bf_state_path(NULL), "/x/env.db", "BF_STATE overrides the default");
	is_str(bf_state_path("/y/opt.db"), "/y/opt.db", "--state overrides BF_STATE");
	is_str(bf_state_path(""), "/x/env.db", "an empty --state is ignored");
	unsetenv("BF_STATE");

	/* records */
	ok(bf_state_open(path_of("a.db"), &st, &err) == 0, "reopen");
	ok(bf_state_run_begin(st, "extract", "--all", &err) == 0 && st->run_id > 0, "run row begins");
	char status[16];
	ok(bf_state_partition_status(st, "src", "L", "2024-04-04", status, &err) == 0 && status[0] == '\0',
	   "an unknown partition has no status");
	struct bf_partition_update u = { "src", "L", "2024-04-04", "running", "present", 2, 10, 1, -1, NULL, 1, -1 };
	ok(bf_state_partition_update(st, &u, &err) == 0, "partition update");
	u.status = "loaded"; u.start = 0; u.folder = NULL; u.files = -1; u.loaded_rows = 9;
	ok(bf_state_partition_update(st, &u, &err) == 0 &&
	   bf_state_partition_status(st, "src", "L", "2024-04-04", status, &err) == 0 && !strcmp(status, "loaded"),
	   "status is updated");
	ok(q1(st->db, "SELECT files FROM partitions") == 2 && !strcmp(qs(st->db, "SELECT folder FROM partitions"), "present") &&
	   q1(st->db, "SELECT loaded_rows FROM partitions") == 9 && q1(st->db, "SELECT attempts FROM partitions") == 1,
	   "NULL and -1 keep the old values; attempts counted once");
	u.status = "bogus";
	ok(bf_state_partition_update(st, &u, &err) != 0, "an unknown status is refused by the schema");
	struct bf_file_seen fs = { "src", "L", "2024-04-04", "L/20240404/A.csv", "a", 100, 1712200000,
				   "abc", "fp", 5, 1 };
	ok(bf_state_file_seen(st, &fs, &err) == 0 && bf_state_file_seen(st, &fs, &err) == 0 &&
	   q1(st->db, "SELECT count(*) FROM files") == 1, "a file seen twice is one row");
	static const char raw[] = "1,caf\xe9\0x";
	ok(bf_state_quarantine(st, "extract", "src", "L", "2024-04-04", "L/20240404/A.csv", 17, "invalid UTF-8",
			       raw, sizeof raw - 1, &err) == 0, "quarantine a row");
	ok(q1(st->db, "SELECT length(raw) FROM quarantine") == (long long)(sizeof raw - 1) &&
	   q1(st->db, "SELECT line FROM quarantine") == 17 &&
	   !strcmp(qs(st->db, "SELECT hex(raw) FROM quarantine"), "312C636166E90078"),
	   "the raw bytes are kept exactly, NUL and invalid UTF-8 included");
	ok(bf_state_quarantine_clear(st, "load", "src", "L", "2024-04-04", &err) == 0 &&
	   q1(st->db, "SELECT count(*) FROM quarantine") == 1, "clearing another stage's rows keeps them");
	ok(bf_state_quarantine_clear(st, "extract", "src", "L", "2024-04-04", &err) == 0 &&
	   q1(st->db, "SELECT count(*) FROM quarantine") == 0, "clearing the stage's rows removes them");
	bf_state_error(st, "src", "L", "2024-04-04", 65, "boom");
	bf_state_metric(st, "src", "L", "2024-04-04", "rows", 10);
	ok(q1(st->db, "SELECT count(*) FROM errors WHERE exit_code = 65") == 1 &&
	   q1(st->db, "SELECT value FROM metrics WHERE name = 'rows'") == 10, "errors and metrics");
	ok(bf_state_run_end(st, 0) == 0 && q1(st->db, "SELECT exit_code FROM runs") == 0,
	   "run row ends with its exit code");

	/* read-only: never created, never written; odd characters in the path */
	{
		sqlite3 *ro = NULL;
		struct stat sb2;
		memset(&err, 0, sizeof err);
		ok(bf_sqlite_open_readonly(path_of("none.db"), &ro, &err) == BF_EIO && !ro &&
		   stat(path_of("none.db"), &sb2) != 0, "read-only: a missing file is an error and is not created (%s)",
		   err.msg);
		ok(bf_sqlite_open_readonly(path_of("a.db"), &ro, &err) == 0 && ro &&
		   q1(ro, "SELECT count(*) FROM partitions") == 1, "read-only: an existing file reads");
		ok(sqlite3_exec(ro, "DELETE FROM partitions", NULL, NULL, NULL) != SQLITE_OK &&
		   q1(st->db, "SELECT count(*) FROM partitions") == 1, "read-only: a write is refused");
		sqlite3_close(ro);
		sqlite3 *odd;
		sqlite3_open(path_of("odd?x=1#%41.db"), &odd);
		sqlite3_exec(odd, "CREATE TABLE t(x); INSERT INTO t VALUES (42)", NULL, NULL, NULL);
		sqlite3_close(odd);
		ro = NULL;
		ok(bf_sqlite_open_readonly(path_of("odd?x=1#%41.db"), &ro, &err) == 0 && q1(ro, "SELECT x FROM t") == 42,
		   "read-only: ?, # and %% in the path are the file's name");
		sqlite3_close(ro);
		unlink(path_of("odd?x=1#%41.db"));
	}

	/* busy: another connection holds the write lock for a while, then lets go */
	{
		sqlite3 *other;
		struct bf_err e2 = { 0 };
		ok(bf_sqlite_open(path_of("a.db"), 0, &other, &e2) == 0, "a second connection");
		ok(sqlite3_exec(other, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK, "it takes the write lock");
		sqlite3_busy_timeout(st->db, 50);  /* make the retry loop, not the busy handler, do the waiting */
		struct holder h = { other, 400 };
		pthread_t th;
		pthread_create(&th, NULL, release_later, &h);
		u.status = "closed";
		struct timespec t0, t1;
		clock_gettime(CLOCK_MONOTONIC, &t0);
		int rc = bf_state_partition_update(st, &u, &e2);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		pthread_join(th, NULL);
		double waited = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
		ok(rc == 0 && bf_state_partition_status(st, "src", "L", "2024-04-04", status, &e2) == 0 &&
		   !strcmp(status, "closed"), "the write is retried until the lock is free (%d %s)", rc, e2.msg);
		ok(waited >= 0.3, "and it did wait for it (%.2f s)", waited);
		ok(bf_sqlite_exec(other, "BEGIN IMMEDIATE; INSERT INTO keep(x) VALUES (1)", "x", &e2) != 0,
		   "bf_sqlite_exec reports an SQL error");
		sqlite3_exec(other, "ROLLBACK", NULL, NULL, NULL);
		ok(bf_sqlite_exec(other, "SELECT 1", "x", &e2) == 0, "bf_sqlite_exec runs SQL");
		sqlite3_close(other);
	}
	/* readers do not block the writer in WAL mode */
	{
		sqlite3 *reader;
		sqlite3_open(path_of("a.db"), &reader);
		sqlite3_exec(reader, "BEGIN; SELECT count(*) FROM partitions", NULL, NULL, NULL);
		u.status = "loaded";
		ok(bf_state_partition_update(st, &u, &err) == 0, "a write while another connection reads (WAL)");
		sqlite3_exec(reader, "COMMIT", NULL, NULL, NULL);
		sqlite3_close(reader);
	}
	/* the error mapping */
	ok(bf_sqlite_fail(NULL, SQLITE_BUSY, "w", &err) == BF_ETEMP, "busy is 75");
	ok(bf_sqlite_fail(NULL, SQLITE_LOCKED, "w", &err) == BF_ETEMP, "locked is 75");
	ok(bf_sqlite_fail(NULL, SQLITE_FULL, "w", &err) == BF_EIO, "disk full is 74");
	ok(bf_sqlite_fail(NULL, SQLITE_READONLY, "w", &err) == BF_ENOPERM, "read-only is 77");
	ok(bf_sqlite_fail(NULL, SQLITE_NOTADB, "w", &err) == BF_EDATA, "not a database is 65");
	bf_state_close(st);

	/* clean up */
	const char *names[] = { "a.db", "b.db", "c.db", "junk.db" };
	for (int i = 0; i < 4; i++) {
		char p[300];
		unlink(path_of(names[i]));
		snprintf(p, sizeof p, "%s-wal", path_of(names[i]));
		unlink(p);
		snprintf(p, sizeof p, "%s-shm", path_of(names[i]));
		unlink(p);
	}
	rmdir(dir);
	return done_testing();
}
