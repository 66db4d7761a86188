/* bf-serve's entry: checks the token file and the paths, finds a bf-run it started
 * before a restart, starts the daemon, then waits for signals in the main thread (every
 * thread blocks them): SIGCHLD reaps the bf-run it started, SIGTERM and SIGINT stop the
 * daemon and then the bf-run, the way bf-run itself stops (resumable). */
#include "serve/bf_serve_int.h"

#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"

void bf_serve_opts_init(struct bf_serve_opts *o)
{
	memset(o, 0, sizeof *o);
	o->listen = "127.0.0.1:8080";
	o->log_dir = ".";
	o->pg_schema = "public";
	o->trend_stream = "order_details";
	o->trend_amount = "amount";
	o->trend_order = "order_id";
	o->threads = 4;
	o->max_connections = 512;
	o->timeout = 10;
	o->stop_timeout = 30;
}

/* bf-run beside our own program, else by name on PATH. */
static char *find_bf_run(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof self - 16);
	if (n > 0) {
		self[n] = '\0';
		char *slash = strrchr(self, '/');
		if (slash) {
			memcpy(slash + 1, "bf-run", 7);
			if (!access(self, X_OK))
				return bf_xstrdup(self);
		}
	}
	return bf_xstrdup("bf-run");
}

/* The source as the state file names it: as given when it is stored so (a URL), else a
 * local folder's real path (what bf-run stores). */
static char *canon_source(const char *src)
{
	if (!strstr(src, "://")) {
		char *real = realpath(src, NULL);
		if (real)
			return real;
	}
	return bf_xstrdup(src);
}

static int setup(struct serve *sv, struct bf_err *err)
{
	const struct bf_serve_opts *o = sv->o;
	int rc;
	if ((rc = serve_token_load(sv, o->token_file, err)))
		return rc;
	sv->log_dir = realpath(o->log_dir, NULL);
	if (!sv->log_dir)
		return bf_fail(err, BF_ECONFIG, o->log_dir, "the log folder: %s", strerror(errno));
	sv->canon = canon_source(o->source);
	sv->bf_run = o->bf_run ? bf_xstrdup(o->bf_run) : find_bf_run();
	if (!strncmp(o->target, "postgresql://", 13) || !strncmp(o->target, "postgres://", 11))
		sv->wh_pg = 1;
	else if (!strncmp(o->target, "sqlite:", 7))
		sv->wh_sqlite = bf_xstrdup(o->target + 7);
	else if (strncmp(o->target, "dir:", 4))
		sv->wh_sqlite = bf_xstrdup(o->target);
	if ((rc = serve_db_init(sv, err)))
		return rc;
	sv->db_ready = 1;
	return 0;
}

/* Blocks the signals we wait for in every thread (the daemon's threads inherit the mask). */
static void block_signals(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGTERM);
	sigaddset(set, SIGINT);
	sigaddset(set, SIGHUP);
	sigaddset(set, SIGCHLD);
	pthread_sigmask(SIG_BLOCK, set, NULL);
	signal(SIGPIPE, SIG_IGN);
}

int bf_serve_run(const struct bf_serve_opts *o, struct bf_err *err)
{
	struct serve sv;
	sigset_t set;
	siginfo_t si;
	int rc;

	memset(&sv, 0, sizeof sv);
	sv.o = o;
	serve_child_init(&sv.child);
	serve_search_init(&sv);
	block_signals(&set);
	if ((rc = setup(&sv, err)))
		goto out;
	serve_child_adopt(&sv);
	if ((rc = serve_http_start(&sv, err)))
		goto out;
	for (;;) {
		struct timespec tick = { 1, 0 };
		int sig = sigtimedwait(&set, &si, &tick);
		if (sig == SIGTERM || sig == SIGINT || sig == SIGHUP) {
			bf_warn(NULL, "%s: stopping", strsignal(sig));
			break;
		}
		/* SIGCHLD, or a second gone by: an adopted run is only seen to end this way */
		serve_child_reap(&sv);
	}
	serve_http_stop(&sv);
	serve_child_stop(&sv);
out:
	serve_http_stop(&sv);
	if (sv.db_ready)
		serve_db_fini(&sv);
	serve_child_fini(&sv.child);
	serve_search_fini(&sv);
	free(sv.canon);
	free(sv.bf_run);
	free(sv.log_dir);
	free(sv.wh_sqlite);
	return rc;
}
