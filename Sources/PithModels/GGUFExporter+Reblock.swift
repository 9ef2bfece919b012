import PithGraph
import PithTensor

// MARK: - Lossless re-blocking of integer schemes into ggml blocks

extension GGUFExporter {
    /// The ggml type that holds every value of an integer `scheme` exactly, when one does.
    ///
    /// A group of G = 32·k values shares one f16 scale (and f16 minimum), so each of its k blocks of 32 can repeat
    /// them: symmetric codes `q − 2^(bits−1)` fit Q4_0 (2–4 bits), Q5_0 (5) or Q8_0 (6–8, W8A8 weights included);
    /// asymmetric `d·q + m` fits Q4_1 (2–4 bits) or Q5_1 (5). Asymmetric 6–8 bits, fp8, nf4 and fp4 have no exact twin.
    public static func reblockedType(for scheme: QuantScheme) -> GGMLType? {
        guard scheme.format == .int, !scheme.doubleQuantization else { return nil }
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
        let m = try QuantizedMatrix(unpacking: data.bytes, scheme: scheme, rows: count / cols, cols: cols)
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
}
