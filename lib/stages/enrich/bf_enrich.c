/* bf-enrich, the stage: SCHEMA and STATE messages, the end of input, and the run. */
#include "stages/enrich/bf_enrich_int.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cjson/cJSON.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "model/bf_embed_hash.h"

/* Declares a member bf-enrich adds; "x-bf-derived" names what it was made from, so that a
 * later bf-enrich of the same stream knows it for its own (bf_enrich_plan.c). */
static cJSON *add_prop(cJSON *props, const char *name, const char *from, const char *type,
		       const char *format)
{
	cJSON_DeleteItemFromObjectCaseSensitive(props, name);
	cJSON *p = cJSON_AddObjectToObject(props, name);
	cJSON *t = cJSON_AddArrayToObject(p, "type");
	cJSON_AddItemToArray(t, cJSON_CreateString(type));
	cJSON_AddItemToArray(t, cJSON_CreateString("null"));
	if (format)
		cJSON_AddStringToObject(p, "format", format);
	if (!strcmp(type, "array"))
		cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "items"), "type", "number");
	cJSON_AddStringToObject(p, "x-bf-derived", from);
	return p;
}

/* How an embedding column is made, in its SCHEMA property (the x-bf-embedding extension
 * of docs/enrich.md): bf-load records it, bf-search embeds a query the same way. The API
 * base goes without any user:password@ part; the key is never written. */
static void add_embedding_spec(cJSON *p, const struct bf_enrich_task *t, const struct bf_enrich_opts *o)
{
	cJSON *e = cJSON_AddObjectToObject(p, "x-bf-embedding");
	if (t->kind == BF_ET_HASH) {
		cJSON_AddStringToObject(e, "method", "hash");
	} else {
		cJSON_AddStringToObject(e, "method", "model");
		cJSON_AddStringToObject(e, "model", o->model ? o->model : "");
		const char *base = o->api_base ? o->api_base : "";
		const char *host = strstr(base, "://");
		const char *at = host ? strchr(host + 3, '@') : NULL;
		if (at && at < host + 3 + strcspn(host + 3, "/?#")) {
			struct bf_buf b = BF_BUF_INIT;
			bf_buf_add(&b, base, (size_t)(host + 3 - base));
			bf_buf_adds(&b, at + 1);
			cJSON_AddStringToObject(e, "api_base", b.p);
			bf_buf_free(&b);
		} else {
			cJSON_AddStringToObject(e, "api_base", base);
		}
	}
	if (t->dim)
		cJSON_AddNumberToObject(e, "dim", t->dim);
	cJSON *cols = cJSON_AddArrayToObject(e, "columns");
	for (int i = 0; i < t->ncols; i++)
		cJSON_AddItemToArray(cols, cJSON_CreateString(t->cols[i]));
}

