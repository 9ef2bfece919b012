// Helpers shared by the kernel files (not part of the public header).
#pragma once
#include <math.h>
#include <stdint.h>
#include <string.h>
#if defined(__x86_64__) || defined(__i386__)
#include <immintrin.h>
#endif

#define PITH_QK 32  // elements per block for every block type we run (ggml QK4_0 = QK4_1 = QK8_0 = 32)

// MARK: - Block layouts (ggml-common.h: block_q8_0, block_q4_0, block_q4_1)

typedef struct { uint16_t d; int8_t qs[32]; } pith_block_q8_0;            // value = q·d
typedef struct { uint16_t d; uint8_t qs[16]; } pith_block_q4_0;           // low nibble j, high j+16; (q-8)·d
typedef struct { uint16_t d; uint16_t m; uint8_t qs[16]; } pith_block_q4_1;  // q·d + m
_Static_assert(sizeof(pith_block_q8_0) == 34, "q8_0 block");
_Static_assert(sizeof(pith_block_q4_0) == 18, "q4_0 block");
_Static_assert(sizeof(pith_block_q4_1) == 20, "q4_1 block");

// MARK: - Half precision

static inline float pith_h2f(uint16_t h) {
#if defined(__F16C__)
    return _cvtsh_ss(h);
#else
    uint32_t sign = (uint32_t)(h & 0x8000) << 16, exp = (h >> 10) & 0x1f, man = h & 0x3ff, bits;
    if (exp == 0) {
        if (man == 0) { bits = sign; }
        else {  // subnormal: renormalize
            exp = 127 - 15 + 1;
            while (!(man & 0x400)) { man <<= 1; exp--; }
            bits = sign | (exp << 23) | ((man & 0x3ff) << 13);
        }
    } else if (exp == 31) { bits = sign | 0x7f800000 | (man << 13); }
    else { bits = sign | ((exp + 127 - 15) << 23) | (man << 13); }
    float f; memcpy(&f, &bits, 4); return f;
#endif
}

static inline float pith_bf2f(uint16_t h) { uint32_t b = (uint32_t)h << 16; float f; memcpy(&f, &b, 4); return f; }

// MARK: - exp for activations

// exp(x) by range reduction x = n·ln2 + r, |r| ≤ ln2/2, and a degree-6 polynomial: relative error
// under 2e-7 on [-87, 88]; written branch-free so loops over it vectorize (libm's expf does not).
static inline float pith_expf(float x) {
    x = fminf(fmaxf(x, -87.0f), 88.0f);
    float n = floorf(x * 1.44269504088896341f + 0.5f);
    float r = x - n * 0.693145751953125f - n * 1.428606765330187e-06f;
    float p = 1.0f / 720;
    p = p * r + 1.0f / 120; p = p * r + 1.0f / 24; p = p * r + 1.0f / 6;
    p = p * r + 0.5f; p = p * r + 1.0f; p = p * r + 1.0f;
    int32_t e = ((int32_t)n + 127) << 23;
    float scale; memcpy(&scale, &e, 4);
    return p * scale;
}

// MARK: - Scratch

/// A per-thread growable buffer, 64-byte aligned, kept between calls (no allocation in steady state).
void *pith_scratch(int slot, size_t bytes);
