import PithTensor

/// What GPTQ fits for one layer: the Hessian H of its squared output error and the target weight W̃, so that the
/// error GPTQ minimises is ‖(W̃ − Q)·X‖² over the calibration tokens (X: the inputs the quantized model feeds it).
///
/// Plain GPTQ takes H = 2XXᵀ/n and W̃ = W. Two refinements, each exact for the objective it states:
/// - **Free bias** (`centered`, for linears with a bias): the error's mean over the tokens is absorbed by the bias,
///   so only the centred inputs count: H = 2/n·Σ(x − μ)(x − μ)ᵀ, and afterwards b′ = b + W·μ̃ − Q·μ (`bias`).
/// - **Float targets** (`floatTargets`; the "asymmetric calibration" of GPTAQ, Li et al. 2025): the layer is fitted
///   to the float model's output W·x̃ (x̃: the same token's input in the unquantized model) instead of to W·x.
///   Since min_Q ‖W·X̃ − Q·X‖² = min_Q ‖(W̃ − Q)·X‖² + const for the least-squares W̃ = W·C·H⁻¹ with C = 2X̃Xᵀ/n,
///   GPTQ on W̃ is exact. W̃ is the ridge solution W·(C + λI)(H + λI)⁻¹ (λ: the dampening), which shrinks it towards W.
struct GPTQObjective {
    /// H (cols × cols, natural column order, already scaled by 2/n).
    let hessian: [Double]
    /// W̃ (rows × cols).
    let target: [Float]

    init(weight: [Float], rows: Int, cols: Int, statistics: InputStatistics, options: GPTQOptions) throws {
        let n = Double(statistics.tokens), scale = 2 / n
        var h = statistics.gram.map { $0 * scale }
        let mean = statistics.sum.map { $0 / n }
        if options.centered {
            for i in 0..<cols { for j in 0..<cols { h[i * cols + j] -= 2 * mean[i] * mean[j] } }
        }
        hessian = h
        guard options.floatTargets else {
            target = weight
            return
        }
        guard let cross = statistics.crossGram, let referenceSum = statistics.referenceSum else {
            throw QuantizationError("gptq: float_targets needs the float model's inputs with the statistics; this run has none")
        }
        var c = cross.map { $0 * scale }  // (reference feature, feature)
        if options.centered {
            let referenceMean = referenceSum.map { $0 / n }
            for i in 0..<cols { for j in 0..<cols { c[i * cols + j] -= 2 * referenceMean[i] * mean[j] } }
        }
        target = try Self.leastSquaresTarget(weight, rows: rows, cols: cols, cross: c, hessian: h, dampening: options.dampening)
    }

    /// W·(C + λI)(H + λI)⁻¹ with λ = dampening · mean(diag H), raised ×10 up to three times if H + λI is not positive
    /// definite. Solved as (H + λI)·W̃ᵀ = (C + λI)ᵀ·Wᵀ, H being symmetric.
    static func leastSquaresTarget(_ weight: [Float], rows: Int, cols: Int, cross: [Double], hessian: [Double],
                                   dampening: Double) throws -> [Float] {
        let mean = (0..<cols).reduce(0.0) { $0 + hessian[$1 * cols + $1] } / Double(max(cols, 1))
        // W·C (rows, cols), row by row; the λ·W term is added per try.
        var wc = [Double](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for i in 0..<cols {
                let w = Double(weight[r * cols + i])
                if w == 0 { continue }
                for j in 0..<cols { wc[r * cols + j] += w * cross[i * cols + j] }
            }
        }
        var last: Error?
        for k in 0...3 {
            let lambda = max(dampening, 1e-6) * (0..<k).reduce(1.0) { r, _ in r * 10 } * max(mean, 1e-12)
            var a = hessian
            for i in 0..<cols { a[i * cols + i] += lambda }
            var x = [Double](repeating: 0, count: cols * rows)  // ((C + λI)ᵀWᵀ): (cols, rows)
            for r in 0..<rows { for j in 0..<cols { x[j * rows + r] = wc[r * cols + j] + lambda * Double(weight[r * cols + j]) } }
            do {
                try LinearAlgebra.solveSymmetric(a, n: cols, &x, columns: rows)
                var out = [Float](repeating: 0, count: rows * cols)
                for r in 0..<rows { for j in 0..<cols { out[r * cols + j] = Float(x[j * rows + r]) } }
                if out.allSatisfy({ $0.isFinite }) { return out }
            } catch {
                last = error
            }
        }
        throw QuantizationError("gptq: the float-target solve failed" + (last.map { ": \($0)" } ?? ""))
    }

    /// The bias that absorbs the mean output error: b′ = b + W·μ̃ − Q·μ, with μ̃ the float model's input mean
    /// (μ itself without reference inputs). `weight` is the layer's original W, `quantized` Q dequantized.
    static func correctedBias(_ bias: [Float], weight: [Float], quantized: [Float], rows: Int, cols: Int,
                              statistics: InputStatistics) -> [Float] {
        let n = Double(max(statistics.tokens, 1))
        let mean = statistics.sum.map { $0 / n }
        let referenceMean = statistics.referenceSum.map { $0.map { $0 / n } } ?? mean
        return (0..<rows).map { r in
            var shift = 0.0
            for j in 0..<cols {
                shift += Double(weight[r * cols + j]) * referenceMean[j] - Double(quantized[r * cols + j]) * mean[j]
            }
            return Float(Double(bias[r]) + shift)
        }
    }
}
