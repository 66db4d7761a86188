/* bf-load's core: reads the message stream and makes each partition durable in a target
 * (targets/bf_target.h) in one transaction when its STATE arrives (replacing what an
 * earlier run loaded for it), then marks it in the state file and writes the STATE line
 * to stdout. Records without bf lineage are committed at each STATE without lineage (or
 * at the end): upserted by their stream's key_properties, or appended. At the start the
 * state file is corrected from the target (stages/bf_load_reconcile.h). */
#ifndef BF_LOAD_H
#define BF_LOAD_H

#include <cjson/cJSON.h>

#include "base/bf_log.h"
#include "proto/bf_msg.h"

#include "targets/bf_target.h"

struct bf_type_override {
	char *stream, *column;
	enum bf_type type;
};
struct bf_amount_col {
	char *stream, *column;
};

struct bf_load_opts {
	const char *target;
	const char *state_path;
	const char *args;
	size_t max_line;
	int progress;              /* -1 quiet, 0 on a terminal, 1 always */
	struct bf_target_opts topts;
	const struct bf_type_override *types;  /* --type stream.column=TYPE */
	size_t ntypes;
	const struct bf_amount_col *amounts;   /* --amount-column stream.column */
	size_t namounts;           /* 0: order_details.amount */
	size_t max_streams;        /* --max-streams, 0: 1000 */
};

/* Runs the loop from in_fd to out_fd. Returns 0, 1 when some partitions failed upstream
 * or records were quarantined, or an exit code (65 for input that breaks the protocol, a record without its key or a key
 * that changed; nothing of the unfinished partition is committed; 74 when a write, sync or
 * close failed, the end of the run's record included). */
int bf_load_run(const struct bf_load_opts *o, int in_fd, int out_fd, struct bf_err *err);

#endif
