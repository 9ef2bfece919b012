import Foundation
import PithFormats
import PithGraph
import PithModels
import PithTensor
@testable import PithTrain

/// The tiny Llama and BERT of scripts/reference/train_gradients.py, built from Pith's own builders with the same
/// seeded weights and batches (the script's twin: change one, change the other).
enum TinyModels {
    // MARK: - Weights

    /// Parameters in name order, each element (2u − 1)·scale in f64 rounded to f32: scale 1/√(last dimension) for
    /// matrices, norm weights 1 ± 0.2, other vectors (biases) ±0.1.
    static func weights(for graph: ComputationGraph, rng: inout SplitMix64) -> Weights {
        var weights = Weights()
        for v in graph.variables.filter(\.isParameter).sorted(by: { $0.name < $1.name }) {
            let n = v.elementCount ?? 0
            let values: [Double]
            if v.shape.count == 1 && v.name.hasSuffix("norm.weight") {
                values = (0..<n).map { _ in 1 + rng.symmetric(0.2) }
            } else if v.shape.count == 1 {
                values = rng.doubles(n, scale: 0.1)
            } else {
                values = rng.doubles(n, scale: 1 / Double(v.rowLength).squareRoot())
            }
            weights[v.name] = TensorData(floats: values.map { Float($0) })
        }
        return weights
    }

    // MARK: - Llama

    static let llamaConfig = LlamaConfiguration(hiddenSize: 64, intermediateSize: 96, numHiddenLayers: 2, numAttentionHeads: 4,
                                                numKeyValueHeads: 2, rmsNormEps: 1e-5, ropeTheta: 10_000, vocabSize: 128,
                                                tieWordEmbeddings: true)
    static let llamaLength = 12, llamaSequences = 2

    static func llamaStructure(_ config: LlamaConfiguration = llamaConfig, encoding: (String) -> Encoding = { _ in .dense(.f32) }) -> ModelStructure {
        let graph = LlamaBuilder(config: config, ropeMode: "half_split").build(encoding: encoding)
        return ModelStructure(name: "tiny-llama", architecture: "llama", family: .decoderOnly, origin: "test", graphs: [graph])
    }

    /// The structure, its weights, the batch and the labels (seed 14).
    static func llama() -> (ModelStructure, Weights, [String: [Int32]], labels: [Int32]) {
        let structure = llamaStructure()
        var rng = SplitMix64(seed: 14)
        let weights = weights(for: structure.graphs[0], rng: &rng)
        let (inputs, labels) = llamaBatch(vocab: llamaConfig.vocabSize, rng: &rng)
        return (structure, weights, inputs, labels)
    }

    static func llamaBatch(vocab: Int, rng: inout SplitMix64) -> ([String: [Int32]], [Int32]) {
        let n = llamaLength * llamaSequences
        let ids = (0..<n).map { _ in Int32(rng.next() % UInt64(vocab)) }
        var labels = ids
        for r in [0, 1, 2] { labels[r] = -100 }                              // a prompt that is not predicted
        for r in (llamaLength + 9)..<(2 * llamaLength) { labels[r] = -100 }  // padding at the end of sequence 2
        let inputs: [String: [Int32]] = ["token_ids": ids, "positions": (0..<n).map { Int32($0 % llamaLength) },
                                         "output_rows": (0..<n).map { Int32($0) }]
        return (inputs, labels)
    }

    // MARK: - BERT

    static let bertConfig = BertConfiguration(hiddenSize: 32, intermediateSize: 64, numHiddenLayers: 2, numAttentionHeads: 4,
                                              layerNormEps: 1e-12, vocabSize: 96, maxPositionEmbeddings: 16, typeVocabSize: 2)
    static let bertLength = 8, bertSequences = 2

    static func bertStructure() -> ModelStructure {
        let graph = BertBuilder(config: bertConfig, pooling: SentencePooling(mode: "mean", normalize: true), hasPooler: true)
            .build { _ in .dense(.f32) }
        return ModelStructure(name: "tiny-bert", architecture: "bert", family: .encoderOnly, origin: "test", graphs: [graph])
    }

    /// The structure, its weights, the batch, and the targets of the sentence embedding and the pooled output (seed 42).
    static func bert() -> (ModelStructure, Weights, [String: [Int32]], sentence: [Double], pooled: [Double]) {
        let structure = bertStructure()
        var rng = SplitMix64(seed: 42)
        let weights = weights(for: structure.graphs[0], rng: &rng)
        let n = bertLength * bertSequences
        var ids = (0..<n).map { _ in Int32(rng.next() % UInt64(bertConfig.vocabSize)) }
        var mask = [Int32](repeating: 1, count: n)
        for r in (bertLength + 5)..<(2 * bertLength) {  // the second sequence is 5 tokens, right-padded
            mask[r] = 0
            ids[r] = 0
        }
        let inputs: [String: [Int32]] = [
            "token_ids": ids, "attention_mask": mask,
            "token_type_ids": (0..<n).map { Int32($0 % bertLength < bertLength / 2 ? 0 : 1) },
            "positions": (0..<n).map { Int32($0 % bertLength) },
        ]
        let half = bertSequences * bertConfig.hiddenSize
        let targets = rng.doubles(2 * half, scale: 0.5).map { Double(Float($0)) }
        return (structure, weights, inputs, Array(targets[..<half]), Array(targets[half...]))
    }

    // MARK: - The PyTorch fixture

    /// Tensors of Data/train-gradients.st-fixture as f64 values, by name.
    static func fixture() throws -> [String: [Double]] {
        guard let url = Bundle.module.url(forResource: "train-gradients", withExtension: "st-fixture", subdirectory: "Data") else {
            throw TrainingError("the fixture Data/train-gradients.st-fixture is missing")
        }
        let file = try SafetensorsFile(url: url)
        var out: [String: [Double]] = [:]
        for info in file.tensors {
            let bytes = file.data(for: info).bytes
            switch info.dtype {
            case .f32: out[info.name] = bytes.bindMemory(to: Float.self).map(Double.init)
            case .f64: out[info.name] = Array(bytes.bindMemory(to: Double.self))
            default: throw TrainingError("unexpected dtype of \(info.name)")
            }
        }
        return out
    }
}

/// ‖a − b‖ / max(‖a‖, ‖b‖, tiny): the relative error the tests budget.
func relativeError<A: BinaryFloatingPoint, B: BinaryFloatingPoint>(_ a: [A], _ b: [B]) -> Double {
    precondition(a.count == b.count, "relativeError: \(a.count) vs \(b.count) values")
    var diff: Double = 0, na: Double = 0, nb: Double = 0
    for (x, y) in zip(a, b) {
        let dx = Double(x), dy = Double(y)
        diff += (dx - dy) * (dx - dy)
        na += dx * dx
        nb += dy * dy
    }
    return diff.squareRoot() / max(na.squareRoot(), nb.squareRoot(), 1e-30)
}
