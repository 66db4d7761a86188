#include "targets/bf_pgconn.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"

struct bf_pgconn_seg {
	int n, commit;
	struct qstmt {
		char *sql;
		int np;
		char **p;
	} *st;
};

void bf_pgconn_init(struct bf_pgconn *k, PGconn *c, const char *display)
{
	memset(k, 0, sizeof *k);
	k->c = c;
	k->display = display;
}

static void free_seg(struct bf_pgconn_seg *s)
{
	for (int i = 0; i < s->n; i++) {
		free(s->st[i].sql);
		for (int j = 0; j < s->st[i].np; j++)
			free(s->st[i].p[j]);
		free(s->st[i].p);
	}
	free(s->st);
}

static void drop_queue(struct bf_pgconn *k)
{
	for (size_t i = 0; i < k->nseg; i++)
		free_seg(&k->seg[i]);
	k->nseg = k->nsent = 0;
	k->ends = 0;
	free(k->copy_sql);
	k->copy_sql = NULL;
	PQclear(k->bad);
	k->bad = NULL;
}

void bf_pgconn_free(struct bf_pgconn *k)
{
	drop_queue(k);
	free(k->seg);
	PQfinish(k->c);
	memset(k, 0, sizeof *k);
}

/* The exit code for a failed result (NULL: the connection's own error). */
static int code_of(struct bf_pgconn *k, const PGresult *r)
{
	if (PQstatus(k->c) == CONNECTION_BAD)
		return BF_EUNAVAIL;
	const char *st = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
	if (!st)
		return BF_EUNAVAIL;
	if (!strncmp(st, "08", 2) || !strncmp(st, "57P", 3))
		return BF_EUNAVAIL;
	if (!strncmp(st, "28", 2) || !strcmp(st, "42501"))
		return BF_ENOPERM;
	if (!strncmp(st, "40", 2) || !strcmp(st, "55P03") || !strcmp(st, "57014"))
		return BF_ETEMP;
	if (!strncmp(st, "22", 2) || !strncmp(st, "23", 2))
		return BF_EDATA;
	if (!strncmp(st, "53", 2))
		return BF_EOS;
	return BF_ESOFTWARE;
}

/* Records the first error (r: a failed result, cleared here; NULL: the connection's). */
static void fail(struct bf_pgconn *k, PGresult *r)
{
	if (!k->rc) {
		int code = code_of(k, r);
		const char *m = r ? PQresultErrorMessage(r) : NULL;
		if (!m || !*m)
			m = PQerrorMessage(k->c);
		int n = (int)strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		k->rc = bf_fail(&k->err, code, k->display, "%s%.*s",
				code == BF_EUNAVAIL ? "connection lost: " : "", n, m);
	}
	PQclear(r);
}

static int sticky(struct bf_pgconn *k, struct bf_err *err)
{
	if (k->rc && err)
		*err = k->err;
	return k->rc;
}

/* The connection is gone: nothing queued will be answered. */
static void lost(struct bf_pgconn *k)
{
	fail(k, NULL);
	drop_queue(k);
	k->phase = BF_PGC_IDLE;
	if (k->commit == BF_PGC_COMMIT_SENT)
		k->commit = BF_PGC_COMMIT_FAILED;
}

static void keep_bad(struct bf_pgconn *k, PGresult *r)
{
	if (!k->bad)
		k->bad = r;
	else
		PQclear(r);
}

/* The error of what was just read completely, if any. */
static void report(struct bf_pgconn *k, int commit)
{
	PGresult *r = k->bad;
	k->bad = NULL;
	if (!r)
		return;
	if (k->quiet && !commit)
		PQclear(r);
	else
		fail(k, r);
}

static int send_segs(struct bf_pgconn *k)
{
	if (k->phase == BF_PGC_IDLE) {
		if (PQenterPipelineMode(k->c) != 1) {
			lost(k);
			return 0;
		}
		k->phase = BF_PGC_PIPE;
	}
	for (; k->nsent < k->nseg; k->nsent++) {
		struct bf_pgconn_seg *s = &k->seg[k->nsent];
		for (int i = 0; i < s->n; i++) {
			const struct qstmt *q = &s->st[i];
			if (PQsendQueryParams(k->c, q->sql, q->np, NULL, (const char *const *)q->p, NULL, NULL,
					      0) != 1) {
				lost(k);
				return 0;
			}
		}
		if (PQpipelineSync(k->c) != 1) {
			lost(k);
			return 0;
		}
	}
	if (PQflush(k->c) != 0) {
		lost(k);
		return 0;
	}
	return 1;
}

