#include "stages/bf_load_reconcile.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_strmap.h"
#include "base/bf_time.h"

/* A partition the state file calls done in the target: its row for the target's key and
 * its row from before targets were (either may be missing), as read. */
struct done_part {
	char *source, *location, *date;
	int own, legacy, elsewhere;
	char *own_at, *legacy_at;          /* loaded_at of each, to delete it only unchanged */
	long long own_run, legacy_run;     /* run_id, -1 when NULL */
};

struct found {
	struct done_part *p;
	size_t n;
	struct bf_strmap held;             /* what the target holds: "location\037date" */
	struct bf_strmap legacy_held;      /* sources of which it holds a partition known only by a '' row */
	struct bf_buf key;
};

static const char *part_key(struct bf_buf *b, const char *location, const char *date)
{
	bf_buf_reset(b);
	bf_buf_adds(b, location ? location : "");
	bf_buf_addc(b, '\037');
	bf_buf_adds(b, date);
	return b->p;
}

static int on_load(void *arg, const char *location, const char *date, const char *source)
{
	(void)source;
	struct found *f = arg;
	if (date)
		bf_strmap_put(&f->held, part_key(&f->key, location, date), 1);
	return 0;
}

static char *col_text(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	return bf_xstrdup(v ? v : "");
}

static long long col_run(sqlite3_stmt *s, int i)
{
	return sqlite3_column_type(s, i) == SQLITE_NULL ? -1 : sqlite3_column_int64(s, i);
}

/* One row per loads row for key or '' of a partition (of source; NULL: any) the state
 * file calls done, own rows first: ?1 the key, ?2 the source. A file without the loads
 * table (legacy) is read as its migration makes it: a '' row per done partition. */
static const char sql_loads[] =
	"SELECT l.source, l.location, l.date, l.target = ?1, l.loaded_at, l.run_id,"
	" EXISTS (SELECT 1 FROM loads o WHERE o.source = l.source AND o.location = l.location"
	"  AND o.date = l.date AND o.target NOT IN (?1, '') AND o.status IN ('loaded', 'closed'))"
	" FROM loads l JOIN partitions p ON p.source = l.source AND p.location = l.location AND p.date = l.date"
	" WHERE l.target IN (?1, '') AND l.status IN ('loaded', 'closed') AND p.status IN ('loaded', 'closed')"
	" AND (?2 IS NULL OR l.source = ?2) ORDER BY l.source, l.location, l.date, l.target = '' ";
static const char sql_legacy[] =
	"SELECT source, location, date, 0, coalesce(finished_at, updated_at), run_id, 0 FROM partitions"
	" WHERE status IN ('loaded', 'closed') AND (?2 IS NULL OR source = ?2) AND ?1 IS NOT NULL"
	" ORDER BY source, location, date";

static int read_done(sqlite3 *db, const char *path, int legacy, const char *key, const char *source,
		     struct found *f, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, legacy ? sql_legacy : sql_loads, -1, &s, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(db, rc, path, err);
	sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
	if (source)
		sqlite3_bind_text(s, 2, source, -1, SQLITE_STATIC);
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		const char *src = (const char *)sqlite3_column_text(s, 0);
		const char *loc = (const char *)sqlite3_column_text(s, 1);
		const char *date = (const char *)sqlite3_column_text(s, 2);
		struct done_part *p = f->n ? &f->p[f->n - 1] : NULL;
		if (!p || strcmp(p->source, src ? src : "") || strcmp(p->location, loc ? loc : "") ||
		    strcmp(p->date, date ? date : "")) {
			f->p = bf_xrealloc(f->p, (f->n + 1) * sizeof *f->p);
			p = &f->p[f->n++];
			memset(p, 0, sizeof *p);
			p->source = col_text(s, 0);
			p->location = col_text(s, 1);
			p->date = col_text(s, 2);
		}
		p->elsewhere |= sqlite3_column_int(s, 6);
		if (sqlite3_column_int(s, 3)) {
			p->own = 1;
			p->own_at = col_text(s, 4);
			p->own_run = col_run(s, 5);
		} else {
			p->legacy = 1;
			p->legacy_at = col_text(s, 4);
			p->legacy_run = col_run(s, 5);
		}
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : bf_sqlite_fail(db, rc, path, err);
}

