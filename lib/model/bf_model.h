/* A client of OpenAI-compatible model APIs (OpenAI, Ollama, vLLM, llama.cpp server):
 * /v1/embeddings with many inputs per request, /v1/chat/completions for a label out of
 * a set or an answer to a prompt (JSON when asked). Jobs are queued and run
 * concurrently on bf_http; 429, 5xx, timeouts and invalid answers are retried with
 * bf_retry (honouring Retry-After); a circuit breaker opens after N consecutive
 * failures of the server (5xx, timeouts, connection errors) and lets one probe
 * through after a cool-down before closing again.
 *
 * Ownership: the caller owns tasks and jobs; a job's inputs are borrowed until the
 * job is handed back by bf_model_poll, with outputs (malloc'ed JSON texts, one per
 * input) that the caller takes or frees with bf_model_job_clear. */
#ifndef BF_MODEL_H
#define BF_MODEL_H

#include <stdint.h>

#include "model/bf_http.h"
#include "base/bf_log.h"

enum bf_model_kind { BF_MODEL_EMBED, BF_MODEL_CLASSIFY, BF_MODEL_PROMPT };

struct bf_model_task {
	enum bf_model_kind kind;
	int dim;                   /* EMBED: expected dimension, 0 = the first one seen */
	char **labels;             /* CLASSIFY */
	int nlabels;
	int json;                  /* PROMPT: the answer must be JSON */
	/* private */
	int seen_dim;
};

struct bf_model_opts {
	const char *api_base;      /* "http://127.0.0.1:11434/v1" or ".../" (with or without /v1) */
	const char *model;
	const char *api_key;       /* from BF_API_KEY, may be NULL */
	int concurrency;           /* requests in flight at most */
	int retries;               /* attempts after the first */
	long timeout_ms;           /* per request */
	int breaker;               /* consecutive failures that open the breaker; 0 = never */
	int64_t breaker_cooldown_ms;
	int64_t retry_base_ms, retry_cap_ms;
};

struct bf_model_job {
	const struct bf_model_task *task;
	int n;
	const char *const *inputs;
	void *user;
	/* out */
	char **outputs;            /* n JSON texts on success */
	int code;                  /* 0, BF_EUNAVAIL, BF_EDATA or BF_ENOPERM */
	char error[256];
	long long prompt_tokens, completion_tokens;
	int requests;              /* attempts sent */
	/* private */
	int attempt;
	int64_t due_ms;
	int probe;
	char *body;
	struct bf_http_req req;
	struct bf_model_job *next;
};

struct bf_model;

int bf_model_new(const struct bf_model_opts *o, struct bf_model **out, struct bf_err *err);
void bf_model_free(struct bf_model *m);
/* Queues a job (sent as soon as a slot is free and the breaker allows). */
void bf_model_submit(struct bf_model *m, struct bf_model_job *job);
/* Jobs submitted and not yet handed back. */
int bf_model_pending(const struct bf_model *m);
/* Sends what can be sent, waits up to wait_ms for answers, and hands every finished
 * job (done or failed for good) to done. Returns 0 or BF_EOS. */
int bf_model_poll(struct bf_model *m, int wait_ms,
		  void (*done)(void *ctx, struct bf_model_job *job), void *ctx, struct bf_err *err);
void bf_model_job_clear(struct bf_model_job *job);
/* Totals since bf_model_new: requests sent, breaker openings. */
long long bf_model_requests(const struct bf_model *m);
int bf_model_breaker_opened(const struct bf_model *m);

#endif
