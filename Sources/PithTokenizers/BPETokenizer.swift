// MARK: - Byte-level BPE tokenizer

/// A byte-level BPE tokenizer (GPT-2 family) giving the reference's ids: llama.cpp's for a GGUF
/// vocabulary, Hugging Face `tokenizers`' for a tokenizer.json.
///
/// Encoding runs: split out special tokens → pre-tokenize into words → map each word's UTF-8 bytes to the
/// byte-level tokens → merge by rank. Immutable after `init`, so it is safe to share between threads.
public final class BPETokenizer: Tokenizer {
    /// The vocabulary this tokenizer was built from.
    public let vocabulary: BPEVocabulary
    /// Where the vocabulary came from, for error messages.
    public let source: String

    private let idForToken: [String: Int32]
    private let merges: BPEMerges
    /// The id of the one-byte token for each byte; -1 when the vocabulary lacks it (then the byte is
    /// dropped, as llama.cpp drops unknown symbols and HF BPE does without an unk token).
    private let byteTokenIDs: [Int32]
    private let preTokenizer: PreTokenizer
    private let splitter: SpecialTokenSplitter
    /// The bytes of every entry, computed once so decoding is a table lookup.
    private let bytesForToken: [[UInt8]]

    public let endOfGenerationTokenIDs: Set<Int32>

    /// Builds the tokenizer; throws when ids in the vocabulary are out of range.
    public init(vocabulary: BPEVocabulary, source: String = "vocabulary") throws {
        try vocabulary.validate(file: source)
        self.vocabulary = vocabulary
        self.source = source
        var idForToken: [String: Int32] = [:]
        idForToken.reserveCapacity(vocabulary.tokens.count)
        // A repeated entry maps to its last id, as llama.cpp's `token_to_id[word] = i` leaves it.
        for (id, token) in vocabulary.tokens.enumerated() { idForToken[token] = Int32(id) }
        self.idForToken = idForToken
        merges = BPEMerges(merges: vocabulary.merges, idForToken: idForToken)
        byteTokenIDs = ByteLevel.characterForByte.map { idForToken[String($0)] ?? -1 }
        preTokenizer = PreTokenizer(vocabulary.preTokenizer)
        splitter = SpecialTokenSplitter(vocabulary: vocabulary)
        bytesForToken = vocabulary.tokens.indices.map { Self.bytes(of: Int32($0), in: vocabulary) }

        var endOfGeneration = vocabulary.extraEndOfGenerationTokenIDs
        if let eos = vocabulary.eosTokenID { endOfGeneration.insert(eos) }
        for name in BPEVocabulary.endOfGenerationNames {
            if let id = idForToken[name] { endOfGeneration.insert(id) }
        }
        endOfGenerationTokenIDs = endOfGeneration
    }

    // MARK: - Tokenizer

    public var vocabularySize: Int { vocabulary.tokens.count }
    public var bosTokenID: Int32? { vocabulary.bosTokenID }
    public var eosTokenID: Int32? { vocabulary.eosTokenID }
    public var addsBOS: Bool { vocabulary.addBOS }
    public var chatTemplate: String? { vocabulary.chatTemplate }

    public func encode(_ text: String, addSpecialTokens: Bool, parseSpecialTokens: Bool) -> [Int32] {
        var output: [Int32] = []
        if addSpecialTokens && vocabulary.addBOS, let bos = vocabulary.bosTokenID { output.append(bos) }
        let bytes = Array(text.utf8)
        output.reserveCapacity(bytes.count / 3)
        var cache: [ArraySlice<UInt32>: [Int32]] = [:]
        for fragment in splitter.split(bytes, parseSpecial: parseSpecialTokens) {
            switch fragment {
            case .token(let id):
                output.append(id)
            case .text(let range):
                encodeText(bytes[range], cache: &cache, into: &output)
            }
        }
        if addSpecialTokens && vocabulary.addEOS, let eos = vocabulary.eosTokenID { output.append(eos) }
        return output
    }

    public func decode(_ ids: [Int32]) -> String {
        var bytes: [UInt8] = []
        for id in ids { bytes.append(contentsOf: tokenBytes(id)) }
        // Maximal-subpart replacement, as Rust's from_utf8_lossy (HF) and Python's errors="replace" do.
        return String(decoding: bytes, as: UTF8.self)
    }

    public func tokenBytes(_ id: Int32) -> [UInt8] {
        id >= 0 && Int(id) < bytesForToken.count ? bytesForToken[Int(id)] : []
    }

    public func tokenString(_ id: Int32) -> String? {
        id >= 0 && Int(id) < vocabulary.tokens.count ? vocabulary.tokens[Int(id)] : nil
    }

    public func tokenID(_ token: String) -> Int32? { idForToken[token] }

    // MARK: - Encoding one run of plain text

    private func encodeText(_ bytes: ArraySlice<UInt8>, cache: inout [ArraySlice<UInt32>: [Int32]], into output: inout [Int32]) {
        // Fragments start and end on scalar boundaries (special tokens are whole UTF-8), so this decode is exact.
        var scalars: [UInt32] = []
        scalars.reserveCapacity(bytes.count)
        for scalar in String(decoding: bytes, as: UTF8.self).unicodeScalars { scalars.append(scalar.value) }
        let (text, words) = preTokenizer.words(scalars)
        for word in words {
            let key = text.scalars[word]
            if key.count == 1 && key[key.startIndex] < 0x80 {
                let id = byteTokenIDs[Int(key[key.startIndex])]
                if id >= 0 { output.append(id) }
                continue
            }
            if let cached = cache[key] {
                output.append(contentsOf: cached)
                continue
            }
            let ids = encodeWord(key)
            cache[key] = ids
            output.append(contentsOf: ids)
        }
    }

    private func encodeWord(_ scalars: ArraySlice<UInt32>) -> [Int32] {
        var utf8: [UInt8] = []
        utf8.reserveCapacity(scalars.count * 2)
        for value in scalars {
            guard let scalar = Unicode.Scalar(value) else { continue }
            UTF8.encode(scalar) { utf8.append($0) }
        }
        if vocabulary.ignoresMerges, let whole = idForToken[ByteLevel.encode(utf8)] { return [whole] }
        var symbols: [Int32] = []
        symbols.reserveCapacity(utf8.count)
        for byte in utf8 where byteTokenIDs[Int(byte)] >= 0 { symbols.append(byteTokenIDs[Int(byte)]) }
        return merges.apply(symbols)
    }

    // MARK: - Decoding tables

    /// The bytes entry `id` stands for: normal entries are byte-level decoded; control and added entries
    /// are their text (both references); unused/undefined entries decode to nothing (llama.cpp).
    private static func bytes(of id: Int32, in vocabulary: BPEVocabulary) -> [UInt8] {
        let text = vocabulary.tokens[Int(id)]
        switch vocabulary.type(of: id) {
        case .normal, .byte:
            // A character outside the byte alphabet makes HF's ByteLevel decoder keep the entry's own UTF-8.
            return ByteLevel.decode(text) ?? Array(text.utf8)
        case .control, .userDefined, .unknown:
            return Array(text.utf8)
        case .undefined, .unused:
            return []
        }
    }
}
