/* The allocator of an SFTP backend's libssh2 session. libssh2 gives no way to free a
 * handle whose session died (closing it needs the server), so every block a session
 * allocates is kept on the arena's list, and bf_sftp_arena_drop, after
 * libssh2_session_free, frees the arena and whatever is left on it. The three callbacks
 * go to libssh2_session_init_ex with the arena as its abstract pointer. */
#ifndef BF_SFTP_ARENA_H
#define BF_SFTP_ARENA_H

#include <stddef.h>

struct bf_sftp_arena;

struct bf_sftp_arena *bf_sftp_arena_new(void);
/* NULL-safe. */
void bf_sftp_arena_drop(struct bf_sftp_arena *a);

void *bf_sftp_arena_alloc(size_t n, void **abstract);
void bf_sftp_arena_free(void *p, void **abstract);
void *bf_sftp_arena_realloc(void *p, size_t n, void **abstract);

#endif
