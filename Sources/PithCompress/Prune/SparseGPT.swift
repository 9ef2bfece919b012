import PithTensor

/// SparseGPT (Frantar & Alistarh 2023, "SparseGPT: Massive Language Models Can Be Accurately Pruned in One-Shot").
///
/// Prunes a layer column by column, spreading each column's pruning error over the columns not yet processed through
/// the inverse Hessian of its squared output error, H = 2XXᵀ/n (the OBS update, §3.2 made cheap by the sequential
/// column order of Algorithm 1), with GPTQ's machinery: the upper Cholesky factor U of (H + λI)⁻¹, lazy batch
/// updates per block of `blockSize` columns.
///
/// - Adaptive mask selection (§3.3): at the start of each block of Bs columns the weights of the block with the
///   lowest w²/U_jj² (the OBS saliency with the inverse Hessian's Cholesky diagonal, as the authors' code) are
///   pruned, over all rows of the block together, from the weights as updated so far. N:M (§3.4): at every M-th
///   column, the M−N lowest of the next M columns in each row, from their current values.
/// - Joint quantization (§3.5, "SparseGPT + GPTQ"): the kept weights are rounded on the scheme's grid in the same
///   sweep, the pruned ones set to the grid's exact 0, and both errors are fed back alike.
/// - Dead columns (diag(H) = 0) get H_jj = 1 and are treated like any other, where the reference zeroes them first
///   (Pith's GPTQ keeps them too: inputs beyond the calibration text may use them).
public enum SparseGPT {
    public struct Options: Sendable, Equatable {
        /// λ = dampening · mean(diag H), added to H's diagonal (raised ×10 up to three times if Cholesky fails).
        public var dampening = 0.01
        /// Columns per block: the mask is chosen per block, and the error spread lazily per block.
        public var blockSize = 128
        /// Quantize the kept weights jointly (int schemes with an exact 0 on their grid); nil: prune only.
        public var scheme: QuantScheme?
        public init(dampening: Double = 0.01, blockSize: Int = 128, scheme: QuantScheme? = nil) {
            self.dampening = dampening
            self.blockSize = blockSize
            self.scheme = scheme
        }
    }

    public struct Result: Sendable {
        /// The pruned (and, jointly quantized, dequantized) weights, rows × cols.
        public var weights: [Float]
        public var mask: PruneMask
        /// With joint quantization: the codes and scales.
        public var matrix: QuantizedMatrix?
        /// ½ Σ (w − q)² / U_jj² over all weights: the paper's (and GPTQ's) loss.
        public var loss: Double
    }

