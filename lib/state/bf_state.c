#include "state/bf_state.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_redact.h"
#include "base/bf_time.h"

#define BUSY_TIMEOUT_MS 10000
#define BUSY_RETRY_MS 120000

/* How long a locked database is waited for: $BF_LOCK_TIMEOUT seconds, default 120. */
static int64_t lock_wait_ms(void)
{
	const char *env = getenv("BF_LOCK_TIMEOUT");
	char *end;
	double s = env && *env ? strtod(env, &end) : -1;
	if (!env || !*env || *end || s < 0)
		return BUSY_RETRY_MS;
	return (int64_t)(s * 1000);
}

const char *bf_state_path(const char *opt)
{
	if (opt && *opt)
		return opt;
	const char *env = getenv("BF_STATE");
	return env && *env ? env : "bf-state.db";
}

int bf_sqlite_fail(sqlite3 *db, int rc, const char *where, struct bf_err *err)
{
	int code = (rc & 0xff) == SQLITE_BUSY || (rc & 0xff) == SQLITE_LOCKED ? BF_ETEMP
		 : (rc & 0xff) == SQLITE_IOERR || (rc & 0xff) == SQLITE_FULL ? BF_EIO
		 : (rc & 0xff) == SQLITE_CANTOPEN ? BF_EIO
		 : (rc & 0xff) == SQLITE_READONLY || (rc & 0xff) == SQLITE_PERM ? BF_ENOPERM
		 : (rc & 0xff) == SQLITE_CORRUPT || (rc & 0xff) == SQLITE_NOTADB ? BF_EDATA
		 : BF_ESOFTWARE;
	return bf_fail(err, code, where, "%s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
}

static void nap(int ms)
{
	struct timespec ts = { ms / 1000, (long)(ms % 1000) * 1000000L };
	nanosleep(&ts, NULL);
}

/* The retries end lock_wait_ms() after the first attempt, counting the time SQLite's own
 * busy handler waited too (not only our naps). */
int bf_sqlite_step(sqlite3_stmt *st)
{
	int64_t t0 = bf_mono_ms();
	int delay = 5;
	for (;;) {
		int rc = sqlite3_step(st);
		if ((rc & 0xff) != SQLITE_BUSY || bf_mono_ms() - t0 >= lock_wait_ms())
			return rc;
		sqlite3_reset(st);
		nap(delay);
		delay = delay < 200 ? delay * 2 : 200;
	}
}

int bf_sqlite_exec(sqlite3 *db, const char *sql, const char *where, struct bf_err *err)
{
	int64_t t0 = bf_mono_ms();
	int delay = 5;
	for (;;) {
		int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
		if (rc == SQLITE_OK)
			return 0;
		if ((rc & 0xff) != SQLITE_BUSY || bf_mono_ms() - t0 >= lock_wait_ms())
			return bf_sqlite_fail(db, rc, where, err);
		nap(delay);
		delay = delay < 200 ? delay * 2 : 200;
	}
}

/* How long a busy file is waited for, and extended result codes. */
static void wait_and_codes(sqlite3 *db)
{
	int64_t wait = lock_wait_ms();
	sqlite3_busy_timeout(db, (int)(wait < BUSY_TIMEOUT_MS ? wait : BUSY_TIMEOUT_MS));
	sqlite3_extended_result_codes(db, 1);
}

int bf_sqlite_open(const char *path, int create, sqlite3 **out, struct bf_err *err)
{
	*out = NULL;
	if (create) {
		/* create it ourselves so that it is 0600 whatever the umask */
		int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
		if (fd >= 0)
			close(fd);
		else if (errno != EEXIST)
			return bf_fail(err, errno == EACCES ? BF_ENOPERM : BF_EIO, path,
				       "cannot create: %s", strerror(errno));
	}
	sqlite3 *db = NULL;
	int rc = sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		int code = access(path, F_OK) == 0 ? BF_EIO : BF_ENOINPUT;
		bf_fail(err, code, path, "cannot open: %s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return code;
	}
	wait_and_codes(db);
	if ((rc = bf_sqlite_exec(db, "PRAGMA journal_mode=WAL", path, err)) ||
	    (rc = bf_sqlite_exec(db, "PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON", path, err))) {
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return 0;
}

void bf_sqlite_readonly_uri(struct bf_buf *uri, const char *path, int immutable)
{
	bf_buf_adds(uri, "file:");
	for (const char *p = path; *p; p++) {
		if (*p == '?' || *p == '#' || *p == '%')
			bf_buf_addf(uri, "%%%02X", (unsigned char)*p);
		else
			bf_buf_addc(uri, *p);
	}
	bf_buf_adds(uri, immutable ? "?mode=ro&immutable=1" : "?mode=ro");
}

static int open_uri(const char *path, int immutable, sqlite3 **db)
{
	struct bf_buf uri = BF_BUF_INIT;
	bf_sqlite_readonly_uri(&uri, path, immutable);
	*db = NULL;
	int rc = sqlite3_open_v2(uri.p, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI | SQLITE_OPEN_NOMUTEX, NULL);
	bf_buf_free(&uri);
	return rc;
}

/* 1 when a first read of db fails because a WAL file's shared memory cannot be made. */
static int wal_unreadable(sqlite3 *db)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "SELECT 1 FROM sqlite_master LIMIT 1", -1, &st, NULL);
	if (rc == SQLITE_OK) {
		rc = sqlite3_step(st);
		sqlite3_finalize(st);
	}
	rc &= 0xff;
	return rc == SQLITE_CANTOPEN || rc == SQLITE_READONLY;
}

