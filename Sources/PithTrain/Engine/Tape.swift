/// The record of one forward pass: every activation by name, kept for the backward pass.
public final class Tape<T: TrainScalar>: @unchecked Sendable {
    /// Activations (operator outputs and float graph inputs) by variable name.
    public internal(set) var activations: [String: Matrix<T>]
    let batch: TrainingBatch<T>

    init(batch: TrainingBatch<T>) {
        self.batch = batch
        activations = batch.floats
    }

    /// A graph output (or any activation) by name.
    public func output(_ name: String) -> Matrix<T>? { activations[name] }
}

/// Gradients accumulated during one backward pass: activations (freed as the walk passes them) and parameters.
final class GradientAccumulator<T: TrainScalar> {
    var activations: [String: [T]] = [:]
    var parameters: [String: [T]] = [:]

    /// Adds into the named buffer, creating `count` zeros first when it has none yet.
    func accumulate(_ name: String, isParameter: Bool, count: Int, _ body: (inout [T]) throws -> Void) rethrows {
        if isParameter {
            var g = parameters.removeValue(forKey: name) ?? [T](repeating: 0, count: count)
            try body(&g)
            parameters[name] = g
        } else {
            var g = activations.removeValue(forKey: name) ?? [T](repeating: 0, count: count)
            try body(&g)
            activations[name] = g
        }
    }
}

/// What a backward pass returns: the gradient of every trainable parameter that the loss reaches (zeros for those
/// it does not), and of every float graph input.
public struct Gradients<T: TrainScalar>: Sendable {
    /// ∂loss/∂parameter by name, row-major in the parameter's shape.
    public var parameters: [String: [T]]
    /// ∂loss/∂input for each float graph input, (rows, features).
    public var inputs: [String: Matrix<T>]

    public init(parameters: [String: [T]], inputs: [String: Matrix<T>] = [:]) {
        self.parameters = parameters
        self.inputs = inputs
    }
}
