import Foundation

// MARK: - Reading a Hugging Face tokenizer.json (byte-level BPE only)

extension BPEVocabulary {
    /// Reads a byte-level BPE `tokenizer.json`, plus `tokenizer_config.json` beside it when present
    /// (bos/eos names and the chat template live there, not in tokenizer.json).
    public init(tokenizerJSON url: URL) throws {
        let file = url.lastPathComponent
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError(file: url.path, fault: "cannot be read (\(error.localizedDescription))")
        }
        let configURL = url.deletingLastPathComponent().appendingPathComponent("tokenizer_config.json")
        let config = FileManager.default.fileExists(atPath: configURL.path) ? try? Data(contentsOf: configURL) : nil
        try self.init(tokenizerJSONData: data, configData: config, file: file)
    }

    /// Parses tokenizer.json content (and optionally tokenizer_config.json content); `file` names it in errors.
    public init(tokenizerJSONData data: Data, configData: Data? = nil, file: String = "tokenizer.json") throws {
        let reader = JSONReader(file: file)
        let root = try reader.object(try reader.parse(data), "the top level")
        let model = try reader.object(root["model"], "model")
        if let type = model["type"] as? String, type != "BPE" {
            throw TokenizerError(file: file, fault: "model type \"\(type)\" is not BPE")
        }
        for key in ["continuing_subword_prefix", "end_of_word_suffix"] {
            if let value = model[key] as? String, !value.isEmpty {
                throw TokenizerError(file: file, fault: "model.\(key) \"\(value)\" is not supported")
            }
        }
        if model["byte_fallback"] as? Bool == true {
            throw TokenizerError(file: file, fault: "model.byte_fallback is not supported for byte-level BPE")
        }
        if !(root["normalizer"] is NSNull), let normalizer = root["normalizer"] as? [String: Any] {
            throw TokenizerError(file: file, fault: "normalizer \"\(normalizer["type"] as? String ?? "?")\" is not supported")
        }
        guard let vocab = model["vocab"] as? [String: Any] else {
            throw TokenizerError(file: file, fault: "model.vocab is missing or not an object")
        }

        // Entries: the model vocab, then added tokens (usually the same ids again, typed as special). Ids index a table,
        // so they are bounded by the entry count (as WordPiece bounds them), not only by Int32.
        let addedTokens = root["added_tokens"] as? [Any] ?? []
        let idLimit = min(WordPieceTokenizer.idLimit(vocab.count + addedTokens.count), Int(Int32.max))
        var entries: [Int: (String, TokenType)] = [:]
        for (token, value) in vocab {
            guard let id = value as? Int, id >= 0, id < idLimit else {
                throw TokenizerError(file: file, fault: "model.vocab[\"\(token)\"] is not a valid id")
            }
            entries[id] = (token, .normal)
        }
        var leftStripping: Set<Int32> = [], rightStripping: Set<Int32> = []
        for (index, item) in addedTokens.enumerated() {
            let added = try reader.object(item, "added_tokens[\(index)]")
            guard let id = added["id"] as? Int, id >= 0, id < idLimit, let content = added["content"] as? String else {
                throw TokenizerError(file: file, fault: "added_tokens[\(index)] lacks a valid id or content")
            }
            entries[id] = (content, added["special"] as? Bool == true ? .control : .userDefined)
            if added["lstrip"] as? Bool == true { leftStripping.insert(Int32(id)) }
            if added["rstrip"] as? Bool == true { rightStripping.insert(Int32(id)) }
        }
        let count = (entries.keys.max() ?? -1) + 1
        var tokens = [String](repeating: "", count: count)
        var types = [TokenType](repeating: .undefined, count: count)
        for (id, entry) in entries { (tokens[id], types[id]) = entry }
        let idForToken = Dictionary(entries.map { ($0.value.0, Int32($0.key)) }, uniquingKeysWith: { a, _ in a })

        let merges = try reader.merges(model["merges"])
        let preTokenizer = try reader.preTokenizer(root["pre_tokenizer"])
        let (addBOS, addEOS, bosFromTemplate, eosFromTemplate) = try reader.postProcessor(root["post_processor"], idForToken)

        let config = try configData.map { try reader.object(try reader.parse($0), "tokenizer_config.json") } ?? [:]
        func configToken(_ key: String) -> Int32? {
            let value = config[key]
            let name = (value as? String) ?? ((value as? [String: Any])?["content"] as? String)
            return name.flatMap { idForToken[$0] }
        }
        let unknown = (model["unk_token"] as? String).flatMap { idForToken[$0] } ?? configToken("unk_token")

        self.init(tokens: tokens, tokenTypes: types, merges: merges,
                  bosTokenID: configToken("bos_token") ?? bosFromTemplate,
                  eosTokenID: configToken("eos_token") ?? eosFromTemplate,
                  unknownTokenID: unknown, paddingTokenID: configToken("pad_token"),
                  addBOS: addBOS, addEOS: addEOS, preTokenizer: .steps(preTokenizer),
                  ignoresMerges: model["ignore_merges"] as? Bool ?? false,
                  specialTokenMatching: .leftmostLongest,
                  leftStrippingTokenIDs: leftStripping, rightStrippingTokenIDs: rightStripping,
                  chatTemplate: config["chat_template"] as? String)
    }
}

