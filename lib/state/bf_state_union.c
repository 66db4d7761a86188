/* Several state files read as one snapshot (see bf_state_union.h). */
#include "state/bf_state_union.h"

#include <errno.h>
#include <glob.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_sql.h"
#include "state/bf_state.h"

/* Tables the reports never read (and the biggest): not copied. */
static const char *const skipped[] = { "files", "claims", "enrich_cache", "enrich_usage" };

void bf_state_paths_free(char **paths, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(paths[i]);
	free(paths);
}

static int cmp_str(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Adds path unless a file already in v is the same one. */
static void add_path(char ***v, size_t *n, const char *path)
{
	struct stat a, b;
	int known = !stat(path, &a);
	for (size_t i = 0; i < *n; i++)
		if (!strcmp((*v)[i], path) ||
		    (known && !stat((*v)[i], &b) && a.st_dev == b.st_dev && a.st_ino == b.st_ino))
			return;
	*v = bf_xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = bf_xstrdup(path);
}

int bf_state_expand(const char *const *args, size_t nargs, char ***paths, size_t *npaths,
		    struct bf_err *err)
{
	char **v = NULL;
	size_t n = 0;
	*paths = NULL;
	*npaths = 0;
	for (size_t i = 0; i < nargs; i++) {
		glob_t g;
		if (!strpbrk(args[i], "*?[")) {
			add_path(&v, &n, args[i]);
			continue;
		}
		memset(&g, 0, sizeof g);
		int rc = glob(args[i], 0, NULL, &g);
		if (rc == GLOB_NOMATCH) {
			globfree(&g);
			/* a file whose name only looks like a pattern */
			struct stat st;
			if (!stat(args[i], &st)) {
				add_path(&v, &n, args[i]);
				continue;
			}
			bf_state_paths_free(v, n);
			return bf_fail(err, BF_ENOINPUT, args[i], "no state file matches");
		}
		if (rc) {
			globfree(&g);
			bf_state_paths_free(v, n);
			return bf_fail(err, rc == GLOB_NOSPACE ? BF_EOS : BF_EIO, args[i], "cannot expand: %s",
				       rc == GLOB_NOSPACE ? "out of memory" : strerror(errno));
		}
		/* by name, whatever the locale */
		qsort(g.gl_pathv, g.gl_pathc, sizeof *g.gl_pathv, cmp_str);
		for (size_t k = 0; k < g.gl_pathc; k++)
			add_path(&v, &n, g.gl_pathv[k]);
		globfree(&g);
	}
	*paths = v;
	*npaths = n;
	return 0;
}

static int exec(sqlite3 *db, const char *sql, const char *path, struct bf_err *err)
{
	int rc = sqlite3_exec(db, sql, NULL, NULL, NULL);
	return rc == SQLITE_OK ? 0 : bf_sqlite_fail(db, rc, path, err);
}

/* The names of a query's first column, one per row (caller frees). */
static int names(sqlite3 *db, const char *sql, const char *arg, const char *path, char ***out, size_t *nout,
		 struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc = sqlite3_prepare_v2(db, sql, -1, &s, NULL);
	*out = NULL;
	*nout = 0;
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(db, rc, path, err);
	if (arg)
		sqlite3_bind_text(s, 1, arg, -1, SQLITE_STATIC);
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		*out = bf_xrealloc(*out, (*nout + 1) * sizeof **out);
		(*out)[(*nout)++] = bf_xstrdup((const char *)sqlite3_column_text(s, 0));
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE) {
		bf_state_paths_free(*out, *nout);
		*out = NULL;
		*nout = 0;
		return bf_sqlite_fail(db, rc, path, err);
	}
	return 0;
}

static int has(char **v, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], name))
			return 1;
	return 0;
}

/* Copies table src of the attached file k into main.dst, adding the columns main.dst
 * lacks. */
