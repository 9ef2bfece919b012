import Foundation

/// One row of logits seen as a probability distribution over the vocabulary: softmax, in double, with the max subtracted.
///
/// The arithmetic repeats `LanguageModel.perplexity` step for step (Float difference to the max, then Double), so a
/// negative log-likelihood computed here is bit-for-bit the one `pith perplexity` sums.
public struct TokenDistribution {
    /// The largest logit.
    public let maxLogit: Float
    /// log Σ exp(logit − max), in double.
    public let logSumExp: Double
    /// Index of the largest logit (the first, when several tie).
    public let argmax: Int

    /// Summarises one row of logits (`vocabulary` long).
    public init(_ logits: UnsafeBufferPointer<Float>) {
        var maxLogit = -Float.infinity, argmax = 0
        for (i, l) in logits.enumerated() where l > maxLogit {
            maxLogit = l
            argmax = i
        }
        var sum = 0.0
        for l in logits { sum += exp(Double(l - maxLogit)) }
        self.maxLogit = maxLogit
        self.logSumExp = log(sum)
        self.argmax = argmax
    }

    /// log p(token) for a logit of this row.
    @inline(__always)
    public func logProbability(logit: Float) -> Double { Double(logit - maxLogit) - logSumExp }

    /// −log p(target): the same expression as `LanguageModel.perplexity` (`log(sum) − (l_t − max)`).
    public func negativeLogLikelihood(_ logits: UnsafeBufferPointer<Float>, target: Int) -> Double {
        logSumExp - Double(logits[target] - maxLogit)
    }

    /// KL(P ‖ Q) = Σ p·(log p − log q) in nats, P from `base` (summarised by `p`), Q from `other` (by `q`).
    ///
    /// Identical rows give exactly 0: every term is p·0.
    public static func klDivergence(base: UnsafeBufferPointer<Float>, _ p: TokenDistribution,
                                    other: UnsafeBufferPointer<Float>, _ q: TokenDistribution) -> Double {
        precondition(base.count == other.count, "KL divergence of rows of different lengths")
        var kl = 0.0
        for i in 0..<base.count {
            let logP = p.logProbability(logit: base[i])
            kl += exp(logP) * (logP - q.logProbability(logit: other[i]))
        }
        return kl
    }
}

extension TokenDistribution {
    /// KL(P ‖ Q) of two rows of logits given as arrays: for tests and small callers.
    public static func klDivergence(base: [Float], other: [Float]) -> Double {
        base.withUnsafeBufferPointer { b in
            other.withUnsafeBufferPointer { o in
                klDivergence(base: b, TokenDistribution(b), other: o, TokenDistribution(o))
            }
        }
    }

    /// The distribution of a row given as an array.
    public init(_ logits: [Float]) {
        self = logits.withUnsafeBufferPointer { TokenDistribution($0) }
    }
}
