// Float-coded weights through value tables: NF4 / FP4 (16 values) and FP8 E4M3 (256 values), dotted with f32 x.
//
// These codes are not integers, so x stays f32 (no activation rounding; the only error is f32 summation).
// NF4/FP4: value = absmax(block) · table[code]. The 16-entry table fits one 512-bit register, and vpermps reads
//   only the low 4 bits of each index, so 16 code bytes widened to 32-bit lanes index it directly (low nibbles,
//   elements 0…15) and after a 4-bit shift (high nibbles, 16…31): no masking. One FMA per 16 values, one per block.
// FP8: value = scale(group) · e4m3(byte). E4M3 becomes f16 exactly by moving its 7 magnitude bits up by 7 (f16 has
//   the same 3 top mantissa bits and an exponent bias of 15 instead of 7): f16(bits) = e4m3 / 256, subnormals
//   included, so vcvtph2ps does the decoding and one ×256 per row restores the scale. The NaN codes (S.1111.111)
//   read as 0, as in the reference.
#include "qweight.h"

const float pith_nf4_table[16] = {
    -1.0f, -0.6961928009986877f, -0.5250730514526367f, -0.39491748809814453f,
    -0.28444138169288635f, -0.18477343022823334f, -0.09105003625154495f, 0.0f,
    0.07958029955625534f, 0.16093020141124725f, 0.24611230194568634f, 0.33791524171829224f,
    0.44070982933044434f, 0.5626170039176941f, 0.7229568362236023f, 1.0f,
};

// E2M1 magnitudes {0, 0.5, 1, 1.5, 2, 3, 4, 6} / 6; codes 8…15 negative (FloatCodebook.fp4).
const float pith_fp4_table[16] = {
    0.0f, 0.5f / 6, 1.0f / 6, 1.5f / 6, 2.0f / 6, 3.0f / 6, 4.0f / 6, 6.0f / 6,
    -0.0f, -0.5f / 6, -1.0f / 6, -1.5f / 6, -2.0f / 6, -3.0f / 6, -4.0f / 6, -6.0f / 6,
};

static float e4m3_decode(uint8_t byte) {
    const int e = (byte >> 3) & 15, m = byte & 7;
    const float sign = byte & 0x80 ? -1.0f : 1.0f;
    if (e == 15 && m == 7) return 0.0f;
    if (e == 0) return sign * ((float)m / 8) * 0x1p-6f;
    return sign * (1.0f + (float)m / 8) * ldexpf(1.0f, e - 7);
}

static float e4m3_values[256];
static int e4m3_ready;

const float *pith_e4m3_table(void) {
    // Idempotent fill: concurrent first callers write the same values.
    if (!__atomic_load_n(&e4m3_ready, __ATOMIC_ACQUIRE)) {
        for (int i = 0; i < 256; i++) e4m3_values[i] = e4m3_decode((uint8_t)i);
        __atomic_store_n(&e4m3_ready, 1, __ATOMIC_RELEASE);
    }
    return e4m3_values;
}

static inline const float *four_bit_table(const pith_qweight *desc) {
    return desc->format == PITH_QF_NF4 ? pith_nf4_table : pith_fp4_table;
}

// MARK: - Portable

// Code of flattened element i: sub-block i/32 holds 16 bytes, element j < 16 in byte j's low nibble, j ≥ 16 high.
static inline int four_bit_code(const uint8_t *w, int64_t i) {
    const uint8_t byte = w[(i / 32) * 16 + (i % 32 & 15)];
    return (i % 32) < 16 ? byte & 15 : byte >> 4;
}

// Any row, including rows that start inside a block (cols not a multiple of the block or of 32).
static float dot_four_bit_scalar(const pith_qweight *desc, const uint8_t *w, int64_t r, const pith_qact *a) {
    const float *table = four_bit_table(desc);
    const int64_t cols = desc->cols, start = r * cols;
    float sum = 0, bsum = 0, absmax = 0;
    int64_t block = -1;
    for (int64_t j = 0; j < cols; j++) {
        const int64_t i = start + j;
        if (i / desc->group != block) {
            sum += absmax * bsum;
            bsum = 0;
            block = i / desc->group;
            absmax = pith_qabsmax(desc, w, block);
        }
        bsum += table[four_bit_code(w, i)] * a->x[j];
    }
    return sum + absmax * bsum;
}
PITH_QROWS(dot_four_bit_scalar)

