/* A map from names (NUL-terminated strings) to numbers, by open addressing: the loader
 * finds a stream among thousands in constant time. The map owns copies of its names;
 * BF_STRMAP_INIT or zeroed memory is an empty map, bf_strmap_free() releases it. */
#ifndef BF_STRMAP_H
#define BF_STRMAP_H

#include <stddef.h>

struct bf_strmap_slot {
	char *key;                 /* NULL: empty */
	size_t hash, val;
};

struct bf_strmap {
	struct bf_strmap_slot *slot;
	size_t cap, n;             /* cap: a power of two, or 0 */
};
#define BF_STRMAP_INIT { NULL, 0, 0 }

/* Sets key to val (replacing the value of a key already there). */
void bf_strmap_put(struct bf_strmap *m, const char *key, size_t val);
/* 1 and *val when key is there, else 0. */
int bf_strmap_get(const struct bf_strmap *m, const char *key, size_t *val);
void bf_strmap_free(struct bf_strmap *m);

#endif
