/* What lib/search needs from a warehouse, behind one contract: the SQLite and PostgreSQL
 * backends (bf_search_sqlite.c, bf_search_pg.c) implement it. Row ids are SQLite rowids,
 * or a PostgreSQL ctid packed as block << 16 | offset. Results handed out (columns,
 * partitions, record texts) are the caller's to free with the functions below. */
#ifndef BF_SEARCH_DB_H
#define BF_SEARCH_DB_H

#include <stddef.h>
#include <stdint.h>

#include "base/bf_buf.h"
#include "base/bf_log.h"

/* A column of a stream table as _bf_columns (or, without it, the table) describes it. */
struct bf_sdb_col {
	char *stream, *name, *type;    /* type: a bf type name ("string", "vector", ...) */
	char *embedding;               /* JSON of x-bf-embedding, or NULL */
};

/* A committed partition, and its generation: a number that changes in the transaction
 * that replaces the partition (-1: unknown, the warehouse keeps none). */
struct bf_sdb_part {
	char *loc, *date;
	int64_t gen;
};

/* Which rows a scan or a text query takes. */
struct bf_sdb_filter {
	const char *start_date, *end_date, *location;   /* NULL: any */
	int include_closures;
};

/* One scan of a vector column: of one partition (loc and date set), of the rows without
 * lineage (lineage_null), or of every row (neither) passing the filter. */
struct bf_sdb_scan {
	const char *stream, *column;
	const char *loc, *date;
	int lineage_null;
	const struct bf_sdb_filter *filter;
	int has_closure;               /* the table has closure_indicator */
};

/* Called for each row with a vector: its id, the vector's floats (n of them, host order,
 * valid during the call), closed: a closure marker row. Returns 0 or a code that stops. */
typedef int (*bf_sdb_row_fn)(void *ctx, int64_t id, const float *v, size_t n, int closed);

/* A persisted int8 chunk of one partition (the compact index). */
struct bf_sdb_chunk {
	char *loc, *date;
	int64_t gen;
	int dim;
	size_t n;
	int64_t *ids;
	float *scales;
	uint8_t *closed;
	int8_t *codes;
};

struct bf_sdb;

struct bf_sdb_ops {
	int (*columns)(struct bf_sdb *d, struct bf_sdb_col **out, size_t *n, struct bf_err *err);
	int (*parts)(struct bf_sdb *d, struct bf_sdb_part **out, size_t *n, struct bf_err *err);
	/* A number that changes whenever another connection committed (SQLite's data_version),
	 * or -1 when the backend cannot tell. */
	int64_t (*data_version)(struct bf_sdb *d);
	int (*scan)(struct bf_sdb *d, const struct bf_sdb_scan *sc, bf_sdb_row_fn fn, void *ctx,
		    struct bf_err *err);
	/* The floats of row id (out gets n floats), 0 with *n 0 when the row is gone. */
	int (*vector)(struct bf_sdb *d, const char *stream, const char *column, int64_t id,
		      struct bf_buf *out, size_t *n, struct bf_err *err);
	/* JSON objects of rows (every column but vectors: cols[ncols] with types), NULL for a
	 * row that is gone. */
	int (*records)(struct bf_sdb *d, const char *stream, const struct bf_sdb_col *cols, size_t ncols,
		       const int64_t *ids, size_t n, char **json, struct bf_err *err);
	/* The text index over cols, created or brought to these columns when needed (and
	 * allowed: write 0 only reports what is missing). */
	int (*text_index)(struct bf_sdb *d, const char *stream, const char *const *cols, size_t ncols,
			  int write, struct bf_err *err);
	/* The best k rows for words (OR), by the engine's rank, higher better. */
	int (*text)(struct bf_sdb *d, const char *stream, const char *const *cols, size_t ncols,
		    const char *const *words, size_t nwords, const struct bf_sdb_filter *f, int has_closure,
		    size_t k, int64_t *ids, float *scores, size_t *n, struct bf_err *err);
	/* The compact index, persisted (NULL when the backend keeps none). chunks: those of
	 * the column (without codes: ids and codes of their first row only); put: replaces a partition's chunk; prune: drops chunks of partitions
	 * no longer loaded. */
	int (*chunks)(struct bf_sdb *d, const char *stream, const char *column, int with_codes,
		      struct bf_sdb_chunk **out, size_t *n, struct bf_err *err);
	int (*chunk_put)(struct bf_sdb *d, const char *stream, const char *column,
			 const struct bf_sdb_chunk *c, struct bf_err *err);
	/* Drops a partition's chunk (found not to match its table): best effort. */
	void (*chunk_drop)(struct bf_sdb *d, const char *stream, const char *column, const char *loc,
			   const char *date);
	int (*begin)(struct bf_sdb *d, struct bf_err *err);
	int (*commit)(struct bf_sdb *d, struct bf_err *err);
	void (*rollback)(struct bf_sdb *d);
	void (*close)(struct bf_sdb *d);
};

struct bf_sdb {
	const struct bf_sdb_ops *ops;
	char *display;
	int writable;
};

/* read_only: the warehouse is never written (writable stays 0, a PostgreSQL session is
 * read-only). */
int bf_sdb_open(const char *target, const char *pg_schema, int read_only, struct bf_sdb **out,
		struct bf_err *err);
int bf_sdb_sqlite_open(const char *path, int read_only, struct bf_sdb **out, struct bf_err *err);
int bf_sdb_pg_open(const char *url, const char *schema, int read_only, struct bf_sdb **out, struct bf_err *err);
void bf_sdb_close(struct bf_sdb *d);

void bf_sdb_cols_free(struct bf_sdb_col *c, size_t n);
void bf_sdb_parts_free(struct bf_sdb_part *p, size_t n);
void bf_sdb_chunk_clear(struct bf_sdb_chunk *c);
void bf_sdb_chunks_free(struct bf_sdb_chunk *c, size_t n);

/* The one normalisation (to unit length; a sum in double, so that the same floats give
 * the same result on every machine and codes can be compared): out may be v. Returns 0
 * for a zero vector (out then untouched). */
int bf_sdb_normalize(const float *v, size_t n, float *out);
/* The one int8 quantization: per vector, scale = max|v| / 127 and code = round(v / scale).
 * Returns the scale (0 for a zero vector, codes then 0). */
float bf_sdb_quantize(const float *v, size_t n, int8_t *codes);

#endif
