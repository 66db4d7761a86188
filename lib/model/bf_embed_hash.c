#include "model/bf_embed_hash.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static uint64_t fnv1a(uint64_t h, const unsigned char *s, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		h ^= s[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

static void add_feature(float *out, int dim, uint64_t h, float w)
{
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdull;
	h ^= h >> 33;
	out[h % (uint64_t)dim] += (h >> 63) ? -w : w;
}

int bf_embed_hash(const char *s, size_t n, int dim, float *out)
{
	unsigned char tok[64], prev[64];
	size_t tl = 0, pl = 0;
	int nf = 0;
	memset(out, 0, (size_t)dim * sizeof *out);
	for (size_t i = 0; i <= n; i++) {
		unsigned char c = i < n ? (unsigned char)s[i] : ' ';
		if (isalnum(c) || c >= 0x80) {
			if (tl < sizeof tok)
				tok[tl++] = (unsigned char)tolower(c);
			continue;
		}
		if (!tl)
			continue;
		const uint64_t basis = 0xcbf29ce484222325ull;
		add_feature(out, dim, fnv1a(basis, tok, tl), 1.0f);
		nf++;
		if (pl) {
			uint64_t h = fnv1a(basis, prev, pl);
			h = fnv1a(h, (const unsigned char *)" ", 1);
			add_feature(out, dim, fnv1a(h, tok, tl), 0.5f);
			nf++;
		}
		memcpy(prev, tok, tl);
		pl = tl;
		tl = 0;
	}
	double sum = 0;
	for (int i = 0; i < dim; i++)
		sum += (double)out[i] * out[i];
	if (sum > 0) {
		float inv = (float)(1.0 / sqrt(sum));
		for (int i = 0; i < dim; i++)
			out[i] *= inv;
	}
	return sum > 0 ? nf : 0;
}

void bf_embed_json(const float *v, int dim, struct bf_buf *out)
{
	bf_buf_grow(out, (size_t)dim * 11 + 2);
	bf_buf_addc(out, '[');
	for (int d = 0; d < dim; d++) {
		if (d)
			bf_buf_addc(out, ',');
		if (v[d] == 0.0f)
			bf_buf_addc(out, '0');
		else
			bf_buf_addf(out, "%.6g", (double)v[d]);
	}
	bf_buf_addc(out, ']');
}
