import PithGraph
import PithModels
import PithRuntime
import Testing
@testable import PithTrain

/// A few steps of training lower the loss on a fixed batch, the same way every run.
@Suite struct TrainingLoopTests {
    static let config = LlamaConfiguration(hiddenSize: 32, intermediateSize: 48, numHiddenLayers: 1, numAttentionHeads: 4,
                                           numKeyValueHeads: 2, vocabSize: 64, tieWordEmbeddings: false)

    /// Losses of `steps` AdamW steps (warmup-cosine schedule, clipping at 1) on one batch of two sequences of 12.
    static func train(steps: Int) throws -> (losses: [Double], engine: GradientEngine<Float>, weights: Weights) {
        let structure = TinyModels.llamaStructure(config)
        var rng = SplitMix64(seed: 5)
        let weights = TinyModels.weights(for: structure.graphs[0], rng: &rng)
        let (inputs, labels) = TinyModels.llamaBatch(vocab: config.vocabSize, rng: &rng)
        var engine = try GradientEngine<Float>(structure: structure, weights: weights)
        let batch = TrainingBatch<Float>(integers: inputs, rows: labels.count, sequences: TinyModels.llamaSequences)
        var optimizer = AdamW<Float>(weightDecay: 0.01) { !$0.hasSuffix("norm.weight") }
        let schedule = WarmupCosineSchedule(peak: 3e-2, warmupSteps: 3, totalSteps: steps)
        var losses: [Double] = []
        for step in 0..<steps {
            var (loss, gradients) = try engine.gradients(batch) { tape in
                guard let logits = tape.output("logits") else { throw TrainingError("no logits") }
                let l = try CrossEntropyLoss().causalLM(logits: logits, labels: labels, sequences: TinyModels.llamaSequences)
                return (l.value, ["logits": l.gradient])
            }
            GradientClipping(maxNorm: 1).clip(&gradients)
            try optimizer.update(&engine.parameters, gradients: gradients, learningRate: schedule.learningRate(at: step))
            losses.append(loss)
        }
        return (losses, engine, weights)
    }

    @Test func lossFallsOnAFixedBatch() throws {
        let (losses, engine, weights) = try Self.train(steps: 25)
        print("training: loss \(losses.first ?? 0) → \(losses.last ?? 0) in \(losses.count) steps")
        let first = try #require(losses.first), last = try #require(losses.last)
        #expect(last < 0.5 * first)
        // Deterministic: a second run gives the same losses bit for bit.
        #expect(try Self.train(steps: 3).losses == Array(losses.prefix(3)))
        // The trained weights run in the executor and give the engine's logits.
        let (trainedWeights, graph) = engine.parameters.export(into: weights, graph: engine.graph)
        let structure = ModelStructure(name: "trained", architecture: "llama", family: .decoderOnly, origin: "test", graphs: [graph])
        let (inputs, _) = { var rng = SplitMix64(seed: 5); _ = TinyModels.weights(for: graph, rng: &rng)
                            return TinyModels.llamaBatch(vocab: Self.config.vocabSize, rng: &rng) }()
        let length = TinyModels.llamaLength
        let one = inputs.mapValues { Array($0.prefix(length)) }
        let executor = try Executor(structure: structure, weights: trainedWeights)
        let run = try executor.run(inputs: one, rows: length, state: executor.makeState(capacity: length))
        let tape = try engine.forward(TrainingBatch(integers: one, rows: length))
        #expect(relativeError(try #require(run["logits"]?.values), try #require(tape.output("logits")?.values)) <= 1e-5)
    }
}
