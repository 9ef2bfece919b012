import Foundation
import Testing
@testable import PithTokenizers

@Suite struct BPETokenizerTests {
    /// Merges chosen so rank order, not left-to-right order, decides: "b c" outranks "a b".
    let vocabulary = syntheticVocabulary(
        merges: [("b", "c"), ("a", "b"), ("a", "bc"), ("Ġ", "a"), ("Ġa", "bc"), ("a", "a")],
        specials: [("<|end|>", .control), ("<added>", .userDefined)])

    func id(_ tokenizer: BPETokenizer, _ token: String) -> Int32 { tokenizer.tokenID(token) ?? -1 }

    @Test func mergesByRank() throws {
        let tokenizer = try BPETokenizer(vocabulary: vocabulary)
        #expect(tokenizer.encode("abc", addSpecialTokens: false, parseSpecialTokens: true) == [id(tokenizer, "abc")])
        #expect(tokenizer.encode("ab", addSpecialTokens: false, parseSpecialTokens: true) == [id(tokenizer, "ab")])
        // "a bc" (rank 2) fires before "Ġ a" (rank 3), so "Ġa bc" never gets its chance.
        #expect(tokenizer.encode(" abc", addSpecialTokens: false, parseSpecialTokens: true) == [id(tokenizer, "Ġ"), id(tokenizer, "abc")])
        #expect(tokenizer.encode(" a", addSpecialTokens: false, parseSpecialTokens: true) == [id(tokenizer, "Ġa")])
        // Equal ranks merge leftmost first: "aaa" → "aa" + "a".
        #expect(tokenizer.encode("aaa", addSpecialTokens: false, parseSpecialTokens: true) == [id(tokenizer, "aa"), id(tokenizer, "a")])
        #expect(tokenizer.encode("", addSpecialTokens: true, parseSpecialTokens: true) == [])
    }

    @Test func scanAndQueueAgree() throws {
        let idForToken = Dictionary(vocabulary.tokens.enumerated().map { ($1, Int32($0)) }, uniquingKeysWith: { a, _ in a })
        let merges = BPEMerges(merges: vocabulary.merges, idForToken: idForToken)
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Int32] = ["a", "b", "c", "Ġ"].compactMap { idForToken[$0] }
        for _ in 0..<300 {
            let length = Int.random(in: 2...60, using: &generator)
            let word = (0..<length).map { _ in alphabet.randomElement(using: &generator) ?? 0 }
            #expect(merges.applyByScan(word) == merges.applyByQueue(word))
        }
    }

    @Test func specialTokensSplitOnlyWhenParsed() throws {
        let tokenizer = try BPETokenizer(vocabulary: vocabulary)
        let end = id(tokenizer, "<|end|>"), added = id(tokenizer, "<added>")
        let parsed = tokenizer.encode("ab<|end|>ab<added>", addSpecialTokens: false, parseSpecialTokens: true)
        #expect(parsed == [id(tokenizer, "ab"), end, id(tokenizer, "ab"), added])
        // Unparsed, control tokens are plain text; added (user-defined) tokens still split out (both references).
        let plain = tokenizer.encode("<|end|><added>", addSpecialTokens: false, parseSpecialTokens: false)
        #expect(!plain.contains(end) && plain.last == added)
        #expect(tokenizer.endOfGenerationTokenIDs.contains(end))
    }

    @Test func decodesBytesAndReplacesInvalidUTF8() throws {
        let tokenizer = try BPETokenizer(vocabulary: vocabulary)
        let text = "ab c\n<|end|> 🍕 é"
        #expect(tokenizer.decode(tokenizer.encode(text, addSpecialTokens: false, parseSpecialTokens: true)) == text)
        // The first byte of "é" (C3) alone is invalid UTF-8 → U+FFFD.
        let c3 = id(tokenizer, String(ByteLevel.characterForByte[0xC3]))
        #expect(tokenizer.decode([id(tokenizer, "a"), c3, id(tokenizer, "b")]) == "a\u{FFFD}b")
        #expect(tokenizer.tokenBytes(-1) == [] && tokenizer.tokenString(99_999) == nil)
    }

    @Test func addsBOSAndEOSWhenAsked() throws {
        var withBOS = vocabulary
        withBOS.bosTokenID = 0
        withBOS.addBOS = true
        let tokenizer = try BPETokenizer(vocabulary: withBOS)
        #expect(tokenizer.encode("a", addSpecialTokens: true, parseSpecialTokens: true).first == 0)
        #expect(tokenizer.encode("a", addSpecialTokens: false, parseSpecialTokens: true).first != 0)
    }

    @Test func rejectsBadIDs() {
        var bad = vocabulary
        bad.eosTokenID = 1_000_000
        #expect(throws: TokenizerError.self) { try BPETokenizer(vocabulary: bad) }
    }

    @Test func streamingMatchesOneShotDecode() throws {
        let tokenizer = try BPETokenizer(vocabulary: vocabulary)
        let ids = tokenizer.encode("👨‍👩‍👧 é 日本 ab", addSpecialTokens: false, parseSpecialTokens: true)
        var decoder = StreamingDecoder(tokenizer: tokenizer)
        var pieces: [String] = []
        for id in ids { pieces.append(decoder.append(id)) }
        pieces.append(decoder.finish())
        #expect(pieces.joined() == tokenizer.decode(ids))
        // Byte tokens split the emoji, so some appends must have held bytes back and returned "".
        #expect(pieces.contains(""))
        #expect(pieces.allSatisfy { !$0.contains("\u{FFFD}") })
    }

    @Test func streamingReleasesDeadPrefixes() {
        #expect(StreamingDecoder.incompleteSuffixLength([0x61, 0xF0, 0x9F]) == 2)
        #expect(StreamingDecoder.incompleteSuffixLength([0xE2, 0x82, 0xAC]) == 0)
        #expect(StreamingDecoder.incompleteSuffixLength([0xE0, 0x80]) == 0)
        #expect(StreamingDecoder.incompleteSuffixLength([0xFF]) == 0)
    }
}
