import Foundation
import Testing
@testable import PithRuntime

/// Beam scores are sums of `Double(Float(log p))` renormalised in `Double`: equal to the exact value to ~1e-7.
private let scoreTolerance = 1e-6

/// A first-order Markov "language model" over A=0, B=1, C=2, END=3, built so that greedy decoding is suboptimal:
/// greedy takes A (0.55), then C (0.35), then END (0.9): p = 0.17325 over 3 tokens,
/// while B (0.4), END (0.9) has p = 0.36 over 2 tokens.
private enum Markov {
    static let (a, b, c, end): (Int32, Int32, Int32, Int32) = (0, 1, 2, 3)
    static let start: [Double] = [0.55, 0.40, 0.04, 0.01]
    static let next: [[Double]] = [
        [0.20, 0.20, 0.35, 0.25],   // after A
        [0.04, 0.03, 0.03, 0.90],   // after B
        [0.03, 0.03, 0.04, 0.90],   // after C
        [0.25, 0.25, 0.25, 0.25],   // after END (never asked)
    ]

    static func logits(after tokens: [Int32]) -> [Float] {
        (tokens.last.map { next[Int($0)] } ?? start).map { Float(log($0)) }
    }
}

/// The Markov model behind a KV-cache-like interface: slot `i` remembers the tokens it has consumed,
/// and every call checks that the search kept each slot in step with its beam.
private struct CachedMarkov: BeamSearchModel {
    var slots: [[Int32]] = [[]]
    var mismatches = 0
    var reorders = 0

    mutating func logits(forBeams beams: [[Int32]]) -> [Float] {
        if slots.count != beams.count { mismatches += 1 }
        var out: [Float] = []
        for (i, beam) in beams.enumerated() {
            // The slot must hold the beam minus its newest token, which it now consumes.
            if i >= slots.count || slots[i] != Array(beam.dropLast()) { mismatches += 1 }
            if i < slots.count { slots[i] = beam }
            out += Markov.logits(after: beam)
        }
        return out
    }

    mutating func reorder(parentIndices: [Int]) {
        reorders += 1
        slots = parentIndices.map { slots[$0] }
    }
}

@Suite("BeamSearch")
struct SamplingBeamSearchTests {
    @Test func greedyIsSuboptimalOnTheMarkovModel() {
        var sampler = Sampler(parameters: .greedy)
        var tokens: [Int32] = []
        while tokens.last != Markov.end {
            tokens.append(Markov.logits(after: tokens).withUnsafeBufferPointer { sampler.sample(logits: $0, history: []) })
        }
        #expect(tokens == [Markov.a, Markov.c, Markov.end])
    }

    @Test func findsTheBetterSequenceAndScoresItExactly() {
        let search = BeamSearch(beams: 2, maxTokens: 5, lengthPenalty: 1.0, endTokens: [Markov.end])
        let result = search.run { prefixes in prefixes.flatMap(Markov.logits(after:)) }
        #expect(result.count == 2)
        #expect(result.map(\.tokens) == [[Markov.b, Markov.end], [Markov.a, Markov.c, Markov.end]])
        #expect(result.allSatisfy { $0.finished })
        #expect(abs(result[0].logProbability - log(0.36)) < scoreTolerance)
        #expect(abs(result[0].score - log(0.36) / 2) < scoreTolerance)
        #expect(abs(result[1].logProbability - log(0.17325)) < scoreTolerance)
        #expect(abs(result[1].score - log(0.17325) / 3) < scoreTolerance)
    }

    @Test func statefulModelSeesConsistentSlotsAndGetsTheSameResult() {
        let search = BeamSearch(beams: 3, maxTokens: 6, endTokens: [Markov.end])
        var model = CachedMarkov()
        let stateful = search.run(model: &model)   // Failure == Never: no `try`
        let stateless = search.run { prefixes in prefixes.flatMap(Markov.logits(after:)) }
        #expect(model.mismatches == 0)
        #expect(model.reorders > 0)
        #expect(stateful == stateless)
        #expect(stateful.first?.tokens == [Markov.b, Markov.end])
    }

    @Test func lengthPenaltyChangesTheRanking() {
        // With a strong preference for length, the 3-token hypothesis overtakes: ln(0.17325)/9 > ln(0.36)/4.
        let search = BeamSearch(beams: 2, maxTokens: 3, lengthPenalty: 2.0, endTokens: [Markov.end])
        let result = search.run { prefixes in prefixes.flatMap(Markov.logits(after:)) }
        #expect(result.first?.tokens.last == Markov.end && result.first!.tokens.count == 3)
        #expect(abs(result[0].score - result[0].logProbability / 9) < scoreTolerance)
        #expect(zip(result, result.dropFirst()).allSatisfy { $0.score >= $1.score })
    }

    @Test func runningOutOfTokensReturnsUnfinishedHypotheses() {
        let search = BeamSearch(beams: 2, maxTokens: 1, endTokens: [Markov.end])
        let result = search.run { prefixes in prefixes.flatMap(Markov.logits(after:)) }
        #expect(result.map(\.tokens) == [[Markov.a], [Markov.b]])
        #expect(result.allSatisfy { !$0.finished })
        #expect(abs(result[0].score - log(0.55)) < scoreTolerance)
    }

    struct ModelFailed: Error, Equatable {}

    @Test func errorsFromTheStepPropagate() {
        let search = BeamSearch(beams: 2, maxTokens: 4, endTokens: [Markov.end])
        var calls = 0
        #expect(throws: ModelFailed()) {
            try search.run { (prefixes) throws(ModelFailed) -> [Float] in
                calls += 1
                if calls == 2 { throw ModelFailed() }
                return prefixes.flatMap(Markov.logits(after:))
            }
        }
    }
}
