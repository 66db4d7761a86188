/* bf-closure's rows in the state file: the history of open days a verdict is relative
 * to, what the days around it showed (to learn the measure from), and the verdicts
 * themselves (the closures table). */
#include "stages/closure/bf_closure_int.h"

#include <string.h>

#include "base/bf_time.h"
#include "proto/bf_json.h"
#include "stages/closure/bf_closure_learn.h"

/* A query of the open days of one location in [?3, ?4), its four parameters bound. */
static int prepare_window(struct bf_state *st, const char *sql, const char *const win[4],
			  sqlite3_stmt **q, struct bf_err *err)
{
	int rc = sqlite3_prepare_v2(st->db, sql, -1, q, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(st->db, rc, "closure history", err);
	for (int i = 0; i < 4; i++)
		sqlite3_bind_text(*q, i + 1, win[i], -1, SQLITE_STATIC);
	return 0;
}

int bf_closure_history_load(struct bf_state *st, const char *source, const char *location,
			    int32_t date, int weeks, const char *activity_stream, const char *amount,
			    struct bf_closure_history *h, struct bf_err *err)
{
	char lo[11], hi[11];
	sqlite3_stmt *q = NULL;
	int rc;
	memset(h, 0, sizeof *h);
	bf_date_iso(date - 7 * weeks, lo);
	bf_date_iso(date, hi);
	const char *win[4] = { source, location, lo, hi };
	/* rows and sales only of the days measured the same way */
	if ((rc = prepare_window(st,
		"SELECT date,"
		" CASE WHEN json_extract(evidence, '$.thresholds.activity_stream') IS ?5"
		" THEN json_extract(evidence, '$.observed.activity_rows') END,"
		" CASE WHEN json_extract(evidence, '$.thresholds.amount_column') IS ?6"
		" THEN json_extract(evidence, '$.observed.sales') END,"
		" json_extract(evidence, '$.observed.files')"
		" FROM closures WHERE source = ?1 AND location = ?2 AND verdict = 'open'"
		" AND date >= ?3 AND date < ?4 ORDER BY date", win, &q, err)))
		return rc;
	if (activity_stream)
		sqlite3_bind_text(q, 5, activity_stream, -1, SQLITE_STATIC);
	if (amount)
		sqlite3_bind_text(q, 6, amount, -1, SQLITE_STATIC);
	while ((rc = bf_sqlite_step(q)) == SQLITE_ROW) {
		int32_t d;
		const char *ds = (const char *)sqlite3_column_text(q, 0);
		if (!ds || bf_date_parse(ds, &d))
			continue;
		h->days = bf_xrealloc(h->days, (h->n + 1) * sizeof *h->days);
		struct bf_closure_day *x = &h->days[h->n++];
		x->date = d;
		x->rows = sqlite3_column_type(q, 1) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 1);
		x->sales = sqlite3_column_type(q, 2) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 2);
		x->files = sqlite3_column_type(q, 3) == SQLITE_NULL ? -1 : sqlite3_column_double(q, 3);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return bf_sqlite_fail(st->db, rc, "closure history", err);
	if ((rc = prepare_window(st,
		"SELECT DISTINCT f.stream FROM files f JOIN closures c"
		" ON c.source = f.source AND c.location = f.location AND c.date = f.date"
		" WHERE c.source = ?1 AND c.location = ?2 AND c.verdict = 'open'"
		" AND c.date >= ?3 AND c.date < ?4 ORDER BY f.stream", win, &q, err)))
		return rc;
	while ((rc = bf_sqlite_step(q)) == SQLITE_ROW) {
		const char *s = (const char *)sqlite3_column_text(q, 0);
		if (s)
			bf_closure_strv_add(&h->streams, &h->nstreams, s);
	}
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return bf_sqlite_fail(st->db, rc, "closure history", err);
	return 0;
}

