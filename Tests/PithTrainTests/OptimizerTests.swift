import Foundation
import PithGraph
import Testing
@testable import PithTrain

/// AdamW and SGD against `torch.optim` on the fixture (three steps with the fixture's gradient held fixed),
/// the schedule and clipping against their closed forms.
@Suite struct OptimizerTests {
    static let names = ["blk.0.attn_k.weight", "output_norm.weight"]

    /// An engine over the tiny Llama training only `names`, and their fixture gradients.
    func setUp() throws -> (GradientEngine<Float>, Gradients<Float>, [String: [Double]]) {
        let fixture = try TinyModels.fixture()
        let (structure, weights, _, _) = TinyModels.llama()
        let engine = try GradientEngine<Float>(structure: structure, weights: weights, isTrainable: Self.names.contains)
        var gradients = Gradients<Float>(parameters: [:])
        for name in Self.names { gradients.parameters[name] = try #require(fixture["llama.grad." + name]).map { Float($0) } }
        return (engine, gradients, fixture)
    }

    /// The relative error of the total update p₃ − p₀ against torch's.
    func updateError(_ parameters: ParameterSet<Float>, before: ParameterSet<Float>, reference: [Double], name: String) throws -> Double {
        let p0 = try #require(before.values(of: name)), p3 = try #require(parameters.values(of: name))
        return relativeError(zip(p3, p0).map { Double($0) - Double($1) }, zip(reference, p0).map { $0 - Double($1) })
    }

    @Test func adamWMatchesTorch() throws {
        let (start, gradients, fixture) = try setUp()
        var engine = start
        let before = engine.parameters
        var adam = AdamW<Float>(beta1: 0.9, beta2: 0.999, epsilon: 1e-8, weightDecay: 0.1)
        for _ in 0..<3 { try adam.update(&engine.parameters, gradients: gradients, learningRate: 1e-2) }
        for name in Self.names {
            let error = try updateError(engine.parameters, before: before, reference: try #require(fixture["adamw." + name]), name: name)
            print("AdamW vs torch.optim.AdamW, \(name): update error \(error)")
            #expect(error <= 1e-6)
        }
        #expect(adam.step == 3)
    }

    @Test func sgdWithMomentumMatchesTorch() throws {
        let (start, gradients, fixture) = try setUp()
        var engine = start
        let before = engine.parameters
        var sgd = SGD<Float>(momentum: 0.9, weightDecay: 0.01)
        for _ in 0..<3 { try sgd.update(&engine.parameters, gradients: gradients, learningRate: 0.1) }
        for name in Self.names {
            let error = try updateError(engine.parameters, before: before, reference: try #require(fixture["sgd." + name]), name: name)
            print("SGD vs torch.optim.SGD, \(name): update error \(error)")
            #expect(error <= 1e-6)
        }
    }

    @Test func warmupThenCosine() {
        let s = WarmupCosineSchedule(peak: 1e-3, warmupSteps: 4, totalSteps: 14, minimum: 1e-4)
        #expect(s.learningRate(at: 0) == 0)
        #expect(abs(s.learningRate(at: 2) - 5e-4) < 1e-15)
        #expect(abs(s.learningRate(at: 4) - 1e-3) < 1e-15)
        #expect(abs(s.learningRate(at: 9) - (1e-4 + 0.5 * 9e-4)) < 1e-15)  // half way: cos(π/2) = 0
        #expect(abs(s.learningRate(at: 14) - 1e-4) < 1e-15)
        #expect(abs(s.learningRate(at: 100) - 1e-4) < 1e-15)
    }

    @Test func clippingByGlobalNorm() {
        var g = Gradients<Double>(parameters: ["a": [3, 0], "b": [0, 4]])
        let norm = GradientClipping(maxNorm: 1).clip(&g)
        #expect(norm == 5)
        #expect(abs(GradientClipping.globalNorm(g) - 5 / (5 + 1e-6)) < 1e-12)
        #expect(abs((g.parameters["a"]?[0] ?? 0) - 3 / (5 + 1e-6)) < 1e-12)
        var small = Gradients<Double>(parameters: ["a": [0.3]])
        GradientClipping(maxNorm: 1).clip(&small)
        #expect(small.parameters["a"] == [0.3])
    }
}
