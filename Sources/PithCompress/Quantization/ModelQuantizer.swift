import Foundation
import PithGraph
import PithModels
import PithRuntime
import PithTensor

/// How a quantization run gets its calibration data and reports progress.
public struct QuantizationOptions: Sendable {
    /// Samples to run through the model; needed when a pass needs calibration.
    public var calibration: CalibrationSet?
    /// Rows (samples × tokens) one executor call takes.
    public var rowsPerCall = 4096
    /// One line per layer as it finishes (layer, method, loss/error, seconds), and per block.
    public var progress: (@Sendable (String) -> Void)?

    public init(calibration: CalibrationSet? = nil, rowsPerCall: Int = 4096, progress: (@Sendable (String) -> Void)? = nil) {
        self.calibration = calibration
        self.rowsPerCall = rowsPerCall
        self.progress = progress
    }
}

/// Applies a recipe to a model: every linear (and every other weight a stage names) goes through its stage's pass.
///
/// With a pass that needs calibration the model is walked block by block (GPTQ's sequential order): the block runs on
/// every sample capturing the inputs of its target linears, its linears are equalised and quantized, and the
/// QUANTIZED block then runs to make the next block's inputs. Memory: one block's activations for all samples plus
/// the statistics of its inputs. A tied output head (its weight is the embedding table) is quantized with the
/// statistics of the final norm's output, and the embedding table with it.
public enum ModelQuantizer {
    /// Throws what `quantize` would throw before its first layer (unknown targets, a pattern a layer cannot take),
    /// without the calibration run: a command checks this before it reads its calibration text.
    public static func check(_ model: Model, recipe: Recipe, registry: PassRegistry = .standard) throws {
        _ = try QuantizationRun(model: model, stages: try recipe.resolve(registry: registry), options: QuantizationOptions())
    }

    /// The quantized model (its metadata carries the report under `QuantizationReport.metadataKey`) and the report.
    public static func quantize(_ model: Model, recipe: Recipe, options: QuantizationOptions = QuantizationOptions(),
                                registry: PassRegistry = .standard) throws -> (model: Model, report: QuantizationReport) {
        let start = ContinuousClock.now
        var run = try QuantizationRun(model: model, stages: try recipe.resolve(registry: registry), options: options)
        try run.execute()
        return try run.finish(recipe: recipe, seconds: (ContinuousClock.now - start).seconds)
    }
}
