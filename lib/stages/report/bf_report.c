/* bf-report's core: the read-only connection, the selection (source, locations, dates)
 * and the partitions and days of it, loaded once; the helpers the writers query it with.
 * The writers are listed in bf_report_int.h. */
#include "stages/report/bf_report.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sqlite3.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"
#include "stages/report/bf_report_int.h"
#include "state/bf_state.h"
#include "state/bf_state_union.h"

const char *const bf_day_status_names[5] = { "missing", "loaded", "closed", "failed", "pending" };

const char *report_run_seconds(const struct bf_report *r)
{
	/* measured by the process since version 2; whole seconds of the timestamps before */
	return r->run_ms ? "coalesce(duration_ms / 1000.0, (julianday(finished_at) - julianday(started_at)) * 86400.0)"
			 : "(julianday(finished_at) - julianday(started_at)) * 86400.0";
}

/* Maps a failure of the read-only connection to an exit code. */
int report_db_fail(struct bf_report *r, int rc, const char *what, struct bf_err *err)
{
	int prim = rc & 0xff;
	if (prim == SQLITE_NOTADB || prim == SQLITE_CORRUPT)
		return bf_fail(err, BF_EDATA, r->path, "not a bf state file (%s)", sqlite3_errstr(rc));
	if (prim == SQLITE_BUSY || prim == SQLITE_LOCKED)
		return bf_fail(err, BF_ETEMP, r->path, "%s: state file locked, try again", what);
	if (prim == SQLITE_PERM || prim == SQLITE_AUTH)
		return bf_fail(err, BF_ENOPERM, r->path, "%s: %s", what, sqlite3_errmsg(DB(r)));
	if (prim == SQLITE_CANTOPEN || prim == SQLITE_IOERR)
		return bf_fail(err, BF_EIO, r->path, "%s: %s", what, sqlite3_errmsg(DB(r)));
	return bf_fail(err, BF_ESOFTWARE, r->path, "%s: %s", what, sqlite3_errmsg(DB(r)));
}

int report_prepare(struct bf_report *r, const char *sql, sqlite3_stmt **s, const char *what,
		   struct bf_err *err)
{
	int rc = sqlite3_prepare_v2(DB(r), sql, -1, s, NULL);
	return rc == SQLITE_OK ? 0 : report_db_fail(r, rc, what, err);
}

const char *report_col(sqlite3_stmt *s, int i)
{
	return (const char *)sqlite3_column_text(s, i);
}

long long report_col_ll(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, i);
}

char *report_dup_or_null(const char *s)
{
	return s ? bf_xstrdup(s) : NULL;
}

static int cmp_i32(const void *a, const void *b)
{
	int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
	return (x > y) - (x < y);
}

/* Whether date (ISO, may be NULL) is selected. */
static int date_wanted(const struct bf_report *r, const char *date, int explicit_sel)
{
	int32_t d;
	if (!date)
		return !explicit_sel;
	if (bf_date_parse(date, &d))
		return 0;
	return bsearch(&d, r->selected, r->nselected, sizeof d, cmp_i32) != NULL;
}

static int loc_wanted(const struct bf_report *r, const char *location)
{
	if (!r->nlocations)
		return 1;
	for (size_t i = 0; i < r->nlocations; i++)
		if (!strcmp(location, r->locations[i]))
			return 1;
	return 0;
}

/* Whether a row of the state file is in the selection; location NULL: not checked
 * (run_dates has none). */
int report_wanted(const struct bf_report *r, const char *source, const char *location, const char *date)
{
	if (r->source && (!source || strcmp(source, r->source)))
		return 0;
	if (location && !loc_wanted(r, location))
		return 0;
	return date_wanted(r, date, r->explicit_sel);
}

/* The --source given: as stored, else a local folder's real path, else as given. */
static int resolve_source(struct bf_report *r, const char *src, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc, found = 0;
	if (!src)
		return 0;
	if ((rc = report_prepare(r, "SELECT 1 FROM partitions WHERE source = ? LIMIT 1", &s, "partitions", err)))
		return rc;
	sqlite3_bind_text(s, 1, src, -1, SQLITE_STATIC);
	found = bf_sqlite_step(s) == SQLITE_ROW;
	sqlite3_finalize(s);
	if (!found && !strstr(src, "://")) {
		char *real = realpath(src, NULL);
		if (real) {
			r->source = real;
			return 0;
		}
	}
	r->source = bf_xstrdup(src);
	return 0;
}

