/* Local folder source. Every path is walked from the root's descriptor (sources/bf_beneath.h):
 * symbolic links are followed only while they stay beneath the root, and what lies
 * outside is never opened. */
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
#include "sources/bf_beneath.h"

struct local {
	char *root;                /* realpath of the root */
	int rootfd;                /* the root folder: every path is walked from here */
};

struct local_file {
	int fd;
	char *path;
};

static void join(struct bf_buf *b, const char *dir, const char *name)
{
	bf_buf_reset(b);
	bf_buf_adds(b, dir);
	if (*dir)
		bf_buf_addc(b, '/');
	bf_buf_adds(b, name);
}

/* A failed walk to rel as an error: BF_SOURCE_UNREADABLE for what the entry itself
 * refuses (a link, its kind, its permissions), BF_EIO for the rest. */
static int walk_fail(enum bf_beneath_result r, const char *why, int e, const char *rel,
		     const char *what, struct bf_err *err)
{
	if (r == BF_BENEATH_REFUSED)
		return bf_fail(err, BF_SOURCE_UNREADABLE, rel, "refused: %s", why);
	if (r == BF_BENEATH_MISSING)
		return bf_fail(err, BF_ENOINPUT, rel, "%s: no such file or folder", what);
	return bf_fail(err, e == EACCES || e == EPERM ? BF_SOURCE_UNREADABLE : BF_EIO, rel, "%s: %s",
		       what, strerror(e));
}

/* What a listed name is: its own kind, or for a link what the link leads to (walked
 * beneath the root, never outside); e->refused says why it cannot be read. 0, or -1 when
 * the name went away since the listing. */
static int classify(struct local *l, int dfd, const char *dir, const char *name, struct bf_entry *e,
		    struct bf_buf *rel)
{
	struct stat sb;
	if (fstatat(dfd, name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
		if (errno == ENOENT)
			return -1;
		struct bf_buf why = BF_BUF_INIT;
		bf_buf_addf(&why, "cannot look at it: %s", strerror(errno));
		e->refused = bf_buf_detach(&why);
		return 0;
	}
	if (S_ISLNK(sb.st_mode)) {
		int fd;
		const char *why;
		join(rel, dir, name);
		enum bf_beneath_result r = bf_beneath(l->rootfd, l->root, rel->p, BF_BENEATH_STAT, &fd, &sb, &why);
		if (r != BF_BENEATH_OK) {
			struct bf_buf w = BF_BUF_INIT;
			if (r == BF_BENEATH_REFUSED)
				bf_buf_adds(&w, why);
			else if (r == BF_BENEATH_MISSING)
				bf_buf_adds(&w, "a link that leads nowhere");
			else
				bf_buf_addf(&w, "a link that cannot be followed: %s", strerror(errno));
			e->refused = bf_buf_detach(&w);
			return 0;
		}
	}
	e->type = S_ISREG(sb.st_mode) ? BF_ENT_FILE : S_ISDIR(sb.st_mode) ? BF_ENT_DIR : BF_ENT_OTHER;
	e->size = (long long)sb.st_size;
	e->mtime = (int64_t)sb.st_mtime;
	if (e->type == BF_ENT_OTHER) {
		struct bf_buf w = BF_BUF_INIT;
		bf_buf_addf(&w, "%s, neither a regular file nor a folder", bf_entry_kind(sb.st_mode));
		e->refused = bf_buf_detach(&w);
	}
	return 0;
}

static int local_list(struct bf_source *s, const char *dir, struct bf_entry **ents, size_t *n,
		      int *missing, struct bf_err *err)
{
	struct local *l = s->impl;
	struct bf_buf rel = BF_BUF_INIT;
	const char *where = dir[0] ? dir : s->canon, *why;
	size_t cap = 0;
	struct stat st;
	int fd;
	enum bf_beneath_result r = bf_beneath(l->rootfd, l->root, dir, BF_BENEATH_DIR, &fd, &st, &why);
	if (r == BF_BENEATH_MISSING) {
		*missing = 1;
		return 0;
	}
	if (r != BF_BENEATH_OK)
		return walk_fail(r, why, errno, where, "cannot list", err);
	DIR *d = fdopendir(fd);
	if (!d) {
		int e = errno;
		close(fd);
		return bf_fail(err, BF_EOS, where, "cannot list: %s", strerror(e));
	}
	struct dirent *de;
	while ((errno = 0, de = readdir(d))) {
		if (!strcmp(de->d_name, ".") || !strcmp(de->d_name, ".."))
			continue;
		struct bf_entry e = { NULL, BF_ENT_OTHER, -1, -1, NULL };
		if (classify(l, dirfd(d), dir, de->d_name, &e, &rel))
			continue;
		e.name = bf_xstrdup(de->d_name);
		if (*n == cap) {
			cap = cap ? cap * 2 : 16;
			*ents = bf_xrealloc(*ents, cap * sizeof **ents);
		}
		(*ents)[(*n)++] = e;
	}
	int e = errno;
	closedir(d);
	bf_buf_free(&rel);
	if (e)
		return bf_fail(err, e == EACCES ? BF_SOURCE_UNREADABLE : BF_EIO, where, "cannot list: %s",
			       strerror(e));
	return 0;
}

static int local_open(struct bf_source *s, const char *rel, const struct bf_entry *ent, void **fh,
		      struct bf_err *err)
{
	struct local *l = s->impl;
	struct stat st;
	const char *why;
	int fd;
	(void)ent;
	enum bf_beneath_result r = bf_beneath(l->rootfd, l->root, rel, BF_BENEATH_FILE, &fd, &st, &why);
	if (r != BF_BENEATH_OK)
		return walk_fail(r, why, errno, rel, "cannot open", err);
	struct local_file *f = bf_xmalloc(sizeof *f);
	f->fd = fd;
	f->path = bf_xstrdup(rel);
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
	if (!l)
		return;
	close(l->rootfd);
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
	int fd = open(real, O_PATH | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return bf_fail(err, errno == EACCES ? BF_ENOPERM : BF_ENOINPUT, path, "source folder: %s",
			       strerror(errno));
	struct local *l = bf_xcalloc(1, sizeof *l);
	l->root = bf_xstrdup(real);
	l->rootfd = fd;
	s->impl = l;
	s->ops = &local_ops;
	s->canon = bf_xstrdup(real);
	return 0;
}
