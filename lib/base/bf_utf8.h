/* UTF-8 validation (RFC 3629: no overlongs, no surrogates, nothing above U+10FFFF). */
#ifndef BF_UTF8_H
#define BF_UTF8_H

#include <stddef.h>

/* Returns 1 when s[0..len) is valid UTF-8; otherwise 0 and *bad = offset of the first
 * invalid byte (bad may be NULL). */
int bf_utf8_valid(const char *s, size_t len, size_t *bad);

#endif
