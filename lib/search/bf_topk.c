#include "search/bf_topk.h"

#include <stdlib.h>

#include "base/bf_buf.h"

/* a is worse than b: a lower score, or the same score and a larger id */
static int worse(const struct bf_topk_item *a, const struct bf_topk_item *b)
{
	return a->score < b->score || (a->score == b->score && a->id > b->id);
}

void bf_topk_init(struct bf_topk *t, size_t k)
{
	t->k = k ? k : 1;
	t->n = 0;
	t->h = bf_xmalloc(t->k * sizeof *t->h);
}

void bf_topk_free(struct bf_topk *t)
{
	free(t->h);
	t->h = NULL;
	t->n = 0;
}

void bf_topk_clear(struct bf_topk *t)
{
	t->n = 0;
}

static void sift_down(struct bf_topk_item *h, size_t n, size_t i)
{
	for (;;) {
		size_t l = 2 * i + 1, r = l + 1, m = i;
		if (l < n && worse(&h[l], &h[m]))
			m = l;
		if (r < n && worse(&h[r], &h[m]))
			m = r;
		if (m == i)
			return;
		struct bf_topk_item x = h[i];
		h[i] = h[m];
		h[m] = x;
		i = m;
	}
}

void bf_topk_push(struct bf_topk *t, float score, int64_t id)
{
	struct bf_topk_item it = { score, id };
	if (t->n < t->k) {
		size_t i = t->n++;
		t->h[i] = it;
		while (i && worse(&t->h[i], &t->h[(i - 1) / 2])) {
			struct bf_topk_item x = t->h[i];
			t->h[i] = t->h[(i - 1) / 2];
			t->h[(i - 1) / 2] = x;
			i = (i - 1) / 2;
		}
		return;
	}
	if (!worse(&t->h[0], &it))
		return;
	t->h[0] = it;
	sift_down(t->h, t->n, 0);
}

void bf_topk_merge(struct bf_topk *t, const struct bf_topk *b)
{
	for (size_t i = 0; i < b->n; i++)
		bf_topk_push(t, b->h[i].score, b->h[i].id);
}

static int best_first(const void *a, const void *b)
{
	const struct bf_topk_item *x = a, *y = b;
	return worse(x, y) ? 1 : worse(y, x) ? -1 : 0;
}

void bf_topk_sort(struct bf_topk *t)
{
	qsort(t->h, t->n, sizeof *t->h, best_first);
}
