/* What the files of bf-enrich share (lib/stages/enrich/ only): the plan of a stream, the
 * partitions, the queue of held messages, the batches, and the run's context that owns
 * them all. A plan owns its columns; the context owns plans, partitions, queue and
 * batches, and frees them at the end of bf_enrich_run. */
#ifndef BF_ENRICH_INT_H
#define BF_ENRICH_INT_H

#include <stddef.h>
#include <sqlite3.h>

#include "base/bf_buf.h"
#include "model/bf_model.h"
#include "proto/bf_colmap.h"
#include "proto/bf_filter.h"
#include "proto/bf_jsonscan.h"
#include "stages/enrich/bf_derive.h"
#include "stages/enrich/bf_enrich.h"
#include "state/bf_state.h"

/* ---- plans (bf_enrich_plan.c) */

struct pcol {
	char *name;
	size_t nlen;
	int derive;                /* enum bf_enrich_dkind, or -1 */
	int always;                /* add the derived fields even when the column is absent */
	char *oname[4];            /* the derived members' names ("col_iso"; "col_iso_2" when the
				      data has a column of that name) */
	char *mname[4];            /* the same as JSON ("\"col_iso\":") */
	size_t mlen[4];
};

/* What a member of a record is, besides a column of the plan (bf_colmap's col). */
#define KS_NONE (-1)
#define KS_DATE (-2)
#define KS_LOC (-3)

struct plan {
	char *stream;
	struct pcol *cols;
	int ncols;
	struct bf_enrich_task **tasks;
	int ntasks, nmodel;
	int **tcols;               /* per task: its columns' indexes in cols */
	char **tout;               /* per task: its member's name in this stream (the task's out,
				      suffixed when the data has a column of that name) */
	int declared;              /* a SCHEMA declared the stream */
	size_t slen;               /* strlen(stream) */
	struct bf_colmap map;      /* member position -> column index, or KS_NONE, KS_DATE, KS_LOC */
	struct plan *older;        /* plans replaced by a later SCHEMA (held records use them) */
};

struct ctx;
/* The plan of a stream for its SCHEMA's properties (NULL when it has none). */
struct plan *bf_enrich_plan_build(struct bf_enrich_opts *o, int auto_on, const char *stream,
				  const cJSON *props);
/* Frees p and the plans it replaced. */
void bf_enrich_plan_free(struct plan *p);
/* The column of p named name[0..n), or -1. */
int bf_enrich_plan_find_col(struct plan *p, const char *name, size_t n);
/* The plan of the stream s[0..n), built without a SCHEMA when there is none yet. */
struct plan *bf_enrich_plan_for(struct ctx *c, const char *s, size_t n);

/* ---- the run's state */

struct unparsed { char *key; long long n; };

struct part {
	char *loc, *date;          /* NULL for records without lineage */
	size_t loclen, datelen;
	long long records, enriched_cached, inputs, passed_errors, unparsed_total;
	long long requests, prompt_tokens, completion_tokens, failed_inputs;
	struct unparsed *unparsed;
	int nunparsed;
	int failed;                /* exit code of the first failure (without --on-error=pass) */
	char *error;
	int closed;
	struct part *next;
};

struct held {
	int is_record;
	char *line;                /* owned copy; a raw message when !is_record */
	size_t len;
	struct bf_json_span rs;
	struct plan *plan;
	char *members;             /* derived members (offline) */
	size_t mlen;
	char **res;                /* per task of the plan: a JSON text, or NULL if waiting */
	int waiting;
	char *error;
	struct part *part;
};

struct batch {
	struct bf_enrich_task *task;
	int n, cap;
	char **inputs;
	char **keys;
	struct held **recs;
	int *slot;
	struct part *part;
	struct bf_model_job job;
	struct batch *prev, *next;  /* dispatched and not answered yet */
};

