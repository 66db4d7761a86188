/* bf-load's core: reads the message stream and makes each partition durable in a target
 * in one transaction when its STATE arrives (replacing what an earlier run loaded for it),
 * then marks it in the state file and writes the STATE line to stdout.
 *
 * Targets implement struct bf_target_ops. The loop guarantees: schema() before records
 * of a stream; begin() before the first record or the STATE of a partition; record()
 * only inside begin/commit; commit() or rollback() ends every begin(). */
#ifndef BF_LOAD_H
#define BF_LOAD_H

#include <cjson/cJSON.h>

#include "base/bf_log.h"
#include "proto/bf_msg.h"

#include "targets/bf_types.h"

struct bf_target;

/* A stream as the loader knows it: the union of the columns of every SCHEMA seen for it
 * (with --type overrides applied) and of the members records brought without a SCHEMA.
 * Columns are only ever appended; version grows with each change. Owned by the loop. */
struct bf_col {
	char *name;
	enum bf_type type;
};
struct bf_stream_def {
	char *name;
	struct bf_col *cols;
	size_t ncols;
	unsigned version;
	const char *amount;        /* the --amount-column of this stream, or NULL */
};

/* One record, cast to its columns: cells[i] is the value of def->cols[i]. raw is the
 * record object's JSON text as it came (for targets that write files). */
struct bf_row {
	const struct bf_stream_def *def;
	const struct bf_cell *cells;
	const char *raw;
	size_t rawlen;
};

/* What a commit records about its partition. location/date are NULL for records that
 * carry no bf lineage (a foreign Singer tap): then nothing is replaced, only appended. */
struct bf_load_part {
	const char *source, *location, *date;
	long long rows;            /* records loaded in this transaction */
	long long quarantined;     /* records refused by a cast (not loaded) */
	const char *status;        /* state-file status it gets: loaded, closed, pending */
	const char *state_json;    /* the STATE value, compact */
};

struct bf_target_ops {
	const char *name;
	/* Creates or widens the stream's table to def (called again after every change of
	 * def, possibly inside a partition's transaction). */
	int (*schema)(struct bf_target *t, const struct bf_stream_def *def, struct bf_err *err);
	/* Starts a partition's transaction and deletes what an earlier run loaded for it. */
	int (*begin)(struct bf_target *t, const char *location, const char *date, struct bf_err *err);
	int (*record)(struct bf_target *t, const struct bf_row *r, struct bf_err *err);
	/* Records the load in the target itself and commits. */
	int (*commit)(struct bf_target *t, const struct bf_load_part *p, struct bf_err *err);
	void (*rollback)(struct bf_target *t);
	void (*close)(struct bf_target *t);
	/* Optional; NULL when commit() returns only once the commit is durable. Else commit()
	 * may return when it was sent: pending() is 1 until its answer was read (by any later
	 * call that had to wait for the server), confirm() waits for that answer. An error of
	 * the commit is returned by whichever call read it, and by confirm(). */
	int (*pending)(struct bf_target *t);
	int (*confirm)(struct bf_target *t, struct bf_err *err);
	/* Optional: sends what the target holds, when the loader is about to wait for input. */
	int (*flush)(struct bf_target *t, struct bf_err *err);
};

struct bf_target {
	const struct bf_target_ops *ops;
	char *display;             /* for messages; no credentials */
};

struct bf_target_opts {
	const char *pg_schema;     /* PostgreSQL schema, default "public" */
};

/* Opens a target from its spec: PATH.db or sqlite:PATH, postgresql://USER@HOST:PORT/DB
 * (or postgres://), dir:PATH. */
int bf_target_open(const char *spec, const struct bf_target_opts *o, struct bf_target **out,
		   struct bf_err *err);
int bf_target_sqlite_open(const char *path, struct bf_target **out, struct bf_err *err);
int bf_target_pg_open(const char *url, const struct bf_target_opts *o, struct bf_target **out,
		      struct bf_err *err);
int bf_target_dir_open(const char *path, struct bf_target **out, struct bf_err *err);

/* The SQL of the views of a stream table (SQLite and PostgreSQL share it): "<t>_open"
 * (rows without closure, WHERE closure_indicator IS NOT TRUE) and "<t>_daily" (date,
 * location, rows, amount when the table has the amount column, closed, closure_reason).
 * has_col tells whether the table has a column. Appends DROP and CREATE statements
 * separated by ";\n". */
void bf_load_views_sql(struct bf_buf *q, const char *schema, const char *table,
		       int (*has_col)(void *ctx, const char *col), void *ctx, const char *amount,
		       int pg);

struct bf_type_override {
	char *stream, *column;
	enum bf_type type;
};
struct bf_amount_col {
	char *stream, *column;
};

struct bf_load_opts {
	const char *target;
	const char *state_path;
	const char *args;
	size_t max_line;
	int progress;              /* -1 quiet, 0 on a terminal, 1 always */
	struct bf_target_opts topts;
	const struct bf_type_override *types;  /* --type stream.column=TYPE */
	size_t ntypes;
	const struct bf_amount_col *amounts;   /* --amount-column stream.column */
	size_t namounts;           /* 0: order_details.amount */
};

/* Runs the loop from in_fd to out_fd. Returns 0, 1 when some partitions failed upstream,
 * or an exit code (65 for input that breaks the protocol; nothing of the unfinished
 * partition is committed). */
int bf_load_run(const struct bf_load_opts *o, int in_fd, int out_fd, struct bf_err *err);

#endif
