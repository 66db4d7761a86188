/* PostgreSQL target (libpq): one table per stream in the --pg-schema (default public),
 * quoted identifiers, columns added on drift, each partition replaced by DELETE + COPY in
 * one transaction that also records it in _bf_loads; records without lineage upserted by
 * their stream's key or appended. _bf_streams lists the tables bf-load created (no other
 * table is written to) and the key each was loaded by without lineage; _bf_columns
 * describes their columns (targets/bf_target_columns.h). DDL that creates takes an
 * advisory lock first. A lost connection is BF_EUNAVAIL (69): the open partition is
 * rolled back by the server. The connection is driven by bf_pgconn: a partition's commit
 * is answered while the next partition's rows are read; PostgreSQL's commit is durable
 * when answered. The rows go by COPY in bf_target_pg_copy.c; the connection is opened in
 * bf_target_pg_open.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "targets/bf_target_columns.h"
#include "targets/bf_target_pg_int.h"
#include "targets/bf_target_views.h"
#include "base/bf_sql.h"

int pgt_run(struct pgt *t, const char *sql, int np, const char *const *params, struct bf_err *err)
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
	int rc = pgt_run(t, lock, 0, NULL, err);
	*own = !rc && PQtransactionStatus(t->k.c) == PQTRANS_IDLE;
	if (*own && !(rc = pgt_run(t, "BEGIN", 0, NULL, err)))
		rc = pgt_run(t, lock, 0, NULL, err);
	return rc;
}

static int ddl_done(struct pgt *t, int own, int rc, struct bf_err *err)
{
	return rc || !own ? rc : pgt_run(t, "COMMIT", 0, NULL, err);
}

static struct pstream *pgt_stream(struct pgt *t, const struct bf_stream_def *def)
{
	size_t i;
	/* the loop keeps one definition a stream: most records are of the last stream */
	if (t->last && t->last->def == def)
		return t->last;
	const char *name = bf_target_table_name(def->name, &t->tmp);
	if (bf_strmap_get(&t->byname, name, &i)) {
		t->s[i]->def = def;
		return t->last = t->s[i];
	}
	t->s = bf_xrealloc(t->s, (t->ns + 1) * sizeof *t->s);
	struct pstream *s = bf_xcalloc(1, sizeof *s);
	s->name = bf_xstrdup(name);
	s->idx = t->ns;
	s->def = def;
	bf_strmap_put(&t->byname, name, t->ns);
	t->s[t->ns++] = s;
	return t->last = s;
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

/* The columns of the relation named like s's table (any kind: a view has them too). */
static int load_cols(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	struct bf_buf q = BF_BUF_INIT;
	pgt_qname(t, &q, s->name);
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

/* The kind of the relation schema.name in out ("r" table, "v" view, ...; "" none). */
static int rel_kind(struct pgt *t, const char *name, char out[4], struct bf_err *err)
{
	struct bf_buf q = BF_BUF_INIT;
	pgt_qname(t, &q, name);
	const char *p[1] = { q.p };
	PGresult *r = NULL;
	out[0] = '\0';
	int rc = bf_pgconn_exec(&t->k, "SELECT relkind FROM pg_class WHERE oid = to_regclass($1)", 1, p, &r, err);
	bf_buf_free(&q);
	if (rc)
		return rc;
	if (PQntuples(r) > 0)
		snprintf(out, 4, "%s", PQgetvalue(r, 0, 0));
	PQclear(r);
	return 0;
}

static int read_tables(struct pgt *t, struct bf_err *err)
{
	bf_known_clear(&t->known);
	bf_buf_reset(&t->sql);
	bf_buf_adds(&t->sql, "SELECT stream, key_properties FROM ");
	pgt_qname(t, &t->sql, "_bf_streams");
	bf_buf_adds(&t->sql, " ORDER BY stream");
	PGresult *r = NULL;
	int rc = bf_pgconn_exec(&t->k, t->sql.p, 0, NULL, &r, err);
	if (rc)
		return rc;
	for (int i = 0; i < PQntuples(r); i++)
		bf_known_add(&t->known, PQgetvalue(r, i, 0), PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1));
	PQclear(r);
	return 0;
}

