/* Retry timing for transient faults: exponential backoff with full jitter
 * (delay = random in [0, min(cap, base * 2^attempt)]), honouring a server's Retry-After.
 * struct bf_retry holds its own PRNG state; no allocation. */
#ifndef BF_RETRY_H
#define BF_RETRY_H

#include <stdint.h>

struct bf_retry {
	int max_retries;           /* attempts after the first */
	int64_t base_ms, cap_ms;   /* defaults 200 ms and 30 s */
	uint64_t rng;              /* seeded by bf_retry_init */
};

void bf_retry_init(struct bf_retry *r, int max_retries, int64_t base_ms, int64_t cap_ms);
/* The delay before retry number attempt (0-based); retry_after_ms >= 0 is a floor the
 * server asked for. */
int64_t bf_retry_delay_ms(struct bf_retry *r, int attempt, int64_t retry_after_ms);
/* Sleeps ms milliseconds (restarting after signals). */
void bf_sleep_ms(int64_t ms);

#endif
