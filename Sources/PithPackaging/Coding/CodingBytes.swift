// MARK: - Writer

/// Appends little-endian fields to a growing byte array.
struct CodingWriter {
    var bytes: [UInt8] = []

    mutating func u8(_ v: UInt8) { bytes.append(v) }
    mutating func u16(_ v: UInt16) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u32(_ v: UInt32) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }
    mutating func u64(_ v: UInt64) { withUnsafeBytes(of: v.littleEndian) { bytes.append(contentsOf: $0) } }

    /// Unsigned LEB128: seven bits a byte, low bits first, high bit set on every byte but the last.
    mutating func leb128(_ v: UInt32) {
        var v = v
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }
    mutating func append(_ raw: [UInt8]) { bytes.append(contentsOf: raw) }
}

// MARK: - Reader

/// Reads little-endian fields from untrusted bytes; every read is bounds-checked and names what it reads.
struct CodingReader {
    let base: UnsafeRawBufferPointer
    private(set) var offset = 0

    init(_ base: UnsafeRawBufferPointer) { self.base = base }

    var remaining: Int { base.count - offset }

    private mutating func take(_ count: Int, _ what: @autoclosure () -> String) throws -> Int {
        guard count >= 0, count <= remaining else {
            throw CodingError(.truncated, "tensor coding: \(what()) needs \(count) bytes at offset \(offset); \(remaining) remain")
        }
        defer { offset += count }
        return offset
    }

    mutating func u8(_ what: @autoclosure () -> String) throws -> UInt8 {
        base[try take(1, what())]
    }

    mutating func u16(_ what: @autoclosure () -> String) throws -> UInt16 {
        let at = try take(2, what())
        return UInt16(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt16.self))
    }

    mutating func u32(_ what: @autoclosure () -> String) throws -> UInt32 {
        let at = try take(4, what())
        return UInt32(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt32.self))
    }

    mutating func u64(_ what: @autoclosure () -> String) throws -> UInt64 {
        let at = try take(8, what())
        return UInt64(littleEndian: base.loadUnaligned(fromByteOffset: at, as: UInt64.self))
    }

    /// Unsigned LEB128 of at most five bytes whose value fits 32 bits.
    mutating func leb128(_ what: @autoclosure () -> String) throws -> UInt32 {
        var value: UInt64 = 0
        for i in 0..<5 {
            let byte = try u8(what())
            value |= UInt64(byte & 0x7F) << (7 * UInt64(i))
            if byte & 0x80 == 0 {
                guard value <= UInt64(UInt32.max) else { break }
                return UInt32(value)
            }
        }
        throw CodingError(.corrupt, "tensor coding: \(what()) is not a LEB128 number below 2^32")
    }

    /// The next `count` bytes, borrowed.
    mutating func bytes(_ count: Int, _ what: @autoclosure () -> String) throws -> UnsafeRawBufferPointer {
        let at = try take(count, what())
        return UnsafeRawBufferPointer(rebasing: base[at..<(at + count)])
    }
}