static int load_parts(struct bf_report *r, const struct bf_datesel *ds, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	int32_t lo = BF_DATE_NONE, hi = BF_DATE_NONE;
	struct bf_report_part *all = NULL;
	size_t n = 0, cap = 0;

	int markers = bf_sqlite_has_column(DB(r), "partitions", "marker_rows");
	int closures = bf_sqlite_has_table(DB(r), "closures");
	struct bf_buf sql = BF_BUF_INIT;
	bf_buf_addf(&sql, "SELECT p.source, p.location, p.date, p.status, p.attempts, p.last_error, p.folder, p.rows,"
		    " p.loaded_rows, p.quarantined, p.duration_ms, %s, %s FROM partitions p%s ORDER BY p.date, p.source,"
		    " p.location", markers ? "p.marker_rows" : "NULL",
		    closures ? "c.reason" : "NULL",
		    closures ? " LEFT JOIN closures c ON c.source = p.source AND c.location = p.location AND c.date = p.date"
			       " AND c.verdict = 'closed'" : "");
	rc = report_prepare(r, sql.p, &s, "partitions", err);
	bf_buf_free(&sql);
	if (rc)
		return rc;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		int32_t d;
		const char *src = report_col(s, 0), *loc = report_col(s, 1), *date = report_col(s, 2);
		if (!src || !loc || !date || bf_date_parse(date, &d))
			continue;
		/* source and location first; the dates once the selection is known */
		if ((r->source && strcmp(src, r->source)) || !loc_wanted(r, loc))
			continue;
		if (n == cap) {
			cap = cap ? cap * 2 : 256;
			all = bf_xrealloc(all, cap * sizeof *all);
		}
		struct bf_report_part *p = &all[n++];
		memset(p, 0, sizeof *p);
		p->source = bf_xstrdup(src);
		p->location = bf_xstrdup(loc);
		bf_date_iso(d, p->date);
		p->status = bf_xstrdup(report_col(s, 3) ? report_col(s, 3) : "pending");
		p->attempts = report_col_ll(s, 4);
		p->last_error = report_dup_or_null(report_col(s, 5));
		p->folder = report_dup_or_null(report_col(s, 6));
		p->rows = report_col_ll(s, 7);
		p->loaded_rows = report_col_ll(s, 8);
		p->quarantined = report_col_ll(s, 9);
		p->duration_ms = report_col_ll(s, 10);
		p->marker_rows = report_col_ll(s, 11);
		p->reason = !strcmp(p->status, "closed") ? report_dup_or_null(report_col(s, 12)) : NULL;
		if (lo == BF_DATE_NONE || d < lo)
			lo = d;
		if (hi == BF_DATE_NONE || d > hi)
			hi = d;
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		r->parts = all;
		r->nparts = n;
		return report_db_fail(r, rc, "partitions", err);
	}

	/* the selection: explicit dates, or every date from the first to the last found */
	if (r->explicit_sel) {
		r->nselected = bf_datesel_resolve(ds, lo, hi, &r->selected);
	} else if (lo != BF_DATE_NONE) {
		r->nselected = (size_t)(hi - lo) + 1;
		r->selected = bf_xmalloc(r->nselected * sizeof *r->selected);
		for (size_t i = 0; i < r->nselected; i++)
			r->selected[i] = lo + (int32_t)i;
	}
	/* keep the selected partitions */
	size_t k = 0;
	for (size_t i = 0; i < n; i++) {
		if (date_wanted(r, all[i].date, 1)) {
			all[k++] = all[i];
		} else {
			free(all[i].source);
			free(all[i].location);
			free(all[i].status);
			free(all[i].last_error);
			free(all[i].folder);
			free(all[i].reason);
		}
	}
	r->parts = all;
	r->nparts = k;

	/* one day per selected date */
	r->ndays = r->nselected;
	r->days = bf_xcalloc(r->ndays ? r->ndays : 1, sizeof *r->days);
	size_t pi = 0;
	for (size_t i = 0; i < r->ndays; i++) {
		struct bf_report_day *d = &r->days[i];
		int loaded = 0, closed = 0, failed = 0, pending = 0;
		char iso[11];
		d->date = r->selected[i];
		bf_date_iso(d->date, iso);
		while (pi < r->nparts && strcmp(r->parts[pi].date, iso) < 0)
			pi++;
		d->first = pi;
		for (; pi < r->nparts && !strcmp(r->parts[pi].date, iso); pi++) {
			const struct bf_report_part *p = &r->parts[pi];
			d->partitions++;
			if (p->rows > 0)
				d->rows += p->rows;
			if (p->loaded_rows > 0)
				d->loaded_rows += p->loaded_rows;
			if (p->marker_rows > 0)
				d->marker_rows += p->marker_rows;
			if (p->quarantined > 0)
				d->quarantined += p->quarantined;
			if (p->attempts > d->attempts)
				d->attempts = p->attempts;
			if (!strcmp(p->status, "loaded"))
				loaded++;
			else if (!strcmp(p->status, "closed"))
				closed++;
			else if (!strcmp(p->status, "failed"))
				failed++;
			else
				pending++;
		}
		d->closed = closed;
		d->status = !d->partitions ? BF_DAY_MISSING : failed ? BF_DAY_FAILED : pending ? BF_DAY_PENDING
			    : closed == d->partitions ? BF_DAY_CLOSED : BF_DAY_LOADED;
		(void)loaded;
	}
	return 0;
}

