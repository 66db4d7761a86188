/* bf-closure, the stage: holds a partition's messages until its STATE, counts what the
 * verdict needs on the way, learns what the day is measured by, then writes the messages
 * marked, with markers and the verdict. */
#include "stages/closure/bf_closure.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_time.h"
#include "proto/bf_filter.h"
#include "proto/bf_json.h"
#include "proto/bf_jsonscan.h"
#include "proto/bf_msg.h"
#include "stages/closure/bf_closure_hold.h"
#include "stages/closure/bf_closure_int.h"
#include "stages/closure/bf_closure_learn.h"
#include "stages/closure/bf_closure_tally.h"

struct cl {
	const struct bf_closure_opts *o;
	struct bf_state *st;
	struct bf_closure_hold hold;
	long long held_msgs;
	struct bf_closure_tally tally;       /* of the partition */
	char **seen;               /* streams with a SCHEMA in this process */
	size_t nseen;
	struct bf_buf members, sname;
	struct bf_buf rec;
	struct bf_buf said;        /* the measure last noted (-v) */
	int warned_activity, warned_sales;
	long long parts, closed, pending;
};

static void part_reset(struct cl *c)
{
	bf_closure_tally_reset(&c->tally);
	c->held_msgs = 0;
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
	bf_closure_tally_schema(&c->tally, m->stream, m->schema);
	add_closure_props(m->schema);
	char *s = cJSON_PrintUnformatted(m->root);
	struct bf_closure_held hd = { BF_MSG_SCHEMA, 0, strlen(s), 0, 0 };
	c->held_msgs++;
	int rc = bf_closure_hold_add(&c->hold, &hd, s, err);
	cJSON_free(s);
	return rc ? rc : BF_FILTER_TAKEN;
}

