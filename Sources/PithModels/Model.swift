import Foundation
import PithGraph
import PithTokenizers

/// A loaded model: the standard's structure (graphs), the weights its parameters point to, and its tokenizer.
public struct Model: @unchecked Sendable {
    public var structure: ModelStructure
    public var weights: Weights
    public var tokenizer: (any Tokenizer)?
    /// The file or folder it was read from.
    public var source: URL
    /// The longest sequence the model was trained for.
    public var contextLength: Int

    public init(structure: ModelStructure, weights: Weights, tokenizer: (any Tokenizer)?, source: URL, contextLength: Int) {
        self.structure = structure
        self.weights = weights
        self.tokenizer = tokenizer
        self.source = source
        self.contextLength = contextLength
    }

    /// The tokenizer, or an error naming the model file when it has none.
    public func requireTokenizer() throws -> any Tokenizer {
        guard let tokenizer else { throw ModelError.missingTokenizer(source.path) }
        return tokenizer
    }

    /// Loads a `.gguf` file, a Hugging Face folder, or a default model's alias (see `ModelLocator`).
    public static func load(_ reference: String) throws -> Model {
        let url = try ModelLocator().resolve(reference)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw ModelError.notFound(url.path)
        }
        if isDirectory.boolValue { return try HuggingFaceLoader.load(folder: url) }
        return try GGUFLoader.load(url: url)
    }
}
