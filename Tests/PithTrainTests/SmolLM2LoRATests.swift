import Foundation
import PithGraph
import PithModels
import PithRuntime
import PithTokenizers
import Testing
@testable import PithTrain

/// QLoRA on the real SmolLM2-135M (Q4_1 GGUF, `make models`): the frozen quantized weights are streamed, only the
/// adapters train, the engine's logits are the executor's, and a few steps lower the loss on one batch.
@Suite struct SmolLM2LoRATests {
    static var modelPath: URL? { ModelLocator().path(ofAlias: "smollm2") }
    static var available: Bool { modelPath.map { FileManager.default.fileExists(atPath: $0.path) } ?? false }

    @Test(.enabled(if: available, "SmolLM2 is not fetched: run `make models` (the test did not run)"))
    func adaptersTrainOverFrozenQuantizedWeights() throws {
        let model = try Model.load("smollm2")
        let ids = try model.requireTokenizer().encode("The quick brown fox jumps over the lazy dog, and then it runs far away into the forest.")
            .prefix(24).map { $0 }
        let n = ids.count
        let inputs: [String: [Int32]] = ["token_ids": ids, "positions": (0..<n).map { Int32($0) }, "output_rows": (0..<n).map { Int32($0) }]
        let adapted = try LoRA(rank: 8, alpha: 16, targets: ["*.attn_q", "*.attn_v"], seed: 1).apply(to: model.structure, weights: model.weights)
        var engine = try GradientEngine<Float>(structure: adapted.structure, weights: adapted.weights, isTrainable: adapted.trainable.contains)
        let batch = TrainingBatch<Float>(integers: inputs, rows: n)

        let executor = try Executor(model: model)
        let reference = try #require(try executor.run(inputs: inputs, rows: n, state: executor.makeState(capacity: n))["logits"]?.values)
        let logits = try #require(try engine.forward(batch).output("logits")?.values)
        let error = relativeError(logits, reference)

        var optimizer = AdamW<Float>(weightDecay: 0)
        var losses: [Double] = []
        let clock = ContinuousClock(), start = clock.now
        for _ in 0..<2 {
            let (loss, gradients) = try engine.gradients(batch) { tape in
                guard let logits = tape.output("logits") else { throw TrainingError("no logits") }
                let l = try CrossEntropyLoss().causalLM(logits: logits, labels: ids, sequences: 1)
                return (l.value, ["logits": l.gradient])
            }
            try optimizer.update(&engine.parameters, gradients: gradients, learningRate: 1e-3)
            losses.append(loss)
        }
        let seconds = (clock.now - start) / .seconds(1) / 2
        print("SmolLM2 QLoRA: \(adapted.trainable.count) adapter tensors, logits vs executor \(error), loss \(losses), \(seconds) s per step of \(n) tokens")
        #expect(error <= 1e-4)
        #expect(try #require(losses.last) < (try #require(losses.first)))
    }
}
