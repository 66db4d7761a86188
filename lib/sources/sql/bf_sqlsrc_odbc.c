/* ODBC source (unixODBC): any driver (MariaDB/MySQL, PostgreSQL, SQL Server, Snowflake,
 * Oracle, Databricks, SQLite...). The password comes from BF_ODBC_PASSWORD, added to the
 * connection string in memory as PWD={...} (and wiped after), or from the DSN's own
 * configuration; never from the command line.
 *
 * One connection, autocommit off, REPEATABLE READ and read-only where the driver takes
 * them: one snapshot. Identifiers are quoted with the driver's quote character. Values
 * are fetched as text (binary as bytes) into column-wise bound row arrays, a block of
 * rows per fetch; a result with a column of unbounded size (TEXT, CLOB, ...) is read a
 * row at a time with SQLGetData instead. Drivers that would load a whole result into
 * memory are told to stream (see stream_opts). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sql.h>
#include <sqlext.h>

#include "base/bf_exit.h"
#include "sources/sql/bf_sqlsrc_backend.h"

#define BLOCK_BYTES (4u << 20)     /* the bound row arrays of one fetch */
#define MAX_ROWSET 1024
#define LONG_COLUMN 8192           /* wider than this: read with SQLGetData */
#define SQL_SS_TIMESTAMPOFFSET_ (-155)

struct odbcsrc {
	SQLHENV env;
	SQLHDBC dbc;
	int lost;
};

struct odbccol {
	SQLSMALLINT ctype;         /* SQL_C_CHAR or SQL_C_BINARY */
	SQLLEN width;              /* bytes per row in data */
	char *data;                /* rowset * width */
	SQLLEN *ind;               /* rowset */
	struct bf_buf big;         /* SQLGetData mode: the value */
};

struct odbccur {
	SQLHSTMT st;
	struct odbccol *c;
	SQLULEN rowset, fetched, at;
	int getdata;               /* a row at a time with SQLGetData */
	int done;
};

/* Drivers whose text of a timestamp with a zone has no offset: the session is set to
 * UTC, which is what an offset-less value of such a column is then read as. */
static const struct {
	const char *driver;
	const char *sql;
} session_utc[] = {
	{ "psqlodbc", "SET TimeZone = 'UTC'" },
};

/* Drivers that load a whole result into memory unless told otherwise: the option that
 * makes them stream, added to the connection string when it does not name it. */
static const struct {
	const char *driver;        /* SQL_DRIVER_NAME contains this */
	const char *key;
	const char *opts;
} stream_opts[] = {
	{ "maodbc", "NO_CACHE", "NO_CACHE=1" },
	{ "myodbc", "NO_CACHE", "NO_CACHE=1" },
	{ "psqlodbc", "UseDeclareFetch", "UseDeclareFetch=1;Fetch=10000" },
};

static struct odbcsrc *src(struct bf_sqlsrc *s)
{
	return s->impl;
}

/* The exit code and message of the last diagnostic of handle h. */
static int odbc_fail(struct bf_sqlsrc *s, SQLSMALLINT type, SQLHANDLE h, const char *what,
		     struct bf_err *err)
{
	SQLCHAR state[6] = "", msg[1024] = "";
	SQLINTEGER native = 0;
	SQLSMALLINT len = 0;
	if (!SQL_SUCCEEDED(SQLGetDiagRec(type, h, 1, state, &native, msg, sizeof msg, &len)))
		snprintf((char *)msg, sizeof msg, "%s failed", what);
	const char *st = (const char *)state, *m = (const char *)msg;
	int code = BF_ESOFTWARE;
	if (strcasestr(m, "password") || strcasestr(m, "access denied") || strcasestr(m, "authentication") ||
	    !strncmp(st, "28", 2) || !strcmp(st, "42501"))
		code = BF_ENOPERM;
	else if (!strncmp(st, "08", 2) || !strcmp(st, "HYT00") || !strcmp(st, "HYT01") ||
		 strcasestr(m, "gone away") || strcasestr(m, "lost connection") ||
		 strcasestr(m, "server closed") || strcasestr(m, "could not connect") ||
		 strcasestr(m, "can't connect") || strcasestr(m, "connection refused"))
		code = BF_EUNAVAIL;
	else if (!strncmp(st, "IM", 2))
		code = BF_ECONFIG;
	else if (!strcmp(st, "42S02") || strcasestr(m, "no such table") ||
		 (strcasestr(m, "relation") && strcasestr(m, "does not exist")))
		code = BF_ENOINPUT;
	else if (!strcmp(st, "42S22") || !strncmp(st, "22", 2) || strcasestr(m, "no such column") ||
		 (strcasestr(m, "column") && strcasestr(m, "does not exist")) || strcasestr(m, "unknown column"))
		code = BF_EDATA;
	else if (!strcmp(st, "42000") || !strcmp(st, "42601") || strcasestr(m, "syntax"))
		code = BF_EUSAGE;
	else if (!strncmp(st, "40", 2) || !strcmp(st, "HY008"))
		code = BF_ETEMP;
	if (code == BF_EUNAVAIL)
		src(s)->lost = 1;
	return bf_fail(err, code, s->canon, "%s%s%s", st, *st ? ": " : "", m);
}

