import Testing
@testable import PithTensor

// The native kernels of QuantScheme layouts against the scalar reference: QuantizedMatrix.dequantize(), then a
// plain f64 dot product (LinearKernelTests.swift's `dot`).

// MARK: - Error budgets

/// Decode on int codes quantizes x to 8 bits per 32 values. The rigorous bound is LinearKernelTests'
/// `activationQuantizationBound` (‖w‖·‖x − x̂‖ with |x − x̂| ≤ d_b/2) plus `gemmDotBudget` of float rounding.
/// On top, the whole output's relative error ‖y − ref‖/‖ref‖ stays under this. Measured over the 588 decode cases
/// below: median 0.51 %, max 1.36 % (5×96, one token: ‖ref‖ is then five numbers); ‖x − x̂‖/‖x‖ itself is at most
/// √32/254 = 2.2 % (every element off by half a step of a block whose other 31 values are 0).
let int8ActivationRelativeBudget: Float = 0.03
/// W8A8 quantizes a token with one scale s = max|x|/127: each element moves by ≤ s/2, so |Δ| ≤ ‖w‖·√n·s/2.
/// Measured ‖y − ref‖/‖ref‖ over 49 cases: median 0.60 %, max 1.21 % (one step s is ~2 % of σ on these x).
let w8a8RelativeBudget: Float = 0.03
/// nf4 / fp4 / fp8 keep x in f32, and int prefill multiplies exact dequantized tiles with SGEMM: the error is f32
/// summation alone. Measured: ≤ 3.9e-7 (tables), ≤ 2.5e-7 (int prefill).
let tableFormatRelativeBudget: Float = 1e-5

// MARK: - Weights

/// A random weight in `scheme`: codes uniform over the scheme's levels, scales and minimums sized so values are
/// ~0.05, packed, and read back by the reference unpacker (scales at stored precision, nf4 double quantization).
struct RandomQuantized {
    let kernel: QuantizedWeightKernel
    let bytes: [UInt8]
    /// (rows, cols) reference values.
    let values: [Float]

    init(_ scheme: QuantScheme, rows: Int, cols: Int, seed: UInt64) throws {
        var rng = SeededRandom(seed: seed)
        let n = rows * cols
        let blockwise = scheme.format == .nf4 || scheme.format == .fp4
        let scaleCount = blockwise ? n / scheme.groupSize : rows * (cols / scheme.group(cols: cols))
        let levels = scheme.format == .fp8 ? 256 : 1 << scheme.bits  // fp8: every byte, NaN codes included
        let codes = (0..<n).map { _ in UInt8(Int.random(in: 0..<levels, using: &rng)) }
        var scales: [Float] = [], mins: [Float] = []
        for _ in 0..<scaleCount {
            let u = Float.random(in: 0.5...1.5, using: &rng)
            switch scheme.format {
            case .int where scheme.symmetric: scales.append(0.05 * u / Float(1 << (scheme.bits - 1)))
            case .int:
                let d = 0.1 * u / Float((1 << scheme.bits) - 1)
                scales.append(d)
                mins.append(-d * Float(1 << (scheme.bits - 1)) * Float.random(in: 0.8...1.2, using: &rng))
            case .fp8: scales.append(0.05 * u / 16)
            case .nf4, .fp4: scales.append(0.05 * u)
            }
        }
        let packed = try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales, mins: mins).pack()
        bytes = packed
        values = try packed.withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: scheme, rows: rows, cols: cols) }.dequantize()
        kernel = try #require(QuantizedWeightKernel(scheme: scheme, rows: rows, cols: cols))
    }

    /// y (tokens, rows) from the threaded driver.
    func linear(_ x: [Float], tokens: Int) -> [Float] {
        var y = [Float](repeating: .nan, count: tokens * kernel.rows)
        withPointers(bytes, &y) { w, out in kernel.linear(weight: w, input: x, tokens: tokens, output: out) }
        return y
    }

    /// y (tokens, rows) from the single-threaded decode kernels at `level`, or nil when it is not compiled in.
    func linearRows(_ x: [Float], tokens: Int, level: QuantizedWeightKernel.Level) -> [Float]? {
        var y = [Float](repeating: .nan, count: tokens * kernel.rows)
        var ran = false
        withPointers(bytes, &y) { w, out in
            ran = kernel.linearRows(weight: w, rows: 0..<kernel.rows, input: x, tokens: tokens, output: out,
                                    outputStride: kernel.rows, level: level)
        }
        return ran ? y : nil
    }

    /// The reference product (tokens, rows) in f64, and per entry the bound each path must meet.
    func check(_ y: [Float], _ x: [Float], tokens: Int, quantizedActivations: Bool, perToken: Bool = false,
               relativeBudget: Float, _ label: String) {
        let rows = kernel.rows, cols = kernel.cols
        var errSq: Float = 0, refSq: Float = 0
        for t in 0..<tokens {
            let xt = x[(t * cols)..<((t + 1) * cols)]
            for r in 0..<rows {
                let wr = values[(r * cols)..<((r + 1) * cols)]
                let expected = dot(wr, xt), got = y[t * rows + r]
                var bound = gemmDotBudget * absDot(wr, xt) + 1e-6
                if quantizedActivations { bound += perToken ? perTokenQuantizationBound(wr, xt) : activationQuantizationBound(wr, xt) }
                if !(abs(got - expected) <= bound) {
                    Issue.record("\(label) t\(t) r\(r): \(got) vs \(expected), bound \(bound)")
                    return
                }
                errSq += (got - expected) * (got - expected)
                refSq += expected * expected
            }
        }
        let relative = (errSq / max(refSq, .leastNormalMagnitude)).squareRoot()
        #expect(relative <= relativeBudget, "\(label): ‖y − ref‖/‖ref‖ = \(relative)")
    }
}

