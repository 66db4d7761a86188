/* Which stream and columns a query searches: the embedding column (type vector in
 * _bf_columns), the text columns (type string, lineage left out), the columns of the
 * records returned (all but vectors). Errors name what there is to choose from. */
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "search/bf_search_int.h"

int bf_search_columns(struct bf_search *s, struct bf_err *err)
{
	bf_sdb_cols_free(s->cols, s->ncols);
	s->cols = NULL;
	s->ncols = 0;
	return s->db->ops->columns(s->db, &s->cols, &s->ncols, err);
}

static int is_vector(const struct bf_sdb_col *c)
{
	return !strcmp(c->type, "vector");
}

/* "a (x, y), b (z)": the streams with embedding columns, and theirs. */
static void streams_with_vectors(const struct bf_search *s, struct bf_buf *b)
{
	const char *last = NULL;
	for (size_t i = 0; i < s->ncols; i++) {
		const struct bf_sdb_col *c = &s->cols[i];
		if (!is_vector(c))
			continue;
		if (last && !strcmp(last, c->stream)) {
			bf_buf_adds(b, ", ");
		} else {
			bf_buf_adds(b, last ? "), " : "");
			bf_buf_adds(b, c->stream);
			bf_buf_adds(b, " (");
		}
		bf_buf_adds(b, c->name);
		last = c->stream;
	}
	if (last)
		bf_buf_addc(b, ')');
}

static void stream_names(const struct bf_search *s, struct bf_buf *b)
{
	const char *last = NULL;
	for (size_t i = 0; i < s->ncols; i++)
		if (!last || strcmp(last, s->cols[i].stream)) {
			bf_buf_adds(b, last ? ", " : "");
			bf_buf_adds(b, s->cols[i].stream);
			last = s->cols[i].stream;
		}
}

static const char *only_stream_with_vectors(const struct bf_search *s, int *count)
{
	const char *one = NULL;
	*count = 0;
	for (size_t i = 0; i < s->ncols; i++)
		if (is_vector(&s->cols[i]) && (!one || strcmp(one, s->cols[i].stream))) {
			one = s->cols[i].stream;
			(*count)++;
		}
	return one;
}

static int no_vectors(const struct bf_search *s, const char *stream, struct bf_err *err)
{
	struct bf_buf b = BF_BUF_INIT;
	streams_with_vectors(s, &b);
	int rc = stream
		? bf_fail(err, BF_EUSAGE, "--stream", "%s has no embedding column; %s%s", stream,
			  b.len ? "streams with one: " : "no stream has one (bf-enrich --embed makes them)", b.len ? b.p : "")
		: bf_fail(err, BF_EUSAGE, NULL, "no stream of the warehouse has an embedding column (bf-enrich --embed"
			  " makes them); search its words with --mode text --stream S");
	bf_buf_free(&b);
	return rc;
}

int bf_search_pick(struct bf_search *s, const struct bf_search_query *q, struct pick *p, struct bf_err *err)
{
	struct bf_buf b = BF_BUF_INIT;
	int rc = 0, count;
	memset(p, 0, sizeof *p);
	const char *stream = q->stream;
	if (stream) {
		int found = 0;
		for (size_t i = 0; i < s->ncols && !found; i++)
			found = !strcmp(s->cols[i].stream, stream);
		if (!found) {
			stream_names(s, &b);
			rc = bf_fail(err, BF_EUSAGE, "--stream", "no stream %s in the warehouse (streams: %s)", stream,
				     b.len ? b.p : "none");
			goto out;
		}
	} else {
		stream = only_stream_with_vectors(s, &count);
		if (count > 1) {
			streams_with_vectors(s, &b);
			rc = bf_fail(err, BF_EUSAGE, "--stream", "several streams have embedding columns: %s", b.p);
			goto out;
		}
		if (!stream && q->mode != BF_SEARCH_TEXT) {
			rc = no_vectors(s, NULL, err);
			goto out;
		}
		if (!stream) {
			stream_names(s, &b);
			if (!b.len || strchr(b.p, ',')) {
				rc = bf_fail(err, BF_EUSAGE, "--stream", "which stream? (streams: %s)", b.len ? b.p : "none");
				goto out;
			}
			stream = s->ncols ? s->cols[0].stream : NULL;
		}
	}
	p->stream = stream;
	p->text = bf_xcalloc(s->ncols + 1, sizeof *p->text);
	p->rec = bf_xcalloc(s->ncols + 1, sizeof *p->rec);
	size_t nvec = 0;
	for (size_t i = 0; i < s->ncols; i++) {
		const struct bf_sdb_col *c = &s->cols[i];
		if (strcmp(c->stream, stream))
			continue;
		if (is_vector(c)) {
			nvec++;
			if (!q->column ? !p->vcol : !strcmp(c->name, q->column))
				p->vcol = c;
			continue;
		}
		p->rec[p->nrec++] = *c;
		if (!strcmp(c->name, "closure_indicator"))
			p->has_closure = 1;
		if (!strcmp(c->type, "string") && strncmp(c->name, "_bf_", 4))
			p->text[p->ntext++] = c->name;
	}
	if (q->mode == BF_SEARCH_TEXT)
		goto out;
	if (!nvec) {
		rc = no_vectors(s, stream, err);
	} else if (q->column && !p->vcol) {
		streams_with_vectors(s, &b);
		rc = bf_fail(err, BF_EUSAGE, "--column", "%s is not an embedding column of %s (embedding columns: %s)",
			     q->column, stream, b.p);
	} else if (!q->column && nvec > 1) {
		streams_with_vectors(s, &b);
		rc = bf_fail(err, BF_EUSAGE, "--column", "%s has several embedding columns, choose one (%s)", stream, b.p);
	}
out:
	bf_buf_free(&b);
	if (rc)
		bf_search_pick_free(p);
	return rc;
}

void bf_search_pick_free(struct pick *p)
{
	free(p->text);
	free(p->rec);
	memset(p, 0, sizeof *p);
}
