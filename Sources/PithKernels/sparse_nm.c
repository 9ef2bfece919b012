// N:M rows with N = M/2 (2:4, 4:8) and int4 or int8 values, dotted with 8-bit activations.
//
// A row keeps cols/2 values. Kept value k sits at column c = k/N·M + index[k]; its code q (int4: u4 with zero point 8;
// int8: the signed byte, taken as q + 128 with zero point 128 so it is unsigned) meets x ≈ d_b·xq[c] (blocks b of 32
// columns), so a row is Σ_k s_g(k) · d_b(k) · (q_k − zp)·xq[c_k].
//
// AVX-512 (VNNI + VBMI): 64 kept values per step span exactly 128 columns (half of every group is kept). Their 64
// in-group indices (two index sub-blocks, bit planes as the int codes of QuantScheme) plus the group bases M·⌊k/N⌋
// are the control bytes of one vpermt2b that gathers the 64 matching activation bytes out of 128; then
// vpdpbusd(q, xg) − vpdpbusd(zp, xg) is exact in int32. Each int32 lane covers 4 kept values = 8 columns, inside one
// activation block (lanes scaled by dexp4) and inside one weight group (groups are multiples of 32 kept values, and a
// row's first value starts a sub-block, so a step meets at most two groups: lanes 0–7 and 8–15).
// Portable: the same sums, value by value.
#include "sparse.h"
#include "groupq_unpack.h"

// MARK: - Portable

static void nm_rows_scalar(const pith_sparse *d, const uint8_t *w, int64_t r0, int64_t r1, const pith_sact *acts,
                           int64_t tokens, float *y, int64_t ystride) {
    const int64_t kept = d->cols / 2;
    const int n = d->n, m = d->m;
    for (int64_t r = r0; r < r1; r++) {
        const uint8_t *idx = w + d->positions + r * d->position_row_bytes;
        for (int64_t t = 0; t < tokens; t++) {
            const pith_sact *a = acts + t;
            float sum = 0;
            for (int64_t k0 = 0; k0 < kept; k0 += 4) {  // one int32 lane: 4 kept values, one block, one group
                int isum = 0;
                for (int64_t k = k0; k < k0 + 4; k++)
                    isum += pith_sp_code(d, w, r * kept + k) * a->qs[k / n * m + pith_sp_nm_index(idx, k, m)];
                const float ws = d->group == 0 ? 1.0f : pith_sp_scale(d, w, r, r * kept + k0);
                sum += (float)isum * a->d[(2 * k0) / 32] * ws;
            }
            y[t * ystride + r] = d->group == 0 ? sum * pith_sp_scale(d, w, r, 0) : sum;
        }
    }
}

// MARK: - AVX-512 (VNNI, VBMI)

#if defined(PITH_SP_AVX512)

static const uint8_t iota64[64] = {
    0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31,
    32, 33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48, 49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63,
};

// Bit offsets, within an index sub-block's 8-byte 2-bit plane, of index 8q + j (byte j, bits 2q…2q+1): byte p of a
// register whose qwords 0–3 hold the first sub-block's plane and 4–7 the second's, q = (p/8) mod 4, j = p mod 8.
static const uint8_t plane2_shift[64] = {
    0, 8, 16, 24, 32, 40, 48, 56, 2, 10, 18, 26, 34, 42, 50, 58, 4, 12, 20, 28, 36, 44, 52, 60, 6, 14, 22, 30, 38, 46, 54, 62,
    0, 8, 16, 24, 32, 40, 48, 56, 2, 10, 18, 26, 34, 42, 50, 58, 4, 12, 20, 28, 36, 44, 52, 60, 6, 14, 22, 30, 38, 46, 54, 62,
};

