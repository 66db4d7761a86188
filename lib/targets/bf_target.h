/* Where bf-load writes: a SQLite file, a PostgreSQL database or a folder of files
 * (dir:). This is the contract every caller uses; backends implement it behind
 * targets/bf_target_backend.h, and bf_target_open picks one from the spec.
 *
 * The caller guarantees: bf_target_schema() before records of a stream;
 * bf_target_begin() before the first record or the STATE of a partition;
 * bf_target_record() only inside begin/commit; commit or rollback ends every begin.
 * The target owns nothing the caller passes; bf_target_close(NULL) is a no-op. */
#ifndef BF_TARGET_H
#define BF_TARGET_H

#include <stddef.h>

#include "base/bf_log.h"
#include "targets/bf_types.h"

/* A stream as the loader knows it: the union of the columns of every SCHEMA seen for it
 * (with --type overrides applied) and of the members records brought without a SCHEMA.
 * Columns are only ever appended; version grows with each change. Owned by the loader. */
struct bf_col {
	char *name;
	enum bf_type type;
	char *embedding;           /* how an embedding column was made: the compact JSON of its
	                            * SCHEMA property's "x-bf-embedding", or NULL */
};
struct bf_stream_def {
	char *name;
	struct bf_col *cols;
	size_t ncols;
	unsigned version;
	const char *amount;        /* the --amount-column of this stream, or NULL */
	char **keys;               /* the key_properties of its last SCHEMA (columns of cols) */
	size_t nkeys;
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
 * carry no bf lineage (a foreign Singer tap): then nothing is replaced; the records of a
 * stream with keys (def->nkeys) are upserted by them, the others appended. */
struct bf_target_part {
	const char *source, *location, *date;
	long long rows;            /* records loaded in this transaction */
	long long quarantined;     /* records refused by a cast (not loaded) */
	const char *status;        /* state-file status it gets: loaded, closed, pending */
	const char *state_json;    /* the STATE value, compact */
};

struct bf_target_opts {
	const char *pg_schema;     /* PostgreSQL schema, default "public" */
	int rebuild_keys;          /* a stream's key_properties may change: its unique index is rebuilt */
	int read_only;             /* only bf_target_loads is called: nothing is created or
	                            * written, and a target that does not exist holds nothing */
};

struct bf_target;

/* The key of a target in the state file (the loads table; targets/bf_target_key.c): the
 * same for every spelling of one place, different for two. sqlite:ABSOLUTE-PATH,
 * dir:ABSOLUTE-PATH, postgresql://HOST:PORT/DB#SCHEMA (no user, no password, only the
 * host, hostaddr, port and dbname parameters; schema "public" unless pg_schema names one).
 * A relative path is taken from the current folder. Allocated; the caller frees it. */
char *bf_target_key(const char *spec, const char *pg_schema);
/* The --pg-schema among a stage's extra arguments (the last one; "--pg-schema S" or
 * "--pg-schema=S"), or NULL: so that bf-run keys the target the way its bf-load will. */
const char *bf_target_schema_in_args(char *const *args, size_t n);

/* Opens a target from its spec: PATH.db or sqlite:PATH, postgresql://USER@HOST:PORT/DB
 * (or postgres://), dir:PATH. */
int bf_target_open(const char *spec, const struct bf_target_opts *o, struct bf_target **out,
		   struct bf_err *err);

/* Creates or widens the stream's table to def (called again after every change of def,
 * possibly inside a partition's transaction). A table that was upserted or appended to
 * without lineage keeps the key it had then: a def with other keys is refused (BF_EDATA)
 * unless opts.rebuild_keys. A name the database reserves gets a table named with a "_"
 * in front (bf_target_table_name); a table of that name that bf-load did not create is
 * refused (BF_ECONFIG), never written to. */
int bf_target_schema(struct bf_target *t, const struct bf_stream_def *def, struct bf_err *err);
/* Starts a partition's transaction and deletes what an earlier run loaded for it. */
int bf_target_begin(struct bf_target *t, const char *location, const char *date,
		    struct bf_err *err);
int bf_target_record(struct bf_target *t, const struct bf_row *r, struct bf_err *err);
/* Records the load in the target itself and commits. */
int bf_target_commit(struct bf_target *t, const struct bf_target_part *p, struct bf_err *err);
void bf_target_rollback(struct bf_target *t);
/* Makes what was committed durable where that is not done at each commit, and reports
 * any failure to write it (a SQLite checkpoint). Called once, after the last commit. */
int bf_target_finish(struct bf_target *t, struct bf_err *err);
void bf_target_close(struct bf_target *t);

/* Calls fn for each partition the target records as committed (its _bf_loads): location,
 * date, and the source its STATE named (NULL if none). fn returns 0 to go on. */
int bf_target_loads(struct bf_target *t,
		    int (*fn)(void *arg, const char *location, const char *date, const char *source),
		    void *arg, struct bf_err *err);

/* The table of stream name in buf: the name itself, or "_" + name for a name the
 * databases reserve (sqlite_*, pg_*, _bf*, any case). Returns buf's text. */
const char *bf_target_table_name(const char *name, struct bf_buf *buf);

/* The target as messages name it (no credentials). */
const char *bf_target_display(const struct bf_target *t);

/* Whether commits may return before they are durable (then pending/confirm matter) or the
 * target holds data back until flushed: the loader then flushes and confirms before it
 * waits for input. */
int bf_target_defers(const struct bf_target *t);
/* 1 while the last commit was sent but not yet answered (a later call that had to wait
 * for the server may read the answer). */
int bf_target_pending(struct bf_target *t);
/* Waits for the last commit's answer; its error, if any, is returned here too. */
int bf_target_confirm(struct bf_target *t, struct bf_err *err);
/* Sends what the target holds, when the loader is about to wait for input. */
int bf_target_flush(struct bf_target *t, struct bf_err *err);

#endif
