// Sparse weights (pith_sparse): what the kernel files of these layouts share (internal).
//
// Files: sparse_linear.c (kernel choice, activations, the threaded driver, the generic decode), sparse_nm.c (N:M
// with N = M/2, int4/int8), sparse_bitmask.c (bitmask int8), sparse_csr.c (CSR int8).
#pragma once
#include "pith_kernels.h"
#include "internal.h"

// The AVX-512 sparse kernels need VBMI (vpermt2b: gathering N:M's activation bytes) and VBMI2 (vpexpandb: the
// bitmask's packed codes back to their columns) on top of the VNNI set the dense kernels use (Ice Lake, Zen 4 on).
#if defined(__AVX512F__) && defined(__AVX512BW__) && defined(__AVX512VL__) && defined(__AVX512VNNI__) && \
    defined(__AVX512VBMI__) && defined(__AVX512VBMI2__) && defined(__F16C__)
#define PITH_SP_AVX512 1
#endif

enum { PITH_SPLEVEL_SCALAR = 0, PITH_SPLEVEL_AVX512 = 2 };

/// One token's activations as the sparse row kernels read them.
typedef struct {
    const float *x;       // (cols) f32: CSR
    // N:M, bitmask: x quantized to int8 per block of 32 (pith_act natural order), padded to a multiple of 4 blocks
    const int8_t *qs;     // (nbpad·32)
    const float *d;       // (nbpad) block scales
    const float *dexp4;   // (nbpad·4) each block scale ×4: N:M's int32 lanes (4 kept values = 8 columns)
    const float *dexp8;   // (nbpad·8) each block scale ×8: the bitmask's int32 lanes (4 columns)
    const float *spair;   // (nbpad/2) s[2k] + s[2k+1], s_b = d_b·Σq_b: the bitmask's offset per 64 columns
} pith_sact;

/// Rows [r0, r1) × tokens; y[t*ystride + r].
typedef void (*pith_srows_fn)(const pith_sparse *d, const uint8_t *w, int64_t r0, int64_t r1, const pith_sact *acts,
                              int64_t tokens, float *y, int64_t ystride);

pith_srows_fn pith_srows_nm(const pith_sparse *d, int level);
pith_srows_fn pith_srows_bitmask(const pith_sparse *d, int level);
pith_srows_fn pith_srows_csr(const pith_sparse *d, int level);

static inline float pith_sp_f16(const uint8_t *p) { uint16_t h; memcpy(&h, p, 2); return pith_h2f(h); }
static inline uint32_t pith_sp_u32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return v; }
static inline uint64_t pith_sp_u64(const uint8_t *p) { uint64_t v; memcpy(&v, p, 8); return v; }

/// Scale of stream value i of row r (int formats).
static inline float pith_sp_scale(const pith_sparse *d, const uint8_t *w, int64_t r, int64_t i) {
    return pith_sp_f16(w + d->scales + 2 * (d->group == 0 ? r : i / d->group));
}

/// In-group index k of an N:M row's index sub-blocks (2-bit plane, then for M = 8 a 1-bit plane).
static inline int pith_sp_nm_index(const uint8_t *row, int64_t k, int m) {
    const int sub = m == 8 ? 12 : 8;
    const uint8_t *p = row + k / 32 * sub;
    const int j = (int)(k % 32);
    int v = (p[j % 8] >> (2 * (j / 8))) & 3;
    if (m == 8) v |= (int)((pith_sp_u32(p + 8) >> j) & 1) << 2;
    return v;
}

/// Signed code of stream value i (int8: −127…127; int4: −8…7).
static inline int pith_sp_code(const pith_sparse *d, const uint8_t *w, int64_t i) {
    const uint8_t *v = w + d->value_offset;
    if (d->values == PITH_SV_INT8) return (int8_t)v[i];
    const int j = (int)(i % 32);
    const uint8_t b = v[i / 32 * 16 + j % 16];
    return (j < 16 ? b & 15 : b >> 4) - 8;
}
