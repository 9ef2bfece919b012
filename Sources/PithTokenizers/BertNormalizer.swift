import Foundation

// MARK: - BERT normalization (Hugging Face `BertNormalizer`)

/// The text clean-up BERT tokenizers run before splitting words, step for step as Hugging Face
/// `tokenizers`' `BertNormalizer` does it (`normalizers/bert.rs`).
///
/// The steps, each over Unicode scalars (Rust `char`s, never grapheme clusters), in this order:
/// 1. `cleanText`: drop U+0000, U+FFFD and control scalars; map every whitespace scalar to a space.
/// 2. `handleChineseChars`: put a space on both sides of each CJK ideograph.
/// 3. `stripAccents` (when nil, follows `lowercase`): canonical decomposition (NFD), then drop
///    nonspacing marks (Mn).
/// 4. `lowercase`: each scalar's full lowercase mapping (`char::to_lowercase`, so `İ` becomes `i` +
///    U+0307 and `Σ` always `σ`, with no final-sigma rule).
///
/// The classes are those of ``BertScalarClass``. Known gap: NFD comes from Foundation, whose
/// Unicode version can be newer than HF's `unicode-normalization` tables; on Linux with Swift 6.3 the
/// two differ at one scalar only (U+11938 DIVES AKURU VOWEL SIGN O, Unicode 13), where the word
/// becomes [UNK] either way.
public struct BertNormalizer: Sendable, Equatable {
    /// Removes control characters and maps whitespace to spaces.
    public var cleanText: Bool
    /// Surrounds CJK ideographs with spaces so each becomes a word.
    public var handleChineseChars: Bool
    /// Removes accents; nil means "when lowercasing", as HF reads `"strip_accents": null`.
    public var stripAccents: Bool?
    /// Lowercases every scalar.
    public var lowercase: Bool

    /// Creates a normalizer; the defaults are HF's (and bert-base-uncased's).
    public init(cleanText: Bool = true, handleChineseChars: Bool = true, stripAccents: Bool? = nil, lowercase: Bool = true) {
        self.cleanText = cleanText
        self.handleChineseChars = handleChineseChars
        self.stripAccents = stripAccents
        self.lowercase = lowercase
    }

    /// The normalized form of `text`.
    public func normalize(_ text: String) -> String {
        var result = ""
        result.unicodeScalars.append(contentsOf: normalize(scalars: text.unicodeScalars.map(\.value)).compactMap(Unicode.Scalar.init))
        return result
    }

    /// The normalized form of a scalar buffer (every value a valid scalar).
    func normalize(scalars input: [UInt32]) -> [UInt32] {
        var scalars = input
        if cleanText {
            scalars = scalars.compactMap { value in
                let classes = BertScalarClass(value)
                if value == 0 || value == 0xFFFD || classes.contains(.control) { return nil }
                // \t \n \r are Cc but not `.control`; they are White_Space, so they become spaces here.
                return classes.contains(.whitespace) ? 0x20 : value
            }
        }
        if handleChineseChars, scalars.contains(where: { BertScalarClass($0).contains(.chinese) }) {
            var spaced: [UInt32] = []
            spaced.reserveCapacity(scalars.count + 16)
            for value in scalars {
                if BertScalarClass(value).contains(.chinese) {
                    spaced += [0x20, value, 0x20]
                } else {
                    spaced.append(value)
                }
            }
            scalars = spaced
        }
        if stripAccents ?? lowercase {
            scalars = Self.canonicalDecomposition(scalars).filter { !BertScalarClass($0).contains(.nonspacingMark) }
        }
        if lowercase {
            scalars = Self.lowercased(scalars)
        }
        return scalars
    }

    // MARK: - Unicode mappings

    /// NFD; nothing below U+00C0 decomposes, so such text is returned as it is.
    static func canonicalDecomposition(_ scalars: [UInt32]) -> [UInt32] {
        guard scalars.contains(where: { $0 >= 0xC0 }) else { return scalars }
        var text = ""
        text.unicodeScalars.append(contentsOf: scalars.compactMap(Unicode.Scalar.init))
        return text.decomposedStringWithCanonicalMapping.unicodeScalars.map(\.value)
    }

    /// Each scalar replaced by its full lowercase mapping (possibly several scalars).
    static func lowercased(_ scalars: [UInt32]) -> [UInt32] {
        var result: [UInt32] = []
        result.reserveCapacity(scalars.count)
        for value in scalars {
            if value < 0x80 {
                result.append((0x41...0x5A).contains(value) ? value + 0x20 : value)
            } else if let scalar = Unicode.Scalar(value) {
                result += scalar.properties.lowercaseMapping.unicodeScalars.map(\.value)
            }
        }
        return result
    }
}
