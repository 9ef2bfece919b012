/// pooling: one row per sequence from its real (mask 1) tokens — mean, mean_sqrt_len (sum / √count), max, or cls
/// (the first token, mask ignored) — as sentence-transformers pools and the runtime computes.
///
/// Backward: mean spreads dy / count over the real tokens, max sends it to the first token holding each maximum,
/// cls to the first token. A sequence with no real token pools to zeros and passes nothing.
struct PoolingRule: OperatorRule {
    private func tokens<T>(_ op: OperatorContext<T>, rows: Int) throws -> [[Int]] {
        let mask = op.hasInput("mask") ? try op.integers("mask") : nil
        if let mask, mask.count != rows { throw op.fail("mask has \(mask.count) entries for \(rows) rows") }
        guard rows == op.batch.rows else { throw op.fail("pooling over \(rows) rows in a batch of \(op.batch.rows)") }
        let length = op.batch.sequenceLength
        return (0..<op.batch.sequences).map { s in
            (s * length..<(s + 1) * length).filter { mask == nil || mask?[$0] != 0 }
        }
    }

    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        let x = try op.activation("input")
        let mode = op.string("mode")
        let groups = try tokens(op, rows: x.rows)
        var y = Matrix<T>(rows: groups.count, cols: x.cols)
        for (s, group) in groups.enumerated() {
            for j in 0..<x.cols {
                let value: T
                switch mode {
                case "cls": value = x[s * op.batch.sequenceLength, j]
                case "max": value = group.map { x[$0, j] }.max() ?? 0
                case "mean", "mean_sqrt_len": value = group.reduce(0) { $0 + x[$1, j] } / divisor(mode, group.count)
                default: throw op.fail("unknown pooling mode '\(mode)'")
                }
                y[s, j] = value
            }
        }
        return y
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        guard op.needsGradient("input") else { return }
        let x = try op.activation("input")
        let mode = op.string("mode")
        let groups = try tokens(op, rows: x.rows)
        try op.accumulate("input") { dx in
            for (s, group) in groups.enumerated() {
                for j in 0..<x.cols {
                    let g = dy[s, j]
                    switch mode {
                    case "cls":
                        dx[s * op.batch.sequenceLength * x.cols + j] += g
                    case "max":
                        // The first maximal token, as the forward's strict comparison keeps it.
                        guard var best = group.first else { continue }
                        for t in group where x[t, j] > x[best, j] { best = t }
                        dx[best * x.cols + j] += g
                    default:
                        let share = g / divisor(mode, group.count)
                        for t in group { dx[t * x.cols + j] += share }
                    }
                }
            }
        }
    }

    /// sentence-transformers divides by max(count, 1e-9), or its square root.
    private func divisor<T: TrainScalar>(_ mode: String, _ count: Int) -> T {
        let n = max(T(count), T(1e-9))
        return mode == "mean" ? n : n.squareRoot()
    }
}
