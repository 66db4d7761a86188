/* Unit tests for bf_file: bf_write_all across short writes and EINTR, the atomic file
 * (bf_afile, bf_write_file_atomic) and bf_mkdirs. TAP. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_file.h"

#include "tap.h"

static char root[] = "/tmp/bf-test-file.XXXXXX";

static char *at(const char *name)
{
	struct bf_buf b = BF_BUF_INIT;
	bf_buf_addf(&b, "%s/%s", root, name);
	return bf_buf_detach(&b);
}

static char *slurp(const char *path)
{
	struct bf_buf b = BF_BUF_INIT;
	FILE *f = fopen(path, "rb");
	char tmp[4096];
	size_t n;
	if (!f)
		return NULL;
	while ((n = fread(tmp, 1, sizeof tmp, f)) > 0)
		bf_buf_add(&b, tmp, n);
	fclose(f);
	return bf_buf_detach(&b);
}

/* how many entries dir has, . and .. left out */
static int entries(const char *dir)
{
	int n = 0;
	DIR *d = opendir(dir);
	struct dirent *e;
	while (d && (e = readdir(d)))
		n += strcmp(e->d_name, ".") && strcmp(e->d_name, "..");
	if (d)
		closedir(d);
	return n;
}

static volatile sig_atomic_t ticks;
static void on_alarm(int sig) { (void)sig; ticks++; }

