/* Fuzz target of the message reader (lib/proto/bf_msg): the line reader with its length
 * limit, the check of each message, and the splice of the filter loop. The first byte
 * chooses the line limit. Properties:
 *  - the lines read are the input's lines (split at '\n', a final '\r' dropped, empty
 *    ones skipped) with their numbers; an over-long line or a last line without '\n'
 *    is refused (65) at its number, and nothing else is;
 *  - a message is accepted exactly when it is one JSON object (cJSON reads it whole)
 *    with a string "type", no doubled type/stream/record/value/schema member, and the
 *    members its type needs; its type and stream are what cJSON reads;
 *  - a RECORD with members spliced in (bf_filter_write_spliced) is valid JSON with the
 *    record's members and the new ones. */
#include <cjson/cJSON.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_exit.h"
#include "proto/bf_filter.h"
#include "proto/bf_jsoncheck.h"
#include "proto/bf_msg.h"

#include "fuzz.h"

/* cJSON's tree of s[0..n) when it reads it whole, else NULL. */
static cJSON *cjson_whole(const char *s, size_t n)
{
	const char *end = NULL;
	cJSON *j = cJSON_ParseWithLengthOpts(s, n, &end, 0);
	if (j && (size_t)(end - s) != n) {
		while ((size_t)(end - s) < n && (*end == ' ' || *end == '\t' || *end == '\r' || *end == '\n'))
			end++;
		if ((size_t)(end - s) != n) {
			cJSON_Delete(j);
			j = NULL;
		}
	}
	return j;
}

static int times(const cJSON *o, const char *key)
{
	int k = 0;
	for (const cJSON *c = o->child; c; c = c->next)
		k += !strcmp(c->string, key);
	return k;
}

/* What a message should be: -1 refused, else its enum bf_msg_type. Member names and the
 * value of "type" are read by their text ("RECO\u0052D" is "RECORD"). */
static int expected_type(const char *line, size_t len, const cJSON *root)
{
	static const char *const once[] = { "type", "stream", "record", "value", "schema" };
	struct bf_jsoncheck ck = { 0 };
	if (bf_jsoncheck(line, len, &ck) != 0 || !cJSON_IsObject(root))
		return -1;
	for (size_t i = 0; i < sizeof once / sizeof *once; i++)
		if (times(root, once[i]) > 1)
			return -1;
	const cJSON *t = cJSON_GetObjectItemCaseSensitive(root, "type");
	if (!cJSON_IsString(t))
		return -1;
	const cJSON *stream = cJSON_GetObjectItemCaseSensitive(root, "stream");
	const char *ty = t->valuestring;
	if (!strcmp(ty, "RECORD"))
		return cJSON_IsString(stream) &&
		       cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "record")) ? BF_MSG_RECORD : -1;
	if (!strcmp(ty, "SCHEMA")) {
		const cJSON *kp = cJSON_GetObjectItemCaseSensitive(root, "key_properties");
		return cJSON_IsString(stream) && cJSON_IsObject(cJSON_GetObjectItemCaseSensitive(root, "schema")) &&
		       (!kp || cJSON_IsArray(kp)) ? BF_MSG_SCHEMA : -1;
	}
	if (!strcmp(ty, "STATE"))
		return cJSON_GetObjectItemCaseSensitive(root, "value") ? BF_MSG_STATE : -1;
	return BF_MSG_OTHER;
}

/* The line of a RECORD with "_fz1":1,"_fz2":"x" spliced into its record: valid JSON whose
 * record has the members of the original, in order, and then the new ones. */
static void check_splice(const struct bf_msg *m, const cJSON *root)
{
	static const char add[] = "\"_fz1\":1,\"_fz2\":\"x\"";
	int fd = memfd_create("splice", MFD_CLOEXEC);
	CHECK(fd >= 0, "memfd_create");
	struct bf_filter f = { .where = "fuzz" };
	struct bf_err err = { 0 };
	bf_out_init(&f.out, fd, "memfd");
	bf_filter_write_spliced(&f, m->line, m->len, m->record_span, add, sizeof add - 1);
	CHECK(bf_out_flush(&f.out, &err) == 0, "flush: %s", err.msg);
	off_t n = lseek(fd, 0, SEEK_CUR);
	char *out = malloc((size_t)n + 1);
	CHECK(out && pread(fd, out, (size_t)n, 0) == n, "read back");
	CHECK(n > 0 && out[n - 1] == '\n', "the spliced line ends with a newline");
	struct bf_jsoncheck ck = { 0 };
	CHECK(bf_jsoncheck(out, (size_t)n - 1, &ck) == 0, "the spliced line is not valid JSON: %s",
	      ck.err_msg);
	cJSON *got = cjson_whole(out, (size_t)n - 1);
	CHECK(got, "cJSON does not read the spliced line");
	const cJSON *r0 = cJSON_GetObjectItemCaseSensitive(root, "record");
	const cJSON *r1 = cJSON_GetObjectItemCaseSensitive(got, "record");
	const cJSON *a = r0->child, *b = r1 ? r1->child : NULL;
	for (; a; a = a->next, b = b->next)
		CHECK(b && !strcmp(a->string, b->string) && cJSON_Compare(a, b, 1),
		      "member \"%s\" of the record is not the same after the splice", a->string);
	CHECK(b && !strcmp(b->string, "_fz1") && cJSON_IsNumber(b) && b->next &&
	      !strcmp(b->next->string, "_fz2") && cJSON_IsString(b->next) && !b->next->next,
	      "the spliced members are not at the end of the record");
	cJSON_Delete(got);
	free(out);
	f.out.fd = -1;             /* closed here */
	bf_out_close(&f.out, &err);
	close(fd);
}

