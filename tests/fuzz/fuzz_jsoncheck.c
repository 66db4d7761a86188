/* libFuzzer target for bf_jsoncheck.  Checks that
 *  - an accepted input is parsed fully by cJSON as well;
 *  - the spans of an accepted object lie in the input and start and end
 *    with matching delimiters;
 *  - a rejected input cut at err_offset is valid or merely unfinished.
 * Build: clang -fsanitize=fuzzer,address,undefined -Ilib
 *        tests/fuzz/fuzz_jsoncheck.c lib/proto/bf_jsoncheck.c -lcjson */
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
		       const struct bf_jsoncheck_span *sp)
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

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = { "type", "record", "stream", "a", "",
					    NULL };
	const char *buf = (const char *)data;
	struct bf_jsoncheck ck = { .keys = keys };

	if (bf_jsoncheck(buf, size, &ck) == 0) {
		if (ck.err_msg != NULL || !cjson_parses_fully(buf, size))
			abort();
		for (int i = 0; i < 5; i++)
			check_span(buf, size, &ck.spans[i]);
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
