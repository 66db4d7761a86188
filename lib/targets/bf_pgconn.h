/* A libpq connection driven so that the loader rarely waits for the server: statements
 * go out in pipeline segments (each up to a sync point), a COPY is opened as soon as what
 * was queued ahead of it was answered, and answers are read as they arrive
 * (bf_pgconn_poll) or waited for when needed. libpq allows no COPY in a pipeline, so a
 * COPY and the segments around it take turns on the connection; COPY data for a COPY not
 * yet open is the caller's to hold.
 *
 * The first error sticks: every later call returns it (the transaction is lost anyway).
 * Exit codes: 69 for a lost connection or a server going away, 77 for permissions, 75
 * for serialization/lock failures and cancels, 65 for data the server refused, 71 for
 * the server out of resources, 70 otherwise. */
#ifndef BF_PGCONN_H
#define BF_PGCONN_H

#include <stddef.h>
#include <libpq-fe.h>

#include "base/bf_log.h"

struct bf_pgconn_stmt {
	const char *sql;
	int np;
	const char *const *params;
};

enum bf_pgconn_phase {
	BF_PGC_IDLE,       /* nothing outstanding */
	BF_PGC_PIPE,       /* pipeline segments sent, answers due */
	BF_PGC_COPY_CMD,   /* a COPY command sent, the server's go-ahead due */
	BF_PGC_COPY_IN,    /* a COPY is open for data */
	BF_PGC_COPY_END,   /* a COPY's end sent, its result due */
};

enum bf_pgconn_commit { BF_PGC_COMMIT_NONE, BF_PGC_COMMIT_SENT, BF_PGC_COMMIT_FAILED };

struct bf_pgconn_seg;

struct bf_pgconn {
	PGconn *c;
	const char *display;       /* for messages */
	enum bf_pgconn_phase phase;
	struct bf_pgconn_seg *seg; /* queued segments, oldest first; the first nsent were sent */
	size_t nseg, nsent, cap;
	char *copy_sql;            /* a COPY to open once the segments ahead of it were answered */
	PGresult *bad;             /* the first error of what is being read */
	int ends;                  /* statements of the oldest segment whose results were read */
	int quiet;                 /* rolling back: errors other than a commit's are dropped */
	enum bf_pgconn_commit commit; /* of the last segment sent as a commit */
	int rc;                    /* the first error ... */
	struct bf_err err;         /* ... and its message */
};

void bf_pgconn_init(struct bf_pgconn *k, PGconn *c, const char *display);
/* Frees the queue and closes the connection. */
void bf_pgconn_free(struct bf_pgconn *k);

/* Queues statements as one segment (copied) and sends what it can without waiting.
 * commit: the segment commits a transaction; bf_pgconn_confirm waits for it. */
int bf_pgconn_send(struct bf_pgconn *k, const struct bf_pgconn_stmt *st, int n, int commit,
		   struct bf_err *err);
/* Reads what has arrived and sends what can go, without waiting. */
int bf_pgconn_poll(struct bf_pgconn *k, struct bf_err *err);
/* Waits until everything queued was answered, then runs one statement. rows: where the
 * result of a query goes (the caller clears it), or NULL. */
int bf_pgconn_exec(struct bf_pgconn *k, const char *sql, int np, const char *const *params,
		   PGresult **rows, struct bf_err *err);

/* A COPY ... FROM STDIN to open after what is queued now (its text copied). */
void bf_pgconn_want_copy(struct bf_pgconn *k, const char *sql);
/* Waits until that COPY is open. */
int bf_pgconn_copy_open(struct bf_pgconn *k, struct bf_err *err);
/* Sends data of the open COPY; end: then ends it (its result is read later). */
int bf_pgconn_copy_put(struct bf_pgconn *k, const char *data, size_t n, int end, struct bf_err *err);

/* 1 while the last commit segment is unanswered. */
int bf_pgconn_commit_pending(const struct bf_pgconn *k);
/* Waits for the last commit segment's answer only: 0 when it committed. */
int bf_pgconn_confirm(struct bf_pgconn *k, struct bf_err *err);

/* For a rollback: drops the wanted COPY, ends an open one with an error, reads every
 * answer (keeping only a commit's error), then rolls the transaction back. */
void bf_pgconn_abort(struct bf_pgconn *k);

#endif
