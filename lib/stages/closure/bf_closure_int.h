/* What the files of bf-closure share (lib/stages/closure/ only): lists of stream names,
 * each name owned by its list (strdup'ed when added, freed with the list). */
#ifndef BF_CLOSURE_INT_H
#define BF_CLOSURE_INT_H

#include <stddef.h>
#include <string.h>

#include "base/bf_buf.h"
#include "stages/closure/bf_closure.h"

static inline int bf_closure_strv_has(char *const *v, size_t n, const char *s)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i], s))
			return 1;
	return 0;
}

/* Adds a copy of s to the list *v of *n names, unless it is there already. */
static inline void bf_closure_strv_add(char ***v, size_t *n, const char *s)
{
	if (bf_closure_strv_has(*v, *n, s))
		return;
	*v = bf_xrealloc(*v, (*n + 1) * sizeof **v);
	(*v)[(*n)++] = bf_xstrdup(s);
}

#endif
