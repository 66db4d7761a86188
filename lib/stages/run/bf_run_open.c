/* The state file of a run: opened read-write (created and migrated) for a real run, and
 * read-only for --dry-run, which refuses what the run would refuse with the same exit
 * code (a file that is not a database, a folder, a folder that does not exist, a file of
 * a newer bf) instead of planning as if nothing had been done. */
#include "stages/run/bf_run_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"

/* What the state file has, without writing: c->db NULL when it has nothing yet. */
static int open_dry(struct ctx *c, const char *path, struct bf_err *err)
{
	struct stat sb;
	if (stat(path, &sb)) {
		if (errno != ENOENT)
			return bf_fail(err, errno == EACCES ? BF_ENOPERM : BF_EIO, path, "cannot open: %s",
				       strerror(errno));
		/* none yet: the run would create it in its folder */
		char *dir = bf_xstrdup(path), *slash = strrchr(dir, '/');
		if (slash == dir)
			slash[1] = '\0';
		else if (slash)
			*slash = '\0';
		int bad = access(slash ? dir : ".", W_OK | X_OK);
		int e = errno;
		free(dir);
		if (bad)
			return bf_fail(err, e == EACCES ? BF_ENOPERM : BF_EIO, path, "cannot create: %s", strerror(e));
		return 0;
	}
	if (S_ISDIR(sb.st_mode))
		return bf_fail(err, BF_EIO, path, "cannot open: %s", strerror(EISDIR));
	if (access(path, R_OK | W_OK))
		return bf_fail(err, errno == EACCES ? BF_ENOPERM : BF_EIO, path, "cannot open: %s", strerror(errno));
	int rc = bf_sqlite_open_readonly(path, &c->db, err);
	if (rc)
		return rc;
	sqlite3_stmt *s;
	int v = 0;
	rc = sqlite3_prepare_v2(c->db, "PRAGMA user_version", -1, &s, NULL);
	if (rc == SQLITE_OK) {
		rc = bf_sqlite_step(s);
		if (rc == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	if (rc != SQLITE_OK && rc != SQLITE_ROW)
		return bf_sqlite_fail(c->db, rc, path, err);
	if (v > bf_migrations_count)
		return bf_fail(err, BF_ECONFIG, path, "state file schema version %d is newer than this bf knows (%d); upgrade bf",
			       v, bf_migrations_count);
	if (!bf_sqlite_has_table(c->db, "partitions")) {
		/* an empty file: the run would create the tables */
		sqlite3_close(c->db);
		c->db = NULL;
		return 0;
	}
	/* a file of an older version is read as the run would migrate it (loads recorded
	 * before version 2 count for every target) */
	c->has_loads = bf_sqlite_has_table(c->db, "loads");
	return 0;
}

int run_open_state(struct ctx *c, const char *path, struct bf_err *err)
{
	int rc;
	if (c->o->dry_run)
		return open_dry(c, path, err);
	if ((rc = bf_state_open(path, &c->st, err)) || (rc = bf_state_run_begin(c->st, "run", c->o->args, err)))
		return rc;
	c->db = c->st->db;
	c->has_loads = 1;
	return 0;
}
