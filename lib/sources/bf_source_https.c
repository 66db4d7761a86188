/* https:// source through libcurl. A date folder's listing is the configured file names
 * (--files); whether a file exists is learned when it is opened (404: missing). TLS is
 * always verified (--ca-file adds the CA to trust). Bodies are streamed through one curl
 * multi handle (connections reused), never buffered whole; 5xx, 429, timeouts and resets
 * are retried with backoff and jitter, resuming with a Range request from the byte
 * reached, and Content-Length is checked. Redirects are not followed (CURLOPT_FOLLOWLOCATION
 * off): a 3xx answer refuses the file, naming where it pointed. */
#include "sources/bf_source_backend.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "sources/bf_layout.h"
#include "base/bf_retry.h"

#define TRANSIENT (-1)
#define DEFAULT_TEMPLATE "{location}/{yyyymmdd}/{file}"

struct https_src {
	struct bf_source *s;
	char *base;                /* "https://host[:port]/base/" */
	const char *tmpl;
	struct bf_layout layout;
	CURLM *multi;              /* keeps the connection cache across files */
	struct bf_retry retry;
};

struct https_file {
	struct https_src *c;
	char *rel, *url;
	CURL *easy;
	int running, done;
	CURLcode result;
	long status;
	long long off;             /* bytes handed to the caller */
	long long req_start;       /* first byte asked for by the current request */
	long long skip;            /* bytes to drop (server ignored the Range) */
	long long total;           /* whole size when known, else -1 */
	long long retry_after_ms;
	struct bf_buf buf;
	size_t bpos;
	char errbuf[CURL_ERROR_SIZE];
	char last[512];
};

static int curl_ready;

/* ---- URLs ---------------------------------------------------------------------------- */

static void add_escaped(struct bf_buf *b, const char *s)
{
	static const char hexd[] = "0123456789ABCDEF";
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
		    *p == '-' || *p == '.' || *p == '_' || *p == '~') {
			bf_buf_addc(b, (char)*p);
		} else {
			bf_buf_addc(b, '%');
			bf_buf_addc(b, hexd[*p >> 4]);
			bf_buf_addc(b, hexd[*p & 15]);
		}
	}
}

/* The URL of rel ("<folder by the layout>/<file>"), or NULL when rel is not a date
 * folder's file. */
static char *url_of(struct https_src *c, const char *rel)
{
	const char *slash = strrchr(rel, '/');
	if (!slash)
		return NULL;
	struct bf_layout_caps caps = { -1, -1, -1, "" };
	char *dir = bf_xstrndup(rel, (size_t)(slash - rel));
	const char *file = slash + 1;
	size_t i = 0;
	int ok = 1;
	for (char *seg = dir, *next; ok && seg; seg = next, i++) {
		next = strchr(seg, '/');
		if (next)
			*next++ = '\0';
		ok = i < c->layout.n && bf_layout_match(&c->layout, i, seg, &caps);
	}
	free(dir);
	if (!ok || i != c->layout.n || caps.y < 0 || caps.m < 0 || caps.d < 0 ||
	    (c->layout.loc_seg >= 0 && !bf_name_safe(caps.location)) || !bf_name_safe(file))
		return NULL;
	char v[32];
	struct bf_buf u = BF_BUF_INIT;
	bf_buf_adds(&u, c->base);
	const char *t = c->tmpl;
	while (*t == '/')
		t++;
	while (*t) {
		const char *close = *t == '{' ? strchr(t, '}') : NULL;
		if (!close) {
			bf_buf_addc(&u, *t++);
			continue;
		}
		size_t n = (size_t)(close - t + 1);
		if (!strncmp(t, "{location}", n)) {
			add_escaped(&u, caps.location);
		} else if (!strncmp(t, "{file}", n)) {
			add_escaped(&u, file);
		} else if (!strncmp(t, "{yyyymmdd}", n)) {
			snprintf(v, sizeof v, "%04d%02d%02d", caps.y, caps.m, caps.d);
			bf_buf_adds(&u, v);
		} else if (!strncmp(t, "{date}", n)) {
			snprintf(v, sizeof v, "%04d-%02d-%02d", caps.y, caps.m, caps.d);
			bf_buf_adds(&u, v);
		} else if (!strncmp(t, "{yyyy}", n)) {
			snprintf(v, sizeof v, "%04d", caps.y);
			bf_buf_adds(&u, v);
		} else if (!strncmp(t, "{mm}", n)) {
			snprintf(v, sizeof v, "%02d", caps.m);
			bf_buf_adds(&u, v);
		} else if (!strncmp(t, "{dd}", n)) {
			snprintf(v, sizeof v, "%02d", caps.d);
			bf_buf_adds(&u, v);
		} else {
			bf_buf_add(&u, t, n);
		}
		t += n;
	}
	return bf_buf_detach(&u);
}

