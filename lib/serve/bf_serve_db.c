/* bf-serve's read-only connections: each worker thread keeps its own to the state file
 * and to a SQLite warehouse, opened on first use and closed when the thread ends, and
 * its last reply of GET /api/backfill. They
 * only read, in WAL mode, one short statement at a time: writers are never blocked. */
#include "serve/bf_serve_int.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "state/bf_state.h"
#include "state/bf_state_union.h"

struct serve_conns {
	sqlite3 *state, *wh, *all;
	struct serve_cache cache;
};

static void conns_free(void *p)
{
	struct serve_conns *c = p;
	if (!c)
		return;
	sqlite3_close(c->state);
	sqlite3_close(c->wh);
	sqlite3_close(c->all);
	free(c->cache.body);
	free(c);
}

int serve_db_init(struct serve *sv, struct bf_err *err)
{
	int rc = pthread_key_create(&sv->dbkey, conns_free);
	return rc ? bf_fail(err, BF_EOS, NULL, "pthread_key_create: %s", strerror(rc)) : 0;
}

void serve_db_fini(struct serve *sv)
{
	/* the main thread's own, if it used any */
	conns_free(pthread_getspecific(sv->dbkey));
	pthread_setspecific(sv->dbkey, NULL);
	pthread_key_delete(sv->dbkey);
}

static struct serve_conns *mine(struct serve *sv)
{
	struct serve_conns *c = pthread_getspecific(sv->dbkey);
	if (!c) {
		c = bf_xcalloc(1, sizeof *c);
		pthread_setspecific(sv->dbkey, c);
	}
	return c;
}

static sqlite3 *open_ro(sqlite3 **slot, const char *path, struct bf_err *err)
{
	if (*slot)
		return *slot;
	if (access(path, F_OK)) {
		bf_fail(err, BF_ENOINPUT, path, "%s", strerror(errno));
		return NULL;
	}
	if (bf_sqlite_open_readonly(path, slot, err))
		return NULL;
	return *slot;
}

sqlite3 *serve_state_db(struct serve *sv, struct bf_err *err)
{
	return open_ro(&mine(sv)->state, sv->o->state_path, err);
}

int serve_several(const struct serve *sv)
{
	return sv->o->state_paths && sv->o->nstates > 1;
}

sqlite3 *serve_states_db(struct serve *sv, struct bf_err *err)
{
	if (!serve_several(sv))
		return serve_state_db(sv, err);
	struct serve_conns *c = mine(sv);
	sqlite3_close(c->all);
	c->all = NULL;
	if (bf_state_open_union(sv->o->state_paths, sv->o->nstates, &c->all, err))
		return NULL;
	return c->all;
}

sqlite3 *serve_wh_db(struct serve *sv, struct bf_err *err)
{
	if (!sv->wh_sqlite) {
		bf_fail(err, BF_ECONFIG, sv->o->target, "not a SQLite warehouse");
		return NULL;
	}
	return open_ro(&mine(sv)->wh, sv->wh_sqlite, err);
}

void serve_db_drop(struct serve *sv)
{
	struct serve_conns *c = pthread_getspecific(sv->dbkey);
	if (!c)
		return;
	sqlite3_close(c->state);
	sqlite3_close(c->wh);
	sqlite3_close(c->all);
	c->state = c->wh = c->all = NULL;
	c->cache.valid = 0;
}

struct serve_cache *serve_db_cache(struct serve *sv)
{
	return &mine(sv)->cache;
}

long long serve_db_version(sqlite3 *db)
{
	sqlite3_stmt *s;
	long long v = -1;
	if (db && sqlite3_prepare_v2(db, "PRAGMA data_version", -1, &s, NULL) == SQLITE_OK) {
		if (sqlite3_step(s) == SQLITE_ROW)
			v = sqlite3_column_int64(s, 0);
		sqlite3_finalize(s);
	}
	return v;
}
