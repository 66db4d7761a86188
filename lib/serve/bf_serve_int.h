/* What the files of bf-serve's core share; private to lib/serve (callers include
 * serve/bf_serve.h). One struct serve per bf_serve_run: it owns its strings, its
 * supervisor and its daemon; the options are borrowed.
 *
 *   bf_serve.c            the entry: setup, the signal loop, shutting down
 *   bf_serve_http.c       the daemon (libmicrohttpd), one request from headers to reply
 *   bf_serve_routes.c     the routing table: path and method to handler
 *   bf_serve_reply.c      replies: JSON, errors, query arguments
 *   bf_serve_auth.c       the token file and the constant-time check
 *   bf_serve_db.c         read-only connections, one per worker thread
 *   bf_serve_progress.c   the current run's figures (what bf-run's progress line shows)
 *   bf_serve_child.c      the bf-run supervisor: plan, start, reap, stop
 *   bf_serve_report.c     bf-report's writers, captured in memory
 *   bf_serve_api_search.c GET /api/search, and the server's one search engine
 *   bf_serve_api_*.c      one handler per endpoint */
#ifndef BF_SERVE_INT_H
#define BF_SERVE_INT_H

#include <cjson/cJSON.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/types.h>

#include "base/bf_log.h"
#include "serve/bf_serve.h"
#include "stages/report/bf_report.h"

struct bf_search;

#define SERVE_MAX_BODY (1024 * 1024)

/* The bf-run this server started (or found running after a restart). Guarded by mu. */
struct serve_child {
	pthread_mutex_t mu;
	pid_t pid;                 /* 0 when none */
	int ours;                  /* started by this process (we reap it) */
	int64_t run_id;            /* its runs row, 0 until seen */
	long long total;           /* dates it had to do (its plan's to_run), -1 unknown */
	unsigned gen;              /* grows with every change of the above */
	char log_name[96];         /* the last --log name given, to keep names unique */
	pid_t last_pid;            /* the last one reaped ... */
	int last_status;           /* ... and its wait status */
};

struct serve {
	const struct bf_serve_opts *o;
	unsigned char token_sha[32];
	char *canon;               /* the source as the state file names it */
	char *bf_run;              /* the program */
	char *log_dir;             /* absolute */
	char *wh_sqlite;           /* the warehouse's SQLite file, or NULL */
	int wh_pg;                 /* the warehouse is PostgreSQL (o->target is its URI) */
	pthread_key_t dbkey;       /* struct serve_conns of the thread */
	int db_ready;              /* dbkey was created */
	struct serve_child child;
	pthread_mutex_t search_mu;  /* guards search: one query at a time */
	struct bf_search *search;  /* opened by the first query, NULL until then */
	void *daemon;              /* struct MHD_Daemon * */
};

/* One request being answered. */
struct serve_req {
	struct serve *sv;
	void *conn;                /* struct MHD_Connection * */
	const char *method, *path;
	const char *arg;           /* the part of the path a route's '*' matched */
	const char *body;
	size_t body_len;
};

struct serve_reply {
	int status;
	char *body;                /* malloc'd, the reply owns it */
	size_t len;
	const char *type;
	const char *allow;         /* for 405 */
};

typedef void serve_handler(struct serve_req *q, struct serve_reply *r);

/* bf_serve_routes.c */
enum { ROUTE_FOUND, ROUTE_NOT_FOUND, ROUTE_BAD_METHOD };
struct serve_route {
	const char *method;        /* GET also answers HEAD */
	const char *path;          /* exact, or ending in '*': one more path segment */
	int auth;                  /* needs the bearer token */
	int body;                  /* reads a request body */
	serve_handler *fn;
};
/* Finds the route of method and path; *arg gets what a '*' matched, *allow the methods
 * the path has (for 405). */
int serve_route_find(const char *method, const char *path, const struct serve_route **out,
		     const char **arg, const char **allow);

