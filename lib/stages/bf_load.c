#include "stages/bf_load.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "proto/bf_colmap.h"
#include "proto/bf_json.h"
#include "base/bf_progress.h"
#include "base/bf_sql.h"
#include "state/bf_state.h"
#include "base/bf_time.h"

/* The loop's view of a stream: its definition plus what speeds up records. */
struct lstream {
	struct bf_stream_def def;
	struct bf_cell *cells;     /* one per column, reused row after row */
	size_t ncells;
	struct bf_colmap map;      /* member position -> column index, tag: lineage (LIN_*) */
};

struct quar {                      /* a refused record, written at the partition's STATE */
	char *file, *reason, *raw;
	size_t rawlen;
	long line;
};

/* A partition committed in the target whose commit may not be answered yet: it is marked
 * in the state file, and its STATE passed on, only once it is. */
struct held {
	char *source, *loc, *date; /* date: NULL when nothing is held */
	const char *status;
	long long rows, quar;      /* quar: for the state file (upstream + load), -1 unknown */
	long long markers;         /* closure marker rows among rows */
	struct quar *q;            /* the records the load refused */
	size_t nq;
	int64_t ms;
	cJSON *msg;                /* the STATE line to pass on */
};

struct loop {
	const struct bf_load_opts *o;
	struct bf_target *t;
	struct bf_state *st;
	struct bf_out out;
	struct bf_progress prog;
	int open;                  /* a transaction is open */
	int foreign;               /* ... for records without bf lineage */
	char *loc, *date;          /* the open partition */
	long long rows, total_rows, parts, failed, total_quar;
	long long markers;         /* closure marker rows of the open partition */
	char *target_key;          /* the target in the state file's loads table */
	int64_t t0;
	struct lstream **streams;
	size_t nstreams;
	struct bf_member *mem;
	size_t memcap;
	struct bf_buf scratch, name;
	int *idx;                  /* member -> column of the record being read */
	size_t idxcap;
	struct quar *q;
	size_t nq;
	struct held held;
	struct bf_lines *in;
};

enum { LIN_NONE, LIN_LOC, LIN_DATE, LIN_SRC, LIN_LINE };

static const char *const lineage[] = { "_bf_date", "_bf_location", "_bf_source", "_bf_line" };
static const enum bf_type lineage_type[] = { BF_T_DATE, BF_T_STRING, BF_T_STRING, BF_T_INTEGER };

static struct lstream *find_stream(struct loop *l, const char *s)
{
	for (size_t i = 0; i < l->nstreams; i++)
		if (!strcmp(l->streams[i]->def.name, s))
			return l->streams[i];
	return NULL;
}

static int find_col(const struct bf_stream_def *d, const char *key, size_t n)
{
	for (size_t i = 0; i < d->ncols; i++)
		if (!strncmp(d->cols[i].name, key, n) && d->cols[i].name[n] == '\0')
			return (int)i;
	return -1;
}

/* The type a column gets: --type override, else the declared one; the amount column is
 * a number unless something more specific was declared. */
static enum bf_type col_type(struct loop *l, const struct bf_stream_def *d, const char *col,
			     enum bf_type declared)
{
	for (size_t i = 0; i < l->o->ntypes; i++)
		if (!strcmp(l->o->types[i].stream, d->name) && !strcmp(l->o->types[i].column, col))
			return l->o->types[i].type;
	for (size_t i = 0; i < 4; i++)
		if (!strcmp(col, lineage[i]))
			return lineage_type[i];
	if (d->amount && !strcmp(col, d->amount) && declared == BF_T_STRING)
		return BF_T_NUMBER;
	return declared;
}

static void add_col(struct loop *l, struct lstream *s, const char *name, size_t n, enum bf_type declared)
{
	struct bf_stream_def *d = &s->def;
	d->cols = bf_xrealloc(d->cols, (d->ncols + 1) * sizeof *d->cols);
	d->cols[d->ncols].name = bf_xstrndup(name, n);
	d->cols[d->ncols].type = col_type(l, d, d->cols[d->ncols].name, declared);
	d->cols[d->ncols].embedding = NULL;
	d->ncols++;
	d->version++;
	s->cells = bf_xrealloc(s->cells, d->ncols * sizeof *s->cells);
	memset(&s->cells[d->ncols - 1], 0, sizeof *s->cells);
	s->ncells = d->ncols;
}

