/* A RECORD through bf-enrich: its members found without building a tree, the derived
 * fields computed, the hash embeddings made, the model tasks answered from the cache or
 * batched; the record leaves at once or waits in the queue. */
#include "stages/enrich/bf_enrich_int.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "model/bf_embed_hash.h"
#include "stages/enrich/bf_derive.h"

/* The text of a token into b: 1 with text, 0 for null/absent. */
static int token_text(struct val v, struct bf_buf *b)
{
	return bf_json_text(v.p, v.n, b);
}

static inline void put(struct bf_buf *m, const char *s, size_t n)
{
	memcpy(m->p + m->len, s, n);
	m->len += n;
}

/* A member "name":value; room was reserved. v NULL writes null; v must need no escaping. */
static inline void put_member_str(struct bf_buf *m, const struct pcol *col, int k, const char *v, size_t vn)
{
	if (m->len)
		m->p[m->len++] = ',';
	put(m, col->mname[k], col->mlen[k]);
	if (!v) {
		put(m, "null", 4);
		return;
	}
	m->p[m->len++] = '"';
	put(m, v, vn);
	m->p[m->len++] = '"';
}

static inline void put_member_int(struct bf_buf *m, const struct pcol *col, int k, long long v, int isnull)
{
	char d[24];
	int n = 0;
	unsigned long long u;
	if (m->len)
		m->p[m->len++] = ',';
	put(m, col->mname[k], col->mlen[k]);
	if (isnull) {
		put(m, "null", 4);
		return;
	}
	if (v < 0) {
		m->p[m->len++] = '-';
		u = (unsigned long long)(-(v + 1)) + 1;
	} else {
		u = (unsigned long long)v;
	}
	do {
		d[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	while (n)
		m->p[m->len++] = d[--n];
}

/* The text of a token without copying when it has no escapes: 1 with text, 0 for
 * null/absent. */
static int token_view(struct ctx *c, struct val v, const char **s, size_t *n)
{
	if (!v.p || (v.n == 4 && !memcmp(v.p, "null", 4)))
		return 0;
	if (v.p[0] != '"') {
		*s = v.p;
		*n = v.n;
		return 1;
	}
	if (!v.esc) {
		*s = v.p + 1;
		*n = v.n - 2;
		return 1;
	}
	token_text(v, &c->text);
	*s = c->text.p;
	*n = c->text.len;
	return 1;
}

static void derive_col(struct ctx *c, struct plan *pl, struct pcol *col, struct val v,
		       struct part *part, struct bf_buf *m)
{
	const char *s = NULL;
	size_t n = 0;
	int have = token_view(c, v, &s, &n);
	int ok = 0;
	bf_buf_grow(m, col->mlen[0] * 4 + 128);
	switch (col->derive) {
	case BF_EK_TIMESTAMP: {
		struct bf_ts t;
		char iso[32];
		if (have && bf_derive_parse_ts(s, n, &t) == 0) {
			size_t il = bf_derive_ts_iso(&c->tz, &t, iso);
			const char *wd = bf_derive_weekday(&t);
			put_member_str(m, col, 0, iso, il);
			put_member_str(m, col, 1, wd, strlen(wd));
			put_member_int(m, col, 2, t.h, !t.has_time);
			const char *dp = t.has_time ? bf_derive_daypart(t.h) : NULL;
			put_member_str(m, col, 3, dp, dp ? strlen(dp) : 0);
			ok = 1;
		} else {
			put_member_str(m, col, 0, NULL, 0);
			put_member_str(m, col, 1, NULL, 0);
			put_member_int(m, col, 2, 0, 1);
			put_member_str(m, col, 3, NULL, 0);
		}
		break;
	}
	case BF_EK_MONEY: {
		long long cents = 0;
		ok = have && bf_derive_money_cents(s, n, &cents) == 0;
		put_member_int(m, col, 0, cents, !ok);
		break;
	}
	case BF_EK_DURATION: {
		long long secs = 0;
		ok = have && bf_derive_duration_s(s, n, &secs) == 0;
		put_member_int(m, col, 0, secs, !ok);
		break;
	}
	}
	m->p[m->len] = 0;
	/* blank values are empty, not unparseable */
	if (have && !ok) {
		int blank = 1;
		for (size_t i = 0; i < n; i++)
			if (!isspace((unsigned char)s[i]))
				blank = 0;
		if (!blank)
			bf_enrich_part_unparsed(c, part, pl->stream, col->name);
	}
}

/* The input text of a task for this record into b; 0 when every input is null. */
static int task_input(struct ctx *c, struct bf_enrich_task *t, const int *tc, const struct val *vals,
		      struct bf_buf *b)
{
	int any = 0;
	bf_buf_reset(b);
	if (t->kind == BF_ET_PROMPT) {
		for (const char *p = t->tmpl; *p;) {
			const char *e;
			if (*p == '{' && (e = strchr(p, '}'))) {
				int k;
				for (k = 0; k < t->ncols; k++)
					if (strlen(t->cols[k]) == (size_t)(e - p - 1) &&
					    !strncmp(t->cols[k], p + 1, (size_t)(e - p - 1)))
						break;
				if (k < t->ncols) {
					if (token_text(vals[tc[k]], &c->text)) {
						bf_buf_add(b, c->text.p, c->text.len);
						any = 1;
					}
					p = e + 1;
					continue;
				}
			}
			bf_buf_addc(b, *p++);
		}
		return any;
	}
	for (int k = 0; k < t->ncols; k++)
		if (token_text(vals[tc[k]], &c->text) && c->text.len) {
			if (any)
				bf_buf_addc(b, '\n');
			bf_buf_add(b, c->text.p, c->text.len);
			any = 1;
		}
	return any;
}

int bf_enrich_on_record(void *ctx, struct bf_filter *f, struct bf_msg *msg, struct bf_err *err)
{
	struct ctx *c = ctx;
	c->f = f;
	const char *sname = bf_msg_stream_name(msg, &c->sname);
	struct plan *pl = bf_enrich_plan_for(c, sname, c->sname.len);
	if (!pl->ncols && !pl->ntasks)
		return bf_enrich_hold_raw(c, msg->line, msg->len);
	c->total_records++;

	/* find the columns and the lineage */
	struct val stackv[32], *vals = pl->ncols <= 32 ? stackv : bf_xcalloc((size_t)pl->ncols, sizeof *vals);
	struct val vloc = { NULL, 0, 0 }, vdate = { NULL, 0, 0 };
	memset(vals, 0, (size_t)pl->ncols * sizeof *vals);
	const char *rec = msg->line + msg->record_span.start, *end = rec + msg->record_span.len;
	struct bf_json_kv kv;
	size_t pos = 0;
	for (const char *p = bf_json_first(rec); bf_json_next(&p, end, &kv); pos++) {
		const char *ks = kv.key;
		size_t kn = kv.keylen;
		int i;
		if (kv.key_esc) {              /* the name's text */
			int nul = 0;
			bf_buf_reset(&c->text);
			bf_buf_grow(&c->text, kn);
			kn = bf_json_unescape(ks, kn, c->text.p, &nul);
			ks = c->text.p;
		}
		const struct bf_colmap_slot *sl = bf_colmap_get(&pl->map, pos, ks, kn);
		if (sl) {
			i = sl->col;
		} else {
			i = bf_enrich_plan_find_col(pl, ks, kn);
			if (i < 0)
				i = kn == 8 && !memcmp(ks, "_bf_date", 8) ? KS_DATE
				  : kn == 12 && !memcmp(ks, "_bf_location", 12) ? KS_LOC : KS_NONE;
			bf_colmap_set(&pl->map, pos, ks, kn, i, 0);
		}
		struct val v = { kv.val, kv.vallen, kv.val_esc };
		if (i >= 0)
			vals[i] = v;
		else if (i == KS_DATE)
			vdate = v;
		else if (i == KS_LOC)
			vloc = v;
	}
	struct part *part;
	if (vdate.p && vdate.p[0] == '"') {
		/* the lineage's text (escaped only in odd sources: then decoded, as the STATE's) */
		const char *lp = "", *dp = vdate.p + 1;
		size_t ll = 0, dl = vdate.n - 2;
		if (vloc.p && vloc.p[0] == '"') {
			lp = vloc.p + 1;
			ll = vloc.n - 2;
			if (vloc.esc) {
				token_text(vloc, &c->lin);
				lp = c->lin.p;
				ll = c->lin.len;
			}
		}
		if (vdate.esc) {
			token_text(vdate, &c->text);
			dp = c->text.p;
			dl = c->text.len;
		}
		part = bf_enrich_part_get(c, lp, ll, dp, dl);
	} else {
		part = bf_enrich_part_get(c, NULL, 0, NULL, 0);
	}
	part->records++;

	struct bf_buf *mem = &c->mem;
	bf_buf_reset(mem);
	for (int i = 0; i < pl->ncols; i++)
		if (pl->cols[i].derive >= 0 && (vals[i].p || pl->cols[i].always))
			derive_col(c, pl, &pl->cols[i], vals[i], part, mem);

	struct held *h = NULL;
	long long dispatched = c->dispatched;
	char **res = pl->ntasks ? bf_xcalloc((size_t)pl->ntasks, sizeof *res) : NULL;
	int waiting = 0;
	for (int t = 0; t < pl->ntasks; t++) {
		struct bf_enrich_task *task = pl->tasks[t];
		if (!task_input(c, task, pl->tcols[t], vals, &c->scratch)) {
			res[t] = bf_xstrdup("null");
			continue;
		}
		if (task->kind == BF_ET_HASH) {
			if (c->vecdim < task->dim) {
				c->vec = bf_xrealloc(c->vec, (size_t)task->dim * sizeof *c->vec);
				c->vecdim = task->dim;
			}
			if (!bf_embed_hash(c->scratch.p, c->scratch.len, task->dim, c->vec)) {
				res[t] = bf_xstrdup("null");
				continue;
			}
			struct bf_buf e = BF_BUF_INIT;
			bf_embed_json(c->vec, task->dim, &e);
			res[t] = bf_buf_detach(&e);
			continue;
		}
		if (part->failed) {
			res[t] = bf_xstrdup("null");   /* the date failed: ask nothing more for it */
			continue;
		}
		char key[65];
		bf_enrich_cache_key(c, task, c->scratch.p, key);
		char *hit = bf_enrich_cache_get(c, key);
		if (hit) {
			res[t] = hit;
			part->enriched_cached++;
			c->total_cached++;
			continue;
		}
		if (!h)
			h = bf_xcalloc(1, sizeof *h);
		int ti = (int)(task - c->o->tasks);
		struct batch *b = c->open[ti];
		if (!b) {
			b = c->open[ti] = bf_xcalloc(1, sizeof *b);
			b->task = task;
			b->part = part;
			b->cap = task->kind == BF_ET_EMBED ? c->batch_size : 1;
			b->inputs = bf_xcalloc((size_t)b->cap, sizeof *b->inputs);
			b->keys = bf_xcalloc((size_t)b->cap, sizeof *b->keys);
			b->recs = bf_xcalloc((size_t)b->cap, sizeof *b->recs);
			b->slot = bf_xcalloc((size_t)b->cap, sizeof *b->slot);
		}
		b->inputs[b->n] = bf_xstrndup(c->scratch.p, c->scratch.len);
		b->keys[b->n] = bf_xstrdup(key);
		b->recs[b->n] = h;
		b->slot[b->n] = t;
		b->n++;
		waiting++;
		if (b->n == b->cap)
			bf_enrich_dispatch(c, ti);
	}
	if (vals != stackv)
		free(vals);

	if (!h && !c->qlen) {
		/* nothing to wait for: out now */
		if (!res) {
			bf_filter_write_spliced(f, msg->line, msg->len, msg->record_span, mem->p, mem->len);
		} else {
			struct held tmp = { 1, msg->line, msg->len, msg->record_span, pl, mem->p, mem->len, res, 0, NULL, part };
			bf_enrich_write_record(c, &tmp);
			for (int t = 0; t < pl->ntasks; t++)
				free(res[t]);
			free(res);
		}
		if (!c->model)
			return BF_FILTER_TAKEN;
		return c->total_records % 64 == 0 ? bf_enrich_pump(c, 0, err) ?: BF_FILTER_TAKEN : BF_FILTER_TAKEN;
	}
	if (!h)
		h = bf_xcalloc(1, sizeof *h);
	h->is_record = 1;
	h->line = bf_xstrndup(msg->line, msg->len);
	h->len = msg->len;
	h->rs = msg->record_span;
	h->plan = pl;
	h->members = mem->len ? bf_xstrndup(mem->p, mem->len) : NULL;
	h->mlen = mem->len;
	h->res = res;
	h->waiting = waiting;
	h->part = part;
	bf_enrich_q_push(c, h);
	/* look at the connections when a batch went out, and every 16 records (a poll of
	 * every socket per record cost more than the rest of the record) */
	int rc = 0;
	if (!c->model || c->dispatched != dispatched || c->total_records % 16 == 0)
		rc = bf_enrich_pump(c, 0, err);
	while (!rc && c->held_records >= c->max_held) {
		if (c->held_records >= c->max_held && c->qlen && c->q[c->qhead]->waiting &&
		    c->model && bf_model_pending(c->model) == 0)
			bf_enrich_dispatch_all(c);
		rc = bf_enrich_pump(c, 1, err);
	}
	return rc ? rc : BF_FILTER_TAKEN;
}
