/// Wanda as a pass: |W_ij|·‖X_j‖₂ compared within each output row (or N:M group), no weight update; needs the
/// calibration inputs' norms.
public struct WandaPass: PruningPass {
    public struct Parameters: PassParameters {
        /// The fraction of weights pruned per row, in [0, 1); an N:M pattern sets it to 1 − N/M.
        public var sparsity = 0.5
        /// "unstructured", or "N:M" ("2:4", "4:8").
        public var pattern = "unstructured"
        public init() {}
    }

    public static let name = "wanda"
    public static let needsCalibration = true
    public let parameters: Parameters
    public let target: SparsityTarget

    public init(parameters: Parameters) throws {
        target = try SparsityTarget(sparsity: parameters.sparsity, pattern: parameters.pattern)
        self.parameters = parameters
    }

    public func apply(to layer: LinearLayer) throws -> LayerResult {
        try target.validate(cols: layer.cols)
        guard let statistics = layer.statistics else { throw RecipeError("wanda: layer '\(layer.name)' has no calibration statistics") }
        let (weights, mask) = try Wanda.prune(layer.weights, rows: layer.rows, cols: layer.cols, statistics: statistics, target: target)
        return LayerResult(dense: weights, mask: mask)
    }
}
