/* The SQLite warehouse for lib/search (the contract of search/bf_search_db.h).
 *
 * Generations: bf-search adds (once, when it may write) a table _bf_search_gen and
 * triggers on _bf_loads that give a partition a new number from a counter in the very
 * transaction in which bf-load replaces it (or a user deletes it). A compact-index chunk
 * or a cached partition is current while its number is the partition's; a kill mid-load
 * rolls the number back with the rows. Text: an FTS5 table over the stream's text
 * columns whose rows follow the table through triggers, in the same transactions. */
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sqlite3.h>

#include "base/bf_exit.h"
#include "search/bf_search_db.h"
#include "state/bf_state.h"
#include "base/bf_sql.h"

struct sq {
	struct bf_sdb base;
	sqlite3 *db;
	char *path;
	struct bf_buf sql;
	int has_gen, has_cols;
};

static int fail(struct sq *d, int rc, struct bf_err *err)
{
	return bf_sqlite_fail(d->db, rc, d->path, err);
}

static int exec(struct sq *d, const char *sql, struct bf_err *err)
{
	return bf_sqlite_exec(d->db, sql, d->path, err);
}

static int prepare(struct sq *d, const char *sql, sqlite3_stmt **st, struct bf_err *err)
{
	int rc = sqlite3_prepare_v2(d->db, sql, -1, st, NULL);
	return rc == SQLITE_OK ? 0 : fail(d, rc, err);
}

/* 1 when the table exists, 0 when not, -1 when the file cannot be read (the error in d->db). */
static int has_table(struct sq *d, const char *name)
{
	sqlite3_stmt *st;
	if (sqlite3_prepare_v2(d->db, "SELECT 1 FROM sqlite_master WHERE name = ?", -1, &st, NULL))
		return -1;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int rc = bf_sqlite_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_ROW ? 1 : rc == SQLITE_DONE ? 0 : -1;
}

static void ident_suffixed(struct bf_buf *q, const char *prefix, const char *name, const char *suffix)
{
	struct bf_buf b = BF_BUF_INIT;
	bf_buf_adds(&b, prefix);
	bf_buf_adds(&b, name);
	bf_buf_adds(&b, suffix);
	bf_sql_ident(q, b.p);
	bf_buf_free(&b);
}

/* ---- columns and partitions ---- */

