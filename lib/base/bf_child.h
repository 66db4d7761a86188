/* Child processes from argv arrays, never through a shell: a pipeline of stages wired
 * stdout -> stdin by pipes, each stage's stderr read back by the parent (the last line
 * is kept: it is the stage's error message when it fails).
 *
 * Ownership: a struct bf_pipeline borrows the argv arrays given to bf_pipeline_start
 * (they must outlive it) and owns its pipes and child records; bf_pipeline_free()
 * closes what is left open (it does not kill or wait: call bf_pipeline_kill and
 * bf_pipeline_wait first). bf_pipeline_free(NULL) is a no-op.
 *
 * Every stage runs in the pipeline's own process group (so that a Ctrl-C at the
 * terminal reaches only the parent, which decides what to do), with SIGPIPE and the
 * signal mask back to their defaults and, on Linux, killed when the parent dies. */
#ifndef BF_CHILD_H
#define BF_CHILD_H

#include <poll.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "base/bf_buf.h"
#include "base/bf_log.h"

struct bf_child {
	char *const *argv;         /* borrowed; argv[0] with a '/' is a path, else PATH is searched */
	pid_t pid;                 /* 0 when not started */
	int done;                  /* reaped */
	int status;                /* raw wait status once done */
	int err_fd;                /* read end of its stderr pipe, -1 once closed */
	struct bf_buf errpart;     /* the unfinished stderr line */
	char lasterr[512];         /* last complete non-empty stderr line */
};

struct bf_pipeline {
	struct bf_child *c;
	size_t n;
	pid_t pgid;
	int64_t started_ms;
	int echo;                  /* copy the stages' stderr lines to our stderr */
	const char *echo_prefix;   /* put before each copied line */
};

/* Starts n stages: stage 0 reads in_fd (-1: /dev/null), the last writes out_fd (-1:
 * /dev/null). env: "NAME=value" strings set in every stage (NULL-terminated, may be NULL).
 * Returns 0 or BF_EOS (fork/pipe failed; stages already started are killed and reaped).
 * A program that cannot be executed shows as a stage exiting 127 with its reason as
 * the last stderr line. */
int bf_pipeline_start(struct bf_pipeline *p, char *const *const *argvs, size_t n,
		      char *const *env, int in_fd, int out_fd, struct bf_err *err);
/* Adds the pipeline's open stderr fds to fds[*nfds...] (at most max in all). */
void bf_pipeline_pollfds(const struct bf_pipeline *p, struct pollfd *fds, size_t *nfds, size_t max);
/* Reads whatever stderr is ready (without blocking) and reaps stages that exited.
 * Returns 1 when every stage has been reaped and its stderr closed, else 0. */
int bf_pipeline_step(struct bf_pipeline *p);
/* Blocks until bf_pipeline_step would return 1. */
void bf_pipeline_wait(struct bf_pipeline *p);
/* Sends sig to the whole process group. */
void bf_pipeline_kill(struct bf_pipeline *p, int sig);

/* The verdict of a finished pipeline: the first stage, in pipeline order, that failed
 * (exit status other than 0, or killed by a signal), skipping a stage killed by SIGPIPE
 * when a later stage failed (it only lost its reader). Returns the stage index or -1
 * when all succeeded; *code gets the exit status (128 + signal for a signal death). */
int bf_pipeline_verdict(const struct bf_pipeline *p, int *code);
/* "exit 69", "killed by signal 9 (Killed)" for a stage, into out. */
void bf_child_describe(const struct bf_child *c, char *out, size_t len);
void bf_pipeline_free(struct bf_pipeline *p);

/* Starts argv with input written to its stdin (stdout and stderr inherited); returns
 * 0 and *pid, or BF_EOS. The caller reaps *pid. The write gives up when the child
 * closes its stdin early. */
int bf_child_feed(char *const *argv, const char *input, size_t len, pid_t *pid, struct bf_err *err);

#endif
