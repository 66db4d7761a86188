/* Fuzz target of the strict JSON check (lib/proto/bf_jsoncheck). Properties:
 *  - an accepted input is parsed whole by cJSON too;
 *  - the spans of an accepted object lie in the input, start and end with matching
 *    delimiters, and a string span parses to the member's value in cJSON's tree;
 *  - a rejected input cut at err_offset is accepted, or refused as merely unfinished
 *    at the same offset. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "proto/bf_jsoncheck.h"

#include "fuzz.h"

static const char *const keys[] = { "type", "record", "stream", "a", "", NULL };

/* cJSON's tree of buf[0..len) when cJSON reads it whole, else NULL. */
static cJSON *cjson_whole(const char *buf, size_t len)
{
	char *copy = malloc(len + 1);
	CHECK(copy, "malloc");
	memcpy(copy, buf, len);
	copy[len] = 0;
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
	if (j) {
		size_t p = (size_t)(end - copy);
		while (p < len && (copy[p] == ' ' || copy[p] == '\t' || copy[p] == '\r' || copy[p] == '\n'))
			p++;
		if (p != len) {
			cJSON_Delete(j);
			j = NULL;
		}
	}
	free(copy);
	return j;
}

static void check_span(const char *buf, size_t len, const struct bf_jsoncheck_span *sp,
		       const cJSON *root, const char *key)
{
	const cJSON *member = cJSON_IsObject(root) ? cJSON_GetObjectItemCaseSensitive(root, key) : NULL;
	int times = 0;            /* the span is of the first unescaped key; cJSON's of any */
	for (const cJSON *c = cJSON_IsObject(root) ? root->child : NULL; c; c = c->next)
		times += !strcmp(c->string, key);
	if (sp->len == 0) {
		CHECK(sp->start == 0, "absent span at %zu", sp->start);
		return;
	}
	CHECK(sp->start < len && sp->len <= len - sp->start, "span %zu+%zu of %zu", sp->start,
	      sp->len, len);
	char first = buf[sp->start], last = buf[sp->start + sp->len - 1];
	CHECK(first != '{' || last == '}', "object span ends with %c", last);
	CHECK(first != '[' || last == ']', "array span ends with %c", last);
	CHECK(first != '"' || (last == '"' && sp->len >= 2), "string span");
	CHECK(member != NULL, "a span for \"%s\", which cJSON does not see", key);
	if (times == 1 && first == '"' && cJSON_IsString(member) && !memchr(buf + sp->start, '\\', sp->len))
		CHECK(sp->len - 2 == strlen(member->valuestring) &&
		      !memcmp(buf + sp->start + 1, member->valuestring, sp->len - 2),
		      "span of \"%s\" is not its value", key);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *buf = (const char *)data;
	struct bf_jsoncheck ck = { .keys = keys };

	if (bf_jsoncheck(buf, size, &ck) == 0) {
		CHECK(ck.err_msg == NULL, "accepted with a message");
		cJSON *root = cjson_whole(buf, size);
		CHECK(root != NULL, "accepted, but cJSON does not parse it whole");
		CHECK(ck.top_is_object == cJSON_IsObject(root), "top_is_object");
		for (int i = 0; keys[i]; i++)
			check_span(buf, size, &ck.spans[i], root, keys[i]);
		cJSON_Delete(root);
		return 0;
	}
	CHECK(ck.err_msg != NULL && ck.err_offset <= size, "refused without a message or offset");
	struct bf_jsoncheck cut = { 0 };
	if (bf_jsoncheck(buf, ck.err_offset, &cut) != 0)
		CHECK(cut.err_offset == ck.err_offset && !strcmp(cut.err_msg, "unexpected end of input"),
		      "the prefix up to the error (%zu: %s) fails at %zu: %s", ck.err_offset,
		      ck.err_msg, cut.err_offset, cut.err_msg);
	return 0;
}
