import PithTensor

/// Round-to-nearest quantization: each group's scale from its own range, every value to its nearest code.
public enum RTN {
    /// Shrink factors of a group's range tried by `clipSearch`: 1.0, 0.95 … 0.5.
    public static let clipGrid: [Float] = (0...10).map { 1 - Float($0) * 0.05 }

    /// Round-to-nearest with per-group scales.
    ///
    /// - Parameters:
    ///   - weight: (rows, cols), row-major.
    ///   - clipSearch: try each factor of `clipGrid` on the group's range and keep the one with the least squared
    ///     error, weighted per column by `importance` (cols values, e.g. E[x²]) when given.
    /// - Returns: codes and scales; int scales and minimums are the f16 values that will be stored, and codes are
    ///   rounded against them. For the 4-bit groups of 32, a dequantized ggml Q4_0/Q4_1 tensor comes back bit-exact.
    ///   - keepZeros: every group's grid holds an exact 0 and the zeros of `weight` keep it (a pruned layer;
    ///     `GroupCodec.zeroExact`).
    public static func quantize(_ weight: [Float], rows: Int, cols: Int, scheme: QuantScheme, clipSearch: Bool = false,
                                importance: [Float]? = nil, keepZeros: Bool = false) throws -> QuantizedMatrix {
        try QuantizationInput.validate(weight, rows: rows, cols: cols, scheme: scheme)
        if let importance {
            guard importance.count == cols else {
                throw QuantizationError("importance: \(importance.count) values for \(cols) columns")
            }
            if let bad = importance.firstIndex(where: { !$0.isFinite || $0 < 0 }) {
                throw QuantizationError("importance: value \(importance[bad]) at column \(bad) is negative or not finite")
            }
        }
        return try quantizeValidated(weight, rows: rows, cols: cols, scheme: scheme,
                                     shrinks: clipSearch ? clipGrid : [1], importance: clipSearch ? importance : nil,
                                     keepZeros: keepZeros)
    }

    /// The shared loop over groups (of the flattened tensor: row-local groups for int/fp8, blocks for nf4/fp4).
    static func quantizeValidated(_ weight: [Float], rows: Int, cols: Int, scheme: QuantScheme, shrinks: [Float],
                                  importance: [Float]?, keepZeros: Bool = false) throws -> QuantizedMatrix {
        let codec = GroupCodec(scheme: scheme, cols: cols)
        let n = rows * cols, g = codec.groupLength, groups = n / g
        var codes = [UInt8](repeating: 0, count: n)
        var scales = [Float](repeating: 0, count: groups)
        var mins = [Float](repeating: 0, count: scheme.format == .int && !scheme.symmetric ? groups : 0)
        try weight.withUnsafeBufferPointer { w in
            try codes.withUnsafeMutableBufferPointer { q in
                guard let wp = w.baseAddress, let qp = q.baseAddress else { return }
                for s in 0..<groups {
                    let start = s * g
                    let weightOf: ((Int) -> Float)? = importance.map { imp in { j in imp[(start + j) % cols] } }
                    let p = try codec.quantizeGroup(wp + start, count: g, shrinks: shrinks, importance: weightOf,
                                                    codes: qp + start, keepZeros: keepZeros)
                    scales[s] = p.scale
                    if !mins.isEmpty { mins[s] = p.min }
                }
            }
        }
        if scheme.isSuperBlocked {
            return try weight.withUnsafeBufferPointer { w in
                try codec.finishSuperBlocks(w.baseAddress!, rows: rows, cols: cols, scales: &scales, mins: &mins,
                                            codes: &codes)
            }
        }
        return try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales, mins: mins)
    }
}
