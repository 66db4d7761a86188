/* bf-closure, the stage: holds a partition's messages until its STATE, counts what the
 * verdict needs on the way, then writes them marked, with markers and the verdict. */
#include "stages/closure/bf_closure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"
#include "proto/bf_filter.h"
#include "proto/bf_json.h"
#include "proto/bf_jsonscan.h"
#include "proto/bf_msg.h"
#include "stages/closure/bf_closure_hold.h"
#include "stages/closure/bf_closure_int.h"

struct cl {
	const struct bf_closure_opts *o;
	struct bf_state *st;
	struct bf_closure_hold hold;
	long long held_msgs;
	struct bf_closure_stream *streams;   /* of the partition */
	size_t nstreams;
	long long activity_rows, bad_amounts, voided;
	double sales;
	int have_sales;
	char **seen;               /* streams with a SCHEMA in this process */
	size_t nseen;
	struct bf_buf members, text, sname;
	struct bf_buf rec;
	long long parts, closed, pending;
};

static void part_reset(struct cl *c)
{
	for (size_t i = 0; i < c->nstreams; i++)
		free(c->streams[i].name);
	free(c->streams);
	c->streams = NULL;
	c->nstreams = 0;
	c->activity_rows = c->bad_amounts = c->voided = 0;
	c->sales = 0;
	c->have_sales = 0;
	c->held_msgs = 0;
}

static struct bf_closure_stream *part_stream(struct cl *c, const char *name, size_t len)
{
	for (size_t i = c->nstreams; i-- > 0;)
		if (strlen(c->streams[i].name) == len && !memcmp(c->streams[i].name, name, len))
			return &c->streams[i];
	c->streams = bf_xrealloc(c->streams, (c->nstreams + 1) * sizeof *c->streams);
	struct bf_closure_stream *s = &c->streams[c->nstreams++];
	s->name = bf_xstrndup(name, len);
	s->rows = 0;
	s->has_file = 0;
	return s;
}

static int cb_hold(struct cl *c, const struct bf_msg *m, struct bf_err *err)
{
	struct bf_closure_held hd = { (uint32_t)m->type, 0, m->len, m->record_span.start, m->record_span.len };
	c->held_msgs++;
	return bf_closure_hold_add(&c->hold, &hd, m->line, err);
}

static int on_other(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err)
{
	struct cl *c = ctx;
	(void)f;
	int rc = cb_hold(c, m, err);
	return rc ? rc : BF_FILTER_TAKEN;
}

static void add_closure_props(cJSON *schema)
{
	cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
	if (!cJSON_IsObject(props))
		props = cJSON_AddObjectToObject(schema, "properties");
	if (!props)
		return;
	if (!cJSON_GetObjectItemCaseSensitive(props, "closure_indicator")) {
		cJSON *p = cJSON_AddObjectToObject(props, "closure_indicator");
		cJSON_AddStringToObject(p, "type", "boolean");
	}
	if (!cJSON_GetObjectItemCaseSensitive(props, "closure_reason")) {
		cJSON *p = cJSON_AddObjectToObject(props, "closure_reason");
		cJSON *t = cJSON_AddArrayToObject(p, "type");
		cJSON_AddItemToArray(t, cJSON_CreateString("string"));
		cJSON_AddItemToArray(t, cJSON_CreateString("null"));
	}
}

static int on_schema(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err)
{
	struct cl *c = ctx;
	(void)f;
	if (!cJSON_IsObject(m->schema))
		return bf_fail(err, BF_EDATA, "stdin", "line %ld: \"schema\" is not an object", m->lineno);
	bf_closure_strv_add(&c->seen, &c->nseen, m->stream);
	add_closure_props(m->schema);
	char *s = cJSON_PrintUnformatted(m->root);
	struct bf_closure_held hd = { BF_MSG_SCHEMA, 0, strlen(s), 0, 0 };
	c->held_msgs++;
	int rc = bf_closure_hold_add(&c->hold, &hd, s, err);
	cJSON_free(s);
	return rc ? rc : BF_FILTER_TAKEN;
}

