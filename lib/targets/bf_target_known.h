/* The tables bf-load created in a target (the rows of its _bf_streams), each with the key
 * it was loaded by without lineage, and what that key asks of a stream's definition. The
 * SQL targets share it; a struct bf_known (zeroed) owns copies of the names and keys,
 * bf_known_free() releases them. */
#ifndef BF_TARGET_KNOWN_H
#define BF_TARGET_KNOWN_H

#include "base/bf_buf.h"
#include "base/bf_strmap.h"
#include "base/bf_log.h"
#include "targets/bf_target.h"

struct bf_known_table {
	char *name;
	char *keys;                /* JSON array of the key, "[]" when appended to; NULL: none yet */
};

struct bf_known {
	struct bf_known_table *t;
	size_t n;
	int fold;                  /* names are the same whatever their ASCII case (SQLite) */
	struct bf_strmap map;      /* name (folded when fold) -> index in t */
};

void bf_known_add(struct bf_known *k, const char *name, const char *keys);
struct bf_known_table *bf_known_find(const struct bf_known *k, const char *name);
/* Empties the list (before it is read again). */
void bf_known_clear(struct bf_known *k);
void bf_known_free(struct bf_known *k);

enum bf_key_action { BF_KEY_KEEP, BF_KEY_SET, BF_KEY_REFUSE };
/* What the table's recorded key asks of def: KEEP it, SET def's (the table has none yet
 * and records without lineage come: foreign; or rebuild allows another key), or REFUSE
 * (then err says why, where names the target). */
enum bf_key_action bf_known_key(const struct bf_known_table *kt, const struct bf_stream_def *def,
				int foreign, int rebuild, const char *where, const char *table,
				struct bf_err *err);

#endif
