/* The common part of SQL sources: specs and their secrets, the SQL of discovery and of a
 * window (quoted identifiers, bound values), reconnection, and each raw value turned into
 * bf's text by its kind. */
#include "sources/sql/bf_sqlsrc_backend.h"

#include <ctype.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/bf_cli.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"
#include "pg/bf_pgconnect.h"
#include "sources/bf_names.h"
#include "sources/sql/bf_sqltext.h"
#include "sources/sql/bf_sqlval.h"

static const struct {
	const char *prefix;
	int (*init)(struct bf_sqlsrc *s, struct bf_err *err);
	int keep_prefix;           /* the connection string is the whole spec (a URL) */
} backends[] = {
	{ "postgresql://", bf_sqlsrc_pg_init, 1 },
	{ "postgres://", bf_sqlsrc_pg_init, 1 },
	{ "sqlite:", bf_sqlsrc_sqlite_init, 0 },
	{ "odbc:", bf_sqlsrc_odbc_init, 0 },
};
#define NBACKENDS (sizeof backends / sizeof backends[0])

static int backend_of(const char *spec)
{
	for (size_t i = 0; spec && i < NBACKENDS; i++)
		if (!strncasecmp(spec, backends[i].prefix, strlen(backends[i].prefix)))
			return (int)i;
	return -1;
}

int bf_sqlsrc_is_spec(const char *spec)
{
	return backend_of(spec) >= 0;
}

/* An ODBC connection string's key that holds a secret: PWD, PASSWORD, and any key
 * naming a password, a secret or a token (Snowflake's PRIV_KEY_FILE_PWD, TOKEN). */
static int odbc_secret_key(const char *k, size_t n)
{
	char key[64];
	while (n && isspace((unsigned char)*k))
		k++, n--;
	while (n && isspace((unsigned char)k[n - 1]))
		n--;
	if (n >= sizeof key)
		n = sizeof key - 1;
	for (size_t i = 0; i < n; i++)
		key[i] = (char)tolower((unsigned char)k[i]);
	key[n] = '\0';
	return strstr(key, "pwd") || strstr(key, "password") || strstr(key, "secret") || strstr(key, "token");
}

/* Whether an ODBC connection string names a secret: KEY=VALUE pairs split by ';', a
 * value possibly in braces. */
static int odbc_has_secret(const char *cs)
{
	const char *p = cs;
	while (*p) {
		size_t kn = strcspn(p, "=;");
		if (p[kn] == '=' && odbc_secret_key(p, kn))
			return 1;
		p += kn;
		if (*p == '=') {
			p++;
			if (*p == '{') {
				const char *e = strchr(p, '}');
				p = e ? e + 1 : p + strlen(p);
			}
			p += strcspn(p, ";");
		}
		if (*p == ';')
			p++;
	}
	return 0;
}

int bf_sqlsrc_check(const char *spec, const struct bf_source_opts *o, struct bf_err *err)
{
	int b = backend_of(spec);
	if (b < 0)
		return bf_fail(err, BF_EUSAGE, "--source", "not an SQL source: %s", spec);
	const char *rest = spec + strlen(backends[b].prefix);
	if (backends[b].init == bf_sqlsrc_pg_init && bf_pg_url_has_password(spec))
		return bf_fail(err, BF_EUSAGE, "--source",
			       "the PostgreSQL URL contains a password; command lines are visible to every "
			       "user (ps): give it in PGPASSWORD or a .pgpass file and leave it out of the URL");
	if (backends[b].init == bf_sqlsrc_odbc_init && odbc_has_secret(rest))
		return bf_fail(err, BF_EUSAGE, "--source",
			       "the ODBC connection string contains a password or another secret; command "
			       "lines are visible to every user (ps): give the password in BF_ODBC_PASSWORD or "
			       "keep secrets in the DSN's configuration (odbc.ini)");
	if (!*rest)
		return bf_fail(err, BF_EUSAGE, "--source", "%s: no database named", spec);
	if (!o->table == !o->query)
		return bf_fail(err, BF_EUSAGE, NULL, "an SQL source needs --table or --query (one of them)");
	if (o->table && !o->date_column)
		return bf_fail(err, BF_EUSAGE, NULL, "--table needs --date-column");
	if (o->query && o->columns)
		return bf_fail(err, BF_EUSAGE, NULL, "--columns goes with --table; a --query names its columns");
	if (o->time_zone && !bf_tz_known(o->time_zone))
		return bf_fail(err, BF_EUSAGE, "--time-zone", "unknown time zone \"%s\" (an IANA name such as "
			       "Europe/Paris)", o->time_zone);
	return 0;
}

