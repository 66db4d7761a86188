#include "sources/bf_beneath.h"

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_buf.h"

#define MAX_LINKS 40               /* the kernel's own limit */
#define MAX_DEPTH 256

#ifndef O_PATH
#define O_PATH O_RDONLY
#endif

static const char outside_link[] = "a link that leads outside the source";
static const char outside_path[] = "a path that leads outside the source";
static const char nowhere[] = "a link that leads nowhere";
static const char changed[] = "changed while being opened";

/* The folders walked into below the root; fds[depth - 1] is the current one. */
struct walk {
	int rootfd;
	int fds[MAX_DEPTH];
	int depth;
};

static int cur(const struct walk *w)
{
	return w->depth ? w->fds[w->depth - 1] : w->rootfd;
}

static void to_root(struct walk *w)
{
	while (w->depth)
		close(w->fds[--w->depth]);
}

static const char *not_a_file(mode_t m)
{
	return S_ISDIR(m) ? "a folder, not a file" : S_ISFIFO(m) ? "a FIFO, not a regular file"
	     : S_ISSOCK(m) ? "a socket, not a regular file"
	     : S_ISCHR(m) || S_ISBLK(m) ? "a device, not a regular file" : "not a regular file";
}

static const char *not_a_folder(mode_t m)
{
	return S_ISFIFO(m) ? "a FIFO, not a folder" : S_ISSOCK(m) ? "a socket, not a folder"
	     : S_ISCHR(m) || S_ISBLK(m) ? "a device, not a folder" : "not a folder";
}

/* The last component, name (lstat'ed into *sb, not a link), in the current folder;
 * name "." is the current folder itself. */
static enum bf_beneath_result at_end(struct walk *w, const char *name, const struct stat *sb,
				     enum bf_beneath_want want, int *fd, struct stat *st,
				     const char **why)
{
	*st = *sb;
	if (want == BF_BENEATH_STAT)
		return BF_BENEATH_OK;
	if (want == BF_BENEATH_DIR && !S_ISDIR(sb->st_mode)) {
		/* a regular file where a folder should be is no folder: missing, as ever */
		if (S_ISREG(sb->st_mode))
			return BF_BENEATH_MISSING;
		*why = not_a_folder(sb->st_mode);
		return BF_BENEATH_REFUSED;
	}
	if (want == BF_BENEATH_FILE && !S_ISREG(sb->st_mode)) {
		*why = not_a_file(sb->st_mode);
		return BF_BENEATH_REFUSED;
	}
	/* O_NONBLOCK: a FIFO swapped in after the lstat does not hang the open */
	int flags = want == BF_BENEATH_DIR ? O_RDONLY | O_DIRECTORY
					   : O_RDONLY | O_NONBLOCK | O_NOCTTY;
	int d = openat(cur(w), name, flags | O_NOFOLLOW | O_CLOEXEC);
	if (d < 0) {
		if (errno == ENOENT)
			return BF_BENEATH_MISSING;
		if (errno == ELOOP || errno == ENOTDIR || errno == ENXIO) {
			*why = changed;
			return BF_BENEATH_REFUSED;
		}
		return BF_BENEATH_ERRNO;
	}
	if (fstat(d, st) != 0) {
		int e = errno;
		close(d);
		errno = e;
		return BF_BENEATH_ERRNO;
	}
	if (want == BF_BENEATH_FILE) {
		int fl = fcntl(d, F_GETFL);
		if (!S_ISREG(st->st_mode) || fl < 0 || fcntl(d, F_SETFL, fl & ~O_NONBLOCK) != 0) {
			close(d);
			*why = S_ISREG(st->st_mode) ? changed : not_a_file(st->st_mode);
			return BF_BENEATH_REFUSED;
		}
	}
	*fd = d;
	return BF_BENEATH_OK;
}

/* An absolute link target: the part of it below root, or NULL when it is not below. */
static const char *below_root(const char *root, const char *target)
{
	size_t n = strlen(root);
	if (n == 1 && root[0] == '/')
		return target;
	if (strncmp(target, root, n) != 0 || (target[n] && target[n] != '/'))
		return NULL;
	return target + n;
}

