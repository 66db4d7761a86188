#include "model/bf_http.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include <curl/curl.h>

#include "base/bf_exit.h"
#include "base/bf_time.h"

struct bf_http {
	CURLM *multi;
	int active;
	struct bf_http_req **live;  /* the requests in flight, to end them on free */
	size_t nlive, caplive;
};

static void forget(struct bf_http *h, struct bf_http_req *r)
{
	for (size_t i = 0; i < h->nlive; i++)
		if (h->live[i] == r) {
			h->live[i] = h->live[--h->nlive];
			return;
		}
}

/* Detaches a request from the multi handle and frees its curl parts. */
static void end_request(struct bf_http *h, struct bf_http_req *r)
{
	curl_multi_remove_handle(h->multi, r->easy);
	curl_easy_cleanup(r->easy);
	curl_slist_free_all(r->headers);
	r->easy = r->headers = NULL;
	forget(h, r);
	h->active--;
}

void bf_http_req_init(struct bf_http_req *r)
{
	memset(r, 0, sizeof *r);
	bf_buf_init(&r->resp);
}

struct bf_http *bf_http_new(void)
{
	static int inited;
	if (!inited) {
		curl_global_init(CURL_GLOBAL_DEFAULT);
		inited = 1;
	}
	struct bf_http *h = bf_xcalloc(1, sizeof *h);
	h->multi = curl_multi_init();
	if (!h->multi) {
		free(h);
		return NULL;
	}
	curl_multi_setopt(h->multi, CURLMOPT_MAX_HOST_CONNECTIONS, 0L);
	return h;
}

void bf_http_free(struct bf_http *h)
{
	if (!h)
		return;
	while (h->nlive)
		end_request(h, h->live[h->nlive - 1]);
	curl_multi_cleanup(h->multi);
	free(h->live);
	free(h);
}

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
	struct bf_http_req *r = ud;
	bf_buf_add(&r->resp, p, size * n);
	return size * n;
}

/* Retry-After: delta-seconds or an HTTP date. */
static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
	struct bf_http_req *r = ud;
	size_t len = size * n;
	static const char name[] = "retry-after:";
	if (len > sizeof name - 1 && !strncasecmp(p, name, sizeof name - 1)) {
		char v[64];
		size_t k = 0, i = sizeof name - 1;
		while (i < len && (p[i] == ' ' || p[i] == '\t'))
			i++;
		while (i < len && p[i] != '\r' && p[i] != '\n' && k < sizeof v - 1)
			v[k++] = p[i++];
		v[k] = 0;
		char *end;
		double s = strtod(v, &end);
		if (end != v && !*end && s >= 0 && s < 86400) {
			r->retry_after_ms = (int64_t)(s * 1000);
		} else {
			time_t t = curl_getdate(v, NULL);
			if (t != (time_t)-1) {
				int64_t d = ((int64_t)t - (int64_t)time(NULL)) * 1000;
				r->retry_after_ms = d > 0 ? d : 0;
			}
		}
	}
	return len;
}

int bf_http_start(struct bf_http *h, struct bf_http_req *r, struct bf_err *err)
{
	CURL *e = curl_easy_init();
	struct curl_slist *hd = NULL;
	if (!e)
		return bf_fail(err, BF_EOS, "http", "cannot create a request");
	bf_buf_reset(&r->resp);
	r->status = 0;
	r->curl_rc = 0;
	r->timed_out = 0;
	r->errbuf[0] = 0;
	r->retry_after_ms = -1;
	r->started_ms = bf_mono_ms();
	r->done_ms = 0;
	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_PRIVATE, r);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, r);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, r);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, r->errbuf);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_USERAGENT, "bf-enrich/" BF_VERSION);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
	if (r->timeout_ms > 0)
		curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, r->timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, r->timeout_ms > 0 && r->timeout_ms < 10000 ? r->timeout_ms : 10000L);
	hd = curl_slist_append(hd, "Content-Type: application/json");
	hd = curl_slist_append(hd, "Expect:");
	if (r->bearer && *r->bearer) {
		struct bf_buf a = BF_BUF_INIT;
		bf_buf_addf(&a, "Authorization: Bearer %s", r->bearer);
		hd = curl_slist_append(hd, a.p);
		bf_buf_free(&a);
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, hd);
	if (r->body) {
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)r->body_len);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body);
	}
	r->easy = e;
	r->headers = hd;
	if (curl_multi_add_handle(h->multi, e) != CURLM_OK) {
		curl_easy_cleanup(e);
		curl_slist_free_all(hd);
		r->easy = r->headers = NULL;
		return bf_fail(err, BF_EOS, "http", "cannot start a request");
	}
	if (h->nlive == h->caplive) {
		h->caplive = h->caplive ? h->caplive * 2 : 16;
		h->live = bf_xrealloc(h->live, h->caplive * sizeof *h->live);
	}
	h->live[h->nlive++] = r;
	h->active++;
	return 0;
}

int bf_http_active(const struct bf_http *h)
{
	return h->active;
}

int bf_http_poll(struct bf_http *h, int wait_ms, void (*done)(void *, struct bf_http_req *), void *ctx)
{
	int running, n = 0, left;
	CURLMsg *msg;
	curl_multi_perform(h->multi, &running);
	/* wait only when nothing finished yet: a transfer done by that first perform is
	 * handed back at once */
	if (wait_ms > 0 && h->active && running == h->active) {
		curl_multi_poll(h->multi, NULL, 0, wait_ms, NULL);
		curl_multi_perform(h->multi, &running);
	}
	while ((msg = curl_multi_info_read(h->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		CURL *e = msg->easy_handle;
		struct bf_http_req *r = NULL;
		curl_easy_getinfo(e, CURLINFO_PRIVATE, (char **)&r);
		r->curl_rc = (int)msg->data.result;
		r->timed_out = msg->data.result == CURLE_OPERATION_TIMEDOUT;
		if (r->curl_rc && !r->errbuf[0])
			snprintf(r->errbuf, sizeof r->errbuf, "%s", curl_easy_strerror(msg->data.result));
		curl_easy_getinfo(e, CURLINFO_RESPONSE_CODE, &r->status);
		r->done_ms = bf_mono_ms();
		end_request(h, r);
		n++;
		done(ctx, r);
	}
	return n;
}

void bf_http_req_clear(struct bf_http_req *r)
{
	if (r)
		bf_buf_free(&r->resp);
}
