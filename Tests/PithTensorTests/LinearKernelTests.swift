import PithKernels
import Testing
@testable import PithTensor

// MARK: - Error budgets

/// Float rounding of a dot product of n terms relative to Σ|w·x| (f32 accumulation in any order).
let floatDotBudget: Float = 1e-5
/// SGEMM path: same budget plus blocked summation order.
let gemmDotBudget: Float = 2e-5

/// Rigorous bound for quantizing x to 8 bits per block: each element moves by at most d_b/2, so
/// |w·x - w·x̂| ≤ ‖w‖ · sqrt(Σ_b 32 (d_b/2)²), with d_b = max|x in block b| / 127.
func activationQuantizationBound(_ w: ArraySlice<Float>, _ x: ArraySlice<Float>) -> Float {
    var normW: Float = 0, errSq: Float = 0
    for v in w { normW += v * v }
    let xs = Array(x)
    for b in stride(from: 0, to: xs.count, by: 32) {
        let d = (xs[b..<(b + 32)].map { abs($0) }.max() ?? 0) / 127
        errSq += 32 * (d / 2) * (d / 2)
    }
    return normW.squareRoot() * errSq.squareRoot()
}

func absDot(_ w: ArraySlice<Float>, _ x: ArraySlice<Float>) -> Float { zip(w, x).reduce(0) { $0 + abs($1.0 * $1.1) } }
func dot(_ w: ArraySlice<Float>, _ x: ArraySlice<Float>) -> Float { Float(zip(w, x).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }) }

/// Runs body with the base addresses of non-empty `bytes` and `output`.
func withPointers(_ bytes: [UInt8], _ output: inout [Float], _ body: (UnsafeRawPointer, UnsafeMutablePointer<Float>) -> Void) {
    bytes.withUnsafeBytes { b in
        output.withUnsafeMutableBufferPointer { o in
            guard let w = b.baseAddress, let out = o.baseAddress else { Issue.record("empty buffer"); return }
            body(w, out)
        }
    }
}

let linearTypes: [GGMLType] = [.f32, .f16, .bf16, .q8_0, .q4_0, .q4_1]

// MARK: - Tests

@Test("Block decoders agree with the reference decoder", arguments: linearTypes)
func dequantizeMatchesReference(type: GGMLType) {
    var rng = SeededRandom(seed: 1)
    let rows = 5, cols = 96
    let bytes = ReferenceBlocks.encode(rng.normals(rows * cols), type: type)
    let expected = ReferenceBlocks.decode(bytes, type: type, rows: rows, cols: cols)
    var got = [Float](repeating: .nan, count: 3 * cols)
    withPointers(bytes, &got) { w, out in Kernels.dequantizeRows(weight: w, type: type, cols: cols, rows: 1..<4, into: out) }
    #expect(got == Array(expected[cols..<(4 * cols)]))
    var row = [Float](repeating: .nan, count: cols)
    withPointers(bytes, &row) { t, out in Kernels.embeddingRow(table: t, type: type, cols: cols, index: 4, into: out) }
    #expect(row == Array(expected[(4 * cols)...]))
}

/// The integer kernels against the same quantized activations computed by hand: equal up to float rounding.
@Test("Quantized row dots equal the exact dot with 8-bit activations",
      arguments: [GGMLType.q8_0, .q4_0, .q4_1], [32, 96, 576, 1536])
