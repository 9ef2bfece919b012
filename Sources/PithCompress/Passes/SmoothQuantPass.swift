import PithTensor

/// SmoothQuant W8A8: migrates activation outliers into the weights with s_j = max|X_j|^α / max|W_j|^(1−α) (folded into
/// the input's producer), then int8 weights per output channel; activations are quantized per token at run time.
public struct SmoothQuantPass: QuantizingPass {
    public struct Parameters: PassParameters {
        /// Migration strength: 0 leaves activations alone, 1 moves all of their range into the weights.
        public var alpha = 0.5
        public init() {}
    }

    public static let name = "smoothquant"
    public static let needsCalibration = true
    public let parameters: Parameters

    public init(parameters: Parameters) throws {
        guard parameters.alpha >= 0, parameters.alpha <= 1 else { throw RecipeError("alpha must be in [0, 1], is \(parameters.alpha)") }
        self.parameters = parameters
    }

    public var requestedScheme: QuantScheme { .w8a8 }

    public var equalizes: Bool { true }

    public func equalize(_ group: EqualizationGroup) throws -> Equalization? {
        guard let cols = group.layers.first?.cols else { return nil }
        let scales = SmoothQuant.scales(activationAbsMax: group.statistics.absMax, weights: group.layers.map(\.weights),
                                        rows: group.layers.map(\.rows), cols: cols, alpha: parameters.alpha)
        return Equalization(scales: scales, alpha: parameters.alpha)
    }

    public func apply(to layer: LinearLayer) throws -> LayerResult {
        let (scheme, note) = try scheme(cols: layer.cols)
        let matrix = try FloatQuantizer.quantize(layer.weights, rows: layer.rows, cols: layer.cols, scheme: scheme)
        return LayerResult(matrix: matrix, notes: note.map { [$0] } ?? [])
    }
}
