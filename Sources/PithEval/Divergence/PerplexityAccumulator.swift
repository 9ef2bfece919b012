import Foundation

/// Perplexity of one model over the scored tokens, with its standard error, as `pith perplexity` reports it.
public struct PerplexityScore: Codable, Sendable, Equatable {
    public var perplexity: Double
    /// Mean negative log-likelihood per scored token (nats).
    public var meanNLL: Double
    /// Standard error of the perplexity (delta method, as llama.cpp prints it).
    public var standardError: Double
    public var tokensScored: Int

    enum CodingKeys: String, CodingKey {
        case perplexity
        case meanNLL = "mean_nll", standardError = "standard_error", tokensScored = "tokens_scored"
    }
}

/// Sums negative log-likelihoods in the order `LanguageModel.perplexity` does, so the two perplexities are equal.
public struct PerplexityAccumulator: Sendable {
    private var nllSum = 0.0, nll2Sum = 0.0
    public private(set) var count = 0

    public init() {}

    public mutating func add(nll: Double) {
        nllSum += nll
        nll2Sum += nll * nll
        count += 1
    }

    /// exp(mean NLL) so far (1 before any token).
    public var runningPerplexity: Double { count == 0 ? 1 : exp(nllSum / Double(count)) }

    /// The score so far; nil before any token.
    public func summary() -> PerplexityScore? {
        guard count > 0 else { return nil }
        let mean = nllSum / Double(count)
        let variance = max(nll2Sum / Double(count) - mean * mean, 0)
        let ppl = exp(mean)
        return PerplexityScore(perplexity: ppl, meanNLL: mean,
                               standardError: ppl * (variance / Double(max(count - 1, 1))).squareRoot(),
                               tokensScored: count)
    }
}