static struct lstream *new_stream(struct loop *l, const char *name)
{
	struct lstream *s = bf_xcalloc(1, sizeof *s);
	s->def.name = bf_xstrdup(name);
	const char *amount = NULL;
	if (l->o->namounts == 0) {
		if (!strcmp(name, "order_details"))
			amount = "amount";
	} else {
		for (size_t i = 0; i < l->o->namounts; i++)
			if (!strcmp(l->o->amounts[i].stream, name))
				amount = l->o->amounts[i].column;
	}
	s->def.amount = amount;
	l->streams = bf_xrealloc(l->streams, (l->nstreams + 1) * sizeof *l->streams);
	l->streams[l->nstreams++] = s;
	return s;
}

static void free_stream(struct lstream *s)
{
	for (size_t i = 0; i < s->def.ncols; i++) {
		free(s->def.cols[i].name);
		free(s->def.cols[i].embedding);
		bf_cell_free(&s->cells[i]);
	}
	free(s->def.cols);
	free(s->cells);
	bf_colmap_free(&s->map);
	free(s->def.name);
	free(s);
}

static void free_quar(struct quar *q, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(q[i].file);
		free(q[i].reason);
		free(q[i].raw);
	}
	free(q);
}

static void clear_quar(struct loop *l)
{
	free_quar(l->q, l->nq);
	l->q = NULL;
	l->nq = 0;
}

static void close_part(struct loop *l)
{
	free(l->loc);
	free(l->date);
	l->loc = l->date = NULL;
	l->open = l->foreign = 0;
	l->rows = l->markers = 0;
	clear_quar(l);
}

static int begin(struct loop *l, const char *loc, const char *date, struct bf_err *err)
{
	int rc = bf_target_begin(l->t, loc, date, err);
	if (rc)
		return rc;
	l->open = 1;
	l->foreign = loc == NULL;
	l->loc = loc ? bf_xstrdup(loc) : NULL;
	l->date = date ? bf_xstrdup(date) : NULL;
	l->rows = l->markers = 0;
	l->t0 = bf_mono_ms();
	return 0;
}

/* s[0..n) (no NUL) equals the C string z */
static int same_text(const char *s, size_t n, const char *z)
{
	return !strncmp(z, s, n) && z[n] == '\0';
}

static char *member_text(const struct bf_member *m)
{
	return m && m->kind != BF_J_NULL ? bf_xstrndup(m->val, m->len) : NULL;
}

