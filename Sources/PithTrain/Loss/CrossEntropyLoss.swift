/// Cross-entropy of logits against integer targets, averaged over the targets that count.
public struct CrossEntropyLoss: Sendable {
    /// Targets equal to this are skipped (padding, prompt tokens): Hugging Face's and PyTorch's −100.
    public var ignoreIndex: Int32

    public init(ignoreIndex: Int32 = -100) {
        self.ignoreIndex = ignoreIndex
    }

    /// Mean over rows r with targets[r] ≠ ignoreIndex of −log softmax(logits[r])[targets[r]].
    ///
    /// logits: (rows, vocabulary); targets: one per row. With no counted row the loss is 0 with a zero gradient.
    public func callAsFunction<T>(logits: Matrix<T>, targets: [Int32]) throws -> LossValue<T> {
        guard targets.count == logits.rows else { throw TrainingError("\(targets.count) targets for \(logits.rows) rows of logits") }
        let counted = targets.filter { $0 != ignoreIndex }
        guard counted.allSatisfy({ $0 >= 0 && Int($0) < logits.cols }) else {
            throw TrainingError("a target is outside the vocabulary of \(logits.cols) (and not the ignore index \(ignoreIndex))")
        }
        var gradient = Matrix<T>(rows: logits.rows, cols: logits.cols)
        guard !counted.isEmpty else { return LossValue(value: 0, gradient: gradient) }
        let share = T(1) / T(counted.count)
        var total: Double = 0
        for (r, target) in targets.enumerated() where target != ignoreIndex {
            let base = r * logits.cols
            let row = logits.values[base..<(base + logits.cols)]
            let top = row.max() ?? 0
            var sum: T = 0
            for v in row { sum += T.exp(v - top) }
            let logSum = T.log(sum) + top
            total += Double(logSum - logits.values[base + Int(target)])
            // ∂/∂logit_j = (softmax_j − [j = target]) / count
            for j in 0..<logits.cols { gradient.values[base + j] = T.exp(logits.values[base + j] - logSum) * share }
            gradient.values[base + Int(target)] -= share
        }
        return LossValue(value: total / Double(counted.count), gradient: gradient)
    }

    /// Causal-LM cross-entropy: within each of `sequences` equal-length sequences laid out as rows, row t predicts
    /// labels[t + 1]; the last row of each sequence predicts nothing. `labels` are the inputs, with ignoreIndex where
    /// a token must not be predicted (Hugging Face's shift, as `LlamaForCausalLM` computes its loss).
    public func causalLM<T>(logits: Matrix<T>, labels: [Int32], sequences: Int) throws -> LossValue<T> {
        guard sequences > 0, labels.count == logits.rows, logits.rows % sequences == 0 else {
            throw TrainingError("\(labels.count) labels and \(logits.rows) rows do not split into \(sequences) sequences")
        }
        let length = logits.rows / sequences
        let targets = labels.indices.map { r in (r + 1) % length == 0 ? ignoreIndex : labels[r + 1] }
        return try self(logits: logits, targets: targets)
    }
}
