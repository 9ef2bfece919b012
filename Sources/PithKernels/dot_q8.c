// Dot products of Q8_0 weight rows (w = q·dw) with 8-bit activations (natural order).
//
// AVX-512BW: 2 blocks (64 bytes) per step. Without VNNI, maddubs needs an unsigned operand, so the
// sign of w moves onto x (|w|·(±x)); with VNNI, w + 128 is unsigned and the extra 128·Σxq per block
// is taken back through the block sums (-128·dw·sx), one FMA per block.
#include "pith_kernels.h"
#include "internal.h"
#include "quant.h"

#if defined(__AVX512BW__)

static inline __m512i q8_pair_dot(__m512i w, __m512i xv) {
#if defined(__AVX512VNNI__) && !defined(PITH_NO_VNNI)
    return _mm512_dpbusd_epi32(_mm512_setzero_si512(), _mm512_xor_si512(w, _mm512_set1_epi8((char)0x80)), xv);
#else
    const __m512i aw = _mm512_abs_epi8(w);
    const __m512i sx = _mm512_mask_sub_epi8(xv, _mm512_movepi8_mask(w), _mm512_setzero_si512(), xv);
    // |each int16| ≤ 2·128·127 = 32512: no saturation.
    return _mm512_madd_epi16(_mm512_maddubs_epi16(aw, sx), _mm512_set1_epi16(1));
#endif
}

float pith_dot_q8_0(const void *rowp, const pith_act *x) {
    const uint8_t *row = (const uint8_t *)rowp;
    const int stride = 34;
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
#if defined(__AVX512VNNI__) && !defined(PITH_NO_VNNI)
        macc = _mm512_fmadd_ps(_mm512_mul_ps(dw, _mm512_set1_ps(-128.0f)), _mm512_maskz_loadu_ps(km, x->s + b), macc);
#endif
        for (int g = 0; g < cnt; g += 2) {
            const uint8_t *p = base + g * stride + 2;
            __m512i w = _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)p));
            if (cnt - g >= 2) w = _mm512_inserti64x4(w, _mm256_loadu_si256((const __m256i *)(p + stride)), 1);
            const __m512i xv = _mm512_load_si512((const void *)(x->qs + (b + g) * PITH_QK));
            const __m512i isum = q8_pair_dot(w, xv);
            const __m512i sidx = _mm512_add_epi32(_mm512_set1_epi32(g),
                _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1));
            acc = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_permutexvar_ps(sidx, sc), acc);
        }
    }
    return _mm512_reduce_add_ps(_mm512_add_ps(acc, macc));
}

#else

float pith_dot_q8_0(const void *row, const pith_act *x) {
    const pith_block_q8_0 *w = (const pith_block_q8_0 *)row;
    float sum = 0;
    for (int64_t b = 0; b < x->nb; b++) {
        int isum = 0;
        for (int j = 0; j < PITH_QK; j++) isum += w[b].qs[j] * x->qs[b * PITH_QK + j];
        sum += pith_h2f(w[b].d) * x->d[b] * (float)isum;
    }
    return sum;
}

#endif