/* A file in WAL mode in a folder this user cannot write (a shared warehouse, a copied
 * state file) cannot have its -shm made. When no -wal file is beside it, everything
 * committed is in the file itself and no writer has it open, so it is read as immutable;
 * with a -wal file, it cannot be read safely and the error says why. */
int bf_sqlite_open_readonly(const char *path, sqlite3 **out, struct bf_err *err)
{
	sqlite3 *db = NULL;
	*out = NULL;
	int rc = open_uri(path, 0, &db);
	if (rc == SQLITE_OK && wal_unreadable(db)) {
		struct bf_buf wal = BF_BUF_INIT;
		bf_buf_addf(&wal, "%s-wal", path);
		int has_wal = access(wal.p, F_OK) == 0;
		bf_buf_free(&wal);
		sqlite3_close(db);
		db = NULL;
		if (has_wal)
			return bf_fail(err, BF_EIO, path,
				       "cannot read: a writer's -wal file is beside it and this user cannot "
				       "make its -shm (needs write access to the folder)");
		rc = open_uri(path, 1, &db);
	}
	if (rc != SQLITE_OK) {
		bf_fail(err, BF_EIO, path, "cannot open: %s", db ? sqlite3_errmsg(db) : sqlite3_errstr(rc));
		sqlite3_close(db);
		return BF_EIO;
	}
	wait_and_codes(db);
	*out = db;
	return 0;
}

/* 1 when sql, bound to a and b, gives a row. */
static int any_row(sqlite3 *db, const char *sql, const char *a, const char *b)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(db, sql, -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, a, -1, SQLITE_STATIC);
	if (b)
		sqlite3_bind_text(s, 2, b, -1, SQLITE_STATIC);
	int yes = bf_sqlite_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	return yes;
}

int bf_sqlite_has_table(sqlite3 *db, const char *name)
{
	return any_row(db, "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = ?", name, NULL);
}

int bf_sqlite_has_column(sqlite3 *db, const char *table, const char *column)
{
	return any_row(db, "SELECT 1 FROM pragma_table_info(?) WHERE name = ?", table, column);
}

int bf_sqlite_is_immutable(sqlite3 *db)
{
	return sqlite3_uri_boolean(sqlite3_db_filename(db, "main"), "immutable", 0);
}

static int user_version(sqlite3 *db, int *v)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return rc;
	rc = bf_sqlite_step(st);
	if (rc == SQLITE_ROW) {
		*v = sqlite3_column_int(st, 0);
		rc = SQLITE_OK;
	}
	sqlite3_finalize(st);
	return rc;
}

