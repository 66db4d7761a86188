/* What bf-enrich keeps of a model API's refusal (a 4xx answer other than 401/403/429):
 * the status and the error message the body carries, redacted and bounded, because a
 * server may echo the request, the API key included. Nothing is owned. */
#ifndef BF_MODEL_REFUSAL_H
#define BF_MODEL_REFUSAL_H

#include <stddef.h>

/* Writes into out (n bytes, NUL-terminated) the message of body[0..len): the string at
 * error.message, error or message of a JSON object, at most 100 bytes, printable ASCII
 * only, with the key (key may be NULL), any 8 bytes of it, "Bearer <token>" and any
 * token-like run of 20 or more letters, digits, '-' and '_' (with a digit and a letter)
 * replaced by "[redacted]". A body without such a message gives "(no message)": the body
 * itself is never copied. */
void bf_model_refusal(const char *body, size_t len, const char *key, char *out, size_t n);

#endif
