#include "model/bf_model.h"

#include <ctype.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "proto/bf_jsoncheck.h"
#include "base/bf_retry.h"
#include "base/bf_time.h"
#include "model/bf_model_refusal.h"

enum breaker_state { CLOSED, OPEN, HALF_OPEN };

struct bf_model {
	struct bf_model_opts o;
	char *url_embed, *url_chat;
	struct bf_http *http;
	struct bf_retry retry;
	struct bf_model_job *wait_head, *wait_tail;
	struct bf_model_job *done_head, *done_tail;
	int pending, inflight;
	enum breaker_state bstate;
	int consecutive;
	int64_t open_until;
	int64_t pause_until;       /* a Retry-After holds every request until then */
	int probe_inflight;
	int probe_failed;          /* the last probe failed: waiting jobs fail at once */
	int opened;
	long long requests;
};

static char *join_url(const char *base, const char *path)
{
	struct bf_buf b = BF_BUF_INIT;
	size_t n = strlen(base);
	while (n && base[n - 1] == '/')
		n--;
	bf_buf_add(&b, base, n);
	if (!(n >= 3 && !strncmp(base + n - 3, "/v1", 3)))
		bf_buf_adds(&b, "/v1");
	bf_buf_adds(&b, path);
	return bf_buf_detach(&b);
}

int bf_model_new(const struct bf_model_opts *o, struct bf_model **out, struct bf_err *err)
{
	struct bf_model *m = bf_xcalloc(1, sizeof *m);
	m->o = *o;
	if (m->o.concurrency < 1)
		m->o.concurrency = 1;
	m->url_embed = join_url(o->api_base, "/embeddings");
	m->url_chat = join_url(o->api_base, "/chat/completions");
	if (!(m->http = bf_http_new())) {
		bf_model_free(m);
		return bf_fail(err, BF_EOS, "http", "cannot initialise libcurl");
	}
	bf_retry_init(&m->retry, o->retries, o->retry_base_ms, o->retry_cap_ms);
	*out = m;
	return 0;
}

void bf_model_free(struct bf_model *m)
{
	if (!m)
		return;
	bf_http_free(m->http);
	free(m->url_embed);
	free(m->url_chat);
	free(m);
}

long long bf_model_requests(const struct bf_model *m) { return m->requests; }
int bf_model_breaker_opened(const struct bf_model *m) { return m->opened; }
int bf_model_pending(const struct bf_model *m) { return m->pending; }

void bf_model_job_clear(struct bf_model_job *j)
{
	if (!j)
		return;
	if (j->outputs) {
		for (int i = 0; i < j->n; i++)
			free(j->outputs[i]);
		free(j->outputs);
		j->outputs = NULL;
	}
	free(j->body);
	j->body = NULL;
	bf_http_req_clear(&j->req);
}