/// W8A8's bound: one scale s = max|x|/127 per token, |x − x̂| ≤ s/2 elementwise, so |w·Δx| ≤ ‖w‖·√n·s/2.
func perTokenQuantizationBound(_ w: ArraySlice<Float>, _ x: ArraySlice<Float>) -> Float {
    let s = (x.map { abs($0) }.max() ?? 0) / 127
    let normW = w.reduce(0) { $0 + $1 * $1 }.squareRoot()
    return normW * Float(x.count).squareRoot() * s / 2 * 1.0001
}

// 6 mixes the 4-token pass with single tokens; 17 and 100 take the prefill path (8 and 16 for the tables).
let tokenCounts = [1, 3, 6, 16, 17, 100]

// MARK: - int codes

@Test("int codes: every bits, sym/asym, group 32/64/96/128/whole row, 1…100 tokens, every SIMD level",
      arguments: Array(2...8), [true, false])
func intCodesMatchReference(bits: Int, symmetric: Bool) throws {
    // (rows, cols): odd row counts; 96 columns make whole-row and g96 groups an odd number of sub-blocks
    for (rows, cols, groups) in [(37, 384, [32, 64, 96, 128, 0]), (5, 96, [32, 0]), (3, 576, [192])] {
        for group in groups {
            let scheme = QuantScheme(bits: bits, groupSize: group, symmetric: symmetric)
            let w = try RandomQuantized(scheme, rows: rows, cols: cols, seed: UInt64(bits * 1000 + group + rows))
            var rng = SeededRandom(seed: UInt64(bits + group))
            for tokens in tokenCounts {
                let x = rng.normals(tokens * cols)
                w.check(w.linear(x, tokens: tokens), x, tokens: tokens, quantizedActivations: tokens <= 16,
                        relativeBudget: tokens <= 16 ? int8ActivationRelativeBudget : tableFormatRelativeBudget,
                        "\(scheme) \(rows)×\(cols) tokens \(tokens)")
            }
            let x = rng.normals(6 * cols)
            for level in QuantizedWeightKernel.Level.compiled {
                let y = try #require(w.linearRows(x, tokens: 6, level: level))
                w.check(y, x, tokens: 6, quantizedActivations: true, relativeBudget: int8ActivationRelativeBudget,
                        "\(scheme) \(rows)×\(cols) \(level)")
            }
        }
    }
}

