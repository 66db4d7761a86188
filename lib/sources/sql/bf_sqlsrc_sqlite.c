/* SQLite source: the file is opened read-only (never created or written) and read in one
 * read transaction, one snapshot (in WAL mode writers go on meanwhile; with a rollback
 * journal they wait for the extract to end). Rows are stepped one at a time. A column's
 * kind comes from its declared type (SQLite's affinity names, plus DATE, DATETIME,
 * TIMESTAMP, TIMESTAMPTZ, BOOLEAN, JSON); a timestamp with a zone is compared as an
 * instant through julianday(). */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sqlite3.h>

#include "base/bf_exit.h"
#include "sources/sql/bf_sqlsrc_backend.h"

struct litesrc {
	sqlite3 *db;
};

struct litecur {
	sqlite3_stmt *st;
};

static int lite_fail(struct bf_sqlsrc *s, int rc, struct bf_err *err)
{
	struct litesrc *l = s->impl;
	const char *m = l->db ? sqlite3_errmsg(l->db) : sqlite3_errstr(rc);
	int code;
	switch (rc & 0xff) {
	case SQLITE_BUSY: case SQLITE_LOCKED: code = BF_ETEMP; break;
	case SQLITE_CANTOPEN: code = BF_ENOINPUT; break;
	case SQLITE_PERM: case SQLITE_AUTH: case SQLITE_READONLY: code = BF_ENOPERM; break;
	case SQLITE_IOERR: code = BF_EIO; break;
	case SQLITE_NOMEM: code = BF_EOS; break;
	case SQLITE_CORRUPT: case SQLITE_NOTADB: code = BF_EDATA; break;
	default:
		code = strstr(m, "no such table") ? BF_ENOINPUT
		     : strstr(m, "no such column") ? BF_EDATA
		     : strstr(m, "syntax error") ? BF_EUSAGE : BF_ESOFTWARE;
	}
	return bf_fail(err, code, s->canon, "%s", m);
}

static int lite_connect(struct bf_sqlsrc *s, struct bf_err *err)
{
	struct litesrc *l = s->impl;
	int rc = sqlite3_open_v2(s->conn, &l->db, SQLITE_OPEN_READONLY, NULL);
	if (rc != SQLITE_OK) {
		rc = lite_fail(s, rc, err);
		sqlite3_close(l->db);
		l->db = NULL;
		return rc;
	}
	sqlite3_busy_timeout(l->db, 10000);
	/* the snapshot begins with the first read */
	if ((rc = sqlite3_exec(l->db, "BEGIN", NULL, NULL, NULL)) != SQLITE_OK) {
		rc = lite_fail(s, rc, err);
		sqlite3_close(l->db);
		l->db = NULL;
	}
	return rc;
}

static void lite_disconnect(struct bf_sqlsrc *s)
{
	struct litesrc *l = s->impl;
	sqlite3_close_v2(l->db);
	l->db = NULL;
}

static int lite_lost(struct bf_sqlsrc *s)
{
	return !((struct litesrc *)s->impl)->db;
}

static int has(const char *t, const char *w)
{
	return strcasestr(t, w) != NULL;
}

static enum bf_sqlkind kind_of(const char *t)
{
	if (!t)
		return BF_SQL_STRING;
	if (has(t, "BOOL"))
		return BF_SQL_BOOLEAN;
	if (has(t, "INT"))
		return BF_SQL_INTEGER;
	if (has(t, "TIMESTAMPTZ") || has(t, "WITH TIME ZONE"))
		return BF_SQL_TIMESTAMPTZ;
	if (has(t, "DATETIME") || has(t, "TIMESTAMP"))
		return BF_SQL_TIMESTAMP;
	if (!strncasecmp(t, "DATE", 4))
		return BF_SQL_DATE;
	if (has(t, "JSON"))
		return BF_SQL_JSON;
	if (has(t, "BLOB") || has(t, "BINARY") || has(t, "BYTEA"))
		return BF_SQL_BINARY;
	if (has(t, "REAL") || has(t, "FLOA") || has(t, "DOUB") || has(t, "NUMERIC") || has(t, "DECIMAL"))
		return BF_SQL_NUMBER;
	return BF_SQL_STRING;
}

static void lite_instant(struct bf_buf *b, const char *x)
{
	bf_buf_addf(b, "julianday(%s)", x);
}

static void lite_instant_agg(struct bf_buf *b, const char *fn, const char *x)
{
	bf_buf_addf(b, "strftime('%%Y-%%m-%%d %%H:%%M:%%SZ', %s(julianday(%s)))", fn, x);
}

static int lite_query(struct bf_sqlcur *cur, const char *sql, int np, const char *const *pv,
		      struct bf_err *err)
{
	struct litesrc *l = cur->s->impl;
	struct litecur *k = bf_xcalloc(1, sizeof *k);
	cur->impl = k;
	int rc = sqlite3_prepare_v2(l->db, sql, -1, &k->st, NULL);
	if (rc != SQLITE_OK)
		return lite_fail(cur->s, rc, err);
	for (int i = 0; i < np; i++)
		sqlite3_bind_text(k->st, i + 1, pv[i], -1, SQLITE_TRANSIENT);  /* stepped later */
	cur->ncols = (size_t)sqlite3_column_count(k->st);
	cur->cols = bf_xcalloc(cur->ncols ? cur->ncols : 1, sizeof *cur->cols);
	for (size_t i = 0; i < cur->ncols; i++) {
		cur->cols[i].name = bf_xstrdup(sqlite3_column_name(k->st, (int)i));
		cur->cols[i].kind = kind_of(sqlite3_column_decltype(k->st, (int)i));
	}
	bf_sqlcur_alloc(cur);
	return 0;
}

static int lite_next(struct bf_sqlcur *cur, struct bf_err *err)
{
	struct litecur *k = cur->impl;
	int rc = sqlite3_step(k->st);
	if (rc == SQLITE_DONE)
		return 0;
	if (rc != SQLITE_ROW)
		return -lite_fail(cur->s, rc, err);
	for (size_t i = 0; i < cur->ncols; i++) {
		int t = sqlite3_column_type(k->st, (int)i);
		if (t == SQLITE_NULL) {
			cur->rv[i] = NULL;
			continue;
		}
		cur->rv[i] = t == SQLITE_BLOB ? (const char *)sqlite3_column_blob(k->st, (int)i)
					      : (const char *)sqlite3_column_text(k->st, (int)i);
		cur->rlen[i] = (size_t)sqlite3_column_bytes(k->st, (int)i);
		if (!cur->rv[i])
			cur->rv[i] = "";
	}
	return 1;
}

static void lite_close(struct bf_sqlcur *cur)
{
	struct litecur *k = cur->impl;
	if (!k)
		return;
	sqlite3_finalize(k->st);
	free(k);
	cur->impl = NULL;
}

static const struct bf_sqlsrc_ops lite_ops = {
	.scheme = "sqlite",
	.params = "?N",
	.connect = lite_connect,
	.disconnect = lite_disconnect,
	.lost = lite_lost,
	.instant = lite_instant,
	.instant_agg = lite_instant_agg,
	.query = lite_query,
	.next = lite_next,
	.close = lite_close,
};

int bf_sqlsrc_sqlite_init(struct bf_sqlsrc *s, struct bf_err *err)
{
	(void)err;
	s->ops = &lite_ops;
	s->impl = bf_xcalloc(1, sizeof(struct litesrc));
	return 0;
}
