/* Secrets out of everything bf records or prints: the one function every place that
 * writes a command line, a URL or a message goes through (the runs table, the JSON log,
 * stderr, the errors of the state file, bf-report's output). It masks, with "***":
 *   - the password of a URL's userinfo: scheme://user:SECRET@host -> scheme://user:***@host;
 *   - the value of a parameter named password, passwd, sslpassword, key, apikey, api_key,
 *     token, access_token or secret (any case), in a query string (?password=...&) or a
 *     connection string (host=db password=... or password='...'), the name standing at
 *     the start or after a space, ?, &, ;, a comma or a quote (so "order.key=integer"
 *     is left alone).
 * A leaf: it uses nothing else of bf, so that logging can call it. */
#ifndef BF_REDACT_H
#define BF_REDACT_H

#include <stddef.h>

/* Writes s with its secrets masked into dst[0..cap) (NUL-terminated, cut to fit when
 * cap is too small; dst may be NULL when cap is 0). Returns the length of the whole
 * masked text, as snprintf does. s NULL is the empty string. */
size_t bf_redact_to(char *dst, size_t cap, const char *s);
/* The masked text, allocated (abort when memory is exhausted); NULL for NULL. */
char *bf_redact(const char *s);
/* 1 when s holds a secret that bf_redact masks, else 0. */
int bf_has_secret(const char *s);

#endif
