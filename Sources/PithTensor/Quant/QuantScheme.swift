/// A Pith-native quantized storage layout: the code book, bits, group size, and how scales are kept.
///
/// Layouts (docs/QUANTIZATION.md has the byte-level description):
/// - `int`: per row, `cols / groupSize` groups, each `[header][codes]`. Header: scale `d` as f16, then (asymmetric
///   only) the group minimum `m` as f16. Value of code q: symmetric `d·(q − 2^(bits−1))`, asymmetric `d·q + m`.
///   Codes come in sub-blocks of 32 values, `4·bits` bytes each, split into bit planes (low bits first):
///   a 4-bit plane (byte j holds q[j] in its low nibble and q[j+16] in its high one — ggml's Q4 layout), a 2-bit plane
///   (byte j holds q[j+8k] in bits 2k…2k+1), a 1-bit plane (bit j of a little-endian UInt32 is q[j]'s bit);
///   bits = 8 is one plane of signed bytes `q − 128`. Planes by bits: 2:[2] 3:[2,1] 4:[4] 5:[4,1] 6:[4,2] 7:[4,2,1] 8:[8].
///   So 4-bit groups of 32 are byte for byte ggml's Q4_0 (symmetric) and Q4_1 (asymmetric), and 8-bit symmetric
///   groups of 32 are Q8_0.
/// - `int` with double quantization (K-quant style): per row, `cols / S` super-blocks of S values (`superBlock(cols:)`),
///   each `[d: f16][dmin: f16, asymmetric only][6-bit group codes][codes]`. The 6-bit fields (S/G scale codes `sc`,
///   then, asymmetric, S/G min codes `mc`) are packed little-endian, field k in bits 6k…6k+5, in ⌈6·fields/8⌉ bytes;
///   the codes are the groups' sub-blocks in the plane layout above. Value of code q: asymmetric `d·sc·q − dmin·mc`
///   (d, dmin ≥ 0: the group minimum is stored as a non-negative "min scale", like ggml's Q4_K), symmetric
///   `d·sc·(q − 2^(bits−1))` with unsigned sc (d ≥ 0: every group's scale is positive).
/// - `fp8`: per row, groups `[scale f32][one E4M3 byte per value]`; value = scale · e4m3(byte).
/// - `nf4`, `fp4` (QLoRA): the whole tensor is `[codes: 4 bits per value, ggml nibble layout per 32][block absmax]`
///   over blocks of `groupSize` (64) consecutive values in row-major order. Absmax is f32 per block, or with double
///   quantization one signed byte per block, a f32 scale per 256 blocks and one f32 offset (the mean absmax):
///   absmax = offset + scale₂ · byte / 127. Value = absmax · table[code].
public struct QuantScheme: Codable, Hashable, Sendable, CustomStringConvertible {
    public enum Format: String, Codable, Sendable, CaseIterable {
        case int
        case nf4
        case fp4
        case fp8 = "fp8_e4m3"
    }

    public var format: Format
    /// Bits per code: 2…8 for `int`, 4 for nf4/fp4, 8 for fp8.
    public var bits: Int
    /// Values sharing a scale, along a row (a multiple of 32); 0 means the whole row (per output channel).
    public var groupSize: Int
    /// Symmetric (no minimum stored) or asymmetric (`int` only).
    public var symmetric: Bool
    /// nf4/fp4: scales themselves quantized to 8 bits in blocks of 256 (QLoRA's double quantization).
    /// int: group scales (and minimums) as 6-bit codes against an f16 scale per super-block (K-quant style).
    public var doubleQuantization: Bool
    /// 8: activations are quantized per token to int8 at run time and multiplied int8×int8 (W8A8); nil: float activations.
    public var activationBits: Int?
    /// W8A8 only: LLM.int8()'s decomposition (Dettmers et al. 2022, §3.2). At run time the input columns where some
    /// token has |x| > threshold are multiplied in f32 against the dequantized weight columns, the rest int8 × int8;
    /// nil: plain W8A8. The weight bytes are W8A8's either way.
    public var outlierThreshold: Double?

