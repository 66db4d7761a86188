/* PostgreSQL target (libpq): one table per stream in the --pg-schema (default public),
 * quoted identifiers, columns added on drift, each partition replaced by DELETE + COPY
 * (binary format; text for what the binary path does not take) in one transaction that
 * also records it in _bf_loads. The URL never carries a password: libpq takes it from
 * PGPASSWORD or the .pgpass file. A lost connection is BF_EUNAVAIL (69): the open
 * partition is rolled back by the server. The connection is driven by bf_pgconn: a
 * partition's commit is answered while the next partition's rows are read. The rows
 * become COPY bytes in bf_pgcopy. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "pg/bf_pgconnect.h"
#include "targets/bf_target_backend.h"
#include "targets/bf_target_columns.h"
#include "targets/bf_target_views.h"
#include "targets/bf_pgconn.h"
#include "targets/bf_pgcopy.h"
#include "base/bf_sql.h"

struct pstream {
	char *name;
	const struct bf_stream_def *def;
	unsigned version;
	int ready;
	char **cols;
	unsigned *oids;            /* the type of each column in the table */
	size_t ncols;
};

struct pgt {
	struct bf_target base;
	struct bf_pgconn k;
	char *schema;
	struct pstream *s;
	size_t ns;
	char **tables;
	size_t ntables;
	struct bf_buf sql, copy;
	int copying;               /* index + 1 of the stream being copied, 0 if none */
	int copy_bin;              /* that COPY is in binary format */
	int text_only;             /* this partition fell back to text COPY */
	size_t chunk;              /* send the COPY data when it reaches this size */
	unsigned rows;             /* rows put in the COPY buffer, for polling */
};

static int run(struct pgt *t, const char *sql, int np, const char *const *params, struct bf_err *err)
{
	return bf_pgconn_exec(&t->k, sql, np, params, NULL, err);
}

/* Two loaders creating one table at once (CREATE TABLE IF NOT EXISTS) can fail on a unique
 * index of the catalog ("duplicate key value violates unique constraint
 * pg_type_typname_nsp_index"): DDL takes a lock of its own first, held to the end of the
 * transaction it runs in, the partition's or, outside one, its own (*own). */
static int ddl_lock(struct pgt *t, int *own, struct bf_err *err)
{
	static const char lock[] = "SELECT pg_advisory_xact_lock(hashtext('bf-load: DDL'))";
	int rc = run(t, lock, 0, NULL, err);
	*own = !rc && PQtransactionStatus(t->k.c) == PQTRANS_IDLE;
	if (*own && !(rc = run(t, "BEGIN", 0, NULL, err)))
		rc = run(t, lock, 0, NULL, err);
	return rc;
}

static int ddl_done(struct pgt *t, int own, int rc, struct bf_err *err)
{
	return rc || !own ? rc : run(t, "COMMIT", 0, NULL, err);
}

static void qname(struct pgt *t, struct bf_buf *q, const char *name)
{
	bf_sql_ident(q, t->schema);
	bf_buf_addc(q, '.');
	bf_sql_ident(q, name);
}

static struct pstream *find_stream(struct pgt *t, const char *name)
{
	for (size_t i = 0; i < t->ns; i++)
		if (!strcmp(t->s[i].name, name))
			return &t->s[i];
	t->s = bf_xrealloc(t->s, (t->ns + 1) * sizeof *t->s);
	struct pstream *s = &t->s[t->ns++];
	memset(s, 0, sizeof *s);
	s->name = bf_xstrdup(name);
	return s;
}

static void free_cols(struct pstream *s)
{
	for (size_t i = 0; i < s->ncols; i++)
		free(s->cols[i]);
	free(s->cols);
	free(s->oids);
	s->cols = NULL;
	s->oids = NULL;
	s->ncols = 0;
}

static int has_col(void *ctx, const char *name)
{
	struct pstream *s = ctx;
	for (size_t i = 0; i < s->ncols; i++)
		if (!strcmp(s->cols[i], name))
			return 1;
	return 0;
}

static int load_cols(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	struct bf_buf q = BF_BUF_INIT;
	qname(t, &q, s->name);
	const char *p[1] = { q.p };
	PGresult *r = NULL;
	int rc = bf_pgconn_exec(&t->k, "SELECT attname, atttypid FROM pg_attribute WHERE attrelid = to_regclass($1)"
				" AND attnum > 0 AND NOT attisdropped ORDER BY attnum", 1, p, &r, err);
	bf_buf_free(&q);
	if (rc)
		return rc;
	free_cols(s);
	int n = PQntuples(r);
	s->cols = bf_xcalloc((size_t)n + 1, sizeof *s->cols);
	s->oids = bf_xcalloc((size_t)n + 1, sizeof *s->oids);
	for (int i = 0; i < n; i++) {
		s->oids[s->ncols] = (unsigned)strtoul(PQgetvalue(r, i, 1), NULL, 10);
		s->cols[s->ncols++] = bf_xstrdup(PQgetvalue(r, i, 0));
	}
	PQclear(r);
	return 0;
}

