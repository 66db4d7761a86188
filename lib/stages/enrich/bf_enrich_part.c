/* The partitions (location, date) bf-enrich has seen: their counts, their first failure,
 * and their usage rows in the state file. */
#include "stages/enrich/bf_enrich_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_time.h"

static int part_is(const struct part *p, const char *loc, size_t ll, const char *date, size_t dl)
{
	if (p->closed)
		return 0;
	if (!date)
		return !p->date;
	return p->date && p->datelen == dl && p->loclen == ll && !memcmp(p->date, date, dl) &&
	       !memcmp(p->loc, loc ? loc : "", ll);
}

struct part *bf_enrich_part_get(struct ctx *c, const char *loc, size_t ll, const char *date,
				size_t dl)
{
	struct part *p = c->cur;
	if (p && part_is(p, loc, ll, date, dl))
		return p;
	for (p = c->parts; p; p = p->next)
		if (part_is(p, loc, ll, date, dl))
			return c->cur = p;
	p = bf_xcalloc(1, sizeof *p);
	p->date = date ? bf_xstrndup(date, dl) : NULL;
	p->loc = date ? bf_xstrndup(loc ? loc : "", ll) : NULL;
	p->datelen = date ? dl : 0;
	p->loclen = date ? ll : 0;
	p->next = c->parts;
	c->parts = p;
	return c->cur = p;
}

void bf_enrich_part_unparsed(struct ctx *c, struct part *p, const char *stream, const char *col)
{
	char key[256];
	snprintf(key, sizeof key, "%s.%s", stream, col);
	p->unparsed_total++;
	c->total_unparsed++;
	for (int i = 0; i < p->nunparsed; i++)
		if (!strcmp(p->unparsed[i].key, key)) {
			p->unparsed[i].n++;
			return;
		}
	p->unparsed = bf_xrealloc(p->unparsed, (size_t)(p->nunparsed + 1) * sizeof *p->unparsed);
	p->unparsed[p->nunparsed].key = bf_xstrdup(key);
	p->unparsed[p->nunparsed++].n = 1;
}

void bf_enrich_part_fail(struct ctx *c, struct part *p, int code, const char *msg)
{
	if (c->pass || p->failed)
		return;
	p->failed = code;
	p->error = bf_xstrdup(msg);
	if (!c->fail_code) {
		c->fail_code = code;
		snprintf(c->fail_msg, sizeof c->fail_msg, "%s%s%s: %s", p->loc ? p->loc : "",
			 p->loc ? "/" : "", p->date ? p->date : "-", msg);
	}
}

void bf_enrich_part_failure(struct ctx *c, struct part *p, const char *source)
{
	if (!p->failed)
		return;
	if (c->st)
		bf_state_error(c->st, source, p->loc, p->date, p->failed, p->error);
}

void bf_enrich_part_usage(struct ctx *c, struct part *p)
{
	sqlite3_stmt *s;
	char now[21];
	if (!c->st || (!p->requests && !p->enriched_cached && !p->inputs))
		return;
	bf_now_rfc3339(now);
	const char *sql =
		"INSERT INTO enrich_usage (run_id, date, model, requests, inputs, cached, failed,"
		" prompt_tokens, completion_tokens, cost, updated_at) VALUES (?,?,?,?,?,?,?,?,?,?,?)"
		" ON CONFLICT (run_id, date, model) DO UPDATE SET requests = requests + excluded.requests,"
		" inputs = inputs + excluded.inputs, cached = cached + excluded.cached,"
		" failed = failed + excluded.failed,"
		" prompt_tokens = prompt_tokens + excluded.prompt_tokens,"
		" completion_tokens = completion_tokens + excluded.completion_tokens,"
		" cost = cost + excluded.cost, updated_at = excluded.updated_at";
	if (sqlite3_prepare_v2(c->st->db, sql, -1, &s, NULL) != SQLITE_OK) {
		bf_warn(NULL, "usage not recorded: %s", sqlite3_errmsg(c->st->db));
		return;
	}
	double pin = c->o->price_in > 0 ? c->o->price_in : 0, pout = c->o->price_out > 0 ? c->o->price_out : 0;
	double cost = (double)p->prompt_tokens / 1000.0 * pin + (double)p->completion_tokens / 1000.0 * pout;
	sqlite3_bind_int64(s, 1, c->st->run_id);
	sqlite3_bind_text(s, 2, p->date ? p->date : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(s, 3, c->o->model, -1, SQLITE_STATIC);
	sqlite3_bind_int64(s, 4, p->requests);
	sqlite3_bind_int64(s, 5, p->inputs);
	sqlite3_bind_int64(s, 6, p->enriched_cached);
	sqlite3_bind_int64(s, 7, p->failed_inputs);
	sqlite3_bind_int64(s, 8, p->prompt_tokens);
	sqlite3_bind_int64(s, 9, p->completion_tokens);
	sqlite3_bind_double(s, 10, cost);
	sqlite3_bind_text(s, 11, now, -1, SQLITE_STATIC);
	if (bf_sqlite_step(s) != SQLITE_DONE)
		bf_warn(NULL, "usage not recorded: %s", sqlite3_errmsg(c->st->db));
	sqlite3_finalize(s);
	p->requests = p->enriched_cached = p->inputs = p->failed_inputs = 0;
	p->prompt_tokens = p->completion_tokens = 0;
}