// MARK: - Value tables

@Test("nf4 / fp4 with and without double quantization, rows inside blocks included",
      arguments: [QuantScheme.Format.nf4, .fp4], [false, true])
func fourBitTablesMatchReference(format: QuantScheme.Format, doubleQuantization: Bool) throws {
    // (37, 384): rows of whole blocks; (2, 96): row 1 starts mid-block; (4, 16): rows shorter than a code run
    for (rows, cols) in [(37, 384), (2, 96), (4, 16)] {
        let scheme = QuantScheme(format: format, bits: 4, groupSize: 64, symmetric: true, doubleQuantization: doubleQuantization)
        let w = try RandomQuantized(scheme, rows: rows, cols: cols, seed: UInt64(rows * cols))
        var rng = SeededRandom(seed: UInt64(cols))
        for tokens in tokenCounts {
            let x = rng.normals(tokens * cols)
            w.check(w.linear(x, tokens: tokens), x, tokens: tokens, quantizedActivations: false,
                    relativeBudget: tableFormatRelativeBudget, "\(scheme) \(rows)×\(cols) tokens \(tokens)")
        }
        let x = rng.normals(3 * cols)
        for level in QuantizedWeightKernel.Level.compiled {
            let y = try #require(w.linearRows(x, tokens: 3, level: level))
            w.check(y, x, tokens: 3, quantizedActivations: false, relativeBudget: tableFormatRelativeBudget, "\(scheme) \(level)")
        }
    }
}

@Test("fp8 E4M3 (NaN codes read as 0) per group and per row", arguments: [32, 64, 0])
func fp8MatchesReference(group: Int) throws {
    for (rows, cols) in [(37, 384), (5, 96)] where cols % max(group, 32) == 0 {
        let scheme = QuantScheme(format: .fp8, bits: 8, groupSize: group, symmetric: true)
        let w = try RandomQuantized(scheme, rows: rows, cols: cols, seed: UInt64(group + cols))
        var rng = SeededRandom(seed: UInt64(group * 7 + rows))
        for tokens in tokenCounts {
            let x = rng.normals(tokens * cols)
            w.check(w.linear(x, tokens: tokens), x, tokens: tokens, quantizedActivations: false,
                    relativeBudget: tableFormatRelativeBudget, "\(scheme) \(rows)×\(cols) tokens \(tokens)")
        }
        let x = rng.normals(3 * cols)
        for level in QuantizedWeightKernel.Level.compiled {
            let y = try #require(w.linearRows(x, tokens: 3, level: level))
            w.check(y, x, tokens: 3, quantizedActivations: false, relativeBudget: tableFormatRelativeBudget, "\(scheme) \(level)")
        }
    }
}

// MARK: - W8A8

@Test("W8A8: int8 × int8 per channel and per group, decode and prefill", arguments: [0, 32, 96])
func w8a8MatchesReference(group: Int) throws {
    for (rows, cols) in [(37, 384), (5, 96)] {
        let scheme = QuantScheme(bits: 8, groupSize: group, symmetric: true, activationBits: 8)
        let w = try RandomQuantized(scheme, rows: rows, cols: cols, seed: UInt64(group + 5 * cols))
        var rng = SeededRandom(seed: UInt64(group + 11))
        for tokens in tokenCounts {
            let x = rng.normals(tokens * cols)
            w.check(w.linear(x, tokens: tokens), x, tokens: tokens, quantizedActivations: true, perToken: true,
                    relativeBudget: w8a8RelativeBudget, "\(scheme) \(rows)×\(cols) tokens \(tokens)")
        }
        let x = rng.normals(5 * cols)
        for level in QuantizedWeightKernel.Level.compiled {
            let y = try #require(w.linearRows(x, tokens: 5, level: level))
            w.check(y, x, tokens: 5, quantizedActivations: true, perToken: true, relativeBudget: w8a8RelativeBudget, "\(scheme) \(level)")
        }
    }
}