static int sq_columns(struct bf_sdb *bd, struct bf_sdb_col **out, size_t *n, struct bf_err *err)
{
	struct sq *d = (struct sq *)bd;
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	int has = has_table(d, "_bf_streams");
	if (has < 0)
		return bf_fail(err, BF_EIO, d->path, "cannot read: %s", sqlite3_errmsg(d->db));
	if (!has)
		return bf_fail(err, BF_EDATA, d->path, "not a warehouse bf-load wrote (no _bf_streams table)");
	d->has_cols = has_table(d, "_bf_columns") == 1;
	const char *sql = d->has_cols
		? "SELECT s.stream, p.name, coalesce(c.type, CASE upper(p.type) WHEN 'BLOB' THEN 'vector'"
		  " WHEN 'INTEGER' THEN 'integer' ELSE 'string' END), c.embedding"
		  " FROM _bf_streams s JOIN pragma_table_info(s.stream) p"
		  " LEFT JOIN _bf_columns c ON c.stream = s.stream AND c.\"column\" = p.name"
		  " ORDER BY s.stream, p.cid"
		: "SELECT s.stream, p.name, CASE upper(p.type) WHEN 'BLOB' THEN 'vector'"
		  " WHEN 'INTEGER' THEN 'integer' ELSE 'string' END, NULL"
		  " FROM _bf_streams s JOIN pragma_table_info(s.stream) p ORDER BY s.stream, p.cid";
	int rc = prepare(d, sql, &st, err);
	if (rc)
		return rc;
	size_t cap = 0;
	while ((rc = bf_sqlite_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 32;
			*out = bf_xrealloc(*out, cap * sizeof **out);
		}
		struct bf_sdb_col *c = &(*out)[(*n)++];
		c->stream = bf_xstrdup((const char *)sqlite3_column_text(st, 0));
		c->name = bf_xstrdup((const char *)sqlite3_column_text(st, 1));
		c->type = bf_xstrdup((const char *)sqlite3_column_text(st, 2));
		const char *e = (const char *)sqlite3_column_text(st, 3);
		c->embedding = e ? bf_xstrdup(e) : NULL;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(d, rc, err);
}

static int sq_parts(struct bf_sdb *bd, struct bf_sdb_part **out, size_t *n, struct bf_err *err)
{
	struct sq *d = (struct sq *)bd;
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	d->has_gen = has_table(d, "_bf_search_gen") == 1;
	int rc = prepare(d, d->has_gen
			 ? "SELECT l.location, l.date, coalesce(g.gen, 0) FROM _bf_loads l"
			   " LEFT JOIN _bf_search_gen g ON g.location = l.location AND g.date = l.date"
			   " ORDER BY l.date, l.location"
			 : "SELECT location, date, -1 FROM _bf_loads ORDER BY date, location", &st, err);
	if (rc)
		return rc;
	size_t cap = 0;
	while ((rc = bf_sqlite_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = bf_xrealloc(*out, cap * sizeof **out);
		}
		struct bf_sdb_part *p = &(*out)[(*n)++];
		p->loc = bf_xstrdup((const char *)sqlite3_column_text(st, 0));
		p->date = bf_xstrdup((const char *)sqlite3_column_text(st, 1));
		p->gen = sqlite3_column_int64(st, 2);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(d, rc, err);
}

static int64_t sq_data_version(struct bf_sdb *bd)
{
	struct sq *d = (struct sq *)bd;
	sqlite3_stmt *st;
	int64_t v = -1;
	if (sqlite3_prepare_v2(d->db, "PRAGMA data_version", -1, &st, NULL) == SQLITE_OK) {
		if (bf_sqlite_step(st) == SQLITE_ROW)
			v = sqlite3_column_int64(st, 0);
		sqlite3_finalize(st);
	}
	return v;
}

/* ---- vectors ---- */

/* Appends the WHERE conditions of a filter (bound from parameter *np on). */
static void add_filter(struct bf_buf *q, const struct bf_sdb_filter *f, int has_closure, const char *alias)
{
	const char *a = alias ? alias : "";
	if (!f)
		return;
	if (f->start_date)
		bf_buf_addf(q, " AND %s\"_bf_date\" >= :sd", a);
	if (f->end_date)
		bf_buf_addf(q, " AND %s\"_bf_date\" <= :ed", a);
	if (f->location)
		bf_buf_addf(q, " AND %s\"_bf_location\" = :loc", a);
	if (!f->include_closures && has_closure)
		bf_buf_addf(q, " AND %s\"closure_indicator\" IS NOT TRUE", a);
}

static void bind_named(sqlite3_stmt *st, const char *name, const char *v)
{
	int i = sqlite3_bind_parameter_index(st, name);
	if (i > 0)
		sqlite3_bind_text(st, i, v, -1, SQLITE_STATIC);
}

static void bind_filter(sqlite3_stmt *st, const struct bf_sdb_filter *f)
{
	if (!f)
		return;
	bind_named(st, ":sd", f->start_date);
	bind_named(st, ":ed", f->end_date);
	bind_named(st, ":loc", f->location);
}

/* The floats of a BLOB of little-endian float32 (into buf when the host is big-endian). */
static const float *blob_floats(const void *blob, size_t bytes, struct bf_buf *buf)
{
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_BIG_ENDIAN__
	bf_buf_reset(buf);
	bf_buf_grow(buf, bytes);
	const unsigned char *s = blob;
	unsigned char *o = (unsigned char *)buf->p;
	for (size_t i = 0; i + 4 <= bytes; i += 4) {
		o[i] = s[i + 3];
		o[i + 1] = s[i + 2];
		o[i + 2] = s[i + 1];
		o[i + 3] = s[i];
	}
	return (const float *)(const void *)buf->p;
#else
	(void)bytes;
	(void)buf;
	return blob;
#endif
}

static int sq_scan(struct bf_sdb *bd, const struct bf_sdb_scan *sc, bf_sdb_row_fn fn, void *ctx,
		   struct bf_err *err)
{
	struct sq *d = (struct sq *)bd;
	struct bf_buf *q = &d->sql, tmp = BF_BUF_INIT;
	sqlite3_stmt *st;
	bf_buf_reset(q);
	bf_buf_adds(q, "SELECT rowid, ");
	bf_sql_ident(q, sc->column);
	bf_buf_adds(q, sc->has_closure ? ", \"closure_indicator\" IS TRUE FROM " : ", 0 FROM ");
	bf_sql_ident(q, sc->stream);
	bf_buf_adds(q, " WHERE ");
	bf_sql_ident(q, sc->column);
	bf_buf_adds(q, " IS NOT NULL");
	if (sc->date)
		bf_buf_adds(q, " AND \"_bf_date\" = :date AND \"_bf_location\" = :ploc");
	else if (sc->lineage_null)
		bf_buf_adds(q, " AND \"_bf_date\" IS NULL");
	add_filter(q, sc->filter, sc->has_closure, NULL);
	int rc = prepare(d, q->p, &st, err);
	if (rc)
		return rc;
	bind_named(st, ":date", sc->date);
	bind_named(st, ":ploc", sc->loc);
	bind_filter(st, sc->filter);
	while ((rc = bf_sqlite_step(st)) == SQLITE_ROW) {
		const void *blob = sqlite3_column_blob(st, 1);
		size_t bytes = (size_t)sqlite3_column_bytes(st, 1);
		if (sqlite3_column_type(st, 1) != SQLITE_BLOB || bytes % 4)
			continue;
		const float *v = blob_floats(blob, bytes, &tmp);
		int frc = fn(ctx, sqlite3_column_int64(st, 0), v, bytes / 4, sqlite3_column_int(st, 2));
		if (frc) {
			sqlite3_finalize(st);
			bf_buf_free(&tmp);
			return frc;
		}
	}
	sqlite3_finalize(st);
	bf_buf_free(&tmp);
	return rc == SQLITE_DONE ? 0 : fail(d, rc, err);
}

static int sq_vector(struct bf_sdb *bd, const char *stream, const char *column, int64_t id,
		     struct bf_buf *out, size_t *n, struct bf_err *err)
{
	struct sq *d = (struct sq *)bd;
	struct bf_buf tmp = BF_BUF_INIT;
	sqlite3_stmt *st;
	bf_buf_reset(&d->sql);
	bf_buf_adds(&d->sql, "SELECT ");
	bf_sql_ident(&d->sql, column);
	bf_buf_adds(&d->sql, " FROM ");
	bf_sql_ident(&d->sql, stream);
	bf_buf_adds(&d->sql, " WHERE rowid = ?");
	int rc = prepare(d, d->sql.p, &st, err);
	if (rc)
		return rc;
	sqlite3_bind_int64(st, 1, id);
	*n = 0;
	bf_buf_reset(out);
	rc = bf_sqlite_step(st);
	if (rc == SQLITE_ROW && sqlite3_column_type(st, 0) == SQLITE_BLOB) {
		size_t bytes = (size_t)sqlite3_column_bytes(st, 0);
		const float *v = blob_floats(sqlite3_column_blob(st, 0), bytes, &tmp);
		bf_buf_add(out, v, bytes - bytes % 4);
		*n = bytes / 4;
	}
	sqlite3_finalize(st);
	bf_buf_free(&tmp);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : fail(d, rc, err);
}

/* ---- records ---- */

static void json_value(sqlite3_stmt *st, int i, const char *type, struct bf_buf *o)
{
	int t = sqlite3_column_type(st, i);
	if (t == SQLITE_NULL) {
		bf_buf_adds(o, "null");
	} else if (!strcmp(type, "boolean")) {
		bf_buf_adds(o, sqlite3_column_int64(st, i) ? "true" : "false");
	} else if (t == SQLITE_INTEGER) {
		bf_buf_addf(o, "%lld", (long long)sqlite3_column_int64(st, i));
	} else if (t == SQLITE_FLOAT) {
		bf_buf_addf(o, "%.17g", sqlite3_column_double(st, i));
	} else if (t == SQLITE_BLOB) {
		bf_buf_adds(o, "null");
	} else {
		const char *s = (const char *)sqlite3_column_text(st, i);
		size_t n = (size_t)sqlite3_column_bytes(st, i);
		if (!strcmp(type, "json"))
			bf_buf_add(o, s, n);   /* bf-load stored it as valid JSON text */
		else
			bf_buf_add_json_str(o, s, n);
	}
}

static int sq_records(struct bf_sdb *bd, const char *stream, const struct bf_sdb_col *cols, size_t ncols,
		      const int64_t *ids, size_t n, char **json, struct bf_err *err)
{
	struct sq *d = (struct sq *)bd;
	sqlite3_stmt *st;
	bf_buf_reset(&d->sql);
	bf_buf_adds(&d->sql, "SELECT ");
	for (size_t i = 0; i < ncols; i++) {
		bf_buf_adds(&d->sql, i ? ", " : "");
		bf_sql_ident(&d->sql, cols[i].name);
	}
	bf_buf_adds(&d->sql, ncols ? " FROM " : "1 FROM ");
	bf_sql_ident(&d->sql, stream);
	bf_buf_adds(&d->sql, " WHERE rowid = ?");
	int rc = prepare(d, d->sql.p, &st, err);
	if (rc)
		return rc;
	rc = SQLITE_DONE;
	for (size_t r = 0; r < n; r++) {
		json[r] = NULL;
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, ids[r]);
		rc = bf_sqlite_step(st);
		if (rc == SQLITE_DONE)
			continue;
		if (rc != SQLITE_ROW)
			break;
		struct bf_buf o = BF_BUF_INIT;
		bf_buf_addc(&o, '{');
		for (size_t i = 0; i < ncols; i++) {
			bf_buf_adds(&o, i ? "," : "");
			bf_buf_add_json_str(&o, cols[i].name, strlen(cols[i].name));
			bf_buf_addc(&o, ':');
			json_value(st, (int)i, cols[i].type, &o);
		}
		bf_buf_addc(&o, '}');
		json[r] = bf_buf_detach(&o);
		rc = SQLITE_DONE;
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(d, rc, err);
}

/* ---- text ---- */

/* The FTS table of a stream: _bf_search_fts_<stream>. */
static void fts_name(struct bf_buf *q, const char *stream, const char *suffix)
{
	ident_suffixed(q, "_bf_search_fts_", stream, suffix);
}

static void col_list(struct bf_buf *q, const char *prefix, const char *const *cols, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bf_buf_adds(q, ", ");
		bf_buf_adds(q, prefix);
		bf_sql_ident(q, cols[i]);
	}
}

/* The columns the FTS table was made for, as one text ("a","b"). */
static void cols_key(struct bf_buf *b, const char *const *cols, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		bf_buf_adds(b, i ? "," : "");
		bf_sql_ident(b, cols[i]);
	}
}

