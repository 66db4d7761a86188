/* SQLite target: one table per stream, lineage columns, an index on the partition, and
 * _bf_loads recording each committed partition in the same transaction as its rows. */
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "targets/bf_target_backend.h"
#include "targets/bf_target_columns.h"
#include "targets/bf_target_views.h"
#include "base/bf_sql.h"
#include "state/bf_state.h"

/* A record waiting for its batch: its cells copied (text and blobs into the stream's
 * arena, by offset, as the arena may move while it grows). */
struct pcell {
	enum bf_cell_kind kind;
	int blob;
	size_t off, len;
	long long i;
};

/* Rows are inserted BATCH at a time through one multi-row INSERT: per row, a statement
 * of one row costs as much again in SQLite as the row itself (statement start and end,
 * a fresh seek in the partition index). */
#define BATCH 16

struct stream {
	char *name;
	const struct bf_stream_def *def;  /* owned by the loop */
	unsigned version;          /* def->version the insert statement was prepared for */
	int ready;                 /* table and insert statement match the database */
	char **cols;               /* the table's columns */
	size_t ncols;
	sqlite3_stmt *ins;         /* INSERT of def's columns, in def's order */
	sqlite3_stmt *insb;        /* the same for batch rows at once (NULL: no batches) */
	size_t batch;              /* rows per insb */
	struct pcell *pend;        /* npend rows of pncols cells, waiting for insb */
	size_t npend, pncols, pendcap;
	struct bf_buf arena;
};

struct sqlt {
	struct bf_target base;
	sqlite3 *db;
	char *path;
	struct stream *s;
	size_t ns;
	char **tables;             /* every bf table in the file (for partition deletes) */
	size_t ntables;
	struct bf_buf sql, blob;
};

static int fail(struct sqlt *t, int rc, struct bf_err *err)
{
	return bf_sqlite_fail(t->db, rc, t->path, err);
}

static int exec(struct sqlt *t, const char *sql, struct bf_err *err)
{
	return bf_sqlite_exec(t->db, sql, t->path, err);
}

static void stream_reset(struct stream *s)
{
	for (size_t i = 0; i < s->ncols; i++)
		free(s->cols[i]);
	free(s->cols);
	s->cols = NULL;
	s->ncols = 0;
	sqlite3_finalize(s->ins);
	s->ins = NULL;
	sqlite3_finalize(s->insb);
	s->insb = NULL;
	s->npend = 0;
	bf_buf_reset(&s->arena);
	s->ready = 0;
}

static struct stream *find_stream(struct sqlt *t, const char *name, int create)
{
	for (size_t i = 0; i < t->ns; i++)
		if (!strcmp(t->s[i].name, name))
			return &t->s[i];
	if (!create)
		return NULL;
	t->s = bf_xrealloc(t->s, (t->ns + 1) * sizeof *t->s);
	struct stream *s = &t->s[t->ns++];
	memset(s, 0, sizeof *s);
	bf_buf_init(&s->arena);
	s->name = bf_xstrdup(name);
	return s;
}

