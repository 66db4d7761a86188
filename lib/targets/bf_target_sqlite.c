/* SQLite target: one table per stream, lineage columns, an index on the partition, and
 * _bf_loads recording each committed partition in the same transaction as its rows.
 * _bf_streams lists the tables bf-load created (no other table is ever written to) and
 * the key each was upserted by when records came without lineage; _bf_columns describes
 * their columns (targets/bf_target_columns.h). Commits are durable when they return (WAL
 * with synchronous=FULL): the state file marks a partition only after. The rows
 * themselves go in through bf_target_sqlite_rows.c. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "targets/bf_target_columns.h"
#include "targets/bf_target_sqlite_int.h"
#include "targets/bf_target_views.h"
#include "base/bf_sql.h"
#include "state/bf_state.h"

static int sqt_fail(struct sqlt *t, int rc, struct bf_err *err)
{
	return bf_sqlite_fail(t->db, rc, t->path, err);
}

static int sqt_exec(struct sqlt *t, const char *sql, struct bf_err *err)
{
	return bf_sqlite_exec(t->db, sql, t->path, err);
}

static void stream_reset(struct sqlt *t, struct stream *s)
{
	for (size_t i = 0; i < s->ncols; i++)
		free(s->cols[i]);
	free(s->cols);
	s->cols = NULL;
	s->ncols = 0;
	sqt_drop_stmts(t, s);
	s->npend = 0;
	bf_buf_reset(&s->arena);
	s->ready = s->keyed = 0;
}

static struct stream *sqt_stream(struct sqlt *t, const struct bf_stream_def *def)
{
	size_t i;
	/* the loop keeps one definition a stream: most records are of the last stream */
	if (t->last && t->last->def == def)
		return t->last;
	const char *name = bf_target_table_name(def->name, &t->tmp);
	if (bf_strmap_get(&t->byname, name, &i)) {
		t->s[i]->def = def;
		return t->last = t->s[i];
	}
	t->s = bf_xrealloc(t->s, (t->ns + 1) * sizeof *t->s);
	struct stream *s = bf_xcalloc(1, sizeof *s);
	bf_buf_init(&s->arena);
	s->name = bf_xstrdup(name);
	s->def = def;
	s->batch = 1;
	bf_strmap_put(&t->byname, name, t->ns);
	t->s[t->ns++] = s;
	return t->last = s;
}

