/* PostgreSQL target (libpq): one table per stream in the --pg-schema (default public),
 * quoted identifiers, columns added on drift, each partition replaced by DELETE + COPY
 * (text format) in one transaction that also records it in _bf_loads. The URL never
 * carries a password: libpq takes it from PGPASSWORD or the .pgpass file. A lost
 * connection is BF_EUNAVAIL (69): the open partition is rolled back by the server. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "bf_buf.h"
#include "bf_exit.h"
#include "bf_load.h"
#include "bf_sql.h"

struct pstream {
	char *name;
	const struct bf_stream_def *def;
	unsigned version;
	int ready;
	char **cols;
	size_t ncols;
};

struct pgt {
	struct bf_target base;
	PGconn *c;
	char *schema;
	struct pstream *s;
	size_t ns;
	char **tables;
	size_t ntables;
	struct bf_buf sql, copy;
	int copying;               /* index + 1 of the stream being copied, 0 if none */
	int in_txn;
};

static int code_of(struct pgt *t, const PGresult *r)
{
	if (PQstatus(t->c) == CONNECTION_BAD)
		return BF_EUNAVAIL;
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (!st)
		return BF_EUNAVAIL;
	if (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3))
		return BF_EUNAVAIL;
	if (!strncmp(st, "28", 2) || !strcmp(st, "42501"))
		return BF_ENOPERM;
	if (!strncmp(st, "40", 2) || !strcmp(st, "55P03") || !strcmp(st, "57014"))
		return BF_ETEMP;
	if (!strncmp(st, "22", 2) || !strncmp(st, "23", 2))
		return BF_EDATA;
	if (!strncmp(st, "53", 2))
		return BF_EOS;
	return BF_ESOFTWARE;
}

static int pg_fail(struct pgt *t, PGresult *r, struct bf_err *err)
{
	int code = code_of(t, r);
	const char *m = r ? PQresultErrorMessage(r) : NULL;
	if (!m || !*m)
		m = PQerrorMessage(t->c);
	int n = (int)strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	bf_fail(err, code, t->base.display, "%s%.*s", code == BF_EUNAVAIL ? "connection lost: " : "", n, m);
	PQclear(r);
	return code;
}

static int run(struct pgt *t, const char *sql, int np, const char *const *params, struct bf_err *err)
{
	PGresult *r = np ? PQexecParams(t->c, sql, np, NULL, params, NULL, NULL, 0) : PQexec(t->c, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK)
		return pg_fail(t, r, err);
	PQclear(r);
	return 0;
}

/* Statements sent together in one round trip (libpq pipeline mode): each waiting for the
 * previous one's answer cost a wake-up of each side per statement, partition after
 * partition. After an error the server skips the rest up to the sync point. */
struct pstmt {
	const char *sql;
	int np;
	const char *const *params;
};

static int run_all(struct pgt *t, const struct pstmt *st, int n, struct bf_err *err)
{
	if (PQenterPipelineMode(t->c) != 1)
		return pg_fail(t, NULL, err);
	int ok = 1;
	for (int i = 0; i < n && ok; i++)
		ok = PQsendQueryParams(t->c, st[i].sql, st[i].np, NULL, st[i].params, NULL, NULL, 0) == 1;
	if (ok)
		ok = PQpipelineSync(t->c) == 1;
	PGresult *bad = NULL;
	int ends = 0;
	while (ok) {
		PGresult *r = PQgetResult(t->c);
		if (!r) {
			/* one after each statement's results; more means the connection is gone */
			if (++ends > n || PQstatus(t->c) == CONNECTION_BAD)
				ok = 0;
			continue;
		}
		ExecStatusType rs = PQresultStatus(r);
		if (rs == PGRES_PIPELINE_SYNC) {
			PQclear(r);
			break;
		}
		if (rs != PGRES_COMMAND_OK && rs != PGRES_TUPLES_OK && rs != PGRES_PIPELINE_ABORTED && !bad)
			bad = r;
		else
			PQclear(r);
	}
	PQexitPipelineMode(t->c);
	if (bad || !ok)
		return pg_fail(t, bad, err);
	return 0;
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
	s->cols = NULL;
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
	PGresult *r = PQexecParams(t->c, "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass($1)"
				   " AND attnum > 0 AND NOT attisdropped ORDER BY attnum", 1, NULL, p, NULL, NULL, 0);
	bf_buf_free(&q);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(t, r, err);
	free_cols(s);
	int n = PQntuples(r);
	s->cols = bf_xcalloc((size_t)n + 1, sizeof *s->cols);
	for (int i = 0; i < n; i++)
		s->cols[s->ncols++] = bf_xstrdup(PQgetvalue(r, i, 0));
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
	PGresult *r = PQexec(t->c, t->sql.p);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return pg_fail(t, r, err);
	for (int i = 0; i < PQntuples(r); i++) {
		t->tables = bf_xrealloc(t->tables, (t->ntables + 1) * sizeof *t->tables);
		t->tables[t->ntables++] = bf_xstrdup(PQgetvalue(r, i, 0));
	}
	PQclear(r);
	return 0;
}

