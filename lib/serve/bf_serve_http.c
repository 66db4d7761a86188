/* bf-serve's daemon: libmicrohttpd with its own pool of threads, each with its own epoll
 * set, so that a slow client only ever holds its own connection (idle connections are
 * closed after the timeout, and the number of connections is bounded). One request:
 * route and token checked on its headers (401, 404, 405 and 413 answered before any body
 * is read), a body gathered up to 1 MiB, then its handler. */
#include "serve/bf_serve_int.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netdb.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"

/* What a connection's current request has gathered. */
struct creq {
	const struct serve_route *route;
	const char *arg;
	struct bf_buf body;
	int answered, too_big;
};

static enum MHD_Result queue(struct MHD_Connection *conn, struct serve_reply *r)
{
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
	if (!resp) {
		free(r->body);
		return MHD_NO;
	}
	r->body = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, r->type ? r->type : "application/json");
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (r->status == 401)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_WWW_AUTHENTICATE, "Bearer");
	if (r->status == 405 && r->allow)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, r->allow);
	enum MHD_Result ok = MHD_queue_response(conn, (unsigned)r->status, resp);
	MHD_destroy_response(resp);
	return ok;
}

static enum MHD_Result early(struct creq *cr, struct MHD_Connection *conn, struct serve_reply *r)
{
	cr->answered = 1;
	return queue(conn, r);
}

/* The checks made on a request's headers; MHD_YES with nothing queued to read on. */
static enum MHD_Result first_call(struct serve *sv, struct creq *cr, struct MHD_Connection *conn,
				  const char *url, const char *method)
{
	struct serve_reply r = { 0 };
	const char *allow;
	int k = serve_route_find(method, url, &cr->route, &cr->arg, &allow);
	/* the token first: without it nothing under /api or /metrics, not even whether a
	 * path exists, is told */
	int needs = (k == ROUTE_FOUND && cr->route->auth) || !strncmp(url, "/api", 4) || !strncmp(url, "/metrics", 8);
	if (needs &&
	    !serve_token_ok(sv, MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION))) {
		serve_reply_error(&r, 401, "missing or wrong bearer token (Authorization: Bearer ...)");
		return early(cr, conn, &r);
	}
	if (k == ROUTE_NOT_FOUND) {
		serve_reply_error(&r, 404, "no such path: %s", url);
		return early(cr, conn, &r);
	}
	if (k == ROUTE_BAD_METHOD) {
		serve_reply_error(&r, 405, "%s is not allowed here (allowed: %s)", method, allow);
		r.allow = allow;
		return early(cr, conn, &r);
	}
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	if (cl && strtoull(cl, NULL, 10) > SERVE_MAX_BODY) {
		serve_reply_error(&r, 413, "the request body is over %d bytes", SERVE_MAX_BODY);
		return early(cr, conn, &r);
	}
	return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method,
				  const char *version, const char *upload, size_t *upload_size, void **con_cls)
{
	struct serve *sv = cls;
	struct creq *cr = *con_cls;
	(void)version;
	if (!cr) {
		cr = bf_xcalloc(1, sizeof *cr);
		bf_buf_init(&cr->body);
		*con_cls = cr;
		return first_call(sv, cr, conn, url, method);
	}
	if (*upload_size) {
		/* a body nobody reads is dropped; one over the limit stops being kept */
		if (!cr->answered && cr->route->body && !cr->too_big) {
			if (cr->body.len + *upload_size > SERVE_MAX_BODY) {
				cr->too_big = 1;
				bf_buf_free(&cr->body);
			} else {
				bf_buf_add(&cr->body, upload, *upload_size);
			}
		}
		*upload_size = 0;
		return MHD_YES;
	}
	if (cr->answered)
		return MHD_YES;
	struct serve_reply r = { 0 };
	if (cr->too_big) {
		serve_reply_error(&r, 413, "the request body is over %d bytes", SERVE_MAX_BODY);
		return early(cr, conn, &r);
	}
	struct serve_req q = { sv, conn, method, url, cr->arg, cr->body.p, cr->body.len };
	cr->route->fn(&q, &r);
	if (!r.body)
		serve_reply_error(&r, 500, "no reply");
	return early(cr, conn, &r);
}

static void on_done(void *cls, struct MHD_Connection *conn, void **con_cls, enum MHD_RequestTerminationCode why)
{
	struct creq *cr = *con_cls;
	(void)cls;
	(void)conn;
	(void)why;
	if (!cr)
		return;
	bf_buf_free(&cr->body);
	free(cr);
	*con_cls = NULL;
}

