// Rows of a pith_qweight to f32: prefill tiles (then SGEMM) and embedding rows.
//
// Every value is the reference's single rounding (QuantizedMatrix.dequantize): int d·q + m with d·q exact (an f16
// scale times a code of ≤ 8 bits has ≤ 19 significant bits), fp8 scale·e4m3, nf4/fp4 absmax·table[code]. So the
// SIMD paths give the reference's bits exactly, and the tests compare with ==.
#include "qweight.h"
#include "groupq_unpack.h"

static inline float load_f16(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return pith_h2f(h); }

// MARK: - int

// One row (cols) of int groups into out.
static void int_row_scalar(const pith_qweight *desc, const uint8_t *row, float *out) {
    const int bits = desc->bits, nsb = desc->group / 32, sb = 4 * bits, hdr = desc->symmetric ? 2 : 4;
    const int64_t ng = desc->cols / desc->group, gbytes = hdr + nsb * sb;
    uint8_t q[32];
    for (int64_t gi = 0; gi < ng; gi++) {
        const uint8_t *p = row + gi * gbytes;
        const float d = load_f16(p), m = desc->symmetric ? -(float)(1 << (bits - 1)) * d : load_f16(p + 2);
        for (int b = 0; b < nsb; b++) {
            pith_unpack_codes(p + hdr + b * sb, bits, q);
            float *o = out + gi * desc->group + b * 32;
            for (int j = 0; j < 32; j++) o[j] = d * (float)q[j] + m;
        }
    }
}

#if defined(PITH_Q_AVX512)
static inline __attribute__((always_inline)) void int_row512(const pith_qweight *desc, const uint8_t *row, float *out, const int bits) {
    const int nsb = desc->group / 32, sb = 4 * bits, hdr = desc->symmetric ? 2 : 4;
    const int64_t ng = desc->cols / desc->group, gbytes = hdr + nsb * sb;
    for (int64_t gi = 0; gi < ng; gi++) {
        const uint8_t *p = row + gi * gbytes;
        const float d = load_f16(p), m = desc->symmetric ? -(float)(1 << (bits - 1)) * d : load_f16(p + 2);
        const __m512 vd = _mm512_set1_ps(d), vm = _mm512_set1_ps(m);
        float *o = out + gi * desc->group;
        int b = 0;
        for (; b + 2 <= nsb; b += 2) {
            const __m512i q = pith_unpack_pair512(p + hdr + b * sb, bits);
            for (int k = 0; k < 4; k++) {
                const __m128i lane = k == 0 ? _mm512_castsi512_si128(q) : k == 1 ? _mm512_extracti32x4_epi32(q, 1)
                                   : k == 2 ? _mm512_extracti32x4_epi32(q, 2) : _mm512_extracti32x4_epi32(q, 3);
                _mm512_storeu_ps(o + b * 32 + 16 * k, _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(lane)), vd, vm));
            }
        }
        if (b < nsb) {
            const __m256i q = pith_unpack_sub256(p + hdr + b * sb, bits);
            _mm512_storeu_ps(o + b * 32, _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm256_castsi256_si128(q))), vd, vm));
            _mm512_storeu_ps(o + b * 32 + 16, _mm512_fmadd_ps(_mm512_cvtepi32_ps(_mm512_cvtepu8_epi32(_mm256_extracti128_si256(q, 1))), vd, vm));
        }
    }
}
#define INT_ROW512(B) static void int_row512_##B(const pith_qweight *d, const uint8_t *row, float *out) { int_row512(d, row, out, B); }
INT_ROW512(2) INT_ROW512(3) INT_ROW512(4) INT_ROW512(5) INT_ROW512(6) INT_ROW512(7) INT_ROW512(8)
static void (*const int_rows512[])(const pith_qweight *, const uint8_t *, float *) = {
    int_row512_2, int_row512_3, int_row512_4, int_row512_5, int_row512_6, int_row512_7, int_row512_8 };
