/* PostgreSQL source (libpq). The connection is opened as bf-load's is (pg/bf_pgconnect.h:
 * no password in the URL, TLS verified for a server not on this machine), its session
 * set to UTF8, ISO dates and TimeZone = --time-zone (so that the server itself turns a
 * local bound into an instant and prints a timestamp with time zone in that zone), and
 * all of it runs in one READ ONLY REPEATABLE READ transaction: one snapshot.
 *
 * A statement is streamed with COPY (query) TO STDOUT, the server's fastest way out,
 * one row in memory at a time. COPY takes no parameters, so the values are still bound,
 * never pasted: the statement is prepared (its parameters' types and its columns come
 * back from the server), the values are bound into transaction-local settings
 * (set_config), and each $N of the query reads CAST(current_setting('bf.pN') AS its
 * type). The whole is inside a savepoint, so that a failed statement leaves the
 * snapshot usable. */
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "base/bf_exit.h"
#include "pg/bf_pgconnect.h"
#include "sources/sql/bf_sqlsrc_backend.h"
#include "sources/sql/bf_sqltext.h"

struct pgsrc {
	PGconn *c;
};

struct pgcur {
	char *row;                 /* the COPY row handed out (libpq's) */
	int copying;               /* COPY data still to read */
	int failed;                /* the transaction needs its savepoint back */
	struct bf_buf *val;        /* per column: an unescaped value, a bytea's bytes */
};

static PGconn *conn(struct bf_sqlsrc *s)
{
	return ((struct pgsrc *)s->impl)->c;
}

/* The exit code of a failed statement, by SQLSTATE. */
static int pg_code(PGconn *c, const PGresult *r)
{
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (PQstatus(c) == CONNECTION_BAD || !st)
		return BF_EUNAVAIL;
	if (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3))
		return BF_EUNAVAIL;
	if (!strncmp(st, "28", 2) || !strcmp(st, "42501"))
		return BF_ENOPERM;
	if (!strcmp(st, "42P01") || !strcmp(st, "3F000"))
		return BF_ENOINPUT;
	if (!strcmp(st, "42601"))
		return BF_EUSAGE;
	if (!strncmp(st, "42", 2) || !strncmp(st, "22", 2))
		return BF_EDATA;
	if (!strncmp(st, "40", 2) || !strcmp(st, "55P03") || !strcmp(st, "57014"))
		return BF_ETEMP;
	if (!strncmp(st, "53", 2))
		return BF_EOS;
	return BF_ESOFTWARE;
}

static int pg_fail(struct bf_sqlsrc *s, const PGresult *r, struct bf_err *err)
{
	PGconn *c = conn(s);
	const char *m = r && *PQresultErrorMessage(r) ? PQresultErrorMessage(r) : PQerrorMessage(c);
	int n = (int)strlen(m);
	while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
		n--;
	return bf_fail(err, pg_code(c, r), s->canon, "%.*s", n, m);
}

/* Runs a statement without results; 0 or the exit code. */
static int exec(struct bf_sqlsrc *s, const char *sql, int np, const char *const *pv, struct bf_err *err)
{
	/* without parameters, several statements may go at once */
	PGresult *r = np ? PQexecParams(conn(s), sql, np, NULL, pv, NULL, NULL, 0) : PQexec(conn(s), sql);
	int ok = r && (PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK);
	int rc = ok ? 0 : pg_fail(s, r, err);
	PQclear(r);
	return rc;
}

