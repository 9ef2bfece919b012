import PithGraph
import PithModels
import PithRuntime
import Testing
@testable import PithTrain

/// Every parameter's gradient of a tiny Llama and a tiny BERT, built by Pith's own builders, against PyTorch
/// autograd in f64 (scripts/reference/train_gradients.py wrote Data/train-gradients.st-fixture from the same seeded
/// weights and batch).
@Suite struct ModelGradientTests {
    /// The issue's budget for f32 gradients against PyTorch.
    static let budget = 1e-4

    /// The Llama batch and its causal-LM loss (labels with −100 where nothing is predicted).
    static func llamaGradients<T: TrainScalar>(_ type: T.Type) throws -> (Double, Gradients<T>) {
        let (structure, weights, inputs, labels) = TinyModels.llama()
        let engine = try GradientEngine<T>(structure: structure, weights: weights)
        let batch = TrainingBatch<T>(integers: inputs, rows: labels.count, sequences: TinyModels.llamaSequences)
        return try engine.gradients(batch) { tape in
            guard let logits = tape.output("logits") else { throw TrainingError("no logits") }
            let loss = try CrossEntropyLoss().causalLM(logits: logits, labels: labels, sequences: TinyModels.llamaSequences)
            return (loss.value, ["logits": loss.gradient])
        }
    }

    /// The BERT batch and MSE(sentence embedding) + MSE(pooled output) against fixed targets.
    static func bertGradients<T: TrainScalar>(_ type: T.Type) throws -> (Double, Gradients<T>) {
        let (structure, weights, inputs, sentenceTarget, pooledTarget) = TinyModels.bert()
        let engine = try GradientEngine<T>(structure: structure, weights: weights)
        let rows = TinyModels.bertLength * TinyModels.bertSequences, dim = TinyModels.bertConfig.hiddenSize
        let batch = TrainingBatch<T>(integers: inputs, rows: rows, sequences: TinyModels.bertSequences)
        return try engine.gradients(batch) { tape in
            guard let sentence = tape.output("sentence_embedding"), let pooled = tape.output("pooled_output") else {
                throw TrainingError("missing outputs")
            }
            let a = try MeanSquaredError()(sentence, target: Matrix(rows: TinyModels.bertSequences, cols: dim, values: sentenceTarget.map { T($0) }))
            let b = try MeanSquaredError()(pooled, target: Matrix(rows: TinyModels.bertSequences, cols: dim, values: pooledTarget.map { T($0) }))
            return (a.value + b.value, ["sentence_embedding": a.gradient, "pooled_output": b.gradient])
        }
    }

    /// The worst per-parameter relative error against the fixture; every parameter must be there.
    ///
    /// A gradient that is zero in exact arithmetic (attention's key bias: adding one value to all of a query's scores
    /// leaves the softmax unchanged) has no relative error to speak of; such a tensor (reference norm below 1e-9 of the
    /// global norm) must instead be below `zeroBudget` of the global norm.
    static func compare<T: TrainScalar>(_ gradients: Gradients<T>, prefix: String, fixture: [String: [Double]],
                                        zeroBudget: Double = 1e-6) throws -> (Double, String) {
        let global = fixture.filter { $0.key.hasPrefix(prefix) }.values.reduce(0) { $0 + $1.reduce(0) { $0 + $1 * $1 } }.squareRoot()
        var worst = (0.0, "")
        for (name, g) in gradients.parameters {
            let reference = try #require(fixture[prefix + name], "the fixture has no \(prefix + name)")
            let norm = reference.reduce(0) { $0 + $1 * $1 }.squareRoot()
            if norm < 1e-9 * global {
                let size = g.reduce(0) { $0 + Double($1) * Double($1) }.squareRoot()
                #expect(size <= zeroBudget * global, "\(name): \(size) where the reference is zero")
                continue
            }
            let e = relativeError(g, reference)
            if e >= worst.0 { worst = (e, name) }
        }
        let expected = fixture.keys.filter { $0.hasPrefix(prefix) }.count
        #expect(gradients.parameters.count == expected)
        return worst
    }

    @Test func llamaMatchesPyTorch() throws {
        let fixture = try TinyModels.fixture()
        let (loss, gradients) = try Self.llamaGradients(Float.self)
        let reference = try #require(fixture["llama.loss"]?.first)
        let (error, worst) = try Self.compare(gradients, prefix: "llama.grad.", fixture: fixture)
        print("llama f32 vs PyTorch: loss \(loss) vs \(reference), worst gradient error \(error) (\(worst))")
        #expect(abs(loss - reference) / reference <= Self.budget)
        #expect(error <= Self.budget)
        // The tied embedding gets gradients from both the lookup and the head.
        #expect(gradients.parameters["token_embd.weight"]?.count == 128 * 64)
    }

