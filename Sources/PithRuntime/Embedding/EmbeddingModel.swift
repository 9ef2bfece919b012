import PithGraph
import PithModels
import PithTokenizers

/// An encoder that turns sentences into vectors: the executor over a graph with a `sentence_embedding` output.
///
/// Sentences run in right-padded batches of similar length (sorted, as sentence-transformers does), so the linear
/// layers see many rows at once and go through BLAS GEMM.
public final class EmbeddingModel: @unchecked Sendable {
    public let model: Model
    public let executor: Executor
    public let tokenizer: (any Tokenizer)?
    /// Features of one embedding.
    public let dimension: Int
    /// Tokens per sentence at most, special tokens included; longer input is truncated.
    public let maxLength: Int
    /// Sentences per batch at most.
    public var batchSize: Int

    /// - Parameter maxBatchTokens: rows (sentences × padded length) one executor call holds at most.
    public init(model: Model, batchSize: Int = 64, maxBatchTokens: Int = 4096) throws {
        guard model.structure.family == .encoderOnly else {
            throw ExecutionError("\(model.source.path): a \(model.structure.family.rawValue) model has no sentence embedding")
        }
        self.model = model
        maxLength = max(model.contextLength, 2)
        // The model's length limit replaces tokenizer.json's own truncation (sentence-transformers does the same).
        if var wordPiece = model.tokenizer as? WordPieceTokenizer {
            wordPiece.maxLength = maxLength
            tokenizer = wordPiece
        } else {
            tokenizer = model.tokenizer
        }
        self.batchSize = max(batchSize, 1)
        executor = try Executor(model: model, maxRows: max(maxBatchTokens, maxLength))
        for name in Self.inputs where !executor.inputNames.contains(name) {
            throw ExecutionError("\(model.source.path): the graph has no '\(name)' input")
        }
        guard let output = executor.graph.variable(named: "sentence_embedding"), executor.graph.outputs.contains(output.name) else {
            throw ExecutionError("\(model.source.path): the graph has no 'sentence_embedding' output")
        }
        dimension = output.rowLength
    }

    static let inputs = ["token_ids", "token_type_ids", "positions", "attention_mask"]

    /// The ids a sentence is fed as: the tokenizer's template ([CLS] … [SEP]), cut to `maxLength` keeping the closing token.
    public func tokenize(_ text: String) throws -> [Int32] {
        guard let tokenizer else { throw ExecutionError("\(model.source.path): no tokenizer") }
        return truncated(tokenizer.encode(text, addSpecialTokens: true, parseSpecialTokens: true))
    }

    func truncated(_ ids: [Int32]) -> [Int32] {
        guard ids.count > maxLength, let last = ids.last else { return ids }
        return Array(ids.prefix(maxLength - 1)) + [last]
    }

    /// One embedding per sentence, in input order.
    public func embed(_ texts: [String], progress: ((Int, Int) -> Void)? = nil) throws -> [[Float]] {
        try embed(tokenized: texts.map(tokenize), progress: progress)
    }

    /// One embedding per id list (each already in the model's template), in input order.
    public func embed(tokenized sequences: [[Int32]], progress: ((Int, Int) -> Void)? = nil) throws -> [[Float]] {
        var result = [[Float]](repeating: [], count: sequences.count)
        // Longest first, so each batch pads little and the largest allocation happens once.
        let order = sequences.indices.sorted { sequences[$0].count > sequences[$1].count }
        var start = 0
        while start < order.count {
            let length = max(min(sequences[order[start]].count, maxLength), 1)
            let fit = max(min(batchSize, executor.maxRows / length), 1)
            let batch = Array(order[start..<min(start + fit, order.count)])
            let vectors = try run(batch.map { truncated(sequences[$0]) }, length: length)
            for (i, index) in batch.enumerated() { result[index] = vectors[i] }
            start += batch.count
            progress?(start, order.count)
        }
        return result
    }

    /// Runs sequences right-padded to `length` as one call.
    private func run(_ batch: [[Int32]], length: Int) throws -> [[Float]] {
        var ids: [Int32] = [], types: [Int32] = [], positions: [Int32] = [], mask: [Int32] = []
        let rows = batch.count * length
        ids.reserveCapacity(rows); types.reserveCapacity(rows); positions.reserveCapacity(rows); mask.reserveCapacity(rows)
        for sequence in batch {
            let real = min(sequence.count, length)
            ids += sequence.prefix(real)
            ids += [Int32](repeating: 0, count: length - real)
            types += [Int32](repeating: 0, count: length)
            positions += (0..<length).map { Int32($0) }
            mask += [Int32](repeating: 1, count: real) + [Int32](repeating: 0, count: length - real)
        }
        let out = try executor.run(inputs: ["token_ids": ids, "token_type_ids": types, "positions": positions, "attention_mask": mask],
                                   rows: rows, batch: batch.count)
        guard let embedding = out["sentence_embedding"], embedding.rows == batch.count else {
            throw ExecutionError("the graph gave no sentence embedding")
        }
        return (0..<batch.count).map { Array(embedding.values[($0 * dimension)..<(($0 + 1) * dimension)]) }
    }

    /// Cosine similarity of two vectors of equal length (0 when either is zero).
    public static func cosine(_ a: [Float], _ b: [Float]) -> Float {
        precondition(a.count == b.count, "cosine of vectors of \(a.count) and \(b.count) features")
        var dot: Double = 0, na: Double = 0, nb: Double = 0
        for i in a.indices {
            dot += Double(a[i]) * Double(b[i])
            na += Double(a[i]) * Double(a[i])
            nb += Double(b[i]) * Double(b[i])
        }
        let norm = (na * nb).squareRoot()
        return norm > 0 ? Float(dot / norm) : 0
    }
}
