// Activations are quantized once per linear call to 8-bit blocks of 32 (like ggml's Q8_0/Q8_1, but
// the scale and the block sum d·Σq stay f32), so the weight loop runs on integer dot products.
// Error budget: rounding x to 8 bits costs at most d/2 = max|x|/254 per element.
#include "pith_kernels.h"
#include "internal.h"
#include "quant.h"

static inline void quantize_block(const float *x, int8_t *q, float *d_out, float *s_out) {
    float amax = 0;
    for (int j = 0; j < PITH_QK; j++) amax = fmaxf(amax, fabsf(x[j]));
    const float d = amax / 127.0f;
    const float id = d != 0 ? 1.0f / d : 0.0f;
    int sum = 0;
    for (int j = 0; j < PITH_QK; j++) {
        const int v = (int)lrintf(x[j] * id);
        q[j] = (int8_t)v;
        sum += v;
    }
    *d_out = d;
    *s_out = d * (float)sum;
}

void pith_quantize_q8(const float *x, int64_t n, int8_t *qs, float *d, float *s) {
    for (int64_t b = 0; b < n / PITH_QK; b++)
        quantize_block(x + b * PITH_QK, qs + b * PITH_QK, d + b, s + b);
}

size_t pith_act_bytes(int64_t cols) {
    const int64_t nbpad = (cols / PITH_QK + 3) / 4 * 4;
    return (size_t)(nbpad * PITH_QK + 2 * nbpad * (int64_t)sizeof(float));
}

pith_act pith_act_quantize(const float *x, int64_t cols, int grouped, void *memory) {
    pith_act a;
    a.nb = cols / PITH_QK;
    const int64_t nbpad = (a.nb + 3) / 4 * 4;
    a.qs = (int8_t *)memory;
    a.d = (float *)(a.qs + nbpad * PITH_QK);
    a.s = a.d + nbpad;
    int8_t tmp[PITH_QK];
    // Zero padding up to a whole group of 4 blocks. The whole last group is cleared first: in the
    // grouped layout a pad block's bytes interleave with the real blocks of its group.
    if (nbpad > a.nb) memset(a.qs + (nbpad - 4) * PITH_QK, 0, 4 * PITH_QK);
    for (int64_t b = a.nb; b < nbpad; b++) { a.d[b] = 0; a.s[b] = 0; }
    for (int64_t b = 0; b < a.nb; b++) {
        if (!grouped) { quantize_block(x + b * PITH_QK, a.qs + b * PITH_QK, a.d + b, a.s + b); continue; }
        // Grouped layout for 4-bit weights: per 4 blocks, 4×16 low halves then 4×16 high halves, the
        // order in which 4 blocks' nibbles unpack into one 512-bit register (see dot_q4.c).
        quantize_block(x + b * PITH_QK, tmp, a.d + b, a.s + b);
        int8_t *g = a.qs + (b / 4) * 128 + (b % 4) * 16;
        memcpy(g, tmp, 16);
        memcpy(g + 64, tmp + 16, 16);
    }
    return a;
}
