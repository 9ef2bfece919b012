/// The byte layouts of `QuantScheme` (documented there): packing codes and scales, and reading them back.
extension QuantizedMatrix {
    /// Bit planes of a sub-block of 32 codes, low bits first (see `QuantScheme`).
    static func planes(bits: Int) -> [Int] {
        switch bits {
        case 8: [8]
        case 4...7: [4] + (bits & 2 != 0 ? [2] : []) + (bits & 1 != 0 ? [1] : [])
        default: (bits & 2 != 0 ? [2] : []) + (bits & 1 != 0 ? [1] : [])
        }
    }

    /// Writes 32 codes into `4·bits` bytes at `p`.
    static func packSubBlock(_ q: UnsafePointer<UInt8>, bits: Int, into p: UnsafeMutableRawPointer) {
        var offset = 0, shift = 0
        for plane in planes(bits: bits) {
            switch plane {
            case 8:
                for j in 0..<32 { p.storeBytes(of: q[j] ^ 0x80, toByteOffset: offset + j, as: UInt8.self) }
            case 4:
                for j in 0..<16 {
                    let lo = (q[j] >> shift) & 15, hi = (q[j + 16] >> shift) & 15
                    p.storeBytes(of: lo | hi << 4, toByteOffset: offset + j, as: UInt8.self)
                }
            case 2:
                for j in 0..<8 {
                    var b: UInt8 = 0
                    for k in 0..<4 { b |= ((q[j + 8 * k] >> shift) & 3) << (2 * k) }
                    p.storeBytes(of: b, toByteOffset: offset + j, as: UInt8.self)
                }
            default:
                var word: UInt32 = 0
                for j in 0..<32 { word |= UInt32((q[j] >> shift) & 1) << j }
                BlockBytes.storeU32(word, p, offset)
            }
            offset += plane * 4
            shift += plane
        }
    }

    /// Reads 32 codes from `4·bits` bytes at `p`.
    static func unpackSubBlock(_ p: UnsafeRawPointer, bits: Int, into q: UnsafeMutablePointer<UInt8>) {
        for j in 0..<32 { q[j] = 0 }
        var offset = 0, shift = 0
        for plane in planes(bits: bits) {
            switch plane {
            case 8:
                for j in 0..<32 { q[j] = BlockBytes.u8(p, offset + j) ^ 0x80 }
            case 4:
                for j in 0..<16 {
                    let b = BlockBytes.u8(p, offset + j)
                    q[j] |= (b & 15) << shift
                    q[j + 16] |= (b >> 4) << shift
                }
            case 2:
                for j in 0..<8 {
                    let b = BlockBytes.u8(p, offset + j)
                    for k in 0..<4 { q[j + 8 * k] |= ((b >> (2 * k)) & 3) << shift }
                }
            default:
                let word = BlockBytes.u32(p, offset)
                for j in 0..<32 { q[j] |= UInt8((word >> j) & 1) << shift }
            }
            offset += plane * 4
            shift += plane
        }
    }