static int copy_table(sqlite3 *db, const char *src, const char *dst, long long k, const char *path,
		      struct bf_err *err)
{
	char **cols, **have;
	size_t ncols, nhave;
	struct bf_buf sql = BF_BUF_INIT;
	int rc;
	if ((rc = names(db, "SELECT name FROM pragma_table_info(?1, 'f') ORDER BY cid", src, path, &cols, &ncols, err)))
		return rc;
	if ((rc = names(db, "SELECT name FROM pragma_table_info(?1, 'main') ORDER BY cid", dst, path, &have, &nhave,
			err))) {
		bf_state_paths_free(cols, ncols);
		return rc;
	}
	if (!nhave) {
		bf_buf_adds(&sql, "CREATE TABLE main.");
		bf_sql_ident(&sql, dst);
		bf_buf_adds(&sql, " (_bf_state INTEGER");
		for (size_t i = 0; i < ncols; i++) {
			bf_buf_adds(&sql, ", ");
			bf_sql_ident(&sql, cols[i]);
		}
		bf_buf_adds(&sql, ");");
	}
	for (size_t i = 0; nhave && i < ncols; i++) {
		if (has(have, nhave, cols[i]))
			continue;
		bf_buf_adds(&sql, "ALTER TABLE main.");
		bf_sql_ident(&sql, dst);
		bf_buf_adds(&sql, " ADD COLUMN ");
		bf_sql_ident(&sql, cols[i]);
		bf_buf_adds(&sql, ";");
	}
	bf_buf_adds(&sql, "INSERT INTO main.");
	bf_sql_ident(&sql, dst);
	bf_buf_adds(&sql, " (_bf_state");
	for (size_t i = 0; i < ncols; i++) {
		bf_buf_adds(&sql, ", ");
		bf_sql_ident(&sql, cols[i]);
	}
	bf_buf_addf(&sql, ") SELECT %lld", k);
	for (size_t i = 0; i < ncols; i++) {
		bf_buf_adds(&sql, ", ");
		if (!strcmp(cols[i], "run_id") || !strcmp(cols[i], "parent_run")) {
			bf_buf_addc(&sql, '(');
			bf_sql_ident(&sql, cols[i]);
			bf_buf_addf(&sql, " + %lld)", k * BF_STATE_RUN_STRIDE);
		} else if (!strcmp(src, "quarantine") && !strcmp(cols[i], "raw")) {
			bf_buf_adds(&sql, "NULL");  /* counted, never shown: not copied */
		} else {
			bf_sql_ident(&sql, cols[i]);
		}
	}
	bf_buf_adds(&sql, " FROM f.");
	bf_sql_ident(&sql, src);
	rc = exec(db, sql.p, path, err);
	bf_buf_free(&sql);
	bf_state_paths_free(cols, ncols);
	bf_state_paths_free(have, nhave);
	return rc;
}

/* Checks file k, attaches it as f, copies its tables, detaches it. */
static int copy_file(sqlite3 *db, const char *path, long long k, struct bf_err *err)
{
	struct bf_state *st;
	struct bf_buf uri = BF_BUF_INIT;
	sqlite3_stmt *s;
	char **tables;
	size_t ntables;
	int rc;

	if ((rc = bf_state_open_readonly(path, &st, err)))
		return rc;
	int immutable = bf_sqlite_is_immutable(st->db);
	bf_state_close(st);
	bf_sqlite_readonly_uri(&uri, path, immutable);
	rc = sqlite3_prepare_v2(db, "ATTACH ?1 AS f", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		sqlite3_bind_text(s, 1, uri.p, -1, SQLITE_STATIC);
		rc = bf_sqlite_step(s);
		sqlite3_finalize(s);
	}
	bf_buf_free(&uri);
	if (rc != SQLITE_OK && rc != SQLITE_DONE)
		return bf_sqlite_fail(db, rc, path, err);
	rc = names(db, "SELECT name FROM f.sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\'"
		   " ORDER BY name", NULL, path, &tables, &ntables, err);
	if (!rc && (!has(tables, ntables, "partitions") || !has(tables, ntables, "runs")))
		rc = bf_fail(err, BF_EDATA, path, "not a bf state file (no partitions table)");
	if (!rc)
		rc = exec(db, "BEGIN", path, err);
	for (size_t i = 0; !rc && i < ntables; i++) {
		int skip = 0;
		for (size_t j = 0; j < sizeof skipped / sizeof skipped[0]; j++)
			skip |= !strcmp(tables[i], skipped[j]);
		if (skip)
			continue;
		const char *dst = !strcmp(tables[i], "partitions") ? "_bf_all_partitions"
				: !strcmp(tables[i], "closures") ? "_bf_all_closures"
				: !strcmp(tables[i], "quarantine") ? "_bf_all_quarantine" : tables[i];
		rc = copy_table(db, tables[i], dst, k, path, err);
	}
	if (!rc)
		rc = exec(db, "COMMIT", path, err);
	else
		sqlite3_exec(db, "ROLLBACK", NULL, NULL, NULL);
	bf_state_paths_free(tables, ntables);
	sqlite3_exec(db, "DETACH f", NULL, NULL, NULL);
	return rc;
}

/* The partitions that count (the one finished last of each), the closures of their files,
 * and the indexes the reports look rows up by. */