func quantizedDotIsExact(type: GGMLType, cols: Int) {
    var rng = SeededRandom(seed: UInt64(cols) &* 31 &+ UInt64(type.rawValue))
    let rows = 7
    let bytes = ReferenceBlocks.encode(rng.normals(rows * cols, sigma: 0.05), type: type)
    let w = ReferenceBlocks.decode(bytes, type: type, rows: rows, cols: cols)
    let x = rng.normals(cols)
    // x̂ = d·q per block, from the kernel library's own activation quantizer
    var qs = [Int8](repeating: 0, count: cols), d = [Float](repeating: 0, count: cols / 32), s = d
    pith_quantize_q8(x, Int64(cols), &qs, &d, &s)
    let xq = (0..<cols).map { Float(qs[$0]) * d[$0 / 32] }
    var y = [Float](repeating: .nan, count: rows)
    withPointers(bytes, &y) { w, out in pith_linear_rows(w, Int32(type.rawValue), Int64(cols), 0, Int64(rows), x, 1, out, Int64(rows)) }
    for r in 0..<rows {
        let wr = w[(r * cols)..<((r + 1) * cols)]
        let exact = dot(wr, xq[...])
        #expect(abs(y[r] - exact) <= floatDotBudget * absDot(wr, xq[...]) + 1e-6, "row \(r): \(y[r]) vs \(exact)")
    }
}

@Test("linear matches the f32 reference within the activation-quantization budget",
      arguments: linearTypes, [1, 3, 16, 20])
func linearMatchesReference(type: GGMLType, tokens: Int) {
    var rng = SeededRandom(seed: UInt64(tokens) &* 1009 &+ UInt64(type.rawValue))
    for (rows, cols) in [(37, 576), (5, 32), (130, 96)] {
        let bytes = ReferenceBlocks.encode(rng.normals(rows * cols, sigma: 0.05), type: type)
        let w = ReferenceBlocks.decode(bytes, type: type, rows: rows, cols: cols)
        let x = rng.normals(tokens * cols)
        var y = [Float](repeating: .nan, count: tokens * rows)
        withPointers(bytes, &y) { w, out in
            Kernels.linear(weight: w, type: type, rows: rows, cols: cols, input: x, tokens: tokens, output: out)
        }
        let quantizesX = type.isQuantized && tokens <= 16
        for t in 0..<tokens {
            let xt = x[(t * cols)..<((t + 1) * cols)]
            for r in 0..<rows {
                let wr = w[(r * cols)..<((r + 1) * cols)]
                var budget = gemmDotBudget * absDot(wr, xt) + 1e-6
                if quantizesX { budget += activationQuantizationBound(wr, xt) }
                let expected = dot(wr, xt)
                #expect(abs(y[t * rows + r] - expected) <= budget, "\(type.name) \(rows)×\(cols) t\(t) r\(r)")
            }
        }
    }
}

@Test func addBiasAddsToEveryToken() {
    var out: [Float] = [1, 2, 3, 4, 5, 6]
    Kernels.addBias([10, 20, 30], to: &out, rows: 3, tokens: 2)
    #expect(out == [11, 22, 33, 14, 25, 36])
}

@Test("sgemm matches a naive product with both transposes", arguments: [false, true], [false, true])
func sgemmMatchesNaive(transposeA: Bool, transposeB: Bool) {
    var rng = SeededRandom(seed: 7)
    let m = 67, n = 45, k = 129
    let a = rng.normals(m * k), b = rng.normals(k * n)
    var c = rng.normals(m * n)
    let c0 = c
    // A stored (m, k) or, transposed, (k, m); B stored (k, n) or (n, k).
    Kernels.sgemm(transposeA: transposeA, transposeB: transposeB, m: m, n: n, k: k, alpha: 0.5,
                  a: a, lda: transposeA ? m : k, b: b, ldb: transposeB ? k : n, beta: 2, c: &c, ldc: n)
    for i in 0..<m {
        for j in 0..<n {
            var s: Double = 0, mag: Float = 0
            for p in 0..<k {
                let av = transposeA ? a[p * m + i] : a[i * k + p], bv = transposeB ? b[j * k + p] : b[p * n + j]
                s += Double(av) * Double(bv); mag += abs(av * bv)
            }
            let expected = Float(0.5 * s) + 2 * c0[i * n + j]
            #expect(abs(c[i * n + j] - expected) <= gemmDotBudget * (mag + abs(c0[i * n + j])) + 1e-5)
        }
    }
}

@Test func supportsLinearCoversTheDecoderTypes() {
    for type in linearTypes { #expect(Kernels.supportsLinear(type)) }
    #expect(!Kernels.supportsLinear(.q4_K))
}
