import Foundation
import PithGraph
import PithModels
import PithRuntime
import PithTensor
import Testing

/// Where the default models and texts live, and whether they have been fetched (`make models`).
enum TestModels {
    static let locator = ModelLocator()
    static var smolLM2Available: Bool { locator.path(ofAlias: "smollm2").map { FileManager.default.fileExists(atPath: $0.path) } ?? false }
    static var miniLMAvailable: Bool {
        locator.path(ofAlias: "minilm").map { FileManager.default.fileExists(atPath: $0.appendingPathComponent("model.safetensors").path) } ?? false
    }
    static var calibrationText: URL { locator.home.appendingPathComponent("data/calibration.txt") }
    static var calibrationAvailable: Bool { FileManager.default.fileExists(atPath: calibrationText.path) }
    static let missingNote: Comment = "the model or calibration text is not fetched: run `make models` (the test did not run)"

    nonisolated(unsafe) static var smolLM2Cache: Model?
    static func smolLM2() throws -> Model {
        if let smolLM2Cache { return smolLM2Cache }
        let model = try Model.load("smollm2")
        smolLM2Cache = model
        return model
    }
}

/// A tiny Llama (f32, tied embeddings) whose widths are whole groups of 32, built through the real builder.
func tinyLlama(kvHeads: Int = 2, layers: Int = 2, seed: UInt64 = 3) -> Model {
    let config = LlamaConfiguration(hiddenSize: 64, intermediateSize: 128, numHiddenLayers: layers, numAttentionHeads: 4,
                                    numKeyValueHeads: kvHeads, rmsNormEps: 1e-5, vocabSize: 96, maxPositionEmbeddings: 128,
                                    tieWordEmbeddings: true)
    let graph = LlamaBuilder(config: config, ropeMode: "half_split").build { _ in .dense(.f32) }
    var rng = SplitMix(seed: seed)
    var weights = Weights()
    for v in graph.variables where v.isParameter {
        let n = v.elementCount ?? 0
        let isNorm = v.name.contains("norm")
        // A few input channels much louder than the rest, as real activations have (what AWQ and SmoothQuant exploit).
        weights[v.name] = TensorData(floats: (0..<n).map { i in
            isNorm ? (i % 16 == 3 ? 4 : 1) + 0.2 * rng.normal() : 0.2 * rng.normal()
        })
    }
    let structure = ModelStructure(name: "tiny", architecture: "llama", family: .decoderOnly, origin: "test", graphs: [graph],
                                   metadata: ["general.license": "mit", "general.organization": "Pith tests", "general.version": "0.1"])
    return Model(structure: structure, weights: weights, tokenizer: nil, source: URL(fileURLWithPath: "/nonexistent/tiny"), contextLength: 128)
}

/// Deterministic token ids in 0..<vocabulary.
func randomTokens(_ count: Int, vocabulary: Int, seed: UInt64) -> [Int32] {
    var rng = SplitMix(seed: seed)
    return (0..<count).map { _ in Int32(rng.next() % UInt64(vocabulary)) }
}

/// Logits of every position of `tokens` from an empty cache.
func allLogits(_ model: Model, _ tokens: [Int32]) throws -> [Float] {
    let executor = try Executor(model: model, maxRows: tokens.count)
    let state = executor.makeState(capacity: tokens.count)
    let out = try executor.run(inputs: ["token_ids": tokens, "positions": (0..<tokens.count).map { Int32($0) },
                                        "output_rows": (0..<tokens.count).map { Int32($0) }], rows: tokens.count, state: state)
    return out["logits"]?.values ?? []
}

func maxAbsDifference(_ a: [Float], _ b: [Float]) -> Float {
    precondition(a.count == b.count, "\(a.count) vs \(b.count) values")
    return zip(a, b).reduce(Float(0)) { max($0, abs($1.0 - $1.1)) }
}

/// Mean squared difference.
func meanSquaredDifference(_ a: [Float], _ b: [Float]) -> Double {
    zip(a, b).reduce(0.0) { $0 + Double($1.0 - $1.1) * Double($1.0 - $1.1) } / Double(max(a.count, 1))
}

/// A fresh path in the temporary folder.
func temporaryURL(_ name: String) -> URL {
    FileManager.default.temporaryDirectory.appendingPathComponent("pith-\(UUID().uuidString.prefix(8))-\(name)")
}

struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func uniform() -> Float { Float(next() >> 40) / Float(1 << 24) }
    mutating func normal() -> Float {
        let u1 = max(uniform(), 1e-7), u2 = uniform()
        return (-2 * log(u1)).squareRoot() * cos(2 * .pi * u2)
    }
}