/* conn with PWD={password} added (braces doubled), or a copy. */
static char *with_password(const char *conn, const char *pw)
{
	struct bf_buf b = BF_BUF_INIT;
	bf_buf_adds(&b, conn);
	if (pw && *pw) {
		if (b.len && b.p[b.len - 1] != ';')
			bf_buf_addc(&b, ';');
		bf_buf_adds(&b, "PWD={");
		for (const char *p = pw; *p; p++) {
			if (*p == '}')
				bf_buf_addc(&b, '}');
			bf_buf_addc(&b, *p);
		}
		bf_buf_adds(&b, "}");
	}
	return bf_buf_detach(&b);
}

static void wipe_free(char *s)
{
	if (s)
		explicit_bzero(s, strlen(s));
	free(s);
}

static int driver_connect(struct bf_sqlsrc *s, const char *conn, struct bf_err *err)
{
	struct odbcsrc *o = src(s);
	char *cs = with_password(conn, getenv("BF_ODBC_PASSWORD"));
	SQLCHAR out[1024];
	SQLSMALLINT outlen = 0;
	SQLRETURN r = SQLDriverConnect(o->dbc, NULL, (SQLCHAR *)cs, SQL_NTS, out, sizeof out, &outlen,
				       SQL_DRIVER_NOPROMPT);
	wipe_free(cs);
	explicit_bzero(out, sizeof out);
	if (!SQL_SUCCEEDED(r)) {
		int rc = odbc_fail(s, SQL_HANDLE_DBC, o->dbc, "connect", err);
		/* a driver manager that cannot find the driver or DSN: not worth retrying */
		return rc == BF_ESOFTWARE ? BF_EUNAVAIL : rc;
	}
	return 0;
}

static int key_named(const char *conn, const char *key)
{
	size_t n = strlen(key);
	for (const char *p = conn; (p = strcasestr(p, key)); p += n)
		if ((p == conn || p[-1] == ';' || p[-1] == ' ') && (p[n] == '=' || p[n] == ' '))
			return 1;
	return 0;
}

static void free_handles(struct odbcsrc *o)
{
	if (o->dbc)
		SQLFreeHandle(SQL_HANDLE_DBC, o->dbc);
	if (o->env)
		SQLFreeHandle(SQL_HANDLE_ENV, o->env);
	o->dbc = o->env = NULL;
}

static int alloc_handles(struct bf_sqlsrc *s, struct bf_err *err)
{
	struct odbcsrc *o = src(s);
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_ENV, SQL_NULL_HANDLE, &o->env)) ||
	    !SQL_SUCCEEDED(SQLSetEnvAttr(o->env, SQL_ATTR_ODBC_VERSION, (SQLPOINTER)SQL_OV_ODBC3, 0)) ||
	    !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_DBC, o->env, &o->dbc))) {
		free_handles(o);
		return bf_fail(err, BF_EOS, s->canon, "cannot set up ODBC (unixODBC)");
	}
	if (s->o.timeout > 0)
		SQLSetConnectAttr(o->dbc, SQL_ATTR_LOGIN_TIMEOUT, (SQLPOINTER)(SQLULEN)s->o.timeout, 0);
	return 0;
}