/* Names FTS5 keeps for itself: such a column is left out of the text index. */
static int fts_reserved(const char *name)
{
	static const char *const r[] = { "rank", "rowid", "oid", "_rowid_" };
	for (size_t i = 0; i < sizeof r / sizeof *r; i++)
		if (!strcasecmp(name, r[i]))
			return 1;
	return !strncmp(name, "_bf_search_fts_", 15);
}

static int sq_text_index(struct bf_sdb *bd, const char *stream, const char *const *all, size_t nall,
			 int write, struct bf_err *err)
{
	struct sq *d = (struct sq *)bd;
	struct bf_buf key = BF_BUF_INIT, *q = &d->sql;
	sqlite3_stmt *st;
	int rc = 0, current = 0;
	const char **cols = bf_xcalloc(nall + 1, sizeof *cols);
	size_t n = 0;
	for (size_t i = 0; i < nall; i++)
		if (!fts_reserved(all[i]))
			cols[n++] = all[i];
	if (!n) {
		free(cols);
		return bf_fail(err, BF_EUSAGE, stream, "the stream has no text column to search");
	}
	cols_key(&key, cols, n);
	if (has_table(d, "_bf_search_text") == 1) {
		if ((rc = prepare(d, "SELECT columns FROM _bf_search_text WHERE stream = ?", &st, err)))
			goto out;
		sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
		if (bf_sqlite_step(st) == SQLITE_ROW)
			current = !strcmp((const char *)sqlite3_column_text(st, 0), key.p) ? 1 : -1;
		sqlite3_finalize(st);
	}
	if (current == 1)
		goto out;
	if (!write || !d->base.writable) {
		rc = bf_fail(err, current ? BF_ECONFIG : BF_ENOINPUT, stream, "%s: run bf-search --index once"
			     " with write access to the warehouse", current ? "the text index is not made for"
			     " the stream's text columns now" : "no text index yet");
		goto out;
	}
	if ((rc = exec(d, "BEGIN IMMEDIATE", err)))
		goto out;
	bf_buf_reset(q);
	bf_buf_adds(q, "CREATE TABLE IF NOT EXISTS _bf_search_text (stream TEXT PRIMARY KEY, columns TEXT NOT NULL);\n"
		    "DROP TABLE IF EXISTS ");
	fts_name(q, stream, "");
	static const char *const trig[3] = { "_ai", "_ad", "_au" };
	for (int i = 0; i < 3; i++) {
		bf_buf_adds(q, ";\nDROP TRIGGER IF EXISTS ");
		fts_name(q, stream, trig[i]);
	}
	bf_buf_adds(q, ";\nCREATE VIRTUAL TABLE ");
	fts_name(q, stream, "");
	bf_buf_adds(q, " USING fts5(");
	cols_key(q, cols, n);
	bf_buf_adds(q, ", content=");
	bf_sql_ident(q, stream);
	bf_buf_adds(q, ", tokenize='unicode61 remove_diacritics 2');\n");
	/* insert: the new row; delete: the old values, as external-content FTS5 wants them */
	for (int i = 0; i < 3; i++) {
		bf_buf_adds(q, "CREATE TRIGGER ");
		fts_name(q, stream, trig[i]);
		bf_buf_adds(q, i == 0 ? " AFTER INSERT ON " : i == 1 ? " AFTER DELETE ON " : " AFTER UPDATE ON ");
		bf_sql_ident(q, stream);
		bf_buf_adds(q, " BEGIN ");
		if (i > 0) {
			bf_buf_adds(q, "INSERT INTO ");
			fts_name(q, stream, "");
			bf_buf_addc(q, '(');
			fts_name(q, stream, "");
			bf_buf_adds(q, ", rowid");
			col_list(q, "", cols, n);
			bf_buf_adds(q, ") VALUES ('delete', old.rowid");
			col_list(q, "old.", cols, n);
			bf_buf_adds(q, "); ");
		}
		if (i != 1) {
			bf_buf_adds(q, "INSERT INTO ");
			fts_name(q, stream, "");
			bf_buf_adds(q, "(rowid");
			col_list(q, "", cols, n);
			bf_buf_adds(q, ") VALUES (new.rowid");
			col_list(q, "new.", cols, n);
			bf_buf_adds(q, "); ");
		}
		bf_buf_adds(q, "END;\n");
	}
	bf_buf_adds(q, "INSERT INTO ");
	fts_name(q, stream, "");
	bf_buf_addc(q, '(');
	fts_name(q, stream, "");
	bf_buf_adds(q, ") VALUES ('rebuild')");
	if ((rc = exec(d, q->p, err)) ||
	    (rc = prepare(d, "INSERT OR REPLACE INTO _bf_search_text (stream, columns) VALUES (?, ?)", &st, err))) {
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, key.p, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(st);
	sqlite3_finalize(st);
	if (rc != SQLITE_DONE) {
		rc = fail(d, rc, err);
		sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
		goto out;
	}
	rc = exec(d, "COMMIT", err);
out:
	bf_buf_free(&key);
	free(cols);
	return rc;
}

static int sq_text(struct bf_sdb *bd, const char *stream, const char *const *cols, size_t ncols,
		   const char *const *words, size_t nwords, const struct bf_sdb_filter *f, int has_closure,
		   size_t k, int64_t *ids, float *scores, size_t *n, struct bf_err *err)
{
	struct sq *d = (struct sq *)bd;
	struct bf_buf match = BF_BUF_INIT, *q = &d->sql;
	sqlite3_stmt *st;
	(void)cols;
	(void)ncols;
	*n = 0;
	for (size_t i = 0; i < nwords; i++) {
		bf_buf_adds(&match, i ? " OR \"" : "\"");
		for (const char *p = words[i]; *p; p++) {
			if (*p == '"')
				bf_buf_addc(&match, '"');
			bf_buf_addc(&match, *p);
		}
		bf_buf_addc(&match, '"');
	}
	if (!nwords) {
		bf_buf_free(&match);
		return 0;
	}
	struct bf_buf fts = BF_BUF_INIT;
	fts_name(&fts, stream, "");
	bf_buf_reset(q);
	bf_buf_addf(q, "SELECT %s.rowid, -bm25(%s) FROM %s JOIN ", fts.p, fts.p, fts.p);
	bf_sql_ident(q, stream);
	bf_buf_addf(q, " t ON t.rowid = %s.rowid WHERE %s MATCH :m", fts.p, fts.p);
	add_filter(q, f, has_closure, "t.");
	bf_buf_addf(q, " ORDER BY bm25(%s), %s.rowid LIMIT :k", fts.p, fts.p);
	bf_buf_free(&fts);
	int rc = prepare(d, q->p, &st, err);
	if (rc) {
		bf_buf_free(&match);
		return rc;
	}
	bind_named(st, ":m", match.p);
	bind_filter(st, f);
	sqlite3_bind_int64(st, sqlite3_bind_parameter_index(st, ":k"), (sqlite3_int64)k);
	while ((rc = bf_sqlite_step(st)) == SQLITE_ROW && *n < k) {
		ids[*n] = sqlite3_column_int64(st, 0);
		scores[*n] = (float)sqlite3_column_double(st, 1);
		(*n)++;
	}
	sqlite3_finalize(st);
	bf_buf_free(&match);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : fail(d, rc, err);
}

/* ---- the compact index ---- */

static const char int8_ddl[] =
	"CREATE TABLE IF NOT EXISTS _bf_search_int8 (stream TEXT NOT NULL, \"column\" TEXT NOT NULL,"
	" location TEXT NOT NULL, date TEXT NOT NULL, gen INTEGER NOT NULL, dim INTEGER NOT NULL,"
	" n INTEGER NOT NULL, ids BLOB NOT NULL, scales BLOB NOT NULL, closed BLOB NOT NULL,"
	" codes BLOB NOT NULL, PRIMARY KEY (stream, \"column\", location, date))";

static void *blob_dup(sqlite3_stmt *st, int i, size_t want)
{
	size_t n = (size_t)sqlite3_column_bytes(st, i);
	void *p = bf_xmalloc(want ? want : 1);
	memset(p, 0, want ? want : 1);
	if (n > want)
		n = want;
	if (n)
		memcpy(p, sqlite3_column_blob(st, i), n);
	return p;
}

static int sq_chunks(struct bf_sdb *bd, const char *stream, const char *column, int with_codes,
		     struct bf_sdb_chunk **out, size_t *n, struct bf_err *err)
{
	struct sq *d = (struct sq *)bd;
	sqlite3_stmt *st;
	*out = NULL;
	*n = 0;
	if (has_table(d, "_bf_search_int8") != 1)
		return 0;
	int rc = prepare(d, with_codes
			 ? "SELECT location, date, gen, dim, n, ids, scales, closed, codes FROM _bf_search_int8"
			   " WHERE stream = ? AND \"column\" = ?"
			 : "SELECT location, date, gen, dim, n, substr(ids, 1, 8), NULL, NULL, substr(codes, 1, dim)"
			   " FROM _bf_search_int8 WHERE stream = ? AND \"column\" = ?",
			 &st, err);
	if (rc)
		return rc;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	size_t cap = 0;
	while ((rc = bf_sqlite_step(st)) == SQLITE_ROW) {
		if (*n == cap) {
			cap = cap ? cap * 2 : 64;
			*out = bf_xrealloc(*out, cap * sizeof **out);
		}
		struct bf_sdb_chunk *c = &(*out)[(*n)++];
		memset(c, 0, sizeof *c);
		c->loc = bf_xstrdup((const char *)sqlite3_column_text(st, 0));
		c->date = bf_xstrdup((const char *)sqlite3_column_text(st, 1));
		c->gen = sqlite3_column_int64(st, 2);
		c->dim = sqlite3_column_int(st, 3);
		c->n = (size_t)sqlite3_column_int64(st, 4);
		/* without codes: those of the first row only (a sample to check) */
		size_t rows = with_codes || !c->n ? c->n : 1;
		c->ids = blob_dup(st, 5, rows * sizeof *c->ids);
		c->scales = with_codes ? blob_dup(st, 6, rows * sizeof *c->scales) : NULL;
		c->closed = with_codes ? blob_dup(st, 7, rows) : NULL;
		c->codes = blob_dup(st, 8, rows * (size_t)c->dim);
	}
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(d, rc, err);
}

static int sq_chunk_put(struct bf_sdb *bd, const char *stream, const char *column,
			const struct bf_sdb_chunk *c, struct bf_err *err)
{
	struct sq *d = (struct sq *)bd;
	sqlite3_stmt *st;
	int rc = exec(d, int8_ddl, err);
	if (rc || (rc = prepare(d, "INSERT OR REPLACE INTO _bf_search_int8 (stream, \"column\", location, date,"
				" gen, dim, n, ids, scales, closed, codes) VALUES (?,?,?,?,?,?,?,?,?,?,?)", &st, err)))
		return rc;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, c->loc, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, c->date, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 5, c->gen);
	sqlite3_bind_int(st, 6, c->dim);
	sqlite3_bind_int64(st, 7, (sqlite3_int64)c->n);
	sqlite3_bind_blob64(st, 8, c->ids ? (const void *)c->ids : "", c->n * sizeof *c->ids, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 9, c->scales ? (const void *)c->scales : "", c->n * sizeof *c->scales, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 10, c->closed ? (const void *)c->closed : "", c->n, SQLITE_STATIC);
	sqlite3_bind_blob64(st, 11, c->codes ? (const void *)c->codes : "", c->n * (size_t)c->dim, SQLITE_STATIC);
	rc = bf_sqlite_step(st);
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : fail(d, rc, err);
}