static int read_tables(struct pgt *t, struct bf_err *err)
{
	for (size_t i = 0; i < t->ntables; i++)
		free(t->tables[i]);
	t->ntables = 0;
	bf_buf_reset(&t->sql);
	bf_buf_adds(&t->sql, "SELECT stream FROM ");
	qname(t, &t->sql, "_bf_streams");
	bf_buf_adds(&t->sql, " ORDER BY stream");
	PGresult *r = NULL;
	int rc = bf_pgconn_exec(&t->k, t->sql.p, 0, NULL, &r, err);
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r); i++) {
		t->tables = bf_xrealloc(t->tables, (t->ntables + 1) * sizeof *t->tables);
		t->tables[t->ntables++] = bf_xstrdup(PQgetvalue(r, i, 0));
	}
	PQclear(r);
	return 0;
}

/* Ends a running COPY: its data goes out (once it is open), its result is read later. */
static int end_copy(struct pgt *t, struct bf_err *err)
{
	if (!t->copying)
		return 0;
	t->copying = 0;
	int rc = bf_pgconn_copy_open(&t->k, err);
	if (!rc && t->copy_bin)
		bf_buf_add(&t->copy, "\377\377", 2); /* the trailer: a field count of -1 */
	if (!rc)
		rc = bf_pgconn_copy_put(&t->k, t->copy.p, t->copy.len, 1, err);
	t->copy_bin = 0;
	bf_buf_reset(&t->copy);
	return rc;
}

static int make_views(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	bf_buf_reset(&t->sql);
	bf_target_views_sql(&t->sql, t->schema, s->name, has_col, s, s->def->amount, 1);
	return run(t, t->sql.p, 0, NULL, err);
}

static int create_table(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	struct bf_buf *q = &t->sql;
	const struct bf_stream_def *d = s->def;
	bf_buf_reset(q);
	bf_buf_adds(q, "CREATE TABLE IF NOT EXISTS ");
	qname(t, q, s->name);
	bf_buf_adds(q, " (");
	for (size_t i = 0; i < d->ncols; i++) {
		bf_buf_adds(q, i ? ", " : "");
		bf_sql_ident(q, d->cols[i].name);
		bf_buf_addc(q, ' ');
		bf_buf_adds(q, bf_type_pg(d->cols[i].type));
	}
	bf_buf_adds(q, ");\nCREATE INDEX IF NOT EXISTS ");
	size_t nl = strlen(s->name);
	char *ix = bf_xmalloc(nl + 16);
	memcpy(ix, s->name, nl);
	memcpy(ix + nl, "__bf_partition", 15);
	bf_sql_ident(q, ix);
	free(ix);
	bf_buf_adds(q, " ON ");
	qname(t, q, s->name);
	bf_buf_adds(q, " (\"_bf_date\", \"_bf_location\");\nINSERT INTO ");
	qname(t, q, "_bf_streams");
	bf_buf_adds(q, " (stream) VALUES ($1) ON CONFLICT DO NOTHING");
	/* one statement at a time: parameters need single statements */
	char *all = bf_xstrdup(q->p), *ins = strstr(all, ";\nINSERT INTO ");
	*ins = '\0';
	int rc = run(t, all, 0, NULL, err);
	const char *p[1] = { s->name };
	if (!rc)
		rc = run(t, ins + 2, 1, p, err);
	free(all);
	if (rc)
		return rc;
	int known = 0;
	for (size_t i = 0; i < t->ntables; i++)
		known |= !strcmp(t->tables[i], s->name);
	if (!known) {
		t->tables = bf_xrealloc(t->tables, (t->ntables + 1) * sizeof *t->tables);
		t->tables[t->ntables++] = bf_xstrdup(s->name);
	}
	return load_cols(t, s, err);
}

/* The stream's columns in _bf_columns (with the statements that changed the table). */
static int describe(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	struct bf_buf json = BF_BUF_INIT;
	bf_buf_reset(&t->sql);
	bf_target_columns_upsert(&t->sql, t->schema);
	bf_target_columns_json(s->def, &json);
	const char *p[2] = { s->name, json.p };
	int rc = run(t, t->sql.p, 2, p, err);
	bf_buf_free(&json);
	return rc;
}