    public static func prune(_ weight: [Float], rows: Int, cols: Int, statistics: InputStatistics, target: SparsityTarget,
                             options: Options = Options()) throws -> Result {
        try PruneInput.validate(weight, rows: rows, cols: cols, target: target)
        try QuantizationInput.validate(statistics, cols: cols, needsGram: true)
        guard options.blockSize > 0 else { throw QuantizationError("sparsegpt: block_size must be positive, is \(options.blockSize)") }
        guard options.dampening >= 0, options.dampening < 1 else {
            throw QuantizationError("sparsegpt: dampening must be in [0, 1), is \(options.dampening)")
        }
        if case .nOfM(let n, let m) = target.pattern, options.blockSize % m != 0 {
            throw QuantizationError("sparsegpt: block_size \(options.blockSize) is not a multiple of \(n):\(m)'s group of \(m)")
        }
        if let bad = statistics.gram.firstIndex(where: { !$0.isFinite }) {
            throw QuantizationError("sparsegpt: Gram entry (\(bad / cols), \(bad % cols)) is \(statistics.gram[bad])")
        }
        let grid = try options.scheme.map { try JointGrid(weight, rows: rows, cols: cols, scheme: $0) }

        // H = 2XXᵀ/n (cols, cols); a dead column gets H_jj = 1. U: upper, H⁻¹ = UᵀU.
        let scale = 2 / Double(statistics.tokens)
        var h = statistics.gram.map { $0 * scale }
        for j in 0..<cols where h[j * cols + j] <= 0 { h[j * cols + j] = 1 }
        let u = try GPTQ.inverseFactor(h, n: cols, dampening: options.dampening)

        // Wᵀ (cols, rows): a column is contiguous.
        var wt = [Float](repeating: 0, count: cols * rows)
        for r in 0..<rows { for j in 0..<cols { wt[j * rows + r] = weight[r * cols + j] } }
        var mask = PruneMask(rows: rows, cols: cols, pruned: [Bool](repeating: false, count: rows * cols))
        var codes = [UInt8](repeating: 0, count: grid == nil ? 0 : rows * cols)
        var loss = 0.0
        let block = options.blockSize
        var errors = [Float](repeating: 0, count: block * rows)  // (block, rows): (w − q)/U_jj per column

        wt.withUnsafeMutableBufferPointer { wtBuffer in
            u.withUnsafeBufferPointer { uBuffer in
                errors.withUnsafeMutableBufferPointer { errBuffer in
                    guard let w = wtBuffer.baseAddress, let up = uBuffer.baseAddress, let err = errBuffer.baseAddress else { return }
                    for b1 in stride(from: 0, to: cols, by: block) {
                        let b2 = min(b1 + block, cols)
                        if case .unstructured = target.pattern {
                            selectBlock(w, u: up, rows: rows, cols: cols, columns: b1..<b2, target: target, mask: &mask)
                        }
                        for p in b1..<b2 {
                            if case .nOfM(let n, let m) = target.pattern, (p - b1) % m == 0 {
                                selectGroups(w, u: up, rows: rows, cols: cols, columns: p..<(p + m), keep: n, mask: &mask)
                            }
                            let column = w + p * rows, e = err + (p - b1) * rows, d = up[p * cols + p]
                            for r in 0..<rows {
                                var q: Float = 0
                                if let grid {
                                    let c = mask.pruned[r * cols + p] ? grid.zero(row: r, col: p) : grid.code(column[r], row: r, col: p)
                                    codes[r * cols + p] = c
                                    q = grid.value(c, row: r, col: p)
                                } else if !mask.pruned[r * cols + p] {
                                    q = column[r]
                                }
                                let x = (column[r] - q) / d
                                e[r] = x
                                loss += Double(x * x)
                                column[r] = q
                            }
                            // Within the block: column j −= U_pj · e  (Algorithm 1's row update of H⁻¹'s factor)
                            for j in (p + 1)..<b2 {
                                let f = up[p * cols + j], t = w + j * rows
                                for r in 0..<rows { t[r] -= f * e[r] }
                            }
                        }
                        // Lazy batch update: wt[b2:, :] −= U[b1:b2, b2:]ᵀ · E
                        if b2 < cols {
                            Kernels.sgemm(transposeA: true, m: cols - b2, n: rows, k: b2 - b1, alpha: -1,
                                          a: up + b1 * cols + b2, lda: cols, b: err, ldb: rows, beta: 1, c: w + b2 * rows, ldc: rows)
                        }
                    }
                }
            }
        }
        var out = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows { for j in 0..<cols { out[r * cols + j] = mask.pruned[r * cols + j] ? 0 : wt[j * rows + r] } }
        let matrix = try grid.map { try $0.matrix(codes: codes) }
        return Result(weights: out, mask: mask, matrix: matrix, loss: loss / 2)
    }

    // MARK: - Mask selection

    /// §3.3: of the block's weights (all rows, `columns`), the ⌊count·s⌋ with the lowest w²/U_jj² are pruned.
    static func selectBlock(_ w: UnsafeMutablePointer<Float>, u: UnsafePointer<Float>, rows: Int, cols: Int,
                            columns: Range<Int>, target: SparsityTarget, mask: inout PruneMask) {
        let width = columns.count
        var scores = [Float](repeating: 0, count: rows * width)  // (rows, width)
        for (k, j) in columns.enumerated() {
            let d = u[j * cols + j]
            for r in 0..<rows { scores[r * width + k] = w[j * rows + r] * w[j * rows + r] / (d * d) }
        }
        let chosen = PruneMask.lowest(scores, rows: rows, cols: width, target: target, perRow: false)
        for r in 0..<rows {
            for (k, j) in columns.enumerated() where chosen.pruned[r * width + k] { mask.pruned[r * cols + j] = true }
        }
    }

    /// §3.4: in each row, the M − N of the group's M columns with the lowest w²/U_jj² are pruned.
    static func selectGroups(_ w: UnsafeMutablePointer<Float>, u: UnsafePointer<Float>, rows: Int, cols: Int,
                             columns: Range<Int>, keep: Int, mask: inout PruneMask) {
        let m = columns.count
        var scores = [Float](repeating: 0, count: m)
        let indices = Array(0..<m)
        for r in 0..<rows {
            for (k, j) in columns.enumerated() {
                let d = u[j * cols + j]
                scores[k] = w[j * rows + r] * w[j * rows + r] / (d * d)
            }
            let order = indices.sorted { scores[$0] != scores[$1] ? scores[$0] < scores[$1] : $0 < $1 }
            for k in order.prefix(m - keep) { mask.pruned[r * cols + columns.lowerBound + k] = true }
        }
    }
}
