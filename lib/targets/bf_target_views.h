/* The views bf-load keeps beside each stream table, as SQL that SQLite and PostgreSQL share. */
#ifndef BF_TARGET_VIEWS_H
#define BF_TARGET_VIEWS_H

#include "base/bf_buf.h"

enum { BF_VIEW_OPEN = 1, BF_VIEW_DAILY = 2 };

/* The name of a table's view (BF_VIEW_OPEN: "<t>_open", BF_VIEW_DAILY: "<t>_daily") in buf
 * (reset first); returns buf's text. */
const char *bf_target_view_name(const char *table, int view, struct bf_buf *buf);

/* "<t>_open" (rows without closure, WHERE closure_indicator IS NOT TRUE) and "<t>_daily"
 * (date, location, rows, amount when the table has the amount column, closed,
 * closure_reason), those of them named in which (BF_VIEW_* bits). has_col tells whether
 * the table has a column. Appends DROP and CREATE statements separated by ";\n" (nothing
 * when which is 0); schema may be NULL; pg picks PostgreSQL's casts. */
void bf_target_views_sql(struct bf_buf *q, const char *schema, const char *table,
			 int (*has_col)(void *ctx, const char *col), void *ctx, const char *amount,
			 int pg, int which);

#endif
