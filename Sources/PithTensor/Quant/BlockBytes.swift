/// Little-endian field reads inside a block whose bounds were checked before the block was handed out.
@usableFromInline
enum BlockBytes {
    @inline(__always) @usableFromInline
    static func u8(_ p: UnsafeRawPointer, _ offset: Int) -> UInt8 {
        p.load(fromByteOffset: offset, as: UInt8.self)
    }

    @inline(__always) @usableFromInline
    static func i8(_ p: UnsafeRawPointer, _ offset: Int) -> Int8 {
        p.load(fromByteOffset: offset, as: Int8.self)
    }

    @inline(__always) @usableFromInline
    static func u16(_ p: UnsafeRawPointer, _ offset: Int) -> UInt16 {
        UInt16(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt16.self))
    }

    @inline(__always) @usableFromInline
    static func u32(_ p: UnsafeRawPointer, _ offset: Int) -> UInt32 {
        UInt32(littleEndian: p.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
    }

    /// An f16 field, widened.
    @inline(__always) @usableFromInline
    static func f16(_ p: UnsafeRawPointer, _ offset: Int) -> Float {
        Half.toFloat(u16(p, offset))
    }

    @inline(__always) @usableFromInline
    static func storeU16(_ v: UInt16, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        p.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt16.self)
    }

    @inline(__always) @usableFromInline
    static func storeU32(_ v: UInt32, _ p: UnsafeMutableRawPointer, _ offset: Int) {
        p.storeBytes(of: v.littleEndian, toByteOffset: offset, as: UInt32.self)
    }

    /// `value` rounded toward zero and clamped to `lo...hi`; NaN maps to `lo`. Mirrors C's `(int)` cast
    /// followed by ggml's MIN/MAX without C's undefined behaviour on out-of-range values.
    @inline(__always) @usableFromInline
    static func truncatedClamped(_ value: Float, _ lo: Int, _ hi: Int) -> Int {
        guard value >= Float(lo) else { return lo }
        guard value < Float(hi) else { return hi }
        return Int(value)
    }
}