/* A truthy flag value: true, "true", "t", "yes", "y", "1" (any case). */
static int truthy(const char *v, size_t n, struct bf_buf *text)
{
	static const char *const yes[] = { "true", "t", "yes", "y", "1" };
	bf_json_text(v, n, text);
	for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
		if (strlen(yes[i]) == text->len && !strncasecmp(text->p, yes[i], text->len))
			return 1;
	return 0;
}

/* The amount of an activity record, found without building its tree (and without checking
 * it again: bf_msg did). */
static void take_amount(struct cl *c, const struct bf_msg *m)
{
	const char *rec = m->line + m->record_span.start;
	const char *vc = c->o->cfg.void_column;
	const char *keys[3] = { c->o->cfg.amount_column, vc && *vc ? vc : NULL, NULL };
	struct bf_json_pick pk;
	bf_json_pick_init(&pk, keys);
	bf_json_pick(&pk, rec, m->record_span.len);
	if (!pk.spans[0].len)
		return;
	const char *v = rec + pk.spans[0].start;
	size_t n = pk.spans[0].len;
	double d;
	if (n == 4 && !memcmp(v, "null", 4))
		return;
	c->have_sales = 1;
	if (keys[1] && pk.spans[1].len && truthy(rec + pk.spans[1].start, pk.spans[1].len, &c->text)) {
		c->voided++;
		return;
	}
	if (*v == '"') {
		if (n == 2)
			return;            /* "" is no amount */
		bf_json_text(v, n, &c->text);
		v = c->text.p;
		n = c->text.len;
	}
	if (bf_closure_money(v, n, &d))
		c->bad_amounts++;
	else
		c->sales += d;
}

static int on_record(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err)
{
	struct cl *c = ctx;
	(void)f;
	const char *sname = bf_msg_stream_name(m, &c->sname);
	struct bf_closure_stream *s = part_stream(c, sname, c->sname.len);
	s->rows++;
	if (!strcmp(s->name, c->o->cfg.activity_stream))
		c->activity_rows++;
	if (!strcmp(s->name, c->o->cfg.amount_stream))
		take_amount(c, m);
	int rc = cb_hold(c, m, err);
	return rc ? rc : BF_FILTER_TAKEN;
}

static void members_for(struct bf_buf *b, const char *reason)
{
	bf_buf_reset(b);
	if (reason) {
		bf_buf_adds(b, "\"closure_indicator\":true,\"closure_reason\":");
		bf_buf_add_json_str(b, reason, strlen(reason));
	} else {
		bf_buf_adds(b, "\"closure_indicator\":false,\"closure_reason\":null");
	}
}

static void write_marker(struct cl *c, struct bf_filter *f, const char *stream, const char *loc,
			 const char *date, const char *reason)
{
	char now[21];
	if (!bf_closure_strv_has(c->seen, c->nseen, stream)) {
		cJSON *schema = cJSON_CreateObject();
		cJSON_AddStringToObject(schema, "type", "object");
		cJSON *props = cJSON_AddObjectToObject(schema, "properties");
		cJSON *p = cJSON_AddObjectToObject(props, "_bf_date");
		cJSON_AddStringToObject(p, "type", "string");
		cJSON_AddStringToObject(p, "format", "date");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(props, "_bf_location"), "type", "string");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(props, "_bf_source"), "type", "string");
		cJSON_AddStringToObject(cJSON_AddObjectToObject(props, "_bf_line"), "type", "integer");
		add_closure_props(schema);
		cJSON *keys = cJSON_CreateArray();
		cJSON_AddItemToArray(keys, cJSON_CreateString("_bf_source"));
		cJSON_AddItemToArray(keys, cJSON_CreateString("_bf_line"));
		cJSON *msg = bf_msg_new_schema(stream, schema, keys);
		bf_filter_write_json(f, msg);
		cJSON_Delete(msg);
		bf_closure_strv_add(&c->seen, &c->nseen, stream);
	}
	struct bf_buf *b = &c->rec;
	bf_now_rfc3339(now);
	bf_buf_reset(b);
	bf_buf_adds(b, "{\"type\":\"RECORD\",\"stream\":");
	bf_buf_add_json_str(b, stream, strlen(stream));
	bf_buf_adds(b, ",\"record\":{\"_bf_date\":");
	bf_buf_add_json_str(b, date, strlen(date));
	bf_buf_adds(b, ",\"_bf_location\":");
	bf_buf_add_json_str(b, loc, strlen(loc));
	bf_buf_adds(b, ",\"_bf_source\":\"closure\",\"_bf_line\":0,\"closure_indicator\":true,\"closure_reason\":");
	bf_buf_add_json_str(b, reason, strlen(reason));
	bf_buf_adds(b, "},\"time_extracted\":\"");
	bf_buf_adds(b, now);
	bf_buf_adds(b, "\"}\n");
	bf_filter_write(f, b->p, b->len);
}