static void sq_chunk_drop(struct bf_sdb *bd, const char *stream, const char *column, const char *loc,
			  const char *date)
{
	struct sq *d = (struct sq *)bd;
	sqlite3_stmt *st;
	if (!d->base.writable || sqlite3_prepare_v2(d->db, "DELETE FROM _bf_search_int8 WHERE stream = ? AND"
						     " \"column\" = ? AND location = ? AND date = ?", -1, &st, NULL))
		return;
	sqlite3_bind_text(st, 1, stream, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, column, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, loc, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, date, -1, SQLITE_STATIC);
	bf_sqlite_step(st);
	sqlite3_finalize(st);
}

static int sq_begin(struct bf_sdb *bd, struct bf_err *err)
{
	return exec((struct sq *)bd, "BEGIN IMMEDIATE", err);
}

static int sq_commit(struct bf_sdb *bd, struct bf_err *err)
{
	return exec((struct sq *)bd, "COMMIT", err);
}

static void sq_rollback(struct bf_sdb *bd)
{
	sqlite3_exec(((struct sq *)bd)->db, "ROLLBACK", NULL, NULL, NULL);
}

static void sq_close(struct bf_sdb *bd)
{
	struct sq *d = (struct sq *)bd;
	sqlite3_close(d->db);
	bf_buf_free(&d->sql);
	free(d->path);
	free(d->base.display);
	free(d);
}

