/* The PostgreSQL target's parts: the connection's opening (bf_target_pg_open.c) over its
 * tables, keys and transactions (bf_target_pg.c) over the COPY of the rows
 * (bf_target_pg_copy.c). Only those files include this. */
#ifndef BF_TARGET_PG_INT_H
#define BF_TARGET_PG_INT_H

#include "base/bf_buf.h"
#include "base/bf_strmap.h"
#include "targets/bf_pgconn.h"
#include "targets/bf_target_backend.h"
#include "targets/bf_target_known.h"
#include "base/bf_sql.h"

struct pstream {
	char *name;                /* the table (bf_target_table_name of the stream) */
	size_t idx;                /* its place in pgt.s */
	const struct bf_stream_def *def;
	unsigned version;
	int ready;
	int keyed;                 /* its key was checked in this transaction */
	char **cols;
	unsigned *oids;            /* the type of each column in the table */
	size_t ncols;
	/* upserts: rows go by COPY into a temporary table, then into the table by key */
	unsigned stage_version;    /* def->version the temporary table has the columns of, 0: none */
	char *merge_sql;           /* the INSERT ... ON CONFLICT of the COPY under way */
};

struct pgt {
	struct bf_target base;
	struct bf_pgconn k;
	char *schema;
	int rebuild_keys;
	int read_only;             /* opened to read _bf_loads only (no setup) */
	int foreign;               /* the open transaction takes records without lineage */
	struct pstream **s;
	size_t ns;
	struct bf_strmap byname;   /* table -> index in s */
	struct pstream *last;      /* the stream of the last record */
	struct bf_known known;     /* the rows of _bf_streams */
	struct bf_buf sql, copy, tmp;
	int copying;               /* index + 1 of the stream being copied, 0 if none */
	int copy_bin;              /* that COPY is in binary format */
	int text_only;             /* this partition fell back to text COPY */
	size_t chunk;              /* send the COPY data when it reaches this size */
	unsigned rows;             /* rows put in the COPY buffer, for polling */
};

/* schema.name quoted, appended to q. */
static inline void pgt_qname(const struct pgt *t, struct bf_buf *q, const char *name)
{
	bf_sql_ident(q, t->schema);
	bf_buf_addc(q, '.');
	bf_sql_ident(q, name);
}

/* the tables, keys and transactions (bf_target_pg.c) */
int pgt_run(struct pgt *t, const char *sql, int np, const char *const *params, struct bf_err *err);
/* Creates bf-load's own tables in the schema and reads the list of the others. */
int pgt_setup(struct pgt *t, struct bf_err *err);
void pgt_close(struct bf_target *bt);
extern const struct bf_target_ops pgt_ops;

/* the COPY (bf_target_pg_copy.c), which calls nothing of the files above it */
/* Puts a record of s (whose table holds its columns) into its COPY. */
int pgt_copy_row(struct pgt *t, struct pstream *s, const struct bf_row *r, struct bf_err *err);
/* Ends the COPY under way: its data goes out, and for an upsert its merge is queued. */
int pgt_end_copy(struct pgt *t, struct bf_err *err);
int pgt_flush(struct bf_target *bt, struct bf_err *err);
/* Forgets the COPY and the temporary tables (a rollback undid them). */
void pgt_copy_reset(struct pgt *t);

#endif
