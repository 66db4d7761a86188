/* What the files of bf-run's core share; private to lib/stages/run (callers include
 * stages/run/bf_run.h). One struct ctx per bf_run_run: it owns every array and string it
 * points to except the options (borrowed), and bf_run.c frees them all at the end.
 *
 *   bf_run.c          the entry: plan, then run or show it; what is left at the end
 *   bf_run_opts.c     the options' defaults and string vectors (bf_run.h)
 *   bf_run_open.c     the state file: read-write, or read-only for --dry-run (same refusals)
 *   bf_run_plan.c     the dates of the source and where each stands in the target
 *   bf_run_shard.c    --shard: the dates and locations of this shard's partitions
 *   bf_run_batch.c    dates per pipeline: fixed, or adapted to the time per date
 *   bf_run_dryrun.c   the plan shown by --dry-run (text or JSON)
 *   bf_run_claims.c   this run's claims on its dates (state/bf_claims.h) and their lease
 *   bf_run_record.c   what bf-run writes: the round's transaction, outcomes, partitions,
 *                     the run_progress row
 *   bf_run_stages.c   which programs make the pipeline, with which arguments
 *   bf_run_jobs.c     one pipeline per batch: starting it and judging its dates after
 *   bf_run_states.c   the STATE lines the last stage writes as partitions commit, and the
 *                     progress figures (done, share, ETA)
 *   bf_run_breaker.c  the circuit breaker: a pause, then a probe, when a cause repeats
 *   bf_run_loop.c     the main loop: signals, batches, waiting
 *   bf_run_alerts.c   alerts (failure rate, error burst, throughput drop, breaker)
 *   bf_run_summary.c  the progress line and the summary on stderr
 *   bf_run_log.c      the JSON log */
#ifndef BF_RUN_INT_H
#define BF_RUN_INT_H

#include <cjson/cJSON.h>
#include <signal.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/bf_buf.h"
#include "base/bf_child.h"
#include "base/bf_log.h"
#include "base/bf_progress.h"
#include "base/bf_retry.h"
#include "stages/run/bf_run.h"
#include "state/bf_claims.h"
#include "state/bf_state.h"

#define MAX_JOBS 256

/* What the state file says of a date for this target (item.plan). */
enum { P_NEW, P_FAILED, P_DONE, P_PENDING };

/* Where a date is in this run (item.st). */
enum { RS_SKIP, RS_TODO, RS_RUNNING, RS_OK, RS_FAILED, RS_INTERRUPTED, RS_ELSEWHERE };

/* One location of a date, as the state file has it. */
struct locstat {
	char pstatus;              /* partitions.status: 0 no row, 'p' pending, 'r' running,
				    * 'l' loaded, 'c' closed, 'f' failed */
	char tstatus;              /* committed in the target (loads): 0 no, 'l', 'c' or 'p' */
	char tmine;                /* ... by a bf-load of this run */
	long long attempts, rows, trows, tmarkers;  /* rows: extracted; trows: committed */
};

struct item {
	int32_t day;
	char iso[11];
	int plan;
	struct locstat *ls;        /* one per location of ctx.locs */
	unsigned char *own;        /* per location: this shard's partition (NULL: not sharded) */
	int nown;                  /* the date's partitions this run works on */
	int nrows;                 /* locations with a partitions row */
	long long attempts;
	long long quarantined;     /* rows quarantined by this run's stages */
	char *last_error;          /* from the state file */
	int st;                    /* RS_* */
	int tries;
	int64_t not_before;
	int64_t t0;
	int busy;                  /* claimed by another live run when last looked */
	int solo;                  /* its batch failed: run it in a pipeline of its own */
	int streak;                /* the breaker's streak that counted it (bf_run_breaker.c) */
	char holder[64];
	int code;
	char stage[32];
	char *error;
	/* what this run did with the date, once judged */
	long long rows, markers, extracted;
	int parts_closed;          /* its locations closed */
	int parts_loaded;          /* its locations committed (a failed date: partly loaded) */
	long long ms;
};

/* The STATE lines of a running pipeline, counted as its partitions commit. */
struct live {
	int fd;                    /* read end of the last stage's stdout, -1 once closed */
	struct bf_buf part;        /* the unfinished line */
	long long parts, closed, empty, rows, quarantined;
};

struct job {
	struct bf_pipeline p;
	size_t *items;
	size_t n;
	char **first_argv;         /* bf-extract's (or the shell's) with this batch's dates */
	char *dates_arg;
	int interrupted;
	int probe;                 /* the circuit breaker's probe */
	int64_t t0;
	struct live live;
};

struct stage {
	const char *name;
	char *path;
	struct bf_strv argv;
};

