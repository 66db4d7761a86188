#include "base/bf_strmap.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"

/* FNV-1a */
static size_t hash_of(const char *s)
{
	size_t h = (size_t)14695981039346656037ULL;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++)
		h = (h ^ *p) * (size_t)1099511628211ULL;
	return h;
}

static struct bf_strmap_slot *find(const struct bf_strmap *m, const char *key, size_t h)
{
	size_t mask = m->cap - 1;
	for (size_t i = h & mask;; i = (i + 1) & mask) {
		struct bf_strmap_slot *s = &m->slot[i];
		if (!s->key || (s->hash == h && !strcmp(s->key, key)))
			return s;
	}
}

static void grow(struct bf_strmap *m)
{
	struct bf_strmap old = *m;
	m->cap = old.cap ? old.cap * 2 : 16;
	m->slot = bf_xcalloc(m->cap, sizeof *m->slot);
	for (size_t i = 0; i < old.cap; i++)
		if (old.slot[i].key)
			*find(m, old.slot[i].key, old.slot[i].hash) = old.slot[i];
	free(old.slot);
}

void bf_strmap_put(struct bf_strmap *m, const char *key, size_t val)
{
	if ((m->n + 1) * 4 > m->cap * 3)
		grow(m);
	size_t h = hash_of(key);
	struct bf_strmap_slot *s = find(m, key, h);
	if (!s->key) {
		s->key = bf_xstrdup(key);
		s->hash = h;
		m->n++;
	}
	s->val = val;
}

int bf_strmap_get(const struct bf_strmap *m, const char *key, size_t *val)
{
	if (!m->n)
		return 0;
	const struct bf_strmap_slot *s = find(m, key, hash_of(key));
	if (!s->key)
		return 0;
	*val = s->val;
	return 1;
}

void bf_strmap_free(struct bf_strmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slot[i].key);
	free(m->slot);
	m->slot = NULL;
	m->cap = m->n = 0;
}
