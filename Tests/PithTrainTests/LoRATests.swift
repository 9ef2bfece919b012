import PithGraph
import PithModels
import PithRuntime
import Testing
@testable import PithTrain

/// LoRA as a graph rewrite: only the adapters train, their gradients are right, and merged weights give the
/// unmerged model's logits.
@Suite struct LoRATests {
    static let lora = LoRA(rank: 4, alpha: 8, targets: ["*.attn_q", "*.attn_v", "blk.1.ffn_down.weight"], seed: 3)

    @Test func unmergedAndMergedLogitsAgree() throws {
        let (structure, weights, inputs, labels) = TinyModels.llama()
        let adapted = try Self.lora.apply(to: structure, weights: weights)
        #expect(adapted.adaptedOperators == ["blk.0.attn_q", "blk.0.attn_v", "blk.1.attn_q", "blk.1.attn_v", "blk.1.ffn_down"])
        var engine = try GradientEngine<Float>(structure: adapted.structure, weights: adapted.weights, isTrainable: adapted.trainable.contains)
        #expect(Set(engine.parameters.trainableNames) == adapted.trainable)
        // B starts at zero: the adapted model is the base model.
        let length = TinyModels.llamaLength
        let one = inputs.mapValues { Array($0.prefix(length)) }
        let base = try Executor(structure: structure, weights: weights)
        let baseLogits = try #require(try base.run(inputs: one, rows: length, state: base.makeState(capacity: length))["logits"]?.values)
        let start = try #require(try engine.forward(TrainingBatch(integers: one, rows: length)).output("logits")?.values)
        #expect(relativeError(start, baseLogits) <= 1e-5)

        // Train a few steps so the adapters are not zero, then compare the unmerged graph and the merged weights.
        var optimizer = AdamW<Float>(weightDecay: 0)
        let batch = TrainingBatch<Float>(integers: inputs, rows: labels.count, sequences: TinyModels.llamaSequences)
        for _ in 0..<3 {
            let (_, gradients) = try engine.gradients(batch) { tape in
                guard let logits = tape.output("logits") else { throw TrainingError("no logits") }
                let l = try CrossEntropyLoss().causalLM(logits: logits, labels: labels, sequences: TinyModels.llamaSequences)
                return (l.value, ["logits": l.gradient])
            }
            #expect(Set(gradients.parameters.keys) == adapted.trainable)
            try optimizer.update(&engine.parameters, gradients: gradients, learningRate: 1e-2)
        }
        let (trained, graph) = engine.parameters.export(into: adapted.weights, graph: adapted.structure.graphs[0])
        var unmergedStructure = adapted.structure
        unmergedStructure.graphs[0] = graph
        let unmerged = try Executor(structure: unmergedStructure, weights: trained)
        let unmergedLogits = try #require(try unmerged.run(inputs: one, rows: length, state: unmerged.makeState(capacity: length))["logits"]?.values)
        let (mergedStructure, mergedWeights) = try LoRA.merge(unmergedStructure, weights: trained)
        #expect(mergedStructure.graphs[0].operators.count == structure.graphs[0].operators.count)
        let merged = try Executor(structure: mergedStructure, weights: mergedWeights)
        let mergedLogits = try #require(try merged.run(inputs: one, rows: length, state: merged.makeState(capacity: length))["logits"]?.values)
        let moved = relativeError(unmergedLogits, baseLogits), error = relativeError(mergedLogits, unmergedLogits)
        print("LoRA: adapters moved the logits by \(moved); merged vs unmerged \(error)")
        #expect(moved > 1e-3)
        #expect(error <= 1e-5)
    }

    @Test func adapterGradientsAgainstFiniteDifferences() throws {
        let config = LlamaConfiguration(hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 1, numAttentionHeads: 4,
                                        numKeyValueHeads: 2, vocabSize: 20, tieWordEmbeddings: true)
        let structure = TinyModels.llamaStructure(config)
        var rng = SplitMix64(seed: 9)
        let weights = TinyModels.weights(for: structure.graphs[0], rng: &rng)
        let adapted = try LoRA(rank: 2, alpha: 4, targets: ["*.attn_k", "*.ffn_up"]).apply(to: structure, weights: weights)
        let engine = try GradientEngine<Double>(structure: adapted.structure, weights: adapted.weights, isTrainable: adapted.trainable.contains)
        let n = 6
        let inputs: [String: [Int32]] = ["token_ids": (0..<n).map { _ in Int32(rng.next() % 20) },
                                         "positions": (0..<n).map { Int32($0) }, "output_rows": (0..<n).map { Int32($0) }]
        var check = try FiniteDifferenceCheck(engine: engine, batch: TrainingBatch(integers: inputs, rows: n), rng: &rng, parameterScale: 0.5)
        check.maxPerTensor = 8
        let (error, tensor) = try check.run(rng: &rng)
        print("finite differences: LoRA adapters worst \(error) in \(tensor)")
        #expect(error <= FiniteDifferenceCheck.budget)
    }

    @Test func refusesATiedWeightAndNoMatch() throws {
        let (structure, weights, _, _) = TinyModels.llama()
        #expect(throws: TrainingError.self) { try LoRA(rank: 2, alpha: 2, targets: ["output"]).apply(to: structure, weights: weights) }
        #expect(throws: TrainingError.self) { try LoRA(rank: 2, alpha: 2, targets: ["nothing.*"]).apply(to: structure, weights: weights) }
    }
}
