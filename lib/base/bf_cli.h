/* What every command does the same way: --version, --help, and the exit-code table. */
#ifndef BF_CLI_H
#define BF_CLI_H

#include <stddef.h>

/* Prints "<prog> <version>" to stdout; returns 0. */
int bf_cli_version(void);
/* Prints usage text to stdout followed by the exit-code table; returns 0. */
int bf_cli_help(const char *usage);
/* Prints "prog: msg" (secrets masked) and "Try 'prog --help'." to stderr; returns BF_EUSAGE. */
int bf_cli_usage_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* When value (of option opt) holds a password or token (base/bf_redact.h): says so, with
 * the value masked, as a usage error and returns BF_EUSAGE; else 0. Mains call it on
 * --source and --target before they record anything. */
int bf_cli_refuse_secret(const char *opt, const char *value);
/* Numbers, sizes and durations of options: base/bf_opt.h. */
/* Splits "a,b,,c" into malloc'ed strings (empty items dropped); *n gets the count.
 * Free with bf_cli_list_free. */
char **bf_cli_split_list(const char *s, size_t *n);
void bf_cli_list_free(char **list, size_t n);
/* Appends value (borrowed, not copied) to *list, the values of a repeatable option. A
 * list declared BF_CLI_LIST is freed when it goes out of scope, whichever return leaves
 * main (a usage error included). */
void bf_cli_list_add(const char ***list, size_t *n, const char *value);
void bf_cli_list_release(const char ***list);
#define BF_CLI_LIST __attribute__((cleanup(bf_cli_list_release)))
/* Closes stdout and reports a failure (74); returns rc if it was already non-zero. */
int bf_cli_close_stdout(int rc);

#endif
