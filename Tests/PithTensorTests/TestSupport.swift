import PithTensor

/// A seeded generator so failures reproduce (SplitMix64).
struct SeededRandom: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    /// Roughly normal values (sum of uniforms), scale `sigma`.
    mutating func normals(_ count: Int, sigma: Float = 1) -> [Float] {
        (0..<count).map { _ in
            var s: Float = 0
            for _ in 0..<4 { s += Float.random(in: -1...1, using: &self) }
            return s * 0.866 * sigma
        }
    }
}

/// Reference ggml block encoders and decoders, written from the layouts in ggml-common.h, scalar and plain.
enum ReferenceBlocks {
    static func half(_ x: Float) -> [UInt8] {
        let bits = Float16(x).bitPattern
        return [UInt8(bits & 0xFF), UInt8(bits >> 8)]
    }
    static func float(_ bytes: [UInt8], _ at: Int) -> Float {
        Float(Float16(bitPattern: UInt16(bytes[at]) | UInt16(bytes[at + 1]) << 8))
    }

    /// Encodes rows of `values` (count a multiple of 32) in `type`.
    static func encode(_ values: [Float], type: GGMLType) -> [UInt8] {
        var out: [UInt8] = []
        switch type {
        case .f32:
            for v in values { withUnsafeBytes(of: v.bitPattern.littleEndian) { out.append(contentsOf: $0) } }
        case .f16:
            for v in values { out += half(v) }
        case .bf16:
            for v in values { let b = UInt16(v.bitPattern >> 16); out += [UInt8(b & 0xFF), UInt8(b >> 8)] }
        default:
            for start in stride(from: 0, to: values.count, by: 32) {
                out += encodeBlock(Array(values[start..<(start + 32)]), type: type)
            }
        }
        return out
    }

    static func encodeBlock(_ x: [Float], type: GGMLType) -> [UInt8] {
        switch type {
        case .q8_0:
            let amax = x.map { abs($0) }.max() ?? 0
            let d = amax / 127, id: Float = d == 0 ? 0 : 1 / d
            return half(d) + x.map { UInt8(bitPattern: Int8(($0 * id).rounded())) }
        case .q4_0:
            let maxv = x.max(by: { abs($0) < abs($1) }) ?? 0
            let d = maxv / -8, id: Float = d == 0 ? 0 : 1 / d
            let q = x.map { UInt8(min(15, max(0, Int(($0 * id + 8.5).rounded(.down))))) }
            return half(d) + (0..<16).map { q[$0] | q[$0 + 16] << 4 }
        case .q4_1:
            let lo = x.min() ?? 0, hi = x.max() ?? 0
            let d = (hi - lo) / 15, id: Float = d == 0 ? 0 : 1 / d
            let q = x.map { UInt8(min(15, max(0, Int((($0 - lo) * id + 0.5).rounded(.down))))) }
            return half(d) + half(lo) + (0..<16).map { q[$0] | q[$0 + 16] << 4 }
        default:
            return []
        }
    }

    /// Decodes `rows` rows of `cols` values.
    static func decode(_ bytes: [UInt8], type: GGMLType, rows: Int, cols: Int) -> [Float] {
        var out: [Float] = []
        out.reserveCapacity(rows * cols)
        switch type {
        case .f32:
            for i in 0..<(rows * cols) {
                let b = UInt32(bytes[4 * i]) | UInt32(bytes[4 * i + 1]) << 8 | UInt32(bytes[4 * i + 2]) << 16 | UInt32(bytes[4 * i + 3]) << 24
                out.append(Float(bitPattern: b))
            }
        case .f16:
            for i in 0..<(rows * cols) { out.append(float(bytes, 2 * i)) }
        case .bf16:
            for i in 0..<(rows * cols) { out.append(Float(bitPattern: (UInt32(bytes[2 * i]) | UInt32(bytes[2 * i + 1]) << 8) << 16)) }
        default:
            let size = type.bytesPerBlock
            for b in 0..<(rows * cols / 32) {
                let o = b * size
                let d = float(bytes, o)
                switch type {
                case .q8_0:
                    for j in 0..<32 { out.append(d * Float(Int8(bitPattern: bytes[o + 2 + j]))) }
                case .q4_0:
                    for j in 0..<32 { out.append(d * Float(Int(j < 16 ? bytes[o + 2 + j] & 0xF : bytes[o + 2 + j - 16] >> 4) - 8)) }
                case .q4_1:
                    let m = float(bytes, o + 2)
                    for j in 0..<32 { out.append(d * Float(j < 16 ? bytes[o + 4 + j] & 0xF : bytes[o + 4 + j - 16] >> 4) + m) }
                default: break
                }
            }
        }
        return out
    }
}
