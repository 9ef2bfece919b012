// MARK: - Added tokens (tokenizer.json `added_tokens`)

/// A token matched in the text before the model sees it, as a tokenizer.json `added_tokens` entry describes it.
public struct AddedToken: Sendable, Equatable {
    /// The token's id.
    public var id: Int32
    /// The text that stands for the token.
    public var content: String
    /// Special tokens ([CLS], [MASK], …) are matched only when special tokens are parsed, and can be
    /// skipped when decoding.
    public var isSpecial: Bool
    /// Matched in the normalized text (its content normalized too) rather than in the raw text.
    public var isNormalized: Bool
    /// Whitespace on the left of a match is dropped.
    public var stripsLeft: Bool
    /// Whitespace on the right of a match is dropped.
    public var stripsRight: Bool

    /// Creates an entry; as in HF, a token is normalized unless it is special, when not said otherwise.
    public init(id: Int32, content: String, isSpecial: Bool, isNormalized: Bool? = nil,
                stripsLeft: Bool = false, stripsRight: Bool = false) {
        self.id = id
        self.content = content
        self.isSpecial = isSpecial
        self.isNormalized = isNormalized ?? !isSpecial
        self.stripsLeft = stripsLeft
        self.stripsRight = stripsRight
    }
}
