/* GET /api/analytics/daily-trends?start_date=&end_date=&location=: one row per open
 * location-day of the trend stream, from the views bf-load keeps in the warehouse:
 * <stream>_daily (rows, sales, closed) without its closed days, joined with the orders
 * counted in <stream>_open (closure records left out). SQLite or PostgreSQL. */
#include "serve/bf_serve_int.h"

#include <libpq-fe.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "state/bf_state.h"
#include "pg/bf_pgconnect.h"
#include "base/bf_sql.h"

struct trend_q {
	const char *from, *to, *location;  /* location NULL: every one */
	int sales, orders;                 /* the stream has those columns */
};

/* The query; PostgreSQL names its parameters $1.., SQLite ?1.. */
static void trend_sql(struct serve *sv, const struct trend_q *t, int pg, struct bf_buf *q)
{
	const struct bf_serve_opts *o = sv->o;
	struct bf_buf name = BF_BUF_INIT;
	const char *p = pg ? "$" : "?";
#define VIEW(suffix) do { \
		if (pg) { bf_sql_ident(q, o->pg_schema); bf_buf_addc(q, '.'); } \
		bf_buf_reset(&name); bf_buf_adds(&name, o->trend_stream); bf_buf_adds(&name, suffix); \
		bf_sql_ident(q, name.p); } while (0)
	bf_buf_adds(q, "SELECT d.\"date\", d.\"location\", d.\"rows\", ");
	bf_buf_adds(q, t->orders ? "coalesce(o.orders, 0), " : "NULL, ");
	if (t->sales) {
		bf_buf_adds(q, "d.");
		bf_sql_ident(q, o->trend_amount);
	} else {
		bf_buf_adds(q, "NULL");
	}
	bf_buf_adds(q, " FROM ");
	VIEW("_daily");
	bf_buf_adds(q, " d");
	if (t->orders) {
		bf_buf_adds(q, " LEFT JOIN (SELECT \"_bf_date\" AS dt, \"_bf_location\" AS loc, count(DISTINCT ");
		bf_sql_ident(q, o->trend_order);
		bf_buf_adds(q, ") AS orders FROM ");
		VIEW("_open");
		bf_buf_addf(q, " WHERE \"_bf_line\" > 0 AND \"_bf_date\" BETWEEN %s1 AND %s2 GROUP BY 1, 2) o"
			    " ON o.dt = d.\"date\" AND o.loc = d.\"location\"", p, p);
	}
	bf_buf_addf(q, " WHERE d.\"closed\" IS NOT TRUE AND d.\"date\" BETWEEN %s1 AND %s2", p, p);
	if (t->location)
		bf_buf_addf(q, " AND d.\"location\" = %s3", p);
	bf_buf_adds(q, " ORDER BY 1, 2");
#undef VIEW
	bf_buf_free(&name);
}

static void add_day(cJSON *days, const char *date, const char *loc, double rows, const char *orders,
		    const char *sales)
{
	cJSON *d = cJSON_CreateObject();
	cJSON_AddStringToObject(d, "date", date ? date : "");
	cJSON_AddStringToObject(d, "location", loc ? loc : "");
	cJSON_AddNumberToObject(d, "rows", rows);
	if (orders)
		cJSON_AddNumberToObject(d, "orders", strtod(orders, NULL));
	else
		cJSON_AddNullToObject(d, "orders");
	if (sales)
		cJSON_AddNumberToObject(d, "sales", strtod(sales, NULL));
	else
		cJSON_AddNullToObject(d, "sales");
	cJSON_AddItemToArray(days, d);
}

static int from_sqlite(struct serve *sv, struct trend_q *t, cJSON *days, struct bf_err *err)
{
	sqlite3 *db = serve_wh_db(sv, err);
	struct bf_buf q = BF_BUF_INIT, view = BF_BUF_INIT;
	sqlite3_stmt *s;
	int rc;
	if (!db)
		return err->code;
	bf_buf_addf(&view, "%s_daily", sv->o->trend_stream);
	if (!bf_sqlite_has_column(db, view.p, "date")) {
		bf_buf_free(&view);
		return bf_fail(err, BF_ENOINPUT, sv->wh_sqlite, "no view %s_daily (nothing loaded yet)", sv->o->trend_stream);
	}
	t->sales = bf_sqlite_has_column(db, view.p, sv->o->trend_amount);
	t->orders = bf_sqlite_has_column(db, sv->o->trend_stream, sv->o->trend_order);
	bf_buf_free(&view);
	trend_sql(sv, t, 0, &q);
	rc = sqlite3_prepare_v2(db, q.p, -1, &s, NULL);
	bf_buf_free(&q);
	if (rc != SQLITE_OK) {
		rc = bf_sqlite_fail(db, rc, "daily trends", err);
		serve_db_drop(sv);
		return rc;
	}
	sqlite3_bind_text(s, 1, t->from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, t->to, -1, SQLITE_STATIC);
	if (t->location)
		sqlite3_bind_text(s, 3, t->location, -1, SQLITE_STATIC);
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW)
		add_day(days, (const char *)sqlite3_column_text(s, 0), (const char *)sqlite3_column_text(s, 1),
			(double)sqlite3_column_int64(s, 2), (const char *)sqlite3_column_text(s, 3),
			(const char *)sqlite3_column_text(s, 4));
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		rc = bf_sqlite_fail(db, rc, "daily trends", err);
		serve_db_drop(sv);
		return rc;
	}
	return 0;
}

