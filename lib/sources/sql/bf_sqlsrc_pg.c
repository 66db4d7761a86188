/* PostgreSQL source (libpq). The connection is opened as bf-load's is (pg/bf_pgopen.h:
 * no password in the URL, TLS verified for a server not on this machine), its session
 * set to UTF8, ISO dates and TimeZone = --time-zone (so that the server itself turns a
 * local bound into an instant and prints a timestamp with time zone in that zone), and
 * all of it runs in one READ ONLY REPEATABLE READ transaction: one snapshot.
 *
 * A statement is a server-side cursor (DECLARE, inside a savepoint so that a failed one
 * leaves the snapshot usable) read by FETCH of BATCH rows, the next FETCH sent before
 * the rows of the last one are handed out: memory holds two batches at most. */
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "base/bf_exit.h"
#include "pg/bf_pgopen.h"
#include "sources/sql/bf_sqlsrc_backend.h"

#define BATCH "10000"
#define BATCH_N 10000

struct pgsrc {
	PGconn *c;
};

struct pgcur {
	PGresult *res;             /* the batch being handed out */
	int row, nrows;
	int in_flight;             /* a FETCH was sent, its result not read */
	int last;                  /* the batch in res was the last one */
	int failed;                /* the transaction needs its savepoint back */
	struct bf_buf *bin;        /* per column: a bytea's bytes */
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

/* Reads the answer of the FETCH in flight into res. */
static int fetch_result(struct bf_sqlcur *cur, struct bf_err *err)
{
	struct pgcur *k = cur->impl;
	PGconn *c = conn(cur->s);
	PGresult *r, *got = NULL;
	while ((r = PQgetResult(c))) {
		if (got)
			PQclear(r);
		else
			got = r;
	}
	k->in_flight = 0;
	PQclear(k->res);
	k->res = NULL;
	if (!got || PQresultStatus(got) != PGRES_TUPLES_OK) {
		k->failed = 1;
		int rc = pg_fail(cur->s, got, err);
		PQclear(got);
		return rc;
	}
	k->res = got;
	k->row = 0;
	k->nrows = PQntuples(got);
	k->last = k->nrows < BATCH_N;
	return 0;
}

static int send_fetch(struct bf_sqlcur *cur, struct bf_err *err)
{
	struct pgcur *k = cur->impl;
	if (!PQsendQuery(conn(cur->s), "FETCH " BATCH " FROM bf_cur")) {
		k->failed = 1;
		return pg_fail(cur->s, NULL, err);
	}
	k->in_flight = 1;
	return 0;
}

static int pg_query(struct bf_sqlcur *cur, const char *sql, int np, const char *const *pv,
		    struct bf_err *err)
{
	struct bf_sqlsrc *s = cur->s;
	struct pgcur *k = bf_xcalloc(1, sizeof *k);
	struct bf_buf d = BF_BUF_INIT;
	int rc;
	cur->impl = k;
	if ((rc = exec(s, "SAVEPOINT bf_w", 0, NULL, err)))
		return rc;
	bf_buf_adds(&d, "DECLARE bf_cur NO SCROLL CURSOR FOR ");
	bf_buf_adds(&d, sql);
	rc = exec(s, d.p, np, pv, err);
	bf_buf_free(&d);
	if (rc) {
		k->failed = 1;
		return rc;
	}
	if ((rc = send_fetch(cur, err)) || (rc = fetch_result(cur, err)))
		return rc;
	cur->ncols = (size_t)PQnfields(k->res);
	cur->cols = bf_xcalloc(cur->ncols ? cur->ncols : 1, sizeof *cur->cols);
	for (size_t i = 0; i < cur->ncols; i++) {
		cur->cols[i].name = bf_xstrdup(PQfname(k->res, (int)i));
		cur->cols[i].kind = kind_of(PQftype(k->res, (int)i));
	}
	bf_sqlcur_alloc(cur);
	k->bin = bf_xcalloc(cur->ncols ? cur->ncols : 1, sizeof *k->bin);
	if (!k->last)
		rc = send_fetch(cur, err);
	return rc;
}

static int hexval(char c)
{
	return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
}

/* bytea_output = hex: "\x0a1b..." into its bytes. */
static void unhex(struct bf_buf *b, const char *s, size_t n)
{
	bf_buf_reset(b);
	bf_buf_grow(b, n / 2 + 1);
	for (size_t i = 2; i + 1 < n; i += 2) {
		int hi = hexval(s[i]), lo = hexval(s[i + 1]);
		if (hi >= 0 && lo >= 0)
			b->p[b->len++] = (char)(hi << 4 | lo);
	}
	b->p[b->len] = '\0';
}

static int pg_next(struct bf_sqlcur *cur, struct bf_err *err)
{
	struct pgcur *k = cur->impl;
	int rc;
	while (k->row >= k->nrows) {
		if (k->last || !k->in_flight)
			return 0;
		if ((rc = fetch_result(cur, err)))
			return -rc;
		if (!k->last && (rc = send_fetch(cur, err)))
			return -rc;
	}
	int r = k->row++;
	for (size_t i = 0; i < cur->ncols; i++) {
		if (PQgetisnull(k->res, r, (int)i)) {
			cur->rv[i] = NULL;
			continue;
		}
		const char *v = PQgetvalue(k->res, r, (int)i);
		size_t n = (size_t)PQgetlength(k->res, r, (int)i);
		if (cur->cols[i].kind == BF_SQL_BINARY && n >= 2 && v[0] == '\\' && v[1] == 'x') {
			unhex(&k->bin[i], v, n);
			v = k->bin[i].p ? k->bin[i].p : "";
			n = k->bin[i].len;
		}
		cur->rv[i] = v;
		cur->rlen[i] = n;
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
	if (k->in_flight && c) {
		PGresult *r;
		while ((r = PQgetResult(c))) {
			if (PQresultStatus(r) != PGRES_TUPLES_OK)
				k->failed = 1;
			PQclear(r);
		}
	}
	PQclear(k->res);
	if (c && PQstatus(c) == CONNECTION_OK) {
		struct bf_err ignore = { 0 };
		exec(s, k->failed ? "ROLLBACK TO SAVEPOINT bf_w; RELEASE SAVEPOINT bf_w"
				  : "CLOSE bf_cur; RELEASE SAVEPOINT bf_w", 0, NULL, &ignore);
	}
	for (size_t i = 0; k->bin && i < cur->ncols; i++)
		bf_buf_free(&k->bin[i]);
	free(k->bin);
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
