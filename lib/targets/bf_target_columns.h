/* _bf_columns: every column of every stream table with its bf type, and for an embedding
 * column how it was made (the x-bf-embedding of its SCHEMA property: offline hashing and
 * its dimension, or the model and API base; never a key). The SQL targets write it in the
 * transaction that creates or widens the table, so that a reader (bf-search) finds the
 * columns and their description in step. Pure text builders: the caller owns buffers. */
#ifndef BF_TARGET_COLUMNS_H
#define BF_TARGET_COLUMNS_H

#include "base/bf_buf.h"
#include "targets/bf_target.h"

/* The table, as SQL for SQLite (schema NULL) or PostgreSQL (schema-qualified). */
void bf_target_columns_ddl(struct bf_buf *q, const char *schema);
/* The statement that records a stream's columns: parameter 1 the stream, parameter 2 the
 * JSON of bf_target_columns_json. */
void bf_target_columns_upsert(struct bf_buf *q, const char *schema);
/* [{"name":..., "type":..., "embedding":{...} or null}, ...] of def's columns. */
void bf_target_columns_json(const struct bf_stream_def *def, struct bf_buf *out);

#endif
