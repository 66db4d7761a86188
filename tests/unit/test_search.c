/* lib/search: the SIMD kernels against plain sums, top-k order and ties, quantization,
 * words, reciprocal rank fusion, and an in-process search (vectors kept in memory) that
 * follows bf-load replacing a partition. */
#include <fcntl.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/bf_buf.h"
#include "search/bf_search.h"
#include "search/bf_search_db.h"
#include "search/bf_search_int.h"
#include "search/bf_topk.h"
#include "search/bf_vdot.h"
#include "stages/bf_load.h"
#include "tap.h"

static float frand(unsigned *s)
{
	*s = *s * 1103515245u + 12345u;
	return (float)((*s >> 8) & 0xffff) / 32768.0f - 1.0f;
}

static void kernels(void)
{
	unsigned seed = 7;
	float a[131], b[131];
	int8_t ca[131], cb[131];
	int bad_f = 0, bad_i = 0;
	for (int pass = 0; pass < 2; pass++) {
		bf_vdot_force_portable(pass);
		for (size_t n = 0; n <= 131; n++) {
			double want = 0;
			int32_t iwant = 0;
			for (size_t i = 0; i < n; i++) {
				a[i] = frand(&seed);
				b[i] = frand(&seed);
				ca[i] = (int8_t)(frand(&seed) * 127);
				cb[i] = (int8_t)(frand(&seed) * 127);
				want += (double)a[i] * b[i];
				iwant += (int32_t)ca[i] * cb[i];
			}
			bad_f += fabs(bf_vdot_f32(a, b, n) - want) > 1e-5;
			bad_i += bf_vdot_i8(ca, cb, n) != iwant;
		}
		ok(!bad_f, "float dot products of lengths 0-131 equal the double sums to 1e-5 (%s)", bf_vdot_impl());
		ok(!bad_i, "int8 dot products of lengths 0-131 are exact (%s)", bf_vdot_impl());
	}
	static float big[7 * 70], rows[7];
	int bad_r = 0;
	for (size_t dim = 0; dim <= 70; dim++) {
		for (size_t i = 0; i < 7 * dim; i++)
			big[i] = frand(&seed);
		for (size_t i = 0; i < dim; i++)
			a[i] = frand(&seed);
		bf_vdot_force_portable(0);
		bf_vdot_f32_rows(big, 7, dim, a, rows);
		for (size_t r = 0; r < 7; r++) {
			double want = 0;
			for (size_t i = 0; i < dim; i++)
				want += (double)big[r * dim + i] * a[i];
			bad_r += fabs(rows[r] - want) > 1e-5;
		}
	}
	ok(!bad_r, "rows of 0-70 floats, 7 at a time (4 + 3), equal the double sums (%s)", bf_vdot_impl());
	bf_vdot_force_portable(0);
	float m[3 * 5], out[3];
	for (int i = 0; i < 15; i++)
		m[i] = (float)i;
	float q[5] = { 1, 0, 0, 0, 1 };
	bf_vdot_f32_rows(m, 3, 5, q, out);
	ok(out[0] == 4 && out[1] == 14 && out[2] == 24, "rows: one dot product each");
}

static void topk(void)
{
	struct bf_topk t;
	bf_topk_init(&t, 3);
	float s[] = { 0.5f, 0.9f, 0.1f, 0.9f, 0.7f, 0.3f };
	for (int i = 0; i < 6; i++)
		bf_topk_push(&t, s[i], 10 + i);
	bf_topk_sort(&t);
	ok(t.n == 3 && t.h[0].id == 11 && t.h[1].id == 13 && t.h[2].id == 14,
	   "the best 3, ties by the smaller id (%lld %lld %lld)", (long long)t.h[0].id, (long long)t.h[1].id,
	   (long long)t.h[2].id);
	struct bf_topk a, b;
	bf_topk_init(&a, 2);
	bf_topk_init(&b, 2);
	bf_topk_push(&a, 1, 1);
	bf_topk_push(&b, 2, 2);
	bf_topk_push(&b, 0.5f, 3);
	bf_topk_merge(&a, &b);
	bf_topk_sort(&a);
	ok(a.n == 2 && a.h[0].id == 2 && a.h[1].id == 1, "merge keeps the best of both");
	bf_topk_free(&a);
	bf_topk_free(&b);
	bf_topk_free(&t);
}

