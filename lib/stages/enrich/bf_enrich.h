/* bf-enrich's core: configuration (flags and a JSON config file), the per-stream plan
 * of what to add, and the loop that adds it while keeping every message in input order.
 *
 * Derivations (offline) are computed as each record passes; model tasks (embeddings,
 * labels, prompts) are looked up in the cache of the state file and the misses batched
 * and sent concurrently (bf_model). Records wait in a queue, with the messages after
 * them, until their answers are in; at most 2 x batch x concurrency records are held.
 * A STATE waits until every record before it has left. Fields are spliced into the
 * record without re-printing it; SCHEMA and STATE lines are rewritten (rare).
 * struct bf_enrich_opts owns the specs added to it; bf_enrich_opts_free frees them. */
#ifndef BF_ENRICH_H
#define BF_ENRICH_H

#include <stddef.h>

#include "base/bf_log.h"
#include "model/bf_model.h"

enum bf_enrich_dkind { BF_EK_TIMESTAMP, BF_EK_MONEY, BF_EK_DURATION };

struct bf_enrich_derive {
	char *stream;              /* "*" for every stream */
	char *column;
	enum bf_enrich_dkind kind;
};

enum bf_enrich_tkind { BF_ET_HASH, BF_ET_EMBED, BF_ET_CLASSIFY, BF_ET_PROMPT };

struct bf_enrich_task {
	char *stream;
	char **cols;               /* input columns (for a prompt: its placeholders) */
	int ncols;
	char *out;                 /* output field */
	enum bf_enrich_tkind kind;
	int dim;                   /* HASH (default 256), EMBED (0 = as the model gives) */
	int force_hash, force_model;
	char **labels;
	int nlabels;
	char *tmpl;                /* PROMPT */
	int json;
	char *task_key;            /* part of the cache key */
	struct bf_model_task mt;
};

struct bf_enrich_opts {
	struct bf_enrich_derive *derives;
	int nderives;
	struct bf_enrich_task *tasks;
	int ntasks;
	int auto_derive;           /* -1 unset: on when nothing is configured */
	char *timezone;
	char *api_base, *model;
	const char *api_key;       /* BF_API_KEY */
	int batch, concurrency, retries, breaker;      /* -1 unset */
	double breaker_cooldown_s, timeout_s;          /* < 0 unset */
	long retry_base_ms;                            /* < 0 unset */
	int on_error_pass;                             /* -1 unset */
	double price_in, price_out;                    /* per 1000 tokens; < 0 unset */
	const char *state_path;
	const char *args;
	size_t max_line;
};

void bf_enrich_opts_init(struct bf_enrich_opts *o);
void bf_enrich_opts_free(struct bf_enrich_opts *o);
/* The specs of the flags; each returns 0 or BF_EUSAGE with err filled. */
int bf_enrich_add_derive(struct bf_enrich_opts *o, const char *spec, struct bf_err *err);   /* S.COL=KIND */
int bf_enrich_add_embed(struct bf_enrich_opts *o, const char *spec, struct bf_err *err);    /* S.C1+C2[:DIM][:hash|:model] */
int bf_enrich_add_classify(struct bf_enrich_opts *o, const char *spec, struct bf_err *err); /* S.COL=L1|L2 */
int bf_enrich_add_prompt(struct bf_enrich_opts *o, const char *spec, struct bf_err *err);   /* S.OUT[:json]=TEMPLATE */
int bf_enrich_price(struct bf_enrich_opts *o, const char *spec, struct bf_err *err);        /* P or IN,OUT */
/* Reads a JSON config file; values already set (by flags) win. 0, BF_ENOINPUT or BF_ECONFIG. */
int bf_enrich_load_config(struct bf_enrich_opts *o, const char *path, struct bf_err *err);

/* Runs the filter from in_fd to out_fd. Returns 0, or the exit code of the first
 * partition that failed (69 API unavailable, 65 invalid answers, 77 key refused),
 * 65 for input that breaks the protocol, 74 for output, 78 for configuration. */
int bf_enrich_run(struct bf_enrich_opts *o, int in_fd, int out_fd, struct bf_err *err);

#endif
