#include "stages/run/bf_run.h"

#include <cjson/cJSON.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_child.h"
#include "sources/bf_discover.h"
#include "base/bf_exit.h"
#include "sources/bf_layout.h"
#include "base/bf_progress.h"
#include "base/bf_retry.h"
#include "sources/bf_source.h"
#include "state/bf_state.h"
#include "base/bf_time.h"

#define MAX_JOBS 256

void bf_strv_push(struct bf_strv *s, char *str)
{
	s->v = bf_xrealloc(s->v, (s->n + 2) * sizeof *s->v);
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void bf_strv_free(struct bf_strv *s)
{
	free(s->v);
	s->v = NULL;
	s->n = 0;
}

void bf_run_opts_init(struct bf_run_opts *o)
{
	memset(o, 0, sizeof *o);
	bf_datesel_init(&o->dates);
	o->max_workers = 2;
	o->batch_size = 0;
	o->retries = 3;
	o->retry_base_ms = 500;
	o->grace = -1;
	o->lease = 60;
	o->alert_burst_window = 60;
}

/* ------------------------------------------------------------------------------------ */

enum { P_NEW, P_FAILED, P_DONE, P_PENDING };
static const char *const plan_names[] = { "new", "failed", "done", "pending" };

enum { RS_SKIP, RS_TODO, RS_RUNNING, RS_OK, RS_FAILED, RS_INTERRUPTED, RS_ELSEWHERE };

struct item {
	int32_t day;
	char iso[11];
	int plan;
	int nrows, nloaded, nclosed, npending, nfailed;
	int nmine;                 /* rows written by this run's stages */
	long long attempts, loaded_rows;
	char *last_error;          /* from the state file */
	int st;                    /* R_* */
	int tries;
	int64_t not_before;
	int64_t t0;
	int busy;                  /* claimed by another live run when last looked */
	int solo;                  /* its batch failed: run it in a pipeline of its own */
	char holder[64];
	int code;
	char stage[32];
	char *error;
	long long rows;
	int closed;
	long long ms;
};

struct job {
	struct bf_pipeline p;
	size_t *items;
	size_t n;
	char **first_argv;         /* bf-extract's (or the shell's) with this batch's dates */
	char *dates_arg;
	int interrupted;
	int64_t t0;
};

struct stage {
	const char *name;
	char *path;
	struct bf_strv argv;
};

struct ctx {
	const struct bf_run_opts *o;
	struct bf_state *st;       /* NULL in a dry run */
	sqlite3 *db;               /* st->db, or a read-only connection in a dry run */
	char *canon;
	char **locs;
	size_t nloc;
	struct item *it;
	size_t n;
	size_t *order;             /* the order to work in */
	struct stage stages[4];
	size_t nstages;
	size_t batch;              /* dates per pipeline */
	struct job jobs[MAX_JOBS];
	size_t njobs;
	char host[256];
	struct bf_progress prog;
	struct bf_retry retry;
	char *env[4];
	/* counters for this run */
	size_t todo, processed, ok, closed, failed, interrupted, elsewhere, skipped;
	long long rows;
	int64_t t0;
	int64_t last_renew;
	/* alerts */
	cJSON *alerts;
	int alerted_rate;
	int64_t last_drop_alert, last_burst_alert;
	double *rates;
	size_t nrates;
	int64_t *fail_times;
	size_t nfail_times;
	pid_t alert_pids[32];
	size_t nalert_pids;
	int color;
	int in_txn;                /* a write transaction of ours is open */
	sigset_t waitmask;         /* the signal mask while waiting (ours blocks them otherwise) */
};

static volatile sig_atomic_t signals_seen;
static volatile sig_atomic_t last_signal;

static void on_child(int sig)
{
	(void)sig;
}

static void on_signal(int sig)
{
	signals_seen++;
	last_signal = sig;
}

/* ------------------------------------------------------------------------------------ */
/* Finding the dates and locations of the source (the way bf-extract does). */

static int discover(struct ctx *c, int32_t *lo, int32_t *hi, struct bf_err *err)
{
	const struct bf_run_opts *o = c->o;
	struct bf_layout l = { 0 };
	struct bf_source *src = NULL;
	struct bf_source_opts so = { 0 };
	int rc;
	*lo = *hi = BF_DATE_NONE;
	if ((rc = bf_layout_parse(o->layout, &l, err)))
		return rc;
	if ((rc = bf_source_open(o->source, &so, &src, err)))
		goto done;
	c->canon = bf_xstrdup(bf_source_canon(src));
	if ((rc = bf_discover_locations(src, &l, o->locations.v, o->locations.n, &c->locs, &c->nloc, err)))
		goto done;
	if (o->dates.all)
		rc = bf_discover_dates(src, &l, c->locs, c->nloc, lo, hi, err);
done:
	bf_source_free(src);
	bf_layout_free(&l);
	return rc;
}

/* ------------------------------------------------------------------------------------ */
/* The state of dates in the state file. */

static int loc_wanted(struct ctx *c, const char *loc)
{
	for (size_t i = 0; i < c->nloc; i++)
		if (!strcmp(c->locs[i], loc))
			return 1;
	return 0;
}

static struct item *find_item(struct ctx *c, const char *iso)
{
	size_t a = 0, b = c->n;
	while (a < b) {
		size_t m = (a + b) / 2;
		int r = strcmp(c->it[m].iso, iso);
		if (!r)
			return &c->it[m];
		if (r < 0)
			a = m + 1;
		else
			b = m;
	}
	return NULL;
}

static void item_reset_state(struct item *t)
{
	t->nrows = t->nloaded = t->nclosed = t->npending = t->nfailed = t->nmine = 0;
	t->attempts = t->loaded_rows = 0;
	free(t->last_error);
	t->last_error = NULL;
}

static void item_classify(struct ctx *c, struct item *t)
{
	if (t->nfailed)
		t->plan = P_FAILED;
	else if (t->nrows == 0)
		t->plan = P_NEW;
	else if ((size_t)t->nrows >= c->nloc && t->nloaded + t->nclosed == t->nrows)
		t->plan = P_DONE;
	else
		t->plan = P_PENDING;
}

/* Reads partitions of the dates from..to (ISO) into the items. */
static int load_status(struct ctx *c, const char *from, const char *to, struct bf_err *err)
{
	sqlite3_stmt *s;
	int rc;
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->it[i].iso, from) >= 0 && strcmp(c->it[i].iso, to) <= 0)
			item_reset_state(&c->it[i]);
	if (!c->db)
		goto classify;
	rc = sqlite3_prepare_v2(c->db,
				"SELECT location, date, status, attempts, last_error, loaded_rows,"
				" run_id IN (SELECT run_id FROM runs WHERE parent_run = ?4) FROM partitions"
				" WHERE source = ?1 AND date >= ?2 AND date <= ?3", -1, &s, NULL);
	if (rc != SQLITE_OK)
		return bf_sqlite_fail(c->db, rc, "state file", err);
	sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, from, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, to, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, c->st ? c->st->run_id : -1);
	while ((rc = bf_sqlite_step(s)) == SQLITE_ROW) {
		const char *loc = (const char *)sqlite3_column_text(s, 0);
		struct item *t = find_item(c, (const char *)sqlite3_column_text(s, 1));
		if (!t || !loc_wanted(c, loc))
			continue;
		const char *stt = (const char *)sqlite3_column_text(s, 2);
		t->nrows++;
		if (!strcmp(stt, "loaded"))
			t->nloaded++;
		else if (!strcmp(stt, "closed"))
			t->nclosed++;
		else if (!strcmp(stt, "failed"))
			t->nfailed++;
		else if (!strcmp(stt, "pending"))
			t->npending++;
		long long a = sqlite3_column_int64(s, 3);
		if (a > t->attempts)
			t->attempts = a;
		t->loaded_rows += sqlite3_column_int64(s, 5);
		t->nmine += sqlite3_column_int(s, 6);
		const char *e = (const char *)sqlite3_column_text(s, 4);
		if (e && *e && (!t->last_error || !strcmp(stt, "failed"))) {
			free(t->last_error);
			t->last_error = bf_xstrdup(e);
		}
	}
	sqlite3_finalize(s);
	if (rc != SQLITE_DONE)
		return bf_sqlite_fail(c->db, rc, "state file", err);
