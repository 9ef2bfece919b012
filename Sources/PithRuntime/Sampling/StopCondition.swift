// MARK: - Stop conditions

/// Decides when generation ends (token budget, end tokens, stop strings) and which text may be shown so far.
///
/// Stop strings are matched on the decoded text, so one may span several tokens. Text that could
/// still turn out to be the start of a stop string is held back until the next token resolves it;
/// the stop string itself and anything after it are never emitted. Matching is on UTF-8 bytes
/// (exact, no Unicode normalisation); a held-back suffix always begins where a stop string begins,
/// which is a character boundary, so every emitted piece is valid text.
public struct StopCondition: Sendable {
    private let maxTokens: Int
    private let endTokens: Set<Int32>
    private let stopStrings: [[UInt8]]
    /// UTF-8 text received but not yet emitted: a possible start of a stop string.
    private var pending: [UInt8] = []
    private var tokenCount = 0
    private var stopped = false

    /// Creates a condition; empty stop strings are ignored, and `maxTokens` ≤ 0 stops at the first token.
    public init(maxTokens: Int, endTokens: Set<Int32>, stopStrings: [String]) {
        self.maxTokens = maxTokens
        self.endTokens = endTokens
        self.stopStrings = stopStrings.filter { !$0.isEmpty }.map { Array($0.utf8) }
    }

    /// Takes one generated token and its decoded text; returns the text now safe to show, and whether to stop.
    ///
    /// An end token's own text is not emitted. After `stop` has been returned, further calls return `("", true)`.
    public mutating func feed(tokenID: Int32, text: String) -> (emit: String, stop: Bool) {
        guard !stopped else { return ("", true) }
        tokenCount += 1
        if endTokens.contains(tokenID) {
            stopped = true
            return (flush(), true)   // what was held back cannot become a stop string any more
        }
        pending.append(contentsOf: text.utf8)
        if let match = earliestMatch() {
            stopped = true
            let emit = String(decoding: pending[..<match], as: UTF8.self)
            pending.removeAll()
            return (emit, true)
        }
        if tokenCount >= maxTokens {
            stopped = true
            return (flush(), true)
        }
        let keep = longestSuffixThatStartsAStopString()
        let emit = String(decoding: pending[..<(pending.count - keep)], as: UTF8.self)
        pending.removeFirst(pending.count - keep)
        return (emit, false)
    }

    /// Returns the text still held back, for when generation ends without `feed` returning `stop`.
    public mutating func finish() -> String {
        stopped = true
        return flush()
    }

    // MARK: - Matching

    private mutating func flush() -> String {
        defer { pending.removeAll() }
        return String(decoding: pending, as: UTF8.self)
    }

    /// The byte offset in `pending` of the first complete stop string, if any.
    private func earliestMatch() -> Int? {
        stopStrings.compactMap { firstRange(of: $0, in: pending) }.min()
    }

    /// The length of the longest proper suffix of `pending` that is a prefix of some stop string.
    private func longestSuffixThatStartsAStopString() -> Int {
        var longest = 0
        for stop in stopStrings {
            // A complete match was already ruled out, so only lengths below the stop string's count.
            var length = min(stop.count - 1, pending.count)
            while length > longest {
                if pending[(pending.count - length)...].elementsEqual(stop[..<length]) {
                    longest = length
                    break
                }
                length -= 1
            }
        }
        return longest
    }

    private func firstRange(of needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard needle.count <= haystack.count else { return nil }
        for start in 0...(haystack.count - needle.count)
        where haystack[start] == needle[0] && haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
