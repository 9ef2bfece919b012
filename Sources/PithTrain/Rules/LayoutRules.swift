// MARK: - Operators that only move elements: identity-like (reshape within a row, single-rank communication),
// transpose within a row, concat

/// The same values: reshape within a token (the leading dimension stays, as the runtime requires), and the
/// communication operators with nranks = 1 (GB/T 42382.2 §6.2). Backward passes dy through.
struct IdentityRule: OperatorRule {
    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        if op.schema.category == .communication, op.int("nranks") != 1 {
            throw op.fail("nranks > 1 needs a distributed engine")
        }
        let x = try op.activation("input")
        guard x.cols == op.outputWidth else { throw op.fail("reshapes within a row only: \(x.cols) features into \(op.outputWidth)") }
        return x
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        guard op.needsGradient("input") else { return }
        try op.accumulate("input") { g in for i in g.indices { g[i] += dy.values[i] } }
    }
}

/// transpose: permutes the axes after the leading (token) one; perm[0] must be 0. Backward scatters dy back.
struct TransposeRule: OperatorRule {
    /// For each output element of a row, the input element it reads.
    private func sources<T>(_ op: OperatorContext<T>) throws -> [Int] {
        let shape = try op.variable("input").shape
        let perm = op.ints("perm")
        guard perm.count == shape.count, perm.first == 0, Set(perm) == Set(0..<perm.count) else {
            throw op.fail("perm \(perm) must permute the axes after the leading (token) one")
        }
        let inner = Array(shape.dropFirst()), order = perm.dropFirst().map { $0 - 1 }
        guard inner.allSatisfy({ $0 >= 0 }) else { throw op.fail("needs a static shape after the token axis") }
        var strides = [Int](repeating: 1, count: inner.count)
        for a in stride(from: inner.count - 2, through: 0, by: -1) { strides[a] = strides[a + 1] * inner[a + 1] }
        let outShape = order.map { inner[$0] }, readStrides = order.map { strides[$0] }
        var map: [Int] = [], index = [Int](repeating: 0, count: outShape.count)
        for _ in 0..<inner.reduce(1, *) {
            map.append(zip(index, readStrides).reduce(0) { $0 + $1.0 * $1.1 })
            var a = index.count - 1
            while a >= 0 {
                index[a] += 1
                if index[a] < outShape[a] { break }
                index[a] = 0
                a -= 1
            }
        }
        return map
    }

    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        let x = try op.activation("input")
        let map = try sources(op)
        guard map.count == x.cols else { throw op.fail("rows of \(x.cols) features, shape holds \(map.count)") }
        var y = x
        for r in 0..<x.rows { for (o, i) in map.enumerated() { y.values[r * x.cols + o] = x.values[r * x.cols + i] } }
        return y
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        guard op.needsGradient("input") else { return }
        let map = try sources(op)
        try op.accumulate("input") { dx in
            for r in 0..<dy.rows { for (o, i) in map.enumerated() { dx[r * dy.cols + i] += dy.values[r * dy.cols + o] } }
        }
    }
}

/// concat: axis 0 appends rows; an inner axis interleaves, within each row, every input's run of that axis.
/// Backward hands each input its slice of dy.
struct ConcatRule: OperatorRule {
    /// Per input: (rows offset for axis 0, or the run length and its offset within each outer block).
    private struct Part { let name: String; let run: Int; let offset: Int }

    private func parts<T>(_ op: OperatorContext<T>) throws -> (axis: Int, outer: Int, parts: [Part]) {
        let names = op.node.inputs["inputs"] ?? []
        let shapes = try names.map { name -> [Int] in
            guard let v = op.variables[name] else { throw op.fail("'\(name)' is not declared") }
            return v.shape
        }
        guard let first = shapes.first else { throw op.fail("no inputs") }
        var axis = op.int("axis")
        if axis < 0 { axis += first.count }
        guard axis >= 0, axis < first.count else { throw op.fail("axis \(op.int("axis")) does not fit rank \(first.count)") }
        guard axis > 0 else { return (0, 1, names.map { Part(name: $0, run: 0, offset: 0) }) }
        let outer = first[1..<axis].reduce(1) { $0 * max($1, 0) }
        var offset = 0, result: [Part] = []
        for (name, shape) in zip(names, shapes) {
            let run = shape[axis...].reduce(1) { $0 * max($1, 0) }
            result.append(Part(name: name, run: run, offset: offset))
            offset += run
        }
        return (axis, outer, result)
    }

    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        let (axis, outer, parts) = try parts(op)
        let inputs = try parts.map { part -> Matrix<T> in
            guard let m = op.tape.activations[part.name] else { throw op.fail("'\(part.name)' is not an activation computed earlier") }
            return m
        }
        if axis == 0 {
            let cols = inputs.first?.cols ?? 0
            guard inputs.allSatisfy({ $0.cols == cols }) else { throw op.fail("inputs differ in features") }
            return Matrix(uncheckedRows: inputs.reduce(0) { $0 + $1.rows }, cols: cols, values: inputs.flatMap(\.values))
        }
        let rows = inputs.first?.rows ?? 0, block = parts.reduce(0) { $0 + $1.run }
        guard inputs.allSatisfy({ $0.rows == rows }), zip(inputs, parts).allSatisfy({ $0.cols == $1.run * outer }) else {
            throw op.fail("inputs differ in rows or do not match their declared shapes")
        }
        var y = Matrix<T>(rows: rows, cols: block * outer)
        for r in 0..<rows {
            for o in 0..<outer {
                for (x, part) in zip(inputs, parts) {
                    for e in 0..<part.run { y.values[r * y.cols + o * block + part.offset + e] = x.values[r * x.cols + o * part.run + e] }
                }
            }
        }
        return y
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        let (axis, outer, parts) = try parts(op)
        let block = parts.reduce(0) { $0 + $1.run }
        var firstRow = 0
        for part in parts {
            guard let x = op.tape.activations[part.name] else { continue }
            defer { firstRow += x.rows }
            try op.accumulate(variable: part.name) { dx in
                if axis == 0 {
                    for i in dx.indices { dx[i] += dy.values[firstRow * dy.cols + i] }
                    return
                }
                for r in 0..<x.rows {
                    for o in 0..<outer {
                        for e in 0..<part.run { dx[r * x.cols + o * part.run + e] += dy.values[r * dy.cols + o * block + part.offset + e] }
                    }
                }
            }
        }
    }
}
