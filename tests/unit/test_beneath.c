/* Unit tests for bf_beneath: links followed only while they stay beneath the root (relative,
 * absolute, chained, climbing with ".."), refused when they lead outside or nowhere or
 * loop; FIFOs, sockets and folders refused without being opened (a FIFO never hangs);
 * and a folder swapped with a link to the outside while files are being opened: nothing
 * outside is ever opened. TAP. */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sources/bf_beneath.h"

#include "tap.h"

static char base[PATH_MAX], root[PATH_MAX];
static int rootfd;

static void put(const char *rel, const char *text)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof p, "%s/%s", base, rel);
	FILE *f = fopen(p, "w");
	if (!f || fputs(text, f) < 0 || fclose(f) != 0) {
		perror(p);
		exit(1);
	}
}

static void dir(const char *rel)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof p, "%s/%s", base, rel);
	if (mkdir(p, 0755) != 0) {
		perror(p);
		exit(1);
	}
}

static void link_(const char *target, const char *rel)
{
	char p[PATH_MAX * 2];
	snprintf(p, sizeof p, "%s/%s", base, rel);
	if (symlink(target, p) != 0) {
		perror(p);
		exit(1);
	}
}

static const char *names[] = { "ok", "missing", "refused", "errno" };

/* Walks rel; checks the result, the refusal text (when want_why) and for FILE the content. */
static void check(const char *rel, enum bf_beneath_want want, enum bf_beneath_result want_r,
		  const char *want_why, const char *want_text)
{
	int fd;
	struct stat st;
	const char *why;
	enum bf_beneath_result r = bf_beneath(rootfd, root, rel, want, &fd, &st, &why);
	char text[64] = "";
	if (r == BF_BENEATH_OK && want == BF_BENEATH_FILE) {
		ssize_t n = read(fd, text, sizeof text - 1);
		text[n > 0 ? n : 0] = '\0';
	}
	if (fd >= 0)
		close(fd);
	int good = r == want_r && (!want_why || (why && !strcmp(why, want_why))) &&
		   (!want_text || !strcmp(text, want_text)) && ((want == BF_BENEATH_STAT) == (fd < 0) || r != BF_BENEATH_OK);
	ok(good, "%s \"%s\": %s%s%s", want == BF_BENEATH_FILE ? "file" : want == BF_BENEATH_DIR ? "folder" : "stat",
	   rel, names[want_r], want_why ? ", " : "", want_why ? want_why : "");
	if (!good)
		diag("got %s (%s), text \"%s\", errno %s", names[r], why ? why : "-", text, strerror(errno));
}

/* The race: a folder inside the root and a link to a folder outside swap places over and
 * over while the main thread opens a file through that name. */
static volatile int stop_flipping;

static void *flipper(void *arg)
{
	(void)arg;
	char a[PATH_MAX * 2], b[PATH_MAX * 2];
	snprintf(a, sizeof a, "%s/flip", root);
	snprintf(b, sizeof b, "%s/flip_alt", root);
	while (!stop_flipping)
		if (renameat2(AT_FDCWD, a, AT_FDCWD, b, RENAME_EXCHANGE) != 0)
			break;
	return NULL;
}

