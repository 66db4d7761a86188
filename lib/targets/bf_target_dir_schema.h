/* The schema files of the dir: target, beside a stream's NDJSON files: what a warehouse
 * loader needs to create its table with the declared types.
 *   PATH/<stream>/_schema.bigquery.json   the JSON schema `bq load --schema=FILE` takes:
 *                                         [{"name","type","mode"}, ...] in column order
 *   PATH/<stream>/_schema.snowflake.sql   CREATE TABLE IF NOT EXISTS with the columns, and
 *                                         the COPY INTO that loads the stream's files
 * Both are rewritten atomically at each SCHEMA of the stream (identical for every bf-load
 * of one schema, so that shards sharing the folder may all write them). Types come from
 * targets/bf_types (docs/targets.md). */
#ifndef BF_TARGET_DIR_SCHEMA_H
#define BF_TARGET_DIR_SCHEMA_H

#include "base/bf_log.h"
#include "targets/bf_target.h"

/* dir: the stream's folder (already made). Returns 0 or an exit code with err filled. */
int bf_dir_write_schemas(const char *dir, const struct bf_stream_def *def, struct bf_err *err);

#endif