/* The circuit breaker (bf_run_breaker.c). */
enum { BRK_CLOSED, BRK_OPEN, BRK_PROBING };
struct breaker {
	int state;
	char stage[32];            /* the cause: a stage and a retryable exit */
	int code;
	int count;                 /* dates in a row whose pipelines failed with it */
	int streak;                /* numbers the runs of such failures (item.streak) */
	int probes;                /* probes that failed with it since it opened */
	int opened;                /* times it opened in this run */
	int stopped;               /* it stopped the run */
	int64_t until;             /* open: no probe before this (monotonic ms) */
	int64_t since;             /* when it last opened */
	char last[512];            /* the last error line of the cause */
};

struct ctx {
	const struct bf_run_opts *o;
	struct bf_state *st;       /* NULL in a dry run */
	sqlite3 *db;               /* st->db, or a read-only connection in a dry run */
	int has_loads;             /* the state file has the loads table (version 2 on) */
	char *canon;
	char *target_key;          /* the target in the loads table; NULL: any target */
	char **locs;
	size_t nloc;
	struct item *it;
	size_t n;
	size_t *order;             /* the order to work in */
	struct stage stages[4];
	size_t nstages;
	char **src_args;           /* bf-extract's source options (in stages[0].argv) */
	size_t nsrc_args;
	size_t batch;              /* most dates per pipeline */
	size_t batch_now;          /* dates per pipeline now (adapted unless --batch-size) */
	double ms_per_date;        /* measured, 0 until a pipeline ended */
	struct job jobs[MAX_JOBS];
	size_t njobs;
	struct bf_claimant me;    /* this process, in the claims table */
	struct bf_progress prog;
	struct bf_retry retry;
	struct breaker brk;
	char *env[6];              /* BF_RUN_ID, BF_STATE, BF_TARGET, BF_SHARD, GLIBC_TUNABLES:
				    * NULL-ended */
	char shard_arg[32];        /* "K/N" with --shard, else "" */
	/* counters for this run */
	size_t todo, processed, ok, failed, interrupted, elsewhere, skipped;
	long long parts_todo;      /* partitions of the dates to do (this shard's) */
	long long parts_elsewhere; /* ... of those done by another run meanwhile */
	size_t dates_closed;       /* dates closed at every location */
	size_t partly;             /* failed dates that some locations committed */
	long long parts_done;      /* partitions of the dates judged (progress) */
	long long parts_committed, parts_closed, rows, markers, extracted, quarantined;
	size_t quarantined_dates;
	int64_t t0;
	int64_t last_renew, last_progress_write;
	/* alerts */
	cJSON *alerts;
	int alerted_rate;
	int64_t last_drop_alert, last_burst_alert;
	double *rates;
	size_t nrates;
	int64_t *fail_times;
	size_t nfail_times;
	pid_t alert_pids[32];
	size_t nalert_pids;
	int color;
	int in_txn;                /* a write transaction of ours is open */
	int stopping;              /* no new pipelines: a signal, an error or the breaker */
	sigset_t waitmask;         /* the signal mask while waiting (ours blocks them otherwise) */
};

/* bf_run_open.c */
/* Opens the state file for the run (created and migrated), or read-only for a dry run,
 * which refuses what the run would refuse, with the same exit codes. */
int run_open_state(struct ctx *c, const char *path, struct bf_err *err);

/* Whether the run works on location k of the date (the shard's, or every one). */
static inline int run_owns(const struct item *t, size_t k)
{
	return !t->own || t->own[k];
}

/* bf_run_plan.c */
/* Opens the source: its canonical name, its locations, and with --all its first and last
 * dates (*lo, *hi). */
int run_discover(struct ctx *c, int32_t *lo, int32_t *hi, struct bf_err *err);
struct item *run_find_item(struct ctx *c, const char *iso);
/* Reads the partitions and loads of the dates from..to (ISO) into the items and
 * classifies them. */
int run_load_status(struct ctx *c, const char *from, const char *to, struct bf_err *err);
/* A partition the target lacks though the state file calls it done there (read
 * already): no longer committed there, and pending unless another target holds it. */
void run_plan_missing(struct ctx *c, const char *location, const char *date, int elsewhere);
/* With --retry-failed and no dates: every date that failed for this source. */
size_t run_failed_dates(struct ctx *c, int32_t **out);

/* bf_run_reconcile.c */
/* The target is the truth (stages/bf_load_reconcile.h): the state file corrected from
 * the target for this source (--dry-run: only looked at), and the plan with it. */
int run_reconcile(struct ctx *c, const char *path, struct bf_err *err);
/* Every location committed in the target (by this run when mine). */
int run_item_committed(const struct ctx *c, const struct item *t, int mine);
/* Locations of the item committed in the target by this run. */
int run_item_mine(const struct ctx *c, const struct item *t);

