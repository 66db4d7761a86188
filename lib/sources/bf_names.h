/* Column and stream names: snake_case of a CSV header or file stem.
 *
 * The rule (documented in README "Names"): camelCase and acronym boundaries become '_'
 * ("OrderId" -> order_id, "HTTPCode" -> http_code); '#' reads "num", '%' "pct", '&' "and";
 * every other run of characters that are not ASCII letters or digits becomes one '_';
 * ASCII is lower-cased; leading and trailing '_' are dropped; a name that starts with a
 * digit gets a leading '_'; an empty name becomes "column_N" (N = 1-based position);
 * names are cut to 59 bytes. Collisions: a name used by an earlier column, or reserved
 * (the _bf_* lineage names, closure_indicator, closure_reason), gets "_2", "_3", ... —
 * the first suffix free among all the header's names — so two headers never collide. */
#ifndef BF_NAMES_H
#define BF_NAMES_H

#include <stddef.h>

#define BF_NAME_MAX 63

/* snake_case of s[0..len) into out (BF_NAME_MAX+1 bytes); pos is the 1-based column.
 * Returns 1 when s has no letter or digit to name it by (out is then "column_POS"). */
int bf_snake_case(const char *s, size_t len, size_t pos, char out[BF_NAME_MAX + 1]);
/* Stream name of a file name: its stem (without directories, .gz and the last extension) in
 * snake_case: "OrderDetails.csv.gz" -> "order_details"; a stem with no letter or digit
 * ("---.csv") is "stream". */
void bf_stream_name(const char *filename, char out[BF_NAME_MAX + 1]);
/* Collision-safe names for a header of n fields; out[i] are malloc'ed, free with
 * bf_names_free. */
char **bf_column_names(const char *const *headers, const size_t *lens, size_t n);
void bf_names_free(char **names, size_t n);
/* Whether name is reserved for bf's own columns. */
int bf_name_reserved(const char *name);

#endif
