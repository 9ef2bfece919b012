/// Gradient clipping by global norm, as `torch.nn.utils.clip_grad_norm_`: when ‖g‖₂ over every parameter exceeds
/// maxNorm, every gradient is scaled by maxNorm / (‖g‖₂ + 1e-6).
public struct GradientClipping: Sendable, Equatable {
    public var maxNorm: Double

    public init(maxNorm: Double) {
        self.maxNorm = maxNorm
    }

    /// The global L2 norm of all parameter gradients, accumulated in f64.
    public static func globalNorm<T>(_ gradients: Gradients<T>) -> Double {
        var sum: Double = 0
        for g in gradients.parameters.values { for x in g { sum += Double(x) * Double(x) } }
        return sum.squareRoot()
    }

    /// Clips in place; returns the norm before clipping.
    @discardableResult
    public func clip<T>(_ gradients: inout Gradients<T>) -> Double {
        let norm = Self.globalNorm(gradients)
        let scale = maxNorm / (norm + 1e-6)
        guard scale < 1 else { return norm }
        for name in Array(gradients.parameters.keys) {
            gradients.parameters[name] = gradients.parameters[name]?.map { $0 * T(scale) }
        }
        return norm
    }
}
