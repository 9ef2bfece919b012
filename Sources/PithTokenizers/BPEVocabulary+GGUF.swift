import Foundation
import PithFormats

// MARK: - Reading a byte-level BPE vocabulary from GGUF metadata

extension BPEVocabulary {
    /// Reads the `tokenizer.ggml.*` metadata of a GGUF file whose tokenizer model is `gpt2` (byte-level BPE),
    /// with the defaults llama.cpp applies (llama-vocab.cpp `load`) where a key is absent.
    public init(gguf: GGUFFile) throws {
        let file = gguf.url.lastPathComponent
        func fail(_ fault: String) -> TokenizerError { TokenizerError(file: file, fault: fault) }

        guard let model = gguf.string("tokenizer.ggml.model") else { throw fail("has no tokenizer.ggml.model") }
        guard model == "gpt2" else { throw fail("tokenizer model \"\(model)\" is not byte-level BPE (gpt2)") }
        // llama.cpp falls back to its "default" regex list without this key; we have no scanner for that list.
        let preName = gguf.string("tokenizer.ggml.pre") ?? "default"
        guard let preTokenizer = PreTokenizerKind(ggufName: preName) else {
            throw fail("pre-tokenizer \"\(preName)\" (tokenizer.ggml.pre) has no scanner")
        }
        guard let tokens = gguf.strings("tokenizer.ggml.tokens"), !tokens.isEmpty else {
            throw fail("tokenizer.ggml.tokens is missing or not a list of strings")
        }
        guard let mergeLines = gguf.strings("tokenizer.ggml.merges") else {
            throw fail("tokenizer.ggml.merges is missing or not a list of strings")
        }
        var types: [TokenType] = []
        if let rawTypes = gguf.ints("tokenizer.ggml.token_type") {
            guard rawTypes.count == tokens.count else {
                throw fail("tokenizer.ggml.token_type has \(rawTypes.count) entries for \(tokens.count) tokens")
            }
            types = try rawTypes.enumerated().map { index, raw in
                guard let type = Int32(exactly: raw).flatMap(TokenType.init(rawValue:)) else {
                    throw fail("tokenizer.ggml.token_type[\(index)] = \(raw) is not a token type (0…6)")
                }
                return type
            }
        } else {
            types = Array(repeating: .normal, count: tokens.count)
        }
        // llama.cpp forces end-of-generation-looking entries to control, so they split out of text too.
        for (index, token) in tokens.enumerated() where BPEVocabulary.endOfGenerationNames.contains(token) {
            types[index] = .control
        }

        func tokenID(_ key: String) throws -> Int32? {
            guard let value = gguf.metadata["tokenizer.ggml.\(key)"] else { return nil }
            guard let id = value.int.flatMap(Int32.init(exactly:)) else { throw fail("tokenizer.ggml.\(key) is not an integer") }
            return id
        }
        var extraEndOfGeneration: Set<Int32> = []
        for key in ["eot_token_id", "eom_token_id"] {
            if let id = try tokenID(key) { extraEndOfGeneration.insert(id) }
        }

        self.init(tokens: tokens, tokenTypes: types,
                  merges: try BPEVocabulary.parseMerges(mergeLines, file: file),
                  bosTokenID: try tokenID("bos_token_id"), eosTokenID: try tokenID("eos_token_id"),
                  unknownTokenID: try tokenID("unknown_token_id"), paddingTokenID: try tokenID("padding_token_id"),
                  addBOS: gguf.bool("tokenizer.ggml.add_bos_token") ?? Self.ggufAddsBOSByDefault.contains(preName),
                  addEOS: gguf.bool("tokenizer.ggml.add_eos_token") ?? false,
                  preTokenizer: preTokenizer,
                  ignoresMerges: Self.ggufIgnoresMerges.contains(preName),
                  specialTokenMatching: .longestTokenFirst,
                  extraEndOfGenerationTokenIDs: extraEndOfGeneration,
                  chatTemplate: gguf.string("tokenizer.chat_template"))
        try validate(file: file)
    }

    /// `tokenizer.ggml.pre` values for which llama.cpp sets `ignore_merges`.
    static let ggufIgnoresMerges: Set<String> = ["llama3", "llama-v3", "llama-bpe", "falcon3", "tekken"]
    /// `tokenizer.ggml.pre` values for which llama.cpp adds BOS unless `add_bos_token` says otherwise.
    static let ggufAddsBOSByDefault: Set<String> = ["llama3", "llama-v3", "llama-bpe", "falcon3", "tekken", "chameleon"]
}

extension BPETokenizer {
    /// Builds the tokenizer from a GGUF file's metadata.
    public convenience init(gguf: GGUFFile) throws {
        try self.init(vocabulary: BPEVocabulary(gguf: gguf), source: gguf.url.lastPathComponent)
    }
}