static int pg_fail(PGconn *c, PGresult *res, const char *what, struct bf_err *err)
{
	const char *m = PQresultErrorMessage(res);
	int rc = bf_fail(err, BF_EUNAVAIL, what, "%.*s", (int)strcspn(m, "\n"), m);
	PQclear(res);
	PQfinish(c);
	return rc;
}

static int pg_has_col(PGconn *c, const char *schema, const char *table, const char *col)
{
	const char *v[3] = { schema, table, col };
	PGresult *res = PQexecParams(c, "SELECT 1 FROM information_schema.columns WHERE table_schema = $1"
				     " AND table_name = $2 AND column_name = $3", 3, NULL, v, NULL, NULL, 0);
	int yes = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) > 0;
	PQclear(res);
	return yes;
}

static int from_pg(struct serve *sv, struct trend_q *t, cJSON *days, struct bf_err *err)
{
	PGconn *c;
	struct bf_buf q = BF_BUF_INIT, view = BF_BUF_INIT;
	int rc = bf_pg_connect(sv->o->target, "--target", &c, err);
	if (rc)
		return rc;
	bf_buf_addf(&view, "%s_daily", sv->o->trend_stream);
	if (!pg_has_col(c, sv->o->pg_schema, view.p, "date")) {
		bf_buf_free(&view);
		PQfinish(c);
		return bf_fail(err, BF_ENOINPUT, "warehouse", "no view %s_daily (nothing loaded yet)", sv->o->trend_stream);
	}
	t->sales = pg_has_col(c, sv->o->pg_schema, view.p, sv->o->trend_amount);
	t->orders = pg_has_col(c, sv->o->pg_schema, sv->o->trend_stream, sv->o->trend_order);
	bf_buf_free(&view);
	trend_sql(sv, t, 1, &q);
	/* the dates as text, compared as the views' date type */
	const char *v[3] = { t->from, t->to, t->location };
	PGresult *res = PQexecParams(c, q.p, t->location ? 3 : 2, NULL, v, NULL, NULL, 0);
	bf_buf_free(&q);
	if (PQresultStatus(res) != PGRES_TUPLES_OK)
		return pg_fail(c, res, "daily trends", err);
	for (int i = 0; i < PQntuples(res); i++)
		add_day(days, PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), strtod(PQgetvalue(res, i, 2), NULL),
			PQgetisnull(res, i, 3) ? NULL : PQgetvalue(res, i, 3),
			PQgetisnull(res, i, 4) ? NULL : PQgetvalue(res, i, 4));
	PQclear(res);
	PQfinish(c);
	return 0;
}

void serve_api_trends(struct serve_req *q, struct serve_reply *r)
{
	struct serve *sv = q->sv;
	struct bf_err err = { 0 };
	struct trend_q t = { 0 };
	char from[11], to[11];
	int has_from = serve_query_date(q, "start_date", from), has_to = serve_query_date(q, "end_date", to);
	if (has_from < 0 || has_to < 0) {
		serve_reply_error(r, 400, "start_date and end_date are dates (YYYY-MM-DD)");
		return;
	}
	if (!has_from)
		snprintf(from, sizeof from, "0001-01-01");
	if (!has_to)
		snprintf(to, sizeof to, "9999-12-31");
	if (!sv->wh_pg && !sv->wh_sqlite) {
		serve_reply_error(r, 501, "daily trends need a SQLite or PostgreSQL warehouse");
		return;
	}
	t.from = from;
	t.to = to;
	t.location = serve_query(q, "location");
	if (t.location && !*t.location)
		t.location = NULL;
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "stream", sv->o->trend_stream);
	cJSON *days = cJSON_AddArrayToObject(root, "days");
	int rc = sv->wh_pg ? from_pg(sv, &t, days, &err) : from_sqlite(sv, &t, days, &err);
	if (rc == BF_ENOINPUT) {
		/* nothing loaded yet: no days */
		cJSON_Delete(root);
		root = cJSON_CreateObject();
		cJSON_AddStringToObject(root, "stream", sv->o->trend_stream);
		cJSON_AddArrayToObject(root, "days");
	} else if (rc) {
		cJSON_Delete(root);
		serve_reply_err(r, &err);
		return;
	}
	serve_reply_json(r, 200, root);
}
