// y (tokens, rows) = x (tokens, cols) · Wᵀ for sparse weights (pith_sparse): kernel choice, activations, the
// threaded driver, and the generic path (rows decoded to f32, then SGEMM) for every scheme without its own kernel.
//
// Decode (tokens ≤ 8): the caller thread prepares each token's activations once, then the pool's threads claim row
// chunks (as qlinear.c); a row's stored bytes are read once and dotted with every token.
#include "sparse.h"
#include "quant.h"
#include <cblas.h>
#include <stdatomic.h>
#include <stdlib.h>

// Above this many tokens the decode kernels give way to decoded tiles and SGEMM (qlinear.c crosses over at 8–16).
#define PITH_SPARSE_GEMM_MIN_TOKENS 8
#define PITH_SPARSE_TILE_ROWS 128

static inline int64_t round64(int64_t n) { return (n + 63) / 64 * 64; }

// MARK: - Kernel choice

int pith_sparse_kernel(const pith_sparse *d) {
    const int intvals = d->values == PITH_SV_INT8 || d->values == PITH_SV_INT4;
    // N:M keeps half of each group: 64 kept values are 128 columns, the span one vpermt2b gathers from.
    if (d->layout == PITH_SP_NM && 2 * d->n == d->m && intvals && d->cols % 64 == 0 &&
        (d->group % 32 == 0) && (d->group > 0 || d->values == PITH_SV_INT8))
        return PITH_SK_NM_INT;
    if (d->layout == PITH_SP_BITMASK && d->values == PITH_SV_INT8 && d->group == 0 && d->cols % 32 == 0)
        return PITH_SK_BITMASK_INT8;
    if (d->layout == PITH_SP_CSR && d->values == PITH_SV_INT8 && d->group == 0) return PITH_SK_CSR_INT8;
    return PITH_SK_GENERIC;
}

int pith_sparse_level(void) {
#if defined(PITH_SP_AVX512)
    return PITH_SPLEVEL_AVX512;
#else
    return PITH_SPLEVEL_SCALAR;
#endif
}

static pith_srows_fn select_rows(const pith_sparse *d, int level) {
    if (level < 0) level = pith_sparse_level();
    switch (pith_sparse_kernel(d)) {
    case PITH_SK_NM_INT: return pith_srows_nm(d, level);
    case PITH_SK_BITMASK_INT8: return pith_srows_bitmask(d, level);
    case PITH_SK_CSR_INT8: return pith_srows_csr(d, level);
    default: return NULL;
    }
}

// MARK: - Generic decode

static float stored_value(const pith_sparse *d, const uint8_t *w, int64_t r, int64_t i) {
    const uint8_t *v = w + d->value_offset;
    switch (d->values) {
    case PITH_SV_F32: { float f; memcpy(&f, v + 4 * i, 4); return f; }
    case PITH_SV_F16: return pith_sp_f16(v + 2 * i);
    default: return pith_sp_scale(d, w, r, i) * (float)pith_sp_code(d, w, i);
    }
}

void pith_sparse_dequantize_rows(const pith_sparse *d, const void *wp, int64_t r0, int64_t r1, float *dst) {
    const uint8_t *w = wp;
    const int64_t cols = d->cols;
    for (int64_t r = r0; r < r1; r++) {
        float *out = dst + (r - r0) * cols;
        memset(out, 0, (size_t)cols * sizeof(float));
        switch (d->layout) {
        case PITH_SP_DENSE:
            for (int64_t c = 0; c < cols; c++) out[c] = stored_value(d, w, r, r * cols + c);
            break;
        case PITH_SP_NM: {
            const int64_t kept = cols / d->m * d->n;
            const uint8_t *row = w + d->positions + r * d->position_row_bytes;
            for (int64_t k = 0; k < kept; k++)
                out[k / d->n * d->m + pith_sp_nm_index(row, k, d->m)] = stored_value(d, w, r, r * kept + k);
            break;
        }
        case PITH_SP_BITMASK: {
            int64_t i = pith_sp_u32(w + d->row_pointers + 4 * r);
            const uint8_t *row = w + d->positions + r * d->position_row_bytes;
            for (int64_t k = 0; k < d->position_row_bytes / 8; k++)
                for (uint64_t m = pith_sp_u64(row + 8 * k); m; m &= m - 1)
                    out[64 * k + __builtin_ctzll(m)] = stored_value(d, w, r, i++);
            break;
        }
        case PITH_SP_CSR: {
            const int64_t i0 = pith_sp_u32(w + d->row_pointers + 4 * r), i1 = pith_sp_u32(w + d->row_pointers + 4 * (r + 1));
            const uint8_t *idx = w + d->positions;
            for (int64_t i = i0; i < i1; i++) {
                const int64_t c = d->index_bytes == 2 ? (int64_t)(idx[2 * i] | idx[2 * i + 1] << 8) : (int64_t)pith_sp_u32(idx + 4 * i);
                out[c] = stored_value(d, w, r, i);
            }
            break;
        }
        default:
            break;
        }
    }
}

// MARK: - Activations

static int wants_int8(const pith_sparse *d) {
    const int k = pith_sparse_kernel(d);
    return k == PITH_SK_NM_INT || k == PITH_SK_BITMASK_INT8;
}

static int64_t act_bytes(const pith_sparse *d) {
    if (!wants_int8(d)) return 0;
    const int64_t nbpad = (d->cols / 32 + 3) / 4 * 4;
    return round64((int64_t)pith_act_bytes(d->cols)) + round64(nbpad * 4 * 4) + round64(nbpad * 8 * 4) + round64(nbpad / 2 * 4);
}

