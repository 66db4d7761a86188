/* bf-closure --rejudge: every shard's verdicts judged again in date order from their stored
 * observations, into a history file (bf_closure_rejudge.h). */
#include "stages/closure/bf_closure_rejudge.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_time.h"
#include "proto/bf_json.h"
#include "stages/closure/bf_closure_learn.h"
#include "state/bf_state.h"

/* A verdict as a shard stored it. */
struct row {
	char *col[7];              /* source, location, date, verdict, reason, evidence, decided_at */
	size_t from;               /* the state file it came from */
};
enum { C_SOURCE, C_LOCATION, C_DATE, C_VERDICT, C_REASON, C_EVIDENCE, C_DECIDED };

static char *text_or_null(sqlite3_stmt *q, int i)
{
	const char *s = (const char *)sqlite3_column_text(q, i);
	return s ? bf_xstrdup(s) : NULL;
}

/* Copies the files rows of a shard into the history file (the streams of the open days). */
static int copy_files(sqlite3 *from, sqlite3 *to, struct bf_err *err)
{
	sqlite3_stmt *q, *ins;
	int rc = sqlite3_prepare_v2(from, "SELECT source, location, date, name, stream, seen_at FROM files", -1, &q,
				    NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(from, rc, "files", err);
	rc = sqlite3_prepare_v2(to, "INSERT OR REPLACE INTO files (source, location, date, name, stream, seen_at)"
				" VALUES (?, ?, ?, ?, ?, ?)", -1, &ins, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_finalize(q);
		return bf_sqlite_fail(to, rc, "history file", err);
	}
	while ((rc = bf_sqlite_step(q)) == SQLITE_ROW) {
		for (int i = 0; i < 6; i++)
			sqlite3_bind_value(ins, i + 1, sqlite3_column_value(q, i));
		if ((rc = bf_sqlite_step(ins)) != SQLITE_DONE)
			break;
		sqlite3_reset(ins);
	}
	sqlite3_finalize(ins);
	sqlite3_finalize(q);
	if (rc == SQLITE_DONE)
		return 0;
	return bf_sqlite_fail(rc == SQLITE_ROW ? to : from, rc, "files", err);
}

/* Reads the verdicts of one state file and copies its files rows. */
static int read_state(const char *path, size_t from, struct bf_state *hist, struct row **rows, size_t *n,
		      struct bf_err *err)
{
	struct bf_state *st = NULL;
	sqlite3_stmt *q = NULL;
	int rc;
	if ((rc = bf_state_open_readonly(path, &st, err)))
		return rc;
	if ((rc = copy_files(st->db, hist->db, err)))
		goto done;
	rc = sqlite3_prepare_v2(st->db, "SELECT source, location, date, verdict, reason, evidence, decided_at"
				" FROM closures", -1, &q, NULL);
	if (rc != SQLITE_OK) {
		rc = bf_sqlite_fail(st->db, rc, path, err);
		goto done;
	}
	while ((rc = bf_sqlite_step(q)) == SQLITE_ROW) {
		*rows = bf_xrealloc(*rows, (*n + 1) * sizeof **rows);
		struct row *r = &(*rows)[(*n)++];
		for (int i = 0; i < 7; i++)
			r->col[i] = text_or_null(q, i);
		r->from = from;
	}
	rc = rc == SQLITE_DONE ? 0 : bf_sqlite_fail(st->db, rc, path, err);
done:
	sqlite3_finalize(q);
	bf_state_close(st);
	return rc;
}

static int cmp_str(const char *a, const char *b)
{
	return strcmp(a ? a : "", b ? b : "");
}

/* By source, location, date, then the latest decision last. */
static int cmp_row(const void *pa, const void *pb)
{
	const struct row *a = pa, *b = pb;
	static const int order[] = { C_SOURCE, C_LOCATION, C_DATE, C_DECIDED };
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		int c = cmp_str(a->col[order[i]], b->col[order[i]]);
		if (c)
			return c;
	}
	return a->from < b->from ? -1 : a->from > b->from;
}

static int same_partition(const struct row *a, const struct row *b)
{
	return !cmp_str(a->col[C_SOURCE], b->col[C_SOURCE]) && !cmp_str(a->col[C_LOCATION], b->col[C_LOCATION]) &&
	       !cmp_str(a->col[C_DATE], b->col[C_DATE]);
}

static long long num_or(const cJSON *o, const char *k, long long dflt)
{
	const cJSON *x = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsNumber(x) ? (long long)x->valuedouble : dflt;
}

/* Judges r again against the history file (the verdicts judged again before it); v gets
 * the verdict, with the stored observations as its evidence's observed. A verdict that was
 * not judged from observations (pending, or no evidence) stays as it was. */
