/* The exact scan: every vector's cosine similarity to the query, the best k kept. In
 * memory, the rows are split between the threads (each its own top-k, merged at the
 * end). From the warehouse, the caller's thread reads batches while another scores the
 * previous one: two batches in memory whatever the table's size. */
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "search/bf_search_int.h"
#include "search/bf_vdot.h"

struct par_arg {
	void (*fn)(void *, int, int);
	void *ctx;
	int t, nt;
};

static void *par_main(void *p)
{
	struct par_arg *a = p;
	a->fn(a->ctx, a->t, a->nt);
	return NULL;
}

void bf_search_par(int nt, void (*fn)(void *ctx, int t, int nt), void *ctx)
{
	if (nt < 1)
		nt = 1;
	pthread_t *th = bf_xcalloc((size_t)nt, sizeof *th);
	struct par_arg *a = bf_xcalloc((size_t)nt, sizeof *a);
	int *started = bf_xcalloc((size_t)nt, sizeof *started);
	for (int t = 1; t < nt; t++) {
		a[t] = (struct par_arg){ fn, ctx, t, nt };
		started[t] = pthread_create(&th[t], NULL, par_main, &a[t]) == 0;
		if (!started[t])
			fn(ctx, t, nt);    /* no thread: the caller does that share too */
	}
	fn(ctx, 0, nt);
	for (int t = 1; t < nt; t++)
		if (started[t])
			pthread_join(th[t], NULL);
	free(started);
	free(a);
	free(th);
}

/* ---- chunks ---- */

int bf_vchunk_passes(const struct vchunk *c, const struct bf_search_filter *f)
{
	if (!c->date)    /* rows without lineage: only when nothing is asked of the lineage */
		return !f->start_date && !f->end_date && !f->location;
	if (f->start_date && strcmp(c->date, f->start_date) < 0)
		return 0;
	if (f->end_date && strcmp(c->date, f->end_date) > 0)
		return 0;
	return !f->location || !strcmp(c->loc, f->location);
}

int bf_vchunk_add(struct vchunk *c, int64_t id, const float *v, size_t n, int closed)
{
	if (n != c->dim)
		return -1;
	if (c->n == c->cap) {
		c->cap = c->cap ? c->cap * 2 : 256;
		c->ids = bf_xrealloc(c->ids, c->cap * sizeof *c->ids);
		c->vec = bf_xrealloc(c->vec, c->cap * c->dim * sizeof *c->vec);
		c->closed = bf_xrealloc(c->closed, c->cap);
	}
	if (!bf_sdb_normalize(v, n, c->vec + c->n * c->dim))
		return 0;    /* a zero vector has no direction: no similarity */
	c->ids[c->n] = id;
	c->closed[c->n] = (uint8_t)(closed != 0);
	c->n++;
	return 0;
}

void bf_vchunk_quantize(struct vchunk *c)
{
	free(c->codes);
	free(c->scales);
	c->codes = bf_xmalloc(c->n * c->dim + 1);
	c->scales = bf_xmalloc((c->n + 1) * sizeof *c->scales);
	for (size_t i = 0; i < c->n; i++)
		c->scales[i] = bf_sdb_quantize(c->vec + i * c->dim, c->dim, c->codes + i * c->dim);
}

void bf_vchunk_free(struct vchunk *c)
{
	free(c->loc);
	free(c->date);
	free(c->ids);
	free(c->vec);
	free(c->closed);
	free(c->codes);
	free(c->scales);
	memset(c, 0, sizeof *c);
}

/* ---- exact, in memory ---- */

#define BLOCK 256

struct memscan {
	const struct vchunk *c;
	const size_t *pick;        /* chunks passing the filter */
	size_t npick, total;
	const struct bf_search_filter *f;
	const float *q;
	size_t dim;
	struct bf_topk *tops;      /* one per thread */
	size_t *scanned;
};

static void memscan_part(void *ctx, int t, int nt)
{
	struct memscan *m = ctx;
	size_t lo = m->total * (size_t)t / (size_t)nt, hi = m->total * (size_t)(t + 1) / (size_t)nt;
	size_t base = 0, done = 0;
	float sc[BLOCK];
	struct bf_topk *top = &m->tops[t];
	for (size_t k = 0; k < m->npick && base < hi; k++) {
		const struct vchunk *c = &m->c[m->pick[k]];
		size_t from = lo > base ? lo - base : 0, to = hi - base < c->n ? hi - base : c->n;
		for (size_t i = from; i < to; i += BLOCK) {
			size_t nb = to - i < BLOCK ? to - i : BLOCK;
			bf_vdot_f32_rows(c->vec + i * m->dim, nb, m->dim, m->q, sc);
			float floor = bf_topk_floor(top);
			for (size_t j = 0; j < nb; j++) {
				if (sc[j] < floor || (!m->f->include_closures && c->closed[i + j]))
					continue;
				bf_topk_push(top, sc[j], c->ids[i + j]);
				floor = bf_topk_floor(top);
			}
			done += nb;
		}
		base += c->n;
	}
	m->scanned[t] = done;
}

