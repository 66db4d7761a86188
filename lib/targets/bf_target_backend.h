/* What a target backend implements (the contract of targets/bf_target.h), and the backends
 * that bf_target.c's table knows. Only targets/ includes this header. */
#ifndef BF_TARGET_BACKEND_H
#define BF_TARGET_BACKEND_H

#include "targets/bf_target.h"

struct bf_target_ops {
	const char *name;
	int (*schema)(struct bf_target *t, const struct bf_stream_def *def, struct bf_err *err);
	int (*begin)(struct bf_target *t, const char *location, const char *date, struct bf_err *err);
	int (*record)(struct bf_target *t, const struct bf_row *r, struct bf_err *err);
	int (*commit)(struct bf_target *t, const struct bf_target_part *p, struct bf_err *err);
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
	/* Optional: after the last commit (bf_target_finish). */
	int (*finish)(struct bf_target *t, struct bf_err *err);
	/* The partitions recorded as committed (bf_target_loads). */
	int (*loads)(struct bf_target *t,
		     int (*fn)(void *arg, const char *location, const char *date, const char *source),
		     void *arg, struct bf_err *err);
};

/* The key of def as the targets record it (_bf_streams.key_properties): a JSON array of
 * its names, in b (reset first). Returns b's text. */
const char *bf_target_keys_json(const struct bf_stream_def *def, struct bf_buf *b);

/* The first member of every backend's own struct. */
struct bf_target {
	const struct bf_target_ops *ops;
	char *display;             /* for messages; no credentials */
};

int bf_target_sqlite_open(const char *path, const struct bf_target_opts *o, struct bf_target **out,
			  struct bf_err *err);
int bf_target_pg_open(const char *url, const struct bf_target_opts *o, struct bf_target **out,
		      struct bf_err *err);
int bf_target_dir_open(const char *path, const struct bf_target_opts *o, struct bf_target **out,
		       struct bf_err *err);

#endif
