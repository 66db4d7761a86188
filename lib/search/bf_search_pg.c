/* The PostgreSQL warehouse for lib/search (the contract of search/bf_search_db.h).
 * Vectors are real[] read in binary (no text parsing), row by row (single-row mode: the
 * memory of a scan does not grow with the table). A partition's generation is the
 * transaction id (xmin) of its _bf_loads row, which bf-load writes in the transaction
 * that replaces the partition. Text: a GIN index on to_tsvector('simple', ...) of the
 * stream's text columns, which PostgreSQL keeps in step with the table itself. The
 * compact index is not persisted here (bf_search keeps it in memory). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "base/bf_exit.h"
#include "search/bf_search_db.h"
#include "pg/bf_pgconnect.h"
#include "base/bf_sql.h"

struct pg {
	struct bf_sdb base;
	PGconn *c;
	char *schema;
	struct bf_buf sql;
};

static int pg_fail(struct pg *d, PGresult *r, struct bf_err *err)
{
	const char *m = r ? PQresultErrorMessage(r) : PQerrorMessage(d->c);
	const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	int code = PQstatus(d->c) != CONNECTION_OK ? BF_EUNAVAIL
		 : state && !strncmp(state, "42501", 5) ? BF_ENOPERM
		 : state && !strncmp(state, "42", 2) ? BF_EDATA : BF_ESOFTWARE;
	int n = (int)strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	bf_fail(err, code, d->base.display, "%.*s", n, m);
	PQclear(r);
	return code;
}

/* Runs sql with text parameters; *out gets the result of a query (caller clears). */
static int run(struct pg *d, const char *sql, int np, const char *const *p, int binary, PGresult **out,
	       struct bf_err *err)
{
	PGresult *r = np || binary ? PQexecParams(d->c, sql, np, NULL, p, NULL, NULL, binary) : PQexec(d->c, sql);
	ExecStatusType s = r ? PQresultStatus(r) : PGRES_FATAL_ERROR;
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return pg_fail(d, r, err);
	if (out)
		*out = r;
	else
		PQclear(r);
	return 0;
}

static void qname(struct pg *d, struct bf_buf *q, const char *name)
{
	bf_sql_ident(q, d->schema);
	bf_buf_addc(q, '.');
	bf_sql_ident(q, name);
}

static int exists(struct pg *d, const char *name)
{
	struct bf_buf q = BF_BUF_INIT;
	qname(d, &q, name);
	const char *p[1] = { q.p };
	PGresult *r = NULL;
	struct bf_err e = { 0 };
	int yes = run(d, "SELECT to_regclass($1) IS NOT NULL", 1, p, 0, &r, &e) == 0 &&
		  PQntuples(r) == 1 && PQgetvalue(r, 0, 0)[0] == 't';
	PQclear(r);
	bf_buf_free(&q);
	return yes;
}

static char *dup_value(PGresult *r, int row, int col)
{
	return PQgetisnull(r, row, col) ? NULL : bf_xstrdup(PQgetvalue(r, row, col));
}

/* ---- columns and partitions ---- */

