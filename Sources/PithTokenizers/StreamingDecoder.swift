// MARK: - Streaming decode for generation

/// Turns a stream of token ids into text, emitting only complete UTF-8 and holding back a partial sequence
/// (a token may end in the middle of a multi-byte character, e.g. half an emoji).
///
/// The concatenation of everything `append` and `finish` return equals `tokenizer.decode(allIDs)`.
public struct StreamingDecoder {
    private let tokenizer: any Tokenizer
    private var pending: [UInt8] = []

    /// Creates a decoder reading token bytes from `tokenizer`.
    public init(tokenizer: any Tokenizer) {
        self.tokenizer = tokenizer
    }

    /// Adds one token and returns the text that is now complete (possibly empty).
    public mutating func append(_ id: Int32) -> String {
        pending.append(contentsOf: tokenizer.tokenBytes(id))
        let keep = Self.incompleteSuffixLength(pending)
        guard keep < pending.count else { return "" }
        let text = String(decoding: pending[..<(pending.count - keep)], as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return text
    }

    /// Returns whatever is held back, with an unfinished sequence replaced by U+FFFD, and resets.
    public mutating func finish() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The length of a trailing sequence that is a valid but unfinished UTF-8 prefix (0…3 bytes).
    ///
    /// Only a prefix that more bytes could still complete is held back; anything already invalid is
    /// released so it becomes U+FFFD exactly where a one-shot decode would put it.
    static func incompleteSuffixLength(_ bytes: [UInt8]) -> Int {
        let n = bytes.count
        // Find the last lead byte within the final 3 bytes.
        var back = 1
        while back <= min(3, n) {
            let byte = bytes[n - back]
            if byte & 0xC0 != 0x80 { break }   // not a continuation byte
            back += 1
        }
        guard back <= min(3, n) else { return 0 }
        let lead = bytes[n - back]
        let needed: Int
        switch lead {
        case 0xC2...0xDF: needed = 2
        case 0xE0...0xEF: needed = 3
        case 0xF0...0xF4: needed = 4
        default: return 0                       // ASCII or a byte that can never start a sequence
        }
        guard back < needed else { return 0 }  // complete (or over-long, which is invalid anyway)
        if back >= 2 {
            // The second byte's range is narrowed for these leads (Unicode Table 3-7), else the prefix is dead.
            let second = bytes[n - back + 1]
            switch lead {
            case 0xE0: if second < 0xA0 { return 0 }
            case 0xED: if second > 0x9F { return 0 }
            case 0xF0: if second < 0x90 { return 0 }
            case 0xF4: if second > 0x8F { return 0 }
            default: break
            }
        }
        return back
    }
}
