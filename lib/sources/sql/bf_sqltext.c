#include "sources/sql/bf_sqltext.h"

#include <ctype.h>
#include <string.h>

size_t bf_sqltext_quoted(const char *p)
{
	if (*p == '\'' || *p == '"' || *p == '`') {
		const char *e = strchr(p + 1, *p);   /* a doubled quote reads as two strings */
		return e ? (size_t)(e + 1 - p) : strlen(p);
	}
	if (p[0] == '-' && p[1] == '-')
		return strcspn(p, "\n");
	if (p[0] == '/' && p[1] == '*') {
		const char *e = strstr(p + 2, "*/");
		return e ? (size_t)(e + 2 - p) : strlen(p);
	}
	if (*p == '$' && (p[1] == '$' || isalpha((unsigned char)p[1]) || p[1] == '_')) {
		size_t n = 1;
		while (isalnum((unsigned char)p[n]) || p[n] == '_')
			n++;
		if (p[n] != '$')
			return 0;
		n++;
		char tag[64];
		if (n >= sizeof tag)
			return 0;
		memcpy(tag, p, n);
		tag[n] = '\0';
		const char *e = strstr(p + n, tag);
		return e ? (size_t)(e + n - p) : strlen(p);
	}
	return 0;
}
