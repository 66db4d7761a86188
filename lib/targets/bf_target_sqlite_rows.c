/* The SQLite target's rows: cells copied into a stream's batch, then inserted BATCH rows
 * at a time through one multi-row INSERT (per row, a statement of one row costs as much
 * again in SQLite as the row itself: statement start and end, a fresh seek in the
 * partition index). Records without lineage of a stream with keys are upserted: the same
 * INSERT with ON CONFLICT (keys) DO UPDATE of every other column. */
#include <stdlib.h>
#include <string.h>

#include "base/bf_exit.h"
#include "base/bf_sql.h"
#include "targets/bf_target_sqlite_int.h"
#include "state/bf_state.h"

#define BATCH 16

void sqt_drop_stmts(struct sqlt *t, struct stream *s)
{
	sqlite3_finalize(s->ins);
	sqlite3_finalize(s->insb);
	s->ins = s->insb = NULL;
	s->batch = 1;
	if (!s->live)
		return;
	size_t i = 0;
	while (t->live[i] != s)
		i++;
	memmove(t->live + i, t->live + i + 1, (t->nlive - i - 1) * sizeof *t->live);
	t->nlive--;
	s->live = 0;
}

/* s is about to hold statements: the oldest holder lets go of its own (its rows in first)
 * when there are too many. */
static int make_live(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	if (s->live)
		return 0;
	if (t->nlive == sizeof t->live / sizeof *t->live) {
		struct stream *old = t->live[0];
		int rc = sqt_flush(t, old, err);
		sqt_drop_stmts(t, old);
		if (rc)
			return rc;
	}
	t->live[t->nlive++] = s;
	s->live = 1;
	return 0;
}

/* INSERT of the first ncols columns of s's definition, rows tuples at once, with the
 * upsert clause when upsert. */
static int prepare(struct sqlt *t, struct stream *s, size_t ncols, size_t rows, int upsert,
		   sqlite3_stmt **out, struct bf_err *err)
{
	const struct bf_stream_def *d = s->def;
	struct bf_buf *q = &t->sql;
	bf_buf_reset(q);
	bf_buf_adds(q, "INSERT INTO ");
	bf_sql_ident(q, s->name);
	bf_buf_adds(q, " (");
	for (size_t i = 0; i < ncols; i++) {
		bf_buf_adds(q, i ? ", " : "");
		bf_sql_ident(q, d->cols[i].name);
	}
	bf_buf_adds(q, ") VALUES ");
	for (size_t r = 0; r < rows; r++) {
		bf_buf_adds(q, r ? ", (" : "(");
		for (size_t i = 0; i < ncols; i++)
			bf_buf_adds(q, i ? ", ?" : "?");
		bf_buf_addc(q, ')');
	}
	if (upsert) {
		bf_buf_adds(q, " ON CONFLICT (");
		for (size_t k = 0; k < d->nkeys; k++) {
			bf_buf_adds(q, k ? ", " : "");
			bf_sql_ident(q, d->keys[k]);
		}
		bf_buf_adds(q, ") DO ");
		size_t set = 0;
		for (size_t i = 0; i < ncols; i++) {
			size_t k = 0;
			while (k < d->nkeys && strcmp(d->keys[k], d->cols[i].name))
				k++;
			if (k < d->nkeys)
				continue;
			bf_buf_adds(q, set++ ? ", " : "UPDATE SET ");
			bf_sql_ident(q, d->cols[i].name);
			bf_buf_adds(q, " = excluded.");
			bf_sql_ident(q, d->cols[i].name);
		}
		if (!set)
			bf_buf_adds(q, "NOTHING");
	}
	int rc = sqlite3_prepare_v3(t->db, q->p, -1, SQLITE_PREPARE_PERSISTENT, out, NULL);
	return rc == SQLITE_OK ? 0 : bf_sqlite_fail(t->db, rc, t->path, err);
}

/* The rows per batch for ncols columns (1: no batch statement). */
static size_t batch_rows(struct sqlt *t, size_t ncols)
{
	size_t maxvar = (size_t)sqlite3_limit(t->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
	size_t b = ncols ? maxvar / ncols : 0;
	return b > BATCH ? BATCH : b < 2 ? 1 : b;
}

static int step(struct sqlt *t, struct stream *s, sqlite3_stmt *st, struct bf_err *err)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_BUSY)
		rc = bf_sqlite_step(st);
	sqlite3_reset(st);
	if (rc == SQLITE_DONE)
		return 0;
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return bf_fail(err, BF_EDATA, t->path, "table %s: %s (a record of a partition repeats a key "
			       "that records without lineage were upserted by)", s->name, sqlite3_errmsg(t->db));
	return bf_sqlite_fail(t->db, rc, t->path, err);
}

