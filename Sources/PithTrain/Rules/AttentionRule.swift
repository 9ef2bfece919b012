/// attention: scaled dot-product attention within each of the batch's sequences, with grouped KV heads
/// (query head h reads KV head h / (heads / kv_heads)), causal or not, and an optional padding mask
/// (an integer input, 1 = real token, 0 = padding: padded keys are never attended).
///
/// For query i of a sequence: sᵢⱼ = scale · qᵢ·kⱼ over the allowed keys j, p = softmax(s), oᵢ = Σⱼ pᵢⱼ vⱼ.
/// Backward (p recomputed): dvⱼ += pᵢⱼ doᵢ; dpᵢⱼ = doᵢ·vⱼ; dsᵢⱼ = pᵢⱼ (dpᵢⱼ − Σₗ pᵢₗ dpᵢₗ);
/// dqᵢ += scale Σⱼ dsᵢⱼ kⱼ; dkⱼ += scale dsᵢⱼ qᵢ.
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

        /// Keys that query `i` of sequence `s` attends to (indices within the sequence).
        func keys(_ s: Int, _ i: Int) -> [Int] {
            let last = causal ? i : length - 1
            guard last >= 0 else { return [] }
            return (0...last).filter { mask?[s * length + $0] != 0 }
        }
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

    /// Softmax weights of query row `qi` (absolute) over `keys` (absolute rows), head h reading KV head kh.
    private func weights<T: TrainScalar>(_ q: Matrix<T>, _ k: Matrix<T>, _ l: Layout, qi: Int, keys: [Int], h: Int, kh: Int) -> [T] {
        let scale = T(l.scale)
        var scores = keys.map { kj -> T in
            var dot: T = 0
            for d in 0..<l.headDim { dot += q.values[qi * l.qWidth + h * l.headDim + d] * k.values[kj * l.kvWidth + kh * l.headDim + d] }
            return dot * scale
        }
        let top = scores.max() ?? 0
        var sum: T = 0
        for j in scores.indices {
            scores[j] = T.exp(scores[j] - top)
            sum += scores[j]
        }
        return scores.map { $0 / sum }
    }

    func forward<T>(_ op: OperatorContext<T>) throws -> Matrix<T> {
        let q = try op.activation("query"), k = try op.activation("key"), v = try op.activation("value")
        let l = try layout(op, q: q, k: k, v: v)
        var o = Matrix<T>(rows: q.rows, cols: q.cols)  // (rows, heads·headDim)
        let group = l.heads / l.kvHeads
        for s in 0..<l.sequences {
            for i in 0..<l.length {
                let keys = l.keys(s, i).map { s * l.length + $0 }
                guard !keys.isEmpty else { continue }
                let qi = s * l.length + i
                for h in 0..<l.heads {
                    let kh = h / group
                    let p = weights(q, k, l, qi: qi, keys: keys, h: h, kh: kh)
                    for (j, kj) in keys.enumerated() {
                        for d in 0..<l.headDim {
                            o.values[qi * l.qWidth + h * l.headDim + d] += p[j] * v.values[kj * l.kvWidth + kh * l.headDim + d]
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
        let group = l.heads / l.kvHeads, scale = T(l.scale)
        for s in 0..<l.sequences {
            for i in 0..<l.length {
                let keys = l.keys(s, i).map { s * l.length + $0 }
                guard !keys.isEmpty else { continue }
                let qi = s * l.length + i
                for h in 0..<l.heads {
                    let kh = h / group
                    let qBase = qi * l.qWidth + h * l.headDim
                    let p = weights(q, k, l, qi: qi, keys: keys, h: h, kh: kh)
                    var dp = [T](repeating: 0, count: keys.count)
                    var weighted: T = 0  // Σₗ pᵢₗ dpᵢₗ
                    for (j, kj) in keys.enumerated() {
                        let kvBase = kj * l.kvWidth + kh * l.headDim
                        for d in 0..<l.headDim {
                            dv.values[kvBase + d] += p[j] * dO.values[qBase + d]
                            dp[j] += dO.values[qBase + d] * v.values[kvBase + d]
                        }
                        weighted += p[j] * dp[j]
                    }
                    for (j, kj) in keys.enumerated() {
                        let ds = p[j] * (dp[j] - weighted) * scale
                        let kvBase = kj * l.kvWidth + kh * l.headDim
                        for d in 0..<l.headDim {
                            dq.values[qBase + d] += ds * k.values[kvBase + d]
                            dk.values[kvBase + d] += ds * q.values[qBase + d]
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