/* ---- connecting ---- */

static int connect_retrying(struct bf_sqlsrc *s, struct bf_err *err)
{
	int rc = 0;
	for (int attempt = 0;; attempt++) {
		if (s->connected) {
			s->ops->disconnect(s);
			s->connected = 0;
		}
		if (!(rc = s->ops->connect(s, err))) {
			s->connected = 1;
			return 0;
		}
		if (rc != BF_EUNAVAIL || attempt >= s->retry.max_retries)
			return rc;
		bf_note(s->canon, "%s; retrying", err->msg);
		bf_sleep_ms(bf_retry_delay_ms(&s->retry, attempt, -1));
	}
}

static void make_canon(struct bf_sqlsrc *s, const char *spec)
{
	struct bf_buf b = BF_BUF_INIT;
	bf_buf_adds(&b, spec);
	if (s->o.table) {
		bf_buf_adds(&b, "#");
		bf_buf_adds(&b, s->o.table);
	} else {
		unsigned char md[32];
		unsigned int mdlen = 0;
		EVP_Digest(s->o.query, strlen(s->o.query), md, &mdlen, EVP_sha256(), NULL);
		bf_buf_adds(&b, "#query:");
		for (int i = 0; i < 8; i++)
			bf_buf_addf(&b, "%02x", md[i]);
	}
	s->canon = bf_buf_detach(&b);
}

int bf_sqlsrc_open(const char *spec, const struct bf_source_opts *o, struct bf_sqlsrc **out,
		   struct bf_err *err)
{
	int rc;
	*out = NULL;
	if ((rc = bf_sqlsrc_check(spec, o, err)))
		return rc;
	int b = backend_of(spec);
	struct bf_sqlsrc *s = bf_xcalloc(1, sizeof *s);
	s->o = *o;
	s->zone = o->time_zone ? o->time_zone : "UTC";
	s->quote = '"';
	s->conn = bf_xstrdup(backends[b].keep_prefix ? spec : spec + strlen(backends[b].prefix));
	make_canon(s, spec);
	char name[BF_NAME_MAX + 1];
	if (o->stream) {
		s->stream = bf_xstrdup(o->stream);
	} else if (o->table) {
		const char *t = strrchr(o->table, '.');
		t = t ? t + 1 : o->table;
		bf_snake_case(t, strlen(t), 1, name);
		s->stream = bf_xstrdup(name);
	} else {
		s->stream = bf_xstrdup("query");
	}
	if (o->columns)
		s->columns = bf_cli_split_list(o->columns, &s->ncolumns);
	bf_retry_init(&s->retry, o->retries_set && o->retries >= 0 ? o->retries : 5, 200, 30000);
	if ((rc = backends[b].init(s, err)) || (rc = connect_retrying(s, err))) {
		bf_sqlsrc_free(s);
		return rc;
	}
	*out = s;
	return 0;
}

void bf_sqlsrc_free(struct bf_sqlsrc *s)
{
	if (!s)
		return;
	if (s->ops && s->connected)
		s->ops->disconnect(s);
	for (size_t i = 0; i < s->nranges; i++)
		free(s->ranges[i].loc);
	free(s->ranges);
	bf_cli_list_free(s->columns, s->ncolumns);
	free(s->impl);
	free(s->conn);
	free(s->canon);
	free(s->stream);
	free(s);
}

const char *bf_sqlsrc_canon(const struct bf_sqlsrc *s)
{
	return s->canon;
}

const char *bf_sqlsrc_stream(const struct bf_sqlsrc *s)
{
	return s->stream;
}

/* ---- SQL text ---- */

struct sqlb {
	struct bf_buf t;
	int order[32];             /* the logical parameter of each placeholder, in order */
	int nord;
};

static void ident(const struct bf_sqlsrc *s, struct bf_buf *b, const char *name, size_t n)
{
	bf_buf_addc(b, s->quote);
	for (size_t i = 0; i < n; i++) {
		if (name[i] == s->quote)
			bf_buf_addc(b, s->quote);
		bf_buf_addc(b, name[i]);
	}
	bf_buf_addc(b, s->quote);
}

