import Foundation

/// Perplexity computed exactly as llama.cpp's `llama-perplexity` does, so the figures compare one to one.
///
/// The text is tokenized whole (BOS first when the model adds one) and cut into consecutive chunks of `context`
/// tokens (the last partial chunk dropped). Each chunk is evaluated from an empty cache, its first token replaced by
/// BOS when the model adds one, and only its second half is scored: tokens from `context/2 + 1` on, each predicted
/// from all the tokens before it in the chunk.
public struct PerplexityResult: Codable, Sendable {
    public var perplexity: Double
    public var tokensScored: Int
    public var chunks: Int
    public var seconds: Double
    /// Mean negative log-likelihood per scored token (nats).
    public var meanNLL: Double
    /// Standard error of the perplexity (delta method, as llama.cpp prints it).
    public var standardError: Double

    enum CodingKeys: String, CodingKey {
        case perplexity, chunks, seconds
        case tokensScored = "tokens_scored"
        case meanNLL = "mean_nll"
        case standardError = "standard_error"
    }
}

extension LanguageModel {
    /// Scores `text`; `progress(chunk, chunks, runningPerplexity)` is called after every chunk.
    public func perplexity(text: String, context: Int = 512, maxChunks: Int? = nil,
                           progress: (Int, Int, Double) -> Void = { _, _, _ in }) throws -> PerplexityResult {
        guard context >= 8 else { throw ExecutionError("--context must be at least 8, got \(context)") }
        if let maxChunks, maxChunks < 1 { throw ExecutionError("--chunks must be at least 1, got \(maxChunks)") }
        try requireStates(capacity: context)
        let clock = ContinuousClock.now
        var tokens = tokenizer.encode(text, addSpecialTokens: true, parseSpecialTokens: false)
        if tokenizer.addsBOS, let bos = tokenizer.bosTokenID, tokens.first != bos { tokens.insert(bos, at: 0) }
        var chunks = tokens.count / context
        if let maxChunks { chunks = min(chunks, maxChunks) }
        guard chunks > 0 else {
            throw ExecutionError("the text has \(tokens.count) tokens, fewer than one chunk of \(context)")
        }
        let first = context / 2
        let scoredRows = Array(first..<(context - 1))
        var nllSum = 0.0, nll2Sum = 0.0, count = 0
        let state = makeState(capacity: context)
        for chunk in 0..<chunks {
            var piece = Array(tokens[(chunk * context)..<((chunk + 1) * context)])
            if tokenizer.addsBOS, let bos = tokenizer.bosTokenID { piece[0] = bos }
            state.reset()
            let logits = try forward(piece, state: state, logitRows: scoredRows)
            for (i, row) in scoredRows.enumerated() {
                let target = Int(piece[row + 1])
                let nll = Self.negativeLogLikelihood(logits, offset: i * vocabularySize, count: vocabularySize, target: target)
                nllSum += nll
                nll2Sum += nll * nll
                count += 1
            }
            progress(chunk + 1, chunks, exp(nllSum / Double(count)))
        }
        let mean = nllSum / Double(count)
        let variance = max(nll2Sum / Double(count) - mean * mean, 0)
        let ppl = exp(mean)
        let elapsed = ContinuousClock.now - clock
        return PerplexityResult(
            perplexity: ppl, tokensScored: count, chunks: chunks,
            seconds: elapsed.seconds,
            meanNLL: mean, standardError: ppl * (variance / Double(max(count - 1, 1))).squareRoot())
    }

    /// −log softmax(logits)[target], computed in double with the max subtracted.
    static func negativeLogLikelihood(_ logits: [Float], offset: Int, count: Int, target: Int) -> Double {
        var maxLogit = -Float.infinity
        for i in offset..<(offset + count) { maxLogit = max(maxLogit, logits[i]) }
        var sum = 0.0
        for i in offset..<(offset + count) { sum += exp(Double(logits[i] - maxLogit)) }
        return log(sum) - Double(logits[offset + target] - maxLogit)
    }
}
