/// add and mul of two (rows, features) activations of the same shape.
///
/// Backward: add passes dy to both; mul gives da = dy ⊙ b and db = dy ⊙ a.
struct BinaryRule: OperatorRule {
    enum Function: Sendable { case add, mul }
    let function: Function

    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        var y = try op.activation("a")
        let b = try op.activation("b")
        guard b.rows == y.rows, b.cols == y.cols else { throw op.fail("operands are (\(y.rows), \(y.cols)) and (\(b.rows), \(b.cols))") }
        switch function {
        case .add: for i in y.values.indices { y.values[i] += b.values[i] }
        case .mul: for i in y.values.indices { y.values[i] *= b.values[i] }
        }
        return y
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        switch function {
        case .add:
            for port in ["a", "b"] where op.needsGradient(port) {
                try op.accumulate(port) { g in for i in g.indices { g[i] += dy.values[i] } }
            }
        case .mul:
            let a = try op.activation("a"), b = try op.activation("b")
            if op.needsGradient("a") { try op.accumulate("a") { g in for i in g.indices { g[i] += dy.values[i] * b.values[i] } } }
            if op.needsGradient("b") { try op.accumulate("b") { g in for i in g.indices { g[i] += dy.values[i] * a.values[i] } } }
        }
    }
}
