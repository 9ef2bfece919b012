// W8A8: int8 weights (8-bit symmetric int codes: the stored byte is the signed weight q − 128, usually one scale per
// output channel) times activations quantized per token to int8 (scale sx = max|x|/127), accumulated in int32:
//   y[t, r] = sx_t · Σ_g d_{r,g} · Σ_{j∈g} w_j · xq_j
// The int32 sums are exact (|Σ| ≤ 128·127·group), so the only rounding is the activations' (|Δx| ≤ sx/2) and the
// final float products. The same kernel serves decode and prefill: a row is loaded once and dotted with up to 4
// tokens (its 64-byte chunks stay in registers), so prefill is an int8 × int8 GEMM blocked 1 row × 4 tokens.
//
// AVX-512 VNNI: vpdpbusd wants unsigned × signed, so the weight bytes are flipped to w + 128 and 128·Σxq per group
// (gqsum, computed with the activation) is taken back. AVX2: vpmaddubsw on |w| · (±xq), pair sums ≤ 2·128·127.
// Plain loads only: masked 512-bit loads (vmovdqu8 {k}{z}) of weights streaming from memory ran 7× slower here
// (measured: 1536×576 cold, one thread, 266 → 35 µs).
//
// LLM.int8() (Dettmers et al. 2022, §3.2, the descriptor's outlier_threshold): qlinear.c zeroes the outlier columns
// before quantizing each token (so they neither set its scale nor enter the int32 sums) and passes their f32 values;
// every level then adds the same scalar f32 term Σ_k x_{j_k} · d_{r,g(j_k)} · w_{r,j_k} over those columns (a few
// per decode token on SmolLM2; prefill, with hundreds, takes them out of the rows for one SGEMM in qlinear.c).
#include "qweight.h"

float pith_w8a8_quantize(const float *x, int64_t cols, int64_t group, int8_t *qs, int32_t *gqsum) {
    float amax = 0;
    for (int64_t j = 0; j < cols; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127.0f, id = d != 0 ? 1.0f / d : 0.0f;
    for (int64_t g = 0; g < cols / group; g++) {
        int32_t sum = 0;
        for (int64_t j = g * group; j < (g + 1) * group; j++) {
            const int v = (int)lrintf(x[j] * id);
            qs[j] = (int8_t)v;
            sum += v;
        }
        gqsum[g] = sum;
    }
    return d;
}

static inline float load_f16(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return pith_h2f(h); }

// LLM.int8()'s f32 part for row `row` and tokens a[0…nt): o[t] = Σ_k x_t[j_k] · (d · w)[j_k] over the outlier columns
// j_k, each weight dequantized once for the nt tokens. Left as it is when there are none.
static inline void w8a8_outliers(const uint8_t *row, const pith_qact *a, int nt, float *o) {
    const int64_t n = a[0].nout;
    for (int64_t k = 0; k < n; k++) {
        const float w = load_f16(row + a[0].oscale[k]) * (float)(int8_t)row[a[0].ocode[k]];
        for (int t = 0; t < nt; t++) o[t] += a[t].ox[k] * w;
    }
}

// MARK: - Portable

static void w8a8_rows_scalar(const pith_qweight *desc, const uint8_t *w, int64_t r0, int64_t r1,
                             const pith_qact *acts, int64_t tokens, float *y, int64_t ystride) {
    const int64_t g = desc->group, ng = desc->cols / g, gbytes = 2 + g;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + r * ng * gbytes;
        for (int64_t t = 0; t < tokens; t++) {
            float sum = 0;
            for (int64_t gi = 0; gi < ng; gi++) {
                const int8_t *q = (const int8_t *)(row + gi * gbytes + 2), *xq = acts[t].qs + gi * g;
                int32_t isum = 0;
                for (int64_t j = 0; j < g; j++) isum += q[j] * xq[j];
                sum += load_f16(row + gi * gbytes) * (float)isum;
            }
            float o = 0;
            w8a8_outliers(row, acts + t, 1, &o);
            y[t * ystride + r] = acts[t].scale * sum + o;
        }
    }
}

// MARK: - AVX2

#if defined(PITH_Q_AVX2)

static inline int32_t hsum256_epi32(__m256i v) {
    __m128i s = _mm_add_epi32(_mm256_castsi256_si128(v), _mm256_extracti128_si256(v, 1));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(1, 0, 3, 2)));
    s = _mm_add_epi32(s, _mm_shuffle_epi32(s, _MM_SHUFFLE(2, 3, 0, 1)));
    return _mm_cvtsi128_si32(s);
}

