// MARK: - Elementwise activations (silu, gelu, relu, tanh) and softmax over the last axis

/// An elementwise activation y = f(x), backward dx = dy · f′(x).
struct UnaryRule: OperatorRule {
    enum Function: Sendable { case silu, gelu, relu, tanh }
    let function: Function

    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        var y = try op.activation("input")
        for i in y.values.indices { y.values[i] = value(y.values[i]) }
        return y
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        guard op.needsGradient("input") else { return }
        let x = try op.activation("input")
        try op.accumulate("input") { dx in
            for i in dx.indices { dx[i] += dy.values[i] * derivative(x.values[i]) }
        }
    }

    private func value<T: TrainScalar>(_ x: T) -> T {
        switch function {
        case .silu: x / (1 + T.exp(-x))
        case .gelu: x * Self.phi(x)                    // erf form, as the runtime and BERT use
        case .relu: max(x, 0)
        case .tanh: T.tanh(x)
        }
    }

    private func derivative<T: TrainScalar>(_ x: T) -> T {
        switch function {
        case .silu:
            let s = 1 / (1 + T.exp(-x))                // σ(x); d/dx x·σ(x) = σ(1 + x(1 − σ))
            return s * (1 + x * (1 - s))
        case .gelu:
            // d/dx x·Φ(x) = Φ(x) + x·φ(x), φ(x) = e^(−x²/2)/√(2π)
            return Self.phi(x) + x * T.exp(-x * x / 2) * T(0.3989422804014326779399460599343818684758586311649)
        case .relu:
            return x > 0 ? 1 : 0
        case .tanh:
            let t = T.tanh(x)
            return 1 - t * t
        }
    }

    /// Φ(x), the standard normal CDF.
    private static func phi<T: TrainScalar>(_ x: T) -> T {
        (1 + T.erf(x * T(0.7071067811865475244008443621048490392848359376884740))) / 2
    }
}

/// softmax over the last axis of the input's declared shape (a row may hold several such segments).
///
/// Backward per segment: dx = p ⊙ (dy − Σ p ⊙ dy).
struct SoftmaxRule: OperatorRule {
    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        var y = try op.activation("input")
        let n = try segment(op, y)
        for start in stride(from: 0, to: y.values.count, by: n) {
            let top = y.values[start..<(start + n)].max() ?? 0
            var sum: T = 0
            for i in start..<(start + n) {
                y.values[i] = T.exp(y.values[i] - top)
                sum += y.values[i]
            }
            for i in start..<(start + n) { y.values[i] /= sum }
        }
        return y
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        guard op.needsGradient("input") else { return }
        let p = try op.output()
        let n = try segment(op, p)
        try op.accumulate("input") { dx in
            for start in stride(from: 0, to: p.values.count, by: n) {
                var dot: T = 0
                for i in start..<(start + n) { dot += p.values[i] * dy.values[i] }
                for i in start..<(start + n) { dx[i] += p.values[i] * (dy.values[i] - dot) }
            }
        }
    }

    private func segment<T>(_ op: OperatorContext<T>, _ x: Matrix<T>) throws -> Int {
        let n = try op.variable("input").rowLength
        guard n > 0, x.cols % n == 0 else { throw op.fail("rows of \(x.cols) features do not split into softmax axes of \(n)") }
        return n
    }
}