/* The file's schema version into *v; BF_ECONFIG when it is newer than this bf. */
static int schema_version(sqlite3 *db, const char *path, int *v, struct bf_err *err)
{
	int rc;
	if ((rc = user_version(db, v)) != SQLITE_OK)
		return bf_sqlite_fail(db, rc, path, err);
	if (*v > bf_migrations_count)
		return bf_fail(err, BF_ECONFIG, path,
			       "state file schema version %d is newer than this bf knows (%d); upgrade bf",
			       *v, bf_migrations_count);
	return 0;
}

static int migrate(sqlite3 *db, const char *path, struct bf_err *err)
{
	int v = 0, rc;
	if ((rc = schema_version(db, path, &v, err)))
		return rc;
	if (v == bf_migrations_count)
		return 0;
	if ((rc = bf_sqlite_exec(db, "BEGIN IMMEDIATE", path, err)))
		return rc;
	if ((rc = user_version(db, &v)) != SQLITE_OK) { /* another process may have migrated */
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return bf_sqlite_fail(db, rc, path, err);
	}
	for (int i = v; i < bf_migrations_count; i++) {
		char *msg = NULL;
		rc = sqlite3_exec(db, bf_migrations[i].sql, NULL, NULL, &msg);
		if (rc != SQLITE_OK) {
			bf_fail(err, BF_ESOFTWARE, path, "migration %s: %s", bf_migrations[i].name,
				msg ? msg : sqlite3_errstr(rc));
			sqlite3_free(msg);
			sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
			return BF_ESOFTWARE;
		}
	}
	char sql[64];
	snprintf(sql, sizeof sql, "PRAGMA user_version=%d", bf_migrations_count);
	if ((rc = bf_sqlite_exec(db, sql, path, err)) || (rc = bf_sqlite_exec(db, "COMMIT", path, err))) {
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return 0;
}

static struct bf_state *state_of(sqlite3 *db, const char *path)
{
	struct bf_state *st = bf_xcalloc(1, sizeof *st);
	st->db = db;
	st->path = bf_xstrdup(path);
	return st;
}

int bf_state_open(const char *path, struct bf_state **out, struct bf_err *err)
{
	sqlite3 *db;
	int rc;
	*out = NULL;
	if ((rc = bf_sqlite_open(path, 1, &db, err)))
		return rc;
	if ((rc = migrate(db, path, err))) {
		sqlite3_close(db);
		return rc;
	}
	*out = state_of(db, path);
	return 0;
}

int bf_state_open_readonly(const char *path, struct bf_state **out, struct bf_err *err)
{
	sqlite3 *db = NULL;
	int rc, v = 0;
	*out = NULL;
	if (access(path, F_OK))
		return bf_fail(err, errno == ENOENT || errno == ENOTDIR ? BF_ENOINPUT : BF_EOS, path, "%s",
			       errno == ENOENT ? "no such state file" : strerror(errno));
	if (access(path, R_OK))
		return bf_fail(err, BF_ENOPERM, path, "cannot read: %s", strerror(errno));
	if ((rc = bf_sqlite_open_readonly(path, &db, err)))
		return rc;
	if (!(rc = schema_version(db, path, &v, err)) && v == 0)
		rc = bf_fail(err, BF_EDATA, path, "not a bf state file (no schema version)");
	if (rc) {
		sqlite3_close(db);
		return rc;
	}
	*out = state_of(db, path);
	return 0;
}

void bf_state_close(struct bf_state *st)
{
	if (!st)
		return;
	sqlite3_close(st->db);
	free(st->path);
	free(st);
}

/* Prepares sql; on failure fills err. */
static int prep(struct bf_state *st, const char *sql, sqlite3_stmt **out, struct bf_err *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, out, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(st->db, rc, st->path, err);
	return 0;
}

/* Steps a write statement to completion and finalizes it. */
static int done(struct bf_state *st, sqlite3_stmt *s, struct bf_err *err)
{
	int rc = bf_sqlite_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE && rc != SQLITE_ROW)
		return bf_sqlite_fail(st->db, rc, st->path, err);
	return 0;
}

static void bind_opt_text(sqlite3_stmt *s, int i, const char *v)
{
	if (v)
		sqlite3_bind_text(s, i, v, -1, SQLITE_TRANSIENT);
	else
		sqlite3_bind_null(s, i);
}

