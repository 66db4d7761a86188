/* Business-closure detection: decides whether a partition (location, date) was a day the
 * business was open, closed (with a reason) or cannot be judged yet (pending), from what
 * the day's data holds and from the location's own history in the state file.
 *
 * bf_closure_decide() is pure (no I/O): it takes the observations of one day (with what
 * the day is measured by: bf_closure_learn.h), the history of the previous weeks and the
 * settings, and fills a verdict whose evidence tree the caller owns
 * (bf_closure_verdict_free). bf_closure_history_load() reads the history from
 * the state file and bf_closure_store() writes a verdict there. bf_closure_run() is the
 * whole middle stage (bf-closure) on top of bf_filter. Strings in the verdict are static
 * except the evidence and the expected-stream list, which the verdict owns. */
#ifndef BF_CLOSURE_H
#define BF_CLOSURE_H

#include <stddef.h>
#include <stdint.h>
#include <cjson/cJSON.h>

#include "base/bf_log.h"
#include "state/bf_state.h"

#define BF_CLOSURE_MAX_MEMORY_DEFAULT (64u << 20)

struct bf_closure_cfg {
	int32_t today;             /* day number; pending from today - due_days + 1 on */
	int due_days;              /* an export of D is due due_days after D (default 1) */
	int baseline_weeks;        /* K: history window in weeks (default 8) */
	double activity_fraction;  /* relative thresholds (default 0.1) */
	double sales_fraction;
	long long expect_files;    /* < 0: learn from history */
	char **expect_streams;     /* NULL: learn from history */
	size_t nexpect_streams;
	long long min_files;       /* absolute thresholds; < 0: not set */
	long long min_rows;
	double min_sales;
	int have_min_sales;
	const char *activity_stream;   /* --activity-stream; NULL: learned (bf_closure_learn) */
	const char *amount_stream;     /* --amount-column's stream and column; NULL: learned */
	const char *amount_column;
	const char *void_column;       /* rows of the amount stream with a true value here are
					* left out of sales ("voided"); NULL or "" for none */
};

/* Fills the defaults (today from the clock). */
void bf_closure_cfg_init(struct bf_closure_cfg *c);

struct bf_closure_stream {
	char *name;
	long long rows;            /* records of the stream on the day */
	int has_file;              /* a file of the stream was read */
};

struct bf_closure_measure;

struct bf_closure_obs {
	const char *kind;          /* "table": a table's partition (no file rules); NULL: files */
	const char *folder;        /* present, empty, missing; NULL when the STATE does not say */
	long long files;           /* files read; < 0 when the STATE does not say */
	const struct bf_closure_stream *streams;
	size_t nstreams;
	/* what the day is measured by (bf_closure_learn): without an activity stream that is
	 * in the export, low_activity is not judged; without an amount column, low_sales */
	const struct bf_closure_measure *measure;
	long long activity_rows;   /* rows of the measure's activity stream */
	double sales;              /* sum of the measure's amount column */
	int have_sales;            /* the amount column was found in at least one record */
	long long bad_amounts;     /* amounts that were not numbers (left out of the sum) */
	long long voided;          /* rows left out of the sum as voided */
	const char *const *seen_streams;  /* streams this process has seen a SCHEMA of */
	size_t nseen;
};

/* Open days of the previous K weeks (before the date being judged). */
struct bf_closure_day {
	int32_t date;
	double rows;               /* activity rows; < 0 unknown */
	double sales;              /* < 0 unknown */
	double files;              /* < 0 unknown */
};
struct bf_closure_history {
	struct bf_closure_day *days;
	size_t n;
	char **streams;            /* streams with a file on those days */
	size_t nstreams;
};
void bf_closure_history_free(struct bf_closure_history *h);

struct bf_closure_verdict {
	const char *verdict;       /* "open", "closed", "pending" */
	const char *reason;        /* NULL, "no_files", "insufficient_files", "low_activity", "low_sales" */
	cJSON *evidence;           /* owned */
	char **expected;           /* expected streams (for closure markers), owned */
	size_t nexpected;
	int activity_skipped;      /* low_activity would have been judged, but nothing measured it */
	int sales_skipped;         /* low_sales likewise */
};
void bf_closure_verdict_free(struct bf_closure_verdict *v);

/* Decides the day's verdict. Never fails. */
void bf_closure_decide(const struct bf_closure_cfg *cfg, int32_t date,
		       const struct bf_closure_obs *obs, const struct bf_closure_history *h,
		       struct bf_closure_verdict *v);

/* Median of v[0..n) (sorts v); NAN when n == 0. */
double bf_closure_median(double *v, size_t n);
/* Parses a money string ("1,234.50", "$12.50", "-3", "(4.00)", "12.5 EUR"); 0 or -1. */
int bf_closure_money(const char *s, size_t len, double *out);

/* Reads the open days of (source, location) in [date - 7*weeks, date) from the state file;
 * their rows are known only where activity_stream was measured, their sales only where
 * amount ("stream.column") was (NULL: where none was). */
int bf_closure_history_load(struct bf_state *st, const char *source, const char *location,
			    int32_t date, int weeks, const char *activity_stream, const char *amount,
			    struct bf_closure_history *h, struct bf_err *err);
/* Stores (replaces) the verdict of (source, location, date). */
int bf_closure_store(struct bf_state *st, const char *source, const char *location,
		     const char *date, const struct bf_closure_verdict *v, struct bf_err *err);

struct bf_closure_opts {
	struct bf_closure_cfg cfg;
	const char *state_path;
	const char *history_path;  /* the history (open days, days to learn from) read from this
				    * state file instead (bf-closure --rejudge's); NULL: state_path */
	const char *args;
	size_t max_line;           /* 0: default */
	size_t max_memory;         /* 0: default */
};

/* The middle stage: reads messages from in_fd, writes them to out_fd. 0 or an exit code. */
int bf_closure_run(const struct bf_closure_opts *o, int in_fd, int out_fd, struct bf_err *err);

#endif
