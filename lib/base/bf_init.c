#include "base/bf_init.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "base/bf_log.h"

/* git's sanitize_stdfds(): open /dev/null until it lands above 2, keep the ones below */
static void sanitize_stdfds(void)
{
	int fd = open("/dev/null", O_RDWR);
	while (fd >= 0 && fd <= 2)
		fd = dup(fd);
	if (fd > 2)
		close(fd);
}

static void restore_sigpipe(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGPIPE);
	sigprocmask(SIG_UNBLOCK, &set, NULL);
	signal(SIGPIPE, SIG_DFL);
}

void bf_main_init(char **argv)
{
	int saved = errno;
	sanitize_stdfds();
	restore_sigpipe();
	bf_log_init(argv ? argv[0] : NULL);
	errno = saved;
}

char *bf_argv_join(int argc, char *const *argv)
{
	struct bf_buf b = BF_BUF_INIT;
	if (argc < 2)
		return NULL;
	for (int i = 1; i < argc; i++) {
		if (i > 1)
			bf_buf_addc(&b, ' ');
		bf_buf_adds(&b, argv[i]);
	}
	return bf_buf_detach(&b);
}