/* bf_serve_reply.c */
/* Replies with root printed compactly (root is deleted). */
void serve_reply_json(struct serve_reply *r, int status, cJSON *root);
/* {"error": "..."} */
void serve_reply_error(struct serve_reply *r, int status, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* Replies with buf (taken). */
void serve_reply_take(struct serve_reply *r, int status, const char *type, char *buf, size_t len);
/* An error of the library (struct bf_err) as 503 (locked, missing), 500 otherwise. */
void serve_reply_err(struct serve_reply *r, const struct bf_err *err);
/* The query argument name, or NULL. */
const char *serve_query(const struct serve_req *q, const char *name);
/* The query argument name as a date YYYY-MM-DD in iso: 1, 0 when absent (iso ""), -1
 * when it is not a date. */
int serve_query_date(const struct serve_req *q, const char *name, char iso[11]);

/* bf_serve_auth.c */
/* Reads the token of path: refused (77) when group or others may read the file, or
 * when it is empty; keeps only its SHA-256. */
int serve_token_load(struct serve *sv, const char *path, struct bf_err *err);
/* Whether an Authorization header value is "Bearer <the token>"; constant time. */
int serve_token_ok(const struct serve *sv, const char *authorization);

/* bf_serve_db.c */
int serve_db_init(struct serve *sv, struct bf_err *err);
void serve_db_fini(struct serve *sv);
/* This thread's read-only connection to the state file / the SQLite warehouse; NULL
 * with err filled (66 when the file does not exist yet). */
sqlite3 *serve_state_db(struct serve *sv, struct bf_err *err);
/* Every state file as one: serve_state_db's connection for one file; for several, a fresh
 * read-only snapshot of them all (state/bf_state_union.h), kept until the next call. */
sqlite3 *serve_states_db(struct serve *sv, struct bf_err *err);
/* Several state files: a run id as its file numbers it, and that file. */
int serve_several(const struct serve *sv);
sqlite3 *serve_wh_db(struct serve *sv, struct bf_err *err);
/* Drops this thread's connections (after an error that may have been theirs). */
void serve_db_drop(struct serve *sv);
/* A reply kept by a thread, valid while what it was made from is the same (key). */
struct serve_cache {
	int valid;
	long long key[3];
	char *body;
	size_t len;
};
struct serve_cache *serve_db_cache(struct serve *sv);
/* PRAGMA data_version: changes when another connection committed to the file; -1 when
 * it cannot be read. */
long long serve_db_version(sqlite3 *db);

/* bf_serve_progress.c */
struct serve_progress {
	int running;
	int64_t run_id;            /* 0: not known yet */
	long long pid;
	char started_at[32];
	long long processed, done, closed, failed, interrupted, rows;
	long long total;           /* -1: unknown */
	double secs, rows_per_s, pct;
	double eta_s;              /* -1: unknown */
	/* from bf-run's own record (run_progress), when it wrote one */
	int recorded;
	char state[16];            /* running, paused, stopping, finished */
	long long parts_planned, parts_done, parts_closed, quarantined, batch_size;
};
/* The run going on now, if any, from the state file (db may be NULL: no file yet);
 * mypid, myrun and mytotal: the supervisor's bf-run (0 when none), its run id (0 before
 * its row is seen) and its plan's total. */
int serve_progress_read(sqlite3 *db, pid_t mypid, int64_t myrun, long long mytotal,
			struct serve_progress *p, struct bf_err *err);
/* Whether pid is a live process (a zombie is not). */
int serve_pid_alive(long long pid);

/* bf_serve_child.c */
void serve_child_init(struct serve_child *c);
void serve_child_fini(struct serve_child *c);
/* What the supervisor knows of its run (a copy, under the lock). */
void serve_child_get(struct serve *sv, pid_t *pid, int64_t *run_id, long long *total);
unsigned serve_child_gen(struct serve *sv);
/* Starts bf-run with the selection of body (already parsed); fills r (202, 400, 409, 500). */
void serve_child_start(struct serve *sv, const cJSON *body, struct serve_reply *r);
/* Reaps our bf-run if it ended (called on SIGCHLD and now and then). */
void serve_child_reap(struct serve *sv);
/* Looks in the state file for a bf-run this server started before a restart. */
void serve_child_adopt(struct serve *sv);
/* SIGTERM to a running bf-run, then waits for it (a second SIGTERM after stop_timeout). */
void serve_child_stop(struct serve *sv);

/* bf_serve_report.c */
typedef int serve_report_writer(struct bf_report *rep, FILE *out, struct bf_err *err);
/* What write prints for the server's source, in a malloc'd buffer (*len bytes), or NULL
 * with err filled. */
char *serve_report_capture(struct serve *sv, serve_report_writer *write, size_t *len, struct bf_err *err);

/* bf_serve_api_search.c */
void serve_search_init(struct serve *sv);
void serve_search_fini(struct serve *sv);

/* bf_serve_http.c */
int serve_http_start(struct serve *sv, struct bf_err *err);
void serve_http_stop(struct serve *sv);

/* the handlers (bf_serve_api_*.c) */
serve_handler serve_api_backfill, serve_api_run, serve_api_runlog, serve_api_closures,
	serve_api_trends, serve_api_metrics, serve_api_page, serve_api_search;

#endif
