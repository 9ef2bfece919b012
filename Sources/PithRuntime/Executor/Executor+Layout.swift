// MARK: - Steps that move elements: transpose within a row, concatenation

extension Executor {
    /// Permutes the axes after the token one: each row is a tensor of `innerShape`, rearranged by `perm`.
    func transpose(input: Int, innerShape: [Int], perm: [Int], output: Int) {
        let rows = rowsInSlot[input]
        let perRow = innerShape.reduce(1, *)
        let outShape = perm.map { innerShape[$0] }
        // Strides of the input, read in output-axis order.
        var inStrides = [Int](repeating: 1, count: innerShape.count)
        for axis in stride(from: innerShape.count - 2, through: 0, by: -1) { inStrides[axis] = inStrides[axis + 1] * innerShape[axis + 1] }
        let readStrides = perm.map { inStrides[$0] }
        var index = [Int](repeating: 0, count: outShape.count)
        for r in 0..<rows {
            let x = buffers[input] + r * perRow, y = buffers[output] + r * perRow
            for i in index.indices { index[i] = 0 }
            for o in 0..<perRow {
                var offset = 0
                for a in index.indices { offset += index[a] * readStrides[a] }
                y[o] = x[offset]
                // Advance the output index, last axis fastest.
                var a = index.count - 1
                while a >= 0 {
                    index[a] += 1
                    if index[a] < outShape[a] { break }
                    index[a] = 0
                    a -= 1
                }
            }
        }
        rowsInSlot[output] = rows
    }

    /// Joins inputs along `axis`: 0 appends rows (tokens); otherwise each row interleaves the inputs' blocks.
    func concat(inputs: [Int], shapes: [[Int]], axis: Int, output: Int) throws {
        if axis == 0 {
            var rows = 0
            let width = shapes.first?.reduce(1, *) ?? 0
            for slot in inputs {
                let n = rowsInSlot[slot]
                guard rows + n <= maxRows else { throw ExecutionError("concat makes more than \(maxRows) rows") }
                (buffers[output] + rows * width).update(from: buffers[slot], count: n * width)
                rows += n
            }
            rowsInSlot[output] = rows
            return
        }
        let rows = inputs.first.map { rowsInSlot[$0] } ?? 0
        guard inputs.allSatisfy({ rowsInSlot[$0] == rows }) else { throw ExecutionError("concat inputs have different numbers of rows") }
        // Within a row: `outer` blocks, each made of every input's (shape[axis] × inner) run in turn.
        let outer = shapes.first.map { $0[..<(axis - 1)].reduce(1, *) } ?? 1
        let runs = shapes.map { $0[(axis - 1)...].reduce(1, *) }
        let outWidth = runs.reduce(0, +) * outer
        for r in 0..<rows {
            var y = buffers[output] + r * outWidth
            for o in 0..<outer {
                for (slot, run) in zip(inputs, runs) {
                    y.update(from: buffers[slot] + r * run * outer + o * run, count: run)
                    y += run
                }
            }
        }
        rowsInSlot[output] = rows
    }
}
