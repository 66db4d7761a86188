/* libFuzzer target for bf_jsoncheck and the scanner of checked text
 * (proto/bf_jsonscan).  Checks that
 *  - an accepted input is parsed fully by cJSON as well;
 *  - the spans of an accepted object lie in the input and start and end
 *    with matching delimiters;
 *  - the scanner, walking the accepted object, picks the same spans as the
 *    checker did, and splits it into as many members as it walked;
 *  - a rejected input cut at err_offset is valid or merely unfinished.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib
 *        tests/fuzz/fuzz_jsoncheck.c lib/proto/bf_jsoncheck.c
 *        lib/proto/bf_jsonscan.c lib/base/bf_buf.c -lcjson */
#include "proto/bf_jsoncheck.h"

#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static int cjson_parses_fully(const char *buf, size_t len)
{
	char *copy = malloc(len + 1);
	if (!copy)
		abort();
	memcpy(copy, buf, len);
	copy[len] = 0;
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(copy, len, &end, 0);
	int ok = j != NULL && end != NULL;
	if (ok) {
		size_t p = (size_t)(end - copy);
		while (p < len && (copy[p] == ' ' || copy[p] == '\t' ||
				   copy[p] == '\r' || copy[p] == '\n'))
			p++;
		ok = p == len;
	}
	cJSON_Delete(j);
	free(copy);
	return ok;
}

static void check_span(const char *buf, size_t len,
		       const struct bf_json_span *sp)
{
	if (sp->len == 0) {
		if (sp->start != 0)
			abort();
		return;
	}
	if (sp->start >= len || sp->len > len - sp->start)
		abort();
	char first = buf[sp->start], last = buf[sp->start + sp->len - 1];
	if ((first == '{' && last != '}') || (first == '[' && last != ']') ||
	    (first == '"' && (last != '"' || sp->len < 2)))
		abort();
}

/* The scanner over the accepted object agrees with the checker. */
static void check_scanner(const char *buf, size_t len, const struct bf_json_pick *want)
{
	char *copy = malloc(len + 1);   /* the scanner reads up to a NUL after a number */
	if (!copy)
		abort();
	memcpy(copy, buf, len);
	copy[len] = 0;
	const char *obj = copy;
	while (*obj != '{')
		obj++;
	size_t olen = len - (size_t)(obj - copy);
	struct bf_json_pick pk;
	bf_json_pick_init(&pk, want->keys);
	bf_json_pick(&pk, obj, olen);
	for (int i = 0; i < want->nkeys; i++)
		if (pk.spans[i].len != want->spans[i].len ||
		    (pk.spans[i].len && pk.spans[i].start + (size_t)(obj - copy) != want->spans[i].start))
			abort();
	if (pk.duplicate != want->duplicate)
		abort();
	struct bf_json_kv kv;
	long walked = 0;
	for (const char *p = bf_json_first(obj); bf_json_next(&p, copy + len, &kv);)
		walked++;
	struct bf_member *m = NULL;
	size_t cap = 0;
	struct bf_buf scratch = BF_BUF_INIT;
	if (bf_json_members(obj, olen, &m, &cap, &scratch) != walked)
		abort();
	free(m);
	bf_buf_free(&scratch);
	free(copy);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "type", "record", "stream", "a", "",
					    NULL };
	const char *buf = (const char *)data;
	struct bf_jsoncheck ck = { 0 };
	struct bf_json_pick pk;
	bf_json_pick_init(&pk, keys);
	ck.pick = &pk;

	if (bf_jsoncheck(buf, size, &ck) == 0) {
		if (ck.err_msg != NULL || !cjson_parses_fully(buf, size))
			abort();
		for (int i = 0; i < 5; i++)
			check_span(buf, size, &pk.spans[i]);
		if (ck.top_is_object)
			check_scanner(buf, size, &pk);
		return 0;
	}
	if (ck.err_msg == NULL || ck.err_offset > size)
		abort();
	struct bf_jsoncheck cut = {0};
	if (bf_jsoncheck(buf, ck.err_offset, &cut) != 0 &&
	    (cut.err_offset != ck.err_offset ||
	     strcmp(cut.err_msg, "unexpected end of input") != 0))
		abort();
	return 0;
}
