/* The k best (score, id) pairs of a stream of candidates: a min-heap of k. Ties are broken
 * by the smaller id, so that results do not depend on the order of the scan. The caller
 * owns the struct; bf_topk_free releases the heap. */
#ifndef BF_TOPK_H
#define BF_TOPK_H

#include <stddef.h>
#include <stdint.h>

struct bf_topk_item {
	float score;
	int64_t id;
};

struct bf_topk {
	struct bf_topk_item *h;
	size_t n, k;
};

void bf_topk_init(struct bf_topk *t, size_t k);
void bf_topk_free(struct bf_topk *t);
void bf_topk_clear(struct bf_topk *t);
/* The lowest score kept once full (candidates not above it cannot enter), else -INFINITY. */
static inline float bf_topk_floor(const struct bf_topk *t)
{
	return t->n < t->k ? -__builtin_inff() : t->h[0].score;
}
void bf_topk_push(struct bf_topk *t, float score, int64_t id);
/* Adds every item of b. */
void bf_topk_merge(struct bf_topk *t, const struct bf_topk *b);
/* Sorts the items best first (the heap is then no longer a heap: clear it before reuse). */
void bf_topk_sort(struct bf_topk *t);

#endif
