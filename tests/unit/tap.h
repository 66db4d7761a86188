/* A small TAP producer for the unit tests: ok(cond, fmt, ...) prints "ok N - ..." or
 * "not ok N - ...", diag() a "# ..." line, skip() tests that cannot run here,
 * done_testing() the plan (its result is the exit status); is_str / is_int compare and
 * explain a mismatch. Every unit test program prints its TAP through this one header. */
#ifndef BF_TAP_H
#define BF_TAP_H

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int t_n, t_fail;
__attribute__((format(printf, 2, 3)))
__attribute__((unused)) static int ok(int cond, const char *fmt, ...)
{
	va_list ap;
	printf("%s %d - ", cond ? "ok" : "not ok", ++t_n);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
	fflush(stdout);
	if (!cond)
		t_fail++;
	return cond;
}
__attribute__((format(printf, 1, 2)))
__attribute__((unused)) static void diag(const char *fmt, ...)
{
	va_list ap;
	fputs("# ", stdout);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	putchar('\n');
}
/* n tests skipped, with the reason. */
__attribute__((unused)) static void skip(int n, const char *why)
{
	while (n-- > 0)
		printf("ok %d # SKIP %s\n", ++t_n, why);
}
__attribute__((unused)) static int done_testing(void)
{
	printf("1..%d\n", t_n);
	return t_fail ? 1 : 0;
}
__attribute__((unused)) static int is_str_(const char *got, const char *want, int line)
{
	if (got && !strcmp(got, want))
		return 1;
	diag("line %d: got \"%s\", want \"%s\"", line, got ? got : "(null)", want);
	return 0;
}
#define is_str(got, want, ...) ok(is_str_((got), (want), __LINE__), __VA_ARGS__)
#define is_int(got, want, ...) \
	(ok((long long)(got) == (long long)(want), __VA_ARGS__) || (diag("got %lld, want %lld", (long long)(got), (long long)(want)), 0))

#endif
