#include "base/bf_redact.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const char *const secret_names[] = {
	"password", "passwd", "sslpassword", "key", "apikey", "api_key", "token", "access_token", "secret",
};

#define MASK "***"

/* A writer into dst[0..cap) that counts what it would write. */
struct out {
	char *dst;
	size_t cap, len;
};

static void put(struct out *o, const char *p, size_t n)
{
	if (o->len + 1 < o->cap) {
		size_t room = o->cap - 1 - o->len;
		memcpy(o->dst + o->len, p, n < room ? n : room);
	}
	o->len += n;
}

static int boundary(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '?' || c == '&' || c == ';' || c == ',' ||
	       c == '\'' || c == '"' || c == '(';
}

/* When s[i..] is a secret parameter's name and '=': the length up to the value, else 0. */
static size_t param_at(const char *s, size_t i)
{
	if (i && !boundary(s[i - 1]))
		return 0;
	for (size_t k = 0; k < sizeof secret_names / sizeof secret_names[0]; k++) {
		size_t n = strlen(secret_names[k]);
		if (!strncasecmp(s + i, secret_names[k], n) && s[i + n] == '=')
			return n + 1;
	}
	return 0;
}

/* The value at s[i..]: its length (a quoted value up to its closing quote). */
static size_t value_len(const char *s, size_t i)
{
	if (s[i] == '\'') {
		size_t k = i + 1;
		while (s[k] && s[k] != '\'')
			k += s[k] == '\\' && s[k + 1] ? 2 : 1;
		return k - i + (s[k] == '\'');
	}
	return strcspn(s + i, " \t\n&;,'\"#");
}

/* When s[i..] is "://" followed by user:password@: the offsets of the password. */
static int userinfo_at(const char *s, size_t i, size_t *pw, size_t *end)
{
	if (strncmp(s + i, "://", 3))
		return 0;
	size_t a = i + 3, auth = strcspn(s + a, "/?# \t\n\"'");
	const char *at = NULL;
	for (size_t k = 0; k < auth; k++)
		if (s[a + k] == '@')
			at = s + a + k;   /* the last one: a password may hold an @ */
	if (!at)
		return 0;
	const char *colon = memchr(s + a, ':', (size_t)(at - (s + a)));
	if (!colon || colon + 1 == at)
		return 0;
	*pw = (size_t)(colon + 1 - s);
	*end = (size_t)(at - s);
	return 1;
}

static size_t redact(struct out *o, const char *s, int *found)
{
	size_t i = 0, from = 0;
	if (!s)
		s = "";
	while (s[i]) {
		size_t pw, end, n;
		if (userinfo_at(s, i, &pw, &end)) {
			put(o, s + from, pw - from);
			put(o, MASK, strlen(MASK));
			*found = 1;
			i = from = end;
			continue;
		}
		if ((n = param_at(s, i)) && value_len(s, i + n)) {
			size_t v = value_len(s, i + n);
			put(o, s + from, i + n - from);
			put(o, MASK, strlen(MASK));
			*found = 1;
			i = from = i + n + v;
			continue;
		}
		i++;
	}
	put(o, s + from, i - from);
	if (o->cap)
		o->dst[o->len < o->cap ? o->len : o->cap - 1] = '\0';
	return o->len;
}

size_t bf_redact_to(char *dst, size_t cap, const char *s)
{
	struct out o = { dst, cap, 0 };
	int found = 0;
	return redact(&o, s, &found);
}

char *bf_redact(const char *s)
{
	if (!s)
		return NULL;
	size_t n = bf_redact_to(NULL, 0, s);
	char *p = malloc(n + 1);
	if (!p) {
		fputs("out of memory\n", stderr);
		abort();
	}
	bf_redact_to(p, n + 1, s);
	return p;
}

int bf_has_secret(const char *s)
{
	struct out o = { NULL, 0, 0 };
	int found = 0;
	redact(&o, s, &found);
	return found;
}