int main(void)
{
	struct bf_err err = { 0 };
	if (!mkdtemp(root))
		return 1;
	umask(022);

	/* bf_write_all: 8 MiB into a pipe whose reader is slow, with a timer interrupting
	 * the writes (no SA_RESTART): short writes and EINTR both happen */
	{
		size_t n = 8u << 20;
		char *data = bf_xmalloc(n);
		for (size_t i = 0; i < n; i++)
			data[i] = (char)(i * 7 + i / 4096);
		int p[2];
		if (pipe(p))
			return 1;
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			close(p[1]);
			usleep(50000);
			size_t got = 0, bad = 0;
			char buf[1000];
			ssize_t r;
			while ((r = read(p[0], buf, sizeof buf)) > 0) {
				for (ssize_t i = 0; i < r; i++)
					bad += buf[i] != (char)((got + (size_t)i) * 7 + (got + (size_t)i) / 4096);
				got += (size_t)r;
				if (got % (1u << 20) < sizeof buf)
					usleep(2000);
			}
			_exit(got == n && !bad ? 0 : 1);
		}
		close(p[0]);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_alarm;   /* no SA_RESTART: write returns early */
		sigaction(SIGALRM, &sa, NULL);
		struct itimerval it = { { 0, 1000 }, { 0, 1000 } };
		setitimer(ITIMER_REAL, &it, NULL);
		int rc = bf_write_all(p[1], data, n);
		struct itimerval off = { { 0, 0 }, { 0, 0 } };
		setitimer(ITIMER_REAL, &off, NULL);
		close(p[1]);
		int st;
		waitpid(pid, &st, 0);
		ok(rc == 0 && WIFEXITED(st) && WEXITSTATUS(st) == 0,
		   "write_all delivers every byte in order through interrupted writes (%d timer ticks)", (int)ticks);
		ok(ticks > 0, "the timer did interrupt");
		free(data);
		if (pipe(p))
			return 1;
		close(p[0]);
		signal(SIGPIPE, SIG_IGN);
		errno = 0;
		ok(bf_write_all(p[1], "x", 1) == -1 && errno == EPIPE, "a failed write is -1 with errno (EPIPE)");
		close(p[1]);
	}

	/* atomic files */
	char *a = at("a.txt");
	ok(bf_write_file_atomic(a, "one\n", 4, 0640, &err) == 0, "a new file");
	{
		struct bf_buf rb = BF_BUF_INIT;
		bf_buf_adds(&rb, "x:");
		ok(bf_read_file(a, &rb) == 0 && !strcmp(rb.p, "x:one\n"), "bf_read_file appends the whole file");
		bf_buf_reset(&rb);
		errno = 0;
		ok(bf_read_file("no/such/file", &rb) == -1 && errno == ENOENT && rb.len == 0,
		   "bf_read_file of a missing file: -1, ENOENT, nothing appended");
		size_t big = 200000;
		char *data = malloc(big);
		for (size_t i = 0; i < big; i++)
			data[i] = (char)('a' + i % 26);
		char *bigf = at("big.txt");
		ok(bf_write_file_atomic(bigf, data, big, 0640, &err) == 0 && bf_read_file(bigf, &rb) == 0 &&
		   rb.len == big && !memcmp(rb.p, data, big), "bf_read_file reads a file of several chunks");
		unlink(bigf);
		free(bigf);
		free(data);
		bf_buf_free(&rb);
	}
	char *s = slurp(a);
	is_str(s, "one\n", "holds what was written");
	free(s);
	struct stat st;
	ok(stat(a, &st) == 0 && (st.st_mode & 0777) == 0640, "with the mode given (%o)", st.st_mode & 0777);
	ino_t first = st.st_ino;
	ok(bf_write_file_atomic(a, "two\n", 4, 0640, &err) == 0, "written again");
	s = slurp(a);
	is_str(s, "two\n", "the new content replaced the old");
	free(s);
	ok(stat(a, &st) == 0 && st.st_ino != first, "through a rename (a new inode), never in place");
	is_int(entries(root), 1, "no temporary file is left");
	ok(bf_write_file_atomic(a, "", 0, 0600, &err) == 0 && stat(a, &st) == 0 && st.st_size == 0,
	   "an empty file");

	{
		struct bf_afile f = BF_AFILE_INIT;
		char *b = at("b.ndjson"), *tmp = at(".b.ndjson.tmp");
		ok(bf_afile_open(&f, b, tmp, 0644, &err) == 0 && access(tmp, F_OK) == 0 && access(b, F_OK) != 0,
		   "an afile is written under its temporary name");
		ok(bf_afile_write(&f, "ab", 2, &err) == 0 && bf_afile_write(&f, "c\n", 2, &err) == 0, "in pieces");
		ok(bf_afile_commit(&f, &err) == 0 && access(tmp, F_OK) != 0, "commit renames it");
		s = slurp(b);
		is_str(s, "abc\n", "to its final name, whole");
		free(s);
		ok(f.fd == -1 && !f.tmp && !f.path, "and releases everything");

		ok(bf_afile_open(&f, b, NULL, 0644, &err) == 0, "a second write with the default temporary name");
		char pidtmp[256];
		snprintf(pidtmp, sizeof pidtmp, "%s.tmp.%ld", b, (long)getpid());
		ok(access(pidtmp, F_OK) == 0, "PATH.tmp.PID");
		bf_afile_write(&f, "zzz", 3, &err);
		bf_afile_abort(&f);
		ok(access(pidtmp, F_OK) != 0, "abort removes the temporary file");
		s = slurp(b);
		is_str(s, "abc\n", "and leaves the file as it was");
		free(s);
		bf_afile_abort(&f);
		ok(1, "a second abort is harmless");
		free(b);
		free(tmp);
	}

	/* failures */
	{
		char *nodir = at("no/such/dir/x");
		memset(&err, 0, sizeof err);
		ok(bf_write_file_atomic(nodir, "x", 1, 0644, &err) == BF_EIO && strstr(err.msg, "cannot create"),
		   "a missing directory: 74 (%s)", err.msg);
		free(nodir);
		/* rename over a non-empty directory fails: the temporary file goes, the
		 * directory stays */
		char *d = at("full"), *inside = at("full/x");
		mkdir(d, 0755);
		bf_write_file_atomic(inside, "x", 1, 0644, &err);
		memset(&err, 0, sizeof err);
		int n0 = entries(root);
		ok(bf_write_file_atomic(d, "y", 1, 0644, &err) == BF_EIO && strstr(err.msg, "rename"),
		   "a failed rename is 74 (%s)", err.msg);
		ok(entries(root) == n0 && entries(d) == 1, "and leaves no temporary file and the target as it was");
		free(inside);
		free(d);
	}

	/* bf_mkdirs */
	{
		char *deep = at("m/n/o"), *file = at("a.txt/sub");
		ok(bf_mkdirs(deep, 0755, &err) == 0 && stat(deep, &st) == 0 && S_ISDIR(st.st_mode),
		   "mkdirs makes every level");
		ok(bf_mkdirs(deep, 0755, &err) == 0, "and is fine when they exist");
		memset(&err, 0, sizeof err);
		ok(bf_mkdirs(file, 0755, &err) != 0 && strstr(err.msg, "cannot create directory"),
		   "a file in the way is an error (%s)", err.msg);
		ok(bf_fsync_dir(deep, &err) == 0, "fsync of a directory");
		free(deep);
		free(file);
	}
	free(a);

	/* clean up the scratch tree */
	{
		char *argv[] = { "rm", "-rf", root, NULL };
		pid_t pid = fork();
		if (pid == 0) {
			execvp("rm", argv);
			_exit(127);
		}
		waitpid(pid, NULL, 0);
	}
	return done_testing();
}