static int settle(sqlite3 *db, struct bf_err *err)
{
	static const char sql[] =
		"CREATE TABLE partitions AS SELECT * FROM (SELECT *, row_number() OVER (PARTITION BY source, location, date"
		" ORDER BY finished_at IS NULL, finished_at DESC, updated_at DESC, _bf_state) AS _bf_rank"
		" FROM _bf_all_partitions) WHERE _bf_rank = 1;"
		"CREATE UNIQUE INDEX partitions_key ON partitions (source, location, date);"
		"CREATE INDEX all_partitions_key ON _bf_all_partitions (source, location, date);";
	/* what belongs to a partition's copy: kept from the file whose copy counts */
	static const char *const belong[] = { "closures", "quarantine" };
	static const char *const indexes[][2] = {
		{ "runs", "run_id" }, { "runs", "parent_run" }, { "run_dates", "run_id" }, { "metrics", "run_id" },
		{ "alerts", "run_id" }, { "quarantine", "run_id" }, { "errors", "run_id" },
	};
	int rc;
	if ((rc = exec(db, sql, "state files", err)))
		return rc;
	for (size_t i = 0; i < sizeof belong / sizeof belong[0]; i++) {
		char **t;
		size_t nt;
		struct bf_buf q = BF_BUF_INIT;
		bf_buf_addf(&q, "_bf_all_%s", belong[i]);
		rc = names(db, "SELECT name FROM sqlite_master WHERE type = 'table' AND name = ?1", q.p, "state files", &t,
			   &nt, err);
		bf_state_paths_free(t, nt);
		bf_buf_reset(&q);
		bf_buf_addf(&q, "CREATE TABLE %s AS SELECT * FROM _bf_all_%s c WHERE NOT EXISTS (SELECT 1 FROM partitions p"
			    " WHERE p.source = c.source AND p.location = c.location AND p.date = c.date"
			    " AND p._bf_state <> c._bf_state); DROP TABLE _bf_all_%s;"
			    " CREATE INDEX %s_key ON %s (source, location, date);",
			    belong[i], belong[i], belong[i], belong[i], belong[i]);
		if (!rc && nt)
			rc = exec(db, q.p, "state files", err);
		bf_buf_free(&q);
		if (rc)
			return rc;
	}
	for (size_t i = 0; i < sizeof indexes / sizeof indexes[0]; i++) {
		struct bf_buf q = BF_BUF_INIT;
		sqlite3_stmt *s;
		int found = 0;
		if (sqlite3_prepare_v2(db, "SELECT 1 FROM pragma_table_info(?1, 'main') WHERE name = ?2", -1, &s, NULL) ==
		    SQLITE_OK) {
			sqlite3_bind_text(s, 1, indexes[i][0], -1, SQLITE_STATIC);
			sqlite3_bind_text(s, 2, indexes[i][1], -1, SQLITE_STATIC);
			found = sqlite3_step(s) == SQLITE_ROW;
			sqlite3_finalize(s);
		}
		if (!found)
			continue;
		bf_buf_addf(&q, "CREATE INDEX %s_%s ON %s (%s)", indexes[i][0], indexes[i][1], indexes[i][0], indexes[i][1]);
		rc = exec(db, q.p, "state files", err);
		bf_buf_free(&q);
		if (rc)
			return rc;
	}
	return 0;
}

int bf_state_open_union(const char *const *paths, size_t n, sqlite3 **out, struct bf_err *err)
{
	sqlite3 *db = NULL;
	sqlite3_stmt *s = NULL;
	int rc;
	*out = NULL;
	rc = sqlite3_open_v2(":memory:", &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE | SQLITE_OPEN_URI |
			     SQLITE_OPEN_NOMUTEX, NULL);
	if (rc != SQLITE_OK) {
		sqlite3_close(db);
		return bf_fail(err, BF_EOS, NULL, "in-memory database: %s", sqlite3_errstr(rc));
	}
	sqlite3_busy_timeout(db, 10000);
	sqlite3_extended_result_codes(db, 1);
	rc = exec(db, "CREATE TABLE _bf_states (idx INTEGER PRIMARY KEY, path TEXT NOT NULL)", "state files", err);
	if (!rc && sqlite3_prepare_v2(db, "INSERT INTO _bf_states VALUES (?1, ?2)", -1, &s, NULL) != SQLITE_OK)
		rc = bf_sqlite_fail(db, SQLITE_ERROR, "state files", err);
	for (size_t k = 0; !rc && k < n; k++) {
		sqlite3_reset(s);
		sqlite3_bind_int64(s, 1, (long long)k);
		sqlite3_bind_text(s, 2, paths[k], -1, SQLITE_STATIC);
		if (sqlite3_step(s) != SQLITE_DONE)
			rc = bf_sqlite_fail(db, SQLITE_ERROR, "state files", err);
		else
			rc = copy_file(db, paths[k], (long long)k, err);
	}
	sqlite3_finalize(s);
	if (!rc)
		rc = settle(db, err);
	if (rc) {
		sqlite3_close(db);
		return rc;
	}
	*out = db;
	return 0;
}