static int odbc_connect(struct bf_sqlsrc *s, struct bf_err *err)
{
	struct odbcsrc *o = src(s);
	int rc;
	o->lost = 0;
	if ((rc = alloc_handles(s, err)))
		return rc;
	if ((rc = driver_connect(s, s->conn, err)))
		goto fail;
	/* a driver that would hold a whole result in memory: connect again, streaming */
	SQLCHAR drv[256] = "";
	SQLGetInfo(o->dbc, SQL_DRIVER_NAME, drv, sizeof drv, NULL);
	for (size_t i = 0; i < sizeof stream_opts / sizeof stream_opts[0]; i++) {
		if (!strcasestr((char *)drv, stream_opts[i].driver) || key_named(s->conn, stream_opts[i].key))
			continue;
		struct bf_buf c = BF_BUF_INIT;
		bf_buf_adds(&c, s->conn);
		if (c.len && c.p[c.len - 1] != ';')
			bf_buf_addc(&c, ';');
		bf_buf_adds(&c, stream_opts[i].opts);
		SQLDisconnect(o->dbc);
		rc = driver_connect(s, c.p, err);
		bf_buf_free(&c);
		if (rc)
			goto fail;
		break;
	}
	for (size_t i = 0; i < sizeof session_utc / sizeof session_utc[0]; i++) {
		SQLHSTMT st;
		if (!strcasestr((char *)drv, session_utc[i].driver) ||
		    !SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, o->dbc, &st)))
			continue;
		SQLRETURN r = SQLExecDirect(st, (SQLCHAR *)session_utc[i].sql, SQL_NTS);
		if (!SQL_SUCCEEDED(r))
			rc = odbc_fail(s, SQL_HANDLE_STMT, st, "session", err);
		SQLFreeHandle(SQL_HANDLE_STMT, st);
		if (rc)
			goto fail;
	}
	SQLCHAR q[8] = "";
	if (SQL_SUCCEEDED(SQLGetInfo(o->dbc, SQL_IDENTIFIER_QUOTE_CHAR, q, sizeof q, NULL)) && q[0] && q[0] != ' ')
		s->quote = (char)q[0];
	/* one snapshot where the driver offers it; a driver that does not is read as it is */
	SQLSetConnectAttr(o->dbc, SQL_ATTR_ACCESS_MODE, (SQLPOINTER)SQL_MODE_READ_ONLY, 0);
	SQLSetConnectAttr(o->dbc, SQL_ATTR_TXN_ISOLATION, (SQLPOINTER)SQL_TXN_REPEATABLE_READ, 0);
	SQLSetConnectAttr(o->dbc, SQL_ATTR_AUTOCOMMIT, (SQLPOINTER)SQL_AUTOCOMMIT_OFF, 0);
	return 0;
fail:
	free_handles(o);
	return rc;
}

static void odbc_disconnect(struct bf_sqlsrc *s)
{
	struct odbcsrc *o = src(s);
	if (o->dbc) {
		SQLEndTran(SQL_HANDLE_DBC, o->dbc, SQL_ROLLBACK);
		SQLDisconnect(o->dbc);
	}
	free_handles(o);
}

static int odbc_lost(struct bf_sqlsrc *s)
{
	return !src(s)->dbc || src(s)->lost;
}

static int named(const char *type_name, const char *w)
{
	return strcasestr(type_name, w) != NULL;
}

/* A type name of a timestamp with a zone ("timestamptz", "timestamp with time zone",
 * Snowflake's "TIMESTAMP_TZ" and "TIMESTAMP_LTZ", "datetimeoffset"), not "timestamp
 * without time zone" nor "TIMESTAMP_NTZ". */
static int zoned(const char *tn)
{
	return (named(tn, "tz") || named(tn, "with time zone") || named(tn, "offset")) && !named(tn, "without") &&
	       !named(tn, "ntz");
}

