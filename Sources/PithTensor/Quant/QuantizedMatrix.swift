/// A quantized (rows, cols) weight as a quantizer chooses it: integer codes plus per-group scales (and minimums).
///
/// Quantization algorithms (RTN, GPTQ, AWQ …) produce this scheme-independent form; `pack()` lays it out in the
/// scheme's bytes and `QuantizedMatrix(unpacking:)` reads it back. `dequantize()` is the scalar reference every
/// kernel is tested against.
public struct QuantizedMatrix: Sendable, Equatable {
    public let scheme: QuantScheme
    public let rows: Int
    public let cols: Int
    /// rows·cols codes, row-major, each in 0..<2^bits (fp8: the E4M3 byte; nf4/fp4: an index into the table).
    public var codes: [UInt8]
    /// int/fp8: one per (row, group), row-major. nf4/fp4: one absmax per block of `groupSize` consecutive values.
    public var scales: [Float]
    /// Asymmetric int only: the group minimum `m`, one per (row, group); empty otherwise.
    public var mins: [Float]
    /// Double-quantized int only: the super-block scales and 6-bit group codes that `scales` and `mins` stand for.
    public private(set) var superBlocks: SuperBlockScales?

    /// Codes with their groups' scales (and minimums).
    ///
    /// For a double-quantized int scheme the scales and minimums are fitted to super-blocks
    /// (`SuperBlockScales.fit`) and replaced by the values those stand for; quantizers fit first and round their codes
    /// against the fitted values (`init(scheme:rows:cols:codes:superBlocks:)`).
    public init(scheme: QuantScheme, rows: Int, cols: Int, codes: [UInt8], scales: [Float], mins: [Float] = []) throws {
        if let why = scheme.problem(cols: cols) { throw QuantLayoutError("\(scheme): \(why)") }
        let expectedScales = scheme.format == .nf4 || scheme.format == .fp4
            ? rows * cols / scheme.groupSize : rows * (cols / scheme.group(cols: cols))
        guard codes.count == rows * cols, scales.count == expectedScales,
              mins.count == (scheme.format == .int && !scheme.symmetric ? expectedScales : 0) else {
            throw QuantLayoutError("\(scheme): \(codes.count) codes, \(scales.count) scales, \(mins.count) minimums for \(rows)×\(cols)")
        }
        self.scheme = scheme
        self.rows = rows
        self.cols = cols
        self.codes = codes
        self.scales = scales
        self.mins = mins
        if scheme.isSuperBlocked {
            let fitted = SuperBlockScales.fit(scales: scales, mins: mins, rows: rows, cols: cols, scheme: scheme)
            self.superBlocks = fitted
            (self.scales, self.mins) = fitted.values(scheme: scheme, cols: cols)
        }
    }

    /// Double-quantized int codes with their super-block scales; the groups' scales and minimums are derived.
    public init(scheme: QuantScheme, rows: Int, cols: Int, codes: [UInt8], superBlocks: SuperBlockScales) throws {
        guard scheme.isSuperBlocked else { throw QuantLayoutError("\(scheme): super-block scales need int double quantization") }
        if let why = scheme.problem(cols: cols) { throw QuantLayoutError("\(scheme): \(why)") }
        let groups = rows * (cols / scheme.group(cols: cols)), supers = rows * (cols / scheme.superBlock(cols: cols))
        let asymmetric = !scheme.symmetric
        guard codes.count == rows * cols, superBlocks.d.count == supers, superBlocks.scaleCodes.count == groups,
              superBlocks.dmin.count == (asymmetric ? supers : 0), superBlocks.minCodes.count == (asymmetric ? groups : 0),
              !superBlocks.scaleCodes.contains(where: { $0 > 63 }), !superBlocks.minCodes.contains(where: { $0 > 63 }) else {
            throw QuantLayoutError("\(scheme): super-block scales do not fit \(rows)×\(cols)")
        }
        self.scheme = scheme
        self.rows = rows
        self.cols = cols
        self.codes = codes
        self.superBlocks = superBlocks
        (self.scales, self.mins) = superBlocks.values(scheme: scheme, cols: cols)
    }

    /// The largest code plus one.
    public var levels: Int { 1 << scheme.bits }

    // MARK: - Stored values

