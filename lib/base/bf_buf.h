/* A growable byte buffer, always NUL-terminated and never NULL: an empty buffer (cap 0)
 * points at a shared, read-only "" (git's strbuf_slopbuf), so b.p can always be read as
 * a string. BF_BUF_INIT or bf_buf_init() it, bf_buf_free() it; bf_buf_detach() hands the
 * bytes to the caller (a malloc'ed string, also when empty). The buffer owns p only when
 * cap > 0. Allocation failure aborts (there is no sensible recovery from it in a
 * streaming stage). */
#ifndef BF_BUF_H
#define BF_BUF_H

#include <stddef.h>
#include <stdarg.h>

struct bf_buf {
	char *p;
	size_t len, cap;
};
extern char bf_buf_slop[1];
#define BF_BUF_INIT { bf_buf_slop, 0, 0 }

void bf_buf_init(struct bf_buf *b);
/* n buffers, each bf_buf_init()ed (free each, then the array). */
struct bf_buf *bf_buf_array(size_t n);
void bf_buf_free(struct bf_buf *b);
char *bf_buf_detach(struct bf_buf *b);
void bf_buf_grow(struct bf_buf *b, size_t extra);
static inline void bf_buf_reset(struct bf_buf *b) { b->len = 0; if (b->cap) b->p[0] = '\0'; }
void bf_buf_add(struct bf_buf *b, const void *data, size_t len);
void bf_buf_adds(struct bf_buf *b, const char *s);
void bf_buf_addc(struct bf_buf *b, char c);
void bf_buf_addf(struct bf_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bf_buf_addu(struct bf_buf *b, unsigned long long v);
/* Appends s[0..len) as a JSON string with its quotes. The bytes must be valid UTF-8. */
void bf_buf_add_json_str(struct bf_buf *b, const char *s, size_t len);
/* Writes s[0..len) as a JSON string with its quotes at o, which has room for 6*len+2
 * bytes; returns the end of what it wrote. */
char *bf_json_str_put(char *o, const char *s, size_t len);
void bf_buf_truncate(struct bf_buf *b, size_t len);

/* Calls malloc/realloc/strdup and aborts with a message when memory is exhausted. */
void *bf_xmalloc(size_t n);
void *bf_xcalloc(size_t n, size_t size);
void *bf_xrealloc(void *p, size_t n);
char *bf_xstrdup(const char *s);
char *bf_xstrndup(const char *s, size_t n);

#endif
