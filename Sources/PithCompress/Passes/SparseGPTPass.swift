import PithTensor

/// SparseGPT as a pass: OBS-style pruning with the inverse Hessian's Cholesky factor, the mask chosen per block of
/// columns, the error spread over the columns not yet pruned; optionally quantizing the kept weights in the same
/// sweep (`bits` > 0). Needs calibration.
public struct SparseGPTPass: PruningPass {
    public struct Parameters: PassParameters {
        /// The fraction of weights pruned, in [0, 1); an N:M pattern sets it to 1 − N/M.
        public var sparsity = 0.5
        /// "unstructured", or "N:M" ("2:4", "4:8").
        public var pattern = "unstructured"
        /// λ added to H's diagonal, as a fraction of its mean (the paper's 1%).
        public var dampening = 0.01
        /// Columns per block: the adaptive mask is chosen per block (the paper's Bs = 128).
        public var blockSize = 128
        /// Joint quantization of the kept weights to this many bits (0: prune only, the weights stay f32).
        public var bits = 0
        /// Joint quantization: weights sharing a scale along a row (0: one per row, as the paper).
        public var groupSize = 0
        /// Joint quantization: symmetric scales (else asymmetric with an integer zero point, so 0 is exact).
        public var symmetric = false
        public init() {}
        enum CodingKeys: String, CodingKey {
            case sparsity, pattern, dampening, bits, symmetric
            case blockSize = "block_size", groupSize = "group_size"
        }
    }

    public static let name = "sparsegpt"
    public static let needsCalibration = true
    public let parameters: Parameters
    public let target: SparsityTarget

    public init(parameters: Parameters) throws {
        target = try SparsityTarget(sparsity: parameters.sparsity, pattern: parameters.pattern)
        guard parameters.dampening >= 0, parameters.dampening < 1 else {
            throw RecipeError("dampening must be in [0, 1), is \(parameters.dampening)")
        }
        guard parameters.blockSize > 0 else { throw RecipeError("block_size must be positive, is \(parameters.blockSize)") }
        if case .nOfM(let n, let m) = target.pattern, parameters.blockSize % m != 0 {
            throw RecipeError("block_size \(parameters.blockSize) is not a multiple of \(n):\(m)'s group of \(m)")
        }
        if parameters.bits != 0 { try IntegerGrid.validate(bits: parameters.bits, groupSize: parameters.groupSize) }
        self.parameters = parameters
    }

    /// The joint quantization scheme, when `bits` > 0.
    public var jointScheme: QuantScheme? {
        parameters.bits == 0 ? nil
            : QuantScheme(bits: parameters.bits, groupSize: parameters.groupSize, symmetric: parameters.symmetric)
    }

    public func apply(to layer: LinearLayer) throws -> LayerResult {
        try target.validate(cols: layer.cols)
        guard let statistics = layer.statistics else { throw RecipeError("sparsegpt: layer '\(layer.name)' has no calibration statistics") }
        var notes: [String] = []
        let scheme = try jointScheme.map { requested in
            let (fitted, note) = try requested.fitted(cols: layer.cols)
            if let note { notes.append(note) }
            return fitted
        }
        let result = try SparseGPT.prune(layer.weights, rows: layer.rows, cols: layer.cols, statistics: statistics, target: target,
                                         options: SparseGPT.Options(dampening: parameters.dampening, blockSize: parameters.blockSize,
                                                                    scheme: scheme))
        if let matrix = result.matrix { return LayerResult(matrix: matrix, mask: result.mask, loss: result.loss, notes: notes) }
        return LayerResult(dense: result.weights, mask: result.mask, loss: result.loss, notes: notes)
    }
}
