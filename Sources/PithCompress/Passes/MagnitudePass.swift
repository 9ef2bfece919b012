/// Magnitude pruning as a pass: the smallest |w| of each layer (or row, or N:M group) set to 0; no calibration.
public struct MagnitudePass: PruningPass {
    public struct Parameters: PassParameters {
        /// The fraction of weights pruned, in [0, 1); an N:M pattern sets it to 1 − N/M.
        public var sparsity = 0.5
        /// "unstructured", or "N:M" (at most N non-zero weights in every M consecutive ones of a row: "2:4", "4:8").
        public var pattern = "unstructured"
        /// Where magnitudes are compared without a pattern: "layer" (the papers' baseline) or "row".
        public var scope = Magnitude.Scope.layer
        public init() {}
    }

    public static let name = "magnitude"
    public static let needsCalibration = false
    public let parameters: Parameters
    public let target: SparsityTarget

    public init(parameters: Parameters) throws {
        target = try SparsityTarget(sparsity: parameters.sparsity, pattern: parameters.pattern)
        self.parameters = parameters
    }

    public func apply(to layer: LinearLayer) throws -> LayerResult {
        try target.validate(cols: layer.cols)
        let (weights, mask) = try Magnitude.prune(layer.weights, rows: layer.rows, cols: layer.cols, target: target,
                                                  scope: parameters.scope)
        return LayerResult(dense: weights, mask: mask)
    }
}
