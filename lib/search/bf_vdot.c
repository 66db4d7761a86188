#include "search/bf_vdot.h"

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define BF_X86 1
#include <immintrin.h>
#endif

/* ---- portable ---- */

#if defined(__GNUC__)
typedef float v4f __attribute__((vector_size(16)));

static float dot_f32_portable(const float *a, const float *b, size_t n)
{
	v4f s0 = { 0, 0, 0, 0 }, s1 = s0, s2 = s0, s3 = s0;
	size_t i = 0;
	for (; i + 16 <= n; i += 16) {
		v4f a0, a1, a2, a3, b0, b1, b2, b3;
		__builtin_memcpy(&a0, a + i, 16);
		__builtin_memcpy(&a1, a + i + 4, 16);
		__builtin_memcpy(&a2, a + i + 8, 16);
		__builtin_memcpy(&a3, a + i + 12, 16);
		__builtin_memcpy(&b0, b + i, 16);
		__builtin_memcpy(&b1, b + i + 4, 16);
		__builtin_memcpy(&b2, b + i + 8, 16);
		__builtin_memcpy(&b3, b + i + 12, 16);
		s0 += a0 * b0;
		s1 += a1 * b1;
		s2 += a2 * b2;
		s3 += a3 * b3;
	}
	v4f s = (s0 + s1) + (s2 + s3);
	float r = (s[0] + s[1]) + (s[2] + s[3]);
	for (; i < n; i++)
		r += a[i] * b[i];
	return r;
}
#else
static float dot_f32_portable(const float *a, const float *b, size_t n)
{
	float s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		s0 += a[i] * b[i];
		s1 += a[i + 1] * b[i + 1];
		s2 += a[i + 2] * b[i + 2];
		s3 += a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}
#endif

static int32_t dot_i8_portable(const int8_t *a, const int8_t *b, size_t n)
{
	int32_t s0 = 0, s1 = 0, s2 = 0, s3 = 0;
	size_t i = 0;
	for (; i + 4 <= n; i += 4) {
		s0 += (int32_t)a[i] * b[i];
		s1 += (int32_t)a[i + 1] * b[i + 1];
		s2 += (int32_t)a[i + 2] * b[i + 2];
		s3 += (int32_t)a[i + 3] * b[i + 3];
	}
	for (; i < n; i++)
		s0 += (int32_t)a[i] * b[i];
	return (s0 + s1) + (s2 + s3);
}

/* ---- x86-64: AVX2 + FMA ---- */

#ifdef BF_X86
__attribute__((target("avx2,fma")))
static float hsum256(__m256 s)
{
	__m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
	h = _mm_add_ps(h, _mm_movehl_ps(h, h));
	h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
	return _mm_cvtss_f32(h);
}

/* Four rows at a time: each 8 floats of q loaded once for four FMAs, two accumulators a
 * row (eight chains in flight). */
__attribute__((target("avx2,fma")))
static void rows4_f32_avx2(const float *m, size_t dim, const float *q, float *out)
{
	const float *r0 = m, *r1 = m + dim, *r2 = m + 2 * dim, *r3 = m + 3 * dim;
	__m256 a0 = _mm256_setzero_ps(), a1 = a0, a2 = a0, a3 = a0, b0 = a0, b1 = a0, b2 = a0, b3 = a0;
	size_t i = 0;
	for (; i + 16 <= dim; i += 16) {
		__m256 x = _mm256_loadu_ps(q + i), y = _mm256_loadu_ps(q + i + 8);
		a0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + i), x, a0);
		a1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + i), x, a1);
		a2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + i), x, a2);
		a3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + i), x, a3);
		b0 = _mm256_fmadd_ps(_mm256_loadu_ps(r0 + i + 8), y, b0);
		b1 = _mm256_fmadd_ps(_mm256_loadu_ps(r1 + i + 8), y, b1);
		b2 = _mm256_fmadd_ps(_mm256_loadu_ps(r2 + i + 8), y, b2);
		b3 = _mm256_fmadd_ps(_mm256_loadu_ps(r3 + i + 8), y, b3);
	}
	float s0 = hsum256(_mm256_add_ps(a0, b0)), s1 = hsum256(_mm256_add_ps(a1, b1));
	float s2 = hsum256(_mm256_add_ps(a2, b2)), s3 = hsum256(_mm256_add_ps(a3, b3));
	for (; i < dim; i++) {
		s0 += r0[i] * q[i];
		s1 += r1[i] * q[i];
		s2 += r2[i] * q[i];
		s3 += r3[i] * q[i];
	}
	out[0] = s0;
	out[1] = s1;
	out[2] = s2;
	out[3] = s3;
}

