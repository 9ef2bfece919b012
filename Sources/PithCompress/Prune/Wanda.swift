/// Wanda, "pruning by Weights and activations" (Sun, Liu, Bair & Kolter 2023, "A Simple and Effective Pruning
/// Approach for Large Language Models").
///
/// §3: the score of weight W_ij is |W_ij| · ‖X_j‖₂, the magnitude times the ℓ2 norm of its input feature over all
/// calibration tokens, and weights are compared within each output row (the paper's "per output" comparison group,
/// better than per layer for LLMs, §5). No weight update. N:M compares within each group of M consecutive weights.
public enum Wanda {
    /// The pruned weights (rows, cols) and the mask, from the input's statistics (‖X_j‖₂² is the Gram diagonal).
    public static func prune(_ weight: [Float], rows: Int, cols: Int, statistics: InputStatistics,
                             target: SparsityTarget) throws -> (weights: [Float], mask: PruneMask) {
        try PruneInput.validate(weight, rows: rows, cols: cols, target: target)
        try QuantizationInput.validate(statistics, cols: cols, needsGram: true)
        let norms = (0..<cols).map { Float(statistics.gram[$0 * cols + $0].squareRoot()) }  // ‖X_j‖₂
        var scores = [Float](repeating: 0, count: rows * cols)
        for r in 0..<rows {
            for j in 0..<cols { scores[r * cols + j] = abs(weight[r * cols + j]) * norms[j] }
        }
        let mask = PruneMask.lowest(scores, rows: rows, cols: cols, target: target, perRow: true)
        var pruned = weight
        mask.apply(to: &pruned)
        return (pruned, mask)
    }
}
