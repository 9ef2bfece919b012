/// Reference decoding of ggml's 32-element block types (ggml-common.h `block_q4_0` … `block_q8_0`).
///
/// In the 4- and 5-bit types, byte j of `qs` holds element j in its low nibble and element j+16 in its high nibble;
/// the 5th bit of element i is bit i of the little-endian u32 `qh`.
enum LegacyCodec {
    static let qk = 32

    /// Q4_0, 18 bytes: f16 d, 16 bytes of nibbles. x = (q − 8)·d.
    static func dequantizeQ4_0(_ src: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 18, y = dst + b * qk
            let d = BlockBytes.f16(block, 0)
            for j in 0..<16 {
                let q = BlockBytes.u8(block, 2 + j)
                y[j] = Float(Int(q & 0x0f) - 8) * d
                y[j + 16] = Float(Int(q >> 4) - 8) * d
            }
        }
    }

    /// Q4_1, 20 bytes: f16 d, f16 m, 16 bytes of nibbles. x = q·d + m.
    static func dequantizeQ4_1(_ src: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 20, y = dst + b * qk
            let d = BlockBytes.f16(block, 0), m = BlockBytes.f16(block, 2)
            for j in 0..<16 {
                let q = BlockBytes.u8(block, 4 + j)
                y[j] = Float(q & 0x0f) * d + m
                y[j + 16] = Float(q >> 4) * d + m
            }
        }
    }

    /// Q5_0, 22 bytes: f16 d, u32 qh, 16 bytes of nibbles. x = (q − 16)·d.
    static func dequantizeQ5_0(_ src: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 22, y = dst + b * qk
            let d = BlockBytes.f16(block, 0)
            let qh = BlockBytes.u32(block, 2)
            for j in 0..<16 {
                let q = BlockBytes.u8(block, 6 + j)
                let lo = Int(q & 0x0f) | Int((qh >> UInt32(j)) & 1) << 4
                let hi = Int(q >> 4) | Int((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = Float(lo - 16) * d
                y[j + 16] = Float(hi - 16) * d
            }
        }
    }

    /// Q5_1, 24 bytes: f16 d, f16 m, u32 qh, 16 bytes of nibbles. x = q·d + m.
    static func dequantizeQ5_1(_ src: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 24, y = dst + b * qk
            let d = BlockBytes.f16(block, 0), m = BlockBytes.f16(block, 2)
            let qh = BlockBytes.u32(block, 4)
            for j in 0..<16 {
                let q = BlockBytes.u8(block, 8 + j)
                let lo = UInt32(q & 0x0f) | ((qh >> UInt32(j)) & 1) << 4
                let hi = UInt32(q >> 4) | ((qh >> UInt32(j + 16)) & 1) << 4
                y[j] = Float(lo) * d + m
                y[j + 16] = Float(hi) * d + m
            }
        }
    }

    /// Q8_0, 34 bytes: f16 d, 32 signed bytes. x = q·d.
    static func dequantizeQ8_0(_ src: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 34, y = dst + b * qk
            let d = BlockBytes.f16(block, 0)
            for j in 0..<qk { y[j] = Float(BlockBytes.i8(block, 2 + j)) * d }
        }
    }
}
