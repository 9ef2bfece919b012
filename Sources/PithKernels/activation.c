// Elementwise activations and arithmetic. SiLU uses the branch-free pith_expf so the loop vectorizes;
// GELU uses libm's erff (BERT-sized use, not on the decoder's hot path).
#include "pith_kernels.h"
#include "internal.h"

void pith_silu(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = x[i] / (1.0f + pith_expf(-x[i]));
}

void pith_gelu(float *x, int64_t n) {
    for (int64_t i = 0; i < n; i++) x[i] = 0.5f * x[i] * (1.0f + erff(x[i] * 0.70710678118654752f));
}

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
