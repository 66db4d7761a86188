/* The compact index: each vector as int8 codes (per vector, scale = max|v| / 127), 4
 * times smaller than its floats. A query scores every code with an int8 dot product,
 * keeps the best candidates, and rescores those with their floats: the scores returned
 * are exact, only a true neighbour missing from the candidates can be lost (recall is
 * measured by tests/bench/b95-search.sh).
 *
 * Persisted (SQLite): one chunk per partition with the partition's generation. A query
 * uses a chunk only while its generation is the partition's; other partitions (replaced
 * since, or new) and the rows without lineage are scanned exactly, so the answer is never
 * stale. Each candidate's floats are read by id and quantized again: codes that differ
 * mean the ids moved under the index, and the query is answered exactly instead. */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "search/bf_search_int.h"
#include "search/bf_vdot.h"

size_t bf_vindex_candidates(size_t k)
{
	return k * 10 > 100 ? k * 10 : 100;
}

#define BLOCK 256

struct i8scan {
	const struct vchunk *c;
	const size_t *pick;
	size_t npick, total, dim;
	const struct bf_search_filter *f;
	const int8_t *q;
	struct bf_topk *tops;
	size_t *scanned;
};

/* candidate ids: chunk index << 32 | row */
static void i8_part(void *ctx, int t, int nt)
{
	struct i8scan *m = ctx;
	size_t lo = m->total * (size_t)t / (size_t)nt, hi = m->total * (size_t)(t + 1) / (size_t)nt;
	size_t base = 0, done = 0;
	int32_t dots[BLOCK];
	struct bf_topk *top = &m->tops[t];
	for (size_t k = 0; k < m->npick && base < hi; k++) {
		size_t ci = m->pick[k];
		const struct vchunk *c = &m->c[ci];
		size_t from = lo > base ? lo - base : 0, to = hi - base < c->n ? hi - base : c->n;
		for (size_t i = from; i < to; i += BLOCK) {
			size_t nb = to - i < BLOCK ? to - i : BLOCK;
			bf_vdot_i8_rows(c->codes + i * m->dim, nb, m->dim, m->q, dots);
			float floor = bf_topk_floor(top);
			for (size_t j = 0; j < nb; j++) {
				float s = (float)dots[j] * c->scales[i + j];
				if (s < floor || (!m->f->include_closures && c->closed[i + j]))
					continue;
				bf_topk_push(top, s, (int64_t)((uint64_t)ci << 32 | (i + j)));
				floor = bf_topk_floor(top);
			}
			done += nb;
		}
		base += c->n;
	}
	m->scanned[t] = done;
}

/* The best candidates by their codes. */
static void i8_scan(int threads, const struct vchunk *c, size_t n, const struct bf_search_filter *f,
		    const float *q, size_t dim, struct bf_topk *cand, size_t *scanned)
{
	struct i8scan m = { c, NULL, 0, 0, dim, f, NULL, NULL, NULL };
	size_t *pick = bf_xmalloc((n + 1) * sizeof *pick);
	int8_t *qc = bf_xmalloc(dim);
	bf_sdb_quantize(q, dim, qc);
	m.q = qc;
	for (size_t i = 0; i < n; i++)
		if (c[i].codes && c[i].dim == dim && bf_vchunk_passes(&c[i], f)) {
			pick[m.npick++] = i;
			m.total += c[i].n;
		}
	m.pick = pick;
	if (threads < 1 || m.total < 4096)
		threads = 1;
	m.tops = bf_xcalloc((size_t)threads, sizeof *m.tops);
	m.scanned = bf_xcalloc((size_t)threads, sizeof *m.scanned);
	for (int t = 0; t < threads; t++)
		bf_topk_init(&m.tops[t], cand->k);
	bf_search_par(threads, i8_part, &m);
	for (int t = 0; t < threads; t++) {
		bf_topk_merge(cand, &m.tops[t]);
		*scanned += m.scanned[t];
		bf_topk_free(&m.tops[t]);
	}
	free(m.tops);
	free(m.scanned);
	free(pick);
	free(qc);
}

