#include "base/bf_cli.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "base/bf_exit.h"
#include "base/bf_log.h"
#include "base/bf_redact.h"

#ifndef BF_VERSION
#define BF_VERSION "0.0.0"
#endif

static const char exit_table[] =
	"\nExit status:\n"
	"  0   ok\n"
	"  1   finished, but some dates or rows failed (reported)\n"
	"  64  usage error\n"
	"  65  bad input data\n"
	"  66  input missing\n"
	"  69  remote unavailable (retryable)\n"
	"  70  internal error\n"
	"  71  operating-system error\n"
	"  74  I/O error, including a failed write or close of stdout\n"
	"  75  temporary failure, retry (state file locked, timeout)\n"
	"  77  authentication or permission refused\n"
	"  78  configuration error, including a state file newer than this bf\n";

int bf_cli_version(void)
{
	printf("%s %s\n", bf_prog(), BF_VERSION);
	return bf_cli_close_stdout(0);
}

int bf_cli_help(const char *usage)
{
	fputs(usage, stdout);
	fputs(exit_table, stdout);
	return bf_cli_close_stdout(0);
}

int bf_cli_usage_error(const char *fmt, ...)
{
	va_list ap;
	char msg[1024], masked[1024];
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	bf_redact_to(masked, sizeof masked, msg);
	fprintf(stderr, "%s: %s\nTry '%s --help'.\n", bf_prog(), masked, bf_prog());
	return BF_EUSAGE;
}

int bf_cli_refuse_secret(const char *opt, const char *value)
{
	if (!value || !bf_has_secret(value))
		return 0;
	char *shown = bf_redact(value);
	bf_cli_usage_error("%s: \"%s\" contains a password or token; command lines are visible to every user "
			   "(ps) and bf records its own: leave it out (PostgreSQL: PGPASSWORD or ~/.pgpass; SFTP: "
			   "BF_SFTP_PASSWORD or --password-file; model APIs: BF_API_KEY)", opt, shown);
	free(shown);
	return BF_EUSAGE;
}

int bf_cli_close_stdout(int rc)
{
	int bad = ferror(stdout);
	if (fclose(stdout) != 0 || bad) {
		if (rc == 0) {
			bf_error(BF_EIO, "stdout", "write failed: %s", errno ? strerror(errno) : "error");
			return BF_EIO;
		}
	}
	return rc;
}

char **bf_cli_split_list(const char *s, size_t *n)
{
	char **out = NULL;
	*n = 0;
	while (*s) {
		size_t k = strcspn(s, ",");
		if (k) {
			out = bf_xrealloc(out, (*n + 1) * sizeof *out);
			out[(*n)++] = bf_xstrndup(s, k);
		}
		s += k + (s[k] == ',');
	}
	return out;
}

void bf_cli_list_free(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void bf_cli_list_add(const char ***list, size_t *n, const char *value)
{
	*list = bf_xrealloc(*list, (*n + 1) * sizeof **list);
	(*list)[(*n)++] = value;
}

void bf_cli_list_release(const char ***list)
{
	free(*list);
	*list = NULL;
}
