/// Updates trainable parameters from their gradients, one step at a time; state (moments, momentum) lives inside.
public protocol Optimizer {
    associatedtype Scalar: TrainScalar
    /// Steps taken so far.
    var step: Int { get }
    /// One update of every trainable parameter with a gradient, at learning rate `learningRate`.
    mutating func update(_ parameters: inout ParameterSet<Scalar>, gradients: Gradients<Scalar>, learningRate: Double) throws
}
