#include "bf_load.h"

#include <stdlib.h>
#include <string.h>

#include "bf_buf.h"
#include "bf_exit.h"
#include "bf_progress.h"
#include "bf_state.h"
#include "bf_time.h"

struct loop {
	const struct bf_load_opts *o;
	struct bf_target *t;
	struct bf_state *st;
	struct bf_out out;
	struct bf_progress prog;
	int open;                  /* a transaction is open */
	int foreign;               /* ... for records without bf lineage */
	char *loc, *date;          /* the open partition */
	long long rows, total_rows, parts, failed;
	int64_t t0;
	char **streams;            /* streams that had a SCHEMA */
	size_t nstreams;
};

static const char *str_member(const cJSON *o, const char *k)
{
	const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
	return cJSON_IsString(v) ? v->valuestring : NULL;
}

static int known_stream(struct loop *l, const char *s)
{
	for (size_t i = 0; i < l->nstreams; i++)
		if (!strcmp(l->streams[i], s))
			return 1;
	return 0;
}

static void close_part(struct loop *l)
{
	free(l->loc);
	free(l->date);
	l->loc = l->date = NULL;
	l->open = l->foreign = 0;
	l->rows = 0;
}

static int begin(struct loop *l, const char *loc, const char *date, struct bf_err *err)
{
	int rc = l->t->ops->begin(l->t, loc, date, err);
	if (rc)
		return rc;
	l->open = 1;
	l->foreign = loc == NULL;
	l->loc = loc ? bf_xstrdup(loc) : NULL;
	l->date = date ? bf_xstrdup(date) : NULL;
	l->rows = 0;
	l->t0 = bf_mono_ms();
	return 0;
}

static int on_record(struct loop *l, struct bf_msg *m, const char *where, struct bf_err *err)
{
	if (!cJSON_IsObject(m->record))
		return bf_fail(err, BF_EDATA, where, "line %ld: \"record\" is not an object", m->lineno);
	if (!known_stream(l, m->stream))
		return bf_fail(err, BF_EDATA, where, "line %ld: RECORD of stream \"%s\" before its SCHEMA",
			       m->lineno, m->stream);
	const char *loc = str_member(m->record, "_bf_location");
	const char *date = str_member(m->record, "_bf_date");
	int rc;
	if (date && !loc)
		loc = "";
	if (l->open) {
		int same = date ? (!l->foreign && !strcmp(loc, l->loc) && !strcmp(date, l->date)) : l->foreign;
		if (!same)
			return bf_fail(err, BF_EDATA, where,
				       "line %ld: a record of %s/%s before the STATE that ends %s/%s",
				       m->lineno, loc ? loc : "-", date ? date : "-",
				       l->foreign ? "-" : l->loc, l->foreign ? "-" : l->date);
	} else if ((rc = begin(l, date ? loc : NULL, date, err))) {
		return rc;
	}
	if ((rc = l->t->ops->record(l->t, m, err)))
		return rc;
	l->rows++;
	return 0;
}

static int on_schema(struct loop *l, struct bf_msg *m, const char *where, struct bf_err *err)
{
	if (!cJSON_IsObject(m->schema))
		return bf_fail(err, BF_EDATA, where, "line %ld: \"schema\" is not an object", m->lineno);
	int rc = l->t->ops->schema(l->t, m, err);
	if (rc)
		return rc;
	if (!known_stream(l, m->stream)) {
		l->streams = bf_xrealloc(l->streams, (l->nstreams + 1) * sizeof *l->streams);
		l->streams[l->nstreams++] = bf_xstrdup(m->stream);
	}
	return 0;
}

