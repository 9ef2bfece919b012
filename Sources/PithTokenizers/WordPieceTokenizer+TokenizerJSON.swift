import Foundation

// MARK: - Reading a Hugging Face tokenizer.json (WordPiece)

extension WordPieceTokenizer {
    /// Loads a WordPiece `tokenizer.json` (BERT and its descendants).
    public init(tokenizerJSON url: URL) throws {
        let data: Data
        do { data = try Data(contentsOf: url) } catch {
            throw TokenizerError(file: url.path, fault: "cannot be read (\(error.localizedDescription))")
        }
        try self.init(tokenizerJSONData: data, file: url.lastPathComponent)
    }

    /// Parses tokenizer.json content; `file` names it in errors.
    public init(tokenizerJSONData data: Data, file: String = "tokenizer.json") throws {
        let reader = JSONReader(file: file)
        try self.init(root: try reader.object(try reader.parse(data), "the top level"), reader: reader)
    }

    /// Builds the tokenizer from a parsed tokenizer.json; every shape mismatch is a `TokenizerError`.
    init(root: [String: Any], reader: JSONReader) throws {
        let model = try reader.object(root["model"], "model")
        let type = try reader.field(model, "type", "model.type", as: String.self)
        if let type, type != "WordPiece" {
            throw TokenizerError(file: reader.file, fault: "model type \"\(type)\" is not WordPiece")
        }
        let vocabulary = try reader.wordPieceVocabulary(model)
        let truncation = try reader.truncation(root["truncation"])
        let padding = try reader.padding(root["padding"])
        try self.init(vocabulary: vocabulary,
                      normalizer: try reader.bertNormalizer(root["normalizer"]),
                      preTokenizer: try reader.bertPreTokenizer(root["pre_tokenizer"]),
                      addedTokens: try reader.addedTokens(root["added_tokens"], idLimit: Self.idLimit(vocabulary.tokens.count)),
                      template: try reader.template(root["post_processor"]),
                      decoder: try reader.wordPieceDecoder(root["decoder"]),
                      maxLength: truncation?.maxLength, truncationSide: truncation?.side ?? .right,
                      paddingTokenID: padding?.id, paddingTypeID: padding?.typeID ?? 0,
                      source: reader.file)
    }

    /// Ids at or past this are refused, so a corrupt file cannot make us allocate without end; real
    /// files number their entries densely from 0.
    static func idLimit(_ entries: Int) -> Int { 2 * entries + 256 }
}

// MARK: - The WordPiece parts of tokenizer.json

extension JSONReader {
    /// `object[key]` as a `T`; nil when absent or JSON null, an error when it has another type.
    func field<T>(_ object: [String: Any], _ key: String, _ what: String, as type: T.Type) throws -> T? {
        guard let value = object[key], !(value is NSNull) else { return nil }
        guard let typed = value as? T else {
            let expected = T.self == String.self ? "a string" : T.self == Bool.self ? "a boolean" : T.self == Int.self ? "an integer" : "\(T.self)"
            throw TokenizerError(file: file, fault: "\(what) is not \(expected)")
        }
        return typed
    }

    /// An object, or nil when absent or JSON null.
    func optionalObject(_ value: Any?, _ what: String) throws -> [String: Any]? {
        guard let value, !(value is NSNull) else { return nil }
        return try object(value, what)
    }

    /// A non-negative id that fits Int32.
    func id(_ value: Int, _ what: String) throws -> Int32 {
        guard value >= 0, value < Int(Int32.max) else { throw TokenizerError(file: file, fault: "\(what) \(value) is not a valid id") }
        return Int32(value)
    }

    /// `model.vocab` ({token: id}) and the WordPiece settings beside it.
    func wordPieceVocabulary(_ model: [String: Any]) throws -> WordPieceVocabulary {
        let vocab = try object(model["vocab"], "model.vocab")
        let limit = WordPieceTokenizer.idLimit(vocab.count)
        var tokens: [String] = []
        for (token, value) in vocab {
            guard let id = value as? Int, id >= 0, id < limit else {
                throw TokenizerError(file: file, fault: "model.vocab[\"\(token)\"] is not a valid id")
            }
            if id >= tokens.count { tokens += repeatElement("", count: id + 1 - tokens.count) }
            guard tokens[id].isEmpty else {
                throw TokenizerError(file: file, fault: "model.vocab gives id \(id) to both \"\(tokens[id])\" and \"\(token)\"")
            }
            tokens[id] = token
        }
        return try WordPieceVocabulary(
            tokens: tokens,
            unknownToken: try field(model, "unk_token", "model.unk_token", as: String.self) ?? "[UNK]",
            continuingSubwordPrefix: try field(model, "continuing_subword_prefix", "model.continuing_subword_prefix", as: String.self) ?? "##",
            maxInputCharsPerWord: try field(model, "max_input_chars_per_word", "model.max_input_chars_per_word", as: Int.self) ?? 100,
            source: file)
    }

