// Every SIMD level of the pith_qweight kernels against the portable C path, in builds for other machines.
//
// The Swift tests (Tests/PithTensorTests/QuantizedKernelTests.swift) check the portable path, and every level this
// machine's build compiles, against the Swift reference. A build for an older target (x86-64-v3: AVX2 only; x86-64:
// scalar only) compiles different code — AVX2 without AVX-512's mask instructions — that those tests never run here.
// This harness, built at each target by kernel-levels.sh, runs the threaded driver and every compiled level on random
// weights of every layout and compares each with the portable kernels (same activations: decode results agree to
// f32 rounding) and the dequantizer (prefill). Exit status 1 on any mismatch.
#include "pith_kernels.h"
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static uint64_t state = 88172645463325252ULL;
static uint64_t next(void) { state ^= state << 13; state ^= state >> 7; state ^= state << 17; return state; }
static float uniform(void) { return (float)((next() >> 40) * (1.0 / 16777216.0)) * 2 - 1; }

// Random codes, then finite scales where the layout keeps them.
static void fill(const pith_qweight *d, uint8_t *w, int64_t bytes) {
    for (int64_t i = 0; i < bytes; i++) w[i] = (uint8_t)next();
    const int64_t groups = d->rows * d->cols / d->group;
    if (d->format == PITH_QF_INT) {
        const int64_t gb = (d->symmetric ? 2 : 4) + d->group / 32 * 4 * d->bits;
        for (int64_t g = 0; g < groups; g++) {
            uint16_t h = pith_f32_to_f16(0.01f * (1.5f + uniform()));
            memcpy(w + g * gb, &h, 2);
            h = pith_f32_to_f16(-0.05f * (1.5f + uniform()));
            if (!d->symmetric) memcpy(w + g * gb + 2, &h, 2);
        }
    } else if (d->format == PITH_QF_FP8) {
        for (int64_t g = 0; g < groups; g++) { const float s = 0.001f * (1.5f + uniform()); memcpy(w + g * (4 + d->group), &s, 4); }
    } else {
        const int64_t n = d->rows * d->cols, blocks = n / d->group;
        uint8_t *p = w + n / 2;
        if (!d->double_quant) {
            for (int64_t b = 0; b < blocks; b++) { const float s = 0.1f * (1.5f + uniform()); memcpy(p + 4 * b, &s, 4); }
        } else {
            const int64_t sets = (blocks + 255) / 256;
            for (int64_t g = 0; g <= sets; g++) { const float s = 0.05f; memcpy(p + blocks + 4 * g, &s, 4); }
        }
    }
}

