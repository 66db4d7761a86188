/* Unit tests for bf_opt: the one grammar of numbers, sizes and durations in options, and
 * its usage errors ("prog: --opt: ..." on stderr, 64). TAP. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_exit.h"
#include "base/bf_log.h"
#include "base/bf_opt.h"

#include "tap.h"

static char errtext[1024], errline[1024]; /* stderr of the last CATCH, and its first line */

/* Runs one parse with stderr caught in errtext. */
#define CATCH(call) ({                                                        \
	fflush(stderr);                                                       \
	FILE *tmp_ = tmpfile();                                               \
	int save_ = dup(2);                                                   \
	dup2(fileno(tmp_), 2);                                                \
	int rc_ = (call);                                                     \
	fflush(stderr);                                                       \
	dup2(save_, 2);                                                       \
	close(save_);                                                         \
	rewind(tmp_);                                                         \
	size_t n_ = fread(errtext, 1, sizeof errtext - 1, tmp_);              \
	errtext[n_] = '\0';                                                   \
	memcpy(errline, errtext, n_ + 1);                                     \
	errline[strcspn(errline, "\n")] = '\0';                              \
	fclose(tmp_);                                                         \
	rc_;                                                                  \
})

static void int_ok(const char *s, int lo, int hi, int want)
{
	int v = -777;
	int rc = CATCH(bf_opt_int("--n", s, lo, hi, &v));
	ok(rc == 0 && v == want && !errtext[0], "integer \"%s\" in [%d, %d] is %d (got %d)", s, lo, hi, want, v);
}

static void int_bad(const char *s, int lo, int hi)
{
	int v = -777;
	int rc = CATCH(bf_opt_int("--n", s, lo, hi, &v));
	ok(rc == BF_EUSAGE && v == -777 && !strncmp(errtext, "test-opt: --n: expected a whole number", 38),
	   "integer \"%s\" in [%d, %d] refused", s, lo, hi);
}

static void size_ok(const char *s, size_t lo, size_t want)
{
	size_t v = 777;
	int rc = CATCH(bf_opt_size("--size", s, lo, SIZE_MAX, &v));
	ok(rc == 0 && v == want, "size \"%s\" is %zu (got %zu)", s, want, v);
}

static void size_bad(const char *s, size_t lo)
{
	size_t v = 777;
	int rc = CATCH(bf_opt_size("--size", s, lo, SIZE_MAX, &v));
	ok(rc == BF_EUSAGE && v == 777 && strstr(errtext, "test-opt: --size: expected a size of at least"),
	   "size \"%s\" (at least %zu) refused", s, lo);
}

static void secs_ok(const char *s, double want)
{
	double v = -1;
	int rc = CATCH(bf_opt_secs("--timeout", s, 0, 86400, &v));
	ok(rc == 0 && v == want, "duration \"%s\" is %g s (got %g)", s, want, v);
}

static void secs_bad(const char *s)
{
	double v = -1;
	int rc = CATCH(bf_opt_secs("--timeout", s, 0, 86400, &v));
	ok(rc == BF_EUSAGE && v == -1 && strstr(errtext, "--timeout: expected a duration"),
	   "duration \"%s\" refused", s);
}

