// y (tokens, rows) = x (tokens, cols) · Wᵀ for pith_qweight W: the driver that picks a kernel by format and tokens.
//
// tokens ≤ 16 (8 for the table formats: decode), or W8A8 at any count: the caller thread prepares every token's
// activation once (int: 8-bit per 32 values; W8A8: 8-bit per token, LLM.int8()'s outlier columns set apart first;
// tables: x as is), then row chunks are claimed by the pool's threads; a row is read from memory once and dotted with
// every token while it sits in L1. Which thread computes a row does not change its bits, so results do not depend on
// the pool.
// More tokens: each thread dequantizes tiles of its rows (fixed partition) and multiplies them with SGEMM.
#include "qweight.h"
#include "quant.h"
#include <cblas.h>
#include <stdatomic.h>
#include <stdlib.h>

// Above this many tokens, dequantize + SGEMM (as linear.c does for the ggml types). Measured on 1536×576, one
// thread (µs, decode kernels vs dequantize + SGEMM): int4-g64 at 8 tokens 154 vs 303, at 16 312 vs 420; nf4 at 8
// 223 vs 326, at 16 468 vs 438; fp8 at 16 589 vs 441. The table formats (one FMA per weight and token) cross over
// sooner than the integer ones (one byte-dot per four weights and token).
#ifndef PITH_QGEMM_MIN_TOKENS
#define PITH_QGEMM_MIN_TOKENS 16
#endif
#define PITH_QGEMM_MIN_TOKENS_TABLES 8
#define PITH_QGEMM_TILE_ROWS 128
// LLM.int8() above this many tokens: the outlier columns as one SGEMM after the int8 rows instead of a scalar term in
// every row. SmolLM2's late ffn_down inputs have 200–600 of their 1536 columns beyond 6 over a 512-token chunk.
#define PITH_LLMINT8_GEMM_MIN_TOKENS 16

static inline int64_t round64(int64_t n) { return (n + 63) / 64 * 64; }

// MARK: - Descriptor

int64_t pith_qweight_bytes(const pith_qweight *w) {
    if (!w || w->rows <= 0 || w->cols <= 0 || w->group <= 0 || w->group % 32 != 0) return -1;
    if (w->rows > INT32_MAX || w->cols > INT32_MAX) return -1;  // BLAS takes int dimensions
    int64_t n, bytes;
    if (__builtin_mul_overflow(w->rows, w->cols, &n)) return -1;
    switch (w->format) {
    case PITH_QF_INT:
        if (w->bits < 2 || w->bits > 8 || w->cols % w->group != 0 || w->double_quant) return -1;
        if (w->act_bits != 0 && (w->act_bits != 8 || w->bits != 8 || !w->symmetric)) return -1;
        if (w->outlier_threshold != 0 && (w->act_bits != 8 || !(w->outlier_threshold > 0) || isinf(w->outlier_threshold))) return -1;
        if (__builtin_mul_overflow(n / w->group, (int64_t)((w->symmetric ? 2 : 4) + w->group / 32 * 4 * w->bits), &bytes)) return -1;
        return bytes;
    case PITH_QF_FP8:
        if (w->bits != 8 || !w->symmetric || w->act_bits != 0 || w->outlier_threshold != 0 || w->double_quant || w->cols % w->group != 0) return -1;
        if (__builtin_mul_overflow(n / w->group, (int64_t)(4 + w->group), &bytes)) return -1;
        return bytes;
    case PITH_QF_NF4: case PITH_QF_FP4: {
        if (w->bits != 4 || !w->symmetric || w->act_bits != 0 || w->outlier_threshold != 0 || n % w->group != 0) return -1;
        const int64_t blocks = n / w->group;
        return n / 2 + (w->double_quant ? blocks + (blocks + 255) / 256 * 4 + 4 : blocks * 4);
    }
    default:
        return -1;
    }
}