/* Adds one day's observed rows and money columns (JSON text, NULL when absent). */
static void catalogue_day(struct bf_closure_catalogue *cat, const char *rows, const char *money)
{
	cJSON *r = rows ? cJSON_Parse(rows) : NULL, *m = money ? cJSON_Parse(money) : NULL, *s, *k;
	if (cJSON_IsObject(r) && r->child)
		cat->days++;
	cJSON_ArrayForEach(s, r)
		if (cJSON_IsNumber(s) && s->string)
			bf_closure_catalogue_stream(cat, s->string, 1, s->valuedouble > 0, s->valuedouble);
	cJSON_ArrayForEach(s, m)
		cJSON_ArrayForEach(k, s)
			if (s->string && k->string)
				bf_closure_catalogue_money(cat, s->string, k->string,
							   (long long)bf_json_num(k, "values"),
							   (long long)bf_json_num(k, "parsed"));
	cJSON_Delete(r);
	cJSON_Delete(m);
}

int bf_closure_catalogue_load(struct bf_state *st, const char *source, const char *location,
			      int32_t date, int weeks, struct bf_closure_catalogue *cat,
			      struct bf_err *err)
{
	char lo[11], hi[11], day[11];
	sqlite3_stmt *q = NULL;
	int rc;
	bf_date_iso(date - 7 * weeks, lo);
	bf_date_iso(date + 7 * weeks, hi);
	bf_date_iso(date, day);
	const char *win[4] = { source, location, lo, hi };
	/* the judged days of the window but this one, leaving out those that failed since
	 * (their rows may be partial) */
	if ((rc = prepare_window(st,
		"SELECT json_extract(c.evidence, '$.observed.rows'),"
		" json_extract(c.evidence, '$.observed.money_columns')"
		" FROM closures c WHERE c.source = ?1 AND c.location = ?2 AND c.date >= ?3 AND c.date < ?4"
		" AND c.date <> ?5 AND c.verdict <> 'pending' AND NOT EXISTS (SELECT 1 FROM partitions p"
		" WHERE p.source = c.source AND p.location = c.location AND p.date = c.date"
		" AND p.status = 'failed')", win, &q, err)))
		return rc;
	sqlite3_bind_text(q, 5, day, -1, SQLITE_STATIC);
	while ((rc = bf_sqlite_step(q)) == SQLITE_ROW)
		catalogue_day(cat, (const char *)sqlite3_column_text(q, 0), (const char *)sqlite3_column_text(q, 1));
	sqlite3_finalize(q);
	if (rc != SQLITE_DONE)
		return bf_sqlite_fail(st->db, rc, "closure catalogue", err);
	return 0;
}

int bf_closure_store(struct bf_state *st, const char *source, const char *location,
		     const char *date, const struct bf_closure_verdict *v, struct bf_err *err)
{
	sqlite3_stmt *q;
	char now[21];
	int rc = sqlite3_prepare_v2(st->db,
		"INSERT OR REPLACE INTO closures (source, location, date, verdict, reason, evidence,"
		" decided_at, run_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?)", -1, &q, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(st->db, rc, "closures", err);
	char *ev = v->evidence ? cJSON_PrintUnformatted(v->evidence) : NULL;
	bf_now_rfc3339(now);
	sqlite3_bind_text(q, 1, source, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 2, location, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 3, date, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 4, v->verdict, -1, SQLITE_STATIC);
	if (v->reason)
		sqlite3_bind_text(q, 5, v->reason, -1, SQLITE_STATIC);
	if (ev)
		sqlite3_bind_text(q, 6, ev, -1, SQLITE_STATIC);
	sqlite3_bind_text(q, 7, now, -1, SQLITE_STATIC);
	if (st->run_id)
		sqlite3_bind_int64(q, 8, st->run_id);
	rc = bf_sqlite_step(q);
	sqlite3_finalize(q);
	cJSON_free(ev);
	return rc == SQLITE_DONE ? 0 : bf_sqlite_fail(st->db, rc, "closures", err);
}