static int on_record(struct loop *l, struct bf_msg *m, const char *where, struct bf_err *err)
{
	const char *name = bf_msg_stream_name(m, &l->name);
	struct lstream *s = find_stream(l, name);
	if (!s)
		return bf_fail(err, BF_EDATA, where, "line %ld: RECORD of stream \"%s\" before its SCHEMA",
			       m->lineno, name);
	const char *raw = m->line + m->record_span.start;
	size_t rawlen = m->record_span.len;
	long n = bf_json_members(raw, rawlen, &l->mem, &l->memcap, &l->scratch);
	if (n < 0)
		return bf_fail(err, BF_EDATA, where, "line %ld: \"record\" is not an object", m->lineno);
	const struct bf_member *mloc = NULL, *mdate = NULL, *msrc = NULL, *mline = NULL;
	unsigned version = s->def.version;
	int rc;
	/* map members to columns (the previous record's order first) */
	if ((size_t)n > l->idxcap) {
		l->idxcap = (size_t)n * 2;
		l->idx = bf_xrealloc(l->idx, l->idxcap * sizeof *l->idx);
	}
	int *idx = l->idx;
	for (long i = 0; i < n; i++) {
		const struct bf_member *mb = &l->mem[i];
		const struct bf_colmap_slot *sl = bf_colmap_get(&s->map, (size_t)i, mb->key, mb->keylen);
		int c, lin;
		if (sl) {
			c = sl->col;
			lin = sl->tag;
		} else {
			if (memchr(mb->key, '\0', mb->keylen)) {
				return bf_fail(err, BF_EDATA, where, "line %ld: a NUL character in a member name",
					       m->lineno);
			}
			c = find_col(&s->def, mb->key, mb->keylen);
			if (c < 0) {
				/* a member no SCHEMA announced: a new text column */
				add_col(l, s, mb->key, mb->keylen, BF_T_STRING);
				c = (int)s->def.ncols - 1;
			}
			const char *k = s->def.cols[c].name;
			lin = !strcmp(k, "_bf_location") ? LIN_LOC : !strcmp(k, "_bf_date") ? LIN_DATE :
			      !strcmp(k, "_bf_source") ? LIN_SRC : !strcmp(k, "_bf_line") ? LIN_LINE : LIN_NONE;
			bf_colmap_set(&s->map, (size_t)i, mb->key, mb->keylen, c, lin);
		}
		idx[i] = c;
		switch (lin) {
		case LIN_LOC: mloc = mb; break;
		case LIN_DATE: mdate = mb; break;
		case LIN_SRC: msrc = mb; break;
		case LIN_LINE: mline = mb; break;
		default: break;
		}
	}
	if (s->def.version != version && (rc = bf_target_schema(l->t, &s->def, err)))
		return rc;
	/* the partition (compared in place: no copy per record; text up to a NUL, as C strings) */
	const char *loc = NULL, *date = NULL;
	size_t locn = 0, daten = 0;
	if (mloc && mloc->kind == BF_J_STRING) {
		loc = mloc->val;
		locn = strnlen(mloc->val, mloc->len);
	}
	if (mdate && mdate->kind == BF_J_STRING) {
		date = mdate->val;
		daten = strnlen(mdate->val, mdate->len);
	}
	if (date && !loc)
		loc = "";
	rc = 0;
	if (l->open) {
		int same = date ? (!l->foreign && same_text(loc, locn, l->loc) && same_text(date, daten, l->date))
				: l->foreign;
		if (!same)
			rc = bf_fail(err, BF_EDATA, where,
				     "line %ld: a record of %.*s/%.*s before the STATE that ends %s/%s",
				     m->lineno, loc ? (int)locn : 1, loc ? loc : "-", date ? (int)daten : 1,
				     date ? date : "-", l->foreign ? "-" : l->loc, l->foreign ? "-" : l->date);
	} else if (date) {
		char *dl = bf_xstrndup(loc, locn), *dd = bf_xstrndup(date, daten);
		rc = begin(l, dl, dd, err);
		free(dl);
		free(dd);
	} else {
		rc = begin(l, NULL, NULL, err);
	}
	if (rc)
		return rc;
	/* cast */
	for (size_t c = 0; c < s->ncells; c++)
		s->cells[c].kind = BF_C_NULL;
	char why[160];
	int bad = 0;
	for (long i = 0; i < n && !bad; i++) {
		const struct bf_col *col = &s->def.cols[idx[i]];
		if (bf_cast(col->type, &l->mem[i], &s->cells[idx[i]], why, sizeof why) < 0) {
			struct bf_buf r = BF_BUF_INIT;
			bf_buf_addf(&r, "%s (%s): %s", col->name, bf_type_name(col->type), why);
			char *reason = bf_buf_detach(&r);
			l->q = bf_xrealloc(l->q, (l->nq + 1) * sizeof *l->q);
			struct quar *q = &l->q[l->nq++];
			q->file = member_text(msrc);
			q->reason = reason;
			q->raw = bf_xstrndup(raw, rawlen);
			q->rawlen = rawlen;
			q->line = 0;
			if (mline && (mline->kind == BF_J_NUMBER || mline->kind == BF_J_STRING) &&
			    mline->len < 24) {
				char num[24];
				memcpy(num, mline->val, mline->len);
				num[mline->len] = '\0';
				q->line = strtol(num, NULL, 10);
			}
			bad = 1;
		}
	}
	if (bad) {
		if (bf_log_level() >= 1)
			bf_warn(where, "line %ld: record of %s refused: %s", m->lineno, s->def.name,
				l->q[l->nq - 1].reason);
		return 0;
	}
	/* bf-closure's marker of a closed day (docs/closures.md) */
	int marker = msrc && msrc->kind == BF_J_STRING && same_text(msrc->val, msrc->len, "closure");
	struct bf_row row = { &s->def, s->cells, raw, rawlen };
	if ((rc = bf_target_record(l->t, &row, err)))
		return rc;
	l->rows++;
	l->markers += marker;
	return 0;
}

