/* SHA-256 of a byte stream computed on a second thread, so that checksumming a file
 * overlaps parsing it. bf_hasher_update copies the bytes (the caller may reuse its
 * buffer at once); bf_hasher_final waits for the queued bytes, gives the hex digest and
 * starts a new digest. One owner thread; bf_hasher_free(NULL) is a no-op. */
#ifndef BF_HASHER_H
#define BF_HASHER_H

#include <stddef.h>

struct bf_hasher;

/* NULL when the thread cannot be started (callers then hash inline). */
struct bf_hasher *bf_hasher_new(void);
void bf_hasher_update(struct bf_hasher *h, const void *data, size_t n);
void bf_hasher_final(struct bf_hasher *h, char hex[65]);
void bf_hasher_free(struct bf_hasher *h);

#endif
