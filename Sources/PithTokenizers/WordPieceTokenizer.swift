// MARK: - WordPiece (BERT) tokenizer

/// A WordPiece tokenizer (BERT family) giving Hugging Face `tokenizers`' ids for a tokenizer.json.
///
/// Encoding runs, as HF's `encode`: split out added tokens written in the raw text → normalize each
/// remaining piece (``BertNormalizer``) → split out added tokens marked `normalized` → pre-tokenize
/// into words (``BertPreTokenizer``) → greedy longest-match-first per word (``WordPieceVocabulary``) →
/// truncate to ``maxLength`` → lay out special tokens by the template (`[CLS] … [SEP]`).
///
/// `parseSpecialTokens: false` treats special added tokens written in the text as plain text (HF's
/// `encode_special_tokens = True`): `"[CLS]"` is then normalized and split like any text, into
/// `[`, `cl`, `##s`, `]`. Non-special added tokens are matched either way. A value type: set
/// ``maxLength`` on a copy to change truncation.
public struct WordPieceTokenizer: Tokenizer {
    /// The model's vocabulary and matching rule.
    public let vocabulary: WordPieceVocabulary
    /// The normalizer, if the tokenizer has one.
    public let normalizer: BertNormalizer?
    /// The pre-tokenizer; without one each text piece is a single word.
    public let preTokenizer: BertPreTokenizer?
    /// Tokens matched in the text before the model runs.
    public let addedTokens: [AddedToken]
    /// Special tokens around one text or a pair.
    public let template: TokenTemplate
    /// How ids become text; nil joins the tokens with spaces (HF with no decoder).
    public let decoder: WordPieceDecoder?
    /// The most ids an encoding may hold, special tokens included; nil never truncates.
    ///
    /// Read from tokenizer.json's `truncation.max_length`; an embedding model sets its own (256, 512).
    /// When it is smaller than the special tokens the template adds, the texts are cut to nothing
    /// (HF's unsigned subtraction wraps there instead, which turns truncation off).
    public var maxLength: Int?
    /// Which end truncation cuts.
    public var truncationSide: TruncationSide
    /// The id that pads a batch.
    public var paddingTokenID: Int32
    /// The type id of padding.
    public var paddingTypeID: Int32
    /// Where the tokenizer came from, for error messages.
    public let source: String

    private let rawSplitter: SpecialTokenSplitter
    private let normalizedSplitter: SpecialTokenSplitter
    private let addedByID: [Int32: AddedToken]
    private let addedByContent: [String: Int32]
    private let specialContents: Set<String>

    /// Builds the tokenizer from its parts; throws when an added token has a negative id.
    public init(vocabulary: WordPieceVocabulary, normalizer: BertNormalizer? = BertNormalizer(),
                preTokenizer: BertPreTokenizer? = BertPreTokenizer(), addedTokens: [AddedToken] = [],
                template: TokenTemplate = .plain, decoder: WordPieceDecoder? = WordPieceDecoder(),
                maxLength: Int? = nil, truncationSide: TruncationSide = .right,
                paddingTokenID: Int32? = nil, paddingTypeID: Int32 = 0, source: String = "vocabulary") throws {
        for token in addedTokens where token.id < 0 {
            throw TokenizerError(file: source, fault: "added token \"\(token.content)\" has the negative id \(token.id)")
        }
        self.vocabulary = vocabulary
        self.normalizer = normalizer
        self.preTokenizer = preTokenizer
        self.addedTokens = addedTokens
        self.template = template
        self.decoder = decoder
        self.maxLength = maxLength
        self.truncationSide = truncationSide
        self.paddingTypeID = paddingTypeID
        self.source = source

        var raw: [SpecialTokenSplitter.Entry] = [], normalized: [SpecialTokenSplitter.Entry] = []
        var byID: [Int32: AddedToken] = [:], byContent: [String: Int32] = [:]
        for token in addedTokens {
            byID[token.id] = token
            byContent[token.content] = token.id
            // HF matches a normalized token by its normalized content, in the normalized text.
            let pattern = token.isNormalized ? (normalizer?.normalize(token.content) ?? token.content) : token.content
            let entry = SpecialTokenSplitter.Entry(id: token.id, bytes: Array(pattern.utf8), needsParseSpecial: token.isSpecial,
                                                   stripsLeft: token.stripsLeft, stripsRight: token.stripsRight)
            if token.isNormalized { normalized.append(entry) } else { raw.append(entry) }
        }
        rawSplitter = SpecialTokenSplitter(entries: raw, matching: .leftmostLongest, stripSpace: .unicode)
        normalizedSplitter = SpecialTokenSplitter(entries: normalized, matching: .leftmostLongest, stripSpace: .unicode)
        addedByID = byID
        addedByContent = byContent
        specialContents = Set(addedTokens.filter(\.isSpecial).map(\.content))
        self.paddingTokenID = paddingTokenID ?? byContent["[PAD]"] ?? vocabulary.id(of: Array("[PAD]".unicodeScalars.map(\.value))[...]) ?? 0
    }

    // MARK: - Tokenizer

