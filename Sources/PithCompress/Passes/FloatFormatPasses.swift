import PithTensor

// MARK: - Float code books: no calibration, one scheme each

/// NF4 (QLoRA): 4-bit NormalFloat codes over blocks of consecutive values with an absmax each.
public struct NF4Pass: QuantizingPass {
    public struct Parameters: PassParameters {
        public var blockSize = 64
        /// Quantize the block absmax values themselves to 8 bits (QLoRA's double quantization).
        public var doubleQuantization = true
        public init() {}
        enum CodingKeys: String, CodingKey { case blockSize = "block_size", doubleQuantization = "double_quantization" }
    }

    public static let name = "nf4"
    public static let needsCalibration = false
    public let parameters: Parameters

    public init(parameters: Parameters) throws {
        try FloatGrid.validate(blockSize: parameters.blockSize)
        self.parameters = parameters
    }

    public var requestedScheme: QuantScheme { .nf4(blockSize: parameters.blockSize, doubleQuantization: parameters.doubleQuantization) }
    public func apply(to layer: LinearLayer) throws -> LayerResult { try FloatGrid.apply(self, layer) }
}

/// FP4 E2M1 codes over blocks with an absmax each (the same layout as NF4, another code book).
public struct FP4Pass: QuantizingPass {
    public typealias Parameters = NF4Pass.Parameters
    public static let name = "fp4"
    public static let needsCalibration = false
    public let parameters: Parameters

    public init(parameters: Parameters) throws {
        try FloatGrid.validate(blockSize: parameters.blockSize)
        self.parameters = parameters
    }

    public var requestedScheme: QuantScheme { .fp4(blockSize: parameters.blockSize, doubleQuantization: parameters.doubleQuantization) }
    public func apply(to layer: LinearLayer) throws -> LayerResult { try FloatGrid.apply(self, layer) }
}

/// FP8 E4M3 weights with one f32 scale per output row (group_size 0) or per group.
public struct FP8Pass: QuantizingPass {
    public struct Parameters: PassParameters {
        public var groupSize = 0
        public init() {}
        enum CodingKeys: String, CodingKey { case groupSize = "group_size" }
    }

    public static let name = "fp8"
    public static let needsCalibration = false
    public let parameters: Parameters

    public init(parameters: Parameters) throws {
        guard parameters.groupSize == 0 || (parameters.groupSize > 0 && parameters.groupSize % 32 == 0) else {
            throw RecipeError("group_size must be 0 (per row) or a positive multiple of 32, is \(parameters.groupSize)")
        }
        self.parameters = parameters
    }

    public var requestedScheme: QuantScheme {
        var s = QuantScheme.fp8
        s.groupSize = parameters.groupSize
        return s
    }

    public func apply(to layer: LinearLayer) throws -> LayerResult { try FloatGrid.apply(self, layer) }
}

enum FloatGrid {
    static func validate(blockSize: Int) throws {
        guard blockSize > 0, blockSize % 32 == 0 else { throw RecipeError("block_size must be a positive multiple of 32, is \(blockSize)") }
    }

    static func apply(_ pass: some QuantizingPass, _ layer: LinearLayer) throws -> LayerResult {
        let (scheme, note) = try pass.scheme(cols: layer.cols)
        let matrix = try FloatQuantizer.quantize(layer.weights, rows: layer.rows, cols: layer.cols, scheme: scheme)
        return LayerResult(matrix: matrix, notes: note.map { [$0] } ?? [])
    }
}
