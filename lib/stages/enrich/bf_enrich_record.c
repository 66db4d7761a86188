#include "stages/enrich/bf_enrich.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>
#include <openssl/evp.h>

#include "base/bf_buf.h"
#include "stages/enrich/bf_derive.h"
#include "base/bf_exit.h"
#include "proto/bf_filter.h"
#include "state/bf_state.h"
#include "base/bf_time.h"

/* ------------------------------------------------------------------ options */

void bf_enrich_opts_init(struct bf_enrich_opts *o)
{
	memset(o, 0, sizeof *o);
	o->auto_derive = -1;
	o->batch = o->concurrency = o->retries = o->breaker = -1;
	o->breaker_cooldown_s = o->timeout_s = -1;
	o->retry_base_ms = -1;
	o->on_error_pass = -1;
	o->price_in = o->price_out = -1;
}

static void free_strv(char **v, int n)
{
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

void bf_enrich_opts_free(struct bf_enrich_opts *o)
{
	for (int i = 0; i < o->nderives; i++) {
		free(o->derives[i].stream);
		free(o->derives[i].column);
	}
	free(o->derives);
	for (int i = 0; i < o->ntasks; i++) {
		struct bf_enrich_task *t = &o->tasks[i];
		free(t->stream);
		free_strv(t->cols, t->ncols);
		free(t->out);
		free_strv(t->labels, t->nlabels);
		free(t->tmpl);
		free(t->task_key);
	}
	free(o->tasks);
	free(o->timezone);
	free(o->api_base);
	free(o->model);
	memset(o, 0, sizeof *o);
}

static int valid_name(const char *s, size_t n)
{
	if (!n)
		return 0;
	for (size_t i = 0; i < n; i++)
		if (!(isalnum((unsigned char)s[i]) || s[i] == '_' || s[i] == '-' || s[i] == '*'))
			return 0;
	return 1;
}

/* "stream.rest": splits at the first '.'. */
static int split_stream(const char *spec, const char *flag, char **stream, const char **rest,
			struct bf_err *err)
{
	const char *dot = strchr(spec, '.');
	if (!dot || !valid_name(spec, (size_t)(dot - spec)))
		return bf_fail(err, BF_EUSAGE, flag, "\"%s\": expected STREAM.COLUMN...", spec);
	*stream = bf_xstrndup(spec, (size_t)(dot - spec));
	*rest = dot + 1;
	return 0;
}

int bf_enrich_add_derive(struct bf_enrich_opts *o, const char *spec, struct bf_err *err)
{
	char *stream;
	const char *rest, *eq;
	int rc;
	if ((rc = split_stream(spec, "--derive", &stream, &rest, err)))
		return rc;
	eq = strchr(rest, '=');
	if (!eq || !valid_name(rest, (size_t)(eq - rest))) {
		free(stream);
		return bf_fail(err, BF_EUSAGE, "--derive", "\"%s\": expected STREAM.COLUMN=KIND", spec);
	}
	const char *k = eq + 1;
	int kind;
	if (!strcmp(k, "timestamp") || !strcmp(k, "ts") || !strcmp(k, "time"))
		kind = BF_EK_TIMESTAMP;
	else if (!strcmp(k, "money") || !strcmp(k, "cents"))
		kind = BF_EK_MONEY;
	else if (!strcmp(k, "duration") || !strcmp(k, "seconds"))
		kind = BF_EK_DURATION;
	else {
		free(stream);
		return bf_fail(err, BF_EUSAGE, "--derive", "\"%s\": kind is timestamp, money or duration", spec);
	}
	o->derives = bf_xrealloc(o->derives, (size_t)(o->nderives + 1) * sizeof *o->derives);
	o->derives[o->nderives].stream = stream;
	o->derives[o->nderives].column = bf_xstrndup(rest, (size_t)(eq - rest));
	o->derives[o->nderives++].kind = kind;
	return 0;
}

static struct bf_enrich_task *new_task(struct bf_enrich_opts *o)
{
	o->tasks = bf_xrealloc(o->tasks, (size_t)(o->ntasks + 1) * sizeof *o->tasks);
	struct bf_enrich_task *t = &o->tasks[o->ntasks++];
	memset(t, 0, sizeof *t);
	return t;
}

static void add_col(struct bf_enrich_task *t, const char *s, size_t n)
{
	for (int i = 0; i < t->ncols; i++)
		if (strlen(t->cols[i]) == n && !strncmp(t->cols[i], s, n))
			return;
	t->cols = bf_xrealloc(t->cols, (size_t)(t->ncols + 1) * sizeof *t->cols);
	t->cols[t->ncols++] = bf_xstrndup(s, n);
}

int bf_enrich_add_embed(struct bf_enrich_opts *o, const char *spec, struct bf_err *err)
{
	char *stream;
	const char *rest;
	int rc;
	if ((rc = split_stream(spec, "--embed", &stream, &rest, err)))
		return rc;
	struct bf_enrich_task *t = new_task(o);
	t->stream = stream;
	t->kind = BF_ET_HASH;
	const char *colon = strchr(rest, ':');
	size_t clen = colon ? (size_t)(colon - rest) : strlen(rest);
	struct bf_buf out = BF_BUF_INIT;
	for (const char *p = rest; p < rest + clen;) {
		const char *plus = memchr(p, '+', (size_t)(rest + clen - p));
		size_t n = plus ? (size_t)(plus - p) : (size_t)(rest + clen - p);
		if (!valid_name(p, n)) {
			bf_buf_free(&out);
			o->ntasks--;
			free(stream);
			free_strv(t->cols, t->ncols);
			return bf_fail(err, BF_EUSAGE, "--embed", "\"%s\": expected STREAM.COL[+COL...][:DIM][:hash|:model]", spec);
		}
		add_col(t, p, n);
		if (out.len)
			bf_buf_addc(&out, '_');
		bf_buf_add(&out, p, n);
		p += n + (plus ? 1 : 0);
	}
	while (colon) {
		const char *opt = colon + 1;
		colon = strchr(opt, ':');
		size_t n = colon ? (size_t)(colon - opt) : strlen(opt);
		char *end;
		long d = strtol(opt, &end, 10);
		if (n == 4 && !strncmp(opt, "hash", 4))
			t->force_hash = 1;
		else if (n == 5 && !strncmp(opt, "model", 5))
			t->force_model = 1;
		else if (end == opt + n && d >= 1 && d <= 65536)
			t->dim = (int)d;
		else {
			bf_buf_free(&out);
			return bf_fail(err, BF_EUSAGE, "--embed", "\"%s\": options are a dimension, hash or model", spec);
		}
	}
	if (!t->ncols) {
		bf_buf_free(&out);
		return bf_fail(err, BF_EUSAGE, "--embed", "\"%s\": no column", spec);
	}
	bf_buf_adds(&out, "_embedding");
	t->out = bf_buf_detach(&out);
	return 0;
}

int bf_enrich_add_classify(struct bf_enrich_opts *o, const char *spec, struct bf_err *err)
{
	char *stream;
	const char *rest, *eq;
	int rc;
	if ((rc = split_stream(spec, "--classify", &stream, &rest, err)))
		return rc;
	eq = strchr(rest, '=');
	if (!eq || !valid_name(rest, (size_t)(eq - rest)) || !eq[1]) {
		free(stream);
		return bf_fail(err, BF_EUSAGE, "--classify", "\"%s\": expected STREAM.COLUMN=LABEL|LABEL...", spec);
	}
	struct bf_enrich_task *t = new_task(o);
	t->stream = stream;
	t->kind = BF_ET_CLASSIFY;
	add_col(t, rest, (size_t)(eq - rest));
	struct bf_buf key = BF_BUF_INIT;
	bf_buf_adds(&key, "classify:");
	for (const char *p = eq + 1; *p;) {
		const char *bar = strchr(p, '|');
		size_t n = bar ? (size_t)(bar - p) : strlen(p);
		if (n) {
			t->labels = bf_xrealloc(t->labels, (size_t)(t->nlabels + 1) * sizeof *t->labels);
			t->labels[t->nlabels++] = bf_xstrndup(p, n);
			bf_buf_add(&key, p, n);
			bf_buf_addc(&key, '|');
		}
		p += n + (bar ? 1 : 0);
	}
	if (t->nlabels < 2) {
		bf_buf_free(&key);
		return bf_fail(err, BF_EUSAGE, "--classify", "\"%s\": at least two labels", spec);
	}
	struct bf_buf out = BF_BUF_INIT;
	bf_buf_add(&out, rest, (size_t)(eq - rest));
	bf_buf_adds(&out, "_label");
	t->out = bf_buf_detach(&out);
	t->task_key = bf_buf_detach(&key);
	return 0;
}

int bf_enrich_add_prompt(struct bf_enrich_opts *o, const char *spec, struct bf_err *err)
{
	char *stream;
	const char *rest, *eq;
	int rc, json = 0;
	if ((rc = split_stream(spec, "--prompt", &stream, &rest, err)))
		return rc;
	eq = strchr(rest, '=');
	size_t n = eq ? (size_t)(eq - rest) : 0;
	if (n > 5 && !strncmp(rest + n - 5, ":json", 5)) {
		json = 1;
		n -= 5;
	}
	if (!eq || !valid_name(rest, n) || !eq[1]) {
		free(stream);
		return bf_fail(err, BF_EUSAGE, "--prompt", "\"%s\": expected STREAM.FIELD[:json]=TEMPLATE", spec);
	}
	struct bf_enrich_task *t = new_task(o);
	t->stream = stream;
	t->kind = BF_ET_PROMPT;
	t->json = json;
	t->out = bf_xstrndup(rest, n);
	t->tmpl = bf_xstrdup(eq + 1);
	for (const char *p = t->tmpl; (p = strchr(p, '{'));) {
		const char *e = strchr(p, '}');
		if (e && valid_name(p + 1, (size_t)(e - p - 1))) {
			add_col(t, p + 1, (size_t)(e - p - 1));
			p = e + 1;
		} else {
			p++;
		}
	}
	if (!t->ncols)
		return bf_fail(err, BF_EUSAGE, "--prompt", "\"%s\": the template has no {field}", spec);
	t->task_key = bf_xstrdup(json ? "prompt:json" : "prompt");
	return 0;
}

int bf_enrich_price(struct bf_enrich_opts *o, const char *spec, struct bf_err *err)
{
	char *end;
	double a = strtod(spec, &end), b = a;
	if (end != spec && *end == ',')
		b = strtod(end + 1, &end);
	if (end == spec || *end || !(a >= 0) || !(b >= 0) || !isfinite(a) || !isfinite(b))
		return bf_fail(err, BF_EUSAGE, "--price-per-1k-tokens", "\"%s\": PRICE or INPUT,OUTPUT", spec);
	o->price_in = a;
	o->price_out = b;
	return 0;
}

int bf_enrich_load_config(struct bf_enrich_opts *o, const char *path, struct bf_err *err)
{
	struct bf_buf b = BF_BUF_INIT;
	char chunk[8192];
	ssize_t n;
	int fd = open(path, O_RDONLY | O_CLOEXEC), rc = 0;
	if (fd < 0)
		return bf_fail(err, BF_ENOINPUT, path, "%s", strerror(errno));
	while ((n = read(fd, chunk, sizeof chunk)) > 0)
		bf_buf_add(&b, chunk, (size_t)n);
	close(fd);
	cJSON *root = cJSON_ParseWithLength(b.p ? b.p : "", b.len);
	bf_buf_free(&b);
	if (!cJSON_IsObject(root)) {
		cJSON_Delete(root);
		return bf_fail(err, BF_ECONFIG, path, "not a JSON object");
	}
	const cJSON *it;
	cJSON_ArrayForEach(it, root) {
		const char *k = it->string;
		if (!strcmp(k, "derive") || !strcmp(k, "embed") || !strcmp(k, "classify") || !strcmp(k, "prompt")) {
			const cJSON *s;
			if (!cJSON_IsArray(it)) {
				rc = bf_fail(err, BF_ECONFIG, path, "\"%s\": an array of specs", k);
				break;
			}
			cJSON_ArrayForEach(s, it) {
				if (!cJSON_IsString(s)) {
					rc = bf_fail(err, BF_ECONFIG, path, "\"%s\": an array of strings", k);
					break;
				}
				rc = k[0] == 'd' ? bf_enrich_add_derive(o, s->valuestring, err)
				   : k[0] == 'e' ? bf_enrich_add_embed(o, s->valuestring, err)
				   : k[0] == 'c' ? bf_enrich_add_classify(o, s->valuestring, err)
				   : bf_enrich_add_prompt(o, s->valuestring, err);
				if (rc) {
					rc = err->code = BF_ECONFIG;
					break;
				}
			}
			if (rc)
				break;
		} else if (cJSON_IsString(it) && (!strcmp(k, "timezone") || !strcmp(k, "api_base") ||
						  !strcmp(k, "model") || !strcmp(k, "on_error") ||
						  !strcmp(k, "price_per_1k_tokens"))) {
			const char *v = it->valuestring;
			if (!strcmp(k, "timezone") && !o->timezone)
				o->timezone = bf_xstrdup(v);
			else if (!strcmp(k, "api_base") && !o->api_base)
				o->api_base = bf_xstrdup(v);
			else if (!strcmp(k, "model") && !o->model)
				o->model = bf_xstrdup(v);
			else if (!strcmp(k, "on_error") && o->on_error_pass < 0) {
				if (strcmp(v, "pass") && strcmp(v, "fail")) {
					rc = bf_fail(err, BF_ECONFIG, path, "on_error: fail or pass");
					break;
				}
				o->on_error_pass = !strcmp(v, "pass");
			} else if (!strcmp(k, "price_per_1k_tokens") && o->price_in < 0 &&
				   bf_enrich_price(o, v, err)) {
				rc = err->code = BF_ECONFIG;
				break;
			}
		} else if (cJSON_IsNumber(it) && (!strcmp(k, "batch_size") || !strcmp(k, "concurrency") ||
						  !strcmp(k, "retries") || !strcmp(k, "breaker") ||
						  !strcmp(k, "timeout") || !strcmp(k, "breaker_cooldown") ||
						  !strcmp(k, "price_per_1k_tokens"))) {
			double v = it->valuedouble;
			if (v < 0 || v > 1e6) {
				rc = bf_fail(err, BF_ECONFIG, path, "\"%s\": out of range", k);
				break;
			}
			if (!strcmp(k, "batch_size") && o->batch < 0) o->batch = (int)v;
			else if (!strcmp(k, "concurrency") && o->concurrency < 0) o->concurrency = (int)v;
			else if (!strcmp(k, "retries") && o->retries < 0) o->retries = (int)v;
			else if (!strcmp(k, "breaker") && o->breaker < 0) o->breaker = (int)v;
			else if (!strcmp(k, "timeout") && o->timeout_s < 0) o->timeout_s = v;
			else if (!strcmp(k, "breaker_cooldown") && o->breaker_cooldown_s < 0) o->breaker_cooldown_s = v;
			else if (!strcmp(k, "price_per_1k_tokens") && o->price_in < 0) o->price_in = o->price_out = v;
		} else if (cJSON_IsBool(it) && !strcmp(k, "auto")) {
			if (o->auto_derive < 0)
				o->auto_derive = cJSON_IsTrue(it);
		} else {
			rc = bf_fail(err, BF_ECONFIG, path, "unknown or mistyped setting \"%s\"", k);
			break;
		}
	}
	cJSON_Delete(root);
	return rc;
}

/* ------------------------------------------------------------------ plans */

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

struct pcol {
	char *name;
	size_t nlen;
	int derive;                /* enum bf_enrich_dkind, or -1 */
	int always;                /* add the derived fields even when the column is absent */
	char *mname[4];            /* the derived members' names as JSON ("\"col_iso\":") */
	size_t mlen[4];
};

/* Where a record's member at a position was last found: records of a stream list their
 * members in the same order, so one comparison per member usually finds its column. */
struct kslot {
	char *key;
	size_t kn;
	int idx;                   /* column index, or KS_NONE, KS_DATE, KS_LOC */
};
#define KS_NONE (-1)
#define KS_DATE (-2)
#define KS_LOC (-3)

struct plan {
	char *stream;
	struct pcol *cols;
	int ncols;
	struct bf_enrich_task **tasks;
	int ntasks, nmodel;
	int **tcols;               /* per task: its columns' indexes in cols */
	int declared;              /* a SCHEMA declared the stream */
	size_t slen;               /* strlen(stream) */
	struct kslot *slots;
	size_t nslots;
	struct plan *older;        /* plans replaced by a later SCHEMA (held records use them) */
};

static int find_col(struct plan *p, const char *name, size_t n)
{
	for (int i = 0; i < p->ncols; i++)
		if (p->cols[i].nlen == n && !memcmp(p->cols[i].name, name, n))
			return i;
	return -1;
}

static int plan_col(struct plan *p, const char *name, int derive, int always)
{
	size_t n = strlen(name);
	int i = find_col(p, name, n);
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

static int stream_match(const char *pat, const char *s)
{
	return !strcmp(pat, "*") || !strcmp(pat, s);
}

/* props: the SCHEMA's properties, or NULL when the stream has none. */
static struct plan *plan_build(struct bf_enrich_opts *o, int auto_on, const char *stream,
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
	for (int i = 0; i < p->ncols; i++) {
		struct pcol *col = &p->cols[i];
		int nm = col->derive == BF_EK_TIMESTAMP ? 4 : col->derive >= 0 ? 1 : 0;
		for (int k = 0; k < nm; k++) {
			const char *suffix = col->derive == BF_EK_TIMESTAMP ? ts_suffix[k]
					   : col->derive == BF_EK_MONEY ? "_cents" : "_seconds";
			struct bf_buf b = BF_BUF_INIT;
			bf_buf_addc(&b, '"');
			bf_buf_add(&b, col->name, col->nlen);
			bf_buf_adds(&b, suffix);
			bf_buf_adds(&b, "\":");
			col->mlen[k] = b.len;
			col->mname[k] = bf_buf_detach(&b);
		}
	}
	return p;
}

static void plan_free(struct plan *p)
{
	while (p) {
		struct plan *older = p->older;
		for (int i = 0; i < p->ncols; i++) {
			free(p->cols[i].name);
			for (int k = 0; k < 4; k++)
				free(p->cols[i].mname[k]);
		}
		free(p->cols);
		for (size_t i = 0; i < p->nslots; i++)
			free(p->slots[i].key);
		free(p->slots);
		for (int i = 0; i < p->ntasks; i++)
			free(p->tcols[i]);
		free(p->tcols);
		free(p->tasks);
		free(p->stream);
		free(p);
		p = older;
	}
}

/* ------------------------------------------------------------------ run state */

struct unparsed { char *key; long long n; };

struct part {
	char *loc, *date;          /* NULL for records without lineage */
	size_t loclen, datelen;
	long long records, enriched_cached, inputs, passed_errors, unparsed_total;
	long long requests, prompt_tokens, completion_tokens, failed_inputs;
	struct unparsed *unparsed;
	int nunparsed;
	int failed;                /* exit code of the first failure (without --on-error=pass) */
	char *error;
	int closed;
	struct part *next;
};

struct held {
	int is_record;
	char *line;                /* owned copy; a raw message when !is_record */
	size_t len;
	struct bf_jsoncheck_span rs;
	struct plan *plan;
	char *members;             /* derived members (offline) */
	size_t mlen;
	char **res;                /* per task of the plan: a JSON text, or NULL if waiting */
	int waiting;
	char *error;
	struct part *part;
};

struct batch {
	struct bf_enrich_task *task;
	int n, cap;
	char **inputs;
	char **keys;
	struct held **recs;
	int *slot;
	struct part *part;
	struct bf_model_job job;
	struct batch *prev, *next;  /* dispatched and not answered yet */
};

struct ctx {
	struct bf_enrich_opts *o;
	struct batch *live;        /* dispatched batches awaiting their answer */
	int auto_on;
	struct bf_tz tz;
	struct plan **plans;
	int nplans;
	struct plan *last;
	struct part *parts, *cur;
	struct held **q;
	size_t qhead, qlen, qcap;  /* queue: q[qhead .. qhead+qlen) */
	size_t held_records, max_held;
	struct batch **open;       /* per task of o: the batch being filled */
	struct bf_filter *f;
	struct bf_model *model;
	struct bf_state *st;
	sqlite3_stmt *get, *put;
	char **cache_rows;         /* key, task key, output triples not yet written */
	size_t ncache_rows, cache_cap;
	int pass;
	int batch_size;
	int fatal;
	struct bf_err fatal_err;
	int fail_code;
	char fail_msg[512];
	long long dispatched;      /* batches sent to bf_model */
	long long total_records, total_unparsed, total_passed, total_cached, total_requests;
	struct bf_buf scratch, text, mem;
	float *vec;
	int vecdim;
};

static int part_is(const struct part *p, const char *loc, size_t ll, const char *date, size_t dl)
{
	if (p->closed)
		return 0;
	if (!date)
		return !p->date;
	return p->date && p->datelen == dl && p->loclen == ll && !memcmp(p->date, date, dl) &&
	       !memcmp(p->loc, loc ? loc : "", ll);
}

static struct part *get_part(struct ctx *c, const char *loc, size_t ll, const char *date, size_t dl)
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

static void count_unparsed(struct ctx *c, struct part *p, const char *stream, const char *col)
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

/* ------------------------------------------------------------------ JSON scanning */

/* The line was checked strictly: these only need to find the ends of tokens. */
static const char *skip_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* The first '"' or '\\' at or after p (one is always there before end). */
static inline const char *next_quote(const char *p, const char *end)
{
	while (p + 8 <= end) {
		uint64_t w, q, b;
		memcpy(&w, p, 8);
		q = w ^ 0x2222222222222222ULL;
		b = w ^ 0x5c5c5c5c5c5c5c5cULL;
		q = (q - 0x0101010101010101ULL) & ~q;
		b = (b - 0x0101010101010101ULL) & ~b;
		uint64_t m = (q | b) & 0x8080808080808080ULL;
		if (m) {
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + (__builtin_ctzll(m) >> 3);
#else
			break;
#endif
		}
		p += 8;
	}
	while (*p != '"' && *p != '\\')
		p++;
	return p;
}

/* A string token ending before end; returns the position after its closing quote. */
static inline const char *skip_string_to(const char *p, const char *end)
{
	p++;
	for (;;) {
		p = next_quote(p, end);
		if (*p == '"')
			return p + 1;
		p += 2;
	}
}

static const char *skip_string(const char *p)
{
	p++;
	for (;;) {
		while (*p != '"' && *p != '\\')
			p++;
		if (*p == '"')
			return p + 1;
		p += 2;                    /* the backslash and the escaped character */
	}
}

static const char *skip_value(const char *p)
{
	if (*p == '"')
		return skip_string(p);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		for (;;) {
			if (*p == '"') {
				p = skip_string(p);
				continue;
			}
			if (*p == '{' || *p == '[')
				depth++;
			else if (*p == '}' || *p == ']') {
				if (--depth == 0)
					return p + 1;
			}
			p++;
		}
	}
	while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
	       *p != '\r' && *p != '\n')
		p++;
	return p;
}

