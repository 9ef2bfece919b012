import Foundation

// MARK: - Picking the tokenizer a tokenizer.json describes

/// Loads the tokenizer a Hugging Face `tokenizer.json` describes, chosen by its `model.type`:
/// ``BPETokenizer`` for `BPE`, ``WordPieceTokenizer`` for `WordPiece`.
///
/// A file without `model.type` is taken as BPE when its model has `merges`, else as WordPiece.
/// Unreadable or malformed files and other model types throw a ``TokenizerError``.
public func loadTokenizer(tokenizerJSON url: URL) throws -> any Tokenizer {
    let data: Data
    do { data = try Data(contentsOf: url) } catch {
        throw TokenizerError(file: url.path, fault: "cannot be read (\(error.localizedDescription))")
    }
    let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
    let config = FileManager.default.fileExists(atPath: configURL.path) ? try? Data(contentsOf: configURL) : nil
    return try loadTokenizer(tokenizerJSONData: data, configData: config, file: url.lastPathComponent)
}

/// The same from bytes already in memory (e.g. a package section); `configData` is `tokenizer_config.json`'s content.
public func loadTokenizer(tokenizerJSONData data: Data, configData: Data? = nil, file: String = "tokenizer.json") throws -> any Tokenizer {
    let reader = JSONReader(file: file)
    let root = try reader.object(try reader.parse(data), "the top level")
    let model = try reader.object(root["model"], "model")
    let type = try reader.field(model, "type", "model.type", as: String.self) ?? (model["merges"] != nil ? "BPE" : "WordPiece")
    switch type {
    case "BPE":
        return try BPETokenizer(vocabulary: BPEVocabulary(tokenizerJSONData: data, configData: configData, file: file), source: file)
    case "WordPiece":
        return try WordPieceTokenizer(root: root, reader: reader)
    default:
        throw TokenizerError(file: file, fault: "model type \"\(type)\" is not supported (BPE and WordPiece are)")
    }
}
