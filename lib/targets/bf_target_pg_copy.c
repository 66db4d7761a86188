/* The PostgreSQL target's COPY: rows become COPY data (binary format; text for what the
 * binary path does not take, bf_pgcopy) sent in chunks while the next rows are read.
 * Records without lineage of a stream with keys are copied into a temporary table of the
 * stream's columns, then merged into the table in the same transaction:
 * INSERT ... SELECT DISTINCT ON (keys) ... ORDER BY keys, arrival DESC ON CONFLICT (keys)
 * DO UPDATE, so that the last record of a key wins, as it would row by row. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "targets/bf_pgcopy.h"
#include "base/bf_sql.h"
#include "targets/bf_target_pg_int.h"

/* COPY data goes out in chunks: a small first one gets the server working early in each
 * COPY, then large ones (many small ones cost the server more CPU). Until the COPY is
 * open (the answers to what was sent before it came), up to LOOKAHEAD bytes of rows are
 * held, so that reading them overlaps the server's work on what came before. */
#define CHUNK_FIRST (32u << 10)
#define CHUNK (256u << 10)
#define LOOKAHEAD (1u << 20)
#define POLL_ROWS 16u

/* The temporary table of stream number i (the session's own schema). */
static void stage_name(struct bf_buf *q, size_t i)
{
	char name[48];
	snprintf(name, sizeof name, "_bf_stage_%zu", i);
	bf_buf_adds(q, "pg_temp.");
	bf_sql_ident(q, name);
}

static void ident_list(struct bf_buf *q, char *const *names, size_t n, const char *prefix)
{
	for (size_t i = 0; i < n; i++) {
		bf_buf_adds(q, i ? ", " : "");
		if (prefix)
			bf_buf_adds(q, prefix);
		bf_sql_ident(q, names[i]);
	}
}

/* Makes the temporary table hold the stream's columns now (again after they changed).
 * Its rows go at each commit; a rollback takes the table itself. */
static int make_stage(struct pgt *t, size_t i, struct bf_err *err)
{
	struct pstream *s = t->s[i];
	if (s->stage_version == s->def->version)
		return 0;
	struct bf_buf *q = &t->sql;
	bf_buf_reset(q);
	bf_buf_adds(q, "DROP TABLE IF EXISTS ");
	stage_name(q, i);
	int rc = bf_pgconn_exec(&t->k, q->p, 0, NULL, NULL, err);
	if (rc)
		return rc;
	bf_buf_reset(q);
	bf_buf_adds(q, "CREATE TEMPORARY TABLE ");
	stage_name(q, i);
	bf_buf_adds(q, " (LIKE ");
	pgt_qname(t, q, s->name);
	bf_buf_adds(q, ", \"_bf_arrival\" bigserial) ON COMMIT DELETE ROWS");
	if ((rc = bf_pgconn_exec(&t->k, q->p, 0, NULL, NULL, err)))
		return rc;
	s->stage_version = s->def->version;
	return 0;
}

/* The merge of the temporary table into the table, for the keys of now. */
static char *merge_sql(struct pgt *t, struct pstream *s, size_t i)
{
	const struct bf_stream_def *d = s->def;
	struct bf_buf q = BF_BUF_INIT;
	char **cols = bf_xcalloc(d->ncols + 1, sizeof *cols);
	for (size_t c = 0; c < d->ncols; c++)
		cols[c] = d->cols[c].name;
	bf_buf_adds(&q, "INSERT INTO ");
	pgt_qname(t, &q, s->name);
	bf_buf_adds(&q, " (");
	ident_list(&q, cols, d->ncols, NULL);
	bf_buf_adds(&q, ") SELECT DISTINCT ON (");
	ident_list(&q, d->keys, d->nkeys, NULL);
	bf_buf_adds(&q, ") ");
	ident_list(&q, cols, d->ncols, NULL);
	bf_buf_adds(&q, " FROM ");
	stage_name(&q, i);
	bf_buf_adds(&q, " ORDER BY ");
	ident_list(&q, d->keys, d->nkeys, NULL);
	bf_buf_adds(&q, ", \"_bf_arrival\" DESC ON CONFLICT (");
	ident_list(&q, d->keys, d->nkeys, NULL);
	bf_buf_adds(&q, ") DO ");
	size_t set = 0;
	for (size_t c = 0; c < d->ncols; c++) {
		size_t k = 0;
		while (k < d->nkeys && strcmp(d->keys[k], cols[c]))
			k++;
		if (k < d->nkeys)
			continue;
		bf_buf_adds(&q, set++ ? ", " : "UPDATE SET ");
		bf_sql_ident(&q, cols[c]);
		bf_buf_adds(&q, " = EXCLUDED.");
		bf_sql_ident(&q, cols[c]);
	}
	if (!set)
		bf_buf_adds(&q, "NOTHING");
	free(cols);
	return bf_buf_detach(&q);
}