int main(void) {
    static const struct { int format, bits, group, symmetric, dq, act; int64_t rows, cols; float threshold; } cases[] = {
        {0, 2, 64, 1, 0, 0, 37, 576}, {0, 3, 64, 0, 0, 0, 37, 576}, {0, 4, 64, 0, 0, 0, 37, 576}, {0, 4, 128, 1, 0, 0, 5, 1536},
        {0, 5, 32, 0, 0, 0, 7, 96}, {0, 6, 96, 1, 0, 0, 3, 576}, {0, 7, 576, 0, 0, 0, 9, 576}, {0, 8, 64, 1, 0, 0, 11, 192},
        {0, 8, 64, 0, 0, 0, 11, 192}, {0, 3, 32, 1, 0, 0, 4, 64}, {0, 2, 96, 0, 0, 0, 17, 96},
        {1, 4, 64, 1, 0, 0, 9, 576}, {1, 4, 64, 1, 1, 0, 9, 576}, {2, 4, 64, 1, 1, 0, 2, 96}, {2, 4, 64, 1, 0, 0, 4, 16},
        {3, 8, 32, 1, 0, 0, 5, 96}, {3, 8, 576, 1, 0, 0, 5, 576},
        {0, 8, 576, 1, 0, 8, 13, 576}, {0, 8, 32, 1, 0, 8, 13, 96}, {0, 8, 96, 1, 0, 8, 13, 576},
        // LLM.int8(): x has planted columns up to ±10 (below), a few of which exceed the threshold in some token
        {0, 8, 576, 1, 0, 8, 13, 576, 6.0f}, {0, 8, 32, 1, 0, 8, 13, 96, 6.0f}, {0, 8, 96, 1, 0, 8, 13, 576, 6.0f},
    };
    pith_pool *pool = pith_pool_create(2);
    const int best = pith_qkernel_level();
    int failures = 0, checks = 0;
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        const pith_qweight d = { cases[c].format, cases[c].bits, cases[c].group, cases[c].symmetric, cases[c].dq,
                                 cases[c].act, cases[c].rows, cases[c].cols, cases[c].threshold };
        const int64_t bytes = pith_qweight_bytes(&d);
        if (bytes < 0) { printf("case %zu: invalid descriptor\n", c); failures++; continue; }
        uint8_t *w = malloc((size_t)bytes);  // exact size: AddressSanitizer sees any read past the weight
        fill(&d, w, bytes);
        float *deq = malloc(sizeof(float) * (size_t)(d.rows * d.cols));
        pith_qdequantize_rows(&d, w, 0, d.rows, deq);
        float *deq0 = malloc(sizeof(float) * (size_t)(d.rows * d.cols));
        pith_qdequantize_rows_level(&d, w, 0, d.rows, deq0, 0);
        if (memcmp(deq, deq0, sizeof(float) * (size_t)(d.rows * d.cols)) != 0) { printf("case %zu: SIMD dequantization differs\n", c); failures++; }
        for (int tokens = 1; tokens <= 25; tokens += 8) {
            float *x = malloc(sizeof(float) * (size_t)(tokens * d.cols));
            for (int64_t i = 0; i < tokens * d.cols; i++) x[i] = uniform() * (d.outlier_threshold > 0 && i % d.cols % 29 == 5 ? 10 : 1);
            float *portable = malloc(sizeof(float) * (size_t)(tokens * d.rows)), *y = malloc(sizeof(float) * (size_t)(tokens * d.rows));
            pith_qlinear_rows(&d, w, 0, d.rows, x, tokens, portable, d.rows, 0);
            for (int level = -1; level <= best; level++) {  // -1: the threaded driver
                if (level == -1) pith_qlinear(pool, &d, w, x, tokens, y);
                else if (!pith_qlinear_rows(&d, w, 0, d.rows, x, tokens, y, d.rows, level)) { printf("level %d missing\n", level); failures++; continue; }
                // Decode levels see the same quantized activations as the portable path: equal to f32 rounding of
                // Σ|w·x|. The driver's prefill (SGEMM on f32 x) is held to the activation rounding as well.
                const int prefill = level == -1 && !d.act_bits && tokens > (d.format == PITH_QF_INT ? 16 : 8);
                for (int t = 0; t < tokens; t++) {
                    for (int64_t r = 0; r < d.rows; r++) {
                        double mag = 0;
                        for (int64_t j = 0; j < d.cols; j++) mag += fabs((double)deq[r * d.cols + j] * x[t * d.cols + j]);
                        const double err = fabs((double)y[t * d.rows + r] - portable[t * d.rows + r]);
                        const double budget = (prefill ? 2e-2 : 1e-5) * mag + 1e-6;
                        checks++;
                        if (!(err <= budget)) {
                            if (failures < 20) printf("case %zu (format %d, %d bits, group %d) tokens %d level %d row %lld: %g vs %g\n",
                                                      c, d.format, d.bits, d.group, tokens, level, (long long)r,
                                                      y[t * d.rows + r], portable[t * d.rows + r]);
                            failures++;
                        }
                    }
                }
            }
            free(x); free(portable); free(y);
        }
        free(w); free(deq); free(deq0);
    }
    printf("kernel levels 0…%d: %d checks, %d failures\n", best, checks, failures);
    return failures != 0;
}
