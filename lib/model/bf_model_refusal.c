#include "model/bf_model_refusal.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cjson/cJSON.h>

#include "base/bf_buf.h"
#include "proto/bf_jsoncheck.h"

#define MAX_SHOWN 100
#define KEY_PIECE 8                /* bytes of the key that are never shown together */
#define TOKEN_MIN 20

/* The message a refusal's JSON body carries, or NULL. */
static const char *message_of(const cJSON *root)
{
	const cJSON *e = cJSON_GetObjectItemCaseSensitive(root, "error");
	const cJSON *m = cJSON_IsObject(e) ? cJSON_GetObjectItemCaseSensitive(e, "message") : NULL;
	if (cJSON_IsString(m))
		return m->valuestring;
	if (cJSON_IsString(e))
		return e->valuestring;
	m = cJSON_GetObjectItemCaseSensitive(root, "message");
	return cJSON_IsString(m) ? m->valuestring : NULL;
}

static int token_byte(unsigned char c)
{
	return isalnum(c) || c == '-' || c == '_';
}

/* Marks in hide[] what must not be shown of s[0..n). */
static void mark(const char *s, size_t n, const char *key, char *hide)
{
	size_t kl = key ? strlen(key) : 0;
	for (size_t i = 0; kl && i < n; i++) {
		size_t w = kl < KEY_PIECE ? kl : KEY_PIECE;
		if (i + w <= n && memmem(key, kl, s + i, w))
			memset(hide + i, 1, w);
	}
	for (size_t i = 0; i + 6 < n; i++)
		if (!strncasecmp(s + i, "bearer", 6) && (s[i + 6] == ' ' || s[i + 6] == ':')) {
			size_t j = i + 7;
			while (j < n && s[j] == ' ')
				j++;
			while (j < n && !isspace((unsigned char)s[j]) && s[j] != '"' && s[j] != ',' && s[j] != ';')
				hide[j++] = 1;
		}
	for (size_t i = 0; i < n;) {
		size_t j = i;
		int digit = 0, alpha = 0;
		while (j < n && token_byte((unsigned char)s[j])) {
			digit |= isdigit((unsigned char)s[j]) != 0;
			alpha |= isalpha((unsigned char)s[j]) != 0;
			j++;
		}
		if (j - i >= TOKEN_MIN && digit && alpha)
			memset(hide + i, 1, j - i);
		i = j > i ? j : i + 1;
	}
}

void bf_model_refusal(const char *body, size_t len, const char *key, char *out, size_t n)
{
	struct bf_jsoncheck ck = { 0 };
	cJSON *root = NULL;
	const char *msg = NULL;
	if (body && len && bf_jsoncheck(body, len, &ck) == 0 && ck.top_is_object &&
	    (root = cJSON_ParseWithLength(body, len)))
		msg = message_of(root);
	if (!msg || !*msg) {
		snprintf(out, n, "(no message)");
		cJSON_Delete(root);
		return;
	}
	size_t ml = strlen(msg);
	char *hide = bf_xcalloc(ml + 1, 1);
	mark(msg, ml, key && *key ? key : NULL, hide);
	struct bf_buf b = BF_BUF_INIT;
	for (size_t i = 0; i < ml && b.len < MAX_SHOWN; i++) {
		if (hide[i]) {
			bf_buf_adds(&b, "[redacted]");
			while (i + 1 < ml && hide[i + 1])
				i++;
			continue;
		}
		unsigned char c = (unsigned char)msg[i];
		bf_buf_addc(&b, c >= 0x20 && c < 0x7f ? (char)c : c >= 0x80 ? '?' : ' ');
	}
	int cut = b.len >= MAX_SHOWN;
	snprintf(out, n, "%.*s%s", MAX_SHOWN, b.p, cut ? "..." : "");
	bf_buf_free(&b);
	free(hide);
	cJSON_Delete(root);
}