static enum bf_sqlkind kind_of(SQLSMALLINT t, const char *tn)
{
	if (named(tn, "json"))
		return BF_SQL_JSON;
	if (!strcasecmp(tn, "bool") || !strcasecmp(tn, "boolean"))
		return BF_SQL_BOOLEAN;
	switch (t) {
	case SQL_BIT: return BF_SQL_BOOLEAN;
	case SQL_TINYINT: case SQL_SMALLINT: case SQL_INTEGER: case SQL_BIGINT: return BF_SQL_INTEGER;
	case SQL_DECIMAL: case SQL_NUMERIC: case SQL_REAL: case SQL_FLOAT: case SQL_DOUBLE: return BF_SQL_NUMBER;
	case SQL_TYPE_DATE: case SQL_DATE: return BF_SQL_DATE;
	case SQL_SS_TIMESTAMPOFFSET_: return BF_SQL_TIMESTAMPTZ;
	case SQL_TYPE_TIMESTAMP: case SQL_TIMESTAMP:
		return zoned(tn) ? BF_SQL_TIMESTAMPTZ : BF_SQL_TIMESTAMP;
	case SQL_BINARY: case SQL_VARBINARY: case SQL_LONGVARBINARY: return BF_SQL_BINARY;
	default:
		return zoned(tn) && named(tn, "time") ? BF_SQL_TIMESTAMPTZ : BF_SQL_STRING;
	}
}

/* Bytes a column's text takes at most (0: unbounded). */
static SQLLEN text_width(SQLSMALLINT t, SQLULEN size)
{
	switch (t) {
	case SQL_BIT: case SQL_TINYINT: case SQL_SMALLINT: case SQL_INTEGER: case SQL_BIGINT:
		return 24;
	case SQL_DECIMAL: case SQL_NUMERIC:
		return size ? (SQLLEN)size + 4 : 0;
	case SQL_REAL: case SQL_FLOAT: case SQL_DOUBLE:
		return 40;
	case SQL_TYPE_DATE: case SQL_DATE: case SQL_TYPE_TIME: case SQL_TIME:
	case SQL_TYPE_TIMESTAMP: case SQL_TIMESTAMP: case SQL_SS_TIMESTAMPOFFSET_:
		return 48;
	case SQL_BINARY: case SQL_VARBINARY:
		return size ? (SQLLEN)size : 0;
	case SQL_LONGVARCHAR: case SQL_WLONGVARCHAR: case SQL_LONGVARBINARY:
		return 0;
	default:   /* characters: up to 4 bytes each in UTF-8 */
		return size ? (SQLLEN)size * 4 + 1 : 0;
	}
}

static int bind_columns(struct bf_sqlcur *cur, struct odbccur *k, struct bf_err *err)
{
	SQLLEN row = 0;
	for (size_t i = 0; i < cur->ncols; i++) {
		if (!k->c[i].width || k->c[i].width > LONG_COLUMN)
			k->getdata = 1;
		row += k->c[i].width + (SQLLEN)sizeof(SQLLEN);
	}
	if (k->getdata) {
		k->rowset = 1;
		return 0;
	}
	k->rowset = row > 0 ? BLOCK_BYTES / (SQLULEN)row : MAX_ROWSET;
	if (k->rowset > MAX_ROWSET)
		k->rowset = MAX_ROWSET;
	if (k->rowset < 1)
		k->rowset = 1;
	if (!SQL_SUCCEEDED(SQLSetStmtAttr(k->st, SQL_ATTR_ROW_BIND_TYPE, (SQLPOINTER)SQL_BIND_BY_COLUMN, 0)) ||
	    !SQL_SUCCEEDED(SQLSetStmtAttr(k->st, SQL_ATTR_ROW_ARRAY_SIZE, (SQLPOINTER)k->rowset, 0)))
		k->rowset = 1;
	SQLSetStmtAttr(k->st, SQL_ATTR_ROWS_FETCHED_PTR, &k->fetched, 0);
	for (size_t i = 0; i < cur->ncols; i++) {
		struct odbccol *c = &k->c[i];
		c->data = bf_xmalloc(k->rowset * (size_t)c->width);
		c->ind = bf_xcalloc(k->rowset, sizeof *c->ind);
		if (!SQL_SUCCEEDED(SQLBindCol(k->st, (SQLUSMALLINT)(i + 1), c->ctype, c->data, c->width, c->ind)))
			return odbc_fail(cur->s, SQL_HANDLE_STMT, k->st, "bind", err);
	}
	return 0;
}