static int on_record(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err)
{
	struct cl *c = ctx;
	(void)f;
	const char *sname = bf_msg_stream_name(m, &c->sname);
	size_t i = bf_closure_tally_stream(&c->tally, sname, c->sname.len);
	bf_closure_tally_record(&c->tally, i, m->line + m->record_span.start, m->record_span.len);
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

/* What the STATE says: a table's partition or files (kind), the folder, the files read and
 * their streams, and the rows it counted of each stream (value.bf.rows, files or table). */
static void state_files(struct bf_closure_tally *t, const cJSON *bf, struct bf_closure_obs *obs)
{
	const cJSON *fl = cJSON_GetObjectItemCaseSensitive(bf, "files");
	const cJSON *fc = cJSON_GetObjectItemCaseSensitive(bf, "file_count");
	const cJSON *rows = cJSON_GetObjectItemCaseSensitive(bf, "rows"), *fi;
	obs->kind = bf_json_str(bf, "kind");
	obs->folder = bf_json_str(bf, "folder");
	obs->files = cJSON_IsNumber(fc) ? (long long)fc->valuedouble : cJSON_IsArray(fl) ? cJSON_GetArraySize(fl) : -1;
	if (!cJSON_IsArray(fl))
		fl = NULL;
	if (!cJSON_IsObject(rows))
		rows = NULL;
	cJSON_ArrayForEach(fi, fl) {
		const char *s = bf_json_str(fi, "stream");
		if (s) {
			size_t i = bf_closure_tally_stream(t, s, strlen(s));
			t->streams[i].has_file = 1;
		}
	}
	cJSON_ArrayForEach(fi, rows) {
		if (!fi->string)
			continue;
		size_t i = bf_closure_tally_stream(t, fi->string, strlen(fi->string));
		if (cJSON_IsNumber(fi) && fi->valuedouble >= 0)
			t->more[i].state_rows = (long long)fi->valuedouble;
	}
}

/* The partition's streams as the verdict sees them: a stream's rows are the records that
 * passed, or what its STATE says when that is more (a source that counts rows without
 * sending them all, records left out upstream). The names are the tally's. */
static struct bf_closure_stream *day_streams(const struct bf_closure_tally *t)
{
	struct bf_closure_stream *s = bf_xmalloc((t->nstreams + 1) * sizeof *s);
	for (size_t i = 0; i < t->nstreams; i++) {
		s[i] = t->streams[i];
		if (t->more[i].state_rows > s[i].rows)
			s[i].rows = t->more[i].state_rows;
	}
	return s;
}

/* The measure of the day: learned from the judged days around it and from itself. */
static int measure_day(struct cl *c, const char *source, const char *loc, int32_t day,
		       const struct bf_closure_stream *streams, struct bf_closure_measure *me,
		       struct bf_err *err)
{
	const struct bf_closure_tally *t = &c->tally;
	struct bf_closure_catalogue cat = { 0 };
	int rc = bf_closure_catalogue_load(c->st, source, loc, day, c->o->cfg.baseline_weeks, &cat, err);
	if (!rc) {
		cat.days += t->nstreams > 0;
		for (size_t i = 0; i < t->nstreams; i++) {
			const struct bf_closure_stream *s = &streams[i];
			bf_closure_catalogue_stream(&cat, s->name, 1, s->rows > 0, (double)s->rows);
			for (size_t k = 0; k < t->more[i].nmoney; k++) {
				const struct bf_closure_money *x = &t->more[i].money[k];
				bf_closure_catalogue_money(&cat, s->name, x->column, x->values, x->parsed);
			}
		}
		bf_closure_learn(&c->o->cfg, &cat, me);
	}
	bf_closure_catalogue_free(&cat);
	return rc;
}

/* observed.money_columns: the values of the measured stream's money columns, which later
 * days learn the amount column from. */
static void add_money_columns(const struct bf_closure_tally *t, const struct bf_closure_measure *me,
			      cJSON *observed)
{
	const char *s = me->amount_stream ? me->amount_stream : me->activity_stream;
	cJSON *mc = NULL;
	for (size_t i = 0; s && i < t->nstreams; i++) {
		if (strcmp(t->streams[i].name, s) || !t->more[i].nmoney)
			continue;
		mc = cJSON_AddObjectToObject(cJSON_AddObjectToObject(observed, "money_columns"), s);
		for (size_t k = 0; k < t->more[i].nmoney; k++) {
			const struct bf_closure_money *x = &t->more[i].money[k];
			cJSON *o = cJSON_AddObjectToObject(mc, x->column);
			cJSON_AddNumberToObject(o, "values", (double)x->values);
			cJSON_AddNumberToObject(o, "parsed", (double)x->parsed);
		}
	}
}

/* Says on stderr, once, what was not judged and how to have it judged; with -v, the
 * measure when it changes, and each verdict. */
static void say(struct cl *c, const char *loc, const char *date, const struct bf_closure_measure *me,
		const struct bf_closure_obs *obs, const struct bf_closure_verdict *v)
{
	const char *l = loc[0] ? loc : "-";
	const char *awhy = bf_json_str(me->learned, "activity_why");
	const char *swhy = bf_json_str(me->learned, "amount_why");
	const char *amount = bf_json_str(me->learned, "amount_column");
	if (v->activity_skipped && !c->warned_activity) {
		c->warned_activity = 1;
		bf_warn(NULL, "%s/%s: no activity stream (%s): only files are judged (no_files, "
			"insufficient_files); name the activity with --activity-stream STREAM and the sales "
			"with --amount-column STREAM.COLUMN", l, date, awhy ? awhy : "");
	} else if (v->sales_skipped && !v->activity_skipped && !c->warned_sales) {
		c->warned_sales = 1;
		bf_warn(NULL, "%s/%s: no amount column (%s); name one with --amount-column %s.COLUMN",
			l, date, swhy ? swhy : "", me->activity_stream ? me->activity_stream : "STREAM");
	}
	if (bf_log_level() < 2)
		return;
	struct bf_buf now = BF_BUF_INIT;
	bf_buf_addf(&now, "%s %s %s %s", me->activity_stream ? me->activity_stream : "-", me->activity_how,
		    amount ? amount : "-", me->amount_how);
	if (strcmp(c->said.p, now.p)) {
		bf_note(NULL, "%s/%s: activity %s (%s); amount %s (%s)", l, date,
			me->activity_stream ? me->activity_stream : "none", awhy ? awhy : "",
			amount ? amount : "none", swhy ? swhy : "");
		bf_buf_reset(&c->said);
		bf_buf_adds(&c->said, now.p);
	}
	bf_buf_reset(&now);
	if (me->activity_stream && me->activity_known)
		bf_buf_addf(&now, "; %s %lld rows", me->activity_stream, obs->activity_rows);
	if (amount && obs->have_sales)
		bf_buf_addf(&now, ", %s %.2f", amount, obs->sales);
	bf_note(NULL, "%s/%s: %s%s%s%s", l, date, v->verdict, v->reason ? " " : "",
		v->reason ? v->reason : "", now.p);
	bf_buf_free(&now);
}

static int on_state(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err)
{
	struct cl *c = ctx;
	struct bf_closure_tally *t = &c->tally;
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

	struct bf_closure_obs obs = { 0 };
	state_files(t, bf, &obs);
	struct bf_closure_stream *streams = day_streams(t);
	struct bf_closure_measure me = { 0 };
	struct bf_closure_history h = { 0 };
	struct bf_closure_verdict v = { 0 };
	struct bf_buf amount = BF_BUF_INIT;
	if ((rc = measure_day(c, source, loc, day, streams, &me, err)))
		goto out;
	obs.measure = &me;
	for (size_t i = 0; me.activity_stream && i < t->nstreams; i++)
		if (!strcmp(streams[i].name, me.activity_stream))
			obs.activity_rows = streams[i].rows;
	const struct bf_closure_money *x = NULL;
	if (me.amount_stream) {
		bf_buf_addf(&amount, "%s.%s", me.amount_stream, me.amount_column);
		x = bf_closure_tally_money(t, me.amount_stream, me.amount_column);
	}
	if (x) {
		obs.sales = x->sum;
		obs.have_sales = x->have;
		obs.bad_amounts = x->bad;
		obs.voided = x->voided;
	}
	obs.streams = streams;
	obs.nstreams = t->nstreams;
	obs.seen_streams = (const char *const *)c->seen;
	obs.nseen = c->nseen;

	if ((rc = bf_closure_history_load(c->st, source, loc, day, c->o->cfg.baseline_weeks,
					  me.activity_known ? me.activity_stream : NULL, amount.p, &h, err)))
		goto out;
	bf_closure_decide(&c->o->cfg, day, &obs, &h, &v);
	cJSON *observed = cJSON_GetObjectItemCaseSensitive(v.evidence, "observed");
	add_money_columns(t, &me, observed);
	if (c->hold.spilled_bytes)
		cJSON_AddNumberToObject(observed, "spilled_bytes", (double)c->hold.spilled_bytes);
	if ((rc = bf_closure_store(c->st, source, loc, date, &v, err)))
		goto out;

	/* records, then markers, then the STATE with the verdict */
	int closed = !strcmp(v.verdict, "closed");
	members_for(&c->members, closed ? v.reason : NULL);
	rc = bf_closure_hold_replay(&c->hold, f, &c->members, err);
	if (!rc && closed) {
		for (size_t i = 0; i < v.nexpected; i++) {
			long long r = 0;
			for (size_t k = 0; k < t->nstreams; k++)
				if (!strcmp(t->streams[k].name, v.expected[i]))
					r = t->streams[k].rows;
			if (!r)
				write_marker(c, f, v.expected[i], loc, date, v.reason);
		}
	}
	say(c, loc, date, &me, &obs, &v);
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
	part_reset(c);
out:
	free(streams);
	bf_closure_history_free(&h);
	bf_closure_verdict_free(&v);
	bf_closure_measure_free(&me);
	bf_buf_free(&amount);
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
	struct cl c = { .o = o, .members = BF_BUF_INIT, .sname = BF_BUF_INIT, .rec = BF_BUF_INIT,
			 .said = BF_BUF_INIT };
	c.tally.cfg = &o->cfg;
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
	bf_closure_tally_free(&c.tally);
	for (size_t i = 0; i < c.nseen; i++)
		free(c.seen[i]);
	free(c.seen);
	bf_buf_free(&c.members);
	bf_buf_free(&c.said);
	bf_buf_free(&c.sname);
	bf_buf_free(&c.rec);
	return rc;
}
