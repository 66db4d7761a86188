#include "proto/bf_msg.h"

#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_exit.h"
#include "base/bf_file.h"

#define READ_CHUNK (256u << 10)

void bf_lines_init(struct bf_lines *r, int fd, const char *name, size_t max_line)
{
	memset(r, 0, sizeof *r);
	r->fd = fd;
	r->name = name;
	r->max_line = max_line ? max_line : BF_MAX_LINE_DEFAULT;
}

void bf_lines_free(struct bf_lines *r)
{
	free(r->buf);
	r->buf = NULL;
}

int bf_lines_next(struct bf_lines *r, char **line, size_t *len, struct bf_err *err)
{
	for (;;) {
		char *nl = r->end > r->scan ? memchr(r->buf + r->scan, '\n', r->end - r->scan) : NULL;
		if (nl) {
			size_t n = (size_t)(nl - (r->buf + r->start));
			char *l = r->buf + r->start;
			r->lineno++;
			r->start = r->scan = (size_t)(nl - r->buf) + 1;
			if (n > r->max_line)
				return bf_fail(err, BF_EDATA, r->name, "line %ld: longer than %zu bytes",
					       r->lineno, r->max_line);
			if (n && l[n - 1] == '\r')
				n--;
			if (n == 0)
				continue;
			l[n] = '\0';
			*line = l;
			*len = n;
			return 1;
		}
		r->scan = r->end;
		if (r->eof) {
			if (r->end > r->start)
				return bf_fail(err, BF_EDATA, r->name,
					       "line %ld: truncated (input ends without a newline)",
					       r->lineno + 1);
			return 0;
		}
		if (r->end - r->start > r->max_line)
			return bf_fail(err, BF_EDATA, r->name, "line %ld: longer than %zu bytes",
				       r->lineno + 1, r->max_line);
		/* make room: move the partial line to the front, grow if needed */
		if (r->start > 0) {
			memmove(r->buf, r->buf + r->start, r->end - r->start);
			r->end -= r->start;
			r->scan -= r->start;
			r->start = 0;
		}
		if (r->cap - r->end < READ_CHUNK) {
			size_t cap = r->cap ? r->cap * 2 : READ_CHUNK * 4;
			while (cap - r->end < READ_CHUNK)
				cap *= 2;
			r->buf = bf_xrealloc(r->buf, cap + 1);
			r->cap = cap;
		}
		if (r->before_wait) {
			struct pollfd pfd = { .fd = r->fd, .events = POLLIN };
			if (poll(&pfd, 1, 0) == 0) {
				int rc = r->before_wait(r->wait_ctx, err);
				if (rc)
					return rc;
			}
		}
		ssize_t got;
		do
			got = read(r->fd, r->buf + r->end, r->cap - r->end);
		while (got < 0 && errno == EINTR);
		if (got < 0)
			return bf_fail(err, BF_EIO, r->name, "read: %s", strerror(errno));
		if (got == 0)
			r->eof = 1;
		r->end += (size_t)got;
	}
}

/* The span is a string that says str. */
static int span_is(const char *line, struct bf_json_span s, const char *str)
{
	const char *t = line + s.start + 1;
	return s.len >= 2 && t[-1] == '"' &&
	       bf_json_name_is(t, s.len - 2, memchr(t, '\\', s.len - 2) != NULL, str, strlen(str));
}

static const char *const msg_keys[] = { "type", "stream", "record", "value", "schema", NULL };
/* bf_json_pick_init(msg_keys), done once */
static const struct bf_json_pick msg_pick = {
	msg_keys, { sizeof "type" - 1, sizeof "stream" - 1, sizeof "record" - 1, sizeof "value" - 1,
		    sizeof "schema" - 1 }, 5, { { 0, 0 } }, 0
};

