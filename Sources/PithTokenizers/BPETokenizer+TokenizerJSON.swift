import Foundation

// MARK: - tokenizer.json in and out

extension BPETokenizer {
    /// Loads a byte-level BPE `tokenizer.json` (and `tokenizer_config.json` beside it, when present).
    public convenience init(tokenizerJSON url: URL) throws {
        try self.init(vocabulary: BPEVocabulary(tokenizerJSON: url), source: url.lastPathComponent)
    }

    /// Writes `tokenizer.json` and `tokenizer_config.json` for this vocabulary into `directory`.
    public func writeHuggingFaceFiles(to directory: URL) throws {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try vocabulary.tokenizerJSON().write(to: directory.appendingPathComponent("tokenizer.json"))
        try vocabulary.tokenizerConfigJSON().write(to: directory.appendingPathComponent("tokenizer_config.json"))
    }
}

extension BPEVocabulary {
    /// The Hugging Face `tokenizer.json` that `tokenizers` reads back to the same ids.
    ///
    /// Control entries become special added tokens and user-defined ones plain added tokens; the
    /// pre-tokenizer steps map back to Digits / Split / ByteLevel, the byte-level mapping always last.
    public func tokenizerJSON() throws -> Data {
        var vocab: [String: Int] = [:]
        var added: [[String: Any]] = []
        for (index, token) in tokens.enumerated() {
            // A repeated entry keeps its last id, the one text → id lookups give (llama.cpp).
            vocab[token] = index
            let type = type(of: Int32(index))
            guard type == .control || type == .userDefined || type == .unknown else { continue }
            added.append([
                "id": index, "content": token, "single_word": false,
                "lstrip": leftStrippingTokenIDs.contains(Int32(index)),
                "rstrip": rightStrippingTokenIDs.contains(Int32(index)),
                "normalized": false, "special": type != .userDefined,
            ])
        }
        // "a b" strings are read by every tokenizers version; pairs only where a half holds a space.
        let needsPairs = merges.contains { $0.0.contains(" ") || $0.1.contains(" ") }
        let mergeList: [Any] = needsPairs ? merges.map { [$0.0, $0.1] } : merges.map { "\($0.0) \($0.1)" }
        let model: [String: Any] = [
            "type": "BPE", "dropout": NSNull(), "fuse_unk": false, "byte_fallback": false,
            "unk_token": unknownTokenID.map { tokens[Int($0)] } ?? NSNull(),
            "continuing_subword_prefix": NSNull(), "end_of_word_suffix": NSNull(),
            "ignore_merges": ignoresMerges, "vocab": vocab, "merges": mergeList,
        ]
        let root: [String: Any] = [
            "version": "1.0", "truncation": NSNull(), "padding": NSNull(),
            "added_tokens": added, "normalizer": NSNull(),
            "pre_tokenizer": preTokenizerJSON(),
            "post_processor": postProcessorJSON(),
            "decoder": ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": true, "use_regex": true],
            "model": model,
        ]
        return try JSONSerialization.data(withJSONObject: root, options: [.sortedKeys, .withoutEscapingSlashes])
    }

    /// The `tokenizer_config.json` that carries what tokenizer.json cannot: token names and the chat template.
    public func tokenizerConfigJSON() throws -> Data {
        var config: [String: Any] = [
            "add_bos_token": addBOS, "add_eos_token": addEOS, "clean_up_tokenization_spaces": false,
            "tokenizer_class": "GPT2Tokenizer",
        ]
        for (key, id) in [("bos_token", bosTokenID), ("eos_token", eosTokenID), ("unk_token", unknownTokenID), ("pad_token", paddingTokenID)] {
            if let id { config[key] = tokens[Int(id)] }
        }
        if let chatTemplate { config["chat_template"] = chatTemplate }
        return try JSONSerialization.data(withJSONObject: config, options: [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes])
    }

    // MARK: - Pre- and post-processing as tokenizers JSON

    private func preTokenizerJSON() -> [String: Any] {
        var items: [[String: Any]] = []
        var prefixSpace = false
        var steps = preTokenizer.steps
        // A final GPT-2 split is exactly ByteLevel(use_regex: true); otherwise ByteLevel only maps bytes.
        var finalRegex = false
        if case .split(.gpt2)? = steps.last { steps.removeLast(); finalRegex = true }
        if case .prefixSpace? = steps.last { steps.removeLast(); prefixSpace = true }
        for step in steps {
            switch step {
            case .isolateDigits(let individually):
                items.append(["type": "Digits", "individual_digits": individually])
            case .split(let pattern):
                items.append(["type": "Split", "pattern": ["Regex": pattern.regexSources[0]],
                              "behavior": "Isolated", "invert": false])
            case .prefixSpace:
                // Only expressible inside ByteLevel; a prefix step elsewhere is rare enough to map approximately.
                items.append(["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": false])
            }
        }
        items.append(["type": "ByteLevel", "add_prefix_space": prefixSpace, "trim_offsets": true, "use_regex": finalRegex])
        return items.count == 1 ? items[0] : ["type": "Sequence", "pretokenizers": items]
    }

    private func postProcessorJSON() -> Any {
        guard addBOS || addEOS else {
            return ["type": "ByteLevel", "add_prefix_space": true, "trim_offsets": false, "use_regex": true]
        }
        var single: [[String: Any]] = [["Sequence": ["id": "A", "type_id": 0]]]
        var pair: [[String: Any]] = [["Sequence": ["id": "A", "type_id": 0]], ["Sequence": ["id": "B", "type_id": 1]]]
        var specials: [String: Any] = [:]
        if addBOS, let bos = bosTokenID {
            let name = tokens[Int(bos)]
            single.insert(["SpecialToken": ["id": name, "type_id": 0]], at: 0)
            pair.insert(["SpecialToken": ["id": name, "type_id": 0]], at: 0)
            specials[name] = ["id": name, "ids": [Int(bos)], "tokens": [name]]
        }
        if addEOS, let eos = eosTokenID {
            let name = tokens[Int(eos)]
            single.append(["SpecialToken": ["id": name, "type_id": 0]])
            pair.append(["SpecialToken": ["id": name, "type_id": 1]])
            specials[name] = ["id": name, "ids": [Int(eos)], "tokens": [name]]
        }
        return ["type": "TemplateProcessing", "single": single, "pair": pair, "special_tokens": specials]
    }
}
