/* Diagnostics: one line on stderr per message, "prog: where: what".
 * An error travels up as a struct bf_err (code + message) that lib functions fill and
 * mains print; warnings and notes are printed where they happen. */
#ifndef BF_LOG_H
#define BF_LOG_H

#include <stdarg.h>

#define BF_ERR_MAX 1024

struct bf_err {
	int code;                 /* BF_* exit code; 0 = no error */
	char msg[BF_ERR_MAX];     /* "where: what", without the program name */
};

/* Sets the program name used as prefix (argv[0]'s basename); call once from main. */
void bf_log_init(const char *argv0);
const char *bf_prog(void);
/* Verbosity: 0 quiet (errors only), 1 normal (warnings), 2 verbose (notes). */
void bf_log_set_level(int level);
int bf_log_level(void);

/* Fills err with code and "where: what" (where may be NULL), returns code. */
int bf_fail(struct bf_err *err, int code, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* Prints "prog: msg" for a filled err; returns its code. */
int bf_err_print(const struct bf_err *err);
/* Prints "prog: where: what" and returns code (for mains and usage errors). */
int bf_error(int code, const char *where, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
void bf_warn(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void bf_note(const char *where, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
