/* The partition's rows per stream and the values of its watched money columns. */
#include "stages/closure/bf_closure_tally.h"

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "stages/closure/bf_closure_learn.h"

static struct bf_closure_watch *watch_of(const struct bf_closure_tally *t, const char *stream)
{
	for (size_t i = 0; i < t->nwatch; i++)
		if (!strcmp(t->watch[i]->stream, stream))
			return t->watch[i];
	return NULL;
}

static void watch_clear(struct bf_closure_watch *w)
{
	for (int k = 0; w->keys[k]; k++)
		free(w->keys[k]);
	memset(w->keys, 0, sizeof w->keys);
	w->ncols = 0;
}

static struct bf_closure_watch *watch_new(struct bf_closure_tally *t, const char *stream)
{
	struct bf_closure_watch *w = bf_xcalloc(1, sizeof *w);
	w->stream = bf_xstrdup(stream);
	t->watch = bf_xrealloc(t->watch, (t->nwatch + 1) * sizeof *t->watch);
	t->watch[t->nwatch++] = w;
	/* the partition's entry of the stream, if any, watches from now on */
	for (size_t i = 0; i < t->nstreams; i++)
		if (!strcmp(t->streams[i].name, stream))
			t->more[i].watch = w;
	return w;
}

/* The void column after the money columns, unless it is one of them or none is set. */
static void watch_void(const struct bf_closure_tally *t, struct bf_closure_watch *w)
{
	const char *vc = t->cfg->void_column;
	if (!w->ncols || !vc || !*vc)
		return;
	for (int k = 0; k < w->ncols; k++)
		if (!strcmp(w->keys[k], vc))
			return;
	w->keys[w->ncols] = bf_xstrdup(vc);
}

/* The column --amount-column names, for its stream. */
static struct bf_closure_watch *watch_given(struct bf_closure_tally *t, const char *stream)
{
	struct bf_closure_watch *w = watch_of(t, stream);
	if (!w)
		w = watch_new(t, stream);
	watch_clear(w);
	w->keys[w->ncols++] = bf_xstrdup(t->cfg->amount_column);
	watch_void(t, w);
	return w;
}

struct cand {
	const char *name;
	int rank;
};

static int cmp_cand(const void *a, const void *b)
{
	const struct cand *x = a, *y = b;
	if (x->rank != y->rank)
		return x->rank < y->rank ? -1 : 1;
	return strcmp(x->name, y->name);
}

void bf_closure_tally_schema(struct bf_closure_tally *t, const char *stream, const cJSON *schema)
{
	const struct bf_closure_cfg *cfg = t->cfg;
	if (cfg->amount_stream) {
		if (!strcmp(stream, cfg->amount_stream))
			watch_given(t, stream);
		return;
	}
	if (cfg->activity_stream && strcmp(stream, cfg->activity_stream))
		return;
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties"), *p;
	struct cand *c = NULL;
	size_t n = 0;
	if (!cJSON_IsObject(props))
		props = NULL;
	cJSON_ArrayForEach(p, props) {
		int r = p->string ? bf_closure_money_name(p->string) : -1;
		if (r < 0)
			continue;
		c = bf_xrealloc(c, (n + 1) * sizeof *c);
		c[n++] = (struct cand){ p->string, r };
	}
	struct bf_closure_watch *w = watch_of(t, stream);
	if (w)
		watch_clear(w);
	if (n) {
		if (!w)
			w = watch_new(t, stream);
		qsort(c, n, sizeof *c, cmp_cand);
		for (size_t k = 0; k < n && w->ncols < BF_CLOSURE_TALLY_COLS; k++)
			w->keys[w->ncols++] = bf_xstrdup(c[k].name);
		watch_void(t, w);
	}
	free(c);
}