int main(void)
{
	bf_log_init("/bin/test-opt");

	/* whole numbers */
	int_ok("0", 0, 100, 0);
	int_ok("100", 0, 100, 100);
	int_ok("+7", 0, 100, 7);
	int_ok(" 7", 0, 100, 7);
	int_ok("-3", -5, 5, -3);
	int_ok("007", 0, 100, 7);
	int_bad("101", 0, 100);
	int_bad("-1", 0, 100);
	int_bad("", 0, 100);
	int_bad(" ", 0, 100);
	int_bad("7 ", 0, 100);
	int_bad("7x", 0, 100);
	int_bad("1.5", 0, 100);
	int_bad("0x10", 0, 100);
	int_bad("99999999999999999999", 0, 100);
	int_bad("abc", 0, 100);
	{
		long long v = 0;
		ok(CATCH(bf_opt_llong("--min-rows", "1000000000000", 0, 1000000000000LL, &v)) == 0 &&
		   v == 1000000000000LL, "a long long up to its bound");
		ok(CATCH(bf_opt_llong("--min-rows", "1000000000001", 0, 1000000000000LL, &v)) == BF_EUSAGE,
		   "and not past it");
		is_str(errtext, "test-opt: --min-rows: expected a whole number from 0 to 1000000000000, not "
		       "\"1000000000001\"\nTry 'test-opt --help'.\n", "the usage error names the program, the "
		       "option, the range and the value, then the help hint");
	}

	/* numbers */
	{
		double v = -1;
		ok(CATCH(bf_opt_num("--f", "0.25", 0, 1, &v)) == 0 && v == 0.25, "number 0.25");
		ok(CATCH(bf_opt_num("--f", "1e-1", 0, 1, &v)) == 0 && v == 0.1, "number 1e-1");
		ok(CATCH(bf_opt_num("--f", "-1e15", -1e15, 1e15, &v)) == 0 && v == -1e15, "number -1e15 at the bound");
		v = -1;
		ok(CATCH(bf_opt_num("--f", "1.5", 0, 1, &v)) == BF_EUSAGE && v == -1, "number above hi refused");
		ok(CATCH(bf_opt_num("--f", "nan", 0, 1, &v)) == BF_EUSAGE, "nan refused");
		ok(CATCH(bf_opt_num("--f", "inf", -INFINITY, INFINITY, &v)) == BF_EUSAGE, "inf refused");
		ok(CATCH(bf_opt_num("--f", "0.5x", 0, 1, &v)) == BF_EUSAGE, "trailing text refused");
		ok(CATCH(bf_opt_num("--f", "", 0, 1, &v)) == BF_EUSAGE && strstr(errtext, "--f: expected a number from 0 to 1"),
		   "empty refused: %s", errline);
	}

	/* sizes */
	size_ok("4096", 4096, 4096);
	size_ok("1024", 1024, 1024);
	size_ok("512k", 4096, 512 * 1024);
	size_ok("512K", 4096, 512 * 1024);
	size_ok("64M", 4096, 64u << 20);
	size_ok("64m", 4096, 64u << 20);
	size_ok("1G", 4096, 1u << 30);
	size_ok("8MB", 4096, 8u << 20);
	size_ok("8MiB", 4096, 8u << 20);
	size_ok("+8M", 4096, 8u << 20);
	size_ok(" 8M", 4096, 8u << 20);
	size_ok("1099511627776", 4096, 1ull << 40);
	size_ok("17179869183G", 4096, 17179869183ull << 30);
	size_bad("10", 4096);
	size_bad("4095", 4096);
	size_bad("3k", 4096);
	size_bad("", 4096);
	size_bad("-1", 1024);
	size_bad(" -1", 1024);
	size_bad("-1M", 1024);
	size_bad("64T", 4096);
	size_bad("64MBB", 4096);
	size_bad("64 M", 4096);
	size_bad("64B", 4096);
	size_bad("M", 4096);
	size_bad("1.5M", 4096);
	size_bad("17179869184G", 4096);
	size_bad("99999999999999999999", 4096);
	{
		size_t v = 0;
		ok(CATCH(bf_opt_size("--s", "2M", 1, 1u << 20, &v)) == BF_EUSAGE &&
		   strstr(errtext, "--s: expected a size from 1 to 1048576 bytes"), "a size above hi: %s", errline);
	}

	/* durations */
	secs_ok("30", 30);
	secs_ok("1.5", 1.5);
	secs_ok("0", 0);
	secs_ok("500ms", 0.5);
	secs_ok("2s", 2);
	secs_ok("2m", 120);
	secs_ok("1h", 3600);
	secs_ok("24h", 86400);
	secs_bad("86401");
	secs_bad("25h");
	secs_bad("-1");
	secs_bad("");
	secs_bad("5 s");
	secs_bad("5sec");
	secs_bad("5d");
	secs_bad("s");
	secs_bad("inf");
	{
		long ms = -1;
		ok(CATCH(bf_opt_ms("--retry-delay", "500", 0, 3600000, &ms)) == 0 && ms == 500, "500 is 500 ms");
		ok(CATCH(bf_opt_ms("--retry-delay", "2s", 0, 3600000, &ms)) == 0 && ms == 2000, "2s is 2000 ms");
		ok(CATCH(bf_opt_ms("--retry-delay", "1h", 0, 3600000, &ms)) == 0 && ms == 3600000, "1h is 3600000 ms");
		ms = -1;
		ok(CATCH(bf_opt_ms("--retry-delay", "61m", 0, 3600000, &ms)) == BF_EUSAGE && ms == -1 &&
		   strstr(errtext, "--retry-delay: expected a duration from 0 to 3600000 milliseconds"),
		   "61m is past 3600000 ms: %s", errline);
		double s = -1;
		ok(CATCH(bf_opt_secs("--timeout", "0.0001", 0.001, 86400, &s)) == BF_EUSAGE && s == -1,
		   "a duration under its lower bound refused");
	}
	return done_testing();
}