#elif defined(PITH_Q_AVX2)
static inline __attribute__((always_inline)) void int_row_avx2(const pith_qweight *desc, const uint8_t *row, float *out, const int bits) {
    const int nsb = desc->group / 32, sb = 4 * bits, hdr = desc->symmetric ? 2 : 4;
    const int64_t ng = desc->cols / desc->group, gbytes = hdr + nsb * sb;
    for (int64_t gi = 0; gi < ng; gi++) {
        const uint8_t *p = row + gi * gbytes;
        const float d = load_f16(p), m = desc->symmetric ? -(float)(1 << (bits - 1)) * d : load_f16(p + 2);
        const __m256 vd = _mm256_set1_ps(d), vm = _mm256_set1_ps(m);
        for (int b = 0; b < nsb; b++) {
            const __m256i q = pith_unpack_sub256(p + hdr + b * sb, bits);
            float *o = out + gi * desc->group + b * 32;
            for (int k = 0; k < 4; k++) {
                const __m128i half = k < 2 ? _mm256_castsi256_si128(q) : _mm256_extracti128_si256(q, 1);
                const __m128i part = k & 1 ? _mm_srli_si128(half, 8) : half;
                _mm256_storeu_ps(o + 8 * k, _mm256_fmadd_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(part)), vd, vm));
            }
        }
    }
}
#define INT_ROW_AVX2(B) static void int_row_avx2_##B(const pith_qweight *d, const uint8_t *row, float *out) { int_row_avx2(d, row, out, B); }
INT_ROW_AVX2(2) INT_ROW_AVX2(3) INT_ROW_AVX2(4) INT_ROW_AVX2(5) INT_ROW_AVX2(6) INT_ROW_AVX2(7) INT_ROW_AVX2(8)
static void (*const int_rows_avx2[])(const pith_qweight *, const uint8_t *, float *) = {
    int_row_avx2_2, int_row_avx2_3, int_row_avx2_4, int_row_avx2_5, int_row_avx2_6, int_row_avx2_7, int_row_avx2_8 };
#endif

// MARK: - nf4 / fp4

static void four_bit_rows_scalar(const pith_qweight *desc, const uint8_t *w, int64_t r0, int64_t r1, float *dst) {
    const float *table = desc->format == PITH_QF_NF4 ? pith_nf4_table : pith_fp4_table;
    const int64_t cols = desc->cols;
    int64_t block = -1;
    float absmax = 0;
    for (int64_t i = r0 * cols; i < r1 * cols; i++) {
        if (i / desc->group != block) { block = i / desc->group; absmax = pith_qabsmax(desc, w, block); }
        const uint8_t byte = w[(i / 32) * 16 + (i % 32 & 15)];
        dst[i - r0 * cols] = absmax * table[(i % 32) < 16 ? byte & 15 : byte >> 4];
    }
}

#if defined(PITH_Q_AVX512)
// Rows whose values start at a multiple of 32 (so of a code run): blocks of `group`, 32 values per step.
static void four_bit_rows512(const pith_qweight *desc, const uint8_t *w, int64_t r0, int64_t r1, float *dst) {
    const __m512 table = _mm512_loadu_ps(desc->format == PITH_QF_NF4 ? pith_nf4_table : pith_fp4_table);
    const int64_t first = r0 * desc->cols, n = (r1 - r0) * desc->cols, nsb = desc->group / 32;
    for (int64_t blk = first / desc->group; blk * desc->group < first + n; blk++) {
        const __m512 a = _mm512_set1_ps(pith_qabsmax(desc, w, blk));
        for (int64_t b = blk * nsb; b < (blk + 1) * nsb; b++) {
            if (b * 32 < first || b * 32 >= first + n) continue;
            const __m512i idx = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(w + b * 16)));
            float *o = dst + b * 32 - first;
            _mm512_storeu_ps(o, _mm512_mul_ps(a, _mm512_permutexvar_ps(idx, table)));
            _mm512_storeu_ps(o + 16, _mm512_mul_ps(a, _mm512_permutexvar_ps(_mm512_srli_epi32(idx, 4), table)));
        }
    }
}
#endif

