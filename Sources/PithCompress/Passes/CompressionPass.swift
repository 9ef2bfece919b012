import Foundation
import PithTensor

/// A compression method as a pass (STYLE.md, "a compression method is a pass"): its parameters plus what it does to
/// each linear layer it targets, reporting what it changed. Registered by name in `PassRegistry`.
///
/// The driver (`ModelQuantizer`) walks the model block by block; for each targeted linear it hands the pass the
/// current float weights and, when `needsCalibration`, the statistics of the layer's input. A pass that equalises
/// (AWQ, SmoothQuant) first returns per-input-channel scales for the linears sharing one input; the driver folds
/// 1/s into the operator producing that input and multiplies the linears' columns by s.
public protocol CompressionPass: Sendable {
    associatedtype Parameters: PassParameters
    /// The name recipes and `--method` use ("gptq").
    static var name: String { get }
    /// Whether `apply` needs the statistics of each layer's input (a calibration run).
    static var needsCalibration: Bool { get }
    var parameters: Parameters { get }
    /// Throws a one-line reason when the parameters cannot work (bits out of range …).
    init(parameters: Parameters) throws
    /// Rows of input kept with the statistics (AWQ evaluates its loss on them).
    var sampleRowsWanted: Int { get }
    /// Whether it scales input channels before quantizing (then `equalize` gives the scales).
    var equalizes: Bool { get }
    /// Whether its statistics must pair each input row with the float model's (`InputStatistics.crossGram`).
    var needsReferenceInputs: Bool { get }
    /// Whether each linear's input is captured after the linears before it in its block are quantized (else the
    /// whole block's inputs are captured at once, from the block still float).
    var capturesSequentially: Bool { get }
    /// Per-input-channel scales for the linears of `group` (nil: this pass does not equalise).
    func equalize(_ group: EqualizationGroup) throws -> Equalization?
    /// Quantizes (or prunes) one linear layer.
    func apply(to layer: LinearLayer) throws -> LayerResult
}

/// A pass that stores its layers in a quantized scheme (every quantizer; not the pruning passes, whose layers stay
/// dense with exact zeros).
public protocol QuantizingPass: CompressionPass {
    /// The storage scheme it asks for, before fitting to a row length.
    var requestedScheme: QuantScheme { get }
}

extension CompressionPass {
    public var sampleRowsWanted: Int { 0 }
    public var equalizes: Bool { false }
    public var needsReferenceInputs: Bool { false }
    public var capturesSequentially: Bool { false }
    public func equalize(_ group: EqualizationGroup) throws -> Equalization? { nil }
    public var name: String { Self.name }
    public var needsCalibration: Bool { Self.needsCalibration }

    /// The parameters as JSON, for reports and metadata.
    public var parametersJSON: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return (try? encoder.encode(parameters)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

extension QuantizingPass {
    /// The scheme for rows of `cols` values: the requested one, with its group shrunk to the largest multiple of 32
    /// that divides the row when it does not (SmolLM2's rows of 576 take groups of 96 for 128), and a note saying so.
    public func scheme(cols: Int) throws -> (scheme: QuantScheme, note: String?) {
        try requestedScheme.fitted(cols: cols)
    }
}

/// A pass's parameters: `Codable` with snake_case keys, and a default for every key so a recipe gives only what it
/// changes (the recipe's values are merged over `init()`'s, and a key `init()` does not encode is refused).
public protocol PassParameters: Codable, Sendable, Equatable {
    init()
}

/// One linear layer handed to a pass: its weight as floats now, and the statistics of its input.
public struct LinearLayer: Sendable {
    /// The operator ("blk.3.attn_q").
    public var name: String
    /// The weight variable ("blk.3.attn_q.weight").
    public var weightName: String
    /// (rows, cols) = (out_features, in_features).
    public var rows: Int
    public var cols: Int
    /// (rows, cols), row-major.
    public var weights: [Float]
    /// Statistics of the input as the layer will see it (after any equalisation); nil without calibration.
    public var statistics: InputStatistics?
    /// The layer's bias (rows values), when it has one.
    public var bias: [Float]?
    /// The weights pruned before (a model from `pith prune`): a quantizer keeps them exactly 0.
    public var mask: PruneMask?

    public init(name: String, weightName: String, rows: Int, cols: Int, weights: [Float], statistics: InputStatistics?,
                bias: [Float]? = nil, mask: PruneMask? = nil) {
        self.mask = mask
        self.name = name
        self.weightName = weightName
        self.rows = rows
        self.cols = cols
        self.weights = weights
        self.statistics = statistics
        self.bias = bias
    }
}

/// What a pass made of one layer.
public struct LayerResult: Sendable {
    /// The layer's new weight: quantized codes, or dense f32 values (a pruned layer: exact zeros where pruned).
    public enum Output: Sendable {
        case quantized(QuantizedMatrix)
        case dense([Float])
    }

    public var output: Output
    /// The weights the pass pruned (set to 0), when it prunes.
    public var mask: PruneMask?
    /// The pass's own loss (GPTQ's ½Σ err²/d², AWQ's search loss …), when it has one.
    public var loss: Double?
    public var notes: [String]
    /// A new bias for the layer (rows values), when the pass corrected it.
    public var bias: [Float]?

    public init(matrix: QuantizedMatrix, mask: PruneMask? = nil, loss: Double? = nil, notes: [String] = [], bias: [Float]? = nil) {
        self.output = .quantized(matrix)
        self.mask = mask
        self.loss = loss
        self.notes = notes
        self.bias = bias
    }

    /// A dense result: `weights` (rows·cols f32) stored as they are.
    public init(dense weights: [Float], mask: PruneMask? = nil, loss: Double? = nil, notes: [String] = []) {
        self.output = .dense(weights)
        self.mask = mask
        self.loss = loss
        self.notes = notes
    }

    /// The quantized matrix, when the output is quantized.
    public var matrix: QuantizedMatrix? {
        if case .quantized(let m) = output { return m }
        return nil
    }
}

/// The linears that read one input and are quantized by one pass, for equalisation.
public struct EqualizationGroup: Sendable {
    /// The input activation.
    public var input: String
    public var layers: [LinearLayer]
    /// Statistics of the input before scaling.
    public var statistics: InputStatistics
}

/// Per-input-channel scales s (the input becomes X/s, each weight W·diag(s)).
public struct Equalization: Sendable {
    public var scales: [Float]
    public var alpha: Double?
    public var loss: Double?
    public init(scales: [Float], alpha: Double? = nil, loss: Double? = nil) {
        self.scales = scales
        self.alpha = alpha
        self.loss = loss
    }
}

extension QuantScheme {
    /// This scheme for rows of `cols` values: unchanged when it fits, else with the largest group (a multiple of 32
    /// not above the requested one) that divides the row; throws when no group fits.
    public func fitted(cols: Int) throws -> (scheme: QuantScheme, note: String?) {
        guard let why = problem(cols: cols) else { return (self, nil) }
        if format == .int || format == .fp8, groupSize > 0, cols % 32 == 0 {
            for g in stride(from: min(groupSize, cols) / 32 * 32, through: 32, by: -32) where cols % g == 0 {
                var fitted = self
                fitted.groupSize = g
                if fitted.problem(cols: cols) == nil {
                    return (fitted, "group size \(groupSize) does not divide rows of \(cols); used \(g)")
                }
            }
        }
        throw RecipeError("\(self) cannot store rows of \(cols) values: \(why)")
    }
}
