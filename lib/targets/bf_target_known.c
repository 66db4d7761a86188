#include "targets/bf_target_known.h"

#include <stdlib.h>
#include <string.h>

#include "base/bf_exit.h"
#include "targets/bf_target_backend.h"

static const char *map_key(const struct bf_known *k, const char *name, struct bf_buf *b)
{
	if (!k->fold)
		return name;
	bf_buf_reset(b);
	for (const char *p = name; *p; p++)
		bf_buf_addc(b, *p >= 'A' && *p <= 'Z' ? (char)(*p - 'A' + 'a') : *p);
	return b->p;
}

void bf_known_add(struct bf_known *k, const char *name, const char *keys)
{
	struct bf_buf f = BF_BUF_INIT;
	k->t = bf_xrealloc(k->t, (k->n + 1) * sizeof *k->t);
	k->t[k->n].name = bf_xstrdup(name);
	k->t[k->n].keys = keys ? bf_xstrdup(keys) : NULL;
	bf_strmap_put(&k->map, map_key(k, name, &f), k->n);
	k->n++;
	bf_buf_free(&f);
}

struct bf_known_table *bf_known_find(const struct bf_known *k, const char *name)
{
	struct bf_buf f = BF_BUF_INIT;
	size_t i;
	int found = bf_strmap_get(&k->map, map_key(k, name, &f), &i);
	bf_buf_free(&f);
	return found ? &k->t[i] : NULL;
}

void bf_known_clear(struct bf_known *k)
{
	for (size_t i = 0; i < k->n; i++) {
		free(k->t[i].name);
		free(k->t[i].keys);
	}
	k->n = 0;
	bf_strmap_free(&k->map);
}

void bf_known_free(struct bf_known *k)
{
	bf_known_clear(k);
	free(k->t);
	k->t = NULL;
}

enum bf_key_action bf_known_key(const struct bf_known_table *kt, const struct bf_stream_def *def,
				int foreign, int rebuild, const char *where, const char *table,
				struct bf_err *err)
{
	struct bf_buf keys = BF_BUF_INIT;
	enum bf_key_action a = BF_KEY_KEEP;
	if (!kt->keys)
		a = foreign ? BF_KEY_SET : BF_KEY_KEEP;
	else if (strcmp(kt->keys, bf_target_keys_json(def, &keys)))
		a = rebuild ? BF_KEY_SET : BF_KEY_REFUSE;
	if (a == BF_KEY_REFUSE)
		bf_fail(err, BF_EDATA, where, "stream %s: key_properties %s, but table %s was loaded by the key "
			"%s; --rebuild-keys makes its unique index again", def->name, keys.p, table, kt->keys);
	bf_buf_free(&keys);
	return a;
}
