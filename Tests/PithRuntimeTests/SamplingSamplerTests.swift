import Foundation
import Testing
@testable import PithRuntime

/// Probabilities computed by hand are compared within this budget (Float logits, Double sums).
private let probabilityTolerance = 1e-6

private func draw(_ sampler: inout Sampler, _ logits: [Float], history: [Int32] = []) -> Int32 {
    logits.withUnsafeBufferPointer { sampler.sample(logits: $0, history: history[...]) }
}

/// softmax(logits / temperature), the reference every filter is checked against.
private func softmax(_ logits: [Float], temperature: Double = 1) -> [Double] {
    let m = Double(logits.max()!)
    let e = logits.map { exp((Double($0) - m) / temperature) }
    let z = e.reduce(0, +)
    return e.map { $0 / z }
}

/// `distribution` as a token → probability table.
private func table(_ parameters: SamplingParameters, _ logits: [Float], history: [Int32] = []) -> [Int32: Double] {
    var sampler = Sampler(parameters: parameters)
    return Dictionary(uniqueKeysWithValues: sampler.distribution(logits: logits, history: history[...]).map { ($0.id, $0.probability) })
}

private func expectClose(_ got: [Int32: Double], _ want: [Int32: Double], sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(Set(got.keys) == Set(want.keys), sourceLocation: sourceLocation)
    for (id, p) in want { #expect(abs((got[id] ?? -1) - p) < probabilityTolerance, "token \(id)", sourceLocation: sourceLocation) }
}

/// A plain parameter set with only the named filter switched on.
private func plain(temperature: Float = 1, topK: Int = 0, topP: Float = 1, minP: Float = 0,
                   penalty: Float = 1, window: Int = 64, seed: UInt64 = 1) -> SamplingParameters {
    SamplingParameters(temperature: temperature, topK: topK, topP: topP, minP: minP,
                       repetitionPenalty: penalty, repetitionWindow: window, seed: seed)
}

@Suite("Sampler")
struct SamplingSamplerTests {
    // MARK: - Greedy

    @Test func greedyIsArgmaxAndTiesGoToTheLowestID() {
        var s = Sampler(parameters: .greedy)
        #expect(draw(&s, [1, 5, 3, 5, 2]) == 1)
        #expect(draw(&s, [-3, -1, -1, -2]) == 1)
        #expect(draw(&s, [7]) == 0)
        #expect(draw(&s, [.nan, 2, 4, 4]) == 2)
    }

    @Test func temperatureZeroIgnoresTheOtherFiltersAndTheSeed() {
        for seed: UInt64 in [1, 2, 3] {
            var s = Sampler(parameters: SamplingParameters(temperature: 0, topK: 40, topP: 0.5, minP: 0.2, seed: seed))
            for _ in 0..<20 { #expect(draw(&s, [0.1, 2.5, 2.4, -1, 2.5]) == 1) }
        }
    }

    @Test func topKOfOneEqualsGreedy() {
        var rows = SeededGenerator(seed: 11)
        var greedy = Sampler(parameters: .greedy)
        var topOne = Sampler(parameters: plain(temperature: 1.5, topK: 1, seed: 5))
        for row in 0..<50 {
            // Values on a coarse grid so that ties occur.
            let logits = (0..<300).map { _ in Float(Int.random(in: -20...20, using: &rows)) / 4 }
            #expect(draw(&topOne, logits) == draw(&greedy, logits), "row \(row)")
        }
    }

    // MARK: - Filters, against hand-computed distributions

    @Test func topPKeepsTheSmallestSetReachingTheMass() {
        // p = (0.1, 0.5, 0.05, 0.3, 0.05): best first 0.5, 0.8 ≥ 0.75 → {1, 3}; 0.9 ≥ 0.85 → {1, 3, 0}.
        let logits = [0.1, 0.5, 0.05, 0.3, 0.05].map { Float(log($0)) }
        for topK in [0, 4] {   // 0: heap path over the whole vocabulary; 4: sorted top-k path
            expectClose(table(plain(topK: topK, topP: 0.75), logits), [1: 0.5 / 0.8, 3: 0.3 / 0.8])
            expectClose(table(plain(topK: topK, topP: 0.85), logits), [1: 0.5 / 0.9, 3: 0.3 / 0.9, 0: 0.1 / 0.9])
            expectClose(table(plain(topK: topK, topP: 0.4), logits), [1: 1])
        }
    }

    @Test func topPMeasuresMassAfterTopK() {
        // top-k = 2 leaves (0.5, 0.3) → renormalised (0.625, 0.375); top-p 0.6 then keeps only 0.625.
        let logits = [0.1, 0.5, 0.05, 0.3, 0.05].map { Float(log($0)) }
        expectClose(table(plain(topK: 2, topP: 0.6), logits), [1: 1])
    }

    @Test func topKKeepsTheKBestAndBreaksTiesByID() {
        let logits: [Float] = [1, 4, 2, 3, 0]
        let p = softmax([4, 3])
        expectClose(table(plain(topK: 2), logits), [1: p[0], 3: p[1]])
        expectClose(table(plain(topK: 2), [2, 2, 2, 1]), [0: 0.5, 1: 0.5])
    }

    @Test func minPDropsTokensBelowAFractionOfTheBest() {
        // 0.15 · 0.5 = 0.075: 0.06 and 0.04 go; the rest renormalise over 0.9.
        let logits = [0.5, 0.3, 0.1, 0.06, 0.04].map { Float(log($0)) }
        expectClose(table(plain(minP: 0.15), logits), [0: 0.5 / 0.9, 1: 0.3 / 0.9, 2: 0.1 / 0.9])
    }

    @Test func temperatureScalesLogitsBeforeTheSoftmax() {
        let logits: [Float] = [1, 0.5, -2, 3]
        for t in [0.5, 2.0] {
            let want = softmax(logits, temperature: t)
            expectClose(table(plain(temperature: Float(t)), logits),
                        Dictionary(uniqueKeysWithValues: want.enumerated().map { (Int32($0.offset), $0.element) }))
        }
    }

    @Test func repetitionPenaltyDividesPositiveAndMultipliesNegativeLogitsOnce() {
        // Tokens 0 and 1 are recent (1 twice, still penalised once): 2 → 2/2 = 1, -1 → -1·2 = -2.
        let want = softmax([1, -2, 0.5, 3])
        expectClose(table(plain(penalty: 2), [2, -1, 0.5, 3], history: [0, 1, 1, 0]),
                    Dictionary(uniqueKeysWithValues: want.enumerated().map { (Int32($0.offset), $0.element) }))
    }

    @Test func repetitionPenaltyLooksOnlyAtTheWindow() {
        // Window 4 sees [99, -5, 0, 1]: token 2 (earlier) keeps its logit, ids outside the vocabulary are ignored.
        let want = softmax([1, -2, 0.5, 3])
        expectClose(table(plain(penalty: 2, window: 4), [2, -1, 0.5, 3], history: [2, 2, 99, -5, 0, 1]),
                    Dictionary(uniqueKeysWithValues: want.enumerated().map { (Int32($0.offset), $0.element) }))
        // Window 0 means the whole history.
        let all = softmax([1, -2, 0.25, 3])
        expectClose(table(plain(penalty: 2, window: 0), [2, -1, 0.5, 3], history: [2, 0, 1]),
                    Dictionary(uniqueKeysWithValues: all.enumerated().map { (Int32($0.offset), $0.element) }))
    }

    @Test func repetitionPenaltyCanChangeTheGreedyChoice() {
        var s = Sampler(parameters: SamplingParameters(temperature: 0, repetitionPenalty: 2))
        #expect(draw(&s, [3, 2], history: [0]) == 1)   // 3 / 2 = 1.5 < 2
        #expect(draw(&s, [3, 2], history: [1]) == 0)
    }

    // MARK: - Randomness

    @Test func sameSeedSameSequenceDifferentSeedDifferentSequence() {
        let logits = [Float](repeating: 0, count: 1000)
        func run(_ seed: UInt64) -> [Int32] {
            var s = Sampler(parameters: plain(seed: seed))
            return (0..<200).map { _ in draw(&s, logits) }
        }
        #expect(run(1) == run(1))
        #expect(run(1) != run(2))
        #expect(Set(run(3)).count > 150)   // 200 uniform draws from 1000 repeat rarely
    }

    // χ² critical values at p = 0.001 (5 and 2 degrees of freedom); the seed is fixed, so the test is deterministic.
    static let chiSquareCritical5 = 20.52
    static let chiSquareCritical2 = 13.82

    @Test func samplesFollowTheSoftmaxDistribution() {
        let logits: [Float] = [1, 0.5, 0, -0.5, -1, 0.25]
        let n = 20_000
        var s = Sampler(parameters: plain(seed: 12_345))
        var counts = [Int](repeating: 0, count: logits.count)
        for _ in 0..<n { counts[Int(draw(&s, logits))] += 1 }
        let chi2 = zip(counts, softmax(logits)).reduce(0.0) { acc, cp in
            let expected = Double(n) * cp.1
            return acc + (Double(cp.0) - expected) * (Double(cp.0) - expected) / expected
        }
        #expect(chi2 < Self.chiSquareCritical5, "χ² = \(chi2), counts \(counts)")
    }

    @Test func truncatedSamplesFollowTheRenormalisedDistribution() {
        let logits: [Float] = [1, 0.5, 0, -0.5, -1, 0.25]
        let n = 20_000
        var s = Sampler(parameters: plain(topK: 3, seed: 777))
        var counts = [Int32: Int]()
        for _ in 0..<n { counts[draw(&s, logits), default: 0] += 1 }
        #expect(Set(counts.keys) == [0, 1, 5])
        let p = softmax([1, 0.5, 0.25])
        let chi2 = zip([0, 1, 5] as [Int32], p).reduce(0.0) { acc, ip in
            let expected = Double(n) * ip.1
            let d = Double(counts[ip.0]!) - expected
            return acc + d * d / expected
        }
        #expect(chi2 < Self.chiSquareCritical2, "χ² = \(chi2), counts \(counts)")
    }
}
