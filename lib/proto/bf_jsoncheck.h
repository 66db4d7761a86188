/* bf_jsoncheck: strict RFC 8259 syntax check of one JSON text held in a
 * caller's buffer, done in a single forward pass with a fixed-size depth
 * stack (at most BF_JSONCHECK_MAX_DEPTH nested arrays/objects).  On the
 * way it can hand each member of the top-level object to a bf_json_pick
 * (proto/bf_jsonscan), which keeps where the values of chosen members lie,
 * so that a caller can splice into a line without re-printing it and
 * without a second pass.  Ownership: the checker allocates nothing and
 * retains nothing; it only reads buf[0..len) during the call.  Every
 * err_msg is a static string.  The function is reentrant. */
#ifndef BF_JSONCHECK_H
#define BF_JSONCHECK_H

#include <stddef.h>

#include "proto/bf_jsonscan.h"

#define BF_JSONCHECK_MAX_DEPTH 512

struct bf_jsoncheck {
	/* out: on failure, byte offset of the error and a static message.
	   The offset is the first byte at which the input stops being a prefix
	   of valid JSON (len when it ends too early; the 513th bracket when
	   nesting is too deep), except for a bad escape or an unpaired
	   surrogate, where it is the backslash that starts the escape.
	   Messages include: "leading zero in number", "expected digit in number",
	   "control character in string", "invalid escape", "invalid \\u escape",
	   "unpaired surrogate", "invalid UTF-8", "invalid literal",
	   "unexpected character", "expected string key", "expected ':'",
	   "expected ',' or '}'", "expected ',' or ']'", "trailing comma",
	   "trailing characters after JSON value", "unexpected end of input",
	   "nesting too deep", "byte order mark".  NULL on success. */
	size_t err_offset;
	const char *err_msg;
	/* in: when set, each member of the top-level object is offered to it
	   (bf_json_pick_offer) once its value is checked: pick->spans are then
	   offsets into buf.  Meaningful only when bf_jsoncheck returned 0. */
	struct bf_json_pick *pick;
	int top_is_object;      /* out: 1 if the text's value is an object */
};

/* Returns 0 when buf[0..len) is exactly one valid JSON value (surrounding
   whitespace allowed: space, tab, CR, LF), -1 otherwise with err_offset and
   err_msg set.  buf need not be NUL-terminated; a NUL byte is invalid. */
int bf_jsoncheck(const char *buf, size_t len, struct bf_jsoncheck *ck);

#endif
