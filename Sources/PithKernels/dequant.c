// Weight rows to f32: for prefill (dequantize a tile of rows, then SGEMM) and for reference checks.
#include "pith_kernels.h"
#include "internal.h"

static void dequant_q8_0(const pith_block_q8_0 *w, int64_t nb, float *dst) {
#if defined(__AVX512F__)
    for (int64_t b = 0; b < nb; b++) {
        const __m512 d = _mm512_set1_ps(pith_h2f(w[b].d));
        for (int h = 0; h < 2; h++) {
            const __m512i q = _mm512_cvtepi8_epi32(_mm_loadu_si128((const __m128i *)(w[b].qs + 16 * h)));
            _mm512_storeu_ps(dst + b * PITH_QK + 16 * h, _mm512_mul_ps(_mm512_cvtepi32_ps(q), d));
        }
    }
    return;
#endif
    for (int64_t b = 0; b < nb; b++) {
        const float d = pith_h2f(w[b].d);
        for (int j = 0; j < PITH_QK; j++) dst[b * PITH_QK + j] = d * (float)w[b].qs[j];
    }
}

#if defined(__AVX512F__)
// 16 nibble bytes → 32 floats q·d + m (low nibbles are elements 0..15, high nibbles 16..31).
static inline void nibbles_to_f32(const uint8_t *qs, float d, float m, float *out) {
    const __m128i q = _mm_loadu_si128((const __m128i *)qs), m4 = _mm_set1_epi8(0x0F);
    const __m512 vd = _mm512_set1_ps(d), vm = _mm512_set1_ps(m);
    const __m512i lo = _mm512_cvtepu8_epi32(_mm_and_si128(q, m4));
    const __m512i hi = _mm512_cvtepu8_epi32(_mm_and_si128(_mm_srli_epi16(q, 4), m4));
    _mm512_storeu_ps(out, _mm512_fmadd_ps(_mm512_cvtepi32_ps(lo), vd, vm));
    _mm512_storeu_ps(out + 16, _mm512_fmadd_ps(_mm512_cvtepi32_ps(hi), vd, vm));
}
#endif

// Vectorized, dequantizing is ~10× faster than the scalar loops below (which stay as the portable path),
// and it decides where prefill's dequantize-then-SGEMM path overtakes the quantized multi-token kernel.
static void dequant_q4_0(const pith_block_q4_0 *w, int64_t nb, float *dst) {
#if defined(__AVX512F__)
    for (int64_t b = 0; b < nb; b++) {
        const float d = pith_h2f(w[b].d);
        nibbles_to_f32(w[b].qs, d, -8.0f * d, dst + b * PITH_QK);
    }
    return;
#endif
    for (int64_t b = 0; b < nb; b++) {
        const float d = pith_h2f(w[b].d);
        for (int j = 0; j < 16; j++) {
            dst[b * PITH_QK + j] = d * (float)((w[b].qs[j] & 0x0F) - 8);
            dst[b * PITH_QK + j + 16] = d * (float)((w[b].qs[j] >> 4) - 8);
        }
    }
}

static void dequant_q4_1(const pith_block_q4_1 *w, int64_t nb, float *dst) {
#if defined(__AVX512F__)
    for (int64_t b = 0; b < nb; b++) nibbles_to_f32(w[b].qs, pith_h2f(w[b].d), pith_h2f(w[b].m), dst + b * PITH_QK);
    return;
#endif
    for (int64_t b = 0; b < nb; b++) {
        const float d = pith_h2f(w[b].d), m = pith_h2f(w[b].m);
        for (int j = 0; j < 16; j++) {
            dst[b * PITH_QK + j] = d * (float)(w[b].qs[j] & 0x0F) + m;
            dst[b * PITH_QK + j + 16] = d * (float)(w[b].qs[j] >> 4) + m;
        }
    }
}

static void dequant_f16(const uint16_t *w, int64_t n, float *dst) {
    int64_t i = 0;
#if defined(__AVX512F__)
    for (; i + 16 <= n; i += 16)
        _mm512_storeu_ps(dst + i, _mm512_cvtph_ps(_mm256_loadu_si256((const __m256i *)(w + i))));
#endif
    for (; i < n; i++) dst[i] = pith_h2f(w[i]);
}

static void dequant_bf16(const uint16_t *w, int64_t n, float *dst) {
    for (int64_t i = 0; i < n; i++) dst[i] = pith_bf2f(w[i]);
}

void pith_dequantize_rows(const void *w, int type, int64_t cols, int64_t r0, int64_t r1, float *dst) {
    const int64_t nb = cols / PITH_QK;
    for (int64_t r = r0; r < r1; r++) {
        float *out = dst + (r - r0) * cols;
        switch (type) {
        case PITH_F32: memcpy(out, (const float *)w + r * cols, (size_t)cols * sizeof(float)); break;
        case PITH_F16: dequant_f16((const uint16_t *)w + r * cols, cols, out); break;
        case PITH_BF16: dequant_bf16((const uint16_t *)w + r * cols, cols, out); break;
        case PITH_Q8_0: dequant_q8_0((const pith_block_q8_0 *)w + r * nb, nb, out); break;
        case PITH_Q4_0: dequant_q4_0((const pith_block_q4_0 *)w + r * nb, nb, out); break;
        case PITH_Q4_1: dequant_q4_1((const pith_block_q4_1 *)w + r * nb, nb, out); break;
        default: memset(out, 0, (size_t)cols * sizeof(float)); break;
        }
    }
}

int pith_linear_supports(int type) {
    switch (type) {
    case PITH_F32: case PITH_F16: case PITH_BF16: case PITH_Q8_0: case PITH_Q4_0: case PITH_Q4_1: return 1;
    default: return 0;
    }
}

float pith_f16_to_f32(uint16_t h) { return pith_h2f(h); }

uint16_t pith_f32_to_f16(float f) {
#if defined(__F16C__)
    return _cvtss_sh(f, _MM_FROUND_TO_NEAREST_INT);
#else
    // round-to-nearest-even through the f32 bit pattern; overflow → inf, tiny → subnormal or zero
    uint32_t x; memcpy(&x, &f, 4);
    const uint32_t sign = (x >> 16) & 0x8000;
    x &= 0x7fffffff;
    if (x >= 0x7f800000) return (uint16_t)(sign | 0x7c00 | (x > 0x7f800000 ? 0x200 : 0));
    if (x >= 0x477ff000) return (uint16_t)(sign | 0x7c00);
    if (x < 0x38800000) {  // subnormal half
        float a; memcpy(&a, &x, 4);
        return (uint16_t)(sign | (uint32_t)lrintf(a * 16777216.0f));
    }
    const uint32_t rounded = x + 0xfff + ((x >> 13) & 1);
    return (uint16_t)(sign | ((rounded - 0x38000000) >> 13));
#endif
}