static int judge(const struct bf_closure_cfg *cfg, struct bf_state *hist, const struct row *r,
		 struct bf_closure_verdict *v, struct bf_err *err)
{
	cJSON *ev = r->col[C_EVIDENCE] ? cJSON_Parse(r->col[C_EVIDENCE]) : NULL;
	cJSON *ob = cJSON_GetObjectItemCaseSensitive(ev, "observed");
	const cJSON *th = cJSON_GetObjectItemCaseSensitive(ev, "thresholds");
	int32_t day;
	memset(v, 0, sizeof *v);
	if (!cJSON_IsObject(ob) || !cJSON_IsObject(th) || !r->col[C_DATE] || bf_date_parse(r->col[C_DATE], &day)) {
		v->verdict = r->col[C_VERDICT] ? r->col[C_VERDICT] : "pending";
		v->reason = r->col[C_REASON];
		v->evidence = ev;
		return 0;
	}
	/* the measure the shard judged it by (its names borrowed from ev, but the stream) */
	struct bf_closure_measure me = { 0 };
	const char *act = bf_json_str(th, "activity_stream"), *amount = bf_json_str(th, "amount_column");
	const char *dot = amount ? strchr(amount, '.') : NULL;
	const cJSON *arows = cJSON_GetObjectItemCaseSensitive(ob, "activity_rows");
	const cJSON *sales = cJSON_GetObjectItemCaseSensitive(ob, "sales");
	me.activity_stream = (char *)act;
	me.activity_known = act && cJSON_IsNumber(arows);
	me.amount_stream = dot ? bf_xstrndup(amount, (size_t)(dot - amount)) : NULL;
	me.amount_column = dot ? (char *)dot + 1 : NULL;
	me.learned = cJSON_GetObjectItemCaseSensitive(ev, "learned");
	/* what the day showed */
	struct bf_closure_obs obs = { 0 };
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(ob, "rows"), *s;
	struct bf_closure_stream *streams = bf_xcalloc((size_t)cJSON_GetArraySize(rows) + 1, sizeof *streams);
	cJSON_ArrayForEach(s, rows) {
		if (s->string && cJSON_IsNumber(s))
			streams[obs.nstreams++] = (struct bf_closure_stream){ s->string, (long long)s->valuedouble, 0 };
	}
	obs.kind = bf_json_str(ob, "kind");
	obs.folder = bf_json_str(ob, "folder");
	obs.files = num_or(ob, "files", -1);
	obs.streams = streams;
	obs.measure = &me;
	obs.activity_rows = cJSON_IsNumber(arows) ? (long long)arows->valuedouble : 0;
	obs.have_sales = cJSON_IsNumber(sales);
	obs.sales = obs.have_sales ? sales->valuedouble : 0;
	obs.voided = num_or(ob, "voided_rows", 0);
	obs.bad_amounts = num_or(ob, "unparsed_amounts", 0);

	struct bf_closure_history h = { 0 };
	int rc = bf_closure_history_load(hist, r->col[C_SOURCE], r->col[C_LOCATION], day, cfg->baseline_weeks,
					 me.activity_known ? act : NULL, amount, &h, err);
	if (!rc) {
		bf_closure_decide(cfg, day, &obs, &h, v);
		/* the observations as stored (money columns, spilled bytes): later days learn from them */
		cJSON_ReplaceItemInObjectCaseSensitive(v->evidence, "observed",
						       cJSON_DetachItemFromObjectCaseSensitive(ev, "observed"));
	}
	bf_closure_history_free(&h);
	free(streams);
	free(me.amount_stream);
	cJSON_Delete(ev);
	return rc;
}

static void say_change(FILE *out, char *const *states, const struct row *r, const struct bf_closure_verdict *v)
{
	fprintf(out, "%s\t%s\t%s\t%s\t%s%s%s\t%s%s%s\n", states[r->from], r->col[C_SOURCE] ? r->col[C_SOURCE] : "",
		r->col[C_LOCATION] ? r->col[C_LOCATION] : "", r->col[C_DATE],
		r->col[C_VERDICT] ? r->col[C_VERDICT] : "", r->col[C_REASON] ? "/" : "",
		r->col[C_REASON] ? r->col[C_REASON] : "", v->verdict, v->reason ? "/" : "", v->reason ? v->reason : "");
}

static int run_sql(struct bf_state *st, const char *sql, struct bf_err *err)
{
	int rc = sqlite3_exec(st->db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : bf_sqlite_fail(st->db, rc, "history file", err);
}

int bf_closure_rejudge(const struct bf_closure_cfg *cfg, const char *history_path, char *const *states,
		       size_t n, FILE *out, long long *judged, long long *changed, struct bf_err *err)
{
	struct bf_state *hist = NULL;
	struct row *rows = NULL;
	size_t nrows = 0;
	int rc;
	*judged = *changed = 0;
	if ((rc = bf_state_open(history_path, &hist, err)))
		return rc;
	/* the history file is derived: rewritten whole each time */
	if ((rc = run_sql(hist, "BEGIN IMMEDIATE; DELETE FROM closures; DELETE FROM files", err)))
		goto done;
	for (size_t i = 0; i < n && !rc; i++)
		rc = read_state(states[i], i, hist, &rows, &nrows, err);
	if (rc)
		goto done;
	qsort(rows, nrows, sizeof *rows, cmp_row);
	for (size_t i = 0; i < nrows && !rc; i++) {
		struct row *r = &rows[i];
		if (i + 1 < nrows && same_partition(r, &rows[i + 1]))
			continue;  /* judged again later in another file: the latest counts */
		struct bf_closure_verdict v;
		if ((rc = judge(cfg, hist, r, &v, err)))
			break;
		rc = bf_closure_store(hist, r->col[C_SOURCE] ? r->col[C_SOURCE] : "", r->col[C_LOCATION] ?
				      r->col[C_LOCATION] : "", r->col[C_DATE], &v, err);
		(*judged)++;
		if (!rc && (cmp_str(r->col[C_VERDICT], v.verdict) || cmp_str(r->col[C_REASON], v.reason))) {
			(*changed)++;
			say_change(out, states, r, &v);
		}
		bf_closure_verdict_free(&v);
	}
	if (!rc)
		rc = run_sql(hist, "COMMIT", err);
done:
	if (rc)
		sqlite3_exec(hist->db, "ROLLBACK", NULL, NULL, NULL);
	bf_state_close(hist);
	for (size_t i = 0; i < nrows; i++)
		for (int k = 0; k < 7; k++)
			free(rows[i].col[k]);
	free(rows);
	return rc;
}