    public init(format: Format = .int, bits: Int, groupSize: Int, symmetric: Bool, doubleQuantization: Bool = false,
                activationBits: Int? = nil, outlierThreshold: Double? = nil) {
        self.format = format
        self.bits = bits
        self.groupSize = groupSize
        self.symmetric = symmetric
        self.doubleQuantization = doubleQuantization
        self.activationBits = activationBits
        self.outlierThreshold = outlierThreshold
    }

    enum CodingKeys: String, CodingKey {
        case format, bits, symmetric
        case groupSize = "group_size"
        case doubleQuantization = "double_quantization"
        case activationBits = "activation_bits"
        case outlierThreshold = "outlier_threshold"
    }

    public static func nf4(blockSize: Int = 64, doubleQuantization: Bool = true) -> QuantScheme {
        QuantScheme(format: .nf4, bits: 4, groupSize: blockSize, symmetric: true, doubleQuantization: doubleQuantization)
    }

    public static func fp4(blockSize: Int = 64, doubleQuantization: Bool = true) -> QuantScheme {
        QuantScheme(format: .fp4, bits: 4, groupSize: blockSize, symmetric: true, doubleQuantization: doubleQuantization)
    }

    /// FP8 E4M3 with one f32 scale per output row.
    public static let fp8 = QuantScheme(format: .fp8, bits: 8, groupSize: 0, symmetric: true)

    /// W8A8: int8 weights per output channel, int8 activations per token.
    public static let w8a8 = QuantScheme(format: .int, bits: 8, groupSize: 0, symmetric: true, activationBits: 8)

    /// LLM.int8(): W8A8's weights (int8 per output row), with input columns beyond `threshold` (6 in the paper)
    /// multiplied in f32 instead of int8.
    public static func llmInt8(threshold: Double = 6) -> QuantScheme {
        QuantScheme(format: .int, bits: 8, groupSize: 0, symmetric: true, activationBits: 8, outlierThreshold: threshold)
    }

    // MARK: - Validation and sizes

    /// Why this scheme cannot store rows of `cols` values, or nil when it can.
    public func problem(cols: Int) -> String? {
        switch format {
        case .int:
            guard (2...8).contains(bits) else { return "int codes take 2…8 bits, not \(bits)" }
        case .nf4, .fp4:
            guard bits == 4, symmetric else { return "\(format.rawValue) is 4-bit and symmetric" }
            guard groupSize > 0 else { return "\(format.rawValue) needs a block size" }
        case .fp8:
            guard bits == 8, symmetric else { return "fp8 is 8-bit and symmetric" }
        }
        if doubleQuantization && format == .fp8 { return "double quantization applies to int, nf4 and fp4" }
        if doubleQuantization && activationBits != nil { return "double quantization does not apply to W8A8" }
        if let a = activationBits, a != 8 || format != .int || bits != 8 || !symmetric {
            return "activation quantization is int8 with 8-bit symmetric weights"
        }
        if let t = outlierThreshold {
            guard activationBits == 8 else { return "an outlier threshold needs int8 activations (W8A8)" }
            guard t.isFinite, t > 0, t <= Double(Float.greatestFiniteMagnitude) else { return "outlier threshold must be a positive finite number, is \(t)" }
        }
        let group = groupSize == 0 ? cols : groupSize
        guard group > 0, group % 32 == 0 else { return "group size \(group) is not a positive multiple of 32" }
        guard cols % group == 0 || format == .nf4 || format == .fp4 else {
            return "rows of \(cols) values do not split into groups of \(group)"
        }
        return nil
    }

    /// The group length for rows of `cols` values.
    public func group(cols: Int) -> Int { groupSize == 0 ? cols : groupSize }

    /// Super-block length of double-quantized int rows of `cols` values: 256 when 256 is a multiple of the group and
    /// divides the row, otherwise the largest multiple of the group ≤ max(256, group) that divides the row (rows of
    /// 576 in groups of 32 → 192; rows of 1536 → 256). Deterministic from (cols, group).
    public func superBlock(cols: Int) -> Int {
        let g = group(cols: cols)
        guard g > 0, cols > 0 else { return g }
        var best = g
        var s = g
        while s <= max(256, g) {
            if cols % s == 0 { best = s }
            s += g
        }
        return best
    }

