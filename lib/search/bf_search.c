/* bf_search: open, query (vector, text, hybrid), index, close. */
#include "search/bf_search.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "search/bf_search_int.h"
#include "search/bf_vdot.h"

int bf_search_open(const char *target, const struct bf_search_opts *o, struct bf_search **out,
		   struct bf_err *err)
{
	static const struct bf_search_opts none = { 0 };
	struct bf_search *s = bf_xcalloc(1, sizeof *s);
	*out = NULL;
	s->o = o ? *o : none;
	long cpus = sysconf(_SC_NPROCESSORS_ONLN);
	s->threads = s->o.threads > 0 ? s->o.threads : cpus > 8 ? 8 : cpus > 0 ? (int)cpus : 1;
	s->cache.data_version = -1;
	int rc = bf_sdb_open(target, s->o.pg_schema, s->o.read_only, &s->db, err);
	if (rc) {
		free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void bf_search_close(struct bf_search *s)
{
	if (!s)
		return;
	bf_vcache_free(&s->cache);
	bf_search_embed_free(s);
	bf_sdb_cols_free(s->cols, s->ncols);
	bf_sdb_close(s->db);
	free(s);
}

void bf_search_results_free(struct bf_search_results *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->hits[i].record);
	free(r->hits);
	free(r->stream);
	free(r->column);
	memset(r, 0, sizeof *r);
}

/* A first vector of the column fixes its dimension when _bf_columns does not say it. */
static int first_len(void *ctx, int64_t id, const float *v, size_t n, int closed)
{
	(void)id;
	(void)v;
	(void)closed;
	*(size_t *)ctx = n;
	return -1;
}

static int column_dim(struct bf_search *s, const char *stream, const struct bf_sdb_col *col, int has_closure,
		      size_t *dim, struct bf_err *err)
{
	const char *d = col->embedding ? strstr(col->embedding, "\"dim\":") : NULL;
	*dim = d ? (size_t)strtoul(d + 6, NULL, 10) : 0;
	if (*dim)
		return 0;
	struct bf_sdb_scan sc = { stream, col->name, NULL, NULL, 0, NULL, has_closure };
	int rc = s->db->ops->scan(s->db, &sc, first_len, dim, err);
	return rc == -1 ? 0 : rc;
}

/* The vector part of a query: the best `top->k` ids by cosine similarity. */
static int vector_part(struct bf_search *s, const struct bf_search_query *q, const struct pick *p,
		       struct bf_topk *top, struct bf_search_results *r, struct bf_err *err)
{
	float *v = NULL;
	size_t dim = 0, skipped = 0;
	int rc = 0;
	if (q->vector) {
		dim = q->dim;
		v = bf_xmalloc((dim + 1) * sizeof *v);
		if (!bf_sdb_normalize(q->vector, dim, v)) {
			free(v);
			return bf_fail(err, BF_EUSAGE, NULL, "the query vector is all zeros");
		}
	} else if ((rc = bf_search_embed(s, p->vcol, q->text ? q->text : "", &v, &dim, err))) {
		return rc;
	}
	struct bf_sdb_filter sf = { q->filter.start_date, q->filter.end_date, q->filter.location,
				    q->filter.include_closures };
	if (s->o.keep) {
		int codes = q->index == 1;
		if (!(rc = bf_vcache_refresh(s, p->stream, p->vcol->name, dim, codes, p->has_closure, err))) {
			if (codes)
				rc = bf_vindex_search_cache(s, &q->filter, v, dim, top, &r->scanned);
			else
				bf_vscan_chunks(s->threads, s->cache.c, s->cache.n, &q->filter, v, dim, top, &r->scanned);
			r->used_index = codes;
		}
	} else {
		int used = 0;
		if (q->index != 0)
			rc = bf_vindex_search_cold(s, p, &q->filter, v, dim, top, &r->scanned, &used, err);
		if (!rc && !used) {
			bf_topk_clear(top);
			r->scanned = 0;
			struct bf_sdb_scan sc = { p->stream, p->vcol->name, NULL, NULL, 0, &sf, p->has_closure };
			rc = bf_vscan_stream(s, &sc, v, dim, top, &r->scanned, &skipped, err);
		}
		r->used_index = used;
		if (!rc && skipped && !r->scanned)
			bf_warn(p->vcol->name, "%zu vectors of another dimension than the query's (%zu) left out",
				skipped, dim);
	}
	free(v);
	return rc;
}

static int text_part(struct bf_search *s, const struct bf_search_query *q, const struct pick *p, size_t depth,
		     int64_t *ids, float *scores, size_t *n, struct bf_err *err)
{
	size_t nw = 0;
	char **w = bf_search_words(q->text ? q->text : "", &nw);
	struct bf_sdb_filter sf = { q->filter.start_date, q->filter.end_date, q->filter.location,
				    q->filter.include_closures };
	int rc = 0;
	*n = 0;
	if (!nw)
		rc = bf_fail(err, BF_EUSAGE, NULL, "the query has no word to search for");
	else if (!p->ntext)
		rc = bf_fail(err, BF_EUSAGE, p->stream, "the stream has no text column to search");
	else if (!(rc = s->db->ops->text_index(s->db, p->stream, p->text, p->ntext, s->db->writable, err)))
		rc = s->db->ops->text(s->db, p->stream, p->text, p->ntext, (const char *const *)w, nw, &sf,
				      p->has_closure, depth, ids, scores, n, err);
	bf_search_words_free(w, nw);
	return rc;
}

int bf_search_query(struct bf_search *s, const struct bf_search_query *q, struct bf_search_results *r,
		    struct bf_err *err)
{
	struct pick p;
	struct bf_topk top = { 0 };
	size_t k = q->k ? q->k : 10;
	size_t depth = q->mode == BF_SEARCH_HYBRID ? (k * 4 > 40 ? k * 4 : 40) : k;
	int64_t *tids = NULL, *vids = NULL;
	float *tsc = NULL;
	size_t nt = 0;
	int rc;
	memset(r, 0, sizeof *r);
	if ((rc = bf_search_columns(s, err)) || (rc = bf_search_pick(s, q, &p, err)))
		return rc;
	r->stream = bf_xstrdup(p.stream);
	r->column = p.vcol && q->mode != BF_SEARCH_TEXT ? bf_xstrdup(p.vcol->name) : NULL;
	bf_topk_init(&top, depth);
	if (q->mode != BF_SEARCH_TEXT && (rc = vector_part(s, q, &p, &top, r, err)))
		goto out;
	if (q->mode != BF_SEARCH_VECTOR) {
		tids = bf_xmalloc((depth + 1) * sizeof *tids);
		tsc = bf_xmalloc((depth + 1) * sizeof *tsc);
		if ((rc = text_part(s, q, &p, depth, tids, tsc, &nt, err)))
			goto out;
	}
	bf_topk_sort(&top);
	if (q->mode == BF_SEARCH_TEXT) {
		bf_topk_clear(&top);
		for (size_t i = 0; i < nt; i++)
			top.h[top.n++] = (struct bf_topk_item){ tsc[i], tids[i] };
	} else if (q->mode == BF_SEARCH_HYBRID) {
		vids = bf_xmalloc((top.n + 1) * sizeof *vids);
		size_t nv = top.n;
		for (size_t i = 0; i < nv; i++)
			vids[i] = top.h[i].id;
		bf_topk_clear(&top);
		bf_search_rrf(vids, nv, tids, nt, &top);
		bf_topk_sort(&top);
	}
	size_t n = top.n < k ? top.n : k;
	int64_t *ids = bf_xmalloc((n + 1) * sizeof *ids);
	char **json = bf_xcalloc(n + 1, sizeof *json);
	for (size_t i = 0; i < n; i++)
		ids[i] = top.h[i].id;
	rc = s->db->ops->records(s->db, p.stream, p.rec, p.nrec, ids, n, json, err);
	r->hits = bf_xcalloc(n + 1, sizeof *r->hits);
	for (size_t i = 0; i < n; i++) {
		if (!json[i])
			continue;      /* deleted since it was scored */
		r->hits[r->n++] = (struct bf_search_hit){ top.h[i].score, ids[i], json[i] };
	}
	free(ids);
	free(json);
out:
	free(tids);
	free(tsc);
	free(vids);
	bf_topk_free(&top);
	bf_search_pick_free(&p);
	if (rc)
		bf_search_results_free(r);
	return rc;
}

int bf_search_index(struct bf_search *s, const char *stream, struct bf_err *err)
{
	int rc = bf_search_columns(s, err), any = 0;
	const char *last = NULL;
	for (size_t i = 0; i < s->ncols && !rc; i++) {
		const struct bf_sdb_col *c = &s->cols[i];
		if ((stream && strcmp(c->stream, stream)) || (last && !strcmp(last, c->stream)))
			continue;
		last = c->stream;
		struct bf_search_query q = { .stream = c->stream, .mode = BF_SEARCH_TEXT };
		struct pick p;
		if ((rc = bf_search_pick(s, &q, &p, err)))
			break;
		if (!stream && !p.vcol) {     /* every stream: those with embeddings */
			bf_search_pick_free(&p);
			continue;
		}
		any = 1;
		if (p.ntext && !(rc = s->db->ops->text_index(s->db, p.stream, p.text, p.ntext, 1, err)))
			bf_note(p.stream, "text index current (%zu columns)", p.ntext);
		for (size_t j = 0; j < s->ncols && !rc; j++) {
			const struct bf_sdb_col *v = &s->cols[j];
			size_t dim = 0, built = 0, kept = 0;
			if (strcmp(v->stream, p.stream) || strcmp(v->type, "vector") || !s->db->ops->chunk_put)
				continue;     /* (PostgreSQL: a server keeps its compact index in memory) */
			if (!(rc = column_dim(s, p.stream, v, p.has_closure, &dim, err)) && dim &&
			    !(rc = bf_vindex_build(s, p.stream, v, dim, p.has_closure, &built, &kept, err)))
				bf_note(p.stream, "%s: compact index: %zu partitions indexed, %zu were current", v->name,
					built, kept);
		}
		bf_search_pick_free(&p);
	}
	if (!rc && stream && !any)
		rc = bf_fail(err, BF_EUSAGE, "--stream", "no stream %s in the warehouse", stream);
	return rc;
}
