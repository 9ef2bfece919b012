import Foundation
import Testing
@testable import PithTokenizers

/// Golden checks of the WordPiece tokenizer against Hugging Face `tokenizers` on all-MiniLM-L6-v2's
/// tokenizer.json, over the 60 strings, 5 pairs and the batch in Data/minilm-hf-ids.json
/// (scripts/reference/wordpiece_ids.py).
@Suite(.enabled(if: MiniLM.isPresent, "needs \(MiniLM.relativePath) under $PITH_HOME/models (make models)"))
struct WordPieceParityTests {
    static let loaded: WordPieceTokenizer? = try? WordPieceTokenizer(tokenizerJSON: MiniLM.url)

    func tokenizer() throws -> WordPieceTokenizer {
        guard let tokenizer = Self.loaded else { return try WordPieceTokenizer(tokenizerJSON: MiniLM.url) }
        return tokenizer
    }

    @Test func metadata() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.vocabularySize == 30522)
        #expect(tokenizer.maxLength == 128 && tokenizer.truncationSide == .right)
        #expect(tokenizer.template == .bert(cls: 101, sep: 102))
        #expect(tokenizer.paddingTokenID == 0 && tokenizer.paddingTypeID == 0)
        #expect(tokenizer.normalizer == BertNormalizer(cleanText: true, handleChineseChars: true, stripAccents: nil, lowercase: true))
        #expect(tokenizer.vocabulary.unknownTokenID == 100 && tokenizer.vocabulary.maxInputCharsPerWord == 100)
        #expect(tokenizer.decoder == WordPieceDecoder(prefix: "##", cleanup: true))
        #expect(tokenizer.bosTokenID == nil && tokenizer.eosTokenID == nil && !tokenizer.addsBOS)
        #expect(tokenizer.endOfGenerationTokenIDs.isEmpty && tokenizer.chatTemplate == nil)
        #expect(tokenizer.tokenID("[CLS]") == 101 && tokenizer.tokenID("[MASK]") == 103 && tokenizer.tokenID("##ing") == 2075)
        #expect(tokenizer.tokenString(2075) == "##ing" && tokenizer.tokenBytes(2075) == Array("ing".utf8))
        #expect(tokenizer.tokenString(30522) == nil && tokenizer.tokenString(-1) == nil)
    }

    @Test func loaderPicksWordPiece() throws {
        let tokenizer = try loadTokenizer(tokenizerJSON: MiniLM.url)
        #expect(tokenizer is WordPieceTokenizer)
        #expect(tokenizer.encode("Hello world") == [101, 7592, 2088, 102])
    }

    @Test func matchesHuggingFace() throws {
        let reference = try WordPieceReference.load()
        #expect(reference.strings.count == 60)
        var tokenizer = try tokenizer()
        #expect(tokenizer.maxLength == reference.max_length)
        for entry in reference.strings {
            #expect(tokenizer.encode(entry.text, addSpecialTokens: true, parseSpecialTokens: true) == reference.ids[entry.name],
                    "\(entry.name)")
            #expect(tokenizer.encode(entry.text, addSpecialTokens: false, parseSpecialTokens: true) == reference.ids_no_special[entry.name],
                    "\(entry.name), no special tokens")
            #expect(tokenizer.encode(entry.text, addSpecialTokens: true, parseSpecialTokens: false)
                    == reference.ids_no_parse_special[entry.name], "\(entry.name), special tokens not parsed")
        }
        tokenizer.maxLength = nil
        for entry in reference.strings {
            #expect(tokenizer.encode(entry.text) == reference.ids_no_truncation[entry.name], "\(entry.name), not truncated")
        }
    }

    @Test func decodesLikeHuggingFace() throws {
        let reference = try WordPieceReference.load()
        let tokenizer = try tokenizer()
        for entry in reference.strings {
            let ids = try #require(reference.ids[entry.name])
            #expect(tokenizer.decode(ids) == reference.decoded[entry.name], "\(entry.name)")
            #expect(tokenizer.decode(ids, skipSpecialTokens: true) == reference.decoded_skip_special[entry.name], "\(entry.name), skipping special")
        }
    }

    @Test func pairsMatchHuggingFace() throws {
        let tokenizer = try tokenizer()
        for pair in try WordPieceReference.load().pairs {
            let encoding = tokenizer.encoding(of: pair.first, pairedWith: pair.second)
            #expect(encoding.ids == pair.ids, "\(pair.name)")
            #expect(encoding.typeIDs == pair.type_ids, "\(pair.name), type ids")
        }
    }

    @Test func batchMatchesHuggingFacePadding() throws {
        let reference = try WordPieceReference.load().batch
        let batch = try tokenizer().encodeBatch(reference.texts)
        #expect(batch.count == reference.texts.count && batch.length == reference.ids[0].count)
        #expect(batch.ids == reference.ids.flatMap { $0 })
        #expect(batch.typeIDs == reference.type_ids.flatMap { $0 })
        #expect(batch.attentionMask == reference.attention_mask.flatMap { $0 })
        #expect(batch.lengths == reference.attention_mask.map { $0.reduce(0) { $0 + Int($1) } })
        #expect(Array(batch.ids(row: 1)) == reference.ids[1])
    }

    /// Truncation keeps the first `maxLength - 2` content ids of the untruncated encoding (HF truncates
    /// the model's output, then adds [CLS] and [SEP]); `.left` keeps the last ones.
    @Test(arguments: [3, 16, 64, 127, 256, 512, 2000])
    func truncatesAtCustomLengths(maxLength: Int) throws {
        let reference = try WordPieceReference.load()
        let full = try #require(reference.ids_no_truncation["long-text"])
        let content = Array(full.dropFirst().dropLast())
        var tokenizer = try tokenizer()
        tokenizer.maxLength = maxLength
        let text = try #require(reference.strings.first { $0.name == "long-text" }).text
        let kept = min(content.count, maxLength - 2)
        #expect(tokenizer.encode(text) == [101] + content.prefix(kept) + [102])
        #expect(tokenizer.encode(text, addSpecialTokens: false, parseSpecialTokens: true) == Array(content.prefix(maxLength)))
        tokenizer.truncationSide = .left
        #expect(tokenizer.encode(text) == [101] + content.suffix(kept) + [102])
        let batch = tokenizer.encodeBatch([text, "short"])
        #expect(batch.length == min(full.count, maxLength) && batch.lengths[1] == 3)
    }
}
