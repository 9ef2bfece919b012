// Quantized activations and the per-row dot kernels over them (internal).
#pragma once
#include <stddef.h>
#include <stdint.h>

/// One row of x (cols) quantized to 8-bit blocks of 32: nb blocks, padded with zero blocks to a
/// multiple of 4. qs in natural order, or grouped (see pith_act_quantize) for the 4-bit kernels.
typedef struct {
    int8_t *qs;
    float *d;   // per-block scale
    float *s;   // per-block d·Σq, for the weights' offset terms
    int64_t nb;
} pith_act;

/// Bytes pith_act_quantize needs for one row of `cols`.
size_t pith_act_bytes(int64_t cols);
/// Quantizes x (cols) into `memory` (64-byte aligned, pith_act_bytes(cols) bytes).
pith_act pith_act_quantize(const float *x, int64_t cols, int grouped, void *memory);

/// Whether the 4-bit kernels want the grouped activation layout (they do when built with AVX-512BW).
int pith_q4_grouped(void);

/// W[row]·x for one row of blocks.
float pith_dot_q4_0(const void *row, const pith_act *x);
float pith_dot_q4_1(const void *row, const pith_act *x);
float pith_dot_q8_0(const void *row, const pith_act *x);