/* SCHEMA.NAME: each part quoted. */
static void table_name(const struct bf_sqlsrc *s, struct bf_buf *b)
{
	const char *t = s->o.table, *dot = strchr(t, '.');
	if (dot) {
		ident(s, b, t, (size_t)(dot - t));
		bf_buf_addc(b, '.');
		t = dot + 1;
	}
	ident(s, b, t, strlen(t));
}

static void col(const struct bf_sqlsrc *s, struct bf_buf *b, const char *name)
{
	ident(s, b, name, strlen(name));
}

static void ph(const struct bf_sqlsrc *s, struct sqlb *q, int k)
{
	const char *st = s->ops->params;
	if (!strcmp(st, "$"))
		bf_buf_addf(&q->t, "$%d", k);
	else if (!strcmp(st, "?N"))
		bf_buf_addf(&q->t, "?%d", k);
	else
		bf_buf_addc(&q->t, '?');
	if (q->nord < (int)(sizeof q->order / sizeof q->order[0]))
		q->order[q->nord++] = k;
}

/* The query text with :start and :end as placeholders 1 and 2; quoted text, comments
 * and PostgreSQL's ::casts and $$dollar quotes$$ are left alone. */
static void query_text(const struct bf_sqlsrc *s, struct sqlb *q)
{
	const char *p = s->o.query;
	while (*p) {
		size_t n = bf_sqltext_quoted(p);
		if (n) {
			bf_buf_add(&q->t, p, n);
			p += n;
		} else if (p[0] == ':' && p[1] == ':') {
			bf_buf_add(&q->t, p, 2);
			p += 2;
		} else if (*p == ':' && (!strncmp(p + 1, "start", 5) || !strncmp(p + 1, "end", 3))) {
			n = p[1] == 's' ? 6 : 4;
			if (isalnum((unsigned char)p[n]) || p[n] == '_')
				bf_buf_add(&q->t, p, n);
			else
				ph(s, q, p[1] == 's' ? 1 : 2);
			p += n;
		} else {
			bf_buf_addc(&q->t, *p++);
		}
	}
}

/* Runs q with the logical parameters pv[0..np) into a fresh cursor. */
static int run(struct bf_sqlsrc *s, struct sqlb *q, const char *const *pv, int np,
	       struct bf_sqlcur **out, struct bf_err *err)
{
	const char *ordered[32];
	const char *const *args = pv;
	int nargs = np;
	if (!strcmp(s->ops->params, "?")) {
		for (int i = 0; i < q->nord; i++)
			ordered[i] = pv[q->order[i] - 1];
		args = ordered;
		nargs = q->nord;
	}
	struct bf_sqlcur *c = bf_xcalloc(1, sizeof *c);
	c->s = s;
	int rc = s->ops->query(c, q->t.p, nargs, args, err);
	if (rc) {
		bf_sqlcur_close(c);
		return rc;
	}
	*out = c;
	return 0;
}

void bf_sqlcur_alloc(struct bf_sqlcur *c)
{
	size_t n = c->ncols ? c->ncols : 1;
	c->rv = bf_xcalloc(n, sizeof *c->rv);
	c->rlen = bf_xcalloc(n, sizeof *c->rlen);
	c->v = bf_xcalloc(n, sizeof *c->v);
	c->len = bf_xcalloc(n, sizeof *c->len);
	c->scratch = bf_buf_array(n);
}

/* A connection lost on the way: reconnect before the next statement. */
static int ensure_connected(struct bf_sqlsrc *s, struct bf_err *err)
{
	if (s->connected && !s->ops->lost(s))
		return 0;
	return connect_retrying(s, err);
}

/* Runs q, reconnecting and running it again while the connection is lost (nothing has
 * been read from it yet). */
static int run_retrying(struct bf_sqlsrc *s, struct sqlb *q, const char *const *pv, int np,
			struct bf_sqlcur **out, struct bf_err *err)
{
	int rc;
	for (int attempt = 0;; attempt++) {
		if ((rc = ensure_connected(s, err)))
			return rc;
		rc = run(s, q, pv, np, out, err);
		if (rc != BF_EUNAVAIL || !s->ops->lost(s) || attempt >= s->retry.max_retries)
			return rc;
		bf_note(s->canon, "%s; reconnecting", err->msg);
		bf_sleep_ms(bf_retry_delay_ms(&s->retry, attempt, -1));
	}
}

/* ---- the date column ---- */

