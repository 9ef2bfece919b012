import PithTensor

// MARK: - Steps over a batch of sequences (encoders): attention within each sequence, pooling per sequence

extension Executor {
    /// Attention with no cache: each of the call's sequences attends only to itself, padding keys excluded.
    ///
    /// Right-padded sequences (mask 1…1 0…0) run as their real length; any other mask becomes an additive -inf mask.
    func attendWithinSequences(q: Int, k: Int, v: Int, mask: [Int32]?, call: Call, heads: Int, kvHeads: Int, headDim: Int,
                               causal: Bool, scale: Float, output: Int) throws {
        let rows = rowsInSlot[q], length = call.sequenceLength
        guard rows == call.rows else { throw ExecutionError("attention over \(rows) rows in a call of \(call.rows)") }
        if let mask, mask.count != rows { throw ExecutionError("attention_mask has \(mask.count) entries for \(rows) rows") }
        let qWidth = heads * headDim, kvWidth = kvHeads * headDim
        var additive: [Float] = []
        for s in 0..<call.batch {
            let first = s * length
            let qs = buffers[q] + first * qWidth, ks = buffers[k] + first * kvWidth, vs = buffers[v] + first * kvWidth
            let out = buffers[output] + first * qWidth
            var real = length
            var holes = false
            if let mask {
                let keep = mask[first..<(first + length)]
                real = keep.firstIndex(of: 0).map { $0 - first } ?? length
                holes = keep.dropFirst(real).contains { $0 != 0 }
            }
            if !holes {
                // Padding rows get zeros; pooling and later rows ignore them.
                if real < length { (out + real * qWidth).update(repeating: 0, count: (length - real) * qWidth) }
                if real > 0 {
                    Kernels.attention(q: qs, k: ks, v: vs, tokens: real, kvLength: real, nHeads: heads, nKVHeads: kvHeads,
                                      headDim: headDim, causal: causal, scale: scale, mask: nil, output: out)
                }
                continue
            }
            additive = [Float](repeating: 0, count: length * length)
            for key in 0..<length where mask?[first + key] == 0 {
                for query in 0..<length { additive[query * length + key] = -.infinity }
            }
            additive.withUnsafeBufferPointer { m in
                Kernels.attention(q: qs, k: ks, v: vs, tokens: length, kvLength: length, nHeads: heads, nKVHeads: kvHeads,
                                  headDim: headDim, causal: causal, scale: scale, mask: m.baseAddress, output: out)
            }
        }
        rowsInSlot[output] = rows
    }

    /// One row per sequence: sentence-transformers' pooling modes over the real (mask 1) tokens.
    func pool(_ mode: Step.PoolingMode, input: Int, mask: [Int32]?, call: Call, width: Int, output: Int) throws {
        let rows = rowsInSlot[input], length = call.sequenceLength
        guard rows == call.rows else { throw ExecutionError("pooling over \(rows) rows in a call of \(call.rows)") }
        if let mask, mask.count != rows { throw ExecutionError("attention_mask has \(mask.count) entries for \(rows) rows") }
        // Pooling writes fewer rows than it reads, but into its own slot (the compiler never aliases an input).
        for s in 0..<call.batch {
            let first = s * length
            let y = buffers[output] + s * width
            let tokens = (first..<(first + length)).filter { mask == nil || mask?[$0] != 0 }
            y.update(repeating: 0, count: width)
            switch mode {
            case .cls:
                y.update(from: buffers[input] + first * width, count: width)
            case .max:
                guard !tokens.isEmpty else { continue }
                y.update(repeating: -.infinity, count: width)
                for t in tokens {
                    let x = buffers[input] + t * width
                    for i in 0..<width where x[i] > y[i] { y[i] = x[i] }
                }
            case .mean, .meanSqrtLen:
                for t in tokens {
                    let x = buffers[input] + t * width
                    for i in 0..<width { y[i] += x[i] }
                }
                // sentence-transformers divides by max(count, 1e-9).
                let count = Float(tokens.count)
                let divisor = mode == .mean ? max(count, 1e-9) : max(count, 1e-9).squareRoot()
                for i in 0..<width { y[i] /= divisor }
            }
        }
        rowsInSlot[output] = call.batch
    }
}
