#include "base/bf_retry.h"

#include <errno.h>
#include <time.h>
#include <unistd.h>

static uint64_t splitmix(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ull);
	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

void bf_retry_init(struct bf_retry *r, int max_retries, int64_t base_ms, int64_t cap_ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	r->max_retries = max_retries < 0 ? 0 : max_retries;
	r->base_ms = base_ms > 0 ? base_ms : 200;
	r->cap_ms = cap_ms > 0 ? cap_ms : 30000;
	r->rng = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40);
}

int64_t bf_retry_delay_ms(struct bf_retry *r, int attempt, int64_t retry_after_ms)
{
	int64_t ceiling = r->base_ms;
	for (int i = 0; i < attempt && ceiling < r->cap_ms; i++)
		ceiling *= 2;
	if (ceiling > r->cap_ms)
		ceiling = r->cap_ms;
	int64_t d = (int64_t)(splitmix(&r->rng) % (uint64_t)(ceiling + 1));
	return retry_after_ms > d ? retry_after_ms : d;
}

void bf_sleep_ms(int64_t ms)
{
	struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
	while (ms > 0 && nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}