    /// The stored bytes (`scheme.byteCount(rows:cols:)` of them). Scales are rounded to their stored precision.
    public func pack() -> [UInt8] {
        guard let total = scheme.byteCount(rows: rows, cols: cols) else { return [] }
        var out = [UInt8](repeating: 0, count: total)
        let bits = scheme.bits
        out.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            codes.withUnsafeBufferPointer { codeBuffer in
                guard let q = codeBuffer.baseAddress else { return }
                switch scheme.format {
                case .int where scheme.doubleQuantization:
                    packSuperBlocks(q, into: base)
                case .int, .fp8:
                    let g = scheme.group(cols: cols), groupBytes = scheme.headerBytes + g / 32 * 4 * bits
                    for s in 0..<(rows * cols / g) {
                        let p = base + s * groupBytes
                        if scheme.format == .fp8 {
                            BlockBytes.storeU32(scales[s].bitPattern, p, 0)
                        } else {
                            BlockBytes.storeU16(Half.fromFloat(scales[s]), p, 0)
                            if !scheme.symmetric { BlockBytes.storeU16(Half.fromFloat(mins[s]), p, 2) }
                        }
                        for b in 0..<(g / 32) {
                            let dst = p + scheme.headerBytes + b * 4 * bits
                            if scheme.format == .fp8 {
                                for j in 0..<32 { dst.storeBytes(of: q[s * g + b * 32 + j], toByteOffset: j, as: UInt8.self) }
                            } else {
                                Self.packSubBlock(q + s * g + b * 32, bits: bits, into: dst)
                            }
                        }
                    }
                case .nf4, .fp4:
                    let n = rows * cols
                    for b in 0..<(n / 32) { Self.packSubBlock(q + b * 32, bits: 4, into: base + b * 16) }
                    Self.packAbsmax(scales, doubleQuantization: scheme.doubleQuantization, into: base + n / 2)
                }
            }
        }
        return out
    }

    /// Block absmax values as f32, or double-quantized: bytes, then a f32 scale per 256 blocks, then the f32 offset.
    static func packAbsmax(_ absmax: [Float], doubleQuantization: Bool, into p: UnsafeMutableRawPointer) {
        guard doubleQuantization else {
            for (i, a) in absmax.enumerated() { BlockBytes.storeU32(a.bitPattern, p, 4 * i) }
            return
        }
        let (bytes, scales, offset) = doubleQuantize(absmax)
        for (i, b) in bytes.enumerated() { p.storeBytes(of: UInt8(bitPattern: b), toByteOffset: i, as: UInt8.self) }
        for (i, s) in scales.enumerated() { BlockBytes.storeU32(s.bitPattern, p, bytes.count + 4 * i) }
        BlockBytes.storeU32(offset.bitPattern, p, bytes.count + 4 * scales.count)
    }

    /// QLoRA's double quantization of block scales: subtract the mean, then 8 bits per scale with one f32 scale per
    /// 256 (linear int8 here, where bitsandbytes uses its dynamic 8-bit map).
    public static func doubleQuantize(_ absmax: [Float]) -> (bytes: [Int8], scales: [Float], offset: Float) {
        let offset = absmax.isEmpty ? 0 : absmax.reduce(0, +) / Float(absmax.count)
        var bytes = [Int8](repeating: 0, count: absmax.count), scales: [Float] = []
        for start in stride(from: 0, to: absmax.count, by: 256) {
            let end = min(start + 256, absmax.count)
            let amax = absmax[start..<end].reduce(Float(0)) { max($0, abs($1 - offset)) }
            scales.append(amax)
            let inverse: Float = amax > 0 ? 127 / amax : 0
            for i in start..<end { bytes[i] = Int8(max(-127, min(127, ((absmax[i] - offset) * inverse).rounded()))) }
        }
        return (bytes, scales, offset)
    }

    /// The absmax values a double-quantized record stands for.
    public static func doubleDequantize(bytes: [Int8], scales: [Float], offset: Float) -> [Float] {
        bytes.enumerated().map { i, b in offset + scales[i / 256] * Float(b) / 127 }
    }

    /// Reads a tensor of `scheme` from exactly `scheme.byteCount(rows:cols:)` bytes.
    public init(unpacking bytes: UnsafeRawBufferPointer, scheme: QuantScheme, rows: Int, cols: Int) throws {
        guard let total = scheme.byteCount(rows: rows, cols: cols), rows > 0 else {
            throw QuantLayoutError("\(scheme) cannot store \(rows)×\(cols) values")
        }
        guard bytes.count == total, let base = bytes.baseAddress else {
            throw QuantLayoutError("\(scheme): \(bytes.count) bytes for \(rows)×\(cols) values, expected \(total)")
        }
        let n = rows * cols, bits = scheme.bits
        var codes = [UInt8](repeating: 0, count: n), scales: [Float] = [], mins: [Float] = []
        codes.withUnsafeMutableBufferPointer { codeBuffer in
            guard let q = codeBuffer.baseAddress else { return }
            switch scheme.format {
            case .int where scheme.doubleQuantization:
                break  // below, once the codes are read
            case .int, .fp8:
                let g = scheme.group(cols: cols), groupBytes = scheme.headerBytes + g / 32 * 4 * bits
                for s in 0..<(n / g) {
                    let p = base + s * groupBytes
                    if scheme.format == .fp8 {
                        scales.append(Float(bitPattern: BlockBytes.u32(p, 0)))
                    } else {
                        scales.append(BlockBytes.f16(p, 0))
                        if !scheme.symmetric { mins.append(BlockBytes.f16(p, 2)) }
                    }
                    for b in 0..<(g / 32) {
                        let src = p + scheme.headerBytes + b * 4 * bits
                        if scheme.format == .fp8 {
                            for j in 0..<32 { q[s * g + b * 32 + j] = BlockBytes.u8(src, j) }
                        } else {
                            Self.unpackSubBlock(src, bits: bits, into: q + s * g + b * 32)
                        }
                    }
                }
            case .nf4, .fp4:
                for b in 0..<(n / 32) { Self.unpackSubBlock(base + b * 16, bits: 4, into: q + b * 32) }
                let blocks = n / scheme.groupSize, p = base + n / 2
                if scheme.doubleQuantization {
                    let bytes = (0..<blocks).map { BlockBytes.i8(p, $0) }
                    let groups = (blocks + 255) / 256
                    let s2 = (0..<groups).map { Float(bitPattern: BlockBytes.u32(p, blocks + 4 * $0)) }
                    let offset = Float(bitPattern: BlockBytes.u32(p, blocks + 4 * groups))
                    scales = Self.doubleDequantize(bytes: bytes, scales: s2, offset: offset)
                } else {
                    scales = (0..<blocks).map { Float(bitPattern: BlockBytes.u32(p, 4 * $0)) }
                }
            }
        }
        if scheme.doubleQuantization && scheme.format == .int {
            let superBlocks = codes.withUnsafeMutableBufferPointer { codeBuffer in
                Self.unpackSuperBlocks(base, scheme: scheme, rows: rows, cols: cols, into: codeBuffer.baseAddress!)
            }
            try self.init(scheme: scheme, rows: rows, cols: cols, codes: codes, superBlocks: superBlocks)
            return
        }
        try self.init(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales, mins: mins)
    }
}
