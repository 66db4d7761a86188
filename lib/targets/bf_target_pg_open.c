/* Opening the PostgreSQL target: the URL never carries a password (libpq takes it from
 * PGPASSWORD or the .pgpass file), and TLS is verified for a server not on this machine. */
#include <stdlib.h>
#include <string.h>
#include <libpq-fe.h>

#include "base/bf_exit.h"
#include "targets/bf_target_pg_int.h"

/* A password in the URL would be visible in ps and logs: refused. */
static int url_has_password(const char *url)
{
	const char *a = strstr(url, "://");
	a = a ? a + 3 : url;
	size_t n = strcspn(a, "/?#");
	const char *at = memchr(a, '@', n);
	if (at && memchr(a, ':', (size_t)(at - a)))
		return 1;
	const char *q = strchr(url, '?');
	return q && (strstr(q, "password=") != NULL);
}

/* A host on this machine: a socket directory, localhost, 127.0.0.0/8 or ::1. */
static int host_is_local(const char *h, size_t n)
{
	return n == 0 || h[0] == '/' || h[0] == '@' || (n == 9 && !strncmp(h, "localhost", 9)) ||
	       (n >= 4 && !strncmp(h, "127.", 4)) || (n == 3 && !strncmp(h, "::1", 3));
}

/* TLS is verified by default: a server not on this machine gets sslmode=verify-full
 * unless the URL or PGSSLMODE chooses a mode (libpq's own default, prefer, encrypts
 * without checking whom it talks to). */
static int wants_verify(const char *url)
{
	const char *env = getenv("PGSSLMODE");
	if (env && *env)
		return 0;
	char *e = NULL;
	PQconninfoOption *opts = PQconninfoParse(url, &e);
	if (!opts) {
		PQfreemem(e);
		return 0; /* the connection reports it */
	}
	const char *hosts = NULL, *mode = NULL;
	for (PQconninfoOption *p = opts; p->keyword; p++) {
		if (!strcmp(p->keyword, "host"))
			hosts = p->val;
		else if (!strcmp(p->keyword, "sslmode"))
			mode = p->val;
	}
	if (!hosts || !*hosts)
		hosts = getenv("PGHOST");
	int remote = 0;
	for (const char *h = hosts; h && *h && !remote && !mode;) {
		size_t n = strcspn(h, ",");
		remote = !host_is_local(h, n);
		h += n + (h[n] == ',');
	}
	PQconninfoFree(opts);
	return remote;
}

static PGconn *connect_to(const char *url, int verify)
{
	if (!verify)
		return PQconnectdb(url);
	const char *const keys[] = { "dbname", "sslmode", NULL };
	const char *const vals[] = { url, "verify-full", NULL };
	return PQconnectdbParams(keys, vals, 1);
}

int bf_target_pg_open(const char *url, const struct bf_target_opts *o, struct bf_target **out,
		      struct bf_err *err)
{
	*out = NULL;
	if (url_has_password(url))
		return bf_fail(err, BF_EUSAGE, "--target",
			       "the PostgreSQL URL contains a password; command lines are visible to every "
			       "user (ps): give it in PGPASSWORD or a .pgpass file and leave it out of the URL");
	struct pgt *t = bf_xcalloc(1, sizeof *t);
	t->base.ops = &pgt_ops;
	t->base.display = bf_xstrdup(url);
	t->schema = bf_xstrdup(o && o->pg_schema ? o->pg_schema : "public");
	t->rebuild_keys = o && o->rebuild_keys;
	int verify = wants_verify(url);
	bf_pgconn_init(&t->k, connect_to(url, verify), t->base.display);
	PGconn *c = t->k.c;
	int rc;
	if (!c || PQstatus(c) != CONNECTION_OK) {
		const char *m = c ? PQerrorMessage(c) : "out of memory";
		int code = BF_EUNAVAIL;
		if (c && (PQconnectionNeedsPassword(c) || strstr(m, "authentication failed") ||
			     strstr(m, "no password supplied") || strstr(m, "permission denied")))
			code = BF_ENOPERM;
		else if (strstr(m, "invalid") && strstr(m, "URI"))
			code = BF_EUSAGE;
		int tls = c && verify && (strstr(m, "SSL") || strstr(m, "certificate"));
		if (tls)
			code = BF_ECONFIG;
		int n = (int)strlen(m);
		while (n && (m[n - 1] == '\n' || m[n - 1] == ' '))
			n--;
		bf_fail(err, code, url, "cannot connect: %.*s%s", n, m,
			tls ? " (TLS is verified for a server not on this machine: give its CA in sslrootcert= or"
			      " PGSSLROOTCERT, or choose sslmode= in the URL or PGSSLMODE)" : "");
		pgt_close(&t->base);
		return code;
	}
	if ((rc = pgt_run(t, "SET client_encoding = 'UTF8'; SET TimeZone = 'UTC'; SET client_min_messages = warning",
			  0, NULL, err)) || (rc = pgt_setup(t, err))) {
		pgt_close(&t->base);
		return rc;
	}
	*out = &t->base;
	return 0;
}