/* ---- one transfer --------------------------------------------------------------------- */

static size_t on_header(char *p, size_t size, size_t nitems, void *ud)
{
	struct https_file *f = ud;
	size_t n = size * nitems;
	if (n > 5 && !strncmp(p, "HTTP/", 5)) {
		f->status = 0;
		f->retry_after_ms = -1;
		return n;
	}
	if (n > 12 && !strncasecmp(p, "Retry-After:", 12)) {
		long s = strtol(p + 12, NULL, 10);
		if (s > 0 && s < 3600)
			f->retry_after_ms = s * 1000LL;
	}
	return n;
}

static size_t on_body(char *p, size_t size, size_t nitems, void *ud)
{
	struct https_file *f = ud;
	size_t n = size * nitems;
	if (!f->status) {
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);
		if (f->status == 200 || f->status == 206) {
			curl_off_t cl = -1;
			curl_easy_getinfo(f->easy, CURLINFO_CONTENT_LENGTH_DOWNLOAD_T, &cl);
			long long start = f->status == 206 ? f->req_start : 0;
			if (cl >= 0)
				f->total = start + (long long)cl;
			/* a 200 to a Range request restarts from byte 0 */
			f->skip = f->status == 200 ? f->req_start : 0;
		}
	}
	if (f->status != 200 && f->status != 206)
		return n;  /* an error page: drop it */
	if (f->skip) {
		size_t k = (long long)n < f->skip ? n : (size_t)f->skip;
		f->skip -= (long long)k;
		p += k;
		if (k == n)
			return n;
		bf_buf_add(&f->buf, p, n - k);
		return n;
	}
	bf_buf_add(&f->buf, p, n);
	return n;
}

static void stop(struct https_file *f)
{
	if (f->easy) {
		if (f->running)
			curl_multi_remove_handle(f->c->multi, f->easy);
		curl_easy_cleanup(f->easy);
	}
	f->easy = NULL;
	f->running = 0;
}

static int start(struct https_file *f, struct bf_err *err)
{
	struct https_src *c = f->c;
	const struct bf_source_opts *o = &c->s->opts;
	char range[48];
	stop(f);
	f->easy = curl_easy_init();
	if (!f->easy)
		return bf_fail(err, BF_EOS, f->rel, "curl_easy_init failed");
	CURL *e = f->easy;
	curl_easy_setopt(e, CURLOPT_URL, f->url);
#if LIBCURL_VERSION_NUM >= 0x075500
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "https");
#else
	curl_easy_setopt(e, CURLOPT_PROTOCOLS, (long)CURLPROTO_HTTPS);
#endif
	/* a redirect is never followed: it could lead to another host or outside the base */
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	if (o->ca_file)
		curl_easy_setopt(e, CURLOPT_CAINFO, o->ca_file);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long)(o->timeout * 1000));
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_LIMIT, 1L);
	curl_easy_setopt(e, CURLOPT_LOW_SPEED_TIME, (long)(o->timeout < 1 ? 1 : o->timeout));
	curl_easy_setopt(e, CURLOPT_USERAGENT, "bf/" BF_VERSION);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, f);
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, f);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, f->errbuf);
	curl_easy_setopt(e, CURLOPT_BUFFERSIZE, 256L * 1024);
	f->errbuf[0] = '\0';
	f->req_start = f->off;
	f->skip = 0;
	f->status = 0;
	f->retry_after_ms = -1;
	f->done = 0;
	if (f->off > 0) {
		snprintf(range, sizeof range, "%lld-", f->off);
		curl_easy_setopt(e, CURLOPT_RANGE, range);
	}
	if (curl_multi_add_handle(c->multi, e) != CURLM_OK)
		return bf_fail(err, BF_ESOFTWARE, f->rel, "curl_multi_add_handle failed");
	f->running = 1;
	return 0;
}

/* Drives the transfer until body bytes are buffered or it ends. */
static void pump(struct https_file *f)
{
	CURLM *m = f->c->multi;
	while (!f->done && f->bpos == f->buf.len) {
		int still = 0, nmsg;
		curl_multi_perform(m, &still);
		CURLMsg *msg;
		while ((msg = curl_multi_info_read(m, &nmsg)))
			if (msg->msg == CURLMSG_DONE && msg->easy_handle == f->easy) {
				f->done = 1;
				f->result = msg->data.result;
			}
		if (f->done || f->bpos < f->buf.len)
			break;
		curl_multi_poll(m, NULL, 0, 1000, NULL);
	}
	if (f->done && f->status == 0)
		curl_easy_getinfo(f->easy, CURLINFO_RESPONSE_CODE, &f->status);
}

