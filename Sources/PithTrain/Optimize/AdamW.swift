import Foundation

/// Adam with decoupled weight decay (Loshchilov & Hutter), as `torch.optim.AdamW` computes it:
/// p ← p·(1 − lr·λ); m ← β₁m + (1−β₁)g; v ← β₂v + (1−β₂)g²; p ← p − (lr/(1−β₁ᵗ)) · m / (√v/√(1−β₂ᵗ) + ε).
public struct AdamW<Scalar: TrainScalar>: Optimizer {
    public var beta1: Double
    public var beta2: Double
    public var epsilon: Double
    public var weightDecay: Double
    /// Whether a parameter (by name) is decayed; every one is by default, as in torch's single parameter group.
    public var decays: @Sendable (String) -> Bool
    public private(set) var step = 0
    private var firstMoments: [String: [Scalar]] = [:]
    private var secondMoments: [String: [Scalar]] = [:]

    public init(beta1: Double = 0.9, beta2: Double = 0.999, epsilon: Double = 1e-8, weightDecay: Double = 0.01,
                decays: @escaping @Sendable (String) -> Bool = { _ in true }) {
        self.beta1 = beta1
        self.beta2 = beta2
        self.epsilon = epsilon
        self.weightDecay = weightDecay
        self.decays = decays
    }

    public mutating func update(_ parameters: inout ParameterSet<Scalar>, gradients: Gradients<Scalar>, learningRate: Double) throws {
        step += 1
        // 1 − β in f64 first: 1 − Float(0.999) is 0.0010000467, 5e-5 away from torch's (1 − β₂) = 0.001.
        let b1 = Scalar(beta1), b2 = Scalar(beta2), c1 = Scalar(1 - beta1), c2 = Scalar(1 - beta2)
        let eps = Scalar(epsilon)
        let stepSize = Scalar(learningRate / (1 - pow(beta1, Double(step))))
        let correction2 = Scalar((1 - pow(beta2, Double(step))).squareRoot())
        try parameters.update { name, p in
            guard let g = gradients.parameters[name] else { return }
            guard g.count == p.count else { throw TrainingError("gradient of '\(name)' has \(g.count) values for \(p.count)") }
            var m = firstMoments[name] ?? [Scalar](repeating: 0, count: p.count)
            var v = secondMoments[name] ?? [Scalar](repeating: 0, count: p.count)
            let decay = decays(name) ? Scalar(1 - learningRate * weightDecay) : 1
            for i in p.indices {
                p[i] *= decay
                m[i] = b1 * m[i] + c1 * g[i]
                v[i] = b2 * v[i] + c2 * g[i] * g[i]
                p[i] -= stepSize * m[i] / (v[i].squareRoot() / correction2 + eps)
            }
            firstMoments[name] = m
            secondMoments[name] = v
        }
    }
}
