/* Unit tests for bf_model_refusal (what is kept of a model API's 4xx body), as TAP. */
#include "model/bf_model_refusal.h"

#include <string.h>

#include "tap.h"

static const char *refusal(const char *body, const char *key)
{
	static char out[160];
	bf_model_refusal(body, body ? strlen(body) : 0, key, out, sizeof out);
	return out;
}

int main(void)
{
	const char *key = "sk-test-4f9a8b7c6d5e4f3a2b1c";
	is_str(refusal("{\"error\":{\"message\":\"model not found\",\"type\":\"invalid_request_error\"}}", key),
	   "model not found", "the error message of an OpenAI-style body");
	is_str(refusal("{\"error\":\"context too long\"}", NULL), "context too long", "an error given as a string");
	is_str(refusal("{\"message\":\"no such model\"}", NULL), "no such model", "a top-level message");
	is_str(refusal("Authorization: Bearer sk-test-4f9a8b7c6d5e4f3a2b1c", key), "(no message)",
	   "a body that is not JSON is never copied");
	is_str(refusal("{\"detail\":\"sk-test-4f9a8b7c6d5e4f3a2b1c\"}", key), "(no message)",
	   "nor is a JSON body without a message");
	const char *r = refusal("{\"error\":{\"message\":\"bad key sk-test-4f9a8b7c6d5e4f3a2b1c given\"}}", key);
	ok(!strstr(r, "4f9a8b7c") && strstr(r, "bad key [redacted] given"), "the key in the message is redacted: %s", r);
	r = refusal("{\"error\":{\"message\":\"key ends in 6d5e4f3a2b1c\"}}", key);
	ok(!strstr(r, "6d5e4f3a"), "so is a piece of it (8 bytes or more): %s", r);
	r = refusal("{\"error\":{\"message\":\"headers: Authorization: Bearer abc.def; Host: x\"}}", NULL);
	ok(!strstr(r, "abc.def") && strstr(r, "Bearer [redacted]"), "a bearer token, whatever the key: %s", r);
	r = refusal("{\"error\":{\"message\":\"token eyJhbGciOiJIUzI1NiJ9xyz rejected\"}}", NULL);
	ok(!strstr(r, "eyJhbGci") && strstr(r, "rejected"), "a token-like run of 20 or more: %s", r);
	r = refusal("{\"error\":{\"message\":\"line\\none\\u0007 caf\\u00e9\"}}", NULL);
	is_str(r, "line one  caf??", "control bytes become spaces, non-ASCII bytes '?'");
	char big[2000] = "{\"error\":{\"message\":\"";
	for (int i = 0; i < 400; i++)
		strcat(big, "ab ");
	strcat(big, "\"}}");
	r = refusal(big, NULL);
	ok(strlen(r) <= 103 && !strcmp(r + strlen(r) - 3, "..."), "at most 100 bytes, then ... (%zu)", strlen(r));
	return done_testing();
}
