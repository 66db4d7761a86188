#include "base/bf_file.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"

/* A failed file operation: permission problems are 77, the rest 74. */
static int os_fail(struct bf_err *err, const char *path, const char *what)
{
	int e = errno;
	int code = e == EACCES || e == EPERM || e == EROFS ? BF_ENOPERM : BF_EIO;
	return bf_fail(err, code, path, "%s: %s", what, strerror(e));
}

int bf_read_file(const char *path, struct bf_buf *out)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	char chunk[65536];
	ssize_t n;
	while ((n = read(fd, chunk, sizeof chunk)) != 0) {
		if (n < 0) {
			if (errno == EINTR)
				continue;
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		bf_buf_add(out, chunk, (size_t)n);
	}
	close(fd);
	return 0;
}

int bf_write_all(int fd, const void *p, size_t n)
{
	const char *c = p;
	while (n) {
		ssize_t w = write(fd, c, n);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		c += w;
		n -= (size_t)w;
	}
	return 0;
}

int bf_fsync_dir(const char *dir, struct bf_err *err)
{
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return os_fail(err, dir, "cannot open directory");
	int rc = fsync(fd) && errno != EINVAL ? os_fail(err, dir, "fsync") : 0;
	close(fd);
	return rc;
}

int bf_mkdirs(const char *path, mode_t mode, struct bf_err *err)
{
	char *p = bf_xstrdup(path);
	int rc = 0;
	for (char *s = p + 1;; s++) {
		if (*s == '/' || !*s) {
			char c = *s;
			*s = '\0';
			if (mkdir(p, mode) && errno != EEXIST) {
				rc = os_fail(err, p, "cannot create directory");
				break;
			}
			if (!c)
				break;
			*s = c;
		}
	}
	free(p);
	return rc;
}

static void afile_release(struct bf_afile *f)
{
	free(f->path);
	free(f->tmp);
	free(f->dir);
	f->path = f->tmp = f->dir = NULL;
	f->fd = -1;
}

int bf_afile_open(struct bf_afile *f, const char *path, const char *tmp, mode_t mode,
		  struct bf_err *err)
{
	struct bf_buf b = BF_BUF_INIT;
	const char *slash = strrchr(path, '/');
	f->fd = -1;
	f->path = bf_xstrdup(path);
	f->dir = slash ? bf_xstrndup(path, slash == path ? 1 : (size_t)(slash - path)) : bf_xstrdup(".");
	if (tmp)
		bf_buf_adds(&b, tmp);
	else
		bf_buf_addf(&b, "%s.tmp.%ld", path, (long)getpid());
	f->tmp = bf_buf_detach(&b);
	f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
	if (f->fd < 0) {
		int rc = os_fail(err, f->tmp, "cannot create");
		afile_release(f);
		return rc;
	}
	return 0;
}

int bf_afile_write(struct bf_afile *f, const void *p, size_t n, struct bf_err *err)
{
	if (bf_write_all(f->fd, p, n))
		return os_fail(err, f->tmp, "write");
	return 0;
}

int bf_afile_commit(struct bf_afile *f, struct bf_err *err)
{
	int rc = 0;
	if (fsync(f->fd))
		rc = os_fail(err, f->tmp, "fsync");
	if (close(f->fd) && !rc)
		rc = os_fail(err, f->tmp, "close");
	f->fd = -1;
	if (!rc && rename(f->tmp, f->path))
		rc = os_fail(err, f->path, "rename");
	if (rc)
		unlink(f->tmp);
	else
		rc = bf_fsync_dir(f->dir, err);
	afile_release(f);
	return rc;
}

void bf_afile_abort(struct bf_afile *f)
{
	if (f->fd >= 0) {
		close(f->fd);
		unlink(f->tmp);
	}
	afile_release(f);
}

int bf_write_file_atomic(const char *path, const void *data, size_t n, mode_t mode,
			 struct bf_err *err)
{
	struct bf_afile f = BF_AFILE_INIT;
	int rc = bf_afile_open(&f, path, NULL, mode, err);
	if (rc)
		return rc;
	if ((rc = bf_afile_write(&f, data, n, err))) {
		bf_afile_abort(&f);
		return rc;
	}
	return bf_afile_commit(&f, err);
}
