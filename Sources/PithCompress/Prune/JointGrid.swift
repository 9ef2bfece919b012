import PithTensor

/// The quantization grid of SparseGPT's joint mode (§3.5): each group's scale (and minimum) fixed from the dense
/// weights before the sweep (the authors' code calls `find_params` on the whole layer first), adjusted so that 0 is
/// a value of every group exactly (`GroupCodec.zeroExact`), so pruned weights are stored as an exact 0.
struct JointGrid {
    let codec: GroupCodec
    let scheme: QuantScheme
    let rows: Int
    let cols: Int
    let groupsPerRow: Int
    var scales: [Float]
    var mins: [Float]

    init(_ weight: [Float], rows: Int, cols: Int, scheme: QuantScheme) throws {
        guard scheme.format == .int, scheme.activationBits == nil else {
            throw QuantizationError("sparsegpt: joint quantization takes int schemes, not \(scheme)")
        }
        guard !(scheme.doubleQuantization && !scheme.symmetric) else {
            throw QuantizationError("sparsegpt: \(scheme) holds no exact 0 for pruned weights (double-quantized minimums); use symmetric scales")
        }
        try QuantizationInput.validate(weight, rows: rows, cols: cols, scheme: scheme)
        codec = GroupCodec(scheme: scheme, cols: cols)
        self.scheme = scheme
        self.rows = rows
        self.cols = cols
        let g = codec.groupLength
        groupsPerRow = cols / g
        scales = [Float](repeating: 0, count: rows * groupsPerRow)
        mins = [Float](repeating: 0, count: rows * groupsPerRow)
        for r in 0..<rows {
            for s in 0..<groupsPerRow {
                let range = GroupRange(Array(weight[(r * cols + s * g)..<(r * cols + (s + 1) * g)]))
                let p = try codec.parameters(range)
                (scales[r * groupsPerRow + s], mins[r * groupsPerRow + s]) = codec.zeroExact(scale: p.scale, min: p.min)
            }
        }
        if scheme.isSuperBlocked {
            let fitted = SuperBlockScales.fit(scales: scales, mins: [], rows: rows, cols: cols, scheme: scheme)
            scales = fitted.values(scheme: scheme, cols: cols).scales
            superBlocks = fitted
        }
    }

    private var superBlocks: SuperBlockScales?

    @inline(__always) private func group(_ r: Int, _ c: Int) -> Int { r * groupsPerRow + c / codec.groupLength }

    func code(_ x: Float, row: Int, col: Int) -> UInt8 {
        let s = group(row, col)
        return codec.code(x, scale: scales[s], min: mins[s])
    }

    /// The code of an exact 0 (the nearest code when the group has none, which `zeroExact` rules out for int).
    func zero(row: Int, col: Int) -> UInt8 {
        let s = group(row, col)
        return codec.exactZeroCode(scale: scales[s], min: mins[s]) ?? codec.code(0, scale: scales[s], min: mins[s])
    }

    func value(_ code: UInt8, row: Int, col: Int) -> Float {
        let s = group(row, col)
        return codec.value(code, scale: scales[s], min: mins[s])
    }

    func matrix(codes: [UInt8]) throws -> QuantizedMatrix {
        if let superBlocks { return try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, superBlocks: superBlocks) }
        return try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales,
                                   mins: scheme.symmetric ? [] : mins)
    }
}
