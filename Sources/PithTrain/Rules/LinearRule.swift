/// linear: y (n, out) = x (n, in) · Wᵀ + b, W (out, in).
///
/// Backward: dx = dy · W (streamed over row blocks of W when it is frozen in a quantized encoding, so no weight is
/// ever dequantized whole), dW += dyᵀ · x and db += Σ_rows dy — both through GEMM (OpenBLAS in f32).
struct LinearRule: OperatorRule {
    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        let x = try op.activation("input")
        let w = try op.parameter("weight")
        guard x.cols == w.cols else { throw op.fail("input has \(x.cols) features, weight expects \(w.cols)") }
        var y = try w.product(x)
        if op.hasInput("bias") {
            let b = try op.parameter("bias").vector()
            guard b.count == y.cols else { throw op.fail("bias has \(b.count) values for \(y.cols) outputs") }
            for r in 0..<y.rows { for j in 0..<y.cols { y.values[r * y.cols + j] += b[j] } }
        }
        return y
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dy: Matrix<T>) throws {
        let w = try op.parameter("weight")
        if op.needsGradient("input") {
            let dx = try w.transposedProduct(dy)
            try op.accumulate("input") { g in for i in g.indices { g[i] += dx.values[i] } }
        }
        if op.needsGradient("weight") {
            let x = try op.activation("input")
            try op.accumulate("weight") { dw in  // (out, in) += dyᵀ (out, n) · x (n, in)
                dy.values.withUnsafeBufferPointer { gb in
                    x.values.withUnsafeBufferPointer { xb in
                        dw.withUnsafeMutableBufferPointer { wb in
                            guard let gp = gb.baseAddress, let xp = xb.baseAddress, let wp = wb.baseAddress else { return }
                            T.gemm(transposeA: true, transposeB: false, m: dy.cols, n: x.cols, k: dy.rows,
                                   a: gp, lda: dy.cols, b: xp, ldb: x.cols, beta: 1, c: wp, ldc: x.cols)
                        }
                    }
                }
            }
        }
        if op.hasInput("bias"), op.needsGradient("bias") {
            try op.accumulate("bias") { db in
                for r in 0..<dy.rows { for j in 0..<dy.cols { db[j] += dy.values[r * dy.cols + j] } }
            }
        }
    }
}