/* The views of the table, except where a relation that is not a view holds the name:
 * that one is left alone (and a warning says so). */
static int make_views(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	int which = 0, rc;
	char kind[4];
	for (int v = BF_VIEW_OPEN; v <= BF_VIEW_DAILY; v <<= 1) {
		const char *name = bf_target_view_name(s->name, v, &t->tmp);
		if ((rc = rel_kind(t, name, kind, err)))
			return rc;
		if (!kind[0] || !strcmp(kind, "v"))
			which |= v;
		else
			bf_warn(t->base.display, "view %s.%s not made: a relation of that name is there that is "
				"not bf-load's view", t->schema, bf_target_view_name(s->name, v, &t->tmp));
	}
	bf_buf_reset(&t->sql);
	bf_target_views_sql(&t->sql, t->schema, s->name, has_col, s, s->def->amount, 1, which);
	return which ? pgt_run(t, t->sql.p, 0, NULL, err) : 0;
}

static int create_table(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	struct bf_buf *q = &t->sql;
	const struct bf_stream_def *d = s->def;
	bf_buf_reset(q);
	bf_buf_adds(q, "CREATE TABLE IF NOT EXISTS ");
	pgt_qname(t, q, s->name);
	bf_buf_adds(q, " (");
	for (size_t i = 0; i < d->ncols; i++) {
		bf_buf_adds(q, i ? ", " : "");
		bf_sql_ident(q, d->cols[i].name);
		bf_buf_addc(q, ' ');
		bf_buf_adds(q, bf_type_pg(d->cols[i].type));
	}
	bf_buf_adds(q, ");\nCREATE INDEX IF NOT EXISTS ");
	bf_sql_index_ident(q, s->name, "bf_partition");
	bf_buf_adds(q, " ON ");
	pgt_qname(t, q, s->name);
	bf_buf_adds(q, " (\"_bf_date\", \"_bf_location\")");
	int rc = pgt_run(t, q->p, 0, NULL, err);
	if (rc)
		return rc;
	/* one statement at a time: parameters need single statements */
	bf_buf_reset(q);
	bf_buf_adds(q, "INSERT INTO ");
	pgt_qname(t, q, "_bf_streams");
	bf_buf_adds(q, " (stream) VALUES ($1) ON CONFLICT DO NOTHING");
	const char *p[1] = { s->name };
	if ((rc = pgt_run(t, q->p, 1, p, err)))
		return rc;
	if (!bf_known_find(&t->known, s->name))
		bf_known_add(&t->known, s->name, NULL);
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
	int rc = pgt_run(t, t->sql.p, 2, p, err);
	bf_buf_free(&json);
	return rc;
}

/* Records def's key as the table's and makes its unique index (dropping an old one). */
static int set_key(struct pgt *t, struct pstream *s, struct bf_known_table *kn, struct bf_err *err)
{
	const struct bf_stream_def *d = s->def;
	struct bf_buf *q = &t->sql;
	bf_buf_reset(q);
	bf_buf_adds(q, "DROP INDEX IF EXISTS ");
	bf_sql_ident(q, t->schema);
	bf_buf_addc(q, '.');
	bf_sql_index_ident(q, s->name, "bf_key");
	if (d->nkeys) {
		bf_buf_adds(q, ";\nCREATE UNIQUE INDEX ");
		bf_sql_index_ident(q, s->name, "bf_key");
		bf_buf_adds(q, " ON ");
		pgt_qname(t, q, s->name);
		bf_buf_adds(q, " (");
		for (size_t k = 0; k < d->nkeys; k++) {
			bf_buf_adds(q, k ? ", " : "");
			bf_sql_ident(q, d->keys[k]);
		}
		bf_buf_addc(q, ')');
	}
	int rc = pgt_run(t, q->p, 0, NULL, err);
	if (rc)
		return rc;
	bf_buf_reset(q);
	bf_buf_adds(q, "UPDATE ");
	pgt_qname(t, q, "_bf_streams");
	bf_buf_adds(q, " SET key_properties = $1 WHERE stream = $2");
	struct bf_buf kj = BF_BUF_INIT;
	const char *p[2] = { bf_target_keys_json(d, &kj), s->name };
	rc = pgt_run(t, q->p, 2, p, err);
	if (!rc) {
		free(kn->keys);
		kn->keys = bf_buf_detach(&kj);
	}
	bf_buf_free(&kj);
	return rc;
}

