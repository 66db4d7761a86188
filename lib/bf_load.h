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

#include "bf_log.h"
#include "bf_msg.h"

struct bf_target;

/* What a commit records about its partition. location/date are NULL for records that
 * carry no bf lineage (a foreign Singer tap): then nothing is replaced, only appended. */
struct bf_load_part {
	const char *source, *location, *date;
	long long rows;            /* records loaded in this transaction */
	const char *status;        /* state-file status it gets: loaded, closed, pending */
	const char *state_json;    /* the STATE value, compact */
};

struct bf_target_ops {
	const char *name;
	/* Creates or widens the stream's table from a SCHEMA message. */
	int (*schema)(struct bf_target *t, const struct bf_msg *m, struct bf_err *err);
	/* Starts a partition's transaction and deletes what an earlier run loaded for it. */
	int (*begin)(struct bf_target *t, const char *location, const char *date, struct bf_err *err);
	int (*record)(struct bf_target *t, const struct bf_msg *m, struct bf_err *err);
	/* Records the load in the target itself and commits. */
	int (*commit)(struct bf_target *t, const struct bf_load_part *p, struct bf_err *err);
	void (*rollback)(struct bf_target *t);
	void (*close)(struct bf_target *t);
};

struct bf_target {
	const struct bf_target_ops *ops;
	char *display;             /* for messages; no credentials */
};

/* Opens a target from its spec: PATH.db or sqlite:PATH (more in bf_target_*.c). */
int bf_target_open(const char *spec, struct bf_target **out, struct bf_err *err);
int bf_target_sqlite_open(const char *path, struct bf_target **out, struct bf_err *err);

struct bf_load_opts {
	const char *target;
	const char *state_path;
	const char *args;
	size_t max_line;
	int progress;              /* -1 quiet, 0 on a terminal, 1 always */
};

/* Runs the loop from in_fd to out_fd. Returns 0, 1 when some partitions failed upstream,
 * or an exit code (65 for input that breaks the protocol; nothing of the unfinished
 * partition is committed). */
int bf_load_run(const struct bf_load_opts *o, int in_fd, int out_fd, struct bf_err *err);

#endif
