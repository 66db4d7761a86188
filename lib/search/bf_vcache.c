/* The vectors of one embedding column kept in memory between queries (a server's
 * search), one chunk per partition. Before each query the cache is brought in step with
 * the warehouse: nothing is read when SQLite says no other connection committed since
 * (data_version); otherwise the partitions are listed with their generations and only
 * the chunks of partitions replaced, added or gone since are read again or dropped. Rows
 * without lineage (no partition) are read again whenever anything changed. */
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "search/bf_search_int.h"

void bf_vcache_free(struct vcache *c)
{
	for (size_t i = 0; i < c->n; i++)
		bf_vchunk_free(&c->c[i]);
	free(c->c);
	free(c->stream);
	free(c->column);
	memset(c, 0, sizeof *c);
	c->data_version = -1;
}

static int add_row(void *ctx, int64_t id, const float *v, size_t n, int closed)
{
	bf_vchunk_add(ctx, id, v, n, closed);   /* another dimension: left out */
	return 0;
}

static int load_chunk(struct bf_search *s, struct vchunk *c, const char *stream, const char *column,
		      int has_closure, struct bf_err *err)
{
	struct bf_sdb_scan sc = { stream, column, c->loc, c->date, c->date == NULL, NULL, has_closure };
	c->n = 0;
	free(c->codes);
	free(c->scales);
	c->codes = NULL;
	c->scales = NULL;
	return s->db->ops->scan(s->db, &sc, add_row, c, err);
}

static struct vchunk *find(struct vcache *vc, const char *loc, const char *date)
{
	for (size_t i = 0; i < vc->n; i++) {
		struct vchunk *c = &vc->c[i];
		if (c->date && !strcmp(c->date, date) && !strcmp(c->loc, loc))
			return c;
	}
	return NULL;
}

int bf_vcache_refresh(struct bf_search *s, const char *stream, const char *column, size_t dim, int codes,
		      int has_closure, struct bf_err *err)
{
	struct vcache *vc = &s->cache;
	int rc = 0;
	if (!vc->stream || strcmp(vc->stream, stream) || strcmp(vc->column, column) || vc->dim != dim) {
		bf_vcache_free(vc);
		vc->stream = bf_xstrdup(stream);
		vc->column = bf_xstrdup(column);
		vc->dim = dim;
	}
	int64_t dv = s->db->ops->data_version(s->db);
	if (!(dv >= 0 && dv == vc->data_version && vc->n)) {
		struct bf_sdb_part *parts = NULL;
		size_t np = 0;
		if ((rc = s->db->ops->parts(s->db, &parts, &np, err)))
			return rc;
		for (size_t i = 0; i < vc->n; i++)
			vc->c[i].keep = 0;
		for (size_t i = 0; i < np && !rc; i++) {
			struct vchunk *c = find(vc, parts[i].loc, parts[i].date);
			if (c && c->gen == parts[i].gen && parts[i].gen >= 0) {
				c->keep = 1;
				continue;
			}
			if (!c) {
				vc->c = bf_xrealloc(vc->c, (vc->n + 1) * sizeof *vc->c);
				c = &vc->c[vc->n++];
				memset(c, 0, sizeof *c);
				c->loc = bf_xstrdup(parts[i].loc);
				c->date = bf_xstrdup(parts[i].date);
				c->dim = dim;
			}
			c->gen = parts[i].gen;
			c->keep = 1;
			rc = load_chunk(s, c, stream, column, has_closure, err);
		}
		bf_sdb_parts_free(parts, np);
		/* the rows without lineage: one chunk, read again */
		struct vchunk *fc = NULL;
		for (size_t i = 0; i < vc->n; i++)
			if (!vc->c[i].date)
				fc = &vc->c[i];
		if (!rc && !fc) {
			vc->c = bf_xrealloc(vc->c, (vc->n + 1) * sizeof *vc->c);
			fc = &vc->c[vc->n++];
			memset(fc, 0, sizeof *fc);
			fc->dim = dim;
		}
		if (!rc) {
			fc->keep = 1;
			rc = load_chunk(s, fc, stream, column, has_closure, err);
		}
		/* partitions gone (or a failed read): out */
		size_t w = 0;
		for (size_t i = 0; i < vc->n; i++) {
			if (vc->c[i].keep && !rc)
				vc->c[w++] = vc->c[i];
			else
				bf_vchunk_free(&vc->c[i]);
		}
		vc->n = w;
		if (rc)
			return rc;
		vc->data_version = dv;
	}
	if (codes)
		for (size_t i = 0; i < vc->n; i++)
			if (!vc->c[i].codes)
				bf_vchunk_quantize(&vc->c[i]);
	vc->codes = codes;
	return 0;
}
