/// Reference encoders for the 32-element block types, rounding as ggml's `quantize_row_*_ref` do
/// (ggml-quants.c), so files we write match files llama.cpp writes from the same floats.
extension LegacyCodec {
    /// The signed value of largest magnitude (the first one on ties), as the symmetric types scale by it.
    private static func signedMaxAbs(_ x: UnsafePointer<Float>) -> Float {
        var amax: Float = 0, max: Float = 0
        for j in 0..<qk where abs(x[j]) > amax {
            amax = abs(x[j])
            max = x[j]
        }
        return max
    }

    private static func minMax(_ x: UnsafePointer<Float>) -> (min: Float, max: Float) {
        var lo = Float.greatestFiniteMagnitude, hi = -Float.greatestFiniteMagnitude
        for j in 0..<qk {
            lo = min(lo, x[j])
            hi = max(hi, x[j])
        }
        return (lo, hi)
    }

    /// 1/d, or 0 where d is 0 or so small that 1/d overflows (the block is then all zero steps).
    private static func inverse(_ d: Float) -> Float {
        guard d != 0 else { return 0 }
        let id = 1 / d
        return id.isFinite ? id : 0
    }

    /// Q4_0: d = max/−8 where max is the signed value of largest magnitude; q = min(15, trunc(x/d + 8.5)).
    static func quantizeQ4_0(_ src: UnsafePointer<Float>, _ blocks: Int, _ dst: UnsafeMutableRawPointer) {
        for b in 0..<blocks {
            let x = src + b * qk, block = dst + b * 18
            let d = signedMaxAbs(x) / -8
            let id = inverse(d)
            BlockBytes.storeU16(Half.fromFloat(d), block, 0)
            for j in 0..<16 {
                let lo = BlockBytes.truncatedClamped(x[j] * id + 8.5, 0, 15)
                let hi = BlockBytes.truncatedClamped(x[j + 16] * id + 8.5, 0, 15)
                block.storeBytes(of: UInt8(lo | hi << 4), toByteOffset: 2 + j, as: UInt8.self)
            }
        }
    }

    /// Q4_1: d = (max − min)/15, m = min; q = min(15, trunc((x − min)/d + 0.5)).
    static func quantizeQ4_1(_ src: UnsafePointer<Float>, _ blocks: Int, _ dst: UnsafeMutableRawPointer) {
        for b in 0..<blocks {
            let x = src + b * qk, block = dst + b * 20
            let (lo, hi) = minMax(x)
            let d = (hi - lo) / 15
            let id = inverse(d)
            BlockBytes.storeU16(Half.fromFloat(d), block, 0)
            BlockBytes.storeU16(Half.fromFloat(lo), block, 2)
            for j in 0..<16 {
                let q0 = BlockBytes.truncatedClamped((x[j] - lo) * id + 0.5, 0, 15)
                let q1 = BlockBytes.truncatedClamped((x[j + 16] - lo) * id + 0.5, 0, 15)
                block.storeBytes(of: UInt8(q0 | q1 << 4), toByteOffset: 4 + j, as: UInt8.self)
            }
        }
    }

    /// Q5_0: d = max/−16; q = min(31, trunc(x/d + 16.5)), the 5th bits gathered into qh.
    static func quantizeQ5_0(_ src: UnsafePointer<Float>, _ blocks: Int, _ dst: UnsafeMutableRawPointer) {
        for b in 0..<blocks {
            let x = src + b * qk, block = dst + b * 22
            let d = signedMaxAbs(x) / -16
            let id = inverse(d)
            BlockBytes.storeU16(Half.fromFloat(d), block, 0)
            var qh: UInt32 = 0
            for j in 0..<16 {
                let q0 = BlockBytes.truncatedClamped(x[j] * id + 16.5, 0, 31)
                let q1 = BlockBytes.truncatedClamped(x[j + 16] * id + 16.5, 0, 31)
                block.storeBytes(of: UInt8((q0 & 0x0f) | (q1 & 0x0f) << 4), toByteOffset: 6 + j, as: UInt8.self)
                qh |= UInt32(q0 >> 4) << UInt32(j) | UInt32(q1 >> 4) << UInt32(j + 16)
            }
            BlockBytes.storeU32(qh, block, 2)
        }
    }

    /// Q5_1: d = (max − min)/31, m = min; q = trunc((x − min)/d + 0.5), at most 31.
    static func quantizeQ5_1(_ src: UnsafePointer<Float>, _ blocks: Int, _ dst: UnsafeMutableRawPointer) {
        for b in 0..<blocks {
            let x = src + b * qk, block = dst + b * 24
            let (lo, hi) = minMax(x)
            let d = (hi - lo) / 31
            let id = inverse(d)
            BlockBytes.storeU16(Half.fromFloat(d), block, 0)
            BlockBytes.storeU16(Half.fromFloat(lo), block, 2)
            var qh: UInt32 = 0
            for j in 0..<16 {
                let q0 = BlockBytes.truncatedClamped((x[j] - lo) * id + 0.5, 0, 31)
                let q1 = BlockBytes.truncatedClamped((x[j + 16] - lo) * id + 0.5, 0, 31)
                block.storeBytes(of: UInt8((q0 & 0x0f) | (q1 & 0x0f) << 4), toByteOffset: 8 + j, as: UInt8.self)
                qh |= UInt32(q0 >> 4) << UInt32(j) | UInt32(q1 >> 4) << UInt32(j + 16)
            }
            BlockBytes.storeU32(qh, block, 4)
        }
    }

    /// Q8_0: d = amax/127; q = round(x/d), halves away from zero (C `roundf`).
    static func quantizeQ8_0(_ src: UnsafePointer<Float>, _ blocks: Int, _ dst: UnsafeMutableRawPointer) {
        for b in 0..<blocks {
            let x = src + b * qk, block = dst + b * 34
            var amax: Float = 0
            for j in 0..<qk { amax = max(amax, abs(x[j])) }
            let d = amax / 127
            let id = inverse(d)
            BlockBytes.storeU16(Half.fromFloat(d), block, 0)
            for j in 0..<qk {
                let q = BlockBytes.truncatedClamped((x[j] * id).rounded(.toNearestOrAwayFromZero) + 128, 0, 255) - 128
                block.storeBytes(of: Int8(q), toByteOffset: 2 + j, as: Int8.self)
            }
        }
    }
}
