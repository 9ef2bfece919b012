import Foundation
import Testing
@testable import PithTokenizers

@Suite struct TokenizerJSONTests {
    let vocabulary = syntheticVocabulary(
        merges: [("b", "c"), ("a", "b"), ("a", "bc"), ("Ġ", "a"), ("Ġa", "bc"), ("1", "2")],
        specials: [("<|end|>", .control), ("<added>", .userDefined)], preTokenizer: .smollm)

    @Test func exportThenImportKeepsIDs() throws {
        let dir = try TempDir()
        let original = try BPETokenizer(vocabulary: vocabulary)
        try original.writeHuggingFaceFiles(to: dir.url)
        let reloaded = try BPETokenizer(tokenizerJSON: dir.url.appendingPathComponent("tokenizer.json"))
        #expect(reloaded.vocabularySize == original.vocabularySize)
        #expect(reloaded.eosTokenID == original.eosTokenID)
        #expect(reloaded.vocabulary.preTokenizer.steps == original.vocabulary.preTokenizer.steps)
        for text in ["abc 12 abc<|end|><added>", " a bc  ", ""] {
            #expect(reloaded.encode(text, addSpecialTokens: true, parseSpecialTokens: true)
                    == original.encode(text, addSpecialTokens: true, parseSpecialTokens: true))
        }
    }

    @Test func readsPairMergesAndSplitPatterns() throws {
        let json = """
        {"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2, "\\u0120": 3}, "merges": [["a", "b"]]},
         "added_tokens": [{"id": 4, "content": "<s>", "special": true}],
         "pre_tokenizer": {"type": "Sequence", "pretokenizers": [
           {"type": "Split", "pattern": {"Regex": "\(SplitPattern.llama3.regexSources[0].replacingOccurrences(of: "\\", with: "\\\\"))"},
            "behavior": "Isolated", "invert": false},
           {"type": "ByteLevel", "add_prefix_space": false, "use_regex": false}]},
         "post_processor": {"type": "TemplateProcessing", "single": [{"SpecialToken": {"id": "<s>"}}, {"Sequence": {"id": "A"}}]}}
        """
        let vocabulary = try BPEVocabulary(tokenizerJSONData: Data(json.utf8))
        #expect(vocabulary.preTokenizer.steps == [.split(.llama3)])
        #expect(vocabulary.addBOS && vocabulary.bosTokenID == 4)
        let tokenizer = try BPETokenizer(vocabulary: vocabulary)
        #expect(tokenizer.encode("ab", addSpecialTokens: true, parseSpecialTokens: true) == [4, 2])
    }

    @Test func unknownPatternIsAClearError() {
        let json = """
        {"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []},
         "pre_tokenizer": {"type": "Split", "pattern": {"Regex": "\\\\w+"}, "behavior": "Isolated"}}
        """
        #expect {
            try BPEVocabulary(tokenizerJSONData: Data(json.utf8), file: "x/tokenizer.json")
        } throws: { error in
            "\(error)".hasPrefix("x/tokenizer.json: pre_tokenizer Split pattern \\w+ has no scanner")
        }
    }

    /// An id far past the entries made the reader allocate a table that long (2^31 entries, 34 GB) before checking
    /// anything else; ids are now bounded by the entry count, as the WordPiece reader bounds them.
    @Test func sparseIdsAreRefusedBeforeAllocating() {
        let vocab = """
        {"model": {"type": "BPE", "vocab": {"a": 0, "b": 2147483646}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"}}
        """
        #expect { try BPEVocabulary(tokenizerJSONData: Data(vocab.utf8)) } throws: { "\($0)".contains("model.vocab[\"b\"] is not a valid id") }
        let added = """
        {"model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}, "pre_tokenizer": {"type": "ByteLevel"},
         "added_tokens": [{"id": 2147483000, "content": "<x>", "special": true}]}
        """
        #expect { try BPEVocabulary(tokenizerJSONData: Data(added.utf8)) } throws: { "\($0)".contains("added_tokens[0] lacks a valid id") }
    }
}
