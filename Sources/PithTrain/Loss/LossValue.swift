/// A loss and its gradient with respect to the matrix it was computed from.
public struct LossValue<T: TrainScalar>: Sendable {
    /// The loss, accumulated in f64.
    public var value: Double
    /// ∂loss/∂input, the input's shape.
    public var gradient: Matrix<T>

    public init(value: Double, gradient: Matrix<T>) {
        self.value = value
        self.gradient = gradient
    }
}