static int transient_curl(CURLcode r)
{
	switch (r) {
	case CURLE_COULDNT_CONNECT: case CURLE_OPERATION_TIMEDOUT: case CURLE_RECV_ERROR:
	case CURLE_SEND_ERROR: case CURLE_GOT_NOTHING: case CURLE_PARTIAL_FILE:
	case CURLE_SSL_CONNECT_ERROR: case CURLE_COULDNT_RESOLVE_HOST: case CURLE_HTTP2:
	case CURLE_HTTP2_STREAM:
		return 1;
	default:
		return 0;
	}
}

/* A finished transfer: 0 complete, TRANSIENT (f->last set), BF_ENOINPUT for 404/410
 * before any byte, or an exit code in err. */
static int verdict(struct https_file *f, struct bf_err *err)
{
	if (f->result != CURLE_OK) {
		if (f->result == CURLE_PEER_FAILED_VERIFICATION)
			return bf_fail(err, BF_ENOPERM, f->url, "TLS verification failed: %s (--ca-file names the CA to trust)",
				       f->errbuf[0] ? f->errbuf : curl_easy_strerror(f->result));
		if (transient_curl(f->result)) {
			snprintf(f->last, sizeof f->last, "%s",
				 f->errbuf[0] ? f->errbuf : curl_easy_strerror(f->result));
			return TRANSIENT;
		}
		return bf_fail(err, BF_EUNAVAIL, f->url, "%s", f->errbuf[0] ? f->errbuf : curl_easy_strerror(f->result));
	}
	long st = f->status;
	if (st == 200 || st == 206) {
		long long have = f->off + (long long)(f->buf.len - f->bpos);
		if (f->total >= 0 && have != f->total) {
			snprintf(f->last, sizeof f->last, "got %lld of %lld bytes", have, f->total);
			return TRANSIENT;
		}
		return 0;
	}
	if ((st == 404 || st == 410) && f->off == 0)
		return bf_fail(err, BF_ENOINPUT, f->rel, "not found (HTTP %ld)", st);
	if (st == 401 || st == 403)
		return bf_fail(err, BF_ENOPERM, f->url, "refused (HTTP %ld)", st);
	if (st >= 300 && st < 400 && st != 304) {
		char *to = NULL;
		curl_easy_getinfo(f->easy, CURLINFO_REDIRECT_URL, &to);
		/* where it points, without a query (a signed URL's token stays out of logs) */
		return bf_fail(err, BF_SOURCE_UNREADABLE, f->rel,
			       "refused: HTTP %ld redirects to %.*s (bf follows no redirect)", st,
			       to ? (int)strcspn(to, "?#") : 7, to ? to : "nowhere");
	}
	if (st >= 500 || st == 429 || st == 408) {
		snprintf(f->last, sizeof f->last, "HTTP %ld", st);
		return TRANSIENT;
	}
	if (st == 416 && f->total >= 0 && f->off == f->total)
		return 0;
	return bf_fail(err, BF_EUNAVAIL, f->url, "unexpected answer HTTP %ld", st);
}

/* Waits before retry number *attempt, or gives up with 69. */
static int backoff(struct https_file *f, int *attempt, struct bf_err *err)
{
	const struct bf_source_opts *o = &f->c->s->opts;
	if (*attempt >= o->retries)
		return bf_fail(err, BF_EUNAVAIL, f->rel, "server unavailable after %d retries: %s", o->retries, f->last);
	int64_t d = bf_retry_delay_ms(&f->c->retry, *attempt, f->retry_after_ms);
	bf_warn(f->rel, "%s; retry %d of %d%s in %.1f s", f->last, *attempt + 1, o->retries,
		f->off ? " (resuming)" : "", (double)d / 1000);
	bf_sleep_ms(d);
	(*attempt)++;
	return 0;
}

/* Fills the buffer or reaches the end: 0 (data or end), or an exit code. */
static int fill(struct https_file *f, int *attempt, struct bf_err *err)
{
	for (;;) {
		pump(f);
		if (f->bpos < f->buf.len)
			return 0;
		int rc = verdict(f, err);
		if (rc != TRANSIENT)
			return rc;
		if ((rc = backoff(f, attempt, err)) || (rc = start(f, err)))
			return rc;
	}
}

