// Pith's hot CPU kernels, in C so the compiler vectorizes them for this machine.
//
// Conventions: matrices are row-major; a quantized weight W (rows, cols) stores each row as cols/32
// ggml blocks (ggml-common.h layouts). Every function is thread-safe for disjoint outputs.
#pragma once
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

// MARK: - Weight types (ggml type ids, as in GGUF files)

enum {
    PITH_F32 = 0, PITH_F16 = 1, PITH_Q4_0 = 2, PITH_Q4_1 = 3, PITH_Q8_0 = 8, PITH_BF16 = 30,
};

/// 1 when pith_linear runs natively on weights of this ggml type.
int pith_linear_supports(int type);

// MARK: - Thread pool

/// Persistent worker threads that spin briefly, then sleep, between jobs.
typedef struct pith_pool pith_pool;
/// A job: called once per part on every thread; part in [0, parts).
typedef void (*pith_job_fn)(void *context, int part, int parts);

/// A pool of `threads` threads in all (the caller counts as one, so threads - 1 workers are started).
pith_pool *pith_pool_create(int threads);
int pith_pool_threads(const pith_pool *pool);
/// Runs fn(context, part, parts) for every part, the caller taking part 0; returns when all finished.
/// Called from inside a job, or while another thread holds the pool, it runs fn(context, 0, 1) inline.
void pith_pool_run(pith_pool *pool, pith_job_fn fn, void *context);

// MARK: - Linear layers

/// y (tokens, rows) = x (tokens, cols) · Wᵀ over all pool threads. W is `type`, (rows, cols).
/// cols must be a multiple of 32 for block types. tokens == 1 uses quantized matvec, small tokens
/// the multi-token kernel, large tokens dequantized tiles and SGEMM.
void pith_linear(pith_pool *pool, const void *w, int type, int64_t rows, int64_t cols,
                 const float *x, int64_t tokens, float *y);

/// Single-threaded row range: y[t*ys + r] = W[r,:]·x[t*cols:] for r in [r0, r1), t < tokens,
/// using the quantized-activation kernels (x is quantized here). For tests and composition.
void pith_linear_rows(const void *w, int type, int64_t cols, int64_t r0, int64_t r1,
                      const float *x, int64_t tokens, float *y, int64_t ystride);

/// Dequantizes rows [r0, r1) of W (any supported type) into dst ((r1-r0), cols) f32.
void pith_dequantize_rows(const void *w, int type, int64_t cols, int64_t r0, int64_t r1, float *dst);

/// C (m, n) = alpha · op(A) · op(B) + beta · C, row-major, split over the pool by rows of C.
void pith_sgemm(pith_pool *pool, int transA, int transB, int64_t m, int64_t n, int64_t k, float alpha,
                const float *a, int64_t lda, const float *b, int64_t ldb, float beta, float *c, int64_t ldc);

// MARK: - Pith-native quantized weights (QuantScheme layouts: Sources/PithTensor/Quant/QuantScheme.swift)

enum { PITH_QF_INT = 0, PITH_QF_NF4 = 1, PITH_QF_FP4 = 2, PITH_QF_FP8 = 3 };

/// A quantized weight W (rows, cols) in one of QuantScheme's byte layouts.
/// int:  per row, cols/group groups [f16 d][f16 m if !symmetric][group/32 sub-blocks of 4·bits bytes, bit planes];
///       value d·(q − 2^(bits−1)) (symmetric) or d·q + m.
/// fp8:  per row, cols/group groups [f32 scale][group E4M3 bytes]; value scale·e4m3(byte).
/// nf4/fp4: the whole tensor's codes (16 bytes per 32 values, ggml nibble order) then the absmax of every block of
///       `group` consecutive values of the flattened tensor: f32 each, or (double_quant) int8 each, then f32 per
///       256 blocks, then one f32 offset: absmax = offset + s2·byte/127. Value absmax·table[code].
typedef struct {
    int32_t format;        // PITH_QF_*
    int32_t bits;          // int: 2…8; nf4/fp4: 4; fp8: 8
    int32_t group;         // int/fp8: values per scale along a row (multiple of 32 dividing cols, never 0 here);
                           // nf4/fp4: values per absmax block of the flattened tensor (multiple of 32)
    int32_t symmetric;     // int: no minimum stored
    int32_t double_quant;  // nf4/fp4: absmax double-quantized
    int32_t act_bits;      // 8: W8A8 (int 8-bit symmetric weights, activations quantized per token); 0: float
    int64_t rows, cols;
    float outlier_threshold;  // W8A8 only, > 0: LLM.int8() — input columns where some token's |x| exceeds it are
                              // multiplied in f32 against the dequantized weight columns, the rest int8 × int8; 0: off
} pith_qweight;