int pith_qkernel_level(void) {
#if defined(PITH_Q_AVX512)
    return PITH_QLEVEL_AVX512;
#elif defined(PITH_Q_AVX2)
    return PITH_QLEVEL_AVX2;
#else
    return PITH_QLEVEL_SCALAR;
#endif
}

static pith_qrows_fn select_rows(const pith_qweight *desc, int level) {
    if (level < 0) level = pith_qkernel_level();
    if (desc->act_bits == 8) return pith_qrows_w8a8(desc, level);
    if (desc->format == PITH_QF_INT) return pith_qrows_int(desc, level);
    return pith_qrows_table(desc, level);
}

// MARK: - Activations

// LLM.int8()'s outlier columns of one call, shared by its tokens (the caller thread's scratch slot 3).
typedef struct {
    int64_t n;              // columns j with max_t |x[t,j]| > threshold
    const int32_t *idx;     // (n) those columns, ascending
    const int64_t *oscale;  // (n) byte offset in a row of column idx[k]'s group scale
    const int64_t *ocode;   // (n) byte offset in a row of its int8 code
    float *masked;          // (cols) one token's x with the outlier columns zeroed
} outliers;

// Bytes of one token's prepared activation.
static int64_t act_bytes(const pith_qweight *desc, int64_t nout) {
    const int64_t cols = desc->cols, ng = cols / desc->group;
    if (desc->act_bits == 8) return round64(cols + 64) + round64(ng * 4) + round64(nout * 4);
    if (desc->format != PITH_QF_INT) return 0;
    return round64((int64_t)pith_act_bytes(cols)) + round64(cols / 32 * 8 * 4) + round64(ng * 4);
}

// Finds the outlier columns of x (tokens, cols), or none when the descriptor has no threshold.
static outliers outliers_find(const pith_qweight *desc, const float *x, int64_t tokens) {
    outliers o = { 0, NULL, NULL, NULL, NULL };
    if (desc->act_bits != 8 || !(desc->outlier_threshold > 0)) return o;
    const int64_t cols = desc->cols, g = desc->group, gbytes = 2 + g;
    // [colmax: cols f32][masked: cols f32][idx: cols i32][oscale: cols i64][ocode: cols i64]
    uint8_t *mem = pith_scratch(3, (size_t)(2 * round64(cols * 4) + round64(cols * 4) + 2 * round64(cols * 8)));
    if (!mem) abort();
    float *colmax = (float *)mem;
    int32_t *idx = (int32_t *)(mem + 2 * round64(cols * 4));
    int64_t *oscale = (int64_t *)(mem + 3 * round64(cols * 4)), *ocode = oscale + round64(cols * 8) / 8;
    for (int64_t j = 0; j < cols; j++) colmax[j] = 0;
    for (int64_t t = 0; t < tokens; t++)
        for (int64_t j = 0; j < cols; j++) colmax[j] = fmaxf(colmax[j], fabsf(x[t * cols + j]));
    const float threshold = desc->outlier_threshold;
    for (int64_t j = 0; j < cols; j++) {
        if (!(colmax[j] > threshold)) continue;
        idx[o.n] = (int32_t)j;
        oscale[o.n] = j / g * gbytes;
        ocode[o.n] = j / g * gbytes + 2 + j % g;
        o.n++;
    }
    o.idx = idx; o.oscale = oscale; o.ocode = ocode;
    o.masked = (float *)(mem + round64(cols * 4));
    return o;
}

