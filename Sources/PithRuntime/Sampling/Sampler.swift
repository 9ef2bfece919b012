import Foundation

// MARK: - Sampler

/// Picks the next token from a row of logits: repetition penalty, temperature, top-k, top-p, min-p, then a draw.
///
/// The order is transformers' `LogitsProcessorList`: penalty, temperature, top-k, top-p, min-p.
/// Temperature comes first so that top-p and min-p measure the distribution actually sampled from
/// (llama.cpp applies it last; the two agree at temperature 1). With top-p before min-p both
/// filters keep a best-first prefix of the same distribution, so the result is the shorter prefix.
public struct Sampler: Sendable {
    /// The parameters this sampler was created with.
    public let parameters: SamplingParameters
    private var generator: SeededGenerator
    /// (vocab) the penalised logits of the current call; reused so a step allocates nothing.
    var scores: [Float] = []
    /// The tokens still in the running; `value` holds a logit, later an unnormalised probability.
    var candidates: [Candidate] = []
    /// Scratch for top-p's best-first pops when the candidates are not sorted.
    var kept: [Candidate] = []

    /// Creates a sampler; a `nil` seed is replaced by one drawn from the system generator.
    public init(parameters: SamplingParameters) {
        self.parameters = parameters
        var system = SystemRandomNumberGenerator()
        generator = SeededGenerator(seed: parameters.seed ?? system.next())
    }

    /// Picks the next token from `logits` (vocab), penalising tokens among the recent `history`.
    public mutating func sample(logits: UnsafeBufferPointer<Float>, history: ArraySlice<Int32>) -> Int32 {
        switch truncate(logits: logits, history: history) {
        case .token(let token):
            return token
        case .candidates(let total):
            // Inverse-CDF draw over the kept weights; the last candidate absorbs rounding.
            let target = generator.nextUnit() * total
            var cumulative = 0.0
            for candidate in candidates {
                cumulative += Double(candidate.value)
                if target < cumulative { return candidate.id }
            }
            return candidates[candidates.count - 1].id
        }
    }

    /// The distribution `sample` draws from, best first when a filter sorted it; for tests and diagnostics.
    mutating func distribution(logits: [Float], history: ArraySlice<Int32> = []) -> [(id: Int32, probability: Double)] {
        let outcome = logits.withUnsafeBufferPointer { truncate(logits: $0, history: history) }
        switch outcome {
        case .token(let token):
            return [(token, 1)]
        case .candidates(let total):
            return candidates.map { ($0.id, Double($0.value) / total) }
        }
    }

    // MARK: - The pipeline

    enum Truncation { case token(Int32), candidates(total: Double) }

    /// Runs every filter; leaves the survivors with their unnormalised probabilities in `candidates`.
    private mutating func truncate(logits: UnsafeBufferPointer<Float>, history: ArraySlice<Int32>) -> Truncation {
        precondition(!logits.isEmpty, "Sampler: empty logits")
        let p = parameters
        loadScores(logits, history: history)
        // Validation rejects negative or NaN temperatures; treating them as greedy keeps an unvalidated sampler total.
        if !(p.temperature > 0) || p.topK == 1 { return .token(argmax()) }

        let sorted: Bool
        if p.topK > 0 && p.topK < scores.count {
            selectTopK(p.topK)
            sorted = true
        } else {
            candidates.removeAll(keepingCapacity: true)
            for (i, s) in scores.enumerated() { candidates.append(Candidate(id: Int32(i), value: s)) }
            sorted = false
        }

        // Weights exp((x - max) / T): the best weight is exactly 1, which min-p uses below.
        let maxScore = sorted ? candidates[0].value : candidates.reduce(-Float.infinity) { max($0, $1.value) }
        guard maxScore.isFinite else { return .token(argmax()) }   // every logit masked to -inf (or +inf)
        let inverseT = 1 / p.temperature
        var total = 0.0
        for i in candidates.indices {
            let w = exp((candidates[i].value - maxScore) * inverseT)
            candidates[i].value = w
            total += Double(w)
        }

        if p.minP > 0 {
            // Ratio to the best token, so it does not matter that `total` is the pre-filter mass.
            candidates.removeAll { $0.value < p.minP }
        }
        if p.topP < 1 {
            // Mass is measured against the distribution before min-p (transformers' order, see above).
            let target = Double(p.topP) * total
            if sorted { keepSortedPrefix(mass: target) } else { keepBestFirst(mass: target) }
        }
        let keptMass = candidates.reduce(0.0) { $0 + Double($1.value) }
        return .candidates(total: keptMass)
    }

    /// Copies the logits into `scores` and applies the repetition penalty to each distinct recent token once.
    private mutating func loadScores(_ logits: UnsafeBufferPointer<Float>, history: ArraySlice<Int32>) {
        scores.removeAll(keepingCapacity: true)
        scores.append(contentsOf: logits)
        let penalty = parameters.repetitionPenalty
        guard penalty != 1 else { return }
        let window = parameters.repetitionWindow > 0 ? history.suffix(parameters.repetitionWindow) : history
        // Each distinct token is penalised once however often it occurs (torch.gather/scatter in
        // transformers, a token-count map in llama.cpp). Out-of-vocabulary ids are ignored.
        var done = Set<Int32>(minimumCapacity: window.count)
        for token in window where token >= 0 && Int(token) < scores.count && done.insert(token).inserted {
            let x = scores[Int(token)]
            scores[Int(token)] = x > 0 ? x / penalty : x * penalty
        }
    }

    /// The index of the largest score; the lowest index wins ties (and NaNs never win).
    private func argmax() -> Int32 {
        var best = 0
        for i in scores.indices.dropFirst() where scores[i] > scores[best] || scores[best].isNaN {
            best = i
        }
        return Int32(best)
    }
}

/// A token and a score attached to it (a logit or an unnormalised probability).
struct Candidate: Sendable {
    var id: Int32
    var value: Float

    /// Best-first order: higher value, then lower id so ties resolve like `argmax`.
    @inline(__always)
    static func isBetter(_ a: Candidate, than b: Candidate) -> Bool {
        a.value > b.value || (a.value == b.value && a.id < b.id)
    }
}
