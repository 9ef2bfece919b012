/// attention: scaled dot-product attention within each of the batch's sequences, with grouped KV heads
/// (query head h reads KV head h / (heads / kv_heads)), causal or not, and an optional padding mask
/// (an integer input, 1 = real token, 0 = padding: padded keys are never attended).
///
/// Per sequence and head, with Q (L, d), K, V (L, d) strided views of the activations:
/// S = scale · Q·Kᵀ over the allowed keys, P = softmax(S) by rows, O = P·V.
/// Backward (P recomputed): dV += Pᵀ·dO; dP = dO·Vᵀ; dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale; dQ += dS·K; dK += dSᵀ·Q.
/// Every product is one GEMM (OpenBLAS in f32).
///
/// Training runs each sequence whole, so the `cache` attribute (decoding) is ignored. Padding query rows attend to
/// the real keys like any other row (the runtime writes zeros there instead: both are "don't care" rows that a loss
/// must mask); a query with no allowed key outputs zeros and passes no gradient.
struct AttentionRule: OperatorRule {
    /// Shapes and options of one attention operator over one batch.
    private struct Layout {
        let heads, kvHeads, headDim, length, sequences: Int
        let causal: Bool
        let scale: Double
        let mask: [Int32]?
        var qWidth: Int { heads * headDim }
        var kvWidth: Int { kvHeads * headDim }
        var group: Int { heads / kvHeads }
    }

    private func layout<T>(_ op: OperatorContext<T>, q: Matrix<T>, k: Matrix<T>, v: Matrix<T>) throws -> Layout {
        let heads = op.int("heads"), kvHeads = op.int("kv_heads"), headDim = op.int("head_dim")
        guard heads > 0, kvHeads > 0, heads % kvHeads == 0, headDim > 0 else { throw op.fail("heads must be a multiple of kv_heads") }
        guard q.cols == heads * headDim, k.cols == kvHeads * headDim, v.cols == k.cols, q.rows == k.rows, k.rows == v.rows else {
            throw op.fail("query (\(q.rows), \(q.cols)), key (\(k.rows), \(k.cols)), value (\(v.rows), \(v.cols)) do not fit the heads")
        }
        guard q.rows == op.batch.rows else { throw op.fail("attention over \(q.rows) rows in a batch of \(op.batch.rows)") }
        let mask = op.hasInput("mask") ? try op.integers("mask") : nil
        if let mask, mask.count != q.rows { throw op.fail("mask has \(mask.count) entries for \(q.rows) rows") }
        var scale = op.double("scale")
        if scale == 0 { scale = 1 / Double(headDim).squareRoot() }
        return Layout(heads: heads, kvHeads: kvHeads, headDim: headDim, length: op.batch.sequenceLength,
                      sequences: op.batch.sequences, causal: op.bool("causal"), scale: scale, mask: mask)
    }

