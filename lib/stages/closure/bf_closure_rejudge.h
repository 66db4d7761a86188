/* bf-closure --rejudge: the verdicts of a sharded backfill judged again, in date order,
 * over every shard's evidence (docs/DESIGN.md, "Closures under shards").
 *
 * A shard judges a partition against the open days of the window that it loaded itself,
 * about 1/N of them. The shards' state files hold each partition's observations (the
 * closures table's evidence.observed, and the files table); judging every partition of a
 * location again from those, date by date, with the window's verdicts as judged again, gives
 * the verdicts of one run in date order without reading the data again, as long as the
 * measure a shard learned (the activity stream, the amount column) is the one of that run:
 * the stored observations are of that measure. The measure is taken from each verdict's
 * evidence; options that name it (--activity-stream, --amount-column) make it certain.
 *
 * Everything it reads is borrowed; what it writes goes to the history file (a state file,
 * created): the files rows of every shard and the verdicts judged again, which a fix-up run
 * of the partitions that changed reads with bf-closure --history. */
#ifndef BF_CLOSURE_REJUDGE_H
#define BF_CLOSURE_REJUDGE_H

#include <stddef.h>
#include <stdio.h>

#include "base/bf_log.h"
#include "stages/closure/bf_closure.h"

/* Judges again the verdicts of the state files states[0..n) into the history file
 * history_path, and writes one line per partition whose verdict or reason changed to out:
 * "STATE-FILE<TAB>SOURCE<TAB>LOCATION<TAB>DATE<TAB>OLD<TAB>NEW" (a verdict with its reason
 * after a slash: closed/low_sales). *judged and *changed count the partitions. Returns 0 or
 * an exit code with err filled. */
int bf_closure_rejudge(const struct bf_closure_cfg *cfg, const char *history_path, char *const *states,
		       size_t n, FILE *out, long long *judged, long long *changed, struct bf_err *err);

#endif
