/* The BigQuery and Snowflake schema files of the dir: target (bf_target_dir_schema.h). */
#include "targets/bf_target_dir_schema.h"

#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_file.h"
#include "base/bf_sql.h"
#include "targets/bf_types.h"

static void bigquery(struct bf_buf *b, const struct bf_stream_def *def)
{
	bf_buf_adds(b, "[\n");
	for (size_t i = 0; i < def->ncols; i++) {
		const struct bf_col *c = &def->cols[i];
		bf_buf_adds(b, "  {\"name\": ");
		bf_buf_add_json_str(b, c->name, strlen(c->name));
		bf_buf_addf(b, ", \"type\": \"%s\", \"mode\": \"%s\"}%s\n", bf_type_bigquery(c->type),
			    c->type == BF_T_VECTOR ? "REPEATED" : "NULLABLE", i + 1 < def->ncols ? "," : "");
	}
	bf_buf_adds(b, "]\n");
}

/* SQL comments hold the stream's name: kept on one line. */
static void comment_name(struct bf_buf *b, const char *name)
{
	for (const char *p = name; *p; p++)
		bf_buf_addc(b, *p == '\n' || *p == '\r' ? ' ' : *p);
}

static void snowflake(struct bf_buf *b, const struct bf_stream_def *def, const char *stage_dir)
{
	bf_buf_adds(b, "-- The table of stream ");
	comment_name(b, def->name);
	bf_buf_adds(b, " (bf-load, dir: target), its columns as the files hold them.\nCREATE TABLE IF NOT EXISTS ");
	bf_sql_ident(b, def->name);
	bf_buf_adds(b, " (\n");
	for (size_t i = 0; i < def->ncols; i++) {
		bf_buf_adds(b, "  ");
		bf_sql_ident(b, def->cols[i].name);
		bf_buf_addf(b, " %s%s\n", bf_type_snowflake(def->cols[i].type), i + 1 < def->ncols ? "," : "");
	}
	bf_buf_adds(b, ");\n-- Load its files from a stage (PUT the folder there first):\n-- COPY INTO ");
	bf_sql_ident(b, def->name);
	bf_buf_adds(b, " FROM @bf_stage/");
	comment_name(b, stage_dir);
	bf_buf_adds(b, "/\n--   FILE_FORMAT = (TYPE = JSON) MATCH_BY_COLUMN_NAME = CASE_SENSITIVE PATTERN = '.*[.]ndjson';\n");
}

int bf_dir_write_schemas(const char *dir, const struct bf_stream_def *def, struct bf_err *err)
{
	struct bf_buf path = BF_BUF_INIT, body = BF_BUF_INIT;
	const char *base = strrchr(dir, '/') ? strrchr(dir, '/') + 1 : dir;
	int rc;
	bigquery(&body, def);
	bf_buf_addf(&path, "%s/_schema.bigquery.json", dir);
	rc = bf_write_file_atomic(path.p, body.p, body.len, 0644, err);
	if (!rc) {
		bf_buf_reset(&path);
		bf_buf_reset(&body);
		snowflake(&body, def, base);
		bf_buf_addf(&path, "%s/_schema.snowflake.sql", dir);
		rc = bf_write_file_atomic(path.p, body.p, body.len, 0644, err);
	}
	bf_buf_free(&path);
	bf_buf_free(&body);
	return rc;
}