static int date_kind(struct bf_sqlsrc *s, struct bf_err *err)
{
	if (s->date_kind_known || !s->o.table)
		return 0;
	struct sqlb q = { BF_BUF_INIT, { 0 }, 0 };
	struct bf_sqlcur *c = NULL;
	bf_buf_adds(&q.t, "SELECT ");
	col(s, &q.t, s->o.date_column);
	bf_buf_adds(&q.t, " FROM ");
	table_name(s, &q.t);
	bf_buf_adds(&q.t, " WHERE 1 = 0");
	int rc = run_retrying(s, &q, NULL, 0, &c, err);
	if (!rc) {
		s->date_kind = c->ncols ? c->cols[0].kind : BF_SQL_STRING;
		s->date_kind_known = 1;
		if (s->date_kind != BF_SQL_DATE && s->date_kind != BF_SQL_TIMESTAMP &&
		    s->date_kind != BF_SQL_TIMESTAMPTZ && s->date_kind != BF_SQL_STRING)
			rc = bf_fail(err, BF_EDATA, s->canon, "--date-column %s is neither a date nor a timestamp",
				     s->o.date_column);
	}
	bf_sqlcur_close(c);
	bf_buf_free(&q.t);
	return rc;
}

/* The date column as compared with the window's bounds. */
static void date_expr(struct bf_sqlsrc *s, struct bf_buf *b)
{
	struct bf_buf c = BF_BUF_INIT;
	col(s, &c, s->o.date_column);
	if (s->date_kind == BF_SQL_TIMESTAMPTZ && s->ops->instant)
		s->ops->instant(b, c.p);
	else
		bf_buf_adds(b, c.p);
	bf_buf_free(&c);
}

static void bound_expr(struct bf_sqlsrc *s, struct sqlb *q, int k)
{
	if (s->date_kind == BF_SQL_TIMESTAMPTZ && s->ops->instant) {
		struct bf_buf p = BF_BUF_INIT;
		struct sqlb tmp = { BF_BUF_INIT, { 0 }, 0 };
		ph(s, &tmp, k);
		s->ops->instant(&p, tmp.t.p);
		bf_buf_adds(&q->t, p.p);
		q->order[q->nord++] = k;
		bf_buf_free(&p);
		bf_buf_free(&tmp.t);
	} else {
		ph(s, q, k);
	}
}

/* ---- discovery ---- */

/* A date is its own; a timestamp with an offset has the date of that instant in the zone. */
static int32_t business_date(struct bf_sqlsrc *s, const char *v, size_t n)
{
	return bf_tz_date_of(s->zone, v, n);
}

static void widen(int32_t *lo, int32_t *hi, int32_t a, int32_t b)
{
	if (a != BF_DATE_NONE && (*lo == BF_DATE_NONE || a < *lo))
		*lo = a;
	if (b != BF_DATE_NONE && (*hi == BF_DATE_NONE || b > *hi))
		*hi = b;
}

/* One query: the earliest and latest business date, per location when there is a
 * location column. */
