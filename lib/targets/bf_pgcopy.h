/* The PostgreSQL COPY encoder: turns a row of cast cells (targets/bf_types.h) into the
 * bytes of COPY FROM STDIN, in text format or in binary format. Each function appends
 * to the caller's buffer; nothing is kept between calls. Binary values are exactly what
 * the server's text input would store; what the binary path does not take is refused,
 * for the caller to send that partition as text. The connection and the COPY protocol
 * are bf_pgconn's; the target is bf_target_pg. */
#ifndef BF_PGCOPY_H
#define BF_PGCOPY_H

#include "base/bf_buf.h"
#include "targets/bf_target.h"

/* The OID of the built-in type bf_type_pg() names for t: a table column of another type
 * takes no binary COPY. */
unsigned bf_pgcopy_type_oid(enum bf_type t);
/* One line of text COPY: tab-separated fields, \N for null, backslash escapes. */
void bf_pgcopy_row_text(struct bf_buf *b, const struct bf_row *r);
/* The 19-byte header of binary COPY data. */
void bf_pgcopy_bin_header(struct bf_buf *b);
/* One binary tuple: its field count, then each field; -1 (b left as it was) for a value
 * the binary path does not take (a number beyond 1000 digits or exponent 1000, a form of
 * date or time not expected). */
int bf_pgcopy_row_bin(struct bf_buf *b, const struct bf_row *r);

#endif
