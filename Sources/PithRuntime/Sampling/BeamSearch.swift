import Foundation

// MARK: - Beam search

/// Beam search over any `BeamSearchModel`, scoring hypotheses as transformers does: logProb / length^lengthPenalty.
///
/// Each step every live beam proposes its 2·beams best next tokens (transformers' over-sampling, so
/// that `beams` beams survive even when some candidates end); the best `beams` continuations that do
/// not end stay live, and ending ones ranked among the first `beams` become finished hypotheses.
/// The length counts every generated token, the end token included.
public struct BeamSearch: Sendable {
    /// One candidate sequence of generated tokens.
    public struct Hypothesis: Sendable, Equatable {
        /// The generated tokens; a finished hypothesis ends with its end token.
        public var tokens: [Int32]
        /// The sum of the tokens' log-probabilities (natural log).
        public var logProbability: Double
        /// Whether the hypothesis ended with an end token (rather than running out of tokens).
        public var finished: Bool
        /// `logProbability / tokens.count^lengthPenalty`, the rank used to sort hypotheses.
        public var score: Double
    }

    /// How many hypotheses are kept alive, and returned.
    public let beams: Int
    /// The most tokens a hypothesis may generate.
    public let maxTokens: Int
    /// Exponent of the length normalisation; > 0 favours longer, < 0 shorter sequences.
    public let lengthPenalty: Double
    /// Tokens that finish a hypothesis.
    public let endTokens: Set<Int32>

    /// Creates a search keeping `beams` hypotheses of at most `maxTokens` tokens each.
    public init(beams: Int, maxTokens: Int, lengthPenalty: Double = 1.0, endTokens: Set<Int32>) {
        precondition(beams > 0 && maxTokens > 0, "BeamSearch: beams and maxTokens must be positive")
        self.beams = beams
        self.maxTokens = maxTokens
        self.lengthPenalty = lengthPenalty
        self.endTokens = endTokens
    }

    /// Searches with a stateless step that maps each beam's tokens to its next-token logits, row-major (beams, vocab).
    public func run<Failure: Error>(step: ([[Int32]]) throws(Failure) -> [Float]) throws(Failure) -> [Hypothesis] {
        try withoutActuallyEscaping(step) { (step) throws(Failure) in
            var model = StatelessBeamModel(step: step)
            return try search(&model)
        }
    }

    /// Searches with a stateful model, reordering its per-beam state between steps; returns up to `beams` hypotheses, best first.
    public func run<Model: BeamSearchModel>(model: inout Model) throws(Model.Failure) -> [Hypothesis] {
        try search(&model)
    }

    // MARK: - The search

    private struct Beam { var tokens: [Int32]; var logProbability: Double }
    private struct Proposal { var parent: Int; var token: Int32; var logProbability: Double }

    private func search<Model: BeamSearchModel>(_ model: inout Model) throws(Model.Failure) -> [Hypothesis] {
        var live = [Beam(tokens: [], logProbability: 0)]
        var finished: [Hypothesis] = []   // at most `beams`, best first
        for step in 1...maxTokens {
            let logits = try model.logits(forBeams: live.map(\.tokens))
            precondition(!logits.isEmpty && logits.count % live.count == 0,
                         "BeamSearch: expected \(live.count) rows of logits, got \(logits.count) values")
            let vocab = logits.count / live.count

            var proposals: [Proposal] = []
            for (b, beam) in live.enumerated() {
                let row = LogSoftmax(logits[(b * vocab)..<((b + 1) * vocab)])
                for token in row.best(2 * beams) {
                    proposals.append(Proposal(parent: b, token: token,
                                              logProbability: beam.logProbability + row[token]))
                }
            }
            // Ties resolve to the earlier beam, then the lower token, so results are deterministic.
            proposals.sort {
                ($0.logProbability, -$0.parent, -Int($0.token)) > ($1.logProbability, -$1.parent, -Int($1.token))
            }

            var next: [Beam] = []
            var parents: [Int] = []
            for (rank, proposal) in proposals.enumerated() where next.count < beams {
                let tokens = live[proposal.parent].tokens + [proposal.token]
                if endTokens.contains(proposal.token) {
                    // As in transformers, an end token only counts if it ranks among the first `beams`.
                    if rank < beams { insert(hypothesis(tokens, proposal.logProbability, finished: true), into: &finished) }
                } else {
                    next.append(Beam(tokens: tokens, logProbability: proposal.logProbability))
                    parents.append(proposal.parent)
                }
            }
            live = next
            if live.isEmpty || step == maxTokens || isDone(live: live, finished: finished) { break }
            try model.reorder(parentIndices: parents)
        }
        // Hypotheses still live at the end compete with the finished ones, marked unfinished.
        for beam in live { insert(hypothesis(beam.tokens, beam.logProbability, finished: false), into: &finished) }
        return finished
    }

    /// True once no live beam can still beat the worst of `beams` finished hypotheses.
    ///
    /// Log-probabilities only fall as tokens are added, so a live beam's best possible score is its
    /// log-probability divided by the largest length factor it can reach: at `maxTokens` for a
    /// positive penalty, its current length otherwise (transformers' `early_stopping="never"` bound).
    private func isDone(live: [Beam], finished: [Hypothesis]) -> Bool {
        guard finished.count == beams, let worst = finished.last?.score else { return false }
        let best = live.map { beam in
            let length = lengthPenalty > 0 ? maxTokens : beam.tokens.count
            return beam.logProbability / pow(Double(length), lengthPenalty)
        }.max()!
        return best <= worst
    }

    private func hypothesis(_ tokens: [Int32], _ logProbability: Double, finished: Bool) -> Hypothesis {
        Hypothesis(tokens: tokens, logProbability: logProbability, finished: finished,
                   score: logProbability / pow(Double(tokens.count), lengthPenalty))
    }

    /// Inserts keeping `list` sorted best first and at most `beams` long; earlier entries win ties.
    private func insert(_ h: Hypothesis, into list: inout [Hypothesis]) {
        let index = list.firstIndex { h.score > $0.score } ?? list.count
        if index < beams { list.insert(h, at: index) }
        if list.count > beams { list.removeLast() }
    }
}

// MARK: - Log-softmax of one row of logits

/// Log-probabilities of one row of logits, computed in `Double` so that summing them over a long
/// beam does not accumulate `Float` rounding.
private struct LogSoftmax {
    private let logits: ArraySlice<Float>
    /// log Σ exp(logit), with the maximum factored out so no term overflows.
    private let logNormaliser: Double

    init(_ logits: ArraySlice<Float>) {
        self.logits = logits
        let m = Double(logits.max() ?? 0)
        if m.isFinite {
            let sum = logits.reduce(0.0) { $0 + exp(Double($1) - m) }
            logNormaliser = m + log(sum)
        } else {
            logNormaliser = m   // every entry -inf (nothing possible) or some +inf: no finite answer
        }
    }

    /// log p(token).
    subscript(token: Int32) -> Double {
        Double(logits[logits.startIndex + Int(token)]) - logNormaliser
    }

    /// The `n` most likely tokens, best first (ties: lower id first); a bounded insertion list since n is small.
    func best(_ n: Int) -> [Int32] {
        var top: [(id: Int32, logit: Float)] = []
        top.reserveCapacity(n + 1)
        for (offset, logit) in logits.enumerated() where top.count < n || logit > top[top.count - 1].logit {
            // Insert after equal logits: they have lower ids.
            let index = top.firstIndex { logit > $0.logit } ?? top.count
            top.insert((Int32(offset), logit), at: index)
            if top.count > n { top.removeLast() }
        }
        return top.map(\.id)
    }
}
