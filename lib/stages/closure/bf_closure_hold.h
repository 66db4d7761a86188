/* The messages of the partition bf-closure is judging, held until its STATE says what to
 * add to them: in memory up to a budget (max bytes), beyond it in an unlinked temporary
 * file in $TMPDIR. Each is kept with its type and, for a RECORD, the span of its record
 * object, so that it can be written back with members spliced in. struct
 * bf_closure_hold owns its memory and file; bf_closure_hold_free releases them. */
#ifndef BF_CLOSURE_HOLD_H
#define BF_CLOSURE_HOLD_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "base/bf_buf.h"
#include "base/bf_log.h"
#include "proto/bf_filter.h"

/* A held message: this header, then the line's bytes (without '\n'). */
struct bf_closure_held {
	uint32_t type;             /* enum bf_msg_type */
	uint32_t pad;
	uint64_t len;
	uint64_t rs_start, rs_len; /* RECORD: the record object's span */
};

struct bf_closure_hold {
	char *mem;
	size_t len, cap, max;      /* max: set by the caller before the first add */
	FILE *spill;               /* unlinked temporary file, NULL until needed */
	long long spilled_bytes;   /* of the partition held now */
	long long total_spilled;
	int spills;
	struct bf_buf tmp;         /* a spilled line read back */
};

/* Holds the message line[0..hd->len). 0, BF_EOS (no spill file) or BF_EIO. */
int bf_closure_hold_add(struct bf_closure_hold *h, const struct bf_closure_held *hd,
			const char *line, struct bf_err *err);
/* Writes every held message to f in order, RECORDs with members spliced in when members is
 * not NULL, and empties the hold. 0 or BF_EIO. */
int bf_closure_hold_replay(struct bf_closure_hold *h, struct bf_filter *f,
			   const struct bf_buf *members, struct bf_err *err);
void bf_closure_hold_free(struct bf_closure_hold *h);

#endif