static void push(struct bf_model_job **head, struct bf_model_job **tail, struct bf_model_job *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static void build_body(struct bf_model *m, struct bf_model_job *j)
{
	cJSON *root = cJSON_CreateObject();
	cJSON_AddStringToObject(root, "model", m->o.model);
	const struct bf_model_task *t = j->task;
	if (t->kind == BF_MODEL_EMBED) {
		cJSON *in = cJSON_AddArrayToObject(root, "input");
		for (int i = 0; i < j->n; i++)
			cJSON_AddItemToArray(in, cJSON_CreateString(j->inputs[i]));
		cJSON_AddStringToObject(root, "encoding_format", "float");
	} else {
		cJSON *msgs = cJSON_AddArrayToObject(root, "messages");
		cJSON *sys = cJSON_CreateObject(), *user = cJSON_CreateObject();
		struct bf_buf s = BF_BUF_INIT;
		if (t->kind == BF_MODEL_CLASSIFY) {
			bf_buf_adds(&s, "Classify the text into exactly one of these labels: ");
			for (int i = 0; i < t->nlabels; i++) {
				bf_buf_adds(&s, i ? ", " : "");
				bf_buf_adds(&s, t->labels[i]);
			}
			bf_buf_adds(&s, ". Answer with the label only.");
		} else if (t->json) {
			bf_buf_adds(&s, "Answer with one JSON object only.");
		} else {
			bf_buf_adds(&s, "Answer briefly.");
		}
		cJSON_AddStringToObject(sys, "role", "system");
		cJSON_AddStringToObject(sys, "content", s.p);
		cJSON_AddStringToObject(user, "role", "user");
		cJSON_AddStringToObject(user, "content", j->inputs[0]);
		cJSON_AddItemToArray(msgs, sys);
		cJSON_AddItemToArray(msgs, user);
		cJSON_AddNumberToObject(root, "temperature", 0);
		if (t->kind == BF_MODEL_PROMPT && t->json)
			cJSON_AddStringToObject(cJSON_AddObjectToObject(root, "response_format"), "type",
						"json_object");
		bf_buf_free(&s);
	}
	j->body = cJSON_PrintUnformatted(root);
	cJSON_Delete(root);
}

void bf_model_submit(struct bf_model *m, struct bf_model_job *j)
{
	j->outputs = NULL;
	j->code = 0;
	j->error[0] = 0;
	j->prompt_tokens = j->completion_tokens = 0;
	j->requests = 0;
	j->attempt = 0;
	j->due_ms = 0;
	j->probe = 0;
	bf_http_req_init(&j->req);
	build_body(m, j);
	m->pending++;
	push(&m->wait_head, &m->wait_tail, j);
}

static void finish(struct bf_model *m, struct bf_model_job *j, int code, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static void finish(struct bf_model *m, struct bf_model_job *j, int code, const char *fmt, ...)
{
	j->code = code;
	if (code) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(j->error, sizeof j->error, fmt, ap);
		va_end(ap);
		if (j->outputs) {
			for (int i = 0; i < j->n; i++)
				free(j->outputs[i]);
			free(j->outputs);
			j->outputs = NULL;
		}
	}
	push(&m->done_head, &m->done_tail, j);
}

/* Label matching: trimmed, without quotes or a final period, case-insensitive. */
static const char *match_label(const struct bf_model_task *t, const char *ans)
{
	size_t n = strlen(ans);
	while (n && (isspace((unsigned char)ans[n - 1]) || ans[n - 1] == '.' || ans[n - 1] == '"' ||
		     ans[n - 1] == '\'' || ans[n - 1] == '`'))
		n--;
	while (n && (isspace((unsigned char)*ans) || *ans == '"' || *ans == '\'' || *ans == '`')) {
		ans++;
		n--;
	}
	for (int i = 0; i < t->nlabels; i++)
		if (strlen(t->labels[i]) == n && !strncasecmp(t->labels[i], ans, n))
			return t->labels[i];
	return NULL;
}

static void usage_of(struct bf_model_job *j, const cJSON *root)
{
	const cJSON *u = cJSON_GetObjectItemCaseSensitive(root, "usage");
	const cJSON *p = cJSON_GetObjectItemCaseSensitive(u, "prompt_tokens");
	const cJSON *c = cJSON_GetObjectItemCaseSensitive(u, "completion_tokens");
	/* counts from the server: taken only when they fit (a cast of a huge double is
	 * undefined) */
	if (cJSON_IsNumber(p) && p->valuedouble >= 0 && p->valuedouble < 1e15)
		j->prompt_tokens += (long long)p->valuedouble;
	if (cJSON_IsNumber(c) && c->valuedouble >= 0 && c->valuedouble < 1e15)
		j->completion_tokens += (long long)c->valuedouble;
}

/* Checks an answer and fills outputs; returns NULL or why it is invalid. */
static const char *validate(struct bf_model_job *j, char *why, size_t whylen)
{
	struct bf_model_task *t = (struct bf_model_task *)j->task;
	struct bf_jsoncheck ck = { 0 };
	if (bf_jsoncheck(j->req.resp.p, j->req.resp.len, &ck) != 0 || !ck.top_is_object)
		return "the answer is not a JSON object";
	cJSON *root = cJSON_ParseWithLength(j->req.resp.p, j->req.resp.len);
	if (!root)
		return "the answer is not JSON";
	const char *bad = NULL;
	usage_of(j, root);
	j->outputs = bf_xcalloc((size_t)j->n, sizeof *j->outputs);
	if (t->kind == BF_MODEL_EMBED) {
		const cJSON *data = cJSON_GetObjectItemCaseSensitive(root, "data"), *it;
		if (!cJSON_IsArray(data) || cJSON_GetArraySize(data) != j->n) {
			bad = "the answer's data does not have one embedding per input";
			goto out;
		}
		int i = 0;
		cJSON_ArrayForEach(it, data) {
			const cJSON *ix = cJSON_GetObjectItemCaseSensitive(it, "index");
			const cJSON *emb = cJSON_GetObjectItemCaseSensitive(it, "embedding"), *v;
			/* an index is a whole number below n (a huge or fractional one is refused
			 * before any conversion: (int) of it would be undefined) */
			double dk = cJSON_IsNumber(ix) ? ix->valuedouble : i;
			int k = dk >= 0 && dk < j->n && dk == (double)(int)dk ? (int)dk : -1;
			i++;
			if (k < 0 || j->outputs[k]) {
				bad = "the answer's embedding indexes are wrong";
				goto out;
			}
			int dim = cJSON_GetArraySize(emb);
			if (!cJSON_IsArray(emb) || dim < 1) {
				bad = "an embedding is missing";
				goto out;
			}
			/* every embedding of the column has one dimension: the one asked for, else
			 * the first seen (in this answer or an earlier one) */
			if (!t->dim && !t->seen_dim)
				t->seen_dim = dim;
			int want = t->dim ? t->dim : t->seen_dim;
			if (dim != want) {
				snprintf(why, whylen, "embedding dimension %d, expected %d", dim, want);
				bad = why;
				goto out;
			}
			struct bf_buf b = BF_BUF_INIT;
			bf_buf_addc(&b, '[');
			int first = 1;
			cJSON_ArrayForEach(v, emb) {
				if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble)) {
					bad = "an embedding holds something that is not a finite number";
					bf_buf_free(&b);
					goto out;
				}
				if (!first)
					bf_buf_addc(&b, ',');
				first = 0;
				bf_buf_addf(&b, "%.9g", v->valuedouble);
			}
			bf_buf_addc(&b, ']');
			j->outputs[k] = bf_buf_detach(&b);
		}
	} else {
		const cJSON *ch = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(root, "choices"), 0);
		const cJSON *msg = cJSON_GetObjectItemCaseSensitive(ch, "message");
		const cJSON *content = cJSON_GetObjectItemCaseSensitive(msg, "content");
		if (!cJSON_IsString(content)) {
			bad = "the answer has no message content";
			goto out;
		}
		const char *ans = content->valuestring;
		struct bf_buf b = BF_BUF_INIT;
		if (t->kind == BF_MODEL_CLASSIFY) {
			const char *l = match_label(t, ans);
			if (!l) {
				snprintf(why, whylen, "label \"%.60s\" is not one of the labels", ans);
				bad = why;
				goto out;
			}
			bf_buf_add_json_str(&b, l, strlen(l));
		} else if (t->json) {
			/* strip a Markdown fence around the JSON */
			const char *s = ans, *e = ans + strlen(ans);
			while (s < e && isspace((unsigned char)*s))
				s++;
			while (e > s && isspace((unsigned char)e[-1]))
				e--;
			if (e - s > 6 && !strncmp(s, "```", 3) && !strncmp(e - 3, "```", 3)) {
				s += 3;
				while (s < e && *s != '\n')
					s++;
				e -= 3;
			}
			struct bf_jsoncheck c2 = { 0 };
			cJSON *v = NULL;
			if (bf_jsoncheck(s, (size_t)(e - s), &c2) != 0 ||
			    !(v = cJSON_ParseWithLength(s, (size_t)(e - s)))) {
				bad = "the answer is not the JSON asked for";
				goto out;
			}
			char *p = cJSON_PrintUnformatted(v);
			bf_buf_adds(&b, p);
			cJSON_free(p);
			cJSON_Delete(v);
		} else {
			bf_buf_add_json_str(&b, ans, strlen(ans));
		}
		j->outputs[0] = bf_buf_detach(&b);
	}
