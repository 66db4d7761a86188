#include "base/bf_child.h"

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

#include "base/bf_exit.h"
#include "base/bf_file.h"
#include "base/bf_redact.h"
#include "base/bf_time.h"

/* Starting a program: vfork + exec. vfork does not copy the parent's page tables (a
 * fork of a large parent costs ~0.5 ms here, most of it in copy-on-write faults the
 * parent takes afterwards); posix_spawn would do as well but cannot set the parent-death
 * signal. The child shares our memory until it execs, so it only makes system calls on
 * values prepared here: no malloc, no putenv, no stdio, and all signals stay blocked
 * until every handler it inherited is back to its default (a handler run in the child
 * would change our variables). */
struct spawn {
	char *const *argv;         /* argv[0] with a '/' is a path, else PATH is searched */
	char *const *envp;
	int in, out, errw;         /* -1: /dev/null, /dev/null, inherited */
	pid_t pgid;                /* process group to join, 0: a new one */
	pid_t parent;
	const sigset_t *reset;     /* signals to set back to SIG_DFL */
	volatile int exec_errno;   /* set by the child when it could not exec */
};

static int nullfd(int fd, int flags)
{
	return fd >= 0 ? fd : open("/dev/null", flags);
}

static __attribute__((noreturn)) void spawn_child(struct spawn *s)
{
	struct sigaction dfl;
	sigset_t none;
	setpgid(0, s->pgid);
#ifdef __linux__
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != s->parent)
		_exit(BF_ETEMP);
#endif
	memset(&dfl, 0, sizeof dfl);
	dfl.sa_handler = SIG_DFL;
	for (int sig = 1; sig < NSIG; sig++)
		if (sigismember(s->reset, sig) == 1)
			sigaction(sig, &dfl, NULL);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
	int in = nullfd(s->in, O_RDONLY), out = nullfd(s->out, O_WRONLY);
	if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 ||
	    (s->errw >= 0 && dup2(s->errw, 2) < 0)) {
		s->exec_errno = errno ? errno : EBADF;
		_exit(BF_EOS);
	}
	if (in != s->in && in > 2)
		close(in);
	if (out != s->out && out > 2)
		close(out);
	if (strchr(s->argv[0], '/'))
		execve(s->argv[0], s->argv, s->envp);
	else
		execvpe(s->argv[0], s->argv, s->envp);
	s->exec_errno = errno ? errno : ENOEXEC;
	_exit(errno == ENOENT ? 127 : 126);
}

/* Returns the child's pid (its exec done or failed, see s->exec_errno) or -1. */
static __attribute__((noinline)) pid_t spawn_vfork(struct spawn *s)
{
	sigset_t all, old;
	sigfillset(&all);
	sigprocmask(SIG_SETMASK, &all, &old);
	s->exec_errno = 0;
	pid_t pid = vfork();
	if (pid == 0)
		spawn_child(s);
	int e = errno;
	sigprocmask(SIG_SETMASK, &old, NULL);
	errno = e;
	return pid;
}

/* The signals a child sets back to their defaults: those we catch (a handler must not run
 * in a vfork child) and those we change that a stage expects at their defaults. */
static void reset_set(sigset_t *set)
{
	static const int always[] = { SIGPIPE, SIGINT, SIGTERM, SIGHUP, SIGCHLD };
	sigemptyset(set);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;
		if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &sa))
			continue;
		if (!(sa.sa_flags & SA_SIGINFO) && (sa.sa_handler == SIG_DFL || sa.sa_handler == SIG_IGN))
			continue;
		sigaddset(set, sig);
	}
	for (size_t i = 0; i < sizeof always / sizeof always[0]; i++)
		sigaddset(set, always[i]);
}

/* Our environment with env's "NAME=value" strings put in (replacing NAME): an array to
 * free, of borrowed strings. */
static char **make_envp(char *const *env)
{
	size_t n = 0, k = 0, ne = 0;
	while (environ && environ[n])
		n++;
	while (env && env[ne])
		ne++;
	char **v = bf_xcalloc(n + ne + 1, sizeof *v);
	for (size_t i = 0; i < n; i++) {
		const char *eq = strchr(environ[i], '=');
		size_t len = eq ? (size_t)(eq - environ[i]) + 1 : strlen(environ[i]);
		size_t j = 0;
		for (; j < ne; j++)
			if (!strncmp(env[j], environ[i], len))
				break;
		if (j == ne)
			v[k++] = environ[i];
	}
	for (size_t j = 0; j < ne; j++)
		v[k++] = env[j];
	v[k] = NULL;
	return v;
}

/* After a child could not exec: what it would have said, on its stderr. */
static void spawn_say(const struct spawn *s, int fd)
{
	char msg[512];
	int n = snprintf(msg, sizeof msg, "%s: cannot run: %s\n", s->argv[0], strerror(s->exec_errno));
	if (n > 0)
		(void)!write(fd, msg, (size_t)n < sizeof msg ? (size_t)n : sizeof msg - 1);
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
	sigset_t reset;
	struct spawn sp = { .envp = NULL, .parent = getpid(), .reset = &reset };

	p->c = bf_xcalloc(n, sizeof *p->c);
	p->n = n;
	p->pgid = 0;
	p->started_ms = bf_mono_ms();
	for (size_t i = 0; i < n; i++)
		p->c[i].err_fd = -1;
	reset_set(&reset);
	char **envp = make_envp(env);
	sp.envp = envp;
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
		sp.argv = c->argv;
		sp.in = prev;
		sp.out = i + 1 < n ? data[1] : out_fd;
		sp.errw = errp[1];
		sp.pgid = p->pgid;
		pid_t pid = spawn_vfork(&sp);
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
		if (sp.exec_errno)
			spawn_say(&sp, errp[1]);
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
	free(envp);
	return 0;
fail:
	free(envp);
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
	/* a stage of ours masks its secrets; a command of a shell pipeline may not */
	if (bf_has_secret(c->lasterr)) {
		char line[sizeof c->lasterr];
		bf_redact_to(line, sizeof line, c->lasterr);
		memcpy(c->lasterr, line, sizeof line);
	}
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
	sigset_t reset;
	if (pipe2(fd, O_CLOEXEC))
		return bf_fail(err, BF_EOS, "pipe", "%s", strerror(errno));
	reset_set(&reset);
	char **envp = make_envp(NULL);
	struct spawn sp = { .argv = argv, .envp = envp, .in = fd[0], .out = 1, .errw = -1, .pgid = 0,
			    .parent = getpid(), .reset = &reset };
	*pid = spawn_vfork(&sp);
	free(envp);
	if (*pid < 0) {
		int e = errno;
		close(fd[0]);
		close(fd[1]);
		return bf_fail(err, BF_EOS, "fork", "%s", strerror(e));
	}
	if (sp.exec_errno)
		spawn_say(&sp, 2);
	close(fd[0]);
	/* SIGPIPE is ignored by the caller or not: use send-like semantics via a blocked write */
	void (*old)(int) = signal(SIGPIPE, SIG_IGN);
	(void)bf_write_all(fd[1], input, len);   /* a child that stopped reading is its own failure */
	signal(SIGPIPE, old);
	close(fd[1]);
	return 0;
}
