// SIMD unpacking of int sub-blocks (QuantScheme bit planes) into 32 codes per sub-block, natural order (internal).
//
// A sub-block is 32 codes in 4·bits bytes, planes low bits first: a 4-bit plane (16 bytes: byte j holds q[j] in
// its low nibble, q[j+16] in its high one), a 2-bit plane (8 bytes: byte j holds q[j+8k] in bits 2k…2k+1), a 1-bit
// plane (a little-endian u32, bit j is q[j]'s); 8 bits is one plane of signed bytes q − 128.
// Planes by bits: 2:[2] 3:[2,1] 4:[4] 5:[4,1] 6:[4,2] 7:[4,2,1] 8:[8]. `bits` is a constant wherever these are
// inlined, so each instantiation keeps only its own planes.
#pragma once
#include "qweight.h"

#if defined(PITH_Q_AVX2)

/// (32) u8 codes of one sub-block at p. 8 bits: the code q (stored byte ^ 0x80).
static inline __m256i pith_unpack_sub256(const uint8_t *p, const int bits) {
    if (bits == 8) return _mm256_xor_si256(_mm256_loadu_si256((const __m256i *)p), _mm256_set1_epi8((char)0x80));
    __m256i q = _mm256_setzero_si256();
    int shift = 0;
    if (bits >= 4) {
        const __m128i v = _mm_loadu_si128((const __m128i *)p);
        q = _mm256_and_si256(_mm256_set_m128i(_mm_srli_epi16(v, 4), v), _mm256_set1_epi8(0x0F));
        p += 16; shift = 4;
    }
    if (bits & 2) {
        uint64_t u; memcpy(&u, p, 8);
        // qword k of the broadcast, shifted right by 2k, holds elements 8k…8k+7 in its bytes' low 2 bits
        const __m256i t = _mm256_and_si256(_mm256_srlv_epi64(_mm256_set1_epi64x((long long)u), _mm256_setr_epi64x(0, 2, 4, 6)),
                                           _mm256_set1_epi8(3));
        q = _mm256_or_si256(q, _mm256_slli_epi16(t, shift));  // values ≤ 3 << 4: the shift stays inside each byte
        p += 8; shift += 2;
    }
    if (bits & 1) {
        uint32_t u; memcpy(&u, p, 4);
#if defined(__AVX512BW__) && defined(__AVX512VL__)
        q = _mm256_mask_add_epi8(q, (__mmask32)u, q, _mm256_set1_epi8((char)(1 << shift)));
#else
        // byte j takes byte j/8 of the word, then tests its bit j%8
        const __m256i bytes = _mm256_shuffle_epi8(_mm256_set1_epi32((int)u),
            _mm256_setr_epi8(0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 3, 3, 3, 3, 3, 3, 3, 3));
        const __m256i sel = _mm256_set1_epi64x((long long)0x8040201008040201ULL);
        const __m256i set = _mm256_cmpeq_epi8(_mm256_and_si256(bytes, sel), sel);
        q = _mm256_or_si256(q, _mm256_and_si256(set, _mm256_set1_epi8((char)(1 << shift))));
#endif
    }
    return q;
}

#endif

#if defined(PITH_Q_AVX512)

/// (64) u8 codes of two consecutive sub-blocks at p (sub-block stride 4·bits bytes): lanes 0…31 the first.
static inline __m512i pith_unpack_pair512(const uint8_t *p, const int bits) {
    const int sb = 4 * bits;
    if (bits == 8) return _mm512_xor_si512(_mm512_loadu_si512((const void *)p), _mm512_set1_epi8((char)0x80));
    __m512i q = _mm512_setzero_si512();
    int off = 0, shift = 0;
    if (bits >= 4) {
        // 128-bit lanes [A A B B], the second of each pair shifted by 4: low nibbles then high nibbles
        __m256i v;
        if (sb == 16) v = _mm256_loadu_si256((const __m256i *)p);
        else v = _mm256_inserti128_si256(_mm256_castsi128_si256(_mm_loadu_si128((const __m128i *)p)),
                                         _mm_loadu_si128((const __m128i *)(p + sb)), 1);
        const __m512i w = _mm512_castsi256_si512(v);
        q = _mm512_and_si512(_mm512_srlv_epi64(_mm512_shuffle_i64x2(w, w, 0x50), _mm512_setr_epi64(0, 0, 4, 4, 0, 0, 4, 4)),
                             _mm512_set1_epi8(0x0F));
        off = 16; shift = 4;
    }
    if (bits & 2) {
        uint64_t u0, u1;
        memcpy(&u0, p + off, 8);
        memcpy(&u1, p + sb + off, 8);
        const __m512i w = _mm512_inserti64x4(_mm512_castsi256_si512(_mm256_set1_epi64x((long long)u0)),
                                             _mm256_set1_epi64x((long long)u1), 1);
        const __m512i t = _mm512_and_si512(_mm512_srlv_epi64(w, _mm512_setr_epi64(0, 2, 4, 6, 0, 2, 4, 6)), _mm512_set1_epi8(3));
        q = shift ? _mm512_or_si512(q, _mm512_slli_epi16(t, shift)) : t;
        off += 8; shift += 2;
    }
    if (bits & 1) {
        uint32_t b0, b1;
        memcpy(&b0, p + off, 4);
        memcpy(&b1, p + sb + off, 4);
        q = _mm512_mask_add_epi8(q, _cvtu64_mask64((uint64_t)b0 | (uint64_t)b1 << 32), q, _mm512_set1_epi8((char)(1 << shift)));
    }
    return q;
}

#endif
