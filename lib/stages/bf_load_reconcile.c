#include "stages/bf_load_reconcile.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_strmap.h"
#include "base/bf_time.h"

struct done_part {                 /* a partition the state file marks loaded or closed */
	char *source, *location, *date, *updated_at;
};

struct held {                      /* what the target holds */
	struct bf_strmap parts;    /* "location\037date" */
	struct bf_strmap sources;
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
	struct held *h = arg;
	if (date)
		bf_strmap_put(&h->parts, part_key(&h->key, location, date), 1);
	if (source)
		bf_strmap_put(&h->sources, source, 1);
	return 0;
}

static char *col_text(sqlite3_stmt *s, int i)
{
	const char *v = (const char *)sqlite3_column_text(s, i);
	return bf_xstrdup(v ? v : "");
}

/* The partitions of source (NULL: any) the state file marks done. */
static int read_done(struct bf_state *st, const char *source, struct done_part **out, size_t *n,
		     struct bf_err *err)
{
	sqlite3_stmt *s;
	*out = NULL;
	*n = 0;
	int rc = sqlite3_prepare_v2(st->db, "SELECT source, location, date, updated_at FROM partitions"
				    " WHERE status IN ('loaded', 'closed') AND (?1 IS NULL OR source = ?1)",
				    -1, &s, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(st->db, rc, st->path, err);
	if (source)
		sqlite3_bind_text(s, 1, source, -1, SQLITE_STATIC);
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		*out = bf_xrealloc(*out, (*n + 1) * sizeof **out);
		struct done_part *p = &(*out)[(*n)++];
		p->source = col_text(s, 0);
		p->location = col_text(s, 1);
		p->date = col_text(s, 2);
		p->updated_at = col_text(s, 3);
	}
	sqlite3_finalize(s);
	return rc == SQLITE_DONE ? 0 : bf_sqlite_fail(st->db, rc, st->path, err);
}

static void free_done(struct done_part *p, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(p[i].source);
		free(p[i].location);
		free(p[i].date);
		free(p[i].updated_at);
	}
	free(p);
}

/* Marks p pending unless its row changed since it was read; *changed says whether it was. */
static int mark_pending(struct bf_state *st, const struct done_part *p, const char *why, int *changed,
			struct bf_err *err)
{
	sqlite3_stmt *s;
	char now[21];
	bf_now_rfc3339(now);
	int rc = sqlite3_prepare_v2(st->db, "UPDATE partitions SET status = 'pending', last_error = ?1,"
				    " finished_at = NULL, updated_at = ?2, run_id = coalesce(?3, run_id)"
				    " WHERE source = ?4 AND location = ?5 AND date = ?6 AND updated_at = ?7"
				    " AND status IN ('loaded', 'closed')", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(st->db, rc, st->path, err);
	sqlite3_bind_text(s, 1, why, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, now, -1, SQLITE_STATIC);
	if (st->run_id)
		sqlite3_bind_int64(s, 3, st->run_id);
	sqlite3_bind_text(s, 4, p->source, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 5, p->location, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 6, p->date, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 7, p->updated_at, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(s);
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return bf_sqlite_fail(st->db, rc, st->path, err);
	*changed = sqlite3_changes(st->db) > 0;
	return 0;
}

int bf_load_reconcile(struct bf_state *st, struct bf_target *t, const char *source,
		      void (*fn)(void *arg, const char *source, const char *location, const char *date),
		      void *arg, long long *corrected, struct bf_err *err)
{
	struct held h = { BF_STRMAP_INIT, BF_STRMAP_INIT, BF_BUF_INIT };
	struct done_part *done = NULL;
	struct bf_buf why = BF_BUF_INIT;
	size_t n = 0;
	long long count = 0;
	int rc, txn = 0;
	/* the state file first: what it marks done was committed in the target before */
	if ((rc = read_done(st, source, &done, &n, err)) || !n ||
	    (rc = bf_target_loads(t, on_load, &h, err)))
		goto out;
	bf_buf_addf(&why, "marked done, but %s does not have it (its _bf_loads lacks the partition): "
		    "to be loaded again", bf_target_display(t));
	for (size_t i = 0; i < n && !rc; i++) {
		const struct done_part *p = &done[i];
		size_t v;
		if ((!source && !bf_strmap_get(&h.sources, p->source, &v)) ||
		    bf_strmap_get(&h.parts, part_key(&h.key, p->location, p->date), &v))
			continue;
		if (!txn) {
			if ((rc = bf_sqlite_exec(st->db, "BEGIN IMMEDIATE", st->path, err)))
				break;
			txn = 1;
		}
		int changed = 0;
		if ((rc = mark_pending(st, p, why.p, &changed, err)) || !changed)
			continue;
		count++;
		bf_warn(bf_target_display(t), "%s/%s of %s is marked done in the state file but missing here: "
			"marked pending, the next run loads it", p->location[0] ? p->location : "-", p->date,
			p->source);
		if (fn)
			fn(arg, p->source, p->location, p->date);
	}
	if (txn) {
		if (rc)
			sqlite3_exec(st->db, "ROLLBACK", NULL, NULL, NULL);
		else
			rc = bf_sqlite_exec(st->db, "COMMIT", st->path, err);
	}
out:
	bf_buf_free(&why);
	free_done(done, n);
	bf_strmap_free(&h.parts);
	bf_strmap_free(&h.sources);
	bf_buf_free(&h.key);
	if (corrected)
		*corrected = rc ? 0 : count;
	return rc;
}

int bf_load_reconcile_spec(struct bf_state *st, const char *spec, const struct bf_target_opts *o,
			   const char *source, long long *corrected, struct bf_err *err)
{
	struct bf_target *t = NULL;
	int rc = bf_target_open(spec, o, &t, err);
	if (!rc)
		rc = bf_load_reconcile(st, t, source, NULL, NULL, corrected, err);
	bf_target_close(t);
	return rc;
}
