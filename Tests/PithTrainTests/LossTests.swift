import Foundation
import Testing
@testable import PithTrain

/// The losses' gradients against finite differences in f64, and their values against hand-computed ones.
@Suite struct LossTests {
    func numericGradient(_ values: [Double], _ loss: ([Double]) throws -> Double) rethrows -> [Double] {
        let h = FiniteDifferenceCheck.step
        return try values.indices.map { i in
            var v = values
            v[i] += h
            let up = try loss(v)
            v[i] -= 2 * h
            return (up - (try loss(v))) / (2 * h)
        }
    }

    @Test func crossEntropyWithIgnoredTargets() throws {
        var rng = SplitMix64(seed: 3)
        let logits = try Matrix(rows: 6, cols: 5, values: rng.doubles(30, scale: 3))
        let labels: [Int32] = [1, 4, -100, 0, 2, 3]
        let ce = CrossEntropyLoss()
        let loss = try ce.causalLM(logits: logits, labels: labels, sequences: 2)
        let numeric = try numericGradient(logits.values) { try ce.causalLM(logits: Matrix(rows: 6, cols: 5, values: $0), labels: labels, sequences: 2).value }
        let error = relativeError(loss.gradient.values, numeric)
        print("finite differences: causal-LM cross-entropy \(error)")
        #expect(error <= FiniteDifferenceCheck.budget)
        // Sequence 1 predicts 4 from row 0 and nothing from row 1 (target −100); sequence 2 predicts 2 and 3.
        func nll(_ row: Int, _ target: Int) -> Double {
            let r = logits.values[(row * 5)..<(row * 5 + 5)]
            return log(r.map(exp).reduce(0, +)) - r[r.startIndex + target]
        }
        #expect(abs(loss.value - (nll(0, 4) + nll(3, 2) + nll(4, 3)) / 3) < 1e-12)
        // The last row of each sequence and rows whose next label is ignored get no gradient.
        for row in [1, 2, 5] { #expect(loss.gradient.values[(row * 5)..<(row * 5 + 5)].allSatisfy { $0 == 0 }) }
    }

    @Test func crossEntropyRejectsOutOfRangeTargets() {
        let logits = Matrix<Float>(rows: 2, cols: 3)
        #expect(throws: TrainingError.self) { try CrossEntropyLoss()(logits: logits, targets: [0, 3]) }
        #expect(throws: TrainingError.self) { try CrossEntropyLoss()(logits: logits, targets: [0]) }
    }

    @Test func meanSquaredError() throws {
        var rng = SplitMix64(seed: 4)
        let y = try Matrix(rows: 3, cols: 4, values: rng.doubles(12))
        let t = try Matrix(rows: 3, cols: 4, values: rng.doubles(12))
        let loss = try MeanSquaredError()(y, target: t)
        let numeric = try numericGradient(y.values) { try MeanSquaredError()(Matrix(rows: 3, cols: 4, values: $0), target: t).value }
        #expect(relativeError(loss.gradient.values, numeric) <= FiniteDifferenceCheck.budget)
        #expect(abs(loss.value - zip(y.values, t.values).map { ($0 - $1) * ($0 - $1) }.reduce(0, +) / 12) < 1e-15)
    }
}
