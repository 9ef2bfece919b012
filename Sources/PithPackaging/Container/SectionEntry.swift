/// One entry of the section table, 96 bytes: a named part of the package's directory (GB/T 42382.2 §8.2.1, Table 57:
/// `Model/…`, `Program/…`, `Meta-info/…`), where its stored bytes lie, how they are coded, and their SHA-256.
///
/// Layout: name_offset u32 · name_length u32 · offset u64 · stored_size u64 · original_size u64 · coding u8 ·
/// encryption u8 · reserved[2] · chunk_size u32 · reserved[24] · sha256[32] (of the stored bytes)
public struct SectionEntry: Equatable, Sendable {
    public static let size = 96

    public var name: String
    public var offset = 0
    /// Bytes in the file (after coding and encryption).
    public var storedSize = 0
    /// Bytes once decrypted and decoded.
    public var originalSize = 0
    public var coding: SectionCoding = .none
    public var encryption: SectionEncryption = .none
    /// Plaintext bytes per encrypted chunk (0 when not encrypted).
    public var chunkSize = 0
    /// SHA-256 of the stored bytes, so integrity is checked without the key.
    public var digest = [UInt8](repeating: 0, count: 32)

    public init(name: String) { self.name = name }

    func encoded(nameOffset: Int) -> [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.u32(UInt32(nameOffset)); w.u32(UInt32(name.utf8.count))
        w.u64(UInt64(offset)); w.u64(UInt64(storedSize)); w.u64(UInt64(originalSize))
        w.u8(coding.rawValue); w.u8(encryption.rawValue); w.zeros(2)
        w.u32(UInt32(chunkSize))
        w.zeros(24)
        w.raw(digest)
        return w.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer, at offset: Int, index: Int, strings: UnsafeRawBufferPointer) throws -> SectionEntry {
        let what = "section table entry \(index)"
        var r = ByteReader(bytes, at: offset, what: what)
        let nameOffset = Int(try r.u32()), nameLength = Int(try r.u32())
        guard nameLength > 0, nameLength <= 1024, nameOffset <= strings.count, nameLength <= strings.count - nameOffset,
              let base = strings.baseAddress,
              let name = String(validating: UnsafeRawBufferPointer(start: base + nameOffset, count: nameLength), as: UTF8.self) else {
            throw PackageError.malformed(what, "name lies outside the string table or is not UTF-8")
        }
        var e = SectionEntry(name: name)
        e.offset = try r.size("offset")
        e.storedSize = try r.size("stored_size")
        e.originalSize = try r.size("original_size")
        let coding = try r.u8(), encryption = try r.u8()
        guard let c = SectionCoding(rawValue: coding) else { throw PackageError.unsupported("section '\(name)': unknown coding \(coding)") }
        guard let x = SectionEncryption(rawValue: encryption) else { throw PackageError.unsupported("section '\(name)': unknown encryption \(encryption)") }
        e.coding = c
        e.encryption = x
        try r.skip(2)
        e.chunkSize = Int(try r.u32())
        try r.skip(24)
        e.digest = try r.raw(32)
        return e
    }
}

/// How a section's bytes are coded before encryption.
public enum SectionCoding: UInt8, Sendable, CaseIterable {
    case none = 0
    /// zstd (Debian's libzstd).
    case zstd = 1
    /// Per-tensor entropy coding of quantized symbols (rANS); the tensor index says each tensor's type.
    case tensorCoding = 2

    public var name: String { ["none", "zstd", "rans"][Int(rawValue)] }
}

/// How a section's stored bytes are encrypted (§8.2.5).
public enum SectionEncryption: UInt8, Sendable, CaseIterable {
    case none = 0
    /// AES-256-GCM in fixed-size chunks, a fresh nonce per chunk.
    case aes256GCMChunked = 1

    public var name: String { ["none", "aes-256-gcm"][Int(rawValue)] }
}