    /// The pad id and pad type id of a `padding` block (its strategy and side are not used: batches pad
    /// on the right to the longest).
    func padding(_ value: Any?) throws -> (id: Int32?, typeID: Int32)? {
        guard let object = try optionalObject(value, "padding") else { return nil }
        let id = try field(object, "pad_id", "padding.pad_id", as: Int.self).map { try self.id($0, "padding.pad_id") }
        let typeID = try field(object, "pad_type_id", "padding.pad_type_id", as: Int.self).map { try self.id($0, "padding.pad_type_id") }
        return (id, typeID ?? 0)
    }

    func addedTokens(_ value: Any?, idLimit: Int) throws -> [AddedToken] {
        guard let value, !(value is NSNull) else { return [] }
        guard let list = value as? [Any] else { throw TokenizerError(file: file, fault: "added_tokens is not a list") }
        return try list.enumerated().map { index, item in
            let what = "added_tokens[\(index)]"
            let entry = try object(item, what)
            guard let id = try field(entry, "id", "\(what).id", as: Int.self), id >= 0, id < idLimit,
                  let content = try field(entry, "content", "\(what).content", as: String.self), !content.isEmpty else {
                throw TokenizerError(file: file, fault: "\(what) lacks a valid id or content")
            }
            if try field(entry, "single_word", "\(what).single_word", as: Bool.self) == true {
                throw TokenizerError(file: file, fault: "\(what).single_word is not supported")
            }
            let special = try field(entry, "special", "\(what).special", as: Bool.self) ?? false
            return AddedToken(id: Int32(id), content: content, isSpecial: special,
                              isNormalized: try field(entry, "normalized", "\(what).normalized", as: Bool.self),
                              stripsLeft: try field(entry, "lstrip", "\(what).lstrip", as: Bool.self) ?? false,
                              stripsRight: try field(entry, "rstrip", "\(what).rstrip", as: Bool.self) ?? false)
        }
    }

    func bertNormalizer(_ value: Any?) throws -> BertNormalizer? {
        guard let object = try optionalObject(value, "normalizer") else { return nil }
        let type = try field(object, "type", "normalizer.type", as: String.self) ?? "?"
        guard type == "BertNormalizer" else { throw TokenizerError(file: file, fault: "normalizer \"\(type)\" is not supported") }
        return BertNormalizer(
            cleanText: try field(object, "clean_text", "normalizer.clean_text", as: Bool.self) ?? true,
            handleChineseChars: try field(object, "handle_chinese_chars", "normalizer.handle_chinese_chars", as: Bool.self) ?? true,
            stripAccents: try field(object, "strip_accents", "normalizer.strip_accents", as: Bool.self),
            lowercase: try field(object, "lowercase", "normalizer.lowercase", as: Bool.self) ?? true)
    }

    func bertPreTokenizer(_ value: Any?) throws -> BertPreTokenizer? {
        guard let object = try optionalObject(value, "pre_tokenizer") else { return nil }
        let type = try field(object, "type", "pre_tokenizer.type", as: String.self) ?? "?"
        guard type == "BertPreTokenizer" else { throw TokenizerError(file: file, fault: "pre_tokenizer \"\(type)\" is not supported for WordPiece") }
        return BertPreTokenizer()
    }

    func wordPieceDecoder(_ value: Any?) throws -> WordPieceDecoder? {
        guard let object = try optionalObject(value, "decoder") else { return nil }
        let type = try field(object, "type", "decoder.type", as: String.self) ?? "?"
        guard type == "WordPiece" else { throw TokenizerError(file: file, fault: "decoder \"\(type)\" is not supported for WordPiece") }
        return WordPieceDecoder(prefix: try field(object, "prefix", "decoder.prefix", as: String.self) ?? "##",
                                cleanup: try field(object, "cleanup", "decoder.cleanup", as: Bool.self) ?? true)
    }

