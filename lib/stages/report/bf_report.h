/* bf-report's core: reads a state file read-only (it is never created or changed) and
 * writes what a backfill did as text, JSON, Prometheus text exposition or one HTML page.
 *
 * bf_report_open() loads the partitions of the selection (source, locations, dates) into
 * memory once; every writer works from that and from short queries on the same read-only
 * connection. Ownership: struct bf_report owns its connection and everything it loaded;
 * bf_report_close(NULL) is a no-op. The options are borrowed during bf_report_open only. */
#ifndef BF_REPORT_H
#define BF_REPORT_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/bf_datesel.h"
#include "base/bf_log.h"

struct bf_report_opts {
	const char *state_path;    /* the state file (already resolved: --state, $BF_STATE, ...) */
	const char *const *state_paths;  /* or several (nstates > 1): read as one (state/bf_state_union.h) */
	size_t nstates;
	const char *source;        /* NULL: every source; a local folder is matched by its real path */
	const char *const *locations;  /* NULL or nlocations entries: only these locations */
	size_t nlocations;
	const struct bf_datesel *dates;  /* NULL or nothing selected: every date in the file */
};

/* One date of the selection, every location of it taken together. */
enum bf_day_status { BF_DAY_MISSING, BF_DAY_LOADED, BF_DAY_CLOSED, BF_DAY_FAILED, BF_DAY_PENDING };
extern const char *const bf_day_status_names[5];   /* "missing", "loaded", ... */

struct bf_report_day {
	int32_t date;
	enum bf_day_status status;  /* failed if any location failed, else pending (or running)
				      * if any is, else closed if all are, else loaded */
	int partitions;
	int closed;                 /* closed partitions (location-days): a loaded day with some
				      * is closed at some locations, "partly closed" */
	size_t first;               /* its partitions: parts[first .. first + partitions) */
	long long rows, loaded_rows, marker_rows, quarantined, attempts;
};

struct bf_report_part {
	char *source, *location, *status, *last_error, *folder;
	char *reason;              /* the closure reason of a closed partition, or NULL */
	char date[11];
	long long attempts, rows, loaded_rows, marker_rows, quarantined, duration_ms;  /* -1: unknown */
};

/* A partition found in several state files: the copy finished last counts. */
struct bf_report_conflict {
	char *source, *location, *date;
	char *states;              /* the files holding it, ", " between them */
	char *counted;             /* the file whose copy counts */
};

struct bf_report {
	void *db;                  /* sqlite3 *, read-only (several files: an in-memory snapshot) */
	char *path;                /* the file, or the files with ", " between them */
	char **states;             /* several files: each (the index in run ids, _bf_state) */
	size_t nstates;            /* 0 for one file */
	struct bf_report_conflict *conflicts;  /* in the selection, by date, source, location */
	size_t nconflicts;
	char *source;              /* canonical source of the filter, or NULL */
	struct bf_report_part *parts;  /* sorted by date, source, location */
	size_t nparts;
	struct bf_report_day *days;    /* one per selected date, sorted */
	size_t ndays;
	int32_t *selected;         /* the selected dates, sorted */
	size_t nselected;
	int explicit_sel;          /* dates were chosen (not --all or nothing) */
	char **locations;          /* the --location filter */
	size_t nlocations;
	int run_ms;                /* runs.duration_ms exists (schema version 2 on) */
};

/* Opens path read-only. BF_ENOINPUT when it does not exist, BF_ECONFIG when it is newer
 * than this bf, BF_EDATA when it is not a state file, BF_ETEMP when locked. */
int bf_report_open(const struct bf_report_opts *o, struct bf_report **out, struct bf_err *err);
void bf_report_close(struct bf_report *r);

/* The writers: json 1 for one JSON document (stable keys, see bf-report(1)), 0 for text.
 * color: ANSI colours in text (calendar). Each returns 0 or an exit code with err filled
 * (BF_EIO when out fails). */
int bf_report_summary(struct bf_report *r, int json, FILE *out, struct bf_err *err);
int bf_report_dates(struct bf_report *r, int json, FILE *out, struct bf_err *err);
int bf_report_metrics(struct bf_report *r, int json, FILE *out, struct bf_err *err);
int bf_report_calendar(struct bf_report *r, int json, int color, FILE *out, struct bf_err *err);
int bf_report_closures(struct bf_report *r, int json, FILE *out, struct bf_err *err);
int bf_report_prometheus(struct bf_report *r, FILE *out, struct bf_err *err);
int bf_report_html(struct bf_report *r, FILE *out, struct bf_err *err);

/* Writes path atomically: calls write(arg, f, err) on path.tmp.<pid>, then renames it over
 * path (arg is the caller's, passed through). Returns 0 or an exit code (BF_EIO, or what
 * write returned). */
int bf_report_write_file(const char *path, int (*write)(void *arg, FILE *out, struct bf_err *err),
			 void *arg, struct bf_err *err);

#endif
