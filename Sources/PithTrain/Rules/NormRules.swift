// MARK: - Normalizations over the last axis of (rows, features): rms_norm, layer_norm, l2_normalize

/// rms_norm: y = x · r · γ, r = 1/√(mean(x²) + ε).
///
/// Backward, per row with g = dy ⊙ γ: dx = r·g − x · r³ · mean(g ⊙ x); dγ += dy ⊙ x · r.
struct RMSNormRule: OperatorRule {
    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        let x = try op.activation("input")
        let w = try op.parameter("weight").vector()
        guard w.count == x.cols else { throw op.fail("weight has \(w.count) values for \(x.cols) features") }
        let eps = T(op.double("epsilon"))
        var y = Matrix<T>(rows: x.rows, cols: x.cols)
        for r in 0..<x.rows {
            let base = r * x.cols
            let inv = Self.inverseRMS(x.values, base, x.cols, eps)
            for j in 0..<x.cols { y.values[base + j] = x.values[base + j] * inv * w[j] }
        }
        return y
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        let x = try op.activation("input")
        let w = try op.parameter("weight").vector()
        let eps = T(op.double("epsilon")), n = T(x.cols)
        if op.needsGradient("input") {
            try op.accumulate("input") { dx in
                for r in 0..<x.rows {
                    let base = r * x.cols
                    let inv = Self.inverseRMS(x.values, base, x.cols, eps)
                    var dot: T = 0
                    for j in 0..<x.cols { dot += dy.values[base + j] * w[j] * x.values[base + j] }
                    let k = inv * inv * inv * dot / n
                    for j in 0..<x.cols { dx[base + j] += inv * dy.values[base + j] * w[j] - x.values[base + j] * k }
                }
            }
        }
        if op.needsGradient("weight") {
            try op.accumulate("weight") { dw in
                for r in 0..<x.rows {
                    let base = r * x.cols
                    let inv = Self.inverseRMS(x.values, base, x.cols, eps)
                    for j in 0..<x.cols { dw[j] += dy.values[base + j] * x.values[base + j] * inv }
                }
            }
        }
    }

    static func inverseRMS<T: TrainScalar>(_ x: [T], _ base: Int, _ n: Int, _ eps: T) -> T {
        var sum: T = 0
        for j in 0..<n { sum += x[base + j] * x[base + j] }
        return 1 / (sum / T(n) + eps).squareRoot()
    }
}

/// layer_norm: x̂ = (x − μ) · r, r = 1/√(var + ε); y = x̂ ⊙ γ + β (γ, β optional).
///
/// Backward, per row with g = dy ⊙ γ: dx = r · (g − mean(g) − x̂ · mean(g ⊙ x̂)); dγ += dy ⊙ x̂; dβ += dy.
struct LayerNormRule: OperatorRule {
    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        let x = try op.activation("input")
        let (w, b) = try affine(op, features: x.cols)
        let eps = T(op.double("epsilon"))
        var y = Matrix<T>(rows: x.rows, cols: x.cols)
        for r in 0..<x.rows {
            let (xhat, _) = Self.normalized(x.values, r * x.cols, x.cols, eps)
            for j in 0..<x.cols { y.values[r * x.cols + j] = xhat[j] * (w?[j] ?? 1) + (b?[j] ?? 0) }
        }
        return y
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        let x = try op.activation("input")
        let (w, _) = try affine(op, features: x.cols)
        let eps = T(op.double("epsilon")), n = T(x.cols)
        for r in 0..<x.rows {
            let base = r * x.cols
            let (xhat, inv) = Self.normalized(x.values, base, x.cols, eps)
            if op.needsGradient("input") {
                var meanG: T = 0, meanGX: T = 0
                for j in 0..<x.cols {
                    let g = dy.values[base + j] * (w?[j] ?? 1)
                    meanG += g
                    meanGX += g * xhat[j]
                }
                meanG /= n
                meanGX /= n
                try op.accumulate("input") { dx in
                    for j in 0..<x.cols {
                        let g = dy.values[base + j] * (w?[j] ?? 1)
                        dx[base + j] += inv * (g - meanG - xhat[j] * meanGX)
                    }
                }
            }
            if op.hasInput("weight"), op.needsGradient("weight") {
                try op.accumulate("weight") { dw in for j in 0..<x.cols { dw[j] += dy.values[base + j] * xhat[j] } }
            }
            if op.hasInput("bias"), op.needsGradient("bias") {
                try op.accumulate("bias") { db in for j in 0..<x.cols { db[j] += dy.values[base + j] } }
            }
        }
    }

    private func affine<T>(_ op: OperatorContext<T>, features: Int) throws -> ([T]?, [T]?) {
        let w = op.hasInput("weight") ? try op.parameter("weight").vector() : nil
        let b = op.hasInput("bias") ? try op.parameter("bias").vector() : nil
        guard (w?.count ?? features) == features, (b?.count ?? features) == features else {
            throw op.fail("weight or bias does not have \(features) values")
        }
        return (w, b)
    }

    /// x̂ of one row, and its r = 1/√(var + ε).
    static func normalized<T: TrainScalar>(_ x: [T], _ base: Int, _ n: Int, _ eps: T) -> ([T], T) {
        var mean: T = 0
        for j in 0..<n { mean += x[base + j] }
        mean /= T(n)
        var variance: T = 0
        for j in 0..<n { variance += (x[base + j] - mean) * (x[base + j] - mean) }
        let inv = 1 / (variance / T(n) + eps).squareRoot()
        return ((0..<n).map { (x[base + $0] - mean) * inv }, inv)
    }
}

/// l2_normalize: y = x / max(‖x‖, ε) per row.
///
/// Backward: dx = (dy − y · (y·dy)) / ‖x‖ when ‖x‖ > ε, else dy / ε (the constant branch).
struct L2NormalizeRule: OperatorRule {
    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        let x = try op.activation("input")
        let eps = T(op.double("epsilon"))
        var y = x
        for r in 0..<x.rows {
            let d = max(Self.norm(x.values, r * x.cols, x.cols), eps)
            for j in 0..<x.cols { y.values[r * x.cols + j] /= d }
        }
        return y
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        guard op.needsGradient("input") else { return }
        let x = try op.activation("input"), y = try op.output()
        let eps = T(op.double("epsilon"))
        try op.accumulate("input") { dx in
            for r in 0..<x.rows {
                let base = r * x.cols
                let norm = Self.norm(x.values, base, x.cols)
                guard norm > eps else {
                    for j in 0..<x.cols { dx[base + j] += dy.values[base + j] / eps }
                    continue
                }
                var dot: T = 0
                for j in 0..<x.cols { dot += y.values[base + j] * dy.values[base + j] }
                for j in 0..<x.cols { dx[base + j] += (dy.values[base + j] - y.values[base + j] * dot) / norm }
            }
        }
    }

    static func norm<T: TrainScalar>(_ x: [T], _ base: Int, _ n: Int) -> T {
        var sum: T = 0
        for j in 0..<n { sum += x[base + j] * x[base + j] }
        return sum.squareRoot()
    }
}