    func truncation(_ value: Any?) throws -> (maxLength: Int, side: TruncationSide)? {
        guard let object = try optionalObject(value, "truncation") else { return nil }
        guard let maxLength = try field(object, "max_length", "truncation.max_length", as: Int.self), maxLength >= 0 else {
            throw TokenizerError(file: file, fault: "truncation.max_length is missing or negative")
        }
        let strategy = try field(object, "strategy", "truncation.strategy", as: String.self) ?? "LongestFirst"
        guard strategy == "LongestFirst" else {
            throw TokenizerError(file: file, fault: "truncation.strategy \"\(strategy)\" is not supported (only LongestFirst)")
        }
        switch try field(object, "direction", "truncation.direction", as: String.self) ?? "Right" {
        case "Right": return (maxLength, .right)
        case "Left": return (maxLength, .left)
        case let other: throw TokenizerError(file: file, fault: "truncation.direction \"\(other)\" is neither Right nor Left")
        }
    }

    /// The post-processor as a template: TemplateProcessing, BertProcessing, or none.
    func template(_ value: Any?) throws -> TokenTemplate {
        guard let object = try optionalObject(value, "post_processor") else { return .plain }
        let type = try field(object, "type", "post_processor.type", as: String.self) ?? "?"
        switch type {
        case "BertProcessing":
            // "sep": ["[SEP]", 102], "cls": ["[CLS]", 101]
            func token(_ key: String) throws -> Int32 {
                guard let pair = object[key] as? [Any], pair.count == 2, pair[0] is String, let id = pair[1] as? Int else {
                    throw TokenizerError(file: file, fault: "post_processor.\(key) is not a [token, id] pair")
                }
                return try self.id(id, "post_processor.\(key)")
            }
            return .bert(cls: try token("cls"), sep: try token("sep"))
        case "TemplateProcessing":
            let specials = try optionalObject(object["special_tokens"], "post_processor.special_tokens") ?? [:]
            let single = try templatePieces(object["single"], "post_processor.single", specials: specials)
            let pair = try templatePieces(object["pair"], "post_processor.pair", specials: specials)
            if single.contains(where: { if case .sequence(true, _) = $0 { true } else { false } }) {
                throw TokenizerError(file: file, fault: "post_processor.single refers to the second sequence $B")
            }
            return TokenTemplate(single: single, pair: pair)
        default:
            throw TokenizerError(file: file, fault: "post_processor \"\(type)\" is not supported for WordPiece")
        }
    }

    private func templatePieces(_ value: Any?, _ what: String, specials: [String: Any]) throws -> [TemplatePiece] {
        guard let list = value as? [Any] else { throw TokenizerError(file: file, fault: "\(what) is missing or not a list") }
        return try list.enumerated().map { index, item in
            let piece = try object(item, "\(what)[\(index)]")
            if let sequence = piece["Sequence"] {
                let body = try object(sequence, "\(what)[\(index)].Sequence")
                let typeID = try id(try field(body, "type_id", "\(what)[\(index)].Sequence.type_id", as: Int.self) ?? 0, "type_id")
                switch try field(body, "id", "\(what)[\(index)].Sequence.id", as: String.self) {
                case "A"?: return .sequence(isPair: false, typeID: typeID)
                case "B"?: return .sequence(isPair: true, typeID: typeID)
                default: throw TokenizerError(file: file, fault: "\(what)[\(index)].Sequence.id is neither A nor B")
                }
            }
            let body = try object(piece["SpecialToken"], "\(what)[\(index)].SpecialToken")
            let typeID = try id(try field(body, "type_id", "\(what)[\(index)].SpecialToken.type_id", as: Int.self) ?? 0, "type_id")
            guard let name = try field(body, "id", "\(what)[\(index)].SpecialToken.id", as: String.self) else {
                throw TokenizerError(file: file, fault: "\(what)[\(index)].SpecialToken.id is missing")
            }
            // HF requires every special token of the template in `special_tokens`, with its ids.
            guard let entry = specials[name] as? [String: Any], let ids = entry["ids"] as? [Int] else {
                throw TokenizerError(file: file, fault: "post_processor.special_tokens has no ids for \"\(name)\"")
            }
            return .special(ids: try ids.map { try id($0, "post_processor.special_tokens[\"\(name)\"].ids") }, typeID: typeID)
        }
    }
}