@Test func w8a8IsTheStandardScheme() throws {
    // QuantScheme.w8a8 itself (per channel) on a SmolLM2 FFN shape, one token
    let w = try RandomQuantized(.w8a8, rows: 64, cols: 576, seed: 3)
    var rng = SeededRandom(seed: 4)
    let x = rng.normals(576)
    w.check(w.linear(x, tokens: 1), x, tokens: 1, quantizedActivations: true, perToken: true,
            relativeBudget: w8a8RelativeBudget, "w8a8")
}

// MARK: - Rows to f32

@Test("dequantized rows and embedding rows are the reference's values exactly, at every level")
func dequantizedRowsAreExact() throws {
    let schemes: [(QuantScheme, Int, Int)] = [
        (QuantScheme(bits: 2, groupSize: 64, symmetric: true), 7, 384),
        (QuantScheme(bits: 3, groupSize: 96, symmetric: false), 7, 384),
        (QuantScheme(bits: 4, groupSize: 128, symmetric: false), 7, 384),
        (QuantScheme(bits: 5, groupSize: 32, symmetric: true), 7, 96),
        (QuantScheme(bits: 6, groupSize: 0, symmetric: false), 7, 96),
        (QuantScheme(bits: 7, groupSize: 64, symmetric: true), 7, 384),
        (QuantScheme(bits: 8, groupSize: 64, symmetric: false), 7, 384),
        (.w8a8, 7, 384),
        (.nf4(), 7, 384), (.nf4(doubleQuantization: false), 2, 96), (.fp4(), 4, 16), (.fp4(doubleQuantization: false), 7, 384),
        (.fp8, 7, 384), (QuantScheme(format: .fp8, bits: 8, groupSize: 32, symmetric: true), 5, 96),
    ]
    for (scheme, rows, cols) in schemes {
        let w = try RandomQuantized(scheme, rows: rows, cols: cols, seed: UInt64(rows + cols))
        for level in QuantizedWeightKernel.Level.compiled {
            var got = [Float](repeating: .nan, count: (rows - 1) * cols)
            withPointers(w.bytes, &got) { b, out in w.kernel.dequantizeRows(weight: b, rows: 1..<rows, into: out, level: level) }
            #expect(got == Array(w.values[cols...]), "\(scheme) \(rows)×\(cols) \(level)")
        }
        var row = [Float](repeating: .nan, count: cols)
        withPointers(w.bytes, &row) { t, out in w.kernel.embeddingRow(table: t, index: rows - 1, into: out) }
        #expect(row == Array(w.values[((rows - 1) * cols)...]), "embedding row of \(scheme)")
    }
}

@Test func kernelRefusesShapesTheLayoutCannotHold() {
    #expect(QuantizedWeightKernel(scheme: QuantScheme(bits: 4, groupSize: 128, symmetric: false), rows: 4, cols: 576) == nil)
    #expect(QuantizedWeightKernel(scheme: QuantScheme(bits: 9, groupSize: 32, symmetric: true), rows: 4, cols: 64) == nil)
    #expect(QuantizedWeightKernel(scheme: .nf4(), rows: 3, cols: 96) == nil)  // 288 values: not whole blocks of 64
    #expect(QuantizedWeightKernel(scheme: .w8a8, rows: 0, cols: 64) == nil)
    #expect(QuantizedWeightKernel(scheme: .fp8, rows: 3, cols: 100) == nil)
}

@Test func threadedResultsDoNotDependOnThePool() throws {
    // The driver's rows are claimed by whichever thread is free; a row's bits must not depend on which.
    let w = try RandomQuantized(QuantScheme(bits: 3, groupSize: 64, symmetric: false), rows: 301, cols: 384, seed: 9)
    var rng = SeededRandom(seed: 10)
    let x = rng.normals(2 * 384)
    let threaded = w.linear(x, tokens: 2)
    let single = try #require(w.linearRows(x, tokens: 2, level: .best))
    #expect(threaded == single)
}