/* Text that may quote a command line, a URL or a stage's message: bound with its secrets
 * masked (base/bf_redact.h), NULL as NULL. */
static void bind_masked(sqlite3_stmt *s, int i, const char *v)
{
	if (v && bf_has_secret(v))
		sqlite3_bind_text(s, i, bf_redact(v), -1, free);
	else
		bind_opt_text(s, i, v);
}

static void bind_opt_int(sqlite3_stmt *s, int i, long long v)
{
	if (v >= 0)
		sqlite3_bind_int64(s, i, v);
	else
		sqlite3_bind_null(s, i);
}

/* Runs that ended without recording their end (killed, or their last write failed) are
 * marked by the next run the way a run ends (bf_state_run_end): exit code 75 (interrupted,
 * run again), finished_at and duration_ms at its last sign of life (its run_progress row,
 * the partitions it wrote, else its start), its run_progress finished, and an errors row
 * saying so, in one transaction. A run still in progress is one whose process lives (the
 * state file is local: SQLite's WAL needs every process on one machine). The last 1000
 * runs are looked at. Best effort: a failure here is only warned about. */
static const char interrupted_sql[] =
	"WITH seen(t) AS (SELECT started_at FROM runs WHERE run_id = ?1"
	"  UNION ALL SELECT updated_at FROM run_progress WHERE run_id = ?1"
	"  UNION ALL SELECT max(updated_at) FROM partitions WHERE run_id = ?1),"
	" last(t) AS (SELECT max(t) FROM seen)"
	" UPDATE runs SET exit_code = 75, finished_at = (SELECT t FROM last),"
	" duration_ms = CAST(round((julianday((SELECT t FROM last)) - julianday(started_at)) * 86400000) AS INTEGER)"
	" WHERE run_id = ?1 AND exit_code IS NULL;"
	"INSERT INTO errors (run_id, stage, exit_code, message, at) SELECT run_id, stage, 75, 'interrupted: the"
	" process ended without recording its end (marked by a later run)', ?2 FROM runs WHERE run_id = ?1"
	" AND changes() > 0;"
	"UPDATE run_progress SET state = 'finished', updated_at = ?2 WHERE run_id = ?1 AND state <> 'finished'";

static int mark_one(struct bf_state *st, int64_t id, struct bf_err *err)
{
	char now[21];
	const char *sql = interrupted_sql;
	int rc = bf_sqlite_exec(st->db, "BEGIN IMMEDIATE", st->path, err);
	bf_now_rfc3339(now);
	while (!rc && *sql) {
		sqlite3_stmt *s;
		if ((rc = sqlite3_prepare_v2(st->db, sql, -1, &s, &sql)) != SQLITE_OK) {
			rc = bf_sqlite_fail(st->db, rc, st->path, err);
			break;
		}
		sqlite3_bind_int64(s, 1, id);
		if (sqlite3_bind_parameter_count(s) >= 2)
			sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
		rc = done(st, s, err);
	}
	if (rc)
		sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
	else
		rc = bf_sqlite_exec(st->db, "COMMIT", st->path, err);
	return rc;
}

static void mark_interrupted(struct bf_state *st)
{
	sqlite3_stmt *s;
	int64_t *ids = NULL;
	size_t n = 0;
	if (sqlite3_prepare_v2(st->db, "SELECT run_id, pid, stage FROM runs WHERE exit_code IS NULL"
			       " AND run_id >= (SELECT max(run_id) FROM runs) - 1000", -1, &s, NULL) != SQLITE_OK)
		return;
	while (bf_sqlite_step(s) == SQLITE_ROW) {
		long pid = (long)sqlite3_column_int64(s, 1);
		if (pid <= 0 || pid == (long)getpid() || kill((pid_t)pid, 0) == 0 || errno == EPERM)
			continue;
		ids = bf_xrealloc(ids, (n + 1) * sizeof *ids);
		ids[n++] = sqlite3_column_int64(s, 0);
	}
	sqlite3_finalize(s);
	for (size_t i = 0; i < n; i++) {
		struct bf_err err = { 0 };
		if (mark_one(st, ids[i], &err))
			bf_warn(st->path, "could not mark run %lld as interrupted: %s", (long long)ids[i], err.msg);
	}
	free(ids);
}