classify:
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->it[i].iso, from) >= 0 && strcmp(c->it[i].iso, to) <= 0)
			item_classify(c, &c->it[i]);
	return 0;
}

static int pid_alive(pid_t pid)
{
	return pid > 0 && (kill(pid, 0) == 0 || errno == EPERM);
}

/* Whether a claim row is held by someone else still working. */
static int claim_live(struct ctx *c, sqlite3_stmt *s, char *holder, size_t len)
{
	pid_t pid = (pid_t)sqlite3_column_int64(s, 0);
	const char *host = (const char *)sqlite3_column_text(s, 1);
	long long until = sqlite3_column_int64(s, 2);
	if (pid == getpid() && host && !strcmp(host, c->host))
		return 0;
	if (until < (long long)time(NULL))
		return 0;
	if (host && !strcmp(host, c->host) && !pid_alive(pid))
		return 0;
	snprintf(holder, len, "pid %ld on %s", (long)pid, host ? host : "?");
	return 1;
}

/* Marks claims held by other live runs (dry run and plan). */
static void look_at_claims(struct ctx *c)
{
	sqlite3_stmt *s;
	if (!c->db || sqlite3_prepare_v2(c->db, "SELECT pid, host, lease_until, date FROM claims WHERE source = ?",
					 -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
	while (bf_sqlite_step(s) == SQLITE_ROW) {
		struct item *t = find_item(c, (const char *)sqlite3_column_text(s, 3));
		if (t)
			t->busy = claim_live(c, s, t->holder, sizeof t->holder);
	}
	sqlite3_finalize(s);
}

/* bf-run's writes between two waits go in one transaction (outcomes of the pipelines
 * that ended, claims of the next batches, lease renewal): one commit per round instead
 * of several per date. It is committed before any stage starts, so the stages never wait
 * on our write lock for long. */
static int txn_begin(struct ctx *c, struct bf_err *err)
{
	if (c->in_txn)
		return 0;
	int rc = bf_sqlite_exec(c->db, "BEGIN IMMEDIATE", "state file", err);
	c->in_txn = !rc;
	return rc;
}

static int txn_commit(struct ctx *c, struct bf_err *err)
{
	if (!c->in_txn)
		return 0;
	c->in_txn = 0;
	int rc = bf_sqlite_exec(c->db, "COMMIT", "state file", err);
	if (rc)
		sqlite3_exec(c->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

enum { CLAIM_OK, CLAIM_BUSY, CLAIM_DONE };

/* Takes the date for this run (or says who has it, or that it got done meanwhile), in
 * the round's transaction. */
static int claim(struct ctx *c, struct item *t, int *res, struct bf_err *err)
{
	sqlite3_stmt *s = NULL;
	int rc;
	*res = CLAIM_OK;
	if ((rc = txn_begin(c, err)))
		return rc;
	rc = sqlite3_prepare_v2(c->db, "SELECT pid, host, lease_until FROM claims WHERE source = ? AND date = ?",
				-1, &s, NULL);
	if (rc != SQLITE_OK)
		goto sqlfail;
	sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, t->iso, -1, SQLITE_STATIC);
	rc = bf_sqlite_step(s);
	if (rc == SQLITE_ROW && claim_live(c, s, t->holder, sizeof t->holder))
		*res = CLAIM_BUSY;
	else if (rc != SQLITE_ROW && rc != SQLITE_DONE)
		goto sqlfail;
	sqlite3_finalize(s);
	s = NULL;
	if (*res == CLAIM_OK && !c->o->force && t->tries == 0) {
		if ((rc = load_status(c, t->iso, t->iso, err)))
			goto fail;
		if (t->plan == P_DONE)
			*res = CLAIM_DONE;
	}
	if (*res == CLAIM_OK) {
		char now[21];
		bf_now_rfc3339(now);
		rc = sqlite3_prepare_v2(c->db,
					"INSERT OR REPLACE INTO claims (source, date, run_id, pid, host, claimed_at, lease_until)"
					" VALUES (?, ?, ?, ?, ?, ?, ?)", -1, &s, NULL);
		if (rc != SQLITE_OK)
			goto sqlfail;
		sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 2, t->iso, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 3, c->st->run_id);
		sqlite3_bind_int64(s, 4, (long long)getpid());
		sqlite3_bind_text(s, 5, c->host, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, now, -1, SQLITE_STATIC);
		sqlite3_bind_int64(s, 7, (long long)time(NULL) + (long long)c->o->lease);
		rc = bf_sqlite_step(s);
		if (rc != SQLITE_DONE)
			goto sqlfail;
		sqlite3_finalize(s);
		s = NULL;
	}
	return 0;
sqlfail:
	rc = bf_sqlite_fail(c->db, rc, "claim", err);
fail:
	sqlite3_finalize(s);
	return rc;
}

static void release(struct ctx *c, struct item *t)
{
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(c->db, "DELETE FROM claims WHERE source = ? AND date = ? AND pid = ? AND host = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 2, t->iso, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 3, (long long)getpid());
	sqlite3_bind_text(s, 4, c->host, -1, SQLITE_STATIC);
	bf_sqlite_step(s);
	sqlite3_finalize(s);
}

static void renew(struct ctx *c)
{
	sqlite3_stmt *s;
	int64_t now = bf_mono_ms();
	if (now - c->last_renew < (int64_t)(c->o->lease * 1000 / 4))
		return;
	c->last_renew = now;
	if (sqlite3_prepare_v2(c->db, "UPDATE claims SET lease_until = ? WHERE pid = ? AND host = ?",
			       -1, &s, NULL) != SQLITE_OK)
		return;
	sqlite3_bind_int64(s, 1, (long long)time(NULL) + (long long)c->o->lease);
	sqlite3_bind_int64(s, 2, (long long)getpid());
	sqlite3_bind_text(s, 3, c->host, -1, SQLITE_STATIC);
	bf_sqlite_step(s);
	sqlite3_finalize(s);
}

/* ------------------------------------------------------------------------------------ */
/* Stages and pipelines. */

static int executable(const char *path)
{
	struct stat sb;
	return stat(path, &sb) == 0 && S_ISREG(sb.st_mode) && access(path, X_OK) == 0;
}

static char *in_dir(const char *dir, const char *name)
{
	struct bf_buf b = BF_BUF_INIT;
	bf_buf_addf(&b, "%s/%s", dir, name);
	if (executable(b.p))
		return bf_buf_detach(&b);
	bf_buf_free(&b);
	return NULL;
}

/* The stage program: --exec-path / BF_EXEC_PATH, then beside our own executable, then PATH. */
static char *find_stage(const struct bf_run_opts *o, const char *name)
{
	char *p = NULL;
	const char *env = getenv("BF_EXEC_PATH");
	if (o->exec_path && (p = in_dir(o->exec_path, name)))
		return p;
	if (env && *env && (p = in_dir(env, name)))
		return p;
	char self[PATH_MAX];
	ssize_t k = readlink("/proc/self/exe", self, sizeof self - 1);
	if (k > 0) {
		self[k] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			*slash = '\0';
			if ((p = in_dir(self, name)))
				return p;
		}
	}
	const char *path = getenv("PATH");
	while (path && *path) {
		size_t len = strcspn(path, ":");
		char *dir = bf_xstrndup(path, len);
		p = in_dir(len ? dir : ".", name);
		free(dir);
		if (p)
			return p;
		path += len + (path[len] == ':');
	}
	return NULL;
}

/* The user's pipeline string as one stage: shell -c STRING bf-run D1 D2 ... (the dates
 * are its positional parameters and $BF_DATES; nothing of them is put into the string). */
static void setup_shell(struct ctx *c)
{
	const struct bf_run_opts *o = c->o;
	struct stage *s = &c->stages[c->nstages++];
	s->name = "shell";
	s->path = bf_xstrdup(o->shell ? o->shell : "/bin/sh");
	bf_strv_push(&s->argv, s->path);
	bf_strv_push(&s->argv, "-c");
	bf_strv_push(&s->argv, (char *)o->shell_pipeline);
	bf_strv_push(&s->argv, "bf-run");
}

static int setup_stages(struct ctx *c, struct bf_err *err)
{
	const struct bf_run_opts *o = c->o;
	if (o->shell_pipeline) {
		setup_shell(c);
		return 0;
	}
	static const char *const names[4] = { "bf-extract", "bf-enrich", "bf-closure", "bf-load" };
	const struct bf_strv *extra[4] = { &o->extract_args, &o->enrich_args, &o->closure_args, &o->load_args };
	for (int i = 0; i < 4; i++) {
		if ((i == 1 && o->no_enrich) || (i == 2 && o->no_closure))
			continue;
		char *path = find_stage(o, names[i]);
		if (!path) {
			if (i == 1 || i == 2) {
				bf_note(NULL, "%s not found, running without it", names[i]);
				continue;
			}
			return bf_fail(err, BF_ECONFIG, names[i], "not found beside bf-run nor on PATH");
		}
		struct stage *s = &c->stages[c->nstages++];
		s->name = names[i];
		s->path = path;
		bf_strv_push(&s->argv, path);
		if (i == 0) {
			bf_strv_push(&s->argv, "--source");
			bf_strv_push(&s->argv, (char *)o->source);
			if (o->layout) {
				bf_strv_push(&s->argv, "--layout");
				bf_strv_push(&s->argv, (char *)o->layout);
			}
			for (size_t k = 0; k < o->locations.n; k++) {
				bf_strv_push(&s->argv, "--location");
				bf_strv_push(&s->argv, o->locations.v[k]);
			}
		}
		if (i == 3) {
			bf_strv_push(&s->argv, "--target");
			bf_strv_push(&s->argv, (char *)o->target);
		}
		for (size_t k = 0; k < extra[i]->n; k++)
			bf_strv_push(&s->argv, extra[i]->v[k]);
		if (o->force && i == 0)
			bf_strv_push(&s->argv, "--force");
	}
	return 0;
}

/* ------------------------------------------------------------------------------------ */
/* Recording outcomes. */

static void record_run_date(struct ctx *c, struct item *t, const char *outcome)
{
	sqlite3_stmt *s;
	char now[21];
	bf_now_rfc3339(now);
	if (sqlite3_prepare_v2(c->db,
			       "INSERT OR REPLACE INTO run_dates (run_id, source, date, outcome, exit_code, stage,"
			       " error, tries, rows, duration_ms, at) VALUES (?,?,?,?,?,?,?,?,?,?,?)",
			       -1, &s, NULL) != SQLITE_OK) {
		bf_warn("state file", "cannot record the outcome of %s: %s", t->iso, sqlite3_errmsg(c->db));
		return;
	}
	sqlite3_bind_int64(s, 1, c->st->run_id);
	sqlite3_bind_text(s, 2, c->canon, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, t->iso, -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 4, outcome, -1, SQLITE_STATIC);
	if (t->code)
		sqlite3_bind_int(s, 5, t->code);
	if (t->stage[0])
		sqlite3_bind_text(s, 6, t->stage, -1, SQLITE_STATIC);
	if (t->error)
		sqlite3_bind_text(s, 7, t->error, -1, SQLITE_STATIC);
	sqlite3_bind_int(s, 8, t->tries);
	sqlite3_bind_int64(s, 9, t->rows);
	sqlite3_bind_int64(s, 10, t->ms);
	sqlite3_bind_text(s, 11, now, -1, SQLITE_STATIC);
	if (bf_sqlite_step(s) != SQLITE_DONE)
		bf_warn("state file", "cannot record the outcome of %s: %s", t->iso, sqlite3_errmsg(c->db));
	sqlite3_finalize(s);
}

/* Sets every location of the date that is not done to status (failed, pending). */
static void mark_partitions(struct ctx *c, struct item *t, const char *status, const char *error)
{
	for (size_t i = 0; i < c->nloc; i++) {
		char cur[16];
		struct bf_err err = { 0 };
		if (bf_state_partition_status(c->st, c->canon, c->locs[i], t->iso, cur, &err)) {
			bf_err_print(&err);
			continue;
		}
		/* a date done before stays done, unless --force redid it and this attempt failed */
		if ((!strcmp(cur, "loaded") || !strcmp(cur, "closed") || !strcmp(cur, "pending")) &&
		    !(c->o->force && !strcmp(status, "failed")))
			continue;
		if (!strcmp(cur, "failed") && !strcmp(status, "failed"))
			continue;  /* keep the stage's own, more precise, error */
		struct bf_partition_update u = { c->canon, c->locs[i], t->iso, status, NULL, -1, -1, -1, -1,
						 error, 0, -1 };
		if (bf_state_partition_update(c->st, &u, &err))
			bf_err_print(&err);
	}
}

/* ------------------------------------------------------------------------------------ */
/* Alerts. */

static void alert(struct ctx *c, const char *kind, double value, double threshold, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));

static void alert(struct ctx *c, const char *kind, double value, double threshold, const char *fmt, ...)
{
	char msg[512], now[21];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	bf_now_rfc3339(now);
	bf_progress_done(&c->prog);
	fprintf(stderr, "%s: alert: %s\n", bf_prog(), msg);
	sqlite3_stmt *s;
	if (sqlite3_prepare_v2(c->db, "INSERT INTO alerts (run_id, kind, value, threshold, message, at)"
			       " VALUES (?,?,?,?,?,?)", -1, &s, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(s, 1, c->st->run_id);
		sqlite3_bind_text(s, 2, kind, -1, SQLITE_STATIC);
		sqlite3_bind_double(s, 3, value);
		sqlite3_bind_double(s, 4, threshold);
		sqlite3_bind_text(s, 5, msg, -1, SQLITE_STATIC);
		sqlite3_bind_text(s, 6, now, -1, SQLITE_STATIC);
		bf_sqlite_step(s);
		sqlite3_finalize(s);
	}
	cJSON *a = cJSON_CreateObject();
	cJSON_AddStringToObject(a, "type", "ALERT");
	cJSON_AddStringToObject(a, "kind", kind);
	cJSON_AddNumberToObject(a, "value", value);
	cJSON_AddNumberToObject(a, "threshold", threshold);
	cJSON_AddStringToObject(a, "message", msg);
	cJSON_AddNumberToObject(a, "run_id", (double)c->st->run_id);
	cJSON_AddStringToObject(a, "source", c->canon);
	cJSON_AddStringToObject(a, "at", now);
	if (c->o->alert_cmd.n) {
		char *js = cJSON_PrintUnformatted(a);
		struct bf_buf b = BF_BUF_INIT;
		bf_buf_adds(&b, js);
		bf_buf_addc(&b, '\n');
		pid_t pid;
		struct bf_err err = { 0 };
		if (bf_child_feed(c->o->alert_cmd.v, b.p, b.len, &pid, &err))
			bf_err_print(&err);
		else if (c->nalert_pids < sizeof c->alert_pids / sizeof c->alert_pids[0])
			c->alert_pids[c->nalert_pids++] = pid;
		else
			waitpid(pid, NULL, 0);
		free(js);
		bf_buf_free(&b);
	}
	cJSON_AddItemToArray(c->alerts, a);
}

static void reap_alerts(struct ctx *c, int block)
{
	for (size_t i = 0; i < c->nalert_pids;) {
		int st;
		pid_t r = waitpid(c->alert_pids[i], &st, block ? 0 : WNOHANG);
		if (r == 0) {
			i++;
			continue;
		}
		if (r > 0 && (!WIFEXITED(st) || WEXITSTATUS(st)))
			bf_warn("--alert-command", "failed (status %d)", st);
		c->alert_pids[i] = c->alert_pids[--c->nalert_pids];
	}
}

static void check_alerts(struct ctx *c, struct item *t, int failed, double batch_rate)
{
	const struct bf_run_opts *o = c->o;
	int64_t now = bf_mono_ms();
	if (o->alert_failure_rate > 0 && !c->alerted_rate && c->processed >= 3) {
		double rate = 100.0 * (double)c->failed / (double)c->processed;
		if (rate >= o->alert_failure_rate) {
			c->alerted_rate = 1;
			alert(c, "failure_rate", rate, o->alert_failure_rate,
			      "failure rate %.0f%% (%zu of %zu dates) reached the threshold of %.0f%%",
			      rate, c->failed, c->processed, o->alert_failure_rate);
		}
	}
	if (failed && o->alert_burst > 0) {
		c->fail_times = bf_xrealloc(c->fail_times, (c->nfail_times + 1) * sizeof *c->fail_times);
		c->fail_times[c->nfail_times++] = now;
		size_t in = 0;
		for (size_t i = 0; i < c->nfail_times; i++)
			if (now - c->fail_times[i] <= (int64_t)(o->alert_burst_window * 1000))
				in++;
		if ((int)in >= o->alert_burst &&
		    (!c->last_burst_alert || now - c->last_burst_alert > (int64_t)(o->alert_burst_window * 1000))) {
			c->last_burst_alert = now;
			alert(c, "error_burst", (double)in, o->alert_burst,
			      "%zu failures within %.0f s (last: %s: %s)", in, o->alert_burst_window, t->iso,
			      t->error ? t->error : "?");
		}
	}
	if (!failed && batch_rate >= 0 && o->alert_throughput_drop > 0) {
		if (c->nrates >= 3) {
			double sum = 0;
			for (size_t i = 0; i < c->nrates; i++)
				sum += c->rates[i];
			double mean = sum / (double)c->nrates;
			double drop = mean > 0 ? 100.0 * (mean - batch_rate) / mean : 0;
			if (drop >= o->alert_throughput_drop &&
			    (!c->last_drop_alert || now - c->last_drop_alert > 60000)) {
				c->last_drop_alert = now;
				alert(c, "throughput_drop", drop, o->alert_throughput_drop,
				      "throughput dropped %.0f%% (%.0f rows/s against %.0f on average) at %s",
				      drop, batch_rate, mean, t->iso);
			}
		}
		c->rates = bf_xrealloc(c->rates, (c->nrates + 1) * sizeof *c->rates);
		c->rates[c->nrates++] = batch_rate;
	}
}

/* ------------------------------------------------------------------------------------ */
/* The loop. */

static void show_progress(struct ctx *c, int force)
{
	size_t done = c->processed + c->elsewhere;
	double secs = (double)(bf_mono_ms() - c->t0) / 1000.0;
	double rps = secs > 0 ? (double)c->rows / secs : 0;
	char eta[32] = "?";
	if (done && c->todo > done) {
		double left = secs / (double)done * (double)(c->todo - done);
		snprintf(eta, sizeof eta, "%d:%02d", (int)left / 60, (int)left % 60);
	} else if (c->todo <= done) {
		snprintf(eta, sizeof eta, "0:00");
	}
	bf_progress_show(&c->prog, force,
			 "%3.0f%% %zu/%zu dates, %zu done, %zu closed, %zu failed, %lld rows, %.0f rows/s, ETA %s",
			 c->todo ? 100.0 * (double)done / (double)c->todo : 100.0, done, c->todo, c->ok,
			 c->closed, c->failed, c->rows, rps, eta);
}

static int start_job(struct ctx *c, size_t *batch, size_t nb, struct bf_err *err)
{
	struct job *j = &c->jobs[c->njobs];
	struct bf_buf dates = BF_BUF_INIT;
	memset(j, 0, sizeof *j);
	for (size_t i = 0; i < nb; i++) {
		bf_buf_adds(&dates, i ? "," : "");
		bf_buf_adds(&dates, c->it[batch[i]].iso);
	}
	j->dates_arg = bf_buf_detach(&dates);
	j->items = bf_xmalloc(nb * sizeof *j->items);
	memcpy(j->items, batch, nb * sizeof *batch);
	j->n = nb;
	j->t0 = bf_mono_ms();
	const struct stage *s0 = &c->stages[0];
	size_t k = s0->argv.n;
	j->first_argv = bf_xcalloc(k + nb + 2, sizeof *j->first_argv);
	memcpy(j->first_argv, s0->argv.v, k * sizeof *s0->argv.v);
	if (c->o->shell_pipeline) {
		for (size_t i = 0; i < nb; i++)
			j->first_argv[k++] = c->it[batch[i]].iso;
	} else {
		j->first_argv[k++] = "--dates";
		j->first_argv[k++] = j->dates_arg;
	}
	char *const *argvs[4];
	argvs[0] = j->first_argv;
	for (size_t i = 1; i < c->nstages; i++)
		argvs[i] = c->stages[i].argv.v;
	char *env[6];
	size_t ne = 0;
	for (; c->env[ne]; ne++)
		env[ne] = c->env[ne];
	bf_buf_addf(&dates, "BF_DATES=%s", j->dates_arg);
	env[ne++] = dates.p;
	if (c->o->shell_pipeline && c->o->force)
		env[ne++] = "BF_FORCE=1";
	env[ne] = NULL;
	j->p.echo = c->o->verbose;
	int rc = bf_pipeline_start(&j->p, argvs, c->nstages, env, -1, -1, err);
	bf_buf_free(&dates);
	for (size_t i = 0; i < nb; i++) {
		struct item *t = &c->it[batch[i]];
		t->st = RS_RUNNING;
		if (!t->t0)
			t->t0 = j->t0;
		t->tries++;
	}
	if (rc) {
		free(j->items);
		free(j->first_argv);
		free(j->dates_arg);
		bf_pipeline_free(&j->p);
		return rc;
	}
	c->njobs++;
	return 0;
}

static void set_error(struct item *t, const char *stage, int code, const char *msg)
{
	free(t->error);
	t->error = bf_xstrdup(msg);
	snprintf(t->stage, sizeof t->stage, "%s", stage ? stage : "");
	t->code = code;
}

static void finish_job(struct ctx *c, struct job *j)
{
	int code;
	int k = bf_pipeline_verdict(&j->p, &code);
	struct bf_err err = { 0 };
	int64_t now = bf_mono_ms();
	char line[1024], how[128];
	long long batch_rows = 0;
	int batch_ok = 1;

	const char *stage = k >= 0 ? c->stages[k].name : NULL;
	if (k >= 0) {
		bf_child_describe(&j->p.c[k], how, sizeof how);
		if (j->p.c[k].lasterr[0])
			snprintf(line, sizeof line, "%s", j->p.c[k].lasterr);
		else
			snprintf(line, sizeof line, "%s: %s", stage, how);
	}
	/* when forced or when the pipeline did not succeed, a status left by an earlier run
	 * (e.g. pending after an interruption) is not this pipeline's work */
	int mine_needed = c->o->force || k >= 0 || j->interrupted;
	for (size_t i = 0; i < j->n; i++) {
		struct item *t = &c->it[j->items[i]];
		if (load_status(c, t->iso, t->iso, &err))
			bf_err_print(&err);
		t->ms = now - t->t0;
		/* done (by this run, see mine_needed) */
		if ((size_t)t->nrows >= c->nloc && t->nloaded + t->nclosed + t->npending == t->nrows && t->nrows &&
		    (!mine_needed || t->nmine == t->nrows)) {
			t->st = RS_OK;
			t->rows = t->loaded_rows;
			t->closed = t->nclosed == t->nrows;
			t->code = 0;
			c->processed++;
			c->ok++;
			c->closed += (size_t)t->closed;
			c->rows += t->rows;
			batch_rows += t->rows;
			record_run_date(c, t, t->closed ? "closed" : t->npending ? "pending" : "loaded");
			bf_state_metric(c->st, c->canon, NULL, t->iso, "pipeline_ms", (double)t->ms);
			release(c, t);
			check_alerts(c, t, 0, -1);
			continue;
		}
		batch_ok = 0;
		if (j->interrupted) {
			t->st = RS_INTERRUPTED;
			set_error(t, NULL, BF_ETEMP, "interrupted");
			c->interrupted++;
			mark_partitions(c, t, "pending", "interrupted by bf-run");
			record_run_date(c, t, "interrupted");
			release(c, t);
			continue;
		}
		if (j->n > 1 && !signals_seen) {
			/* which date broke the batch is not always known: each date it left undone
			 * gets a pipeline of its own, so one bad date cannot fail its neighbours */
			t->st = RS_TODO;
			t->solo = 1;
			t->tries--;
			bf_note(t->iso, "its batch of %zu dates failed (%s); running it on its own", j->n,
				k >= 0 ? how : "not loaded");
			continue;
		}
		if (k >= 0) {
			/* the partition's own error names the file; the stage's line is the fallback */
			const char *msg = t->nfailed && t->last_error ? t->last_error : line;
			set_error(t, stage, code, msg);
		} else {
			set_error(t, NULL, BF_PARTIAL, t->last_error ? t->last_error : "not loaded (no stage failed)");
		}
		if (bf_exit_retryable(t->code) && t->tries <= c->o->retries && !signals_seen) {
			int64_t d = bf_retry_delay_ms(&c->retry, t->tries - 1, -1);
			t->st = RS_TODO;
			t->not_before = now + d;
			bf_note(t->iso, "%s (%s), retrying in %lld ms", t->error, how, (long long)d);
			continue;
		}
		t->st = RS_FAILED;
		c->processed++;
		c->failed++;
		mark_partitions(c, t, "failed", t->error);
		bf_state_error(c->st, c->canon, NULL, t->iso, t->code, t->error);
		record_run_date(c, t, "failed");
		release(c, t);
		bf_progress_done(&c->prog);
		if (bf_log_level() >= 1)
			fprintf(stderr, "%s: %s: failed (%s%s%s): %s\n", bf_prog(), t->iso, stage ? stage : "",
				stage ? " " : "", k >= 0 ? how : "not loaded", t->error);
		check_alerts(c, t, 1, -1);
	}
	if (batch_ok && now > j->t0) {
		double rate = (double)batch_rows * 1000.0 / (double)(now - j->t0);
		check_alerts(c, &c->it[j->items[j->n - 1]], 0, rate);
	}
	free(j->items);
	free(j->first_argv);
	free(j->dates_arg);
	bf_pipeline_free(&j->p);
}

/* Collects up to batch_size dates ready to go, claiming them. Returns the count (0: none
 * ready now); *waiting: some are waiting for a retry time or another run's claim. */
static size_t next_batch(struct ctx *c, size_t *batch, int64_t *wake, struct bf_err *err, int *rc)
{
	size_t nb = 0;
	int64_t now = bf_mono_ms();
	*rc = 0;
	for (size_t q = 0; q < c->n && nb < c->batch; q++) {
		struct item *t = &c->it[c->order[q]];
		if (t->st != RS_TODO || (t->solo && nb))
			continue;
		if (t->not_before > now) {
			if (!*wake || t->not_before < *wake)
				*wake = t->not_before;
			continue;
		}
		int res;
		if ((*rc = claim(c, t, &res, err)))
			return nb;
		if (res == CLAIM_BUSY) {
			t->busy = 1;
			t->not_before = now + 500;
			if (!*wake || t->not_before < *wake)
				*wake = t->not_before;
			continue;
		}
		if (res == CLAIM_DONE) {
			t->st = RS_ELSEWHERE;
			c->elsewhere++;
			continue;
		}
		t->busy = 0;
		t->st = RS_RUNNING;  /* claimed: not for another batch of this round */
		batch[nb++] = c->order[q];
		if (t->solo)
			break;
	}
	return nb;
}

static int todo_left(struct ctx *c)
{
	for (size_t i = 0; i < c->n; i++)
		if (c->it[i].st == RS_TODO)
			return 1;
	return 0;
}

static int run_loop(struct ctx *c, struct bf_err *err)
{
	const struct bf_run_opts *o = c->o;
	int stopping = 0, killed = 0, rc = 0;
	int64_t stop_at = 0;
	size_t *batch = bf_xmalloc(c->batch * sizeof *batch);
	struct pollfd fds[MAX_JOBS * 4 + 1];

	for (;;) {
		int64_t now = bf_mono_ms();
		if (signals_seen >= 2 && killed < 2) {
			for (size_t i = 0; i < c->njobs; i++) {
				c->jobs[i].interrupted = 1;
				bf_pipeline_kill(&c->jobs[i].p, SIGKILL);
			}
			killed = 2;
			stopping = 1;
		} else if (signals_seen == 1 && !stopping) {
			stopping = 1;
			stop_at = o->grace >= 0 ? now + (int64_t)(o->grace * 1000) : 0;
			bf_progress_done(&c->prog);
			fprintf(stderr, "%s: %s: finishing the %zu pipelines running, starting no more%s\n",
				bf_prog(), strsignal(last_signal), c->njobs,
				o->grace >= 0 ? " (then stopping them after the grace period)" : "; again to stop now");
		}
		if (stopping && stop_at && now >= stop_at && !killed) {
			for (size_t i = 0; i < c->njobs; i++) {
				c->jobs[i].interrupted = 1;
				bf_pipeline_kill(&c->jobs[i].p, SIGTERM);
			}
			killed = 1;
			stop_at = now + 5000;  /* then SIGKILL */
		} else if (killed == 1 && now >= stop_at) {
			for (size_t i = 0; i < c->njobs; i++)
				bf_pipeline_kill(&c->jobs[i].p, SIGKILL);
			killed = 2;
		}
		/* one transaction: the outcomes of the pipelines that ended, the lease and the
		 * claims of the next batch */
		for (size_t i = 0; i < c->njobs;) {
			if (bf_pipeline_step(&c->jobs[i].p)) {
				struct bf_err terr = { 0 };
				if (txn_begin(c, &terr))
					bf_err_print(&terr);  /* then each write on its own */
				finish_job(c, &c->jobs[i]);
				c->jobs[i] = c->jobs[--c->njobs];
			} else {
				i++;
			}
		}
		renew(c);
		/* each batch is started as soon as its claim is committed (one after the other,
		 * as the workers free up: stages of different pipelines do not all start at once) */
		int64_t wake = 0;
		for (;;) {
			size_t nb = 0;
			if (!stopping && !rc && c->njobs < (size_t)o->max_workers)
				nb = next_batch(c, batch, &wake, err, &rc);
			struct bf_err cerr = { 0 };
			if (txn_commit(c, &cerr) && !rc) {
				*err = cerr;
				rc = cerr.code;
			}
			if (nb && !rc)
				rc = start_job(c, batch, nb, err);
			else
				for (size_t i = 0; i < nb; i++) {  /* not started: give the dates back */
					c->it[batch[i]].st = RS_TODO;
					release(c, &c->it[batch[i]]);
				}
			if (!nb || rc)
				break;
		}
		if (rc && !c->njobs)
			break;
		if (rc)
			stopping = 1;
		if (!c->njobs && (stopping || !todo_left(c)))
			break;
		size_t nfds = 0;
		for (size_t i = 0; i < c->njobs; i++)
			bf_pipeline_pollfds(&c->jobs[i].p, fds, &nfds, sizeof fds / sizeof fds[0]);
		int timeout = 200;
		if (wake && !c->njobs)
			timeout = (int)(wake - now > 0 ? (wake - now < 1000 ? wake - now : 1000) : 1);
		/* signals are blocked but here: a child's exit or a Ctrl-C wakes us at once */
		struct timespec ts = { timeout / 1000, (long)(timeout % 1000) * 1000000L };
		ppoll(fds, nfds, &ts, &c->waitmask);
		reap_alerts(c, 0);
		show_progress(c, 0);
	}
	free(batch);
	/* dates left to do are interrupted when we were stopped */
	for (size_t i = 0; i < c->n; i++) {
		struct item *t = &c->it[i];
		if (t->st == RS_TODO && (stopping || rc)) {
			if (t->tries) {
				t->st = RS_INTERRUPTED;
				c->interrupted++;
			}
		}
	}
	show_progress(c, 1);
	bf_progress_done(&c->prog);
	reap_alerts(c, 1);
	return rc;
}

/* ------------------------------------------------------------------------------------ */
/* Plan, summary, log. */

static const char *action(const struct ctx *c, const struct item *t)
{
	if (t->st == RS_SKIP)
		return t->plan == P_DONE ? "skip (done)" : c->o->retry_failed ? "skip (not failed)" : "skip";
	if (t->busy)
		return "wait (claimed by another run)";
	return t->plan == P_DONE ? "redo (--force)" : t->plan == P_FAILED ? "retry" :
	       t->plan == P_PENDING ? "resume" : "run";
}

static void print_cmdline(struct bf_buf *b, char *const *argv, const char *dates)
{
	for (size_t i = 0; argv[i]; i++) {
		const char *a = argv[i];
		if (i)
			bf_buf_addc(b, ' ');
		if (i == 0 && strrchr(a, '/'))
			a = strrchr(a, '/') + 1;
		bf_buf_adds(b, a);
	}
	if (dates)
		bf_buf_addf(b, " --dates %s", dates);
}

/* --batch-size, or by default enough dates per pipeline to spread the cost of starting
 * the stages, while each worker still gets about four pipelines (at most 16 dates each) */
static size_t batch_size(const struct bf_run_opts *o, size_t todo)
{
	if (o->batch_size > 0)
		return (size_t)o->batch_size;
	size_t b = todo / (4 * (size_t)o->max_workers);
	return b < 1 ? 1 : b > 16 ? 16 : b;
}

static int dry_run(struct ctx *c)
{
	size_t counts[4] = { 0 }, run = 0;
	for (size_t i = 0; i < c->n; i++) {
		counts[c->it[i].plan]++;
		run += c->it[i].st == RS_TODO;
	}
	size_t pipes = (run + c->batch - 1) / c->batch;
	if (c->o->json) {
		cJSON *r = cJSON_CreateObject();
		cJSON_AddStringToObject(r, "source", c->canon);
		cJSON_AddStringToObject(r, "target", c->o->target ? c->o->target : "");
		cJSON *p = cJSON_AddArrayToObject(r, "pipeline");
		for (size_t s = 0; s < c->nstages; s++) {
			cJSON *a = cJSON_CreateArray();
			for (size_t k = 0; k < c->stages[s].argv.n; k++)
				cJSON_AddItemToArray(a, cJSON_CreateString(k ? c->stages[s].argv.v[k] : c->stages[s].name));
			cJSON_AddItemToArray(p, a);
		}
		cJSON_AddNumberToObject(r, "max_workers", c->o->max_workers);
		cJSON_AddNumberToObject(r, "batch_size", (double)c->batch);
		cJSON *cn = cJSON_AddObjectToObject(r, "counts");
		for (int k = 0; k < 4; k++)
			cJSON_AddNumberToObject(cn, plan_names[k], (double)counts[k]);
		cJSON_AddNumberToObject(cn, "to_run", (double)run);
		cJSON_AddNumberToObject(r, "pipelines", (double)pipes);
		cJSON *ds = cJSON_AddArrayToObject(r, "dates");
		for (size_t q = 0; q < c->n; q++) {
			const struct item *t = &c->it[c->order[q]];
			cJSON *d = cJSON_CreateObject();
			cJSON_AddStringToObject(d, "date", t->iso);
			cJSON_AddStringToObject(d, "status", plan_names[t->plan]);
			cJSON_AddStringToObject(d, "action", action(c, t));
			cJSON_AddBoolToObject(d, "will_run", t->st == RS_TODO);
			cJSON_AddNumberToObject(d, "attempts", (double)t->attempts);
			if (t->last_error)
				cJSON_AddStringToObject(d, "last_error", t->last_error);
			cJSON_AddItemToArray(ds, d);
		}
		char *s = cJSON_Print(r);
		printf("%s\n", s);
		free(s);
		cJSON_Delete(r);
		return 0;
	}
	struct bf_buf b = BF_BUF_INIT;
	for (size_t s = 0; s < c->nstages; s++) {
		bf_buf_adds(&b, s ? " | " : "");
		if (c->o->shell_pipeline)
			bf_buf_addf(&b, "%s -c '%s' bf-run D...", c->stages[0].path, c->o->shell_pipeline);
		else
			print_cmdline(&b, c->stages[s].argv.v, s ? NULL : "D,...");
	}
	printf("plan: %zu dates from %s into %s: %zu new, %zu failed before, %zu done, %zu pending\n",
	       c->n, c->canon, c->o->target ? c->o->target : "the shell pipeline's target", counts[P_NEW], counts[P_FAILED], counts[P_DONE], counts[P_PENDING]);
	printf("would run %zu dates in %zu pipelines of up to %zu dates, %d at once:\n  %s\n", run, pipes,
	       c->batch, c->o->max_workers, b.p);
	bf_buf_free(&b);
	for (size_t q = 0; q < c->n; q++) {
		const struct item *t = &c->it[c->order[q]];
		printf("%s  %-8s %s", t->iso, plan_names[t->plan], action(c, t));
		if (t->attempts)
			printf(" (%lld attempts)", t->attempts);
		if (t->plan == P_FAILED && t->last_error)
			printf(": %s", t->last_error);
		if (t->busy)
			printf(" [%s]", t->holder);
		putchar('\n');
	}
	return 0;
}

static double pct(size_t a, size_t b)
{
	return b ? 100.0 * (double)a / (double)b : 0.0;
}

static void summary(struct ctx *c, double secs)
{
	const char *red = c->color ? "\033[31m" : "", *green = c->color ? "\033[32m" : "",
		   *off = c->color ? "\033[0m" : "";
	fprintf(stderr,
		"%s: %zu dates processed in %.1f s: %s%zu successful (%.1f%%)%s, %zu closed (%.1f%%), "
		"%s%zu failed (%.1f%%)%s; %lld rows loaded (%.0f rows/s)\n",
		bf_prog(), c->processed, secs, green, c->ok, pct(c->ok, c->processed), off, c->closed,
		pct(c->closed, c->processed), c->failed ? red : "", c->failed, pct(c->failed, c->processed),
		c->failed ? off : "", c->rows, secs > 0 ? (double)c->rows / secs : 0);
	if (c->skipped || c->elsewhere || c->interrupted)
		fprintf(stderr, "%s: %zu skipped (already done), %zu done by another run, %zu interrupted\n",
			bf_prog(), c->skipped, c->elsewhere, c->interrupted);
	for (size_t i = 0; i < c->n; i++)
		if (c->it[i].st == RS_FAILED)
			fprintf(stderr, "%s: %sfailed%s %s: %s\n", bf_prog(), red, off, c->it[i].iso,
				c->it[i].error);
}

static int write_log(struct ctx *c, const char *path, int code, const char *started, double secs,
		     struct bf_err *err)
{
	char now[21];
	bf_now_rfc3339(now);
	cJSON *r = cJSON_CreateObject();
	cJSON_AddNumberToObject(r, "run_id", (double)c->st->run_id);
	cJSON_AddStringToObject(r, "source", c->canon);
	cJSON_AddStringToObject(r, "target", c->o->target ? c->o->target : "");
	cJSON_AddStringToObject(r, "started_at", started);
	cJSON_AddStringToObject(r, "finished_at", now);
	cJSON_AddNumberToObject(r, "exit_code", code);
	cJSON *s = cJSON_AddObjectToObject(r, "summary");
	cJSON_AddNumberToObject(s, "dates_selected", (double)c->n);
	cJSON_AddNumberToObject(s, "dates_to_do", (double)c->todo);
	cJSON_AddNumberToObject(s, "processed", (double)c->processed);
	cJSON_AddNumberToObject(s, "successful", (double)c->ok);
	cJSON_AddNumberToObject(s, "successful_pct", pct(c->ok, c->processed));
	cJSON_AddNumberToObject(s, "closed", (double)c->closed);
	cJSON_AddNumberToObject(s, "closed_pct", pct(c->closed, c->processed));
	cJSON_AddNumberToObject(s, "failed", (double)c->failed);
	cJSON_AddNumberToObject(s, "failed_pct", pct(c->failed, c->processed));
	cJSON_AddNumberToObject(s, "skipped", (double)c->skipped);
	cJSON_AddNumberToObject(s, "done_elsewhere", (double)c->elsewhere);
	cJSON_AddNumberToObject(s, "interrupted", (double)c->interrupted);
	cJSON_AddNumberToObject(s, "rows_loaded", (double)c->rows);
	cJSON_AddNumberToObject(s, "duration_s", round(secs * 1000) / 1000);
	cJSON_AddNumberToObject(s, "rows_per_s", secs > 0 ? round((double)c->rows / secs) : 0);
	cJSON *fd = cJSON_AddArrayToObject(r, "failed_dates");
	cJSON *er = cJSON_AddArrayToObject(r, "errors");
	cJSON *id = cJSON_AddArrayToObject(r, "interrupted_dates");
	for (size_t i = 0; i < c->n; i++) {
		struct item *t = &c->it[i];
		if (t->st == RS_INTERRUPTED)
			cJSON_AddItemToArray(id, cJSON_CreateString(t->iso));
		if (t->st != RS_FAILED)
			continue;
		cJSON_AddItemToArray(fd, cJSON_CreateString(t->iso));
		cJSON *e = cJSON_CreateObject();
		cJSON_AddStringToObject(e, "date", t->iso);
		cJSON_AddStringToObject(e, "stage", t->stage);
		cJSON_AddNumberToObject(e, "exit_code", t->code);
		cJSON_AddStringToObject(e, "error", t->error ? t->error : "");
		cJSON_AddNumberToObject(e, "tries", t->tries);
		cJSON_AddItemToArray(er, e);
	}
	cJSON_AddItemReferenceToObject(r, "alerts", c->alerts);
	char *js = cJSON_Print(r);
	cJSON_Delete(r);
	FILE *f = fopen(path, "w");
	int rc = 0;
	if (!f || fputs(js, f) < 0 || fputc('\n', f) < 0 || fclose(f)) {
		rc = bf_fail(err, BF_EIO, path, "cannot write the log: %s", strerror(errno));
		if (f)
			fclose(f);
	}
	free(js);
	return rc;
}

/* Opens the state file read-only for a dry run; *db NULL when there is none yet. */
static int open_readonly(const char *path, sqlite3 **db, struct bf_err *err)
{
	*db = NULL;
	if (access(path, F_OK))
		return 0;
	struct bf_buf uri = BF_BUF_INIT;
	bf_buf_adds(&uri, "file:");
	for (const char *p = path; *p; p++) {
		if (*p == '?' || *p == '#' || *p == '%')
			bf_buf_addf(&uri, "%%%02X", (unsigned char)*p);
		else
			bf_buf_addc(&uri, *p);
	}
	bf_buf_adds(&uri, "?mode=ro");
	int rc = sqlite3_open_v2(uri.p, db, SQLITE_OPEN_READONLY | SQLITE_OPEN_URI, NULL);
	bf_buf_free(&uri);
	if (rc != SQLITE_OK) {
		bf_fail(err, BF_EIO, path, "cannot open: %s", *db ? sqlite3_errmsg(*db) : sqlite3_errstr(rc));
		sqlite3_close(*db);
		*db = NULL;
		return BF_EIO;
	}
	sqlite3_busy_timeout(*db, 10000);
	sqlite3_stmt *s;
	int v = 0;
	if (sqlite3_prepare_v2(*db, "PRAGMA user_version", -1, &s, NULL) == SQLITE_OK) {
		if (bf_sqlite_step(s) == SQLITE_ROW)
			v = sqlite3_column_int(s, 0);
		sqlite3_finalize(s);
	}
	if (v > bf_migrations_count)
		return bf_fail(err, BF_ECONFIG, path, "state file schema version %d is newer than this bf knows (%d)",
			       v, bf_migrations_count);
	if (v < bf_migrations_count) {
		/* an old or empty file: what it lacks is simply not there */
		sqlite3_close(*db);
		*db = NULL;
	}
	return 0;
}

/* With --retry-failed and no dates: every date that failed for this source. */
static size_t failed_dates(struct ctx *c, int32_t **out)
{
	sqlite3_stmt *s;
	size_t n = 0;
	*out = NULL;
	if (!c->db || sqlite3_prepare_v2(c->db, "SELECT DISTINCT date FROM partitions WHERE source = ?"
					 " AND status = 'failed' ORDER BY date", -1, &s, NULL) != SQLITE_OK)
		return 0;
	sqlite3_bind_text(s, 1, c->canon, -1, SQLITE_STATIC);
	while (bf_sqlite_step(s) == SQLITE_ROW) {
		int32_t d;
		if (bf_date_parse((const char *)sqlite3_column_text(s, 0), &d))
			continue;
		*out = bf_xrealloc(*out, (n + 1) * sizeof **out);
		(*out)[n++] = d;
	}
	sqlite3_finalize(s);
	return n;
}

int bf_run_run(const struct bf_run_opts *o, struct bf_err *err)
{
	struct ctx c = { .o = o };
	int32_t lo, hi, *days = NULL;
	size_t ndays;
	int rc;
	char started[21];
	struct sigaction sa, old_int, old_term, old_hup, old_chld;

	bf_now_rfc3339(started);
	c.t0 = bf_mono_ms();
	c.alerts = cJSON_CreateArray();
	if (gethostname(c.host, sizeof c.host - 1))
		snprintf(c.host, sizeof c.host, "localhost");
	const char *nc = getenv("NO_COLOR");
	c.color = isatty(2) && !(nc && *nc);
	bf_retry_init(&c.retry, o->retries, o->retry_base_ms, 30000);

	if ((rc = discover(&c, &lo, &hi, err)))
		goto out;
	if ((rc = setup_stages(&c, err)))
		goto out;
	const char *path = bf_state_path(o->state_path);
	if (o->dry_run) {
		if ((rc = open_readonly(path, &c.db, err)))
			goto out;
	} else {
		if ((rc = bf_state_open(path, &c.st, err)) ||
		    (rc = bf_state_run_begin(c.st, "run", o->args, err)))
			goto out;
		c.db = c.st->db;
	}
	int sel = o->dates.all || o->dates.n || o->dates.start != BF_DATE_NONE;
	if (!sel && o->retry_failed)
		ndays = failed_dates(&c, &days);
	else
		ndays = bf_datesel_resolve(&o->dates, lo, hi, &days);
	if (!ndays)
		bf_warn(c.canon, o->dates.all ? "no date folders found" : "no dates selected");
	c.n = ndays;
	c.it = bf_xcalloc(ndays ? ndays : 1, sizeof *c.it);
	c.order = bf_xcalloc(ndays ? ndays : 1, sizeof *c.order);
	for (size_t i = 0; i < ndays; i++) {
		c.it[i].day = days[i];
		bf_date_iso(days[i], c.it[i].iso);
		c.order[i] = o->newest_first ? ndays - 1 - i : i;
	}
	if (ndays && (rc = load_status(&c, c.it[0].iso, c.it[ndays - 1].iso, err)))
		goto out;
	look_at_claims(&c);
	for (size_t i = 0; i < ndays; i++) {
		struct item *t = &c.it[i];
		int run = o->retry_failed ? t->plan == P_FAILED : o->force || t->plan != P_DONE;
		t->st = run ? RS_TODO : RS_SKIP;
		c.todo += (size_t)run;
		c.skipped += (size_t)!run;
	}
	c.batch = batch_size(o, c.todo);
	if (o->dry_run) {
		rc = dry_run(&c);
		goto out;
	}

	/* the stages see our run and our state file */
	struct bf_buf e = BF_BUF_INIT;
	bf_buf_addf(&e, "BF_RUN_ID=%lld", (long long)c.st->run_id);
	c.env[0] = bf_buf_detach(&e);
	bf_buf_addf(&e, "BF_STATE=%s", path);
	c.env[1] = bf_buf_detach(&e);
	/* glibc's malloc backs its heap with transparent huge pages: a stage touches tens of
	 * MB per date (held partitions, SQLite's page cache), and one fault per 2 MB instead
	 * of one per 4 KB cut the backfill's CPU time by a tenth (docs/running.md). A
	 * GLIBC_TUNABLES of the user's own stands. */
	c.env[2] = getenv("GLIBC_TUNABLES") ? NULL : bf_xstrdup("GLIBC_TUNABLES=glibc.malloc.hugetlb=1");
	c.env[3] = NULL;

	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_signal;
	sigemptyset(&sa.sa_mask);
	sigaction(SIGINT, &sa, &old_int);
	sigaction(SIGTERM, &sa, &old_term);
	sigaction(SIGHUP, &sa, &old_hup);
	sa.sa_handler = on_child;
	sigaction(SIGCHLD, &sa, &old_chld);
	signal(SIGPIPE, SIG_IGN);
	sigset_t block;
	sigemptyset(&block);
	sigaddset(&block, SIGCHLD);
	sigaddset(&block, SIGINT);
	sigaddset(&block, SIGTERM);
	sigaddset(&block, SIGHUP);
	sigprocmask(SIG_BLOCK, &block, &c.waitmask);
	bf_progress_init(&c.prog, o->progress < 0 ? -1 : 1);
	rc = run_loop(&c, err);
	sigprocmask(SIG_SETMASK, &c.waitmask, NULL);
	sigaction(SIGCHLD, &old_chld, NULL);
	sigaction(SIGINT, &old_int, NULL);
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);

	double secs = (double)(bf_mono_ms() - c.t0) / 1000.0;
	if (!rc) {
		if (signals_seen || c.interrupted) {
			rc = BF_ETEMP;
			bf_fail(err, rc, NULL, "interrupted: %zu dates left; run the same command again to finish",
				c.todo - c.processed - c.elsewhere);
		} else if (c.failed) {
			rc = BF_PARTIAL;
			bf_fail(err, rc, NULL, "%zu of %zu dates failed", c.failed, c.processed);
		}
	}
	if (o->progress >= 0)
		summary(&c, secs);
	if (!o->log_path || (strcmp(o->log_path, "") && strcmp(o->log_path, "-"))) {
		char def[64], ts[21];
		const char *lp = o->log_path;
		if (!lp) {
			bf_now_rfc3339(ts);
			snprintf(def, sizeof def, "bf-run-%.4s%.2s%.2sT%.2s%.2s%.2sZ.json", ts, ts + 5, ts + 8,
				 ts + 11, ts + 14, ts + 17);
			lp = def;
		}
		struct bf_err lerr = { 0 };
		if (write_log(&c, lp, rc, started, secs, &lerr)) {
			bf_err_print(&lerr);
			if (!rc) {
				*err = lerr;
				rc = lerr.code;
			}
		} else if (o->progress >= 0) {
			fprintf(stderr, "%s: log: %s\n", bf_prog(), lp);
		}
	}
out:
	if (c.st)
		bf_state_run_end(c.st, rc);
	else
		sqlite3_close(c.db);
	bf_state_close(c.st);
	for (size_t i = 0; i < c.n; i++) {
		free(c.it[i].last_error);
		free(c.it[i].error);
	}
	for (size_t i = 0; i < c.nstages; i++) {
		free(c.stages[i].path);
		bf_strv_free(&c.stages[i].argv);
	}
	for (size_t i = 0; i < c.nloc; i++)
		free(c.locs[i]);
	free(c.locs);
	free(c.it);
	free(c.order);
	free(days);
	free(c.canon);
	free(c.env[0]);
	free(c.env[1]);
	free(c.env[2]);
	free(c.rates);
	free(c.fail_times);
	cJSON_Delete(c.alerts);
	return rc;
}
