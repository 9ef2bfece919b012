// MARK: - Splitting special and added tokens out of text before pre-tokenizing

/// A piece of input after special tokens are split out: raw text (a byte range) or one token.
enum Fragment: Equatable {
    case text(Range<Int>)
    case token(Int32)
}

/// Finds control and added tokens written in the text, so they become their own ids instead of being BPE'd.
struct SpecialTokenSplitter: Sendable {
    struct Entry: Sendable {
        var id: Int32
        var bytes: [UInt8]
        /// Control (and unknown) tokens are found only when special tokens are parsed; added tokens always.
        var needsParseSpecial: Bool
        var stripsLeft: Bool
        var stripsRight: Bool
    }

    /// What lstrip/rstrip remove next to a token.
    enum StripSpace: Sendable {
        /// C `isspace` bytes, as llama.cpp strips.
        case ascii
        /// Rust `char::is_whitespace` scalars, as HF `tokenizers` strips.
        case unicode
    }

    /// Longest first, then lowest id, so the order is deterministic (llama.cpp sorts by length only).
    private let entries: [Entry]
    /// Entry indices by first byte, in `entries` order, for the left-to-right scan.
    private let entriesByFirstByte: [[Int]]
    private let matching: SpecialTokenMatching
    private let stripSpace: StripSpace

    var isEmpty: Bool { entries.isEmpty }

    /// Finds `entries` (empty contents are ignored) in the given order of matching.
    init(entries: [Entry], matching: SpecialTokenMatching, stripSpace: StripSpace) {
        var entries = entries.filter { !$0.bytes.isEmpty }
        entries.sort { $0.bytes.count != $1.bytes.count ? $0.bytes.count > $1.bytes.count : $0.id < $1.id }
        var buckets = [[Int]](repeating: [], count: 256)
        for (index, entry) in entries.enumerated() { buckets[Int(entry.bytes[0])].append(index) }
        self.entries = entries
        self.entriesByFirstByte = buckets
        self.matching = matching
        self.stripSpace = stripSpace
    }

    init(vocabulary: BPEVocabulary) {
        var entries: [Entry] = []
        for (index, text) in vocabulary.tokens.enumerated() where !text.isEmpty {
            let id = Int32(index)
            let type = vocabulary.type(of: id)
            // llama.cpp `cache_special_tokens`: control, user-defined and unknown entries.
            guard type == .control || type == .userDefined || type == .unknown else { continue }
            entries.append(Entry(id: id, bytes: Array(text.utf8), needsParseSpecial: type != .userDefined,
                                 stripsLeft: vocabulary.leftStrippingTokenIDs.contains(id),
                                 stripsRight: vocabulary.rightStrippingTokenIDs.contains(id)))
        }
        self.init(entries: entries, matching: vocabulary.specialTokenMatching, stripSpace: .ascii)
    }

    /// Splits `bytes` into text and token fragments.
    func split(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        guard !bytes.isEmpty else { return [] }
        guard !entries.isEmpty else { return [.text(0..<bytes.count)] }
        switch matching {
        case .longestTokenFirst: return splitLongestFirst(bytes, parseSpecial: parseSpecial)
        case .leftmostLongest: return splitLeftmostLongest(bytes, parseSpecial: parseSpecial)
        }
    }

    // MARK: - llama.cpp order

    private func splitLongestFirst(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = [.text(0..<bytes.count)]
        for entry in entries where parseSpecial || !entry.needsParseSpecial {
            var updated: [Fragment] = []
            var changed = false
            for fragment in fragments {
                guard case .text(let range) = fragment else { updated.append(fragment); continue }
                var start = range.lowerBound
                while let match = Self.find(entry.bytes, in: bytes, from: start, to: range.upperBound) {
                    changed = true
                    var left = start..<match
                    if entry.stripsLeft { left = trimTrailingSpace(bytes, left) }
                    if !left.isEmpty { updated.append(.text(left)) }
                    updated.append(.token(entry.id))
                    start = match + entry.bytes.count
                    if entry.stripsRight { start = trimLeadingSpace(bytes, start..<range.upperBound).lowerBound }
                }
                if start < range.upperBound { updated.append(.text(start..<range.upperBound)) }
            }
            if changed { fragments = updated }
        }
        return fragments
    }

    // MARK: - Hugging Face order

    private func splitLeftmostLongest(_ bytes: [UInt8], parseSpecial: Bool) -> [Fragment] {
        var fragments: [Fragment] = []
        var textStart = 0
        var pos = 0
        scan: while pos < bytes.count {
            for index in entriesByFirstByte[Int(bytes[pos])] {
                let entry = entries[index]
                guard parseSpecial || !entry.needsParseSpecial, Self.matches(entry.bytes, in: bytes, at: pos) else { continue }
                var left = textStart..<pos
                if entry.stripsLeft { left = trimTrailingSpace(bytes, left) }
                if !left.isEmpty { fragments.append(.text(left)) }
                fragments.append(.token(entry.id))
                pos += entry.bytes.count
                if entry.stripsRight { pos = trimLeadingSpace(bytes, pos..<bytes.count).lowerBound }
                textStart = pos
                continue scan
            }
            pos += 1
        }
        if textStart < bytes.count { fragments.append(.text(textStart..<bytes.count)) }
        return fragments
    }

    // MARK: - Byte search

    @inline(__always)
    private static func matches(_ needle: [UInt8], in haystack: [UInt8], at pos: Int) -> Bool {
        guard pos + needle.count <= haystack.count else { return false }
        for i in 1..<needle.count where haystack[pos + i] != needle[i] { return false }
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8], from start: Int, to end: Int) -> Int? {
        let first = needle[0]
        var pos = start
        while pos + needle.count <= end {
            if haystack[pos] == first && matches(needle, in: haystack, at: pos) { return pos }
            pos += 1
        }
        return nil
    }

    /// C `isspace`, which llama.cpp uses for lstrip/rstrip.
    @inline(__always)
    private static func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (0x09...0x0D).contains(byte) }

    private func trimTrailingSpace(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int> {
        var end = range.upperBound
        switch stripSpace {
        case .ascii:
            while end > range.lowerBound && Self.isSpace(bytes[end - 1]) { end -= 1 }
        case .unicode:
            // Ranges start and end on scalar boundaries, so the text decodes exactly.
            for scalar in String(decoding: bytes[range], as: UTF8.self).unicodeScalars.reversed() {
                guard scalar.properties.isWhitespace else { break }
                end -= UTF8.width(scalar)
            }
        }
        return range.lowerBound..<end
    }

    private func trimLeadingSpace(_ bytes: [UInt8], _ range: Range<Int>) -> Range<Int> {
        var start = range.lowerBound
        switch stripSpace {
        case .ascii:
            while start < range.upperBound && Self.isSpace(bytes[start]) { start += 1 }
        case .unicode:
            for scalar in String(decoding: bytes[range], as: UTF8.self).unicodeScalars {
                guard scalar.properties.isWhitespace else { break }
                start += UTF8.width(scalar)
            }
        }
        return start..<range.upperBound
    }
}
