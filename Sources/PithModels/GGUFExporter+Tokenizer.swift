import PithFormats
import PithTokenizers

// MARK: - Tokenizer metadata from the loaded vocabulary

extension GGUFExporter {
    /// The `tokenizer.*` keys llama.cpp reads (llama-vocab.cpp `load`) for the model's byte-level BPE vocabulary.
    ///
    /// A model without a tokenizer gets `tokenizer.ggml.model = none`; another tokenizer kind is refused.
    static func tokenizerMetadata(_ model: Model) throws -> [(String, GGUFValue)] {
        guard let tokenizer = model.tokenizer else { return [("tokenizer.ggml.model", .string("none"))] }
        guard let bpe = tokenizer as? BPETokenizer else {
            throw ModelError.invalid(file: model.source.path, reason: "only byte-level BPE tokenizers can be written to GGUF")
        }
        let v = bpe.vocabulary
        guard let pre = ggufPreTokenizerName(v.preTokenizer, ignoresMerges: v.ignoresMerges) else {
            throw ModelError.invalid(file: model.source.path,
                reason: "the tokenizer's pre-tokenizer \(v.preTokenizer.steps) (ignore_merges \(v.ignoresMerges)) matches no llama.cpp tokenizer.ggml.pre")
        }
        var merges: [GGUFValue] = []
        merges.reserveCapacity(v.merges.count)
        for (index, (left, right)) in v.merges.enumerated() {
            // llama.cpp splits a merge at its first space after the first byte; a half holding one would not survive.
            guard !left.dropFirst().contains(" "), !left.isEmpty, !right.isEmpty else {
                throw ModelError.invalid(file: model.source.path, reason: "merge \(index) (\"\(left)\", \"\(right)\") cannot be written as one GGUF string")
            }
            merges.append(.string(left + " " + right))
        }
        var out: [(String, GGUFValue)] = [
            ("tokenizer.ggml.model", .string("gpt2")),
            ("tokenizer.ggml.pre", .string(pre)),
            ("tokenizer.ggml.tokens", .array(v.tokens.map { .string($0) })),
            ("tokenizer.ggml.token_type", .array(v.tokens.indices.map { .int32(v.type(of: Int32($0)).rawValue) })),
            ("tokenizer.ggml.merges", .array(merges)),
        ]
        for (key, id) in [("bos", v.bosTokenID), ("eos", v.eosTokenID), ("unknown", v.unknownTokenID), ("padding", v.paddingTokenID)] {
            if let id { out.append(("tokenizer.ggml.\(key)_token_id", .uint32(UInt32(id)))) }
        }
        out += [
            ("tokenizer.ggml.add_bos_token", .bool(v.addBOS)),
            ("tokenizer.ggml.add_eos_token", .bool(v.addEOS)),
            // Byte-level BPE never adds a space before the text (llama.cpp's default for gpt2, written out for clarity).
            ("tokenizer.ggml.add_space_prefix", .bool(false)),
        ]
        if let template = v.chatTemplate { out.append(("tokenizer.chat_template", .string(template))) }
        return out
    }

    /// The `tokenizer.ggml.pre` llama.cpp maps to the same regex list and merge rule, one canonical name per kind.
    ///
    /// Each name's other effects in llama.cpp were checked: `smollm` and `qwen2` only turn off `clean_spaces` in
    /// detokenization; `llama-bpe` sets `ignore_merges` (and a BOS default, overridden by `add_bos_token`), while
    /// `smaug-bpe` runs the same llama-3 regex list without it.
    public static func ggufPreTokenizerName(_ kind: PreTokenizerKind, ignoresMerges: Bool) -> String? {
        let steps = kind.steps
        if steps == PreTokenizerKind.llama3.steps { return ignoresMerges ? "llama-bpe" : "smaug-bpe" }
        guard !ignoresMerges else { return nil }
        let names: [(PreTokenizerKind, String)] = [(.gpt2, "gpt-2"), (.smollm, "smollm"), (.qwen2, "qwen2")]
        return names.first { $0.0.steps == steps }?.1
    }
}