    public var vocabularySize: Int { max(vocabulary.tokens.count, Int(addedTokens.map(\.id).max() ?? -1) + 1) }
    public var bosTokenID: Int32? { nil }
    public var eosTokenID: Int32? { nil }
    /// Empty: an encoder does not generate.
    public var endOfGenerationTokenIDs: Set<Int32> { [] }
    public var addsBOS: Bool { false }
    public var chatTemplate: String? { nil }

    public func encode(_ text: String, addSpecialTokens: Bool, parseSpecialTokens: Bool) -> [Int32] {
        encoding(of: text, addSpecialTokens: addSpecialTokens, parseSpecialTokens: parseSpecialTokens).ids
    }

    /// Encodes a text, or a pair of texts, with the type id of each token; truncated to ``maxLength``.
    public func encoding(of text: String, pairedWith pair: String? = nil,
                         addSpecialTokens: Bool = true, parseSpecialTokens: Bool = true) -> TokenEncoding {
        var first = contentIDs(text, parseSpecial: parseSpecialTokens)
        var second = pair.map { contentIDs($0, parseSpecial: parseSpecialTokens) }
        if let maxLength {
            let added = addSpecialTokens ? template.addedCount(pair: second != nil) : 0
            (first, second) = Truncation.longestFirst(first, second, limit: max(0, maxLength - added), side: truncationSide)
        }
        return template.apply(first, second, addSpecialTokens: addSpecialTokens)
    }

    /// Joins the tokens of `ids` by the WordPiece decoder, skipping nothing; unknown ids are dropped.
    public func decode(_ ids: [Int32]) -> String { decode(ids, skipSpecialTokens: false) }

    /// Joins the tokens of `ids`, leaving out special added tokens when `skipSpecialTokens` is set.
    public func decode(_ ids: [Int32], skipSpecialTokens: Bool) -> String {
        let tokens = ids.compactMap(tokenString).filter { !skipSpecialTokens || !specialContents.contains($0) }
        guard let decoder else { return tokens.joined(separator: " ") }
        return decoder.decode(tokens)
    }

    /// The text of the piece: the entry with a continuation prefix removed. Spaces between words are
    /// not part of any token; ``decode(_:)`` puts them in.
    public func tokenBytes(_ id: Int32) -> [UInt8] {
        guard let token = tokenString(id) else { return [] }
        let prefix = vocabulary.continuingSubwordPrefix
        if addedByID[id] == nil, !prefix.isEmpty, token.utf8.starts(with: prefix.utf8) {
            return Array(token.utf8.dropFirst(prefix.utf8.count))
        }
        return Array(token.utf8)
    }

    public func tokenString(_ id: Int32) -> String? {
        if let added = addedByID[id] { return added.content }
        guard id >= 0, Int(id) < vocabulary.tokens.count, !vocabulary.tokens[Int(id)].isEmpty else { return nil }
        return vocabulary.tokens[Int(id)]
    }

    public func tokenID(_ token: String) -> Int32? {
        addedByContent[token] ?? vocabulary.id(of: Array(token.unicodeScalars.map(\.value))[...])
    }

    // MARK: - Encoding one text without special tokens

    /// The ids of `text` before truncation and the template.
    func contentIDs(_ text: String, parseSpecial: Bool) -> [Int32] {
        let bytes = Array(text.utf8)
        var output: [Int32] = []
        output.reserveCapacity(bytes.count / 3)
        var cache: [ArraySlice<UInt32>: [Int32]] = [:]
        for fragment in rawSplitter.split(bytes, parseSpecial: parseSpecial) {
            switch fragment {
            case .token(let id):
                output.append(id)
            case .text(let range):
                // Fragments start and end on scalar boundaries (added tokens are whole UTF-8), so this decode is exact.
                var scalars = String(decoding: bytes[range], as: UTF8.self).unicodeScalars.map(\.value)
                if let normalizer { scalars = normalizer.normalize(scalars: scalars) }
                guard !normalizedSplitter.isEmpty else {
                    encodeNormalized(scalars, cache: &cache, into: &output)
                    continue
                }
                var normalizedText = ""
                normalizedText.unicodeScalars.append(contentsOf: scalars.compactMap(Unicode.Scalar.init))
                let normalizedBytes = Array(normalizedText.utf8)
                for piece in normalizedSplitter.split(normalizedBytes, parseSpecial: parseSpecial) {
                    switch piece {
                    case .token(let id):
                        output.append(id)
                    case .text(let range):
                        let scalars = String(decoding: normalizedBytes[range], as: UTF8.self).unicodeScalars.map(\.value)
                        encodeNormalized(scalars, cache: &cache, into: &output)
                    }
                }
            }
        }
        return output
    }

    private func encodeNormalized(_ scalars: [UInt32], cache: inout [ArraySlice<UInt32>: [Int32]], into output: inout [Int32]) {
        let words = preTokenizer?.words(scalars) ?? (scalars.isEmpty ? [] : [0..<scalars.count])
        for range in words {
            let word = scalars[range]
            if let cached = cache[word] {
                output += cached
                continue
            }
            var ids: [Int32] = []
            vocabulary.tokenize(word, into: &ids)
            cache[word] = ids
            output += ids
        }
    }
}
