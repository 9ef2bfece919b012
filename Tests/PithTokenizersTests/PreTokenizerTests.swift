import Testing
@testable import PithTokenizers

@Suite struct PreTokenizerTests {
    func words(_ text: String, _ kind: PreTokenizerKind) -> [String] {
        let (buffer, ranges) = PreTokenizer(kind).words(text.unicodeScalars.map(\.value))
        return ranges.map { range in
            String(String.UnicodeScalarView(buffer.scalars[range].compactMap(Unicode.Scalar.init)))
        }
    }

    @Test func gpt2Words() {
        #expect(words("Hello world", .gpt2) == ["Hello", " world"])
        #expect(words("a  b", .gpt2) == ["a", " ", " b"])
        #expect(words("trailing  ", .gpt2) == ["trailing", "  "])
        #expect(words("x\t\ty", .gpt2) == ["x", "\t", "\t", "y"])
        #expect(words("end.\n\n", .gpt2) == ["end", ".", "\n\n"])
        #expect(words("a !!! b", .gpt2) == ["a", " !!!", " b"])
        #expect(words("abc123", .gpt2) == ["abc", "123"])
        #expect(words("", .gpt2) == [])
    }

    @Test func gpt2ContractionsAreCaseSensitive() {
        #expect(words("I'm you're", .gpt2) == ["I", "'m", " you", "'re"])
        // No (?i) in the GPT-2 pattern: 'M is punctuation then a letter.
        #expect(words("I'M", .gpt2) == ["I", "'", "M"])
    }

    @Test func smollmIsolatesEveryDigit() {
        #expect(words("abc123 4", .smollm) == ["abc", "1", "2", "3", " ", "4"])
        // \p{N} is wider than \d: superscripts and fractions count.
        #expect(words("x²½", .smollm) == ["x", "²", "½"])
    }

    @Test func lettersAndMarks() {
        // A combining mark is not \p{L}: the letter run stops before it.
        #expect(words("cafe\u{301}", .gpt2) == ["cafe", "\u{301}"])
        #expect(words("日本語 テキスト", .gpt2) == ["日本語", " テキスト"])
    }

    @Test func llama3Words() {
        #expect(words("I'M 12345", .llama3) == ["I", "'M", " ", "123", "45"])
        #expect(words("a\n\n b", .llama3) == ["a", "\n\n", " b"])
        #expect(words("x   \n  y", .llama3) == ["x", "   \n", " ", " y"])
        #expect(words("(hi)...\n", .llama3) == ["(hi", ")...\n"])
        #expect(words("12345", .qwen2) == ["1", "2", "3", "4", "5"])
    }

    @Test func prefixSpaceStep() {
        #expect(words("hi there", .steps([.prefixSpace, .split(.gpt2)])) == [" hi", " there"])
        #expect(words(" hi", .steps([.prefixSpace, .split(.gpt2)])) == [" hi"])
    }

    @Test func ggufNames() {
        #expect(PreTokenizerKind(ggufName: "smollm") == .smollm)
        #expect(PreTokenizerKind(ggufName: "llama-bpe") == .llama3)
        #expect(PreTokenizerKind(ggufName: "qwen2") == .qwen2)
        #expect(PreTokenizerKind(ggufName: "default") == nil)
    }

    @Test func knownRegexSources() {
        for pattern in SplitPattern.allCases {
            for source in pattern.regexSources { #expect(SplitPattern(regexSource: source) == pattern) }
        }
        #expect(SplitPattern(regexSource: "\\p{L}+") == nil)
    }
}

/// The scanners against Hugging Face's Oniguruma regexes on every test string (scripts/reference/hf_pretokenizer_splits.py).
@Suite struct PreTokenizerReferenceTests {
    struct Splits: Decodable { var splits: [String: [String: [String]]] }

    @Test(arguments: [("gpt2", PreTokenizerKind.gpt2), ("smollm", .smollm), ("llama3", .llama3), ("qwen2", .qwen2)])
    func matchesHuggingFace(name: String, kind: PreTokenizerKind) throws {
        let reference = try ReferenceData.load("pretokenizer-splits", as: Splits.self)
        let splits = try #require(reference.splits[name])
        for entry in try ReferenceData.strings() {
            let (buffer, ranges) = PreTokenizer(kind).words(entry.text.unicodeScalars.map(\.value))
            let words = ranges.map { String(String.UnicodeScalarView(buffer.scalars[$0].compactMap(Unicode.Scalar.init))) }
            #expect(words == splits[entry.name], "\(name): \(entry.name)")
        }
    }
}
