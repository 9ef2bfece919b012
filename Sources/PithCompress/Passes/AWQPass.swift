import PithTensor

/// AWQ: per-input-channel scales from the activations' magnitude, searched to minimise the output error of the
/// linears sharing the input, folded into the input's producer; then (clipped) round-to-nearest. Needs calibration.
public struct AWQPass: QuantizingPass {
    public struct Parameters: PassParameters {
        public var bits = 4
        public var groupSize = 128
        public var symmetric = false
        /// Group scales (and minimums) as 6-bit codes within super-blocks with an f16 scale (K-quant style).
        public var doubleQuantization = false
        /// Search a clipping range per group against the input statistics.
        public var clip = true
        /// Points of the α grid in [0, 1).
        public var grid = 20
        /// Input rows kept for the search loss (used when the statistics carry no Gram matrix).
        public var maxSampleRows = 512
        public init() {}
        enum CodingKeys: String, CodingKey {
            case bits, symmetric, clip, grid
            case groupSize = "group_size", maxSampleRows = "max_sample_rows", doubleQuantization = "double_quantization"
        }
    }

    public static let name = "awq"
    public static let needsCalibration = true
    public let parameters: Parameters

    public init(parameters: Parameters) throws {
        try IntegerGrid.validate(bits: parameters.bits, groupSize: parameters.groupSize)
        guard parameters.grid >= 1 else { throw RecipeError("grid must be at least 1, is \(parameters.grid)") }
        guard parameters.maxSampleRows >= 1 else {
            throw RecipeError("max_sample_rows must be at least 1, is \(parameters.maxSampleRows)")
        }
        self.parameters = parameters
    }

    public var requestedScheme: QuantScheme {
        QuantScheme(bits: parameters.bits, groupSize: parameters.groupSize, symmetric: parameters.symmetric,
                    doubleQuantization: parameters.doubleQuantization)
    }

    public var sampleRowsWanted: Int { parameters.maxSampleRows }

    public var equalizes: Bool { true }

    public func equalize(_ group: EqualizationGroup) throws -> Equalization? {
        guard let cols = group.layers.first?.cols else { return nil }
        let (scheme, _) = try scheme(cols: cols)
        var options = AWQOptions()
        options.grid = parameters.grid
        options.maxSampleRows = parameters.maxSampleRows
        let found = try AWQ.searchScales(weights: group.layers.map(\.weights), rows: group.layers.map(\.rows), cols: cols,
                                         scheme: scheme, statistics: group.statistics, options: options)
        return Equalization(scales: found.scales, alpha: found.alpha, loss: found.loss)
    }

    public func apply(to layer: LinearLayer) throws -> LayerResult {
        let (scheme, note) = try scheme(cols: layer.cols)
        var weights = layer.weights
        if parameters.clip, let statistics = layer.statistics {
            weights = try AWQ.clip(weights, rows: layer.rows, cols: layer.cols, scheme: scheme, statistics: statistics)
        }
        let matrix = try RTN.quantize(weights, rows: layer.rows, cols: layer.cols, scheme: scheme, clipSearch: false, importance: nil,
                                      keepZeros: layer.mask != nil)
        return LayerResult(matrix: matrix, notes: note.map { [$0] } ?? [])
    }
}
