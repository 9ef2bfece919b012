import Foundation
import Testing
@testable import PithTensor

// LLM.int8() (QuantScheme.llmInt8): W8A8's kernel with the input columns beyond the threshold multiplied in f32.
// Reference: QuantizedMatrix.dequantize() (RandomQuantized.values) and f64 dot products, split the same way.

// MARK: - Error budgets

/// The outlier columns are f32 products summed in f32: only summation rounding, as for dense SGEMM
/// (`gemmDotBudget` · Σ|w·x|, LinearKernelTests.swift).
let llmInt8OutlierBudget = gemmDotBudget
/// The other columns are quantized per token with s = max over them of |x| / 127, so |Δ| ≤ ‖w‖·√n·s/2 over them
/// (`perTokenQuantizationBound` on the inlier columns only), plus f32 rounding of the whole dot.
/// On x ~ N(0, 1) with planted columns up to ±30, plain W8A8's s is ~9× larger in the tokens that carry them; the
/// test requires LLM.int8()'s RMS error to be at least this many times smaller than W8A8's on the same weight bytes
/// (measured 7.2× to 9.3× over its 18 cases, the same at every level).
let llmInt8GainOverW8A8: Float = 4

/// x (tokens, cols): N(0, 1), and in `planted` columns ±`size` in even tokens (odd tokens keep a small value, so a
/// column is an outlier when any token of the call exceeds the threshold).
func plantedActivations(tokens: Int, cols: Int, planted: [Int], size: Float, background: Bool, seed: UInt64) -> [Float] {
    var rng = SeededRandom(seed: seed)
    var x = background ? rng.normals(tokens * cols) : [Float](repeating: 0, count: tokens * cols)
    for t in 0..<tokens {
        for (k, j) in planted.enumerated() {
            let sign: Float = (t + k) % 2 == 0 ? 1 : -1
            x[t * cols + j] = t % 2 == 0 ? sign * size * Float(1 + k) / Float(planted.count) : sign * 0.25
        }
    }
    return x
}

/// The columns LLM.int8() sets apart: some token's |x| > threshold.
func outlierColumns(_ x: [Float], tokens: Int, cols: Int, threshold: Float) -> Set<Int> {
    Set((0..<cols).filter { j in (0..<tokens).contains { abs(x[$0 * cols + j]) > threshold } })
}

// MARK: - Tests

@Test("LLM.int8(): outlier columns alone give the f32 product, at every level and through the driver",
      arguments: [0, 96])
