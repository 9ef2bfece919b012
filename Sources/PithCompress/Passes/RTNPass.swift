import PithTensor

/// Round-to-nearest onto an integer grid per group: no calibration. With 4 bits, groups of 32 and asymmetric scales
/// it is exactly ggml's Q4_1 (a Q4_1 model comes back bit for bit).
public struct RTNPass: QuantizingPass {
    public struct Parameters: PassParameters {
        public var bits = 4
        public var groupSize = 32
        public var symmetric = false
        /// Group scales (and minimums) as 6-bit codes within super-blocks with an f16 scale (K-quant style).
        public var doubleQuantization = false
        /// Search a clipping range per group that lowers the error (RTN's `clipSearch`).
        public var clip = false
        public init() {}
        enum CodingKeys: String, CodingKey {
            case bits, symmetric, clip, groupSize = "group_size", doubleQuantization = "double_quantization"
        }
    }

    public static let name = "rtn"
    public static let needsCalibration = false
    public let parameters: Parameters

    public init(parameters: Parameters) throws {
        try IntegerGrid.validate(bits: parameters.bits, groupSize: parameters.groupSize)
        self.parameters = parameters
    }

    public var requestedScheme: QuantScheme {
        QuantScheme(bits: parameters.bits, groupSize: parameters.groupSize, symmetric: parameters.symmetric,
                    doubleQuantization: parameters.doubleQuantization)
    }

    public func apply(to layer: LinearLayer) throws -> LayerResult {
        let (scheme, note) = try scheme(cols: layer.cols)
        let matrix = try RTN.quantize(layer.weights, rows: layer.rows, cols: layer.cols, scheme: scheme,
                                      clipSearch: parameters.clip, importance: nil, keepZeros: layer.mask != nil)
        return LayerResult(matrix: matrix, notes: note.map { [$0] } ?? [])
    }
}

/// Checks shared by the integer passes.
enum IntegerGrid {
    static func validate(bits: Int, groupSize: Int) throws {
        guard (2...8).contains(bits) else { throw RecipeError("bits must be 2…8, is \(bits)") }
        guard groupSize == 0 || (groupSize > 0 && groupSize % 32 == 0) else {
            throw RecipeError("group_size must be 0 (per row) or a positive multiple of 32, is \(groupSize)")
        }
    }
}
