import Foundation

/// How far one model's next-token distributions lie from a base model's, over the scored tokens of a text.
///
/// The figures `llama-perplexity --kl-divergence` prints: KL(P_base ‖ P_other) per token, its mean ± standard error,
/// median, percentiles and extremes, and how often both models put the same token first.
public struct DivergenceStatistics: Codable, Sendable, Equatable {
    /// Tokens compared.
    public var tokens: Int
    /// Mean KL divergence per token (nats).
    public var klMean: Double
    /// Standard error of that mean: √((E[kl²] − E[kl]²) / (n − 1)), as llama.cpp reports it.
    public var klStandardError: Double
    /// Standard deviation of the per-token KL divergence.
    public var klStandardDeviation: Double
    public var klMedian: Double
    /// 99th and 99.9th percentiles (linear interpolation, `Percentile`).
    public var klP99: Double
    public var klP999: Double
    public var klMax: Double
    public var klMin: Double
    /// Fraction of tokens whose most likely next token is the same under both models.
    public var top1Agreement: Double

    enum CodingKeys: String, CodingKey {
        case tokens
        case klMean = "kl_mean", klStandardError = "kl_standard_error", klStandardDeviation = "kl_standard_deviation"
        case klMedian = "kl_median", klP99 = "kl_p99", klP999 = "kl_p999", klMax = "kl_max", klMin = "kl_min"
        case top1Agreement = "top1_agreement"
    }
}

/// Collects per-token KL divergences and top-1 matches, token after token, and summarises them.
///
/// Keeps one Double per scored token (for the percentiles), never the logits.
public struct DivergenceAccumulator: Sendable {
    private(set) var values: [Double] = []
    private var sum = 0.0, sumOfSquares = 0.0
    private var sameTop = 0

    public init() {}

    /// Adds one token: its KL divergence and whether both models' argmax agree.
    public mutating func add(kl: Double, sameTop1: Bool) {
        values.append(kl)
        sum += kl
        sumOfSquares += kl * kl
        if sameTop1 { sameTop += 1 }
    }

    public var count: Int { values.count }

    /// The running mean KL divergence (0 before any token).
    public var runningMean: Double { values.isEmpty ? 0 : sum / Double(values.count) }

    /// The statistics so far; nil before any token.
    public func summary() -> DivergenceStatistics? {
        guard !values.isEmpty else { return nil }
        let n = Double(values.count)
        let mean = sum / n
        let variance = max(sumOfSquares / n - mean * mean, 0)
        let sorted = values.sorted()
        return DivergenceStatistics(
            tokens: values.count, klMean: mean,
            klStandardError: (variance / max(n - 1, 1)).squareRoot(),
            klStandardDeviation: variance.squareRoot(),
            klMedian: Percentile.of(sorted: sorted, fraction: 0.5) ?? 0,
            klP99: Percentile.of(sorted: sorted, fraction: 0.99) ?? 0,
            klP999: Percentile.of(sorted: sorted, fraction: 0.999) ?? 0,
            klMax: sorted.last ?? 0, klMin: sorted.first ?? 0,
            top1Agreement: Double(sameTop) / n)
    }
}
