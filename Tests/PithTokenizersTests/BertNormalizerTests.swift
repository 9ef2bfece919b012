import Foundation
import Testing
@testable import PithTokenizers

@Suite struct BertNormalizerTests {
    let bert = BertNormalizer()

    @Test func lowercasesAndStripsAccents() {
        #expect(bert.normalize("Héllo WÖRLD Ångström") == "hello world angstrom")
        // NFD first: İ is I + U+0307, the mark goes, then I lowercases.
        #expect(bert.normalize("İstanbul") == "istanbul")
        #expect(bert.normalize("Straße ΣΑΣ") == "straße σασ")
    }

    @Test func stripAccentsFollowsLowercaseWhenNil() {
        let keepCase = BertNormalizer(lowercase: false)
        #expect(keepCase.normalize("Café") == "Café")
        let lowerOnly = BertNormalizer(stripAccents: false, lowercase: true)
        // Full lowercase mapping: İ becomes i + U+0307 (Rust char::to_lowercase).
        #expect(lowerOnly.normalize("Café İ").unicodeScalars.map(\.value) == Array("café i\u{307}".unicodeScalars.map(\.value)))
        #expect(BertNormalizer(stripAccents: true, lowercase: false).normalize("Café") == "Cafe")
    }

    @Test func cleansControlsAndWhitespace() {
        #expect(bert.normalize("a\u{0}b\u{FFFD}c\u{7}d\u{200B}e\u{AD}f") == "abcdef")
        #expect(bert.normalize("a\tb\nc\r\nd\u{A0}e\u{3000}f") == "a b c  d e f")
        // NEL is White_Space but also a control character, and removal comes first.
        #expect(bert.normalize("a\u{85}b") == "ab")
        #expect(BertNormalizer(cleanText: false).normalize("a\u{7}\tb") == "a\u{7}\tb")
    }

    @Test func spacesChineseCharacters() {
        #expect(bert.normalize("BERT模型ok") == "bert 模  型 ok")
        // Hiragana and Hangul are not in the ranges; U+2B820 is in Google's BERT but not in HF's.
        #expect(bert.normalize("のテ한\u{2B820}") == "のテ한\u{2B820}")
        #expect(bert.normalize("\u{2B920}") == " \u{2B920} ")
        #expect(BertNormalizer(handleChineseChars: false).normalize("模型") == "模型")
    }

    @Test func preTokenizerIsolatesPunctuation() {
        let words = BertPreTokenizer().words(in: "Hey friend!     How are you?!?")
        #expect(words == ["Hey", "friend", "!", "How", "are", "you", "?", "!", "?"])
        #expect(BertPreTokenizer().words(in: "a$b^c `d` «e» ¿f? x\u{3000}y") ==
                ["a", "$", "b", "^", "c", "`", "d", "`", "«", "e", "»", "¿", "f", "?", "x", "y"])
        #expect(BertPreTokenizer().words(in: " \t ").isEmpty)
    }

    // MARK: - Every scalar against the reference

    struct Classes: Decodable {
        var reference: String
        var removed: [[UInt32]]
        var spaces: [[UInt32]]
        var punctuation: [[UInt32]]
        var whitespace: [[UInt32]]
        var marks: [[UInt32]]
        var chinese: [[UInt32]]
        var lowercase: [String: [UInt32]]
    }

    static func contains(_ ranges: [[UInt32]], _ value: UInt32) -> Bool {
        var low = 0, high = ranges.count
        while low < high {
            let mid = (low + high) / 2
            guard ranges[mid].count == 2 else { return false }
            if ranges[mid][1] < value { low = mid + 1 } else { high = mid }
        }
        return low < ranges.count && ranges[low][0] <= value
    }

    /// BertScalarClass and the lowercase mapping agree with HF on all 1,112,064 scalars
    /// (scripts/reference/bert_unicode_classes.py).
    @Test func everyScalarMatchesHuggingFace() throws {
        let classes = try ReferenceData.load("bert-unicode-classes", as: Classes.self)
        var mismatches: [String] = []
        for value in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }
            let bits = BertScalarClass.classify(value)
            let removed = value == 0 || value == 0xFFFD || bits.contains(.control)
            let isSpace = !removed && value != 0x20 && bits.contains(.whitespace)
            let nfdSame = value < 0xC0 || String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars.map(\.value) == [value]
            let checks: [(String, Bool, [[UInt32]])] = [
                ("removed", removed, classes.removed), ("spaces", isSpace, classes.spaces),
                ("punctuation", bits.contains(.punctuation) && !bits.contains(.whitespace), classes.punctuation),
                ("whitespace", bits.contains(.whitespace), classes.whitespace),
                ("chinese", bits.contains(.chinese), classes.chinese),
            ]
            for (name, ours, ranges) in checks where ours != Self.contains(ranges, value) {
                mismatches.append(String(format: "%@ U+%04X", name, value))
            }
            // Marks are only comparable where NFD leaves the scalar alone (HF probes strip_accents).
            if nfdSame && bits.contains(.nonspacingMark) != Self.contains(classes.marks, value) {
                mismatches.append(String(format: "marks U+%04X", value))
            }
            if value >= 0x80 && (scalar.properties.changesWhenLowercased || classes.lowercase[String(value)] != nil) {
                if BertNormalizer.lowercased([value]) != classes.lowercase[String(value)] ?? [value] {
                    mismatches.append(String(format: "lowercase U+%04X", value))
                }
            }
        }
        #expect(mismatches.isEmpty, "\(mismatches.count) mismatches: \(mismatches.prefix(20))")
    }
}