int bf_state_run_begin(struct bf_state *st, const char *stage, const char *args, struct bf_err *err)
{
	sqlite3_stmt *s;
	char now[21];
	int rc;
	bf_now_rfc3339(now);
	snprintf(st->stage, sizeof st->stage, "%s", stage);
	if ((rc = prep(st, "INSERT INTO runs (stage, started_at, pid, args, parent_run) "
			   "VALUES (?, ?, ?, ?, ?)", &s, err)))
		return rc;
	sqlite3_bind_text(s, 1, stage, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (long long)getpid());
	bind_masked(s, 4, args);
	const char *parent = getenv("BF_RUN_ID");
	if (parent && *parent)
		sqlite3_bind_int64(s, 5, atoll(parent));
	if ((rc = done(st, s, err)))
		return rc;
	st->run_id = sqlite3_last_insert_rowid(st->db);
	st->run_t0 = bf_mono_ms();
	mark_interrupted(st);
	return 0;
}

int bf_state_run_end(struct bf_state *st, int exit_code)
{
	sqlite3_stmt *s;
	char now[21];
	struct bf_err err = { 0 };
	if (!st || !st->run_id)
		return 0;
	bf_now_rfc3339(now);
	if (prep(st, "UPDATE runs SET finished_at = ?, exit_code = ?, duration_ms = ? WHERE run_id = ?", &s, &err))
		return err.code;
	sqlite3_bind_text(s, 1, now, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 2, exit_code);
	sqlite3_bind_int64(s, 3, bf_mono_ms() - st->run_t0);
	sqlite3_bind_int64(s, 4, st->run_id);
	return done(st, s, &err);
}

int bf_state_partition_status(struct bf_state *st, const char *source, const char *location,
			      const char *date, char status[16], struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	status[0] = '\0';
	if ((rc = prep(st, "SELECT status FROM partitions WHERE source = ? AND location = ? AND date = ?",
		       &s, err)))
		return rc;
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, location, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, date, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(s);
	if (rc == SQLITE_ROW) {
		snprintf(status, 16, "%s", (const char *)sqlite3_column_text(s, 0));
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : bf_sqlite_fail(st->db, rc, st->path, err);
}

int bf_state_partition_update(struct bf_state *st, const struct bf_partition_update *u,
			      struct bf_err *err)
{
	sqlite3_stmt *s;
	char now[21];
	int rc;
	bf_now_rfc3339(now);
	rc = prep(st,
		  "INSERT INTO partitions (source, location, date, status, attempts, last_error, folder,"
		  " files, rows, quarantined, loaded_rows, started_at, finished_at, duration_ms, run_id,"
		  " updated_at)"
		  " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11,"
		  "  CASE WHEN ?5 THEN ?12 END, CASE WHEN ?5 THEN NULL ELSE ?12 END, ?13, ?14, ?12)"
		  " ON CONFLICT (source, location, date) DO UPDATE SET"
		  "  status = ?4,"
		  "  attempts = attempts + ?5,"
		  "  last_error = ?6,"
		  "  folder = coalesce(?7, folder),"
		  "  files = coalesce(?8, files),"
		  "  rows = coalesce(?9, rows),"
		  "  quarantined = coalesce(?10, quarantined),"
		  "  loaded_rows = CASE WHEN ?5 THEN NULL ELSE coalesce(?11, loaded_rows) END,"
		  "  marker_rows = CASE WHEN ?5 THEN NULL ELSE marker_rows END,"
		  "  started_at = CASE WHEN ?5 THEN ?12 ELSE started_at END,"
		  "  finished_at = CASE WHEN ?5 THEN NULL"
		  "                     WHEN ?4 IN ('loaded','closed','failed') THEN ?12"
		  "                     ELSE finished_at END,"
		  "  duration_ms = coalesce(?13, duration_ms),"
		  "  run_id = coalesce(?14, run_id),"
		  "  updated_at = ?12",
		  &s, err);
	if (rc)
		return rc;
	sqlite3_bind_text(s, 1, u->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, u->location ? u->location : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, u->date, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, u->status, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 5, u->start ? 1 : 0);
	bind_masked(s, 6, u->error);
	bind_opt_text(s, 7, u->folder);
	bind_opt_int(s, 8, u->files);
	bind_opt_int(s, 9, u->rows);
	bind_opt_int(s, 10, u->quarantined);
	bind_opt_int(s, 11, u->loaded_rows);
	sqlite3_bind_text(s, 12, now, -1, SQLITE_STATIC);
	bind_opt_int(s, 13, u->duration_ms);
	if (st->run_id)
		sqlite3_bind_int64(s, 14, st->run_id);
	return done(st, s, err);
}

int bf_state_loaded(struct bf_state *st, const char *source, const char *location, const char *date,
		    const char *target, const char *status, long long rows, long long marker_rows,
		    struct bf_err *err)
{
	sqlite3_stmt *s;
	char now[21];
	int rc;
	bf_now_rfc3339(now);
	if ((rc = prep(st, "INSERT OR REPLACE INTO loads (source, location, date, target, status, rows, marker_rows,"
			   " run_id, loaded_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)", &s, err)))
		return rc;
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, location ? location : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, date, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, target ? target : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, status, -1, SQLITE_STATIC);
	bind_opt_int(s, 6, rows);
	bind_opt_int(s, 7, marker_rows);
	if (st->run_id)
		sqlite3_bind_int64(s, 8, st->run_id);
	sqlite3_bind_text(s, 9, now, -1, SQLITE_STATIC);
	if ((rc = done(st, s, err)))
		return rc;
	if ((rc = prep(st, "UPDATE partitions SET marker_rows = ?4 WHERE source = ?1 AND location = ?2 AND date = ?3",
		       &s, err)))
		return rc;
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, location ? location : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, date, -1, SQLITE_STATIC);
	bind_opt_int(s, 4, marker_rows);
	return done(st, s, err);
}

