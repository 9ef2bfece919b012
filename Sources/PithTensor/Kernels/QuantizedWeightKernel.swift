import PithKernels

/// A (rows, cols) weight in a `QuantScheme` layout, checked once and bound to the native kernels.
///
/// Decode (int ≤ 16 tokens, nf4/fp4/fp8 ≤ 8): int codes of 2…8 bits are dotted with activations quantized to 8 bits
/// per 32 values; nf4/fp4/fp8 codes go through their value tables against f32 activations. W8A8 quantizes each token
/// to int8 and accumulates int8 × int8 in int32, prefill included; with an outlier threshold (LLM.int8()) the input
/// columns beyond it are set apart and multiplied in f32. Prefill of the others dequantizes row tiles for
/// SGEMM. The C side is Sources/PithKernels/qlinear.c and the files it names.
public struct QuantizedWeightKernel: Sendable, Equatable {
    public let scheme: QuantScheme
    public let rows: Int
    public let cols: Int
    /// Bytes the weight occupies (`scheme.byteCount(rows:cols:)`).
    public let byteCount: Int
    let descriptor: pith_qweight

    /// SIMD levels of the C kernels; each compiled level stays callable so tests can check it.
    public enum Level: Int32, Sendable, CaseIterable {
        case portable = 0, avx2 = 1, avx512 = 2
        /// The level the kernels use: the best one this build was compiled with.
        public static var best: Level { Level(rawValue: pith_qkernel_level()) ?? .portable }
        /// Levels present in this build.
        public static var compiled: [Level] { allCases.filter { $0.rawValue <= best.rawValue } }
    }

    /// The kernel for `scheme` at (rows, cols), or nil when the layout cannot hold that shape.
    public init?(scheme: QuantScheme, rows: Int, cols: Int) {
        guard rows > 0, cols > 0, scheme.problem(cols: cols) == nil,
              let expected = scheme.byteCount(rows: rows, cols: cols) else { return nil }
        let blockwise = scheme.format == .nf4 || scheme.format == .fp4
        let format: Int32 = switch scheme.format {
        case .int: Int32(PITH_QF_INT)
        case .nf4: Int32(PITH_QF_NF4)
        case .fp4: Int32(PITH_QF_FP4)
        case .fp8: Int32(PITH_QF_FP8)
        }
        guard let bits = Int32(exactly: scheme.bits),
              let group = Int32(exactly: blockwise ? scheme.groupSize : scheme.group(cols: cols)),
              let activationBits = Int32(exactly: scheme.activationBits ?? 0) else { return nil }
        var d = pith_qweight(format: format, bits: bits, group: group, symmetric: scheme.symmetric ? 1 : 0,
                             double_quant: scheme.doubleQuantization ? 1 : 0, act_bits: activationBits,
                             rows: Int64(rows), cols: Int64(cols), outlier_threshold: Float(scheme.outlierThreshold ?? 0))
        // The C side re-derives the size from the descriptor: the two must agree byte for byte.
        guard pith_qweight_bytes(&d) == Int64(expected) else { return nil }
        self.scheme = scheme
        self.rows = rows
        self.cols = cols
        self.byteCount = expected
        self.descriptor = d
    }

    public static func == (a: Self, b: Self) -> Bool { a.scheme == b.scheme && a.rows == b.rows && a.cols == b.cols }

    /// output (tokens, rows) = input (tokens, cols) · Wᵀ on all threads; `weight` holds `byteCount` bytes.
    public func linear(weight: UnsafeRawPointer, input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>) {
        var d = descriptor
        pith_qlinear(ThreadPool.shared.handle, &d, weight, input, Int64(tokens), output)
    }

    /// Single-threaded decode kernels at `level` for rows `range`: output[t·outputStride + r] = W[r]·input[t].
    /// Returns false when `level` is not compiled in (then nothing is written).
    public func linearRows(weight: UnsafeRawPointer, rows range: Range<Int>, input: UnsafePointer<Float>, tokens: Int,
                           output: UnsafeMutablePointer<Float>, outputStride: Int, level: Level = .best) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "linearRows: rows \(range) outside 0..<\(rows)")
        var d = descriptor
        return pith_qlinear_rows(&d, weight, Int64(range.lowerBound), Int64(range.upperBound), input, Int64(tokens),
                                 output, Int64(outputStride), level.rawValue) != 0
    }

    /// Dequantizes rows `range` into dst ((range.count), cols) f32: the reference's values exactly.
    /// `level` .portable runs the scalar loops (tests); any other level, the best compiled.
    public func dequantizeRows(weight: UnsafeRawPointer, rows range: Range<Int>, into dst: UnsafeMutablePointer<Float>,
                               level: Level = .best) {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "dequantizeRows: rows \(range) outside 0..<\(rows)")
        var d = descriptor
        pith_qdequantize_rows_level(&d, weight, Int64(range.lowerBound), Int64(range.upperBound), dst, level.rawValue)
    }

    /// Row `index` of an embedding table in this layout into dst (cols).
    public func embeddingRow(table: UnsafeRawPointer, index: Int, into dst: UnsafeMutablePointer<Float>) {
        dequantizeRows(weight: table, rows: index..<(index + 1), into: dst)
    }
}
