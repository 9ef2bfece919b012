import PithGraph
import PithTensor
import PithModels
import PithTokenizers

/// A decoder-only model ready to score and generate: the executor plus its tokenizer.
///
/// Its graph reads `token_ids`, `positions` and `output_rows` and writes `logits` (ARCHITECTURE.md: one executor for all).
public final class LanguageModel: @unchecked Sendable {
    public let model: Model
    public let executor: Executor
    public let tokenizer: any Tokenizer
    public let vocabularySize: Int

    public init(model: Model, maxBatch: Int = 512) throws {
        guard model.structure.family == .decoderOnly else {
            throw ExecutionError("\(model.source.path): a \(model.structure.family.rawValue) model cannot generate text")
        }
        self.model = model
        tokenizer = try model.requireTokenizer()
        // A decoder never takes more rows at once than its context holds.
        executor = try Executor(model: model, maxRows: min(max(maxBatch, 1), max(model.contextLength, 1)))
        for name in ["token_ids", "positions", "output_rows"] where !executor.inputNames.contains(name) {
            throw ExecutionError("\(model.source.path): the graph has no '\(name)' input")
        }
        guard let logits = executor.graph.variable(named: "logits") else {
            throw ExecutionError("\(model.source.path): the graph has no 'logits' output")
        }
        vocabularySize = logits.rowLength
    }

    /// Throws unless `count` sequences of `capacity` tokens are possible: within the model's trained context (`flag`
    /// names the option that asked) and within the memory the machine has.
    public func requireStates(capacity: Int, count: Int = 1, flag: String = "--context") throws {
        guard capacity <= model.contextLength else {
            throw LimitError("\(flag) \(capacity) exceeds the model's trained context of \(model.contextLength) tokens")
        }
        try executor.requireStates(capacity: capacity, count: count)
    }

    /// Caches for a sequence of up to `capacity` tokens (default: the model's trained context).
    public func makeState(capacity: Int? = nil) -> ExecutionState {
        executor.makeState(capacity: capacity ?? model.contextLength)
    }

    /// Feeds `tokens` after what `state` holds and returns the logits of the tokens at `logitRows` (indices into `tokens`),
    /// row after row (`logitRows.count × vocabularySize`). Long inputs run in batches of the executor's size.
    public func forward(_ tokens: [Int32], state: ExecutionState, logitRows: [Int]) throws -> [Float] {
        guard !tokens.isEmpty else { return [] }
        guard logitRows.allSatisfy({ $0 >= 0 && $0 < tokens.count }) else { throw ExecutionError("a logit row lies outside the input") }
        // Logits come back batch by batch, in ascending row order; `offsetOf` finds a row's place in `all`.
        let wanted = Set(logitRows)
        var all: [Float] = []
        var offsetOf: [Int: Int] = [:]
        var start = 0
        while start < tokens.count {
            let end = min(start + executor.maxRows, tokens.count)
            let rows = (start..<end).filter { wanted.contains($0) }
            let first = state.length
            let out = try executor.run(inputs: [
                "token_ids": Array(tokens[start..<end]),
                "positions": (first..<(first + end - start)).map { Int32($0) },
                "output_rows": rows.map { Int32($0 - start) },
            ], rows: end - start, state: state)
            if !rows.isEmpty, let values = out["logits"]?.values {
                for (i, row) in rows.enumerated() { offsetOf[row] = all.count + i * vocabularySize }
                all.append(contentsOf: values)
            }
            start = end
        }
        // The usual request (ascending, distinct rows) is already in order.
        if logitRows.count == offsetOf.count && zip(logitRows, logitRows.dropFirst()).allSatisfy({ $0 < $1 }) { return all }
        var logits: [Float] = []
        logits.reserveCapacity(logitRows.count * vocabularySize)
        for row in logitRows {
            guard let offset = offsetOf[row] else { throw ExecutionError("no logits came back for row \(row)") }
            logits.append(contentsOf: all[offset..<(offset + vocabularySize)])
        }
        return logits
    }

    /// Logits of the last token after feeding `tokens`.
    public func nextTokenLogits(_ tokens: [Int32], state: ExecutionState) throws -> [Float] {
        try forward(tokens, state: state, logitRows: [tokens.count - 1])
    }
}