static void w8a8_rows_avx2(const pith_qweight *desc, const uint8_t *w, int64_t r0, int64_t r1,
                           const pith_qact *acts, int64_t tokens, float *y, int64_t ystride) {
    const int64_t g = desc->group, ng = desc->cols / g, gbytes = 2 + g;
    const __m256i ones = _mm256_set1_epi16(1);
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + r * ng * gbytes;
        for (int64_t t0 = 0; t0 < tokens; t0 += 4) {
            const int nt = tokens - t0 < 4 ? (int)(tokens - t0) : 4;
            float sum[4] = { 0, 0, 0, 0 };
            for (int64_t gi = 0; gi < ng; gi++) {
                const uint8_t *q = row + gi * gbytes + 2;
                __m256i acc[4] = { _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256(), _mm256_setzero_si256() };
                for (int64_t j = 0; j < g; j += 32) {
                    const __m256i wv = _mm256_loadu_si256((const __m256i *)(q + j));
                    const __m256i aw = _mm256_sign_epi8(wv, wv);
                    for (int t = 0; t < nt; t++) {
                        const __m256i xv = _mm256_loadu_si256((const __m256i *)(acts[t0 + t].qs + gi * g + j));
                        acc[t] = _mm256_add_epi32(acc[t], _mm256_madd_epi16(_mm256_maddubs_epi16(aw, _mm256_sign_epi8(xv, wv)), ones));
                    }
                }
                const float d = load_f16(row + gi * gbytes);
                for (int t = 0; t < nt; t++) sum[t] += d * (float)hsum256_epi32(acc[t]);
            }
            float o[4] = { 0, 0, 0, 0 };
            w8a8_outliers(row, acts + t0, nt, o);
            for (int t = 0; t < nt; t++) y[(t0 + t) * ystride + r] = acts[t0 + t].scale * sum[t] + o[t];
        }
    }
}

#endif

// MARK: - AVX-512 VNNI

#if defined(PITH_Q_AVX512)

static void w8a8_rows512(const pith_qweight *desc, const uint8_t *w, int64_t r0, int64_t r1,
                         const pith_qact *acts, int64_t tokens, float *y, int64_t ystride) {
    const int64_t g = desc->group, ng = desc->cols / g, gbytes = 2 + g;
    const __m512i flip = _mm512_set1_epi8((char)0x80);
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *row = w + r * ng * gbytes;
        for (int64_t t0 = 0; t0 < tokens; t0 += 4) {
            const int nt = tokens - t0 < 4 ? (int)(tokens - t0) : 4;
            const pith_qact *a = acts + t0;
            float sum[4] = { 0, 0, 0, 0 };
            for (int64_t gi = 0; gi < ng; gi++) {
                const uint8_t *q = row + gi * gbytes + 2;
                __m512i acc0 = _mm512_setzero_si512(), acc1 = acc0, acc2 = acc0, acc3 = acc0;
                int64_t j = 0;
                for (; j + 64 <= g; j += 64) {
                    const __m512i wv = _mm512_xor_si512(_mm512_loadu_si512((const void *)(q + j)), flip);
                    const int64_t at = gi * g + j;
                    acc0 = _mm512_dpbusd_epi32(acc0, wv, _mm512_loadu_si512((const void *)(a[0].qs + at)));
                    if (nt > 1) acc1 = _mm512_dpbusd_epi32(acc1, wv, _mm512_loadu_si512((const void *)(a[1].qs + at)));
                    if (nt > 2) acc2 = _mm512_dpbusd_epi32(acc2, wv, _mm512_loadu_si512((const void *)(a[2].qs + at)));
                    if (nt > 3) acc3 = _mm512_dpbusd_epi32(acc3, wv, _mm512_loadu_si512((const void *)(a[3].qs + at)));
                }
                if (j < g) {  // the last 32 bytes of a group of 32·odd: the upper half is zero (0 · anything = 0)
                    const __m512i wv = _mm512_zextsi256_si512(
                        _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)(q + j)), _mm256_set1_epi8((char)0x80)));
                    const int64_t at = gi * g + j;
                    acc0 = _mm512_dpbusd_epi32(acc0, wv, _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)(a[0].qs + at))));
                    if (nt > 1) acc1 = _mm512_dpbusd_epi32(acc1, wv, _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)(a[1].qs + at))));
                    if (nt > 2) acc2 = _mm512_dpbusd_epi32(acc2, wv, _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)(a[2].qs + at))));
                    if (nt > 3) acc3 = _mm512_dpbusd_epi32(acc3, wv, _mm512_zextsi256_si512(_mm256_loadu_si256((const __m256i *)(a[3].qs + at))));
                }
                const float d = load_f16(row + gi * gbytes);
                // Σ (w + 128)·xq − 128·Σ xq = Σ w·xq, exactly
                sum[0] += d * (float)(_mm512_reduce_add_epi32(acc0) - 128 * a[0].gqsum[gi]);
                if (nt > 1) sum[1] += d * (float)(_mm512_reduce_add_epi32(acc1) - 128 * a[1].gqsum[gi]);
                if (nt > 2) sum[2] += d * (float)(_mm512_reduce_add_epi32(acc2) - 128 * a[2].gqsum[gi]);
                if (nt > 3) sum[3] += d * (float)(_mm512_reduce_add_epi32(acc3) - 128 * a[3].gqsum[gi]);
            }
            float o[4] = { 0, 0, 0, 0 };
            w8a8_outliers(row, a, nt, o);
            for (int t = 0; t < nt; t++) y[(t0 + t) * ystride + r] = a[t].scale * sum[t] + o[t];
        }
    }
}

#endif

pith_qrows_fn pith_qrows_w8a8(const pith_qweight *desc, int level) {
    (void)desc;
    switch (level) {
    case PITH_QLEVEL_SCALAR: return w8a8_rows_scalar;
#if defined(PITH_Q_AVX2)
    case PITH_QLEVEL_AVX2: return w8a8_rows_avx2;
#endif
#if defined(PITH_Q_AVX512)
    case PITH_QLEVEL_AVX512: return w8a8_rows512;
#endif
    default: return NULL;
    }
}