int bf_msg_parse(char *line, size_t len, long lineno, const char *where, int want_tree,
		 struct bf_msg *m, struct bf_err *err)
{
	struct bf_jsoncheck ck;
	struct bf_json_pick pk;
	memset(m, 0, sizeof *m);
	m->line = line;
	m->len = len;
	m->lineno = lineno;
	memset(&ck, 0, sizeof ck);
	pk = msg_pick;
	ck.pick = &pk;
	if (bf_jsoncheck(line, len, &ck) != 0)
		return bf_fail(err, BF_EDATA, where, "line %ld: invalid JSON at byte %zu: %s",
			       lineno, ck.err_offset + 1, ck.err_msg);
	if (!ck.top_is_object)
		return bf_fail(err, BF_EDATA, where, "line %ld: message is not a JSON object", lineno);
	if (pk.duplicate)
		return bf_fail(err, BF_EDATA, where, "line %ld: duplicate member in message", lineno);
	struct bf_json_span t = pk.spans[0];
	if (t.len == 0)
		return bf_fail(err, BF_EDATA, where, "line %ld: message has no \"type\"", lineno);
	if (line[t.start] != '"')
		return bf_fail(err, BF_EDATA, where, "line %ld: \"type\" is not a string", lineno);
	m->stream_span = pk.spans[1];
	m->record_span = pk.spans[2];
	m->value_span = pk.spans[3];
	if (span_is(line, t, "RECORD")) {
		m->type = BF_MSG_RECORD;
		if (m->stream_span.len == 0 || line[m->stream_span.start] != '"')
			return bf_fail(err, BF_EDATA, where, "line %ld: RECORD without a \"stream\" string", lineno);
		if (m->record_span.len == 0 || line[m->record_span.start] != '{')
			return bf_fail(err, BF_EDATA, where, "line %ld: RECORD without a \"record\" object", lineno);
	} else if (span_is(line, t, "SCHEMA")) {
		m->type = BF_MSG_SCHEMA;
		if (m->stream_span.len == 0 || line[m->stream_span.start] != '"')
			return bf_fail(err, BF_EDATA, where, "line %ld: SCHEMA without a \"stream\" string", lineno);
		if (pk.spans[4].len == 0 || line[pk.spans[4].start] != '{')
			return bf_fail(err, BF_EDATA, where, "line %ld: SCHEMA without a \"schema\" object", lineno);
	} else if (span_is(line, t, "STATE")) {
		m->type = BF_MSG_STATE;
		if (m->value_span.len == 0)
			return bf_fail(err, BF_EDATA, where, "line %ld: STATE without a \"value\"", lineno);
	} else {
		m->type = BF_MSG_OTHER;
	}
	size_t tn = t.len - 2 < sizeof m->type_name - 1 ? t.len - 2 : sizeof m->type_name - 1;
	memcpy(m->type_name, line + t.start + 1, tn);
	m->type_name[tn] = '\0';
	return want_tree ? bf_msg_tree(m, where, err) : 0;
}

int bf_msg_tree(struct bf_msg *m, const char *where, struct bf_err *err)
{
	if (m->root)
		return 0;
	m->root = cJSON_ParseWithLength(m->line, m->len);
	if (!m->root)
		return bf_fail(err, BF_EDATA, where, "line %ld: JSON parser failed", m->lineno);
	cJSON *s = cJSON_GetObjectItemCaseSensitive(m->root, "stream");
	m->stream = cJSON_IsString(s) ? s->valuestring : NULL;
	switch (m->type) {
	case BF_MSG_RECORD:
		m->record = cJSON_GetObjectItemCaseSensitive(m->root, "record");
		break;
	case BF_MSG_SCHEMA:
		m->schema = cJSON_GetObjectItemCaseSensitive(m->root, "schema");
		m->key_properties = cJSON_GetObjectItemCaseSensitive(m->root, "key_properties");
		if (m->key_properties && !cJSON_IsArray(m->key_properties))
			return bf_fail(err, BF_EDATA, where, "line %ld: \"key_properties\" is not an array", m->lineno);
		break;
	case BF_MSG_STATE:
		m->value = cJSON_GetObjectItemCaseSensitive(m->root, "value");
		break;
	default:
		break;
	}
	return 0;
}

void bf_msg_clear(struct bf_msg *m)
{
	cJSON_Delete(m->root);
	m->root = NULL;
	m->record = m->schema = m->key_properties = m->value = NULL;
	m->stream = NULL;
}

cJSON *bf_msg_state_bf(const struct bf_msg *m)
{
	cJSON *bf = m->value ? cJSON_GetObjectItemCaseSensitive(m->value, "bf") : NULL;
	return cJSON_IsObject(bf) ? bf : NULL;
}

const char *bf_msg_stream_name(const struct bf_msg *m, struct bf_buf *buf)
{
	struct bf_json_span s = m->stream_span;
	bf_buf_reset(buf);
	if (s.len >= 2 && m->line[s.start] == '"')
		bf_json_text(m->line + s.start, s.len, buf);
	return buf->p;
}

void bf_out_init(struct bf_out *o, int fd, const char *name)
{
	o->fd = fd;
	o->name = name;
	o->cap = 1u << 18;
	o->buf = bf_xmalloc(o->cap);
	o->len = 0;
	o->err = 0;
	o->w = NULL;
}

/* The writer thread's side: one buffer handed over at a time. */
struct bf_out_writer {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	int fd;
	char *buf;                 /* the thread's buffer while busy, else the spare one */
	size_t len, cap;
	int busy, stop, err;       /* err is sticky: later buffers are dropped */
};

static void *writer_run(void *arg)
{
	struct bf_out_writer *w = arg;
	pthread_mutex_lock(&w->mu);
	for (;;) {
		while (!w->busy && !w->stop)
			pthread_cond_wait(&w->cv, &w->mu);
		if (!w->busy)
			break;
		int err = w->err;
		pthread_mutex_unlock(&w->mu);
		if (!err)
			err = bf_write_all(w->fd, w->buf, w->len) ? errno : 0;
		pthread_mutex_lock(&w->mu);
		w->err = err;
		w->busy = 0;
		pthread_cond_broadcast(&w->cv);
	}
	pthread_mutex_unlock(&w->mu);
	return NULL;
}

