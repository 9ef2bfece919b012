// MARK: - Decoding WordPiece tokens (Hugging Face `decoders/wordpiece.rs`)

/// HF's WordPiece decoder: tokens joined with spaces, except that a token with the continuation prefix
/// is glued to the one before (prefix removed); `cleanup` then removes the tokenization spaces.
public struct WordPieceDecoder: Sendable, Equatable {
    /// The continuation prefix, `##` for BERT.
    public var prefix: String
    /// Whether to apply HF's `cleanup` (space before `.`, `?`, `!`, `,` and some contractions).
    public var cleanup: Bool

    /// Creates a decoder; the defaults are HF's.
    public init(prefix: String = "##", cleanup: Bool = true) {
        self.prefix = prefix
        self.cleanup = cleanup
    }

    /// The text of `tokens`.
    ///
    /// As in HF (`decoders/wordpiece.rs`), the prefix and the leading space are settled per token and the
    /// clean-up runs on each token alone, so `don ' t` keeps its spaces: the `" ' "` rule never sees both.
    public func decode(_ tokens: [String]) -> String {
        var result: [UInt8] = []
        let prefixBytes = Array(prefix.utf8)
        for (index, token) in tokens.enumerated() {
            var bytes = Array(token.utf8)
            if index > 0 {
                if bytes.starts(with: prefixBytes) {
                    bytes.removeFirst(prefixBytes.count)
                } else {
                    bytes.insert(0x20, at: 0)
                }
            }
            if cleanup { bytes = Self.cleanup(bytes) }
            result += bytes
        }
        return String(decoding: result, as: UTF8.self)
    }

    /// HF `cleanup`'s replacements, applied in order, each left to right over bytes (Rust `str::replace`).
    private static let replacements: [([UInt8], [UInt8])] = [
        (" .", "."), (" ?", "?"), (" !", "!"), (" ,", ","), (" ' ", "'"), (" n't", "n't"), (" 'm", "'m"),
        (" do not", " don't"), (" 's", "'s"), (" 've", "'ve"), (" 're", "'re"),
    ].map { (Array($0.0.utf8), Array($0.1.utf8)) }

    static func cleanup(_ input: [UInt8]) -> [UInt8] {
        var text = input
        for (pattern, replacement) in replacements {
            guard text.count >= pattern.count else { continue }
            var output: [UInt8] = []
            output.reserveCapacity(text.count)
            var position = 0
            while position < text.count {
                if position + pattern.count <= text.count && text[position..<position + pattern.count].elementsEqual(pattern) {
                    output += replacement
                    position += pattern.count
                } else {
                    output.append(text[position])
                    position += 1
                }
            }
            text = output
        }
        return text
    }
}