void bf_vscan_chunks(int threads, const struct vchunk *c, size_t n, const struct bf_search_filter *f,
		     const float *q, size_t dim, struct bf_topk *top, size_t *scanned)
{
	struct memscan m = { c, NULL, 0, 0, f, q, dim, NULL, NULL };
	size_t *pick = bf_xmalloc((n + 1) * sizeof *pick);
	for (size_t i = 0; i < n; i++)
		if (c[i].vec && c[i].dim == dim && bf_vchunk_passes(&c[i], f)) {
			pick[m.npick++] = i;
			m.total += c[i].n;
		}
	m.pick = pick;
	if (threads < 1)
		threads = 1;
	if (m.total < 4096)
		threads = 1;
	m.tops = bf_xcalloc((size_t)threads, sizeof *m.tops);
	m.scanned = bf_xcalloc((size_t)threads, sizeof *m.scanned);
	for (int t = 0; t < threads; t++)
		bf_topk_init(&m.tops[t], top->k);
	bf_search_par(threads, memscan_part, &m);
	*scanned = 0;
	for (int t = 0; t < threads; t++) {
		bf_topk_merge(top, &m.tops[t]);
		*scanned += m.scanned[t];
		bf_topk_free(&m.tops[t]);
	}
	free(m.tops);
	free(m.scanned);
	free(pick);
}

/* ---- exact, streamed from the warehouse ---- */

#define BATCH 2048

struct batch {
	size_t n;
	int64_t ids[BATCH];
	float *vec;                /* BATCH x dim */
};

struct stream {
	const float *q;
	size_t dim;
	struct bf_topk *top;
	size_t scanned, skipped;
	struct batch b[2];
	int fill;                  /* the batch being filled */
	int full[2];               /* handed to the scorer */
	int done;
	int threaded;
	pthread_mutex_t mu;
	pthread_cond_t cv;
};

static void score_batch(struct stream *st, struct batch *b)
{
	float dots[BATCH];
	bf_vdot_f32_rows(b->vec, b->n, st->dim, st->q, dots);
	for (size_t i = 0; i < b->n; i++) {
		const float *v = b->vec + i * st->dim;
		float nn = bf_vdot_f32(v, v, st->dim);
		if (!(nn > 0))
			continue;
		float s = dots[i] / sqrtf(nn);
		if (s >= bf_topk_floor(st->top))
			bf_topk_push(st->top, s, b->ids[i]);
		st->scanned++;
	}
	b->n = 0;
}

static void *scorer(void *p)
{
	struct stream *st = p;
	pthread_mutex_lock(&st->mu);
	for (int k = 0;; k ^= 1) {
		while (!st->full[k] && !st->done)
			pthread_cond_wait(&st->cv, &st->mu);
		if (!st->full[k])
			break;
		pthread_mutex_unlock(&st->mu);
		score_batch(st, &st->b[k]);
		pthread_mutex_lock(&st->mu);
		st->full[k] = 0;
		pthread_cond_broadcast(&st->cv);
	}
	pthread_mutex_unlock(&st->mu);
	return NULL;
}

/* The batch being filled is full (or the input ended): to the scorer, and wait until the
 * other batch is free to be filled. */
static void hand_over(struct stream *st)
{
	if (!st->threaded) {
		score_batch(st, &st->b[0]);
		return;
	}
	pthread_mutex_lock(&st->mu);
	st->full[st->fill] = 1;
	pthread_cond_broadcast(&st->cv);
	st->fill ^= 1;
	while (st->full[st->fill])
		pthread_cond_wait(&st->cv, &st->mu);
	pthread_mutex_unlock(&st->mu);
}

static int on_row(void *ctx, int64_t id, const float *v, size_t n, int closed)
{
	struct stream *st = ctx;
	(void)closed;                  /* the scan's filter already chose the rows */
	if (n != st->dim) {
		st->skipped++;
		return 0;
	}
	struct batch *b = &st->b[st->threaded ? st->fill : 0];
	b->ids[b->n] = id;
	memcpy(b->vec + b->n * st->dim, v, n * sizeof *v);
	if (++b->n == BATCH)
		hand_over(st);
	return 0;
}

int bf_vscan_stream(struct bf_search *s, const struct bf_sdb_scan *sc, const float *q, size_t dim,
		    struct bf_topk *top, size_t *scanned, size_t *skipped, struct bf_err *err)
{
	struct stream *st = bf_xcalloc(1, sizeof *st);
	pthread_t th;
	st->q = q;
	st->dim = dim;
	st->top = top;
	for (int i = 0; i < 2; i++)
		st->b[i].vec = bf_xmalloc(BATCH * dim * sizeof(float));
	pthread_mutex_init(&st->mu, NULL);
	pthread_cond_init(&st->cv, NULL);
	st->threaded = s->threads > 1 && pthread_create(&th, NULL, scorer, st) == 0;
	int rc = s->db->ops->scan(s->db, sc, on_row, st, err);
	if (st->threaded) {
		pthread_mutex_lock(&st->mu);
		if (st->b[st->fill].n)
			st->full[st->fill] = 1;
		st->done = 1;
		pthread_cond_broadcast(&st->cv);
		pthread_mutex_unlock(&st->mu);
		pthread_join(th, NULL);
	} else if (st->b[0].n) {
		score_batch(st, &st->b[0]);
	}
	*scanned += st->scanned;
	*skipped += st->skipped;
	pthread_mutex_destroy(&st->mu);
	pthread_cond_destroy(&st->cv);
	free(st->b[0].vec);
	free(st->b[1].vec);
	free(st);
	return rc;
}
