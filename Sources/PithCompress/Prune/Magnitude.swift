/// Magnitude pruning: the weights of smallest |w| go (Han et al. 2015; the baseline of the SparseGPT and Wanda
/// papers). Needs no calibration.
public enum Magnitude {
    /// Where the smallest magnitudes are compared.
    public enum Scope: String, Codable, Sendable, CaseIterable {
        /// Over the whole layer (the baseline as Wanda's reference runs it: one threshold per weight matrix).
        case layer
        /// Within each output row (Wanda's comparison group, with |W| alone as the score).
        case row
    }

    /// The pruned weights (rows, cols) and the mask: N:M groups, or the lowest |w| per layer or per row.
    public static func prune(_ weight: [Float], rows: Int, cols: Int, target: SparsityTarget, scope: Scope) throws
        -> (weights: [Float], mask: PruneMask) {
        try PruneInput.validate(weight, rows: rows, cols: cols, target: target)
        let scores = weight.map { abs($0) }
        let mask = PruneMask.lowest(scores, rows: rows, cols: cols, target: target, perRow: scope == .row)
        var pruned = weight
        mask.apply(to: &pruned)
        return (pruned, mask)
    }
}

/// Checks shared by the pruning algorithms' entry points.
enum PruneInput {
    static func validate(_ weight: [Float], rows: Int, cols: Int, target: SparsityTarget) throws {
        guard rows > 0, cols > 0 else { throw QuantizationError("weight: shape \(rows)×\(cols) is empty or negative") }
        let (count, overflow) = rows.multipliedReportingOverflow(by: cols)
        guard !overflow, weight.count == count else {
            throw QuantizationError("weight: \(weight.count) values for a \(rows)×\(cols) matrix")
        }
        try target.validate(cols: cols)
        if let bad = weight.firstIndex(where: { !$0.isFinite }) {
            throw QuantizationError("weight: value \(weight[bad]) at row \(bad / cols), column \(bad % cols) is not finite")
        }
    }
}