__attribute__((target("avx2,fma")))
static float dot_f32_avx2(const float *a, const float *b, size_t n)
{
	__m256 s0 = _mm256_setzero_ps(), s1 = s0, s2 = s0, s3 = s0;
	size_t i = 0;
	for (; i + 32 <= n; i += 32) {
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
		s1 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 8), _mm256_loadu_ps(b + i + 8), s1);
		s2 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 16), _mm256_loadu_ps(b + i + 16), s2);
		s3 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i + 24), _mm256_loadu_ps(b + i + 24), s3);
	}
	for (; i + 8 <= n; i += 8)
		s0 = _mm256_fmadd_ps(_mm256_loadu_ps(a + i), _mm256_loadu_ps(b + i), s0);
	__m256 s = _mm256_add_ps(_mm256_add_ps(s0, s1), _mm256_add_ps(s2, s3));
	__m128 h = _mm_add_ps(_mm256_castps256_ps128(s), _mm256_extractf128_ps(s, 1));
	h = _mm_add_ps(h, _mm_movehl_ps(h, h));
	h = _mm_add_ss(h, _mm_shuffle_ps(h, h, 1));
	float r = _mm_cvtss_f32(h);
	for (; i < n; i++)
		r += a[i] * b[i];
	return r;
}

/* |a| as unsigned times b with a's sign (vpsignb): products of values within +-127, so
 * the pairwise int16 sums of vpmaddubsw never saturate (2 x 127 x 127 < 32767); vpmaddwd
 * by ones widens them to int32. */
__attribute__((target("avx2")))
static int32_t dot_i8_avx2(const int8_t *a, const int8_t *b, size_t n)
{
	const __m256i ones = _mm256_set1_epi16(1);
	__m256i s0 = _mm256_setzero_si256(), s1 = s0;
	size_t i = 0;
	for (; i + 64 <= n; i += 64) {
		__m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)(a + i));
		__m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(b + i));
		__m256i a1 = _mm256_loadu_si256((const __m256i *)(const void *)(a + i + 32));
		__m256i b1 = _mm256_loadu_si256((const __m256i *)(const void *)(b + i + 32));
		__m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(a0), _mm256_sign_epi8(b0, a0));
		__m256i p1 = _mm256_maddubs_epi16(_mm256_abs_epi8(a1), _mm256_sign_epi8(b1, a1));
		s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(p0, ones));
		s1 = _mm256_add_epi32(s1, _mm256_madd_epi16(p1, ones));
	}
	for (; i + 32 <= n; i += 32) {
		__m256i a0 = _mm256_loadu_si256((const __m256i *)(const void *)(a + i));
		__m256i b0 = _mm256_loadu_si256((const __m256i *)(const void *)(b + i));
		__m256i p0 = _mm256_maddubs_epi16(_mm256_abs_epi8(a0), _mm256_sign_epi8(b0, a0));
		s0 = _mm256_add_epi32(s0, _mm256_madd_epi16(p0, ones));
	}
	__m256i s = _mm256_add_epi32(s0, s1);
	__m128i h = _mm_add_epi32(_mm256_castsi256_si128(s), _mm256_extracti128_si256(s, 1));
	h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0x4e));
	h = _mm_add_epi32(h, _mm_shuffle_epi32(h, 0xb1));
	int32_t r = _mm_cvtsi128_si32(h);
	for (; i < n; i++)
		r += (int32_t)a[i] * b[i];
	return r;
}
#endif

/* ---- dispatch ---- */

static int forced_portable;

static int have_avx2(void)
{
#ifdef BF_X86
	static int known = -1;
	if (known < 0) {
		__builtin_cpu_init();
		known = __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma");
	}
	return known && !forced_portable;
#else
	return 0;
#endif
}

float bf_vdot_f32(const float *a, const float *b, size_t n)
{
#ifdef BF_X86
	if (have_avx2())
		return dot_f32_avx2(a, b, n);
#endif
	return dot_f32_portable(a, b, n);
}

int32_t bf_vdot_i8(const int8_t *a, const int8_t *b, size_t n)
{
#ifdef BF_X86
	if (have_avx2())
		return dot_i8_avx2(a, b, n);
#endif
	return dot_i8_portable(a, b, n);
}

void bf_vdot_f32_rows(const float *m, size_t nvec, size_t dim, const float *q, float *out)
{
#ifdef BF_X86
	if (have_avx2()) {
		size_t i = 0;
		for (; i + 4 <= nvec; i += 4)
			rows4_f32_avx2(m + i * dim, dim, q, out + i);
		for (; i < nvec; i++)
			out[i] = dot_f32_avx2(m + i * dim, q, dim);
		return;
	}
#endif
	for (size_t i = 0; i < nvec; i++)
		out[i] = dot_f32_portable(m + i * dim, q, dim);
}

void bf_vdot_i8_rows(const int8_t *m, size_t nvec, size_t dim, const int8_t *q, int32_t *out)
{
#ifdef BF_X86
	if (have_avx2()) {
		for (size_t i = 0; i < nvec; i++)
			out[i] = dot_i8_avx2(m + i * dim, q, dim);
		return;
	}
#endif
	for (size_t i = 0; i < nvec; i++)
		out[i] = dot_i8_portable(m + i * dim, q, dim);
}

const char *bf_vdot_impl(void)
{
	return have_avx2() ? "avx2" : "portable";
}

void bf_vdot_force_portable(int on)
{
	forced_portable = on;
}
