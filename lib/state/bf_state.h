/* The state file: one SQLite database shared by every stage and process (docs/DESIGN.md 3).
 * WAL, busy timeout, foreign keys, created 0600, schema by numbered migrations compiled
 * in from the state directory; a file from a newer bf is refused with BF_ECONFIG.
 * Writes are short transactions retried while the file is busy (then BF_ETEMP).
 * struct bf_state owns its connection; bf_state_close(NULL) is a no-op. */
#ifndef BF_STATE_H
#define BF_STATE_H

#include <stddef.h>
#include <stdint.h>
#include <sqlite3.h>

#include "base/bf_log.h"

struct bf_migration {
	int version;
	const char *name;
	const char *sql;
};
extern const struct bf_migration bf_migrations[];
extern const int bf_migrations_count;

struct bf_state {
	sqlite3 *db;
	char *path;
	int64_t run_id;            /* this process's row in runs, 0 before bf_state_run_begin */
	int64_t run_t0;            /* monotonic ms at bf_state_run_begin (for runs.duration_ms) */
	char stage[16];
};

/* The path to use: opt (from --state) if set, else $BF_STATE, else "bf-state.db". */
const char *bf_state_path(const char *opt);
/* Opens (creating 0600 and migrating when needed). */
int bf_state_open(const char *path, struct bf_state **out, struct bf_err *err);
/* Opens an existing state file to read it only (reports): it is never created, migrated or
 * written (SQLite may add its -wal and -shm companions beside a file in WAL mode, as for
 * any reader). BF_ENOINPUT when it does not exist, BF_ENOPERM when it cannot be read,
 * BF_EDATA when it is not a state file, BF_ECONFIG when it is from a newer bf. */
int bf_state_open_readonly(const char *path, struct bf_state **out, struct bf_err *err);
void bf_state_close(struct bf_state *st);
/* Opens any SQLite file with the same settings (WAL, busy timeout), creating it 0600. */
int bf_sqlite_open(const char *path, int create, sqlite3 **out, struct bf_err *err);
/* Opens an existing SQLite file read-only: it is never created, written or migrated (a
 * file: URI with mode=ro); the same busy wait. A file in WAL mode whose folder this user
 * cannot write is read as immutable when no -wal file is beside it, and refused when one
 * is. Returns 0, or BF_EIO with err filled. */
int bf_sqlite_open_readonly(const char *path, sqlite3 **out, struct bf_err *err);
/* Appends the file: URI that bf_sqlite_open_readonly opens path by: mode=ro, and
 * immutable=1 when it read the file as immutable (bf_sqlite_is_immutable). */
struct bf_buf;
void bf_sqlite_readonly_uri(struct bf_buf *uri, const char *path, int immutable);
/* 1 when db was opened as immutable (see bf_sqlite_open_readonly). */
int bf_sqlite_is_immutable(sqlite3 *db);
/* Whether db has a table name / a column of table (0 also when it cannot be read). */
int bf_sqlite_has_table(sqlite3 *db, const char *name);
int bf_sqlite_has_column(sqlite3 *db, const char *table, const char *column);
/* Runs sql (no results) retrying while busy; returns 0, BF_ETEMP or BF_ESOFTWARE. */
int bf_sqlite_exec(sqlite3 *db, const char *sql, const char *where, struct bf_err *err);
/* Steps a prepared statement, retrying while busy; returns the sqlite code. */
int bf_sqlite_step(sqlite3_stmt *st);
/* Maps an SQLite failure to an exit code and message. */
int bf_sqlite_fail(sqlite3 *db, int rc, const char *where, struct bf_err *err);

/* Begins / ends this process's run row (runs.duration_ms measured between the two). args:
 * the options, recorded with any secret masked (base/bf_redact.h). */
int bf_state_run_begin(struct bf_state *st, const char *stage, const char *args, struct bf_err *err);
int bf_state_run_end(struct bf_state *st, int exit_code);

/* Partition status: "pending", "running", "loaded", "closed", "failed", or "" when unknown. */
int bf_state_partition_status(struct bf_state *st, const char *source, const char *location,
			      const char *date, char status[16], struct bf_err *err);

struct bf_partition_update {
	const char *source, *location, *date;
	const char *status;        /* required */
	const char *folder;        /* NULL keeps the old value */
	long long files, rows, quarantined, loaded_rows;  /* < 0 keeps the old value */
	const char *error;         /* NULL clears last_error when status is not failed */
	int start;                 /* 1: a new attempt begins (attempts+1, started_at) */
	long long duration_ms;     /* < 0 keeps */
};
int bf_state_partition_update(struct bf_state *st, const struct bf_partition_update *u,
			      struct bf_err *err);

/* A partition committed in a target (the loads table): status loaded, closed or pending;
 * rows committed, marker_rows the closure markers among them (< 0 unknown). Also sets
 * partitions.marker_rows. target is the target's key (targets/bf_target.h). */
int bf_state_loaded(struct bf_state *st, const char *source, const char *location, const char *date,
		    const char *target, const char *status, long long rows, long long marker_rows,
		    struct bf_err *err);
/* *done = 1 when the latest attempt at the partition, for any target, loaded or closed it
 * and, unless target is NULL, it is loaded or closed in target (or in a load recorded
 * before targets were, which counts for every target). */
int bf_state_done_in(struct bf_state *st, const char *source, const char *location, const char *date,
		     const char *target, int *done, struct bf_err *err);

struct bf_file_seen {
	const char *source, *location, *date, *name, *stream;
	long long size;
	int64_t mtime;             /* Unix seconds, < 0 unknown */
	const char *sha256, *header_fingerprint;
	long long rows, bad_rows;
};
int bf_state_file_seen(struct bf_state *st, const struct bf_file_seen *f, struct bf_err *err);

/* Deletes the quarantined rows a stage left for a partition (before redoing it). */
int bf_state_quarantine_clear(struct bf_state *st, const char *stage, const char *source,
			      const char *location, const char *date, struct bf_err *err);
int bf_state_quarantine(struct bf_state *st, const char *stage, const char *source,
			const char *location, const char *date, const char *file, long line,
			const char *reason, const void *raw, size_t rawlen, struct bf_err *err);
/* Records an error (best effort: a failure here is only warned about). */
void bf_state_error(struct bf_state *st, const char *source, const char *location,
		    const char *date, int code, const char *message);
void bf_state_metric(struct bf_state *st, const char *source, const char *location,
		     const char *date, const char *name, double value);

#endif