static int pgs_columns(struct bf_sdb *bd, struct bf_sdb_col **out, size_t *n, struct bf_err *err)
{
	struct pg *d = (struct pg *)bd;
	struct bf_buf *q = &d->sql;
	*out = NULL;
	*n = 0;
	if (!exists(d, "_bf_streams"))
		return bf_fail(err, BF_EDATA, d->base.display, "not a warehouse bf-load wrote (no %s._bf_streams)",
			       d->schema);
	int cols = exists(d, "_bf_columns");
	bf_buf_reset(q);
	bf_buf_adds(q, "SELECT s.stream, a.attname, ");
	bf_buf_adds(q, cols ? "coalesce(c.type, " : "(");
	bf_buf_adds(q, "CASE a.atttypid WHEN 'real[]'::regtype THEN 'vector' WHEN 'bigint'::regtype THEN 'integer'"
		    " WHEN 'integer'::regtype THEN 'integer' WHEN 'boolean'::regtype THEN 'boolean'"
		    " WHEN 'jsonb'::regtype THEN 'json' WHEN 'text'::regtype THEN 'string' ELSE 'other' END), ");
	bf_buf_adds(q, cols ? "c.embedding" : "NULL");
	bf_buf_adds(q, " FROM ");
	qname(d, q, "_bf_streams");
	bf_buf_adds(q, " s JOIN pg_attribute a ON a.attrelid = to_regclass(quote_ident($1) || '.' ||"
		    " quote_ident(s.stream)) AND a.attnum > 0 AND NOT a.attisdropped");
	if (cols) {
		bf_buf_adds(q, " LEFT JOIN ");
		qname(d, q, "_bf_columns");
		bf_buf_adds(q, " c ON c.stream = s.stream AND c.\"column\" = a.attname");
	}
	bf_buf_adds(q, " ORDER BY s.stream, a.attnum");
	const char *p[1] = { d->schema };
	PGresult *r = NULL;
	int rc = run(d, q->p, 1, p, 0, &r, err);
	if (rc)
		return rc;
	int rows = PQntuples(r);
	*out = bf_xcalloc((size_t)rows + 1, sizeof **out);
	for (int i = 0; i < rows; i++) {
		struct bf_sdb_col *c = &(*out)[(*n)++];
		c->stream = dup_value(r, i, 0);
		c->name = dup_value(r, i, 1);
		c->type = dup_value(r, i, 2);
		c->embedding = dup_value(r, i, 3);
	}
	PQclear(r);
	return 0;
}

static int pgs_parts(struct bf_sdb *bd, struct bf_sdb_part **out, size_t *n, struct bf_err *err)
{
	struct pg *d = (struct pg *)bd;
	*out = NULL;
	*n = 0;
	bf_buf_reset(&d->sql);
	bf_buf_adds(&d->sql, "SELECT location, date::text, xmin::text::bigint FROM ");
	qname(d, &d->sql, "_bf_loads");
	bf_buf_adds(&d->sql, " ORDER BY date, location");
	PGresult *r = NULL;
	int rc = run(d, d->sql.p, 0, NULL, 0, &r, err);
	if (rc)
		return rc;
	int rows = PQntuples(r);
	*out = bf_xcalloc((size_t)rows + 1, sizeof **out);
	for (int i = 0; i < rows; i++) {
		struct bf_sdb_part *p = &(*out)[(*n)++];
		p->loc = dup_value(r, i, 0);
		p->date = dup_value(r, i, 1);
		p->gen = strtoll(PQgetvalue(r, i, 2), NULL, 10);
	}
	PQclear(r);
	return 0;
}

static int64_t pgs_data_version(struct bf_sdb *bd)
{
	(void)bd;
	return -1;
}

/* ---- binary values ---- */

