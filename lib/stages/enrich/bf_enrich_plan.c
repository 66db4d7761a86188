/* The plan of a stream: which columns bf-enrich derives and which tasks it runs, built
 * from the options when the stream's SCHEMA arrives (or its first RECORD, without one). */
#include "stages/enrich/bf_enrich_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_log.h"

/* Well-known POS (Toast export) columns, as bf-extract names them: the default. */
static const struct { const char *name; enum bf_enrich_dkind kind; } auto_cols[] = {
	{ "opened", BF_EK_TIMESTAMP }, { "closed", BF_EK_TIMESTAMP }, { "paid", BF_EK_TIMESTAMP },
	{ "paid_date", BF_EK_TIMESTAMP }, { "order_date", BF_EK_TIMESTAMP },
	{ "sent_date", BF_EK_TIMESTAMP }, { "fired_date", BF_EK_TIMESTAMP },
	{ "fulfilled_date", BF_EK_TIMESTAMP }, { "void_date", BF_EK_TIMESTAMP },
	{ "created_date", BF_EK_TIMESTAMP }, { "modified_date", BF_EK_TIMESTAMP },
	{ "in_date", BF_EK_TIMESTAMP }, { "out_date", BF_EK_TIMESTAMP },
	{ "amount", BF_EK_MONEY }, { "tax", BF_EK_MONEY }, { "tip", BF_EK_MONEY },
	{ "gratuity", BF_EK_MONEY }, { "total", BF_EK_MONEY }, { "discount_amount", BF_EK_MONEY },
	{ "gross_price", BF_EK_MONEY }, { "net_price", BF_EK_MONEY }, { "discount", BF_EK_MONEY },
	{ "refund_amount", BF_EK_MONEY }, { "avg_price", BF_EK_MONEY },
	{ "duration_opened_to_paid", BF_EK_DURATION }, { "fulfillment_time", BF_EK_DURATION },
};

int bf_enrich_plan_find_col(struct plan *p, const char *name, size_t n)
{
	for (int i = 0; i < p->ncols; i++)
		if (p->cols[i].nlen == n && !memcmp(p->cols[i].name, name, n))
			return i;
	return -1;
}

static int plan_col(struct plan *p, const char *name, int derive, int always)
{
	size_t n = strlen(name);
	int i = bf_enrich_plan_find_col(p, name, n);
	if (i < 0) {
		p->cols = bf_xrealloc(p->cols, (size_t)(p->ncols + 1) * sizeof *p->cols);
		i = p->ncols++;
		memset(&p->cols[i], 0, sizeof p->cols[i]);
		p->cols[i].name = bf_xstrdup(name);
		p->cols[i].nlen = n;
		p->cols[i].derive = -1;
		p->cols[i].always = 0;
	}
	if (derive >= 0 && p->cols[i].derive < 0)
		p->cols[i].derive = derive;
	if (always)
		p->cols[i].always = 1;
	return i;
}

/* Whether the SCHEMA property name is the data's own column: not absent, and not a member
 * bf-enrich added (marked "x-bf-derived", or an embedding's "x-bf-embedding"), so that
 * enriching a stream again replaces what the earlier run added. */
static int data_column(const cJSON *props, const char *name)
{
	const cJSON *p = props ? cJSON_GetObjectItemCaseSensitive(props, name) : NULL;
	return p && !cJSON_GetObjectItemCaseSensitive(p, "x-bf-derived") &&
	       !cJSON_GetObjectItemCaseSensitive(p, "x-bf-embedding");
}

/* The name of a member bf-enrich adds: base, or base_2, base_3, ... when the data has a
 * column of that name or an earlier output took it; never replaces the data's column. */
static char *out_name(const cJSON *props, char **taken, size_t ntaken, const char *base)
{
	struct bf_buf b = BF_BUF_INIT;
	for (int k = 1;; k++) {
		bf_buf_reset(&b);
		bf_buf_adds(&b, base);
		if (k > 1)
			bf_buf_addf(&b, "_%d", k);
		int used = data_column(props, b.p);
		for (size_t i = 0; i < ntaken && !used; i++)
			used = !strcmp(taken[i], b.p);
		if (!used)
			break;
	}
	if (strcmp(b.p, base))
		bf_warn(NULL, "the data has a column %s: bf-enrich writes its own as %s", base, b.p);
	return bf_buf_detach(&b);
}

static int stream_match(const char *pat, const char *s)
{
	return !strcmp(pat, "*") || !strcmp(pat, s);
}