out:
	cJSON_Delete(root);
	if (bad) {
		for (int i = 0; i < j->n; i++)
			free(j->outputs[i]);
		free(j->outputs);
		j->outputs = NULL;
	}
	return bad;
}

static void on_http(void *ctx, struct bf_http_req *r)
{
	struct bf_model *m = ctx;
	struct bf_model_job *j = r->user;
	int64_t now = bf_mono_ms();
	char why[160];
	const char *invalid = NULL;
	int server_fault = 0, code = 0;
	m->inflight--;
	if (j->probe)
		m->probe_inflight = 0;
	if (r->curl_rc) {
		server_fault = 1;
		snprintf(why, sizeof why, "%.150s", r->timed_out ? "timed out" : r->errbuf);
		code = BF_EUNAVAIL;
	} else if (r->status == 429) {
		snprintf(why, sizeof why, "HTTP 429 (rate limited)");
		if (r->retry_after_ms > 0 && now + r->retry_after_ms > m->pause_until)
			m->pause_until = now + r->retry_after_ms;
		code = BF_EUNAVAIL;
	} else if (r->status >= 500 || r->status == 408) {
		server_fault = 1;
		snprintf(why, sizeof why, "HTTP %ld", r->status);
		code = BF_EUNAVAIL;
	} else if (r->status == 401 || r->status == 403) {
		finish(m, j, BF_ENOPERM, "%s: HTTP %ld: the API refused the key (BF_API_KEY)",
		       j->task->kind == BF_MODEL_EMBED ? m->url_embed : m->url_chat, r->status);
		m->pending--;
		return;
	} else if (r->status < 200 || r->status >= 300) {
		/* the body may echo the request, key included: only its message, redacted */
		char msg[128];
		bf_model_refusal(r->resp.p, r->resp.len, m->o.api_key, msg, sizeof msg);
		finish(m, j, BF_EDATA, "HTTP %ld: the API refused the request: %s", r->status, msg);
		m->pending--;
		return;
	} else if ((invalid = validate(j, why, sizeof why))) {
		if (invalid != why)
			snprintf(why, sizeof why, "%s", invalid);
		code = BF_EDATA;
	}
	if (!code) {
		m->consecutive = 0;
		if (m->bstate == HALF_OPEN)
			m->bstate = CLOSED;
		m->probe_failed = 0;
		m->pending--;
		finish(m, j, 0, "%s", "");
		return;
	}
	if (server_fault) {
		m->consecutive++;
		if (m->bstate == HALF_OPEN ||
		    (m->o.breaker > 0 && m->bstate == CLOSED && m->consecutive >= m->o.breaker)) {
			if (m->bstate == CLOSED)
				m->opened++;
			else
				m->probe_failed = 1;
			m->bstate = OPEN;
			m->open_until = now + m->o.breaker_cooldown_ms;
		}
	} else if (code == BF_EDATA) {
		m->consecutive = 0;       /* the server answered */
		if (m->bstate == HALF_OPEN)
			m->bstate = CLOSED;
	}
	if (j->attempt < m->o.retries) {
		int64_t d = bf_retry_delay_ms(&m->retry, j->attempt, r->retry_after_ms);
		j->attempt++;
		j->due_ms = now + d;
		push(&m->wait_head, &m->wait_tail, j);
		return;
	}
	m->pending--;
	finish(m, j, code, "%s after %d attempt%s", why, j->requests, j->requests == 1 ? "" : "s");
}