static uint32_t be32(const unsigned char *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* A tid (6 bytes: block, offset) as block << 16 | offset. */
static int64_t tid_id(const char *v, int len)
{
	const unsigned char *p = (const unsigned char *)v;
	if (len != 6)
		return -1;
	return (int64_t)be32(p) << 16 | ((int64_t)p[4] << 8 | p[5]);
}

static void tid_text(int64_t id, char *out, size_t n)
{
	snprintf(out, n, "(%lld,%lld)", (long long)(id >> 16), (long long)(id & 0xffff));
}

/* The floats of a binary real[] (one dimension, no nulls) into out; returns the count or -1. */
static long real_array(const char *v, int len, struct bf_buf *out)
{
	const unsigned char *p = (const unsigned char *)v;
	if (len < 12)
		return -1;
	uint32_t ndim = be32(p), hasnull = be32(p + 4);
	if (ndim == 0)
		return 0;
	if (ndim != 1 || hasnull || len < 20)
		return -1;
	uint32_t count = be32(p + 12);
	if ((size_t)len != 20 + (size_t)count * 8)
		return -1;
	bf_buf_reset(out);
	bf_buf_grow(out, (size_t)count * 4);
	float *f = (float *)(void *)out->p;
	p += 20;
	for (uint32_t i = 0; i < count; i++, p += 8) {
		if (be32(p) != 4)
			return -1;
		uint32_t u = be32(p + 4);
		memcpy(&f[i], &u, 4);
	}
	out->len = (size_t)count * 4;
	return (long)count;
}

/* ---- vectors ---- */

/* Appends a filter's conditions; its values go in p from *np on. */
static void add_filter(struct bf_buf *q, const struct bf_sdb_filter *f, int has_closure, const char *a,
		       const char **p, int *np)
{
	if (!f)
		return;
	if (f->start_date) {
		p[*np] = f->start_date;
		bf_buf_addf(q, " AND %s\"_bf_date\" >= $%d::date", a, ++*np);
	}
	if (f->end_date) {
		p[*np] = f->end_date;
		bf_buf_addf(q, " AND %s\"_bf_date\" <= $%d::date", a, ++*np);
	}
	if (f->location) {
		p[*np] = f->location;
		bf_buf_addf(q, " AND %s\"_bf_location\" = $%d", a, ++*np);
	}
	if (!f->include_closures && has_closure)
		bf_buf_addf(q, " AND (%s\"closure_indicator\")::boolean IS NOT TRUE", a);
}

static int pgs_scan(struct bf_sdb *bd, const struct bf_sdb_scan *sc, bf_sdb_row_fn fn, void *ctx,
		    struct bf_err *err)
{
	struct pg *d = (struct pg *)bd;
	struct bf_buf *q = &d->sql, vec = BF_BUF_INIT;
	const char *p[8];
	int np = 0, rc = 0;
	bf_buf_reset(q);
	bf_buf_adds(q, "SELECT ctid, ");
	bf_sql_ident(q, sc->column);
	bf_buf_adds(q, sc->has_closure ? ", (\"closure_indicator\")::boolean IS TRUE FROM " : ", false FROM ");
	qname(d, q, sc->stream);
	bf_buf_adds(q, " WHERE ");
	bf_sql_ident(q, sc->column);
	bf_buf_adds(q, " IS NOT NULL");
	if (sc->date) {
		p[np++] = sc->date;
		p[np++] = sc->loc;
		bf_buf_adds(q, " AND \"_bf_date\" = $1::date AND \"_bf_location\" = $2");
	} else if (sc->lineage_null) {
		bf_buf_adds(q, " AND \"_bf_date\" IS NULL");
	}
	add_filter(q, sc->filter, sc->has_closure, "", p, &np);
	if (!PQsendQueryParams(d->c, q->p, np, NULL, p, NULL, NULL, 1) || !PQsetSingleRowMode(d->c))
		return pg_fail(d, NULL, err);
	PGresult *r;
	while ((r = PQgetResult(d->c))) {
		ExecStatusType s = PQresultStatus(r);
		if (s == PGRES_SINGLE_TUPLE && !rc) {
			long nf = PQgetisnull(r, 0, 1) ? -1 : real_array(PQgetvalue(r, 0, 1), PQgetlength(r, 0, 1), &vec);
			if (nf > 0)
				rc = fn(ctx, tid_id(PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0)),
					(const float *)(const void *)vec.p, (size_t)nf, PQgetvalue(r, 0, 2)[0] != 0);
			PQclear(r);
		} else if (s == PGRES_TUPLES_OK || s == PGRES_SINGLE_TUPLE) {
			PQclear(r);
		} else if (!rc) {
			rc = pg_fail(d, r, err);
		} else {
			PQclear(r);
		}
	}
	bf_buf_free(&vec);
	return rc;
}

static int pgs_vector(struct bf_sdb *bd, const char *stream, const char *column, int64_t id,
		      struct bf_buf *out, size_t *n, struct bf_err *err)
{
	struct pg *d = (struct pg *)bd;
	char tid[48];
	tid_text(id, tid, sizeof tid);
	bf_buf_reset(&d->sql);
	bf_buf_adds(&d->sql, "SELECT ");
	bf_sql_ident(&d->sql, column);
	bf_buf_adds(&d->sql, " FROM ");
	qname(d, &d->sql, stream);
	bf_buf_adds(&d->sql, " WHERE ctid = $1::tid");
	const char *p[1] = { tid };
	PGresult *r = NULL;
	int rc = run(d, d->sql.p, 1, p, 1, &r, err);
	if (rc)
		return rc;
	*n = 0;
	bf_buf_reset(out);
	if (PQntuples(r) == 1 && !PQgetisnull(r, 0, 0)) {
		long nf = real_array(PQgetvalue(r, 0, 0), PQgetlength(r, 0, 0), out);
		*n = nf > 0 ? (size_t)nf : 0;
	}
	PQclear(r);
	return 0;
}