static int ensure(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	const struct bf_stream_def *d = s->def;
	int rc, changed = 0, own = 0, locked = 0;
	if ((rc = end_copy(t, err)))
		return rc;
	if (!s->ready) {
		if ((rc = load_cols(t, s, err)))
			return rc;
		changed = 1;
	}
	/* creating a table or its views takes the DDL lock; adding columns does not (ALTER
	 * TABLE waits on the table itself, and under the lock it could wait on a loader that
	 * waits for the lock) */
	if (s->ncols == 0) {
		if ((rc = ddl_lock(t, &own, err)))
			return rc;
		locked = 1;
		if ((rc = create_table(t, s, err)))
			return ddl_done(t, own, rc, err);
	} else {
		for (size_t i = 0; i < d->ncols; i++) {
			if (has_col(s, d->cols[i].name))
				continue;
			bf_buf_reset(&t->sql);
			bf_buf_adds(&t->sql, "ALTER TABLE ");
			qname(t, &t->sql, s->name);
			bf_buf_adds(&t->sql, " ADD COLUMN IF NOT EXISTS ");
			bf_sql_ident(&t->sql, d->cols[i].name);
			bf_buf_addc(&t->sql, ' ');
			bf_buf_adds(&t->sql, bf_type_pg(d->cols[i].type));
			if ((rc = run(t, t->sql.p, 0, NULL, err)))
				return rc;
			changed = 2;
		}
		/* read back: the types of the columns as the table has them */
		if (changed == 2 && (rc = load_cols(t, s, err)))
			return rc;
	}
	if (changed && !locked && (rc = ddl_lock(t, &own, err)))
		return rc;
	if (changed || locked) {
		rc = changed ? make_views(t, s, err) : 0;
		if ((rc = ddl_done(t, own, rc, err)))
			return rc;
	}
	if ((changed || s->version != d->version) && (rc = describe(t, s, err)))
		return rc;
	s->version = d->version;
	s->ready = 1;
	return 0;
}

static int pg_schema(struct bf_target *bt, const struct bf_stream_def *def, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	struct pstream *s = find_stream(t, def->name);
	s->def = def;
	return ensure(t, s, err);
}

static int pg_begin(struct bf_target *bt, const char *loc, const char *date, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	t->text_only = 0;
	if (!date)
		return run(t, "BEGIN", 0, NULL, err);
	const char *p[2] = { date, loc };
	size_t n = t->ntables + 1;
	struct bf_pgconn_stmt *st = bf_xcalloc(n + 2, sizeof *st);
	char **sql = bf_xcalloc(n, sizeof *sql);
	st[0].sql = "BEGIN";
	/* two loads of the same partition at once wait for each other */
	st[1].sql = "SELECT pg_advisory_xact_lock(hashtext($2 || '/' || $1))";
	st[1].np = 2;
	st[1].params = p;
	for (size_t i = 0; i < n; i++) {
		bf_buf_reset(&t->sql);
		bf_buf_adds(&t->sql, "DELETE FROM ");
		if (i < t->ntables) {
			qname(t, &t->sql, t->tables[i]);
			bf_buf_adds(&t->sql, " WHERE \"_bf_date\" = $1 AND \"_bf_location\" = $2");
		} else {
			qname(t, &t->sql, "_bf_loads");
			bf_buf_adds(&t->sql, " WHERE date = $1 AND location = $2");
		}
		sql[i] = bf_xstrdup(t->sql.p);
		st[i + 2].sql = sql[i];
		st[i + 2].np = 2;
		st[i + 2].params = p;
	}
	/* queued behind the previous partition's commit, not waited for: the rows are read
	 * meanwhile, and their COPY opens once the answers came */
	int rc = bf_pgconn_send(&t->k, st, (int)n + 2, 0, err);
	for (size_t i = 0; i < n; i++)
		free(sql[i]);
	free(sql);
	free(st);
	return rc;
}

/* Every column of the stream has, in the table, the type the loader would create. */
static int stream_binary(const struct pstream *s)
{
	const struct bf_stream_def *d = s->def;
	for (size_t i = 0; i < d->ncols; i++) {
		size_t k = 0;
		while (k < s->ncols && strcmp(s->cols[k], d->cols[i].name))
			k++;
		if (k == s->ncols || s->oids[k] != bf_pgcopy_type_oid(d->cols[i].type))
			return 0;
	}
	return 1;
}