// Every token's activations in the calling thread's scratch (slot 0); the pith_sact array follows the data.
static pith_sact *acts_prepare(const pith_sparse *d, const float *x, int64_t tokens) {
    const int64_t one = act_bytes(d), cols = d->cols;
    uint8_t *mem = pith_scratch(0, (size_t)(one * tokens) + sizeof(pith_sact) * (size_t)tokens);
    if (!mem) abort();
    pith_sact *acts = (pith_sact *)(mem + one * tokens);
    for (int64_t t = 0; t < tokens; t++) {
        pith_sact *a = acts + t;
        memset(a, 0, sizeof *a);
        a->x = x + t * cols;
        if (!one) continue;
        uint8_t *m = mem + one * t;
        const pith_act q = pith_act_quantize(a->x, cols, 0, m);
        const int64_t nbpad = (q.nb + 3) / 4 * 4;
        float *dexp4 = (float *)(m + round64((int64_t)pith_act_bytes(cols)));
        float *dexp8 = (float *)((uint8_t *)dexp4 + round64(nbpad * 4 * 4));
        float *spair = (float *)((uint8_t *)dexp8 + round64(nbpad * 8 * 4));
        for (int64_t b = 0; b < nbpad; b++) {
            for (int l = 0; l < 4; l++) dexp4[b * 4 + l] = q.d[b];
            for (int l = 0; l < 8; l++) dexp8[b * 8 + l] = q.d[b];
        }
        for (int64_t k = 0; k < nbpad / 2; k++) spair[k] = q.s[2 * k] + q.s[2 * k + 1];
        a->qs = q.qs; a->d = q.d; a->dexp4 = dexp4; a->dexp8 = dexp8; a->spair = spair;
    }
    return acts;
}

// MARK: - Entry points

int pith_sparse_linear_rows(const pith_sparse *d, const void *w, int64_t r0, int64_t r1, const float *x,
                            int64_t tokens, float *y, int64_t ystride, int level) {
    if (level >= 0 && level != PITH_SPLEVEL_SCALAR && level != pith_sparse_level()) return 0;
    const pith_srows_fn fn = select_rows(d, level);
    if (r1 <= r0 || tokens <= 0) return 1;
    if (!fn) {  // generic: decode one row at a time and dot it in f32
        float *row = pith_scratch(1, (size_t)d->cols * sizeof(float));
        if (!row) abort();
        for (int64_t r = r0; r < r1; r++) {
            pith_sparse_dequantize_rows(d, w, r, r + 1, row);
            for (int64_t t = 0; t < tokens; t++) {
                float s = 0;
                for (int64_t c = 0; c < d->cols; c++) s += row[c] * x[t * d->cols + c];
                y[t * ystride + r] = s;
            }
        }
        return 1;
    }
    fn(d, (const uint8_t *)w, r0, r1, acts_prepare(d, x, tokens), tokens, y, ystride);
    return 1;
}

typedef struct {
    const pith_sparse *d; const uint8_t *w; pith_srows_fn fn;
    const pith_sact *acts; int64_t tokens; float *y; int64_t chunk;
    _Alignas(64) atomic_llong next;
} smatvec_job;

static void smatvec_part(void *ctx, int part, int parts) {
    (void)part; (void)parts;
    smatvec_job *job = ctx;
    const int64_t rows = job->d->rows;
    for (;;) {
        const int64_t r0 = atomic_fetch_add_explicit(&job->next, job->chunk, memory_order_relaxed);
        if (r0 >= rows) return;
        const int64_t r1 = r0 + job->chunk < rows ? r0 + job->chunk : rows;
        job->fn(job->d, job->w, r0, r1, job->acts, job->tokens, job->y, rows);
    }
}

typedef struct { const pith_sparse *d; const uint8_t *w; const float *x; int64_t tokens; float *y; } sgemm_job;

static void sgemm_part(void *ctx, int part, int parts) {
    const sgemm_job *job = ctx;
    const int64_t rows = job->d->rows, cols = job->d->cols;
    const int64_t r0 = rows * part / parts, r1 = rows * (part + 1) / parts;
    for (int64_t t0 = r0; t0 < r1; t0 += PITH_SPARSE_TILE_ROWS) {
        const int64_t n = r1 - t0 < PITH_SPARSE_TILE_ROWS ? r1 - t0 : PITH_SPARSE_TILE_ROWS;
        float *tile = pith_scratch(1, (size_t)(n * cols) * sizeof(float));
        if (!tile) abort();
        pith_sparse_dequantize_rows(job->d, job->w, t0, t0 + n, tile);
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, (int)job->tokens, (int)n, (int)cols, 1.0f,
                    job->x, (int)cols, tile, (int)cols, 0.0f, job->y + t0, (int)rows);
    }
}

void pith_sparse_linear(pith_pool *pool, const pith_sparse *d, const void *w, const float *x, int64_t tokens, float *y) {
    if (tokens <= 0 || d->rows <= 0) return;
    const pith_srows_fn fn = select_rows(d, -1);
    if (!fn || tokens > PITH_SPARSE_GEMM_MIN_TOKENS) {
        sgemm_job job = { d, (const uint8_t *)w, x, tokens, y };
        pith_pool_run(pool, sgemm_part, &job);
        return;
    }
    smatvec_job job;
    job.d = d; job.w = (const uint8_t *)w; job.fn = fn; job.tokens = tokens; job.y = y;
    job.acts = acts_prepare(d, x, tokens);
    // ~4 chunks per thread (as qlinear.c): balances a descheduled thread and keeps chunks contiguous.
    const int64_t chunk = d->rows / ((int64_t)pith_pool_threads(pool) * 4);
    job.chunk = chunk < 16 ? 16 : chunk;
    atomic_init(&job.next, 0);
    pith_pool_run(pool, smatvec_part, &job);
}
