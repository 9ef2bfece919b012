// CSR rows with int8 values and one f16 scale per row, dotted with f32 activations.
//
// Row r: values [rowptr[r], rowptr[r+1]) of the stream, with their columns (u16 or u32, increasing).
// y = s_r · Σ_i q_i · x[col_i]. Activations stay f32: the columns are arbitrary, so there is no block structure for
// 8-bit activations to follow, and CSR pays only at high sparsity, where the few gathers are cheap.
// AVX-512: 16 values per step, the columns widened to int32 for one vgatherdps per token.
#include "sparse.h"

static inline int64_t row_start(const pith_sparse *d, const uint8_t *w, int64_t r) {
    return pith_sp_u32(w + d->row_pointers + 4 * r);
}

// MARK: - Portable

static void csr_rows_scalar(const pith_sparse *d, const uint8_t *w, int64_t r0, int64_t r1, const pith_sact *acts,
                            int64_t tokens, float *y, int64_t ystride) {
    const int8_t *vals = (const int8_t *)(w + d->value_offset);
    const uint8_t *idx = w + d->positions;
    for (int64_t r = r0; r < r1; r++) {
        const int64_t i0 = row_start(d, w, r), i1 = row_start(d, w, r + 1);
        const float s = pith_sp_f16(w + d->scales + 2 * r);
        for (int64_t t = 0; t < tokens; t++) {
            const float *x = acts[t].x;
            float sum = 0;
            for (int64_t i = i0; i < i1; i++) {
                const int64_t c = d->index_bytes == 2 ? (int64_t)(idx[2 * i] | idx[2 * i + 1] << 8) : (int64_t)pith_sp_u32(idx + 4 * i);
                sum += (float)vals[i] * x[c];
            }
            y[t * ystride + r] = s * sum;
        }
    }
}

// MARK: - AVX-512

#if defined(PITH_SP_AVX512)

static inline __attribute__((always_inline))
void csr512_row(const pith_sparse *d, const uint8_t *w, int64_t r, const pith_sact *a, float *out, const int wide, const int nt) {
    const int8_t *vals = (const int8_t *)(w + d->value_offset);
    const uint8_t *idx = w + d->positions;
    const int64_t i0 = row_start(d, w, r), i1 = row_start(d, w, r + 1);
    __m512 acc[4];
    for (int t = 0; t < nt; t++) acc[t] = _mm512_setzero_ps();
    for (int64_t i = i0; i < i1; i += 16) {
        const int64_t left = i1 - i;
        const __mmask16 km = left >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << left) - 1);
        const __m512i c = wide ? _mm512_maskz_loadu_epi32(km, idx + 4 * i)
                               : _mm512_cvtepu16_epi32(_mm256_maskz_loadu_epi16(km, idx + 2 * i));
        const __m512 v = _mm512_cvtepi32_ps(_mm512_cvtepi8_epi32(_mm_maskz_loadu_epi8(km, vals + i)));
        for (int t = 0; t < nt; t++)
            acc[t] = _mm512_fmadd_ps(v, _mm512_mask_i32gather_ps(_mm512_setzero_ps(), km, c, a[t].x, 4), acc[t]);
    }
    const float s = pith_sp_f16(w + d->scales + 2 * r);
    for (int t = 0; t < nt; t++) out[t] = s * _mm512_reduce_add_ps(acc[t]);
}

static inline __attribute__((always_inline))
void csr512_rows(const pith_sparse *d, const uint8_t *w, int64_t r0, int64_t r1, const pith_sact *acts,
                 int64_t tokens, float *y, int64_t ystride, const int wide) {
    for (int64_t r = r0; r < r1; r++) {
        int64_t t = 0;
        float out[4];
        for (; t + 4 <= tokens; t += 4) {
            csr512_row(d, w, r, acts + t, out, wide, 4);
            for (int k = 0; k < 4; k++) y[(t + k) * ystride + r] = out[k];
        }
        for (; t < tokens; t++) {
            csr512_row(d, w, r, acts + t, out, wide, 1);
            y[t * ystride + r] = out[0];
        }
    }
}

static void csr512_u16(const pith_sparse *d, const uint8_t *w, int64_t r0, int64_t r1, const pith_sact *a,
                       int64_t tokens, float *y, int64_t ystride) { csr512_rows(d, w, r0, r1, a, tokens, y, ystride, 0); }
static void csr512_u32(const pith_sparse *d, const uint8_t *w, int64_t r0, int64_t r1, const pith_sact *a,
                       int64_t tokens, float *y, int64_t ystride) { csr512_rows(d, w, r0, r1, a, tokens, y, ystride, 1); }

#endif

// MARK: - Selection

pith_srows_fn pith_srows_csr(const pith_sparse *d, int level) {
    switch (level) {
    case PITH_SPLEVEL_SCALAR: return csr_rows_scalar;
#if defined(PITH_SP_AVX512)
    case PITH_SPLEVEL_AVX512: return d->index_bytes == 4 ? csr512_u32 : csr512_u16;
#endif
    default: return NULL;
    }
}
