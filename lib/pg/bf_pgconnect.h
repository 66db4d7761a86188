/* Opening a libpq connection the way every bf tool does, for bf-load's target and
 * bf-extract's source, bf-search and bf-serve alike:
 *   - a URL holding a password is refused (BF_EUSAGE): command lines are visible to every
 *     user; libpq takes the password from PGPASSWORD, ~/.pgpass or PGPASSFILE;
 *   - TLS is verified for a server not on this machine: sslmode=verify-full unless the
 *     URL or PGSSLMODE chooses a mode (libpq's own default, prefer, encrypts without
 *     checking whom it talks to);
 *   - a failure gets its exit code: 77 a refused login, 78 a TLS verification failure,
 *     64 a malformed URL, 69 otherwise (server down or unreachable).
 * The caller owns the connection it gets (PQfinish). */
#ifndef BF_PGCONNECT_H
#define BF_PGCONNECT_H

#include <libpq-fe.h>

#include "base/bf_log.h"

/* 1 when the URL's user part or its parameters hold a password. */
int bf_pg_url_has_password(const char *url);
/* Connects to url. opt names the option it came from ("--target", "--source") in the
 * message about a password. Returns 0 with *out set, or the exit code with err filled
 * (nothing left open). */
int bf_pg_connect(const char *url, const char *opt, PGconn **out, struct bf_err *err);

#endif
