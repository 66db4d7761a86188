/* The names of what bf-load makes in a target: a stream's table, and the key it records. */
#include <string.h>
#include <strings.h>

#include "base/bf_buf.h"
#include "targets/bf_target_backend.h"

/* Prefixes the databases keep for themselves (SQLite refuses to create sqlite_*,
 * PostgreSQL names its catalogs pg_*) and bf-load's own tables. */
static const char *const reserved[] = { "sqlite_", "pg_", "_bf_" };

const char *bf_target_table_name(const char *name, struct bf_buf *buf)
{
	bf_buf_reset(buf);
	for (size_t i = 0; i < sizeof reserved / sizeof *reserved; i++)
		if (!strncasecmp(name, reserved[i], strlen(reserved[i]))) {
			bf_buf_addc(buf, '_');
			break;
		}
	bf_buf_adds(buf, name);
	return buf->p;
}

const char *bf_target_keys_json(const struct bf_stream_def *def, struct bf_buf *b)
{
	bf_buf_reset(b);
	bf_buf_addc(b, '[');
	for (size_t k = 0; k < def->nkeys; k++) {
		if (k)
			bf_buf_addc(b, ',');
		bf_buf_add_json_str(b, def->keys[k], strlen(def->keys[k]));
	}
	bf_buf_addc(b, ']');
	return b->p;
}