static int pg_connect(struct bf_sqlsrc *s, struct bf_err *err)
{
	struct pgsrc *p = s->impl;
	int rc = bf_pg_connect(s->conn, "--source", &p->c, err);
	if (rc)
		return rc;
	const char *zone[1] = { s->zone };
	if ((rc = exec(s, "SET client_encoding = 'UTF8'; SET DateStyle = 'ISO, YMD'; SET bytea_output = 'hex';"
		       " SET client_min_messages = warning", 0, NULL, err)) ||
	    (rc = exec(s, "SELECT set_config('TimeZone', $1, false)", 1, zone, err)) ||
	    (rc = exec(s, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", 0, NULL, err))) {
		PQfinish(p->c);
		p->c = NULL;
	}
	return rc;
}

static void pg_disconnect(struct bf_sqlsrc *s)
{
	struct pgsrc *p = s->impl;
	PQfinish(p->c);
	p->c = NULL;
}

static int pg_lost(struct bf_sqlsrc *s)
{
	PGconn *c = conn(s);
	return !c || PQstatus(c) == CONNECTION_BAD;
}

static enum bf_sqlkind kind_of(Oid t)
{
	switch (t) {
	case 16: return BF_SQL_BOOLEAN;
	case 17: return BF_SQL_BINARY;
	case 20: case 21: case 23: case 26: return BF_SQL_INTEGER;
	case 700: case 701: case 1700: return BF_SQL_NUMBER;
	case 1082: return BF_SQL_DATE;
	case 1114: return BF_SQL_TIMESTAMP;
	case 1184: return BF_SQL_TIMESTAMPTZ;
	case 114: case 3802: return BF_SQL_JSON;
	default: return BF_SQL_STRING;
	}
}

/* The type names of the prepared statement's parameters, for their casts. */
static int param_types(struct bf_sqlsrc *s, const PGresult *d, int np, char ***names, struct bf_err *err)
{
	struct bf_buf oids = BF_BUF_INIT;
	for (int i = 0; i < np; i++)
		bf_buf_addf(&oids, "%s%u", i ? "," : "", PQparamtype(d, i));
	const char *pv[1] = { oids.p };
	PGresult *r = PQexecParams(conn(s), "SELECT format_type(o::oid, NULL) FROM"
				   " unnest(string_to_array($1, ',')) WITH ORDINALITY AS t(o, n) ORDER BY n",
				   1, NULL, pv, NULL, NULL, 0);
	bf_buf_free(&oids);
	if (!r || PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != np) {
		int rc = pg_fail(s, r, err);
		PQclear(r);
		return rc;
	}
	*names = bf_xcalloc((size_t)np + 1, sizeof **names);
	for (int i = 0; i < np; i++)
		(*names)[i] = bf_xstrdup(PQgetvalue(r, i, 0));
	PQclear(r);
	return 0;
}

/* COPY (sql) TO STDOUT with each $N read from setting bf.pN as type names[N-1]. */
static void copy_text(struct bf_buf *b, const char *sql, int np, char **names)
{
	bf_buf_adds(b, "COPY (");
	for (const char *p = sql; *p;) {
		size_t n = bf_sqltext_quoted(p);
		if (n) {
			bf_buf_add(b, p, n);
			p += n;
			continue;
		}
		if (*p == '$' && p[1] >= '1' && p[1] <= '9') {
			char *e;
			long k = strtol(p + 1, &e, 10);
			if (k >= 1 && k <= np) {
				bf_buf_addf(b, "CAST(current_setting('bf.p%ld') AS %s)", k, names[k - 1]);
				p = e;
				continue;
			}
		}
		bf_buf_addc(b, *p++);
	}
	bf_buf_adds(b, "\n) TO STDOUT");   /* past a trailing -- comment */
}

static int pg_query(struct bf_sqlcur *cur, const char *sql, int np, const char *const *pv,
		    struct bf_err *err)
{
	struct bf_sqlsrc *s = cur->s;
	struct pgcur *k = bf_xcalloc(1, sizeof *k);
	PGconn *c = conn(s);
	PGresult *d = NULL, *r;
	char **types = NULL;
	struct bf_buf b = BF_BUF_INIT;
	int rc;
	cur->impl = k;
	if ((rc = exec(s, "SAVEPOINT bf_w", 0, NULL, err)))
		return rc;
	k->failed = 1;             /* until the COPY is under way */
	r = PQprepare(c, "", sql, np, NULL);
	if (!r || PQresultStatus(r) != PGRES_COMMAND_OK) {
		rc = pg_fail(s, r, err);
		PQclear(r);
		return rc;
	}
	PQclear(r);
	d = PQdescribePrepared(c, "");
	if (!d || PQresultStatus(d) != PGRES_COMMAND_OK) {
		rc = pg_fail(s, d, err);
		goto out;
	}
	cur->ncols = (size_t)PQnfields(d);
	cur->cols = bf_xcalloc(cur->ncols ? cur->ncols : 1, sizeof *cur->cols);
	for (size_t i = 0; i < cur->ncols; i++) {
		cur->cols[i].name = bf_xstrdup(PQfname(d, (int)i));
		cur->cols[i].kind = kind_of(PQftype(d, (int)i));
	}
	bf_sqlcur_alloc(cur);
	k->val = bf_buf_array(cur->ncols);
	if (np && (rc = param_types(s, d, np, &types, err)))
		goto out;
	if (np) {
		bf_buf_adds(&b, "SELECT ");
		for (int i = 0; i < np; i++)
			bf_buf_addf(&b, "%sset_config('bf.p%d', $%d, true)", i ? ", " : "", i + 1, i + 1);
		if ((rc = exec(s, b.p, np, pv, err)))
			goto out;
		bf_buf_reset(&b);
	}
	copy_text(&b, sql, np, types);
	r = PQexec(c, b.p);
	if (!r || PQresultStatus(r) != PGRES_COPY_OUT) {
		rc = pg_fail(s, r, err);
		PQclear(r);
		goto out;
	}
	PQclear(r);
	k->copying = 1;
	k->failed = 0;
out:
	PQclear(d);
	for (int i = 0; types && i < np; i++)
		free(types[i]);
	free(types);
	bf_buf_free(&b);
	return rc;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* bytea_output = hex: "\x0a1b..." into its bytes. */
static void unhex(struct bf_buf *b, const char *s, size_t n)
{
	struct bf_buf t = BF_BUF_INIT;
	bf_buf_grow(&t, n / 2 + 1);
	for (size_t i = 2; i + 1 < n; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi >= 0 && lo >= 0)
			t.p[t.len++] = (char)(hi << 4 | lo);
	}
	t.p[t.len] = '\0';
	bf_buf_free(b);
	*b = t;
}

/* A COPY text field with backslash escapes into b. */
static void unescape(struct bf_buf *b, const char *s, size_t n)
{
	bf_buf_reset(b);
	bf_buf_grow(b, n + 1);
	char *o = b->p;
	for (size_t i = 0; i < n; i++) {
		if (s[i] != '\\' || i + 1 == n) {
			*o++ = s[i];
			continue;
		}
		char e = s[++i];
		switch (e) {
		case 'b': *o++ = '\b'; break;
		case 'f': *o++ = '\f'; break;
		case 'n': *o++ = '\n'; break;
		case 'r': *o++ = '\r'; break;
		case 't': *o++ = '\t'; break;
		case 'v': *o++ = '\v'; break;
		default: *o++ = e; break;
		}
	}
	b->len = (size_t)(o - b->p);
	*o = '\0';
}

/* The end of the COPY: its final result. */
static int copy_end(struct bf_sqlcur *cur, struct bf_err *err)
{
	struct pgcur *k = cur->impl;
	PGresult *r, *bad = NULL;
	k->copying = 0;
	while ((r = PQgetResult(conn(cur->s)))) {
		if (PQresultStatus(r) != PGRES_COMMAND_OK && !bad)
			bad = r;
		else
			PQclear(r);
	}
	if (!bad)
		return 0;
	k->failed = 1;
	int rc = pg_fail(cur->s, bad, err);
	PQclear(bad);
	return rc;
}

static int pg_next(struct bf_sqlcur *cur, struct bf_err *err)
{
	struct pgcur *k = cur->impl;
	if (k->row) {
		PQfreemem(k->row);
		k->row = NULL;
	}
	if (!k->copying)
		return 0;
	int n = PQgetCopyData(conn(cur->s), &k->row, 0);
	if (n == -1) {
		int rc = copy_end(cur, err);
		return rc ? -rc : 0;
	}
	if (n < 0) {
		k->copying = 0;
		k->failed = 1;
		return -pg_fail(cur->s, NULL, err);
	}
	const char *p = k->row, *end = k->row + n;
	if (end > p && end[-1] == '\n')
		end--;
	for (size_t i = 0; i < cur->ncols; i++) {
		const char *f = p, *tab = memchr(p, '\t', (size_t)(end - p));
		p = tab ? tab : end;
		size_t len = (size_t)(p - f);
		if (p < end)
			p++;
		if (len == 2 && f[0] == '\\' && f[1] == 'N') {
			cur->rv[i] = NULL;
			continue;
		}
		if (memchr(f, '\\', len)) {
			unescape(&k->val[i], f, len);
			f = k->val[i].p;
			len = k->val[i].len;
		}
		if (cur->cols[i].kind == BF_SQL_BINARY && len >= 2 && f[0] == '\\' && f[1] == 'x') {
			unhex(&k->val[i], f, len);
			f = k->val[i].p;
			len = k->val[i].len;
		}
		cur->rv[i] = f;
		cur->rlen[i] = len;
	}
	return 1;
}

static void pg_close(struct bf_sqlcur *cur)
{
	struct pgcur *k = cur->impl;
	struct bf_sqlsrc *s = cur->s;
	if (!k)
		return;
	PGconn *c = conn(s);
	if (k->row)
		PQfreemem(k->row);
	if (k->copying && c && PQstatus(c) == CONNECTION_OK) {
		/* left early: the server is asked to stop, what is on the way is read */
		char msg[256];
		PGcancel *cn = PQgetCancel(c);
		if (cn) {
			PQcancel(cn, msg, sizeof msg);
			PQfreeCancel(cn);
		}
		char *row;
		while (PQgetCopyData(c, &row, 0) > 0)
			PQfreemem(row);
		struct bf_err ignore = { 0 };
		copy_end(cur, &ignore);
		k->failed = 1;
	}
	if (c && PQstatus(c) == CONNECTION_OK) {
		struct bf_err ignore = { 0 };
		exec(s, k->failed ? "ROLLBACK TO SAVEPOINT bf_w; RELEASE SAVEPOINT bf_w" : "RELEASE SAVEPOINT bf_w",
		     0, NULL, &ignore);
	}
	for (size_t i = 0; k->val && i < cur->ncols; i++)
		bf_buf_free(&k->val[i]);
	free(k->val);
	free(k);
	cur->impl = NULL;
}

static const struct bf_sqlsrc_ops pg_ops = {
	.scheme = "postgresql",
	.params = "$",
	.session_zone = 1,
	.utf8_sure = 1,
	.connect = pg_connect,
	.disconnect = pg_disconnect,
	.lost = pg_lost,
	.query = pg_query,
	.next = pg_next,
	.close = pg_close,
};

int bf_sqlsrc_pg_init(struct bf_sqlsrc *s, struct bf_err *err)
{
	(void)err;
	s->ops = &pg_ops;
	s->impl = bf_xcalloc(1, sizeof(struct pgsrc));
	return 0;
}
