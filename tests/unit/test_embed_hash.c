/* Unit tests for bf_embed_hash (the offline text embedding), printed as TAP. */
#include "model/bf_embed_hash.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "tap.h"

static double dot(const float *a, const float *b, int dim)
{
	double s = 0;
	for (int i = 0; i < dim; i++)
		s += (double)a[i] * b[i];
	return s;
}

int main(void)
{
	float a[64], b[64], c[64];
	int fa = bf_embed_hash("Leaking faucet in the kitchen", 29, 64, a);
	bf_embed_hash("leaking FAUCET in the kitchen!", 30, 64, b);
	bf_embed_hash("Replace light bulbs in dining room", 34, 64, c);
	ok(fa == 9, "hash embedding counts 5 words and 4 pairs");
	ok(fabs(dot(a, a, 64) - 1.0) < 1e-5, "hash embedding is L2-normalised");
	ok(fabs(dot(a, b, 64) - 1.0) < 1e-5, "case and punctuation do not change the embedding");
	ok(dot(a, c, 64) < 0.6, "different text is further away");
	ok(bf_embed_hash(" ,. ", 4, 64, c) == 0 && c[0] == 0.0f, "no words: no features");

	/* a query embedded on its own equals the column's value: same text, same vector */
	float q[BF_EMBED_HASH_DIM], r[BF_EMBED_HASH_DIM];
	bf_embed_hash("Leaking faucet", 14, BF_EMBED_HASH_DIM, q);
	bf_embed_hash("leaking\nfaucet", 14, BF_EMBED_HASH_DIM, r);
	ok(!memcmp(q, r, sizeof q), "columns joined by a newline embed as the words with a space");

	struct bf_buf j = BF_BUF_INIT;
	float v[4] = { 0.0f, 0.5f, -0.25f, 1.0f / 3.0f };
	bf_embed_json(v, 4, &j);
	is_str(j.p, "[0,0.5,-0.25,0.333333]", "the vector as a JSON array: 0 as 0, 6 digits");
	bf_buf_reset(&j);
	bf_embed_json(v, 0, &j);
	is_str(j.p, "[]", "an empty vector");
	bf_buf_free(&j);
	return done_testing();
}