const char *report_state_at(const struct bf_report *r, long long k)
{
	return k >= 0 && (size_t)k < r->nstates ? r->states[k] : "?";
}

/* Several files: their paths and the partitions found in more than one of them. */
static void states_free(struct bf_report *r)
{
	for (size_t i = 0; i < r->nstates; i++)
		free(r->states[i]);
	free(r->states);
	for (size_t i = 0; i < r->nconflicts; i++) {
		struct bf_report_conflict *c = &r->conflicts[i];
		free(c->source);
		free(c->location);
		free(c->date);
		free(c->states);
		free(c->counted);
	}
	free(r->conflicts);
}

static int load_conflicts(struct bf_report *r, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	if ((rc = report_prepare(r, "SELECT a.source, a.location, a.date, a._bf_state, p._bf_state FROM _bf_all_partitions a"
				 " JOIN partitions p ON p.source = a.source AND p.location = a.location AND p.date = a.date"
				 " WHERE EXISTS (SELECT 1 FROM _bf_all_partitions b WHERE b.source = a.source"
				 " AND b.location = a.location AND b.date = a.date AND b._bf_state <> a._bf_state)"
				 " ORDER BY a.date, a.source, a.location, a._bf_state", &s, "partitions", err)))
		return rc;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		const char *src = report_col(s, 0), *loc = report_col(s, 1), *date = report_col(s, 2);
		if (!src || !loc || !date || !report_wanted(r, src, loc, date))
			continue;
		struct bf_report_conflict *c = r->nconflicts ? &r->conflicts[r->nconflicts - 1] : NULL;
		if (!c || strcmp(c->source, src) || strcmp(c->location, loc) || strcmp(c->date, date)) {
			r->conflicts = bf_xrealloc(r->conflicts, (r->nconflicts + 1) * sizeof *r->conflicts);
			c = &r->conflicts[r->nconflicts++];
			c->source = bf_xstrdup(src);
			c->location = bf_xstrdup(loc);
			c->date = bf_xstrdup(date);
			c->states = bf_xstrdup(report_state_at(r, sqlite3_column_int64(s, 3)));
			c->counted = bf_xstrdup(report_state_at(r, sqlite3_column_int64(s, 4)));
			continue;
		}
		struct bf_buf b = BF_BUF_INIT;
		bf_buf_adds(&b, c->states);
		bf_buf_adds(&b, ", ");
		bf_buf_adds(&b, report_state_at(r, sqlite3_column_int64(s, 3)));
		free(c->states);
		c->states = bf_buf_detach(&b);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : report_db_fail(r, rc, "partitions", err);
}

static int load_states(struct bf_report *r, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	if ((rc = report_prepare(r, "SELECT path FROM _bf_states ORDER BY idx", &s, "state files", err)))
		return rc;
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		r->states = bf_xrealloc(r->states, (r->nstates + 1) * sizeof *r->states);
		r->states[r->nstates++] = bf_xstrdup(report_col(s, 0) ? report_col(s, 0) : "");
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return report_db_fail(r, rc, "state files", err);
	return load_conflicts(r, err);
}

