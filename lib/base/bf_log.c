#include "base/bf_log.h"

#include <stdio.h>
#include <string.h>

#include "base/bf_redact.h"

/* Process-wide constants set once by main(), like git's usage.c. */
static const char *prog = "bf";
static int level = 1;

void bf_log_init(const char *argv0)
{
	const char *slash = argv0 ? strrchr(argv0, '/') : NULL;
	if (argv0)
		prog = slash ? slash + 1 : argv0;
}

const char *bf_prog(void) { return prog; }
void bf_log_set_level(int l) { level = l; }
int bf_log_level(void) { return level; }

__attribute__((format(printf, 4, 0)))
static void vformat(char *out, size_t cap, const char *where, const char *fmt, va_list ap)
{
	size_t n = 0;
	if (where && *where)
		n = (size_t)snprintf(out, cap, "%s: ", where);
	if (n < cap)
		vsnprintf(out + n, cap - n, fmt, ap);
	/* no password or token of a URL or connection string is ever printed or recorded */
	if (bf_has_secret(out)) {
		char masked[BF_ERR_MAX];
		bf_redact_to(masked, sizeof masked, out);
		snprintf(out, cap, "%s", masked);
	}
	/* one line: newlines from data never split a message */
	for (char *p = out; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

int bf_fail(struct bf_err *err, int code, const char *where, const char *fmt, ...)
{
	va_list ap;
	if (!err)
		return code;
	err->code = code;
	va_start(ap, fmt);
	vformat(err->msg, sizeof err->msg, where, fmt, ap);
	va_end(ap);
	return code;
}

int bf_err_print(const struct bf_err *err)
{
	fprintf(stderr, "%s: %s\n", prog, err->msg[0] ? err->msg : "failed");
	return err->code;
}

__attribute__((format(printf, 2, 0)))
static void vprint(const char *where, const char *fmt, va_list ap)
{
	char line[BF_ERR_MAX];
	vformat(line, sizeof line, where, fmt, ap);
	fprintf(stderr, "%s: %s\n", prog, line);
}

int bf_error(int code, const char *where, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vprint(where, fmt, ap);
	va_end(ap);
	return code;
}

void bf_warn(const char *where, const char *fmt, ...)
{
	va_list ap;
	if (level < 1)
		return;
	va_start(ap, fmt);
	vprint(where, fmt, ap);
	va_end(ap);
}

void bf_note(const char *where, const char *fmt, ...)
{
	va_list ap;
	if (level < 2)
		return;
	va_start(ap, fmt);
	vprint(where, fmt, ap);
	va_end(ap);
}
