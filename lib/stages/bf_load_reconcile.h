/* The target is the truth: the state file corrected from what a target records as
 * committed (its _bf_loads, targets/bf_target.h bf_target_loads). A partition the state
 * file marks loaded or closed whose (location, date) the target lacks (deleted behind
 * bf's back, lost by a power cut, or never loaded into this target) is marked pending
 * again, with the reason in last_error, so that the planners (bf-extract's and bf-run's
 * skip of done partitions) take it on again. bf-load runs it when it starts; a planner
 * (bf-run) calls bf_load_reconcile_spec with its source before it reads the state file.
 *
 * Which partitions: those of source, or with source NULL those of every source the
 * target holds at least one partition of (a target knows nothing of sources it never
 * loaded). The state file is read before the target, and a partition is only corrected if
 * its row did not change meanwhile, so that a loader committing at the same time (its
 * target commit comes before its state mark) is never undone. Nothing is owned across calls. */
#ifndef BF_LOAD_RECONCILE_H
#define BF_LOAD_RECONCILE_H

#include "base/bf_log.h"
#include "state/bf_state.h"
#include "targets/bf_target.h"

/* Corrects st from t; calls fn (if not NULL) for each partition marked pending again.
 * Returns 0 or an exit code. */
int bf_load_reconcile(struct bf_state *st, struct bf_target *t, const char *source,
		      void (*fn)(void *arg, const char *source, const char *location, const char *date),
		      void *arg, long long *corrected, struct bf_err *err);

/* The same for a target given by its spec (opened and closed here): the call for bf-run. */
int bf_load_reconcile_spec(struct bf_state *st, const char *spec, const struct bf_target_opts *o,
			   const char *source, long long *corrected, struct bf_err *err);

#endif
