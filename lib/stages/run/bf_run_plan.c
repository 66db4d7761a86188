/* bf-run's plan: the dates and locations of the source (found the way bf-extract finds
 * them) and where each date stands: the partitions table (the latest attempt, whatever
 * its target) and the loads table (what is committed in this run's target). */
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

/* The index of loc among the run's locations, -1 when it is not one of them. */
static int loc_index(const struct ctx *c, const char *loc)
{
	for (size_t i = 0; i < c->nloc; i++)
		if (!strcmp(c->locs[i], loc))
			return (int)i;
	return -1;
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

static void item_reset_state(struct ctx *c, struct item *t)
{
	if (!t->ls)
		t->ls = bf_xcalloc(c->nloc ? c->nloc : 1, sizeof *t->ls);
	memset(t->ls, 0, (c->nloc ? c->nloc : 1) * sizeof *t->ls);
	t->nrows = 0;
	t->attempts = t->quarantined = 0;
	free(t->last_error);
	t->last_error = NULL;
}

int run_item_committed(const struct ctx *c, const struct item *t, int mine)
{
	if (!c->nloc)
		return 0;
	for (size_t i = 0; i < c->nloc; i++) {
		const struct locstat *l = &t->ls[i];
		if (!run_owns(t, i))
			continue;
		/* an attempt since then that did not finish undoes it */
		if (!l->tstatus || (mine && !l->tmine) || (l->pstatus != 'l' && l->pstatus != 'c' && l->pstatus != 'p'))
			return 0;
	}
	return 1;
}

int run_item_mine(const struct ctx *c, const struct item *t)
{
	int n = 0;
	for (size_t i = 0; i < c->nloc; i++)
		n += run_owns(t, i) && t->ls[i].tstatus && t->ls[i].tmine;
	return n;
}

/* Done in the target: every location loaded or closed there, and its latest attempt,
 * whatever its target, finished so (one that failed or was cut short is done again, as
 * bf-extract would not skip it: state/bf_state.h, bf_state_done_in). */
static int item_done(const struct ctx *c, const struct item *t)
{
	if (!c->nloc)
		return 0;
	for (size_t i = 0; i < c->nloc; i++) {
		const struct locstat *l = &t->ls[i];
		if (!run_owns(t, i))
			continue;
		if ((l->tstatus != 'l' && l->tstatus != 'c') || (l->pstatus != 'l' && l->pstatus != 'c'))
			return 0;
	}
	return 1;
}

static void item_classify(struct ctx *c, struct item *t)
{
	int failed = 0, started = 0;
	for (size_t i = 0; i < c->nloc; i++) {
		const struct locstat *l = &t->ls[i];
		if (!run_owns(t, i))
			continue;
		failed += l->pstatus == 'f';
		/* worked on for this target: committed there, or an attempt not finished
		 * (a partition loaded or closed in another target is new here) */
		started += l->tstatus || l->pstatus == 'p' || l->pstatus == 'r';
	}
	if (failed)
		t->plan = P_FAILED;
	else if (item_done(c, t))
		t->plan = P_DONE;
	else if (!started)
		t->plan = P_NEW;
	else
		t->plan = P_PENDING;
}

static int in_range(const struct item *t, const char *from, const char *to)
{
	return strcmp(t->iso, from) >= 0 && strcmp(t->iso, to) <= 0;
}

/* A query of the source's rows between two dates: ?1 the source, ?2 and ?3 the dates, ?4
 * the target (NULL: none), ?5 this run. */
static int prep_range(struct ctx *c, const char *sql, const char *from, const char *to, sqlite3_stmt **s,
		      struct bf_err *err)
{
	int rc = sqlite3_prepare_v2(c->db, sql, -1, s, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(c->db, rc, "state file", err);
	sqlite3_bind_text(*s, 1, c->canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(*s, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(*s, 3, to, -1, SQLITE_STATIC);
	if (c->target_key)
		sqlite3_bind_text(*s, 4, c->target_key, -1, SQLITE_STATIC);
	sqlite3_bind_int64(*s, 5, c->st ? c->st->run_id : -1);
	return 0;
}

/* Steps a query of prep_range through take(c, row); finalizes it. */
static int each_row(struct ctx *c, sqlite3_stmt *s, void (*take)(struct ctx *, sqlite3_stmt *), struct bf_err *err)
{
	int rc;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW)
		take(c, s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : bf_sqlite_fail(c->db, rc, "state file", err);
}

/* The latest attempt of each partition. */
static void take_partition(struct ctx *c, sqlite3_stmt *s)
{
	struct item *t = run_find_item(c, (const char *)sqlite3_column_text(s, 1));
	int k = loc_index(c, (const char *)sqlite3_column_text(s, 0));
	if (!t || k < 0)
		return;
	struct locstat *l = &t->ls[k];
	const char *stt = (const char *)sqlite3_column_text(s, 2);
	l->pstatus = !strcmp(stt, "loaded") ? 'l' : !strcmp(stt, "closed") ? 'c' : !strcmp(stt, "failed") ? 'f'
		     : !strcmp(stt, "running") ? 'r' : 'p';
	l->attempts = sqlite3_column_int64(s, 3);
	l->rows = sqlite3_column_int64(s, 5);
	t->nrows++;
	if (l->attempts > t->attempts)
		t->attempts = l->attempts;
	const char *e = (const char *)sqlite3_column_text(s, 4);
	if (e && *e && (!t->last_error || l->pstatus == 'f')) {
		free(t->last_error);
		t->last_error = bf_xstrdup(e);
	}
}

/* What is committed in this run's target: rows come in order of preference (a row naming
 * it after one recorded before targets were, '', which counts for every target; without
 * a target, by time): a later one replaces an earlier. */
static void take_load(struct ctx *c, sqlite3_stmt *s)
{
	struct item *t = run_find_item(c, (const char *)sqlite3_column_text(s, 1));
	int k = loc_index(c, (const char *)sqlite3_column_text(s, 0));
	if (!t || k < 0)
		return;
	struct locstat *l = &t->ls[k];
	const char *stt = (const char *)sqlite3_column_text(s, 2);
	l->tstatus = !strcmp(stt, "closed") ? 'c' : !strcmp(stt, "pending") ? 'p' : 'l';
	l->trows = sqlite3_column_int64(s, 3);
	l->tmarkers = sqlite3_column_int64(s, 4);
	l->tmine = (char)sqlite3_column_int(s, 5);
}

/* Rows this run's stages quarantined, per date. */
static void take_quarantine(struct ctx *c, sqlite3_stmt *s)
{
	struct item *t = run_find_item(c, (const char *)sqlite3_column_text(s, 0));
	int k = t ? loc_index(c, (const char *)sqlite3_column_text(s, 1)) : -1;
	if (k >= 0 && run_owns(t, (size_t)k))
		t->quarantined += sqlite3_column_int64(s, 2);
}

static int load_rows(struct ctx *c, const char *sql, void (*take)(struct ctx *, sqlite3_stmt *),
		     const char *from, const char *to, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc = prep_range(c, sql, from, to, &s, err);
	return rc ? rc : each_row(c, s, take, err);
}

static int load_partitions(struct ctx *c, const char *from, const char *to, struct bf_err *err)
{
	return load_rows(c, "SELECT location, date, status, attempts, last_error, rows FROM partitions"
			 " WHERE source = ?1 AND date >= ?2 AND date <= ?3", take_partition, from, to, err);
}

static int load_loads(struct ctx *c, const char *from, const char *to, struct bf_err *err)
{
	return load_rows(c, "SELECT location, date, status, rows, marker_rows,"
			 " run_id IN (SELECT run_id FROM runs WHERE parent_run = ?5), target = ?4"
			 " FROM loads WHERE source = ?1 AND date >= ?2 AND date <= ?3"
			 " AND (?4 IS NULL OR target IN (?4, '')) ORDER BY target = ?4, loaded_at",
			 take_load, from, to, err);
}

static int load_quarantine(struct ctx *c, const char *from, const char *to, struct bf_err *err)
{
	return load_rows(c, "SELECT date, location, count(*) FROM quarantine WHERE source = ?1 AND date >= ?2"
			 " AND date <= ?3 AND run_id IN (SELECT run_id FROM runs WHERE parent_run = ?5)"
			 " GROUP BY date, location", take_quarantine, from, to, err);
}

int run_load_status(struct ctx *c, const char *from, const char *to, struct bf_err *err)
{
	int rc = 0;
	for (size_t i = 0; i < c->n; i++)
		if (in_range(&c->it[i], from, to))
			item_reset_state(c, &c->it[i]);
	if (c->db && !(rc = load_partitions(c, from, to, err))) {
		if (c->has_loads) {
			rc = load_loads(c, from, to, err);
		} else {
			/* a file from before version 2, read as its migration will make it */
			for (size_t i = 0; i < c->n; i++)
				for (size_t k = 0; in_range(&c->it[i], from, to) && k < c->nloc; k++) {
					struct locstat *l = &c->it[i].ls[k];
					if (l->pstatus == 'l' || l->pstatus == 'c')
						l->tstatus = l->pstatus;
				}
		}
		if (!rc && c->st)
			rc = load_quarantine(c, from, to, err);
	}
	for (size_t i = 0; i < c->n; i++)
		if (in_range(&c->it[i], from, to))
			item_classify(c, &c->it[i]);
	return rc;
}

void run_plan_missing(struct ctx *c, const char *location, const char *date, int elsewhere)
{
	struct item *t = run_find_item(c, date);
	int k = loc_index(c, location);
	if (!t || k < 0 || !t->ls)
		return;
	t->ls[k].tstatus = 0;
	if (!elsewhere)
		t->ls[k].pstatus = 'p';
	item_classify(c, t);
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
