/* bf-serve's core: an HTTP API (libmicrohttpd, its own thread pool over epoll) for a
 * backfill's status, runs, closure analytics, daily trends and metrics, read from the
 * state file and the warehouse without ever blocking their writers, and a POST that
 * starts bf-run as a child (an argv, never a shell).
 *
 * Ownership: struct bf_serve_opts borrows every string it points to. */
#ifndef BF_SERVE_H
#define BF_SERVE_H

#include <stddef.h>

#include "base/bf_log.h"

struct bf_serve_opts {
	const char *source, *target;   /* passed to every bf-run */
	const char *state_path;        /* resolved (--state, $BF_STATE, ...); the runs it starts
					* write it */
	const char *const *state_paths;  /* nstates > 1: the state files of several shards, shown
					  * as one (the first is state_path) */
	size_t nstates;
	const char *listen;            /* "HOST:PORT" or "[V6]:PORT"; default 127.0.0.1:8080 */
	const char *token_file;        /* the bearer token; refused when group/other may read it */
	const char *log_dir;           /* bf-run's --log files go here (default ".") */
	const char *bf_run;            /* the bf-run program (default: beside bf-serve, else PATH) */
	const char *pg_schema;         /* the warehouse's schema in PostgreSQL (default public) */
	const char *trend_stream;      /* the stream of daily trends (default order_details) */
	const char *trend_amount;      /* its sales column (default amount) */
	const char *trend_order;       /* its order id column (default order_id) */
	char *const *run_args;         /* more options for every bf-run */
	size_t nrun_args;
	int threads;                   /* worker threads (default 4) */
	int max_connections;           /* default 512 */
	double timeout;                /* seconds a connection may stay idle (default 10) */
	double stop_timeout;           /* seconds bf-run gets to finish its pipelines on SIGTERM
					* before it is told to stop them (default 30) */
};

void bf_serve_opts_init(struct bf_serve_opts *o);
/* Serves until SIGTERM or SIGINT, then stops a running bf-run the way bf-run stops on
 * SIGTERM (resumable) and returns 0; or an exit code with err filled when it cannot
 * start (77: token file, 78: listen address, 71: socket). */
int bf_serve_run(const struct bf_serve_opts *o, struct bf_err *err);

#endif
