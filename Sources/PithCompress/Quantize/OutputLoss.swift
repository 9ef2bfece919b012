import PithTensor

/// The squared output error of a weight change Δ on a layer's calibration inputs, per output row:
/// err_r = ‖Δ_r X‖² / n, from the Gram matrix (all n tokens: Δ_r G Δ_rᵀ / n) or, without it, from the sample rows.
///
/// One BLAS product per call. Columns may be restricted to a range (a group), which reads that diagonal block of G.
struct OutputLoss {
    let cols: Int
    /// G/n (cols × cols, f32) — or the sample rows (samples × cols) when `useGram` is false.
    private let matrix: [Float]
    private let samples: Int
    let useGram: Bool

    init(_ statistics: InputStatistics, maxSampleRows: Int = .max) {
        cols = statistics.features
        if statistics.gram.count == cols * cols, cols > 0 {
            let n = Double(max(statistics.tokens, 1))
            matrix = statistics.gram.map { Float($0 / n) }
            samples = 0
            useGram = true
        } else {
            samples = min(statistics.sampleCount, max(maxSampleRows, 1))
            matrix = Array(statistics.sampleRows.prefix(samples * cols))
            useGram = false
        }
    }

    /// err_r for a Δ of `rows` rows, each `columns.count` values (row-major) standing for the weight's `columns`.
    func rowErrors(_ delta: [Float], rows: Int, columns: Range<Int>) -> [Double] {
        let width = columns.count
        var errors = [Double](repeating: 0, count: rows)
        guard rows > 0, width > 0 else { return errors }
        if useGram {
            // C (rows, width) = Δ (rows, width) · G[columns, columns]; err_r = Σ_j Δ_rj C_rj
            var c = [Float](repeating: 0, count: rows * width)
            delta.withUnsafeBufferPointer { d in
                matrix.withUnsafeBufferPointer { g in
                    c.withUnsafeMutableBufferPointer { cp in
                        guard let dp = d.baseAddress, let gp = g.baseAddress, let out = cp.baseAddress else { return }
                        Kernels.sgemm(m: rows, n: width, k: width, a: dp, lda: width,
                                      b: gp + columns.lowerBound * cols + columns.lowerBound, ldb: cols,
                                      c: out, ldc: width)
                    }
                }
            }
            for r in 0..<rows {
                var s: Double = 0
                for j in 0..<width { s += Double(delta[r * width + j] * c[r * width + j]) }
                errors[r] = s
            }
        } else {
            guard samples > 0 else { return errors }
            // C (rows, samples) = Δ (rows, width) · X[:, columns]ᵀ; err_r = Σ_s C_rs² / samples
            var c = [Float](repeating: 0, count: rows * samples)
            delta.withUnsafeBufferPointer { d in
                matrix.withUnsafeBufferPointer { x in
                    c.withUnsafeMutableBufferPointer { cp in
                        guard let dp = d.baseAddress, let xp = x.baseAddress, let out = cp.baseAddress else { return }
                        Kernels.sgemm(transposeB: true, m: rows, n: samples, k: width, a: dp, lda: width,
                                      b: xp + columns.lowerBound, ldb: cols, c: out, ldc: samples)
                    }
                }
            }
            for r in 0..<rows {
                var s: Double = 0
                for t in 0..<samples { s += Double(c[r * samples + t] * c[r * samples + t]) }
                errors[r] = s / Double(samples)
            }
        }
        return errors
    }

    /// Σ_r err_r over all columns.
    func total(_ delta: [Float], rows: Int) -> Double {
        rowErrors(delta, rows: rows, columns: 0..<cols).reduce(0, +)
    }
}

extension InputStatistics {
    /// The mean squared output error per token, ‖(W − Ŵ) X‖²_F / tokens, of replacing `original` by `approximation`
    /// (both (rows, features), row-major): exact over every token from the Gram matrix, or over `sampleRows` without it.
    public func outputError(original: [Float], approximation: [Float], rows: Int) throws -> Double {
        guard rows > 0, original.count == rows * features, approximation.count == rows * features else {
            throw QuantizationError("outputError: \(original.count) and \(approximation.count) values for \(rows)×\(features)")
        }
        try QuantizationInput.validate(self, cols: features, needsGram: false)
        let delta = zip(approximation, original).map { $0 - $1 }
        return OutputLoss(self).total(delta, rows: rows)
    }
}