size_t bf_closure_tally_stream(struct bf_closure_tally *t, const char *name, size_t len)
{
	for (size_t i = t->nstreams; i-- > 0;)
		if (strlen(t->streams[i].name) == len && !memcmp(t->streams[i].name, name, len))
			return i;
	t->streams = bf_xrealloc(t->streams, (t->nstreams + 1) * sizeof *t->streams);
	t->more = bf_xrealloc(t->more, (t->nstreams + 1) * sizeof *t->more);
	struct bf_closure_stream *s = &t->streams[t->nstreams];
	struct bf_closure_tally_stream *m = &t->more[t->nstreams];
	s->name = bf_xstrndup(name, len);
	s->rows = 0;
	s->has_file = 0;
	memset(m, 0, sizeof *m);
	m->state_rows = -1;
	m->watch = watch_of(t, s->name);
	if (!m->watch && t->cfg->amount_stream && !strcmp(s->name, t->cfg->amount_stream))
		m->watch = watch_given(t, s->name);   /* the given column, with or without a SCHEMA */
	return t->nstreams++;
}

/* A true flag value: true, "true", "t", "yes", "y", "1" (any case). */
static int truthy(const char *v, size_t n, struct bf_buf *text)
{
	static const char *const yes[] = { "true", "t", "yes", "y", "1" };
	bf_json_text(v, n, text);
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (strlen(yes[i]) == text->len && !strncasecmp(text->p, yes[i], text->len))
			return 1;
	return 0;
}

static struct bf_closure_money *money_of(struct bf_closure_tally_stream *m, const char *column)
{
	for (size_t i = 0; i < m->nmoney; i++)
		if (!strcmp(m->money[i].column, column))
			return &m->money[i];
	m->money = bf_xrealloc(m->money, (m->nmoney + 1) * sizeof *m->money);
	struct bf_closure_money *x = &m->money[m->nmoney++];
	memset(x, 0, sizeof *x);
	x->column = bf_xstrdup(column);
	return x;
}

/* Found without building the record's tree (and without checking it again: bf_msg did). */
void bf_closure_tally_record(struct bf_closure_tally *t, size_t i, const char *rec, size_t len)
{
	struct bf_closure_tally_stream *m = &t->more[i];
	struct bf_closure_watch *w = m->watch;
	t->streams[i].rows++;
	if (!w || !w->ncols)
		return;
	struct bf_json_pick pk;
	bf_json_pick_init(&pk, (const char *const *)w->keys);
	bf_json_pick(&pk, rec, len);
	int voided = w->keys[w->ncols] && pk.spans[w->ncols].len &&
		     truthy(rec + pk.spans[w->ncols].start, pk.spans[w->ncols].len, &t->text);
	for (int k = 0; k < w->ncols; k++) {
		const char *v = rec + pk.spans[k].start;
		size_t n = pk.spans[k].len;
		double d;
		if (!n || (n == 4 && !memcmp(v, "null", 4)))
			continue;
		struct bf_closure_money *x = money_of(m, w->keys[k]);
		x->have = 1;
		if (voided) {
			x->voided++;
			continue;
		}
		if (*v == '"') {
			if (n == 2)
				continue;          /* "" is no amount */
			bf_json_text(v, n, &t->text);
			v = t->text.p;
			n = t->text.len;
		}
		x->values++;
		if (bf_closure_money(v, n, &d)) {
			x->bad++;
		} else {
			x->parsed++;
			x->sum += d;
		}
	}
}

const struct bf_closure_money *bf_closure_tally_money(const struct bf_closure_tally *t,
						      const char *stream, const char *column)
{
	for (size_t i = 0; i < t->nstreams; i++) {
		if (strcmp(t->streams[i].name, stream))
			continue;
		for (size_t k = 0; k < t->more[i].nmoney; k++)
			if (!strcmp(t->more[i].money[k].column, column))
				return &t->more[i].money[k];
	}
	return NULL;
}

void bf_closure_tally_reset(struct bf_closure_tally *t)
{
	for (size_t i = 0; i < t->nstreams; i++) {
		free(t->streams[i].name);
		for (size_t k = 0; k < t->more[i].nmoney; k++)
			free(t->more[i].money[k].column);
		free(t->more[i].money);
	}
	free(t->streams);
	free(t->more);
	t->streams = NULL;
	t->more = NULL;
	t->nstreams = 0;
}

void bf_closure_tally_free(struct bf_closure_tally *t)
{
	if (!t)
		return;
	bf_closure_tally_reset(t);
	for (size_t i = 0; i < t->nwatch; i++) {
		watch_clear(t->watch[i]);
		free(t->watch[i]->stream);
		free(t->watch[i]);
	}
	free(t->watch);
	t->watch = NULL;
	t->nwatch = 0;
	bf_buf_free(&t->text);
}