// Control bytes of a full step's vpermt2b, M = 4: the 64 2-bit indices of two sub-blocks (16 bytes at p) pulled out
// by one vpmultishiftqb, masked to 2 bits and or-ed with the group bases (multiples of 4) in one vpternlog.
static inline __m512i nm4_control(const uint8_t *p, __m512i base) {
    const __m512i planes = _mm512_permutexvar_epi64(_mm512_setr_epi64(0, 0, 0, 0, 1, 1, 1, 1),
                                                    _mm512_castsi128_si512(_mm_loadu_si128((const __m128i *)p)));
    const __m512i fields = _mm512_multishift_epi64_epi8(_mm512_loadu_si512((const void *)plane2_shift), planes);
    return _mm512_ternarylogic_epi32(fields, _mm512_set1_epi8(3), base, 0xEA);  // (fields & 3) | base
}

// W[r]·x_t for nt tokens (a constant after inlining): a step's indices and codes are unpacked once for all tokens.
static inline __attribute__((always_inline))
void nm512_row(const pith_sparse *d, const uint8_t *w, int64_t r, const pith_sact *a, float *out,
               const int int4, const int m, const int gmode, const int nt) {
    const int64_t kept = d->cols / 2, i0 = r * kept;
    const int ib = m == 8 ? 3 : 2;
    const uint8_t *idx = w + d->positions + r * d->position_row_bytes;
    const uint8_t *val = w + d->value_offset + (int4 ? i0 / 2 : i0);
    const uint8_t *sc = w + d->scales;
    // gmode: 0 one scale per row (applied at the end), 32 groups of 32 (two scales per step, converted together),
    // −1 any other multiple of 32.
    const int64_t g = d->group;
    const __m512i pairlanes = _mm512_setr_epi32(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1);
    // Group base of kept value k in a step: M·⌊k/N⌋ = 2k rounded down to a multiple of M (N = M/2).
    const __m512i iota = _mm512_loadu_si512((const void *)iota64);
    const __m512i base = _mm512_slli_epi16(_mm512_and_si512(iota, _mm512_set1_epi8((char)(m == 8 ? 0xFC : 0xFE))), 1);
    const __m512i zp = _mm512_set1_epi8((char)(int4 ? 8 : 0x80));
    __m512 acc[8];
    for (int t = 0; t < nt; t++) acc[t] = _mm512_setzero_ps();
    // The group of the step's first value and its position in it, advanced per step (no division in the loop).
    int64_t gi = g > 0 ? i0 / g : 0, rem = g > 0 ? i0 % g : 0;
    for (int64_t k = 0; k < kept; k += 64) {
        const int full = kept - k >= 64;
        const __mmask64 lanes = full ? ~(__mmask64)0 : (__mmask64)0xFFFFFFFFu;
        __m512i ctrl, q;
        if (full) {
            ctrl = m == 4 ? nm4_control(idx + k / 32 * 4 * ib, base)
                          : _mm512_add_epi8(pith_unpack_pair512(idx + k / 32 * 4 * ib, ib), base);
            q = int4 ? pith_unpack_pair512(val + k / 2, 4)
                     : _mm512_xor_si512(_mm512_loadu_si512((const void *)(val + k)), zp);
        } else {  // the last 32 kept values of a row: one sub-block, loads stay inside the row
            ctrl = _mm512_add_epi8(_mm512_zextsi256_si512(pith_unpack_sub256(idx + k / 32 * 4 * ib, ib)), base);
            q = int4 ? _mm512_zextsi256_si512(pith_unpack_sub256(val + k / 2, 4))
                     : _mm512_xor_si512(_mm512_maskz_loadu_epi8(lanes, val + k), zp);
        }
        __m512 ws = _mm512_set1_ps(1.0f);
        if (gmode == 32) {  // scales gi, gi + 1 for lanes 0–7, 8–15 (a tail step reads only the first)
            const uint32_t pair = full ? pith_sp_u32(sc + 2 * gi) : (uint32_t)(sc[2 * gi] | sc[2 * gi + 1] << 8);
            ws = _mm512_permutexvar_ps(pairlanes, _mm512_castps128_ps512(_mm_cvtph_ps(_mm_cvtsi32_si128((int)pair))));
            gi += 2;
        } else if (gmode < 0) {
            // Lanes 0–7 are in group gi; lanes 8–15 in gi or, when the group ends half-way, gi + 1.
            const float s0 = pith_sp_f16(sc + 2 * gi);
            const float s1 = full && rem + 32 >= g ? pith_sp_f16(sc + 2 * (gi + 1)) : s0;
            ws = _mm512_mask_blend_ps((__mmask16)0xFF00, _mm512_set1_ps(s0), _mm512_set1_ps(s1));
            for (rem += 64; rem >= g; rem -= g) gi++;
        }
        for (int t = 0; t < nt; t++) {
            const int8_t *xq = a[t].qs + 2 * k;
            const __m512i xg = _mm512_maskz_permutex2var_epi8(lanes, _mm512_loadu_si512((const void *)xq), ctrl,
                                                              _mm512_loadu_si512((const void *)(xq + 64)));
            const __m512i isum = _mm512_sub_epi32(_mm512_dpbusd_epi32(_mm512_setzero_si512(), q, xg),
                                                  _mm512_dpbusd_epi32(_mm512_setzero_si512(), zp, xg));
            const __m512 dx = _mm512_loadu_ps(a[t].dexp4 + k / 4);
            acc[t] = _mm512_fmadd_ps(_mm512_cvtepi32_ps(isum), gmode == 0 ? dx : _mm512_mul_ps(dx, ws), acc[t]);
        }
    }
    const float rs = gmode == 0 ? pith_sp_f16(sc + 2 * r) : 1.0f;
    for (int t = 0; t < nt; t++) out[t] = _mm512_reduce_add_ps(acc[t]) * rs;
}

