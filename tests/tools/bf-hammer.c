/* bf-hammer: a small HTTP/1.1 load client for the tests and benchmarks of bf-serve.
 *
 *   bf-hammer [-c CONNECTIONS] [-n REQUESTS] [-H 'Name: value']... [-t MAX_SECONDS] URL
 *
 * CONNECTIONS threads (default 16) each keep one connection to URL (http://HOST:PORT/PATH,
 * a loopback address only) and send GETs one after another until REQUESTS (default
 * 10000) were sent in all or MAX_SECONDS (default 120) went by; a connection the server
 * closes is opened again. Prints one JSON line: requests, ok (2xx), errors (anything
 * else: other statuses, refused or broken connections), statuses seen, seconds,
 * requests/s, p50/p90/p99/max latency in ms. Exit 0 when every request was ok, 1
 * otherwise, 64 for a usage error. */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_THREADS 256

static struct sockaddr_storage addr;
static socklen_t addrlen;
static char *request;
static size_t reqlen;
static long total;
static atomic_long next_req;
static double deadline;

struct worker {
	pthread_t th;
	double *lat;
	size_t nlat, cap;
	long ok, errors, status[6];
};

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static int dial(void)
{
	int fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0), one = 1;
	if (fd < 0)
		return -1;
	struct timeval tv = { 10, 0 };
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (connect(fd, (struct sockaddr *)&addr, addrlen)) {
		close(fd);
		return -1;
	}
	return fd;
}

/* One request and its response on fd: the status, or -1 when the connection broke.
 * *keep: the server keeps the connection open. */
static int exchange(int fd, int *keep)
{
	char buf[65536];
	size_t have = 0, hdr_end = 0;
	long clen = -1;
	for (size_t off = 0; off < reqlen;) {
		ssize_t k = send(fd, request + off, reqlen - off, MSG_NOSIGNAL);
		if (k <= 0)
			return -1;
		off += (size_t)k;
	}
	/* the headers */
	while (!hdr_end) {
		ssize_t k = recv(fd, buf + have, sizeof buf - 1 - have, 0);
		if (k <= 0)
			return -1;
		have += (size_t)k;
		buf[have] = '\0';
		char *e = strstr(buf, "\r\n\r\n");
		if (e)
			hdr_end = (size_t)(e - buf) + 4;
		else if (have >= sizeof buf - 1)
			return -1;
	}
	int status = 0;
	if (sscanf(buf, "HTTP/1.%*d %d", &status) != 1)
		return -1;
	*keep = 1;
	for (char *l = strstr(buf, "\r\n"); l && (size_t)(l - buf) < hdr_end; l = strstr(l + 2, "\r\n")) {
		if (!strncasecmp(l + 2, "Content-Length:", 15))
			clen = atol(l + 17);
		else if (!strncasecmp(l + 2, "Connection: close", 17))
			*keep = 0;
	}
	if (clen < 0)
		return -1;  /* bf-serve always says how long */
	/* the body */
	size_t got = have - hdr_end;
	while (got < (size_t)clen) {
		ssize_t k = recv(fd, buf, sizeof buf, 0);
		if (k <= 0)
			return -1;
		got += (size_t)k;
	}
	return got == (size_t)clen ? status : -1;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	int fd = -1;
	while (atomic_fetch_add(&next_req, 1) < total && now() < deadline) {
		int keep = 0;
		if (fd < 0 && (fd = dial()) < 0) {
			w->errors++;
			continue;
		}
		double t0 = now();
		int st = exchange(fd, &keep);
		double ms = (now() - t0) * 1000;
		if (st < 0) {
			w->errors++;
			close(fd);
			fd = -1;
			continue;
		}
		if (w->nlat == w->cap) {
			w->cap = w->cap ? w->cap * 2 : 1024;
			w->lat = realloc(w->lat, w->cap * sizeof *w->lat);
			if (!w->lat)
				abort();
		}
		w->lat[w->nlat++] = ms;
		w->status[st / 100 < 6 ? st / 100 : 0]++;
		if (st / 100 == 2)
			w->ok++;
		else
			w->errors++;
		if (!keep) {
			close(fd);
			fd = -1;
		}
	}
	if (fd >= 0)
		close(fd);
	return NULL;
}

