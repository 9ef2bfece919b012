import Foundation
import Testing
@testable import PithRuntime

/// The partial selections (top-k heap, best-first pops for top-p) against a full-sort reference,
/// on a SmolLM2-sized vocabulary.
@Suite("Sampler partial selection")
struct SamplingSelectionTests {
    static let vocabulary = 49_152
    /// Probabilities from the two paths are sums in different orders.
    static let tolerance = 1e-6

    /// Reference: sort everything, then apply temperature, top-k, top-p and min-p literally.
    func reference(_ logits: [Float], _ p: SamplingParameters) -> [Int32: Double] {
        var order = logits.indices.sorted { logits[$0] > logits[$1] || (logits[$0] == logits[$1] && $0 < $1) }
        if p.topK > 0 { order = Array(order.prefix(p.topK)) }
        let m = Double(logits[order[0]])
        let w = order.map { exp((Double(logits[$0]) - m) / Double(p.temperature)) }
        let z = w.reduce(0, +)
        var keep = order.count
        if p.topP < 1 {
            var cumulative = 0.0
            keep = w.firstIndex { cumulative += $0 / z; return cumulative >= Double(p.topP) }.map { $0 + 1 } ?? keep
        }
        var out: [Int32: Double] = [:]
        for i in 0..<keep where w[i] >= Double(p.minP) { out[Int32(order[i])] = w[i] }
        let kept = out.values.reduce(0, +)
        return out.mapValues { $0 / kept }
    }

    static let cases: [SamplingParameters] = [
        SamplingParameters(temperature: 0.8, topK: 40, topP: 0.95),
        SamplingParameters(temperature: 1.0, topK: 0, topP: 0.9),
        SamplingParameters(temperature: 0.7, topK: 0, topP: 0.5, minP: 0.05),
        SamplingParameters(temperature: 1.2, topK: 1000, topP: 1),
        SamplingParameters(temperature: 1.0, topK: 0, topP: 1, minP: 0.1),
    ]

    @Test(arguments: cases)
    func fastPathsMatchTheFullSort(parameters: SamplingParameters) {
        var g = SeededGenerator(seed: 2024)
        // Logits shaped like a language model's: a few strong candidates over a broad low tail.
        let logits = (0..<Self.vocabulary).map { i -> Float in
            let base = Float(Double(g.next() >> 11) * 0x1p-53) * 8 - 4
            return i % 4099 == 0 ? base + 9 : base
        }
        var sampler = Sampler(parameters: parameters)
        let got = Dictionary(uniqueKeysWithValues: sampler.distribution(logits: logits).map { ($0.id, $0.probability) })
        let want = reference(logits, parameters)
        #expect(Set(got.keys) == Set(want.keys))
        let worst = want.map { abs((got[$0.key] ?? 0) - $0.value) }.max() ?? 0
        #expect(worst < Self.tolerance)
    }
}