static int odbc_query(struct bf_sqlcur *cur, const char *sql, int np, const char *const *pv,
		      struct bf_err *err)
{
	struct bf_sqlsrc *s = cur->s;
	struct odbccur *k = bf_xcalloc(1, sizeof *k);
	SQLLEN ind[8];
	cur->impl = k;
	if (!SQL_SUCCEEDED(SQLAllocHandle(SQL_HANDLE_STMT, src(s)->dbc, &k->st))) {
		k->st = NULL;
		return odbc_fail(s, SQL_HANDLE_DBC, src(s)->dbc, "statement", err);
	}
	SQLSetStmtAttr(k->st, SQL_ATTR_CURSOR_TYPE, (SQLPOINTER)SQL_CURSOR_FORWARD_ONLY, 0);
	for (int i = 0; i < np && i < 8; i++) {
		SQLULEN n = pv[i] ? strlen(pv[i]) : 0;
		ind[i] = pv[i] ? (SQLLEN)n : SQL_NULL_DATA;
		if (!SQL_SUCCEEDED(SQLBindParameter(k->st, (SQLUSMALLINT)(i + 1), SQL_PARAM_INPUT, SQL_C_CHAR,
						    SQL_VARCHAR, n ? n : 1, 0, (SQLPOINTER)pv[i], (SQLLEN)n, &ind[i])))
			return odbc_fail(s, SQL_HANDLE_STMT, k->st, "bind", err);
	}
	SQLRETURN r = SQLExecDirect(k->st, (SQLCHAR *)sql, SQL_NTS);
	if (!SQL_SUCCEEDED(r) && r != SQL_NO_DATA)
		return odbc_fail(s, SQL_HANDLE_STMT, k->st, "query", err);
	SQLSMALLINT n = 0;
	SQLNumResultCols(k->st, &n);
	cur->ncols = (size_t)(n > 0 ? n : 0);
	cur->cols = bf_xcalloc(cur->ncols ? cur->ncols : 1, sizeof *cur->cols);
	k->c = bf_xcalloc(cur->ncols ? cur->ncols : 1, sizeof *k->c);
	for (size_t i = 0; i < cur->ncols; i++)
		bf_buf_init(&k->c[i].big);
	for (size_t i = 0; i < cur->ncols; i++) {
		SQLCHAR name[256] = "", tn[128] = "";
		SQLSMALLINT nlen = 0, type = 0, digits = 0, nullable = 0;
		SQLULEN size = 0;
		SQLDescribeCol(k->st, (SQLUSMALLINT)(i + 1), name, sizeof name, &nlen, &type, &size, &digits, &nullable);
		SQLColAttribute(k->st, (SQLUSMALLINT)(i + 1), SQL_DESC_TYPE_NAME, tn, sizeof tn, NULL, NULL);
		cur->cols[i].name = bf_xstrdup((char *)name);
		cur->cols[i].kind = kind_of(type, (char *)tn);
		k->c[i].ctype = cur->cols[i].kind == BF_SQL_BINARY ? SQL_C_BINARY : SQL_C_CHAR;
		k->c[i].width = text_width(type, size);
	}
	bf_sqlcur_alloc(cur);
	return bind_columns(cur, k, err);
}

/* SQLGetData of one column, in pieces, into c->big; 0, 1 for NULL, or the exit code. */
static int get_long(struct bf_sqlcur *cur, struct odbccur *k, size_t i, struct bf_err *err)
{
	struct odbccol *c = &k->c[i];
	char piece[32768];
	bf_buf_reset(&c->big);
	for (;;) {
		SQLLEN ind = 0;
		SQLRETURN r = SQLGetData(k->st, (SQLUSMALLINT)(i + 1), c->ctype, piece, sizeof piece, &ind);
		if (r == SQL_NO_DATA)
			return 0;
		if (!SQL_SUCCEEDED(r))
			return odbc_fail(cur->s, SQL_HANDLE_STMT, k->st, "fetch", err);
		if (ind == SQL_NULL_DATA)
			return 1;
		size_t room = c->ctype == SQL_C_CHAR ? sizeof piece - 1 : sizeof piece;
		size_t got = ind == SQL_NO_TOTAL || (size_t)ind > room ? room : (size_t)ind;
		bf_buf_add(&c->big, piece, got);
		if (r == SQL_SUCCESS)
			return 0;
	}
}