static int cmp_d(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double pct(const double *v, size_t n, double p)
{
	if (!n)
		return 0;
	size_t k = (size_t)(p / 100.0 * (double)n + 0.999999);
	return v[k ? k - 1 : 0];
}

static int usage(void)
{
	fprintf(stderr, "usage: bf-hammer [-c CONNECTIONS] [-n REQUESTS] [-H HEADER]... [-t MAX_SECONDS] "
			"http://LOOPBACK:PORT/PATH\n");
	return 64;
}

/* http://HOST:PORT/PATH with HOST 127.x.x.x, localhost or [::1]. */
static int parse_url(const char *url, char *host, size_t hl, char *port, size_t pl, const char **path)
{
	if (strncmp(url, "http://", 7))
		return -1;
	const char *h = url + 7, *slash = strchr(h, '/'), *colon;
	*path = slash ? slash : "/";
	size_t n = slash ? (size_t)(slash - h) : strlen(h);
	if (h[0] == '[') {
		const char *rb = memchr(h, ']', n);
		if (!rb || rb[1] != ':')
			return -1;
		snprintf(host, hl, "%.*s", (int)(rb - h - 1), h + 1);
		colon = rb + 1;
	} else {
		colon = memchr(h, ':', n);
		if (!colon)
			return -1;
		snprintf(host, hl, "%.*s", (int)(colon - h), h);
	}
	snprintf(port, pl, "%.*s", (int)(h + n - colon - 1), colon + 1);
	if (!strcmp(host, "localhost"))
		snprintf(host, hl, "127.0.0.1");
	return 0;
}

int main(int argc, char **argv)
{
	int conns = 16, c;
	double maxs = 120;
	char host[256], port[16], *headers = calloc(1, 1);
	size_t hlen = 0;
	const char *path;
	total = 10000;
	while ((c = getopt(argc, argv, "c:n:H:t:")) != -1) {
		switch (c) {
		case 'c': conns = atoi(optarg); break;
		case 'n': total = atol(optarg); break;
		case 't': maxs = atof(optarg); break;
		case 'H': {
			size_t n = strlen(optarg);
			headers = realloc(headers, hlen + n + 3);
			memcpy(headers + hlen, optarg, n);
			memcpy(headers + hlen + n, "\r\n", 3);
			hlen += n + 2;
			break;
		}
		default: return usage();
		}
	}
	if (optind != argc - 1 || conns < 1 || conns > MAX_THREADS || total < 1 || maxs <= 0 || maxs > 3600 ||
	    parse_url(argv[optind], host, sizeof host, port, sizeof port, &path))
		return usage();
	struct addrinfo hints = { 0 }, *res;
	hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV;
	hints.ai_socktype = SOCK_STREAM;
	if (getaddrinfo(host, port, &hints, &res))
		return usage();
	memcpy(&addr, res->ai_addr, res->ai_addrlen);
	addrlen = res->ai_addrlen;
	freeaddrinfo(res);
	/* loopback only: this tool is for servers on this machine */
	int loop = addr.ss_family == AF_INET
			   ? (ntohl(((struct sockaddr_in *)&addr)->sin_addr.s_addr) >> 24) == 127
			   : IN6_IS_ADDR_LOOPBACK(&((struct sockaddr_in6 *)&addr)->sin6_addr);
	if (!loop) {
		fprintf(stderr, "bf-hammer: %s is not a loopback address\n", host);
		return 64;
	}
	size_t cap = strlen(path) + strlen(host) + hlen + 128;
	request = malloc(cap);
	reqlen = (size_t)snprintf(request, cap, "GET %s HTTP/1.1\r\nHost: %s:%s\r\n%s\r\n", path, host, port, headers);

	struct worker *w = calloc((size_t)conns, sizeof *w);
	double t0 = now();
	deadline = t0 + maxs;
	for (int i = 0; i < conns; i++)
		pthread_create(&w[i].th, NULL, run, &w[i]);
	long ok = 0, errors = 0, status[6] = { 0 };
	size_t n = 0;
	for (int i = 0; i < conns; i++) {
		pthread_join(w[i].th, NULL);
		ok += w[i].ok;
		errors += w[i].errors;
		n += w[i].nlat;
		for (int k = 0; k < 6; k++)
			status[k] += w[i].status[k];
	}
	double secs = now() - t0;
	double *all = malloc((n ? n : 1) * sizeof *all);
	size_t k = 0;
	for (int i = 0; i < conns; i++) {
		memcpy(all + k, w[i].lat, w[i].nlat * sizeof *all);
		k += w[i].nlat;
		free(w[i].lat);
	}
	qsort(all, n, sizeof *all, cmp_d);
	printf("{\"requests\":%ld,\"ok\":%ld,\"errors\":%ld,\"status\":{\"2xx\":%ld,\"3xx\":%ld,\"4xx\":%ld,\"5xx\":%ld},"
	       "\"connections\":%d,\"seconds\":%.3f,\"rps\":%.0f,\"p50_ms\":%.3f,\"p90_ms\":%.3f,\"p99_ms\":%.3f,"
	       "\"max_ms\":%.3f}\n",
	       ok + errors, ok, errors, status[2], status[3], status[4], status[5], conns, secs,
	       secs > 0 ? (double)n / secs : 0, pct(all, n, 50), pct(all, n, 90), pct(all, n, 99),
	       n ? all[n - 1] : 0);
	free(all);
	free(w);
	free(request);
	free(headers);
	return errors || ok < total ? 1 : 0;
}