int bf_vindex_search_cache(struct bf_search *s, const struct bf_search_filter *f, const float *q,
			   size_t dim, struct bf_topk *top, size_t *scanned)
{
	struct vcache *vc = &s->cache;
	struct bf_topk cand;
	bf_topk_init(&cand, bf_vindex_candidates(top->k));
	i8_scan(s->threads, vc->c, vc->n, f, q, dim, &cand, scanned);
	for (size_t i = 0; i < cand.n; i++) {
		const struct vchunk *c = &vc->c[(uint64_t)cand.h[i].id >> 32];
		size_t r = (size_t)(cand.h[i].id & 0xffffffff);
		bf_topk_push(top, bf_vdot_f32(c->vec + r * dim, q, dim), c->ids[r]);
	}
	bf_topk_free(&cand);
	return 0;
}

/* ---- persisted ---- */

static const struct bf_sdb_chunk *find_chunk(const struct bf_sdb_chunk *c, size_t n, const char *loc,
					     const char *date)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(c[i].date, date) && !strcmp(c[i].loc, loc))
			return &c[i];
	return NULL;
}

int bf_vindex_search_cold(struct bf_search *s, const struct pick *p, const struct bf_search_filter *f,
			  const float *q, size_t dim, struct bf_topk *top, size_t *scanned, int *used,
			  struct bf_err *err)
{
	const struct bf_sdb_ops *ops = s->db->ops;
	struct bf_sdb_part *parts = NULL;
	struct bf_sdb_chunk *ch = NULL;
	size_t np = 0, nch = 0, nv = 0, skipped = 0;
	struct vchunk *vcs = NULL;
	struct bf_buf fl = BF_BUF_INIT;
	struct bf_topk cand = { 0 };
	struct bf_sdb_filter sf = { f->start_date, f->end_date, f->location, f->include_closures };
	int rc;
	*used = 0;
	if (!ops->chunks)
		return 0;
	if ((rc = ops->parts(s->db, &parts, &np, err)) ||
	    (rc = ops->chunks(s->db, p->stream, p->vcol->name, 1, &ch, &nch, err)))
		goto out;
	if (!nch)
		goto out;
	vcs = bf_xcalloc(np + 1, sizeof *vcs);
	/* the current chunks as code-only chunks (their arrays moved, not copied) */
	for (size_t i = 0; i < np; i++) {
		struct vchunk probe = { .loc = parts[i].loc, .date = parts[i].date };
		if (!bf_vchunk_passes(&probe, f))
			continue;
		struct bf_sdb_chunk *c = (struct bf_sdb_chunk *)find_chunk(ch, nch, parts[i].loc, parts[i].date);
		if (c && c->gen == parts[i].gen && parts[i].gen >= 0 && (size_t)c->dim == dim) {
			struct vchunk *v = &vcs[nv++];
			v->date = parts[i].date;
			v->loc = parts[i].loc;
			v->n = c->n;
			v->dim = dim;
			v->ids = c->ids;
			v->scales = c->scales;
			v->closed = c->closed;
			v->codes = c->codes;
			continue;
		}
		/* replaced or added since the index was made: exactly */
		struct bf_sdb_scan sc = { p->stream, p->vcol->name, parts[i].loc, parts[i].date, 0, &sf,
					  p->has_closure };
		if ((rc = bf_vscan_stream(s, &sc, q, dim, top, scanned, &skipped, err)))
			goto out;
	}
	struct bf_sdb_scan nl = { p->stream, p->vcol->name, NULL, NULL, 1, &sf, p->has_closure };
	if ((rc = bf_vscan_stream(s, &nl, q, dim, top, scanned, &skipped, err)))
		goto out;
	bf_topk_init(&cand, bf_vindex_candidates(top->k));
	i8_scan(s->threads, vcs, nv, f, q, dim, &cand, scanned);
	int8_t *codes = bf_xmalloc(dim + 1);
	*used = 1;
	for (size_t i = 0; i < cand.n && !rc; i++) {
		const struct vchunk *c = &vcs[(uint64_t)cand.h[i].id >> 32];
		size_t r = (size_t)(cand.h[i].id & 0xffffffff), n = 0;
		if ((rc = ops->vector(s->db, p->stream, p->vcol->name, c->ids[r], &fl, &n, err)))
			break;
		float *v = (float *)(void *)fl.p;
		if (n != dim || !bf_sdb_normalize(v, dim, v) ||
		    (bf_sdb_quantize(v, dim, codes), memcmp(codes, c->codes + r * dim, dim))) {
			*used = 0;   /* the row under this id is not the one indexed */
			bf_warn(p->vcol->name, "the compact index of %s/%s does not match the table (ids moved?):"
				" answered exactly; bf-search --index makes it again", c->loc, c->date);
			ops->chunk_drop(s->db, p->stream, p->vcol->name, c->loc, c->date);
			break;
		}
		bf_topk_push(top, bf_vdot_f32(v, q, dim), c->ids[r]);
	}
	free(codes);
out:
	bf_topk_free(&cand);
	free(vcs);
	bf_sdb_chunks_free(ch, nch);
	bf_sdb_parts_free(parts, np);
	bf_buf_free(&fl);
	return rc;
}

