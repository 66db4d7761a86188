/* Fuzz target of the checks of model-API answers (lib/model/bf_model): the input is
 * the HTTP answer a server on loopback gives to one job, through bf_model's public
 * calls and libcurl. The first byte chooses the task (embedding of 1 to 3 inputs, with
 * or without an expected dimension; a label out of three; a prompt; a prompt answered
 * in JSON) and the HTTP status (mostly 200). There are no retries and no breaker.
 * Properties:
 *  - 401 and 403 fail with 77; 408, 429 and 5xx with 69; other statuses outside 2xx,
 *    and answers that do not hold what the task asked for, with 65; a failed job has
 *    no outputs and says why;
 *  - a job done has one output per input, each valid JSON: for embeddings an array of
 *    finite numbers, as many as asked for when a dimension was given; for labels a
 *    string naming one of the labels; for prompts a string, or (JSON asked for) any
 *    JSON value. */
#include <arpa/inet.h>
#include <limits.h>
#include <cjson/cJSON.h>
#include <math.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/bf_exit.h"
#include "model/bf_model.h"
#include "proto/bf_jsoncheck.h"

#include "fuzz.h"

/* ---- the server: answers every request with the current status and body ---- */

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static int answer_status;
static const uint8_t *answer_body;
static size_t answer_len;

static int read_request(int fd)
{
	char buf[65536];
	size_t have = 0;
	for (;;) {
		ssize_t n = read(fd, buf + have, sizeof buf - 1 - have);
		if (n <= 0)
			return -1;
		have += (size_t)n;
		buf[have] = '\0';
		char *end = strstr(buf, "\r\n\r\n");
		if (!end)
			continue;
		size_t body = 0;
		for (char *h = buf; h < end; h = strstr(h, "\r\n") + 2)
			if (!strncasecmp(h, "content-length:", 15))
				body = strtoul(h + 15, NULL, 10);
		size_t want = (size_t)(end + 4 - buf) + body;
		while (have < want) {
			size_t room = sizeof buf - 1 - have;
			n = read(fd, buf + (have < sizeof buf - 1 ? have : 0), room ? room : sizeof buf - 1);
			if (n <= 0)
				return -1;
			have += (size_t)n;
		}
		return 0;
	}
}

static int write_all(int fd, const void *p, size_t n)
{
	const char *s = p;
	while (n) {
		ssize_t k = write(fd, s, n);
		if (k <= 0)
			return -1;
		s += k;
		n -= (size_t)k;
	}
	return 0;
}

static void *serve(void *arg)
{
	int lfd = *(int *)arg;
	for (;;) {
		int fd = accept(lfd, NULL, NULL);
		if (fd < 0)
			continue;
		int one = 1;
		setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
		while (read_request(fd) == 0) {
			/* one write: head and body in two would wait for a delayed ACK */
			pthread_mutex_lock(&mu);
			char *msg = malloc(answer_len + 256);
			CHECK(msg, "malloc");
			int k = snprintf(msg, 256,
					 "HTTP/1.1 %d X\r\nContent-Type: application/json\r\n"
					 "Content-Length: %zu\r\n\r\n", answer_status, answer_len);
			memcpy(msg + k, answer_body, answer_len);
			int bad = write_all(fd, msg, (size_t)k + answer_len);
			pthread_mutex_unlock(&mu);
			free(msg);
			if (bad)
				break;
		}
		close(fd);
	}
	return NULL;
}

static int start_server(void)
{
	static int lfd;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
	socklen_t al = sizeof a;
	lfd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
	CHECK(lfd >= 0 && bind(lfd, (struct sockaddr *)&a, sizeof a) == 0 && listen(lfd, 8) == 0 &&
	      getsockname(lfd, (struct sockaddr *)&a, &al) == 0, "listen on loopback");
	pthread_t t;
	CHECK(pthread_create(&t, NULL, serve, &lfd) == 0, "server thread");
	pthread_detach(t);
	return ntohs(a.sin_port);
}

/* ---- the client ---- */

static struct bf_model *model;
static char *labels[] = { "food", "drink", "other" };

static void done(void *ctx, struct bf_model_job *job)
{
	*(struct bf_model_job **)ctx = job;
}

