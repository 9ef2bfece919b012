import ArgumentParser
import Foundation
import PithRuntime

/// `pith embed`: sentence embeddings from an encoder model.
struct Embed: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Turn sentences into embedding vectors (one per --text, or one per line of --file).")

    @OptionGroup var options: ModelOptions
    @Option(help: "One sentence to embed.") var text: String?
    @Option(help: "A file with one sentence per line (empty lines skipped).") var file: String?
    @Option(help: "Sentences per batch.") var batchSize = 64
    @Option(help: "Tokens per sentence at most (default: the model's max_seq_length).") var maxLength: Int?
    @Flag(help: "Print JSON: one vector for --text, an array of vectors for --file.") var json = false

    func run() throws {
        let input = try reportingErrors { try TextInput.read(text: text, file: file) }
        let sentences = file == nil ? [input] : input.split(whereSeparator: \.isNewline).map(String.init).filter { !$0.allSatisfy(\.isWhitespace) }
        let embedder = try EmbeddingOptions.embedder(options, batchSize: batchSize, maxLength: maxLength)
        let start = ContinuousClock.now
        let vectors = try reportingErrors {
            try embedder.embed(sentences) { done, total in
                if total > 1000 { Progress.update("embedded \(done)/\(total)") }
            }
        }
        let seconds = (ContinuousClock.now - start).seconds
        // JSON has no NaN: a vector that is not finite is an error, never printed as "nan".
        if let bad = vectors.firstIndex(where: { !$0.allSatisfy(\.isFinite) }) {
            print("pith: the embedding of \(file == nil ? "--text" : "line \(bad + 1) of \(file ?? "")") is not finite (NaN or infinity)", to: &standardError)
            throw ExitCode(1)
        }
        if json {
            let body = vectors.map { "[" + $0.map { String($0) }.joined(separator: ", ") + "]" }
            print(file == nil ? body[0] : "[\n" + body.joined(separator: ",\n") + "\n]")
        } else {
            for (sentence, vector) in zip(sentences, vectors) {
                let head = vector.prefix(6).map { String(format: "%.4f", $0) }.joined(separator: ", ")
                print("[\(head), …] (\(vector.count))  \(sentence.prefix(60))")
            }
        }
        Progress.finish("embedded \(sentences.count) sentence(s) in \(String(format: "%.3f", seconds)) s: \(String(format: "%.1f", Double(sentences.count) / seconds)) sentences/s")
    }
}

/// `pith similarity`: cosine similarity of sentence embeddings.
struct Similarity: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Cosine similarity of two sentences' embeddings (a matrix for more).")

    @OptionGroup var options: ModelOptions
    @Argument(help: "Two or more sentences.") var sentences: [String]
    @Flag(help: "Print JSON.") var json = false

    func run() throws {
        guard sentences.count >= 2 else {
            print("pith: similarity needs at least two sentences", to: &standardError)
            throw ExitCode(1)
        }
        let embedder = try EmbeddingOptions.embedder(options, batchSize: 64, maxLength: nil)
        let vectors = try reportingErrors { try embedder.embed(sentences) }
        let matrix = vectors.map { a in vectors.map { b in EmbeddingModel.cosine(a, b) } }
        guard matrix.allSatisfy({ $0.allSatisfy(\.isFinite) }) else {
            print("pith: a similarity is not finite (NaN or infinity): an embedding holds one", to: &standardError)
            throw ExitCode(1)
        }
        if sentences.count == 2 {
            print(json ? "{\"cosine\": \(matrix[0][1])}" : String(format: "%.6f", matrix[0][1]))
        } else if json {
            try printJSON(SimilarityMatrix(sentences: sentences, cosine: matrix))
        } else {
            for (i, row) in matrix.enumerated() {
                print(row.map { String(format: "%7.4f", $0) }.joined(separator: " ") + "  \(sentences[i].prefix(50))")
            }
        }
    }
}

/// An encoder ready to embed, with the user's batch size and length limit.
enum EmbeddingOptions {
    static func embedder(_ options: ModelOptions, batchSize: Int, maxLength: Int?) throws -> EmbeddingModel {
        var model = try options.load()
        if let maxLength {
            guard maxLength >= 2 else {
                print("pith: --max-length must be at least 2", to: &standardError)
                throw ExitCode(1)
            }
            guard maxLength <= model.contextLength else {
                print("pith: --max-length \(maxLength) exceeds the model's trained context of \(model.contextLength) tokens", to: &standardError)
                throw ExitCode(1)
            }
            model.contextLength = maxLength
        }
        guard batchSize >= 1 else {
            print("pith: --batch-size must be at least 1", to: &standardError)
            throw ExitCode(1)
        }
        let embedder = try reportingErrors { try EmbeddingModel(model: model, batchSize: batchSize) }
        embedder.executor.checksFinite = !options.noCheckFinite
        return embedder
    }
}

struct SimilarityMatrix: Encodable {
    let sentences: [String]
    let cosine: [[Float]]
}
