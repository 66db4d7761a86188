/* SQLite target: one table per stream, lineage columns, an index on the partition, and
 * _bf_loads recording each committed partition in the same transaction as its rows. */
#include <stdlib.h>
#include <string.h>

#include "bf_buf.h"
#include "bf_exit.h"
#include "bf_load.h"
#include "bf_sql.h"
#include "bf_state.h"

struct stream {
	char *name;
	cJSON *schema;             /* the last SCHEMA's "schema", to redo DDL after a rollback */
	int ready;                 /* table and insert statement match the database */
	char **cols;
	size_t ncols;
	sqlite3_stmt *ins;
	char **ckey;               /* key order of the previous record -> column index */
	size_t *cidx, ncache;
};

struct sqlt {
	struct bf_target base;
	sqlite3 *db;
	char *path;
	struct stream *s;
	size_t ns;
	char **tables;             /* every bf table in the file (for partition deletes) */
	size_t ntables;
	struct bf_buf sql;
	char **json_tmp;           /* nested values printed for one row */
	size_t njson;
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
	for (size_t i = 0; i < s->ncache; i++)
		free(s->ckey[i]);
	free(s->ckey);
	free(s->cidx);
	s->ckey = NULL;
	s->cidx = NULL;
	s->ncache = 0;
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

static const char *decl_type(const cJSON *prop)
{
	const cJSON *ty = prop ? cJSON_GetObjectItemCaseSensitive(prop, "type") : NULL;
	const cJSON *one = cJSON_IsArray(ty) ? ty->child : ty;
	for (; one; one = cJSON_IsArray(ty) ? one->next : NULL) {
		if (cJSON_IsString(one) && !strcmp(one->valuestring, "integer"))
			return "INTEGER";
		if (cJSON_IsString(one) && strcmp(one->valuestring, "null"))
			break;
	}
	return "TEXT";
}

static int add_column(struct sqlt *t, struct stream *s, const char *name, const cJSON *prop,
		      struct bf_err *err)
{
	bf_buf_reset(&t->sql);
	bf_buf_adds(&t->sql, "ALTER TABLE ");
	bf_sql_ident(&t->sql, s->name);
	bf_buf_adds(&t->sql, " ADD COLUMN ");
	bf_sql_ident(&t->sql, name);
	bf_buf_addc(&t->sql, ' ');
	bf_buf_adds(&t->sql, decl_type(prop));
	int rc = exec(t, t->sql.p, err);
	if (rc)
		return rc;
	s->cols = bf_xrealloc(s->cols, (s->ncols + 1) * sizeof *s->cols);
	s->cols[s->ncols++] = bf_xstrdup(name);
	return 0;
}

static const char *const lineage[] = { "_bf_date", "_bf_location", "_bf_source", "_bf_line" };

static int create_table(struct sqlt *t, struct stream *s, const cJSON *props, struct bf_err *err)
{
	struct bf_buf *q = &t->sql;
	bf_buf_reset(q);
	bf_buf_adds(q, "CREATE TABLE ");
	bf_sql_ident(q, s->name);
	bf_buf_adds(q, " (");
	int n = 0;
	for (const cJSON *p = props ? props->child : NULL; p; p = p->next) {
		int lin = 0;
		for (int i = 0; i < 4; i++)
			lin |= !strcmp(p->string, lineage[i]);
		if (lin)
			continue;
		bf_buf_adds(q, n++ ? ", " : "");
		bf_sql_ident(q, p->string);
		bf_buf_addc(q, ' ');
		bf_buf_adds(q, decl_type(p));
	}
	bf_buf_adds(q, n ? ", " : "");
	bf_buf_adds(q, "\"_bf_date\" TEXT, \"_bf_location\" TEXT, \"_bf_source\" TEXT, \"_bf_line\" INTEGER)");
	int rc = exec(t, q->p, err);
	if (rc)
		return rc;
	bf_buf_reset(q);
	bf_buf_adds(q, "CREATE INDEX ");
	char *ix = bf_xmalloc(strlen(s->name) + 16);
	strcpy(ix, s->name);
	strcat(ix, "__bf_partition");
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
	t->tables = bf_xrealloc(t->tables, (t->ntables + 1) * sizeof *t->tables);
	t->tables[t->ntables++] = bf_xstrdup(s->name);
	return load_cols(t, s, err);
}

static int prepare_insert(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	struct bf_buf *q = &t->sql;
	sqlite3_finalize(s->ins);
	s->ins = NULL;
	for (size_t i = 0; i < s->ncache; i++)
		free(s->ckey[i]);
	s->ncache = 0;
	bf_buf_reset(q);
	bf_buf_adds(q, "INSERT INTO ");
	bf_sql_ident(q, s->name);
	bf_buf_adds(q, " (");
	for (size_t i = 0; i < s->ncols; i++) {
		bf_buf_adds(q, i ? ", " : "");
		bf_sql_ident(q, s->cols[i]);
	}
	bf_buf_adds(q, ") VALUES (");
	for (size_t i = 0; i < s->ncols; i++)
		bf_buf_adds(q, i ? ", ?" : "?");
	bf_buf_addc(q, ')');
	int rc = sqlite3_prepare_v2(t->db, q->p, -1, &s->ins, NULL);
	return rc == SQLITE_OK ? 0 : fail(t, rc, err);
}

/* Makes the table hold every column of the stream's schema. */
static int ensure(struct sqlt *t, struct stream *s, struct bf_err *err)
{
	const cJSON *props = s->schema ? cJSON_GetObjectItemCaseSensitive(s->schema, "properties") : NULL;
	int rc, changed = 0;
	if (!s->ready || !s->ins) {
		if ((rc = load_cols(t, s, err)))
			return rc;
		changed = 1;
	}
	if (s->ncols == 0) {
		if ((rc = create_table(t, s, props, err)))
			return rc;
	} else {
		for (const cJSON *p = props ? props->child : NULL; p; p = p->next)
			if (!has_col(s, p->string)) {
				if ((rc = add_column(t, s, p->string, p, err)))
					return rc;
				changed = 1;
			}
	}
	if (changed || !s->ins)
		if ((rc = prepare_insert(t, s, err)))
			return rc;
	s->ready = 1;
	return 0;
}

static int sq_schema(struct bf_target *bt, const struct bf_msg *m, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	struct stream *s = find_stream(t, m->stream, 1);
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(m->schema, "properties");
	if (props && !cJSON_IsObject(props))
		return bf_fail(err, BF_EDATA, "stdin", "line %ld: schema \"properties\" is not an object", m->lineno);
	/* keep the union of every schema seen for the stream */
	if (!s->schema)
		s->schema = cJSON_Duplicate(m->schema, 1);
	else {
		cJSON *have = cJSON_GetObjectItemCaseSensitive(s->schema, "properties");
		if (!have)
			have = cJSON_AddObjectToObject(s->schema, "properties");
		for (const cJSON *p = props ? props->child : NULL; p; p = p->next)
			if (!cJSON_GetObjectItemCaseSensitive(have, p->string))
				cJSON_AddItemToObject(have, p->string, cJSON_Duplicate(p, 1));
	}
	s->ready = 0;
	return ensure(t, s, err);
}

static int sq_begin(struct bf_target *bt, const char *loc, const char *date, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	int rc = exec(t, "BEGIN IMMEDIATE", err);
	if (rc || !date)
		return rc;
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

static long find_col(struct stream *s, const char *key)
{
	for (size_t i = 0; i < s->ncols; i++)
		if (!strcmp(s->cols[i], key))
			return (long)i;
	return -1;
}

static int sq_record(struct bf_target *bt, const struct bf_msg *m, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	struct stream *s = find_stream(t, m->stream, 1);
	int rc;
	if (!s->ready && (rc = ensure(t, s, err)))
		return rc;
	sqlite3_clear_bindings(s->ins);
	size_t i = 0;
	for (const cJSON *v = m->record->child; v; v = v->next, i++) {
		long idx = -1;
		if (i < s->ncache && !strcmp(s->ckey[i], v->string))
			idx = (long)s->cidx[i];
		if (idx < 0) {
			idx = find_col(s, v->string);
			if (idx < 0) {
				/* a column no SCHEMA announced: widen the table */
				if ((rc = add_column(t, s, v->string, NULL, err)) ||
				    (rc = prepare_insert(t, s, err)))
					return rc;
				return sq_record(bt, m, err);
			}
			if (i >= s->ncache) {
				s->ckey = bf_xrealloc(s->ckey, (i + 1) * sizeof *s->ckey);
				s->cidx = bf_xrealloc(s->cidx, (i + 1) * sizeof *s->cidx);
				for (size_t k = s->ncache; k <= i; k++) {
					s->ckey[k] = bf_xstrdup("");
					s->cidx[k] = 0;
				}
				s->ncache = i + 1;
			}
			free(s->ckey[i]);
			s->ckey[i] = bf_xstrdup(v->string);
			s->cidx[i] = (size_t)idx;
		}
		int p = (int)idx + 1;
		if (cJSON_IsString(v)) {
			sqlite3_bind_text(s->ins, p, v->valuestring, -1, SQLITE_STATIC);
		} else if (cJSON_IsNumber(v)) {
			double d = v->valuedouble;
			if (d == (double)(long long)d && d > -9.0e15 && d < 9.0e15)
				sqlite3_bind_int64(s->ins, p, (long long)d);
			else
				sqlite3_bind_double(s->ins, p, d);
		} else if (cJSON_IsBool(v)) {
			sqlite3_bind_int(s->ins, p, cJSON_IsTrue(v));
		} else if (!cJSON_IsNull(v)) {
			char *j = cJSON_PrintUnformatted(v);
			sqlite3_bind_text(s->ins, p, j ? j : "", -1, SQLITE_TRANSIENT);
			cJSON_free(j);
		}
	}
	rc = bf_sqlite_step(s->ins);
	sqlite3_reset(s->ins);
	return rc == SQLITE_DONE ? 0 : fail(t, rc, err);
}

static int sq_commit(struct bf_target *bt, const struct bf_load_part *p, struct bf_err *err)
{
	struct sqlt *t = (struct sqlt *)bt;
	int rc;
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

static void sq_rollback(struct bf_target *bt)
{
	struct sqlt *t = (struct sqlt *)bt;
	sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
	/* DDL may have been undone: re-read the tables before the next use */
	for (size_t i = 0; i < t->ns; i++)
		stream_reset(&t->s[i]);
}

static void sq_close(struct bf_target *bt)
{
	struct sqlt *t = (struct sqlt *)bt;
	if (!t)
		return;
	for (size_t i = 0; i < t->ns; i++) {
		stream_reset(&t->s[i]);
		free(t->s[i].name);
		cJSON_Delete(t->s[i].schema);
	}
	free(t->s);
	for (size_t i = 0; i < t->ntables; i++)
		free(t->tables[i]);
	free(t->tables);
	sqlite3_close(t->db);
	bf_buf_free(&t->sql);
	free(t->path);
	free(t->base.display);
	free(t);
}

static const struct bf_target_ops sqlite_ops = {
	"sqlite", sq_schema, sq_begin, sq_record, sq_commit, sq_rollback, sq_close,
};

static const char target_ddl[] =
	"CREATE TABLE IF NOT EXISTS _bf_streams (stream TEXT PRIMARY KEY, created_at TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS _bf_loads (location TEXT NOT NULL, date TEXT NOT NULL, source TEXT,"
	" rows INTEGER NOT NULL, status TEXT NOT NULL, state TEXT, loaded_at TEXT NOT NULL,"
	" PRIMARY KEY (location, date));";

int bf_target_sqlite_open(const char *path, struct bf_target **out, struct bf_err *err)
{
	struct sqlt *t = bf_xcalloc(1, sizeof *t);
	int rc;
	t->base.ops = &sqlite_ops;
	t->base.display = bf_xstrdup(path);
	t->path = bf_xstrdup(path);
	if ((rc = bf_sqlite_open(path, 1, &t->db, err)) || (rc = exec(t, target_ddl, err))) {
		sq_close(&t->base);
		return rc;
	}
	sqlite3_stmt *st;
	rc = sqlite3_prepare_v2(t->db, "SELECT stream FROM _bf_streams ORDER BY stream", -1, &st, NULL);
	if (rc != SQLITE_OK) {
		rc = fail(t, rc, err);
		sq_close(&t->base);
		return rc;
	}
	while (bf_sqlite_step(st) == SQLITE_ROW) {
		t->tables = bf_xrealloc(t->tables, (t->ntables + 1) * sizeof *t->tables);
		t->tables[t->ntables++] = bf_xstrdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	*out = &t->base;
	return 0;
}
