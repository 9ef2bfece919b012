// Pith-native quantized weights (pith_qweight): what the kernel files of these layouts share (internal).
//
// Files: qlinear.c (descriptor checks, activation preparation, the threaded driver), dot_groupq.c (int codes of
// 2…8 bits), lut.c (nf4/fp4/fp8 through value tables), dot_w8a8.c (int8 × int8), dequant_groupq.c (rows to f32).
#pragma once
#include "pith_kernels.h"
#include "internal.h"

// SIMD levels. Each level's kernels are compiled when the build's target has the instructions; the best one runs,
// and the others stay callable (pith_qlinear_rows) so every level is tested against the scalar reference here.
enum { PITH_QLEVEL_SCALAR = 0, PITH_QLEVEL_AVX2 = 1, PITH_QLEVEL_AVX512 = 2 };

#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__) && defined(__F16C__)
#define PITH_Q_AVX512 1
#endif
#if defined(__AVX2__) && defined(__FMA__) && defined(__F16C__)
#define PITH_Q_AVX2 1
#endif

/// One token's activations as the row kernels read them.
typedef struct {
    const float *x;        // (cols) the float row: nf4/fp4/fp8 and the generic paths
    // int formats: x quantized to int8 per sub-block of 32 (pith_act natural order)
    const int8_t *qs;      // (nb·32, zero-padded to a multiple of 128 bytes)
    const float *d;        // (nb) scale of each sub-block
    const float *dexp;     // (nb·8) each sub-block's scale repeated 8×: the int32 lanes of one sub-block's dot
    const float *gsum;     // (cols/group) Σ over a weight group's sub-blocks of d·Σq (the offset term's factor)
    // W8A8: x quantized to int8 with one scale for the token (qs above)
    float scale;           // max|x|/127 (LLM.int8(): over the columns that are not outliers)
    const int32_t *gqsum;  // (cols/group) Σq over each weight group
    // LLM.int8(): the outlier columns, shared by every token of the call (their qs are 0), and this token's values
    int64_t nout;          // number of outlier columns (0: plain W8A8)
    const int64_t *oscale; // (nout) byte offset in a row of the f16 scale of each outlier column's group
    const int64_t *ocode;  // (nout) byte offset in a row of each outlier column's int8 code
    const float *ox;       // (nout) x at the outlier columns, f32 as given
} pith_qact;

/// y[t*ystride + r] = W[r,:]·x_t for rows [r0, r1) and every token t < tokens; acts holds one entry per token.
/// w is the whole tensor (nf4/fp4 rows are not self-contained).
typedef void (*pith_qrows_fn)(const pith_qweight *desc, const uint8_t *w, int64_t r0, int64_t r1,
                              const pith_qact *acts, int64_t tokens, float *y, int64_t ystride);

/// The row kernels for `desc` at `level`, or NULL when that level was not compiled in.
pith_qrows_fn pith_qrows_int(const pith_qweight *desc, int level);    // dot_groupq.c
pith_qrows_fn pith_qrows_table(const pith_qweight *desc, int level);  // lut.c
pith_qrows_fn pith_qrows_w8a8(const pith_qweight *desc, int level);   // dot_w8a8.c

/// Expands a row-dot `float NAME(desc, w, r, act)` into the pith_qrows_fn `NAME##_rows`.
#define PITH_QROWS(NAME) \
    static void NAME##_rows(const pith_qweight *desc, const uint8_t *w, int64_t r0, int64_t r1, \
                            const pith_qact *acts, int64_t tokens, float *y, int64_t ystride) { \
        for (int64_t r = r0; r < r1; r++) \
            for (int64_t t = 0; t < tokens; t++) y[t * ystride + r] = NAME(desc, w, r, acts + t); \
    }

/// Bytes of one stored row (int, fp8); 0 for nf4/fp4 (codes are cols/2 bytes, scales elsewhere).
static inline int64_t pith_qrow_bytes(const pith_qweight *w) {
    switch (w->format) {
    case PITH_QF_INT: return w->cols / w->group * ((w->symmetric ? 2 : 4) + w->group / 32 * 4 * w->bits);
    case PITH_QF_FP8: return w->cols / w->group * (4 + w->group);
    default: return 0;
    }
}

/// nf4/fp4: rows are whole blocks and whole 32-value code runs, so a row's codes and absmax are its own.
static inline int pith_qrow_aligned(const pith_qweight *w) { return w->cols % 32 == 0 && w->cols % w->group == 0; }

/// nf4/fp4: absmax of block `b` (f32, or double-quantized: offset + s2[b/256]·byte/127, the reference's order).
static inline float pith_qabsmax(const pith_qweight *w, const uint8_t *base, int64_t b) {
    const int64_t n = w->rows * w->cols, blocks = n / w->group;
    const uint8_t *p = base + n / 2;
    float v;
    if (!w->double_quant) { memcpy(&v, p + 4 * b, 4); return v; }
    const int64_t groups = (blocks + 255) / 256;
    float s2, offset;
    memcpy(&s2, p + blocks + 4 * (b / 256), 4);
    memcpy(&offset, p + blocks + 4 * groups, 4);
    return offset + s2 * (float)(int8_t)p[b] / 127.0f;
}

/// Unpacks the 32 codes of one int sub-block (4·bits bytes at p, QuantScheme's bit planes) into q, natural order.
static inline void pith_unpack_codes(const uint8_t *p, int bits, uint8_t *q) {
    if (bits == 8) { for (int j = 0; j < 32; j++) q[j] = p[j] ^ 0x80; return; }
    for (int j = 0; j < 32; j++) q[j] = 0;
    int shift = 0;
    if (bits >= 4) {
        for (int j = 0; j < 16; j++) { q[j] = p[j] & 15; q[j + 16] = p[j] >> 4; }
        p += 16; shift = 4;
    }
    if (bits & 2) {
        for (int j = 0; j < 8; j++)
            for (int k = 0; k < 4; k++) q[j + 8 * k] |= (uint8_t)(((p[j] >> (2 * k)) & 3) << shift);
        p += 8; shift += 2;
    }
    if (bits & 1) {
        uint32_t word; memcpy(&word, p, 4);
        for (int j = 0; j < 32; j++) q[j] |= (uint8_t)(((word >> j) & 1) << shift);
    }
}

/// The nf4 and fp4 value tables (FloatCodebook in Swift), and E4M3 decoded for all 256 bytes (NaN read as 0).
extern const float pith_nf4_table[16];
extern const float pith_fp4_table[16];
const float *pith_e4m3_table(void);

/// W8A8 activation: one token's x (cols) to int8 with scale max|x|/127 (returned); Σq per group of `group` values.
float pith_w8a8_quantize(const float *x, int64_t cols, int64_t group, int8_t *qs, int32_t *gqsum);
