/* Typed option values: one grammar for every number, size and duration a command reads
 * from its arguments (like git's parse-options OPT_INTEGER / OPT_UNSIGNED).
 *
 *   whole number  [blanks][+|-]digits, base 10                      3, -1, +20
 *   number        a decimal number as strtod(3) reads it, finite     0.5, 1e3, 25
 *   size          a whole number of bytes, or with a suffix k, M or G (powers of 1024,
 *                 either case, optionally followed by B or iB)     4096, 512k, 64M, 1GiB
 *   duration      a number, or a number with a unit ms, s, m or h; a bare number is in
 *                 the option's own unit (seconds for --timeout, milliseconds for
 *                 --retry-delay)                                   30, 1.5, 500ms, 2m, 1h
 *
 * Nothing may follow the value. Each function stores the value and returns 0, or prints
 * "prog: --opt: expected ..., not "VALUE"" and "Try 'prog --help'." on stderr and
 * returns BF_EUSAGE (64) without storing anything. lo and hi are inclusive. */
#ifndef BF_OPT_H
#define BF_OPT_H

#include <stddef.h>

int bf_opt_int(const char *opt, const char *s, int lo, int hi, int *v);
int bf_opt_llong(const char *opt, const char *s, long long lo, long long hi, long long *v);
int bf_opt_num(const char *opt, const char *s, double lo, double hi, double *v);
/* hi may be SIZE_MAX: no upper bound (values that do not fit are still refused). */
int bf_opt_size(const char *opt, const char *s, size_t lo, size_t hi, size_t *v);
/* Durations: *v and lo, hi in seconds / in milliseconds. */
int bf_opt_secs(const char *opt, const char *s, double lo, double hi, double *v);
int bf_opt_ms(const char *opt, const char *s, long lo, long hi, long *v);

#endif
