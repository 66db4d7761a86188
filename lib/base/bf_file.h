/* Reading a whole file (bf_read_file). Writing files: every write of a buffer to a descriptor goes through bf_write_all, and
 * every file that a reader must see whole or not at all through struct bf_afile (written
 * under a temporary name in its own directory, fsynced, renamed over the final name, the
 * directory fsynced; like git's lockfile). A bf_afile owns its descriptor and names until
 * commit or abort, both of which release everything. */
#ifndef BF_FILE_H
#define BF_FILE_H

#include <stddef.h>
#include <sys/types.h>

#include "base/bf_log.h"

/* Writes all of p[0..n) to fd across short writes and EINTR; 0, or -1 with errno set. */
int bf_write_all(int fd, const void *p, size_t n);

/* Appends the whole of the file at path to out; 0, or -1 with errno set (out then holds
 * what was read). */
struct bf_buf;
int bf_read_file(const char *path, struct bf_buf *out);

struct bf_afile {
	int fd;                    /* the temporary file, -1 when none is open */
	char *path, *tmp, *dir;
};
#define BF_AFILE_INIT { -1, NULL, NULL, NULL }

/* Creates (truncates) the temporary file tmp, or "PATH.tmp.PID" when tmp is NULL, with
 * mode (before the umask); it must be in path's directory. The directory must exist. */
int bf_afile_open(struct bf_afile *f, const char *path, const char *tmp, mode_t mode,
		  struct bf_err *err);
int bf_afile_write(struct bf_afile *f, const void *p, size_t n, struct bf_err *err);
/* fsync, close, rename over path, fsync of the directory. On failure the temporary file
 * is removed and path keeps what it had. */
int bf_afile_commit(struct bf_afile *f, struct bf_err *err);
/* Closes and removes the temporary file; harmless on a committed or never opened one. */
void bf_afile_abort(struct bf_afile *f);

/* data[0..n) as the whole content of path, atomically (a bf_afile with the default
 * temporary name). */
int bf_write_file_atomic(const char *path, const void *data, size_t n, mode_t mode,
			 struct bf_err *err);
/* fsync of a directory, so that a rename or unlink in it is durable (EINVAL: not
 * supported there, which is not an error). */
int bf_fsync_dir(const char *dir, struct bf_err *err);
/* mkdir -p with mode for each missing level. */
int bf_mkdirs(const char *path, mode_t mode, struct bf_err *err);

#endif
