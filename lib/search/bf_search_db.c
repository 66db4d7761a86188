/* The backends' table and what the contract's results need to be freed. */
#include "search/bf_search_db.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_exit.h"

int bf_sdb_open(const char *target, const char *pg_schema, int read_only, struct bf_sdb **out,
		struct bf_err *err)
{
	*out = NULL;
	if (!target || !*target)
		return bf_fail(err, BF_EUSAGE, "--target", "required");
	if (!strncmp(target, "postgresql://", 13) || !strncmp(target, "postgres://", 11))
		return bf_sdb_pg_open(target, pg_schema, read_only, out, err);
	if (!strncmp(target, "sqlite:", 7))
		return bf_sdb_sqlite_open(target + 7, read_only, out, err);
	if (!strncmp(target, "dir:", 4))
		return bf_fail(err, BF_EUSAGE, "--target", "a dir: target holds files, not a database to search:"
			       " search a SQLite or PostgreSQL warehouse");
	if (strstr(target, "://"))
		return bf_fail(err, BF_EUSAGE, "--target", "unsupported target \"%s\" (PATH.db, sqlite:PATH or "
			       "postgresql://USER@HOST:PORT/DB)", target);
	return bf_sdb_sqlite_open(target, read_only, out, err);
}

void bf_sdb_close(struct bf_sdb *d)
{
	if (d)
		d->ops->close(d);
}

void bf_sdb_cols_free(struct bf_sdb_col *c, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(c[i].stream);
		free(c[i].name);
		free(c[i].type);
		free(c[i].embedding);
	}
	free(c);
}

void bf_sdb_parts_free(struct bf_sdb_part *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].loc);
		free(p[i].date);
	}
	free(p);
}

void bf_sdb_chunk_clear(struct bf_sdb_chunk *c)
{
	free(c->loc);
	free(c->date);
	free(c->ids);
	free(c->scales);
	free(c->closed);
	free(c->codes);
	memset(c, 0, sizeof *c);
}

void bf_sdb_chunks_free(struct bf_sdb_chunk *c, size_t n)
{
	for (size_t i = 0; i < n; i++)
		bf_sdb_chunk_clear(&c[i]);
	free(c);
}

int bf_sdb_normalize(const float *v, size_t n, float *out)
{
	double sum = 0;
	for (size_t i = 0; i < n; i++)
		sum += (double)v[i] * v[i];
	if (!(sum > 0) || !isfinite(sum))
		return 0;
	float inv = (float)(1.0 / sqrt(sum));
	for (size_t i = 0; i < n; i++)
		out[i] = v[i] * inv;
	return 1;
}

float bf_sdb_quantize(const float *v, size_t n, int8_t *codes)
{
	float m = 0;
	for (size_t i = 0; i < n; i++)
		if (fabsf(v[i]) > m)
			m = fabsf(v[i]);
	if (!(m > 0)) {
		memset(codes, 0, n);
		return 0;
	}
	float inv = 127.0f / m;
	for (size_t i = 0; i < n; i++)
		codes[i] = (int8_t)lrintf(v[i] * inv);
	return m / 127.0f;
}