static int https_open(struct bf_source *s, const char *rel, const struct bf_entry *e, void **fh,
		      struct bf_err *err)
{
	struct https_src *c = s->impl;
	(void)e;
	char *url = url_of(c, rel);
	if (!url)
		return bf_fail(err, BF_EUSAGE, rel, "does not match the folder layout");
	struct https_file *f = bf_xcalloc(1, sizeof *f);
	f->c = c;
	f->rel = bf_xstrdup(rel);
	f->url = url;
	f->total = -1;
	int attempt = 0, rc = start(f, err);
	if (!rc)
		rc = fill(f, &attempt, err);
	if (rc) {
		stop(f);
		bf_buf_free(&f->buf);
		free(f->rel);
		free(f->url);
		free(f);
		return rc;
	}
	*fh = f;
	return 0;
}

static long https_read(void *fh, void *out, size_t len, struct bf_err *err)
{
	struct https_file *f = fh;
	if (f->bpos == f->buf.len) {
		bf_buf_reset(&f->buf);
		f->bpos = 0;
		int attempt = 0, rc = fill(f, &attempt, err);
		if (rc)
			return -rc;
		if (f->bpos == f->buf.len)
			return 0;
	}
	size_t k = f->buf.len - f->bpos;
	if (k > len)
		k = len;
	memcpy(out, f->buf.p + f->bpos, k);
	f->bpos += k;
	f->off += (long long)k;
	return (long)k;
}

static int https_close(void *fh, struct bf_err *err)
{
	struct https_file *f = fh;
	(void)err;
	stop(f);
	bf_buf_free(&f->buf);
	free(f->rel);
	free(f->url);
	free(f);
	return 0;
}

static int https_list(struct bf_source *s, const char *dir, struct bf_entry **ents, size_t *n, int *missing,
		      struct bf_err *err)
{
	struct https_src *c = s->impl;
	(void)err;
	*missing = 0;
	/* only a date folder has a listing: the configured names */
	struct bf_buf probe = BF_BUF_INIT;
	bf_buf_adds(&probe, dir);
	bf_buf_adds(&probe, "/x");
	char *u = url_of(c, probe.p);
	bf_buf_free(&probe);
	if (!u)
		return 0;
	free(u);
	*ents = bf_xcalloc(s->opts.nfile_names, sizeof **ents);
	for (size_t i = 0; i < s->opts.nfile_names; i++) {
		(*ents)[i] = (struct bf_entry){ bf_xstrdup(s->opts.file_names[i]), BF_ENT_FILE, -1, -1, NULL };
		(*n)++;
	}
	return 0;
}

static void https_free(struct bf_source *s)
{
	struct https_src *c = s->impl;
	if (!c)
		return;
	if (c->multi)
		curl_multi_cleanup(c->multi);
	bf_layout_free(&c->layout);
	free(c->base);
	free(c);
}

static const struct bf_source_ops https_ops = {
	"https", https_list, https_open, https_read, https_close, https_free,
};

int bf_source_https_open(const char *url, struct bf_source *s, struct bf_err *err)
{
	const struct bf_source_opts *o = &s->opts;
	const char *host = url + 8;
	size_t hl = strcspn(host, "/?#");
	if (memchr(host, '@', hl))
		return bf_fail(err, BF_EUSAGE, "--source", "credentials in the URL are refused (they would show in ps)");
	if (strpbrk(url, "?#"))
		return bf_fail(err, BF_EUSAGE, url, "a query or fragment in the source URL is not supported");
	if (!o->nfile_names)
		return bf_fail(err, BF_EUSAGE, url, "https sources need --files NAMES (the files of each date)");
	for (size_t i = 0; i < o->nfile_names; i++)
		if (!bf_name_safe(o->file_names[i]))
			return bf_fail(err, BF_EUSAGE, "--files", "unsafe file name \"%s\"", o->file_names[i]);
	if (!curl_ready) {
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			return bf_fail(err, BF_ESOFTWARE, url, "curl_global_init failed");
		curl_ready = 1;
	}
	struct https_src *c = bf_xcalloc(1, sizeof *c);
	c->s = s;
	c->tmpl = o->url_template && *o->url_template ? o->url_template : DEFAULT_TEMPLATE;
	if (bf_layout_parse(o->layout ? o->layout : BF_LAYOUT_DEFAULT, &c->layout, err)) {
		free(c);
		return err->code;
	}
	struct bf_buf b = BF_BUF_INIT;
	bf_buf_adds(&b, url);
	if (b.p[b.len - 1] != '/')
		bf_buf_addc(&b, '/');
	c->base = bf_buf_detach(&b);
	c->multi = curl_multi_init();
	bf_retry_init(&c->retry, o->retries, 200, 10000);
	s->impl = c;
	s->ops = &https_ops;
	s->canon = bf_xstrdup(c->base);
	return 0;
}