static int on_state(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err)
{
	struct cl *c = ctx;
	cJSON *bf = bf_msg_state_bf(m);
	const char *date = bf ? bf_json_str(bf, "date") : NULL;
	const char *loc = bf ? bf_json_str(bf, "location") : NULL;
	const char *source = bf ? bf_json_str(bf, "source") : NULL;
	const char *status = bf ? bf_json_str(bf, "status") : NULL;
	int32_t day;
	int rc;

	/* entries that could not be read (bf-extract --skip-unreadable): the day's data is not
	 * all there, so it is never judged (never closed) */
	const cJSON *unreadable = bf ? cJSON_GetObjectItemCaseSensitive(bf, "unreadable") : NULL;
	int partial = cJSON_IsNumber(unreadable) && unreadable->valuedouble > 0;
	if (!date || bf_date_parse(date, &day) || (status && !strcmp(status, "failed")) || partial) {
		/* not a partition we can judge: everything as it came */
		if ((rc = bf_closure_hold_replay(&c->hold, f, NULL, err)))
			return rc;
		part_reset(c);
		return BF_FILTER_PASS;
	}
	if (!loc)
		loc = "";
	if (!source)
		source = "";

	/* what the STATE says about the files */
	const cJSON *fl = cJSON_GetObjectItemCaseSensitive(bf, "files");
	const cJSON *fc = cJSON_GetObjectItemCaseSensitive(bf, "file_count");
	struct bf_closure_obs obs = { 0 };
	obs.folder = bf_json_str(bf, "folder");
	obs.files = cJSON_IsNumber(fc) ? (long long)fc->valuedouble : cJSON_IsArray(fl) ? cJSON_GetArraySize(fl) : -1;
	const cJSON *fl_arr = cJSON_IsArray(fl) ? fl : NULL, *fi;
	cJSON_ArrayForEach(fi, fl_arr) {
		const char *s = bf_json_str(fi, "stream");
		if (s)
			part_stream(c, s, strlen(s))->has_file = 1;
	}
	obs.streams = c->streams;
	obs.nstreams = c->nstreams;
	obs.activity_rows = c->activity_rows;
	obs.sales = c->sales;
	obs.have_sales = c->have_sales;
	obs.bad_amounts = c->bad_amounts;
	obs.voided = c->voided;
	obs.seen_streams = (const char *const *)c->seen;
	obs.nseen = c->nseen;

	struct bf_closure_history h = { 0 };
	struct bf_closure_verdict v = { 0 };
	if ((rc = bf_closure_history_load(c->st, source, loc, day, c->o->cfg.baseline_weeks, &h, err)))
		return rc;
	bf_closure_decide(&c->o->cfg, day, &obs, &h, &v);
	bf_closure_history_free(&h);
	if (c->hold.spilled_bytes)
		cJSON_AddNumberToObject(cJSON_GetObjectItemCaseSensitive(v.evidence, "observed"),
					"spilled_bytes", (double)c->hold.spilled_bytes);
	if ((rc = bf_closure_store(c->st, source, loc, date, &v, err))) {
		bf_closure_verdict_free(&v);
		return rc;
	}

	/* records, then markers, then the STATE with the verdict */
	int closed = !strcmp(v.verdict, "closed");
	members_for(&c->members, closed ? v.reason : NULL);
	rc = bf_closure_hold_replay(&c->hold, f, &c->members, err);
	if (!rc && closed) {
		for (size_t i = 0; i < v.nexpected; i++) {
			long long r = 0;
			for (size_t k = 0; k < c->nstreams; k++)
				if (!strcmp(c->streams[k].name, v.expected[i]))
					r = c->streams[k].rows;
			if (!r)
				write_marker(c, f, v.expected[i], loc, date, v.reason);
		}
	}
	if (!rc) {
		cJSON *cj = cJSON_CreateObject();
		cJSON_AddStringToObject(cj, "verdict", v.verdict);
		if (v.reason)
			cJSON_AddStringToObject(cj, "reason", v.reason);
		else
			cJSON_AddNullToObject(cj, "reason");
		cJSON_AddItemToObject(cj, "evidence", v.evidence);
		v.evidence = NULL;
		cJSON_DeleteItemFromObjectCaseSensitive(bf, "closure");
		cJSON_AddItemToObject(bf, "closure", cj);
		bf_filter_write_json(f, m->root);
		rc = bf_filter_flush(f, err);
	}
	c->parts++;
	c->closed += closed;
	c->pending += !strcmp(v.verdict, "pending");
	if (bf_log_level() >= 2)
		bf_note(NULL, "%s/%s: %s%s%s", loc[0] ? loc : "-", date, v.verdict, v.reason ? " " : "",
			v.reason ? v.reason : "");
	bf_closure_verdict_free(&v);
	part_reset(c);
	return rc ? rc : BF_FILTER_TAKEN;
}

