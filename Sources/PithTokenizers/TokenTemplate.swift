// MARK: - Post-processing: special tokens around one or two sequences, and their type ids

/// Token ids with the segment (token type id) of each, as a BERT-style model takes them.
public struct TokenEncoding: Sendable, Equatable {
    /// The token ids.
    public var ids: [Int32]
    /// The segment of each id: 0 for the first text and its special tokens, 1 for the second.
    public var typeIDs: [Int32]

    /// Creates an encoding; `typeIDs` must be as long as `ids`.
    public init(ids: [Int32], typeIDs: [Int32]) {
        self.ids = ids
        self.typeIDs = typeIDs
    }
}

/// One item of a ``TokenTemplate``.
public enum TemplatePiece: Sendable, Equatable {
    /// The tokens of the first (`isPair == false`) or second text, all with `typeID`.
    case sequence(isPair: Bool, typeID: Int32)
    /// Special-token ids inserted as they are, with `typeID`.
    case special(ids: [Int32], typeID: Int32)
}

/// Where special tokens go around one text and around a pair, as HF `TemplateProcessing` describes it.
public struct TokenTemplate: Sendable, Equatable {
    /// The layout for one text, e.g. `[CLS] $A [SEP]`.
    public var single: [TemplatePiece]
    /// The layout for a pair, e.g. `[CLS] $A [SEP] $B:1 [SEP]:1`.
    public var pair: [TemplatePiece]

    /// Creates a template.
    public init(single: [TemplatePiece], pair: [TemplatePiece]) {
        self.single = single
        self.pair = pair
    }

    /// No special tokens; a pair's second text has type id 1 (HF with no post-processor).
    public static let plain = TokenTemplate(single: [.sequence(isPair: false, typeID: 0)],
                                            pair: [.sequence(isPair: false, typeID: 0), .sequence(isPair: true, typeID: 1)])

    /// BERT's layout: `[CLS] A [SEP]` and `[CLS] A [SEP] B [SEP]`, the second text and its [SEP] type 1
    /// (HF `BertProcessing`, and the TemplateProcessing that BERT tokenizer.json files carry).
    public static func bert(cls: Int32, sep: Int32) -> TokenTemplate {
        TokenTemplate(single: [.special(ids: [cls], typeID: 0), .sequence(isPair: false, typeID: 0), .special(ids: [sep], typeID: 0)],
                      pair: [.special(ids: [cls], typeID: 0), .sequence(isPair: false, typeID: 0), .special(ids: [sep], typeID: 0),
                             .sequence(isPair: true, typeID: 1), .special(ids: [sep], typeID: 1)])
    }

    /// How many special ids the layout adds (HF `added_tokens`).
    public func addedCount(pair isPair: Bool) -> Int {
        (isPair ? pair : single).reduce(0) { count, piece in
            if case .special(let ids, _) = piece { return count + ids.count }
            return count
        }
    }

    /// Lays out `first` (and `second`) by the template; without special tokens only the sequences remain,
    /// still with the template's type ids (HF `apply_template`).
    public func apply(_ first: [Int32], _ second: [Int32]?, addSpecialTokens: Bool) -> TokenEncoding {
        var result = TokenEncoding(ids: [], typeIDs: [])
        for piece in second == nil ? single : pair {
            switch piece {
            case .sequence(let isPair, let typeID):
                let ids = isPair ? (second ?? []) : first
                result.ids += ids
                result.typeIDs += repeatElement(typeID, count: ids.count)
            case .special(let ids, let typeID):
                guard addSpecialTokens else { continue }
                result.ids += ids
                result.typeIDs += repeatElement(typeID, count: ids.count)
            }
        }
        return result
    }
}

// MARK: - Truncation

/// Which end of a sequence truncation removes tokens from.
public enum TruncationSide: Sendable, Equatable {
    /// Keep the first tokens (HF `direction: Right`, the default).
    case right
    /// Keep the last tokens (HF `direction: Left`).
    case left
}

enum Truncation {
    /// The sequences cut so that together they hold at most `limit` ids, by HF's `LongestFirst` strategy
    /// (`utils/truncation.rs`): a single text keeps `limit`; of a pair the shorter keeps its length while the
    /// longer can have at least as many, else each gets half (the longer the odd one).
    static func longestFirst(_ first: [Int32], _ second: [Int32]?, limit: Int, side: TruncationSide) -> ([Int32], [Int32]?) {
        let total = first.count + (second?.count ?? 0)
        guard total > limit else { return (first, second) }
        guard let second else { return (cut(first, to: limit, side: side), nil) }
        var n1 = first.count, n2 = second.count
        let swapped = n1 > n2
        if swapped { swap(&n1, &n2) }
        n2 = n1 > limit ? n1 : max(n1, limit - n1)
        if n1 + n2 > limit {
            n1 = limit / 2
            n2 = n1 + limit % 2
        }
        if swapped { swap(&n1, &n2) }
        return (cut(first, to: n1, side: side), cut(second, to: n2, side: side))
    }

    static func cut(_ ids: [Int32], to count: Int, side: TruncationSide) -> [Int32] {
        guard ids.count > count else { return ids }
        switch side {
        case .right: return Array(ids.prefix(count))
        case .left: return Array(ids.suffix(count))
        }
    }
}