/* Every bf table of the file (a partition is deleted from all of them), with its key. */
static int read_tables(struct sqlt *t, struct bf_err *err)
{
	bf_known_clear(&t->known);
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(t->db, "SELECT stream, key_properties FROM _bf_streams ORDER BY stream",
				    -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqt_fail(t, rc, err);
	while ((rc = bf_sqlite_step(st)) == SQLITE_ROW)
		bf_known_add(&t->known, (const char *)sqlite3_column_text(st, 0),
			     (const char *)sqlite3_column_text(st, 1));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqt_fail(t, rc, err);
}

/* Reads the table's columns; returns 0 (ncols 0 when there is no table or view of that
 * name) or a code. */
static int load_cols(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	sqlite3_stmt *st;
	int rc = sqlite3_prepare_v2(t->db, "SELECT name FROM pragma_table_info(?)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqt_fail(t, rc, err);
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	for (size_t i = 0; i < s->ncols; i++)
		free(s->cols[i]);
	s->ncols = 0;
	while ((rc = bf_sqlite_step(st)) == SQLITE_ROW) {
		s->cols = bf_xrealloc(s->cols, (s->ncols + 1) * sizeof *s->cols);
		s->cols[s->ncols++] = bf_xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqt_fail(t, rc, err);
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

/* The type of the table or view named name ("table", "view") in out, "" when there is
 * none. Looked up in the connection's schema first (sqlite_schema has no index on names). */
static int object_type(struct sqlt *t, const char *name, char out[16], struct bf_err *err)
{
	sqlite3_stmt *st;
	out[0] = '\0';
	int rc = sqlite3_prepare_v2(t->db, "SELECT count(*) FROM pragma_table_info(?)", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqt_fail(t, rc, err);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(st);
	int there = rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sqt_fail(t, rc, err);
	if (!there)
		return 0;
	rc = sqlite3_prepare_v2(t->db, "SELECT type FROM sqlite_schema WHERE name = ? COLLATE NOCASE"
				" AND type IN ('table', 'view')", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqt_fail(t, rc, err);
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(st);
	snprintf(out, 16, "%s", rc == SQLITE_ROW ? (const char *)sqlite3_column_text(st, 0) : "table");
	sqlite3_finalize(st);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : sqt_fail(t, rc, err);
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
	int rc = sqt_exec(t, t->sql.p, err);
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
	bf_buf_adds(q, ");\nCREATE INDEX ");
	bf_sql_index_ident(q, s->name, "bf_partition");
	bf_buf_adds(q, " ON ");
	bf_sql_ident(q, s->name);
	bf_buf_adds(q, " (\"_bf_date\", \"_bf_location\")");
	int rc = sqlite3_exec(t->db, q->p, NULL, NULL, NULL);
	if (rc != SQLITE_OK && strstr(sqlite3_errmsg(t->db), "already exists"))
		return bf_fail(err, BF_ECONFIG, t->path, "stream %s: %s; bf-load never touches what it did "
			       "not create", d->name, sqlite3_errmsg(t->db));
	if (rc != SQLITE_OK)
		return sqt_fail(t, rc, err);
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(t->db, "INSERT OR IGNORE INTO _bf_streams (stream, created_at)"
				" VALUES (?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqt_fail(t, rc, err);
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqt_fail(t, rc, err);
	if (!bf_known_find(&t->known, s->name))
		bf_known_add(&t->known, s->name, NULL);
	return load_cols(t, s, err);
}

/* The views of the table, except where a table or view bf-load did not make holds the
 * name: that object is left alone (and a warning says so). */
static int make_views(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	int which = 0, rc;
	char type[16];
	for (int v = BF_VIEW_OPEN; v <= BF_VIEW_DAILY; v <<= 1) {
		const char *name = bf_target_view_name(s->name, v, &t->tmp);
		if ((rc = object_type(t, name, type, err)))
			return rc;
		if (!type[0] || !strcmp(type, "view"))
			which |= v;
		else
			bf_warn(t->path, "view %s not made: a %s of that name is there that is not bf-load's view",
				name, type);
	}
	bf_buf_reset(&t->sql);
	bf_target_views_sql(&t->sql, NULL, s->name, has_col_cb, s, s->def->amount, 0, which);
	return which ? sqt_exec(t, t->sql.p, err) : 0;
}

/* Records def's key as the table's and makes its unique index (dropping an old one). */
static int set_key(struct sqlt *t, struct stream *s, struct bf_known_table *kn, struct bf_err *err)
{
	const struct bf_stream_def *d = s->def;
	struct bf_buf *q = &t->sql;
	bf_buf_reset(q);
	bf_buf_adds(q, "DROP INDEX IF EXISTS ");
	bf_sql_index_ident(q, s->name, "bf_key");
	if (d->nkeys) {
		bf_buf_adds(q, ";\nCREATE UNIQUE INDEX ");
		bf_sql_index_ident(q, s->name, "bf_key");
		bf_buf_adds(q, " ON ");
		bf_sql_ident(q, s->name);
		bf_buf_adds(q, " (");
		for (size_t k = 0; k < d->nkeys; k++) {
			bf_buf_adds(q, k ? ", " : "");
			bf_sql_ident(q, d->keys[k]);
		}
		bf_buf_addc(q, ')');
	}
	int rc = sqlite3_exec(t->db, q->p, NULL, NULL, NULL);
	if ((rc & 0xff) == SQLITE_CONSTRAINT)
		return bf_fail(err, BF_EDATA, t->path, "table %s: its rows repeat the key %s, so it cannot be "
			       "made unique (remove the repeated rows first)", s->name, bf_target_keys_json(d, &t->tmp));
	if (rc != SQLITE_OK)
		return sqt_fail(t, rc, err);
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(t->db, "UPDATE _bf_streams SET key_properties = ? WHERE stream = ?", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqt_fail(t, rc, err);
	sqlite3_bind_text(st, 1, bf_target_keys_json(d, &t->tmp), -1, SQLITE_TRANSIENT);
	sqlite3_bind_text(st, 2, s->name, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE)
		return sqt_fail(t, rc, err);
	free(kn->keys);
	kn->keys = bf_xstrdup(bf_target_keys_json(d, &t->tmp));
	sqt_drop_stmts(t, s);
	return 0;
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
		return sqt_fail(t, rc, err);
	bf_target_columns_json(s->def, &json);
	sqlite3_bind_text(st, 1, s->name, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, json.p, (int)json.len, SQLITE_STATIC);
	rc = bf_sqlite_step(st);
	sqlite3_finalize(st);
	bf_buf_free(&json);
	return rc == SQLITE_DONE ? 0 : sqt_fail(t, rc, err);
}

/* A table upserted or appended to without lineage keeps its key: another one is refused,
 * or with --rebuild-keys its unique index is made again. Records without lineage give a
 * table that had none its first key (in their transaction). */
static int check_key(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	struct bf_known_table *kn = bf_known_find(&t->known, s->name);
	if (!kn)
		return 0;
	switch (bf_known_key(kn, s->def, t->foreign, t->rebuild_keys, t->path, s->name, err)) {
	case BF_KEY_SET: return set_key(t, s, kn, err);
	case BF_KEY_REFUSE: return BF_EDATA;
	default: return 0;
	}
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
	if (s->ncols && !bf_known_find(&t->known, s->name)) {
		/* another loader may have made it since the list was read */
		if ((rc = read_tables(t, err)))
			return rc;
		if (!bf_known_find(&t->known, s->name))
			return bf_fail(err, BF_ECONFIG, t->path, "stream %s: a table or view %s is there that "
				       "bf-load did not create; it is never written to (rename it, or load into "
				       "another file)", d->name, s->name);
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
	/* _bf_columns follows every change of the stream's definition */
	if ((changed || s->version != d->version) && (rc = describe(t, s, err)))
		return rc;
	if ((rc = check_key(t, s, err)))
		return rc;
	s->version = d->version;
	s->keyed = t->foreign;
	s->ready = 1;
	return 0;
}

/* Outside a partition's transaction the DDL takes the write lock first and looks at the
 * table again under it, so that two loaders starting on one warehouse never both create
 * the table or add the same column. */
static int sqt_ensure(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	if (!sqlite3_get_autocommit(t->db))
		return ensure_locked(t, s, err);
	int rc = sqt_exec(t, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	s->ready = 0;
	rc = ensure_locked(t, s, err);
	if (rc) {
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
		s->ready = 0;
		return rc;
	}
	return sqt_exec(t, "COMMIT", err);
}

static int sq_schema(struct bf_target *bt, const struct bf_stream_def *def, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	struct stream *s = sqt_stream(t, def);
	int rc;
	/* rows waiting for their batch go in with the columns they were read for */
	if ((rc = sqt_flush(t, s, err)))
		return rc;
	s->keyed = 0;
	if (s->ready && !sqlite3_get_autocommit(t->db))
		return ensure_locked(t, s, err);
	return sqt_ensure(t, s, err);
}

static int sq_record(struct bf_target *bt, const struct bf_row *r, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	struct stream *s = sqt_stream(t, r->def);
	int rc;
	if ((!s->ready || s->version != r->def->version || (t->foreign && !s->keyed)) &&
	    ((rc = sqt_flush(t, s, err)) || (rc = sqt_ensure(t, s, err))))
		return rc;
	return sqt_add_row(t, s, r, err);
}

static int delete_partition(struct sqlt *t, const char *table, const char *loc, const char *date,
			    struct bf_err *err)
{
	sqlite3_stmt *st;
	bf_buf_reset(&t->sql);
	bf_buf_adds(&t->sql, "DELETE FROM ");
	if (table) {
		bf_sql_ident(&t->sql, table);
		bf_buf_adds(&t->sql, " WHERE \"_bf_date\" = ?1 AND \"_bf_location\" = ?2");
	} else {
		bf_buf_adds(&t->sql, "_bf_loads WHERE date = ?1 AND location = ?2");
	}
	int rc = sqlite3_prepare_v2(t->db, t->sql.p, -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqt_fail(t, rc, err);
	sqlite3_bind_text(st, 1, date, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, loc, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : sqt_fail(t, rc, err);
}

static int sq_begin(struct bf_target *bt, const char *loc, const char *date, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	int rc = sqt_exec(t, "BEGIN IMMEDIATE", err);
	if (rc)
		return rc;
	t->foreign = date == NULL;
	for (size_t i = 0; i < t->ns; i++)
		t->s[i]->keyed = 0;
	if (!date)
		return 0;
	/* other loaders may have added streams since this one opened the file */
	rc = read_tables(t, err);
	for (size_t i = 0; i < t->known.n && !rc; i++)
		rc = delete_partition(t, t->known.t[i].name, loc, date, err);
	if (!rc)
		rc = delete_partition(t, NULL, loc, date, err);
	if (rc)
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

static int sq_commit(struct bf_target *bt, const struct bf_target_part *p, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	int rc = sqt_flush_all(t, err);
	if (rc)
		return rc;
	if (p->date) {
		sqlite3_stmt *st;
		rc = sqlite3_prepare_v2(t->db,
			"INSERT OR REPLACE INTO _bf_loads (location, date, source, rows, status, state, loaded_at)"
			" VALUES (?, ?, ?, ?, ?, ?, strftime('%Y-%m-%dT%H:%M:%SZ','now'))", -1, &st, NULL);
		if (rc != SQLITE_OK)
			return sqt_fail(t, rc, err);
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
			return sqt_fail(t, rc, err);
	}
	/* synchronous=FULL: the commit is on disk when it returns */
	if ((rc = sqt_exec(t, "COMMIT", err)))
		return rc;
	t->foreign = 0;
	sqt_trim_stmts(t);
	return 0;
}

static void sq_rollback(struct bf_target *bt)
{
	struct sqlt *t = (struct sqlt *)bt;
	sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
	t->foreign = 0;
	/* DDL may have been undone: re-read the tables before the next use */
	for (size_t i = 0; i < t->ns; i++)
		stream_reset(t, t->s[i]);
	struct bf_err e = { 0 };
	read_tables(t, &e);
}

/* The last commits are in the WAL, synced; copying them into the database file is where a
 * failing disk shows last: a checkpoint here reports it instead of the silent one at close. */
static int sq_finish(struct bf_target *bt, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	int rc = sqlite3_wal_checkpoint_v2(t->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return rc == SQLITE_OK ? 0 : sqt_fail(t, rc, err);
}

static int sq_loads(struct bf_target *bt,
		    int (*fn)(void *arg, const char *location, const char *date, const char *source),
		    void *arg, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	sqlite3_stmt *st;
	if (!t->db)
		return 0;          /* opened read-only where no file is yet */
	int rc = sqlite3_prepare_v2(t->db, "SELECT location, date, source FROM _bf_loads", -1, &st, NULL);
	if (rc != SQLITE_OK && strstr(sqlite3_errmsg(t->db), "no such table"))
		return 0;          /* a file bf-load never wrote to */
	if (rc != SQLITE_OK)
		return sqt_fail(t, rc, err);
	int stop = 0;
	while (!stop && (rc = bf_sqlite_step(st)) == SQLITE_ROW)
		stop = fn(arg, (const char *)sqlite3_column_text(st, 0), (const char *)sqlite3_column_text(st, 1),
			  (const char *)sqlite3_column_text(st, 2));
	sqlite3_finalize(st);
	return stop || rc == SQLITE_DONE ? 0 : sqt_fail(t, rc, err);
}

static void sq_close(struct bf_target *bt)
{
	struct sqlt *t = (struct sqlt *)bt;
	if (!t)
		return;
	for (size_t i = 0; i < t->ns; i++) {
		stream_reset(t, t->s[i]);
		free(t->s[i]->name);
		free(t->s[i]->pend);
		bf_buf_free(&t->s[i]->arena);
		free(t->s[i]);
	}
	free(t->s);
	bf_strmap_free(&t->byname);
	bf_known_free(&t->known);
	sqlite3_close(t->db);
	bf_buf_free(&t->sql);
	bf_buf_free(&t->blob);
	bf_buf_free(&t->tmp);
	free(t->path);
	free(t->base.display);
	free(t);
}

static const struct bf_target_ops sqlite_ops = {
	"sqlite", sq_schema, sq_begin, sq_record, sq_commit, sq_rollback, sq_close,
	NULL, NULL, NULL, sq_finish, sq_loads,
};

static const char target_ddl[] =
	"CREATE TABLE IF NOT EXISTS _bf_streams (stream TEXT PRIMARY KEY, created_at TEXT NOT NULL,"
	" key_properties TEXT);"
	"CREATE TABLE IF NOT EXISTS _bf_loads (location TEXT NOT NULL, date TEXT NOT NULL, source TEXT,"
	" rows INTEGER NOT NULL, status TEXT NOT NULL, state TEXT, loaded_at TEXT NOT NULL,"
	" PRIMARY KEY (location, date));";

/* The tables bf-load keeps (_bf_columns: targets/bf_target_columns.h), and key_properties in a _bf_streams from before keys. */
static int make_own_tables(struct sqlt *t, struct bf_err *err)
{
	struct bf_buf ddl = BF_BUF_INIT;
	bf_target_columns_ddl(&ddl, NULL);
	int rc = sqt_exec(t, target_ddl, err);
	if (!rc)
		rc = sqt_exec(t, ddl.p, err);
	bf_buf_free(&ddl);
	if (rc)
		return rc;
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(t->db, "SELECT count(*) FROM pragma_table_info('_bf_streams')"
				" WHERE name = 'key_properties'", -1, &st, NULL);
	if (rc != SQLITE_OK)
		return sqt_fail(t, rc, err);
	rc = bf_sqlite_step(st);
	int have = rc == SQLITE_ROW && sqlite3_column_int(st, 0) > 0;
	sqlite3_finalize(st);
	if (rc != SQLITE_ROW)
		return sqt_fail(t, rc, err);
	if (have)
		return 0;
	/* under the write lock: two loaders may find it missing at once */
	if ((rc = sqt_exec(t, "BEGIN IMMEDIATE", err)))
		return rc;
	rc = sqlite3_exec(t->db, "ALTER TABLE _bf_streams ADD COLUMN key_properties TEXT", NULL, NULL, NULL);
	if (rc != SQLITE_OK && !strstr(sqlite3_errmsg(t->db), "duplicate column")) {
		rc = sqt_fail(t, rc, err);
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	return sqt_exec(t, "COMMIT", err);
}

int bf_target_sqlite_open(const char *path, const struct bf_target_opts *o, struct bf_target **out,
			  struct bf_err *err)
{
	struct sqlt *t = bf_xcalloc(1, sizeof *t);
	bf_buf_init(&t->sql);
	bf_buf_init(&t->blob);
	bf_buf_init(&t->tmp);
	int rc;
	t->base.ops = &sqlite_ops;
	t->base.display = bf_xstrdup(path);
	t->path = bf_xstrdup(path);
	t->rebuild_keys = o && o->rebuild_keys;
	t->known.fold = 1;         /* SQLite's names are the same whatever their case */
	if (o && o->read_only) {
		/* to read _bf_loads only; a file not there yet holds nothing */
		if (access(path, F_OK) == 0 && (rc = bf_sqlite_open_readonly(path, &t->db, err))) {
			sq_close(&t->base);
			return rc;
		}
		*out = &t->base;
		return 0;
	}
	/* a larger page cache for bulk loads; each commit synced (WAL, synchronous=FULL) */
	if ((rc = bf_sqlite_open(path, 1, &t->db, err)) ||
	    (rc = sqt_exec(t, "PRAGMA synchronous=FULL; PRAGMA cache_size=-65536;"
			   " PRAGMA wal_autocheckpoint=10000", err)) ||
	    (rc = make_own_tables(t, err)) || (rc = read_tables(t, err))) {
		sq_close(&t->base);
		return rc;
	}
	*out = &t->base;
	return 0;
}
