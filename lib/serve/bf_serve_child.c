/* bf-serve's bf-run supervisor. A run started through the API is exactly a bf-run: the
 * server's --source, --target and --state, the request's date selection and options, the
 * server's extra run options, and --log DIR/bf-run-<UTC time>.json. It is planned first
 * with bf-run's own --dry-run --json (which checks the request and says how many dates
 * it will do), then started in a process group of its own and without a parent-death
 * signal: it outlives a crash of the server, records its own runs row and exit code,
 * and a restarted server finds it again in the state file. We only reap it. */
#include "serve/bf_serve_int.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_child.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"
#include "proto/bf_json.h"
#include "state/bf_state.h"

extern char **environ;

#define MAX_DATES 10000
#define PLAN_MAX (64 * 1024 * 1024)

void serve_child_init(struct serve_child *c)
{
	memset(c, 0, sizeof *c);
	pthread_mutex_init(&c->mu, NULL);
	c->total = -1;
}

void serve_child_fini(struct serve_child *c)
{
	pthread_mutex_destroy(&c->mu);
}

unsigned serve_child_gen(struct serve *sv)
{
	pthread_mutex_lock(&sv->child.mu);
	unsigned g = sv->child.gen;
	pthread_mutex_unlock(&sv->child.mu);
	return g;
}

void serve_child_get(struct serve *sv, pid_t *pid, int64_t *run_id, long long *total)
{
	struct serve_child *c = &sv->child;
	pthread_mutex_lock(&c->mu);
	*pid = c->pid;
	*run_id = c->run_id;
	*total = c->total;
	pthread_mutex_unlock(&c->mu);
}

/* An argv of strings it owns. */
struct argv {
	char **v;
	size_t n;
};

static void push(struct argv *a, const char *s)
{
	a->v = bf_xrealloc(a->v, (a->n + 2) * sizeof *a->v);
	a->v[a->n++] = bf_xstrdup(s);
	a->v[a->n] = NULL;
}

static void argv_free(struct argv *a)
{
	for (size_t i = 0; i < a->n; i++)
		free(a->v[i]);
	free(a->v);
	a->v = NULL;
	a->n = 0;
}

static int is_date(const cJSON *v, char iso[11])
{
	int32_t d;
	if (!cJSON_IsString(v) || bf_date_parse(v->valuestring, &d))
		return 0;
	bf_date_iso(d, iso);
	return 1;
}