static const struct bf_sdb_ops sq_ops = {
	sq_columns, sq_parts, sq_data_version, sq_scan, sq_vector, sq_records, sq_text_index, sq_text,
	sq_chunks, sq_chunk_put, sq_chunk_drop, sq_begin, sq_commit, sq_rollback, sq_close,
};

/* The generation of each partition, kept by triggers on _bf_loads (pure SQL: they run in
 * bf-load's transactions without anything of bf-search loaded). */
static const char gen_ddl[] =
	"CREATE TABLE IF NOT EXISTS _bf_search_gen (location TEXT NOT NULL, date TEXT NOT NULL,"
	" gen INTEGER NOT NULL, PRIMARY KEY (location, date));\n"
	"CREATE TABLE IF NOT EXISTS _bf_search_seq (one INTEGER PRIMARY KEY CHECK (one = 1), n INTEGER NOT NULL);\n"
	"INSERT OR IGNORE INTO _bf_search_seq VALUES (1, 0);\n"
	"CREATE TRIGGER IF NOT EXISTS _bf_search_loads_ins AFTER INSERT ON _bf_loads BEGIN"
	" UPDATE _bf_search_seq SET n = n + 1;"
	" INSERT OR REPLACE INTO _bf_search_gen SELECT new.location, new.date, n FROM _bf_search_seq; END;\n"
	"CREATE TRIGGER IF NOT EXISTS _bf_search_loads_upd AFTER UPDATE ON _bf_loads BEGIN"
	" UPDATE _bf_search_seq SET n = n + 1;"
	" INSERT OR REPLACE INTO _bf_search_gen SELECT new.location, new.date, n FROM _bf_search_seq; END;\n"
	"CREATE TRIGGER IF NOT EXISTS _bf_search_loads_del AFTER DELETE ON _bf_loads BEGIN"
	" UPDATE _bf_search_seq SET n = n + 1;"
	" INSERT OR REPLACE INTO _bf_search_gen SELECT old.location, old.date, n FROM _bf_search_seq; END;";