static int on_state(struct loop *l, struct bf_msg *m, const char *where, struct bf_err *err)
{
	cJSON *bf = bf_msg_state_bf(m);
	const char *loc = bf ? str_member(bf, "location") : NULL;
	const char *date = bf ? str_member(bf, "date") : NULL;
	const char *source = bf ? str_member(bf, "source") : NULL;
	const char *status = bf ? str_member(bf, "status") : NULL;
	int rc;
	if (date && !loc)
		loc = "";
	if (!date) {
		/* a foreign STATE: commit what came before it (Singer semantics) */
		if (l->open) {
			struct bf_load_part p = { NULL, NULL, NULL, l->rows, "loaded", NULL };
			if ((rc = l->t->ops->commit(l->t, &p, err)))
				return rc;
			l->total_rows += l->rows;
			close_part(l);
		}
		bf_out_write(&l->out, m->line, m->len);
		bf_out_write(&l->out, "\n", 1);
		return bf_out_flush(&l->out, err);
	}
	if (l->open && (l->foreign || strcmp(loc, l->loc) || strcmp(date, l->date)))
		return bf_fail(err, BF_EDATA, where, "line %ld: STATE of %s/%s while %s/%s is open",
			       m->lineno, loc, date, l->foreign ? "-" : l->loc, l->foreign ? "-" : l->date);
	if (status && !strcmp(status, "failed")) {
		/* upstream could not finish this partition: keep what the target had */
		if (l->open) {
			l->t->ops->rollback(l->t);
			close_part(l);
		}
		const char *e = str_member(bf, "error");
		bf_warn(NULL, "%s/%s failed upstream, nothing loaded: %s", loc, date, e ? e : "?");
		if (source) {
			struct bf_partition_update u = { source, loc, date, "failed", NULL, -1, -1, -1, -1,
							 e ? e : "failed upstream", 0, -1 };
			if ((rc = bf_state_partition_update(l->st, &u, err)))
				return rc;
		}
		l->failed++;
		return 0;
	}
	if (!l->open && (rc = begin(l, loc, date, err)))
		return rc;
	const char *pstatus = "loaded";
	const cJSON *closure = cJSON_GetObjectItemCaseSensitive(bf, "closure");
	const char *verdict = closure ? str_member(closure, "verdict") : NULL;
	if (verdict && !strcmp(verdict, "closed"))
		pstatus = "closed";
	else if (verdict && !strcmp(verdict, "pending"))
		pstatus = "pending";
	char *json = cJSON_PrintUnformatted(m->value);
	struct bf_load_part p = { source, loc, date, l->rows, pstatus, json };
	rc = l->t->ops->commit(l->t, &p, err);
	cJSON_free(json);
	if (rc)
		return rc;
	int64_t ms = bf_mono_ms() - l->t0;
	l->total_rows += l->rows;
	l->parts++;
	if (source) {
		struct bf_partition_update u = { source, loc, date, pstatus, NULL, -1, -1, -1, l->rows,
						 NULL, 0, -1 };
		if ((rc = bf_state_partition_update(l->st, &u, err)))
			return rc;
		bf_state_metric(l->st, source, loc, date, "loaded_rows", (double)l->rows);
		bf_state_metric(l->st, source, loc, date, "load_ms", (double)ms);
	}
	close_part(l);
	bf_out_write(&l->out, m->line, m->len);
	bf_out_write(&l->out, "\n", 1);
	return bf_out_flush(&l->out, err);
}

int bf_load_run(const struct bf_load_opts *o, int in_fd, int out_fd, struct bf_err *err)
{
	struct loop l = { .o = o };
	struct bf_lines in;
	struct bf_msg m;
	char *line;
	size_t len;
	int rc;
	const char *where = "stdin";

	bf_lines_init(&in, in_fd, where, o->max_line);
	bf_out_init(&l.out, out_fd, "stdout");
	bf_progress_init(&l.prog, o->progress);
	if ((rc = bf_state_open(bf_state_path(o->state_path), &l.st, err)) ||
	    (rc = bf_state_run_begin(l.st, "load", o->args, err)) ||
	    (rc = bf_target_open(o->target, &l.t, err)))
		goto done;
	while ((rc = bf_lines_next(&in, &line, &len, err)) == 1) {
		if ((rc = bf_msg_parse(line, len, in.lineno, where, 1, &m, err)))
			break;
		switch (m.type) {
		case BF_MSG_RECORD: rc = on_record(&l, &m, where, err); break;
		case BF_MSG_SCHEMA: rc = on_schema(&l, &m, where, err); break;
		case BF_MSG_STATE: rc = on_state(&l, &m, where, err); break;
		default: rc = 0; break;
		}
		bf_msg_clear(&m);
		if (rc)
			break;
		bf_progress_show(&l.prog, 0, "%lld partitions, %lld rows loaded", l.parts, l.total_rows);
	}
	bf_progress_done(&l.prog);
	if (rc == 0 && l.open) {
		if (l.foreign) {
			struct bf_load_part p = { NULL, NULL, NULL, l.rows, "loaded", NULL };
			rc = l.t->ops->commit(l.t, &p, err);
			close_part(&l);
		} else {
			rc = bf_fail(err, BF_EDATA, where,
				     "input ended before the STATE of %s/%s; nothing of it was committed",
				     l.loc[0] ? l.loc : "-", l.date);
		}
	}
	if (rc == 0 && l.failed)
		rc = bf_fail(err, BF_PARTIAL, NULL, "%lld partitions failed upstream and were not loaded",
			     l.failed);
done:
	if (l.open && l.t) {
		l.t->ops->rollback(l.t);
		close_part(&l);
	}
	{
		struct bf_err cerr = { 0 };
		int crc = bf_out_close(&l.out, &cerr);
		if (crc && (!rc || rc == BF_PARTIAL)) {
			*err = cerr;
			rc = crc;
		}
	}
	if (l.t)
		l.t->ops->close(l.t);
	bf_state_run_end(l.st, rc);
	bf_state_close(l.st);
	bf_lines_free(&in);
	for (size_t i = 0; i < l.nstreams; i++)
		free(l.streams[i]);
	free(l.streams);
	return rc;
}
