import Foundation
import Testing
@testable import PithTensor

/// f32 attention against a Double reference: exp approximation (2e-7) plus summation order.
let attentionBudget: Float = 2e-5
/// Rope angles in double, then rounded to f32 sin/cos.
let ropeBudget: Float = 2e-6

/// Naive softmax(q·kᵀ·scale + mask)·v, one (token, head) at a time, in Double.
func referenceAttention(q: [Float], k: [Float], v: [Float], tokens: Int, kvLength: Int, nHeads: Int, nKVHeads: Int,
                        headDim: Int, causal: Bool, scale: Float, mask: [Float]?) -> [Float] {
    var out = [Float](repeating: 0, count: tokens * nHeads * headDim)
    for t in 0..<tokens {
        let pos = kvLength - tokens + t
        for h in 0..<nHeads {
            let kvh = h / (nHeads / nKVHeads)
            var scores: [Double] = []
            for p in 0..<kvLength {
                var s = 0.0
                for d in 0..<headDim { s += Double(q[(t * nHeads + h) * headDim + d]) * Double(k[(p * nKVHeads + kvh) * headDim + d]) }
                s *= Double(scale)
                if let mask { s += Double(mask[t * kvLength + p]) }
                if causal && p > pos { s = -.infinity }
                scores.append(s)
            }
            let m = scores.max() ?? 0
            let e = scores.map { exp($0 - m) }
            let z = e.reduce(0, +)
            for d in 0..<headDim {
                var acc = 0.0
                for p in 0..<kvLength { acc += e[p] / z * Double(v[(p * nKVHeads + kvh) * headDim + d]) }
                out[(t * nHeads + h) * headDim + d] = Float(acc)
            }
        }
    }
    return out
}

@Test("attention matches naive softmax(QKᵀ)V", arguments: [
    (tokens: 1, kvLength: 1, causal: true, masked: false),
    (tokens: 1, kvLength: 37, causal: true, masked: false),
    (tokens: 5, kvLength: 12, causal: true, masked: false),   // new tokens after a 7-token prefix
    (tokens: 6, kvLength: 6, causal: false, masked: true),     // encoder with padding mask
    (tokens: 4, kvLength: 9, causal: true, masked: true),
    (tokens: 16, kvLength: 200, causal: true, masked: false),  // large enough to use both threads
])
func attentionMatchesReference(tokens: Int, kvLength: Int, causal: Bool, masked: Bool) {
    var rng = SeededRandom(seed: UInt64(tokens * 1000 + kvLength))
    let nHeads = 9, nKVHeads = 3, headDim = 64  // SmolLM2's grouping: 3 query heads per KV head
    let q = rng.normals(tokens * nHeads * headDim), k = rng.normals(kvLength * nKVHeads * headDim)
    let v = rng.normals(kvLength * nKVHeads * headDim)
    // padding mask: the last key is hidden from every query
    let mask: [Float]? = masked ? (0..<(tokens * kvLength)).map { $0 % kvLength == kvLength - 1 ? -.infinity : 0 } : nil
    let scale = 1 / Float(headDim).squareRoot()
    var out = [Float](repeating: .nan, count: tokens * nHeads * headDim)
    let maskPointer = mask.map { m in UnsafeMutablePointer<Float>.allocate(capacity: m.count) }
    defer { maskPointer?.deallocate() }
    if let mask, let maskPointer { maskPointer.initialize(from: mask, count: mask.count) }
    Kernels.attention(q: q, k: k, v: v, tokens: tokens, kvLength: kvLength, nHeads: nHeads, nKVHeads: nKVHeads,
                      headDim: headDim, causal: causal, scale: scale, mask: maskPointer.map { UnsafePointer($0) }, output: &out)
    let expected = referenceAttention(q: q, k: k, v: v, tokens: tokens, kvLength: kvLength, nHeads: nHeads,
                                      nKVHeads: nKVHeads, headDim: headDim, causal: causal, scale: scale, mask: mask)
    let worst = zip(out, expected).map { abs($0 - $1) }.max() ?? .nan
    #expect(worst <= attentionBudget * 4, "max error \(worst)")  // |v| ≲ 4 for these normals
}

@Test func attentionWithEveryKeyMaskedGivesZeros() {
    let q: [Float] = [1, 0], k: [Float] = [1, 0, 0, 1], v: [Float] = [5, 6, 7, 8]
    let mask: [Float] = [-.infinity, -.infinity]
    var out: [Float] = [.nan, .nan]
    Kernels.attention(q: q, k: k, v: v, tokens: 1, kvLength: 2, nHeads: 1, nKVHeads: 1, headDim: 2,
                      causal: false, scale: 1, mask: mask, output: &out)
    #expect(out == [0, 0])
}

/// Reference rope on one head: pair (a, b) turns by pos·base^(-2i/rotaryDims).
func referenceRope(_ x: [Float], headDim: Int, rotaryDims: Int, position: Int, base: Float, halfSplit: Bool) -> [Float] {
    var out = x
    for i in 0..<(rotaryDims / 2) {
        let theta = Double(position) * pow(Double(base), -2 * Double(i) / Double(rotaryDims))
        let (a, b) = halfSplit ? (i, i + rotaryDims / 2) : (2 * i, 2 * i + 1)
        out[a] = Float(Double(x[a]) * cos(theta) - Double(x[b]) * sin(theta))
        out[b] = Float(Double(x[a]) * sin(theta) + Double(x[b]) * cos(theta))
    }
    return out
}

@Test("rope rotates pairs as the reference does", arguments: [Kernels.RopeMode.interleaved, .halfSplit], [64, 32])
func ropeMatchesReference(mode: Kernels.RopeMode, rotaryDims: Int) {
    var rng = SeededRandom(seed: 3)
    let tokens = 3, heads = 2, headDim = 64
    let positions: [Int32] = [0, 17, 4095]
    let x = rng.normals(tokens * heads * headDim)
    var y = x
    Kernels.rope(&y, tokens: tokens, heads: heads, headDim: headDim, rotaryDims: rotaryDims, positions: positions,
                 base: 10000, mode: mode)
    for t in 0..<tokens {
        for h in 0..<heads {
            let start = (t * heads + h) * headDim
            let expected = referenceRope(Array(x[start..<(start + headDim)]), headDim: headDim, rotaryDims: rotaryDims,
                                         position: Int(positions[t]), base: 10000, halfSplit: mode == .halfSplit)
            let worst = zip(y[start..<(start + headDim)], expected).map { abs($0 - $1) }.max() ?? .nan
            #expect(worst <= ropeBudget * 4, "t\(t) h\(h): \(worst)")
        }
    }
    #expect(Array(y[0..<headDim]) == Array(x[0..<headDim]))  // position 0 does not rotate
}