static void check_output(const struct bf_model_task *t, const char *out, int *dim)
{
	struct bf_jsoncheck ck = { 0 };
	CHECK(out && bf_jsoncheck(out, strlen(out), &ck) == 0, "an output that is not JSON: %s",
	      out ? out : "(null)");
	cJSON *v = cJSON_Parse(out);
	CHECK(v, "cJSON does not read the output %s", out);
	if (t->kind == BF_MODEL_EMBED) {
		int n = cJSON_GetArraySize(v);
		CHECK(cJSON_IsArray(v) && n > 0, "an embedding that is not an array: %s", out);
		const cJSON *x;
		cJSON_ArrayForEach(x, v)
			CHECK(cJSON_IsNumber(x) && isfinite(x->valuedouble), "an element of %s", out);
		/* one dimension for every embedding of a task, asked for or not */
		CHECK(*dim == 0 || n == *dim, "embeddings of %d and %d numbers", *dim, n);
		CHECK(t->dim == 0 || n == t->dim, "%d numbers, %d asked for", n, t->dim);
		*dim = n;
	} else if (t->kind == BF_MODEL_CLASSIFY) {
		int found = 0;
		for (int i = 0; i < t->nlabels; i++)
			found |= cJSON_IsString(v) && !strcmp(v->valuestring, t->labels[i]);
		CHECK(found, "%s is not one of the labels", out);
	} else if (!t->json) {
		CHECK(cJSON_IsString(v), "a prompt's answer that is not a string: %s", out);
	}
	cJSON_Delete(v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int statuses[16] = { 200, 200, 200, 200, 200, 200, 200, 201,
					  401, 403, 408, 429, 500, 503, 404, 302 };
	static const char *const inputs[3] = { "a", "b b", "c" };
	if (!model) {
		char base[64];
		snprintf(base, sizeof base, "http://127.0.0.1:%d/v1", start_server());
		struct bf_model_opts o = { .api_base = base, .model = "m", .concurrency = 1,
					   .retries = 0, .timeout_ms = 10000, .breaker = 0 };
		struct bf_err err = { 0 };
		CHECK(bf_model_new(&o, &model, &err) == 0, "bf_model_new: %s", err.msg);
	}
	if (size < 1)
		return 0;
	unsigned sel = data[0];
	struct bf_model_task task = { .kind = (enum bf_model_kind)(sel % 3) };
	struct bf_model_job job = { .task = &task, .n = 1, .inputs = inputs };
	if (task.kind == BF_MODEL_EMBED) {
		job.n = 1 + (int)(sel / 3) % 3;
		task.dim = sel & 0x80 ? 3 : 0;
	} else if (task.kind == BF_MODEL_CLASSIFY) {
		task.labels = labels;
		task.nlabels = 3;
	} else {
		task.json = (sel / 3) & 1;
	}
	int status = statuses[(sel >> 3) & 15];
	pthread_mutex_lock(&mu);
	answer_status = status;
	answer_body = data + 1;
	answer_len = size - 1;
	pthread_mutex_unlock(&mu);

	struct bf_model_job *back = NULL;
	struct bf_err err = { 0 };
	bf_model_submit(model, &job);
	/* no waiting in bf_model_poll: bf_http_poll waits its whole time when the answer was
	 * read before it began to wait, which on loopback is most of the time */
	while (!back)
		CHECK(bf_model_poll(model, 0, done, &back, &err) == 0, "bf_model_poll: %s", err.msg);
	CHECK(back == &job && bf_model_pending(model) == 0, "the job handed back");

	int want = status == 401 || status == 403 ? BF_ENOPERM
		 : status == 408 || status == 429 || status >= 500 ? BF_EUNAVAIL
		 : status < 200 || status >= 300 ? BF_EDATA : -1;
	if (want >= 0)
		CHECK(job.code == want, "HTTP %d: code %d, expected %d (%s)", status, job.code, want, job.error);
	CHECK(job.code == 0 || job.code == BF_EDATA || job.code == want, "code %d (%s)", job.code,
	      job.error);
	if (job.code) {
		CHECK(job.outputs == NULL && job.error[0], "a failed job with outputs or without a reason");
	} else {
		int dim = 0;
		CHECK(job.outputs != NULL, "a job done without outputs");
		for (int i = 0; i < job.n; i++)
			check_output(&task, job.outputs[i], &dim);
	}
	bf_model_job_clear(&job);
	return 0;
}