static int load_ranges(struct bf_sqlsrc *s, struct bf_err *err)
{
	struct sqlb q = { BF_BUF_INIT, { 0 }, 0 };
	struct bf_sqlcur *c = NULL;
	const char *wide[2] = { "0001-01-01", "9999-12-31" };
	const char *lc = s->o.location_column;
	int rc;
	if (s->ranged)
		return 0;
	if (!s->o.table && !s->o.date_column)
		return bf_fail(err, BF_EUSAGE, NULL, "--all with --query needs --date-column (a column of its result)");
	if ((rc = date_kind(s, err)))
		return rc;
	struct bf_buf d = BF_BUF_INIT, agg = BF_BUF_INIT;
	if (s->o.table)
		col(s, &d, s->o.date_column);
	else {
		bf_buf_adds(&d, "bfq.");
		col(s, &d, s->o.date_column);
	}
	bf_buf_adds(&q.t, "SELECT ");
	if (lc) {
		if (!s->o.table)
			bf_buf_adds(&q.t, "bfq.");
		col(s, &q.t, lc);
		bf_buf_adds(&q.t, ", ");
	}
	for (int i = 0; i < 2; i++) {
		const char *fn = i ? "max" : "min";
		bf_buf_reset(&agg);
		if (s->o.table && s->date_kind == BF_SQL_TIMESTAMPTZ && s->ops->instant_agg)
			s->ops->instant_agg(&agg, fn, d.p);
		else
			bf_buf_addf(&agg, "%s(%s)", fn, d.p);
		bf_buf_adds(&q.t, agg.p);
		bf_buf_adds(&q.t, i ? "" : ", ");
	}
	bf_buf_adds(&q.t, " FROM ");
	if (s->o.table) {
		table_name(s, &q.t);
	} else {
		bf_buf_adds(&q.t, "(");
		query_text(s, &q);
		bf_buf_adds(&q.t, "\n) bfq");
	}
	if (lc) {
		bf_buf_adds(&q.t, " GROUP BY ");
		if (!s->o.table)
			bf_buf_adds(&q.t, "bfq.");
		col(s, &q.t, lc);
	}
	bf_buf_free(&d);
	bf_buf_free(&agg);
	rc = run_retrying(s, &q, wide, s->o.table ? 0 : 2, &c, err);
	struct bf_sqlrow row;
	int r;
	size_t at = lc ? 1 : 0;
	while (!rc && (r = bf_sqlcur_next(c, &row, err)) == 1) {
		if (lc && !row.v[0]) {
			bf_warn(s->canon, "rows with a NULL %s are in no location (left out)", lc);
			continue;
		}
				int32_t lo = row.v[at] ? business_date(s, row.v[at], row.len[at]) : BF_DATE_NONE;
		int32_t hi = row.v[at + 1] ? business_date(s, row.v[at + 1], row.len[at + 1]) : BF_DATE_NONE;
		if (lo == BF_DATE_NONE && hi == BF_DATE_NONE)
			continue;
		s->ranges = bf_xrealloc(s->ranges, (s->nranges + 1) * sizeof *s->ranges);
		s->ranges[s->nranges].loc = lc ? bf_xstrndup(row.v[0], row.len[0]) : NULL;
		s->ranges[s->nranges].lo = lo;
		s->ranges[s->nranges].hi = hi;
		s->nranges++;
	}
	if (!rc && r < 0)
		rc = -r;
	bf_sqlcur_close(c);
	bf_buf_free(&q.t);
	if (!rc)
		s->ranged = 1;
	return rc;
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

int bf_sqlsrc_locations(struct bf_sqlsrc *s, char *const *want, size_t nwant, char ***locs,
			size_t *nlocs, struct bf_err *err)
{
	int rc;
	*locs = NULL;
	*nlocs = 0;
	if (nwant) {
		*locs = bf_xcalloc(nwant, sizeof **locs);
		for (size_t i = 0; i < nwant; i++)
			(*locs)[(*nlocs)++] = bf_xstrdup(want[i]);
		return 0;
	}
	if (!s->o.location_column) {
		*locs = bf_xcalloc(1, sizeof **locs);
		(*locs)[0] = bf_xstrdup(s->o.table ? s->o.table : s->stream);
		*nlocs = 1;
		return 0;
	}
	if ((rc = load_ranges(s, err)))
		return rc;
	*locs = bf_xcalloc(s->nranges + 1, sizeof **locs);
	for (size_t i = 0; i < s->nranges; i++)
		(*locs)[(*nlocs)++] = bf_xstrdup(s->ranges[i].loc);
	qsort(*locs, *nlocs, sizeof **locs, cmp_str);
	return 0;
}

int bf_sqlsrc_dates(struct bf_sqlsrc *s, char *const *locs, size_t nlocs, int32_t *lo,
		    int32_t *hi, struct bf_err *err)
{
	int rc = load_ranges(s, err);
	if (rc)
		return rc;
	for (size_t i = 0; i < s->nranges; i++) {
		int wanted = !s->ranges[i].loc;
		for (size_t k = 0; k < nlocs && !wanted; k++)
			wanted = !strcmp(locs[k], s->ranges[i].loc);
		if (wanted)
			widen(lo, hi, s->ranges[i].lo, s->ranges[i].hi);
	}
	return 0;
}

/* ---- windows ---- */

int bf_sqlsrc_window(struct bf_sqlsrc *s, const char *location, int32_t date,
		     struct bf_sqlcur **out, struct bf_err *err)
{
	struct sqlb q = { BF_BUF_INIT, { 0 }, 0 };
	char d0[11], d1[11], t0[40], t1[40];
	const char *pv[3];
	const char *lc = s->o.location_column;
	int rc;
	*out = NULL;
	if ((rc = ensure_connected(s, err)) || (rc = date_kind(s, err)))
		return rc;
	bf_date_iso(date, d0);
	bf_date_iso(date + 1, d1);
	int instants = s->o.table && s->date_kind == BF_SQL_TIMESTAMPTZ;
	if (instants) {
		bf_tz_day_start(s->zone, date, t0);
		bf_tz_day_start(s->zone, date + 1, t1);
	}
	/* the database converts a local bound itself when it can */
	int local = !instants || s->ops->session_zone;
	pv[0] = local ? d0 : t0;
	pv[1] = local ? d1 : t1;
	pv[2] = location;
	if (s->o.table) {
		bf_buf_adds(&q.t, "SELECT ");
		for (size_t i = 0; i < s->ncolumns; i++) {
			if (i)
				bf_buf_adds(&q.t, ", ");
			col(s, &q.t, s->columns[i]);
		}
		if (!s->ncolumns)
			bf_buf_adds(&q.t, "*");
		bf_buf_adds(&q.t, " FROM ");
		table_name(s, &q.t);
		bf_buf_adds(&q.t, " WHERE ");
		date_expr(s, &q.t);
		bf_buf_adds(&q.t, " >= ");
		bound_expr(s, &q, 1);
		bf_buf_adds(&q.t, " AND ");
		date_expr(s, &q.t);
		bf_buf_adds(&q.t, " < ");
		bound_expr(s, &q, 2);
		if (lc) {
			bf_buf_adds(&q.t, " AND ");
			col(s, &q.t, lc);
			bf_buf_adds(&q.t, " = ");
			ph(s, &q, 3);
		}
	} else if (lc) {
		bf_buf_adds(&q.t, "SELECT * FROM (");
		query_text(s, &q);
		bf_buf_adds(&q.t, "\n) bfq WHERE bfq.");
		col(s, &q.t, lc);
		bf_buf_adds(&q.t, " = ");
		ph(s, &q, 3);
	} else {
		query_text(s, &q);
	}
	rc = run_retrying(s, &q, pv, lc ? 3 : 2, out, err);
	bf_buf_free(&q.t);
	if (rc)
		return rc;
	struct bf_sqlcur *c = *out;
	snprintf(c->start, sizeof c->start, "%s", instants ? t0 : d0);
	snprintf(c->end, sizeof c->end, "%s", instants ? t1 : d1);
	struct bf_buf w = BF_BUF_INIT;
	bf_buf_addf(&w, "%s [%s, %s)", s->o.table ? s->o.table : strchr(s->canon, '#') + 1, c->start, c->end);
	c->what = bf_buf_detach(&w);
	return 0;
}

const struct bf_sqlcol *bf_sqlcur_columns(const struct bf_sqlcur *c, size_t *n)
{
	*n = c->ncols;
	return c->cols;
}

const char *bf_sqlcur_what(const struct bf_sqlcur *c)
{
	return c->what ? c->what : "";
}

const char *bf_sqlcur_start(const struct bf_sqlcur *c)
{
	return c->start;
}

const char *bf_sqlcur_end(const struct bf_sqlcur *c)
{
	return c->end;
}

int bf_sqlcur_next(struct bf_sqlcur *c, struct bf_sqlrow *row, struct bf_err *err)
{
	int r = c->s->ops->next(c, err);
	if (r != 1)
		return r;
	for (size_t i = 0; i < c->ncols; i++) {
		if (!c->rv[i]) {
			c->v[i] = NULL;
			c->len[i] = 0;
			continue;
		}
		bf_sqlval_text(c->cols[i].kind, c->rv[i], c->rlen[i], &c->scratch[i], &c->v[i], &c->len[i]);
	}
	row->n = c->ncols;
	row->v = c->v;
	row->len = c->len;
	return 1;
}

void bf_sqlcur_close(struct bf_sqlcur *c)
{
	if (!c)
		return;
	if (c->s && c->s->ops->close)
		c->s->ops->close(c);
	for (size_t i = 0; i < c->ncols; i++) {
		free(c->cols[i].name);
		if (c->scratch)
			bf_buf_free(&c->scratch[i]);
	}
	free(c->cols);
	free(c->rv);
	free(c->rlen);
	free(c->v);
	free(c->len);
	free(c->scratch);
	free(c->what);
	free(c);
}

int bf_sqlsrc_utf8_sure(const struct bf_sqlsrc *s)
{
	return s->ops->utf8_sure;
}
