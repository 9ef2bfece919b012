import Foundation

/// How many weights of a layer to prune, and in what pattern: a fraction of every row (unstructured), or at most N
/// non-zero weights in every M consecutive weights of a row (semi-structured N:M, NVIDIA's 2:4 of Ampere's sparse
/// tensor cores; Mishra et al. 2021).
public struct SparsityTarget: Sendable, Equatable, CustomStringConvertible {
    public enum Pattern: Sendable, Equatable {
        /// A fraction of the weights, chosen freely.
        case unstructured(Double)
        /// At most `n` non-zero weights in each group of `m` consecutive weights along a row.
        case nOfM(n: Int, m: Int)
    }

    public let pattern: Pattern

    /// The fraction of weights pruned: the given sparsity, or 1 − N/M.
    public var sparsity: Double {
        switch pattern {
        case .unstructured(let s): s
        case .nOfM(let n, let m): 1 - Double(n) / Double(m)
        }
    }

    /// A target from a recipe's `sparsity` and `pattern` ("" or "unstructured", "2:4", "4:8" …): throws one line when
    /// it cannot be met (sparsity outside [0, 1) or NaN, N ≥ M, a malformed pattern). An N:M pattern fixes the
    /// sparsity at 1 − N/M: `sparsity` is then not used.
    public init(sparsity: Double, pattern: String) throws {
        guard sparsity.isFinite, sparsity >= 0, sparsity < 1 else {
            throw RecipeError("sparsity must be in [0, 1), is \(sparsity)")
        }
        let text = pattern.trimmingCharacters(in: .whitespaces).lowercased()
        guard !text.isEmpty, text != "unstructured" else {
            self.pattern = .unstructured(sparsity)
            return
        }
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, let n = Int(parts[0]), let m = Int(parts[1]), n >= 1, m >= 1 else {
            throw RecipeError("pattern must be 'unstructured' or N:M with positive integers (2:4, 4:8), is '\(pattern)'")
        }
        guard n < m else { throw RecipeError("pattern \(n):\(m) keeps every weight: N must be below M") }
        self.pattern = .nOfM(n: n, m: m)
    }

    /// An N:M target, or unstructured with `sparsity`.
    public init(pattern: Pattern) { self.pattern = pattern }

    /// Throws unless rows of `cols` weights can take this pattern (M must divide the row).
    public func validate(cols: Int) throws {
        if case .nOfM(let n, let m) = pattern, cols % m != 0 {
            throw RecipeError("pattern \(n):\(m) needs rows whose length is a multiple of \(m); rows here have \(cols)")
        }
    }

    /// Weights pruned in each row of `cols` under the unstructured pattern: ⌊cols·sparsity⌋, as Wanda's reference
    /// takes the first int(cols·s) of each row's sorted scores.
    public func prunedPerRow(cols: Int) -> Int {
        Int((Double(cols) * sparsity).rounded(.down))
    }

    public var description: String {
        switch pattern {
        case .unstructured(let s): String(format: "%.4g%% unstructured", s * 100)
        case .nOfM(let n, let m): "\(n):\(m)"
        }
    }
}
