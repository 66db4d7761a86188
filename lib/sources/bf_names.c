#include "sources/bf_names.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"

#define CUT 59

static const char *const reserved[] = {
	"_bf_date", "_bf_location", "_bf_source", "_bf_line",
	"closure_indicator", "closure_reason", NULL
};

int bf_name_reserved(const char *name)
{
	for (int i = 0; reserved[i]; i++)
		if (strcmp(name, reserved[i]) == 0)
			return 1;
	return 0;
}

static int is_up(int c) { return c >= 'A' && c <= 'Z'; }
static int is_low(int c) { return c >= 'a' && c <= 'z'; }
static int is_dig(int c) { return c >= '0' && c <= '9'; }
static int is_alnum(int c) { return is_up(c) || is_low(c) || is_dig(c); }

int bf_snake_case(const char *s, size_t len, size_t pos, char out[BF_NAME_MAX + 1])
{
	struct bf_buf b = BF_BUF_INIT;
	int sep = 0;        /* a separator is pending */
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)s[i];
		const char *word = c == '#' ? "num" : c == '%' ? "pct" : c == '&' ? "and" : NULL;
		if (word) {
			if (b.len)
				bf_buf_addc(&b, '_');
			bf_buf_adds(&b, word);
			sep = 1;
			continue;
		}
		if (!is_alnum(c)) {
			sep = 1;
			continue;
		}
		if (b.len && !sep && is_up(c)) {
			unsigned char prev = (unsigned char)s[i - 1];
			unsigned char next = i + 1 < len ? (unsigned char)s[i + 1] : 0;
			/* fooBar, foo2Bar -> boundary; HTTPCode -> boundary before 'C' */
			if (is_low(prev) || is_dig(prev) || (is_up(prev) && is_low(next)))
				sep = 1;
		}
		if (sep && b.len)
			bf_buf_addc(&b, '_');
		sep = 0;
		bf_buf_addc(&b, (char)(is_up(c) ? c + 32 : c));
	}
	int empty = b.len == 0;
	if (empty) {
		snprintf(out, BF_NAME_MAX + 1, "column_%zu", pos);
	} else {
		int lead = is_dig((unsigned char)b.p[0]);
		size_t n = b.len > CUT - (size_t)lead ? CUT - (size_t)lead : b.len;
		while (n > 1 && b.p[n - 1] == '_')
			n--;
		snprintf(out, BF_NAME_MAX + 1, "%s%.*s", lead ? "_" : "", (int)n, b.p);
	}
	bf_buf_free(&b);
	return empty;
}

void bf_stream_name(const char *filename, char out[BF_NAME_MAX + 1])
{
	const char *base = strrchr(filename, '/');
	base = base ? base + 1 : filename;
	size_t n = strlen(base);
	if (n > 3 && strcmp(base + n - 3, ".gz") == 0)
		n -= 3;
	for (size_t i = n; i > 0; i--)
		if (base[i - 1] == '.') {
			if (i - 1 > 0)
				n = i - 1;
			break;
		}
	if (bf_snake_case(base, n, 1, out))
		snprintf(out, BF_NAME_MAX + 1, "stream");
}

static int taken(char **names, size_t n, const char *name)
{
	if (bf_name_reserved(name))
		return 1;
	for (size_t i = 0; i < n; i++)
		if (names[i] && strcmp(names[i], name) == 0)
			return 1;
	return 0;
}

char **bf_column_names(const char *const *headers, const size_t *lens, size_t n)
{
	char **natural = bf_xcalloc(n, sizeof *natural);
	char **out = bf_xcalloc(n, sizeof *out);
	char tmp[BF_NAME_MAX + 1];
	for (size_t i = 0; i < n; i++) {
		bf_snake_case(headers[i], lens[i], i + 1, tmp);
		natural[i] = bf_xstrdup(tmp);
	}
	for (size_t i = 0; i < n; i++) {
		/* first use of a free natural name keeps it */
		if (!taken(out, i, natural[i])) {
			out[i] = bf_xstrdup(natural[i]);
			continue;
		}
		for (unsigned k = 2;; k++) {
			snprintf(tmp, sizeof tmp, "%s_%u", natural[i], k);
			/* free among names given so far and every natural name of the header */
			if (!taken(out, i, tmp) && !taken(natural, n, tmp)) {
				out[i] = bf_xstrdup(tmp);
				break;
			}
		}
	}
	bf_names_free(natural, n);
	return out;
}

void bf_names_free(char **names, size_t n)
{
	if (!names)
		return;
	for (size_t i = 0; i < n; i++)
		free(names[i]);
	free(names);
}
