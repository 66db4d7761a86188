/* Connecting to PostgreSQL the one bf way (bf-load's target, bf-search): a URL with a
 * password is refused (command lines are visible to every user); the password comes
 * from PGPASSWORD or the .pgpass file; TLS is verified (sslmode=verify-full) for a server
 * not on this machine unless the URL or PGSSLMODE chooses a mode. The caller owns the
 * connection (PQfinish). */
#ifndef BF_PGCONNECT_H
#define BF_PGCONNECT_H

#include <libpq-fe.h>

#include "base/bf_log.h"

/* Returns 0 with *out connected, or 64 (password in the URL, bad URL), 77 (refused
 * credentials), 78 (TLS that does not verify), 69 (server unavailable). */
int bf_pg_connect(const char *url, PGconn **out, struct bf_err *err);

#endif
