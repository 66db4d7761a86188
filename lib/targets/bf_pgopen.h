/* Opening a PostgreSQL connection the way every bf tool does: a URL with a password in
 * it is refused (command lines are visible to every user), TLS is verified for a server
 * not on this machine unless the URL or PGSSLMODE chooses a mode, and a failure is an
 * exit code (69 unreachable, 77 refused credentials, 78 TLS, 64 a bad URL). The caller
 * owns the connection (PQfinish). */
#ifndef BF_PGOPEN_H
#define BF_PGOPEN_H

#include <libpq-fe.h>

#include "base/bf_log.h"

int bf_pg_connect(const char *url, PGconn **out, struct bf_err *err);

#endif
