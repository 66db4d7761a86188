/* Concurrent HTTP requests on one libcurl multi handle, driven from the caller's loop
 * (no threads). The caller owns each struct bf_http_req: it fills the "in" part, starts
 * it, and gets it back from bf_http_poll's callback with the "out" part filled; the
 * request may then be freed with bf_http_req_clear or started again. Connections are
 * kept alive and reused between requests. bf_http_free(NULL) is a no-op. */
#ifndef BF_HTTP_H
#define BF_HTTP_H

#include <stddef.h>
#include <stdint.h>

#include "base/bf_buf.h"
#include "base/bf_log.h"

struct bf_http_req {
	/* in (borrowed until the request is done) */
	const char *url;
	const char *body;          /* POST body (JSON); NULL for GET */
	size_t body_len;
	const char *bearer;        /* token for "Authorization: Bearer", or NULL */
	long timeout_ms;           /* whole request; 0 = none */
	void *user;
	/* out */
	long status;               /* HTTP status, 0 when none came */
	int curl_rc;               /* CURLcode, 0 when the exchange completed */
	int timed_out;
	char errbuf[256];
	struct bf_buf resp;        /* the body */
	int64_t retry_after_ms;    /* from Retry-After, -1 when absent */
	int64_t started_ms, done_ms;
	/* private */
	void *easy;
	void *headers;
};

struct bf_http;

/* Empties r (all fields zero, the response an empty buffer). */
void bf_http_req_init(struct bf_http_req *r);

struct bf_http *bf_http_new(void);
void bf_http_free(struct bf_http *h);
/* Starts req; returns 0 or BF_EOS. */
int bf_http_start(struct bf_http *h, struct bf_http_req *req, struct bf_err *err);
/* Requests started and not yet handed back. */
int bf_http_active(const struct bf_http *h);
/* Waits up to wait_ms for activity, then hands every finished request to done.
 * Returns the number handed back. */
int bf_http_poll(struct bf_http *h, int wait_ms,
		 void (*done)(void *ctx, struct bf_http_req *req), void *ctx);
/* Frees what the request holds (its response buffer). */
void bf_http_req_clear(struct bf_http_req *req);

#endif
