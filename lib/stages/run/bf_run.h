/* bf-run's core: plans a backfill date by date against the state file, then runs one
 * stage pipeline (bf-extract | bf-enrich | bf-closure | bf-load) per batch of dates,
 * max_workers at once, with claims so that two runs never work on the same date, retries
 * of retryable exits, a circuit breaker for a target or source that is down, signal
 * handling, progress (also in the state file's run_progress), a summary, a JSON log and
 * alerts. "Done" is asked of the target at hand (the state file's loads table).
 *
 * Ownership: struct bf_run_opts owns what its string vectors hold (bf_run_opts_free) and
 * borrows every other string and array it points to. */
#ifndef BF_RUN_H
#define BF_RUN_H

#include <stddef.h>

#include "base/bf_datesel.h"
#include "base/bf_log.h"
#include "base/bf_strv.h"
#include "sources/bf_source.h"

struct bf_run_opts {
	const char *source, *target;
	struct bf_source_opts src;  /* for discovery, and passed to every bf-extract */
	struct bf_strv locations;
	struct bf_datesel dates;
	int retry_failed, newest_first, force;
	int dry_run, json;
	int max_workers;           /* default 2 */
	int batch_size;            /* dates per pipeline; 0: adapted to the time per date */
	double batch_seconds;      /* the adapted batch aims at pipelines this long, default 30 */
	int retries;               /* retries of a retryable failure, default 3 */
	long retry_base_ms;        /* default 500 */
	double grace;              /* seconds after the first signal, < 0: wait */
	double lease;              /* claim lease in seconds, default 60 */
	int breaker_failures;      /* pipelines failing in a row with one retryable cause that
				    * pause the run; default 3, 0 off */
	double breaker_cooldown;   /* seconds paused before a probe, default 30 */
	int breaker_probes;        /* failed probes that stop the run (69), default 3 */
	int no_enrich, no_closure;
	struct bf_strv extract_args, enrich_args, closure_args, load_args;
	const char *exec_path;     /* look for stages here first */
	const char *shell_pipeline;  /* run this with shell -c per batch instead of the stages */
	const char *shell;         /* default /bin/sh */
	const char *state_path;
	const char *log_path;      /* NULL: bf-run-<UTC time>.json; "" or "-": none */
	int progress;              /* -1 quiet, 0 default, 1 always */
	int verbose;               /* copy the stages' stderr */
	const char *args;          /* for the runs table (secrets are masked when recorded) */
	double alert_failure_rate; /* percent; <= 0 off */
	double alert_throughput_drop;
	int alert_burst;           /* failures ... */
	double alert_burst_window; /* ... within this many seconds */
	struct bf_strv alert_cmd;
};

void bf_run_opts_init(struct bf_run_opts *o);
/* Frees what o owns: its date selection, source options and string vectors. */
void bf_run_opts_free(struct bf_run_opts *o);
/* Returns 0 when every selected date is done, 1 when some failed, 75 when interrupted,
 * or the code of what stopped the run. */
int bf_run_run(const struct bf_run_opts *o, struct bf_err *err);

#endif