    @Test func bertMatchesPyTorch() throws {
        let fixture = try TinyModels.fixture()
        let (loss, gradients) = try Self.bertGradients(Float.self)
        let reference = try #require(fixture["bert.loss"]?.first)
        let (error, worst) = try Self.compare(gradients, prefix: "bert.grad.", fixture: fixture)
        print("bert f32 vs PyTorch: loss \(loss) vs \(reference), worst gradient error \(error) (\(worst))")
        #expect(abs(loss - reference) / reference <= Self.budget)
        #expect(error <= Self.budget)
    }

    /// The f64 path agrees with PyTorch's f64 to the fixture's f32 rounding.
    @Test func f64PathMatchesPyTorch() throws {
        let fixture = try TinyModels.fixture()
        let (llamaLoss, llama) = try Self.llamaGradients(Double.self)
        let (bertLoss, bert) = try Self.bertGradients(Double.self)
        let (e1, _) = try Self.compare(llama, prefix: "llama.grad.", fixture: fixture)
        let (e2, _) = try Self.compare(bert, prefix: "bert.grad.", fixture: fixture)
        print("f64 vs PyTorch: llama loss error \(abs(llamaLoss - (fixture["llama.loss"]?[0] ?? 0))), gradients \(e1); bert loss error \(abs(bertLoss - (fixture["bert.loss"]?[0] ?? 0))), gradients \(e2)")
        #expect(e1 <= 1e-6 && e2 <= 1e-6)
    }

    /// The engine's forward pass is the runtime executor's: same logits for the Llama, same sentence embeddings for an
    /// unpadded BERT batch.
    @Test func forwardAgreesWithTheExecutor() throws {
        let (structure, weights, inputs, labels) = TinyModels.llama()
        let engine = try GradientEngine<Float>(structure: structure, weights: weights)
        let length = TinyModels.llamaLength
        let one = inputs.mapValues { Array($0.prefix(length)) }
        let tape = try engine.forward(TrainingBatch(integers: one, rows: length))
        let executor = try Executor(structure: structure, weights: weights)
        let run = try executor.run(inputs: one, rows: length, state: executor.makeState(capacity: length))
        let logits = try #require(run["logits"]?.values)
        let error = relativeError(try #require(tape.output("logits")?.values), logits)
        print("llama forward vs executor: \(error)")
        #expect(error <= 1e-5)
        _ = labels

        let (bs, bw, bi, _, _) = TinyModels.bert()
        let bertEngine = try GradientEngine<Float>(structure: bs, weights: bw)
        let rows = TinyModels.bertLength
        let first = bi.mapValues { Array($0.prefix(rows)) }  // the first sequence, unpadded
        let bertTape = try bertEngine.forward(TrainingBatch(integers: first, rows: rows))
        let bertRun = try Executor(structure: bs, weights: bw).run(inputs: first, rows: rows)
        let sentence = try #require(bertRun["sentence_embedding"]?.values)
        let bertError = relativeError(try #require(bertTape.output("sentence_embedding")?.values), sentence)
        print("bert forward vs executor: \(bertError)")
        #expect(bertError <= 1e-5)
    }

    /// The whole tiny Llama in f64 against finite differences (a sample of each parameter), so the composition of
    /// the rules — residuals, the tied head, the loss — is checked without PyTorch too.
    @Test func wholeLlamaAgainstFiniteDifferences() throws {
        let config = LlamaConfiguration(hiddenSize: 16, intermediateSize: 24, numHiddenLayers: 1, numAttentionHeads: 4,
                                        numKeyValueHeads: 2, vocabSize: 20, tieWordEmbeddings: true)
        let structure = TinyModels.llamaStructure(config)
        var rng = SplitMix64(seed: 7)
        let weights = TinyModels.weights(for: structure.graphs[0], rng: &rng)
        let n = 6
        let inputs: [String: [Int32]] = ["token_ids": (0..<n).map { _ in Int32(rng.next() % 20) },
                                         "positions": (0..<n).map { Int32($0 % 3) }, "output_rows": (0..<n).map { Int32($0) }]
        let engine = try GradientEngine<Double>(structure: structure, weights: weights)
        var check = try FiniteDifferenceCheck(engine: engine, batch: TrainingBatch(integers: inputs, rows: n, sequences: 2),
                                              rng: &rng, parameterScale: 0.5)
        check.maxPerTensor = 6
        let (error, tensor) = try check.run(rng: &rng)
        print("finite differences: whole llama worst \(error) in \(tensor)")
        #expect(error <= FiniteDifferenceCheck.budget)
    }
}
