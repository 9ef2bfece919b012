import Foundation

/// rope: rotates pairs of each head's first `rotary_dims` features by θᵢ = pos · base^(−2i/rotary_dims), pairs
/// (2i, 2i+1) when interleaved, (i, i + rotary_dims/2) when half_split — the runtime kernel's convention, angles in
/// f64 as it computes them.
///
/// The rotation is orthogonal, so the backward pass rotates the gradient by −θ.
struct RopeRule: OperatorRule {
    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        try rotate(op, try op.activation("input"), inverse: false)
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        guard op.needsGradient("input") else { return }
        let dx = try rotate(op, dy, inverse: true)
        try op.accumulate("input") { g in for i in g.indices { g[i] += dx.values[i] } }
    }

    private func rotate<T: TrainScalar>(_ op: OperatorContext<T>, _ x: Matrix<T>, inverse: Bool) throws -> Matrix<T> {
        let heads = op.int("heads"), headDim = op.int("head_dim")
        let rotary = op.int("rotary_dims") == 0 ? headDim : op.int("rotary_dims")
        let halfSplit = op.string("mode") == "half_split"
        let base = op.double("base")
        let positions = try op.integers("positions")
        guard x.cols == heads * headDim, rotary <= headDim, rotary % 2 == 0 else {
            throw op.fail("\(x.cols) features do not hold \(heads) heads of \(headDim) with \(rotary) rotary dimensions")
        }
        guard positions.count >= x.rows else { throw op.fail("\(positions.count) positions for \(x.rows) rows") }
        let half = rotary / 2
        var y = x
        for t in 0..<x.rows {
            let pos = Double(positions[t])
            let angles = (0..<half).map { pos * pow(base, -2 * Double($0) / Double(rotary)) }
            // cos and sin in f64, then rounded to T once, as the f32 kernel does.
            let cosines = angles.map { T(Foundation.cos($0)) }
            let sines = angles.map { T(inverse ? -Foundation.sin($0) : Foundation.sin($0)) }
            for h in 0..<heads {
                let row = t * x.cols + h * headDim
                for i in 0..<half {
                    let a = row + (halfSplit ? i : 2 * i), b = row + (halfSplit ? i + half : 2 * i + 1)
                    let x0 = x.values[a], x1 = x.values[b]
                    y.values[a] = x0 * cosines[i] - x1 * sines[i]
                    y.values[b] = x0 * sines[i] + x1 * cosines[i]
                }
            }
        }
        return y
    }
}