/* Ends a running COPY; returns 0 or a code. */
static int end_copy(struct pgt *t, struct bf_err *err)
{
	if (!t->copying)
		return 0;
	t->copying = 0;
	int ok = 1;
	if (t->copy.len && PQputCopyData(t->c, t->copy.p, (int)t->copy.len) != 1)
		ok = 0;
	bf_buf_reset(&t->copy);
	if (ok && PQputCopyEnd(t->c, NULL) != 1)
		ok = 0;
	PGresult *r, *bad = NULL;
	while ((r = PQgetResult(t->c))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && !bad)
			bad = r;
		else
			PQclear(r);
	}
	if (bad || !ok)
		return pg_fail(t, bad, err);
	return 0;
}

static int make_views(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	bf_buf_reset(&t->sql);
	bf_load_views_sql(&t->sql, t->schema, s->name, has_col, s, s->def->amount, 1);
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

static int ensure(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	const struct bf_stream_def *d = s->def;
	int rc, changed = 0;
	if ((rc = end_copy(t, err)))
		return rc;
	if (!s->ready) {
		if ((rc = load_cols(t, s, err)))
			return rc;
		changed = 1;
	}
	if (s->ncols == 0) {
		if ((rc = create_table(t, s, err)))
			return rc;
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
			s->cols = bf_xrealloc(s->cols, (s->ncols + 1) * sizeof *s->cols);
			s->cols[s->ncols++] = bf_xstrdup(d->cols[i].name);
			changed = 1;
		}
	}
	if (changed && (rc = make_views(t, s, err)))
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
	t->in_txn = 1;
	if (!date)
		return run(t, "BEGIN", 0, NULL, err);
	const char *p[2] = { date, loc };
	size_t n = t->ntables + 1;
	struct pstmt *st = bf_xcalloc(n + 2, sizeof *st);
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
	int rc = run_all(t, st, (int)n + 2, err);
	for (size_t i = 0; i < n; i++)
		free(sql[i]);
	free(sql);
	free(st);
	return rc;
}

static void copy_text(struct bf_buf *b, const char *s, size_t n)
{
	size_t i = 0, start = 0;
	for (; i < n; i++) {
		char c = s[i], e;
		switch (c) {
		case '\\': e = '\\'; break;
		case '\n': e = 'n'; break;
		case '\r': e = 'r'; break;
		case '\t': e = 't'; break;
		default: continue;
		}
		bf_buf_add(b, s + start, i - start);
		bf_buf_addc(b, '\\');
		bf_buf_addc(b, e);
		start = i + 1;
	}
	bf_buf_add(b, s + start, n - start);
}

static int start_copy(struct pgt *t, struct pstream *s, struct bf_err *err)
{
	const struct bf_stream_def *d = s->def;
	bf_buf_reset(&t->sql);
	bf_buf_adds(&t->sql, "COPY ");
	qname(t, &t->sql, s->name);
	bf_buf_adds(&t->sql, " (");
	for (size_t i = 0; i < d->ncols; i++) {
		bf_buf_adds(&t->sql, i ? ", " : "");
		bf_sql_ident(&t->sql, d->cols[i].name);
	}
	bf_buf_adds(&t->sql, ") FROM STDIN");
	PGresult *r = PQexec(t->c, t->sql.p);
	if (PQresultStatus(r) != PGRES_COPY_IN)
		return pg_fail(t, r, err);
	PQclear(r);
	t->copying = (int)(s - t->s) + 1;
	return 0;
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
		if ((rc = end_copy(t, err)) || (rc = start_copy(t, s, err)))
			return rc;
	}
	struct bf_buf *b = &t->copy;
	size_t n = r->def->ncols;
	for (size_t i = 0; i < n; i++) {
		const struct bf_cell *c = &r->cells[i];
		if (i)
			bf_buf_addc(b, '\t');
		switch (c->kind) {
		case BF_C_TEXT: copy_text(b, c->s, c->len); break;
		case BF_C_INT:
			if (r->def->cols[i].type == BF_T_BOOLEAN)
				bf_buf_addc(b, c->i ? 't' : 'f');
			else {
				char num[24], *e = num + sizeof num, *p = e;
				unsigned long long v = c->i < 0 ? 0ULL - (unsigned long long)c->i : (unsigned long long)c->i;
				do
					*--p = (char)('0' + v % 10);
				while (v /= 10);
				if (c->i < 0)
					*--p = '-';
				bf_buf_add(b, p, (size_t)(e - p));
			}
			break;
		case BF_C_VEC:
			bf_buf_addc(b, '{');
			for (size_t k = 0; k < c->nv; k++)
				bf_buf_addf(b, k ? ",%.9g" : "%.9g", (double)c->v[k]);
			bf_buf_addc(b, '}');
			break;
		default: bf_buf_add(b, "\\N", 2); break;
		}
	}
	bf_buf_addc(b, '\n');
	if (b->len >= (256u << 10)) {
		if (PQputCopyData(t->c, b->p, (int)b->len) != 1)
			return pg_fail(t, NULL, err);
		bf_buf_reset(b);
	}
	return 0;
}