/// Bytes of W, or -1 when the descriptor is not a layout the kernels run (then no other pith_q* may be called).
int64_t pith_qweight_bytes(const pith_qweight *w);

/// y (tokens, rows) = x (tokens, cols) · Wᵀ over all pool threads. Decode (int: tokens ≤ 16, nf4/fp4/fp8: ≤ 8):
/// integer formats dot 8-bit activations (per 32 values), nf4/fp4/fp8 dot f32 activations through their value
/// tables; more tokens: tiles of W dequantized to f32 and SGEMM. W8A8 at any count: activations to int8 per token,
/// int8 × int8 in int32 (its prefill is that kernel blocked 1 row × 4 tokens). LLM.int8() (outlier_threshold > 0):
/// the columns j with max_t |x[t,j]| > threshold over this call's tokens go through f32, the others through int8
/// with each token's scale taken over the other columns (so the outliers no longer set it); above 16 tokens the f32
/// part is one SGEMM of the outlier columns against the weight's dequantized ones.
void pith_qlinear(pith_pool *pool, const pith_qweight *desc, const void *w, const float *x, int64_t tokens, float *y);

/// Single-threaded rows [r0, r1): y[t*ystride + r] = W[r,:]·x[t*cols:], always with the decode kernels.
/// level: 0 portable scalar, 1 AVX2, 2 AVX-512 (VNNI), -1 the best this build has. Returns 0 (and writes nothing)
/// when `level` was not compiled in.
int pith_qlinear_rows(const pith_qweight *desc, const void *w, int64_t r0, int64_t r1, const float *x,
                      int64_t tokens, float *y, int64_t ystride, int level);

/// The best SIMD level compiled in (0 scalar, 1 AVX2, 2 AVX-512 with VNNI).
int pith_qkernel_level(void);

/// Dequantizes rows [r0, r1) of W into dst ((r1-r0), cols) f32 (prefill tiles, embedding rows).
void pith_qdequantize_rows(const pith_qweight *desc, const void *w, int64_t r0, int64_t r1, float *dst);
/// The same at a SIMD level (0 portable; any other: the best compiled), for tests.
void pith_qdequantize_rows_level(const pith_qweight *desc, const void *w, int64_t r0, int64_t r1, float *dst, int level);

// MARK: - Sparse weights (SparseScheme layouts: Sources/PithTensor/Sparse, docs/SPARSITY.md)

enum { PITH_SP_DENSE = 0, PITH_SP_NM = 1, PITH_SP_BITMASK = 2, PITH_SP_CSR = 3 };       // layouts
enum { PITH_SV_F32 = 0, PITH_SV_F16 = 1, PITH_SV_INT8 = 2, PITH_SV_INT4 = 3 };          // value formats
enum { PITH_SK_GENERIC = 0, PITH_SK_NM_INT = 1, PITH_SK_BITMASK_INT8 = 2, PITH_SK_CSR_INT8 = 3 };  // kernels

/// A sparse weight W (rows, cols) whose serialized bytes SparseMatrix has validated: the scheme, and the byte
/// offsets of its sections from the start of the buffer. The kernels trust every index and row pointer in it.
typedef struct {
    int32_t layout, values;  // PITH_SP_*, PITH_SV_*
    int32_t n, m;            // N:M
    int32_t group;           // stored values per f16 scale; 0: one scale per row (int8)
    int32_t index_bytes;     // CSR column index width (2, 4)
    int64_t rows, cols, nnz;
    int64_t row_pointers;    // (rows + 1) u32: values before each row (bitmask, CSR)
    int64_t positions;       // N:M index sub-blocks, bitmask words, CSR column indices
    int64_t position_row_bytes;  // bytes of one row's positions (N:M, bitmask)
    int64_t value_offset;    // the value stream
    int64_t scales;          // f16 scales
} pith_sparse;