/* bf-run's argv for the request body; 0, or 400 with why filled. */
static int build_argv(struct serve *sv, const cJSON *body, struct argv *a, char *why, size_t len)
{
	static const char *const known[] = { "dates", "start_date", "end_date", "all", "force",
					     "retry_failed", "max_workers" };
	const cJSON *m, *dates = cJSON_GetObjectItemCaseSensitive(body, "dates");
	const cJSON *sd = cJSON_GetObjectItemCaseSensitive(body, "start_date");
	const cJSON *ed = cJSON_GetObjectItemCaseSensitive(body, "end_date");
	const cJSON *all = cJSON_GetObjectItemCaseSensitive(body, "all");
	const cJSON *force = cJSON_GetObjectItemCaseSensitive(body, "force");
	const cJSON *rf = cJSON_GetObjectItemCaseSensitive(body, "retry_failed");
	const cJSON *mw = cJSON_GetObjectItemCaseSensitive(body, "max_workers");
	char iso[11];

	if (!cJSON_IsObject(body))
		return snprintf(why, len, "the body must be a JSON object"), 400;
	cJSON_ArrayForEach(m, body) {
		size_t k = 0;
		while (k < sizeof known / sizeof known[0] && strcmp(m->string, known[k]))
			k++;
		if (k == sizeof known / sizeof known[0])
			return snprintf(why, len, "unknown member \"%s\"", m->string), 400;
	}
	if ((all && !cJSON_IsBool(all)) || (force && !cJSON_IsBool(force)) || (rf && !cJSON_IsBool(rf)))
		return snprintf(why, len, "all, force and retry_failed are true or false"), 400;
	int nsel = (dates != NULL) + (sd || ed) + cJSON_IsTrue(all);
	if (nsel > 1)
		return snprintf(why, len, "give one of dates, start_date/end_date or all"), 400;
	if (nsel == 0 && !cJSON_IsTrue(rf))
		return snprintf(why, len, "no dates: give dates, start_date and end_date, all, or retry_failed"), 400;

	push(a, sv->bf_run);
	push(a, "--source");
	push(a, sv->o->source);
	push(a, "--target");
	push(a, sv->o->target);
	push(a, "--state");
	push(a, sv->o->state_path);
	if (dates) {
		struct bf_buf b = BF_BUF_INIT;
		const cJSON *d;
		int n = cJSON_GetArraySize(dates);
		if (!cJSON_IsArray(dates) || n == 0 || n > MAX_DATES)
			return snprintf(why, len, "dates: an array of 1 to %d dates", MAX_DATES), 400;
		cJSON_ArrayForEach(d, dates) {
			if (!is_date(d, iso)) {
				bf_buf_free(&b);
				return snprintf(why, len, "dates: not a date (YYYY-MM-DD)"), 400;
			}
			if (b.len)
				bf_buf_addc(&b, ',');
			bf_buf_adds(&b, iso);
		}
		push(a, "--dates");
		push(a, b.p);
		bf_buf_free(&b);
	} else if (sd || ed) {
		char iso2[11];
		if (!is_date(sd, iso) || !is_date(ed, iso2))
			return snprintf(why, len, "start_date and end_date: two dates (YYYY-MM-DD)"), 400;
		push(a, "--start-date");
		push(a, iso);
		push(a, "--end-date");
		push(a, iso2);
	} else if (cJSON_IsTrue(all)) {
		push(a, "--all");
	}
	if (cJSON_IsTrue(rf))
		push(a, "--retry-failed");
	if (cJSON_IsTrue(force))
		push(a, "--force");
	if (mw) {
		char n[16];
		if (!cJSON_IsNumber(mw) || mw->valuedouble != (double)mw->valueint || mw->valueint < 1 ||
		    mw->valueint > 256)
			return snprintf(why, len, "max_workers: a whole number from 1 to 256"), 400;
		snprintf(n, sizeof n, "%d", mw->valueint);
		push(a, "--max-workers");
		push(a, n);
	}
	for (size_t i = 0; i < sv->o->nrun_args; i++)
		push(a, sv->o->run_args[i]);
	return 0;
}

/* Runs bf-run's dry run of a: its plan (caller deletes), or NULL with r filled. */
static cJSON *plan(struct argv *a, struct serve_reply *r)
{
	struct bf_pipeline p;
	struct bf_err err = { 0 };
	int fd = memfd_create("bf-run-plan", MFD_CLOEXEC), code;
	cJSON *root = NULL;

	if (fd < 0) {
		serve_reply_error(r, 500, "memfd_create: %s", strerror(errno));
		return NULL;
	}
	push(a, "--dry-run");
	push(a, "--json");
	char *const *argvs[1] = { a->v };
	memset(&p, 0, sizeof p);
	if (bf_pipeline_start(&p, argvs, 1, NULL, -1, fd, &err)) {
		close(fd);
		serve_reply_err(r, &err);
		return NULL;
	}
	bf_pipeline_wait(&p);
	if (bf_pipeline_verdict(&p, &code) >= 0) {
		/* 64: the request asked for something bf-run refuses */
		serve_reply_error(r, code == BF_EUSAGE ? 400 : code == BF_ETEMP ? 503 : 500, "bf-run: %s",
				  p.c[0].lasterr[0] ? p.c[0].lasterr : "its plan failed");
	} else {
		off_t size = lseek(fd, 0, SEEK_END);
		char *buf = size > 0 && size < PLAN_MAX ? bf_xmalloc((size_t)size + 1) : NULL;
		if (buf && pread(fd, buf, (size_t)size, 0) == size) {
			buf[size] = '\0';
			root = cJSON_Parse(buf);
		}
		free(buf);
		if (!root)
			serve_reply_error(r, 500, "bf-run --dry-run --json: no plan read");
	}
	bf_pipeline_free(&p);
	close(fd);
	a->n -= 2;
	free(a->v[a->n]);
	free(a->v[a->n + 1]);
	a->v[a->n] = NULL;
	return root;
}

