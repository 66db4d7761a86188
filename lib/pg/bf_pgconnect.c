#include "pg/bf_pgconnect.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_exit.h"

int bf_pg_url_has_password(const char *url)
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

/* Whether to ask for sslmode=verify-full: a server not on this machine, and no mode
 * chosen by the URL or PGSSLMODE. */
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

int bf_pg_connect(const char *url, const char *opt, PGconn **out, struct bf_err *err)
{
	*out = NULL;
	if (bf_pg_url_has_password(url))
		return bf_fail(err, BF_EUSAGE, opt,
			       "the PostgreSQL URL contains a password; command lines are visible to every "
			       "user (ps): give it in PGPASSWORD or a .pgpass file and leave it out of the URL");
	int verify = wants_verify(url);
	PGconn *c;
	if (verify) {
		const char *const keys[] = { "dbname", "sslmode", NULL };
		const char *const vals[] = { url, "verify-full", NULL };
		c = PQconnectdbParams(keys, vals, 1);
	} else {
		c = PQconnectdb(url);
	}
	if (c && PQstatus(c) == CONNECTION_OK) {
		*out = c;
		return 0;
	}
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
	PQfinish(c);
	return code;
}
