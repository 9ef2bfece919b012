import PithTensor

extension AWQ {
    /// Per-group clipping search on an already scaled weight, minimising each group's output error on the inputs.
    ///
    /// For every (row, group), values are clamped to ±f·max|w| for f = 1, 1 − 1/grid … down to 1 − maxShrink
    /// (llm-awq: 20 steps, shrink up to half, so 1.0 … 0.55); the f whose rounded group gives the least
    /// ‖(Q(clamp(w)) − w) X_group‖² / n wins (f = 1 on ties).
    /// - Returns: the clamped weight, to be quantized by `RTN.quantize` (without `clipSearch`).
    public static func clip(_ weight: [Float], rows: Int, cols: Int, scheme: QuantScheme, statistics: InputStatistics,
                            grid: Int = 20, maxShrink: Double = 0.5) throws -> [Float] {
        try QuantizationInput.validate(weight, rows: rows, cols: cols, scheme: scheme)
        try QuantizationInput.validate(statistics, cols: cols, needsGram: false)
        guard grid > 0, maxShrink >= 0, maxShrink < 1 else {
            throw QuantizationError("awq clip: grid \(grid) must be positive and max shrink \(maxShrink) in [0, 1)")
        }
        let codec = GroupCodec(scheme: scheme, cols: cols)
        let g = codec.groupLength
        guard cols % g == 0 else {
            throw QuantizationError("awq clip: \(scheme) blocks of \(g) straddle rows of \(cols) values")
        }
        let loss = OutputLoss(statistics)
        guard loss.useGram || statistics.sampleCount > 0 else {
            throw QuantizationError("awq clip: input statistics hold neither a Gram matrix nor sample rows")
        }
        let factors = (0..<max(1, Int(maxShrink * Double(grid)))).map { 1 - Float($0) / Float(grid) }
        var out = weight
        var group = [Float](repeating: 0, count: g), delta = [Float](repeating: 0, count: rows * g)
        for s in 0..<(cols / g) {
            let columns = (s * g)..<((s + 1) * g)
            let absMax = (0..<rows).map { r in columns.reduce(Float(0)) { max($0, abs(weight[r * cols + $1])) } }
            var bestError = [Double](repeating: .infinity, count: rows)
            var bestFactor = [Float](repeating: 1, count: rows)
            for f in factors {
                var valid = [Bool](repeating: true, count: rows)
                for r in 0..<rows {
                    let limit = absMax[r] * f
                    for j in 0..<g { group[j] = min(limit, max(-limit, weight[r * cols + columns.lowerBound + j])) }
                    guard let p = try? codec.parameters(GroupRange(group)) else {
                        valid[r] = false
                        continue
                    }
                    for j in 0..<g {
                        let q = codec.value(codec.code(group[j], scale: p.scale, min: p.min), scale: p.scale, min: p.min)
                        delta[r * g + j] = q - weight[r * cols + columns.lowerBound + j]
                    }
                }
                let errors = loss.rowErrors(delta, rows: rows, columns: columns)
                for r in 0..<rows where valid[r] && errors[r] < bestError[r] {
                    bestError[r] = errors[r]
                    bestFactor[r] = f
                }
            }
            for r in 0..<rows where bestFactor[r] < 1 {
                let limit = absMax[r] * bestFactor[r]
                for c in columns { out[r * cols + c] = min(limit, max(-limit, weight[r * cols + c])) }
            }
        }
        return out
    }
}