/// JSON helpers that turn every shape mismatch into a one-line `TokenizerError`; the WordPiece reader
/// (WordPieceTokenizer+TokenizerJSON.swift) extends them.
struct JSONReader {
    let file: String

    func parse(_ data: Data) throws -> Any {
        do { return try JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) } catch {
            throw TokenizerError(file: file, fault: "is not valid JSON (\(error.localizedDescription))")
        }
    }

    func object(_ value: Any?, _ what: String) throws -> [String: Any] {
        guard let object = value as? [String: Any] else {
            throw TokenizerError(file: file, fault: "\(what) is missing or not an object")
        }
        return object
    }

    /// Merges as `"a b"` strings (tokenizers < 0.20) or `["a", "b"]` pairs (newer).
    func merges(_ value: Any?) throws -> [(String, String)] {
        guard let list = value as? [Any] else { throw TokenizerError(file: file, fault: "model.merges is missing") }
        if let lines = list as? [String] { return try BPEVocabulary.parseMerges(lines, file: file) }
        return try list.enumerated().map { index, item in
            guard let pair = item as? [String], pair.count == 2 else {
                throw TokenizerError(file: file, fault: "model.merges[\(index)] is neither \"a b\" nor [a, b]")
            }
            return (pair[0], pair[1])
        }
    }

    /// The pre-tokenizer as steps; a byte-level tokenizer must have a ByteLevel step somewhere.
    func preTokenizer(_ value: Any?) throws -> [PreTokenizerStep] {
        var sawByteLevel = false
        let steps = try preTokenizerSteps(value, sawByteLevel: &sawByteLevel)
        guard sawByteLevel else {
            throw TokenizerError(file: file, fault: "pre_tokenizer has no ByteLevel step, so this is not a byte-level BPE")
        }
        return steps
    }

    private func preTokenizerSteps(_ value: Any?, sawByteLevel: inout Bool) throws -> [PreTokenizerStep] {
        guard let object = value as? [String: Any] else { return [] }
        let type = object["type"] as? String ?? "?"
        switch type {
        case "Sequence":
            var steps: [PreTokenizerStep] = []
            for item in object["pretokenizers"] as? [Any] ?? [] {
                steps += try preTokenizerSteps(item, sawByteLevel: &sawByteLevel)
            }
            return steps
        case "ByteLevel":
            sawByteLevel = true
            var steps: [PreTokenizerStep] = []
            if object["add_prefix_space"] as? Bool == true { steps.append(.prefixSpace) }
            if object["use_regex"] as? Bool ?? true { steps.append(.split(.gpt2)) }
            return steps
        case "Digits":
            return [.isolateDigits(individually: object["individual_digits"] as? Bool ?? false)]
        case "Split":
            let pattern = object["pattern"] as? [String: Any]
            guard let source = pattern?["Regex"] as? String, let known = SplitPattern(regexSource: source) else {
                let shown = (pattern?["Regex"] ?? pattern?["String"]).map { "\($0)" } ?? "?"
                throw TokenizerError(file: file, fault: "pre_tokenizer Split pattern \(shown) has no scanner")
            }
            let behavior = object["behavior"] as? String ?? "Isolated"
            guard behavior == "Isolated", object["invert"] as? Bool != true else {
                throw TokenizerError(file: file, fault: "pre_tokenizer Split behavior \(behavior) (or invert) is not supported")
            }
            return [.split(known)]
        default:
            throw TokenizerError(file: file, fault: "pre_tokenizer \"\(type)\" is not supported")
        }
    }

    /// Whether encoding with special tokens adds BOS/EOS, read from a TemplateProcessing `single` template.
    func postProcessor(_ value: Any?, _ idForToken: [String: Int32]) throws -> (Bool, Bool, Int32?, Int32?) {
        guard let object = value as? [String: Any] else { return (false, false, nil, nil) }
        switch object["type"] as? String ?? "?" {
        case "ByteLevel":
            return (false, false, nil, nil)
        case "Sequence":
            var result: (Bool, Bool, Int32?, Int32?) = (false, false, nil, nil)
            for item in object["processors"] as? [Any] ?? [] {
                let next = try postProcessor(item, idForToken)
                result = (result.0 || next.0, result.1 || next.1, result.2 ?? next.2, result.3 ?? next.3)
            }
            return result
        case "TemplateProcessing":
            let single = object["single"] as? [[String: Any]] ?? []
            func special(_ item: [String: Any]?) -> Int32? {
                ((item?["SpecialToken"] as? [String: Any])?["id"] as? String).flatMap { idForToken[$0] }
            }
            let bos = special(single.first), eos = single.count > 1 ? special(single.last) : nil
            return (bos != nil, eos != nil, bos, eos)
        case let other:
            throw TokenizerError(file: file, fault: "post_processor \"\(other)\" is not supported")
        }
    }
}
