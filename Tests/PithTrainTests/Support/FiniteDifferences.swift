@testable import PithTrain

/// Checks the engine's f64 gradients against central finite differences of L = Σ_outputs ⟨y, R⟩, R random.
///
/// Every trainable parameter and every float input is perturbed, element by element (or a sample of `maxPerTensor`
/// elements of each); the result is the worst relative error over the tensors.
struct FiniteDifferenceCheck {
    /// h for (L(x + h) − L(x − h)) / 2h: the truncation error is O(h²) ≈ 1e-12 and the rounding error ≈ 1e-16/h.
    static let step = 1e-6
    /// The budget the issue sets for rules checked in f64.
    static let budget = 1e-6

    var engine: GradientEngine<Double>
    var batch: TrainingBatch<Double>
    var maxPerTensor = Int.max

    /// Sets every trainable parameter to full-precision f64 random values (not f32-rounded ones), so the check is of
    /// the f64 rule and nothing else.
    init(engine: GradientEngine<Double>, batch: TrainingBatch<Double>, rng: inout SplitMix64, parameterScale: Double = 1) throws {
        self.engine = engine
        self.batch = batch
        for name in engine.parameters.trainableNames {
            let count = engine.parameters.values(of: name)?.count ?? 0
            try self.engine.parameters.setValues(rng.doubles(count, scale: parameterScale), of: name)
        }
    }

    /// The worst relative error, and the tensor it is in.
    func run(rng: inout SplitMix64) throws -> (error: Double, tensor: String) {
        let tape = try engine.forward(batch)
        var projections: [String: Matrix<Double>] = [:]
        for name in engine.graph.outputs {
            guard let y = tape.output(name) else { continue }
            projections[name] = try Matrix(rows: y.rows, cols: y.cols, values: rng.doubles(y.values.count))
        }
        let analytic = try engine.backward(tape, seeds: projections)
        func loss(_ engine: GradientEngine<Double>, _ batch: TrainingBatch<Double>) throws -> Double {
            let tape = try engine.forward(batch)
            var sum: Double = 0
            for (name, r) in projections {
                guard let y = tape.output(name) else { continue }
                for i in y.values.indices { sum += y.values[i] * r.values[i] }
            }
            return sum
        }
        var worst = (error: 0.0, tensor: "")
        func record(_ name: String, _ a: [Double], _ n: [Double]) {
            let e = relativeError(a, n)
            if e > worst.error || worst.tensor.isEmpty { worst = (e, name) }
        }
        let h = Self.step
        for name in engine.parameters.trainableNames {
            guard let values = engine.parameters.values(of: name), let g = analytic.parameters[name] else { continue }
            let picked = sample(values.count, &rng)
            var numeric: [Double] = []
            for i in picked {
                var probe = engine
                var v = values
                v[i] = values[i] + h
                try probe.parameters.setValues(v, of: name)
                let up = try loss(probe, batch)
                v[i] = values[i] - h
                try probe.parameters.setValues(v, of: name)
                numeric.append((up - (try loss(probe, batch))) / (2 * h))
            }
            record(name, picked.map { g[$0] }, numeric)
        }
        for (name, x) in batch.floats {
            let g = analytic.inputs[name]?.values ?? [Double](repeating: 0, count: x.values.count)
            let picked = sample(x.values.count, &rng)
            var numeric: [Double] = []
            for i in picked {
                var probe = batch
                probe.floats[name]?.values[i] = x.values[i] + h
                let up = try loss(engine, probe)
                probe.floats[name]?.values[i] = x.values[i] - h
                numeric.append((up - (try loss(engine, probe))) / (2 * h))
            }
            record(name, picked.map { g[$0] }, numeric)
        }
        return worst
    }

    private func sample(_ count: Int, _ rng: inout SplitMix64) -> [Int] {
        guard count > maxPerTensor else { return Array(0..<count) }
        return (0..<maxPerTensor).map { _ in Int(rng.next() % UInt64(count)) }
    }
}
