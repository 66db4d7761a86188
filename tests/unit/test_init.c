/* Unit tests for bf_init (the prologue of every main: safe descriptors 0-2, SIGPIPE
 * restored, the program name) and the argv join, and for the out-of-memory message
 * naming the program. TAP. */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_init.h"
#include "base/bf_log.h"

#include "tap.h"

/* Under AddressSanitizer a failed malloc must return NULL, as it does without it. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "allocator_may_return_null=1"; }

static int is_devnull(int fd)
{
	struct stat a, b;
	return fstat(fd, &a) == 0 && stat("/dev/null", &b) == 0 && S_ISCHR(a.st_mode) &&
	       a.st_rdev == b.st_rdev;
}

/* Runs fn in a child; returns its exit status (or 128 + the signal). */
static int in_child(int (*fn)(void))
{
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	int st;
	if (pid < 0 || waitpid(pid, &st, 0) != pid)
		return -1;
	return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
}

static int closed_fds(void)
{
	char *argv[] = { "bf-x", NULL };
	close(0);
	close(1);
	close(2);
	bf_main_init(argv);
	int fd = open("/dev/null", O_RDONLY);
	/* 0-2 are /dev/null now, and a new descriptor lands above them */
	return !(is_devnull(0) && is_devnull(1) && is_devnull(2) && fd > 2);
}

static int only_stdout_closed(void)
{
	char *argv[] = { "bf-x", NULL };
	int keep = dup(2);
	close(1);
	bf_main_init(argv);
	struct stat a, b;
	/* stdout is /dev/null; stderr is still what it was */
	return !(is_devnull(1) && fstat(2, &a) == 0 && fstat(keep, &b) == 0 &&
		 a.st_ino == b.st_ino && a.st_dev == b.st_dev);
}

static int sigpipe_restored(void)
{
	char *argv[] = { "bf-x", NULL };
	sigset_t set, cur;
	struct sigaction sa;
	signal(SIGPIPE, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_BLOCK, &set, NULL);
	bf_main_init(argv);
	sigaction(SIGPIPE, NULL, &sa);
	sigprocmask(SIG_BLOCK, NULL, &cur);
	return !(sa.sa_handler == SIG_DFL && !sigismember(&cur, SIGPIPE));
}

static int write_to_closed_pipe(void)
{
	char *argv[] = { "bf-x", NULL };
	int p[2];
	signal(SIGPIPE, SIG_IGN);
	bf_main_init(argv);
	if (pipe(p))
		return 1;
	close(p[0]);
	(void)!write(p[1], "x", 1);
	return 0; /* not reached: SIGPIPE kills */
}

static int oom_fd = -1;
static int out_of_memory(void)
{
	char *argv[] = { "/usr/local/bin/bf-oomtest", NULL };
	bf_main_init(argv);
	dup2(oom_fd, 2);
	void *p = bf_xmalloc(SIZE_MAX / 2);
	free(p);
	return 0; /* not reached */
}

int main(void)
{
	char *av1[] = { "prog", NULL };
	char *j = bf_argv_join(1, av1);
	ok(j == NULL, "no arguments: NULL");
	char *av3[] = { "prog", "--target", "a b.db", "-q", NULL };
	j = bf_argv_join(4, av3);
	is_str(j, "--target a b.db -q", "arguments join with single spaces, argv[0] left out");
	free(j);

	char *argv[] = { "/usr/local/bin/bf-thing", NULL };
	bf_main_init(argv);
	is_str(bf_prog(), "bf-thing", "the program name is argv[0]'s base name");

	is_int(in_child(closed_fds), 0, "closed 0, 1, 2 are opened on /dev/null");
	is_int(in_child(only_stdout_closed), 0, "a closed stdout alone is opened on /dev/null, stderr kept");
	is_int(in_child(sigpipe_restored), 0, "SIGPIPE ignored and blocked by the parent: default and unblocked");
	is_int(in_child(write_to_closed_pipe), 128 + SIGPIPE, "a write to a closed pipe then ends the program by SIGPIPE");

	int p[2];
	if (pipe(p) == 0) {
		oom_fd = p[1];
		int st = in_child(out_of_memory);
		close(p[1]);
		char all[1024] = "", *msg = all;
		size_t n = 0;
		ssize_t r;
		while (n < sizeof all - 1 && (r = read(p[0], all + n, sizeof all - 1 - n)) > 0)
			n += (size_t)r;
		all[n] = '\0';
		close(p[0]);
		/* (a sanitizer may say something first: the message is a line of its own) */
		for (char *l = all; l && *l; l = strchr(l, '\n') ? strchr(l, '\n') + 1 : NULL)
			if (!strncmp(l, "bf-oomtest: ", 12)) {
				msg = l;
				break;
			}
		msg[strcspn(msg, "\n")] = '\0';
		is_int(st, 128 + SIGABRT, "out of memory aborts");
		ok(!strncmp(msg, "bf-oomtest: out of memory allocating ", 37), "the message names the program: %s",
		   msg);
	}
	return done_testing();
}
