/* Reading JSON text that bf_jsoncheck has accepted, without building a tree: the members
 * of an object one by one, members picked by name, the text of a string, and the members
 * of a record split for the loader. Nothing is checked again: these must only be given
 * text that bf_jsoncheck accepted (a line bf_msg_parse accepted, or a value in it). A
 * member name or a string means its text after escapes, everywhere:
 * "order\u005fdetails" is order_details.
 *
 * Nothing is allocated except by growing buffers the caller owns: what is returned points
 * into the text or into such a buffer, valid until the next call with the same buffer. */
#ifndef BF_JSONSCAN_H
#define BF_JSONSCAN_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/bf_buf.h"

/* Byte range [start, start + len) in a text. */
struct bf_json_span { size_t start, len; };

/* A member as written: its name between its quotes, still escaped, and its value token
 * (a string with its quotes, an object or array with its brackets, a number or literal). */
struct bf_json_kv {
	const char *key;
	size_t keylen;
	int key_esc;               /* the name holds an escape */
	const char *val;
	size_t vallen;
	int val_esc;               /* the value is a string that holds an escape */
};

/* ---- walking: the members of a checked object */

static inline const char *bf_json_ws(const char *p)
{
	while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
		p++;
	return p;
}

/* The first '"' or '\\' at or after p; one is there before end. */
static inline const char *bf_json_quote(const char *p, const char *end)
{
	while (p + 8 <= end) {
		uint64_t w, q, b;
		memcpy(&w, p, 8);
		q = w ^ 0x2222222222222222ULL;
		b = w ^ 0x5c5c5c5c5c5c5c5cULL;
		q = (q - 0x0101010101010101ULL) & ~q;
		b = (b - 0x0101010101010101ULL) & ~b;
		uint64_t m = (q | b) & 0x8080808080808080ULL;
		if (m) {
			/* the lowest flagged byte is exact (borrows only run upwards) */
#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ == __ORDER_LITTLE_ENDIAN__
			return p + (__builtin_ctzll(m) >> 3);
#else
			break;
#endif
		}
		p += 8;
	}
	while (*p != '"' && *p != '\\')
		p++;
	return p;
}

/* The string whose opening quote is at p: returns the position after its closing quote,
 * and sets *esc when it holds an escape. */
static inline const char *bf_json_skip_string(const char *p, const char *end, int *esc)
{
	p++;
	for (;;) {
		p = bf_json_quote(p, end);
		if (*p == '"')
			return p + 1;
		*esc = 1;
		p += 2;                    /* the backslash and the escaped character */
	}
}

/* Any value at p: returns the position after it. */
static inline const char *bf_json_skip_value(const char *p, const char *end)
{
	int esc = 0;
	if (*p == '"')
		return bf_json_skip_string(p, end, &esc);
	if (*p == '{' || *p == '[') {
		int depth = 0;
		for (;;) {
			if (*p == '"') {
				p = bf_json_skip_string(p, end, &esc);
				continue;
			}
			if (*p == '{' || *p == '[')
				depth++;
			else if ((*p == '}' || *p == ']') && --depth == 0)
				return p + 1;
			p++;
		}
	}
	while (*p && *p != ',' && *p != '}' && *p != ']' && *p != ' ' && *p != '\t' &&
	       *p != '\r' && *p != '\n')
		p++;
	return p;
}

/* The position of the first member of the object at obj (its '{'). */
static inline const char *bf_json_first(const char *obj)
{
	return bf_json_ws(obj + 1);
}

/* The member at *pos into kv, and *pos past it: 1, or 0 at the object's end. end is the
 * end of the object (or of the text holding it).
 *	for (const char *p = bf_json_first(obj); bf_json_next(&p, end, &kv);) ... */
