#include "targets/bf_target_columns.h"

#include <string.h>

#include "base/bf_sql.h"

static void qname(struct bf_buf *q, const char *schema, const char *name)
{
	if (schema) {
		bf_sql_ident(q, schema);
		bf_buf_addc(q, '.');
	}
	bf_sql_ident(q, name);
}

void bf_target_columns_ddl(struct bf_buf *q, const char *schema)
{
	bf_buf_adds(q, "CREATE TABLE IF NOT EXISTS ");
	qname(q, schema, "_bf_columns");
	bf_buf_adds(q, " (stream TEXT NOT NULL, \"column\" TEXT NOT NULL, type TEXT NOT NULL,"
		    " embedding TEXT, PRIMARY KEY (stream, \"column\"))");
}

void bf_target_columns_upsert(struct bf_buf *q, const char *schema)
{
	bf_buf_adds(q, "INSERT INTO ");
	qname(q, schema, "_bf_columns");
	if (schema)
		bf_buf_adds(q, " (stream, \"column\", type, embedding) SELECT $1, c->>'name', c->>'type',"
			    " nullif(c->>'embedding', 'null') FROM json_array_elements($2::json) c");
	else
		bf_buf_adds(q, " (stream, \"column\", type, embedding) SELECT ?1, value->>'name', value->>'type',"
			    " json(nullif(value->>'embedding', 'null')) FROM json_each(?2) WHERE true");
	bf_buf_adds(q, " ON CONFLICT (stream, \"column\") DO UPDATE SET type = excluded.type,"
		    " embedding = excluded.embedding");
}

void bf_target_columns_json(const struct bf_stream_def *def, struct bf_buf *out)
{
	bf_buf_addc(out, '[');
	for (size_t i = 0; i < def->ncols; i++) {
		const struct bf_col *c = &def->cols[i];
		bf_buf_adds(out, i ? ",{\"name\":" : "{\"name\":");
		bf_buf_add_json_str(out, c->name, strlen(c->name));
		bf_buf_adds(out, ",\"type\":\"");
		bf_buf_adds(out, bf_type_name(c->type));
		bf_buf_adds(out, "\",\"embedding\":");
		bf_buf_adds(out, c->embedding ? c->embedding : "null");
		bf_buf_addc(out, '}');
	}
	bf_buf_addc(out, ']');
}