static void logger(void *cls, const char *fmt, va_list ap) __attribute__((format(printf, 2, 0)));
static void logger(void *cls, const char *fmt, va_list ap)
{
	char msg[512];
	(void)cls;
	vsnprintf(msg, sizeof msg, fmt, ap);
	msg[strcspn(msg, "\n")] = '\0';
	bf_note("libmicrohttpd", "%s", msg);
}

/* HOST:PORT, [V6]:PORT or PORT (then 127.0.0.1); numeric hosts and "localhost" only. */
static int parse_listen(const char *s, struct sockaddr_storage *sa, socklen_t *salen, struct bf_err *err)
{
	char host[256], *end;
	const char *port;
	struct addrinfo hints, *res = NULL;
	if (strchr(s, ':') == NULL) {
		snprintf(host, sizeof host, "127.0.0.1");
		port = s;
	} else if (s[0] == '[') {
		const char *rb = strchr(s, ']');
		if (!rb || rb[1] != ':' || (size_t)(rb - s - 1) >= sizeof host)
			return bf_fail(err, BF_EUSAGE, "--listen", "expected HOST:PORT or [V6]:PORT, not \"%s\"", s);
		memcpy(host, s + 1, (size_t)(rb - s - 1));
		host[rb - s - 1] = '\0';
		port = rb + 2;
	} else {
		const char *colon = strrchr(s, ':');
		if ((size_t)(colon - s) >= sizeof host)
			return bf_fail(err, BF_EUSAGE, "--listen", "host too long");
		memcpy(host, s, (size_t)(colon - s));
		host[colon - s] = '\0';
		port = colon + 1;
	}
	if (!host[0] || !strcmp(host, "localhost"))
		snprintf(host, sizeof host, "127.0.0.1");
	long p = strtol(port, &end, 10);
	if (!*port || *end || p < 0 || p > 65535)
		return bf_fail(err, BF_EUSAGE, "--listen", "bad port in \"%s\"", s);
	memset(&hints, 0, sizeof hints);
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV | AI_PASSIVE;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res) || !res)
		return bf_fail(err, BF_EUSAGE, "--listen", "not a numeric address: \"%s\"", host);
	memcpy(sa, res->ai_addr, res->ai_addrlen);
	*salen = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

static int is_loopback(const struct sockaddr_storage *sa)
{
	if (sa->ss_family == AF_INET)
		return (ntohl(((const struct sockaddr_in *)sa)->sin_addr.s_addr) >> 24) == 127;
	return IN6_IS_ADDR_LOOPBACK(&((const struct sockaddr_in6 *)sa)->sin6_addr);
}

int serve_http_start(struct serve *sv, struct bf_err *err)
{
	const struct bf_serve_opts *o = sv->o;
	struct sockaddr_storage sa;
	socklen_t salen;
	char host[INET6_ADDRSTRLEN + 2];
	int rc;
	if ((rc = parse_listen(o->listen ? o->listen : "127.0.0.1:8080", &sa, &salen, err)))
		return rc;
	int v6 = sa.ss_family == AF_INET6;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ERROR_LOG |
			 (v6 ? MHD_USE_IPv6 : 0);
	struct MHD_Daemon *d = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, sv,
		MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned)(o->threads > 0 ? o->threads : 4),
		MHD_OPTION_CONNECTION_LIMIT, (unsigned)(o->max_connections > 0 ? o->max_connections : 512),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)(o->timeout >= 1 ? o->timeout : 10),
		MHD_OPTION_NOTIFY_COMPLETED, on_done, sv,
		MHD_OPTION_EXTERNAL_LOGGER, logger, sv,
		MHD_OPTION_LISTENING_ADDRESS_REUSE, 1,
		MHD_OPTION_END);
	if (!d)
		return bf_fail(err, BF_EOS, o->listen ? o->listen : "127.0.0.1:8080",
			       "cannot listen (address in use or not ours?)");
	sv->daemon = d;
	const union MHD_DaemonInfo *pi = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
	if (v6) {
		host[0] = '[';
		inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sa)->sin6_addr, host + 1, INET6_ADDRSTRLEN);
		size_t hl = strlen(host);
		host[hl] = ']';
		host[hl + 1] = '\0';
	} else {
		inet_ntop(AF_INET, &((struct sockaddr_in *)&sa)->sin_addr, host, sizeof host);
	}
	if (!is_loopback(&sa))
		bf_warn(NULL, "listening on %s, which is not a loopback address: every client that can reach it may try",
			host);
	bf_warn(NULL, "listening on http://%s:%u/", host, pi ? (unsigned)pi->port : 0);
	return 0;
}

void serve_http_stop(struct serve *sv)
{
	if (sv->daemon)
		MHD_stop_daemon(sv->daemon);
	sv->daemon = NULL;
}
