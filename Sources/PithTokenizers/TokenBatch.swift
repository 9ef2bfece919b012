// MARK: - Batches for encoder models

/// Encodings padded on the right to the longest one, row-major, as a batched encoder forward pass takes them.
public struct TokenBatch: Sendable, Equatable {
    /// The number of rows (texts).
    public let count: Int
    /// The padded length of every row.
    public let length: Int
    /// (count, length) token ids, padding after each row's tokens.
    public let ids: [Int32]
    /// (count, length) type ids.
    public let typeIDs: [Int32]
    /// (count, length): 1 for a token, 0 for padding.
    public let attentionMask: [Int32]
    /// The unpadded length of each row.
    public let lengths: [Int]

    /// Pads `encodings` to the longest with `paddingID` / `paddingTypeID`.
    public init(_ encodings: [TokenEncoding], paddingID: Int32, paddingTypeID: Int32 = 0) {
        let length = encodings.map(\.ids.count).max() ?? 0
        var ids: [Int32] = [], typeIDs: [Int32] = [], mask: [Int32] = []
        ids.reserveCapacity(encodings.count * length)
        typeIDs.reserveCapacity(encodings.count * length)
        mask.reserveCapacity(encodings.count * length)
        for encoding in encodings {
            let padding = length - encoding.ids.count
            ids += encoding.ids
            ids += repeatElement(paddingID, count: padding)
            // A type id list of the wrong length is padded or cut so the rows stay aligned.
            typeIDs += encoding.typeIDs.prefix(encoding.ids.count)
            typeIDs += repeatElement(paddingTypeID, count: length - min(encoding.typeIDs.count, encoding.ids.count))
            mask += repeatElement(1, count: encoding.ids.count)
            mask += repeatElement(0, count: padding)
        }
        self.count = encodings.count
        self.length = length
        self.ids = ids
        self.typeIDs = typeIDs
        self.attentionMask = mask
        self.lengths = encodings.map(\.ids.count)
    }

    /// The ids of row `index`, padding included.
    public func ids(row index: Int) -> ArraySlice<Int32> { ids[index * length..<(index + 1) * length] }
}

extension WordPieceTokenizer {
    /// Encodes each text (truncated to ``maxLength``) and pads the batch to its longest encoding, on the
    /// right with ``paddingTokenID`` and ``paddingTypeID``.
    public func encodeBatch(_ texts: [String], addSpecialTokens: Bool = true, parseSpecialTokens: Bool = true) -> TokenBatch {
        TokenBatch(texts.map { encoding(of: $0, addSpecialTokens: addSpecialTokens, parseSpecialTokens: parseSpecialTokens) },
                   paddingID: paddingTokenID, paddingTypeID: paddingTypeID)
    }

    /// Encodes each pair of texts (`[CLS] A [SEP] B [SEP]` for BERT, B with type id 1) and pads the batch.
    public func encodeBatch(pairs: [(String, String)], addSpecialTokens: Bool = true, parseSpecialTokens: Bool = true) -> TokenBatch {
        TokenBatch(pairs.map { encoding(of: $0.0, pairedWith: $0.1, addSpecialTokens: addSpecialTokens, parseSpecialTokens: parseSpecialTokens) },
                   paddingID: paddingTokenID, paddingTypeID: paddingTypeID)
    }
}
