#include "bf_child.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>
#ifdef __linux__
#include <sys/prctl.h>
#endif

#include "bf_exit.h"
#include "bf_time.h"

/* In the child between fork and exec: only async-signal-safe calls. */
static void child_fail(const char *prog, const char *what, int e)
{
	const char *msg = strerror(e);
	(void)!write(2, prog, strlen(prog));
	(void)!write(2, ": ", 2);
	(void)!write(2, what, strlen(what));
	(void)!write(2, ": ", 2);
	(void)!write(2, msg, strlen(msg));
	(void)!write(2, "\n", 1);
	_exit(e == ENOENT ? 127 : 126);
}

static void child_setup(pid_t pgid, pid_t parent, int in, int out, int errw, char *const *env)
{
	sigset_t none;
	setpgid(0, pgid);
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(BF_ETEMP);
#else
	(void)parent;
#endif
	signal(SIGPIPE, SIG_DFL);
	signal(SIGINT, SIG_DFL);
	signal(SIGTERM, SIG_DFL);
	signal(SIGHUP, SIG_DFL);
	signal(SIGCHLD, SIG_DFL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	if (in < 0)
		in = open("/dev/null", O_RDONLY);
	if (out < 0)
		out = open("/dev/null", O_WRONLY);
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    (errw >= 0 && dup2(errw, 2) < 0))
		_exit(BF_EOS);
	for (size_t i = 0; env && env[i]; i++)
		putenv(env[i]);
}

static void child_free(struct bf_child *c)
{
	if (c->err_fd >= 0)
		close(c->err_fd);
	c->err_fd = -1;
	bf_buf_free(&c->errpart);
}

int bf_pipeline_start(struct bf_pipeline *p, char *const *const *argvs, size_t n,
		      char *const *env, int in_fd, int out_fd, struct bf_err *err)
{
	int prev = in_fd, e;
	pid_t parent = getpid();

	p->c = bf_xcalloc(n, sizeof *p->c);
	p->n = n;
	p->pgid = 0;
	p->started_ms = bf_mono_ms();
	for (size_t i = 0; i < n; i++)
		p->c[i].err_fd = -1;
	for (size_t i = 0; i < n; i++) {
		struct bf_child *c = &p->c[i];
		int data[2] = { -1, -1 }, errp[2];
		c->argv = argvs[i];
		if ((i + 1 < n && pipe2(data, O_CLOEXEC)) || pipe2(errp, O_CLOEXEC)) {
			e = errno;
			if (data[0] >= 0) {
				close(data[0]);
				close(data[1]);
			}
			goto fail;
		}
		int out = i + 1 < n ? data[1] : out_fd;
		pid_t pid = fork();
		if (pid < 0) {
			e = errno;
			close(errp[0]);
			close(errp[1]);
			if (data[0] >= 0) {
				close(data[0]);
				close(data[1]);
			}
			goto fail;
		}
		if (pid == 0) {
			child_setup(p->pgid, parent, prev, out, errp[1], env);
			if (strchr(c->argv[0], '/'))
				execv(c->argv[0], c->argv);
			else
				execvp(c->argv[0], c->argv);
			child_fail(c->argv[0], "cannot run", errno);
		}
		if (!p->pgid)
			p->pgid = pid;
		setpgid(pid, p->pgid);  /* both sides: no race with a kill of the group */
		c->pid = pid;
		close(errp[1]);
		c->err_fd = errp[0];
		fcntl(c->err_fd, F_SETFL, fcntl(c->err_fd, F_GETFL) | O_NONBLOCK);
		if (prev >= 0 && prev != in_fd)
			close(prev);
		if (data[1] >= 0)
			close(data[1]);
		prev = data[0];
	}
	return 0;
fail:
	if (prev >= 0 && prev != in_fd)
		close(prev);
	bf_pipeline_kill(p, SIGKILL);
	bf_pipeline_wait(p);
	return bf_fail(err, BF_EOS, "fork", "cannot start a pipeline: %s", strerror(e));
}

void bf_pipeline_pollfds(const struct bf_pipeline *p, struct pollfd *fds, size_t *nfds, size_t max)
{
	for (size_t i = 0; i < p->n && *nfds < max; i++) {
		if (p->c[i].err_fd < 0)
			continue;
		fds[*nfds].fd = p->c[i].err_fd;
		fds[*nfds].events = POLLIN;
		fds[*nfds].revents = 0;
		(*nfds)++;
	}
}

static void take_line(struct bf_pipeline *p, struct bf_child *c, const char *s, size_t len)
{
	while (len && (s[len - 1] == '\r' || s[len - 1] == ' '))
		len--;
	if (!len)
		return;
	if (len >= sizeof c->lasterr)
		len = sizeof c->lasterr - 1;
	memcpy(c->lasterr, s, len);
	c->lasterr[len] = '\0';
	if (p->echo)
		fprintf(stderr, "%s%s\n", p->echo_prefix ? p->echo_prefix : "", c->lasterr);
}