/* The column's x-bf-embedding (how bf-enrich made it), recorded by the target with the
 * table's columns: a change is a new version of the stream. */
static void set_embedding(struct lstream *s, struct bf_col *col, const cJSON *prop)
{
	const cJSON *e = cJSON_IsObject(prop) ? cJSON_GetObjectItemCaseSensitive(prop, "x-bf-embedding") : NULL;
	char *text = cJSON_IsObject(e) ? cJSON_PrintUnformatted(e) : NULL;
	if (!text && !col->embedding)
		return;
	if (text && col->embedding && !strcmp(text, col->embedding)) {
		cJSON_free(text);
		return;
	}
	free(col->embedding);
	col->embedding = text ? bf_xstrdup(text) : NULL;
	cJSON_free(text);
	s->def.version++;
}

static int on_schema(struct loop *l, struct bf_msg *m, const char *where, struct bf_err *err)
{
	int rc;
	if ((rc = bf_msg_tree(m, where, err)))
		return rc;
	if (!cJSON_IsObject(m->schema))
		return bf_fail(err, BF_EDATA, where, "line %ld: \"schema\" is not an object", m->lineno);
	const cJSON *props = cJSON_GetObjectItemCaseSensitive(m->schema, "properties");
	if (props && !cJSON_IsObject(props))
		return bf_fail(err, BF_EDATA, where, "line %ld: schema \"properties\" is not an object", m->lineno);
	struct lstream *s = find_stream(l, m->stream);
	int fresh = !s;
	if (!s)
		s = new_stream(l, m->stream);
	unsigned version = s->def.version;
	for (const cJSON *p = props ? props->child : NULL; p; p = p->next) {
		int c = find_col(&s->def, p->string, strlen(p->string));
		if (c < 0) {
			add_col(l, s, p->string, strlen(p->string), bf_type_of_schema(p));
			c = (int)s->def.ncols - 1;
		}
		set_embedding(s, &s->def.cols[c], p);
	}
	for (size_t i = 0; i < 4; i++)
		if (find_col(&s->def, lineage[i], strlen(lineage[i])) < 0)
			add_col(l, s, lineage[i], strlen(lineage[i]), lineage_type[i]);
	if (fresh || s->def.version != version)
		return bf_target_schema(l->t, &s->def, err);
	return 0;
}

static int flush_quar(struct loop *l, const struct held *h, struct bf_err *err)
{
	int rc = bf_state_quarantine_clear(l->st, "load", h->source, h->loc, h->date, err);
	for (size_t i = 0; i < h->nq && !rc; i++)
		rc = bf_state_quarantine(l->st, "load", h->source, h->loc, h->date,
					 h->q[i].file ? h->q[i].file : "", h->q[i].line, h->q[i].reason,
					 h->q[i].raw, h->q[i].rawlen, err);
	return rc;
}

/* After the commit: the partition's quarantine, status and metrics in the state file, in
 * one transaction (one commit instead of five: the target waits for none of them). */