static int pgs_records(struct bf_sdb *bd, const char *stream, const struct bf_sdb_col *cols, size_t ncols,
		       const int64_t *ids, size_t n, char **json, struct bf_err *err)
{
	struct pg *d = (struct pg *)bd;
	struct bf_buf *q = &d->sql, arr = BF_BUF_INIT;
	bf_buf_reset(q);
	bf_buf_adds(q, "SELECT t.ctid::text, (SELECT row_to_json(r) FROM (SELECT ");
	for (size_t i = 0; i < ncols; i++) {
		bf_buf_adds(q, i ? ", t." : "t.");
		bf_sql_ident(q, cols[i].name);
	}
	bf_buf_adds(q, ") r)::text FROM ");
	qname(d, q, stream);
	bf_buf_adds(q, " t WHERE t.ctid = ANY($1::tid[])");
	bf_buf_addc(&arr, '{');
	for (size_t i = 0; i < n; i++) {
		char tid[48];
		tid_text(ids[i], tid, sizeof tid);
		bf_buf_addf(&arr, "%s\"%s\"", i ? "," : "", tid);
		json[i] = NULL;
	}
	bf_buf_addc(&arr, '}');
	const char *p[1] = { arr.p };
	PGresult *r = NULL;
	int rc = run(d, q->p, 1, p, 0, &r, err);
	bf_buf_free(&arr);
	if (rc)
		return rc;
	for (int row = 0; row < PQntuples(r); row++) {
		char tid[48];
		for (size_t i = 0; i < n; i++) {
			tid_text(ids[i], tid, sizeof tid);
			if (!json[i] && !strcmp(tid, PQgetvalue(r, row, 0))) {
				json[i] = dup_value(r, row, 1);
				break;
			}
		}
	}
	PQclear(r);
	return 0;
}

/* ---- text ---- */

/* coalesce("a", '') || ' ' || coalesce("b", '') */
static void text_expr(struct bf_buf *q, const char *alias, const char *const *cols, size_t n)
{
	bf_buf_adds(q, "to_tsvector('simple'::regconfig, ");
	for (size_t i = 0; i < n; i++) {
		bf_buf_adds(q, i ? " || ' ' || coalesce(" : "coalesce(");
		bf_buf_adds(q, alias);
		bf_sql_ident(q, cols[i]);
		bf_buf_adds(q, ", '')");
	}
	if (!n)
		bf_buf_adds(q, "''");
	bf_buf_addc(q, ')');
}

/* _bf_search_text_<8 hex of the columns> (one index per column set, under 63 bytes) */
static void index_name(struct bf_buf *b, const char *stream, const char *const *cols, size_t n)
{
	uint32_t h = 2166136261u;
	const char *parts[2] = { stream, "" };
	for (size_t i = 0; i < n + 1; i++) {
		const char *s = i == 0 ? parts[0] : cols[i - 1];
		for (; *s; s++)
			h = (h ^ (unsigned char)*s) * 16777619u;
		h = (h ^ 0xff) * 16777619u;
	}
	bf_buf_addf(b, "_bf_search_text_%.30s_%08x", stream, (unsigned)h);
}

static int pgs_text_index(struct bf_sdb *bd, const char *stream, const char *const *cols, size_t n,
			  int write, struct bf_err *err)
{
	struct pg *d = (struct pg *)bd;
	struct bf_buf name = BF_BUF_INIT, *q = &d->sql;
	index_name(&name, stream, cols, n);
	int rc = 0;
	if (exists(d, name.p))
		goto out;
	if (!write) {
		rc = bf_fail(err, BF_ENOINPUT, stream, "no text index yet: run bf-search --index once with the"
			     " right to create an index");
		goto out;
	}
	bf_buf_reset(q);
	bf_buf_adds(q, "CREATE INDEX IF NOT EXISTS ");
	bf_sql_ident(q, name.p);
	bf_buf_adds(q, " ON ");
	qname(d, q, stream);
	bf_buf_adds(q, " USING gin (");
	text_expr(q, "", cols, n);
	bf_buf_addc(q, ')');
	rc = run(d, q->p, 0, NULL, 0, NULL, err);
out:
	bf_buf_free(&name);
	return rc;
}

