import Foundation
import PithTokenizers

/// Drives the tokenizer.json reader, then uses what it built (a loaded tokenizer must encode and decode anything).
enum TokenizerHarness {
    static let sample = "Hello, world! <|im_start|>user 1234 [CLS] naïve café 日本語 \u{1F600}\n\t<s></s>[SEP]"

    static func run(_ input: [UInt8]) {
        let split = input.firstIndex(of: 0)
        let json = Data(input[..<(split ?? input.endIndex)])
        let config = split.map { Data(input[($0 + 1)...]) }
        guard let tokenizer = attempt("loadTokenizer", { try loadTokenizer(tokenizerJSONData: json, configData: config) }) else {
            return
        }
        exercise(tokenizer)
    }

    static func exercise(_ tokenizer: any Tokenizer) {
        let ids = tokenizer.encode(sample, addSpecialTokens: true, parseSpecialTokens: true)
        _ = tokenizer.decode(ids)
        _ = tokenizer.encode(sample, addSpecialTokens: false, parseSpecialTokens: false)
        for id in [Int32(-1), 0, 1, Int32(tokenizer.vocabularySize), Int32.max] {
            _ = tokenizer.tokenBytes(id)
            _ = tokenizer.tokenString(id)
        }
    }
}