static int on_end(void *ctx, struct bf_filter *f, struct bf_err *err)
{
	struct cl *c = ctx;
	if (c->held_msgs) {
		bf_warn(NULL, "input ended before the STATE of the last partition: %lld messages passed on as they were",
			c->held_msgs);
		int rc = bf_closure_hold_replay(&c->hold, f, NULL, err);
		part_reset(c);
		return rc;
	}
	return 0;
}

int bf_closure_run(const struct bf_closure_opts *o, int in_fd, int out_fd, struct bf_err *err)
{
	struct cl c = { .o = o };
	struct bf_filter_ops ops = {
		.on_schema = on_schema, .on_record = on_record, .on_state = on_state,
		.on_end = on_end, .record_tree = 0, .on_other = on_other,
	};
	int rc;
	c.hold.max = o->max_memory ? o->max_memory : BF_CLOSURE_MAX_MEMORY_DEFAULT;
	if (c.hold.max < 4096)
		c.hold.max = 4096;
	if ((rc = bf_state_open(bf_state_path(o->state_path), &c.st, err)) ||
	    (rc = bf_state_run_begin(c.st, "closure", o->args, err)))
		goto done;
	rc = bf_filter_run(&ops, &c, in_fd, out_fd, o->max_line ? o->max_line : BF_MAX_LINE_DEFAULT, err);
	if (!rc && c.hold.total_spilled)
		bf_note(NULL, "spilled %lld bytes to a temporary file", c.hold.total_spilled);
done:
	if (c.st)
		bf_state_run_end(c.st, rc);
	bf_state_close(c.st);
	bf_closure_hold_free(&c.hold);
	part_reset(&c);
	for (size_t i = 0; i < c.nseen; i++)
		free(c.seen[i]);
	free(c.seen);
	bf_buf_free(&c.members);
	bf_buf_free(&c.text);
	bf_buf_free(&c.sname);
	bf_buf_free(&c.rec);
	return rc;
}
