// MARK: - The plain-value description of a byte-level BPE vocabulary

/// What a vocabulary entry is, with GGUF's `tokenizer.ggml.token_type` numbering.
public enum TokenType: Int32, Sendable {
    case undefined = 0
    /// An ordinary BPE token, stored in the byte-level alphabet.
    case normal = 1
    case unknown = 2
    /// A special token such as `<|im_start|>`, matched in text only when special tokens are parsed.
    case control = 3
    /// An added token, always matched in text before BPE.
    case userDefined = 4
    case unused = 5
    case byte = 6
}

/// How special tokens written in the text are found, which differs between the references on overlaps.
public enum SpecialTokenMatching: Sendable {
    /// llama.cpp: the longest token first, splitting out all its occurrences, then the next longest.
    case longestTokenFirst
    /// Hugging Face: one left-to-right scan taking the longest token starting at each position.
    case leftmostLongest
}

/// Everything a `BPETokenizer` needs, as plain values (from GGUF metadata, tokenizer.json, or a test).
public struct BPEVocabulary: Sendable {
    /// The entries, indexed by id; normal tokens are spelled in the byte-level alphabet (`Ġthe`).
    public var tokens: [String]
    /// The type of each entry; missing trailing entries count as normal.
    public var tokenTypes: [TokenType]
    /// The merges in rank order (first = applied first), as (left, right) entries.
    public var merges: [(String, String)]
    public var bosTokenID: Int32?
    public var eosTokenID: Int32?
    public var unknownTokenID: Int32?
    public var paddingTokenID: Int32?
    /// Whether `encode(…, addSpecialTokens: true)` prepends BOS.
    public var addBOS: Bool
    /// Whether `encode(…, addSpecialTokens: true)` appends EOS.
    public var addEOS: Bool
    /// How text is split into words before merging.
    public var preTokenizer: PreTokenizerKind
    /// Whether a word that is itself an entry becomes that entry without merging (HF `ignore_merges`,
    /// set by llama.cpp for llama-3 vocabularies).
    public var ignoresMerges: Bool
    /// How control and added tokens are found in text.
    public var specialTokenMatching: SpecialTokenMatching
    /// Ids of special tokens that swallow whitespace to their left / right when matched (HF lstrip/rstrip).
    public var leftStrippingTokenIDs: Set<Int32>
    public var rightStrippingTokenIDs: Set<Int32>
    /// Extra end-of-generation ids beyond those derived from eos and the token names llama.cpp recognises.
    public var extraEndOfGenerationTokenIDs: Set<Int32>
    /// The Jinja chat template, if any.
    public var chatTemplate: String?

    /// Creates a vocabulary; only `tokens` and `merges` are required.
    public init(tokens: [String], tokenTypes: [TokenType] = [], merges: [(String, String)],
                bosTokenID: Int32? = nil, eosTokenID: Int32? = nil,
                unknownTokenID: Int32? = nil, paddingTokenID: Int32? = nil,
                addBOS: Bool = false, addEOS: Bool = false,
                preTokenizer: PreTokenizerKind = .gpt2, ignoresMerges: Bool = false,
                specialTokenMatching: SpecialTokenMatching = .longestTokenFirst,
                leftStrippingTokenIDs: Set<Int32> = [], rightStrippingTokenIDs: Set<Int32> = [],
                extraEndOfGenerationTokenIDs: Set<Int32> = [],
                chatTemplate: String? = nil) {
        self.tokens = tokens
        self.tokenTypes = tokenTypes
        self.merges = merges
        self.bosTokenID = bosTokenID
        self.eosTokenID = eosTokenID
        self.unknownTokenID = unknownTokenID
        self.paddingTokenID = paddingTokenID
        self.addBOS = addBOS
        self.addEOS = addEOS
        self.preTokenizer = preTokenizer
        self.ignoresMerges = ignoresMerges
        self.specialTokenMatching = specialTokenMatching
        self.leftStrippingTokenIDs = leftStrippingTokenIDs
        self.rightStrippingTokenIDs = rightStrippingTokenIDs
        self.extraEndOfGenerationTokenIDs = extraEndOfGenerationTokenIDs
        self.chatTemplate = chatTemplate
    }

    /// The type of entry `id` (normal when the type list is short).
    public func type(of id: Int32) -> TokenType {
        Int(id) < tokenTypes.count ? tokenTypes[Int(id)] : .normal
    }

    /// Parses merges written as `"left right"` strings (GGUF and older tokenizer.json files).
    public static func parseMerges(_ lines: [String], file: String) throws -> [(String, String)] {
        try lines.enumerated().map { index, line in
            // Byte-level entries never hold a literal space (it is spelled Ġ), so the one space separates.
            guard let space = line.firstIndex(of: " ") else {
                throw TokenizerError(file: file, fault: "merge \(index) \"\(line)\" has no space between its halves")
            }
            return (String(line[..<space]), String(line[line.index(after: space)...]))
        }
    }

    /// Token names llama.cpp treats as ending generation (llama-vocab.cpp, `special_eog_ids`).
    static let endOfGenerationNames: Set<String> = [
        "<|eot_id|>", "<|im_end|>", "<|end|>", "<end_of_turn>", "<|endoftext|>", "<|eom_id|>", "<EOT>",
        "<|fim_pad|>", "<fim-pad>", "<PAD>", "<|fim_repo|>", "<|repo_name|>", "<fim-repo>", "<REPO>", "<|file_sep|>",
    ]

    /// Checks ids and sizes so a malformed file fails here with one clear line, never later with a trap.
    func validate(file: String) throws {
        guard !tokens.isEmpty else { throw TokenizerError(file: file, fault: "the vocabulary has no tokens") }
        guard tokens.count < Int(Int32.max) else { throw TokenizerError(file: file, fault: "too many tokens") }
        for (name, id) in [("bos", bosTokenID), ("eos", eosTokenID), ("unknown", unknownTokenID), ("padding", paddingTokenID)] {
            if let id, id < 0 || Int(id) >= tokens.count {
                throw TokenizerError(file: file, fault: "\(name) token id \(id) is outside the \(tokens.count)-entry vocabulary")
            }
        }
        if addBOS && bosTokenID == nil { throw TokenizerError(file: file, fault: "adds BOS but names no BOS token") }
        if addEOS && eosTokenID == nil { throw TokenizerError(file: file, fault: "adds EOS but names no EOS token") }
    }
}
