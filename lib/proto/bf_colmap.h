/* Which column each member of a stream's records was found to be, by position. Records of
 * a stream list their members in the same order, so remembering the name last seen at each
 * position finds a member's column with one comparison instead of a search by name. What a
 * name maps to is the caller's: a column number and a tag (say, which lineage member it
 * is). A struct bf_colmap (BF_COLMAP_INIT) owns copies of the names; bf_colmap_free
 * releases them. */
#ifndef BF_COLMAP_H
#define BF_COLMAP_H

#include <stddef.h>
#include <string.h>

struct bf_colmap_slot {
	char *name;                /* NULL: nothing seen at this position yet */
	size_t len;
	int col, tag;
};

struct bf_colmap {
	struct bf_colmap_slot *slot;
	size_t n;
};
#define BF_COLMAP_INIT { NULL, 0 }

/* The slot of position pos when the member there is named name[0..len) as the last time,
 * else NULL (look the name up, then bf_colmap_set). */
static inline const struct bf_colmap_slot *bf_colmap_get(const struct bf_colmap *m, size_t pos,
							 const char *name, size_t len)
{
	const struct bf_colmap_slot *s = pos < m->n ? &m->slot[pos] : NULL;
	return s && s->name && s->len == len && !memcmp(s->name, name, len) ? s : NULL;
}

/* Remembers that the member at pos is named name[0..len) and maps to col and tag. */
void bf_colmap_set(struct bf_colmap *m, size_t pos, const char *name, size_t len, int col, int tag);
void bf_colmap_free(struct bf_colmap *m);

#endif
