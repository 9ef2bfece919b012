// MARK: - Hand-written scanners for the known split regexes

/// A pre-tokenizer split regex we recognise and run as a hand-written scanner instead of a regex engine.
public enum SplitPattern: String, Sendable, CaseIterable {
    /// `'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+` (GPT-2; case-sensitive).
    case gpt2
    /// The llama-3 pattern: case-insensitive contractions, `\p{N}{1,3}`, newline-aware whitespace.
    case llama3
    /// The llama-3 pattern with single digits, `\p{N}` (Qwen2, StableLM2).
    case qwen2

    /// The regex source each case implements, as written in tokenizer.json files and llama.cpp.
    public var regexSources: [String] {
        switch self {
        case .gpt2:
            return [#"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+"#,
                    #"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)"#]
        case .llama3:
            return [#"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
                    #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#]
        case .qwen2:
            return [#"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#,
                    #"(?:'[sS]|'[tT]|'[rR][eE]|'[vV][eE]|'[mM]|'[lL][lL]|'[dD])|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+"#]
        }
    }

    /// The pattern whose regex source is exactly `source`, or nil for a pattern we have no scanner for.
    public init?(regexSource source: String) {
        guard let match = SplitPattern.allCases.first(where: { $0.regexSources.contains(source) }) else { return nil }
        self = match
    }

    /// Appends the matches of this pattern inside `piece` of `text` to `words`, as the regex's find-all would.
    ///
    /// The regex's alternatives cover every scalar, so matches tile the piece with no gaps.
    func split(_ text: ScalarText, piece: Range<Int>, into words: inout [Range<Int>]) {
        switch self {
        case .gpt2: Self.splitGPT2(text, piece, &words)
        case .llama3: Self.splitLlama3(text, piece, maxDigits: 3, &words)
        case .qwen2: Self.splitLlama3(text, piece, maxDigits: 1, &words)
        }
    }

    // MARK: - GPT-2

    private static func splitGPT2(_ text: ScalarText, _ piece: Range<Int>, _ words: inout [Range<Int>]) {
        let end = piece.upperBound
        let s = text.scalars
        @inline(__always) func cls(_ i: Int) -> ScalarClass { i < end ? text.classes[i] : .outside }
        var pos = piece.lowerBound
        while pos < end {
            let start = pos
            let c = s[pos]
            // 's|'t|'re|'ve|'m|'ll|'d — lower case only: this regex has no (?i).
            if c == 0x27, let length = contractionLength(s, at: pos, end: end, caseInsensitive: false) {
                pos += length
                words.append(start..<pos)
                continue
            }
            // ` ?X+` for X in \p{L}, \p{N}, [^\s\p{L}\p{N}]: an optional space, then a run of one class.
            let first = c == 0x20 ? pos + 1 : pos
            let firstClass = cls(first)
            if firstClass.contains(.letter) || firstClass.contains(.number) || firstClass.isOther {
                pos = first + 1
                if firstClass.contains(.letter) {
                    while cls(pos).contains(.letter) { pos += 1 }
                } else if firstClass.contains(.number) {
                    while cls(pos).contains(.number) { pos += 1 }
                } else {
                    while cls(pos).isOther { pos += 1 }
                }
                words.append(start..<pos)
                continue
            }
            pos = whitespaceRunEnd(text, from: pos, end: end)
            words.append(start..<pos)
        }
    }

    // MARK: - llama-3 / Qwen2

    private static func splitLlama3(_ text: ScalarText, _ piece: Range<Int>, maxDigits: Int, _ words: inout [Range<Int>]) {
        let end = piece.upperBound
        let s = text.scalars
        @inline(__always) func cls(_ i: Int) -> ScalarClass { i < end ? text.classes[i] : .outside }
        @inline(__always) func isNewline(_ i: Int) -> Bool { i < end && (s[i] == 0x0A || s[i] == 0x0D) }
        var pos = piece.lowerBound
        while pos < end {
            let start = pos
            let c = s[pos]
            let here = cls(pos)
            // (?i:'s|'t|'re|'ve|'m|'ll|'d)
            if c == 0x27, let length = contractionLength(s, at: pos, end: end, caseInsensitive: true) {
                pos += length
                words.append(start..<pos)
                continue
            }
            // [^\r\n\p{L}\p{N}]?\p{L}+
            if !isNewline(pos) && !here.contains(.number) && (here.contains(.letter) || cls(pos + 1).contains(.letter)) {
                pos += 1
                while cls(pos).contains(.letter) { pos += 1 }
                words.append(start..<pos)
                continue
            }
            // \p{N}{1,maxDigits}
            if here.contains(.number) {
                while cls(pos).contains(.number) && pos - start < maxDigits { pos += 1 }
                words.append(start..<pos)
                continue
            }
            // ` ?[^\s\p{L}\p{N}]+[\r\n]*`
            let first = c == 0x20 ? pos + 1 : pos
            if cls(first).isOther {
                pos = first + 1
                while cls(pos).isOther { pos += 1 }
                while isNewline(pos) { pos += 1 }
                words.append(start..<pos)
                continue
            }
            // \s*[\r\n]+ — the whitespace run up to and including its last \r or \n.
            var runEnd = pos
            var afterLastNewline = -1
            while cls(runEnd).contains(.whitespace) {
                if isNewline(runEnd) { afterLastNewline = runEnd + 1 }
                runEnd += 1
            }
            if afterLastNewline > 0 {
                pos = afterLastNewline
            } else {
                pos = whitespaceRunEnd(text, from: pos, end: end)
            }
            words.append(start..<pos)
        }
    }

    // MARK: - Shared pieces

    /// The length of a contraction starting with the apostrophe at `pos`, or nil.
    ///
    /// Case folding is ASCII only, as llama.cpp's adapted `'[sS]|…` pattern has it.
    @inline(__always)
    private static func contractionLength(_ s: [UInt32], at pos: Int, end: Int, caseInsensitive: Bool) -> Int? {
        guard pos + 1 < end else { return nil }
        @inline(__always) func fold(_ c: UInt32) -> UInt32 {
            caseInsensitive && c >= 0x41 && c <= 0x5A ? c + 0x20 : c
        }
        let next = fold(s[pos + 1])
        // s t m d
        if next == 0x73 || next == 0x74 || next == 0x6D || next == 0x64 { return 2 }
        guard pos + 2 < end else { return nil }
        let nextNext = fold(s[pos + 2])
        // re ve ll
        if (next == 0x72 && nextNext == 0x65) || (next == 0x76 && nextNext == 0x65) || (next == 0x6C && nextNext == 0x6C) {
            return 3
        }
        return nil
    }

    /// Where `\s+(?!\S)|\s+` ends a match at `pos`; a lone non-whitespace scalar (unreachable in
    /// practice, the other alternatives cover it) is its own match so the scan always advances.
    @inline(__always)
    private static func whitespaceRunEnd(_ text: ScalarText, from pos: Int, end: Int) -> Int {
        var runEnd = pos
        while runEnd < end && text.classes[runEnd].contains(.whitespace) { runEnd += 1 }
        let count = runEnd - pos
        // \s+(?!\S): when a non-space follows, leave the last whitespace to prefix the next word.
        if count > 1 && runEnd < end { return runEnd - 1 }
        return count > 0 ? runEnd : pos + 1
    }
}