/* props: the SCHEMA's properties, or NULL when the stream has none. */
struct plan *bf_enrich_plan_build(struct bf_enrich_opts *o, int auto_on, const char *stream,
			       const cJSON *props)
{
	struct plan *p = bf_xcalloc(1, sizeof *p);
	p->stream = bf_xstrdup(stream);
	p->slen = strlen(stream);
	p->declared = props != NULL;
	for (int i = 0; i < o->nderives; i++)
		if (stream_match(o->derives[i].stream, stream))
			plan_col(p, o->derives[i].column, (int)o->derives[i].kind, 1);
	if (auto_on && props)        /* only streams a SCHEMA declared */
		for (size_t i = 0; i < sizeof auto_cols / sizeof auto_cols[0]; i++)
			if (cJSON_GetObjectItemCaseSensitive(props, auto_cols[i].name))
				plan_col(p, auto_cols[i].name, (int)auto_cols[i].kind, 0);
	for (int i = 0; i < o->ntasks; i++) {
		struct bf_enrich_task *t = &o->tasks[i];
		if (!stream_match(t->stream, stream))
			continue;
		p->tasks = bf_xrealloc(p->tasks, (size_t)(p->ntasks + 1) * sizeof *p->tasks);
		p->tcols = bf_xrealloc(p->tcols, (size_t)(p->ntasks + 1) * sizeof *p->tcols);
		p->tasks[p->ntasks] = t;
		p->tcols[p->ntasks] = bf_xcalloc((size_t)t->ncols, sizeof(int));
		for (int c = 0; c < t->ncols; c++)
			p->tcols[p->ntasks][c] = plan_col(p, t->cols[c], -1, 0);
		if (t->kind != BF_ET_HASH)
			p->nmodel++;
		p->ntasks++;
	}
	static const char *const ts_suffix[4] = { "_iso", "_weekday", "_hour", "_daypart" };
	char **taken = NULL;
	size_t ntaken = 0;
	for (int i = 0; i < p->ncols; i++) {
		struct pcol *col = &p->cols[i];
		int nm = col->derive == BF_EK_TIMESTAMP ? 4 : col->derive >= 0 ? 1 : 0;
		for (int k = 0; k < nm; k++) {
			const char *suffix = col->derive == BF_EK_TIMESTAMP ? ts_suffix[k]
					   : col->derive == BF_EK_MONEY ? "_cents" : "_seconds";
			struct bf_buf b = BF_BUF_INIT;
			bf_buf_add(&b, col->name, col->nlen);
			bf_buf_adds(&b, suffix);
			col->oname[k] = out_name(props, taken, ntaken, b.p);
			taken = bf_xrealloc(taken, (ntaken + 1) * sizeof *taken);
			taken[ntaken++] = col->oname[k];
			bf_buf_reset(&b);
			bf_buf_add_json_str(&b, col->oname[k], strlen(col->oname[k]));
			bf_buf_addc(&b, ':');
			col->mlen[k] = b.len;
			col->mname[k] = bf_buf_detach(&b);
		}
	}
	p->tout = bf_xcalloc((size_t)p->ntasks + 1, sizeof *p->tout);
	for (int t = 0; t < p->ntasks; t++) {
		p->tout[t] = out_name(props, taken, ntaken, p->tasks[t]->out);
		taken = bf_xrealloc(taken, (ntaken + 1) * sizeof *taken);
		taken[ntaken++] = p->tout[t];
	}
	free(taken);
	return p;
}

void bf_enrich_plan_free(struct plan *p)
{
	while (p) {
		struct plan *older = p->older;
		for (int i = 0; i < p->ncols; i++) {
			free(p->cols[i].name);
			for (int k = 0; k < 4; k++) {
				free(p->cols[i].oname[k]);
				free(p->cols[i].mname[k]);
			}
		}
		free(p->cols);
		bf_colmap_free(&p->map);
		for (int i = 0; i < p->ntasks; i++) {
			free(p->tcols[i]);
			free(p->tout[i]);
		}
		free(p->tout);
		free(p->tcols);
		free(p->tasks);
		free(p->stream);
		free(p);
		p = older;
	}
}

struct plan *bf_enrich_plan_for(struct ctx *c, const char *s, size_t n)
{
	struct plan *p = c->last;
	if (p && p->slen == n && !memcmp(p->stream, s, n))
		return p;
	for (int i = 0; i < c->nplans; i++)
		if (c->plans[i]->slen == n && !memcmp(c->plans[i]->stream, s, n))
			return c->last = c->plans[i];
	char *name = bf_xstrndup(s, n);
	p = bf_enrich_plan_build(c->o, c->auto_on, name, NULL);
	free(name);
	c->plans = bf_xrealloc(c->plans, (size_t)(c->nplans + 1) * sizeof *c->plans);
	c->plans[c->nplans++] = p;
	return c->last = p;
}