int bf_state_done_in(struct bf_state *st, const char *source, const char *location, const char *date,
		     const char *target, int *done_, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	*done_ = 0;
	/* the latest attempt (whatever its target) loaded or closed it, and, for one target,
	 * it is committed there */
	if ((rc = prep(st, target ? "SELECT 1 FROM loads WHERE source = ?1 AND location = ?2 AND date = ?3"
			   " AND status IN ('loaded', 'closed') AND target IN (?4, '') AND EXISTS"
			   " (SELECT 1 FROM partitions p WHERE p.source = ?1 AND p.location = ?2 AND p.date = ?3"
			   " AND p.status IN ('loaded', 'closed')) LIMIT 1"
			   : "SELECT 1 FROM partitions WHERE source = ?1 AND location = ?2 AND date = ?3"
			   " AND status IN ('loaded', 'closed')", &s, err)))
		return rc;
	sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, location ? location : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, date, -1, SQLITE_STATIC);
	if (target)
		sqlite3_bind_text(s, 4, target, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(s);
	*done_ = rc == SQLITE_ROW;
	sqlite3_finalize(s);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : bf_sqlite_fail(st->db, rc, st->path, err);
}

int bf_state_file_seen(struct bf_state *st, const struct bf_file_seen *f, struct bf_err *err)
{
	sqlite3_stmt *s;
	char now[21], mtime[21];
	int rc;
	bf_now_rfc3339(now);
	if (f->mtime >= 0)
		bf_time_rfc3339(f->mtime, mtime);
	if ((rc = prep(st, "INSERT OR REPLACE INTO files (source, location, date, name, stream, size,"
			   " mtime, sha256, header_fingerprint, rows, bad_rows, seen_at, run_id)"
			   " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s, err)))
		return rc;
	sqlite3_bind_text(s, 1, f->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, f->location, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, f->date, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, f->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, f->stream, -1, SQLITE_STATIC);
	bind_opt_int(s, 6, f->size);
	bind_opt_text(s, 7, f->mtime >= 0 ? mtime : NULL);
	bind_opt_text(s, 8, f->sha256);
	bind_opt_text(s, 9, f->header_fingerprint);
	bind_opt_int(s, 10, f->rows);
	bind_opt_int(s, 11, f->bad_rows);
	sqlite3_bind_text(s, 12, now, -1, SQLITE_STATIC);
	if (st->run_id)
		sqlite3_bind_int64(s, 13, st->run_id);
	return done(st, s, err);
}

int bf_state_quarantine_clear(struct bf_state *st, const char *stage, const char *source,
			      const char *location, const char *date, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	if ((rc = prep(st, "DELETE FROM quarantine WHERE stage = ? AND source = ? AND location = ?"
			   " AND date = ?", &s, err)))
		return rc;
	sqlite3_bind_text(s, 1, stage, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, location, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, date, -1, SQLITE_STATIC);
	return done(st, s, err);
}

int bf_state_quarantine(struct bf_state *st, const char *stage, const char *source,
			const char *location, const char *date, const char *file, long line,
			const char *reason, const void *raw, size_t rawlen, struct bf_err *err)
{
	sqlite3_stmt *s;
	char now[21];
	int rc;
	bf_now_rfc3339(now);
	if ((rc = prep(st, "INSERT INTO quarantine (run_id, stage, source, location, date, file, line,"
			   " reason, raw, at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", &s, err)))
		return rc;
	if (st->run_id)
		sqlite3_bind_int64(s, 1, st->run_id);
	sqlite3_bind_text(s, 2, stage, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, location, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, date, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, file, -1, SQLITE_STATIC);
	if (line > 0)
		sqlite3_bind_int64(s, 7, line);
	sqlite3_bind_text(s, 8, reason, -1, SQLITE_STATIC);
	sqlite3_bind_blob(s, 9, raw, (int)rawlen, SQLITE_STATIC);
	sqlite3_bind_text(s, 10, now, -1, SQLITE_STATIC);
	return done(st, s, err);
}

/* An errors or metrics row: run, stage, source, location and date bound as ?1-?5. */
static int prep_event(struct bf_state *st, const char *sql, const char *source, const char *location,
		      const char *date, sqlite3_stmt **s, struct bf_err *err)
{
	int rc = prep(st, sql, s, err);
	if (rc)
		return rc;
	if (st->run_id)
		sqlite3_bind_int64(*s, 1, st->run_id);
	sqlite3_bind_text(*s, 2, st->stage[0] ? st->stage : bf_prog(), -1, SQLITE_STATIC);
	bind_opt_text(*s, 3, source);
	bind_opt_text(*s, 4, location);
	bind_opt_text(*s, 5, date);
	return 0;
}

void bf_state_error(struct bf_state *st, const char *source, const char *location,
		    const char *date, int code, const char *message)
{
	sqlite3_stmt *s;
	char now[21];
	struct bf_err err = { 0 };
	if (!st)
		return;
	bf_now_rfc3339(now);
	if (prep_event(st, "INSERT INTO errors (run_id, stage, source, location, date, exit_code, message, at)"
		     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", source, location, date, &s, &err) == 0) {
		sqlite3_bind_int(s, 6, code);
		bind_masked(s, 7, message ? message : "");
		sqlite3_bind_text(s, 8, now, -1, SQLITE_STATIC);
		done(st, s, &err);
	}
	if (err.code)
		bf_warn(st->path, "could not record an error: %s", err.msg);
}

void bf_state_metric(struct bf_state *st, const char *source, const char *location,
		     const char *date, const char *name, double value)
{
	sqlite3_stmt *s;
	char now[21];
	struct bf_err err = { 0 };
	if (!st)
		return;
	bf_now_rfc3339(now);
	if (prep_event(st, "INSERT INTO metrics (run_id, stage, source, location, date, name, value, at)"
		     " VALUES (?, ?, ?, ?, ?, ?, ?, ?)", source, location, date, &s, &err) == 0) {
		sqlite3_bind_text(s, 6, name, -1, SQLITE_STATIC);
		sqlite3_bind_double(s, 7, value);
		sqlite3_bind_text(s, 8, now, -1, SQLITE_STATIC);
		done(st, s, &err);
	}
	if (err.code)
		bf_warn(st->path, "could not record a metric: %s", err.msg);
}
