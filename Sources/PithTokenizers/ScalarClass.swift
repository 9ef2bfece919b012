// MARK: - The Unicode classes the GPT-2 family of split patterns uses

/// The classes `\p{L}`, `\p{N}` and `\s` of one Unicode scalar, as bits.
///
/// Letters are general categories Lu Ll Lt Lm Lo, numbers Nd Nl No (so `\p{N}` also holds `²`, `½`, `Ⅻ`,
/// unlike `\d`), whitespace is the `White_Space` property. These are the definitions llama.cpp's generated
/// tables (`unicode-data.cpp`: category flags from UnicodeData.txt, whitespace set of 25 scalars), Rust's
/// `char::is_numeric` (HF `Digits`) and Oniguruma (HF `Split`/`ByteLevel` regexes) all use; marks (M*)
/// are none of the three, so a combining accent after a letter ends the letter run in every reference.
struct ScalarClass: OptionSet, Sendable {
    let rawValue: UInt8

    init(rawValue: UInt8) { self.rawValue = rawValue }

    static let letter = ScalarClass(rawValue: 1)
    static let number = ScalarClass(rawValue: 2)
    static let whitespace = ScalarClass(rawValue: 4)
    /// Marks a position outside the piece being scanned (the regex sees end of input there).
    static let outside = ScalarClass(rawValue: 8)

    /// Neither letter, number nor whitespace: what `[^\s\p{L}\p{N}]` matches.
    var isOther: Bool { isDisjoint(with: [.letter, .number, .whitespace, .outside]) }

    /// The class of `scalar`; ASCII comes from a table because it is most of most text.
    init(_ scalar: UInt32) {
        if scalar < 128 {
            self = ScalarClass.ascii[Int(scalar)]
        } else {
            self = ScalarClass.classify(scalar)
        }
    }

    private static let ascii: [ScalarClass] = (0..<128).map { classify(UInt32($0)) }

    private static func classify(_ value: UInt32) -> ScalarClass {
        guard let scalar = Unicode.Scalar(value) else { return [] }
        let properties = scalar.properties
        var result: ScalarClass = []
        switch properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter:
            result.insert(.letter)
        case .decimalNumber, .letterNumber, .otherNumber:
            result.insert(.number)
        default:
            break
        }
        if properties.isWhitespace { result.insert(.whitespace) }
        return result
    }
}

/// Text as an array of scalars with their classes, the form every split step scans.
struct ScalarText {
    var scalars: [UInt32]
    var classes: [ScalarClass]

    init<S: Sequence>(_ source: S) where S.Element == Unicode.Scalar {
        scalars = source.map(\.value)
        classes = scalars.map(ScalarClass.init)
    }

    init(scalars: [UInt32]) {
        self.scalars = scalars
        classes = scalars.map(ScalarClass.init)
    }

    var count: Int { scalars.count }
}
