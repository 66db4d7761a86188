/* bf-extract's table path: the rows of one (location, date) window of an SQL source
 * (sources/sql/bf_sqlsrc.h) as SCHEMA and RECORD messages, streamed, the rows
 * checksummed and recorded in the state file's files table the way a file is (name: what
 * was read, "TABLE [START, END)"). A SCHEMA goes out before the first record and again
 * when the columns change; a row with text that is not UTF-8 is quarantined.
 *
 * Ownership: the reader borrows the source, the output and the state file;
 * bf_table_reader_free(NULL) is a no-op. */
#ifndef BF_EXTRACT_TABLE_H
#define BF_EXTRACT_TABLE_H

#include <stdint.h>

#include "base/bf_log.h"
#include "proto/bf_msg.h"
#include "sources/sql/bf_sqlsrc.h"
#include "state/bf_state.h"

struct bf_table_reader;

/* The rows are hashed here, in chunks (one call per value would cost more than the
 * hashing; a thread would cost a copy). */
struct bf_table_reader *bf_table_reader_new(struct bf_sqlsrc *src, struct bf_out *out,
					    struct bf_state *st, int strict);
void bf_table_reader_free(struct bf_table_reader *r);

/* What one window gave. */
struct bf_table_part {
	long long rows, quarantined, bytes;
	char sha256[65];           /* of the rows' values */
	char what[256];            /* "TABLE [START, END)" */
	char start[40], end[40];   /* the window's bounds */
};

/* Reads the window of (location, date) into the output. Returns 0, or the exit code
 * that fails the partition (records already written for it are then not to be loaded:
 * the caller's STATE says failed). */
int bf_table_read(struct bf_table_reader *r, const char *location, int32_t date,
		  struct bf_table_part *p, struct bf_err *err);

#endif