static int on_schema(void *ctx, struct bf_filter *f, struct bf_msg *msg, struct bf_err *err)
{
	struct ctx *c = ctx;
	(void)err;
	c->f = f;
	cJSON *props = cJSON_GetObjectItemCaseSensitive(msg->schema, "properties");
	struct plan *old = NULL;
	int i;
	for (i = 0; i < c->nplans; i++)
		if (!strcmp(c->plans[i]->stream, msg->stream)) {
			old = c->plans[i];
			break;
		}
	struct plan *p = bf_enrich_plan_build(c->o, c->auto_on, msg->stream, cJSON_IsObject(props) ? props : NULL);
	if (old) {
		p->older = old;
		c->plans[i] = p;
	} else {
		c->plans = bf_xrealloc(c->plans, (size_t)(c->nplans + 1) * sizeof *c->plans);
		c->plans[c->nplans++] = p;
	}
	c->last = p;
	if ((!p->ncols && !p->ntasks) || !cJSON_IsObject(props))
		return bf_enrich_hold_raw(c, msg->line, msg->len);
	int any = 0;
	for (int k = 0; k < p->ncols; k++) {
		struct pcol *col = &p->cols[k];
		if (col->derive < 0)
			continue;
		any = 1;
		if (col->derive == BF_EK_TIMESTAMP) {
			add_prop(props, col->oname[0], col->name, "string", c->tz.kind == BF_TZ_NONE ? NULL : "date-time");
			add_prop(props, col->oname[1], col->name, "string", NULL);
			add_prop(props, col->oname[2], col->name, "integer", NULL);
			add_prop(props, col->oname[3], col->name, "string", NULL);
		} else {
			add_prop(props, col->oname[0], col->name, "integer", NULL);
		}
	}
	for (int t = 0; t < p->ntasks; t++) {
		struct bf_enrich_task *task = p->tasks[t];
		any = 1;
		const char *name = p->tout[t];
		if (task->kind == BF_ET_HASH || task->kind == BF_ET_EMBED) {
			add_embedding_spec(add_prop(props, name, task->out, "array", NULL), task, c->o);
		} else if (task->kind == BF_ET_PROMPT && task->json) {
			cJSON_DeleteItemFromObjectCaseSensitive(props, name);
			cJSON_AddStringToObject(cJSON_AddObjectToObject(props, name), "x-bf-derived",
						task->out);   /* any JSON value */
		} else
			add_prop(props, name, task->out, "string", NULL);
	}
	if (p->nmodel)
		add_prop(props, "_bf_enrich_error", "bf-enrich", "string", NULL);
	if (!any)
		return bf_enrich_hold_raw(c, msg->line, msg->len);
	char *s = cJSON_PrintUnformatted(msg->root);
	int rc = bf_enrich_hold_raw(c, s, strlen(s));
	if (rc == BF_FILTER_PASS) {
		bf_filter_write(f, s, strlen(s));
		bf_filter_write(f, "\n", 1);
	}
	cJSON_free(s);
	return BF_FILTER_TAKEN;
}


static int on_state(void *ctx, struct bf_filter *f, struct bf_msg *msg, struct bf_err *err)
{
	struct ctx *c = ctx;
	int rc;
	c->f = f;
	if ((rc = bf_enrich_drain(c, err)))
		return rc;
	cJSON *bf = bf_msg_state_bf(msg);
	const cJSON *jl = bf ? cJSON_GetObjectItemCaseSensitive(bf, "location") : NULL;
	const cJSON *jd = bf ? cJSON_GetObjectItemCaseSensitive(bf, "date") : NULL;
	const cJSON *js = bf ? cJSON_GetObjectItemCaseSensitive(bf, "source") : NULL;
	if (!cJSON_IsString(jd))
		return BF_FILTER_PASS;
	const char *loc = cJSON_IsString(jl) ? jl->valuestring : "";
	struct part *p = bf_enrich_part_get(c, loc, strlen(loc), jd->valuestring, strlen(jd->valuestring));
	p->closed = 1;
	c->cur = NULL;
	bf_enrich_cache_flush(c);
	bf_enrich_part_failure(c, p, cJSON_IsString(js) ? js->valuestring : NULL);
	if (!p->records && !p->failed) {
		bf_enrich_part_usage(c, p);
		return BF_FILTER_PASS;
	}
	cJSON *e = cJSON_CreateObject();
	cJSON_AddNumberToObject(e, "records", (double)p->records);
	cJSON_AddNumberToObject(e, "unparsed", (double)p->unparsed_total);
	if (p->nunparsed) {
		cJSON *u = cJSON_AddObjectToObject(e, "unparsed_by_column");
		for (int i = 0; i < p->nunparsed; i++)
			cJSON_AddNumberToObject(u, p->unparsed[i].key, (double)p->unparsed[i].n);
	}
	if (c->model) {
		cJSON_AddNumberToObject(e, "cached", (double)p->enriched_cached);
		cJSON_AddNumberToObject(e, "passed_with_error", (double)p->passed_errors);
	}
	cJSON_DeleteItemFromObjectCaseSensitive(bf, "enrich");
	cJSON_AddItemToObject(bf, "enrich", e);
	if (p->failed) {
		cJSON_DeleteItemFromObjectCaseSensitive(bf, "status");
		cJSON_AddStringToObject(bf, "status", "failed");
		cJSON_DeleteItemFromObjectCaseSensitive(bf, "error");
		struct bf_buf m = BF_BUF_INIT;
		bf_buf_addf(&m, "bf-enrich: %s", p->error);
		cJSON_AddStringToObject(bf, "error", m.p);
		bf_buf_free(&m);
	}
	bf_enrich_part_usage(c, p);
	bf_filter_write_json(f, msg->root);
	if ((rc = bf_filter_flush(f, err)))
		return rc;
	return BF_FILTER_TAKEN;
}