static inline int bf_json_next(const char **pos, const char *end, struct bf_json_kv *kv)
{
	const char *p = *pos;
	if (*p != '"')
		return 0;
	kv->key = p + 1;
	kv->key_esc = 0;
	p = bf_json_skip_string(p, end, &kv->key_esc);
	kv->keylen = (size_t)(p - 1 - kv->key);
	p = bf_json_ws(bf_json_ws(p) + 1);              /* the ':' */
	kv->val = p;
	kv->val_esc = 0;
	p = *p == '"' ? bf_json_skip_string(p, end, &kv->val_esc) : bf_json_skip_value(p, end);
	kv->vallen = (size_t)(p - kv->val);
	p = bf_json_ws(p);
	if (*p == ',')
		p = bf_json_ws(p + 1);
	*pos = p;
	return 1;
}

/* ---- text */

/* The text of the string whose bytes between the quotes are s[0..n) into out (room for
 * n + 1 bytes; a decoded text is never longer): returns its length; out[len] is '\0'.
 * *nul is set when the text holds a NUL (\u0000). */
size_t bf_json_unescape(const char *s, size_t n, char *out, int *nul);

/* s[0..n), a name or string as written between its quotes (escaped when esc), means the
 * text z[0..zn). */
int bf_json_name_is_esc(const char *s, size_t n, const char *z, size_t zn);
static inline int bf_json_name_is(const char *s, size_t n, int esc, const char *z, size_t zn)
{
	if (!esc)
		return n == zn && !memcmp(s, z, n);
	return bf_json_name_is_esc(s, n, z, zn);
}

/* The text of the value token v[0..n) into b (reset first): a string's text after its
 * escapes, up to a NUL it may hold; any other token as written. Returns 0 for null or
 * an absent value (v NULL), 1 otherwise. */
int bf_json_text(const char *v, size_t n, struct bf_buf *b);

/* ---- picking members by name */

#define BF_JSON_PICK_MAX 8

struct bf_json_pick {
	const char *const *keys;   /* in: NULL-terminated names; the first BF_JSON_PICK_MAX */
	size_t klen[BF_JSON_PICK_MAX];
	int nkeys;
	/* out: spans[i] is the value of the member named keys[i], as an offset from the start
	 * of the text given; start == len == 0 when absent. The first occurrence is kept. */
	struct bf_json_span spans[BF_JSON_PICK_MAX];
	int duplicate;             /* out: an asked name occurred twice */
};

/* Prepares pk to pick the members named keys (NULL-terminated, or NULL for none). */
void bf_json_pick_init(struct bf_json_pick *pk, const char *const *keys);
/* Offers a member of an object in the text starting at base. */
static inline void bf_json_pick_offer(struct bf_json_pick *pk, const char *base,
				      const struct bf_json_kv *kv)
{
	for (int i = 0; i < pk->nkeys; i++) {
		if (!bf_json_name_is(kv->key, kv->keylen, kv->key_esc, pk->keys[i], pk->klen[i]))
			continue;
		if (pk->spans[i].len) {
			pk->duplicate = 1;
		} else {
			pk->spans[i].start = (size_t)(kv->val - base);
			pk->spans[i].len = kv->vallen;
		}
		return;
	}
}
/* Picks from the checked object obj[0..len) (spans are offsets from obj). */
void bf_json_pick(struct bf_json_pick *pk, const char *obj, size_t len);

/* ---- a record split for the loader */

enum bf_json_kind { BF_J_NULL, BF_J_FALSE, BF_J_TRUE, BF_J_NUMBER, BF_J_STRING, BF_J_ARRAY, BF_J_OBJECT };
struct bf_member {
	const char *key;           /* the name's text (not NUL-terminated in general) */
	size_t keylen;
	enum bf_json_kind kind;
	const char *val;           /* string: its text; others: the raw JSON token */
	size_t len;
	int no_nul;                /* val is known to hold no NUL (set by bf_json_members;
				      0: bf_cast looks) */
};

/* Splits the checked object obj[0..len) into its members, names and strings decoded.
 * *out is grown as needed (*cap entries); returns the number of members, -1 if obj is
 * not an object. Decoded names and strings live in scratch (reset by the call). */
long bf_json_members(const char *obj, size_t len, struct bf_member **out, size_t *cap,
		     struct bf_buf *scratch);

#endif
