/* Search over a warehouse bf-load wrote (SQLite or PostgreSQL): by meaning (the cosine
 * similarity of the query's embedding to an embedding column, made the way the column
 * was: docs/search.md), by words (the database's full-text engine), or both fused by
 * reciprocal rank. For bf-search and for an in-process server: a struct bf_search keeps
 * its connection, and with keep set the vectors (and their int8 codes) in memory after
 * the first query, refreshed partition by partition when bf-load replaced one.
 *
 * Ownership: bf_search owns what it holds (bf_search_close(NULL) is a no-op); the
 * results belong to the caller, freed with bf_search_results_free. Not thread-safe: one
 * query at a time per struct bf_search (each query uses the threads of opts). */
#ifndef BF_SEARCH_H
#define BF_SEARCH_H

#include <stddef.h>
#include <stdint.h>

#include "base/bf_log.h"

/* The constant of reciprocal rank fusion: a record's fused score is the sum over the
 * rankings that have it of 1 / (BF_SEARCH_RRF_K + rank), rank from 1. */
#define BF_SEARCH_RRF_K 60

enum bf_search_mode { BF_SEARCH_VECTOR, BF_SEARCH_TEXT, BF_SEARCH_HYBRID };

struct bf_search_opts {
	const char *pg_schema;     /* PostgreSQL schema (default public) */
	const char *api_key;       /* BF_API_KEY, for columns embedded by a model API */
	int keep;                  /* keep vectors in memory between queries (a server) */
	int threads;               /* scanning threads, 0: the CPUs online (at most 8) */
	long timeout_ms;           /* per model request (0: 60 s) */
	int read_only;             /* never write to the warehouse (a server beside its loaders):
	                              no index made here, text search needs bf-search --index */
};

/* What a query leaves out: business dates, a location, closure marker rows. */
struct bf_search_filter {
	const char *start_date, *end_date;  /* YYYY-MM-DD, inclusive; NULL: open */
	const char *location;
	int include_closures;
};

struct bf_search_query {
	const char *text;
	const char *stream;        /* NULL: the one stream with an embedding column */
	const char *column;        /* NULL: the stream's only embedding column */
	enum bf_search_mode mode;
	size_t k;                  /* results (default 10) */
	struct bf_search_filter filter;
	int index;                 /* -1: the compact index when there is one, 0: exact, 1: index */
	const float *vector;       /* instead of text (benchmarks): the query's embedding */
	size_t dim;
};

struct bf_search_hit {
	double score;              /* cosine similarity, engine rank, or fused score */
	int64_t id;
	char *record;              /* JSON object: every column but the vectors */
};

struct bf_search_results {
	char *stream, *column;     /* what was searched (column: the vectors', or NULL) */
	struct bf_search_hit *hits;
	size_t n;
	int used_index;            /* the compact index answered (vector part) */
	size_t scanned;            /* vectors scored */
};

struct bf_search;

/* Opens a target: PATH.db or sqlite:PATH, postgresql://USER@HOST:PORT/DB. */
int bf_search_open(const char *target, const struct bf_search_opts *o, struct bf_search **out,
		   struct bf_err *err);
int bf_search_query(struct bf_search *s, const struct bf_search_query *q, struct bf_search_results *r,
		    struct bf_err *err);
/* Makes the indexes of a stream (NULL: every stream with an embedding column) current:
 * the text index, and the compact int8 index of each embedding column (persisted
 * where the backend keeps it). Reports what it did through bf_note. */
int bf_search_index(struct bf_search *s, const char *stream, struct bf_err *err);
void bf_search_results_free(struct bf_search_results *r);
void bf_search_close(struct bf_search *s);

#endif