static void act_prepare(const pith_qweight *desc, const float *x, uint8_t *mem, pith_qact *a, const outliers *o) {
    memset(a, 0, sizeof *a);
    a->x = x;
    const int64_t cols = desc->cols, ng = cols / desc->group;
    if (desc->act_bits == 8) {
        int8_t *qs = (int8_t *)mem;
        int32_t *gqsum = (int32_t *)(mem + round64(cols + 64));
        const float *xq = x;
        if (o->n > 0) {
            float *ox = (float *)(mem + round64(cols + 64) + round64(ng * 4));
            memcpy(o->masked, x, (size_t)cols * sizeof(float));
            for (int64_t k = 0; k < o->n; k++) { ox[k] = x[o->idx[k]]; o->masked[o->idx[k]] = 0; }
            xq = o->masked;
            a->nout = o->n; a->oscale = o->oscale; a->ocode = o->ocode; a->ox = ox;
        }
        a->scale = pith_w8a8_quantize(xq, cols, desc->group, qs, gqsum);
        a->qs = qs;
        a->gqsum = gqsum;
        return;
    }
    if (desc->format != PITH_QF_INT) return;
    const pith_act act = pith_act_quantize(x, cols, 0, mem);
    float *dexp = (float *)(mem + round64((int64_t)pith_act_bytes(cols)));
    float *gsum = dexp + round64(cols / 32 * 8 * 4) / 4;
    for (int64_t b = 0; b < act.nb; b++)
        for (int l = 0; l < 8; l++) dexp[b * 8 + l] = act.d[b];
    const int64_t nsb = desc->group / 32;
    for (int64_t g = 0; g < ng; g++) {
        float s = 0;
        for (int64_t b = 0; b < nsb; b++) s += act.s[g * nsb + b];
        gsum[g] = s;
    }
    a->qs = act.qs; a->d = act.d; a->dexp = dexp; a->gsum = gsum;
}

// Every token's activation in the calling thread's scratch (slot 0); the pith_qact array follows the data.
// LLM.int8(): the outlier columns are found over all the tokens first (slot 3), then each token is prepared.
static pith_qact *acts_prepare(const pith_qweight *desc, const float *x, int64_t tokens) {
    const outliers o = outliers_find(desc, x, tokens);
    const int64_t one = act_bytes(desc, o.n);
    uint8_t *mem = pith_scratch(0, (size_t)(one * tokens) + sizeof(pith_qact) * (size_t)tokens);
    if (!mem) abort();
    pith_qact *acts = (pith_qact *)(mem + one * tokens);
    for (int64_t t = 0; t < tokens; t++) act_prepare(desc, x + t * desc->cols, mem + one * t, acts + t, &o);
    return acts;
}

// MARK: - Entry points

int pith_qlinear_rows(const pith_qweight *desc, const void *w, int64_t r0, int64_t r1, const float *x,
                      int64_t tokens, float *y, int64_t ystride, int level) {
    const pith_qrows_fn fn = select_rows(desc, level);
    if (!fn) return 0;
    if (r1 <= r0 || tokens <= 0) return 1;
    const pith_qact *acts = acts_prepare(desc, x, tokens);
    fn(desc, (const uint8_t *)w, r0, r1, acts, tokens, y, ystride);
    return 1;
}

void pith_qdequantize_rows(const pith_qweight *desc, const void *w, int64_t r0, int64_t r1, float *dst) {
    pith_qdequantize_rows_level(desc, w, r0, r1, dst, pith_qkernel_level());
}

typedef struct {
    const pith_qweight *desc; const uint8_t *w; pith_qrows_fn fn;
    const pith_qact *acts; int64_t tokens; float *y; int64_t chunk;
    _Alignas(64) atomic_llong next;
} qmatvec_job;

static void qmatvec_part(void *ctx, int part, int parts) {
    (void)part; (void)parts;
    qmatvec_job *job = ctx;
    const int64_t rows = job->desc->rows;
    for (;;) {
        const int64_t r0 = atomic_fetch_add_explicit(&job->next, job->chunk, memory_order_relaxed);
        if (r0 >= rows) return;
        const int64_t r1 = r0 + job->chunk < rows ? r0 + job->chunk : rows;
        job->fn(job->desc, job->w, r0, r1, job->acts, job->tokens, job->y, rows);
    }
}

typedef struct { const pith_qweight *desc; const uint8_t *w; const float *x; int64_t tokens; float *y; } qgemm_job;

