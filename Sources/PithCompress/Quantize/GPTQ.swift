import COpenBLAS
import PithTensor

/// GPTQ (Frantar et al. 2022, "GPTQ: Accurate Post-Training Quantization for Generative Pre-trained Transformers").
///
/// Quantizes one column at a time and spreads each column's rounding error over the columns not yet quantized,
/// weighted by the inverse Hessian of the layer's squared output error, H = 2XXᵀ/n.
public enum GPTQ {
    /// GPTQ: H = 2XXᵀ/n + λ·mean(diag)·I, H⁻¹ via Cholesky (LAPACK, f64), the upper Cholesky factor U of H⁻¹,
    /// column-by-column quantization with lazy blocked error updates (one BLAS product per block).
    ///
    /// - Act-order: columns are processed by descending diag(H); groups keep natural column order in storage.
    ///   With `staticGroups`, group scales come from the original weights up front; otherwise from the updated
    ///   weights when the group's first column is processed.
    /// - Dead columns (diag(H) = 0: the input is always 0) get H_ii = 1 and keep their weights (rounded to nearest),
    ///   where the reference zeroes them: they do not change the calibration loss, and later inputs may use them.
    /// - Error feedback uses each code's exact dequantized value (stored f16 scales).
    /// - Mask-aware (`mask`, a pruned layer): every group's grid holds an exact 0 (`GroupCodec.zeroExact`) and the
    ///   pruned weights take its code whatever the updates made of them; their error is fed back like any rounding
    ///   error (SparseGPT's joint mode, §3.5, with the mask fixed).
    /// - Returns: the matrix and GPTQ's reported loss Σ (w − q)² / U_pp² / 2, summed over all weights
    ///   (`InputStatistics.outputError` gives the output error ‖(W − Q)X‖² / n itself).
    public static func quantize(_ weight: [Float], rows: Int, cols: Int, scheme: QuantScheme, statistics: InputStatistics,
                                options: GPTQOptions = .init(), mask: PruneMask? = nil) throws -> (matrix: QuantizedMatrix, loss: Double) {
        try QuantizationInput.validate(weight, rows: rows, cols: cols, scheme: scheme)
        try QuantizationInput.validate(statistics, cols: cols, needsGram: true)
        try options.validate()
        if let mask, mask.rows != rows || mask.cols != cols {
            throw QuantizationError("gptq: a \(mask.rows)×\(mask.cols) mask for a \(rows)×\(cols) weight")
        }
        let keepZeros = mask != nil
        let codec = GroupCodec(scheme: scheme, cols: cols)
        guard cols % codec.groupLength == 0 else {
            throw QuantizationError("gptq: \(scheme) blocks of \(codec.groupLength) straddle rows of \(cols) values")
        }
        if let bad = statistics.gram.firstIndex(where: { !$0.isFinite }) {
            throw QuantizationError("gptq: Gram entry (\(bad / cols), \(bad % cols)) is \(statistics.gram[bad])")
        }

        // MARK: What is fitted, the processing order and the inverse Hessian's Cholesky factor
        let objective = try GPTQObjective(weight: weight, rows: rows, cols: cols, statistics: statistics, options: options)
        let weight = objective.target, hessian = objective.hessian
        let diagonal = (0..<cols).map { hessian[$0 * cols + $0] }
        let order: [Int] = options.actOrder
            ? (0..<cols).sorted { diagonal[$0] != diagonal[$1] ? diagonal[$0] > diagonal[$1] : $0 < $1 }
            : Array(0..<cols)
        var h = [Double](repeating: 0, count: cols * cols)  // (cols, cols) in processing order
        for i in 0..<cols {
            for j in 0..<cols { h[i * cols + j] = hessian[order[i] * cols + order[j]] }
            if h[i * cols + i] <= 0 { h[i * cols + i] = 1 }  // dead column
        }
        let u = try inverseFactor(h, n: cols, dampening: options.dampening)

        // MARK: Group parameters, natural column order: (rows, groups)
        let g = codec.groupLength, groupsPerRow = cols / g
        var scales = [Float](repeating: 0, count: rows * groupsPerRow)
        var mins = [Float](repeating: 0, count: rows * groupsPerRow)
        var ready = [Bool](repeating: false, count: groupsPerRow)
        if scheme.isSuperBlocked && !options.staticGroups {
            throw QuantizationError("gptq: \(scheme) fixes every group's scale before rounding: it needs static_groups")
        }
        if options.clipSearch && !options.staticGroups {
            throw QuantizationError("gptq: clip searches each group's range before any column is quantized: it needs static_groups")
        }
        if options.staticGroups {
            // With clipping, each group's range shrinks to the factor with the least error weighted by diag(H).
            let shrinks = options.clipSearch ? RTN.clipGrid : [1]
            var scratch = [UInt8](repeating: 0, count: g)
            try weight.withUnsafeBufferPointer { w in
                try scratch.withUnsafeMutableBufferPointer { codesOut in
                    guard let wp = w.baseAddress, let cp = codesOut.baseAddress else { return }
                    for r in 0..<rows {
                        for s in 0..<groupsPerRow {
                            let p = try codec.quantizeGroup(wp + r * cols + s * g, count: g, shrinks: shrinks,
                                                            importance: { Float(diagonal[s * g + $0]) }, codes: cp,
                                                            keepZeros: keepZeros)
                            (scales[r * groupsPerRow + s], mins[r * groupsPerRow + s]) = p
                        }
                    }
                }
            }
            ready = [Bool](repeating: true, count: groupsPerRow)
        }
        // Double quantization: the groups' parameters become the super-blocks' values before any code is rounded.
        var superBlocks: SuperBlockScales?
        if scheme.isSuperBlocked {
            let fitted = SuperBlockScales.fit(scales: scales, mins: scheme.symmetric ? [] : mins, rows: rows, cols: cols,
                                              scheme: scheme)
            let values = fitted.values(scheme: scheme, cols: cols)
            scales = values.scales
            if !scheme.symmetric { mins = values.mins }
            superBlocks = fitted
        }

        // MARK: Column loop on Wᵀ in processing order: wt (cols, rows), so a column is contiguous
        var position = [Int](repeating: 0, count: cols)  // natural column → processing position
        for (p, c) in order.enumerated() { position[c] = p }
        var wt = [Float](repeating: 0, count: cols * rows)
        for r in 0..<rows {
            for p in 0..<cols { wt[p * rows + r] = weight[r * cols + order[p]] }
        }
        var codes = [UInt8](repeating: 0, count: rows * cols)
        var loss: Double = 0
        let block = options.blockSize
        var errors = [Float](repeating: 0, count: block * rows)  // (block, rows): (w − q)/U_pp per column

        try wt.withUnsafeMutableBufferPointer { wtBuffer in
            try u.withUnsafeBufferPointer { uBuffer in
                try errors.withUnsafeMutableBufferPointer { errBuffer in
                    guard let w = wtBuffer.baseAddress, let up = uBuffer.baseAddress,
                          let err = errBuffer.baseAddress else { return }
                    for b1 in stride(from: 0, to: cols, by: block) {
                        let b2 = min(b1 + block, cols)
                        for p in b1..<b2 {
                            let c = order[p], s = c / g, column = w + p * rows, e = err + (p - b1) * rows
                            if !ready[s] {
                                // Dynamic groups: parameters from the updated (not yet quantized) columns of group s.
                                var values = [Float](repeating: 0, count: g)
                                for r in 0..<rows {
                                    for j in 0..<g { values[j] = w[position[s * g + j] * rows + r] }
                                    let p = try codec.parameters(GroupRange(values))
                                    (scales[r * groupsPerRow + s], mins[r * groupsPerRow + s])
                                        = keepZeros ? codec.zeroExact(scale: p.scale, min: p.min) : p
                                }
                                ready[s] = true
                            }
                            let d = up[p * cols + p]
                            for r in 0..<rows {
                                let sc = scales[r * groupsPerRow + s], mn = mins[r * groupsPerRow + s]
                                let q = mask?.pruned[r * cols + c] == true
                                    ? codec.exactZeroCode(scale: sc, min: mn) ?? codec.code(0, scale: sc, min: mn)
                                    : codec.code(column[r], scale: sc, min: mn)
                                codes[r * cols + c] = q
                                let x = (column[r] - codec.value(q, scale: sc, min: mn)) / d
                                e[r] = x
                                loss += Double(x * x)
                            }
                            // Within the block: column j −= U_pj · e
                            for j in (p + 1)..<b2 {
                                let f = up[p * cols + j], target = w + j * rows
                                for r in 0..<rows { target[r] -= f * e[r] }
                            }
                        }
                        // Lazy batch update: wt[b2:, :] −= U[b1:b2, b2:]ᵀ · E   ((cols − b2, rows) += (k, ·)ᵀ (k, rows))
                        if b2 < cols {
                            Kernels.sgemm(transposeA: true, m: cols - b2, n: rows, k: b2 - b1, alpha: -1,
                                          a: up + b1 * cols + b2, lda: cols, b: err, ldb: rows,
                                          beta: 1, c: w + b2 * rows, ldc: rows)
                        }
                    }
                }
            }
        }
        let matrix = try superBlocks.map {
            try QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, superBlocks: $0)
        } ?? QuantizedMatrix(scheme: scheme, rows: rows, cols: cols, codes: codes, scales: scales,
                             mins: scheme.format == .int && !scheme.symmetric ? mins : [])
        return (matrix, loss / 2)
    }

    /// U (n, n, f32) with H⁻¹ = UᵀU, where H gets λ·mean(diag)·I; λ is raised ×10 up to three times on failure.
    ///
    /// One Cholesky and one triangular inverse, where the reference does Cholesky, inverse, Cholesky (half the
    /// work: 0.2 s instead of 0.4 s at n = 1536 here): with J the reversal, JHJ = L̃L̃ᵀ gives H = RRᵀ for the upper
    /// R = JL̃J, so H⁻¹ = (R⁻¹)ᵀR⁻¹ and R⁻¹ is upper with a positive diagonal: the Cholesky factor sought.
    static func inverseFactor(_ h: [Double], n: Int, dampening: Double) throws -> [Float] {
        let mean = (0..<n).reduce(0.0) { $0 + h[$1 * n + $1] } / Double(n)
        let tries = dampening > 0 ? (0...3).map { dampening * pow10($0) } : [0, 0.01, 0.1, 1]
        var last: Error?
        for lambda in tries {
            var a = [Double](repeating: 0, count: n * n)  // JHJ + λ·mean·I
            for i in 0..<n {
                for j in 0...i { a[i * n + j] = h[(n - 1 - i) * n + (n - 1 - j)] }
                a[i * n + i] += lambda * mean
            }
            do {
                try LinearAlgebra.cholesky(&a, n: n, lower: true)
                let info = a.withUnsafeMutableBufferPointer { p in
                    LAPACKE_dtrtri(LAPACK_ROW_MAJOR, CChar(UInt8(ascii: "L")), CChar(UInt8(ascii: "N")), Int32(n),
                                   p.baseAddress, Int32(n))
                }
                guard info == 0 else { throw LinearAlgebra.Failure.singular(index: Int(info)) }
                // U = J L̃⁻¹ J: upper triangular.
                var u = [Float](repeating: 0, count: n * n)
                for i in 0..<n {
                    for j in i..<n { u[i * n + j] = Float(a[(n - 1 - i) * n + (n - 1 - j)]) }
                }
                if u.allSatisfy({ $0.isFinite }) { return u }
            } catch {
                last = error
            }
        }
        throw QuantizationError("gptq: Cholesky of the Hessian failed with dampening up to \(tries.last ?? 0)"
            + (last.map { ": \($0)" } ?? ""))
    }

    private static func pow10(_ k: Int) -> Double { (0..<k).reduce(1.0) { r, _ in r * 10 } }
}
