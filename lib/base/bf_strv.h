/* A NULL-terminated vector of strings (an argv): it owns every string in it. push copies
 * the string, take adopts one that was malloc'ed; bf_strv_free frees them all and the
 * vector. A zeroed struct bf_strv is empty (v NULL until the first string). */
#ifndef BF_STRV_H
#define BF_STRV_H

#include <stddef.h>

struct bf_strv {
	char **v;
	size_t n;
};

void bf_strv_push(struct bf_strv *s, const char *str);
void bf_strv_take(struct bf_strv *s, char *str);
void bf_strv_free(struct bf_strv *s);

#endif
