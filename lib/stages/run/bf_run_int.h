/* What the files of bf-run's core share; private to lib/stages/run (callers include
 * stages/run/bf_run.h). One struct ctx per bf_run_run: it owns every array and string it
 * points to except the options (borrowed), and bf_run.c frees them all at the end.
 *
 *   bf_run.c          the entry: plan, then run or show it; what is left at the end
 *   bf_run_opts.c     the options' defaults and string vectors (bf_run.h)
 *   bf_run_plan.c     the dates of the source and their status in the state file
 *   bf_run_dryrun.c   the plan shown by --dry-run (text or JSON)
 *   bf_run_claims.c   this run's claims on its dates (state/bf_claims.h) and their lease
 *   bf_run_record.c   what bf-run writes: the round's transaction, outcomes, partitions
 *   bf_run_stages.c   which programs make the pipeline, with which arguments
 *   bf_run_jobs.c     one pipeline per batch: starting it and judging its dates after
 *   bf_run_loop.c     the main loop: signals, batches, waiting
 *   bf_run_alerts.c   alerts (failure rate, error burst, throughput drop)
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

#include "base/bf_child.h"
#include "base/bf_log.h"
#include "base/bf_progress.h"
#include "base/bf_retry.h"
#include "stages/run/bf_run.h"
#include "state/bf_claims.h"
#include "state/bf_state.h"

#define MAX_JOBS 256

/* What the state file says of a date (item.plan). */
enum { P_NEW, P_FAILED, P_DONE, P_PENDING };

/* Where a date is in this run (item.st). */
enum { RS_SKIP, RS_TODO, RS_RUNNING, RS_OK, RS_FAILED, RS_INTERRUPTED, RS_ELSEWHERE };

struct item {
	int32_t day;
	char iso[11];
	int plan;
	int nrows, nloaded, nclosed, npending, nfailed;
	int nmine;                 /* rows written by this run's stages */
	long long attempts, loaded_rows;
	char *last_error;          /* from the state file */
	int st;                    /* RS_* */
	int tries;
	int64_t not_before;
	int64_t t0;
	int busy;                  /* claimed by another live run when last looked */
	int solo;                  /* its batch failed: run it in a pipeline of its own */
	char holder[64];
	int code;
	char stage[32];
	char *error;
	long long rows;
	int closed;
	long long ms;
};

struct job {
	struct bf_pipeline p;
	size_t *items;
	size_t n;
	char **first_argv;         /* bf-extract's (or the shell's) with this batch's dates */
	char *dates_arg;
	int interrupted;
	int64_t t0;
};

struct stage {
	const char *name;
	char *path;
	struct bf_strv argv;
};

struct ctx {
	const struct bf_run_opts *o;
	struct bf_state *st;       /* NULL in a dry run */
	sqlite3 *db;               /* st->db, or a read-only connection in a dry run */
	char *canon;
	char **locs;
	size_t nloc;
	struct item *it;
	size_t n;
	size_t *order;             /* the order to work in */
	struct stage stages[4];
	size_t nstages;
	char **src_args;           /* bf-extract's source options (in stages[0].argv) */
	size_t nsrc_args;
	size_t batch;              /* dates per pipeline */
	struct job jobs[MAX_JOBS];
	size_t njobs;
	struct bf_claimant me;    /* this process, in the claims table */
	struct bf_progress prog;
	struct bf_retry retry;
	char *env[4];
	/* counters for this run */
	size_t todo, processed, ok, closed, failed, interrupted, elsewhere, skipped;
	long long rows;
	int64_t t0;
	int64_t last_renew;
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
	sigset_t waitmask;         /* the signal mask while waiting (ours blocks them otherwise) */
};

/* bf_run_plan.c */
/* Opens the source: its canonical name, its locations, and with --all its first and last
 * dates (*lo, *hi). */
int run_discover(struct ctx *c, int32_t *lo, int32_t *hi, struct bf_err *err);
struct item *run_find_item(struct ctx *c, const char *iso);
/* Reads partitions of the dates from..to (ISO) into the items and classifies them. */
int run_load_status(struct ctx *c, const char *from, const char *to, struct bf_err *err);
/* With --retry-failed and no dates: every date that failed for this source. */
size_t run_failed_dates(struct ctx *c, int32_t **out);
size_t run_batch_size(const struct bf_run_opts *o, size_t todo);

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

/* bf_run_stages.c */
int run_setup_stages(struct ctx *c, struct bf_err *err);

/* bf_run_jobs.c */
int run_start_job(struct ctx *c, size_t *batch, size_t nb, struct bf_err *err);
void run_finish_job(struct ctx *c, struct job *j);

/* bf_run_loop.c */
/* Signals seen (SIGINT, SIGTERM, SIGHUP) since the loop began. */
extern volatile sig_atomic_t run_signals_seen;
/* Runs every date to do, max_workers pipelines at once, until done or stopped. */
int run_loop(struct ctx *c, struct bf_err *err);

/* bf_run_alerts.c */
void run_check_alerts(struct ctx *c, struct item *t, int failed, double batch_rate);
void run_reap_alerts(struct ctx *c, int block);

/* bf_run_summary.c */
void run_show_progress(struct ctx *c, int force);
void run_summary(struct ctx *c, double secs);
/* a as a percentage of b (0 when b is 0) */
double run_pct(size_t a, size_t b);

/* bf_run_log.c */
/* Writes the JSON log unless --no-log. A failure to write it becomes *rc and *err when *rc
 * is 0 (the caller prints it), else it is printed here. */
void run_log(struct ctx *c, int *rc, const char *started, double secs, struct bf_err *err);

#endif
