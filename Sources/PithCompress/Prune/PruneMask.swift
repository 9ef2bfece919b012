/// Which weights of a (rows, cols) layer are pruned: `true` marks a weight set to zero.
///
/// Every method scores the weights (magnitude |W|, Wanda's |W|·‖X_j‖₂, SparseGPT's w²/[H⁻¹]²_jj) and prunes the
/// lowest scores within a comparison group: a whole layer, a row, or an N:M group of consecutive weights. Ties are
/// broken towards the lower column (a stable ascending sort, as the references' `torch.sort(stable=True)`).
public struct PruneMask: Sendable, Equatable {
    public let rows: Int
    public let cols: Int
    /// rows·cols flags, row-major; true = pruned.
    public var pruned: [Bool]

    public init(rows: Int, cols: Int, pruned: [Bool]) {
        self.rows = rows
        self.cols = cols
        self.pruned = pruned
    }

    /// The exact zeros of `weights`: the mask of a model pruned before (a pruned layer's weights are stored as 0).
    public init(zerosOf weights: [Float], rows: Int, cols: Int) {
        self.init(rows: rows, cols: cols, pruned: weights.map { $0 == 0 })
    }

    /// The fraction of weights pruned.
    public var sparsity: Double {
        pruned.isEmpty ? 0 : Double(pruned.lazy.filter { $0 }.count) / Double(pruned.count)
    }

    /// Sets the pruned weights of `weights` (rows·cols) to zero.
    public func apply(to weights: inout [Float]) {
        for i in weights.indices where pruned[i] { weights[i] = 0 }
    }

    // MARK: - Choosing the lowest scores

    /// Prunes the lowest scores per `target`: N:M groups along each row, or ⌊cols·s⌋ per row (`perRow`), or
    /// ⌊rows·cols·s⌋ over the whole layer.
    public static func lowest(_ scores: [Float], rows: Int, cols: Int, target: SparsityTarget, perRow: Bool) -> PruneMask {
        var mask = PruneMask(rows: rows, cols: cols, pruned: [Bool](repeating: false, count: rows * cols))
        switch target.pattern {
        case .nOfM(let n, let m):
            for r in 0..<rows {
                for start in stride(from: r * cols, to: (r + 1) * cols, by: m) {
                    mask.pruneLowest(scores, indices: Array(start..<(start + m)), count: m - n)
                }
            }
        case .unstructured(let s):
            if perRow {
                let k = target.prunedPerRow(cols: cols)
                for r in 0..<rows { mask.pruneLowest(scores, indices: Array((r * cols)..<((r + 1) * cols)), count: k) }
            } else {
                let k = Int((Double(rows * cols) * s).rounded(.down))
                mask.pruneLowest(scores, indices: Array(0..<(rows * cols)), count: k)
            }
        }
        return mask
    }

    /// Marks the `count` entries of `indices` with the lowest scores (stable: equal scores go in index order).
    mutating func pruneLowest(_ scores: [Float], indices: [Int], count: Int) {
        guard count > 0 else { return }
        let order = indices.sorted { scores[$0] != scores[$1] ? scores[$0] < scores[$1] : $0 < $1 }
        for i in order.prefix(count) { pruned[i] = true }
    }

    // MARK: - Checks

    /// Whether every group of `m` consecutive weights of each row keeps at most `n` non-zero weights of `weights`.
    public static func satisfies(_ weights: [Float], rows: Int, cols: Int, n: Int, m: Int) -> Bool {
        guard m > 0, cols % m == 0, weights.count == rows * cols else { return false }
        return stride(from: 0, to: rows * cols, by: m).allSatisfy { start in
            weights[start..<(start + m)].lazy.filter { $0 != 0 }.count <= n
        }
    }
}
