import PithGraph
import PithTensor

// MARK: - Lossless re-blocking of integer schemes into ggml blocks

extension GGUFExporter {
    /// The ggml type that holds every value of an integer `scheme` exactly, when one does.
    ///
    /// A group of G = 32·k values shares one f16 scale (and f16 minimum), so each of its k blocks of 32 can repeat
    /// them: symmetric codes `q − 2^(bits−1)` fit Q4_0 (2–4 bits), Q5_0 (5) or Q8_0 (6–8, W8A8 weights included);
    /// asymmetric `d·q + m` fits Q4_1 (2–4 bits) or Q5_1 (5). Asymmetric 6–8 bits, fp8, nf4 and fp4 have no exact twin.
    /// Double-quantized schemes re-block through their plain expansion (each group's `d·sc`, `−dmin·mc` as f16), which
    /// holds the same values when `d` and `dmin` have at most 5 significant bits, as Pith writes them; `reblock`
    /// checks this and refuses a tensor where it does not hold.
    public static func reblockedType(for scheme: QuantScheme) -> GGMLType? {
        guard scheme.format == .int else { return nil }
        switch (scheme.bits, scheme.symmetric) {
        case (2...4, true): return .q4_0
        case (2...4, false): return .q4_1
        case (5, true): return .q5_0
        case (5, false): return .q5_1
        case (6...8, true): return .q8_0
        default: return nil
        }
    }

    /// The parameter's integer codes, scales and minimums rewritten as `type`'s blocks (ggml-common.h layouts):
    /// the values are the same, only the storage grows.
    static func reblock(_ v: VariableNode, _ data: TensorData, scheme: QuantScheme, to type: GGMLType, file: String) throws -> [UInt8] {
        let cols = v.shape.last ?? 1
        guard let count = v.elementCount, cols > 0, count % cols == 0, cols % 32 == 0, let size = type.rowBytes(elements: count) else {
            throw ModelError.invalid(file: file, reason: "tensor '\(v.name)' \(v.shape) cannot be re-blocked as \(type.name)")
        }
        if type == .q4_K { return try reblockQ4_K(v, data, scheme: scheme, file: file) }
        var m = try QuantizedMatrix(unpacking: data.bytes, scheme: scheme, rows: count / cols, cols: cols)
        if scheme.isSuperBlocked {
            let (plain, bytes) = try QuantizedMatrix.expandSuperBlocks(data.bytes, scheme: scheme, rows: count / cols, cols: cols)
            let expanded = try bytes.withUnsafeBytes { try QuantizedMatrix(unpacking: $0, scheme: plain, rows: count / cols, cols: cols) }
            guard expanded.scales == m.scales, expanded.mins == m.mins else {
                throw ModelError.invalid(file: file, reason: "tensor '\(v.name)' (\(scheme)): a group scale d·sc is not an exact f16, so \(type.name) cannot hold it exactly")
            }
            m = expanded
        }
        let group = scheme.group(cols: cols)
        let center = scheme.symmetric ? 1 << (scheme.bits - 1) : 0
        var out = [UInt8](repeating: 0, count: size)
        out.withUnsafeMutableBytes { raw in
            guard let base = raw.baseAddress else { return }
            for block in 0..<(count / 32) {
                let first = block * 32, g = first / group
                let p = base + block * type.bytesPerBlock
                p.storeBytes(of: Half.fromFloat(m.scales[g]).littleEndian, as: UInt16.self)
                // Codes relative to the scheme's zero (symmetric) or as stored (asymmetric).
                var c = [Int](repeating: 0, count: 32)
                for j in 0..<32 { c[j] = Int(m.codes[first + j]) - center }
                switch type {
                case .q8_0:
                    for j in 0..<32 { (p + 2 + j).storeBytes(of: Int8(c[j]), as: Int8.self) }
                case .q4_0, .q4_1:
                    let (qs, offset) = type == .q4_0 ? (p + 2, 8) : (p + 4, 0)
                    if type == .q4_1 { (p + 2).storeBytes(of: Half.fromFloat(m.mins[g]).littleEndian, as: UInt16.self) }
                    for j in 0..<16 { (qs + j).storeBytes(of: UInt8(c[j] + offset) | UInt8(c[j + 16] + offset) << 4, as: UInt8.self) }
                default: // q5_0, q5_1: low nibbles as Q4, bit k of the u32 qh is code k's fifth bit.
                    let (qh, offset) = type == .q5_0 ? (p + 2, 16) : (p + 4, 0)
                    if type == .q5_1 { (p + 2).storeBytes(of: Half.fromFloat(m.mins[g]).littleEndian, as: UInt16.self) }
                    var high: UInt32 = 0
                    for j in 0..<32 where (c[j] + offset) & 0x10 != 0 { high |= 1 << UInt32(j) }
                    qh.storeBytes(of: high.littleEndian, as: UInt32.self)
                    for j in 0..<16 {
                        (qh + 4 + j).storeBytes(of: UInt8((c[j] + offset) & 0xF) | UInt8((c[j + 16] + offset) & 0xF) << 4, as: UInt8.self)
                    }
                }
            }
        }
        return out
    }

