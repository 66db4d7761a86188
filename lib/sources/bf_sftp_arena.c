#include "sources/bf_sftp_arena.h"

#include <stddef.h>
#include <stdlib.h>

#include "base/bf_buf.h"

/* A block: its links on the arena's list, then the bytes handed out. */
union blk {
	struct {
		union blk *prev, *next;
	} l;
	max_align_t align;
};

struct bf_sftp_arena {
	union blk head;
};

void *bf_sftp_arena_alloc(size_t n, void **abstract)
{
	struct bf_sftp_arena *a = *abstract;
	union blk *b = malloc(sizeof *b + n);
	if (!b)
		return NULL;
	b->l.prev = &a->head;
	b->l.next = a->head.l.next;
	a->head.l.next->l.prev = b;
	a->head.l.next = b;
	return b + 1;
}

void bf_sftp_arena_free(void *p, void **abstract)
{
	(void)abstract;
	if (!p)
		return;
	union blk *b = (union blk *)p - 1;
	b->l.prev->l.next = b->l.next;
	b->l.next->l.prev = b->l.prev;
	free(b);
}

void *bf_sftp_arena_realloc(void *p, size_t n, void **abstract)
{
	if (!p)
		return bf_sftp_arena_alloc(n, abstract);
	union blk *b = (union blk *)p - 1, *prev = b->l.prev, *next = b->l.next;
	union blk *nb = realloc(b, sizeof *nb + n);
	if (!nb)
		return NULL;
	prev->l.next = nb;
	next->l.prev = nb;
	return nb + 1;
}

struct bf_sftp_arena *bf_sftp_arena_new(void)
{
	struct bf_sftp_arena *a = bf_xmalloc(sizeof *a);
	a->head.l.prev = a->head.l.next = &a->head;
	return a;
}

void bf_sftp_arena_drop(struct bf_sftp_arena *a)
{
	if (!a)
		return;
	for (union blk *b = a->head.l.next, *next; b != &a->head; b = next) {
		next = b->l.next;
		free(b);
	}
	free(a);
}
