// MARK: - Pre-tokenizer: text → words that BPE merges within

/// One step of a pre-tokenizer; each step splits every current piece further.
public enum PreTokenizerStep: Sendable, Equatable {
    /// HF `Digits`: isolates each `\p{N}` scalar (`individually`) or each run of them.
    case isolateDigits(individually: Bool)
    /// HF `Split(pattern, "Isolated")` or `ByteLevel(use_regex: true)`: the matches of a known pattern.
    case split(SplitPattern)
    /// HF `ByteLevel(add_prefix_space: true)`: a space is prepended to each piece not starting with one.
    case prefixSpace
}

/// How a vocabulary splits text into words before BPE.
public enum PreTokenizerKind: Sendable, Equatable {
    /// The GPT-2 pattern alone (llama.cpp `gpt-2`, `mpt`, `olmo`, `jais`, …).
    case gpt2
    /// Each digit isolated, then the GPT-2 pattern (llama.cpp `smollm`, `starcoder`, `refact`, …).
    case smollm
    /// The llama-3 pattern (llama.cpp `llama3`/`llama-bpe`, `dbrx`, `smaug-bpe`, `chatglm-bpe`).
    case llama3
    /// The llama-3 pattern with single digits (llama.cpp `qwen2`, `stablelm2`, `megrez`).
    case qwen2
    /// An explicit list of steps, as a tokenizer.json `pre_tokenizer` describes it.
    case steps([PreTokenizerStep])

    /// The steps this kind runs, in order.
    public var steps: [PreTokenizerStep] {
        switch self {
        case .gpt2: return [.split(.gpt2)]
        case .smollm: return [.isolateDigits(individually: true), .split(.gpt2)]
        case .llama3: return [.split(.llama3)]
        case .qwen2: return [.split(.qwen2)]
        case .steps(let steps): return steps
        }
    }

    /// The kind llama.cpp selects for a GGUF `tokenizer.ggml.pre` value, or nil when we have no scanner for it.
    public init?(ggufName name: String) {
        guard let kind = PreTokenizerKind.ggufNames[name] else { return nil }
        self = kind
    }

    /// llama.cpp's `tokenizer.ggml.pre` values (llama-vocab.cpp) grouped by the regex list they select.
    private static let ggufNames: [String: PreTokenizerKind] = {
        let groups: [(PreTokenizerKind, [String])] = [
            (.gpt2, ["gpt-2", "phi-2", "roberta-bpe", "gigachat", "jina-es", "jina-de", "jina-v1-en", "jina-v2-es",
                     "jina-v2-de", "jina-v2-code", "mpt", "olmo", "jais"]),
            (.smollm, ["smollm", "starcoder", "refact", "command-r", "codeshell", "exaone", "minerva-7b"]),
            (.llama3, ["llama3", "llama-v3", "llama-bpe", "falcon3", "dbrx", "smaug-bpe", "chatglm-bpe"]),
            (.qwen2, ["qwen2", "deepseek-r1-qwen", "stablelm2", "megrez"]),
        ]
        var table: [String: PreTokenizerKind] = [:]
        for (kind, names) in groups { for name in names { table[name] = kind } }
        return table
    }()
}

/// Runs pre-tokenizer steps over text, producing word ranges over a scalar buffer.
struct PreTokenizer: Sendable {
    let steps: [PreTokenizerStep]

    init(_ kind: PreTokenizerKind) { steps = kind.steps }

    /// Splits `scalars` into words; returns the (possibly rewritten, by `prefixSpace`) text and the word ranges.
    func words(_ scalars: [UInt32]) -> (text: ScalarText, words: [Range<Int>]) {
        var text = ScalarText(scalars: scalars)
        var pieces: [Range<Int>] = text.count > 0 ? [0..<text.count] : []
        for step in steps {
            var next: [Range<Int>] = []
            next.reserveCapacity(pieces.count * 2)
            switch step {
            case .isolateDigits(let individually):
                for piece in pieces { Self.isolateDigits(text, piece, individually: individually, into: &next) }
            case .split(let pattern):
                for piece in pieces { pattern.split(text, piece: piece, into: &next) }
            case .prefixSpace:
                (text, next) = Self.prefixSpace(text, pieces)
            }
            pieces = next
        }
        return (text, pieces)
    }

    private static func isolateDigits(_ text: ScalarText, _ piece: Range<Int>, individually: Bool,
                                      into pieces: inout [Range<Int>]) {
        var start = piece.lowerBound
        var pos = start
        while pos < piece.upperBound {
            guard text.classes[pos].contains(.number) else { pos += 1; continue }
            if pos > start { pieces.append(start..<pos) }
            start = pos
            pos += 1
            if !individually {
                while pos < piece.upperBound && text.classes[pos].contains(.number) { pos += 1 }
            }
            pieces.append(start..<pos)
            start = pos
        }
        if pos > start { pieces.append(start..<pos) }
    }

    /// Rebuilds the buffer with a space before each piece that does not start with one (HF ByteLevel).
    private static func prefixSpace(_ text: ScalarText, _ pieces: [Range<Int>]) -> (ScalarText, [Range<Int>]) {
        var scalars: [UInt32] = []
        scalars.reserveCapacity(text.count + pieces.count)
        var ranges: [Range<Int>] = []
        ranges.reserveCapacity(pieces.count)
        for piece in pieces {
            let start = scalars.count
            if text.scalars[piece.lowerBound] != 0x20 { scalars.append(0x20) }
            scalars.append(contentsOf: text.scalars[piece])
            ranges.append(start..<scalars.count)
        }
        return (ScalarText(scalars: scalars), ranges)
    }
}
