#include "stages/bf_load.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_strmap.h"
#include "proto/bf_colmap.h"
#include "proto/bf_json.h"
#include "base/bf_progress.h"
#include "base/bf_sql.h"
#include "state/bf_state.h"
#include "base/bf_time.h"
#include "stages/bf_load_reconcile.h"

/* The loop's view of a stream: its definition plus what speeds up records. */
struct lstream {
	struct bf_stream_def def;
	struct bf_cell *cells;     /* one per column, reused row after row */
	size_t ncells;
	struct bf_colmap map;      /* member position -> column index, tag: lineage (LIN_*) */
	size_t *keycol;            /* the column of each of def.keys */
};

struct quar {                      /* a refused record, written at the partition's STATE */
	char *file, *reason, *raw;     /* file: the stream, for a record without lineage */
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
	struct bf_strmap bystream;     /* stream -> index in streams */
	struct lstream *last;          /* the stream last looked up */
	struct bf_strmap bytable;      /* its table's name without case -> index in streams */
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
	size_t i;
	if (l->last && !strcmp(l->last->def.name, s))
		return l->last;        /* most records are of the last stream */
	return bf_strmap_get(&l->bystream, s, &i) ? (l->last = l->streams[i]) : NULL;
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

/* The streams one run may take (--max-streams): each may make a table and two views. */
#define MAX_STREAMS_DEFAULT 1000

/* A new stream of the run: at most --max-streams of them, and no two sharing a table. */
static int check_new_stream(struct loop *l, const char *name, long lineno, const char *where,
			    struct bf_err *err)
{
	size_t max = l->o->max_streams ? l->o->max_streams : MAX_STREAMS_DEFAULT, i;
	if (l->nstreams >= max)
		return bf_fail(err, BF_EDATA, where, "line %ld: stream \"%s\" is one more than the %zu streams "
			       "one run takes (--max-streams); nothing of the open partition was committed",
			       lineno, name, max);
	struct bf_buf t = BF_BUF_INIT;
	bf_target_table_name(name, &t);
	for (char *p = t.p; *p; p++)
		if (*p >= 'A' && *p <= 'Z')
			*p = (char)(*p - 'A' + 'a');
	int clash = bf_strmap_get(&l->bytable, t.p, &i);
	if (clash)
		bf_fail(err, BF_EDATA, where, "line %ld: streams \"%s\" and \"%s\" would share the table %s "
			"(tables are named without regard to case, reserved names with a \"_\" in front)",
			lineno, l->streams[i]->def.name, name, t.p);
	else
		bf_strmap_put(&l->bytable, t.p, l->nstreams);
	bf_buf_free(&t);
	return clash ? BF_EDATA : 0;
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
	bf_strmap_put(&l->bystream, name, l->nstreams);
	l->streams[l->nstreams++] = s;
	return s;
}

static void free_keys(struct lstream *s)
{
	for (size_t k = 0; k < s->def.nkeys; k++)
		free(s->def.keys[k]);
	free(s->def.keys);
	free(s->keycol);
	s->def.keys = NULL;
	s->keycol = NULL;
	s->def.nkeys = 0;
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
	free_keys(s);
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
			q->file = date ? member_text(msrc) : bf_xstrdup(s->def.name);
			q->reason = reason;
			q->raw = bf_xstrndup(raw, rawlen);
			q->rawlen = rawlen;
			q->line = date ? 0 : m->lineno;
			if (date && mline && (mline->kind == BF_J_NUMBER || mline->kind == BF_J_STRING) &&
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
	/* without lineage, a stream with keys is upserted: every key member must be there */
	for (size_t k = 0; !date && k < s->def.nkeys; k++)
		if (s->cells[s->keycol[k]].kind == BF_C_NULL)
			return bf_fail(err, BF_EDATA, where, "line %ld: RECORD of %s without its key \"%s\" (missing "
				       "or null); nothing of the open transaction was committed", m->lineno,
				       s->def.name, s->def.keys[k]);
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

/* The SCHEMA's key_properties as s's keys (added as text columns if no property declared
 * them); *changed says whether they differ from the last ones. Returns 0 or a code. */
static int take_keys(struct loop *l, struct lstream *s, const cJSON *kp, long lineno, const char *where,
		     int *changed, struct bf_err *err)
{
	*changed = 0;
	size_t n = 0;
	for (const cJSON *k = kp ? kp->child : NULL; k; k = k->next, n++)
		if (!cJSON_IsString(k) || !k->valuestring[0])
			return bf_fail(err, BF_EDATA, where, "line %ld: key_properties of %s: not a list of names",
				       lineno, s->def.name);
	size_t same = n == s->def.nkeys, i = 0;
	for (const cJSON *k = kp ? kp->child : NULL; k && same; k = k->next, i++)
		same = !strcmp(k->valuestring, s->def.keys[i]);
	if (same)
		return 0;
	*changed = 1;
	free_keys(s);
	s->def.keys = bf_xcalloc(n + 1, sizeof *s->def.keys);
	s->keycol = bf_xcalloc(n + 1, sizeof *s->keycol);
	for (const cJSON *k = kp ? kp->child : NULL; k; k = k->next) {
		int c = find_col(&s->def, k->valuestring, strlen(k->valuestring));
		if (c < 0) {
			add_col(l, s, k->valuestring, strlen(k->valuestring), BF_T_STRING);
			c = (int)s->def.ncols - 1;
		}
		s->keycol[s->def.nkeys] = (size_t)c;
		s->def.keys[s->def.nkeys++] = bf_xstrdup(k->valuestring);
	}
	return 0;
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
	if (!s) {
		if ((rc = check_new_stream(l, m->stream, m->lineno, where, err)))
			return rc;
		s = new_stream(l, m->stream);
	}
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
	int rekeyed;
	if ((rc = take_keys(l, s, m->key_properties, m->lineno, where, &rekeyed, err)))
		return rc;
	if (!fresh && !rekeyed && s->def.version == version)
		return 0;
	if ((rc = bf_target_schema(l->t, &s->def, err)) == BF_EDATA) {
		/* a refused key: say which line brought it */
		char why[sizeof err->msg];
		snprintf(why, sizeof why, "%s", err->msg);
		bf_fail(err, rc, where, "line %ld: %s", m->lineno, why);
	}
	return rc;
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

/* Commits the records without lineage read since the last STATE; those a cast refused go
 * to the quarantine (source, location and date empty, file: the stream, line: the input's). */
static int commit_foreign(struct loop *l, struct bf_err *err)
{
	struct bf_target_part p = { NULL, NULL, NULL, l->rows, (long long)l->nq, "loaded", NULL };
	int rc = bf_target_commit(l->t, &p, err);
	for (size_t i = 0; i < l->nq && !rc; i++)
		rc = bf_state_quarantine(l->st, "load", "", "", "", l->q[i].file, l->q[i].line, l->q[i].reason,
					 l->q[i].raw, l->q[i].rawlen, err);
	if (rc)
		return rc;
	if (l->nq)
		bf_warn(NULL, "%zu records without bf lineage refused by their column types (quarantined, "
			"stage load)", l->nq);
	l->total_rows += l->rows;
	l->total_quar += (long long)l->nq;
	close_part(l);
	return 0;
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
		if (l->open && (rc = commit_foreign(l, err)))
			return rc;
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

/* The end of a run that loaded: what the target holds back is written (a failing disk
 * shows here). Returns rc, or the code of such a failure when rc was success. */
static int finish(struct loop *l, int rc, struct bf_err *err)
{
	struct bf_err ferr = { 0 };
	int frc;
	if ((rc && rc != BF_PARTIAL) || !l->t || !(frc = bf_target_finish(l->t, &ferr)))
		return rc;
	*err = ferr;
	return frc;
}

/* The state file's pages synced by a checkpoint: SQLite's own, when the file is closed,
 * would hide a failure. */
static int state_sync(struct bf_state *st, struct bf_err *err)
{
	int c = sqlite3_wal_checkpoint_v2(st->db, NULL, SQLITE_CHECKPOINT_PASSIVE, NULL, NULL);
	return c == SQLITE_OK ? 0 : bf_sqlite_fail(st->db, c, st->path, err);
}

/* The run's end recorded between two syncs of the state file. A failure of any of them is
 * 74, recorded as such if the file still takes it: a run is left with the code it ended
 * with (or, when only the last sync failed, the one written before it), or without its
 * end, which the next run marks as interrupted. */
static int end_run(struct bf_state *st, int rc, struct bf_err *err)
{
	struct bf_err serr = { 0 };
	int ok = !rc || rc == BF_PARTIAL, erc = 0;
	if (!st)
		return rc;
	if (ok && (erc = state_sync(st, &serr)))
		rc = BF_EIO;
	if (bf_state_run_end(st, rc)) {
		if (ok && !erc)
			bf_fail(&serr, BF_EIO, st->path, "the end of this run could not be recorded");
		erc = BF_EIO;
	} else if (ok && !erc && (erc = state_sync(st, &serr))) {
		bf_state_run_end(st, BF_EIO);
	}
	if (!ok || !erc)
		return rc;
	*err = serr;
	err->code = BF_EIO;
	return BF_EIO;
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
	l.target_key = bf_target_key(o->target, o->topts.pg_schema);
	if ((rc = bf_state_open(bf_state_path(o->state_path), &l.st, err)) ||
	    (rc = bf_state_run_begin(l.st, "load", o->args, err)) ||
	    (rc = bf_target_open(o->target, &o->topts, &l.t, err)) ||
	    (rc = bf_load_reconcile(l.st, l.t, l.target_key, NULL, NULL, NULL, NULL, err)))
		goto done;
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
			rc = commit_foreign(&l, err);
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
	rc = finish(&l, rc, err);
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
	rc = end_run(l.st, rc, err);
	bf_state_close(l.st);
	bf_lines_free(&in);
	for (size_t i = 0; i < l.nstreams; i++)
		free_stream(l.streams[i]);
	free(l.streams);
	free(l.mem);
	free(l.idx);
	bf_buf_free(&l.scratch);
	bf_buf_free(&l.name);
	bf_strmap_free(&l.bystream);
	bf_strmap_free(&l.bytable);
	clear_quar(&l);
	free(l.target_key);
	return rc;
}