static void qgemm_part(void *ctx, int part, int parts) {
    const qgemm_job *job = ctx;
    const int64_t rows = job->desc->rows, cols = job->desc->cols;
    const int64_t r0 = rows * part / parts, r1 = rows * (part + 1) / parts;
    for (int64_t t0 = r0; t0 < r1; t0 += PITH_QGEMM_TILE_ROWS) {
        const int64_t n = r1 - t0 < PITH_QGEMM_TILE_ROWS ? r1 - t0 : PITH_QGEMM_TILE_ROWS;
        float *tile = pith_scratch(1, (size_t)(n * cols) * sizeof(float));
        if (!tile) abort();
        pith_qdequantize_rows(job->desc, job->w, t0, t0 + n, tile);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)job->tokens, (int)n, (int)cols, 1.0f,
                    job->x, (int)cols, tile, (int)cols, 0.0f, job->y + t0, (int)rows);
    }
}

// y += X_O · W_Oᵀ: the outlier columns of every token (acts[t].ox, nout each) times the weight's dequantized outlier
// columns (rows, nout), gathered into the caller thread's scratch slot 1.
static void outliers_gemm(pith_pool *pool, const pith_qweight *desc, const uint8_t *w, const pith_qact *acts,
                          int64_t nout, int64_t tokens, float *y) {
    const int64_t rows = desc->rows, rowbytes = pith_qrow_bytes(desc);
    float *xo = pith_scratch(1, (size_t)((tokens + rows) * nout) * sizeof(float));
    if (!xo) abort();
    float *wo = xo + tokens * nout;
    for (int64_t t = 0; t < tokens; t++) memcpy(xo + t * nout, acts[t].ox, (size_t)nout * sizeof(float));
    for (int64_t r = 0; r < rows; r++) {
        const uint8_t *row = w + r * rowbytes;
        for (int64_t k = 0; k < nout; k++) {
            uint16_t h;
            memcpy(&h, row + acts[0].oscale[k], 2);
            wo[r * nout + k] = pith_h2f(h) * (float)(int8_t)row[acts[0].ocode[k]];
        }
    }
    pith_sgemm(pool, 0, 1, tokens, rows, nout, 1.0f, xo, nout, wo, nout, 1.0f, y, rows);
}

void pith_qlinear(pith_pool *pool, const pith_qweight *desc, const void *w, const float *x, int64_t tokens, float *y) {
    if (tokens <= 0 || pith_qweight_bytes(desc) < 0) return;
    const int64_t gemm_above = desc->format == PITH_QF_INT ? PITH_QGEMM_MIN_TOKENS : PITH_QGEMM_MIN_TOKENS_TABLES;
    if (desc->act_bits == 0 && tokens > gemm_above) {
        qgemm_job job = { desc, (const uint8_t *)w, x, tokens, y };
        pith_pool_run(pool, qgemm_part, &job);
        return;
    }
    qmatvec_job job;
    job.desc = desc; job.w = (const uint8_t *)w; job.fn = select_rows(desc, -1);
    job.tokens = tokens; job.y = y;
    pith_qact *acts = acts_prepare(desc, x, tokens);
    job.acts = acts;
    // LLM.int8() prefill: the rows leave the outlier columns out (their int8 codes already see zeros) for one SGEMM.
    const int64_t nout = acts[0].nout;
    const int gemm_outliers = nout > 0 && tokens > PITH_LLMINT8_GEMM_MIN_TOKENS;
    if (gemm_outliers)
        for (int64_t t = 0; t < tokens; t++) acts[t].nout = 0;
    // ~4 chunks per thread (as linear.c): balances a descheduled thread and keeps chunks contiguous.
    const int threads = pith_pool_threads(pool);
    const int64_t chunk = desc->rows / ((int64_t)threads * 4);
    job.chunk = chunk < 16 ? 16 : chunk;
    atomic_init(&job.next, 0);
    pith_pool_run(pool, qmatvec_part, &job);
    if (gemm_outliers) outliers_gemm(pool, desc, job.w, acts, nout, tokens, y);
}
