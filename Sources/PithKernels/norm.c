// Row normalizations: RMSNorm (Llama), LayerNorm (BERT), softmax. Row statistics in f32 with 16
// independent partial sums, so the loops vectorize without -ffast-math.
#include "pith_kernels.h"
#include "internal.h"

static float row_sum(const float *x, int64_t n) {
    float lanes[16] = {0}, sum = 0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) lanes[j] += x[i + j];
    for (int j = 0; j < 16; j++) sum += lanes[j];
    for (; i < n; i++) sum += x[i];
    return sum;
}

static float row_sum_squares(const float *x, float mean, int64_t n) {
    float lanes[16] = {0}, sum = 0;
    int64_t i = 0;
    for (; i + 16 <= n; i += 16)
        for (int j = 0; j < 16; j++) { const float d = x[i + j] - mean; lanes[j] += d * d; }
    for (int j = 0; j < 16; j++) sum += lanes[j];
    for (; i < n; i++) { const float d = x[i] - mean; sum += d * d; }
    return sum;
}

void pith_rms_norm(const float *x, const float *w, float eps, int64_t rows, int64_t cols, float *out) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *o = out + r * cols;
        const float inv = 1.0f / sqrtf(row_sum_squares(xr, 0, cols) / (float)cols + eps);
        for (int64_t i = 0; i < cols; i++) o[i] = xr[i] * inv * w[i];
    }
}

void pith_layer_norm(const float *x, const float *w, const float *b, float eps, int64_t rows, int64_t cols, float *out) {
    for (int64_t r = 0; r < rows; r++) {
        const float *xr = x + r * cols;
        float *o = out + r * cols;
        const float mean = row_sum(xr, cols) / (float)cols;
        const float inv = 1.0f / sqrtf(row_sum_squares(xr, mean, cols) / (float)cols + eps);
        for (int64_t i = 0; i < cols; i++) {
            float v = (xr[i] - mean) * inv;
            if (w) v *= w[i];
            if (b) v += b[i];
            o[i] = v;
        }
    }
}

void pith_softmax(float *x, int64_t rows, int64_t cols) {
    for (int64_t r = 0; r < rows; r++) {
        float *xr = x + r * cols;
        float m = -INFINITY;
        for (int64_t i = 0; i < cols; i++) m = xr[i] > m ? xr[i] : m;
        if (m == -INFINITY) { for (int64_t i = 0; i < cols; i++) xr[i] = 0; continue; }  // all masked
        for (int64_t i = 0; i < cols; i++) xr[i] = pith_expf(xr[i] - m);
        const float inv = 1.0f / row_sum(xr, cols);
        for (int64_t i = 0; i < cols; i++) xr[i] *= inv;
    }
}
