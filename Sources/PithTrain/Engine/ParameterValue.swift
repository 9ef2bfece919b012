import PithGraph

/// One parameter as a rule sees it: trainable (dense values in the engine's type) or frozen in its stored encoding.
///
/// The products a linear layer needs are here, so a rule is the same for both: y = x·Wᵀ and dx = dy·W.
enum ParameterValue<T: TrainScalar> {
    case dense(Matrix<T>)
    case encoded(EncodedWeight)

    /// (rows, cols) of the parameter viewed as a matrix.
    var rows: Int {
        switch self {
        case .dense(let m): m.rows
        case .encoded(let w): w.rows
        }
    }

    var cols: Int {
        switch self {
        case .dense(let m): m.cols
        case .encoded(let w): w.cols
        }
    }

    /// Every value, row-major (norm weights and biases).
    func vector() throws -> [T] {
        switch self {
        case .dense(let m): m.values
        case .encoded(let w): T.converting(try w.decodeAll())
        }
    }

    /// The rows at `indices` (an embedding lookup), (indices.count, cols); the caller has checked every index.
    func gather(_ indices: [Int]) throws -> [T] {
        switch self {
        case .dense(let m):
            return indices.flatMap { m.values[($0 * m.cols)..<(($0 + 1) * m.cols)] }
        case .encoded(let w):
            if case .quantized = w.encoding {  // codes and scales lie apart: decode the table once
                let all = try w.decodeAll()
                return T.converting(indices.flatMap { all[($0 * w.cols)..<(($0 + 1) * w.cols)] })
            }
            return T.converting(try indices.flatMap { try w.decode(rows: $0..<($0 + 1)) })
        }
    }

    /// y (n, rows) = x (n, cols) · Wᵀ.
    func product(_ x: Matrix<T>) throws -> Matrix<T> {
        var y = Matrix<T>(rows: x.rows, cols: rows)
        try forEachBlock { range, block in
            x.values.withUnsafeBufferPointer { xb in
                block.withUnsafeBufferPointer { wb in
                    y.values.withUnsafeMutableBufferPointer { yb in
                        guard let xp = xb.baseAddress, let wp = wb.baseAddress, let yp = yb.baseAddress else { return }
                        T.gemm(transposeA: false, transposeB: true, m: x.rows, n: range.count, k: cols,
                               a: xp, lda: cols, b: wp, ldb: cols, beta: 0, c: yp + range.lowerBound, ldc: rows)
                    }
                }
            }
        }
        return y
    }

    /// dx (n, cols) = dy (n, rows) · W: the transposed product, streamed over row blocks of W.
    func transposedProduct(_ dy: Matrix<T>) throws -> Matrix<T> {
        var dx = Matrix<T>(rows: dy.rows, cols: cols)
        try forEachBlock { range, block in
            dy.values.withUnsafeBufferPointer { gb in
                block.withUnsafeBufferPointer { wb in
                    dx.values.withUnsafeMutableBufferPointer { xb in
                        guard let gp = gb.baseAddress, let wp = wb.baseAddress, let xp = xb.baseAddress else { return }
                        T.gemm(transposeA: false, transposeB: false, m: dy.rows, n: cols, k: range.count,
                               a: gp + range.lowerBound, lda: rows, b: wp, ldb: cols, beta: 1, c: xp, ldc: cols)
                    }
                }
            }
        }
        return dx
    }

    /// Calls `body` with each block of rows as dense values: the whole matrix when dense, decoded blocks otherwise.
    private func forEachBlock(_ body: (Range<Int>, [T]) throws -> Void) throws {
        switch self {
        case .dense(let m):
            try body(0..<m.rows, m.values)
        case .encoded(let w):
            for range in w.blocks { try body(range, T.converting(try w.decode(rows: range))) }
        }
    }
}