struct val { const char *p; size_t n; };  /* a raw JSON token; p NULL when absent */

/* The text of a token into c->scratch-like buffer b: 1 with text, 0 for null/absent. */
static int token_text(struct val v, struct bf_buf *b)
{
	bf_buf_reset(b);
	if (!v.p || (v.n == 4 && !memcmp(v.p, "null", 4)))
		return 0;
	if (v.p[0] != '"') {
		bf_buf_add(b, v.p, v.n);
		return 1;
	}
	if (!memchr(v.p + 1, '\\', v.n - 2)) {
		bf_buf_add(b, v.p + 1, v.n - 2);
		return 1;
	}
	cJSON *s = cJSON_ParseWithLength(v.p, v.n);
	if (cJSON_IsString(s))
		bf_buf_adds(b, s->valuestring);
	cJSON_Delete(s);
	return 1;
}

/* ------------------------------------------------------------------ cache and usage */

static void cache_key(struct ctx *c, const struct bf_enrich_task *t, const char *input, char hex[65])
{
	unsigned char md[EVP_MAX_MD_SIZE];
	unsigned int mdlen = 0;
	EVP_MD_CTX *x = EVP_MD_CTX_new();
	EVP_DigestInit_ex(x, EVP_sha256(), NULL);
	EVP_DigestUpdate(x, c->o->model, strlen(c->o->model) + 1);
	EVP_DigestUpdate(x, t->task_key, strlen(t->task_key) + 1);
	EVP_DigestUpdate(x, input, strlen(input));
	EVP_DigestFinal_ex(x, md, &mdlen);
	EVP_MD_CTX_free(x);
	for (unsigned i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", md[i]);
}

static char *cache_get(struct ctx *c, const char *key)
{
	char *out = NULL;
	if (!c->get)
		return NULL;
	sqlite3_bind_text(c->get, 1, key, 64, SQLITE_STATIC);
	if (bf_sqlite_step(c->get) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(c->get, 0);
		if (t)
			out = bf_xstrdup(t);
	}
	sqlite3_reset(c->get);
	sqlite3_clear_bindings(c->get);
	return out;
}

/* Cache rows are written in one transaction per 256 (a commit per request would
 * stall the loop on the disk; a transaction of 1024 rows took up to 35 ms, long
 * enough to leave every connection idle meanwhile), and at every STATE and at the end. */
#define CACHE_FLUSH_ROWS 256
static void cache_flush(struct ctx *c)
{
	char now[21];
	struct bf_err e = { 0 };
	if (!c->put || !c->ncache_rows)
		return;
	bf_now_rfc3339(now);
	if (bf_sqlite_exec(c->st->db, "BEGIN IMMEDIATE", "cache", &e)) {
		bf_warn(NULL, "enrichment cache not written: %s", e.msg);
	} else {
		for (size_t i = 0; i + 2 < c->ncache_rows * 3; i += 3) {
			sqlite3_bind_text(c->put, 1, c->cache_rows[i], 64, SQLITE_STATIC);
			sqlite3_bind_text(c->put, 2, c->o->model, -1, SQLITE_STATIC);
			sqlite3_bind_text(c->put, 3, c->cache_rows[i + 1], -1, SQLITE_STATIC);
			sqlite3_bind_text(c->put, 4, c->cache_rows[i + 2], -1, SQLITE_STATIC);
			sqlite3_bind_text(c->put, 5, now, -1, SQLITE_STATIC);
			bf_sqlite_step(c->put);
			sqlite3_reset(c->put);
		}
		if (bf_sqlite_exec(c->st->db, "COMMIT", "cache", &e)) {
			bf_warn(NULL, "enrichment cache not written: %s", e.msg);
			bf_sqlite_exec(c->st->db, "ROLLBACK", "cache", &e);
		}
	}
	for (size_t i = 0; i < c->ncache_rows * 3; i += 3) {
		free(c->cache_rows[i]);
		free(c->cache_rows[i + 2]);
	}
	c->ncache_rows = 0;
}

static void cache_put_job(struct ctx *c, struct batch *b)
{
	if (!c->put)
		return;
	for (int i = 0; i < b->n; i++) {
		if (!b->job.outputs || !b->job.outputs[i])
			continue;
		if ((c->ncache_rows + 1) * 3 > c->cache_cap) {
			c->cache_cap = c->cache_cap ? c->cache_cap * 2 : 3 * 256;
			c->cache_rows = bf_xrealloc(c->cache_rows, c->cache_cap * sizeof *c->cache_rows);
		}
		c->cache_rows[c->ncache_rows * 3] = bf_xstrdup(b->keys[i]);
		c->cache_rows[c->ncache_rows * 3 + 1] = b->task->task_key;   /* borrowed */
		c->cache_rows[c->ncache_rows * 3 + 2] = bf_xstrdup(b->job.outputs[i]);
		c->ncache_rows++;
	}
	if (c->ncache_rows >= CACHE_FLUSH_ROWS)
		cache_flush(c);
}

static void usage_write(struct ctx *c, struct part *p)
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

/* ------------------------------------------------------------------ the queue */

static void q_push(struct ctx *c, struct held *h)
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

static void write_record(struct ctx *c, struct held *h)
{
	struct bf_buf *m = &c->scratch;
	bf_buf_reset(m);
	bf_buf_add(m, h->members, h->mlen);
	for (int t = 0; t < h->plan->ntasks; t++) {
		if (m->len)
			bf_buf_addc(m, ',');
		bf_buf_add_json_str(m, h->plan->tasks[t]->out, strlen(h->plan->tasks[t]->out));
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
	bf_filter_write_spliced(c->f, h->line, h->len, h->rs, m->p ? m->p : "", m->len);
}

static void held_free(struct held *h)
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

static void emit_ready(struct ctx *c)
{
	while (c->qlen && c->q[c->qhead]->waiting == 0) {
		struct held *h = c->q[c->qhead++];
		c->qlen--;
		if (h->is_record) {
			write_record(c, h);
			c->held_records--;
		} else {
			bf_filter_write(c->f, h->line, h->len);
		}
		held_free(h);
	}
	if (!c->qlen)
		c->qhead = 0;
}

static void fail_part(struct ctx *c, struct part *p, int code, const char *msg)
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

static void batch_free(struct batch *b)
{
	for (int i = 0; i < b->n; i++) {
		free(b->inputs[i]);
		free(b->keys[i]);
	}
	bf_model_job_clear(&b->job);
	free(b->inputs);
	free(b->keys);
	free(b->recs);
	free(b->slot);
	free(b);
}

static void unlink_batch(struct ctx *c, struct batch *b)
{
	if (b->prev)
		b->prev->next = b->next;
	else if (c->live == b)
		c->live = b->next;
	if (b->next)
		b->next->prev = b->prev;
	b->prev = b->next = NULL;
}

static void on_job(void *ctx, struct bf_model_job *j)
{
	struct ctx *c = ctx;
	struct batch *b = j->user;
	struct part *p = b->part;
	p->requests += j->requests;
	c->total_requests += j->requests;
	p->prompt_tokens += j->prompt_tokens;
	p->completion_tokens += j->completion_tokens;
	if (j->code == BF_ENOPERM && !c->fatal) {
		c->fatal = BF_ENOPERM;
		bf_fail(&c->fatal_err, BF_ENOPERM, NULL, "%s", j->error);
	}
	if (j->code == 0)
		cache_put_job(c, b);
	else {
		p->failed_inputs += b->n;
		fail_part(c, p, j->code, j->error);
	}
	for (int i = 0; i < b->n; i++) {
		struct held *h = b->recs[i];
		if (j->code == 0) {
			h->res[b->slot[i]] = j->outputs[i];
			j->outputs[i] = NULL;
		} else {
			h->res[b->slot[i]] = bf_xstrdup("null");
			if (!h->error) {
				struct bf_buf e = BF_BUF_INIT;
				bf_buf_addf(&e, "%s: %s", b->task->out, j->error);
				h->error = bf_buf_detach(&e);
			}
		}
		h->waiting--;
	}
	unlink_batch(c, b);
	batch_free(b);
}

static void dispatch(struct ctx *c, int ti)
{
	struct batch *b = c->open[ti];
	if (!b)
		return;
	c->open[ti] = NULL;
	c->dispatched++;
	b->job.task = &b->task->mt;
	b->job.n = b->n;
	b->job.inputs = (const char *const *)b->inputs;
	b->job.user = b;
	b->part->inputs += b->n;
	b->prev = NULL;
	b->next = c->live;
	if (c->live)
		c->live->prev = b;
	c->live = b;
	bf_model_submit(c->model, &b->job);
}

static void dispatch_all(struct ctx *c)
{
	for (int i = 0; i < c->o->ntasks; i++)
		dispatch(c, i);
}

/* Moves answers along; with wait, waits a little for one. */
static int pump(struct ctx *c, int wait, struct bf_err *err)
{
	int rc;
	if (c->model && bf_model_pending(c->model) &&
	    (rc = bf_model_poll(c->model, wait ? 100 : 0, on_job, c, err)))
		return rc;
	emit_ready(c);
	if (c->fatal) {
		*err = c->fatal_err;
		return c->fatal;
	}
	if (wait && c->qlen && c->q[c->qhead]->waiting && (!c->model || !bf_model_pending(c->model))) {
		dispatch_all(c);       /* the head waits for a batch still being filled */
		if (!c->model || !bf_model_pending(c->model))
			return bf_fail(err, BF_ESOFTWARE, NULL, "a record waits for an answer that nobody asked for");
	}
	return 0;
}

static int drain(struct ctx *c, struct bf_err *err)
{
	int rc;
	dispatch_all(c);
	while (c->qlen)
		if ((rc = pump(c, 1, err)))
			return rc;
	return 0;
}

/* ------------------------------------------------------------------ callbacks */

static struct plan *plan_for(struct ctx *c, const char *s, size_t n)
{
	struct plan *p = c->last;
	if (p && p->slen == n && !memcmp(p->stream, s, n))
		return p;
	for (int i = 0; i < c->nplans; i++)
		if (c->plans[i]->slen == n && !memcmp(c->plans[i]->stream, s, n))
			return c->last = c->plans[i];
	char *name = bf_xstrndup(s, n);
	p = plan_build(c->o, c->auto_on, name, NULL);
	free(name);
	c->plans = bf_xrealloc(c->plans, (size_t)(c->nplans + 1) * sizeof *c->plans);
	c->plans[c->nplans++] = p;
	return c->last = p;
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
	if (!memchr(v.p + 1, '\\', v.n - 2)) {
		*s = v.p + 1;
		*n = v.n - 2;
		return 1;
	}
	token_text(v, &c->text);
	*s = c->text.p ? c->text.p : "";
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
			count_unparsed(c, part, pl->stream, col->name);
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

static int hold_raw(struct ctx *c, const char *line, size_t len)
{
	if (!c->qlen)
		return BF_FILTER_PASS;
	struct held *h = bf_xcalloc(1, sizeof *h);
	h->line = bf_xmalloc(len + 1);
	memcpy(h->line, line, len);
	h->line[len] = '\n';
	h->len = len + 1;
	q_push(c, h);
	return BF_FILTER_TAKEN;
}

static int on_record(void *ctx, struct bf_filter *f, struct bf_msg *msg, struct bf_err *err)
{
	struct ctx *c = ctx;
	c->f = f;
	const char *sp = msg->line + msg->stream_span.start;
	size_t sn = msg->stream_span.len;
	if (sn < 2 || memchr(sp + 1, '\\', sn - 2))
		return hold_raw(c, msg->line, msg->len);    /* an escaped stream name: not ours */
	struct plan *pl = plan_for(c, sp + 1, sn - 2);
	if (!pl->ncols && !pl->ntasks)
		return hold_raw(c, msg->line, msg->len);
	c->total_records++;

	/* find the columns and the lineage */
	struct val stackv[32], *vals = pl->ncols <= 32 ? stackv : bf_xcalloc((size_t)pl->ncols, sizeof *vals);
	struct val vloc = { NULL, 0 }, vdate = { NULL, 0 };
	memset(vals, 0, (size_t)pl->ncols * sizeof *vals);
	const char *p = skip_ws(msg->line + msg->record_span.start + 1);
	const char *end = msg->line + msg->record_span.start + msg->record_span.len;
	size_t pos = 0;
	while (*p == '"') {
		const char *ks = p + 1, *ke = skip_string_to(p, end) - 1;
		p = skip_ws(skip_ws(ke + 1) + 1);
		const char *vs = p;
		p = *p == '"' ? skip_string_to(p, end) : skip_value(p);
		size_t kn = (size_t)(ke - ks);
		int i;
		if (pos < pl->nslots && pl->slots[pos].kn == kn && !memcmp(pl->slots[pos].key, ks, kn)) {
			i = pl->slots[pos].idx;
		} else {
			i = find_col(pl, ks, kn);
			if (i < 0)
				i = kn == 8 && !memcmp(ks, "_bf_date", 8) ? KS_DATE
				  : kn == 12 && !memcmp(ks, "_bf_location", 12) ? KS_LOC : KS_NONE;
			if (pos < 1024) {
				if (pos >= pl->nslots) {
					pl->slots = bf_xrealloc(pl->slots, (pos + 1) * sizeof *pl->slots);
					while (pl->nslots <= pos)
						pl->slots[pl->nslots++] = (struct kslot){ NULL, (size_t)-1, KS_NONE };
				}
				free(pl->slots[pos].key);
				pl->slots[pos] = (struct kslot){ bf_xstrndup(ks, kn), kn, i };
			}
		}
		if (i >= 0)
			vals[i] = (struct val){ vs, (size_t)(p - vs) };
		else if (i == KS_DATE)
			vdate = (struct val){ vs, (size_t)(p - vs) };
		else if (i == KS_LOC)
			vloc = (struct val){ vs, (size_t)(p - vs) };
		pos++;
		p = skip_ws(p);
		if (*p == ',')
			p = skip_ws(p + 1);
	}
	struct part *part;
	if (vdate.p && vdate.p[0] == '"') {
		const char *lp = vloc.p && vloc.p[0] == '"' ? vloc.p + 1 : "";
		size_t ll = vloc.p && vloc.p[0] == '"' ? vloc.n - 2 : 0;
		part = get_part(c, lp, ll, vdate.p + 1, vdate.n - 2);
	} else {
		part = get_part(c, NULL, 0, NULL, 0);
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
			if (!bf_derive_hash_embed(c->scratch.p, c->scratch.len, task->dim, c->vec)) {
				res[t] = bf_xstrdup("null");
				continue;
			}
			struct bf_buf e = BF_BUF_INIT;
			bf_buf_grow(&e, (size_t)task->dim * 11 + 2);
			bf_buf_addc(&e, '[');
			for (int d = 0; d < task->dim; d++) {
				if (d)
					bf_buf_addc(&e, ',');
				if (c->vec[d] == 0.0f)
					bf_buf_addc(&e, '0');
				else
					bf_buf_addf(&e, "%.6g", (double)c->vec[d]);
			}
			bf_buf_addc(&e, ']');
			res[t] = bf_buf_detach(&e);
			continue;
		}
		if (part->failed) {
			res[t] = bf_xstrdup("null");   /* the date failed: ask nothing more for it */
			continue;
		}
		char key[65];
		cache_key(c, task, c->scratch.p, key);
		char *hit = cache_get(c, key);
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
			dispatch(c, ti);
	}
	if (vals != stackv)
		free(vals);

	if (!h && !c->qlen) {
		/* nothing to wait for: out now */
		if (!res) {
			bf_filter_write_spliced(f, msg->line, msg->len, msg->record_span, mem->p ? mem->p : "", mem->len);
		} else {
			struct held tmp = { 1, msg->line, msg->len, msg->record_span, pl, mem->p, mem->len, res, 0, NULL, part };
			write_record(c, &tmp);
			for (int t = 0; t < pl->ntasks; t++)
				free(res[t]);
			free(res);
		}
		if (!c->model)
			return BF_FILTER_TAKEN;
		return c->total_records % 64 == 0 ? pump(c, 0, err) ?: BF_FILTER_TAKEN : BF_FILTER_TAKEN;
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
	q_push(c, h);
	/* look at the connections when a batch went out, and every 16 records (a poll of
	 * every socket per record cost more than the rest of the record) */
	int rc = 0;
	if (!c->model || c->dispatched != dispatched || c->total_records % 16 == 0)
		rc = pump(c, 0, err);
	while (!rc && c->held_records >= c->max_held) {
		if (c->held_records >= c->max_held && c->qlen && c->q[c->qhead]->waiting &&
		    c->model && bf_model_pending(c->model) == 0)
			dispatch_all(c);
		rc = pump(c, 1, err);
	}
	return rc ? rc : BF_FILTER_TAKEN;
}

static void add_prop(cJSON *props, const char *col, const char *suffix, const char *type, const char *format)
{
	char name[512];
	snprintf(name, sizeof name, "%s%s", col, suffix);
	cJSON_DeleteItemFromObjectCaseSensitive(props, name);
	cJSON *p = cJSON_AddObjectToObject(props, name);
	cJSON *t = cJSON_AddArrayToObject(p, "type");
	cJSON_AddItemToArray(t, cJSON_CreateString(type));
	cJSON_AddItemToArray(t, cJSON_CreateString("null"));
	if (format)
		cJSON_AddStringToObject(p, "format", format);
	if (!strcmp(type, "array"))
		cJSON_AddStringToObject(cJSON_AddObjectToObject(p, "items"), "type", "number");
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
	struct plan *p = plan_build(c->o, c->auto_on, msg->stream, cJSON_IsObject(props) ? props : NULL);
	if (old) {
		p->older = old;
		c->plans[i] = p;
	} else {
		c->plans = bf_xrealloc(c->plans, (size_t)(c->nplans + 1) * sizeof *c->plans);
		c->plans[c->nplans++] = p;
	}
	c->last = p;
	if ((!p->ncols && !p->ntasks) || !cJSON_IsObject(props))
		return hold_raw(c, msg->line, msg->len);
	int any = 0;
	for (int k = 0; k < p->ncols; k++) {
		struct pcol *col = &p->cols[k];
		if (col->derive < 0)
			continue;
		any = 1;
		if (col->derive == BF_EK_TIMESTAMP) {
			add_prop(props, col->name, "_iso", "string", c->tz.kind == BF_TZ_NONE ? NULL : "date-time");
			add_prop(props, col->name, "_weekday", "string", NULL);
			add_prop(props, col->name, "_hour", "integer", NULL);
			add_prop(props, col->name, "_daypart", "string", NULL);
		} else {
			add_prop(props, col->name, col->derive == BF_EK_MONEY ? "_cents" : "_seconds", "integer", NULL);
		}
	}
	for (int t = 0; t < p->ntasks; t++) {
		struct bf_enrich_task *task = p->tasks[t];
		any = 1;
		if (task->kind == BF_ET_HASH || task->kind == BF_ET_EMBED)
			add_prop(props, task->out, "", "array", NULL);
		else if (task->kind == BF_ET_PROMPT && task->json) {
			cJSON_DeleteItemFromObjectCaseSensitive(props, task->out);
			cJSON_AddObjectToObject(props, task->out);   /* any JSON value */
		} else
			add_prop(props, task->out, "", "string", NULL);
	}
	if (p->nmodel)
		add_prop(props, "_bf_enrich_error", "", "string", NULL);
	if (!any)
		return hold_raw(c, msg->line, msg->len);
	char *s = cJSON_PrintUnformatted(msg->root);
	int rc = hold_raw(c, s, strlen(s));
	if (rc == BF_FILTER_PASS) {
		bf_filter_write(f, s, strlen(s));
		bf_filter_write(f, "\n", 1);
	}
	cJSON_free(s);
	return BF_FILTER_TAKEN;
}

static void record_failure(struct ctx *c, struct part *p, const char *source)
{
	if (!p->failed)
		return;
	if (c->st)
		bf_state_error(c->st, source, p->loc, p->date, p->failed, p->error);
}

static int on_state(void *ctx, struct bf_filter *f, struct bf_msg *msg, struct bf_err *err)
{
	struct ctx *c = ctx;
	int rc;
	c->f = f;
	if ((rc = drain(c, err)))
		return rc;
	cJSON *bf = bf_msg_state_bf(msg);
	const cJSON *jl = bf ? cJSON_GetObjectItemCaseSensitive(bf, "location") : NULL;
	const cJSON *jd = bf ? cJSON_GetObjectItemCaseSensitive(bf, "date") : NULL;
	const cJSON *js = bf ? cJSON_GetObjectItemCaseSensitive(bf, "source") : NULL;
	if (!cJSON_IsString(jd))
		return BF_FILTER_PASS;
	const char *loc = cJSON_IsString(jl) ? jl->valuestring : "";
	struct part *p = get_part(c, loc, strlen(loc), jd->valuestring, strlen(jd->valuestring));
	p->closed = 1;
	c->cur = NULL;
	cache_flush(c);
	record_failure(c, p, cJSON_IsString(js) ? js->valuestring : NULL);
	if (!p->records && !p->failed) {
		usage_write(c, p);
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
	usage_write(c, p);
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
	return hold_raw(c, msg->line, msg->len);
}

static int on_end(void *ctx, struct bf_filter *f, struct bf_err *err)
{
	struct ctx *c = ctx;
	c->f = f;
	int rc = drain(c, err);
	cache_flush(c);
	for (struct part *p = c->parts; p; p = p->next)
		if (!p->closed) {
			usage_write(c, p);
			record_failure(c, p, NULL);
		}
	return rc;
}

/* ------------------------------------------------------------------ run */

int bf_enrich_run(struct bf_enrich_opts *o, int in_fd, int out_fd, struct bf_err *err)
{
	struct ctx c;
	int rc = 0, nmodel = 0;
	memset(&c, 0, sizeof c);
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
			t->dim = 256;
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
	struct bf_filter_ops ops = { on_schema, on_record, on_state, on_end, 0, on_other };
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
	cache_flush(&c);
	free(c.cache_rows);
	sqlite3_finalize(c.get);
	sqlite3_finalize(c.put);
	bf_model_free(c.model);
	/* a run that stopped early leaves batches unanswered or never sent */
	while (c.live) {
		struct batch *b = c.live;
		unlink_batch(&c, b);
		batch_free(b);
	}
	for (int i = 0; c.open && i < c.o->ntasks; i++)
		if (c.open[i])
			batch_free(c.open[i]);
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
		held_free(c.q[c.qhead + i]);
	free(c.q);
	/* held records point at their plans: the plans go last */
	for (int i = 0; i < c.nplans; i++)
		plan_free(c.plans[i]);
	free(c.plans);
	free(c.open);
	free(c.vec);
	bf_buf_free(&c.scratch);
	bf_buf_free(&c.text);
	bf_buf_free(&c.mem);
	return rc;
}