static void bind_pcell(struct stream *s, sqlite3_stmt *st, int p, const struct pcell *c)
{
	const char *base = s->arena.p;
	switch (c->kind) {
	case BF_C_TEXT:
		sqlite3_bind_text(st, p, base + c->off, (int)c->len, SQLITE_STATIC);
		break;
	case BF_C_INT: sqlite3_bind_int64(st, p, c->i); break;
	case BF_C_VEC: sqlite3_bind_blob(st, p, base + c->off, (int)c->len, SQLITE_STATIC); break;
	default: sqlite3_bind_null(st, p); break;
	}
}

int sqt_flush(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	size_t n = s->pncols, r = 0;
	int rc = 0;
	if (!s->npend)
		return 0;
	if (s->npend == s->batch && s->batch > 1) {
		/* a full batch: its statement is made when the first one fills */
		if (!s->insb)
			rc = prepare(t, s, n, s->batch, s->pend_upsert, &s->insb, err);
		for (size_t k = 0; k < s->npend * n && !rc; k++)
			bind_pcell(s, s->insb, (int)k + 1, &s->pend[k]);
		if (!rc)
			rc = step(t, s, s->insb, err);
		r = s->npend;
		s->filled = 1;
	}
	for (; r < s->npend && !rc; r++) {
		for (size_t i = 0; i < n; i++)
			bind_pcell(s, s->ins, (int)i + 1, &s->pend[r * n + i]);
		rc = step(t, s, s->ins, err);
	}
	s->npend = 0;
	bf_buf_reset(&s->arena);
	return rc;
}

/* Only streams holding statements have rows waiting. */
int sqt_flush_all(struct sqlt *t, struct bf_err *err)
{
	int rc = 0;
	for (size_t i = 0; i < t->nlive && !rc; i++)
		rc = sqt_flush(t, t->live[i], err);
	return rc;
}

void sqt_trim_stmts(struct sqlt *t)
{
	for (size_t i = t->nlive; i-- > 0;) {
		struct stream *s = t->live[i];
		if (!s->filled)
			sqt_drop_stmts(t, s);
		s->filled = 0;
	}
}

int sqt_add_row(struct sqlt *t, struct stream *s, const struct bf_row *r, struct bf_err *err)
{
	int upsert = t->foreign && r->def->nkeys > 0, rc;
	size_t n = r->def->ncols;
	if (s->npend && s->pncols != n && (rc = sqt_flush(t, s, err)))
		return rc;
	if (!s->ins || s->stmt_version != r->def->version || s->stmt_upsert != upsert) {
		/* the statements for these columns and this mode (rows read before went in) */
		sqt_drop_stmts(t, s);
		if ((rc = make_live(t, s, err)) || (rc = prepare(t, s, n, 1, upsert, &s->ins, err)))
			return rc;
		s->stmt_version = r->def->version;
		s->stmt_upsert = upsert;
		s->batch = batch_rows(t, n);
	}
	s->pncols = n;
	s->pend_upsert = upsert;
	if ((s->npend + 1) * n > s->pendcap) {
		s->pendcap = (s->batch + 1) * n;
		s->pend = bf_xrealloc(s->pend, s->pendcap * sizeof *s->pend);
	}
	struct pcell *pc = &s->pend[s->npend * n];
	for (size_t i = 0; i < n; i++, pc++) {
		const struct bf_cell *c = &r->cells[i];
		pc->kind = c->kind;
		switch (c->kind) {
		case BF_C_TEXT:
			pc->off = s->arena.len;
			pc->len = c->len;
			bf_buf_add(&s->arena, c->s, c->len);
			break;
		case BF_C_INT: pc->i = c->i; break;
		case BF_C_VEC:
			bf_vec_le_bytes(c, &t->blob);
			pc->off = s->arena.len;
			pc->len = t->blob.len;
			bf_buf_add(&s->arena, t->blob.p, t->blob.len);
			break;
		default: break;
		}
	}
	s->npend++;
	if (s->npend >= s->batch)
		return sqt_flush(t, s, err);
	return 0;
}
