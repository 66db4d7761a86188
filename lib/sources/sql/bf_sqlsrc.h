/* SQL-database sources: a table (or a query) read by business date, partition by
 * partition, as a drop's folders are. This is the contract bf-extract and bf-run's
 * planning use; the backends (PostgreSQL through libpq, SQLite, any ODBC driver)
 * implement it behind sources/sql/bf_sqlsrc_backend.h.
 *
 * A spec is postgresql://[user@]host[:port]/db[?params] (or postgres://), sqlite:PATH or
 * odbc:CONNECTION-STRING. A password inside it is refused (BF_EUSAGE): libpq takes it
 * from PGPASSWORD, ~/.pgpass or PGPASSFILE; ODBC from BF_ODBC_PASSWORD or the DSN's own
 * configuration. What is read comes from struct bf_source_opts: --table and
 * --date-column (or --query with :start and :end), --location-column, --time-zone,
 * --stream, --columns.
 *
 * The business date of a row: its date column's date; for a timestamp with a time zone,
 * the date it has in --time-zone (default UTC). A window is one (location, date): rows
 * with start <= date column < end. Rows are streamed: memory stays flat whatever the
 * table's size. One source reads from one snapshot where the database offers it (a
 * read-only REPEATABLE READ transaction; SQLite one read transaction) until a lost
 * connection makes it reconnect.
 *
 * Ownership: struct bf_sqlsrc owns its connection and every string it returns; a cursor
 * borrows its source, its rows live until the next call on it, and it is closed before
 * the next one is opened. bf_sqlsrc_free(NULL) and bf_sqlcur_close(NULL) are no-ops. */
#ifndef BF_SQLSRC_H
#define BF_SQLSRC_H

#include <stddef.h>
#include <stdint.h>

#include "base/bf_log.h"
#include "sources/bf_source.h"

/* What a column holds, and the text its values take on the pipe (docs/sources.md). */
enum bf_sqlkind {
	BF_SQL_STRING,       /* text as stored */
	BF_SQL_INTEGER,      /* every digit of a bigint */
	BF_SQL_NUMBER,       /* the decimal as the database prints it */
	BF_SQL_BOOLEAN,      /* "true" / "false" */
	BF_SQL_DATE,         /* YYYY-MM-DD */
	BF_SQL_TIMESTAMP,    /* YYYY-MM-DDTHH:MM:SS[.f], local (no zone) */
	BF_SQL_TIMESTAMPTZ,  /* YYYY-MM-DDTHH:MM:SS[.f]+HH:MM, the same instant */
	BF_SQL_JSON,         /* the JSON value itself (not a string) */
	BF_SQL_BINARY,       /* base64 */
};

struct bf_sqlcol {
	char *name;                /* as the database names it */
	enum bf_sqlkind kind;
};

/* One row: v[i] NULL for SQL NULL, else len[i] bytes (not NUL-terminated in general). */
struct bf_sqlrow {
	size_t n;
	const char *const *v;
	const size_t *len;
};

struct bf_sqlsrc;
struct bf_sqlcur;

/* 1 when spec names an SQL source (postgresql://, postgres://, sqlite:, odbc:). */
int bf_sqlsrc_is_spec(const char *spec);
/* Checks spec and options without connecting: no password in the spec, --table or
 * --query (not both), --date-column, a known --time-zone. 0 or BF_EUSAGE. */
int bf_sqlsrc_check(const char *spec, const struct bf_source_opts *o, struct bf_err *err);
/* Connects (retrying a server that is down with backoff) and begins the snapshot. */
int bf_sqlsrc_open(const char *spec, const struct bf_source_opts *o, struct bf_sqlsrc **out,
		   struct bf_err *err);
void bf_sqlsrc_free(struct bf_sqlsrc *s);
/* The source's identity in the state file: the spec and the table (or the query's
 * checksum); never credentials. */
const char *bf_sqlsrc_canon(const struct bf_sqlsrc *s);
/* The stream name of the records. */
const char *bf_sqlsrc_stream(const struct bf_sqlsrc *s);
/* 1 when the values are always valid UTF-8 (PostgreSQL's UTF8 client encoding); else
 * the caller checks them. */
int bf_sqlsrc_utf8_sure(const struct bf_sqlsrc *s);

/* The locations: want (when nwant > 0), else the location column's values, else the
 * table's name. Malloc'ed; free with bf_cli_list_free. */
int bf_sqlsrc_locations(struct bf_sqlsrc *s, char *const *want, size_t nwant, char ***locs,
			size_t *nlocs, struct bf_err *err);
/* Widens [*lo, *hi] (BF_DATE_NONE when empty) to the business dates the given locations
 * hold: one min/max query (per location when there is a location column). */
int bf_sqlsrc_dates(struct bf_sqlsrc *s, char *const *locs, size_t nlocs, int32_t *lo,
		    int32_t *hi, struct bf_err *err);

/* Opens the rows of one (location, date). A connection found lost is reopened first. */
int bf_sqlsrc_window(struct bf_sqlsrc *s, const char *location, int32_t date,
		     struct bf_sqlcur **cur, struct bf_err *err);
const struct bf_sqlcol *bf_sqlcur_columns(const struct bf_sqlcur *cur, size_t *n);
/* What was read, for the state file: "TABLE [START, END)" or "query SHA [START, END)". */
const char *bf_sqlcur_what(const struct bf_sqlcur *cur);
/* The window's bounds as bound ("2024-03-10" or "2024-03-10 00:00:00-05:00"). */
const char *bf_sqlcur_start(const struct bf_sqlcur *cur);
const char *bf_sqlcur_end(const struct bf_sqlcur *cur);
/* 1 with *row filled, 0 at the end, or -(exit code) with err filled. */
int bf_sqlcur_next(struct bf_sqlcur *cur, struct bf_sqlrow *row, struct bf_err *err);
void bf_sqlcur_close(struct bf_sqlcur *cur);

#endif
