/* Local folder source. Symbolic links are followed only while they stay inside the root. */
#include "sources/bf_source_backend.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"

struct local {
	char *root;                /* realpath of the root */
};

struct local_file {
	int fd;
	char *path;
};

static void join(struct bf_buf *b, const char *root, const char *rel)
{
	bf_buf_reset(b);
	bf_buf_adds(b, root);
	if (rel && *rel) {
		bf_buf_addc(b, '/');
		bf_buf_adds(b, rel);
	}
}

static int inside(const char *root, const char *path)
{
	size_t n = strlen(root);
	return strncmp(path, root, n) == 0 && (path[n] == '/' || path[n] == '\0' || n == 1);
}

static int local_list(struct bf_source *s, const char *dir, struct bf_entry **ents, size_t *n,
		      int *missing, struct bf_err *err)
{
	struct local *l = s->impl;
	struct bf_buf path = BF_BUF_INIT, child = BF_BUF_INIT;
	size_t cap = 0;
	join(&path, l->root, dir);
	DIR *d = opendir(path.p);
	if (!d) {
		int e = errno;
		bf_buf_free(&path);
		if (e == ENOENT || e == ENOTDIR) {
			*missing = 1;
			return 0;
		}
		return bf_fail(err, e == EACCES ? BF_ENOPERM : BF_EIO, dir[0] ? dir : s->canon,
			       "cannot list: %s", strerror(e));
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct stat sb;
		struct bf_entry e = { NULL, BF_ENT_OTHER, -1, -1 };
		if (fstatat(dirfd(d), de->d_name, &sb, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		if (S_ISLNK(sb.st_mode)) {
			char real[PATH_MAX];
			join(&child, path.p, de->d_name);
			if (!realpath(child.p, real) || !inside(l->root, real) || stat(real, &sb) != 0) {
				bf_warn(dir[0] ? dir : s->canon, "refused link %s (leads outside the source or nowhere)",
					de->d_name);
				continue;
			}
		}
		e.type = S_ISREG(sb.st_mode) ? BF_ENT_FILE : S_ISDIR(sb.st_mode) ? BF_ENT_DIR : BF_ENT_OTHER;
		e.size = (long long)sb.st_size;
		e.mtime = (int64_t)sb.st_mtime;
		e.name = bf_xstrdup(de->d_name);
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*ents = bf_xrealloc(*ents, cap * sizeof **ents);
		}
		(*ents)[(*n)++] = e;
	}
	int e = errno;
	closedir(d);
	bf_buf_free(&path);
	bf_buf_free(&child);
	if (e)
		return bf_fail(err, BF_EIO, dir[0] ? dir : s->canon, "cannot list: %s", strerror(e));
	return 0;
}

static int local_open(struct bf_source *s, const char *rel, const struct bf_entry *ent, void **fh,
		      struct bf_err *err)
{
	struct local *l = s->impl;
	struct bf_buf path = BF_BUF_INIT;
	(void)ent;
	join(&path, l->root, rel);
	int fd = open(path.p, O_RDONLY | O_CLOEXEC);
	if (fd < 0) {
		int e = errno;
		bf_buf_free(&path);
		return bf_fail(err, e == ENOENT ? BF_ENOINPUT : e == EACCES ? BF_ENOPERM : BF_EIO, rel,
			       "cannot open: %s", strerror(e));
	}
	struct local_file *f = bf_xmalloc(sizeof *f);
	f->fd = fd;
	f->path = bf_xstrdup(rel);
	bf_buf_free(&path);
	*fh = f;
	return 0;
}

static long local_read(void *fh, void *buf, size_t len, struct bf_err *err)
{
	struct local_file *f = fh;
	for (;;) {
		ssize_t n = read(f->fd, buf, len);
		if (n >= 0)
			return (long)n;
		if (errno != EINTR)
			return -bf_fail(err, BF_EIO, f->path, "read: %s", strerror(errno));
	}
}

static int local_close(void *fh, struct bf_err *err)
{
	struct local_file *f = fh;
	(void)err;
	close(f->fd);
	free(f->path);
	free(f);
	return 0;
}

static void local_free(struct bf_source *s)
{
	struct local *l = s->impl;
	if (l)
		free(l->root);
	free(l);
}

static const struct bf_source_ops local_ops = {
	"file", local_list, local_open, local_read, local_close, local_free,
};

int bf_source_local_open(const char *path, struct bf_source *s, struct bf_err *err)
{
	char real[PATH_MAX];
	struct stat sb;
	if (!realpath(path, real) || stat(real, &sb) != 0)
		return bf_fail(err, BF_ENOINPUT, path, "source folder: %s", strerror(errno));
	if (!S_ISDIR(sb.st_mode))
		return bf_fail(err, BF_ENOINPUT, path, "source is not a folder");
	struct local *l = bf_xcalloc(1, sizeof *l);
	l->root = bf_xstrdup(real);
	s->impl = l;
	s->ops = &local_ops;
	s->canon = bf_xstrdup(real);
	return 0;
}