/* DIR/bf-run-<UTC time>.json, unique among the names this server gave. */
static void log_name(struct serve_child *c, char *out, size_t len)
{
	char ts[21], name[64];
	bf_now_rfc3339(ts);
	snprintf(name, sizeof name, "bf-run-%.4s%.2s%.2sT%.2s%.2s%.2sZ", ts, ts + 5, ts + 8, ts + 11, ts + 14,
		 ts + 17);
	if (!strncmp(c->log_name, name, strlen(name))) {
		int k = 2;
		const char *dash = strrchr(c->log_name, '-');
		if (dash && strlen(c->log_name) > strlen(name))
			k = atoi(dash + 1) + 1;
		snprintf(out, len, "%s-%d.json", name, k);
	} else {
		snprintf(out, len, "%s.json", name);
	}
	snprintf(c->log_name, sizeof c->log_name, "%s", out);
}

/* Starts a in a process group of its own, stdin and stdout on /dev/null. */
static int spawn(char *const *argv, pid_t *pid, struct bf_err *err)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	sigset_t none, dfl;
	int rc;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	sigemptyset(&none);
	sigemptyset(&dfl);
	sigaddset(&dfl, SIGTERM);
	sigaddset(&dfl, SIGINT);
	sigaddset(&dfl, SIGHUP);
	sigaddset(&dfl, SIGPIPE);
	sigaddset(&dfl, SIGCHLD);
	posix_spawnattr_setsigmask(&at, &none);
	posix_spawnattr_setsigdefault(&at, &dfl);
	posix_spawnattr_setpgroup(&at, 0);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = strchr(argv[0], '/') ? posix_spawn(pid, argv[0], &fa, &at, argv, environ)
				  : posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	return rc ? bf_fail(err, BF_EOS, argv[0], "cannot start: %s", strerror(rc)) : 0;
}

/* Waits (up to 30 s) for the runs row of pid: its run id, 0 when it ended first or
 * did not show. */
