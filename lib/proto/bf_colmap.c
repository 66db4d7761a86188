#include "proto/bf_colmap.h"

#include <stdlib.h>

#include "base/bf_buf.h"

void bf_colmap_set(struct bf_colmap *m, size_t pos, const char *name, size_t len, int col, int tag)
{
	if (pos >= m->n) {
		m->slot = bf_xrealloc(m->slot, (pos + 1) * sizeof *m->slot);
		memset(m->slot + m->n, 0, (pos + 1 - m->n) * sizeof *m->slot);
		m->n = pos + 1;
	}
	struct bf_colmap_slot *s = &m->slot[pos];
	free(s->name);
	s->name = bf_xstrndup(name, len);
	s->len = len;
	s->col = col;
	s->tag = tag;
}

void bf_colmap_free(struct bf_colmap *m)
{
	for (size_t i = 0; i < m->n; i++)
		free(m->slot[i].name);
	free(m->slot);
	m->slot = NULL;
	m->n = 0;
}
