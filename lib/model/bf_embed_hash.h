/* The offline text embedding of bf-enrich (--embed without a model API, or :hash):
 * feature hashing of lower-cased words and word pairs (FNV-1a, a signed bucket each) into
 * dim floats, L2-normalised. Deterministic and local, so a tool that searches a column
 * embedded this way embeds its query with the same functions and the column's dimension
 * and gets comparable vectors. Pure functions: the caller owns every buffer. */
#ifndef BF_EMBED_HASH_H
#define BF_EMBED_HASH_H

#include <stddef.h>

#include "base/bf_buf.h"

#define BF_EMBED_HASH_DIM 256      /* the dimension when --embed names none */

/* Embeds s[0..n) into out[dim]. Returns the number of features (words and pairs); 0 when
 * the text has no word, out then all 0. */
int bf_embed_hash(const char *s, size_t n, int dim, float *out);

/* Appends v[0..dim) as bf-enrich writes an embedding into a record: a JSON array of
 * numbers with 6 significant digits, 0 written as 0. */
void bf_embed_json(const float *v, int dim, struct bf_buf *out);

#endif