/* ---- the COPY of a partition ---- */

/* COPY data goes out in chunks: a small first one gets the server working early in each
 * COPY, then large ones (many small ones cost the server more CPU). Until the COPY is
 * open (the answers to what was sent before it came), up to LOOKAHEAD bytes of rows are
 * held, so that reading them overlaps the server's work on what came before. */
#define CHUNK_FIRST (32u << 10)
#define CHUNK (256u << 10)
#define LOOKAHEAD (1u << 20)
#define POLL_ROWS 16u

/* Sets up the COPY of stream s; the command goes out once what is queued before it was
 * answered. Its column list is the stream's now: a change of it ends this COPY first. */
static void start_copy(struct pgt *t, struct pstream *s)
{
	const struct bf_stream_def *d = s->def;
	t->copying = (int)(s - t->s) + 1;
	t->copy_bin = !t->text_only && stream_binary(s);
	t->chunk = CHUNK_FIRST;
	if (t->copy_bin)
		bf_pgcopy_bin_header(&t->copy);
	bf_buf_reset(&t->sql);
	bf_buf_adds(&t->sql, "COPY ");
	qname(t, &t->sql, s->name);
	bf_buf_adds(&t->sql, " (");
	for (size_t i = 0; i < d->ncols; i++) {
		bf_buf_adds(&t->sql, i ? ", " : "");
		bf_sql_ident(&t->sql, d->cols[i].name);
	}
	bf_buf_adds(&t->sql, t->copy_bin ? ") FROM STDIN (FORMAT binary)" : ") FROM STDIN");
	bf_pgconn_want_copy(&t->k, t->sql.p);
}

/* Sends the held COPY data when the COPY is open and there is enough of it; waits for
 * the COPY to open only when LOOKAHEAD bytes are held. */
static int flush_copy(struct pgt *t, struct bf_err *err)
{
	int rc = 0;
	if (t->k.phase != BF_PGC_COPY_IN) {
		if (t->copy.len >= LOOKAHEAD)
			rc = bf_pgconn_copy_open(&t->k, err);
		else if (++t->rows % POLL_ROWS == 0)
			rc = bf_pgconn_poll(&t->k, err);
		if (rc || t->k.phase != BF_PGC_COPY_IN)
			return rc;
	}
	if (t->copy.len < t->chunk)
		return 0;
	rc = bf_pgconn_copy_put(&t->k, t->copy.p, t->copy.len, 0, err);
	bf_buf_reset(&t->copy);
	t->chunk = CHUNK;
	return rc;
}

static int pg_record(struct bf_target *bt, const struct bf_row *r, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	struct pstream *s = find_stream(t, r->def->name);
	int rc;
	s->def = r->def;
	if ((!s->ready || s->version != r->def->version) && (rc = ensure(t, s, err)))
		return rc;
	if (t->copying != (int)(s - t->s) + 1) {
		if ((rc = end_copy(t, err)))
			return rc;
		start_copy(t, s);
	}
	if (t->copy_bin && bf_pgcopy_row_bin(&t->copy, r)) {
		/* a value for the server to parse: text COPY for the rest of the partition */
		t->text_only = 1;
		if ((rc = end_copy(t, err)))
			return rc;
		start_copy(t, s);
	}
	if (!t->copy_bin)
		bf_pgcopy_row_text(&t->copy, r);
	return flush_copy(t, err);
}

/* A partition's commit is queued, not waited for: its answer is read while the next
 * partition's rows are (pg_pending, pg_confirm). */
static int pg_commit(struct bf_target *bt, const struct bf_target_part *p, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	int rc = end_copy(t, err);
	if (rc)
		return rc;
	if (!p->date)
		return run(t, "COMMIT", 0, NULL, err);
	char rows[24], quar[24];
	snprintf(rows, sizeof rows, "%lld", p->rows);
	snprintf(quar, sizeof quar, "%lld", p->quarantined);
	const char *v[7] = { p->location, p->date, p->source, rows, quar, p->status, p->state_json };
	bf_buf_reset(&t->sql);
	bf_buf_adds(&t->sql, "INSERT INTO ");
	qname(t, &t->sql, "_bf_loads");
	bf_buf_adds(&t->sql, " (location, date, source, rows, quarantined, status, state, loaded_at)"
		    " VALUES ($1, $2, $3, $4, $5, $6, $7, now()) ON CONFLICT (location, date) DO UPDATE SET"
		    " source = EXCLUDED.source, rows = EXCLUDED.rows, quarantined = EXCLUDED.quarantined,"
		    " status = EXCLUDED.status, state = EXCLUDED.state, loaded_at = EXCLUDED.loaded_at");
	const struct bf_pgconn_stmt st[2] = { { t->sql.p, 7, v }, { "COMMIT", 0, NULL } };
	return bf_pgconn_send(&t->k, st, 2, 1, err);
}

