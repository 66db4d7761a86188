/* What an SQL source backend implements (the contract of sources/sql/bf_sqlsrc.h), and
 * the backends that bf_sqlsrc.c's table knows. Only sources/sql/ includes this header.
 *
 * The common part (bf_sqlsrc.c) writes the SQL (quoted identifiers, placeholders from the
 * backend), chooses the bound values, and turns each raw value into bf's text by its
 * column's kind (bf_sqlval.h); a backend connects, runs one statement at a time with
 * text parameters, describes its columns and hands out raw rows:
 *   - a value of kind BF_SQL_BINARY as its bytes; every other value as the database's
 *     own text of it;
 *   - a connection found lost is BF_EUNAVAIL, and lost() says so, so that the common
 *     part reconnects before the next window. */
#ifndef BF_SQLSRC_BACKEND_H
#define BF_SQLSRC_BACKEND_H

#include "base/bf_buf.h"
#include "base/bf_retry.h"
#include "sources/sql/bf_sqlsrc.h"

struct bf_sqlsrc_ops {
	const char *scheme;
	/* "$" for $1 $2 (reusable), "?N" for ?1 ?2 (reusable), "?" for one ? per use */
	const char *params;
	/* the database turns a bound local time without offset into an instant in the
	 * session's time zone, set to --time-zone at connect (PostgreSQL) */
	int session_zone;
	/* the database's text is always valid UTF-8 (no check needed) */
	int utf8_sure;
	/* Connects and begins the snapshot; sets s->quote when not '"'. */
	int (*connect)(struct bf_sqlsrc *s, struct bf_err *err);
	void (*disconnect)(struct bf_sqlsrc *s);
	/* 1 when the connection is gone (after an error). */
	int (*lost)(struct bf_sqlsrc *s);
	/* Writes the expression comparing a timestamp-with-zone operand x as an instant, or
	 * NULL when the column compares as it is. */
	void (*instant)(struct bf_buf *b, const char *x);
	/* With instant: the text (with an offset) of fn ("min", "max") over the instants of x. */
	void (*instant_agg)(struct bf_buf *b, const char *fn, const char *x);
	/* Runs sql with np text parameters (NULL: SQL NULL); fills cur->cols/ncols. */
	int (*query)(struct bf_sqlcur *cur, const char *sql, int np, const char *const *params,
		     struct bf_err *err);
	/* The next raw row into cur->rv/rlen (rv[i] NULL: SQL NULL): 1, 0 at the end, or
	 * -(exit code). */
	int (*next)(struct bf_sqlcur *cur, struct bf_err *err);
	/* Ends the statement (a cursor left early is closed on the server too). */
	void (*close)(struct bf_sqlcur *cur);
};

/* Options and state shared by every backend; the backend keeps its own in impl. */
struct bf_sqlsrc {
	const struct bf_sqlsrc_ops *ops;
	char *conn;                /* the spec after the scheme (sqlite: the path) or the URL */
	char *canon, *stream;
	const char *zone;          /* --time-zone, default "UTC" */
	struct bf_source_opts o;   /* strings borrowed from the caller */
	char **columns;            /* --columns, split */
	size_t ncolumns;
	char quote;                /* identifier quote, '"' unless the backend says */
	int connected;
	struct bf_retry retry;
	/* the date column's kind, found on first use */
	enum bf_sqlkind date_kind;
	int date_kind_known;
	/* discovery: the business dates per location (one query) */
	struct bf_sqlrange { char *loc; int32_t lo, hi; } *ranges;
	size_t nranges;
	int ranged;
	void *impl;
};

struct bf_sqlcur {
	struct bf_sqlsrc *s;
	struct bf_sqlcol *cols;    /* the backend fills them in query() */
	size_t ncols;
	const char **rv;           /* the backend's raw row */
	size_t *rlen;
	const char **v;            /* the row handed out */
	size_t *len;
	struct bf_buf *scratch;    /* per column, for converted values */
	char *what;
	char start[40], end[40];
	void *impl;
};

/* Sizes the row arrays for cur->ncols columns (the backend calls it in query()). */
void bf_sqlcur_alloc(struct bf_sqlcur *cur);

int bf_sqlsrc_pg_init(struct bf_sqlsrc *s, struct bf_err *err);
int bf_sqlsrc_sqlite_init(struct bf_sqlsrc *s, struct bf_err *err);
int bf_sqlsrc_odbc_init(struct bf_sqlsrc *s, struct bf_err *err);

#endif