static void found_free(struct found *f)
{
	for (size_t i = 0; i < f->n; i++) {
		free(f->p[i].source);
		free(f->p[i].location);
		free(f->p[i].date);
		free(f->p[i].own_at);
		free(f->p[i].legacy_at);
	}
	free(f->p);
	bf_strmap_free(&f->held);
	bf_strmap_free(&f->legacy_held);
	bf_buf_free(&f->key);
}

static int held(struct found *f, const struct done_part *p)
{
	size_t v;
	return bf_strmap_get(&f->held, part_key(&f->key, p->location, p->date), &v);
}

/* Whether p is done in the target by the state file and missing there. A partition known
 * only by a '' row is the target's when the target holds another of its source's such. */
static int missing(struct found *f, const struct done_part *p)
{
	size_t v;
	if (held(f, p))
		return 0;
	return p->own || bf_strmap_get(&f->legacy_held, p->source, &v);
}

/* The state file's done partitions (of source) and what t holds. */
static int find(sqlite3 *db, const char *path, int legacy, struct bf_target *t, const char *key,
		const char *source, struct found *f, struct bf_err *err)
{
	int rc = read_done(db, path, legacy, key, source, f, err);
	if (rc || !f->n)
		return rc;
	if ((rc = bf_target_loads(t, on_load, f, err)))
		return rc;
	for (size_t i = 0; i < f->n; i++)
		if (!f->p[i].own && held(f, &f->p[i]))
			bf_strmap_put(&f->legacy_held, f->p[i].source, 1);
	return 0;
}