/* A timestamp with a zone whose text has no offset is in the session's zone, UTC (see
 * session_utc): "Z" is added. */
static void utc_if_bare(struct odbccol *c, const char **v, size_t *n)
{
	const char *t = *v;
	size_t len = *n;
	if (len < 19 || t[len - 1] == 'Z' || memchr(t + 11, '+', len - 11) || memchr(t + 11, '-', len - 11))
		return;
	if (t != c->big.p) {
		bf_buf_reset(&c->big);
		bf_buf_add(&c->big, t, len);
	}
	bf_buf_addc(&c->big, 'Z');
	*v = c->big.p;
	*n = c->big.len;
}

static int odbc_next(struct bf_sqlcur *cur, struct bf_err *err)
{
	struct odbccur *k = cur->impl;
	if (k->done)
		return 0;
	if (k->getdata || k->at >= k->fetched) {
		if (!cur->ncols) {
			k->done = 1;
			return 0;
		}
		SQLRETURN r = SQLFetch(k->st);
		if (r == SQL_NO_DATA) {
			k->done = 1;
			return 0;
		}
		if (!SQL_SUCCEEDED(r))
			return -odbc_fail(cur->s, SQL_HANDLE_STMT, k->st, "fetch", err);
		k->at = 0;
		if (k->getdata)
			k->fetched = 1;
		else if (!k->fetched)
			k->fetched = 1;
	}
	SQLULEN row = k->at++;
	for (size_t i = 0; i < cur->ncols; i++) {
		struct odbccol *c = &k->c[i];
		if (k->getdata) {
			int rc = get_long(cur, k, i, err);
			if (rc > 1)
				return -rc;
			cur->rv[i] = rc == 1 ? NULL : c->big.p;
			cur->rlen[i] = c->big.len;
			if (rc == 0 && cur->cols[i].kind == BF_SQL_TIMESTAMPTZ)
				utc_if_bare(c, &cur->rv[i], &cur->rlen[i]);
			continue;
		}
		SQLLEN ind = c->ind[row];
		if (ind == SQL_NULL_DATA) {
			cur->rv[i] = NULL;
			continue;
		}
		size_t room = (size_t)c->width - (c->ctype == SQL_C_CHAR);
		cur->rv[i] = c->data + row * (size_t)c->width;
		cur->rlen[i] = ind == SQL_NO_TOTAL || (size_t)ind > room ? room : (size_t)ind;
		if (cur->cols[i].kind == BF_SQL_TIMESTAMPTZ)
			utc_if_bare(c, &cur->rv[i], &cur->rlen[i]);
	}
	return 1;
}

static void odbc_close(struct bf_sqlcur *cur)
{
	struct odbccur *k = cur->impl;
	if (!k)
		return;
	if (k->st) {
		SQLFreeStmt(k->st, SQL_CLOSE);
		SQLFreeHandle(SQL_HANDLE_STMT, k->st);
	}
	for (size_t i = 0; k->c && i < cur->ncols; i++) {
		free(k->c[i].data);
		free(k->c[i].ind);
		bf_buf_free(&k->c[i].big);
	}
	free(k->c);
	free(k);
	cur->impl = NULL;
}

static const struct bf_sqlsrc_ops odbc_ops = {
	.scheme = "odbc",
	.params = "?",
	.connect = odbc_connect,
	.disconnect = odbc_disconnect,
	.lost = odbc_lost,
	.query = odbc_query,
	.next = odbc_next,
	.close = odbc_close,
};

int bf_sqlsrc_odbc_init(struct bf_sqlsrc *s, struct bf_err *err)
{
	(void)err;
	s->ops = &odbc_ops;
	s->impl = bf_xcalloc(1, sizeof(struct odbcsrc));
	return 0;
}
