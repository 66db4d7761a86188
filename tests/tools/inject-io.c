/* inject-io: an LD_PRELOAD library for tests that makes a process's writes, syncs and
 * closes fail, or keeps a copy of files as a power cut would leave them (after jq's
 * src/inject_errors.c). Only descriptors whose path contains BF_INJECT_MATCH are touched.
 *
 *   BF_INJECT_MATCH=SUBSTRING  the files concerned (required)
 *   BF_INJECT_FAIL=OP:N,...    OP is write (write, pwrite, writev), fsync (fsync, fdatasync)
 *                              or close: its Nth call on such a file and every later one
 *                              fail with EIO (a close closes, then fails)
 *   BF_INJECT_SNAPSHOT=DIR     at each successful fsync of such a file, DIR/<its name> becomes
 *                              a copy of it; unlinking it removes the copy. DIR then holds
 *                              each file as it stood at its last sync: what a power cut
 *                              keeps (the directory entries aside)
 *   BF_INJECT_COUNT=FILE       at exit, "write W fsync F close C" (the calls seen) is
 *                              appended to FILE
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/uio.h>
#include <unistd.h>

enum { OP_WRITE, OP_FSYNC, OP_CLOSE, NOPS };
static const char *const op_names[NOPS] = { "write", "fsync", "close" };

static const char *match, *snapdir;
static long fail_at[NOPS];         /* 0: never */
static long seen[NOPS];
static __thread int inside;        /* our own calls are not counted */

#define REAL(name) static __typeof__(name) *real_##name; \
	if (!real_##name) real_##name = (__typeof__(name) *)dlsym(RTLD_NEXT, #name)

static void setup(void) __attribute__((constructor));
static void setup(void)
{
	match = getenv("BF_INJECT_MATCH");
	snapdir = getenv("BF_INJECT_SNAPSHOT");
	const char *f = getenv("BF_INJECT_FAIL");
	while (f && *f) {
		for (int i = 0; i < NOPS; i++) {
			size_t n = strlen(op_names[i]);
			if (!strncmp(f, op_names[i], n) && f[n] == ':')
				fail_at[i] = strtol(f + n + 1, NULL, 10);
		}
		f = strchr(f, ',');
		f = f ? f + 1 : NULL;
	}
}

static void report(void) __attribute__((destructor));
static void report(void)
{
	const char *p = getenv("BF_INJECT_COUNT");
	FILE *f = p ? fopen(p, "a") : NULL;
	if (f) {
		inside++;
		fprintf(f, "write %ld fsync %ld close %ld\n", seen[OP_WRITE], seen[OP_FSYNC], seen[OP_CLOSE]);
		fclose(f);
		inside--;
	}
}

/* The path of fd when it is a file concerned, in buf. */
static const char *concerned(int fd, char *buf, size_t n)
{
	char link[64];
	if (!match || inside)
		return NULL;
	snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
	ssize_t k = readlink(link, buf, n - 1);
	if (k <= 0)
		return NULL;
	buf[k] = '\0';
	return strstr(buf, match) ? buf : NULL;
}

/* Counts a call of op on a file concerned: 1 when it must fail. */
static int fails(int op)
{
	seen[op]++;
	return fail_at[op] && seen[op] >= fail_at[op];
}

static void snapshot_path(const char *path, char *out, size_t n)
{
	const char *base = strrchr(path, '/');
	snprintf(out, n, "%s/%s", snapdir, base ? base + 1 : path);
}

/* DIR/<name> := the file's content now. */
static void snapshot(const char *path)
{
	REAL(open);
	REAL(read);
	REAL(write);
	REAL(close);
	char dst[4096], tmp[4200], buf[65536];
	snapshot_path(path, dst, sizeof dst);
	snprintf(tmp, sizeof tmp, "%s.part", dst);
	inside++;
	int in = real_open(path, O_RDONLY | O_CLOEXEC);
	int out = real_open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	ssize_t k;
	while (in >= 0 && out >= 0 && (k = real_read(in, buf, sizeof buf)) > 0)
		if (real_write(out, buf, (size_t)k) != k)
			break;
	if (in >= 0)
		real_close(in);
	if (out >= 0) {
		real_close(out);
		rename(tmp, dst);
	}
	inside--;
}

#define WRITE_CHECK(fd) do { char p_[4096]; \
	if (concerned((fd), p_, sizeof p_) && fails(OP_WRITE)) { errno = EIO; return -1; } } while (0)

ssize_t write(int fd, const void *b, size_t n)
{
	REAL(write);
	WRITE_CHECK(fd);
	return real_write(fd, b, n);
}

ssize_t pwrite(int fd, const void *b, size_t n, off_t off)
{
	REAL(pwrite);
	WRITE_CHECK(fd);
	return real_pwrite(fd, b, n, off);
}

ssize_t pwrite64(int fd, const void *b, size_t n, off_t off)
{
	REAL(pwrite64);
	WRITE_CHECK(fd);
	return real_pwrite64(fd, b, n, off);
}

ssize_t writev(int fd, const struct iovec *iov, int n)
{
	REAL(writev);
	WRITE_CHECK(fd);
	return real_writev(fd, iov, n);
}

static int sync_common(int fd, int (*real)(int))
{
	char p[4096];
	const char *path = concerned(fd, p, sizeof p);
	if (path && fails(OP_FSYNC)) {
		errno = EIO;
		return -1;
	}
	int rc = real(fd);
	if (!rc && path && snapdir)
		snapshot(path);
	return rc;
}

int fsync(int fd)
{
	REAL(fsync);
	return sync_common(fd, real_fsync);
}

int fdatasync(int fd)
{
	REAL(fdatasync);
	return sync_common(fd, real_fdatasync);
}

int close(int fd)
{
	REAL(close);
	char p[4096];
	int bad = concerned(fd, p, sizeof p) && fails(OP_CLOSE);
	int rc = real_close(fd);
	if (bad) {
		errno = EIO;
		return -1;
	}
	return rc;
}

static void unsnap(const char *path)
{
	char dst[4096];
	if (!snapdir || !match || inside || !strstr(path, match))
		return;
	snapshot_path(path, dst, sizeof dst);
	inside++;
	unlink(dst);
	inside--;
}

int unlink(const char *path)
{
	REAL(unlink);
	int rc = real_unlink(path);
	if (!rc)
		unsnap(path);
	return rc;
}
