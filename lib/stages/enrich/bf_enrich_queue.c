/* The queue that keeps messages in input order: records waiting for answers, and every
 * message after them, leave from its head as soon as they are complete. */
#include "stages/enrich/bf_enrich_int.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"

void bf_enrich_q_push(struct ctx *c, struct held *h)
{
	if (c->qhead + c->qlen == c->qcap) {
		if (c->qhead > c->qcap / 2) {
			memmove(c->q, c->q + c->qhead, c->qlen * sizeof *c->q);
			c->qhead = 0;
		} else {
			c->qcap = c->qcap ? c->qcap * 2 : 256;
			c->q = bf_xrealloc(c->q, c->qcap * sizeof *c->q);
		}
	}
	c->q[c->qhead + c->qlen++] = h;
	if (h->is_record)
		c->held_records++;
}

void bf_enrich_write_record(struct ctx *c, struct held *h)
{
	struct bf_buf *m = &c->scratch;
	bf_buf_reset(m);
	bf_buf_add(m, h->members, h->mlen);
	for (int t = 0; t < h->plan->ntasks; t++) {
		if (m->len)
			bf_buf_addc(m, ',');
		bf_buf_add_json_str(m, h->plan->tout[t], strlen(h->plan->tout[t]));
		bf_buf_addc(m, ':');
		bf_buf_adds(m, h->res && h->res[t] ? h->res[t] : "null");
	}
	if (h->error) {
		if (m->len)
			bf_buf_addc(m, ',');
		bf_buf_adds(m, "\"_bf_enrich_error\":");
		bf_buf_add_json_str(m, h->error, strlen(h->error));
		if (c->pass) {
			h->part->passed_errors++;
			c->total_passed++;
		}
	}
	bf_filter_write_spliced(c->f, h->line, h->len, h->rs, m->p, m->len);
}

void bf_enrich_held_free(struct held *h)
{
	if (h->res) {
		for (int t = 0; t < h->plan->ntasks; t++)
			free(h->res[t]);
		free(h->res);
	}
	free(h->line);
	free(h->members);
	free(h->error);
	free(h);
}

void bf_enrich_emit_ready(struct ctx *c)
{
	while (c->qlen && c->q[c->qhead]->waiting == 0) {
		struct held *h = c->q[c->qhead++];
		c->qlen--;
		if (h->is_record) {
			bf_enrich_write_record(c, h);
			c->held_records--;
		} else {
			bf_filter_write(c->f, h->line, h->len);
		}
		bf_enrich_held_free(h);
	}
	if (!c->qlen)
		c->qhead = 0;
}

int bf_enrich_hold_raw(struct ctx *c, const char *line, size_t len)
{
	if (!c->qlen)
		return BF_FILTER_PASS;
	struct held *h = bf_xcalloc(1, sizeof *h);
	h->line = bf_xmalloc(len + 1);
	memcpy(h->line, line, len);
	h->line[len] = '\n';
	h->len = len + 1;
	bf_enrich_q_push(c, h);
	return BF_FILTER_TAKEN;
}