static float dot_fp8_scalar(const pith_qweight *desc, const uint8_t *w, int64_t r, const pith_qact *a) {
    const float *table = pith_e4m3_table();
    const int64_t g = desc->group, ng = desc->cols / g;
    const uint8_t *row = w + r * ng * (4 + g);
    float sum = 0;
    for (int64_t gi = 0; gi < ng; gi++) {
        const uint8_t *p = row + gi * (4 + g);
        float scale; memcpy(&scale, p, 4);
        float gacc = 0;
        for (int64_t j = 0; j < g; j++) gacc += table[p[4 + j]] * a->x[gi * g + j];
        sum += scale * gacc;
    }
    return sum;
}
PITH_QROWS(dot_fp8_scalar)

// MARK: - AVX2

#if defined(PITH_Q_AVX2)

static inline float hsum256(__m256 v) {
    __m128 s = _mm_add_ps(_mm256_castps256_ps128(v), _mm256_extractf128_ps(v, 1));
    s = _mm_add_ps(s, _mm_movehl_ps(s, s));
    s = _mm_add_ss(s, _mm_movehdup_ps(s));
    return _mm_cvtss_f32(s);
}

// 8 table values for 8 indices (low 4 bits used): two 8-entry permutes, chosen by bit 3.
static inline __m256 table16_avx2(__m256i idx, __m256 lo, __m256 hi) {
    const __m256 sel = _mm256_castsi256_ps(_mm256_slli_epi32(idx, 28));  // bit 3 → sign bit, read by blendv
    return _mm256_blendv_ps(_mm256_permutevar8x32_ps(lo, idx), _mm256_permutevar8x32_ps(hi, idx), sel);
}

static float dot_four_bit_avx2(const pith_qweight *desc, const uint8_t *w, int64_t r, const pith_qact *a) {
    if (!pith_qrow_aligned(desc)) return dot_four_bit_scalar(desc, w, r, a);
    const float *table = four_bit_table(desc);
    const __m256 lo = _mm256_loadu_ps(table), hi = _mm256_loadu_ps(table + 8);
    const int64_t cols = desc->cols, nsb = desc->group / 32, first = r * cols / desc->group;
    const uint8_t *codes = w + r * cols / 2;
    __m256 acc = _mm256_setzero_ps();
    for (int64_t blk = 0; blk < cols / desc->group; blk++) {
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        for (int64_t b = blk * nsb; b < (blk + 1) * nsb; b++) {
            const __m128i v = _mm_loadu_si128((const __m128i *)(codes + b * 16));
            const float *x = a->x + b * 32;
            for (int h = 0; h < 2; h++) {  // bytes 0…7, 8…15
                const __m256i idx = _mm256_cvtepu8_epi32(h ? _mm_srli_si128(v, 8) : v);
                s0 = _mm256_fmadd_ps(table16_avx2(idx, lo, hi), _mm256_loadu_ps(x + 8 * h), s0);
                s1 = _mm256_fmadd_ps(table16_avx2(_mm256_srli_epi32(idx, 4), lo, hi), _mm256_loadu_ps(x + 16 + 8 * h), s1);
            }
        }
        acc = _mm256_fmadd_ps(_mm256_add_ps(s0, s1), _mm256_set1_ps(pith_qabsmax(desc, w, first + blk)), acc);
    }
    return hsum256(acc);
}
PITH_QROWS(dot_four_bit_avx2)

// 16 E4M3 bytes → 16 f16 values e4m3/256 (NaN codes → 0), see the file comment.
static inline __m256i e4m3_to_f16_avx2(__m128i bytes) {
    const __m256i v = _mm256_cvtepi8_epi16(bytes);  // sign-extended: bits 8…15 copy the sign
    const __m256i h = _mm256_and_si256(_mm256_slli_epi16(v, 7), _mm256_set1_epi16((short)0xBFFF));
    const __m256i mag = _mm256_and_si256(v, _mm256_set1_epi16(0x7F));
    return _mm256_andnot_si256(_mm256_cmpeq_epi16(mag, _mm256_set1_epi16(0x7F)), h);
}

static float dot_fp8_avx2(const pith_qweight *desc, const uint8_t *w, int64_t r, const pith_qact *a) {
    const int64_t g = desc->group, ng = desc->cols / g;
    const uint8_t *row = w + r * ng * (4 + g);
    __m256 acc = _mm256_setzero_ps();
    for (int64_t gi = 0; gi < ng; gi++) {
        const uint8_t *p = row + gi * (4 + g);
        const float *x = a->x + gi * g;
        float scale; memcpy(&scale, p, 4);
        __m256 s0 = _mm256_setzero_ps(), s1 = _mm256_setzero_ps();
        for (int64_t j = 0; j < g; j += 16) {
            const __m256i h = e4m3_to_f16_avx2(_mm_loadu_si128((const __m128i *)(p + 4 + j)));
            s0 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm256_castsi256_si128(h)), _mm256_loadu_ps(x + j), s0);
            s1 = _mm256_fmadd_ps(_mm256_cvtph_ps(_mm256_extracti128_si256(h, 1)), _mm256_loadu_ps(x + j + 8), s1);
        }
        acc = _mm256_fmadd_ps(_mm256_add_ps(s0, s1), _mm256_set1_ps(scale), acc);
    }
    return 256.0f * hsum256(acc);
}
PITH_QROWS(dot_fp8_avx2)