int pgt_end_copy(struct pgt *t, struct bf_err *err)
{
	if (!t->copying)
		return 0;
	struct pstream *s = t->s[t->copying - 1];
	size_t i = (size_t)t->copying - 1;
	t->copying = 0;
	int rc = bf_pgconn_copy_open(&t->k, err);
	if (!rc && t->copy_bin)
		bf_buf_add(&t->copy, "\377\377", 2); /* the trailer: a field count of -1 */
	if (!rc)
		rc = bf_pgconn_copy_put(&t->k, t->copy.p, t->copy.len, 1, err);
	t->copy_bin = 0;
	bf_buf_reset(&t->copy);
	if (!rc && s->merge_sql) {
		struct bf_buf trunc = BF_BUF_INIT;
		bf_buf_adds(&trunc, "TRUNCATE ");
		stage_name(&trunc, i);
		const struct bf_pgconn_stmt st[2] = { { s->merge_sql, 0, NULL }, { trunc.p, 0, NULL } };
		rc = bf_pgconn_send(&t->k, st, 2, 0, err);
		bf_buf_free(&trunc);
	}
	free(s->merge_sql);
	s->merge_sql = NULL;
	return rc;
}

/* Every column of the stream has, in the table, the type the loader would create. */
static int stream_binary(const struct pstream *s)
{
	const struct bf_stream_def *d = s->def;
	for (size_t i = 0; i < d->ncols; i++) {
		size_t k = 0;
		while (k < s->ncols && strcmp(s->cols[k], d->cols[i].name))
			k++;
		if (k == s->ncols || s->oids[k] != bf_pgcopy_type_oid(d->cols[i].type))
			return 0;
	}
	return 1;
}

/* Sets up the COPY of stream number i; the command goes out once what is queued before
 * it was answered. Its column list is the stream's now: a change of it ends this COPY. */
static int start_copy(struct pgt *t, size_t i, struct bf_err *err)
{
	struct pstream *s = t->s[i];
	const struct bf_stream_def *d = s->def;
	int upsert = t->foreign && d->nkeys > 0, rc;
	if (upsert && (rc = make_stage(t, i, err)))
		return rc;
	t->copying = (int)i + 1;
	t->copy_bin = !t->text_only && stream_binary(s);
	t->chunk = CHUNK_FIRST;
	if (t->copy_bin)
		bf_pgcopy_bin_header(&t->copy);
	free(s->merge_sql);
	s->merge_sql = upsert ? merge_sql(t, s, i) : NULL;
	bf_buf_reset(&t->sql);
	bf_buf_adds(&t->sql, "COPY ");
	if (upsert)
		stage_name(&t->sql, i);
	else
		pgt_qname(t, &t->sql, s->name);
	bf_buf_adds(&t->sql, " (");
	for (size_t c = 0; c < d->ncols; c++) {
		bf_buf_adds(&t->sql, c ? ", " : "");
		bf_sql_ident(&t->sql, d->cols[c].name);
	}
	bf_buf_adds(&t->sql, t->copy_bin ? ") FROM STDIN (FORMAT binary)" : ") FROM STDIN");
	bf_pgconn_want_copy(&t->k, t->sql.p);
	return 0;
}

/* Sends the held COPY data when the COPY is open and there is enough of it; waits for
 * the COPY to open only when LOOKAHEAD bytes are held. */
static int flush_copy(struct pgt *t, struct bf_err *err)
{
	int rc = 0;
	if (t->k.phase != BF_PGC_COPY_IN) {
		if (t->copy.len >= LOOKAHEAD)
			rc = bf_pgconn_copy_open(&t->k, err);
		else if (++t->rows % POLL_ROWS == 0)
			rc = bf_pgconn_poll(&t->k, err);
		if (rc || t->k.phase != BF_PGC_COPY_IN)
			return rc;
	}
	if (t->copy.len < t->chunk)
		return 0;
	rc = bf_pgconn_copy_put(&t->k, t->copy.p, t->copy.len, 0, err);
	bf_buf_reset(&t->copy);
	t->chunk = CHUNK;
	return rc;
}

int pgt_copy_row(struct pgt *t, struct pstream *s, const struct bf_row *r, struct bf_err *err)
{
	size_t i = s->idx;
	int rc;
	if (t->copying != (int)i + 1) {
		if ((rc = pgt_end_copy(t, err)) || (rc = start_copy(t, i, err)))
			return rc;
	}
	if (t->copy_bin && bf_pgcopy_row_bin(&t->copy, r)) {
		/* a value for the server to parse: text COPY for the rest of the partition */
		t->text_only = 1;
		if ((rc = pgt_end_copy(t, err)) || (rc = start_copy(t, i, err)))
			return rc;
	}
	if (!t->copy_bin)
		bf_pgcopy_row_text(&t->copy, r);
	return flush_copy(t, err);
}

/* The loader waits for input: the rows held go to the server meanwhile. */
int pgt_flush(struct bf_target *bt, struct bf_err *err)
{
	struct pgt *t = (struct pgt *)bt;
	if (!t->copying)
		return bf_pgconn_poll(&t->k, err);
	int rc = bf_pgconn_copy_open(&t->k, err);
	if (!rc && t->copy.len)
		rc = bf_pgconn_copy_put(&t->k, t->copy.p, t->copy.len, 0, err);
	bf_buf_reset(&t->copy);
	return rc;
}

void pgt_copy_reset(struct pgt *t)
{
	t->copying = t->copy_bin = t->text_only = 0;
	bf_buf_reset(&t->copy);
	for (size_t i = 0; i < t->ns; i++) {
		free(t->s[i]->merge_sql);
		t->s[i]->merge_sql = NULL;
		t->s[i]->stage_version = 0;
	}
}
