import Foundation
import Testing
@testable import PithTokenizers

/// A tiny BERT-like vocabulary: specials 0–4, then word pieces.
private let tinyTokens = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]",
                          "un", "##aff", "##able", "aff", "able", "hello", "world", "!", ",", "##s", "a", "b", "cafe", "##e",
                          "[", "]", "mask", "'", "t", "don", "i", "##i", "##a"]

private func tinyJSON(normalizer: String = #"{"type": "BertNormalizer", "lowercase": true}"#,
                      truncation: String = "null", padding: String = "null") -> String {
    let vocab = tinyTokens.enumerated().map { "\"\($1)\": \($0)" }.joined(separator: ", ")
    let added = (0..<5).map { #"{"id": \#($0), "content": "\#(tinyTokens[$0])", "special": true, "normalized": false}"# }
    return """
    {"version": "1.0", "truncation": \(truncation), "padding": \(padding),
     "added_tokens": [\(added.joined(separator: ", "))],
     "normalizer": \(normalizer),
     "pre_tokenizer": {"type": "BertPreTokenizer"},
     "post_processor": {"type": "TemplateProcessing",
       "single": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],
       "pair": [{"SpecialToken": {"id": "[CLS]", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}},
                {"Sequence": {"id": "B", "type_id": 1}}, {"SpecialToken": {"id": "[SEP]", "type_id": 1}}],
       "special_tokens": {"[CLS]": {"id": "[CLS]", "ids": [2], "tokens": ["[CLS]"]}, "[SEP]": {"id": "[SEP]", "ids": [3], "tokens": ["[SEP]"]}}},
     "decoder": {"type": "WordPiece", "prefix": "##", "cleanup": true},
     "model": {"type": "WordPiece", "unk_token": "[UNK]", "continuing_subword_prefix": "##", "max_input_chars_per_word": 12, "vocab": {\(vocab)}}}
    """
}

private func tinyTokenizer() throws -> WordPieceTokenizer {
    try WordPieceTokenizer(tokenizerJSONData: Data(tinyJSON().utf8))
}

@Suite struct WordPieceTokenizerTests {
    @Test func greedyLongestMatchFirst() throws {
        let tokenizer = try tinyTokenizer()
        #expect(tokenizer.encode("unaffable", addSpecialTokens: false, parseSpecialTokens: true) == [5, 6, 7])
        #expect(tokenizer.encode("affable hello", addSpecialTokens: false, parseSpecialTokens: true) == [8, 7, 10])
        #expect(tokenizer.encode("Hello, worlds!") == [2, 10, 13, 11, 14, 12, 3])
        // No cover for the rest of the word: the whole word is [UNK], not just the tail.
        #expect(tokenizer.encode("helloz world", addSpecialTokens: false, parseSpecialTokens: true) == [1, 11])
        #expect(tokenizer.encode("", addSpecialTokens: true, parseSpecialTokens: true) == [2, 3])
    }

    @Test func longWordsBecomeUnknown() throws {
        let tokenizer = try tinyTokenizer()   // max_input_chars_per_word 12
        #expect(tokenizer.encode(String(repeating: "a", count: 12), addSpecialTokens: false, parseSpecialTokens: true)
                == [15] + Array(repeating: 27, count: 11))
        #expect(tokenizer.encode("aaaaaaaaaaaaa b", addSpecialTokens: false, parseSpecialTokens: true) == [1, 16])
        // Counted in scalars after normalization: "café" is 4 scalars once the accent is stripped.
        #expect(tokenizer.encode("Café", addSpecialTokens: false, parseSpecialTokens: true) == [17])
        #expect(tokenizer.encode("caféé", addSpecialTokens: false, parseSpecialTokens: true) == [17, 18])
    }

    @Test func lookupsAreExactNotCanonicallyEquivalent() throws {
        // "é" precomposed in the vocabulary is not matched by e + U+0301 (HF compares bytes).
        let vocabulary = try WordPieceVocabulary(tokens: ["[UNK]", "\u{E9}"])
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary, normalizer: BertNormalizer(stripAccents: false, lowercase: false))
        #expect(tokenizer.encode("\u{E9}", addSpecialTokens: false, parseSpecialTokens: true) == [1])
        #expect(tokenizer.encode("e\u{301}", addSpecialTokens: false, parseSpecialTokens: true) == [0])
        #expect(tokenizer.tokenID("e\u{301}") == nil && tokenizer.tokenID("\u{E9}") == 1)
    }

    @Test func specialTokensInText() throws {
        let tokenizer = try tinyTokenizer()
        #expect(tokenizer.encode("a[MASK]b") == [2, 15, 4, 16, 3])
        // Not parsed: the text is normalized and split like any other.
        #expect(tokenizer.encode("a[MASK]b", addSpecialTokens: true, parseSpecialTokens: false) == [2, 15, 19, 21, 20, 16, 3])
        // Special tokens are matched before normalization, so case matters.
        #expect(tokenizer.encode("[mask]", addSpecialTokens: false, parseSpecialTokens: true) == [19, 21, 20])
    }

    @Test func normalizedAddedTokensMatchAfterNormalization() throws {
        let vocabulary = try WordPieceVocabulary(tokens: ["[UNK]", "a", "b"])
        let added = [AddedToken(id: 3, content: "HeLLo", isSpecial: false),
                     AddedToken(id: 4, content: "<X>", isSpecial: true, stripsLeft: true, stripsRight: true)]
        let tokenizer = try WordPieceTokenizer(vocabulary: vocabulary, addedTokens: added)
        #expect(tokenizer.encode("a hello b HELLO", addSpecialTokens: false, parseSpecialTokens: true) == [1, 3, 2, 3])
        #expect(tokenizer.encode("a \u{3000}<X>\t b", addSpecialTokens: false, parseSpecialTokens: true) == [1, 4, 2])
        #expect(tokenizer.vocabularySize == 5 && tokenizer.tokenString(3) == "HeLLo" && tokenizer.tokenID("<X>") == 4)
    }

    @Test func decodeJoinsPiecesAndCleansUp() throws {
        let tokenizer = try tinyTokenizer()
        #expect(tokenizer.decode([2, 5, 6, 7, 13, 10, 12, 3]) == "[CLS] unaffable, hello! [SEP]")
        #expect(tokenizer.decode([2, 5, 6, 7, 3], skipSpecialTokens: true) == "unaffable")
        // Per-token clean-up, as HF: " ' " never forms inside one token.
        #expect(tokenizer.decode([24, 22, 23]) == "don ' t")
        #expect(tokenizer.decode([999, 10, -5]) == "hello")
        #expect(WordPieceDecoder().decode(["##s", "a"]) == "##s a")
        #expect(WordPieceDecoder(cleanup: false).decode(["a", ",", "b", "."]) == "a , b .")
        #expect(WordPieceDecoder.cleanup(Array(" do not , 's".utf8)) == Array(" don't,'s".utf8))
    }

    @Test func pairsAndTypeIDs() throws {
        let tokenizer = try tinyTokenizer()
        let encoding = tokenizer.encoding(of: "hello", pairedWith: "world!")
        #expect(encoding.ids == [2, 10, 3, 11, 12, 3])
        #expect(encoding.typeIDs == [0, 0, 0, 1, 1, 1])
        let bare = tokenizer.encoding(of: "hello", pairedWith: "world", addSpecialTokens: false)
        #expect(bare.ids == [10, 11] && bare.typeIDs == [0, 1])
    }

    @Test func truncation() throws {
        var tokenizer = try tinyTokenizer()
        #expect(tokenizer.maxLength == nil)
        tokenizer.maxLength = 4
        #expect(tokenizer.encode("a b a b a") == [2, 15, 16, 3])
        #expect(tokenizer.encode("a b a b a", addSpecialTokens: false, parseSpecialTokens: true) == [15, 16, 15, 16])
        #expect(tokenizer.encoding(of: "a a a", pairedWith: "b b b b").ids == [2, 3, 16, 3])
        tokenizer.maxLength = 1
        #expect(tokenizer.encode("a b") == [2, 3])
        tokenizer.maxLength = 0
        #expect(tokenizer.encode("a b", addSpecialTokens: false, parseSpecialTokens: true) == [])
    }

    /// HF `truncate_encodings` with LongestFirst, cases checked against tokenizers 0.23.3.
    @Test func longestFirstForPairs() {
        func lengths(_ a: Int, _ b: Int, _ limit: Int) -> [Int] {
            let (first, second) = Truncation.longestFirst(Array(repeating: 7, count: a), Array(repeating: 8, count: b),
                                                          limit: limit, side: .right)
            return [first.count, second?.count ?? -1]
        }
        #expect(lengths(3, 4, 1) == [0, 1])
        #expect(lengths(3, 4, 0) == [0, 0])
        #expect(lengths(3, 4, 6) == [3, 3])
        #expect(lengths(10, 2, 6) == [4, 2])
        #expect(lengths(10, 10, 5) == [2, 3])
        #expect(lengths(11, 10, 5) == [3, 2])
        #expect(lengths(2, 2, 9) == [2, 2])
    }

    @Test func batchPadsOnTheRight() throws {
        var tokenizer = try tinyTokenizer()
        tokenizer.paddingTokenID = 0
        let batch = tokenizer.encodeBatch(["hello world", "a", ""])
        #expect(batch.count == 3 && batch.length == 4 && batch.lengths == [4, 3, 2])
        #expect(batch.ids == [2, 10, 11, 3, 2, 15, 3, 0, 2, 3, 0, 0])
        #expect(batch.attentionMask == [1, 1, 1, 1, 1, 1, 1, 0, 1, 1, 0, 0])
        #expect(batch.typeIDs == Array(repeating: 0, count: 12))
        let pairs = tokenizer.encodeBatch(pairs: [("a", "b"), ("hello", "world b")])
        #expect(pairs.length == 6 && pairs.typeIDs == [0, 0, 0, 1, 1, 0, 0, 0, 0, 1, 1, 1])
        #expect(tokenizer.encodeBatch([]).ids.isEmpty)
    }

    @Test func readsSettingsFromTokenizerJSON() throws {
        let json = tinyJSON(truncation: #"{"max_length": 5, "strategy": "LongestFirst", "direction": "Left"}"#,
                            padding: #"{"pad_id": 3, "pad_type_id": 1}"#)
        let tokenizer = try WordPieceTokenizer(tokenizerJSONData: Data(json.utf8))
        #expect(tokenizer.maxLength == 5 && tokenizer.truncationSide == .left)
        #expect(tokenizer.paddingTokenID == 3 && tokenizer.paddingTypeID == 1)
        #expect(tokenizer.encode("a b a b b") == [2, 15, 16, 16, 3])
    }

    @Test func bertProcessingAndNoPostProcessor() throws {
        let bert = tinyJSON().replacingOccurrences(of: #""post_processor": {"type": "TemplateProcessing""#,
                                                   with: #""post_processor": {"type": "BertProcessing", "sep": ["[SEP]", 3], "cls": ["[CLS]", 2]}, "unused": {"type": "TemplateProcessing""#)
        #expect(try WordPieceTokenizer(tokenizerJSONData: Data(bert.utf8)).template == .bert(cls: 2, sep: 3))
        let tokenizer = try WordPieceTokenizer(vocabulary: WordPieceVocabulary(tokens: ["[UNK]", "a"]), template: .plain, decoder: nil)
        #expect(tokenizer.encoding(of: "a", pairedWith: "a").typeIDs == [0, 1])
        #expect(tokenizer.decode([1, 1, 0]) == "a a [UNK]")
    }

    @Test func loaderPicksByModelType() throws {
        let dir = try TempDir()
        let wordPiece = dir.url.appendingPathComponent("wordpiece.json")
        try Data(tinyJSON().utf8).write(to: wordPiece)
        #expect(try loadTokenizer(tokenizerJSON: wordPiece) is WordPieceTokenizer)

        let bpeDir = dir.url.appendingPathComponent("bpe")
        try BPETokenizer(vocabulary: syntheticVocabulary(merges: [("a", "b")])).writeHuggingFaceFiles(to: bpeDir)
        #expect(try loadTokenizer(tokenizerJSON: bpeDir.appendingPathComponent("tokenizer.json")) is BPETokenizer)

        let unigram = dir.url.appendingPathComponent("unigram.json")
        try Data(#"{"model": {"type": "Unigram", "vocab": [["a", 0.0]]}}"#.utf8).write(to: unigram)
        #expect { try loadTokenizer(tokenizerJSON: unigram) } throws: { error in
            "\(error)" == #"unigram.json: model type "Unigram" is not supported (BPE and WordPiece are)"#
        }
        #expect { try loadTokenizer(tokenizerJSON: dir.url.appendingPathComponent("missing.json")) } throws: { $0 is TokenizerError }
    }

    // MARK: - Malformed files

    static let malformed: [(String, String)] = [
        (String(tinyJSON().prefix(200)), "is not valid JSON"),
        ("[1, 2]", "the top level is missing or not an object"),
        (#"{"model": null}"#, "model is missing or not an object"),
        (#"{"model": {"type": "WordPiece", "vocab": ["a"]}}"#, "model.vocab is missing or not an object"),
        (#"{"model": {"type": "WordPiece", "vocab": {"a": 0}}}"#, #"the unknown token "[UNK]" is not in the vocabulary"#),
        (#"{"model": {"type": "WordPiece", "unk_token": 5, "vocab": {"[UNK]": 0}}}"#, "model.unk_token is not a string"),
        (#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": "zero"}}}"#, #"model.vocab["[UNK]"] is not a valid id"#),
        (#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 99999999}}}"#, #"model.vocab["[UNK]"] is not a valid id"#),
        (#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": -1}}}"#, #"model.vocab["[UNK]"] is not a valid id"#),
        (#"{"model": {"type": "WordPiece", "vocab": {"[UNK]": 0, "a": 0}}}"#, "model.vocab gives id 0 to both"),
        (#"{"model": {"type": "WordPiece", "max_input_chars_per_word": "many", "vocab": {"[UNK]": 0}}}"#,
         "model.max_input_chars_per_word is not an integer"),
        (#"{"model": {"type": "BPE", "vocab": {"[UNK]": 0}}}"#, #"model type "BPE" is not WordPiece"#),
        (tinyJSON(normalizer: #"{"type": "BertNormalizer", "lowercase": "yes"}"#), "normalizer.lowercase is not a boolean"),
        (tinyJSON(normalizer: #"{"type": "NFKC"}"#), #"normalizer "NFKC" is not supported"#),
        (tinyJSON(normalizer: "[]"), "normalizer is missing or not an object"),
        (tinyJSON().replacingOccurrences(of: #""BertPreTokenizer""#, with: #""Whitespace""#), #"pre_tokenizer "Whitespace" is not supported"#),
        (tinyJSON().replacingOccurrences(of: #""ids": [2]"#, with: #""ids": "2""#), #"post_processor.special_tokens has no ids for "[CLS]""#),
        (tinyJSON().replacingOccurrences(of: #"{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "[SEP]", "type_id": 0}}],"#,
                                         with: #"{"Sequence": {"id": "B", "type_id": 0}}],"#), "post_processor.single refers to the second sequence"),
        (tinyJSON().replacingOccurrences(of: #""id": "A""#, with: #""id": "C""#), "post_processor.single[1].Sequence.id is neither A nor B"),
        (tinyJSON().replacingOccurrences(of: #""type": "WordPiece", "prefix""#, with: #""type": "ByteLevel", "prefix""#), #"decoder "ByteLevel" is not supported"#),
        (tinyJSON(truncation: #"{"max_length": 8, "strategy": "OnlySecond"}"#), #"truncation.strategy "OnlySecond" is not supported"#),
        (tinyJSON(truncation: #"{"max_length": -8}"#), "truncation.max_length is missing or negative"),
        (tinyJSON(padding: #"{"pad_id": "zero"}"#), "padding.pad_id is not an integer"),
        (tinyJSON().replacingOccurrences(of: #""special": true, "normalized": false}"#, with: #""special": true, "single_word": true}"#),
         "added_tokens[0].single_word is not supported"),
        (tinyJSON().replacingOccurrences(of: #"{"id": 0, "content": "[PAD]""#, with: #"{"id": -3, "content": "[PAD]""#),
         "added_tokens[0] lacks a valid id or content"),
    ]

    @Test(arguments: malformed.indices)
    func malformedFilesAreClearErrors(index: Int) {
        let (json, fault) = Self.malformed[index]
        #expect {
            try WordPieceTokenizer(tokenizerJSONData: Data(json.utf8), file: "x/tokenizer.json")
        } throws: { error in
            guard let error = error as? TokenizerError else { return false }
            return error.file == "x/tokenizer.json" && error.fault.hasPrefix(fault)
        }
    }
}
