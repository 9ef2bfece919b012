import PithRuntime
import PithTensor

/// Perplexity of a base model and of models derived from it, and how far their next-token distributions drift from the
/// base's, in one pass over the chunks that `LanguageModel.perplexity` scores.
///
/// Each chunk runs through the base once, then through every other model; for each scored token it adds the base's and
/// the other's negative log-likelihood, KL(P_base ‖ P_other) and whether their argmax agree. Memory stays bounded:
/// one chunk's logits of the base and of one other model at a time (rows × vocabulary floats each), plus one Double per
/// scored token and model for the KL percentiles.
public struct ModelComparison {
    public let base: LanguageModel
    public let others: [LanguageModel]
    public let chunks: EvaluationChunks

    /// Cuts `text` with the base's tokenizer; every other model must share the vocabulary and tokenize the text the same.
    public init(base: LanguageModel, others: [LanguageModel], text: String, context: Int = 512, maxChunks: Int? = nil) throws {
        for model in [base] + others { try model.requireStates(capacity: context) }
        let chunks = try EvaluationChunks(text: text, tokenizer: base.tokenizer, context: context, maxChunks: maxChunks)
        let used = chunks.count * context
        for other in others {
            guard other.vocabularySize == base.vocabularySize else {
                throw EvaluationError("\(other.model.source.path): vocabulary of \(other.vocabularySize) tokens, the base has \(base.vocabularySize); KL divergence needs the same vocabulary")
            }
            let theirs = try EvaluationChunks(text: text, tokenizer: other.tokenizer, context: context, maxChunks: maxChunks)
            guard theirs.count == chunks.count, theirs.bos == chunks.bos, theirs.tokens.prefix(used) == chunks.tokens.prefix(used) else {
                throw EvaluationError("\(other.model.source.path): tokenizes the text differently from the base; the chunks would not compare")
            }
        }
        self.base = base
        self.others = others
        self.chunks = chunks
    }

    /// What one compared model scored.
    public struct Divergence: Codable, Sendable, Equatable {
        public var perplexity: PerplexityScore
        public var divergence: DivergenceStatistics
    }

    public struct Result: Codable, Sendable, Equatable {
        public var context: Int
        public var chunks: Int
        public var base: PerplexityScore
        /// One entry per other model, in order.
        public var others: [Divergence]
    }

    /// Where a run stands after a chunk.
    public struct Progress: Sendable {
        public var chunk: Int
        public var chunks: Int
        public var basePerplexity: Double
        /// Running perplexity and mean KL divergence of each other model.
        public var perplexities: [Double]
        public var klMeans: [Double]
    }

    /// Scores every chunk; `progress` is called after each.
    public func run(progress: (Progress) -> Void = { _ in }) throws -> Result {
        let rows = chunks.scoredRows
        let vocabulary = base.vocabularySize
        let baseState = base.makeState(capacity: chunks.context)
        let otherStates = others.map { $0.makeState(capacity: chunks.context) }
        var basePPL = PerplexityAccumulator()
        var otherPPL = [PerplexityAccumulator](repeating: .init(), count: others.count)
        var otherKL = [DivergenceAccumulator](repeating: .init(), count: others.count)

        for c in 0..<chunks.count {
            let piece = chunks.chunk(c)
            baseState.reset()
            let baseLogits = try base.forward(piece, state: baseState, logitRows: rows)  // (rows, vocabulary)
            let baseRows = Self.distributions(baseLogits, rows: rows.count, vocabulary: vocabulary)
            baseLogits.withUnsafeBufferPointer { all in
                for (i, row) in rows.enumerated() {
                    let logits = UnsafeBufferPointer(rebasing: all[(i * vocabulary)..<((i + 1) * vocabulary)])
                    basePPL.add(nll: baseRows[i].negativeLogLikelihood(logits, target: Int(piece[row + 1])))
                }
            }
            for (m, other) in others.enumerated() {
                otherStates[m].reset()
                let logits = try other.forward(piece, state: otherStates[m], logitRows: rows)  // (rows, vocabulary)
                let tokens = Self.compare(base: baseLogits, baseRows, other: logits, rows: rows, piece: piece, vocabulary: vocabulary)
                for t in tokens {
                    otherPPL[m].add(nll: t.nll)
                    otherKL[m].add(kl: t.kl, sameTop1: t.sameTop1)
                }
            }
            progress(Progress(chunk: c + 1, chunks: chunks.count, basePerplexity: basePPL.runningPerplexity,
                              perplexities: otherPPL.map(\.runningPerplexity), klMeans: otherKL.map(\.runningMean)))
        }
        guard let baseScore = basePPL.summary() else { throw EvaluationError("no token was scored") }
        var results: [Divergence] = []
        for m in others.indices {
            guard let p = otherPPL[m].summary(), let d = otherKL[m].summary() else { throw EvaluationError("no token was scored") }
            results.append(Divergence(perplexity: p, divergence: d))
        }
        return Result(context: chunks.context, chunks: chunks.count, base: baseScore, others: results)
    }

    // MARK: - Per-row work, rows in parallel, results in row order

    /// One scored token of another model.
    struct TokenComparison {
        var nll: Double
        var kl: Double
        var sameTop1: Bool
    }

    /// The distribution of each row of `logits` (rows × vocabulary).
    static func distributions(_ logits: [Float], rows: Int, vocabulary: Int) -> [TokenDistribution] {
        logits.withUnsafeBufferPointer { all in
            [TokenDistribution](unsafeUninitializedCapacity: rows) { out, initialized in
                let out = out.baseAddress!
                ThreadPool.shared.parallelFor(rows) { range in
                    for r in range {
                        (out + r).initialize(to: TokenDistribution(UnsafeBufferPointer(rebasing: all[(r * vocabulary)..<((r + 1) * vocabulary)])))
                    }
                }
                initialized = rows
            }
        }
    }

    /// NLL of the target, KL(base ‖ other) and top-1 agreement for every scored row. Each row is computed by one thread
    /// start to finish and the caller sums in row order, so the figures do not depend on the thread count.
    static func compare(base: [Float], _ baseRows: [TokenDistribution], other: [Float], rows: [Int], piece: [Int32],
                        vocabulary: Int) -> [TokenComparison] {
        base.withUnsafeBufferPointer { baseAll in
            other.withUnsafeBufferPointer { otherAll in
                [TokenComparison](unsafeUninitializedCapacity: rows.count) { out, initialized in
                    let out = out.baseAddress!
                    ThreadPool.shared.parallelFor(rows.count) { range in
                        for i in range {
                            let span = (i * vocabulary)..<((i + 1) * vocabulary)
                            let p = UnsafeBufferPointer(rebasing: baseAll[span]), q = UnsafeBufferPointer(rebasing: otherAll[span])
                            let qRow = TokenDistribution(q)
                            (out + i).initialize(to: TokenComparison(
                                nll: qRow.negativeLogLikelihood(q, target: Int(piece[rows[i] + 1])),
                                kl: TokenDistribution.klDivergence(base: p, baseRows[i], other: q, qRow),
                                sameTop1: baseRows[i].argmax == qRow.argmax))
                        }
                    }
                    initialized = rows.count
                }
            }
        }
    }
}
