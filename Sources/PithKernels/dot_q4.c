// Dot products of Q4_0 / Q4_1 weight rows with 8-bit activations.
//
// Q4_0: w = (q - 8)·dw, Q4_1: w = q·dw + mw. With x ≈ dx·xq per block, a block contributes
//   dw·dx·Σ q·xq + m·sx,   sx = dx·Σ xq,   m = mw (Q4_1) or -8·dw (Q4_0),
// so the inner loop is an unsigned×signed byte dot product and the offset term is one FMA per block.
//
// AVX-512BW: 4 blocks per step. Their 4×16 nibble bytes fill one 512-bit register; the low nibbles
// (elements 0..15 of each block) and high nibbles (16..31) meet activations stored in that same order
// (pith_act grouped layout), so no shuffles are needed. The 16 int32 lanes of the result hold 4
// partial sums per block; they are scaled by dw·dx in float and summed once per row. Block scales for
// 16 blocks come from one gather (d and m are adjacent in Q4_1: one 32-bit gather fetches both).
#include "pith_kernels.h"
#include "internal.h"
#include "quant.h"

#if defined(__AVX512BW__)

int pith_q4_grouped(void) { return 1; }

// (16) int32 lanes: byte dot of 4 blocks' low/high nibbles with grouped activations.
static inline __m512i q4_group_dot(__m512i v, const int8_t *xq) {
    const __m512i m4 = _mm512_set1_epi8(0x0F);
    const __m512i lo = _mm512_and_si512(v, m4);
    const __m512i hi = _mm512_and_si512(_mm512_srli_epi16(v, 4), m4);
    const __m512i xlo = _mm512_load_si512((const void *)xq);
    const __m512i xhi = _mm512_load_si512((const void *)(xq + 64));
#if defined(__AVX512VNNI__) && !defined(PITH_NO_VNNI)
    return _mm512_dpbusd_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), lo, xlo), hi, xhi);
#else
    // |each int16| ≤ 2·15·127 = 3810, so adding the low and high halves cannot saturate.
    const __m512i s = _mm512_add_epi16(_mm512_maddubs_epi16(lo, xlo), _mm512_maddubs_epi16(hi, xhi));
    return _mm512_madd_epi16(s, _mm512_set1_epi16(1));
#endif
}

static inline float dot_q4(const uint8_t *row, const pith_act *x, const int stride, const int has_min) {
    const int qoff = has_min ? 4 : 2;
    const __m512i gidx = _mm512_mullo_epi32(_mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15),
                                            _mm512_set1_epi32(stride));
    __m512 acc = _mm512_setzero_ps(), macc = _mm512_setzero_ps();
    const int64_t nb = x->nb;
    for (int64_t b = 0; b < nb; b += 16) {
        const int cnt = nb - b < 16 ? (int)(nb - b) : 16;
        const __mmask16 km = (__mmask16)(cnt == 16 ? 0xFFFF : (1u << cnt) - 1);
        const uint8_t *base = row + b * stride;
        const __m512i dm = _mm512_mask_i32gather_epi32(_mm512_setzero_si512(), km, gidx, base, 1);
        const __m512 dw = _mm512_cvtph_ps(_mm512_cvtepi32_epi16(dm));
        const __m512 sc = _mm512_mul_ps(dw, _mm512_maskz_loadu_ps(km, x->d + b));
        const __m512 mw = has_min ? _mm512_cvtph_ps(_mm512_cvtepi32_epi16(_mm512_srli_epi32(dm, 16)))
                                  : _mm512_mul_ps(dw, _mm512_set1_ps(-8.0f));
        macc = _mm512_fmadd_ps(mw, _mm512_maskz_loadu_ps(km, x->s + b), macc);
        for (int g = 0; g < cnt; g += 4) {
            const uint8_t *p = base + g * stride + qoff;
            __m512i v;
            if (cnt - g >= 4) {
                v = _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)p));
                v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + stride)), 1);
                v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 2 * stride)), 2);
                v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 3 * stride)), 3);
            } else {  // last 1..3 blocks of the row: never read past it
                v = _mm512_zextsi128_si512(_mm_loadu_si128((const __m128i *)p));
                if (cnt - g > 1) v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + stride)), 1);
                if (cnt - g > 2) v = _mm512_inserti32x4(v, _mm_loadu_si128((const __m128i *)(p + 2 * stride)), 2);
            }
            const __m512i isum = q4_group_dot(v, x->qs + (b + g) * PITH_QK);
            // lanes 4j..4j+3 belong to block g+j: spread its scale over them
            const __m512i sidx = _mm512_add_epi32(_mm512_set1_epi32(g),
                _mm512_setr_epi32(0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3));
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_permutexvar_ps(sidx, sc), acc);
        }
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc, macc));
}

float pith_dot_q4_0(const void *row, const pith_act *x) { return dot_q4((const uint8_t *)row, x, 18, 0); }
float pith_dot_q4_1(const void *row, const pith_act *x) { return dot_q4((const uint8_t *)row, x, 20, 1); }

#else  // portable scalar path, natural activation order

int pith_q4_grouped(void) { return 0; }

static inline int q4_block_isum(const uint8_t *qs, const int8_t *xq) {
    int sum = 0;
    for (int j = 0; j < 16; j++) sum += (qs[j] & 0x0F) * xq[j] + (qs[j] >> 4) * xq[j + 16];
    return sum;
}

float pith_dot_q4_0(const void *row, const pith_act *x) {
    const pith_block_q4_0 *w = (const pith_block_q4_0 *)row;
    float sum = 0;
    for (int64_t b = 0; b < x->nb; b++) {
        const float d = pith_h2f(w[b].d);
        sum += d * x->d[b] * (float)q4_block_isum(w[b].qs, x->qs + b * PITH_QK) - 8.0f * d * x->s[b];
    }
    return sum;
}

float pith_dot_q4_1(const void *row, const pith_act *x) {
    const pith_block_q4_1 *w = (const pith_block_q4_1 *)row;
    float sum = 0;
    for (int64_t b = 0; b < x->nb; b++)
        sum += pith_h2f(w[b].d) * x->d[b] * (float)q4_block_isum(w[b].qs, x->qs + b * PITH_QK)
             + pith_h2f(w[b].m) * x->s[b];
    return sum;
}

#endif
