// MARK: - BERT pre-tokenization (Hugging Face `BertPreTokenizer`)

/// Splits normalized text into the words WordPiece works within, as HF `tokenizers`' `BertPreTokenizer`:
/// whitespace (Rust `char::is_whitespace`) separates words and is dropped, and every punctuation
/// scalar (ASCII punctuation or Unicode P*, see ``BertScalarClass``) becomes a word of its own.
public struct BertPreTokenizer: Sendable, Equatable {
    /// Creates the pre-tokenizer; it has no settings.
    public init() {}

    /// The words of `text`, in order.
    public func words(in text: String) -> [String] {
        let scalars = text.unicodeScalars.map(\.value)
        return words(scalars).map { range in
            var word = ""
            word.unicodeScalars.append(contentsOf: scalars[range].compactMap(Unicode.Scalar.init))
            return word
        }
    }

    /// The word ranges of a scalar buffer.
    func words(_ scalars: [UInt32]) -> [Range<Int>] {
        var result: [Range<Int>] = []
        var start = 0
        for (index, value) in scalars.enumerated() {
            let classes = BertScalarClass(value)
            guard classes.contains(.whitespace) || classes.contains(.punctuation) else { continue }
            if start < index { result.append(start..<index) }
            if classes.contains(.punctuation) && !classes.contains(.whitespace) { result.append(index..<index + 1) }
            start = index + 1
        }
        if start < scalars.count { result.append(start..<scalars.count) }
        return result
    }
}