int bf_sdb_sqlite_open(const char *path, int read_only, struct bf_sdb **out, struct bf_err *err)
{
	*out = NULL;
	if (access(path, F_OK))
		return bf_fail(err, BF_ENOINPUT, path, "no such warehouse");
	struct sq *d = bf_xcalloc(1, sizeof *d);
	d->base.ops = &sq_ops;
	d->base.display = bf_xstrdup(path);
	d->path = bf_xstrdup(path);
	d->base.writable = !read_only && access(path, W_OK) == 0;
	int rc = d->base.writable ? bf_sqlite_open(path, 0, &d->db, err) : bf_sqlite_open_readonly(path, &d->db, err);
	if (rc) {
		sq_close(&d->base);
		return rc;
	}
	/* once per warehouse: the generations (a write; skipped when the file is read-only) */
	if (d->base.writable && has_table(d, "_bf_loads") == 1 && has_table(d, "_bf_search_seq") == 0) {
		if ((rc = exec(d, "BEGIN IMMEDIATE", err)) == 0) {
			if ((rc = exec(d, gen_ddl, err)))
				sqlite3_exec(d->db, "ROLLBACK", NULL, NULL, NULL);
			else
				rc = exec(d, "COMMIT", err);
		}
		if (rc) {
			sq_close(&d->base);
			return rc;
		}
	}
	*out = &d->base;
	return 0;
}
