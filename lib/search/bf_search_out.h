/* bf-search's output: JSON lines ({"rank","score","stream","record"}, best first) or a
 * table of rank, score, date, location and the record's text, cut to a width. Appends to
 * out (the caller's). */
#ifndef BF_SEARCH_OUT_H
#define BF_SEARCH_OUT_H

#include "base/bf_buf.h"
#include "search/bf_search.h"

void bf_search_format_json(const struct bf_search_results *r, struct bf_buf *out);
void bf_search_format_table(const struct bf_search_results *r, int width, struct bf_buf *out);

#endif
