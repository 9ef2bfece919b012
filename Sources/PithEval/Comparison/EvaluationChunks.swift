import PithRuntime
import PithTokenizers

/// The chunks of a text that perplexity scores, cut exactly as `LanguageModel.perplexity` cuts them.
///
/// The text is tokenized whole (BOS first when the model adds one) and cut into `count` consecutive chunks of
/// `context` tokens (the last partial chunk dropped); each chunk starts with BOS when the model adds one, and the
/// tokens from `context/2 + 1` on are scored, each predicted from the logits of the row before it.
public struct EvaluationChunks: Sendable {
    public let context: Int
    public let count: Int
    /// The whole text's tokens.
    public let tokens: [Int32]
    /// BOS, written over each chunk's first token when the tokenizer adds one.
    let bos: Int32?

    /// Tokenizes `text` with `tokenizer` and cuts it; throws when `context` is too small or the text too short.
    public init(text: String, tokenizer: any Tokenizer, context: Int = 512, maxChunks: Int? = nil) throws {
        guard context >= 8 else { throw EvaluationError("--context must be at least 8, got \(context)") }
        var tokens = tokenizer.encode(text, addSpecialTokens: true, parseSpecialTokens: false)
        let bos = tokenizer.addsBOS ? tokenizer.bosTokenID : nil
        if let bos, tokens.first != bos { tokens.insert(bos, at: 0) }
        var count = tokens.count / context
        if let maxChunks { count = min(count, max(maxChunks, 0)) }
        guard count > 0 else {
            throw EvaluationError("the text has \(tokens.count) tokens, fewer than one chunk of \(context)")
        }
        self.context = context
        self.count = count
        self.tokens = tokens
        self.bos = bos
    }

    /// Rows whose logits are scored: context/2 ..< context − 1 (row r predicts token r + 1).
    public var scoredRows: [Int] { Array((context / 2)..<(context - 1)) }

    /// Scored tokens per chunk.
    public var tokensPerChunk: Int { context - 1 - context / 2 }

    /// The tokens of chunk `index`, BOS first when the model adds one.
    public func chunk(_ index: Int) -> [Int32] {
        var piece = Array(tokens[(index * context)..<((index + 1) * context)])
        if let bos { piece[0] = bos }
        return piece
    }
}
