/* Unit tests for "done in that target": bf_target_key (one key per place, whatever the
 * spelling; no user or password), bf_state_loaded and bf_state_done_in, the migration of
 * a version-1 state file (its loads count for every target), runs.duration_ms. TAP. */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "state/bf_state.h"
#include "targets/bf_target.h"

#include "tap.h"

static char dir[] = "/tmp/bf-test-loads.XXXXXX";

static void key_is(const char *spec, const char *schema, const char *want)
{
	char *k = bf_target_key(spec, schema);
	is_str(k, want, "key of %s%s%s", spec, schema ? " schema " : "", schema ? schema : "");
	free(k);
}

static int done_in(struct bf_state *st, const char *loc, const char *date, const char *target)
{
	int done = -1;
	struct bf_err err = { 0 };
	if (bf_state_done_in(st, "src", loc, date, target, &done, &err))
		diag("done_in: %s", err.msg);
	return done;
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

static void keys(void)
{
	char cwd[PATH_MAX], want[PATH_MAX + 64];
	if (!getcwd(cwd, sizeof cwd))
		return;
	snprintf(want, sizeof want, "sqlite:%s/w.db", cwd);
	key_is("w.db", NULL, want);
	key_is("./w.db", NULL, want);
	key_is("sqlite:w.db", NULL, want);
	snprintf(want, sizeof want, "dir:%s/export", cwd);
	key_is("dir:export", NULL, want);
	key_is("/nonexistent-dir-bf/w.db", NULL, "sqlite:/nonexistent-dir-bf/w.db");
	key_is("postgresql://etl@db.example:5432/wh", NULL, "postgresql://db.example:5432/wh#public");
	key_is("postgres://other@db.example:5432/wh?sslmode=require", NULL, "postgresql://db.example:5432/wh#public");
	key_is("postgresql://etl@db.example:5432/wh", "pos", "postgresql://db.example:5432/wh#pos");
	key_is("postgresql://etl:secret@db/wh?host=/run/pg&password=x&port=5433", NULL,
	       "postgresql://db/wh?host=/run/pg&port=5433#public");
	char *args[] = { "--type", "a.b=integer", "--pg-schema", "one", "--pg-schema=two" };
	is_str(bf_target_schema_in_args(args, 5), "two", "the last --pg-schema among stage arguments");
	ok(bf_target_schema_in_args(args, 2) == NULL, "none: NULL");
}

int main(void)
{
	struct bf_state *st = NULL;
	struct bf_err err = { 0 };
	char path[256];

	keys();
	if (!mkdtemp(dir))
		return 1;
	snprintf(path, sizeof path, "%s/state.db", dir);

	/* a version-1 file with loaded, closed, failed and pending partitions */
	sqlite3 *db;
	sqlite3_open(path, &db);
	char *sql = NULL;
	for (int i = 0; i < bf_migrations_count; i++)
		if (bf_migrations[i].version == 1)
			sql = (char *)bf_migrations[i].sql;
	ok(sql && sqlite3_exec(db, sql, NULL, NULL, NULL) == SQLITE_OK, "a version-1 schema");
	ok(sqlite3_exec(db,
			"INSERT INTO partitions (source, location, date, status, loaded_rows, updated_at) VALUES"
			" ('src', 'a', '2024-01-01', 'loaded', 5, 'x'), ('src', 'b', '2024-01-01', 'closed', 1, 'x'),"
			" ('src', 'a', '2024-01-02', 'failed', NULL, 'x'), ('src', 'b', '2024-01-02', 'pending', NULL, 'x');"
			" PRAGMA user_version = 1", NULL, NULL, NULL) == SQLITE_OK, "its partitions");
	sqlite3_close(db);

	ok(bf_state_open(path, &st, &err) == 0, "migrated on open: %s", err.msg);
	is_int(q1(st->db, "PRAGMA user_version"), bf_migrations_count, "to the latest version");
	is_int(q1(st->db, "SELECT count(*) FROM loads WHERE target = ''"), 2, "loaded and closed kept, target ''");
	is_int(q1(st->db, "SELECT rows FROM loads WHERE location = 'a'"), 5, "with their rows");
	is_int(done_in(st, "a", "2024-01-01", "sqlite:/x.db"), 1, "a load of version 1 is done for any target");
	is_int(done_in(st, "b", "2024-01-01", "dir:/y"), 1, "... a closure too");
	is_int(done_in(st, "a", "2024-01-02", "sqlite:/x.db"), 0, "a failed partition is not done");
	is_int(done_in(st, "a", "2024-01-01", NULL), 1, "no target: done anywhere");

	ok(bf_state_run_begin(st, "load", "--target w.db", &err) == 0, "a load run");
	struct bf_partition_update u = { "src", "c", "2024-01-03", "loaded", NULL, -1, -1, -1, 7, NULL, 0, -1 };
	ok(bf_state_partition_update(st, &u, &err) == 0 &&
	   bf_state_loaded(st, "src", "c", "2024-01-03", "sqlite:/x.db", "loaded", 7, 2, &err) == 0,
	   "committed in one target");
	is_int(done_in(st, "c", "2024-01-03", "sqlite:/x.db"), 1, "done there");
	is_int(done_in(st, "c", "2024-01-03", "sqlite:/other.db"), 0, "not in another");
	is_int(q1(st->db, "SELECT marker_rows FROM partitions WHERE location = 'c'"), 2, "marker rows on the partition");
	is_int(q1(st->db, "SELECT run_id FROM loads WHERE location = 'c'"), st->run_id, "by this run");
	u.status = "running";
	u.start = 1;
	ok(bf_state_partition_update(st, &u, &err) == 0, "a new attempt for another target begins");
	is_int(done_in(st, "c", "2024-01-03", "sqlite:/x.db"), 0, "not done while the latest attempt runs");
	ok(q1(st->db, "SELECT marker_rows IS NULL FROM partitions WHERE location = 'c'") == 1, "marker rows reset");
	ok(bf_state_run_end(st, 0) == 0, "the run ends");
	ok(q1(st->db, "SELECT duration_ms FROM runs WHERE stage = 'load'") >= 0, "with its duration in ms");
	bf_state_close(st);

	static const char *const files[] = { "state.db", "state.db-wal", "state.db-shm" };
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, files[i]);
		unlink(path);
	}
	rmdir(dir);
	return done_testing();
}
