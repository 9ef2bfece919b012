// MARK: - Operators that pick rows: embedding (rows of a table by id) and gather_rows (rows of an activation)

/// embedding: y[t] = W[ids[t]]. Backward: the table's row ids[t] gets dy[t]; the ids get nothing.
struct EmbeddingRule: OperatorRule {
    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        let ids = try op.integers("ids")
        let table = try op.parameter("weight")
        if let bad = ids.first(where: { $0 < 0 || Int($0) >= table.rows }) {
            throw op.fail("token id \(bad) outside the table's \(table.rows) rows")
        }
        return Matrix(uncheckedRows: ids.count, cols: table.cols, values: try table.gather(ids.map { Int($0) }))  // (tokens, dim)
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        guard op.needsGradient("weight") else { return }
        let ids = try op.integers("ids")
        try op.accumulate("weight") { dw in  // (vocabulary, dim)
            for (t, id) in ids.enumerated() {
                let dst = Int(id) * dy.cols, src = t * dy.cols
                for j in 0..<dy.cols { dw[dst + j] += dy.values[src + j] }
            }
        }
    }
}

/// gather_rows: y[r] = x[indices[r]]. Backward: dx[indices[r]] += dy[r] (a row picked twice gets both).
struct GatherRowsRule: OperatorRule {
    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        let x = try op.activation("input")
        let indices = try op.integers("indices")
        var y = Matrix<T>(rows: indices.count, cols: x.cols)
        for (r, index) in indices.enumerated() {
            guard index >= 0, Int(index) < x.rows else { throw op.fail("row \(index) outside 0..<\(x.rows)") }
            let src = Int(index) * x.cols
            y.values.replaceSubrange((r * x.cols)..<((r + 1) * x.cols), with: x.values[src..<(src + x.cols)])
        }
        return y
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        guard op.needsGradient("input") else { return }
        let indices = try op.integers("indices")
        try op.accumulate("input") { dx in
            for (r, index) in indices.enumerated() {
                let dst = Int(index) * dy.cols, src = r * dy.cols
                for j in 0..<dy.cols { dx[dst + j] += dy.values[src + j] }
            }
        }
    }
}