static int64_t await_row(struct serve *sv, pid_t pid, int *ended, int *status)
{
	struct serve_child *c = &sv->child;
	for (int i = 0; i < 1500; i++) {
		struct bf_err err = { 0 };
		sqlite3 *db = serve_state_db(sv, &err);
		if (db) {
			sqlite3_stmt *s;
			int64_t id = 0;
			if (sqlite3_prepare_v2(db, "SELECT max(run_id) FROM runs WHERE stage = 'run' AND pid = ?", -1,
					       &s, NULL) == SQLITE_OK) {
				sqlite3_bind_int64(s, 1, pid);
				if (bf_sqlite_step(s) == SQLITE_ROW)
					id = sqlite3_column_int64(s, 0);
				sqlite3_finalize(s);
			}
			if (id) {
				pthread_mutex_lock(&c->mu);
				if (c->pid == pid) {
					c->run_id = id;
					c->gen++;
				}
				pthread_mutex_unlock(&c->mu);
				return id;
			}
		}
		serve_child_reap(sv);
		pthread_mutex_lock(&c->mu);
		*ended = c->pid != pid && c->last_pid == pid;
		*status = c->last_status;
		pthread_mutex_unlock(&c->mu);
		if (*ended)
			return 0;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	return 0;
}

void serve_child_start(struct serve *sv, const cJSON *body, struct serve_reply *r)
{
	struct serve_child *c = &sv->child;
	struct argv a = { 0 };
	struct serve_progress pr;
	struct bf_err err = { 0 };
	char why[256], log[80], path[4096];
	pid_t pid;
	int rc;

	if (pthread_mutex_trylock(&c->mu)) {
		serve_reply_error(r, 409, "a run is being started");
		return;
	}
	/* another bf-run on this state file, ours or not */
	pthread_mutex_unlock(&c->mu);
	sqlite3 *db = serve_state_db(sv, &err);
	if (!db && err.code != BF_ENOINPUT) {
		serve_reply_err(r, &err);
		return;
	}
	pid_t mypid;
	int64_t myrun;
	long long mytotal;
	serve_child_get(sv, &mypid, &myrun, &mytotal);
	if (serve_progress_read(db, mypid, myrun, mytotal, &pr, &err)) {
		serve_db_drop(sv);
		serve_reply_err(r, &err);
		return;
	}
	if (pthread_mutex_trylock(&c->mu)) {
		serve_reply_error(r, 409, "a run is being started");
		return;
	}
	if (pr.running || c->pid) {
		pthread_mutex_unlock(&c->mu);
		if (pr.run_id)
			serve_reply_error(r, 409, "run %lld is going (pid %lld)", (long long)pr.run_id, pr.pid);
		else
			serve_reply_error(r, 409, "a run is going (pid %lld)", pr.pid);
		return;
	}
	if ((rc = build_argv(sv, body, &a, why, sizeof why))) {
		pthread_mutex_unlock(&c->mu);
		argv_free(&a);
		serve_reply_error(r, rc, "%s", why);
		return;
	}
	cJSON *pl = plan(&a, r);
	if (!pl) {
		pthread_mutex_unlock(&c->mu);
		argv_free(&a);
		return;
	}
	const cJSON *counts = cJSON_GetObjectItemCaseSensitive(pl, "counts");
	long long total = (long long)bf_json_num(counts, "to_run");
	log_name(c, log, sizeof log);
	snprintf(path, sizeof path, "%s/%s", sv->log_dir, log);
	push(&a, "--log");
	push(&a, path);
	if ((rc = spawn(a.v, &pid, &err))) {
		pthread_mutex_unlock(&c->mu);
		cJSON_Delete(pl);
		argv_free(&a);
		serve_reply_err(r, &err);
		return;
	}
	c->pid = pid;
	c->ours = 1;
	c->run_id = 0;
	c->total = total;
	c->gen++;
	pthread_mutex_unlock(&c->mu);
	bf_warn(NULL, "started bf-run (pid %ld): %lld dates to run, log %s", (long)pid, total, path);

	int ended = 0, status = 0;
	int64_t id = await_row(sv, pid, &ended, &status);
	if (!id && ended) {
		struct bf_child ch = { .pid = pid, .done = 1, .status = status };
		char how[64];
		bf_child_describe(&ch, how, sizeof how);
		serve_reply_error(r, 500, "bf-run ended before it started its run (%s)", how);
	} else {
		cJSON *o = cJSON_CreateObject();
		if (id)
			cJSON_AddNumberToObject(o, "run_id", (double)id);
		else
			cJSON_AddNullToObject(o, "run_id");
		cJSON_AddNumberToObject(o, "pid", (double)pid);
		cJSON_AddNumberToObject(o, "dates_to_run", (double)total);
		cJSON_AddStringToObject(o, "source", bf_json_str(pl, "source") ? bf_json_str(pl, "source") : "");
		cJSON_AddStringToObject(o, "log", path);
		cJSON *av = cJSON_AddArrayToObject(o, "argv");
		for (size_t i = 0; i < a.n; i++)
			cJSON_AddItemToArray(av, cJSON_CreateString(a.v[i]));
		serve_reply_json(r, 202, o);
	}
	cJSON_Delete(pl);
	argv_free(&a);
}

void serve_child_reap(struct serve *sv)
{
	struct serve_child *c = &sv->child;
	int status;
	pthread_mutex_lock(&c->mu);
	if (c->pid && c->ours && waitpid(c->pid, &status, WNOHANG) == c->pid) {
		struct bf_child ch = { .pid = c->pid, .done = 1, .status = status };
		char how[64];
		bf_child_describe(&ch, how, sizeof how);
		bf_warn(NULL, "bf-run (pid %ld, run %lld) ended: %s", (long)c->pid, (long long)c->run_id, how);
		c->last_pid = c->pid;
		c->last_status = status;
		c->pid = 0;
		c->gen++;
	} else if (c->pid && !c->ours && !serve_pid_alive(c->pid)) {
		c->last_pid = c->pid;
		c->pid = 0;
		c->gen++;
	}
	pthread_mutex_unlock(&c->mu);
}

void serve_child_adopt(struct serve *sv)
{
	struct serve_child *c = &sv->child;
	struct bf_err err = { 0 };
	struct bf_buf pat = BF_BUF_INIT;
	sqlite3_stmt *s;
	sqlite3 *db = serve_state_db(sv, &err);
	if (!db)
		return;
	/* a bf-run is ours when its log goes where ours go */
	bf_buf_addf(&pat, "--log %s/bf-run-", sv->log_dir);
	if (sqlite3_prepare_v2(db, "SELECT run_id, pid, args FROM runs WHERE stage = 'run' AND finished_at IS NULL"
				   " ORDER BY run_id DESC", -1, &s, NULL) != SQLITE_OK) {
		bf_buf_free(&pat);
		return;
	}
	while (bf_sqlite_step(s) == SQLITE_ROW) {
		const char *args = (const char *)sqlite3_column_text(s, 2);
		long long pid = sqlite3_column_int64(s, 1);
		if (!args || !strstr(args, pat.p) || !serve_pid_alive(pid))
			continue;
		pthread_mutex_lock(&c->mu);
		c->pid = (pid_t)pid;
		c->ours = 0;
		c->run_id = sqlite3_column_int64(s, 0);
		c->total = -1;
		c->gen++;
		pthread_mutex_unlock(&c->mu);
		bf_warn(NULL, "bf-run run %lld (pid %lld) is still going: watching it", (long long)c->run_id, pid);
		break;
	}
	sqlite3_finalize(s);
	bf_buf_free(&pat);
}

/* Waits up to secs for the run to end. */
static int wait_end(struct serve *sv, double secs)
{
	for (int64_t end = bf_mono_ms() + (int64_t)(secs * 1000);;) {
		serve_child_reap(sv);
		pthread_mutex_lock(&sv->child.mu);
		int gone = sv->child.pid == 0;
		pthread_mutex_unlock(&sv->child.mu);
		if (gone)
			return 1;
		if (bf_mono_ms() >= end)
			return 0;
		struct timespec ts = { 0, 20 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
}

static void signal_run(struct serve *sv, int sig)
{
	pthread_mutex_lock(&sv->child.mu);
	if (sv->child.pid)
		kill(sv->child.pid, sig);
	pthread_mutex_unlock(&sv->child.mu);
}

void serve_child_stop(struct serve *sv)
{
	pid_t pid;
	int64_t id;
	long long total;
	serve_child_get(sv, &pid, &id, &total);
	if (!pid)
		return;
	bf_warn(NULL, "stopping bf-run (pid %ld): it finishes its running pipelines, then stops resumably",
		(long)pid);
	/* bf-run on its first SIGTERM starts no more pipelines; on the second it stops them */
	signal_run(sv, SIGTERM);
	if (wait_end(sv, sv->o->stop_timeout))
		return;
	signal_run(sv, SIGTERM);
	if (wait_end(sv, 30))
		return;
	signal_run(sv, SIGKILL);
	wait_end(sv, 5);
}
