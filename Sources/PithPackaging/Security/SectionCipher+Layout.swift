/// Where each chunk of an encrypted section lies (GB/T 42382.2 §8.2.5), computed without overflow.
///
/// A section of `n` plaintext bytes in chunks of `c` bytes is `max(1, ⌈n / c⌉)` chunks; every chunk holds
/// `c` bytes except the last, which holds the rest (an empty section is one empty chunk, so even it carries a
/// tag). Each chunk is stored as nonce (12 bytes) ‖ ciphertext (as long as its plaintext) ‖ tag (16 bytes),
/// back to back with no padding.
extension SectionCipher {
    /// Bytes of the random nonce in front of each chunk.
    public static let nonceSize = 12
    /// Bytes of the GCM tag after each chunk.
    public static let tagSize = 16
    /// Bytes a chunk adds to its plaintext.
    public static let chunkOverhead = nonceSize + tagSize
    /// The plaintext bytes per chunk when the caller has no reason to choose another.
    public static let defaultChunkSize = 1 << 20
    /// The largest chunk accepted (AES-GCM allows 2^36 − 32 bytes per message; a chunk is held in memory).
    public static let maximumChunkSize = 1 << 30

    /// One chunk's place in the plaintext and in the encrypted section.
    public struct ChunkLayout: Equatable, Sendable {
        /// The chunk's index, 0 first.
        public var index: Int
        /// The chunk's bytes in the plaintext.
        public var plaintext: Range<Int>
        /// The chunk's bytes (nonce ‖ ciphertext ‖ tag) in the encrypted section.
        public var ciphertext: Range<Int>
        /// Whether this is the section's last chunk (bound into its associated data).
        public var isFinal: Bool
    }

    /// The number of chunks, or nil when the sizes are invalid.
    public static func chunkCount(plaintextSize: Int, chunkSize: Int) -> Int? {
        guard plaintextSize >= 0, (1...maximumChunkSize).contains(chunkSize) else { return nil }
        return plaintextSize == 0 ? 1 : (plaintextSize - 1) / chunkSize + 1
    }

    /// The encrypted section's exact length, or nil when the sizes are invalid or the length overflows `Int`.
    public static func ciphertextSize(plaintextSize: Int, chunkSize: Int) -> Int? {
        guard let count = chunkCount(plaintextSize: plaintextSize, chunkSize: chunkSize) else { return nil }
        let (overhead, o1) = count.multipliedReportingOverflow(by: chunkOverhead)
        let (total, o2) = plaintextSize.addingReportingOverflow(overhead)
        return o1 || o2 ? nil : total
    }

    /// Chunk `index`'s ranges, or nil when the sizes are invalid or `index` is outside the section.
    public static func chunkLayout(index: Int, plaintextSize: Int, chunkSize: Int) -> ChunkLayout? {
        guard ciphertextSize(plaintextSize: plaintextSize, chunkSize: chunkSize) != nil,
              let count = chunkCount(plaintextSize: plaintextSize, chunkSize: chunkSize),
              (0..<count).contains(index) else { return nil }
        // Both products are at most the (non-overflowing) section sizes.
        let start = index * chunkSize
        let end = min(start + chunkSize, plaintextSize)
        let cipherStart = start + index * chunkOverhead
        return ChunkLayout(index: index, plaintext: start..<end,
                           ciphertext: cipherStart..<(cipherStart + end - start + chunkOverhead),
                           isFinal: index == count - 1)
    }

    /// The associated data GCM authenticates for one chunk:
    /// caller's bytes ‖ section index (u32 LE) ‖ chunk index (u64 LE) ‖ final flag (1 for the last chunk, else 0).
    static func chunkAssociatedData(_ prefix: [UInt8], section: UInt32, chunk: Int, isFinal: Bool) -> [UInt8] {
        var bytes = prefix
        bytes.reserveCapacity(prefix.count + 13)
        withUnsafeBytes(of: section.littleEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: UInt64(chunk).littleEndian) { bytes.append(contentsOf: $0) }
        bytes.append(isFinal ? 1 : 0)
        return bytes
    }
}
