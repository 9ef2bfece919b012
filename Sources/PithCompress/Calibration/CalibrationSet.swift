import Foundation
import PithTokenizers

/// Calibration samples: `count` sequences of `length` tokens, each wrapped in the tokens the model's template adds
/// (BOS for Llama, [CLS] … [SEP] for BERT). Either consecutive, non-overlapping windows cut from a text, or one sample
/// per line (sentences, for an embedding model), right-padded to the longest; padded rows are run but never measured.
public struct CalibrationSet: Sendable {
    /// (count, length) token ids.
    public let samples: [[Int32]]
    public let length: Int
    /// Real (unpadded) tokens of each sample; `length` for every window of a text.
    public let lengths: [Int]
    /// Tokens of the text (without template tokens).
    public let textTokens: Int
    /// Set when the text held fewer windows than asked for.
    public let note: String?

    public var count: Int { samples.count }

    /// - Parameters:
    ///   - samples: windows wanted; fewer are taken when the text is short (`note` says so).
    ///   - length: tokens per sample, template tokens included.
    public init(text: String, tokenizer: any Tokenizer, samples wanted: Int, length: Int) throws {
        let tokenizer = Self.untruncated(tokenizer)
        guard wanted >= 1 else { throw RecipeError("--samples must be at least 1, is \(wanted)") }
        let (prefix, suffix) = Self.template(of: tokenizer)
        let body = length - prefix.count - suffix.count
        guard body >= 1 else { throw RecipeError("--seq-len \(length) leaves no room for text after the template's \(prefix.count + suffix.count) tokens") }
        let tokens = tokenizer.encode(text, addSpecialTokens: false, parseSpecialTokens: false)
        let available = tokens.count / body
        guard available >= 1 else {
            throw RecipeError("the calibration text has \(tokens.count) tokens, fewer than one sample of \(length)")
        }
        let taken = min(wanted, available)
        samples = (0..<taken).map { i in prefix + tokens[(i * body)..<((i + 1) * body)] + suffix }
        self.length = length
        lengths = [Int](repeating: length, count: taken)
        textTokens = tokens.count
        note = taken < wanted
            ? "the calibration text has \(tokens.count) tokens: \(taken) samples of \(length), not \(wanted)" : nil
    }

    /// Samples given as token ids (tests, or a caller with its own data); all must have one length.
    public init(samples: [[Int32]]) throws {
        guard let first = samples.first, !first.isEmpty, samples.allSatisfy({ $0.count == first.count }) else {
            throw RecipeError("calibration samples must be non-empty and of one length")
        }
        self.samples = samples
        length = first.count
        lengths = [Int](repeating: first.count, count: samples.count)
        textTokens = samples.count * first.count
        note = nil
    }

    /// One sample per non-empty line, template tokens included, at most `length` tokens each (a longer line keeps its
    /// start and the template's closing tokens); samples are right-padded to the longest.
    public init(lines: [String], tokenizer: any Tokenizer, samples wanted: Int, length: Int) throws {
        guard wanted >= 1 else { throw RecipeError("--samples must be at least 1, is \(wanted)") }
        let (prefix, suffix) = Self.template(of: tokenizer)
        let body = length - prefix.count - suffix.count
        guard body >= 1 else { throw RecipeError("--seq-len \(length) leaves no room for text after the template's \(prefix.count + suffix.count) tokens") }
        let tokenizer = Self.untruncated(tokenizer)
        var chosen: [[Int32]] = [], textTokens = 0
        for line in lines where chosen.count < wanted {
            let tokens = tokenizer.encode(line, addSpecialTokens: false, parseSpecialTokens: false)
            guard !tokens.isEmpty else { continue }
            textTokens += tokens.count
            chosen.append(prefix + tokens.prefix(body) + suffix)
        }
        guard let longest = chosen.map(\.count).max() else { throw RecipeError("the calibration text has no line with text") }
        lengths = chosen.map(\.count)
        // Padding is id 0 ([PAD] in BERT vocabularies): masked out of attention where the graph has a mask, and after
        // every real token where attention is causal, so real rows never see it.
        samples = chosen.map { $0 + [Int32](repeating: 0, count: longest - $0.count) }
        self.length = longest
        self.textTokens = textTokens
        note = chosen.count < wanted ? "the calibration text has \(chosen.count) lines with text, not \(wanted)" : nil
    }

    /// Whether some samples are padded (their padded rows must not be measured).
    public var isPadded: Bool { lengths.contains { $0 != length } }

    /// An encoder's tokenizer.json truncates to its sentence length; calibration reads whole texts and lines and cuts
    /// them itself.
    static func untruncated(_ tokenizer: any Tokenizer) -> any Tokenizer {
        guard var wordPiece = tokenizer as? WordPieceTokenizer else { return tokenizer }
        wordPiece.maxLength = nil
        return wordPiece
    }

    /// The template's tokens before and after a text: found by encoding a probe with and without special tokens.
    static func template(of tokenizer: any Tokenizer) -> (prefix: [Int32], suffix: [Int32]) {
        let probe = "calibration"
        let bare = tokenizer.encode(probe, addSpecialTokens: false, parseSpecialTokens: false)
        let wrapped = tokenizer.encode(probe, addSpecialTokens: true, parseSpecialTokens: false)
        guard !bare.isEmpty, let start = (0...(max(wrapped.count - bare.count, 0))).first(where: {
            wrapped.count >= bare.count && Array(wrapped[$0..<($0 + bare.count)]) == bare
        }) else { return ([], []) }
        return (Array(wrapped[..<start]), Array(wrapped[(start + bare.count)...]))
    }
}