// Rows [r0, r1) × all tokens, four tokens per pass over a row, then one at a time.
static inline __attribute__((always_inline))
void nm512_rows(const pith_sparse *d, const uint8_t *w, int64_t r0, int64_t r1, const pith_sact *acts,
                int64_t tokens, float *y, int64_t ystride, const int int4, const int m, const int gmode) {
    for (int64_t r = r0; r < r1; r++) {
        int64_t t = 0;
        float out[4];
        for (; t + 4 <= tokens; t += 4) {
            nm512_row(d, w, r, acts + t, out, int4, m, gmode, 4);
            for (int k = 0; k < 4; k++) y[(t + k) * ystride + r] = out[k];
        }
        for (; t < tokens; t++) {
            nm512_row(d, w, r, acts + t, out, int4, m, gmode, 1);
            y[t * ystride + r] = out[0];
        }
    }
}

// One function per (value format, M, scale grouping); the grouping picked from the descriptor.
#define NM_512(NAME, INT4, M) \
    static void NAME(const pith_sparse *d, const uint8_t *w, int64_t r0, int64_t r1, const pith_sact *a, \
                     int64_t tokens, float *y, int64_t ystride) { \
        if (d->group == 0) nm512_rows(d, w, r0, r1, a, tokens, y, ystride, INT4, M, 0); \
        else if (d->group == 32) nm512_rows(d, w, r0, r1, a, tokens, y, ystride, INT4, M, 32); \
        else nm512_rows(d, w, r0, r1, a, tokens, y, ystride, INT4, M, -1); \
    }
NM_512(nm512_int4_m4, 1, 4) NM_512(nm512_int4_m8, 1, 8) NM_512(nm512_int8_m4, 0, 4) NM_512(nm512_int8_m8, 0, 8)

#endif

// MARK: - Selection

pith_srows_fn pith_srows_nm(const pith_sparse *d, int level) {
    switch (level) {
    case PITH_SPLEVEL_SCALAR:
        return nm_rows_scalar;
#if defined(PITH_SP_AVX512)
    case PITH_SPLEVEL_AVX512:
        if (d->values == PITH_SV_INT4) return d->m == 8 ? nm512_int4_m8 : nm512_int4_m4;
        return d->m == 8 ? nm512_int8_m8 : nm512_int8_m4;
#endif
    default:
        return NULL;
    }
}
