#include <stdlib.h>

#include "base/bf_strv.h"
#include "base/bf_buf.h"

void bf_strv_take(struct bf_strv *s, char *str)
{
	s->v = bf_xrealloc(s->v, (s->n + 2) * sizeof *s->v);
	s->v[s->n++] = str;
	s->v[s->n] = NULL;
}

void bf_strv_push(struct bf_strv *s, const char *str)
{
	bf_strv_take(s, bf_xstrdup(str));
}

void bf_strv_free(struct bf_strv *s)
{
	for (size_t i = 0; i < s->n; i++)
		free(s->v[i]);
	free(s->v);
	s->v = NULL;
	s->n = 0;
}
