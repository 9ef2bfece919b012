import Foundation
import Testing
@testable import PithTensor

/// exp approximation (2e-7 relative) and f32 rounding of a few operations.
let elementwiseBudget: Float = 1e-6
/// Row statistics over up to 576 values in f32.
let normBudget: Float = 1e-5

func close(_ a: [Float], _ b: [Float], _ budget: Float) -> Bool {
    zip(a, b).allSatisfy { abs($0 - $1) <= budget * max(1, abs($1)) }
}

@Test func siluSwigluGeluMatchReferences() {
    var rng = SeededRandom(seed: 11)
    let x = rng.normals(1000, sigma: 4) + [-100, 100, 0, -88, 88]
    var s = x
    Kernels.silu(&s, count: s.count)
    let expectedSilu: [Float] = x.map { v in Float(Double(v) / (1 + exp(-Double(v)))) }
    #expect(close(s, expectedSilu, elementwiseBudget))
    let up = rng.normals(x.count)
    var g = [Float](repeating: .nan, count: x.count)
    Kernels.swiglu(gate: x, up: up, count: x.count, output: &g)
    let expectedSwiglu: [Float] = zip(x, up).map { a, b in Float(Double(a) / (1 + exp(-Double(a))) * Double(b)) }
    #expect(close(g, expectedSwiglu, elementwiseBudget))
    var e = x
    Kernels.gelu(&e, count: e.count)
    let expectedGelu: [Float] = x.map { v in
        let d = Double(v)
        return Float(0.5 * d * (1 + erf(d / 2.0.squareRoot())))
    }
    #expect(close(e, expectedGelu, elementwiseBudget))
}

@Test func addAndMul() {
    var out = [Float](repeating: 0, count: 3)
    Kernels.add([1, 2, 3], [10, 20, 30], count: 3, output: &out)
    #expect(out == [11, 22, 33])
    Kernels.mul([1, 2, 3], [10, 20, 30], count: 3, output: &out)
    #expect(out == [10, 40, 90])
}

@Test func softmaxRowsSumToOne() {
    var rng = SeededRandom(seed: 12)
    let rows = 3, cols = 49
    let x = rng.normals(rows * cols, sigma: 5)
    var y = x
    Kernels.softmax(&y, rows: rows, cols: cols)
    for r in 0..<rows {
        let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
        let m = row.max() ?? 0, z = row.map { exp($0 - m) }.reduce(0, +)
        #expect(close(Array(y[(r * cols)..<((r + 1) * cols)]), row.map { Float(exp($0 - m) / z) }, elementwiseBudget))
    }
    var masked: [Float] = [-.infinity, -.infinity]
    Kernels.softmax(&masked, rows: 1, cols: 2)
    #expect(masked == [0, 0])
}

@Test("Norms match references on odd sizes", arguments: [1, 17, 576])
func normsMatchReference(cols: Int) {
    var rng = SeededRandom(seed: UInt64(cols))
    let rows = 3, eps: Float = 1e-5
    let x = rng.normals(rows * cols, sigma: 3), w = rng.normals(cols), b = rng.normals(cols)
    var rms = [Float](repeating: .nan, count: rows * cols), ln = rms, plain = rms
    Kernels.rmsNorm(x, weight: w, epsilon: eps, rows: rows, cols: cols, output: &rms)
    Kernels.layerNorm(x, weight: w, bias: b, epsilon: eps, rows: rows, cols: cols, output: &ln)
    Kernels.layerNorm(x, weight: nil, bias: nil, epsilon: eps, rows: rows, cols: cols, output: &plain)
    for r in 0..<rows {
        let row = x[(r * cols)..<((r + 1) * cols)].map(Double.init)
        let ms = row.map { $0 * $0 }.reduce(0, +) / Double(cols)
        let expectedRms = row.enumerated().map { Float($1 / (ms + Double(eps)).squareRoot() * Double(w[$0])) }
        #expect(close(Array(rms[(r * cols)..<((r + 1) * cols)]), expectedRms, normBudget))
        let mean = row.reduce(0, +) / Double(cols)
        let variance = row.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(cols)
        let normed = row.map { ($0 - mean) / (variance + Double(eps)).squareRoot() }
        #expect(close(Array(plain[(r * cols)..<((r + 1) * cols)]), normed.map { Float($0) }, normBudget))
        let affine = normed.enumerated().map { Float($1 * Double(w[$0]) + Double(b[$0])) }
        #expect(close(Array(ln[(r * cols)..<((r + 1) * cols)]), affine, normBudget))
    }
}