/* Several files, read as one snapshot (state/bf_state_union.h). */
static int open_several(const struct bf_report_opts *o, struct bf_report **out, struct bf_err *err)
{
	sqlite3 *db;
	int rc;
	if ((rc = bf_state_open_union(o->state_paths, o->nstates, &db, err)))
		return rc;
	struct bf_report *r = bf_xcalloc(1, sizeof *r);
	struct bf_buf path = BF_BUF_INIT;
	for (size_t i = 0; i < o->nstates; i++)
		bf_buf_addf(&path, "%s%s", i ? ", " : "", o->state_paths[i]);
	r->db = db;
	r->path = bf_buf_detach(&path);
	r->run_ms = bf_sqlite_has_column(db, "runs", "duration_ms");
	*out = r;
	return 0;
}

/* One file, checked here. */
static int open_one(const char *path, struct bf_report **out, struct bf_err *err)
{
	struct bf_report *r;
	sqlite3 *db = NULL;
	int rc, v = -1;

	*out = NULL;
	if (access(path, F_OK))
		return bf_fail(err, errno == ENOENT || errno == ENOTDIR ? BF_ENOINPUT : BF_EOS, path,
			       "%s", errno == ENOENT ? "no such state file" : strerror(errno));
	if (access(path, R_OK))
		return bf_fail(err, BF_ENOPERM, path, "cannot read: %s", strerror(errno));
	if ((rc = bf_sqlite_open_readonly(path, &db, err)))
		return rc;
	r = bf_xcalloc(1, sizeof *r);
	r->db = db;
	r->path = bf_xstrdup(path);
	sqlite3_stmt *s;
	if ((rc = report_prepare(r, "PRAGMA user_version", &s, "schema version", err))) {
		bf_report_close(r);
		return rc;
	}
	rc = bf_sqlite_step(s);
	if (rc == SQLITE_ROW)
		v = sqlite3_column_int(s, 0);
	sqlite3_finalize(s);
	if (rc != SQLITE_ROW) {
		rc = report_db_fail(r, rc, "schema version", err);
		bf_report_close(r);
		return rc;
	}
	if (v > bf_migrations_count) {
		rc = bf_fail(err, BF_ECONFIG, path,
			     "state file schema version %d is newer than this bf knows (%d)", v, bf_migrations_count);
		bf_report_close(r);
		return rc;
	}
	r->run_ms = bf_sqlite_has_column(db, "runs", "duration_ms");
	if (!bf_sqlite_has_table(db, "partitions") || !bf_sqlite_has_table(db, "runs")) {
		rc = bf_fail(err, BF_EDATA, path, "not a bf state file (no partitions table)");
		bf_report_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

int bf_report_open(const struct bf_report_opts *o, struct bf_report **out, struct bf_err *err)
{
	struct bf_report *r;
	int rc;
	int several = o->state_paths && o->nstates > 1;

	*out = NULL;
	if ((rc = several ? open_several(o, &r, err)
			  : open_one(o->state_paths && o->nstates ? o->state_paths[0] : o->state_path, &r, err)))
		return rc;
	if (o->nlocations) {
		r->locations = bf_xcalloc(o->nlocations, sizeof *r->locations);
		for (size_t i = 0; i < o->nlocations; i++)
			r->locations[i] = bf_xstrdup(o->locations[i]);
		r->nlocations = o->nlocations;
	}
	/* --all is the same as no selection: every date from the first to the last found */
	r->explicit_sel = o->dates && !o->dates->all && (o->dates->n || o->dates->start != BF_DATE_NONE ||
							 o->dates->end != BF_DATE_NONE);
	if ((rc = resolve_source(r, o->source, err)) || (rc = load_parts(r, o->dates, err)) ||
	    (several && (rc = load_states(r, err)))) {
		bf_report_close(r);
		return rc;
	}
	*out = r;
	return 0;
}

void bf_report_close(struct bf_report *r)
{
	if (!r)
		return;
	for (size_t i = 0; i < r->nparts; i++) {
		free(r->parts[i].source);
		free(r->parts[i].location);
		free(r->parts[i].status);
		free(r->parts[i].last_error);
		free(r->parts[i].folder);
		free(r->parts[i].reason);
	}
	free(r->parts);
	free(r->days);
	free(r->selected);
	free(r->source);
	free(r->path);
	sqlite3_close(DB(r));
	for (size_t i = 0; i < r->nlocations; i++)
		free(r->locations[i]);
	free(r->locations);
	states_free(r);
	free(r);
}
