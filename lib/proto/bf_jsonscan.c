#include "proto/bf_jsonscan.h"

/* ---- text */

static unsigned hex4(const char *p)
{
	unsigned v = 0;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		v = v * 16 + (unsigned)(c <= '9' ? c - '0' : (c | 0x20) - 'a' + 10);
	}
	return v;
}

static char *put_utf8(char *o, unsigned cp)
{
	if (cp < 0x80) {
		*o++ = (char)cp;
	} else if (cp < 0x800) {
		*o++ = (char)(0xC0 | (cp >> 6));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else if (cp < 0x10000) {
		*o++ = (char)(0xE0 | (cp >> 12));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	} else {
		*o++ = (char)(0xF0 | (cp >> 18));
		*o++ = (char)(0x80 | ((cp >> 12) & 0x3F));
		*o++ = (char)(0x80 | ((cp >> 6) & 0x3F));
		*o++ = (char)(0x80 | (cp & 0x3F));
	}
	return o;
}

/* The escape at s[*i] (its backslash) decoded at o; *i moves past it. A checked text has
 * only valid escapes and every high surrogate followed by its low one. */
static char *unescape_one(const char *s, size_t n, size_t *i, char *o, int *nul)
{
	size_t q = *i + 1;
	switch (s[q]) {
	case 'b': *o++ = '\b'; q++; break;
	case 'f': *o++ = '\f'; q++; break;
	case 'n': *o++ = '\n'; q++; break;
	case 'r': *o++ = '\r'; q++; break;
	case 't': *o++ = '\t'; q++; break;
	case 'u': {
		unsigned cp = hex4(s + q + 1);
		q += 5;
		if (cp >= 0xD800 && cp < 0xDC00 && q + 6 <= n && s[q] == '\\' && s[q + 1] == 'u') {
			unsigned lo = hex4(s + q + 2);
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			q += 6;
		}
		if (cp == 0)
			*nul = 1;
		o = put_utf8(o, cp);
		break;
	}
	default: *o++ = s[q++]; break; /* " \ / */
	}
	*i = q;
	return o;
}

size_t bf_json_unescape(const char *s, size_t n, char *out, int *nul)
{
	char *o = out;
	for (size_t i = 0; i < n;) {
		const char *b = memchr(s + i, '\\', n - i);
		size_t k = b ? (size_t)(b - (s + i)) : n - i;
		memcpy(o, s + i, k);
		o += k;
		i += k;
		if (i < n)
			o = unescape_one(s, n, &i, o, nul);
	}
	*o = '\0';
	return (size_t)(o - out);
}

int bf_json_name_is_esc(const char *s, size_t n, const char *z, size_t zn)
{
	size_t i = 0, k = 0;
	int nul = 0;
	while (i < n) {
		char u[4];
		size_t m = 1;
		if (s[i] == '\\')
			m = (size_t)(unescape_one(s, n, &i, u, &nul) - u);
		else
			u[0] = s[i++];
		if (m > zn - k || memcmp(z + k, u, m))
			return 0;
		k += m;
	}
	return k == zn;
}

int bf_json_text(const char *v, size_t n, struct bf_buf *b)
{
	bf_buf_reset(b);
	if (!v || (n == 4 && !memcmp(v, "null", 4)))
		return 0;
	if (v[0] != '"') {
		bf_buf_add(b, v, n);
		return 1;
	}
	if (!memchr(v + 1, '\\', n - 2)) {
		bf_buf_add(b, v + 1, n - 2);
		return 1;
	}
	int nul = 0;
	bf_buf_grow(b, n);
	b->len = bf_json_unescape(v + 1, n - 2, b->p, &nul);
	if (nul)
		b->len = strlen(b->p);
	return 1;
}

/* ---- picking members by name */

void bf_json_pick_init(struct bf_json_pick *pk, const char *const *keys)
{
	memset(pk, 0, sizeof *pk);
	pk->keys = keys;
	if (keys)
		for (; pk->nkeys < BF_JSON_PICK_MAX && keys[pk->nkeys]; pk->nkeys++)
			pk->klen[pk->nkeys] = strlen(keys[pk->nkeys]);
}

void bf_json_pick(struct bf_json_pick *pk, const char *obj, size_t len)
{
	struct bf_json_kv kv;
	const char *end = obj + len;
	for (const char *p = bf_json_first(obj); bf_json_next(&p, end, &kv);)
		bf_json_pick_offer(pk, obj, &kv);
}

/* ---- a record split for the loader */

long bf_json_members(const char *obj, size_t len, struct bf_member **out, size_t *cap,
		     struct bf_buf *scratch)
{
	const char *end = obj + len, *p = bf_json_ws(obj);
	struct bf_json_kv kv;
	long n = 0;
	bf_buf_reset(scratch);
	bf_buf_grow(scratch, len + 2);
	char *o = scratch->p;          /* decoded texts, one after the other */
	if (p >= end || *p != '{')
		return -1;
	for (p = bf_json_first(p); bf_json_next(&p, end, &kv);) {
		if ((size_t)n >= *cap) {
			*cap = *cap ? *cap * 2 : 32;
			*out = bf_xrealloc(*out, *cap * sizeof **out);
		}
		struct bf_member *m = &(*out)[n++];
		int nul = 0;
		m->key = kv.key;
		m->keylen = kv.keylen;
		if (kv.key_esc) {
			m->key = o;
			m->keylen = bf_json_unescape(kv.key, kv.keylen, o, &nul);
			o += m->keylen + 1;
			nul = 0;
		}
		m->val = kv.val;
		m->len = kv.vallen;
		switch (*kv.val) {
		case '"':
			m->kind = BF_J_STRING;
			m->val = kv.val + 1;
			m->len = kv.vallen - 2;
			if (kv.val_esc) {
				m->val = o;
				m->len = bf_json_unescape(kv.val + 1, kv.vallen - 2, o, &nul);
				o += m->len + 1;
			}
			break;
		case 't': m->kind = BF_J_TRUE; break;
		case 'f': m->kind = BF_J_FALSE; break;
		case 'n': m->kind = BF_J_NULL; break;
		case '[': m->kind = BF_J_ARRAY; break;
		case '{': m->kind = BF_J_OBJECT; break;
		default: m->kind = BF_J_NUMBER; break;
		}
		m->no_nul = !nul;
	}
	return n;
}