    /// P (L, L) for sequence s, head h: the scaled scores of the allowed keys, softmaxed by rows; zeros elsewhere.
    private func probabilities<T: TrainScalar>(_ q: UnsafePointer<T>, _ k: UnsafePointer<T>, _ l: Layout, s: Int, h: Int) -> [T] {
        let n = l.length, first = s * n
        var p = [T](repeating: 0, count: n * n)
        p.withUnsafeMutableBufferPointer { pb in
            guard let pp = pb.baseAddress else { return }
            T.gemm(transposeA: false, transposeB: true, m: n, n: n, k: l.headDim,
                   a: q + first * l.qWidth + h * l.headDim, lda: l.qWidth,
                   b: k + first * l.kvWidth + (h / l.group) * l.headDim, ldb: l.kvWidth, beta: 0, c: pp, ldc: n)
        }
        let scale = T(l.scale)
        let realKey = (0..<n).map { l.mask == nil || l.mask?[first + $0] != 0 }
        for i in 0..<n {
            let last = l.causal ? i : n - 1
            var top = -T.infinity
            for j in 0...last where realKey[j] { top = max(top, p[i * n + j] * scale) }
            guard top > -T.infinity else {
                for j in 0..<n { p[i * n + j] = 0 }
                continue
            }
            var sum: T = 0
            for j in 0..<n {
                let e = j <= last && realKey[j] ? T.exp(p[i * n + j] * scale - top) : 0
                p[i * n + j] = e
                sum += e
            }
            for j in 0..<n { p[i * n + j] /= sum }
        }
        return p
    }

    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        let q = try op.activation("query"), k = try op.activation("key"), v = try op.activation("value")
        let l = try layout(op, q: q, k: k, v: v)
        var o = Matrix<T>(rows: q.rows, cols: q.cols)  // (rows, heads·headDim)
        let n = l.length
        q.values.withUnsafeBufferPointer { qb in
            k.values.withUnsafeBufferPointer { kb in
                v.values.withUnsafeBufferPointer { vb in
                    o.values.withUnsafeMutableBufferPointer { ob in
                        guard let qp = qb.baseAddress, let kp = kb.baseAddress, let vp = vb.baseAddress, let op = ob.baseAddress else { return }
                        for s in 0..<l.sequences {
                            for h in 0..<l.heads {
                                let p = probabilities(qp, kp, l, s: s, h: h)
                                T.gemm(transposeA: false, transposeB: false, m: n, n: l.headDim, k: n, a: p, lda: n,
                                       b: vp + s * n * l.kvWidth + (h / l.group) * l.headDim, ldb: l.kvWidth,
                                       beta: 0, c: op + s * n * l.qWidth + h * l.headDim, ldc: l.qWidth)
                            }
                        }
                    }
                }
            }
        }
        return o
    }

    func backward<T>(_ op: OperatorContext<T>, outputGradient dO: Matrix<T>) throws {
        let q = try op.activation("query"), k = try op.activation("key"), v = try op.activation("value")
        let l = try layout(op, q: q, k: k, v: v)
        var dq = Matrix<T>(rows: q.rows, cols: q.cols), dk = Matrix<T>(rows: k.rows, cols: k.cols), dv = Matrix<T>(rows: v.rows, cols: v.cols)
        let n = l.length, scale = T(l.scale)
        q.values.withUnsafeBufferPointer { qb in
            k.values.withUnsafeBufferPointer { kb in
                v.values.withUnsafeBufferPointer { vb in
                    dO.values.withUnsafeBufferPointer { gb in
                        dq.values.withUnsafeMutableBufferPointer { dqb in
                            dk.values.withUnsafeMutableBufferPointer { dkb in
                                dv.values.withUnsafeMutableBufferPointer { dvb in
                                    guard let qp = qb.baseAddress, let kp = kb.baseAddress, let vp = vb.baseAddress, let gp = gb.baseAddress,
                                          let dqp = dqb.baseAddress, let dkp = dkb.baseAddress, let dvp = dvb.baseAddress else { return }
                                    for s in 0..<l.sequences {
                                        for h in 0..<l.heads {
                                            let qOffset = s * n * l.qWidth + h * l.headDim
                                            let kvOffset = s * n * l.kvWidth + (h / l.group) * l.headDim
                                            let p = probabilities(qp, kp, l, s: s, h: h)
                                            // dV += Pᵀ·dO
                                            T.gemm(transposeA: true, transposeB: false, m: n, n: l.headDim, k: n, a: p, lda: n,
                                                   b: gp + qOffset, ldb: l.qWidth, beta: 1, c: dvp + kvOffset, ldc: l.kvWidth)
                                            // dP = dO·Vᵀ, then dS = P ⊙ (dP − rowsum(P ⊙ dP)) · scale in place
                                            var ds = [T](repeating: 0, count: n * n)
                                            T.gemm(transposeA: false, transposeB: true, m: n, n: n, k: l.headDim, a: gp + qOffset, lda: l.qWidth,
                                                   b: vp + kvOffset, ldb: l.kvWidth, beta: 0, c: &ds, ldc: n)
                                            for i in 0..<n {
                                                var weighted: T = 0
                                                for j in 0..<n { weighted += p[i * n + j] * ds[i * n + j] }
                                                for j in 0..<n { ds[i * n + j] = p[i * n + j] * (ds[i * n + j] - weighted) * scale }
                                            }
                                            // dQ += dS·K; dK += dSᵀ·Q
                                            T.gemm(transposeA: false, transposeB: false, m: n, n: l.headDim, k: n, a: ds, lda: n,
                                                   b: kp + kvOffset, ldb: l.kvWidth, beta: 1, c: dqp + qOffset, ldc: l.qWidth)
                                            T.gemm(transposeA: true, transposeB: false, m: n, n: l.headDim, k: n, a: ds, lda: n,
                                                   b: qp + qOffset, ldb: l.qWidth, beta: 1, c: dkp + kvOffset, ldc: l.kvWidth)
                                        }
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        for (port, g) in [("query", dq), ("key", dk), ("value", dv)] where op.needsGradient(port) {
            try op.accumulate(port) { acc in for i in acc.indices { acc[i] += g.values[i] } }
        }
    }
}