static void check_message(char *line, size_t len, long lineno)
{
	struct bf_msg m;
	struct bf_err err = { 0 };
	/* cJSON reads a copy: bf_msg_parse may not change the line, but check that too */
	char *copy = malloc(len + 1);
	CHECK(copy, "malloc");
	memcpy(copy, line, len + 1);
	cJSON *root = cjson_whole(copy, len);
	int want = expected_type(copy, len, root);
	int rc = bf_msg_parse(line, len, lineno, "fuzz", 1, &m, &err);
	CHECK(!memcmp(copy, line, len + 1), "bf_msg_parse changed the line");
	if (memmem(line, len, "\\u0000", 6)) {
		/* cJSON cuts strings and keys at a NUL: no reference for this line */
		bf_msg_clear(&m);
		cJSON_Delete(root);
		free(copy);
		return;
	}
	if (rc) {
		CHECK(rc == BF_EDATA && err.code == BF_EDATA && err.msg[0], "refused with %d", rc);
		CHECK(want < 0, "refused (%s), but it is a good message of type %d", err.msg, want);
		bf_msg_clear(&m);
		cJSON_Delete(root);
		free(copy);
		return;
	}
	CHECK(want >= 0, "accepted, but it is not a good message");
	CHECK((int)m.type == want, "type %d, expected %d", m.type, want);
	if (m.type == BF_MSG_OTHER) {
		const char *ty = cJSON_GetObjectItemCaseSensitive(root, "type")->valuestring;
		if (strlen(ty) < sizeof m.type_name && !memchr(line, '\\', len))
			CHECK(!strcmp(m.type_name, ty), "type_name \"%s\", cJSON reads \"%s\"", m.type_name, ty);
	}
	if (m.type == BF_MSG_RECORD || m.type == BF_MSG_SCHEMA) {
		const cJSON *s = cJSON_GetObjectItemCaseSensitive(root, "stream");
		CHECK(m.stream && !strcmp(m.stream, s->valuestring), "the stream");
		CHECK(m.stream_span.len >= 2 && line[m.stream_span.start] == '"', "the stream's span");
	}
	if (m.type == BF_MSG_RECORD)
		CHECK(m.record_span.len >= 2 && line[m.record_span.start] == '{' &&
		      line[m.record_span.start + m.record_span.len - 1] == '}', "the record's span");
	if (m.type == BF_MSG_STATE)
		CHECK(m.value != NULL && m.value_span.len > 0, "the value");
	if (m.type == BF_MSG_RECORD)
		check_splice(&m, root);
	bf_msg_clear(&m);
	cJSON_Delete(root);
	free(copy);
}

/* The reference split: the lines of data[0..size), as bf_lines_next should give them. */
struct ref_line {
	const char *p;
	size_t len;
	long lineno;
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const size_t limits[4] = { 0, 16, 200, 4096 };
	if (size < 1)
		return 0;
	size_t max_line = limits[data[0] & 3];
	const char *in = (const char *)data + 1;
	size_t len = size - 1;
	int fd = memfd_of(in, len);
	struct bf_lines r;
	struct bf_err err = { 0 };
	char *line;
	size_t n;
	int rc;
	size_t limit = max_line ? max_line : BF_MAX_LINE_DEFAULT;
	size_t pos = 0;
	long lineno = 0;
	bf_lines_init(&r, fd, "fuzz", max_line);
	for (;;) {
		/* the next line the reference sees */
		int want_eof = 0, want_err = 0;
		struct ref_line ref = { NULL, 0, 0 };
		for (;;) {
			if (pos == len) {
				want_eof = 1;
				break;
			}
			const char *nl = memchr(in + pos, '\n', len - pos);
			if (!nl) {
				want_err = 1;      /* over-long or truncated */
				break;
			}
			size_t k = (size_t)(nl - (in + pos));
			lineno++;
			if (k > limit) {
				want_err = 1;
				break;
			}
			const char *p = in + pos;
			pos += k + 1;
			if (k && p[k - 1] == '\r')
				k--;
			if (k) {
				ref = (struct ref_line){ p, k, lineno };
				break;
			}
		}
		rc = bf_lines_next(&r, &line, &n, &err);
		if (want_eof) {
			CHECK(rc == 0, "end of input, but bf_lines_next says %d (%s)", rc, err.msg);
			break;
		}
		if (want_err) {
			CHECK(rc == BF_EDATA, "an over-long or unfinished line, but bf_lines_next says %d", rc);
			break;
		}
		CHECK(rc == 1, "line %ld: bf_lines_next says %d (%s)", ref.lineno, rc, err.msg);
		CHECK(r.lineno == ref.lineno, "line number %ld, expected %ld", r.lineno, ref.lineno);
		CHECK(n == ref.len && !memcmp(line, ref.p, n) && line[n] == '\0',
		      "line %ld is not the input's", ref.lineno);
		check_message(line, n, r.lineno);
	}
	bf_lines_free(&r);
	close(fd);
	return 0;
}