static int mark_part(struct loop *l, const struct held *h, struct bf_err *err)
{
	struct bf_err terr = { 0 };
	int txn = bf_sqlite_exec(l->st->db, "BEGIN IMMEDIATE", l->st->path, &terr) == 0;
	struct bf_partition_update u = { h->source, h->loc, h->date, h->status, NULL, -1, -1, h->quar,
					 h->rows, NULL, 0, -1 };
	int rc = flush_quar(l, h, err);
	if (!rc)
		rc = bf_state_partition_update(l->st, &u, err);
	if (!rc)
		rc = bf_state_loaded(l->st, h->source, h->loc, h->date, l->target_key, h->status, h->rows,
				     h->markers, err);
	if (rc) {
		if (txn)
			sqlite3_exec(l->st->db, "ROLLBACK", NULL, NULL, NULL);
		return rc;
	}
	bf_state_metric(l->st, h->source, h->loc, h->date, "loaded_rows", (double)h->rows);
	bf_state_metric(l->st, h->source, h->loc, h->date, "load_quarantined", (double)h->nq);
	bf_state_metric(l->st, h->source, h->loc, h->date, "load_ms", (double)h->ms);
	return txn ? bf_sqlite_exec(l->st->db, "COMMIT", l->st->path, err) : 0;
}

static void drop_held(struct loop *l)
{
	struct held *h = &l->held;
	free(h->source);
	free(h->loc);
	free(h->date);
	free_quar(h->q, h->nq);
	cJSON_Delete(h->msg);
	memset(h, 0, sizeof *h);
}

/* The held partition's commit was answered: mark it and pass its STATE on. */
static int finish_held(struct loop *l, struct bf_err *err)
{
	struct held *h = &l->held;
	int rc = h->source ? mark_part(l, h, err) : 0;
	if (!rc) {
		if (h->nq)
			bf_warn(NULL, "%s/%s: %zu records refused by their column types (quarantined, stage load)",
				h->loc[0] ? h->loc : "-", h->date, h->nq);
		bf_out_json_line(&l->out, h->msg);
		rc = bf_out_flush(&l->out, err);
	}
	drop_held(l);
	return rc;
}

/* Waits for the held partition's commit, then finishes it. */
static int confirm_held(struct loop *l, struct bf_err *err)
{
	if (!l->held.date)
		return 0;
	int rc = bf_target_confirm(l->t, err);
	if (rc) {
		drop_held(l);
		return rc;
	}
	return finish_held(l, err);
}

/* Before the input is waited for: nothing held back by the target or by the loader. */
static int before_wait(void *ctx, struct bf_err *err)
{
	struct loop *l = ctx;
	int rc = bf_target_flush(l->t, err);
	return rc ? rc : confirm_held(l, err);
}

