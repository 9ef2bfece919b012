import PithKernels

/// A sparse weight's layout, checked once and bound to the native kernels: y = x · Wᵀ straight from its
/// serialized bytes (owned, or memory-mapped from a package).
///
/// Decode (≤ 8 tokens) runs the layout's own kernel where there is one: N:M with N = M/2 and int4/int8 values,
/// bitmask int8 and CSR int8 with a scale per row (`kind`); everything else, and prefill, decodes row tiles to f32
/// for SGEMM. C side: Sources/PithKernels/sparse_linear.c and the files it names.
public struct SparseWeightKernel: Sendable {
    public let scheme: SparseScheme
    public let rows: Int
    public let cols: Int
    /// Bytes of the serialized weight the kernel reads.
    public let byteCount: Int
    let descriptor: pith_sparse

    /// Which native kernel runs decode for this weight.
    public enum Kind: Int32, Sendable {
        /// Rows decoded to f32, then a dense product.
        case generic = 0
        case nmInt = 1, bitmaskInt8 = 2, csrInt8 = 3
    }

    /// SIMD levels of the sparse kernels; the portable one is always compiled.
    public enum Level: Int32, Sendable, CaseIterable {
        case portable = 0, avx512 = 2
        /// The best level this build has.
        public static var best: Level { Level(rawValue: pith_sparse_level()) ?? .portable }
        public static var compiled: [Level] { allCases.filter { $0.rawValue <= best.rawValue } }
    }

    /// Validates `buffer` (see `SparseMatrix.init(validating:)`) and binds the kernels to its layout. The kernel
    /// trusts those bytes afterwards: pass the same bytes (or an identical copy) to `linear`.
    public init(validating buffer: UnsafeRawBufferPointer) throws {
        let (header, sections) = try SparseMatrix.validate(buffer)
        self.init(header: header, sections: sections)
    }

    /// The kernel of an already validated matrix.
    public init(_ matrix: SparseMatrix) {
        self.init(header: matrix.header, sections: matrix.sections)
    }

    init(header h: SparseHeader, sections s: SparseSections) {
        scheme = h.scheme
        rows = h.rows
        cols = h.cols
        byteCount = s.total
        let layout: Int32 = switch h.scheme.layout {
        case .dense: Int32(PITH_SP_DENSE)
        case .nm: Int32(PITH_SP_NM)
        case .bitmask: Int32(PITH_SP_BITMASK)
        case .csr: Int32(PITH_SP_CSR)
        }
        // Header fields were range-checked by validation (u8/u32 sized), so these conversions are exact.
        descriptor = pith_sparse(
            layout: layout, values: Int32(h.scheme.values.traits.code), n: Int32(h.scheme.n), m: Int32(h.scheme.m),
            group: Int32(h.scheme.groupSize), index_bytes: Int32(h.scheme.columnIndexBytes(cols: h.cols)),
            rows: Int64(h.rows), cols: Int64(h.cols), nnz: Int64(h.nnz),
            row_pointers: Int64(s.rowPointers.lowerBound), positions: Int64(s.positions.lowerBound),
            position_row_bytes: Int64(s.positionRowBytes), value_offset: Int64(s.values.lowerBound),
            scales: Int64(s.scales.lowerBound))
    }

    /// The decode kernel chosen for this layout.
    public var kind: Kind {
        var d = descriptor
        return Kind(rawValue: pith_sparse_kernel(&d)) ?? .generic
    }

    /// output (tokens, rows) = input (tokens, cols) · Wᵀ on all threads; `weight` holds the `byteCount` bytes
    /// this kernel validated.
    public func linear(weight: UnsafeRawPointer, input: UnsafePointer<Float>, tokens: Int, output: UnsafeMutablePointer<Float>) {
        var d = descriptor
        pith_sparse_linear(ThreadPool.shared.handle, &d, weight, input, Int64(tokens), output)
    }

    /// Single-threaded decode kernel at `level` for rows `range`: output[t·outputStride + r] = W[r]·input[t].
    /// Returns false when `level` is not compiled in (then nothing is written).
    public func linearRows(weight: UnsafeRawPointer, rows range: Range<Int>, input: UnsafePointer<Float>, tokens: Int,
                           output: UnsafeMutablePointer<Float>, outputStride: Int, level: Level = .best) -> Bool {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "linearRows: rows \(range) outside 0..<\(rows)")
        var d = descriptor
        return pith_sparse_linear_rows(&d, weight, Int64(range.lowerBound), Int64(range.upperBound), input, Int64(tokens),
                                       output, Int64(outputStride), level.rawValue) != 0
    }

    /// Decodes rows `range` into dst ((range.count), cols) f32 (prefill tiles, embedding rows).
    public func dequantizeRows(weight: UnsafeRawPointer, rows range: Range<Int>, into dst: UnsafeMutablePointer<Float>) {
        precondition(range.lowerBound >= 0 && range.upperBound <= rows, "dequantizeRows: rows \(range) outside 0..<\(rows)")
        var d = descriptor
        pith_sparse_dequantize_rows(&d, weight, Int64(range.lowerBound), Int64(range.upperBound), dst)
    }
}

extension SparseMatrix {
    /// The native kernels bound to this matrix.
    public var kernel: SparseWeightKernel { SparseWeightKernel(self) }

    /// y (tokens, rows) = x (tokens, cols) · Wᵀ with the native kernels on all threads.
    public func product(_ x: [Float], tokens: Int) -> [Float] {
        precondition(x.count == tokens * cols, "product: \(x.count) inputs, expected \(tokens)×\(cols)")
        var y = [Float](repeating: 0, count: tokens * rows)
        let k = kernel
        bytes.withUnsafeBytes { w in
            guard let base = w.baseAddress else { return }
            x.withUnsafeBufferPointer { xp in
                y.withUnsafeMutableBufferPointer { yp in
                    guard let xb = xp.baseAddress, let yb = yp.baseAddress else { return }
                    k.linear(weight: base, input: xb, tokens: tokens, output: yb)
                }
            }
        }
        return y
    }
}
