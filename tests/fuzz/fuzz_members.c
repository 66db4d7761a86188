/* Fuzz target of the record-member scanner bf-load splits records with
 * (bf_json_members in lib/targets/bf_types), on objects the strict check accepted.
 * Properties: the members are cJSON's, in order: the same keys (unescaped), the same
 * kinds; a string member's text is its unescaped value, and says whether it may hold
 * a NUL; a number's token reads as cJSON's number; an array's or object's text parses
 * to cJSON's value. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "base/bf_buf.h"
#include "proto/bf_jsoncheck.h"
#include "targets/bf_types.h"

#include "fuzz.h"

static int kind_of(const cJSON *v)
{
	return cJSON_IsNull(v) ? BF_J_NULL : cJSON_IsFalse(v) ? BF_J_FALSE : cJSON_IsTrue(v) ? BF_J_TRUE
	     : cJSON_IsNumber(v) ? BF_J_NUMBER : cJSON_IsString(v) ? BF_J_STRING
	     : cJSON_IsArray(v) ? BF_J_ARRAY : BF_J_OBJECT;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *obj = (const char *)data;
	struct bf_jsoncheck ck = { 0 };
	if (bf_jsoncheck(obj, size, &ck) != 0 || !ck.top_is_object)
		return 0;
	static struct bf_member *mem;
	static size_t cap;
	struct bf_buf scratch = BF_BUF_INIT;
	long n = bf_json_members(obj, size, &mem, &cap, &scratch);
	cJSON *root = cJSON_ParseWithLength(obj, size);
	CHECK(root && cJSON_IsObject(root), "cJSON does not read the object");
	CHECK(n == cJSON_GetArraySize(root), "%ld members, cJSON has %d", n, cJSON_GetArraySize(root));
	/* cJSON cuts keys and strings at a NUL: compare those only as far as it can */
	int nul = memmem(obj, size, "\\u0000", 6) != NULL;
	long i = 0;
	for (const cJSON *c = root->child; c; c = c->next, i++) {
		const struct bf_member *m = &mem[i];
		CHECK(m->keylen == strlen(c->string) || nul, "member %ld: key of %zu bytes, cJSON's \"%s\"", i,
		      m->keylen, c->string);
		CHECK(!memcmp(m->key, c->string, m->keylen < strlen(c->string) ? m->keylen : strlen(c->string)),
		      "member %ld: key is not cJSON's \"%s\"", i, c->string);
		CHECK((int)m->kind == kind_of(c), "member \"%s\": kind %d, cJSON's %d", c->string, m->kind,
		      kind_of(c));
		switch (m->kind) {
		case BF_J_STRING: {
			int has_nul = memchr(m->val, '\0', m->len) != NULL;
			CHECK(!(m->no_nul && has_nul), "member \"%s\": no_nul, but it holds a NUL", c->string);
			if (!has_nul)
				CHECK(m->len == strlen(c->valuestring) && !memcmp(m->val, c->valuestring, m->len),
				      "member \"%s\": text is not cJSON's", c->string);
			break;
		}
		case BF_J_NUMBER: {
			char *tok = strndup(m->val, m->len);
			CHECK(tok, "strndup");
			char *end;
			double d = strtod(tok, &end);
			CHECK(*end == '\0' && m->len > 0, "member \"%s\": number token \"%s\"", c->string, tok);
			CHECK(d == c->valuedouble || (d != d && c->valuedouble != c->valuedouble),
			      "member \"%s\": %s is %g, cJSON reads %g", c->string, tok, d, c->valuedouble);
			free(tok);
			break;
		}
		case BF_J_ARRAY:
		case BF_J_OBJECT: {
			/* compared printed: cJSON_Compare finds inf unequal to itself */
			cJSON *v = cJSON_ParseWithLength(m->val, m->len);
			char *pv = v ? cJSON_PrintUnformatted(v) : NULL, *pc = cJSON_PrintUnformatted(c);
			CHECK(pv && pc && (nul || !strcmp(pv, pc)), "member \"%s\": its text is not its value",
			      c->string);
			cJSON_free(pv);
			cJSON_free(pc);
			cJSON_Delete(v);
			break;
		}
		default:
			break;
		}
	}
	cJSON_Delete(root);
	bf_buf_free(&scratch);
	return 0;
}
