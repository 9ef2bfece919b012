// y (tokens, rows) = x (tokens, cols) · Wᵀ: the driver that picks a kernel by weight type and tokens.
//
// tokens ≤ PITH_GEMM_MIN_TOKENS: x is quantized once (caller thread), then rows are dealt to threads in
// chunks; each row is read from memory once and, while it sits in L1, dotted with every token.
// More tokens: each thread dequantizes tiles of its rows and multiplies them with OpenBLAS SGEMM.
#include "pith_kernels.h"
#include "internal.h"
#include "quant.h"
#include "dense.h"
#include <cblas.h>
#include <stdatomic.h>
#include <stdlib.h>

// Above this many tokens, dequantize + SGEMM beats per-token quantized dots (to be tuned by measurement).
#define PITH_GEMM_MIN_TOKENS 16
#define PITH_GEMM_TILE_ROWS 128

static int64_t row_bytes(int type, int64_t cols) {
    switch (type) {
    case PITH_F32: return cols * 4;
    case PITH_F16: case PITH_BF16: return cols * 2;
    case PITH_Q8_0: return cols / PITH_QK * 34;
    case PITH_Q4_0: return cols / PITH_QK * 18;
    case PITH_Q4_1: return cols / PITH_QK * 20;
    default: return 0;
    }
}

static int is_block_type(int type) { return type == PITH_Q8_0 || type == PITH_Q4_0 || type == PITH_Q4_1; }

// Rows [r0, r1) against already-quantized activations (block types) or raw x (dense types).
static void rows_kernel(const void *w, int type, int64_t cols, int64_t r0, int64_t r1, const float *x,
                        const pith_act *acts, int64_t tokens, float *y, int64_t ystride) {
    const uint8_t *base = (const uint8_t *)w;
    const int64_t rb = row_bytes(type, cols);
    for (int64_t r = r0; r < r1; r++) {
        const void *row = base + r * rb;
        for (int64_t t = 0; t < tokens; t++) {
            float v;
            switch (type) {
            case PITH_Q4_1: v = pith_dot_q4_1(row, acts + t); break;
            case PITH_Q4_0: v = pith_dot_q4_0(row, acts + t); break;
            case PITH_Q8_0: v = pith_dot_q8_0(row, acts + t); break;
            case PITH_F16: v = pith_dot_f16((const uint16_t *)row, x + t * cols, cols); break;
            case PITH_BF16: v = pith_dot_bf16((const uint16_t *)row, x + t * cols, cols); break;
            default: v = pith_dot_f32((const float *)row, x + t * cols, cols); break;
            }
            y[t * ystride + r] = v;
        }
    }
}

// Quantizes `tokens` rows of x into this thread's scratch; returns the pith_act array.
static pith_act *quantize_tokens(int type, int64_t cols, const float *x, int64_t tokens) {
    const size_t one = (pith_act_bytes(cols) + 63) / 64 * 64;
    uint8_t *mem = pith_scratch(0, one * (size_t)tokens + sizeof(pith_act) * (size_t)tokens);
    if (!mem) abort();
    pith_act *acts = (pith_act *)(mem + one * (size_t)tokens);
    const int grouped = type != PITH_Q8_0 && pith_q4_grouped();
    for (int64_t t = 0; t < tokens; t++) acts[t] = pith_act_quantize(x + t * cols, cols, grouped, mem + one * (size_t)t);
    return acts;
}

void pith_linear_rows(const void *w, int type, int64_t cols, int64_t r0, int64_t r1,
                      const float *x, int64_t tokens, float *y, int64_t ystride) {
    const pith_act *acts = is_block_type(type) ? quantize_tokens(type, cols, x, tokens) : NULL;
    rows_kernel(w, type, cols, r0, r1, x, acts, tokens, y, ystride);
}

// MARK: - Threaded driver

typedef struct {
    const void *w; int type; int64_t rows, cols, tokens;
    const float *x; const pith_act *acts; float *y;
    int64_t chunk;
    _Alignas(64) atomic_llong next;
} matvec_job;