static int pg_commit(struct bf_target *bt, const struct bf_load_part *p, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	int rc = end_copy(t, err);
	if (rc)
		return rc;
	if (p->date) {
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
		const struct pstmt st[2] = { { t->sql.p, 7, v }, { "COMMIT", 0, NULL } };
		rc = run_all(t, st, 2, err);
	} else {
		rc = run(t, "COMMIT", 0, NULL, err);
	}
	t->in_txn = 0;
	return rc;
}

static void pg_rollback(struct bf_target *bt)
{
	struct pgt *t = (struct pgt *)bt;
	if (PQstatus(t->c) == CONNECTION_OK) {
		if (t->copying) {
			PQputCopyEnd(t->c, "rolled back");
			PGresult *r;
			while ((r = PQgetResult(t->c)))
				PQclear(r);
		}
		PQclear(PQexec(t->c, "ROLLBACK"));
	}
	t->copying = 0;
	t->in_txn = 0;
	bf_buf_reset(&t->copy);
	for (size_t i = 0; i < t->ns; i++) {
		t->s[i].ready = 0;
		free_cols(&t->s[i]);
	}
	struct bf_err e = { 0 };
	if (PQstatus(t->c) == CONNECTION_OK)
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
	PQfinish(t->c);
	bf_buf_free(&t->sql);
	bf_buf_free(&t->copy);
	free(t->schema);
	free(t->base.display);
	free(t);
}

static const struct bf_target_ops pg_ops = {
	"postgresql", pg_schema, pg_begin, pg_record, pg_commit, pg_rollback, pg_close,
};

/* A password in the URL would be visible in ps and logs: refused. */
static int url_has_password(const char *url)
{
	const char *a = strstr(url, "://");
	a = a ? a + 3 : url;
	size_t n = strcspn(a, "/?#");
	const char *at = memchr(a, '@', n);
	if (at && memchr(a, ':', (size_t)(at - a)))
		return 1;
	const char *q = strchr(url, '?');
	return q && (strstr(q, "password=") != NULL);
}

int bf_target_pg_open(const char *url, const struct bf_target_opts *o, struct bf_target **out,
		      struct bf_err *err)
{
	*out = NULL;
	if (url_has_password(url))
		return bf_fail(err, BF_EUSAGE, "--target",
			       "the PostgreSQL URL contains a password; command lines are visible to every "
			       "user (ps): give it in PGPASSWORD or a .pgpass file and leave it out of the URL");
	struct pgt *t = bf_xcalloc(1, sizeof *t);
	t->base.ops = &pg_ops;
	t->base.display = bf_xstrdup(url);
	t->schema = bf_xstrdup(o && o->pg_schema ? o->pg_schema : "public");
	t->c = PQconnectdb(url);
	int rc = 0;
	if (!t->c || PQstatus(t->c) != CONNECTION_OK) {
		const char *m = t->c ? PQerrorMessage(t->c) : "out of memory";
		int code = BF_EUNAVAIL;
		if (t->c && (PQconnectionNeedsPassword(t->c) || strstr(m, "authentication failed") ||
			     strstr(m, "no password supplied") || strstr(m, "permission denied")))
			code = BF_ENOPERM;
		else if (strstr(m, "invalid") && strstr(m, "URI"))
			code = BF_EUSAGE;
		int n = (int)strlen(m);
		while (n && m[n - 1] == '\n')
			n--;
		bf_fail(err, code, url, "cannot connect: %.*s", n, m);
		pg_close(&t->base);
		return code;
	}
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
		    " PRIMARY KEY (location, date))");
	if ((rc = run(t, t->sql.p, 0, NULL, err)) || (rc = read_tables(t, err)))
		goto fail;
	*out = &t->base;
	return 0;
fail:
	pg_close(&t->base);
	return rc;
}