#endif

// MARK: - AVX-512

#if defined(PITH_Q_AVX512)

static float dot_four_bit512(const pith_qweight *desc, const uint8_t *w, int64_t r, const pith_qact *a) {
    if (!pith_qrow_aligned(desc)) return dot_four_bit_scalar(desc, w, r, a);
    const __m512 table = _mm512_loadu_ps(four_bit_table(desc));
    const int64_t cols = desc->cols, nsb = desc->group / 32, first = r * cols / desc->group;
    const uint8_t *codes = w + r * cols / 2;
    __m512 acc = _mm512_setzero_ps();
    for (int64_t blk = 0; blk < cols / desc->group; blk++) {
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        for (int64_t b = blk * nsb; b < (blk + 1) * nsb; b++) {
            const __m512i idx = _mm512_cvtepu8_epi32(_mm_loadu_si128((const __m128i *)(codes + b * 16)));
            s0 = _mm512_fmadd_ps(_mm512_permutexvar_ps(idx, table), _mm512_loadu_ps(a->x + b * 32), s0);
            s1 = _mm512_fmadd_ps(_mm512_permutexvar_ps(_mm512_srli_epi32(idx, 4), table), _mm512_loadu_ps(a->x + b * 32 + 16), s1);
        }
        acc = _mm512_fmadd_ps(_mm512_add_ps(s0, s1), _mm512_set1_ps(pith_qabsmax(desc, w, first + blk)), acc);
    }
    return _mm512_reduce_add_ps(acc);
}
PITH_QROWS(dot_four_bit512)

// 32 E4M3 bytes → 32 f16 values e4m3/256 (NaN codes → 0), see the file comment.
static inline __m512i e4m3_to_f16_512(__m256i bytes) {
    const __m512i v = _mm512_cvtepi8_epi16(bytes);
    const __m512i h = _mm512_and_si512(_mm512_slli_epi16(v, 7), _mm512_set1_epi16((short)0xBFFF));
    const __mmask32 nan = _mm512_cmpeq_epi16_mask(_mm512_and_si512(v, _mm512_set1_epi16(0x7F)), _mm512_set1_epi16(0x7F));
    return _mm512_maskz_mov_epi16(~nan, h);
}

static float dot_fp8_512(const pith_qweight *desc, const uint8_t *w, int64_t r, const pith_qact *a) {
    const int64_t g = desc->group, ng = desc->cols / g;
    const uint8_t *row = w + r * ng * (4 + g);
    __m512 acc = _mm512_setzero_ps();
    for (int64_t gi = 0; gi < ng; gi++) {
        const uint8_t *p = row + gi * (4 + g);
        const float *x = a->x + gi * g;
        float scale; memcpy(&scale, p, 4);
        __m512 s0 = _mm512_setzero_ps(), s1 = _mm512_setzero_ps();
        for (int64_t j = 0; j < g; j += 32) {
            const __m512i h = e4m3_to_f16_512(_mm256_loadu_si256((const __m256i *)(p + 4 + j)));
            s0 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm512_castsi512_si256(h)), _mm512_loadu_ps(x + j), s0);
            s1 = _mm512_fmadd_ps(_mm512_cvtph_ps(_mm512_extracti64x4_epi64(h, 1)), _mm512_loadu_ps(x + j + 16), s1);
        }
        acc = _mm512_fmadd_ps(_mm512_add_ps(s0, s1), _mm512_set1_ps(scale), acc);
    }
    return 256.0f * _mm512_reduce_add_ps(acc);
}
PITH_QROWS(dot_fp8_512)

#endif

// MARK: - Selection

pith_qrows_fn pith_qrows_table(const pith_qweight *desc, int level) {
    const int fp8 = desc->format == PITH_QF_FP8;
    switch (level) {
    case PITH_QLEVEL_SCALAR: return fp8 ? dot_fp8_scalar_rows : dot_four_bit_scalar_rows;
#if defined(PITH_Q_AVX2)
    case PITH_QLEVEL_AVX2: return fp8 ? dot_fp8_avx2_rows : dot_four_bit_avx2_rows;
#endif
#if defined(PITH_Q_AVX512)
    case PITH_QLEVEL_AVX512: return fp8 ? dot_fp8_512_rows : dot_four_bit512_rows;
#endif
    default: return NULL;
    }
}
