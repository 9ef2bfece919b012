// Rotary position embedding, in place on (tokens, heads, headDim).
// Interleaved (ggml "normal", used for llama GGUFs, whose converter permutes q/k): pairs (2i, 2i+1).
// Half-split (NeoX, Hugging Face Llama): pairs (i, i + rotaryDims/2). Both rotate pair i by
// θ_i = pos · base^(-2i/rotaryDims); dimensions past rotaryDims are left alone.
#include "pith_kernels.h"
#include "internal.h"

void pith_rope(float *x, int64_t tokens, int64_t heads, int64_t headDim, int64_t rotaryDims,
               const int32_t *positions, float base, int halfSplit) {
    const int64_t half = rotaryDims / 2;
    float cosv[512], sinv[512];  // headDim ≤ 1024 in every model we run; larger falls back per pair
    for (int64_t t = 0; t < tokens; t++) {
        const double pos = (double)positions[t];
        const int cached = half <= 512;
        if (cached)
            for (int64_t i = 0; i < half; i++) {
                // double for the angle: pos·θ reaches 1e5 radians at long contexts, where f32 loses digits
                const double angle = pos * pow((double)base, -2.0 * (double)i / (double)rotaryDims);
                cosv[i] = (float)cos(angle); sinv[i] = (float)sin(angle);
            }
        for (int64_t h = 0; h < heads; h++) {
            float *v = x + (t * heads + h) * headDim;
            for (int64_t i = 0; i < half; i++) {
                float c, s;
                if (cached) { c = cosv[i]; s = sinv[i]; }
                else {
                    const double angle = pos * pow((double)base, -2.0 * (double)i / (double)rotaryDims);
                    c = (float)cos(angle); s = (float)sin(angle);
                }
                const int64_t a = halfSplit ? i : 2 * i, b = halfSplit ? i + half : 2 * i + 1;
                const float x0 = v[a], x1 = v[b];
                v[a] = x0 * c - x1 * s;
                v[b] = x0 * s + x1 * c;
            }
        }
    }
}
