import ArgumentParser
import Foundation

/// `pith tokenize`: the ids the model is fed for a text.
struct Tokenize: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Show the token ids a model is fed for a text.")

    @OptionGroup var options: ModelOptions
    @Option(help: "The text to tokenize.") var text: String?
    @Option(help: "Read the text from a file instead.") var file: String?
    @Flag(help: "Print a JSON array of ids.") var json = false
    @Flag(help: "Do not add the model's special tokens (BOS, [CLS] … [SEP]).") var noSpecial = false
    @Flag(help: "Treat special tokens written in the text as plain text.") var noParseSpecial = false

    func run() throws {
        let input = try reportingErrors { try TextInput.read(text: text, file: file) }
        let model = try options.load()
        let tokenizer = try reportingErrors { try model.requireTokenizer() }
        let ids = tokenizer.encode(input, addSpecialTokens: !noSpecial, parseSpecialTokens: !noParseSpecial)
        if json {
            print("[" + ids.map(String.init).joined(separator: ", ") + "]")
        } else {
            for id in ids {
                let piece = tokenizer.tokenString(id) ?? "?"
                print("\(id)\t\(piece.debugDescription)")
            }
            print("\(ids.count) tokens", to: &standardError)
        }
    }
}

/// Text from `--text` or `--file` (exactly one).
enum TextInput {
    struct Failure: Error, CustomStringConvertible { let description: String }

    static func read(text: String?, file: String?) throws -> String {
        switch (text, file) {
        case (let t?, nil): return t
        case (nil, let path?):
            guard let data = FileManager.default.contents(atPath: path) else { throw Failure(description: "\(path): cannot read file") }
            return String(decoding: data, as: UTF8.self)
        case (nil, nil): throw Failure(description: "give --text or --file")
        case (_?, _?): throw Failure(description: "give --text or --file, not both")
        }
    }
}
