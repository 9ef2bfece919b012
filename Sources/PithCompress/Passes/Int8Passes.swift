import PithTensor

// MARK: - int8 weights and int8 activations without calibration

/// Plain W8A8: int8 weights per output row (d = absmax/127), activations quantized to int8 per token at run time;
/// no smoothing, so it is SmoothQuant's baseline (SmoothQuant with α = 0 still rescales columns by 1/max|W_j|).
public struct W8A8Pass: QuantizingPass {
    public struct Parameters: PassParameters {
        public init() {}
    }

    public static let name = "w8a8"
    public static let needsCalibration = false
    public let parameters: Parameters

    public init(parameters: Parameters) throws { self.parameters = parameters }

    public var requestedScheme: QuantScheme { .w8a8 }

    public func apply(to layer: LinearLayer) throws -> LayerResult { try Int8Weights.apply(self, layer) }
}

/// LLM.int8() (Dettmers et al. 2022): W8A8's weights, and at run time a mixed-precision decomposition — the input
/// columns where some token's |x| exceeds `threshold` are multiplied in f32 against the dequantized weight columns,
/// the rest int8 × int8 with the token's scale taken over them alone. Needs no calibration: the outliers are found
/// per matmul call, over the call's tokens.
public struct LLMInt8Pass: QuantizingPass {
    public struct Parameters: PassParameters {
        /// |x| above which an input column is an outlier; the paper's 6.
        public var threshold = 6.0
        public init() {}
    }

    public static let name = "llm_int8"
    public static let needsCalibration = false
    public let parameters: Parameters

    public init(parameters: Parameters) throws {
        guard parameters.threshold.isFinite, parameters.threshold > 0, parameters.threshold <= Double(Float.greatestFiniteMagnitude) else {
            throw RecipeError("threshold must be a positive finite number, is \(parameters.threshold)")
        }
        self.parameters = parameters
    }

    public var requestedScheme: QuantScheme { .llmInt8(threshold: parameters.threshold) }

    public func apply(to layer: LinearLayer) throws -> LayerResult { try Int8Weights.apply(self, layer) }
}

enum Int8Weights {
    static func apply(_ pass: some QuantizingPass, _ layer: LinearLayer) throws -> LayerResult {
        let (scheme, note) = try pass.scheme(cols: layer.cols)
        let matrix = try FloatQuantizer.quantize(layer.weights, rows: layer.rows, cols: layer.cols, scheme: scheme)
        return LayerResult(matrix: matrix, notes: note.map { [$0] } ?? [])
    }
}
