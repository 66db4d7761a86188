/* The inner loops of vector search: a float32 dot product and an int8 one. On x86-64 the
 * AVX2+FMA versions are chosen at run time when the CPU has them (any x86-64 runs the
 * rest); elsewhere, and without them, portable versions (GCC/Clang vector extensions,
 * else plain C). Pure functions; n is any length. */
#ifndef BF_VDOT_H
#define BF_VDOT_H

#include <stddef.h>
#include <stdint.h>

float bf_vdot_f32(const float *a, const float *b, size_t n);
/* out[i] = the dot product of row i of m (nvec rows of dim floats) with q. */
void bf_vdot_f32_rows(const float *m, size_t nvec, size_t dim, const float *q, float *out);
/* out[i] = the int8 dot product of row i of m (nvec rows of dim codes) with q. */
void bf_vdot_i8_rows(const int8_t *m, size_t nvec, size_t dim, const int8_t *q, int32_t *out);
/* sum of a[i]*b[i] over int8 values (|value| <= 127), exact in 32 bits for n < 133,000 */
int32_t bf_vdot_i8(const int8_t *a, const int8_t *b, size_t n);
/* The implementation in use: "avx2" or "portable" (for notes and benchmarks). */
const char *bf_vdot_impl(void);
/* Forces the portable versions (tests compare both). */
void bf_vdot_force_portable(int on);

#endif
