/* lib/search inside: what bf_search.c, the scans, the cache, the index and the text search
 * share. Not for callers outside lib/search. */
#ifndef BF_SEARCH_INT_H
#define BF_SEARCH_INT_H

#include <stddef.h>
#include <stdint.h>

#include "search/bf_search.h"
#include "search/bf_search_db.h"
#include "search/bf_topk.h"

/* Vectors of one partition (loc, date set) or of the rows without lineage, in memory:
 * unit length, ids in the table, closure markers flagged; codes and scales when the
 * compact index is used. Owned by the cache. */
struct vchunk {
	char *loc, *date;
	int64_t gen;
	size_t n, cap, dim;
	int64_t *ids;
	float *vec;                /* n x dim, or NULL (persisted codes only) */
	uint8_t *closed;
	int8_t *codes;             /* n x dim, or NULL */
	float *scales;
	int keep;                  /* seen in this refresh */
};

struct vcache {
	char *stream, *column;
	size_t dim;
	struct vchunk *c;
	size_t n;
	int64_t data_version;      /* of the warehouse when last refreshed, -1 unknown */
	int codes;                 /* chunks carry codes */
};

struct bf_search {
	struct bf_sdb *db;
	struct bf_search_opts o;
	int threads;
	struct bf_sdb_col *cols;
	size_t ncols;
	struct vcache cache;
	void *model;               /* struct bf_model, made at the first query that needs it */
	char *model_key;           /* api_base and model it was made for */
};

/* What a query searches, resolved from the stream's columns. Borrowed from s->cols. */
struct pick {
	const char *stream;
	const struct bf_sdb_col *vcol;      /* the embedding column, or NULL (text mode) */
	const char **text;                  /* text columns */
	size_t ntext;
	struct bf_sdb_col *rec;             /* every column but vectors (copies of pointers) */
	size_t nrec;
	int has_closure;
};

int bf_search_columns(struct bf_search *s, struct bf_err *err);
int bf_search_pick(struct bf_search *s, const struct bf_search_query *q, struct pick *p, struct bf_err *err);
void bf_search_pick_free(struct pick *p);

/* The query's embedding the way the column was made (unit length), into v[dim]. */
int bf_search_embed(struct bf_search *s, const struct bf_sdb_col *col, const char *text, float **v,
		    size_t *dim, struct bf_err *err);
void bf_search_embed_free(struct bf_search *s);

/* Runs fn(ctx, t, nt) on nt threads (the caller's among them) and waits for all. */
void bf_search_par(int nt, void (*fn)(void *ctx, int t, int nt), void *ctx);

/* Exact top-k, read from the warehouse as it goes (memory bounded: two batches).
 * scanned: vectors scored; skipped: vectors of another dimension. */
int bf_vscan_stream(struct bf_search *s, const struct bf_sdb_scan *sc, const float *q, size_t dim,
		    struct bf_topk *top, size_t *scanned, size_t *skipped, struct bf_err *err);
/* Exact top-k over chunks in memory (filter applied per partition and per row). */
void bf_vscan_chunks(int threads, const struct vchunk *c, size_t n, const struct bf_search_filter *f,
		     const float *q, size_t dim, struct bf_topk *top, size_t *scanned);
/* Whether a chunk's partition passes the filter's dates and location. */
int bf_vchunk_passes(const struct vchunk *c, const struct bf_search_filter *f);

/* The cache of s for (stream, column), current with the warehouse; with codes: every
 * chunk has its int8 codes. */
int bf_vcache_refresh(struct bf_search *s, const char *stream, const char *column, size_t dim, int codes,
		      int has_closure, struct bf_err *err);
void bf_vcache_free(struct vcache *c);
/* Appends a row (normalising it) to a chunk; rows of another dimension are refused (-1). */
int bf_vchunk_add(struct vchunk *c, int64_t id, const float *v, size_t n, int closed);
void bf_vchunk_free(struct vchunk *c);
void bf_vchunk_quantize(struct vchunk *c);

/* Top-k through int8 codes and a float rescoring of the best candidates: over the cache
 * (vectors in memory), or over the persisted chunks (cold; partitions without a current
 * chunk scanned exactly). *used: 0 when the index could not answer (then exact). */
int bf_vindex_search_cache(struct bf_search *s, const struct bf_search_filter *f, const float *q,
			   size_t dim, struct bf_topk *top, size_t *scanned);
int bf_vindex_search_cold(struct bf_search *s, const struct pick *p, const struct bf_search_filter *f,
			  const float *q, size_t dim, struct bf_topk *top, size_t *scanned, int *used,
			  struct bf_err *err);
/* Candidates the int8 pass keeps for the float rescoring. */
size_t bf_vindex_candidates(size_t k);
/* Brings the persisted chunks of an embedding column up to date. */
int bf_vindex_build(struct bf_search *s, const char *stream, const struct bf_sdb_col *col, size_t dim,
		    int has_closure, size_t *built, size_t *kept, struct bf_err *err);

/* Text: the query's words as the engines split them (letters and digits, other bytes
 * of UTF-8 kept, everything else a separator). The caller frees the list. */
char **bf_search_words(const char *text, size_t *n);
void bf_search_words_free(char **w, size_t n);

/* Reciprocal rank fusion of two rankings (best first) into top (distinct ids). */
void bf_search_rrf(const int64_t *a, size_t na, const int64_t *b, size_t nb, struct bf_topk *top);

#endif