/// The kernel pith_sparse_linear runs for decode (tokens ≤ 8): N:M with N = M/2 (2:4, 4:8) and int4/int8 values
/// (cols a multiple of 64), bitmask int8 with a scale per row (cols a multiple of 32), CSR int8 with a scale per
/// row; anything else PITH_SK_GENERIC (rows decoded to f32, then SGEMM).
int pith_sparse_kernel(const pith_sparse *d);
/// The best SIMD level of the sparse kernels compiled in (0 portable, 2 AVX-512 with VNNI, VBMI, VBMI2).
int pith_sparse_level(void);
/// y (tokens, rows) = x (tokens, cols) · Wᵀ over all pool threads. Decode (tokens ≤ 8) on the kernel above:
/// N:M and bitmask dot 8-bit activations (per 32 values), CSR dots f32 activations; more tokens, or the generic
/// kernel: row tiles decoded to f32 and SGEMM.
void pith_sparse_linear(pith_pool *pool, const pith_sparse *d, const void *w, const float *x, int64_t tokens, float *y);
/// Single-threaded rows [r0, r1) with the decode kernel at `level` (0 portable, 2 AVX-512, -1 best):
/// y[t*ystride + r] = W[r,:]·x[t*cols:]. Returns 0 (writing nothing) when `level` is not compiled in.
int pith_sparse_linear_rows(const pith_sparse *d, const void *w, int64_t r0, int64_t r1, const float *x,
                            int64_t tokens, float *y, int64_t ystride, int level);
/// Decodes rows [r0, r1) into dst ((r1-r0), cols) f32, zeros where nothing is stored.
void pith_sparse_dequantize_rows(const pith_sparse *d, const void *w, int64_t r0, int64_t r1, float *dst);

// MARK: - Activation quantization (exposed for tests)

/// Quantizes n (multiple of 32) floats to 8-bit blocks in natural order: qs (n int8), d (n/32 scales),
/// s (n/32 values d·Σq). Scale d = max|x|/127 per block of 32.
void pith_quantize_q8(const float *x, int64_t n, int8_t *qs, float *d, float *s);

// MARK: - Half precision

float pith_f16_to_f32(uint16_t h);
uint16_t pith_f32_to_f16(float f);

// MARK: - Attention

/// Multi-head attention with grouped KV heads over a cache, for all (token, head) pairs on the pool.
/// q (tokens, nHeads, headDim); k, v (kvLength, nKVHeads, headDim); query t sits at absolute position
/// kvLength - tokens + t. mask: optional additive (tokens, kvLength). out (tokens, nHeads, headDim).
void pith_attention(pith_pool *pool, const float *q, const float *k, const float *v, int64_t tokens,
                    int64_t kvLength, int64_t nHeads, int64_t nKVHeads, int64_t headDim, int causal,
                    float scale, const float *mask, float *out);

// MARK: - Elementwise and normalization

void pith_rms_norm(const float *x, const float *w, float eps, int64_t rows, int64_t cols, float *out);
/// w and b may be NULL (no scale, no shift).
void pith_layer_norm(const float *x, const float *w, const float *b, float eps, int64_t rows, int64_t cols, float *out);
void pith_softmax(float *x, int64_t rows, int64_t cols);
void pith_silu(float *x, int64_t n);
/// GELU, erf form: x · Φ(x).
void pith_gelu(float *x, int64_t n);
// GELU split over the pool's threads when large.
void pith_gelu_pool(pith_pool *pool, float *x, int64_t n);
/// out = silu(gate) · up.
void pith_swiglu(const float *gate, const float *up, int64_t n, float *out);
void pith_add(const float *a, const float *b, int64_t n, float *out);
void pith_mul(const float *a, const float *b, int64_t n, float *out);
/// output (tokens, rows) += bias (rows) per token.
void pith_add_bias(const float *bias, float *out, int64_t rows, int64_t tokens);
/// Rotates x (tokens, heads, headDim) in place. halfSplit 0: pairs (2i, 2i+1) (ggml "normal" mode);
/// 1: pairs (i, i + rotaryDims/2) (NeoX / Hugging Face). θ_i = pos · base^(-2i/rotaryDims).
void pith_rope(float *x, int64_t tokens, int64_t heads, int64_t headDim, int64_t rotaryDims,
               const int32_t *positions, float base, int halfSplit);

// MARK: - Memory bandwidth

/// Sum of n floats with wide loads (the read-bandwidth probe's inner loop).
float pith_sum_f32(const float *x, int64_t n);

#ifdef __cplusplus
}
#endif