static int pg_pending(struct bf_target *bt)
{
	return bf_pgconn_commit_pending(&((struct pgt *)bt)->k);
}

static int pg_confirm(struct bf_target *bt, struct bf_err *err)
{
	return bf_pgconn_confirm(&((struct pgt *)bt)->k, err);
}

/* The loader waits for input: the rows held go to the server meanwhile. */
static int pg_flush(struct bf_target *bt, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	if (!t->copying)
		return bf_pgconn_poll(&t->k, err);
	int rc = bf_pgconn_copy_open(&t->k, err);
	if (!rc && t->copy.len)
		rc = bf_pgconn_copy_put(&t->k, t->copy.p, t->copy.len, 0, err);
	bf_buf_reset(&t->copy);
	return rc;
}

static void pg_rollback(struct bf_target *bt)
{
	struct pgt *t = (struct pgt *)bt;
	struct bf_err e = { 0 };
	t->copying = t->copy_bin = t->text_only = 0;
	bf_buf_reset(&t->copy);
	bf_pgconn_abort(&t->k);
	for (size_t i = 0; i < t->ns; i++) {
		t->s[i].ready = 0;
		free_cols(&t->s[i]);
	}
	if (PQstatus(t->k.c) == CONNECTION_OK && !t->k.rc)
		read_tables(t, &e);
}

static void pg_close(struct bf_target *bt)
{
	struct pgt *t = (struct pgt *)bt;
	if (!t)
		return;
	for (size_t i = 0; i < t->ns; i++) {
		free_cols(&t->s[i]);
		free(t->s[i].name);
	}
	free(t->s);
	for (size_t i = 0; i < t->ntables; i++)
		free(t->tables[i]);
	free(t->tables);
	bf_pgconn_free(&t->k);
	bf_buf_free(&t->sql);
	bf_buf_free(&t->copy);
	free(t->schema);
	free(t->base.display);
	free(t);
}

static const struct bf_target_ops pg_ops = {
	"postgresql", pg_schema, pg_begin, pg_record, pg_commit, pg_rollback, pg_close,
	pg_pending, pg_confirm, pg_flush,
};

int bf_target_pg_open(const char *url, const struct bf_target_opts *o, struct bf_target **out,
		      struct bf_err *err)
{
	*out = NULL;
	PGconn *c = NULL;
	int rc = bf_pg_connect(url, "--target", &c, err);
	if (rc)
		return rc;
	struct pgt *t = bf_xcalloc(1, sizeof *t);
	t->base.ops = &pg_ops;
	t->base.display = bf_xstrdup(url);
	t->schema = bf_xstrdup(o && o->pg_schema ? o->pg_schema : "public");
	bf_pgconn_init(&t->k, c, t->base.display);
	if ((rc = run(t, "SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; SET client_min_messages = warning",
		      0, NULL, err)))
		goto fail;
	bf_buf_reset(&t->sql);
	if (strcmp(t->schema, "public")) {
		bf_buf_adds(&t->sql, "CREATE SCHEMA IF NOT EXISTS ");
		bf_sql_ident(&t->sql, t->schema);
		bf_buf_adds(&t->sql, ";\n");
	}
	bf_buf_adds(&t->sql, "CREATE TABLE IF NOT EXISTS ");
	qname(t, &t->sql, "_bf_streams");
	bf_buf_adds(&t->sql, " (stream text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now());\n"
		    "CREATE TABLE IF NOT EXISTS ");
	qname(t, &t->sql, "_bf_loads");
	bf_buf_adds(&t->sql, " (location text NOT NULL, date date NOT NULL, source text, rows bigint NOT NULL,"
		    " quarantined bigint, status text NOT NULL, state jsonb, loaded_at timestamptz NOT NULL,"
		    " PRIMARY KEY (location, date));\n");
	bf_target_columns_ddl(&t->sql, t->schema);
	int own;
	if ((rc = ddl_lock(t, &own, err)) || (rc = ddl_done(t, own, run(t, t->sql.p, 0, NULL, err), err)) ||
	    (rc = read_tables(t, err)))
		goto fail;
	*out = &t->base;
	return 0;
fail:
	pg_close(&t->base);
	return rc;
}
