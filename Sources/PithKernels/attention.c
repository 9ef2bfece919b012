// Attention for one layer over a KV cache: softmax(q·Kᵀ·scale + mask) · V per (token, head),
// with grouped KV heads (head h reads KV head h / (nHeads / nKVHeads)). Pairs are split over threads.
#include "pith_kernels.h"
#include "internal.h"
#include "dense.h"
#include <stdlib.h>

typedef struct {
    const float *q, *k, *v, *mask; float *out;
    int64_t tokens, kvLength, nHeads, nKVHeads, headDim; int causal; float scale;
} attention_job;

static void attend_one(const attention_job *j, int64_t t, int64_t h, float *scores) {
    const int64_t group = j->nHeads / j->nKVHeads, kvh = h / group;
    const int64_t kvStride = j->nKVHeads * j->headDim, hd = j->headDim;
    const int64_t pos = j->kvLength - j->tokens + t;  // absolute position of query t
    const int64_t limit = j->causal ? (pos + 1 < j->kvLength ? pos + 1 : j->kvLength) : j->kvLength;
    const float *q = j->q + (t * j->nHeads + h) * hd;
    float *out = j->out + (t * j->nHeads + h) * hd;
    const float *maskRow = j->mask ? j->mask + t * j->kvLength : NULL;

    float maxScore = -INFINITY;
    for (int64_t p = 0; p < limit; p++) {
        float s = pith_dot_f32(j->k + p * kvStride + kvh * hd, q, hd) * j->scale;
        if (maskRow) s += maskRow[p];
        scores[p] = s;
        maxScore = s > maxScore ? s : maxScore;
    }
    for (int64_t d = 0; d < hd; d++) out[d] = 0;
    if (limit <= 0 || maxScore == -INFINITY) return;  // every key masked: output zeros, not NaN
    float sum = 0;
    for (int64_t p = 0; p < limit; p++) { scores[p] = pith_expf(scores[p] - maxScore); sum += scores[p]; }
    const float inv = 1.0f / sum;
    for (int64_t p = 0; p < limit; p++) {
        const float w = scores[p] * inv;
        const float *vp = j->v + p * kvStride + kvh * hd;
        for (int64_t d = 0; d < hd; d++) out[d] += w * vp[d];
    }
}

static void attention_part(void *ctx, int part, int parts) {
    const attention_job *j = ctx;
    const int64_t pairs = j->tokens * j->nHeads;
    const int64_t p0 = pairs * part / parts, p1 = pairs * (part + 1) / parts;
    if (p1 <= p0) return;
    float *scores = pith_scratch(2, (size_t)j->kvLength * sizeof(float) + 64);
    if (!scores) abort();
    for (int64_t i = p0; i < p1; i++) attend_one(j, i / j->nHeads, i % j->nHeads, scores);
}

void pith_attention(pith_pool *pool, const float *q, const float *k, const float *v, int64_t tokens,
                    int64_t kvLength, int64_t nHeads, int64_t nKVHeads, int64_t headDim, int causal,
                    float scale, const float *mask, float *out) {
    if (tokens <= 0 || nHeads <= 0) return;
    attention_job job = { q, k, v, mask, out, tokens, kvLength, nHeads, nKVHeads, headDim, causal, scale };
    // Under ~32K multiply-adds the work (~5 µs) is not worth a dispatch to the second thread.
    if (tokens * nHeads * kvLength * headDim < (1 << 15)) { attention_part(&job, 0, 1); return; }
    pith_pool_run(pool, attention_part, &job);
}
