/// Reference decoding of ggml's 256-element "k-quant" super-blocks (ggml-common.h `block_q2_K` … `block_q6_K`).
///
/// Products are formed in ggml's order (scale first, then the quant) so results match `dequantize_row_*` bit for bit.
enum KQuantCodec {
    static let qkK = 256

    /// Q2_K, 84 bytes: scales[16] (low nibble scale, high nibble min), qs[64] (2 bits), f16 d, f16 dmin.
    /// Element order: two halves of 128; in each, four 2-bit planes (shift 0, 2, 4, 6) of 32 bytes, 16 + 16 elements.
    static func dequantizeQ2_K(_ src: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 84
            let d = BlockBytes.f16(block, 80), dmin = BlockBytes.f16(block, 82)
            var y = dst + b * qkK
            var scale = 0
            for half in 0..<2 {
                let qs = 16 + 32 * half
                for plane in 0..<4 {
                    let shift = UInt8(2 * plane)
                    for group in 0..<2 {
                        let sc = BlockBytes.u8(block, scale)
                        scale += 1
                        let dl = d * Float(sc & 0x0f), ml = dmin * Float(sc >> 4)
                        for l in 0..<16 {
                            let q = (BlockBytes.u8(block, qs + 16 * group + l) >> shift) & 3
                            y[l] = dl * Float(q) - ml
                        }
                        y += 16
                    }
                }
            }
        }
    }

    /// The 16 signed 6-bit scales of a Q3_K block from its 12 packed bytes: low 4 bits from bytes 0–7
    /// (low nibbles for scales 0–7, high nibbles for 8–15), high 2 bits from bytes 8–11.
    static func q3KScales(_ s: UnsafeRawPointer) -> [Int] {
        (0..<16).map { i in
            let low = i < 8 ? BlockBytes.u8(s, i) & 0x0f : BlockBytes.u8(s, i - 8) >> 4
            let high = (BlockBytes.u8(s, 8 + i % 4) >> UInt8(2 * (i / 4))) & 3
            return Int(low | high << 4) - 32
        }
    }

    /// Q3_K, 110 bytes: hmask[32] (3rd bit, one bit plane per 32 elements), qs[64] (low 2 bits), scales[12], f16 d.
    /// x = d·scale·(q − 4 when the hmask bit is clear).
    static func dequantizeQ3_K(_ src: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 110
            let d = BlockBytes.f16(block, 108)
            let scales = q3KScales(block + 96)
            var y = dst + b * qkK
            var scale = 0
            var mask: UInt8 = 1
            for half in 0..<2 {
                let qs = 32 + 32 * half
                for plane in 0..<4 {
                    let shift = UInt8(2 * plane)
                    for group in 0..<2 {
                        let dl = d * Float(scales[scale])
                        scale += 1
                        for l in 0..<16 {
                            let i = 16 * group + l
                            let low = Int((BlockBytes.u8(block, qs + i) >> shift) & 3)
                            let high = BlockBytes.u8(block, i) & mask != 0 ? 0 : 4
                            y[l] = dl * Float(low - high)
                        }
                        y += 16
                    }
                    mask <<= 1
                }
            }
        }
    }

    /// Scale and min `j` (0..<8) of a Q4_K/Q5_K block: 6 bits each, packed in 12 bytes (ggml `get_scale_min_k4`).
    static func scaleMinK4(_ j: Int, _ q: UnsafeRawPointer) -> (scale: UInt8, min: UInt8) {
        if j < 4 {
            return (BlockBytes.u8(q, j) & 63, BlockBytes.u8(q, j + 4) & 63)
        }
        let scale = (BlockBytes.u8(q, j + 4) & 0x0f) | (BlockBytes.u8(q, j - 4) >> 6) << 4
        let min = (BlockBytes.u8(q, j + 4) >> 4) | (BlockBytes.u8(q, j) >> 6) << 4
        return (scale, min)
    }

    /// Q4_K, 144 bytes: f16 d, f16 dmin, scales[12], qs[128]. Four chunks of 64: low nibbles then high nibbles
    /// of the same 32 bytes, each 32 with its own scale and min. x = d·scale·q − dmin·min.
    static func dequantizeQ4_K(_ src: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 144
            let d = BlockBytes.f16(block, 0), dmin = BlockBytes.f16(block, 2)
            let y = dst + b * qkK
            for chunk in 0..<4 {
                let (s1, m1) = scaleMinK4(2 * chunk, block + 4)
                let (s2, m2) = scaleMinK4(2 * chunk + 1, block + 4)
                let d1 = d * Float(s1), min1 = dmin * Float(m1)
                let d2 = d * Float(s2), min2 = dmin * Float(m2)
                for l in 0..<32 {
                    let q = BlockBytes.u8(block, 16 + 32 * chunk + l)
                    y[64 * chunk + l] = d1 * Float(q & 0x0f) - min1
                    y[64 * chunk + 32 + l] = d2 * Float(q >> 4) - min2
                }
            }
        }
    }

    /// Q5_K, 176 bytes: f16 d, f16 dmin, scales[12], qh[32], qs[128]. As Q4_K, plus a 5th bit from qh:
    /// bit 2·chunk for the low nibbles, bit 2·chunk+1 for the high ones.
    static func dequantizeQ5_K(_ src: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 176
            let d = BlockBytes.f16(block, 0), dmin = BlockBytes.f16(block, 2)
            let y = dst + b * qkK
            for chunk in 0..<4 {
                let (s1, m1) = scaleMinK4(2 * chunk, block + 4)
                let (s2, m2) = scaleMinK4(2 * chunk + 1, block + 4)
                let d1 = d * Float(s1), min1 = dmin * Float(m1)
                let d2 = d * Float(s2), min2 = dmin * Float(m2)
                let u1: UInt8 = 1 << UInt8(2 * chunk), u2: UInt8 = 2 << UInt8(2 * chunk)
                for l in 0..<32 {
                    let q = BlockBytes.u8(block, 48 + 32 * chunk + l)
                    let h = BlockBytes.u8(block, 16 + l)
                    y[64 * chunk + l] = d1 * Float(Int(q & 0x0f) + (h & u1 != 0 ? 16 : 0)) - min1
                    y[64 * chunk + 32 + l] = d2 * Float(Int(q >> 4) + (h & u2 != 0 ? 16 : 0)) - min2
                }
            }
        }
    }

    /// Q6_K, 210 bytes: ql[128] (low 4 bits), qh[64] (high 2 bits), int8 scales[16], f16 d. x = d·scale·(q − 32).
    /// Per half of 128: ql bytes l and l+32 give four 32-element runs (low, low, high, high nibbles), qh byte l
    /// supplies their high bits at shifts 0, 2, 4, 6.
    static func dequantizeQ6_K(_ src: UnsafeRawPointer, _ blocks: Int, _ dst: UnsafeMutablePointer<Float>) {
        for b in 0..<blocks {
            let block = src + b * 210
            let d = BlockBytes.f16(block, 208)
            for half in 0..<2 {
                let ql = 64 * half, qh = 128 + 32 * half, sc = 192 + 8 * half
                let y = dst + b * qkK + 128 * half
                for l in 0..<32 {
                    let s = l / 16
                    let a = BlockBytes.u8(block, ql + l), c = BlockBytes.u8(block, ql + l + 32)
                    let h = BlockBytes.u8(block, qh + l)
                    let q1 = Int((a & 0x0f) | (h & 3) << 4) - 32
                    let q2 = Int((c & 0x0f) | ((h >> 2) & 3) << 4) - 32
                    let q3 = Int((a >> 4) | ((h >> 4) & 3) << 4) - 32
                    let q4 = Int((c >> 4) | ((h >> 6) & 3) << 4) - 32
                    y[l] = d * Float(BlockBytes.i8(block, sc + s)) * Float(q1)
                    y[l + 32] = d * Float(BlockBytes.i8(block, sc + s + 2)) * Float(q2)
                    y[l + 64] = d * Float(BlockBytes.i8(block, sc + s + 4)) * Float(q3)
                    y[l + 96] = d * Float(BlockBytes.i8(block, sc + s + 6)) * Float(q4)
                }
            }
        }
    }
}
