// MARK: - The Unicode classes BERT's normalizer and pre-tokenizer test

/// The classes of one Unicode scalar that Hugging Face `tokenizers`' BertNormalizer and BertPreTokenizer
/// use, as bits.
///
/// HF takes three of them from the `unicode_categories` 0.1 crate, whose tables are Unicode 8.0:
/// - `control` is its `is_other` (Cc, Cf, Co; not Cn or Cs), minus `\t \n \r`;
/// - `punctuation` is `is_ascii_punctuation` (33–47, 58–64, 91–96, 123–126) or its `is_punctuation` (P*);
/// - `nonspacingMark` is its `is_mark_nonspacing` (Mn).
/// So a scalar assigned after Unicode 8.0 is none of these, and the seven scalars whose category changed
/// since keep their 8.0 one. `whitespace` is Rust's `char::is_whitespace` (the current White_Space
/// property), and `chinese` is the code-point ranges of `is_chinese_char` in `normalizers/bert.rs`.
/// Evidence: every one of the 1,112,064 scalars run through tokenizers 0.23.3 gives these classes
/// (scripts/reference/bert_unicode_classes.py writes the reference, BertScalarClassTests checks it).
struct BertScalarClass: OptionSet, Sendable {
    let rawValue: UInt8

    init(rawValue: UInt8) { self.rawValue = rawValue }

    static let control = BertScalarClass(rawValue: 1)
    static let whitespace = BertScalarClass(rawValue: 2)
    static let punctuation = BertScalarClass(rawValue: 4)
    static let nonspacingMark = BertScalarClass(rawValue: 8)
    static let chinese = BertScalarClass(rawValue: 16)

    /// The classes of `scalar`; the Basic Multilingual Plane comes from a table built on first use.
    init(_ scalar: UInt32) {
        self = scalar < 0x10000 ? BertScalarClass.basicPlane[Int(scalar)] : BertScalarClass.classify(scalar)
    }

    private static let basicPlane: [BertScalarClass] = (0..<0x10000).map { classify(UInt32($0)) }

    /// The Unicode version of the `unicode_categories` tables HF uses.
    private static let categoryVersion = (major: 8, minor: 0)

    /// Scalars assigned by Unicode 8.0 whose general category changed later, with their 8.0 category.
    private static let categoriesAtVersion: [UInt32: Unicode.GeneralCategory] = [
        0x166D: .otherPunctuation,      // CANADIAN SYLLABICS CHI SIGN: Po → So in 12.0
        0x111C9: .otherPunctuation,     // SHARADA SANDHI MARK: Po → Mn in 11.0
        0x1734: .nonspacingMark,        // HANUNOO SIGN PAMUDPOD: Mn → Mc in 14.0
        0x1171E: .nonspacingMark,       // AHOM CONSONANT SIGN MEDIAL RA: Mn → Mc in 14.0
        0x1885: .otherLetter,           // MONGOLIAN LETTER ALI GALI BALUDA: Lo → Mn in 9.0
        0x1886: .otherLetter,           // MONGOLIAN LETTER ALI GALI THREE BALUDA: Lo → Mn in 9.0
        0xA9BD: .spacingMark,           // JAVANESE CONSONANT SIGN KERET: Mc → Mn in 12.0
    ]

    /// The ranges of `is_chinese_char` (HF `normalizers/bert.rs`; note 0x2B920, where Google's BERT has 0x2B820).
    private static let chineseRanges: [ClosedRange<UInt32>] = [
        0x4E00...0x9FFF, 0x3400...0x4DBF, 0x20000...0x2A6DF, 0x2A700...0x2B73F,
        0x2B740...0x2B81F, 0x2B920...0x2CEAF, 0xF900...0xFAFF, 0x2F800...0x2FA1F,
    ]

    /// The general category `unicode_categories` gives `scalar`: nil for scalars it does not know.
    static func tableCategory(_ scalar: Unicode.Scalar) -> Unicode.GeneralCategory? {
        if let fixed = categoriesAtVersion[scalar.value] { return fixed }
        guard let age = scalar.properties.age,
              age.major < categoryVersion.major || (age.major == categoryVersion.major && age.minor <= categoryVersion.minor)
        else { return nil }
        return scalar.properties.generalCategory
    }

    static func classify(_ value: UInt32) -> BertScalarClass {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        var result: BertScalarClass = []
        let isTabOrNewline = value == 0x09 || value == 0x0A || value == 0x0D
        if scalar.properties.isWhitespace { result.insert(.whitespace) }
        switch tableCategory(scalar) {
        case .control?, .format?, .privateUse?:
            if !isTabOrNewline { result.insert(.control) }
        case .connectorPunctuation?, .dashPunctuation?, .openPunctuation?, .closePunctuation?,
             .initialPunctuation?, .finalPunctuation?, .otherPunctuation?:
            result.insert(.punctuation)
        case .nonspacingMark?:
            result.insert(.nonspacingMark)
        default:
            break
        }
        if (33...47).contains(value) || (58...64).contains(value) || (91...96).contains(value) || (123...126).contains(value) {
            result.insert(.punctuation)
        }
        if chineseRanges.contains(where: { $0.contains(value) }) { result.insert(.chinese) }
        return result
    }
}
