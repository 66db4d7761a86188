/* Scanning SQL text for what is not code: quoted strings and identifiers, comments and
 * PostgreSQL's dollar quotes, so that placeholders are found (and replaced) only where
 * they are code. */
#ifndef BF_SQLTEXT_H
#define BF_SQLTEXT_H

#include <stddef.h>

/* The length of the string ('...'), quoted identifier ("..." or `...`), comment
 * (-- to the line's end, or slash-star to star-slash) or dollar quote ($tag$...$tag$)
 * that starts at p; 0 when p starts none of them. An unterminated one runs to the end. */
size_t bf_sqltext_quoted(const char *p);

#endif