static void matvec_part(void *ctx, int part, int parts) {
    (void)part; (void)parts;
    matvec_job *job = ctx;
    for (;;) {
        const int64_t r0 = atomic_fetch_add_explicit(&job->next, job->chunk, memory_order_relaxed);
        if (r0 >= job->rows) return;
        const int64_t r1 = r0 + job->chunk < job->rows ? r0 + job->chunk : job->rows;
        rows_kernel(job->w, job->type, job->cols, r0, r1, job->x, job->acts, job->tokens, job->y, job->rows);
    }
}

typedef struct {
    const void *w; int type; int64_t rows, cols, tokens;
    const float *x; float *y;
} gemm_job;

static void gemm_part(void *ctx, int part, int parts) {
    gemm_job *job = ctx;
    const int64_t r0 = job->rows * part / parts, r1 = job->rows * (part + 1) / parts;
    for (int64_t t0 = r0; t0 < r1; t0 += PITH_GEMM_TILE_ROWS) {
        const int64_t n = r1 - t0 < PITH_GEMM_TILE_ROWS ? r1 - t0 : PITH_GEMM_TILE_ROWS;
        const float *tile;
        if (job->type == PITH_F32) {
            tile = (const float *)job->w + t0 * job->cols;
        } else {
            float *buf = pith_scratch(1, (size_t)(n * job->cols) * sizeof(float));
            if (!buf) abort();
            pith_dequantize_rows(job->w, job->type, job->cols, t0, t0 + n, buf);
            tile = buf;
        }
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)job->tokens, (int)n, (int)job->cols, 1.0f,
                    job->x, (int)job->cols, tile, (int)job->cols, 0.0f, job->y + t0, (int)job->rows);
    }
}

void pith_linear(pith_pool *pool, const void *w, int type, int64_t rows, int64_t cols,
                 const float *x, int64_t tokens, float *y) {
    if (rows <= 0 || tokens <= 0) return;
    if (tokens > PITH_GEMM_MIN_TOKENS) {
        gemm_job job = { w, type, rows, cols, tokens, x, y };
        pith_pool_run(pool, gemm_part, &job);
        return;
    }
    matvec_job job;
    job.w = w; job.type = type; job.rows = rows; job.cols = cols; job.tokens = tokens;
    job.x = x; job.y = y;
    job.acts = is_block_type(type) ? quantize_tokens(type, cols, x, tokens) : NULL;
    // ~4 chunks per thread: balances a thread slowed by a neighbour, and keeps each chunk's rows
    // contiguous for the hardware prefetcher.
    const int threads = pith_pool_threads(pool);
    int64_t chunk = rows / ((int64_t)threads * 4);
    job.chunk = chunk < 16 ? 16 : chunk;
    atomic_init(&job.next, 0);
    pith_pool_run(pool, matvec_part, &job);
}

// MARK: - SGEMM over the pool

typedef struct {
    int transA, transB; int64_t m, n, k; float alpha; const float *a; int64_t lda;
    const float *b; int64_t ldb; float beta; float *c; int64_t ldc;
} sgemm_job;

static void sgemm_part(void *ctx, int part, int parts) {
    sgemm_job *j = ctx;
    const int64_t m0 = j->m * part / parts, m1 = j->m * (part + 1) / parts;
    if (m1 <= m0) return;
    const float *a = j->transA ? j->a + m0 : j->a + m0 * j->lda;  // op(A) rows m0..<m1
    cblas_sgemm(CblasRowMajor, j->transA ? CblasTrans : CblasNoTrans, j->transB ? CblasTrans : CblasNoTrans,
                (int)(m1 - m0), (int)j->n, (int)j->k, j->alpha, a, (int)j->lda, j->b, (int)j->ldb,
                j->beta, j->c + m0 * j->ldc, (int)j->ldc);
}

void pith_sgemm(pith_pool *pool, int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc) {
    if (m <= 0 || n <= 0) return;
    sgemm_job job = { transA, transB, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc };
    // Small products are not worth waking a second thread (dispatch ~1 µs vs ~2 GFLOP/s·µs of work).
    if (m * n * k < (1 << 18)) { sgemm_part(&job, 0, 1); return; }
    pith_pool_run(pool, sgemm_part, &job);
}
