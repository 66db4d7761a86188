/* SQL text helpers shared by whatever writes SQL text (the targets, the state files read
 * as one): identifiers are always quoted. */
#ifndef BF_SQL_H
#define BF_SQL_H

#include "base/bf_buf.h"

/* Appends name as a double-quoted identifier ("a""b"). */
void bf_sql_ident(struct bf_buf *b, const char *name);
/* Appends "<table>__<suffix>", the name of one of bf-load's indexes of a table, quoted. */
void bf_sql_index_ident(struct bf_buf *b, const char *table, const char *suffix);

#endif
