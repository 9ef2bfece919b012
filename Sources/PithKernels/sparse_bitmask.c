// Bitmask rows with int8 values and one f16 scale per row, dotted with 8-bit activations.
//
// Row r: ⌈cols/64⌉ u64 mask words, and its kept values (int8 codes) from stream index rowptr[r] on.
// y = s_r · Σ_b d_b · Σ_{c in block b, kept} q_c·xq_c.
//
// AVX-512 (VNNI, VBMI2): per 64 columns, vpexpandb puts the word's packed codes back at their columns (zeros
// elsewhere); taken as q + 128 so they are unsigned, they meet the activations in one vpdpbusd, as the dense Q8_0
// kernel does. The extra 128·Σxq of the word is the activation's own block sums (spair), one scalar add per word, so
// a 64-column step costs one dot at any density, words without a kept value cost nothing (an all-zero row gives
// exactly 0), and the row's bytes shrink with the density.
// Portable: value by value over the set bits.
#include "sparse.h"

static inline const uint8_t *row_mask(const pith_sparse *d, const uint8_t *w, int64_t r) {
    return w + d->positions + r * d->position_row_bytes;
}

// MARK: - Portable

static void bitmask_rows_scalar(const pith_sparse *d, const uint8_t *w, int64_t r0, int64_t r1, const pith_sact *acts,
                                int64_t tokens, float *y, int64_t ystride) {
    const int64_t words = d->position_row_bytes / 8;
    const int8_t *vals = (const int8_t *)(w + d->value_offset);
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *mask = row_mask(d, w, r);
        const float s = pith_sp_f16(w + d->scales + 2 * r);
        const int64_t start = pith_sp_u32(w + d->row_pointers + 4 * r);
        for (int64_t t = 0; t < tokens; t++) {
            const pith_sact *a = acts + t;
            int64_t i = start;
            float sum = 0;
            for (int64_t k = 0; k < words; k++) {
                int isum[2] = { 0, 0 };  // the two activation blocks of this word
                for (uint64_t bits = pith_sp_u64(mask + 8 * k); bits; bits &= bits - 1) {
                    const int j = __builtin_ctzll(bits);
                    isum[j / 32] += vals[i++] * a->qs[64 * k + j];
                }
                // a row ending half-way through a word leaves isum[1] = 0; d[2k+1] exists (blocks are padded to 4)
                sum += (float)isum[0] * a->d[2 * k] + (float)isum[1] * a->d[2 * k + 1];
            }
            y[t * ystride + r] = s * sum;
        }
    }
}

// MARK: - AVX-512

#if defined(PITH_SP_AVX512)

static inline __attribute__((always_inline))
void bitmask512_row(const pith_sparse *d, const uint8_t *w, int64_t r, const pith_sact *a, float *out, const int nt) {
    const int64_t words = d->position_row_bytes / 8;
    const uint8_t *mask = row_mask(d, w, r);
    const int8_t *p = (const int8_t *)(w + d->value_offset) + pith_sp_u32(w + d->row_pointers + 4 * r);
    const __m512i offset = _mm512_set1_epi8((char)0x80);
    __m512 acc[4];
    float corr[4];
    for (int t = 0; t < nt; t++) { acc[t] = _mm512_setzero_ps(); corr[t] = 0; }
    for (int64_t k = 0; k < words; k++) {
        const uint64_t bits = pith_sp_u64(mask + 8 * k);
        if (!bits) continue;
        const int count = __builtin_popcountll(bits);
        // Only this word's values are loaded (masked: never past the stream's end).
        const __m512i packed = _mm512_maskz_loadu_epi8(count == 64 ? ~0ULL : (1ULL << count) - 1, p);
        p += count;
        const __m512i q = _mm512_xor_si512(_mm512_maskz_expand_epi8((__mmask64)bits, packed), offset);
        for (int t = 0; t < nt; t++) {
            const __m512i isum = _mm512_dpbusd_epi32(_mm512_setzero_si512(), q, _mm512_loadu_si512((const void *)(a[t].qs + 64 * k)));
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), _mm512_loadu_ps(a[t].dexp8 + 16 * k), acc[t]);
            corr[t] += a[t].spair[k];
        }
    }
    const float s = pith_sp_f16(w + d->scales + 2 * r);
    for (int t = 0; t < nt; t++) out[t] = s * (_mm512_reduce_add_ps(acc[t]) - 128.0f * corr[t]);
}

static void bitmask512_rows(const pith_sparse *d, const uint8_t *w, int64_t r0, int64_t r1, const pith_sact *acts,
                            int64_t tokens, float *y, int64_t ystride) {
    for (int64_t r = r0; r < r1; r++) {
        int64_t t = 0;
        float out[4];
        for (; t + 4 <= tokens; t += 4) {
            bitmask512_row(d, w, r, acts + t, out, 4);
            for (int k = 0; k < 4; k++) y[(t + k) * ystride + r] = out[k];
        }
        for (; t < tokens; t++) {
            bitmask512_row(d, w, r, acts + t, out, 1);
            y[t * ystride + r] = out[0];
        }
    }
}

#endif

// MARK: - Selection

pith_srows_fn pith_srows_bitmask(const pith_sparse *d, int level) {
    (void)d;
    switch (level) {
    case PITH_SPLEVEL_SCALAR: return bitmask_rows_scalar;
#if defined(PITH_SP_AVX512)
    case PITH_SPLEVEL_AVX512: return bitmask512_rows;
#endif
    default: return NULL;
    }
}
