import Foundation
@testable import PithTokenizers

/// Where pith keeps downloaded models: `$PITH_HOME`, or `~/.cache/pith`.
enum PithHome {
    static var url: URL {
        if let home = ProcessInfo.processInfo.environment["PITH_HOME"], !home.isEmpty {
            return URL(fileURLWithPath: home)
        }
        return FileManager.default.homeDirectoryForCurrentUser.appendingPathComponent(".cache/pith")
    }

    static func model(_ relative: String) -> URL { url.appendingPathComponent("models/\(relative)") }
}

/// The default real model the parity tests run against.
enum SmolLM2 {
    static let relativePath = "smollm2/SmolLM2-135M-Instruct.Q4_1.gguf"
    static var url: URL { PithHome.model(relativePath) }
    static var isPresent: Bool {
        let present = FileManager.default.fileExists(atPath: url.path)
        if !present {
            print("NOTE: \(url.path) is missing, so the SmolLM2 tokenizer parity tests are skipped; fetch it with `make models`.")
        }
        return present
    }
}

/// The test strings and stored reference ids in Tests/PithTokenizersTests/Data.
enum ReferenceData {
    struct Entry: Decodable { var name: String; var text: String }
    struct Ids: Decodable {
        var reference: String
        var ids: [String: [Int32]]
        var ids_no_parse_special: [String: [Int32]]
    }

    static func load<T: Decodable>(_ name: String, as type: T.Type) throws -> T {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Data") else {
            throw TokenizerError(file: "\(name).json", fault: "is not in the test bundle's Data folder")
        }
        return try JSONDecoder().decode(T.self, from: Data(contentsOf: url))
    }

    static func strings() throws -> [Entry] { try load("strings", as: [Entry].self) }
}

/// A scratch directory removed when the value goes away.
final class TempDir {
    let url: URL
    init() throws {
        url = FileManager.default.temporaryDirectory.appendingPathComponent("pith-tokenizers-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }
    deinit { try? FileManager.default.removeItem(at: url) }
}

/// A tiny byte-level vocabulary: the 256 byte tokens, then the results of `merges` in order, then `specials`.
func syntheticVocabulary(merges: [(String, String)], specials: [(String, TokenType)] = [],
                         preTokenizer: PreTokenizerKind = .gpt2) -> BPEVocabulary {
    var tokens = ByteLevel.characterForByte.map { String($0) }
    for (left, right) in merges where !tokens.contains(left + right) { tokens.append(left + right) }
    var types = [TokenType](repeating: .normal, count: tokens.count)
    for (text, type) in specials {
        tokens.append(text)
        types.append(type)
    }
    return BPEVocabulary(tokens: tokens, tokenTypes: types, merges: merges,
                         eosTokenID: specials.isEmpty ? nil : Int32(tokens.count - specials.count),
                         preTokenizer: preTokenizer)
}

/// The WordPiece model the BERT parity tests run against: all-MiniLM-L6-v2's tokenizer.json.
enum MiniLM {
    static let relativePath = "minilm/tokenizer.json"
    static var url: URL { PithHome.model(relativePath) }
    static var isPresent: Bool {
        let present = FileManager.default.fileExists(atPath: url.path)
        if !present {
            print("NOTE: \(url.path) is missing, so the WordPiece parity tests are skipped; fetch it with `make models`.")
        }
        return present
    }
}

/// Hugging Face `tokenizers`' output for MiniLM, written by scripts/reference/wordpiece_ids.py.
struct WordPieceReference: Decodable {
    struct Pair: Decodable {
        var name: String
        var first: String
        var second: String
        var ids: [Int32]
        var type_ids: [Int32]
    }
    struct Batch: Decodable {
        var texts: [String]
        var ids: [[Int32]]
        var type_ids: [[Int32]]
        var attention_mask: [[Int32]]
    }
    var reference: String
    var max_length: Int
    var strings: [ReferenceData.Entry]
    var ids: [String: [Int32]]
    var ids_no_truncation: [String: [Int32]]
    var ids_no_special: [String: [Int32]]
    var ids_no_parse_special: [String: [Int32]]
    var decoded: [String: String]
    var decoded_skip_special: [String: String]
    var pairs: [Pair]
    var batch: Batch

    static func load() throws -> WordPieceReference { try ReferenceData.load("minilm-hf-ids", as: WordPieceReference.self) }
}