/* Reads the table's columns; returns 0 (ncols 0 when there is no table) or a code. */
static int load_cols(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(t->db, "SELECT name FROM pragma_table_info(?)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(t, rc, err);
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	for (size_t i = 0; i < s->ncols; i++)
		free(s->cols[i]);
	s->ncols = 0;
	while ((rc = bf_sqlite_step(st)) == SQLITE_ROW) {
		s->cols = bf_xrealloc(s->cols, (s->ncols + 1) * sizeof *s->cols);
		s->cols[s->ncols++] = bf_xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(t, rc, err);
}

static int has_col(const struct stream *s, const char *name)
{
	for (size_t i = 0; i < s->ncols; i++)
		if (!strcmp(s->cols[i], name))
			return 1;
	return 0;
}

static int has_col_cb(void *ctx, const char *name)
{
	return has_col(ctx, name);
}

static int add_column(struct sqlt *t, struct stream *s, const char *name, enum bf_type type,
		      struct bf_err *err)
{
	bf_buf_reset(&t->sql);
	bf_buf_adds(&t->sql, "ALTER TABLE ");
	bf_sql_ident(&t->sql, s->name);
	bf_buf_adds(&t->sql, " ADD COLUMN ");
	bf_sql_ident(&t->sql, name);
	bf_buf_addc(&t->sql, ' ');
	bf_buf_adds(&t->sql, bf_type_sqlite(type));
	int rc = exec(t, t->sql.p, err);
	if (rc)
		return rc;
	s->cols = bf_xrealloc(s->cols, (s->ncols + 1) * sizeof *s->cols);
	s->cols[s->ncols++] = bf_xstrdup(name);
	return 0;
}

static int create_table(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	struct bf_buf *q = &t->sql;
	const struct bf_stream_def *d = s->def;
	bf_buf_reset(q);
	bf_buf_adds(q, "CREATE TABLE ");
	bf_sql_ident(q, s->name);
	bf_buf_adds(q, " (");
	for (size_t i = 0; i < d->ncols; i++) {
		bf_buf_adds(q, i ? ", " : "");
		bf_sql_ident(q, d->cols[i].name);
		bf_buf_addc(q, ' ');
		bf_buf_adds(q, bf_type_sqlite(d->cols[i].type));
	}
	bf_buf_addc(q, ')');
	int rc = exec(t, q->p, err);
	if (rc)
		return rc;
	bf_buf_reset(q);
	bf_buf_adds(q, "CREATE INDEX ");
	size_t nl = strlen(s->name);
	char *ix = bf_xmalloc(nl + 16);
	memcpy(ix, s->name, nl);
	memcpy(ix + nl, "__bf_partition", 15);
	bf_sql_ident(q, ix);
	free(ix);
	bf_buf_adds(q, " ON ");
	bf_sql_ident(q, s->name);
	bf_buf_adds(q, " (\"_bf_date\", \"_bf_location\")");
	if ((rc = exec(t, q->p, err)))
		return rc;
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(t->db, "INSERT OR IGNORE INTO _bf_streams (stream, created_at)"
				" VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(t, rc, err);
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return fail(t, rc, err);
	int known = 0;
	for (size_t i = 0; i < t->ntables; i++)
		known |= !strcmp(t->tables[i], s->name);
	if (!known) {
		t->tables = bf_xrealloc(t->tables, (t->ntables + 1) * sizeof *t->tables);
		t->tables[t->ntables++] = bf_xstrdup(s->name);
	}
	return load_cols(t, s, err);
}

/* The stream's columns in _bf_columns (in the transaction that changed the table). */
static int describe(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	struct bf_buf json = BF_BUF_INIT;
	sqlite3_stmt *st;
	bf_buf_reset(&t->sql);
	bf_target_columns_upsert(&t->sql, NULL);
	int rc = sqlite3_prepare_v2(t->db, t->sql.p, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(t, rc, err);
	bf_target_columns_json(s->def, &json);
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, json.p, (int)json.len, SQLITE_STATIC);
	rc = bf_sqlite_step(st);
	sqlite3_finalize(st);
	bf_buf_free(&json);
	return rc == SQLITE_DONE ? 0 : fail(t, rc, err);
}

/* Prepared again whenever the stream's definition changed: _bf_columns follows it. */
static int prepare_insert(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	struct bf_buf *q = &t->sql;
	const struct bf_stream_def *d = s->def;
	int drc = describe(t, s, err);
	if (drc)
		return drc;
	sqlite3_finalize(s->ins);
	s->ins = NULL;
	bf_buf_reset(q);
	bf_buf_adds(q, "INSERT INTO ");
	bf_sql_ident(q, s->name);
	bf_buf_adds(q, " (");
	for (size_t i = 0; i < d->ncols; i++) {
		bf_buf_adds(q, i ? ", " : "");
		bf_sql_ident(q, d->cols[i].name);
	}
	bf_buf_adds(q, ") VALUES (");
	for (size_t i = 0; i < d->ncols; i++)
		bf_buf_adds(q, i ? ", ?" : "?");
	bf_buf_addc(q, ')');
	int rc = sqlite3_prepare_v3(t->db, q->p, -1, SQLITE_PREPARE_PERSISTENT, &s->ins, NULL);
	if (rc != SQLITE_OK)
		return fail(t, rc, err);
	s->version = d->version;
	sqlite3_finalize(s->insb);
	s->insb = NULL;
	s->batch = 1;
	size_t maxvar = (size_t)sqlite3_limit(t->db, SQLITE_LIMIT_VARIABLE_NUMBER, -1);
	size_t batch = d->ncols ? maxvar / d->ncols : 0;
	if (batch > BATCH)
		batch = BATCH;
	if (batch < 2)
		return 0;
	char *row = strstr(q->p, ") VALUES (");
	size_t head = (size_t)(row - q->p) + strlen(") VALUES ");
	size_t rowlen = q->len - head;
	char *tuple = bf_xstrndup(q->p + head, rowlen);
	bf_buf_truncate(q, head);
	for (size_t i = 0; i < batch; i++) {
		if (i)
			bf_buf_addc(q, ',');
		bf_buf_add(q, tuple, rowlen);
	}
	free(tuple);
	rc = sqlite3_prepare_v3(t->db, q->p, -1, SQLITE_PREPARE_PERSISTENT, &s->insb, NULL);
	if (rc != SQLITE_OK)
		return fail(t, rc, err);
	s->batch = batch;
	return 0;
}

static int make_views(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	bf_buf_reset(&t->sql);
	bf_target_views_sql(&t->sql, NULL, s->name, has_col_cb, s, s->def->amount, 0);
	return exec(t, t->sql.p, err);
}

/* Makes the table hold every column of the stream's definition, its views current and
 * the insert statement prepared. */
static int ensure_locked(struct sqlt *t, struct stream *s, struct bf_err *err);
static int read_tables(struct sqlt *t, struct bf_err *err);

/* Outside a partition's transaction the DDL takes the write lock first and looks at the
 * table again under it, so that two loaders starting on one warehouse never both create
 * the table or add the same column. */
static int ensure(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	if (!sqlite3_get_autocommit(t->db))
		return ensure_locked(t, s, err);
	int rc = exec(t, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	s->ready = 0;
	rc = ensure_locked(t, s, err);
	if (rc) {
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
		s->ready = 0;
		return rc;
	}
	return exec(t, "COMMIT", err);
}

static int ensure_locked(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	const struct bf_stream_def *d = s->def;
	int rc, changed = 0;
	if (!s->ready) {
		if ((rc = load_cols(t, s, err)))
			return rc;
		changed = 1;
	}
	if (s->ncols == 0) {
		if ((rc = create_table(t, s, err)))
			return rc;
	} else {
		for (size_t i = 0; i < d->ncols; i++)
			if (!has_col(s, d->cols[i].name)) {
				if ((rc = add_column(t, s, d->cols[i].name, d->cols[i].type, err)))
					return rc;
				changed = 1;
			}
	}
	if (changed && (rc = make_views(t, s, err)))
		return rc;
	if (changed || !s->ins || s->version != d->version)
		if ((rc = prepare_insert(t, s, err)))
			return rc;
	s->ready = 1;
	return 0;
}

static int flush(struct sqlt *t, struct stream *s, struct bf_err *err);

static int sq_schema(struct bf_target *bt, const struct bf_stream_def *def, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	struct stream *s = find_stream(t, def->name, 1);
	int rc;
	/* rows waiting for their batch go in with the columns they were read for */
	if ((rc = flush(t, s, err)))
		return rc;
	s->def = def;
	if (s->ready && s->version != def->version && !sqlite3_get_autocommit(t->db)) {
		/* new columns: add them (and redo the views) */
		int added = 0;
		for (size_t i = 0; i < def->ncols; i++)
			if (!has_col(s, def->cols[i].name)) {
				if ((rc = add_column(t, s, def->cols[i].name, def->cols[i].type, err)))
					return rc;
				added = 1;
			}
		if (added && (rc = make_views(t, s, err)))
			return rc;
		return prepare_insert(t, s, err);
	}
	return ensure(t, s, err);
}

static int sq_begin(struct bf_target *bt, const char *loc, const char *date, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	int rc = exec(t, "BEGIN IMMEDIATE", err);
	if (rc || !date)
		return rc;
	/* other loaders may have added streams since this one opened the file */
	if ((rc = read_tables(t, err))) {
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	for (size_t i = 0; i < t->ntables + 1; i++) {
		sqlite3_stmt *st;
		bf_buf_reset(&t->sql);
		bf_buf_adds(&t->sql, "DELETE FROM ");
		if (i < t->ntables) {
			bf_sql_ident(&t->sql, t->tables[i]);
			bf_buf_adds(&t->sql, " WHERE \"_bf_date\" = ?1 AND \"_bf_location\" = ?2");
		} else {
			bf_buf_adds(&t->sql, "_bf_loads WHERE date = ?1 AND location = ?2");
		}
		rc = sqlite3_prepare_v2(t->db, t->sql.p, -1, &st, NULL);
		if (rc != SQLITE_OK)
			break;
		sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, loc, -1, SQLITE_STATIC);
		rc = bf_sqlite_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			break;
		rc = SQLITE_OK;
	}
	if (rc != SQLITE_OK) {
		int code = fail(t, rc, err);
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
		return code;
	}
	return 0;
}

static int step(struct sqlt *t, sqlite3_stmt *st, struct bf_err *err)
{
	int rc = sqlite3_step(st);
	if (rc == SQLITE_BUSY)
		rc = bf_sqlite_step(st);
	sqlite3_reset(st);
	return rc == SQLITE_DONE ? 0 : fail(t, rc, err);
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

/* Inserts the rows waiting in s (full batches through insb, the rest one by one). */
static int flush(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	size_t n = s->pncols, r = 0;
	int rc = 0;
	if (!s->npend)
		return 0;
	if (s->insb && s->npend == s->batch) {
		for (size_t k = 0; k < s->npend * n; k++)
			bind_pcell(s, s->insb, (int)k + 1, &s->pend[k]);
		rc = step(t, s->insb, err);
		r = s->npend;
	}
	for (; r < s->npend && !rc; r++) {
		for (size_t i = 0; i < n; i++)
			bind_pcell(s, s->ins, (int)i + 1, &s->pend[r * n + i]);
		rc = step(t, s->ins, err);
	}
	s->npend = 0;
	bf_buf_reset(&s->arena);
	return rc;
}

static int flush_all(struct sqlt *t, struct bf_err *err)
{
	int rc = 0;
	for (size_t i = 0; i < t->ns && !rc; i++)
		rc = flush(t, &t->s[i], err);
	return rc;
}

static int sq_record(struct bf_target *bt, const struct bf_row *r, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	struct stream *s = find_stream(t, r->def->name, 1);
	int rc;
	s->def = r->def;
	if (!s->ready || s->version != r->def->version) {
		if ((rc = flush(t, s, err)) || (rc = ensure(t, s, err)))
			return rc;
	}
	size_t n = r->def->ncols;
	if (s->npend && s->pncols != n && (rc = flush(t, s, err)))
		return rc;
	s->pncols = n;
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
		return flush(t, s, err);
	return 0;
}

static int sq_commit(struct bf_target *bt, const struct bf_target_part *p, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	int rc = flush_all(t, err);
	if (rc)
		return rc;
	if (p->date) {
		sqlite3_stmt *st;
		rc = sqlite3_prepare_v2(t->db,
			"INSERT OR REPLACE INTO _bf_loads (location, date, source, rows, status, state, loaded_at)"
			" VALUES (?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))", -1, &st, NULL);
		if (rc != SQLITE_OK)
			return fail(t, rc, err);
		sqlite3_bind_text(st, 1, p->location, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, p->date, -1, SQLITE_STATIC);
		if (p->source)
			sqlite3_bind_text(st, 3, p->source, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, p->rows);
		sqlite3_bind_text(st, 5, p->status, -1, SQLITE_STATIC);
		if (p->state_json)
			sqlite3_bind_text(st, 6, p->state_json, -1, SQLITE_STATIC);
		rc = bf_sqlite_step(st);
		sqlite3_finalize(st);
		if (rc != SQLITE_DONE)
			return fail(t, rc, err);
	}
	return exec(t, "COMMIT", err);
}

/* Every bf table of the file (a partition is deleted from all of them). */
static int read_tables(struct sqlt *t, struct bf_err *err)
{
	for (size_t i = 0; i < t->ntables; i++)
		free(t->tables[i]);
	t->ntables = 0;
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(t->db, "SELECT stream FROM _bf_streams ORDER BY stream", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return fail(t, rc, err);
	while (bf_sqlite_step(st) == SQLITE_ROW) {
		t->tables = bf_xrealloc(t->tables, (t->ntables + 1) * sizeof *t->tables);
		t->tables[t->ntables++] = bf_xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return 0;
}

static void sq_rollback(struct bf_target *bt)
{
	struct sqlt *t = (struct sqlt *)bt;
	sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
	/* DDL may have been undone: re-read the tables before the next use */
	for (size_t i = 0; i < t->ns; i++)
		stream_reset(&t->s[i]);
	struct bf_err e = { 0 };
	read_tables(t, &e);
}

static void sq_close(struct bf_target *bt)
{
	struct sqlt *t = (struct sqlt *)bt;
	if (!t)
		return;
	for (size_t i = 0; i < t->ns; i++) {
		stream_reset(&t->s[i]);
		free(t->s[i].name);
		free(t->s[i].pend);
		bf_buf_free(&t->s[i].arena);
	}
	free(t->s);
	for (size_t i = 0; i < t->ntables; i++)
		free(t->tables[i]);
	free(t->tables);
	sqlite3_close(t->db);
	bf_buf_free(&t->sql);
	bf_buf_free(&t->blob);
	free(t->path);
	free(t->base.display);
	free(t);
}

static const struct bf_target_ops sqlite_ops = {
	"sqlite", sq_schema, sq_begin, sq_record, sq_commit, sq_rollback, sq_close,
	NULL, NULL, NULL,
};

static const char target_ddl[] =
	"CREATE TABLE IF NOT EXISTS _bf_streams (stream TEXT PRIMARY KEY, created_at TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS _bf_loads (location TEXT NOT NULL, date TEXT NOT NULL, source TEXT,"
	" rows INTEGER NOT NULL, status TEXT NOT NULL, state TEXT, loaded_at TEXT NOT NULL,"
	" PRIMARY KEY (location, date));";

int bf_target_sqlite_open(const char *path, struct bf_target **out, struct bf_err *err)
{
	struct sqlt *t = bf_xcalloc(1, sizeof *t);
	bf_buf_init(&t->sql);
	bf_buf_init(&t->blob);
	int rc;
	t->base.ops = &sqlite_ops;
	t->base.display = bf_xstrdup(path);
	t->path = bf_xstrdup(path);
	/* a larger page cache for bulk loads; WAL with synchronous=NORMAL stays crash safe */
	struct bf_buf ddl = BF_BUF_INIT;
	bf_target_columns_ddl(&ddl, NULL);
	if ((rc = bf_sqlite_open(path, 1, &t->db, err)) || (rc = exec(t, target_ddl, err)) ||
	    (rc = exec(t, ddl.p, err)) ||
	    (rc = exec(t, "PRAGMA cache_size=-65536; PRAGMA wal_autocheckpoint=10000", err))) {
		bf_buf_free(&ddl);
		sq_close(&t->base);
		return rc;
	}
	bf_buf_free(&ddl);
	if ((rc = read_tables(t, err))) {
		sq_close(&t->base);
		return rc;
	}
	*out = &t->base;
	return 0;
}