/* bf_run_shard.c */
/* With --shard, keeps the days that hold a partition of this shard (days compacted);
 * returns how many. */
size_t run_shard_days(const struct ctx *c, int32_t *days, size_t n);
/* The date's share of the run: item.own (with --shard) and item.nown. */
void run_shard_item(const struct ctx *c, struct item *t);

/* bf_run_batch.c */
/* The most dates per pipeline (--batch-size, else from the plan) and the first size. */
void run_batch_init(struct ctx *c);
/* A pipeline of nb dates ended after ms with ndone dates done: adapt the size. */
void run_batch_measure(struct ctx *c, size_t nb, size_t ndone, int64_t ms);

/* bf_run_dryrun.c */
int run_dry_run(struct ctx *c);

/* bf_run_claims.c */
enum { CLAIM_OK, CLAIM_BUSY, CLAIM_DONE };
/* Marks the dates that other live runs hold (plan and dry run). */
void run_look_at_claims(struct ctx *c);
/* Takes the date for this run, or says who has it (BUSY) or that it got done meanwhile (DONE). */
int run_claim(struct ctx *c, struct item *t, int *res, struct bf_err *err);
void run_release(struct ctx *c, struct item *t);
void run_renew(struct ctx *c);

/* bf_run_record.c */
int run_txn_begin(struct ctx *c, struct bf_err *err);
int run_txn_commit(struct ctx *c, struct bf_err *err);
void run_record_date(struct ctx *c, struct item *t, const char *outcome);
void run_mark_partitions(struct ctx *c, struct item *t, const char *status, const char *error);
/* The run_progress row: what the progress line shows (state: running, paused, stopping,
 * finished; NULL: as the run stands); at most once a second unless force. */
void run_record_progress(struct ctx *c, const char *state, int force);

/* bf_run_stages.c */
int run_setup_stages(struct ctx *c, struct bf_err *err);

/* bf_run_jobs.c */
int run_start_job(struct ctx *c, size_t *batch, size_t nb, int probe, struct bf_err *err);
void run_finish_job(struct ctx *c, struct job *j);

/* bf_run_states.c */
/* Reads what the job's last stage wrote (without blocking) and counts the STATE lines of
 * committed partitions; at EOF the fd is closed. */
void run_read_states(struct job *j);
/* The committed-but-not-yet-judged figures of every running job, added up. */
void run_live_totals(const struct ctx *c, struct live *sum);
/* The progress: partitions done (judged, or committed in a running pipeline) of those
 * planned, their share, rows and closed partitions; returns the ETA in seconds (< 0
 * unknown). */
double run_eta(const struct ctx *c, double *share, long long *done, long long *rows, long long *closed);

/* bf_run_breaker.c */
/* A pipeline ended with a retryable failure of stage (exit code, last line). Returns 1
 * when the breaker is open (the caller gives the dates back without spending a try).
 * Dates count once: one date retried is not a run-wide cause. */
int run_breaker_failure(struct ctx *c, const struct job *j, const char *stage, int code, const char *line);
/* A date was done: the cause is gone. */
void run_breaker_success(struct ctx *c);
/* Whether new pipelines may start now: 0 no (*wake set), 1 yes, 2 only one probe date. */
int run_breaker_gate(struct ctx *c, int64_t now, int64_t *wake);
/* The run was stopped by the breaker: 69 with err filled, else 0. */
int run_breaker_verdict(struct ctx *c, struct bf_err *err);

/* bf_run_loop.c */
/* Signals seen (SIGINT, SIGTERM, SIGHUP) since the loop began. */
extern volatile sig_atomic_t run_signals_seen;
/* Runs every date to do, max_workers pipelines at once, until done or stopped. */
int run_loop(struct ctx *c, struct bf_err *err);

/* bf_run_alerts.c */
void run_alert(struct ctx *c, const char *kind, double value, double threshold, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
void run_check_alerts(struct ctx *c, struct item *t, int failed, double batch_rate);
void run_reap_alerts(struct ctx *c, int block);

/* bf_run_summary.c */
void run_show_progress(struct ctx *c, int force);
void run_summary(struct ctx *c, double secs);
/* a as a percentage of b (0 when b is 0) */
double run_pct(size_t a, size_t b);

/* bf_run_log.c */
/* Writes the JSON log (mode 0600) unless --no-log. A failure to write it becomes *rc and
 * *err when *rc is 0 (the caller prints it), else it is printed here. */
void run_log(struct ctx *c, int *rc, const char *started, double secs, struct bf_err *err);

#endif
