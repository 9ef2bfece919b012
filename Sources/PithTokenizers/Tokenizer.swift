// MARK: - The tokenizer interface other layers code against

/// A text ⇄ token-id mapping with the exact behaviour of a reference implementation.
public protocol Tokenizer: Sendable {
    /// The number of entries in the vocabulary.
    var vocabularySize: Int { get }
    /// The beginning-of-sequence token, if the vocabulary names one.
    var bosTokenID: Int32? { get }
    /// The end-of-sequence token, if the vocabulary names one.
    var eosTokenID: Int32? { get }
    /// Token ids that end generation (eos, and e.g. `<|im_end|>` for chat models).
    var endOfGenerationTokenIDs: Set<Int32> { get }
    /// Whether `encode(…, addSpecialTokens: true)` prepends BOS.
    var addsBOS: Bool { get }
    /// Splits `text` into token ids; `parseSpecialTokens` lets control tokens written in the text become their ids.
    func encode(_ text: String, addSpecialTokens: Bool, parseSpecialTokens: Bool) -> [Int32]
    /// Joins the bytes of `ids` into text, skipping nothing; invalid UTF-8 becomes U+FFFD.
    func decode(_ ids: [Int32]) -> String
    /// The raw bytes a token stands for (possibly a partial UTF-8 sequence).
    func tokenBytes(_ id: Int32) -> [UInt8]
    /// The vocabulary entry for `id`, as stored (byte-level tokens in their mapped form).
    func tokenString(_ id: Int32) -> String?
    /// The id of a vocabulary entry, as stored.
    func tokenID(_ token: String) -> Int32?
    /// The Jinja chat template shipped with the vocabulary, if any.
    var chatTemplate: String? { get }
}

extension Tokenizer {
    /// Encodes with the reference defaults: special tokens added, and parsed when written in the text.
    public func encode(_ text: String) -> [Int32] {
        encode(text, addSpecialTokens: true, parseSpecialTokens: true)
    }
}

// MARK: - Errors

/// A tokenizer could not be built; the description is one line naming the file and the fault.
public struct TokenizerError: Error, CustomStringConvertible, Sendable {
    /// The file the vocabulary came from, or a short label such as "vocabulary" for in-memory input.
    public var file: String
    /// What is wrong, in a few words.
    public var fault: String

    /// Creates an error naming `file` and `fault`.
    public init(file: String, fault: String) {
        self.file = file
        self.fault = fault
    }

    public var description: String { "\(file): \(fault)" }
}
