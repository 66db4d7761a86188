/* What bf-closure counts of the partition it holds, on the way: the rows of each stream,
 * whether a file of it was read, and the values of the money columns it watches.
 *
 * Which columns of a stream are watched is decided at the stream's SCHEMA and kept for
 * the process: the column --amount-column names (also without a SCHEMA); else every
 * column with a money name (bf_closure_money_name) of each stream that may be the
 * activity stream (all streams, or the one --activity-stream names), at most
 * BF_CLOSURE_TALLY_COLS, best names first. A struct bf_closure_tally owns all its memory
 * (names copied); bf_closure_tally_reset() forgets the partition, _free() everything. */
#ifndef BF_CLOSURE_TALLY_H
#define BF_CLOSURE_TALLY_H

#include <stddef.h>
#include <cjson/cJSON.h>

#include "base/bf_buf.h"
#include "proto/bf_jsonscan.h"
#include "stages/closure/bf_closure.h"

/* Money columns watched per stream: a pick has room for them and the void column. */
#define BF_CLOSURE_TALLY_COLS (BF_JSON_PICK_MAX - 1)

/* One money column of one stream over the partition. */
struct bf_closure_money {
	char *column;
	int have;                  /* a value that is not null was seen (a voided row's too) */
	long long values;          /* values of rows not voided that were not empty */
	long long parsed;          /* of those, the ones that parse as money (summed) */
	long long bad;             /* of those, the ones that do not (left out and counted) */
	long long voided;          /* rows with a value whose void column is true */
	double sum;
};

/* The columns watched in one stream (for the process). */
struct bf_closure_watch {
	char *stream;
	char *keys[BF_JSON_PICK_MAX + 1];  /* the money columns, then the void column; NULL ends */
	int ncols;                 /* money columns in keys */
};

/* A stream of the partition: its rows, and its watched columns' values. */
struct bf_closure_tally_stream {
	long long state_rows;      /* the rows its STATE says it had (-1: it does not say) */
	struct bf_closure_watch *watch;     /* NULL: none watched */
	struct bf_closure_money *money;
	size_t nmoney;
};

struct bf_closure_tally {
	const struct bf_closure_cfg *cfg;
	struct bf_closure_stream *streams;   /* the partition's streams ... */
	struct bf_closure_tally_stream *more; /* ... and what else is counted of each */
	size_t nstreams;
	struct bf_closure_watch **watch;
	size_t nwatch;
	struct bf_buf text;
};

/* Decides which columns of stream are watched from its SCHEMA's properties. */
void bf_closure_tally_schema(struct bf_closure_tally *t, const char *stream, const cJSON *schema);
/* The partition's entry of the stream name[0..len), added with no rows when new. */
size_t bf_closure_tally_stream(struct bf_closure_tally *t, const char *name, size_t len);
/* Counts a record of the partition's stream i: rec[0..len) is its checked record object. */
void bf_closure_tally_record(struct bf_closure_tally *t, size_t i, const char *rec, size_t len);
/* The values of stream.column in the partition, NULL when not watched or never seen. */
const struct bf_closure_money *bf_closure_tally_money(const struct bf_closure_tally *t,
						      const char *stream, const char *column);
/* Forgets the partition (the watched columns stay). */
void bf_closure_tally_reset(struct bf_closure_tally *t);
void bf_closure_tally_free(struct bf_closure_tally *t);

#endif
