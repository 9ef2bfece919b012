// MARK: - The WordPiece model: a vocabulary and greedy longest-match-first

/// A WordPiece vocabulary and the rule that splits one word into its entries, as Hugging Face
/// `tokenizers`' `models/wordpiece` does.
///
/// From the start of the word, the longest entry that matches is taken; every piece after the first is
/// looked up with the continuation prefix (`##`) in front. A word that cannot be covered this way, or that
/// has more than `maxInputCharsPerWord` scalars, becomes the unknown token as a whole.
public struct WordPieceVocabulary: Sendable {
    /// The entries by id (ids with no entry hold "").
    public let tokens: [String]
    /// The id of the unknown token.
    public let unknownTokenID: Int32
    /// The prefix marking a piece that continues a word.
    public let continuingSubwordPrefix: String
    /// Words with more scalars than this become the unknown token.
    public let maxInputCharsPerWord: Int

    /// Word-start entries, keyed by their scalars (exact, not canonically equivalent, as HF compares bytes).
    private let wordStarts: [ArraySlice<UInt32>: Int32]
    /// Entries that begin with the prefix, keyed by the scalars after it.
    private let continuations: [ArraySlice<UInt32>: Int32]

    /// Builds the vocabulary from entries keyed by id; throws when `unknownToken` is not one of them.
    public init(tokens: [String], unknownToken: String = "[UNK]", continuingSubwordPrefix: String = "##",
                maxInputCharsPerWord: Int = 100, source: String = "vocabulary") throws {
        let prefix = Array(continuingSubwordPrefix.unicodeScalars.map(\.value))
        var wordStarts: [ArraySlice<UInt32>: Int32] = [:]
        var continuations: [ArraySlice<UInt32>: Int32] = [:]
        wordStarts.reserveCapacity(tokens.count)
        for (id, token) in tokens.enumerated() where !token.isEmpty {
            let scalars = Array(token.unicodeScalars.map(\.value))
            // A repeated entry keeps its first id.
            if wordStarts[scalars[...]] == nil { wordStarts[scalars[...]] = Int32(id) }
            if !prefix.isEmpty, scalars.starts(with: prefix), continuations[scalars[prefix.count...]] == nil {
                continuations[Array(scalars[prefix.count...])[...]] = Int32(id)
            }
        }
        guard let unknown = wordStarts[Array(unknownToken.unicodeScalars.map(\.value))[...]] else {
            throw TokenizerError(file: source, fault: "the unknown token \"\(unknownToken)\" is not in the vocabulary")
        }
        guard maxInputCharsPerWord >= 0 else {
            throw TokenizerError(file: source, fault: "max_input_chars_per_word \(maxInputCharsPerWord) is negative")
        }
        self.tokens = tokens
        self.unknownTokenID = unknown
        self.continuingSubwordPrefix = continuingSubwordPrefix
        self.maxInputCharsPerWord = maxInputCharsPerWord
        self.wordStarts = wordStarts
        // An empty prefix makes every entry a continuation too (HF then looks up the piece itself).
        self.continuations = prefix.isEmpty ? wordStarts : continuations
    }

    /// The id of the entry spelled exactly by `scalars`, if any.
    func id(of scalars: ArraySlice<UInt32>) -> Int32? { wordStarts[scalars] }

    /// Appends the ids of one word to `output`.
    func tokenize(_ word: ArraySlice<UInt32>, into output: inout [Int32]) {
        guard !word.isEmpty else { return }
        guard word.count <= maxInputCharsPerWord else { output.append(unknownTokenID); return }
        let mark = output.count
        var start = word.startIndex
        while start < word.endIndex {
            let table = start == word.startIndex ? wordStarts : continuations
            var end = word.endIndex
            var found: Int32?
            while start < end {
                if let id = table[word[start..<end]] { found = id; break }
                end -= 1
            }
            guard let id = found else {
                output.removeSubrange(mark...)
                output.append(unknownTokenID)
                return
            }
            output.append(id)
            start = end
        }
    }
}