/* A result of the oldest segment sent. */
static int pipe_result(struct bf_pgconn *k, PGresult *r)
{
	struct bf_pgconn_seg *s = &k->seg[0];
	if (!r) {
		/* one after each statement's results; more means the connection is gone */
		if (++k->ends > s->n || PQstatus(k->c) == CONNECTION_BAD)
			lost(k);
		return 1;
	}
	ExecStatusType st = PQresultStatus(r);
	if (st != PGRES_PIPELINE_SYNC) {
		if (st != PGRES_COMMAND_OK && st != PGRES_TUPLES_OK && st != PGRES_PIPELINE_ABORTED)
			keep_bad(k, r);
		else
			PQclear(r);
		return 1;
	}
	PQclear(r);
	int commit = s->commit;
	if (commit)
		k->commit = k->bad ? BF_PGC_COMMIT_FAILED : BF_PGC_COMMIT_NONE;
	report(k, commit);
	free_seg(s);
	memmove(k->seg, k->seg + 1, (k->nseg - 1) * sizeof *k->seg);
	k->nseg--;
	k->nsent--;
	k->ends = 0;
	if (!k->nsent) {
		PQexitPipelineMode(k->c);
		k->phase = BF_PGC_IDLE;
	}
	return 1;
}

/* One step forward: 1 when something was done, 0 when nothing can be done (without
 * waiting, unless block). Errors are recorded, not returned. */
static int step(struct bf_pgconn *k, int block)
{
	if (PQstatus(k->c) == CONNECTION_BAD) {
		if (k->phase != BF_PGC_IDLE || k->nseg || k->commit == BF_PGC_COMMIT_SENT) {
			lost(k);
			return 1;
		}
		return 0;
	}
	switch (k->phase) {
	case BF_PGC_IDLE:
	case BF_PGC_PIPE:
		if (k->nsent < k->nseg)
			return send_segs(k);
		if (k->phase == BF_PGC_PIPE)
			break;
		if (!k->copy_sql)
			return 0;
		if (PQsendQuery(k->c, k->copy_sql) != 1) {
			lost(k);
			return 0;
		}
		free(k->copy_sql);
		k->copy_sql = NULL;
		k->phase = BF_PGC_COPY_CMD;
		return 1;
	case BF_PGC_COPY_IN:
		return 0;
	default:
		break;
	}
	if (!block) {
		if (PQconsumeInput(k->c) != 1) {
			lost(k);
			return 1;
		}
		if (PQisBusy(k->c))
			return 0;
	}
	PGresult *r = PQgetResult(k->c);
	switch (k->phase) {
	case BF_PGC_PIPE:
		return pipe_result(k, r);
	case BF_PGC_COPY_CMD:
		if (!r) {
			lost(k);
			return 1;
		}
		if (PQresultStatus(r) == PGRES_COPY_IN) {
			PQclear(r);
			k->phase = BF_PGC_COPY_IN;
			return 1;
		}
		keep_bad(k, r);
		k->phase = BF_PGC_COPY_END; /* the results end with a NULL */
		return 1;
	default: /* BF_PGC_COPY_END */
		if (r) {
			if (PQresultStatus(r) != PGRES_COMMAND_OK)
				keep_bad(k, r);
			else
				PQclear(r);
			return 1;
		}
		k->phase = BF_PGC_IDLE;
		report(k, 0);
		return 1;
	}
}

int bf_pgconn_poll(struct bf_pgconn *k, struct bf_err *err)
{
	while (!k->rc && step(k, 0))
		;
	return sticky(k, err);
}

static int is_idle(const struct bf_pgconn *k)
{
	return k->phase == BF_PGC_IDLE && !k->nseg;
}

static int is_open(const struct bf_pgconn *k)
{
	return k->phase == BF_PGC_COPY_IN;
}

