/// The file header (GB/T 42382.2 §8.2.2, Table 58): where everything else is, 128 bytes at offset 0.
///
/// Layout (little-endian) — docs/FORMAT.md has the byte-by-byte table:
/// magic[8] "PITHPKG\0" · major u16 · minor u16 · flags u32 · header_size u64 · model_count u32 · section_count u32 ·
/// model_table_offset u64 · section_table_offset u64 · string_table_offset u64 · string_table_size u64 ·
/// data_offset u64 · file_size u64 · signature_offset u64 · reserved[8] · base_digest[32]
public struct FileHeader: Equatable, Sendable {
    public static let magic: [UInt8] = Array("PITHPKG\0".utf8)
    public static let size = 128
    public static let currentMajor: UInt16 = 1
    public static let currentMinor: UInt16 = 0

    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }
        /// At least one section is encrypted.
        public static let encrypted = Flags(rawValue: 1 << 0)
        /// A signature trailer follows the data.
        public static let signed = Flags(rawValue: 1 << 1)
        /// The package is a residual update of the base named by `baseDigest` (§8.2.6).
        public static let residualUpdate = Flags(rawValue: 1 << 2)
        /// At least one section is compressed.
        public static let compressed = Flags(rawValue: 1 << 3)
        static let known: Flags = [.encrypted, .signed, .residualUpdate, .compressed]
    }

    public var major = FileHeader.currentMajor
    public var minor = FileHeader.currentMinor
    public var flags: Flags = []
    /// Bytes of the header region: file header, model table, section table, string table, header digest.
    public var headerSize = 0
    public var modelCount = 0
    public var sectionCount = 0
    public var modelTableOffset = 0
    public var sectionTableOffset = 0
    public var stringTableOffset = 0
    public var stringTableSize = 0
    /// First byte of section data (64-byte aligned).
    public var dataOffset = 0
    /// The whole file, trailer included: a shorter or longer file is rejected at once.
    public var fileSize = 0
    /// The signature trailer's offset, or 0 when unsigned.
    public var signatureOffset = 0
    /// For a residual update, the header digest of the base package; zeros otherwise.
    public var baseDigest = [UInt8](repeating: 0, count: 32)

    func encoded() -> [UInt8] {
        var w = ByteWriter(capacity: Self.size)
        w.raw(Self.magic)
        w.u16(major); w.u16(minor)
        w.u32(flags.rawValue)
        w.u64(UInt64(headerSize))
        w.u32(UInt32(modelCount)); w.u32(UInt32(sectionCount))
        w.u64(UInt64(modelTableOffset)); w.u64(UInt64(sectionTableOffset))
        w.u64(UInt64(stringTableOffset)); w.u64(UInt64(stringTableSize))
        w.u64(UInt64(dataOffset)); w.u64(UInt64(fileSize)); w.u64(UInt64(signatureOffset))
        w.zeros(8)
        w.raw(baseDigest)
        return w.bytes
    }

    static func decode(_ bytes: UnsafeRawBufferPointer) throws -> FileHeader {
        var r = ByteReader(bytes, what: "file header")
        guard bytes.count >= 8, try r.raw(8) == magic else {
            throw PackageError.malformed("file header", "not a Pith package (bad magic)")
        }
        var h = FileHeader()
        h.major = try r.u16()
        h.minor = try r.u16()
        guard h.major == currentMajor else {
            throw PackageError.unsupported("file header: format version \(h.major).\(h.minor) is not readable by this Pith (reads \(currentMajor).x)")
        }
        h.flags = Flags(rawValue: try r.u32())
        guard Flags.known.isSuperset(of: h.flags) else {
            throw PackageError.unsupported("file header: unknown flags 0x\(String(h.flags.subtracting(.known).rawValue, radix: 16))")
        }
        h.headerSize = try r.size("header_size")
        h.modelCount = Int(try r.u32())
        h.sectionCount = Int(try r.u32())
        h.modelTableOffset = try r.size("model_table_offset")
        h.sectionTableOffset = try r.size("section_table_offset")
        h.stringTableOffset = try r.size("string_table_offset")
        h.stringTableSize = try r.size("string_table_size")
        h.dataOffset = try r.size("data_offset")
        h.fileSize = try r.size("file_size")
        h.signatureOffset = try r.size("signature_offset")
        try r.skip(8)
        h.baseDigest = try r.raw(32)
        return h
    }
}