static void read_err(struct bf_pipeline *p, struct bf_child *c)
{
	char buf[4096];
	for (;;) {
		ssize_t r = read(c->err_fd, buf, sizeof buf);
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			return;
		if (r <= 0) {
			if (c->errpart.len)
				take_line(p, c, c->errpart.p, c->errpart.len);
			bf_buf_reset(&c->errpart);
			close(c->err_fd);
			c->err_fd = -1;
			return;
		}
		bf_buf_add(&c->errpart, buf, (size_t)r);
		char *nl;
		while ((nl = memchr(c->errpart.p, '\n', c->errpart.len))) {
			size_t k = (size_t)(nl - c->errpart.p);
			take_line(p, c, c->errpart.p, k);
			memmove(c->errpart.p, nl + 1, c->errpart.len - k - 1);
			c->errpart.len -= k + 1;
			c->errpart.p[c->errpart.len] = '\0';
		}
		/* a line longer than our buffer: keep its start only */
		if (c->errpart.len > 65536) {
			take_line(p, c, c->errpart.p, sizeof c->lasterr - 1);
			bf_buf_reset(&c->errpart);
		}
	}
}

int bf_pipeline_step(struct bf_pipeline *p)
{
	int all = 1;
	for (size_t i = 0; i < p->n; i++) {
		struct bf_child *c = &p->c[i];
		if (c->err_fd >= 0)
			read_err(p, c);
		if (c->pid > 0 && !c->done) {
			int st;
			pid_t r = waitpid(c->pid, &st, WNOHANG);
			if (r == c->pid) {
				c->done = 1;
				c->status = st;
			} else if (r < 0 && errno == ECHILD) {
				c->done = 1;
				c->status = BF_ESOFTWARE << 8;
			}
		}
		if ((c->pid > 0 && !c->done) || c->err_fd >= 0)
			all = 0;
	}
	return all;
}

void bf_pipeline_wait(struct bf_pipeline *p)
{
	struct pollfd fds[64];
	while (!bf_pipeline_step(p)) {
		size_t n = 0;
		bf_pipeline_pollfds(p, fds, &n, 64);
		poll(fds, n, 50);
	}
}

void bf_pipeline_kill(struct bf_pipeline *p, int sig)
{
	if (p->pgid > 0)
		kill(-p->pgid, sig);
	for (size_t i = 0; i < p->n; i++)
		if (p->c[i].pid > 0 && !p->c[i].done)
			kill(p->c[i].pid, sig);
}

static int failed(const struct bf_child *c)
{
	return !WIFEXITED(c->status) || WEXITSTATUS(c->status) != 0;
}

static int code_of(const struct bf_child *c)
{
	return WIFEXITED(c->status) ? WEXITSTATUS(c->status) : 128 + WTERMSIG(c->status);
}

int bf_pipeline_verdict(const struct bf_pipeline *p, int *code)
{
	*code = 0;
	for (size_t i = 0; i < p->n; i++) {
		const struct bf_child *c = &p->c[i];
		if (!failed(c))
			continue;
		if (WIFSIGNALED(c->status) && WTERMSIG(c->status) == SIGPIPE) {
			size_t k;
			for (k = i + 1; k < p->n && !failed(&p->c[k]); k++)
				;
			if (k < p->n)
				continue;
		}
		*code = code_of(c);
		return (int)i;
	}
	return -1;
}

void bf_child_describe(const struct bf_child *c, char *out, size_t len)
{
	if (WIFEXITED(c->status))
		snprintf(out, len, "exit %d", WEXITSTATUS(c->status));
	else if (WIFSIGNALED(c->status))
		snprintf(out, len, "killed by signal %d (%s)", WTERMSIG(c->status),
			 strsignal(WTERMSIG(c->status)));
	else
		snprintf(out, len, "status %d", c->status);
}

void bf_pipeline_free(struct bf_pipeline *p)
{
	if (!p || !p->c)
		return;
	for (size_t i = 0; i < p->n; i++)
		child_free(&p->c[i]);
	free(p->c);
	p->c = NULL;
	p->n = 0;
}

int bf_child_feed(char *const *argv, const char *input, size_t len, pid_t *pid, struct bf_err *err)
{
	int fd[2];
	if (pipe2(fd, O_CLOEXEC))
		return bf_fail(err, BF_EOS, "pipe", "%s", strerror(errno));
	pid_t parent = getpid();
	*pid = fork();
	if (*pid < 0) {
		int e = errno;
		close(fd[0]);
		close(fd[1]);
		return bf_fail(err, BF_EOS, "fork", "%s", strerror(e));
	}
	if (*pid == 0) {
		child_setup(0, parent, fd[0], 1, -1, NULL);
		if (strchr(argv[0], '/'))
			execv(argv[0], argv);
		else
			execvp(argv[0], argv);
		child_fail(argv[0], "cannot run", errno);
	}
	close(fd[0]);
	/* SIGPIPE is ignored by the caller or not: use send-like semantics via a blocked write */
	size_t off = 0;
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	while (off < len) {
		ssize_t w = write(fd[1], input + off, len - off);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	signal(SIGPIPE, old);
	close(fd[1]);
	return 0;
}
