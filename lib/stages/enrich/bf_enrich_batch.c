/* Batches of model inputs: filled per task, sent to bf_model, and their answers handed
 * to the records that wait for them. */
#include "stages/enrich/bf_enrich_int.h"

#include <stdlib.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"

void bf_enrich_batch_free(struct batch *b)
{
	for (int i = 0; i < b->n; i++) {
		free(b->inputs[i]);
		free(b->keys[i]);
	}
	bf_model_job_clear(&b->job);
	free(b->inputs);
	free(b->keys);
	free(b->recs);
	free(b->slot);
	free(b);
}

void bf_enrich_batch_unlink(struct ctx *c, struct batch *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else if (c->live == b)
		c->live = b->next;
	if (b->next)
		b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static void on_job(void *ctx, struct bf_model_job *j)
{
	struct ctx *c = ctx;
	struct batch *b = j->user;
	struct part *p = b->part;
	p->requests += j->requests;
	c->total_requests += j->requests;
	p->prompt_tokens += j->prompt_tokens;
	p->completion_tokens += j->completion_tokens;
	if (j->code == BF_ENOPERM && !c->fatal) {
		c->fatal = BF_ENOPERM;
		bf_fail(&c->fatal_err, BF_ENOPERM, NULL, "%s", j->error);
	}
	if (j->code == 0)
		bf_enrich_cache_put_job(c, b);
	else {
		p->failed_inputs += b->n;
		bf_enrich_part_fail(c, p, j->code, j->error);
	}
	for (int i = 0; i < b->n; i++) {
		struct held *h = b->recs[i];
		if (j->code == 0) {
			h->res[b->slot[i]] = j->outputs[i];
			j->outputs[i] = NULL;
		} else {
			h->res[b->slot[i]] = bf_xstrdup("null");
			if (!h->error) {
				struct bf_buf e = BF_BUF_INIT;
				bf_buf_addf(&e, "%s: %s", b->task->out, j->error);
				h->error = bf_buf_detach(&e);
			}
		}
		h->waiting--;
	}
	bf_enrich_batch_unlink(c, b);
	bf_enrich_batch_free(b);
}

void bf_enrich_dispatch(struct ctx *c, int ti)
{
	struct batch *b = c->open[ti];
	if (!b)
		return;
	c->open[ti] = NULL;
	c->dispatched++;
	b->job.task = &b->task->mt;
	b->job.n = b->n;
	b->job.inputs = (const char *const *)b->inputs;
	b->job.user = b;
	b->part->inputs += b->n;
	b->prev = NULL;
	b->next = c->live;
	if (c->live)
		c->live->prev = b;
	c->live = b;
	bf_model_submit(c->model, &b->job);
}

void bf_enrich_dispatch_all(struct ctx *c)
{
	for (int i = 0; i < c->o->ntasks; i++)
		bf_enrich_dispatch(c, i);
}

/* Moves answers along; with wait, waits a little for one. */
int bf_enrich_pump(struct ctx *c, int wait, struct bf_err *err)
{
	int rc;
	if (c->model && bf_model_pending(c->model) &&
	    (rc = bf_model_poll(c->model, wait ? 100 : 0, on_job, c, err)))
		return rc;
	bf_enrich_emit_ready(c);
	if (c->fatal) {
		*err = c->fatal_err;
		return c->fatal;
	}
	if (wait && c->qlen && c->q[c->qhead]->waiting && (!c->model || !bf_model_pending(c->model))) {
		bf_enrich_dispatch_all(c);       /* the head waits for a batch still being filled */
		if (!c->model || !bf_model_pending(c->model))
			return bf_fail(err, BF_ESOFTWARE, NULL, "a record waits for an answer that nobody asked for");
	}
	return 0;
}

int bf_enrich_drain(struct ctx *c, struct bf_err *err)
{
	int rc;
	bf_enrich_dispatch_all(c);
	while (c->qlen)
		if ((rc = bf_enrich_pump(c, 1, err)))
			return rc;
	return 0;
}