void bf_out_async(struct bf_out *o)
{
	struct bf_out_writer *w = bf_xcalloc(1, sizeof *w);
	w->fd = o->fd;
	w->cap = o->cap;
	w->buf = bf_xmalloc(w->cap);
	pthread_mutex_init(&w->mu, NULL);
	pthread_cond_init(&w->cv, NULL);
	if (pthread_create(&w->thread, NULL, writer_run, w) != 0) {
		pthread_mutex_destroy(&w->mu);
		pthread_cond_destroy(&w->cv);
		free(w->buf);
		free(w);
		return;
	}
	o->w = w;
}

/* Caller holds w->mu: waits for the thread to be idle and takes its error. */
static void writer_idle(struct bf_out *o)
{
	struct bf_out_writer *w = o->w;
	while (w->busy)
		pthread_cond_wait(&w->cv, &w->mu);
	if (w->err && !o->err)
		o->err = w->err;
}

void bf_out_wait(struct bf_out *o)
{
	if (!o->w)
		return;
	pthread_mutex_lock(&o->w->mu);
	writer_idle(o);
	pthread_mutex_unlock(&o->w->mu);
}

/* Hands the buffer to the writer thread (swapping in its spare), or writes it here. */
static void drain(struct bf_out *o)
{
	struct bf_out_writer *w = o->w;
	if (w && o->len && !o->err) {
		pthread_mutex_lock(&w->mu);
		writer_idle(o);
		if (!o->err) {
			char *b = w->buf;
			size_t cap = w->cap;
			w->buf = o->buf;
			w->cap = o->cap;
			w->len = o->len;
			o->buf = b;
			o->cap = cap;
			w->busy = 1;
			pthread_cond_broadcast(&w->cv);
		}
		pthread_mutex_unlock(&w->mu);
	} else if (o->len && !o->err) {
		o->err = bf_write_all(o->fd, o->buf, o->len) ? errno : 0;
	}
	o->len = 0;
}

static void writer_stop(struct bf_out *o)
{
	struct bf_out_writer *w = o->w;
	if (!w)
		return;
	pthread_mutex_lock(&w->mu);
	writer_idle(o);
	w->stop = 1;
	pthread_cond_broadcast(&w->cv);
	pthread_mutex_unlock(&w->mu);
	pthread_join(w->thread, NULL);
	pthread_mutex_destroy(&w->mu);
	pthread_cond_destroy(&w->cv);
	free(w->buf);
	free(w);
	o->w = NULL;
}

void bf_out_write(struct bf_out *o, const void *data, size_t len)
{
	if (o->err)
		return;
	if (o->len + len > o->cap) {
		drain(o);
		if (len >= o->cap) {
			/* too big to buffer: write it here, after what is queued */
			bf_out_wait(o);
			if (!o->err)
				o->err = bf_write_all(o->fd, data, len) ? errno : 0;
			return;
		}
	}
	memcpy(o->buf + o->len, data, len);
	o->len += len;
}

char *bf_out_reserve(struct bf_out *o, size_t n)
{
	if (o->len + n > o->cap)
		drain(o);
	if (n > o->cap) {
		o->cap = n;
		o->buf = bf_xrealloc(o->buf, o->cap);
	}
	return o->buf + o->len;
}

int bf_out_flush(struct bf_out *o, struct bf_err *err)
{
	drain(o);
	bf_out_wait(o);
	if (o->err)
		return bf_fail(err, BF_EIO, o->name, "write: %s", strerror(o->err));
	return 0;
}

int bf_out_close(struct bf_out *o, struct bf_err *err)
{
	int rc = bf_out_flush(o, err);
	writer_stop(o);
	if (o->fd >= 0 && close(o->fd) != 0 && !rc && errno != EINTR)
		rc = bf_fail(err, BF_EIO, o->name, "close: %s", strerror(errno));
	o->fd = -1;
	free(o->buf);
	o->buf = NULL;
	return rc;
}

void bf_out_json_line(struct bf_out *o, const cJSON *v)
{
	char *s = cJSON_PrintUnformatted(v);
	if (!s) {
		o->err = o->err ? o->err : ENOMEM;
		return;
	}
	bf_out_write(o, s, strlen(s));
	bf_out_write(o, "\n", 1);
	cJSON_free(s);
}

cJSON *bf_msg_new_schema(const char *stream, cJSON *schema, cJSON *key_properties)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "type", "SCHEMA");
	cJSON_AddStringToObject(m, "stream", stream);
	cJSON_AddItemToObject(m, "schema", schema);
	cJSON_AddItemToObject(m, "key_properties", key_properties ? key_properties : cJSON_CreateArray());
	return m;
}

cJSON *bf_msg_new_state(cJSON *value)
{
	cJSON *m = cJSON_CreateObject();
	cJSON_AddStringToObject(m, "type", "STATE");
	cJSON_AddItemToObject(m, "value", value);
	return m;
}