static void test_race(void)
{
	pthread_t t;
	long opened = 0, refused = 0, outside = 0, naive_outside = 0;
	char naive[PATH_MAX * 2];
	snprintf(naive, sizeof naive, "%s/flip/data.csv", root);
	if (pthread_create(&t, NULL, flipper, NULL) != 0) {
		ok(0, "race: cannot start the flipping thread");
		return;
	}
	for (int i = 0; i < 20000; i++) {
		int fd;
		struct stat st;
		const char *why;
		char text[16] = "";
		if (bf_beneath(rootfd, root, "flip/data.csv", BF_BENEATH_FILE, &fd, &st, &why) == BF_BENEATH_OK) {
			ssize_t n = read(fd, text, sizeof text - 1);
			text[n > 0 ? n : 0] = '\0';
			close(fd);
			opened++;
			outside += strcmp(text, "INSIDE") != 0;
		} else {
			refused++;
		}
		/* what a plain open of the path would have read */
		int nfd = open(naive, O_RDONLY);
		if (nfd >= 0) {
			ssize_t n = read(nfd, text, sizeof text - 1);
			text[n > 0 ? n : 0] = '\0';
			close(nfd);
			naive_outside += strcmp(text, "OUTSIDE") == 0;
		}
	}
	stop_flipping = 1;
	pthread_join(t, NULL);
	ok(outside == 0 && opened > 0, "race: a folder swapped with a link to the outside: %ld opened, all inside; %ld refused",
	   opened, refused);
	diag("a plain open() of the same path read the outside %ld times of 20000", naive_outside);
}