static int on_other(void *ctx, struct bf_filter *f, struct bf_msg *msg, struct bf_err *err)
{
	struct ctx *c = ctx;
	(void)err;
	c->f = f;
	return bf_enrich_hold_raw(c, msg->line, msg->len);
}

static int on_end(void *ctx, struct bf_filter *f, struct bf_err *err)
{
	struct ctx *c = ctx;
	c->f = f;
	int rc = bf_enrich_drain(c, err);
	bf_enrich_cache_flush(c);
	for (struct part *p = c->parts; p; p = p->next)
		if (!p->closed) {
			bf_enrich_part_usage(c, p);
			bf_enrich_part_failure(c, p, NULL);
		}
	return rc;
}

/* ------------------------------------------------------------------ run */

int bf_enrich_run(struct bf_enrich_opts *o, int in_fd, int out_fd, struct bf_err *err)
{
	struct ctx c;
	int rc = 0, nmodel = 0;
	memset(&c, 0, sizeof c);
	bf_buf_init(&c.scratch);
	bf_buf_init(&c.text);
	bf_buf_init(&c.mem);
	bf_buf_init(&c.sname);
	bf_buf_init(&c.lin);
	c.o = o;
	c.auto_on = o->auto_derive >= 0 ? o->auto_derive : (o->nderives == 0 && o->ntasks == 0);
	c.pass = o->on_error_pass > 0;
	c.batch_size = o->batch > 0 ? o->batch : 32;
	if (bf_tz_parse(o->timezone, &c.tz))
		return bf_fail(err, BF_EUSAGE, "--timezone", "\"%s\": not a time zone (an IANA name such as America/New_York, UTC, or an offset such as -04:00)", o->timezone);
	for (int i = 0; i < o->ntasks; i++) {
		struct bf_enrich_task *t = &o->tasks[i];
		if (t->kind == BF_ET_HASH && !t->force_hash && (o->api_base || t->force_model))
			t->kind = BF_ET_EMBED;
		if (t->kind == BF_ET_HASH && !t->dim)
			t->dim = BF_EMBED_HASH_DIM;
		if (t->kind == BF_ET_EMBED && !t->task_key)
			t->task_key = bf_xstrdup("embed");
		t->mt.kind = t->kind == BF_ET_EMBED ? BF_MODEL_EMBED
			   : t->kind == BF_ET_CLASSIFY ? BF_MODEL_CLASSIFY : BF_MODEL_PROMPT;
		t->mt.dim = t->dim;
		t->mt.labels = t->labels;
		t->mt.nlabels = t->nlabels;
		t->mt.json = t->json;
		if (t->kind != BF_ET_HASH)
			nmodel++;
	}
	if (nmodel && !o->api_base)
		return bf_fail(err, BF_EUSAGE, NULL, "classification and prompts need --api-base (a model API)");
	if (nmodel && !o->model)
		return bf_fail(err, BF_EUSAGE, NULL, "--model is required with a model API");
	int conc = o->concurrency > 0 ? o->concurrency : 4;
	c.max_held = (size_t)c.batch_size * (size_t)conc * 2 + 1;
	c.open = bf_xcalloc((size_t)(o->ntasks ? o->ntasks : 1), sizeof *c.open);
	if (nmodel) {
		struct bf_model_opts mo = {
			o->api_base, o->model, o->api_key, conc,
			o->retries >= 0 ? o->retries : 5,
			(long)((o->timeout_s > 0 ? o->timeout_s : 60) * 1000),
			o->breaker >= 0 ? o->breaker : 5,
			(int64_t)((o->breaker_cooldown_s >= 0 ? o->breaker_cooldown_s : 5) * 1000),
			o->retry_base_ms >= 0 ? o->retry_base_ms : 200, 30000,
		};
		if ((rc = bf_state_open(bf_state_path(o->state_path), &c.st, err)) ||
		    (rc = bf_state_run_begin(c.st, "enrich", o->args, err)))
			goto out;
		if (sqlite3_prepare_v2(c.st->db, "SELECT output FROM enrich_cache WHERE key = ?", -1, &c.get, NULL) ||
		    sqlite3_prepare_v2(c.st->db, "INSERT OR REPLACE INTO enrich_cache (key, model, task, output, created_at)"
				       " VALUES (?, ?, ?, ?, ?)", -1, &c.put, NULL)) {
			rc = bf_sqlite_fail(c.st->db, SQLITE_ERROR, c.st->path, err);
			goto out;
		}
		if ((rc = bf_model_new(&mo, &c.model, err)))
			goto out;
	} else if (o->state_path) {
		if ((rc = bf_state_open(bf_state_path(o->state_path), &c.st, err)) ||
		    (rc = bf_state_run_begin(c.st, "enrich", o->args, err)))
			goto out;
	}
#ifdef F_SETPIPE_SZ
	/* 1 MiB pipes instead of 64 KiB: the stages on both sides wake a sixteenth as often
	 * (fails harmlessly on files and terminals) */
	(void)fcntl(in_fd, F_SETPIPE_SZ, 1 << 20);
	(void)fcntl(out_fd, F_SETPIPE_SZ, 1 << 20);
#endif
	struct bf_filter_ops ops = { on_schema, bf_enrich_on_record, on_state, on_end, 0, on_other };
	rc = bf_filter_run(&ops, &c, in_fd, out_fd, o->max_line ? o->max_line : BF_MAX_LINE_DEFAULT, err);
	if (!rc && c.fail_code) {
		rc = c.fail_code;
		bf_fail(err, rc, NULL, "%s", c.fail_msg);
	}
	if (c.total_unparsed)
		bf_warn(NULL, "%lld value%s could not be derived and were left as they were (see the STATE's bf.enrich)",
			c.total_unparsed, c.total_unparsed == 1 ? "" : "s");
	if (c.total_passed)
		bf_warn(NULL, "%lld record%s passed without enrichment (--on-error=pass), _bf_enrich_error set",
			c.total_passed, c.total_passed == 1 ? "" : "s");
	if (c.model)
		bf_note(NULL, "%lld records, %lld answers from the cache, %lld requests, breaker opened %d time(s)",
			c.total_records, c.total_cached, c.total_requests, bf_model_breaker_opened(c.model));
out:
	if (c.st)
		bf_state_run_end(c.st, rc);
	bf_enrich_cache_flush(&c);
	free(c.cache_rows);
	sqlite3_finalize(c.get);
	sqlite3_finalize(c.put);
	bf_model_free(c.model);
	/* a run that stopped early leaves batches unanswered or never sent */
	while (c.live) {
		struct batch *b = c.live;
		bf_enrich_batch_unlink(&c, b);
		bf_enrich_batch_free(b);
	}
	for (int i = 0; c.open && i < c.o->ntasks; i++)
		if (c.open[i])
			bf_enrich_batch_free(c.open[i]);
	bf_state_close(c.st);
	while (c.parts) {
		struct part *p = c.parts;
		c.parts = p->next;
		for (int i = 0; i < p->nunparsed; i++)
			free(p->unparsed[i].key);
		free(p->unparsed);
		free(p->loc);
		free(p->date);
		free(p->error);
		free(p);
	}
	for (size_t i = 0; i < c.qlen; i++)
		bf_enrich_held_free(c.q[c.qhead + i]);
	free(c.q);
	/* held records point at their plans: the plans go last */
	for (int i = 0; i < c.nplans; i++)
		bf_enrich_plan_free(c.plans[i]);
	free(c.plans);
	free(c.open);
	free(c.vec);
	bf_buf_free(&c.scratch);
	bf_buf_free(&c.text);
	bf_buf_free(&c.mem);
	bf_buf_free(&c.sname);
	bf_buf_free(&c.lin);
	return rc;
}
