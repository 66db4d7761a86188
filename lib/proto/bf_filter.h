/* The read/act/write loop that middle stages (bf-enrich, bf-closure, ...) share.
 * The engine reads and checks each line; the filter's callbacks see the message and
 * either let the engine pass the line on unchanged (return BF_FILTER_PASS) or write
 * what they want themselves with the bf_filter_write* functions, now or later (return
 * BF_FILTER_TAKEN). Messages of unknown types always pass through, in order.
 * A callback returns BF_FILTER_PASS, BF_FILTER_TAKEN, or an exit code with err filled. */
#ifndef BF_FILTER_H
#define BF_FILTER_H

#include <stddef.h>

#include "base/bf_log.h"
#include "proto/bf_msg.h"

#define BF_FILTER_PASS (-1)
#define BF_FILTER_TAKEN (-2)

struct bf_filter {
	struct bf_out out;
	const char *where;         /* "stdin" */
	long lineno;
};

struct bf_filter_ops {
	/* Each may be NULL (= pass). The message's tree is built for SCHEMA and STATE, and for
	 * RECORD when record_tree is set; m->line stays valid only during the call. */
	int (*on_schema)(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err);
	int (*on_record)(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err);
	int (*on_state)(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err);
	/* At the end of input (flush what is held); may be NULL. */
	int (*on_end)(void *ctx, struct bf_filter *f, struct bf_err *err);
	int record_tree;
	/* Messages of other types (no tree), for a filter that holds messages and must keep
	 * them in order; may be NULL (= pass). */
	int (*on_other)(void *ctx, struct bf_filter *f, struct bf_msg *m, struct bf_err *err);
};

/* Runs the loop; returns 0 or an exit code (65 for a broken protocol, 74 for output). */
int bf_filter_run(const struct bf_filter_ops *ops, void *ctx, int in_fd, int out_fd,
		  size_t max_line, struct bf_err *err);

/* Writes bytes as they are (whole lines, with their '\n'). */
void bf_filter_write(struct bf_filter *f, const char *data, size_t len);
/* Writes a RECORD line with members added to its record object, without re-printing it:
 * members is the text of JSON members without braces ("\"k\":1,\"j\":null").
 * line/len/record_span are those of a checked RECORD message. */
void bf_filter_write_spliced(struct bf_filter *f, const char *line, size_t len,
			     struct bf_json_span record_span, const char *members, size_t mlen);
/* Writes a cJSON message as one line. */
void bf_filter_write_json(struct bf_filter *f, const cJSON *msg);
/* Pushes what is buffered downstream (e.g. after a STATE); returns 0 or BF_EIO. */
int bf_filter_flush(struct bf_filter *f, struct bf_err *err);

#endif
