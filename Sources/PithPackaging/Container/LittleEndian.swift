/// Appends little-endian fields to a byte array (the container is little-endian throughout).
struct ByteWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int = 0) { bytes.reserveCapacity(capacity) }

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func raw(_ v: [UInt8]) { bytes.append(contentsOf: v) }
    mutating func zeros(_ n: Int) { bytes.append(contentsOf: repeatElement(0, count: n)) }
    /// Zero bytes up to `length` in all.
    mutating func pad(to length: Int) { if bytes.count < length { zeros(length - bytes.count) } }
}

/// Reads little-endian fields from untrusted bytes; every read is bounds-checked and throws past the end.
struct ByteReader {
    let bytes: UnsafeRawBufferPointer
    private(set) var offset: Int
    /// What is being read, for the error ("file header", "section table entry 3" …).
    let what: String

    init(_ bytes: UnsafeRawBufferPointer, at offset: Int = 0, what: String) {
        self.bytes = bytes
        self.offset = offset
        self.what = what
    }

    private mutating func take(_ n: Int) throws -> UnsafeRawBufferPointer {
        guard offset >= 0, n >= 0, offset <= bytes.count, n <= bytes.count - offset, let base = bytes.baseAddress else {
            throw PackageError.malformed(what, "ends early (needs \(n) bytes at offset \(offset))")
        }
        defer { offset += n }
        return UnsafeRawBufferPointer(start: base + offset, count: n)
    }

    mutating func u8() throws -> UInt8 { try take(1)[0] }
    mutating func u16() throws -> UInt16 { UInt16(littleEndian: try take(2).loadUnaligned(as: UInt16.self)) }
    mutating func u32() throws -> UInt32 { UInt32(littleEndian: try take(4).loadUnaligned(as: UInt32.self)) }
    mutating func u64() throws -> UInt64 { UInt64(littleEndian: try take(8).loadUnaligned(as: UInt64.self)) }
    mutating func raw(_ n: Int) throws -> [UInt8] { Array(try take(n)) }
    mutating func skip(_ n: Int) throws { _ = try take(n) }

    /// A u64 that must fit in `Int` (offsets and sizes).
    mutating func size(_ field: String) throws -> Int {
        let v = try u64()
        guard v <= UInt64(Int.max) else { throw PackageError.malformed(what, "\(field) \(v) is absurd") }
        return Int(v)
    }
}