static int pgs_text(struct bf_sdb *bd, const char *stream, const char *const *cols, size_t ncols,
		    const char *const *words, size_t nwords, const struct bf_sdb_filter *f, int has_closure,
		    size_t k, int64_t *ids, float *scores, size_t *n, struct bf_err *err)
{
	struct pg *d = (struct pg *)bd;
	struct bf_buf *q = &d->sql, tq = BF_BUF_INIT;
	char klim[32];
	const char *p[8];
	int np = 0;
	*n = 0;
	if (!nwords)
		return 0;
	for (size_t i = 0; i < nwords; i++) {
		bf_buf_adds(&tq, i ? " | " : "");
		bf_buf_adds(&tq, words[i]);
	}
	p[np++] = tq.p;
	snprintf(klim, sizeof klim, "%zu", k);
	p[np++] = klim;
	bf_buf_reset(q);
	bf_buf_adds(q, "SELECT t.ctid, ts_rank(");
	text_expr(q, "t.", cols, ncols);
	bf_buf_adds(q, ", tq)::float4 AS r FROM ");
	qname(d, q, stream);
	bf_buf_adds(q, " t, to_tsquery('simple'::regconfig, $1) tq WHERE ");
	text_expr(q, "t.", cols, ncols);
	bf_buf_adds(q, " @@ tq");
	add_filter(q, f, has_closure, "t.", p, &np);
	bf_buf_adds(q, " ORDER BY r DESC, t.ctid LIMIT $2::bigint");
	PGresult *r = NULL;
	int rc = run(d, q->p, np, p, 1, &r, err);
	bf_buf_free(&tq);
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r) && *n < k; i++) {
		uint32_t u = be32((const unsigned char *)PQgetvalue(r, i, 1));
		float s;
		memcpy(&s, &u, 4);
		ids[*n] = tid_id(PQgetvalue(r, i, 0), PQgetlength(r, i, 0));
		scores[*n] = s;
		(*n)++;
	}
	PQclear(r);
	return 0;
}

static int pgs_begin(struct bf_sdb *bd, struct bf_err *err)
{
	return run((struct pg *)bd, "BEGIN", 0, NULL, 0, NULL, err);
}

static int pgs_commit(struct bf_sdb *bd, struct bf_err *err)
{
	return run((struct pg *)bd, "COMMIT", 0, NULL, 0, NULL, err);
}

static void pgs_rollback(struct bf_sdb *bd)
{
	PQclear(PQexec(((struct pg *)bd)->c, "ROLLBACK"));
}

static void pgs_close(struct bf_sdb *bd)
{
	struct pg *d = (struct pg *)bd;
	if (d->c)
		PQfinish(d->c);
	bf_buf_free(&d->sql);
	free(d->schema);
	free(d->base.display);
	free(d);
}

static const struct bf_sdb_ops pg_ops = {
	pgs_columns, pgs_parts, pgs_data_version, pgs_scan, pgs_vector, pgs_records, pgs_text_index,
	pgs_text, NULL, NULL, NULL, pgs_begin, pgs_commit, pgs_rollback, pgs_close,
};

int bf_sdb_pg_open(const char *url, const char *schema, int read_only, struct bf_sdb **out, struct bf_err *err)
{
	*out = NULL;
	PGconn *c = NULL;
	int rc = bf_pg_connect(url, "--target", &c, err);
	if (rc)
		return rc;
	struct pg *d = bf_xcalloc(1, sizeof *d);
	d->base.ops = &pg_ops;
	d->base.display = bf_xstrdup(url);
	d->base.writable = !read_only;
	d->c = c;
	d->schema = bf_xstrdup(schema && *schema ? schema : "public");
	if ((rc = run(d, read_only ? "SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; SET client_min_messages = "
		      "warning; SET default_transaction_read_only = on"
		      : "SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; SET client_min_messages = warning",
		      0, NULL, 0, NULL, err))) {
		pgs_close(&d->base);
		return rc;
	}
	*out = &d->base;
	return 0;
}