static int on_state(struct loop *l, struct bf_msg *m, const char *where, struct bf_err *err)
{
	int rc;
	if ((rc = confirm_held(l, err)) || (rc = bf_msg_tree(m, where, err)))
		return rc;
	cJSON *bf = bf_msg_state_bf(m);
	const char *loc = bf ? bf_json_str(bf, "location") : NULL;
	const char *date = bf ? bf_json_str(bf, "date") : NULL;
	const char *source = bf ? bf_json_str(bf, "source") : NULL;
	const char *status = bf ? bf_json_str(bf, "status") : NULL;
	if (date && !loc)
		loc = "";
	if (!date) {
		/* a foreign STATE: commit what came before it (Singer semantics) */
		if (l->open) {
			struct bf_target_part p = { NULL, NULL, NULL, l->rows, (long long)l->nq, "loaded", NULL };
			if ((rc = bf_target_commit(l->t, &p, err)))
				return rc;
			if (l->nq)
				bf_warn(where, "%zu records without bf lineage refused (not loaded)", l->nq);
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
			bf_target_rollback(l->t);
			close_part(l);
		}
		const char *e = bf_json_str(bf, "error");
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
	const char *verdict = closure ? bf_json_str(closure, "verdict") : NULL;
	if (verdict && !strcmp(verdict, "closed"))
		pstatus = "closed";
	else if (verdict && !strcmp(verdict, "pending"))
		pstatus = "pending";
	/* what the load did goes into the STATE it passes on */
	long long upstream_q = -1;
	const cJSON *uq = cJSON_GetObjectItemCaseSensitive(bf, "quarantined");
	if (cJSON_IsNumber(uq))
		upstream_q = (long long)uq->valuedouble;
	cJSON_DeleteItemFromObjectCaseSensitive(bf, "load");
	cJSON *ld = cJSON_AddObjectToObject(bf, "load");
	cJSON_AddNumberToObject(ld, "rows", (double)l->rows);
	cJSON_AddNumberToObject(ld, "quarantined", (double)l->nq);
	char *json = cJSON_PrintUnformatted(m->value);
	struct bf_target_part p = { source, loc, date, l->rows, (long long)l->nq, pstatus, json };
	rc = bf_target_commit(l->t, &p, err);
	if (rc) {
		cJSON_free(json);
		return rc;
	}
	l->total_rows += l->rows;
	l->total_quar += (long long)l->nq;
	l->parts++;
	/* held until the commit is answered (at once, for a target that waited for it) */
	struct held *h = &l->held;
	h->source = source ? bf_xstrdup(source) : NULL;
	h->loc = bf_xstrdup(loc);
	h->date = bf_xstrdup(date);
	h->status = pstatus;
	h->rows = l->rows;
	h->markers = l->markers;
	h->quar = l->nq ? (upstream_q > 0 ? upstream_q : 0) + (long long)l->nq : upstream_q;
	h->q = l->q;
	h->nq = l->nq;
	l->q = NULL;
	l->nq = 0;
	h->ms = bf_mono_ms() - l->t0;
	/* the STATE line as received, with bf.load added (m->value is part of m->root) */
	h->msg = cJSON_Duplicate(m->root, 1);
	cJSON_free(json);
	close_part(l);
	if (bf_target_pending(l->t))
		return 0;
	return finish_held(l, err);
}

int bf_load_run(const struct bf_load_opts *o, int in_fd, int out_fd, struct bf_err *err)
{
	struct loop l = { .o = o, .scratch = BF_BUF_INIT, .name = BF_BUF_INIT };
	struct bf_lines in;
	struct bf_msg m;
	char *line;
	size_t len;
	int rc;
	const char *where = "stdin";

	bf_lines_init(&in, in_fd, where, o->max_line);
	l.in = &in;
	bf_out_init(&l.out, out_fd, "stdout");
	bf_progress_init(&l.prog, o->progress);
	if ((rc = bf_state_open(bf_state_path(o->state_path), &l.st, err)) ||
	    (rc = bf_state_run_begin(l.st, "load", o->args, err)) ||
	    (rc = bf_target_open(o->target, &o->topts, &l.t, err)))
		goto done;
	l.target_key = bf_target_key(o->target, o->topts.pg_schema);
	if (bf_target_defers(l.t)) {
		in.before_wait = before_wait;
		in.wait_ctx = &l;
	}
	while ((rc = bf_lines_next(&in, &line, &len, err)) == 1) {
		if ((rc = bf_msg_parse(line, len, in.lineno, where, 0, &m, err)))
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
		if (l.held.date && !bf_target_pending(l.t) && (rc = confirm_held(&l, err)))
			break;
		bf_progress_show(&l.prog, 0, "%lld partitions, %lld rows loaded", l.parts, l.total_rows);
	}
	bf_progress_done(&l.prog);
	if (l.held.date) {
		/* after an error elsewhere, a commit the server confirms is still marked */
		struct bf_err herr = { 0 };
		int hrc = confirm_held(&l, rc ? &herr : err);
		if (!rc)
			rc = hrc;
	}
	if (rc == 0 && l.open) {
		if (l.foreign) {
			struct bf_target_part p = { NULL, NULL, NULL, l.rows, (long long)l.nq, "loaded", NULL };
			rc = bf_target_commit(l.t, &p, err);
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
	else if (rc == 0 && l.total_quar)
		rc = bf_fail(err, BF_PARTIAL, NULL,
			     "%lld records did not fit their column types and were quarantined (stage load)",
			     l.total_quar);
done:
	if (l.open && l.t) {
		bf_target_rollback(l.t);
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
		bf_target_close(l.t);
	bf_state_run_end(l.st, rc);
	bf_state_close(l.st);
	bf_lines_free(&in);
	for (size_t i = 0; i < l.nstreams; i++)
		free_stream(l.streams[i]);
	free(l.streams);
	free(l.mem);
	free(l.idx);
	bf_buf_free(&l.scratch);
	bf_buf_free(&l.name);
	clear_quar(&l);
	free(l.target_key);
	return rc;
}
