/* Looking up a path beneath a root folder without ever leaving it (the local source's
 * only way to reach a file). Every component is looked up from the folder above it
 * (fstatat/openat with O_NOFOLLOW), never by a whole path; a symbolic link is followed
 * only while it stays beneath the root: its target is walked here, component by
 * component, a ".." never climbing above the root and an absolute target accepted only
 * when it names the root by its real path. Nothing outside the root is opened or even
 * stat'ed, and a link swapped in between two steps is refused, not followed.
 * The caller owns the descriptor it gets back. */
#ifndef BF_BENEATH_H
#define BF_BENEATH_H

#include <sys/stat.h>

enum bf_beneath_want {
	BF_BENEATH_STAT,           /* what the path leads to (*fd = -1) */
	BF_BENEATH_DIR,            /* a folder, opened for listing */
	BF_BENEATH_FILE,           /* a regular file, opened for reading (blocking) */
};

enum bf_beneath_result {
	BF_BENEATH_OK = 0,
	BF_BENEATH_MISSING,        /* a component does not exist (or a regular file stands
				    * where a folder should be) */
	BF_BENEATH_REFUSED,        /* *why says why: a link leading outside or nowhere, a FIFO,
				    * a device, a folder where a file should be, ... */
	BF_BENEATH_ERRNO,          /* a system call failed: errno says which way */
};

/* Walks rel ('/'-separated, "" = the root itself) from rootfd, the root folder whose real
 * path is root. *st is what the path leads to; *fd an open descriptor for DIR and FILE.
 * *why is static text. */
enum bf_beneath_result bf_beneath(int rootfd, const char *root, const char *rel,
				  enum bf_beneath_want want, int *fd, struct stat *st,
				  const char **why);

#endif