    /// Bytes of one double-quantized int super-block of `length` values: header, packed 6-bit codes, code planes.
    public func superBlockBytes(length: Int, cols: Int) -> Int {
        let fields = length / group(cols: cols) * (symmetric ? 1 : 2)
        return (symmetric ? 2 : 4) + (6 * fields + 7) / 8 + length / 32 * 4 * bits
    }

    /// True for the K-quant-style int layout (group scales as 6-bit codes within super-blocks).
    public var isSuperBlocked: Bool { format == .int && doubleQuantization }

    /// Bytes of one group header (0 for nf4/fp4, whose scales sit after the codes).
    public var headerBytes: Int {
        switch format {
        case .int: symmetric ? 2 : 4
        case .fp8: 4
        case .nf4, .fp4: 0
        }
    }

    /// Bytes of a (rows, cols) tensor, or nil when the scheme cannot store it or the count overflows.
    public func byteCount(rows: Int, cols: Int) -> Int? {
        guard rows >= 0, cols > 0, problem(cols: cols) == nil else { return rows == 0 ? 0 : nil }
        let (elements, o1) = rows.multipliedReportingOverflow(by: cols)
        guard !o1 else { return nil }
        switch format {
        case .int where doubleQuantization:
            let length = superBlock(cols: cols)
            let (bytes, o2) = (elements / length).multipliedReportingOverflow(by: superBlockBytes(length: length, cols: cols))
            return o2 ? nil : bytes
        case .int, .fp8:
            let g = group(cols: cols)
            let perGroup = headerBytes + g / 32 * 4 * bits
            let (bytes, o2) = (elements / g).multipliedReportingOverflow(by: perGroup)
            return o2 ? nil : bytes
        case .nf4, .fp4:
            guard elements % groupSize == 0 else { return nil }
            let blocks = elements / groupSize
            let scales = doubleQuantization ? blocks + (blocks + 255) / 256 * 4 + 4 : blocks * 4
            return elements / 2 + scales
        }
    }

    /// Stored bits per value for rows of `cols` values, scales included.
    public func bitsPerWeight(cols: Int) -> Double {
        let rows = 256
        guard let bytes = byteCount(rows: rows, cols: cols) else { return Double(bits) }
        return Double(bytes * 8) / Double(rows * cols)
    }

    /// The ggml type with exactly this layout, when there is one (4-bit groups of 32, 8-bit symmetric groups of 32).
    public var ggmlEquivalent: GGMLType? {
        guard format == .int, groupSize == 32, activationBits == nil, !doubleQuantization else { return nil }
        switch (bits, symmetric) {
        case (4, true): return .q4_0
        case (4, false): return .q4_1
        case (8, true): return .q8_0
        default: return nil
        }
    }

    /// A short name for reports: "int4-g128-asym", "int4-g32-asym-dq", "nf4-b64-dq", "fp8-e4m3", "w8a8-ch", "llm.int8-t6".
    public var description: String {
        let g = groupSize == 0 ? "ch" : "g\(groupSize)"
        switch format {
        case .int:
            if let t = outlierThreshold {
                let threshold = t == t.rounded() && abs(t) < 1e15 ? String(Int(t)) : String(t)
                return "llm.int8-t\(threshold)" + (groupSize == 0 ? "" : "-\(g)")
            }
            if activationBits != nil { return "w\(bits)a\(activationBits ?? 8)-\(g)" }
            return "int\(bits)-\(g)-\(symmetric ? "sym" : "asym")\(doubleQuantization ? "-dq" : "")"
        case .nf4, .fp4:
            return "\(format.rawValue)-b\(groupSize)\(doubleQuantization ? "-dq" : "")"
        case .fp8:
            return "fp8-e4m3-\(g)"
        }
    }
}