static void quantize(void)
{
	float v[4] = { 0.5f, -1.0f, 0.25f, 0 };
	int8_t c[4];
	float scale = bf_sdb_quantize(v, 4, c);
	ok(c[0] == 64 && c[1] == -127 && c[2] == 32 && c[3] == 0 && fabsf(scale - 1.0f / 127) < 1e-7,
	   "int8 codes: max |v| is 127 (%d %d %d %d)", c[0], c[1], c[2], c[3]);
	float z[3] = { 0, 0, 0 };
	ok(bf_sdb_quantize(z, 3, c) == 0 && c[0] == 0, "a zero vector: scale 0");
}

static void words_rrf(void)
{
	size_t n;
	char **w = bf_search_words("  Cold-room, compressor! caf\xc3\xa9 42 ", &n);
	ok(n == 5 && !strcmp(w[0], "Cold") && !strcmp(w[1], "room") && !strcmp(w[3], "caf\xc3\xa9") &&
	   !strcmp(w[4], "42"), "words: letters, digits and UTF-8, split at the rest");
	bf_search_words_free(w, n);
	int64_t a[] = { 1, 2, 3 }, b[] = { 3, 4 };
	struct bf_topk t;
	bf_topk_init(&t, 10);
	bf_search_rrf(a, 3, b, 2, &t);
	bf_topk_sort(&t);
	ok(t.n == 4 && t.h[0].id == 3 && fabsf(t.h[0].score - (float)(1.0 / 63 + 1.0 / 61)) < 1e-7 &&
	   t.h[1].id == 1, "RRF: 3 (ranks 3 and 1) first, each record once");
	bf_topk_free(&t);
}

/* Loads messages (a string) into the warehouse through bf-load's core. */
static int load(const char *wh, const char *state, const char *msgs)
{
	char path[] = "/tmp/bf-test-search-XXXXXX";
	int fd = mkstemp(path);
	if (fd < 0)
		return -1;
	if (write(fd, msgs, strlen(msgs)) != (ssize_t)strlen(msgs))
		return -1;
	lseek(fd, 0, SEEK_SET);
	int out = open("/dev/null", O_WRONLY);
	struct bf_load_opts o = { .target = wh, .state_path = state, .progress = -1 };
	struct bf_err err = { 0 };
	int rc = bf_load_run(&o, fd, out, &err);
	if (rc)
		diag("load: %s", err.msg);
	close(fd);
	close(out);
	unlink(path);
	return rc;
}

static const char schema[] =
	"{\"type\":\"SCHEMA\",\"stream\":\"w\",\"schema\":{\"type\":\"object\",\"properties\":{\"id\":{\"type\":\"string\"},"
	"\"v\":{\"type\":\"array\",\"items\":{\"type\":\"number\"},\"x-bf-embedding\":{\"method\":\"hash\",\"dim\":3}}}},"
	"\"key_properties\":[]}\n";