static int send_job(struct bf_model *m, struct bf_model_job *j, struct bf_err *err)
{
	bf_http_req_clear(&j->req);
	bf_http_req_init(&j->req);
	j->req.url = j->task->kind == BF_MODEL_EMBED ? m->url_embed : m->url_chat;
	j->req.body = j->body;
	j->req.body_len = strlen(j->body);
	j->req.bearer = m->o.api_key;
	j->req.timeout_ms = m->o.timeout_ms;
	j->req.user = j;
	j->requests++;
	m->requests++;
	m->inflight++;
	return bf_http_start(m->http, &j->req, err);
}

/* Sends the waiting jobs that are due, oldest first, while slots are free; lowers
 * *next_due to when the next held one may go. Returns 0 or BF_EOS. */
static int send_due(struct bf_model *m, int64_t now, int64_t *next_due, struct bf_err *err)
{
	struct bf_model_job **pp = &m->wait_head, *j;
	int rc;
	while ((j = *pp)) {
		int go = 0;
		if (j->due_ms > now || m->pause_until > now) {
			int64_t d = j->due_ms > m->pause_until ? j->due_ms : m->pause_until;
			if (*next_due < 0 || d < *next_due)
				*next_due = d;
		} else if (m->inflight < m->o.concurrency) {
			if (m->bstate == OPEN && now >= m->open_until && !m->probe_inflight) {
				m->bstate = HALF_OPEN;
				j->probe = 1;
				m->probe_inflight = 1;
				go = 1;
			} else if (m->bstate == OPEN && m->probe_failed) {
				*pp = j->next;
				m->pending--;
				finish(m, j, BF_EUNAVAIL, "circuit breaker open after %d consecutive failures",
				       m->consecutive);
				continue;
			} else if (m->bstate == OPEN) {
				if (*next_due < 0 || m->open_until < *next_due)
					*next_due = m->open_until;   /* held until the cool-down ends */
			} else if (m->bstate == CLOSED) {
				j->probe = 0;
				go = 1;
			} else if (*next_due < 0 || now + 20 < *next_due) {
				*next_due = now + 20;     /* a probe is out: wait for it */
			}
		}
		if (go) {
			*pp = j->next;
			if ((rc = send_job(m, j, err)))
				return rc;
			continue;
		}
		pp = &j->next;
	}
	m->wait_tail = NULL;
	for (j = m->wait_head; j; j = j->next)
		m->wait_tail = j;
	return 0;
}

int bf_model_poll(struct bf_model *m, int wait_ms, void (*done)(void *, struct bf_model_job *),
		  void *ctx, struct bf_err *err)
{
	int64_t now = bf_mono_ms(), next_due = -1;
	int rc;
	struct bf_model_job *j;
	if ((rc = send_due(m, now, &next_due, err)))
		return rc;
	if (!m->done_head) {
		int w = wait_ms;
		if (next_due >= 0 && next_due - now < w)
			w = (int)(next_due - now);
		if (w < 0)
			w = 0;
		if (bf_http_active(m->http)) {
			/* answers free slots: refill them now, not on the next call */
			if (bf_http_poll(m->http, w, on_http, m) > 0 && m->wait_head) {
				next_due = -1;
				if ((rc = send_due(m, bf_mono_ms(), &next_due, err)))
					return rc;
			}
		} else if (w > 0 && m->pending) {
			bf_sleep_ms(w);
		}
	}
	while ((j = m->done_head)) {
		m->done_head = j->next;
		if (!m->done_head)
			m->done_tail = NULL;
		done(ctx, j);
	}
	return 0;
}
