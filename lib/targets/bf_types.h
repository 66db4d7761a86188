/* Column types shared by the load targets: what a SCHEMA property (or a --type override)
 * declares, and the loader's cast of a record value to it. Values arrive as strings as
 * read (docs/DESIGN.md 2.3); a value that does not fit its type is refused with a reason
 * and the caller quarantines the row: it is never loaded as garbage or silently as null.
 *
 * Records are read without building a cJSON tree: bf_json_members() (proto/bf_jsonscan)
 * splits them into the members bf_cast() takes. bf_cast() writes converted text or floats
 * into the cell's own storage (struct bf_cell owns its buffer; bf_cell_free() releases
 * it). */
#ifndef BF_TYPES_H
#define BF_TYPES_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "base/bf_buf.h"
#include "proto/bf_jsonscan.h"

enum bf_type {
	BF_T_STRING = 0, /* SQLite TEXT, PostgreSQL text */
	BF_T_INTEGER,    /* INTEGER, bigint: 64-bit, no fraction */
	BF_T_NUMBER,     /* TEXT holding the exact decimal, numeric */
	BF_T_BOOLEAN,    /* INTEGER 0/1, boolean */
	BF_T_DATE,       /* TEXT YYYY-MM-DD, date */
	BF_T_DATETIME,   /* TEXT "YYYY-MM-DD HH:MM:SS[.f]" wall clock, timestamp */
	BF_T_TIMESTAMPTZ,/* TEXT "YYYY-MM-DD HH:MM:SS[.f]Z" in UTC, timestamptz */
	BF_T_JSON,       /* TEXT JSON, jsonb */
	BF_T_VECTOR,     /* BLOB of little-endian float32, real[] */
};

/* "integer", "number", ... as accepted by --type and printed in messages. */
const char *bf_type_name(enum bf_type t);
/* Parses a --type name (string text integer bigint number numeric decimal boolean bool
 * date date-time datetime timestamp timestamptz json jsonb vector embedding).
 * Returns 0 or -1. */
int bf_type_parse(const char *name, enum bf_type *out);
/* The type a JSON Schema property declares ("type" string or array, "format",
 * array "items"). Unknown or missing: string. */
enum bf_type bf_type_of_schema(const cJSON *prop);
const char *bf_type_sqlite(enum bf_type t);
const char *bf_type_pg(enum bf_type t);
/* The column type of a BigQuery schema (a vector is FLOAT64, mode REPEATED) and of a
 * Snowflake table, for the files of the dir: target. */
const char *bf_type_bigquery(enum bf_type t);
const char *bf_type_snowflake(enum bf_type t);

/* A typed value ready for a target. */
enum bf_cell_kind { BF_C_NULL = 0, BF_C_TEXT, BF_C_INT, BF_C_VEC };
struct bf_cell {
	enum bf_cell_kind kind;
	const char *s;             /* TEXT: not NUL-terminated in general */
	size_t len;
	long long i;               /* INT (booleans are 0/1) */
	const float *v;            /* VEC */
	size_t nv;
	struct bf_buf own;         /* storage for converted text or floats */
};
void bf_cell_free(struct bf_cell *c);

/* Casts member m to type t into c. Returns 0, or -1 with a reason in why
 * (e.g. "not an integer: \"12.5\""). An empty string is null for every type but string. */
int bf_cast(enum bf_type t, const struct bf_member *m, struct bf_cell *c, char *why, size_t whylen);

/* Appends the cell's floats as little-endian float32 bytes (for SQLite BLOBs). */
void bf_vec_le_bytes(const struct bf_cell *c, struct bf_buf *out);

#endif