func llmInt8OutlierColumnsAreFloat(group: Int) throws {
    let cols = 384, rows = 37
    let scheme = QuantScheme(bits: 8, groupSize: group, symmetric: true, activationBits: 8, outlierThreshold: 6)
    let w = try RandomQuantized(scheme, rows: rows, cols: cols, seed: 21)
    let planted = [0, 5, 95, 96, 200, 383]
    for tokens in [1, 3, 6, 17] {
        // Every other value is 0: the int8 part has nothing to round, so y is Σ over the planted columns in f32.
        let x = plantedActivations(tokens: tokens, cols: cols, planted: planted, size: 40, background: false, seed: 1)
        var results = [("driver", w.linear(x, tokens: tokens))]
        for level in QuantizedWeightKernel.Level.compiled {
            results.append(("\(level)", try #require(w.linearRows(x, tokens: tokens, level: level))))
        }
        for (label, y) in results {
            for t in 0..<tokens {
                let xt = x[(t * cols)..<((t + 1) * cols)]
                for r in 0..<rows {
                    let wr = w.values[(r * cols)..<((r + 1) * cols)]
                    let expected = dot(wr, xt), bound = llmInt8OutlierBudget * absDot(wr, xt)
                    #expect(abs(y[t * rows + r] - expected) <= bound, "\(scheme) \(label) tokens \(tokens) t\(t) r\(r): \(y[t * rows + r]) vs \(expected)")
                }
            }
        }
    }
}

@Test("LLM.int8(): f32 outliers plus int8 inliers meet the inlier-only bound; plain W8A8 on the same bytes does not",
      arguments: [0, 32])
func llmInt8BeatsW8A8WithPlantedOutliers(group: Int) throws {
    let cols = 576, rows = 64
    let scheme = QuantScheme(bits: 8, groupSize: group, symmetric: true, activationBits: 8, outlierThreshold: 6)
    var plain = scheme
    plain.outlierThreshold = nil
    let w = try RandomQuantized(scheme, rows: rows, cols: cols, seed: 22)
    let p = try RandomQuantized(plain, rows: rows, cols: cols, seed: 22)
    #expect(w.bytes == p.bytes, "LLM.int8() stores W8A8's bytes")
    for tokens in [1, 5, 17] {
        let x = plantedActivations(tokens: tokens, cols: cols, planted: [7, 300, 301, 575], size: 30, background: true, seed: UInt64(tokens))
        let outliers = outlierColumns(x, tokens: tokens, cols: cols, threshold: 6)
        #expect(outliers.isSuperset(of: [7, 300, 301, 575]))
        var ys = [("driver", w.linear(x, tokens: tokens))]
        for level in QuantizedWeightKernel.Level.compiled {
            ys.append(("\(level)", try #require(w.linearRows(x, tokens: tokens, level: level))))
        }
        let yPlain = p.linear(x, tokens: tokens)
        for (label, y) in ys {
            var errSq: Float = 0, plainSq: Float = 0
            for t in 0..<tokens {
                let xt = x[(t * cols)..<((t + 1) * cols)]
                // The inliers as the int8 path sees them: the outlier columns zeroed.
                let inliers = ArraySlice(xt.enumerated().map { outliers.contains($0.offset) ? 0 : $0.element })
                for r in 0..<rows {
                    let wr = w.values[(r * cols)..<((r + 1) * cols)]
                    let expected = dot(wr, xt), got = y[t * rows + r]
                    let bound = gemmDotBudget * absDot(wr, xt) + perTokenQuantizationBound(ArraySlice(wr), inliers) + 1e-6
                    #expect(abs(got - expected) <= bound, "\(label) tokens \(tokens) t\(t) r\(r): \(got) vs \(expected), bound \(bound)")
                    errSq += (got - expected) * (got - expected)
                    plainSq += (yPlain[t * rows + r] - expected) * (yPlain[t * rows + r] - expected)
                }
            }
            let gain = (plainSq / max(errSq, .leastNormalMagnitude)).squareRoot()
            #expect(gain >= llmInt8GainOverW8A8, "\(scheme) \(label) tokens \(tokens): RMS error only \(gain)× below W8A8's")
        }
    }
}

@Test func llmInt8WithoutOutliersIsW8A8() throws {
    // Below the threshold nothing is set apart: the same bits as plain W8A8.
    let w = try RandomQuantized(.llmInt8(), rows: 29, cols: 192, seed: 23)
    let p = try RandomQuantized(.w8a8, rows: 29, cols: 192, seed: 23)
    var rng = SeededRandom(seed: 24)
    let x = rng.normals(7 * 192).map { min(max($0, -5.9), 5.9) }
    #expect(w.linear(x, tokens: 7) == p.linear(x, tokens: 7))
}

@Test func llmInt8ThreadedResultsDoNotDependOnThePool() throws {
    let w = try RandomQuantized(.llmInt8(threshold: 2), rows: 301, cols: 384, seed: 25)
    var rng = SeededRandom(seed: 26)
    let x = rng.normals(6 * 384, sigma: 1.5)
    #expect(w.linear(x, tokens: 6) == (try #require(w.linearRows(x, tokens: 6, level: .best))))
}

// MARK: - Scheme

@Test func llmInt8SchemeIsW8A8WithAThreshold() throws {
    let s = QuantScheme.llmInt8()
    #expect(s.description == "llm.int8-t6")
    #expect(QuantScheme.llmInt8(threshold: 3.5).description == "llm.int8-t3.5")
    #expect(s.byteCount(rows: 7, cols: 576) == QuantScheme.w8a8.byteCount(rows: 7, cols: 576))
    #expect(s.ggmlEquivalent == nil)
    #expect(s.problem(cols: 576) == nil)
    #expect(QuantScheme(bits: 8, groupSize: 0, symmetric: true, outlierThreshold: 6).problem(cols: 576) != nil)
    #expect(QuantScheme.llmInt8(threshold: 0).problem(cols: 576) != nil)
    #expect(QuantScheme.llmInt8(threshold: .infinity).problem(cols: 576) != nil)
    #expect(QuantizedWeightKernel(scheme: .llmInt8(threshold: -1), rows: 4, cols: 64) == nil)

    // JSON: the key is written only when set, and JSON written before it existed still reads (as plain W8A8).
    let json = String(decoding: try JSONEncoder().encode(s), as: UTF8.self)
    #expect(json.contains("\"outlier_threshold\":6"))
    #expect(!String(decoding: try JSONEncoder().encode(QuantScheme.w8a8), as: UTF8.self).contains("outlier_threshold"))
    let old = #"{"format":"int","bits":8,"group_size":0,"symmetric":true,"double_quantization":false,"activation_bits":8}"#
    #expect(try JSONDecoder().decode(QuantScheme.self, from: Data(old.utf8)) == .w8a8)
    #expect(try JSONDecoder().decode(QuantScheme.self, from: Data(json.utf8)) == s)
}

@Test("LLM.int8() prefill: hundreds of outlier columns through the SGEMM path agree with the row kernels",
      arguments: [(96, 1536, 100), (576, 1536, 512), (3000, 576, 64)])
func llmInt8PrefillManyOutliers(rows: Int, cols: Int, tokens: Int) throws {
    // SmolLM2's late ffn_down inputs: 200–600 of 1536 columns beyond 6 over a chunk; here threshold 2 on N(0, 1).
    let w = try RandomQuantized(.llmInt8(threshold: 2), rows: rows, cols: cols, seed: 27)
    var rng = SeededRandom(seed: 28)
    let x = rng.normals(tokens * cols)
    let outliers = outlierColumns(x, tokens: tokens, cols: cols, threshold: 2)
    #expect(outliers.count > cols / 3)
    let driver = w.linear(x, tokens: tokens)
    let single = try #require(w.linearRows(x, tokens: tokens, level: .best))
    for t in 0..<tokens {
        let xt = x[(t * cols)..<((t + 1) * cols)]
        for r in 0..<rows {
            let wr = w.values[(r * cols)..<((r + 1) * cols)]
            let bound = 2 * gemmDotBudget * absDot(wr, xt) + 1e-6
            #expect(abs(driver[t * rows + r] - single[t * rows + r]) <= bound, "t\(t) r\(r): \(driver[t * rows + r]) vs \(single[t * rows + r])")
        }
    }
}