    /// A scale as it will be stored (f16 for int headers, f32 otherwise), so quantizers round with what dequantizes.
    /// Double-quantized int scales come back unchanged: `SuperBlockScales.fit` gives their stored values.
    public static func stored(scale: Float, in scheme: QuantScheme) -> Float {
        scheme.format == .int && !scheme.doubleQuantization ? Half.toFloat(Half.fromFloat(scale)) : scale
    }

    /// The value a code stands for, given its group's stored scale and minimum.
    @inlinable
    public static func value(code: UInt8, scale: Float, min: Float, scheme: QuantScheme) -> Float {
        switch scheme.format {
        case .int:
            if scheme.symmetric { return scale * Float(Int(code) - (1 << (scheme.bits - 1))) }
            return scale * Float(code) + min
        case .fp8: return scale * FloatCodebook.e4m3(code)
        case .nf4: return scale * FloatCodebook.nf4[Int(code & 15)]
        case .fp4: return scale * FloatCodebook.fp4[Int(code & 15)]
        }
    }

    /// The floats these codes stand for (rows·cols, row-major): the scalar reference.
    public func dequantize() -> [Float] {
        var out = [Float](repeating: 0, count: rows * cols)
        let blockwise = scheme.format == .nf4 || scheme.format == .fp4
        let g = blockwise ? scheme.groupSize : scheme.group(cols: cols)
        for i in 0..<(rows * cols) {
            let s = i / g  // row-major groups: rows are whole groups for int/fp8, and nf4 blocks run over the flat tensor
            out[i] = Self.value(code: codes[i], scale: scales[s], min: mins.isEmpty ? 0 : mins[s], scheme: scheme)
        }
        return out
    }
}

/// Value tables of the float code books.
public enum FloatCodebook {
    /// QLoRA's NormalFloat4 levels (quantiles of N(0,1) scaled to [−1, 1], with an exact zero).
    public static let nf4: [Float] = [
        -1.0, -0.6961928009986877, -0.5250730514526367, -0.39491748809814453,
        -0.28444138169288635, -0.18477343022823334, -0.09105003625154495, 0.0,
        0.07958029955625534, 0.16093020141124725, 0.24611230194568634, 0.33791524171829224,
        0.44070982933044434, 0.5626170039176941, 0.7229568362236023, 1.0,
    ]

    /// FP4 E2M1 (OCP microscaling) magnitudes {0, 0.5, 1, 1.5, 2, 3, 4, 6} divided by 6; codes 8…15 are negative.
    public static let fp4: [Float] = {
        let magnitudes: [Float] = [0, 0.5, 1, 1.5, 2, 3, 4, 6].map { $0 / 6 }
        return magnitudes + magnitudes.map { -$0 }
    }()

    /// Largest finite E4M3 magnitude.
    public static let e4m3Max: Float = 448

    /// Decodes an OCP FP8 E4M3 ("fn": no infinities; S.1111.111 is NaN, read here as 0).
    @inlinable
    public static func e4m3(_ byte: UInt8) -> Float {
        let sign: Float = byte & 0x80 != 0 ? -1 : 1
        let e = Int(byte >> 3) & 15, m = Float(byte & 7)
        if e == 15 && byte & 7 == 7 { return 0 }
        if e == 0 { return sign * m / 8 * 0x1p-6 }
        return sign * (1 + m / 8) * Float(sign: .plus, exponent: e - 7, significand: 1)
    }

    /// The E4M3 byte nearest to `x` (ties to even), saturating at ±448.
    public static func e4m3Byte(_ x: Float) -> UInt8 {
        let sign: UInt8 = x.sign == .minus ? 0x80 : 0
        let a = min(abs(x), e4m3Max)
        guard a.isFinite, a > 0 else { return sign }
        // Nearest of the 127 non-negative finite codes by binary search over their increasing values.
        var lo = 0, hi = 126
        while lo < hi {
            let mid = (lo + hi + 1) / 2
            if e4m3(UInt8(mid)) <= a { lo = mid } else { hi = mid - 1 }
        }
        var best = lo
        if lo < 126 {
            let below = a - e4m3(UInt8(lo)), above = e4m3(UInt8(lo + 1)) - a
            if above < below || (above == below && (lo + 1) % 2 == 0) { best = lo + 1 }
        }
        return sign | UInt8(best)
    }
}

/// Codes, scales or bytes that do not fit a quantization scheme; one line naming the scheme.
public struct QuantLayoutError: Error, CustomStringConvertible, Sendable, Equatable {
    public let description: String
    public init(_ description: String) { self.description = description }
}
