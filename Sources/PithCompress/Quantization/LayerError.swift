import COpenBLAS

/// How far a quantized weight is from the original, as a relative squared error.
enum LayerError {
    /// ‖W − Q‖² / ‖W‖².
    static func weight(_ w: [Float], _ q: [Float]) -> Double {
        var num = 0.0, den = 0.0
        for i in w.indices {
            let d = Double(w[i]) - Double(q[i])
            num += d * d
            den += Double(w[i]) * Double(w[i])
        }
        return den > 0 ? num / den : num
    }

    /// Rows sampled for the output error of very tall weights (an output head of 49 152 rows).
    static let maxRows = 4096

    /// ‖(W − Q)X‖² / ‖WX‖² over the calibration inputs: tr(ΔW·G·ΔWᵀ) / tr(W·G·Wᵀ) with G = XᵀX, on at most `maxRows`
    /// evenly spaced rows.
    static func output(_ w: [Float], _ q: [Float], rows: Int, cols: Int, statistics: InputStatistics) -> Double {
        let step = max(1, (rows + maxRows - 1) / maxRows)
        let picked = stride(from: 0, to: rows, by: step).map { $0 }
        let n = picked.count
        var delta = [Float](repeating: 0, count: n * cols), original = [Float](repeating: 0, count: n * cols)
        for (k, r) in picked.enumerated() {
            for j in 0..<cols {
                original[k * cols + j] = w[r * cols + j]
                delta[k * cols + j] = w[r * cols + j] - q[r * cols + j]
            }
        }
        let gram = statistics.gram.map { Float($0) }
        func quadratic(_ a: [Float]) -> Double {
            var product = [Float](repeating: 0, count: n * cols)
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(cols), Int32(cols), 1, a, Int32(cols),
                        gram, Int32(cols), 0, &product, Int32(cols))
            var sum = 0.0
            for i in a.indices { sum += Double(a[i]) * Double(product[i]) }
            return sum
        }
        let den = quadratic(original)
        return den > 0 ? quadratic(delta) / den : quadratic(delta)
    }
}