/* Waits until done(k) or an error. */
static int wait_for(struct bf_pgconn *k, int (*done)(const struct bf_pgconn *), const char *what,
		    struct bf_err *err)
{
	while (!k->rc && !done(k))
		if (!step(k, 1) && !k->rc && !done(k))
			return bf_fail(err, BF_ESOFTWARE, k->display, "nothing under way while waiting for %s",
				       what);
	return sticky(k, err);
}

int bf_pgconn_send(struct bf_pgconn *k, const struct bf_pgconn_stmt *st, int n, int commit,
		   struct bf_err *err)
{
	if (k->rc)
		return sticky(k, err);
	if (k->nseg == k->cap) {
		k->cap = k->cap ? k->cap * 2 : 4;
		k->seg = bf_xrealloc(k->seg, k->cap * sizeof *k->seg);
	}
	struct bf_pgconn_seg *s = &k->seg[k->nseg++];
	s->n = n;
	s->commit = commit;
	s->st = bf_xcalloc((size_t)n, sizeof *s->st);
	for (int i = 0; i < n; i++) {
		s->st[i].sql = bf_xstrdup(st[i].sql);
		s->st[i].np = st[i].np;
		s->st[i].p = st[i].np ? bf_xcalloc((size_t)st[i].np, sizeof *s->st[i].p) : NULL;
		for (int j = 0; j < st[i].np; j++)
			s->st[i].p[j] = st[i].params[j] ? bf_xstrdup(st[i].params[j]) : NULL;
	}
	if (commit)
		k->commit = BF_PGC_COMMIT_SENT;
	return bf_pgconn_poll(k, err);
}

int bf_pgconn_exec(struct bf_pgconn *k, const char *sql, int np, const char *const *params,
		   PGresult **rows, struct bf_err *err)
{
	int rc = wait_for(k, is_idle, "the statements before one", err);
	if (rc)
		return rc;
	PGresult *r = np ? PQexecParams(k->c, sql, np, NULL, params, NULL, NULL, 0) : PQexec(k->c, sql);
	ExecStatusType s = PQresultStatus(r);
	if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK) {
		fail(k, r);
		return sticky(k, err);
	}
	if (rows)
		*rows = r;
	else
		PQclear(r);
	return 0;
}

void bf_pgconn_want_copy(struct bf_pgconn *k, const char *sql)
{
	free(k->copy_sql);
	k->copy_sql = bf_xstrdup(sql);
}

int bf_pgconn_copy_open(struct bf_pgconn *k, struct bf_err *err)
{
	return wait_for(k, is_open, "a COPY to open", err);
}

int bf_pgconn_copy_put(struct bf_pgconn *k, const char *data, size_t n, int end, struct bf_err *err)
{
	if (k->rc)
		return sticky(k, err);
	if ((n && PQputCopyData(k->c, data, (int)n) != 1) || (end && PQputCopyEnd(k->c, NULL) != 1)) {
		lost(k);
		return sticky(k, err);
	}
	if (end)
		k->phase = BF_PGC_COPY_END;
	return 0;
}

int bf_pgconn_commit_pending(const struct bf_pgconn *k)
{
	return k->commit == BF_PGC_COMMIT_SENT;
}

int bf_pgconn_confirm(struct bf_pgconn *k, struct bf_err *err)
{
	/* on past an error: the commit's own answer is what counts */
	while (k->commit == BF_PGC_COMMIT_SENT)
		if (!step(k, 1) && k->commit == BF_PGC_COMMIT_SENT)
			lost(k);
	if (k->commit == BF_PGC_COMMIT_NONE)
		return 0;
	if (k->rc)
		return sticky(k, err);
	return bf_fail(err, BF_EUNAVAIL, k->display, "connection lost: the commit was not answered");
}

void bf_pgconn_abort(struct bf_pgconn *k)
{
	free(k->copy_sql);
	k->copy_sql = NULL;
	k->quiet = 1;
	for (;;) {
		while (step(k, 1))
			;
		if (k->phase != BF_PGC_COPY_IN)
			break;
		if (PQputCopyEnd(k->c, "rolled back") != 1)
			lost(k);
		else
			k->phase = BF_PGC_COPY_END;
	}
	k->quiet = 0;
	if (PQstatus(k->c) == CONNECTION_OK)
		PQclear(PQexec(k->c, "ROLLBACK"));
}
