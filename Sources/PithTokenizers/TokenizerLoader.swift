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
    let reader = JSONReader(file: url.lastPathComponent)
    let root = try reader.object(try reader.parse(data), "the top level")
    let model = try reader.object(root["model"], "model")
    let type = try reader.field(model, "type", "model.type", as: String.self) ?? (model["merges"] != nil ? "BPE" : "WordPiece")
    switch type {
    case "BPE":
        return try BPETokenizer(tokenizerJSON: url)
    case "WordPiece":
        return try WordPieceTokenizer(root: root, reader: reader)
    default:
        throw TokenizerError(file: url.lastPathComponent, fault: "model type \"\(type)\" is not supported (BPE and WordPiece are)")
    }
}
