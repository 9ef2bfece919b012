import PithTensor

/// GPTQ: quantizes columns one at a time, spreading each one's error over the columns not yet quantized through the
/// inverse Hessian of the layer's input (H = 2XᵀX/n). Needs calibration.
public struct GPTQPass: QuantizingPass {
    public struct Parameters: PassParameters {
        public var bits = 4
        public var groupSize = 128
        public var symmetric = false
        /// Group scales (and minimums) as 6-bit codes within super-blocks with an f16 scale (K-quant style).
        public var doubleQuantization = false
        /// λ added to H's diagonal, as a fraction of its mean.
        public var dampening = 0.01
        /// Columns in order of decreasing H diagonal.
        public var actOrder = true
        public var blockSize = 128
        /// Group scales from the unmodified weights, before any column is quantized.
        public var staticGroups = true
        /// For linears with a bias: fit the centred inputs and let the bias absorb the mean output error.
        public var biasCorrection = true
        /// Fit each layer to the float model's outputs rather than to its own on the quantized inputs (GPTAQ's
        /// asymmetric calibration; the calibration then also runs the float model). Implies `true_sequential`.
        public var floatTargets = false
        /// Capture each linear's input after the linears before it in the block are quantized.
        public var trueSequential = false
        /// Search each static group's clipping range (least diag(H)-weighted error).
        public var clip = false
        public init() {}
        enum CodingKeys: String, CodingKey {
            case bits, symmetric, dampening, clip
            case groupSize = "group_size", actOrder = "act_order", blockSize = "block_size", staticGroups = "static_groups", doubleQuantization = "double_quantization"
            case biasCorrection = "bias_correction", floatTargets = "float_targets", trueSequential = "true_sequential"
        }
    }

    public static let name = "gptq"
    public static let needsCalibration = true
    public let parameters: Parameters
    public var needsReferenceInputs: Bool { parameters.floatTargets }
    /// Float targets need it: fitted to block-start inputs, o/up/down would correct a drift that q/k/v's own
    /// rounding then changes (all-MiniLM-L6-v2 4-bit g64: cosine 0.981 in block mode against 0.989 plain).
    public var capturesSequentially: Bool { parameters.trueSequential || parameters.floatTargets }

    public init(parameters: Parameters) throws {
        try IntegerGrid.validate(bits: parameters.bits, groupSize: parameters.groupSize)
        guard parameters.dampening >= 0, parameters.dampening < 1 else {
            throw RecipeError("dampening must be in [0, 1), is \(parameters.dampening)")
        }
        guard parameters.blockSize > 0 else { throw RecipeError("block_size must be positive, is \(parameters.blockSize)") }
        self.parameters = parameters
    }

    public var requestedScheme: QuantScheme {
        QuantScheme(bits: parameters.bits, groupSize: parameters.groupSize, symmetric: parameters.symmetric,
                    doubleQuantization: parameters.doubleQuantization)
    }

    public func apply(to layer: LinearLayer) throws -> LayerResult {
        let (scheme, note) = try scheme(cols: layer.cols)
        guard let statistics = layer.statistics else { throw RecipeError("gptq: layer '\(layer.name)' has no calibration statistics") }
        var options = GPTQOptions()
        options.dampening = parameters.dampening
        options.blockSize = parameters.blockSize
        options.actOrder = parameters.actOrder
        options.staticGroups = parameters.staticGroups
        options.centered = parameters.biasCorrection && layer.bias != nil
        options.floatTargets = parameters.floatTargets
        options.clipSearch = parameters.clip
        let (matrix, loss) = try GPTQ.quantize(layer.weights, rows: layer.rows, cols: layer.cols, scheme: scheme,
                                               statistics: statistics, options: options, mask: layer.mask)
        var result = LayerResult(matrix: matrix, loss: loss, notes: note.map { [$0] } ?? [])
        if options.centered, let bias = layer.bias {
            result.bias = GPTQObjective.correctedBias(bias, weight: layer.weights, quantized: matrix.dequantize(), rows: layer.rows,
                                                      cols: layer.cols, statistics: statistics)
            result.notes.append("bias corrected")
        }
        return result
    }
}