    // MARK: - Q4_K

    /// The K-quant type that holds a double-quantized `scheme` at rows of `cols` values exactly, byte layout aside:
    /// int4 groups of 32, asymmetric, super-blocks of 256 are ggml's Q4_K (x = d·sc·q − dmin·m, 6-bit sc and m).
    public static func kQuantType(for scheme: QuantScheme, cols: Int) -> GGMLType? {
        guard scheme.isSuperBlocked, scheme.bits == 4, scheme.groupSize == 32, !scheme.symmetric,
              scheme.activationBits == nil, cols % 256 == 0, scheme.superBlock(cols: cols) == 256 else { return nil }
        return .q4_K
    }

    /// Super-blocks of 256 rewritten as Q4_K blocks (ggml-common.h `block_q4_K`, 144 bytes): f16 d, f16 dmin,
    /// 12 bytes of scales — bytes 0…3 hold sc[0…3] and, in bits 6–7, sc[4…7] >> 4; bytes 4…7 mc[0…3] and mc[4…7] >> 4;
    /// bytes 8…11 sc[4…7] & 15 | (mc[4…7] & 15) << 4 (the inverse of `get_scale_min_k4`) — then 128 bytes of codes,
    /// per 64 values 32 bytes: value l in the low nibble of byte l, value 32 + l in its high nibble.
    static func reblockQ4_K(_ v: VariableNode, _ data: TensorData, scheme: QuantScheme, file: String) throws -> [UInt8] {
        let cols = v.shape.last ?? 1
        guard let count = v.elementCount, cols > 0, count % cols == 0, kQuantType(for: scheme, cols: cols) == .q4_K,
              let size = GGMLType.q4_K.rowBytes(elements: count) else {
            throw ModelError.invalid(file: file, reason: "tensor '\(v.name)' \(v.shape) in \(scheme) cannot be written as Q4_K")
        }
        let m = try QuantizedMatrix(unpacking: data.bytes, scheme: scheme, rows: count / cols, cols: cols)
        guard let sb = m.superBlocks else {
            throw ModelError.invalid(file: file, reason: "tensor '\(v.name)' has no super-block scales")
        }
        var out = [UInt8](repeating: 0, count: size)
        for b in 0..<(count / 256) {
            let o = b * 144
            let d = Half.fromFloat(sb.d[b]), dmin = Half.fromFloat(sb.dmin[b])
            out[o] = UInt8(d & 0xFF); out[o + 1] = UInt8(d >> 8)
            out[o + 2] = UInt8(dmin & 0xFF); out[o + 3] = UInt8(dmin >> 8)
            let sc = Array(sb.scaleCodes[(8 * b)..<(8 * b + 8)]), mc = Array(sb.minCodes[(8 * b)..<(8 * b + 8)])
            for j in 0..<4 {
                out[o + 4 + j] = sc[j] | (sc[j + 4] >> 4) << 6
                out[o + 8 + j] = mc[j] | (mc[j + 4] >> 4) << 6
                out[o + 12 + j] = (sc[j + 4] & 15) | (mc[j + 4] & 15) << 4
            }
            let q = b * 256
            for chunk in 0..<4 {
                for l in 0..<32 {
                    out[o + 16 + 32 * chunk + l] = m.codes[q + 64 * chunk + l] | m.codes[q + 64 * chunk + 32 + l] << 4
                }
            }
        }
        return out
    }
}