// MARK: - fp8

static void fp8_row_scalar(const pith_qweight *desc, const uint8_t *row, float *out) {
    const float *table = pith_e4m3_table();
    const int64_t g = desc->group;
    for (int64_t gi = 0; gi < desc->cols / g; gi++) {
        const uint8_t *p = row + gi * (4 + g);
        float scale; memcpy(&scale, p, 4);
        for (int64_t j = 0; j < g; j++) out[gi * g + j] = scale * table[p[4 + j]];
    }
}

#if defined(PITH_Q_AVX512)
static void fp8_row512(const pith_qweight *desc, const uint8_t *row, float *out) {
    const int64_t g = desc->group;
    const __m512 k256 = _mm512_set1_ps(256.0f);
    for (int64_t gi = 0; gi < desc->cols / g; gi++) {
        const uint8_t *p = row + gi * (4 + g);
        float scale; memcpy(&scale, p, 4);
        const __m512 s = _mm512_set1_ps(scale);
        for (int64_t j = 0; j < g; j += 32) {
            // e4m3 / 256 as f16 (lut.c); (·256 exact)·scale is the reference's one rounding
            const __m512i v = _mm512_cvtepi8_epi16(_mm256_loadu_si256((const __m256i *)(p + 4 + j)));
            const __m512i h0 = _mm512_and_si512(_mm512_slli_epi16(v, 7), _mm512_set1_epi16((short)0xBFFF));
            const __mmask32 nan = _mm512_cmpeq_epi16_mask(_mm512_and_si512(v, _mm512_set1_epi16(0x7F)), _mm512_set1_epi16(0x7F));
            const __m512i h = _mm512_maskz_mov_epi16(~nan, h0);
            _mm512_storeu_ps(out + gi * g + j, _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtph_ps(_mm512_castsi512_si256(h)), k256), s));
            _mm512_storeu_ps(out + gi * g + j + 16, _mm512_mul_ps(_mm512_mul_ps(_mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1)), k256), s));
        }
    }
}
#endif

// MARK: - Entry

void pith_qdequantize_rows_level(const pith_qweight *desc, const void *wp, int64_t r0, int64_t r1, float *dst, int level) {
    const uint8_t *w = (const uint8_t *)wp;
    const int64_t cols = desc->cols;
    if (r1 <= r0) return;
    const int simd = level != PITH_QLEVEL_SCALAR;
    (void)simd;
    switch (desc->format) {
    case PITH_QF_NF4: case PITH_QF_FP4:
#if defined(PITH_Q_AVX512)
        if (simd && (r0 * cols) % 32 == 0 && (r1 * cols) % 32 == 0) { four_bit_rows512(desc, w, r0, r1, dst); return; }
#endif
        four_bit_rows_scalar(desc, w, r0, r1, dst);
        return;
    case PITH_QF_FP8: {
        const int64_t rb = pith_qrow_bytes(desc);
        for (int64_t r = r0; r < r1; r++) {
#if defined(PITH_Q_AVX512)
            if (simd) { fp8_row512(desc, w + r * rb, dst + (r - r0) * cols); continue; }
#endif
            fp8_row_scalar(desc, w + r * rb, dst + (r - r0) * cols);
        }
        return;
    }
    default: {
        const int64_t rb = pith_qrow_bytes(desc);
        for (int64_t r = r0; r < r1; r++) {
#if defined(PITH_Q_AVX512)
            if (simd) { int_rows512[desc->bits - 2](desc, w + r * rb, dst + (r - r0) * cols); continue; }
#elif defined(PITH_Q_AVX2)
            if (simd) { int_rows_avx2[desc->bits - 2](desc, w + r * rb, dst + (r - r0) * cols); continue; }
#endif
            int_row_scalar(desc, w + r * rb, dst + (r - r0) * cols);
        }
        return;
    }
    }
}
