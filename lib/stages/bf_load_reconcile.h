/* The target is the truth: the state file corrected from what a target records as
 * committed (its _bf_loads, targets/bf_target.h bf_target_loads). A partition is done for
 * a target when the state file's loads table says so for that target's key (or in a load
 * recorded before targets were, target ''). When the target lacks such a partition
 * (deleted behind bf's back, lost by a power cut), the rows that say so are deleted (the
 * target's own and a '' one), and the partition's status becomes pending, the reason in
 * last_error, unless another target still holds it: the planners (bf-run, and bf-extract
 * with --target or BF_TARGET; without a target, bf-extract goes by the status) take it on
 * again for that target only.
 *
 * A load recorded before targets were says nothing of where it went: it is taken for the
 * target's when the target holds at least one other partition known only that way (the
 * warehouse those loads went to), and left alone otherwise (a warehouse loaded later).
 *
 * bf-load runs it when it starts (every source); bf-run runs it for its source before it
 * plans, and --dry-run only looks (the target opened read-only). The state file is read
 * before the target, and a row is only deleted if it did not change meanwhile, so that a
 * loader committing at the same time (its target commit comes before its state mark) is
 * never undone. Nothing is owned across calls. */
#ifndef BF_LOAD_RECONCILE_H
#define BF_LOAD_RECONCILE_H

#include "base/bf_log.h"
#include "state/bf_state.h"
#include "targets/bf_target.h"

/* A partition the state file calls done in the target that the target lacks. */
struct bf_reconcile_miss {
	const char *source, *location, *date;
	int elsewhere;             /* another target is recorded as holding it: its status stays */
};
typedef void (*bf_reconcile_fn)(void *arg, const struct bf_reconcile_miss *m);

/* Corrects st from t, whose key in the loads table is key (targets/bf_target.h
 * bf_target_key), for source (NULL: every source); calls fn (if not NULL) for each
 * partition corrected, and sets *corrected (if not NULL) to their count. Returns 0 or an
 * exit code. */
int bf_load_reconcile(struct bf_state *st, struct bf_target *t, const char *key, const char *source,
		      bf_reconcile_fn fn, void *arg, long long *corrected, struct bf_err *err);

/* The same for the target of spec (opened read-only and closed here): the call of bf-run. */
int bf_load_reconcile_spec(struct bf_state *st, const char *spec, const struct bf_target_opts *o,
			   const char *key, const char *source, bf_reconcile_fn fn, void *arg,
			   long long *corrected, struct bf_err *err);

/* What bf_load_reconcile_spec would correct, written nowhere (bf-run --dry-run): the state
 * file read through db (path for messages; legacy: a file of version 1, without the loads
 * table, read as its migration will make it), the target opened read-only. */
int bf_load_reconcile_peek(sqlite3 *db, const char *path, int legacy, const char *spec,
			   const struct bf_target_opts *o, const char *key, const char *source,
			   bf_reconcile_fn fn, void *arg, long long *found, struct bf_err *err);

#endif