static int add_row(void *ctx, int64_t id, const float *v, size_t n, int closed)
{
	bf_vchunk_add(ctx, id, v, n, closed);
	return 0;
}

/* The first row of a chunk is still the row it was made from (ids do not move with
 * bf-load; they may with a VACUUM or by hand: then the chunk is made again). */
static int sample_holds(struct bf_search *s, const char *stream, const char *column,
			const struct bf_sdb_chunk *c, struct bf_err *err)
{
	struct bf_buf fl = BF_BUF_INIT;
	size_t n = 0, dim = (size_t)c->dim;
	int same = 0;
	if (!c->n)
		return 1;
	if (s->db->ops->vector(s->db, stream, column, c->ids[0], &fl, &n, err) == 0 && n == dim) {
		int8_t *codes = bf_xmalloc(dim);
		float *v = (float *)(void *)fl.p;
		same = bf_sdb_normalize(v, dim, v) && (bf_sdb_quantize(v, dim, codes), !memcmp(codes, c->codes, dim));
		free(codes);
	}
	bf_buf_free(&fl);
	return same;
}

/* Rounds of at most this many partitions, each its own transaction (bf-load waits for
 * no round longer than that). */
#define ROUND 64

int bf_vindex_build(struct bf_search *s, const char *stream, const struct bf_sdb_col *col, size_t dim,
		    int has_closure, size_t *built, size_t *kept, struct bf_err *err)
{
	const struct bf_sdb_ops *ops = s->db->ops;
	int rc = 0, more = 1, round = 0;
	*built = *kept = 0;
	if (!ops->chunk_put)
		return 0;
	for (; more && !rc; round++) {
		struct bf_sdb_part *parts = NULL;
		struct bf_sdb_chunk *ch = NULL;
		size_t np = 0, nch = 0, done = 0;
		more = 0;
		if ((rc = ops->begin(s->db, err)))
			break;
		if ((rc = ops->parts(s->db, &parts, &np, err)) ||
		    (rc = ops->chunks(s->db, stream, col->name, 0, &ch, &nch, err)))
			goto round_end;
		for (size_t i = 0; i < np && !rc; i++) {
			const struct bf_sdb_chunk *c = find_chunk(ch, nch, parts[i].loc, parts[i].date);
			if (c && c->gen == parts[i].gen && parts[i].gen >= 0 && (size_t)c->dim == dim &&
			    sample_holds(s, stream, col->name, c, err)) {
				*kept += round == 0;
				continue;
			}
			if (done == ROUND) {
				more = 1;
				break;
			}
			struct vchunk v = { .dim = dim };
			struct bf_sdb_scan sc = { stream, col->name, parts[i].loc, parts[i].date, 0, NULL, has_closure };
			rc = ops->scan(s->db, &sc, add_row, &v, err);
			if (!rc) {
				bf_vchunk_quantize(&v);
				struct bf_sdb_chunk out = { parts[i].loc, parts[i].date, parts[i].gen, (int)dim, v.n,
							    v.ids, v.scales, v.closed, v.codes };
				rc = ops->chunk_put(s->db, stream, col->name, &out, err);
			}
			bf_vchunk_free(&v);
			done++;
			(*built)++;
		}
round_end:
		if (rc)
			ops->rollback(s->db);
		else
			rc = ops->commit(s->db, err);
		bf_sdb_chunks_free(ch, nch);
		bf_sdb_parts_free(parts, np);
	}
	return rc;
}