/* One run of bf-enrich. */
struct ctx {
	struct bf_enrich_opts *o;
	struct batch *live;        /* dispatched batches awaiting their answer */
	int auto_on;
	struct bf_tz tz;
	struct plan **plans;
	int nplans;
	struct plan *last;
	struct part *parts, *cur;
	struct held **q;
	size_t qhead, qlen, qcap;  /* queue: q[qhead .. qhead+qlen) */
	size_t held_records, max_held;
	struct batch **open;       /* per task of o: the batch being filled */
	struct bf_filter *f;
	struct bf_model *model;
	struct bf_state *st;
	sqlite3_stmt *get, *put;
	char **cache_rows;         /* key, task key, output triples not yet written */
	size_t ncache_rows, cache_cap;
	int pass;
	int batch_size;
	int fatal;
	struct bf_err fatal_err;
	int fail_code;
	char fail_msg[512];
	long long dispatched;      /* batches sent to bf_model */
	long long total_records, total_unparsed, total_passed, total_cached, total_requests;
	struct bf_buf scratch, text, mem;
	struct bf_buf sname, lin;  /* a record's stream name; its location when escaped */
	float *vec;
	int vecdim;
};

/* A value as written (a raw JSON token); p NULL when absent. */
struct val {
	const char *p;
	size_t n;
	int esc;                   /* a string holding an escape */
};

/* ---- partitions (bf_enrich_part.c) */

/* The open partition of (loc, date) (date NULL: records without lineage), made if new. */
struct part *bf_enrich_part_get(struct ctx *c, const char *loc, size_t ll, const char *date,
				size_t dl);
/* Counts a value of stream.col that could not be derived. */
void bf_enrich_part_unparsed(struct ctx *c, struct part *p, const char *stream, const char *col);
/* Marks p failed with its first error (not with --on-error=pass). */
void bf_enrich_part_fail(struct ctx *c, struct part *p, int code, const char *msg);
/* Records p's failure in the state file's errors. */
void bf_enrich_part_failure(struct ctx *c, struct part *p, const char *source);
/* Adds p's usage since the last call to enrich_usage. */
void bf_enrich_part_usage(struct ctx *c, struct part *p);

/* ---- the answer cache (bf_enrich_cache.c) */

/* The cache key of a task's input: hex SHA-256 of model, task key and input. */
void bf_enrich_cache_key(struct ctx *c, const struct bf_enrich_task *t, const char *input,
			 char hex[65]);
/* The cached answer (malloc'ed) or NULL. */
char *bf_enrich_cache_get(struct ctx *c, const char *key);
/* Writes the rows kept so far. */
void bf_enrich_cache_flush(struct ctx *c);
/* Keeps the answers of a batch for the cache. */
void bf_enrich_cache_put_job(struct ctx *c, struct batch *b);

/* ---- the queue (bf_enrich_queue.c) */

void bf_enrich_q_push(struct ctx *c, struct held *h);
/* Writes a record with its derived members and answers. */
void bf_enrich_write_record(struct ctx *c, struct held *h);
void bf_enrich_held_free(struct held *h);
/* Writes what is complete at the head of the queue. */
void bf_enrich_emit_ready(struct ctx *c);
/* A message that must wait behind held records: queued (BF_FILTER_TAKEN), or
 * BF_FILTER_PASS when nothing is held. */
int bf_enrich_hold_raw(struct ctx *c, const char *line, size_t len);

/* ---- batches (bf_enrich_batch.c) */

void bf_enrich_batch_free(struct batch *b);
/* Takes b off the list of dispatched batches. */
void bf_enrich_batch_unlink(struct ctx *c, struct batch *b);
/* Sends the batch being filled for task ti. */
void bf_enrich_dispatch(struct ctx *c, int ti);
void bf_enrich_dispatch_all(struct ctx *c);
/* Moves answers along; with wait, waits a little for one. */
int bf_enrich_pump(struct ctx *c, int wait, struct bf_err *err);
/* Waits until every held message has left. */
int bf_enrich_drain(struct ctx *c, struct bf_err *err);

/* ---- records (bf_enrich_record.c) */

int bf_enrich_on_record(void *ctx, struct bf_filter *f, struct bf_msg *msg, struct bf_err *err);

#endif
