/// Stochastic gradient descent with momentum, as `torch.optim.SGD` computes it (dampening 0):
/// g ← g + λp; b ← g on the first step, else μb + g; p ← p − lr · (nesterov ? g + μb : b).
public struct SGD<Scalar: TrainScalar>: Optimizer {
    public var momentum: Double
    public var weightDecay: Double
    public var nesterov: Bool
    public private(set) var step = 0
    private var buffers: [String: [Scalar]] = [:]

    public init(momentum: Double = 0.9, weightDecay: Double = 0, nesterov: Bool = false) {
        self.momentum = momentum
        self.weightDecay = weightDecay
        self.nesterov = nesterov
    }

    public mutating func update(_ parameters: inout ParameterSet<Scalar>, gradients: Gradients<Scalar>, learningRate: Double) throws {
        step += 1
        let mu = Scalar(momentum), decay = Scalar(weightDecay), lr = Scalar(learningRate)
        try parameters.update { name, p in
            guard let gradient = gradients.parameters[name] else { return }
            guard gradient.count == p.count else { throw TrainingError("gradient of '\(name)' has \(gradient.count) values for \(p.count)") }
            var g = gradient
            if decay != 0 { for i in g.indices { g[i] += decay * p[i] } }
            if mu != 0 {
                var b = buffers[name] ?? g
                if buffers[name] != nil { for i in b.indices { b[i] = mu * b[i] + g[i] } }
                buffers[name] = b
                if nesterov { for i in g.indices { g[i] += mu * b[i] } } else { g = b }
            }
            for i in p.indices { p[i] -= lr * g[i] }
        }
    }
}
