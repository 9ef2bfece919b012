import COpenBLAS
import PithKernels

/// Pith's CPU kernels: linear layers on dense and block-quantized weights, attention, norms, activations.
///
/// These are internal-facing hot paths: shapes are the caller's (our executor's) responsibility and are
/// checked with `precondition` only where cheap. Every shape is row-major.
public enum Kernels {
    /// Whether `linear` runs natively on weights of this type (F32, F16, BF16, Q8_0, Q4_0, Q4_1).
    public static func supportsLinear(_ type: GGMLType) -> Bool {
        pith_linear_supports(Int32(type.rawValue)) != 0
    }

    /// output (tokens, rows) = input (tokens, cols) · Wᵀ, W (rows, cols) row-major in `type` blocks, on all threads.
    ///
    /// tokens == 1: x is quantized to 8 bits once and every weight row gets an integer dot product;
    /// up to 16 tokens: the same, each row dotted with every token while it sits in L1;
    /// more: row tiles are dequantized and multiplied with SGEMM.
    public static func linear(weight: UnsafeRawPointer, type: GGMLType, rows: Int, cols: Int,
                              input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>) {
        precondition(supportsLinear(type), "linear: no kernel for \(type.name)")
        precondition(cols % type.blockSize == 0, "linear: cols \(cols) is not a whole number of \(type.name) blocks")
        pith_linear(ThreadPool.shared.handle, weight, Int32(type.rawValue), Int64(rows), Int64(cols),
                    input, Int64(tokens), output)
    }

    /// Adds bias (rows) to each of `tokens` rows of output (tokens, rows).
    public static func addBias(_ bias: UnsafePointer<Float>, to output: UnsafeMutablePointer<Float>, rows: Int, tokens: Int) {
        pith_add_bias(bias, output, Int64(rows), Int64(tokens))
    }

    /// Dequantizes rows [r0, r1) of W (·, cols) into dst ((r1-r0), cols) f32.
    public static func dequantizeRows(weight: UnsafeRawPointer, type: GGMLType, cols: Int, rows: Range<Int>,
                                      into dst: UnsafeMutablePointer<Float>) {
        precondition(supportsLinear(type) && cols % type.blockSize == 0, "dequantizeRows: \(type.name), cols \(cols)")
        pith_dequantize_rows(weight, Int32(type.rawValue), Int64(cols), Int64(rows.lowerBound), Int64(rows.upperBound), dst)
    }

    /// Row `index` of an embedding table (rows, cols) in `type` into dst (cols).
    public static func embeddingRow(table: UnsafeRawPointer, type: GGMLType, cols: Int, index: Int,
                                    into dst: UnsafeMutablePointer<Float>) {
        dequantizeRows(weight: table, type: type, cols: cols, rows: index..<(index + 1), into: dst)
    }

    /// C (m, n) = alpha · op(A) · op(B) + beta · C, row-major; op(A) is (m, k), op(B) is (k, n).
    ///
    /// Rows of C are split over the shared pool; OpenBLAS itself runs single-threaded inside each part.
    public static func sgemm(transposeA: Bool = false, transposeB: Bool = false, m: Int, n: Int, k: Int,
                             alpha: Float = 1, a: UnsafePointer<Float>, lda: Int, b: UnsafePointer<Float>, ldb: Int,
                             beta: Float = 0, c: UnsafeMutablePointer<Float>, ldc: Int) {
        pith_sgemm(ThreadPool.shared.handle, transposeA ? 1 : 0, transposeB ? 1 : 0, Int64(m), Int64(n), Int64(k),
                   alpha, a, Int64(lda), b, Int64(ldb), beta, c, Int64(ldc))
    }
}