static void in_process(void)
{
	char dir[] = "/tmp/bf-test-search-dir-XXXXXX";
	if (!mkdtemp(dir)) {
		ok(0, "temporary directory");
		return;
	}
	struct bf_buf wh = BF_BUF_INIT, st = BF_BUF_INIT, m = BF_BUF_INIT;
	bf_buf_addf(&wh, "%s/w.db", dir);
	bf_buf_addf(&st, "%s/s.db", dir);
	bf_buf_adds(&m, schema);
	bf_buf_adds(&m, "{\"type\":\"RECORD\",\"stream\":\"w\",\"record\":{\"id\":\"a\",\"v\":[1,0,0],\"_bf_date\":\"2024-01-01\",\"_bf_location\":\"1\"}}\n"
		    "{\"type\":\"RECORD\",\"stream\":\"w\",\"record\":{\"id\":\"b\",\"v\":[0,1,0],\"_bf_date\":\"2024-01-01\",\"_bf_location\":\"1\"}}\n"
		    "{\"type\":\"STATE\",\"value\":{\"bf\":{\"location\":\"1\",\"date\":\"2024-01-01\"}}}\n"
		    "{\"type\":\"RECORD\",\"stream\":\"w\",\"record\":{\"id\":\"c\",\"v\":[0.6,0.8,0],\"_bf_date\":\"2024-01-02\",\"_bf_location\":\"1\"}}\n"
		    "{\"type\":\"STATE\",\"value\":{\"bf\":{\"location\":\"1\",\"date\":\"2024-01-02\"}}}\n");
	ok(load(wh.p, st.p, m.p) == 0, "loaded two partitions");
	struct bf_search *s = NULL;
	struct bf_search_opts so = { .keep = 1, .threads = 2 };
	struct bf_err err = { 0 };
	ok(bf_search_open(wh.p, &so, &s, &err) == 0, "opened with the vectors kept");
	float q[3] = { 0, 2, 0 };
	struct bf_search_query qq = { .mode = BF_SEARCH_VECTOR, .k = 2, .vector = q, .dim = 3 };
	struct bf_search_results r;
	for (int idx = 0; idx < 2 && s; idx++) {
		qq.index = idx;
		int rc = bf_search_query(s, &qq, &r, &err);
		ok(rc == 0 && r.n == 2 && strstr(r.hits[0].record, "\"b\"") && fabs(r.hits[0].score - 1) < 1e-6 &&
		   strstr(r.hits[1].record, "\"c\"") && fabs(r.hits[1].score - 0.8) < 1e-6 && r.used_index == idx,
		   "%s: b (1) then c (0.8)", idx ? "int8 codes" : "exact");
		if (!rc)
			bf_search_results_free(&r);
	}
	/* bf-load replaces 2024-01-02: the kept vectors follow */
	bf_buf_reset(&m);
	bf_buf_adds(&m, schema);
	bf_buf_adds(&m, "{\"type\":\"RECORD\",\"stream\":\"w\",\"record\":{\"id\":\"d\",\"v\":[0,-1,0],\"_bf_date\":\"2024-01-02\",\"_bf_location\":\"1\"}}\n"
		    "{\"type\":\"STATE\",\"value\":{\"bf\":{\"location\":\"1\",\"date\":\"2024-01-02\"}}}\n");
	ok(load(wh.p, st.p, m.p) == 0, "2024-01-02 replaced");
	for (int idx = 0; idx < 2 && s; idx++) {
		qq.index = idx;
		qq.k = 3;
		int rc = bf_search_query(s, &qq, &r, &err);
		ok(rc == 0 && r.n == 3 && strstr(r.hits[0].record, "\"b\"") && strstr(r.hits[1].record, "\"a\"") &&
		   strstr(r.hits[2].record, "\"d\"") && fabs(r.hits[2].score + 1) < 1e-6,
		   "%s after the replacement: b, a, d (c is gone)", idx ? "int8 codes" : "exact");
		if (!rc)
			bf_search_results_free(&r);
	}
	qq.filter.start_date = "2024-01-02";
	if (s && bf_search_query(s, &qq, &r, &err) == 0) {
		ok(r.n == 1 && strstr(r.hits[0].record, "\"d\""), "a date filter on the kept vectors");
		bf_search_results_free(&r);
	}
	bf_search_close(s);
	struct bf_buf rm = BF_BUF_INIT;
	const char *files[] = { "w.db", "w.db-wal", "w.db-shm", "s.db", "s.db-wal", "s.db-shm" };
	for (size_t i = 0; i < sizeof files / sizeof *files; i++) {
		bf_buf_reset(&rm);
		bf_buf_addf(&rm, "%s/%s", dir, files[i]);
		unlink(rm.p);
	}
	rmdir(dir);
	bf_buf_free(&rm);
	bf_buf_free(&wh);
	bf_buf_free(&st);
	bf_buf_free(&m);
}

int main(void)
{
	kernels();
	topk();
	quantize();
	words_rrf();
	in_process();
	return done_testing();
}
