/* What every command does the same way: --version, --help, and the exit-code table. */
#ifndef BF_CLI_H
#define BF_CLI_H

#include <stddef.h>

/* Prints "<prog> <version>" to stdout; returns 0. */
int bf_cli_version(void);
/* Prints usage text to stdout followed by the exit-code table; returns 0. */
int bf_cli_help(const char *usage);
/* Prints "prog: msg" and "Try 'prog --help'." to stderr; returns BF_EUSAGE. */
int bf_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Numbers, sizes and durations of options: base/bf_opt.h. */
/* Splits "a,b,,c" into malloc'ed strings (empty items dropped); *n gets the count.
 * Free with bf_cli_list_free. */
char **bf_cli_split_list(const char *s, size_t *n);
void bf_cli_list_free(char **list, size_t n);
/* Closes stdout and reports a failure (74); returns rc if it was already non-zero. */
int bf_cli_close_stdout(int rc);

#endif