/* Deletes p's row for target unless it changed since it was read. */
static int delete_row(struct bf_state *st, const struct done_part *p, const char *target, const char *at,
		      long long run, int *gone, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(st->db, "DELETE FROM loads WHERE source = ?1 AND location = ?2 AND date = ?3"
				    " AND target = ?4 AND loaded_at = ?5 AND run_id IS ?6", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(st->db, rc, st->path, err);
	sqlite3_bind_text(s, 1, p->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, p->location, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, p->date, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, target, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, at, -1, SQLITE_STATIC);
	if (run >= 0)
		sqlite3_bind_int64(s, 6, run);
	rc = bf_sqlite_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return bf_sqlite_fail(st->db, rc, st->path, err);
	*gone |= sqlite3_changes(st->db) > 0;
	return 0;
}

static int mark_pending(struct bf_state *st, const struct done_part *p, const char *why, struct bf_err *err)
{
	sqlite3_stmt *s;
	char now[21];
	bf_now_rfc3339(now);
	int rc = sqlite3_prepare_v2(st->db, "UPDATE partitions SET status = 'pending', last_error = ?1,"
				    " finished_at = NULL, updated_at = ?2, run_id = coalesce(?3, run_id)"
				    " WHERE source = ?4 AND location = ?5 AND date = ?6 AND status IN ('loaded', 'closed')",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(st->db, rc, st->path, err);
	sqlite3_bind_text(s, 1, why, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
	if (st->run_id)
		sqlite3_bind_int64(s, 3, st->run_id);
	sqlite3_bind_text(s, 4, p->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, p->location, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, p->date, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(s);
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : bf_sqlite_fail(st->db, rc, st->path, err);
}

/* Corrects p in st: *gone says whether a row of it was still there to delete. */
static int correct(struct bf_state *st, const struct done_part *p, const char *key, const char *why, int *gone,
		   struct bf_err *err)
{
	int rc = 0;
	*gone = 0;
	if (p->own)
		rc = delete_row(st, p, key, p->own_at, p->own_run, gone, err);
	if (!rc && p->legacy)
		rc = delete_row(st, p, "", p->legacy_at, p->legacy_run, gone, err);
	if (!rc && *gone && !p->elsewhere)
		rc = mark_pending(st, p, why, err);
	return rc;
}

static void say(struct bf_target *t, const struct done_part *p, bf_reconcile_fn fn, void *arg, int dry)
{
	bf_warn(bf_target_display(t), "%s/%s of %s is marked done in the state file but missing here: %s",
		p->location[0] ? p->location : "-", p->date, p->source,
		dry ? "a run would load it again" : p->elsewhere ? "another target holds it; the next run loads it here"
		: "marked pending, the next run loads it");
	if (fn) {
		struct bf_reconcile_miss m = { p->source, p->location, p->date, p->elsewhere };
		fn(arg, &m);
	}
}

int bf_load_reconcile(struct bf_state *st, struct bf_target *t, const char *key, const char *source,
		      bf_reconcile_fn fn, void *arg, long long *corrected, struct bf_err *err)
{
	struct found f = { NULL, 0, BF_STRMAP_INIT, BF_STRMAP_INIT, BF_BUF_INIT };
	struct bf_buf why = BF_BUF_INIT;
	long long count = 0;
	int rc, txn = 0;
	/* the state file first: what it marks done was committed in the target before */
	if ((rc = find(st->db, st->path, 0, t, key ? key : "", source, &f, err)))
		goto out;
	bf_buf_addf(&why, "marked done, but %s does not have it (its _bf_loads lacks the partition): "
		    "to be loaded again", bf_target_display(t));
	for (size_t i = 0; i < f.n && !rc; i++) {
		const struct done_part *p = &f.p[i];
		if (!missing(&f, p))
			continue;
		if (!txn) {
			if ((rc = bf_sqlite_exec(st->db, "BEGIN IMMEDIATE", st->path, err)))
				break;
			txn = 1;
		}
		int gone;
		if ((rc = correct(st, p, key ? key : "", why.p, &gone, err)) || !gone)
			continue;
		count++;
		say(t, p, fn, arg, 0);
	}
	if (txn) {
		if (rc)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		else
			rc = bf_sqlite_exec(st->db, "COMMIT", st->path, err);
	}
out:
	bf_buf_free(&why);
	found_free(&f);
	if (corrected)
		*corrected = rc ? 0 : count;
	return rc;
}

/* Whether the state file has anything done for key (of source) at all: without, the
 * target is not opened (a first run does not create it here). */
static int any_done(sqlite3 *db, const char *path, int legacy, const char *key, const char *source,
		    int *any, struct bf_err *err)
{
	struct found f = { NULL, 0, BF_STRMAP_INIT, BF_STRMAP_INIT, BF_BUF_INIT };
	int rc = read_done(db, path, legacy, key, source, &f, err);
	*any = f.n > 0;
	found_free(&f);
	return rc;
}

int bf_load_reconcile_spec(struct bf_state *st, const char *spec, const struct bf_target_opts *o,
			   const char *key, const char *source, bf_reconcile_fn fn, void *arg,
			   long long *corrected, struct bf_err *err)
{
	struct bf_target_opts ro = { 0 };
	struct bf_target *t = NULL;
	int any, rc = any_done(st->db, st->path, 0, key ? key : "", source, &any, err);
	if (corrected)
		*corrected = 0;
	if (rc || !any)
		return rc;
	/* only its _bf_loads is read: nothing made or changed there */
	if (o)
		ro = *o;
	ro.read_only = 1;
	if (!(rc = bf_target_open(spec, &ro, &t, err)))
		rc = bf_load_reconcile(st, t, key, source, fn, arg, corrected, err);
	bf_target_close(t);
	return rc;
}

int bf_load_reconcile_peek(sqlite3 *db, const char *path, int legacy, const char *spec,
			   const struct bf_target_opts *o, const char *key, const char *source,
			   bf_reconcile_fn fn, void *arg, long long *found, struct bf_err *err)
{
	struct bf_target_opts ro = { 0 };
	struct found f = { NULL, 0, BF_STRMAP_INIT, BF_STRMAP_INIT, BF_BUF_INIT };
	struct bf_target *t = NULL;
	long long count = 0;
	int any, rc;
	if (o)
		ro = *o;
	ro.read_only = 1;
	if ((rc = any_done(db, path, legacy, key ? key : "", source, &any, err)) || !any ||
	    (rc = bf_target_open(spec, &ro, &t, err)) ||
	    (rc = find(db, path, legacy, t, key ? key : "", source, &f, err)))
		goto out;
	for (size_t i = 0; i < f.n; i++)
		if (missing(&f, &f.p[i])) {
			count++;
			say(t, &f.p[i], fn, arg, 1);
		}
out:
	bf_target_close(t);
	found_free(&f);
	if (found)
		*found = rc ? 0 : count;
	return rc;
}
