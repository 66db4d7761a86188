/* bf-run's plan: the dates and locations of the source (found the way bf-extract finds
 * them) and what the state file says of each date. */
#include "stages/run/bf_run_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_time.h"
#include "sources/bf_discover.h"
#include "sources/bf_layout.h"
#include "sources/bf_source.h"
#include "sources/sql/bf_sqlsrc.h"

/* A database table: its locations and dates found the way bf-extract finds them (one
 * min/max query). */
static int discover_table(struct ctx *c, int32_t *lo, int32_t *hi, struct bf_err *err)
{
	const struct bf_run_opts *o = c->o;
	struct bf_sqlsrc *src = NULL;
	int rc;
	if ((rc = bf_sqlsrc_open(o->source, &o->src, &src, err)))
		return rc;
	c->canon = bf_xstrdup(bf_sqlsrc_canon(src));
	if (!(rc = bf_sqlsrc_locations(src, o->locations.v, o->locations.n, &c->locs, &c->nloc, err)) &&
	    o->dates.all)
		rc = bf_sqlsrc_dates(src, c->locs, c->nloc, lo, hi, err);
	bf_sqlsrc_free(src);
	return rc;
}

int run_discover(struct ctx *c, int32_t *lo, int32_t *hi, struct bf_err *err)
{
	const struct bf_run_opts *o = c->o;
	struct bf_layout l = { 0 };
	struct bf_source *src = NULL;
	int rc;
	*lo = *hi = BF_DATE_NONE;
	if (bf_sqlsrc_is_spec(o->source))
		return discover_table(c, lo, hi, err);
	if ((rc = bf_layout_parse(o->src.layout, &l, err)))
		return rc;
	if ((rc = bf_source_open(o->source, &o->src, &src, err)))
		goto done;
	c->canon = bf_xstrdup(bf_source_canon(src));
	if ((rc = bf_discover_locations(src, &l, o->locations.v, o->locations.n, &c->locs, &c->nloc, err)))
		goto done;
	if (o->dates.all)
		rc = bf_discover_dates(src, &l, c->locs, c->nloc, lo, hi, err);
done:
	bf_source_free(src);
	bf_layout_free(&l);
	return rc;
}

static int loc_wanted(struct ctx *c, const char *loc)
{
	for (size_t i = 0; i < c->nloc; i++)
		if (!strcmp(c->locs[i], loc))
			return 1;
	return 0;
}

struct item *run_find_item(struct ctx *c, const char *iso)
{
	size_t a = 0, b = c->n;
	while (a < b) {
		size_t m = (a + b) / 2;
		int r = strcmp(c->it[m].iso, iso);
		if (!r)
			return &c->it[m];
		if (r < 0)
			a = m + 1;
		else
			b = m;
	}
	return NULL;
}

static void item_reset_state(struct item *t)
{
	t->nrows = t->nloaded = t->nclosed = t->npending = t->nfailed = t->nmine = 0;
	t->attempts = t->loaded_rows = 0;
	free(t->last_error);
	t->last_error = NULL;
}

static void item_classify(struct ctx *c, struct item *t)
{
	if (t->nfailed)
		t->plan = P_FAILED;
	else if (t->nrows == 0)
		t->plan = P_NEW;
	else if ((size_t)t->nrows >= c->nloc && t->nloaded + t->nclosed == t->nrows)
		t->plan = P_DONE;
	else
		t->plan = P_PENDING;
}

/* Reads partitions of the dates from..to (ISO) into the items. */
int run_load_status(struct ctx *c, const char *from, const char *to, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->it[i].iso, from) >= 0 && strcmp(c->it[i].iso, to) <= 0)
			item_reset_state(&c->it[i]);
	if (!c->db)
		goto classify;
	rc = sqlite3_prepare_v2(c->db,
				"SELECT location, date, status, attempts, last_error, loaded_rows,"
				" run_id IN (SELECT run_id FROM runs WHERE parent_run = ?4) FROM partitions"
				" WHERE source = ?1 AND date >= ?2 AND date <= ?3", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(c->db, rc, "state file", err);
	sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, c->st ? c->st->run_id : -1);
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		const char *loc = (const char *)sqlite3_column_text(s, 0);
		struct item *t = run_find_item(c, (const char *)sqlite3_column_text(s, 1));
		if (!t || !loc_wanted(c, loc))
			continue;
		const char *stt = (const char *)sqlite3_column_text(s, 2);
		t->nrows++;
		if (!strcmp(stt, "loaded"))
			t->nloaded++;
		else if (!strcmp(stt, "closed"))
			t->nclosed++;
		else if (!strcmp(stt, "failed"))
			t->nfailed++;
		else if (!strcmp(stt, "pending"))
			t->npending++;
		long long a = sqlite3_column_int64(s, 3);
		if (a > t->attempts)
			t->attempts = a;
		t->loaded_rows += sqlite3_column_int64(s, 5);
		t->nmine += sqlite3_column_int(s, 6);
		const char *e = (const char *)sqlite3_column_text(s, 4);
		if (e && *e && (!t->last_error || !strcmp(stt, "failed"))) {
			free(t->last_error);
			t->last_error = bf_xstrdup(e);
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return bf_sqlite_fail(c->db, rc, "state file", err);
classify:
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->it[i].iso, from) >= 0 && strcmp(c->it[i].iso, to) <= 0)
			item_classify(c, &c->it[i]);
	return 0;
}

/* With --retry-failed and no dates: every date that failed for this source. */
size_t run_failed_dates(struct ctx *c, int32_t **out)
{
	sqlite3_stmt *s;
	size_t n = 0;
	*out = NULL;
	if (!c->db || sqlite3_prepare_v2(c->db, "SELECT DISTINCT date FROM partitions WHERE source = ?"
					 " AND status = 'failed' ORDER BY date", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
	while (bf_sqlite_step(s) == SQLITE_ROW) {
		int32_t d;
		if (bf_date_parse((const char *)sqlite3_column_text(s, 0), &d))
			continue;
		*out = bf_xrealloc(*out, (n + 1) * sizeof **out);
		(*out)[n++] = d;
	}
	sqlite3_finalize(s);
	return n;
}

/* --batch-size, or by default enough dates per pipeline to spread the cost of starting
 * the stages, while each worker still gets about four pipelines (at most 16 dates each) */
size_t run_batch_size(const struct bf_run_opts *o, size_t todo)
{
	if (o->batch_size > 0)
		return (size_t)o->batch_size;
	size_t b = todo / (4 * (size_t)o->max_workers);
	return b < 1 ? 1 : b > 16 ? 16 : b;
}
