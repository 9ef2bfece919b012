// Dot products of dense (f32, f16, bf16) weight rows with f32 activations. Sixteen independent
// partial sums per loop let the compiler keep the loop in vector registers without reassociating.
#include "pith_kernels.h"
#include "internal.h"
#include "dense.h"

float pith_dot_f32(const float *w, const float *x, int64_t n) {
    int64_t i = 0;
    float sum = 0;
#if defined(__AVX512F__)
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (; i + 32 <= n; i += 32) {
        a0 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_loadu_ps(w + i + 16), _mm512_loadu_ps(x + i + 16), a1);
    }
    sum = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
#else
    float lanes[16] = {0};
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) lanes[j] += w[i + j] * x[i + j];
    for (int j = 0; j < 16; j++) sum += lanes[j];
#endif
    for (; i < n; i++) sum += w[i] * x[i];
    return sum;
}

float pith_dot_f16(const uint16_t *w, const float *x, int64_t n) {
    int64_t i = 0;
    float sum = 0;
#if defined(__AVX512F__)
    __m512 a0 = _mm512_setzero_ps(), a1 = _mm512_setzero_ps();
    for (; i + 32 <= n; i += 32) {
        a0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + i))), _mm512_loadu_ps(x + i), a0);
        a1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + i + 16))), _mm512_loadu_ps(x + i + 16), a1);
    }
    sum = _mm512_reduce_add_ps(_mm512_add_ps(a0, a1));
#endif
    for (; i < n; i++) sum += pith_h2f(w[i]) * x[i];
    return sum;
}

float pith_dot_bf16(const uint16_t *w, const float *x, int64_t n) {
    int64_t i = 0;
    float sum = 0;
#if defined(__AVX512F__)
    __m512 a0 = _mm512_setzero_ps();
    for (; i + 16 <= n; i += 16) {
        const __m512i wi = _mm512_slli_epi32(_mm512_cvtepu16_epi32(_mm256_loadu_si256((const __m256i *)(w + i))), 16);
        a0 = _mm512_fmadd_ps(_mm512_castsi512_ps(wi), _mm512_loadu_ps(x + i), a0);
    }
    sum = _mm512_reduce_add_ps(a0);
#endif
    for (; i < n; i++) sum += pith_bf2f(w[i]) * x[i];
    return sum;
}
