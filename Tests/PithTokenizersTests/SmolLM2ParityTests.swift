import Foundation
import PithFormats
import Testing
@testable import PithTokenizers

/// Golden checks against the independent references, over Data/strings.json:
/// llama.cpp's llama-tokenize for the GGUF (scripts/reference/gguf_token_ids.py) and Hugging Face
/// `tokenizers` for a tokenizer.json (scripts/reference/hf_token_ids.py). On these 60 strings the two
/// references agree with each other in both special-token modes, so no string needs two expectations.
@Suite(.enabled(if: SmolLM2.isPresent, "needs \(SmolLM2.relativePath) under $PITH_HOME/models (make models)"))
struct SmolLM2ParityTests {
    static let gguf: BPETokenizer? = try? BPETokenizer(gguf: GGUFFile(url: SmolLM2.url))

    func tokenizer() throws -> BPETokenizer {
        guard let tokenizer = Self.gguf else { return try BPETokenizer(gguf: GGUFFile(url: SmolLM2.url)) }
        return tokenizer
    }

    @Test func metadata() throws {
        let tokenizer = try tokenizer()
        #expect(tokenizer.vocabularySize == 49152)
        #expect(tokenizer.vocabulary.merges.count == 48900)
        #expect(tokenizer.vocabulary.preTokenizer == .smollm)
        #expect(tokenizer.bosTokenID == 1 && tokenizer.eosTokenID == 2 && !tokenizer.addsBOS)
        #expect(tokenizer.endOfGenerationTokenIDs == [0, 2])  // <|endoftext|>, <|im_end|>
        #expect(tokenizer.chatTemplate?.contains("<|im_start|>") == true)
        #expect(tokenizer.tokenID("<|im_start|>") == 1)
    }

    @Test func matchesLlamaCpp() throws {
        let tokenizer = try tokenizer()
        let reference = try ReferenceData.load("smollm2-llama.cpp-ids", as: ReferenceData.Ids.self)
        for entry in try ReferenceData.strings() {
            #expect(tokenizer.encode(entry.text, addSpecialTokens: true, parseSpecialTokens: true) == reference.ids[entry.name],
                    "\(entry.name)")
            #expect(tokenizer.encode(entry.text, addSpecialTokens: true, parseSpecialTokens: false)
                    == reference.ids_no_parse_special[entry.name], "\(entry.name), special tokens not parsed")
        }
    }

    @Test func exportedTokenizerJSONMatchesHuggingFace() throws {
        let dir = try TempDir()
        try tokenizer().writeHuggingFaceFiles(to: dir.url)
        let hf = try BPETokenizer(tokenizerJSON: dir.url.appendingPathComponent("tokenizer.json"))
        #expect(hf.vocabulary.preTokenizer.steps == [.isolateDigits(individually: true), .split(.gpt2)])
        #expect(hf.eosTokenID == 2 && !hf.addsBOS)
        let reference = try ReferenceData.load("smollm2-hf-ids", as: ReferenceData.Ids.self)
        for entry in try ReferenceData.strings() {
            #expect(hf.encode(entry.text, addSpecialTokens: true, parseSpecialTokens: true) == reference.ids[entry.name],
                    "\(entry.name)")
            #expect(hf.encode(entry.text, addSpecialTokens: true, parseSpecialTokens: false)
                    == reference.ids_no_parse_special[entry.name], "\(entry.name), special tokens not parsed")
        }
    }

    @Test func decodeRoundTrips() throws {
        let tokenizer = try tokenizer()
        for entry in try ReferenceData.strings() {
            let ids = tokenizer.encode(entry.text, addSpecialTokens: false, parseSpecialTokens: true)
            #expect(tokenizer.decode(ids) == entry.text, "\(entry.name)")
            var stream = StreamingDecoder(tokenizer: tokenizer)
            let streamed = ids.map { stream.append($0) }.joined() + stream.finish()
            #expect(streamed == entry.text, "\(entry.name), streamed")
        }
    }
}
