import PithGraph
import Testing
@testable import PithTrain

/// Bad graphs and bad batches are refused with one line naming the culprit, never a crash.
@Suite struct EngineErrorTests {
    func embeddingGraph() -> OperatorGraph {
        var g = OperatorGraph()
        g.integerInput("ids")
        g.parameter("table", 4, 3)
        g.op("embedding", ["ids": ["ids"], "weight": ["table"]], "y", [3])
        return g
    }

    @Test func badBatches() throws {
        let g = embeddingGraph()
        var rng = SplitMix64(seed: 1)
        let engine = try GradientEngine<Float>(structure: g.structure, weights: g.weights(&rng))
        #expect(throws: TrainingError.self) { try engine.forward(TrainingBatch(integers: ["ids": [0, 4]], rows: 2)) }
        #expect(throws: TrainingError.self) { try engine.forward(TrainingBatch(integers: ["ids": [0, -1]], rows: 2)) }
        #expect(throws: TrainingError.self) { try engine.forward(TrainingBatch(integers: [:], rows: 2)) }
        #expect(throws: TrainingError.self) { try engine.forward(TrainingBatch(integers: ["ids": [0, 1, 2]], rows: 3, sequences: 2)) }
        let tape = try engine.forward(TrainingBatch(integers: ["ids": [0, 1]], rows: 2))
        #expect(throws: TrainingError.self) { try engine.backward(tape, seeds: ["y": Matrix(rows: 3, cols: 3)]) }
    }

    @Test func operatorsWithoutARuleAreNamed() throws {
        var g = OperatorGraph()
        g.floatInput("x", 2)
        g.graph.operators.append(OperatorNode(type: "send", name: "ship", inputs: ["input": ["x"]], outputs: [:], attributes: ["peer": .int(0)]))
        var rng = SplitMix64(seed: 2)
        #expect { try GradientEngine<Float>(structure: g.structure, weights: g.weights(&rng)) } throws: {
            ($0 as? TrainingError)?.description.contains("ship") == true
        }
    }

    @Test func missingWeightsAreNamed() throws {
        let g = embeddingGraph()
        #expect { try GradientEngine<Float>(structure: g.structure, weights: Weights()) } throws: {
            ($0 as? TrainingError)?.description.contains("table") == true
        }
    }
}
