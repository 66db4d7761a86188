/* bf-enrich's options: the specs of --derive, --embed, --classify and --prompt, the
 * price, and the JSON config file. */
#include "stages/enrich/bf_enrich.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cjson/cJSON.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"

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
	cJSON *root = cJSON_ParseWithLength(b.p, b.len);
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
