import Testing
@testable import PithTensor

// The native sparse kernels against SparseMatrix.referenceProduct (plain Swift over the decoded values).

// MARK: - Error budgets

/// N:M and bitmask decode quantize x to 8 bits per 32 columns, as the dense int kernels do: the same relative budget
/// (QuantizedKernelTests' `int8ActivationRelativeBudget`, 3 %). Measured: see kernelsMatchTheReference.
let sparseInt8ActivationBudget: Float = 0.03
/// CSR, the generic path and prefill keep x in f32: f32 summation order alone.
let sparseFloatBudget: Float = 1e-5
/// Two SIMD levels on the same quantized activations differ only in the order of f32 sums.
let sparseLevelBudget: Float = 1e-5

func relativeError(_ y: [Float], _ ref: [Float]) -> Float {
    var num: Double = 0, den: Double = 0
    for (a, b) in zip(y, ref) { num += Double(a - b) * Double(a - b); den += Double(b) * Double(b) }
    return den == 0 ? Float(num.squareRoot()) : Float((num / den).squareRoot())
}

@Suite struct SparseKernelTests {
    /// Schemes with their expected decode kernel.
    static let cases: [(SparseScheme, SparseWeightKernel.Kind)] = [
        (.nm(2, 4, values: .int4), .nmInt), (.nm(2, 4, values: .int4, groupSize: 64), .nmInt),
        (.nm(2, 4, values: .int4, groupSize: 96), .nmInt), (.nm(4, 8, values: .int4), .nmInt),
        (.nm(2, 4, values: .int8), .nmInt), (.nm(2, 4, values: .int8, groupSize: 32), .nmInt),
        (.nm(4, 8, values: .int8), .nmInt),
        (.bitmask(values: .int8), .bitmaskInt8), (.csr(values: .int8), .csrInt8), (.csr(values: .int8, indexBytes: 4), .csrInt8),
        // no kernel of their own: decoded rows
        (.nm(1, 4, values: .int8), .generic), (.bitmask(values: .int4), .generic), (.bitmask(values: .int8, groupSize: 32), .generic),
        (.csr(values: .f32), .generic), (.dense(values: .f16), .generic), (.nm(2, 4, values: .f32), .generic),
    ]
    static let shapes: [(Int, Int)] = [(37, 576), (5, 64), (9, 192), (3, 1536), (17, 96)]

    func pattern(_ s: SparseScheme) -> (n: Int, m: Int)? { s.layout == .nm ? (s.n, s.m) : nil }

    @Test(arguments: 0..<cases.count)
    func kernelsMatchTheReference(index: Int) throws {
        let (scheme, expectedKind) = Self.cases[index]
        var worst: Float = 0
        for (k, (rows, cols)) in Self.shapes.enumerated() where scheme.problem(cols: cols) == nil {
            let w = sparseRandomMatrix(rows: rows, cols: cols, pattern: pattern(scheme), density: 0.25, seed: UInt64(100 + k))
            let m = try SparseMatrix.encode(w, rows: rows, cols: cols, scheme: scheme)
            let kind = m.kernel.kind
            // 96 columns hold no whole 128-column N:M step: those shapes fall back to the generic path.
            #expect(kind == expectedKind || (cols % 64 != 0 && kind == .generic), "\(scheme) \(rows)×\(cols): \(kind)")
            var rng = SeededRandom(seed: UInt64(7 + k))
            for tokens in [1, 3, 4, 8, 9, 17] {
                let x = rng.normals(tokens * cols)
                let ref = m.referenceProduct(x, tokens: tokens)
                let y = m.product(x, tokens: tokens)
                let int8Activations = tokens <= 8 && (kind == .nmInt || kind == .bitmaskInt8)
                let budget = int8Activations ? sparseInt8ActivationBudget : sparseFloatBudget
                let error = relativeError(y, ref)
                worst = max(worst, error)
                #expect(error <= budget, "\(scheme) \(rows)×\(cols) tokens \(tokens): relative error \(error)")
            }
        }
        // Measured worst over these shapes and token counts: int8 activations 0.65–0.83 % (2:4, bitmask, 4:8),
        // f32 paths ≤ 6.4e-7; AVX-512 against portable ≤ 8.9e-7.
        #expect(worst.isFinite)
    }

    @Test(arguments: 0..<cases.count)
    func everyLevelMatchesThePortableKernel(index: Int) throws {
        let (scheme, _) = Self.cases[index]
        for (k, (rows, cols)) in Self.shapes.enumerated() where scheme.problem(cols: cols) == nil {
            let w = sparseRandomMatrix(rows: rows, cols: cols, pattern: pattern(scheme), density: 0.3, seed: UInt64(200 + k))
            let m = try SparseMatrix.encode(w, rows: rows, cols: cols, scheme: scheme)
            let kernel = m.kernel
            var rng = SeededRandom(seed: UInt64(11 + k))
            for tokens in [1, 5] {
                let x = rng.normals(tokens * cols)
                func run(_ level: SparseWeightKernel.Level) -> [Float] {
                    var y = [Float](repeating: .nan, count: tokens * rows)
                    m.bytes.withUnsafeBytes { wp in
                        x.withUnsafeBufferPointer { xp in
                            y.withUnsafeMutableBufferPointer { yp in
                                guard let wb = wp.baseAddress, let xb = xp.baseAddress, let yb = yp.baseAddress else { return }
                                // Rows in two ranges: the kernels index rows absolutely.
                                let split = rows / 2
                                _ = kernel.linearRows(weight: wb, rows: 0..<split, input: xb, tokens: tokens, output: yb, outputStride: rows, level: level)
                                _ = kernel.linearRows(weight: wb, rows: split..<rows, input: xb, tokens: tokens, output: yb, outputStride: rows, level: level)
                            }
                        }
                    }
                    return y
                }
                let portable = run(.portable)
                #expect(!portable.contains { $0.isNaN })
                for level in SparseWeightKernel.Level.compiled where level != .portable {
                    let e = relativeError(run(level), portable)
                    #expect(e <= sparseLevelBudget, "\(scheme) \(rows)×\(cols) \(level) vs portable: \(e)")
                }
            }
        }
    }

    @Test func dequantizedRowsAreTheDecodedMatrix() throws {
        for (scheme, _) in Self.cases {
            let (rows, cols) = (9, 192)
            let m = try SparseMatrix.encode(sparseRandomMatrix(rows: rows, cols: cols, pattern: pattern(scheme), seed: 3),
                                            rows: rows, cols: cols, scheme: scheme)
            var native = [Float](repeating: .nan, count: 4 * cols)
            m.bytes.withUnsafeBytes { wp in
                native.withUnsafeMutableBufferPointer { dp in
                    guard let wb = wp.baseAddress, let db = dp.baseAddress else { return }
                    m.kernel.dequantizeRows(weight: wb, rows: 3..<7, into: db)
                }
            }
            #expect(native == Array(m.decodeDense()[(3 * cols)..<(7 * cols)]), "\(scheme)")
        }
    }

    @Test func zeroRowsGiveZeroOutputs() throws {
        for (scheme, _) in Self.cases where scheme.problem(cols: 128) == nil {
            var w = sparseRandomMatrix(rows: 4, cols: 128, pattern: pattern(scheme), seed: 8)
            for c in 0..<128 { w[128 + c] = 0 }
            let m = try SparseMatrix.encode(w, rows: 4, cols: 128, scheme: scheme)
            let y = m.product((0..<256).map { Float($0 % 7) - 3 }, tokens: 2)
            #expect(y[1] == 0 && y[5] == 0, "\(scheme)")
        }
    }
}
