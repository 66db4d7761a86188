/* Words of a text query, and reciprocal rank fusion of two rankings. */
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "search/bf_search_int.h"

static int word_byte(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c >= 0x80;
}

char **bf_search_words(const char *text, size_t *n)
{
	char **w = NULL;
	*n = 0;
	for (const char *p = text; *p;) {
		while (*p && !word_byte((unsigned char)*p))
			p++;
		const char *start = p;
		while (*p && word_byte((unsigned char)*p))
			p++;
		if (p > start) {
			w = bf_xrealloc(w, (*n + 1) * sizeof *w);
			w[(*n)++] = bf_xstrndup(start, (size_t)(p - start));
		}
	}
	return w;
}

void bf_search_words_free(char **w, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(w[i]);
	free(w);
}

void bf_search_rrf(const int64_t *a, size_t na, const int64_t *b, size_t nb, struct bf_topk *top)
{
	size_t cap = na + nb;
	int64_t *ids = bf_xmalloc((cap + 1) * sizeof *ids);
	double *sc = bf_xmalloc((cap + 1) * sizeof *sc);
	size_t n = 0;
	for (int list = 0; list < 2; list++) {
		const int64_t *l = list ? b : a;
		size_t ln = list ? nb : na;
		for (size_t r = 0; r < ln; r++) {
			size_t i = 0;
			while (i < n && ids[i] != l[r])
				i++;
			if (i == n) {
				ids[n] = l[r];
				sc[n++] = 0;
			}
			sc[i] += 1.0 / (BF_SEARCH_RRF_K + (double)(r + 1));
		}
	}
	for (size_t i = 0; i < n; i++)
		bf_topk_push(top, (float)sc[i], ids[i]);
	free(ids);
	free(sc);
}
