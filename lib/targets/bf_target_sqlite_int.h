/* The SQLite target's parts: its tables and their DDL (bf_target_sqlite.c), which hands the
 * rows to bf_target_sqlite_rows.c for their way into them. Only those two files include
 * this. */
#ifndef BF_TARGET_SQLITE_INT_H
#define BF_TARGET_SQLITE_INT_H

#include <sqlite3.h>

#include "base/bf_buf.h"
#include "base/bf_strmap.h"
#include "targets/bf_target_backend.h"
#include "targets/bf_target_known.h"

/* A record waiting for its batch: its cells copied (text and blobs into the stream's
 * arena, by offset, as the arena may move while it grows). */
struct pcell {
	enum bf_cell_kind kind;
	size_t off, len;
	long long i;
};

struct stream {
	char *name;                /* the table (bf_target_table_name of the stream) */
	const struct bf_stream_def *def;  /* owned by the loop */
	unsigned version;          /* def->version the table was made to hold */
	int ready;                 /* the table matches def->version */
	char **cols;               /* the table's columns */
	size_t ncols;
	int keyed;                 /* the table's key (its unique index) was checked in this transaction */
	/* the insert statements, prepared when first needed, for stmt_version and stmt_upsert */
	sqlite3_stmt *ins;         /* one row */
	sqlite3_stmt *insb;        /* batch rows at once */
	unsigned stmt_version;
	int stmt_upsert;
	size_t batch;              /* rows per insb (1: none) */
	int filled;                /* a batch went in during this transaction */
	int live;                  /* it is in sqlt.live */
	struct pcell *pend;        /* npend rows of pncols cells, waiting for their batch */
	size_t npend, pncols, pendcap;
	int pend_upsert;
	struct bf_buf arena;
};

struct sqlt {
	struct bf_target base;
	sqlite3 *db;
	char *path;
	int rebuild_keys;
	struct stream **s;
	size_t ns;
	struct bf_strmap byname;   /* table -> index in s */
	struct stream *last;       /* the stream of the last record */
	struct bf_known known;     /* every bf table in the file (for partition deletes) */
	int foreign;               /* the open transaction takes records without lineage */
	/* the streams holding statements (and rows waiting): a few, oldest first, so that
	 * thousands of streams neither keep thousands of statements nor are walked at each
	 * commit (SQLite also walks every statement at each change of the schema) */
	struct stream *live[64];
	size_t nlive;
	struct bf_buf sql, blob, tmp;
};

/* rows (bf_target_sqlite_rows.c) */
/* Puts a record of s (whose table holds its columns) into its batch. */
int sqt_add_row(struct sqlt *t, struct stream *s, const struct bf_row *r, struct bf_err *err);
/* Inserts the rows waiting in s. */
int sqt_flush(struct sqlt *t, struct stream *s, struct bf_err *err);
int sqt_flush_all(struct sqlt *t, struct bf_err *err);
/* Finalizes the statements of s (prepared again when next needed). */
void sqt_drop_stmts(struct sqlt *t, struct stream *s);
/* After a commit: statements of streams that filled no batch are let go, so that thousands
 * of small streams do not each keep theirs. */
void sqt_trim_stmts(struct sqlt *t);

#endif
