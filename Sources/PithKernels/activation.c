// Elementwise activations and arithmetic. SiLU and GELU use branch-free exp/erf so the loops vectorize;
// GELU also splits large inputs over the pool (an encoder batch is ~10⁶ elements per layer).
#include "pith_kernels.h"
#include "internal.h"
#include <math.h>

void pith_silu(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + pith_expf(-x[i]));
}

// erf by Abramowitz & Stegun 7.1.26: |error| < 1.5e-7, branch-free (libm's erff took 12% of a MiniLM batch).
static inline float pith_erff(float x) {
    const float a = fabsf(x);
    const float t = 1.0f / (1.0f + 0.3275911f * a);
    const float poly = t * (0.254829592f + t * (-0.284496736f + t * (1.421413741f + t * (-1.453152027f + t * 1.061405429f))));
    return copysignf(1.0f - poly * pith_expf(-a * a), x);
}

static void gelu_range(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + pith_erff(x[i] * 0.70710678118654752f));
}

typedef struct { float *x; int64_t n; } gelu_job;

static void gelu_part(void *ctx, int part, int parts) {
    const gelu_job *j = ctx;
    const int64_t start = j->n * part / parts, end = j->n * (part + 1) / parts;
    gelu_range(j->x + start, end - start);
}

void pith_gelu_pool(pith_pool *pool, float *x, int64_t n) {
    gelu_job job = { x, n };
    if (!pool || n < (1 << 15)) { gelu_range(x, n); return; }
    pith_pool_run(pool, gelu_part, &job);
}

void pith_gelu(float *x, int64_t n) { gelu_range(x, n); }

void pith_swiglu(const float *gate, const float *up, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++) out[i] = gate[i] / (1.0f + pith_expf(-gate[i])) * up[i];
}

void pith_add(const float *a, const float *b, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++) out[i] = a[i] + b[i];
}

void pith_mul(const float *a, const float *b, int64_t n, float *out) {
    for (int64_t i = 0; i < n; i++) out[i] = a[i] * b[i];
}

void pith_add_bias(const float *bias, float *out, int64_t rows, int64_t tokens) {
    for (int64_t t = 0; t < tokens; t++)
        for (int64_t r = 0; r < rows; r++) out[t * rows + r] += bias[r];
}

float pith_sum_f32(const float *x, int64_t n) {
    float lanes[64] = {0}, sum = 0;  // 4 vectors of 16: enough loads in flight to saturate memory
    int64_t i = 0;
    for (; i + 64 <= n; i += 64)
        for (int j = 0; j < 64; j++) lanes[j] += x[i + j];
    for (int j = 0; j < 64; j++) sum += lanes[j];
    for (; i < n; i++) sum += x[i];
    return sum;
}