enum bf_beneath_result bf_beneath(int rootfd, const char *root, const char *rel,
				  enum bf_beneath_want want, int *fd, struct stat *st,
				  const char **why)
{
	struct walk w = { .rootfd = rootfd };
	struct bf_buf path = BF_BUF_INIT, next = BF_BUF_INIT;
	size_t pos = 0, linked = 0;  /* path[pos, linked) came from link targets */
	int links = 0;
	enum bf_beneath_result r;
	char name[NAME_MAX + 1];

	*fd = -1;
	*why = NULL;
	bf_buf_adds(&path, rel ? rel : "");
	for (;;) {
		while (path.p[pos] == '/')
			pos++;
		if (!path.p[pos]) {
			/* the path names the folder reached so far */
			struct stat sb;
			if (fstat(cur(&w), &sb) != 0) {
				r = BF_BENEATH_ERRNO;
				break;
			}
			r = at_end(&w, ".", &sb, want, fd, st, why);
			break;
		}
		size_t len = strcspn(path.p + pos, "/"), after = pos + len;
		int from_link = pos < linked;
		while (path.p[after] == '/')
			after++;
		int last = !path.p[after];
		if (len > NAME_MAX) {
			errno = ENAMETOOLONG;
			r = BF_BENEATH_ERRNO;
			break;
		}
		memcpy(name, path.p + pos, len);
		name[len] = '\0';
		pos = after;
		if (!strcmp(name, "."))
			continue;
		if (!strcmp(name, "..")) {
			if (!w.depth) {
				*why = from_link ? outside_link : outside_path;
				r = BF_BENEATH_REFUSED;
				break;
			}
			close(w.fds[--w.depth]);
			continue;
		}
		struct stat sb;
		if (fstatat(cur(&w), name, &sb, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT && errno != ENOTDIR) {
				r = BF_BENEATH_ERRNO;
			} else if (from_link) {
				*why = nowhere;
				r = BF_BENEATH_REFUSED;
			} else {
				r = BF_BENEATH_MISSING;
			}
			break;
		}
		if (S_ISLNK(sb.st_mode)) {
			char target[PATH_MAX];
			ssize_t n = readlinkat(cur(&w), name, target, sizeof target);
			if (++links > MAX_LINKS || n <= 0 || (size_t)n >= sizeof target) {
				*why = links > MAX_LINKS ? "too many links" : n < 0 ? changed : nowhere;
				r = BF_BENEATH_REFUSED;
				break;
			}
			target[n] = '\0';
			const char *t = target;
			if (*t == '/') {
				if (!(t = below_root(root, target))) {
					*why = outside_link;
					r = BF_BENEATH_REFUSED;
					break;
				}
				to_root(&w);
			}
			/* the rest of the path now follows the link's target */
			size_t still = linked > pos ? linked - pos : 0;
			bf_buf_reset(&next);
			bf_buf_adds(&next, t);
			bf_buf_addc(&next, '/');
			linked = next.len + still;
			bf_buf_adds(&next, path.p + pos);
			struct bf_buf tmp = path;
			path = next;
			next = tmp;
			pos = 0;
			continue;
		}
		if (last) {
			r = at_end(&w, name, &sb, want, fd, st, why);
			break;
		}
		if (!S_ISDIR(sb.st_mode)) {
			if (S_ISREG(sb.st_mode)) {
				r = from_link ? BF_BENEATH_REFUSED : BF_BENEATH_MISSING;
				*why = from_link ? nowhere : NULL;
			} else {
				*why = not_a_folder(sb.st_mode);
				r = BF_BENEATH_REFUSED;
			}
			break;
		}
		if (w.depth == MAX_DEPTH) {
			*why = "too deep";
			r = BF_BENEATH_REFUSED;
			break;
		}
		int d = openat(cur(&w), name, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (d < 0) {
			if (errno == ENOENT) {
				r = BF_BENEATH_MISSING;
			} else if (errno == ELOOP || errno == ENOTDIR) {
				*why = changed;
				r = BF_BENEATH_REFUSED;
			} else {
				r = BF_BENEATH_ERRNO;
			}
			break;
		}
		w.fds[w.depth++] = d;
	}
	int e = errno;
	to_root(&w);
	bf_buf_free(&path);
	bf_buf_free(&next);
	errno = e;
	return r;
}