/* A table upserted or appended to without lineage keeps its key: another one is refused,
 * or with --rebuild-keys its unique index is made again. Records without lineage give a
 * table that had none its first key (in their transaction). */
static int check_key(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	struct bf_known_table *kn = bf_known_find(&t->known, s->name);
	if (!kn)
		return 0;
	bf_buf_reset(&t->tmp);
	bf_buf_addf(&t->tmp, "%s.%s", t->schema, s->name);
	switch (bf_known_key(kn, s->def, t->foreign, t->rebuild_keys, t->base.display, t->tmp.p, err)) {
	case BF_KEY_SET: return set_key(t, s, kn, err);
	case BF_KEY_REFUSE: return BF_EDATA;
	default: return 0;
	}
}

/* Makes s's table hold def's columns (ending a COPY under way first). */
static int pgt_ensure(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	const struct bf_stream_def *d = s->def;
	int rc, changed = 0, own = 0, locked = 0;
	if ((rc = pgt_end_copy(t, err)))
		return rc;
	if (!s->ready) {
		if ((rc = load_cols(t, s, err)))
			return rc;
		changed = 1;
	}
	if (s->ncols && !bf_known_find(&t->known, s->name)) {
		/* another loader may have made it since the list was read */
		if ((rc = read_tables(t, err)))
			return rc;
		if (!bf_known_find(&t->known, s->name))
			return bf_fail(err, BF_ECONFIG, t->base.display, "stream %s: a relation %s.%s is there that "
				       "bf-load did not create; it is never written to (rename it, or load into "
				       "another --pg-schema)", d->name, t->schema, s->name);
	}
	/* creating a table or its views takes the DDL lock; adding columns does not (ALTER
	 * TABLE waits on the table itself, and under the lock it could wait on a loader that
	 * waits for the lock) */
	if (s->ncols == 0) {
		char kind[4];
		if ((rc = ddl_lock(t, &own, err)))
			return rc;
		locked = 1;
		/* another loader may have created it while this one waited for the lock */
		if ((rc = rel_kind(t, s->name, kind, err)) ||
		    (kind[0] && ((rc = load_cols(t, s, err)) || (rc = read_tables(t, err)))))
			return ddl_done(t, own, rc, err);
		if (kind[0] && !s->ncols)
			return ddl_done(t, own, bf_fail(err, BF_ECONFIG, t->base.display, "stream %s: a relation "
						       "%s.%s without columns is there; it is never touched",
						       d->name, t->schema, s->name), err);
		if (kind[0] && !bf_known_find(&t->known, s->name))
			return ddl_done(t, own, bf_fail(err, BF_ECONFIG, t->base.display, "stream %s: a relation %s.%s "
						       "is there that bf-load did not create; it is never written to (rename "
						       "it, or load into another --pg-schema)", d->name, t->schema, s->name), err);
		if (!kind[0] && (rc = create_table(t, s, err)))
			return ddl_done(t, own, rc, err);
	}
	{
		/* columns the table lacks (none when it was just created) */
		for (size_t i = 0; i < d->ncols; i++) {
			if (has_col(s, d->cols[i].name))
				continue;
			bf_buf_reset(&t->sql);
			bf_buf_adds(&t->sql, "ALTER TABLE ");
			pgt_qname(t, &t->sql, s->name);
			bf_buf_adds(&t->sql, " ADD COLUMN IF NOT EXISTS ");
			bf_sql_ident(&t->sql, d->cols[i].name);
			bf_buf_addc(&t->sql, ' ');
			bf_buf_adds(&t->sql, bf_type_pg(d->cols[i].type));
			if ((rc = pgt_run(t, t->sql.p, 0, NULL, err)))
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
	if ((rc = check_key(t, s, err)))
		return rc;
	s->version = d->version;
	s->keyed = t->foreign;
	s->ready = 1;
	return 0;
}

static int pg_schema(struct bf_target *bt, const struct bf_stream_def *def, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	struct pstream *s = pgt_stream(t, def);
	s->keyed = 0;
	return pgt_ensure(t, s, err);
}

static int pg_record(struct bf_target *bt, const struct bf_row *r, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	struct pstream *s = pgt_stream(t, r->def);
	int rc;
	if ((!s->ready || s->version != r->def->version || (t->foreign && !s->keyed)) &&
	    (rc = pgt_ensure(t, s, err)))
		return rc;
	return pgt_copy_row(t, s, r, err);
}

static int pg_begin(struct bf_target *bt, const char *loc, const char *date, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	t->text_only = 0;
	t->foreign = date == NULL;
	for (size_t i = 0; i < t->ns; i++)
		t->s[i]->keyed = 0;
	if (!date)
		return pgt_run(t, "BEGIN", 0, NULL, err);
	const char *p[2] = { date, loc };
	size_t n = t->known.n + 1;
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
		if (i < t->known.n) {
			pgt_qname(t, &t->sql, t->known.t[i].name);
			bf_buf_adds(&t->sql, " WHERE \"_bf_date\" = $1 AND \"_bf_location\" = $2");
		} else {
			pgt_qname(t, &t->sql, "_bf_loads");
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

/* A partition's commit is queued, not waited for: its answer is read while the next
 * partition's rows are (pg_pending, pg_confirm). */
static int pg_commit(struct bf_target *bt, const struct bf_target_part *p, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	int rc = pgt_end_copy(t, err);
	if (rc)
		return rc;
	t->foreign = 0;
	if (!p->date)
		return pgt_run(t, "COMMIT", 0, NULL, err);
	char rows[24], quar[24];
	snprintf(rows, sizeof rows, "%lld", p->rows);
	snprintf(quar, sizeof quar, "%lld", p->quarantined);
	const char *v[7] = { p->location, p->date, p->source, rows, quar, p->status, p->state_json };
	bf_buf_reset(&t->sql);
	bf_buf_adds(&t->sql, "INSERT INTO ");
	pgt_qname(t, &t->sql, "_bf_loads");
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

static void pg_rollback(struct bf_target *bt)
{
	struct pgt *t = (struct pgt *)bt;
	struct bf_err e = { 0 };
	pgt_copy_reset(t);
	t->foreign = 0;
	bf_pgconn_abort(&t->k);
	for (size_t i = 0; i < t->ns; i++) {
		t->s[i]->ready = 0;
		free_cols(t->s[i]);
	}
	if (PQstatus(t->k.c) == CONNECTION_OK && !t->k.rc)
		read_tables(t, &e);
}

static int pg_loads(struct bf_target *bt,
		    int (*fn)(void *arg, const char *location, const char *date, const char *source),
		    void *arg, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	PGresult *r = NULL;
	int rc;
	bf_buf_reset(&t->tmp);
	pgt_qname(t, &t->tmp, "_bf_loads");
	if (t->read_only) {
		/* opened without setup: a schema bf-load never wrote to holds nothing */
		const char *p[1] = { t->tmp.p };
		if ((rc = bf_pgconn_exec(&t->k, "SELECT to_regclass($1) IS NULL", 1, p, &r, err)))
			return rc;
		int none = PQntuples(r) == 1 && !strcmp(PQgetvalue(r, 0, 0), "t");
		PQclear(r);
		if (none)
			return 0;
	}
	bf_buf_reset(&t->sql);
	bf_buf_addf(&t->sql, "SELECT location, date::text, source FROM %s", t->tmp.p);
	if ((rc = bf_pgconn_exec(&t->k, t->sql.p, 0, NULL, &r, err)))
		return rc;
	for (int i = 0; i < PQntuples(r); i++)
		if (fn(arg, PQgetvalue(r, i, 0), PQgetvalue(r, i, 1),
		       PQgetisnull(r, i, 2) ? NULL : PQgetvalue(r, i, 2)))
			break;
	PQclear(r);
	return 0;
}

void pgt_close(struct bf_target *bt)
{
	struct pgt *t = (struct pgt *)bt;
	if (!t)
		return;
	pgt_copy_reset(t);
	for (size_t i = 0; i < t->ns; i++) {
		free_cols(t->s[i]);
		free(t->s[i]->name);
		free(t->s[i]);
	}
	free(t->s);
	bf_strmap_free(&t->byname);
	bf_known_free(&t->known);
	bf_pgconn_free(&t->k);
	bf_buf_free(&t->sql);
	bf_buf_free(&t->copy);
	bf_buf_free(&t->tmp);
	free(t->schema);
	free(t->base.display);
	free(t);
}

const struct bf_target_ops pgt_ops = {
	"postgresql", pg_schema, pg_begin, pg_record, pg_commit, pg_rollback, pgt_close,
	pg_pending, pg_confirm, pgt_flush, NULL, pg_loads,
};

/* key_properties added to a _bf_streams from before keys (only then: ALTER TABLE locks
 * the table even when the column is there). */
static int add_key_column(struct pgt *t, struct bf_err *err)
{
	struct bf_buf q = BF_BUF_INIT;
	pgt_qname(t, &q, "_bf_streams");
	const char *p[1] = { q.p };
	PGresult *r = NULL;
	int rc = bf_pgconn_exec(&t->k, "SELECT 1 FROM pg_attribute WHERE attrelid = to_regclass($1)"
				" AND attname = 'key_properties' AND NOT attisdropped", 1, p, &r, err);
	int have = !rc && PQntuples(r) > 0;
	PQclear(r);
	if (!rc && !have) {
		bf_buf_reset(&q);
		bf_buf_adds(&q, "ALTER TABLE ");
		pgt_qname(t, &q, "_bf_streams");
		bf_buf_adds(&q, " ADD COLUMN IF NOT EXISTS key_properties text");
		rc = pgt_run(t, q.p, 0, NULL, err);
	}
	bf_buf_free(&q);
	return rc;
}

int pgt_setup(struct pgt *t, struct bf_err *err)
{
	bf_buf_reset(&t->sql);
	if (strcmp(t->schema, "public")) {
		bf_buf_adds(&t->sql, "CREATE SCHEMA IF NOT EXISTS ");
		bf_sql_ident(&t->sql, t->schema);
		bf_buf_adds(&t->sql, ";\n");
	}
	bf_buf_adds(&t->sql, "CREATE TABLE IF NOT EXISTS ");
	pgt_qname(t, &t->sql, "_bf_streams");
	bf_buf_adds(&t->sql, " (stream text PRIMARY KEY, created_at timestamptz NOT NULL DEFAULT now(),"
		    " key_properties text);\nCREATE TABLE IF NOT EXISTS ");
	pgt_qname(t, &t->sql, "_bf_loads");
	bf_buf_adds(&t->sql, " (location text NOT NULL, date date NOT NULL, source text, rows bigint NOT NULL,"
		    " quarantined bigint, status text NOT NULL, state jsonb, loaded_at timestamptz NOT NULL,"
		    " PRIMARY KEY (location, date));\n");
	bf_target_columns_ddl(&t->sql, t->schema);
	int own, rc;
	if ((rc = ddl_lock(t, &own, err)))
		return rc;
	rc = pgt_run(t, t->sql.p, 0, NULL, err);
	if (!rc)
		rc = add_key_column(t, err);
	if ((rc = ddl_done(t, own, rc, err)))
		return rc;
	return read_tables(t, err);
}
