import Foundation
import Testing
@testable import PithEval

/// KL divergence, top-1 and percentiles on hand-made logits, against closed forms.
struct DivergenceMathTests {
    /// Double arithmetic over a handful of terms: far below any real difference.
    static let closedFormTolerance = 1e-12

    @Test func klOfIdenticalRowsIsExactlyZero() {
        let logits: [Float] = [3.5, -1.25, 0, 7, 2.75, -30]
        #expect(TokenDistribution.klDivergence(base: logits, other: logits) == 0)
    }

    @Test func klIsInvariantToShiftingLogits() {
        // Softmax ignores a constant added to every logit; small integers shift exactly in Float.
        let base: [Float] = [1, 2, 3, 4]
        #expect(abs(TokenDistribution.klDivergence(base: base, other: base.map { $0 + 8 })) < Self.closedFormTolerance)
    }

    @Test func twoTokenKLMatchesClosedForm() {
        // P = softmax(a, b), Q = softmax(c, d): with p = σ(a − b), q = σ(c − d),
        // KL(P‖Q) = p·ln(p/q) + (1 − p)·ln((1 − p)/(1 − q)).
        let (a, b, c, d): (Float, Float, Float, Float) = (2, -1, 0.5, 0.25)
        let p = 1 / (1 + exp(Double(b - a))), q = 1 / (1 + exp(Double(d - c)))
        let expected = p * log(p / q) + (1 - p) * log((1 - p) / (1 - q))
        let kl = TokenDistribution.klDivergence(base: [a, b], other: [c, d])
        #expect(abs(kl - expected) < Self.closedFormTolerance)
        // The textbook case: P = (½, ½), Q = (¾, ¼) gives ½·ln(4/3).
        let uniform = TokenDistribution.klDivergence(base: [0, 0], other: [Float(log(3.0)), 0])
        #expect(abs(uniform - 0.5 * log(4.0 / 3.0)) < 1e-7)  // ln 3 rounded to Float
    }

    @Test func klIsNotSymmetricAndNonNegative() {
        let p: [Float] = [4, 0, 0, 0], q: [Float] = [0, 0, 0, 0]
        let forward = TokenDistribution.klDivergence(base: p, other: q)
        let backward = TokenDistribution.klDivergence(base: q, other: p)
        #expect(forward > 0 && backward > 0)
        #expect(abs(forward - backward) > 0.1)
    }

    @Test func distributionFindsArgmaxAndNegativeLogLikelihood() {
        let logits: [Float] = [0.5, 3, -2, 3, 1]
        let row = TokenDistribution(logits)
        #expect(row.argmax == 1)  // the first of two equal maxima
        #expect(row.maxLogit == 3)
        let sum = logits.reduce(0.0) { $0 + exp(Double($1)) }
        let nll = logits.withUnsafeBufferPointer { row.negativeLogLikelihood($0, target: 4) }
        #expect(abs(nll - (log(sum) - 1)) < Self.closedFormTolerance)
    }

    @Test func percentileInterpolatesBetweenClosestRanks() throws {
        let values = (1...100).map(Double.init)
        // p = 0.99·99 = 98.01: 0.99·v[98] + 0.01·v[99] = 99.01.
        #expect(abs(try #require(Percentile.of(sorted: values, fraction: 0.99)) - 99.01) < Self.closedFormTolerance)
        #expect(Percentile.of(sorted: values, fraction: 0.5) == 50.5)
        #expect(Percentile.of(sorted: values, fraction: 0) == 1)
        #expect(Percentile.of(sorted: values, fraction: 1) == 100)
        #expect(Percentile.of([4, 1, 3, 2], fraction: 0.5) == 2.5)
        #expect(Percentile.of([7], fraction: 0.99) == 7)
        #expect(Percentile.of([], fraction: 0.99) == nil)
    }

    @Test func accumulatorSummarisesLikeLlamaCpp() throws {
        var acc = DivergenceAccumulator()
        #expect(acc.summary() == nil)
        let kls = [0.0, 0.1, 0.2, 0.3, 0.4]
        for (i, kl) in kls.enumerated() { acc.add(kl: kl, sameTop1: i != 2) }
        let s = try #require(acc.summary())
        #expect(s.tokens == 5)
        #expect(abs(s.klMean - 0.2) < Self.closedFormTolerance)
        // Population variance 0.02; standard error √(0.02 / 4).
        #expect(abs(s.klStandardDeviation - 0.02.squareRoot()) < Self.closedFormTolerance)
        #expect(abs(s.klStandardError - 0.005.squareRoot()) < Self.closedFormTolerance)
        #expect(abs(s.klMedian - 0.2) < Self.closedFormTolerance)
        #expect(abs(s.klP99 - 0.396) < Self.closedFormTolerance)  // 0.99·4 = 3.96 → 0.3 + 0.96·0.1
        #expect(s.klMax == 0.4 && s.klMin == 0)
        #expect(s.top1Agreement == 0.8)
    }

    @Test func perplexityAccumulatorIsExpOfMeanNLL() throws {
        var acc = PerplexityAccumulator()
        for nll in [1.0, 2.0, 3.0] { acc.add(nll: nll) }
        let s = try #require(acc.summary())
        #expect(abs(s.perplexity - exp(2.0)) < 1e-12 * exp(2.0))
        #expect(s.tokensScored == 3)
        #expect(abs(s.meanNLL - 2) < Self.closedFormTolerance)
    }
}