int main(void)
{
	signal(SIGALRM, SIG_DFL);
	alarm(60);  /* a FIFO opened by mistake would hang: fail instead */
	snprintf(base, sizeof base, "%s/bf-beneath.XXXXXX", getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp");
	if (!mkdtemp(base)) {
		perror("mkdtemp");
		return 1;
	}
	dir("root");
	dir("outside");
	put("outside/secret.csv", "OUTSIDE");
	dir("root/a");
	dir("root/a/b");
	put("root/a/b/file.csv", "INSIDE");
	put("root/top.csv", "TOP");
	link_("b/file.csv", "root/a/rel.csv");               /* relative, inside */
	link_("../top.csv", "root/a/up.csv");                /* climbs, stays inside */
	link_("../../outside/secret.csv", "root/a/out.csv"); /* climbs out */
	link_("rel.csv", "root/a/chain.csv");                /* a link to a link */
	link_("nowhere.csv", "root/a/dangling.csv");
	link_("loop2.csv", "root/a/loop1.csv");
	link_("loop1.csv", "root/a/loop2.csv");
	link_("b", "root/a/bdir");                            /* a folder link, inside */
	link_("../outside", "root/outdir");                   /* a folder link, outside */
	link_("../root/a", "root/reenter");                   /* leaves and comes back */
	put("root/plain", "x");
	if (!realpath(base, root)) {
		perror("realpath");
		return 1;
	}
	strncat(root, "/root", sizeof root - strlen(root) - 1);
	char abs_in[PATH_MAX * 2], abs_out[PATH_MAX * 2];
	snprintf(abs_in, sizeof abs_in, "%s/top.csv", root);
	snprintf(abs_out, sizeof abs_out, "%s/../outside/secret.csv", root);
	link_(abs_in, "root/abs_in.csv");
	link_(abs_out, "root/abs_out.csv");
	link_("/etc/passwd", "root/passwd.csv");
	char fifo[PATH_MAX * 2];
	snprintf(fifo, sizeof fifo, "%s/fifo.csv", root);
	if (mkfifo(fifo, 0644) != 0) {
		perror("mkfifo");
		return 1;
	}
	rootfd = open(root, O_PATH | O_DIRECTORY | O_CLOEXEC);

	check("a/b/file.csv", BF_BENEATH_FILE, BF_BENEATH_OK, NULL, "INSIDE");
	check("a/rel.csv", BF_BENEATH_FILE, BF_BENEATH_OK, NULL, "INSIDE");
	check("a/up.csv", BF_BENEATH_FILE, BF_BENEATH_OK, NULL, "TOP");
	check("a/chain.csv", BF_BENEATH_FILE, BF_BENEATH_OK, NULL, "INSIDE");
	check("a/bdir/file.csv", BF_BENEATH_FILE, BF_BENEATH_OK, NULL, "INSIDE");
	check("abs_in.csv", BF_BENEATH_FILE, BF_BENEATH_OK, NULL, "TOP");
	check("a/out.csv", BF_BENEATH_FILE, BF_BENEATH_REFUSED, "a link that leads outside the source", NULL);
	check("a/out.csv", BF_BENEATH_STAT, BF_BENEATH_REFUSED, "a link that leads outside the source", NULL);
	check("abs_out.csv", BF_BENEATH_FILE, BF_BENEATH_REFUSED, "a link that leads outside the source", NULL);
	check("passwd.csv", BF_BENEATH_FILE, BF_BENEATH_REFUSED, "a link that leads outside the source", NULL);
	check("outdir/secret.csv", BF_BENEATH_FILE, BF_BENEATH_REFUSED, "a link that leads outside the source", NULL);
	check("outdir", BF_BENEATH_DIR, BF_BENEATH_REFUSED, "a link that leads outside the source", NULL);
	check("reenter/b/file.csv", BF_BENEATH_FILE, BF_BENEATH_REFUSED, "a link that leads outside the source", NULL);
	check("../outside/secret.csv", BF_BENEATH_FILE, BF_BENEATH_REFUSED, "a path that leads outside the source", NULL);
	check("a/../../outside/secret.csv", BF_BENEATH_FILE, BF_BENEATH_REFUSED, "a path that leads outside the source", NULL);
	check("a/dangling.csv", BF_BENEATH_FILE, BF_BENEATH_REFUSED, "a link that leads nowhere", NULL);
	check("a/loop1.csv", BF_BENEATH_FILE, BF_BENEATH_REFUSED, "too many links", NULL);
	check("a/none.csv", BF_BENEATH_FILE, BF_BENEATH_MISSING, NULL, NULL);
	check("none/file.csv", BF_BENEATH_FILE, BF_BENEATH_MISSING, NULL, NULL);
	check("fifo.csv", BF_BENEATH_FILE, BF_BENEATH_REFUSED, "a FIFO, not a regular file", NULL);
	check("fifo.csv", BF_BENEATH_DIR, BF_BENEATH_REFUSED, "a FIFO, not a folder", NULL);
	check("fifo.csv", BF_BENEATH_STAT, BF_BENEATH_OK, NULL, NULL);
	check("a", BF_BENEATH_FILE, BF_BENEATH_REFUSED, "a folder, not a file", NULL);
	check("a/bdir", BF_BENEATH_DIR, BF_BENEATH_OK, NULL, NULL);
	check("", BF_BENEATH_DIR, BF_BENEATH_OK, NULL, NULL);
	check("plain", BF_BENEATH_DIR, BF_BENEATH_MISSING, NULL, NULL);
	check("plain/x", BF_BENEATH_DIR, BF_BENEATH_MISSING, NULL, NULL);

	/* the race */
	dir("root/flip");
	put("root/flip/data.csv", "INSIDE");
	dir("outside/flip");
	put("outside/flip/data.csv", "OUTSIDE");
	link_("../outside/flip", "root/flip_alt");
	test_race();

	close(rootfd);
	char cmd[PATH_MAX * 2 + 16];
	/* remove the tree: the names are known */
	const char *rm[] = { "root/flip/data.csv", "outside/flip/data.csv", "root/flip_alt", "root/fifo.csv",
			     "root/passwd.csv", "root/abs_out.csv", "root/abs_in.csv", "root/plain",
			     "root/reenter", "root/outdir", "root/a/bdir", "root/a/loop2.csv", "root/a/loop1.csv",
			     "root/a/dangling.csv", "root/a/chain.csv", "root/a/out.csv", "root/a/up.csv",
			     "root/a/rel.csv", "root/top.csv", "root/a/b/file.csv", "outside/secret.csv", NULL };
	for (int i = 0; rm[i]; i++) {
		snprintf(cmd, sizeof cmd, "%s/%s", base, rm[i]);
		unlink(cmd);
	}
	const char *rmd[] = { "root/flip", "outside/flip", "root/a/b", "root/a", "root", "outside", "", NULL };
	for (int i = 0; rmd[i]; i++) {
		snprintf(cmd, sizeof cmd, "%s/%s", base, rmd[i]);
		rmdir(cmd);
	}
	return done_testing();
}
